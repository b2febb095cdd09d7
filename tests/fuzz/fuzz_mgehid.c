/*
 * libFuzzer target: the simulated Ellipse ECO and the MGE mapping fed
 * arbitrary bytes. The input is cut into records; each one is a SET_REPORT
 * (a host write of any length), a GET_REPORT of its first byte, a raw
 * interrupt report, or a model tick, and every value the model then holds
 * goes through the mapping's conversions (format, parse back, status).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mge-hid.h"
#include "simmodel.h"

static const char *no_info(void *arg, const char *var)
{
	(void)arg;
	(void)var;
	return "12";
}

static void map_values(struct sim_model *m)
{
	struct mge_env env = { no_info, NULL };
	uint32_t conds = 0;
	char text[256];
	double v, back;
	size_t i;

	for (i = 0; i < mge_table_len; i++) {
		const struct mge_entry *e = &mge_table[i];

		if (sim_model_get(m, e->path, &v) < 0)
			continue;
		if (e->flags & MGE_F_STATUS) {
			mge_status_apply(e, v, v, &conds);
		} else if (e->var && !(e->flags & MGE_F_CMD) &&
			   mge_format(e, v, &env, text, sizeof(text)) == 1) {
			mge_parse(e, text, &back);
		}
	}
	mge_status_text(conds, 50, NULL, text, sizeof(text));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct sim_model *m = sim_model_new("ellipse-eco-650", 0, err, sizeof(err));
	uint8_t buf[600];
	uint64_t now = 0;
	size_t len;

	if (!m)
		return 0;
	while (size >= 2) {
		uint8_t op = data[0] & 3;

		len = data[1] % 40;
		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		if (op == 0 && len > 0)
			sim_model_set_report(m, HID_FEATURE, data, len);
		else if (op == 1 && len > 0)
			sim_model_get_report(m, data[0], (enum hid_rtype)(1 + len % 3), buf, sizeof(buf));
		else if (op == 2)
			sim_model_push_raw(m, data, len);
		else
			sim_model_tick(m, now += 1000u * (len + 1));
		while (sim_model_pop_interrupt(m, buf, (len % 7) + 1) > 0)
			;
		data += len;
		size -= len;
	}
	map_values(m);
	sim_model_free(m);
	return 0;
}
