/*
 * libFuzzer target for drivers/hidreport.c with the SYNTHETIC Ellipse ECO
 * 650 descriptor fixed: any bytes as an interrupt (or GET_REPORT) report,
 * the first byte its ID, decoded through every field of that ID. A field
 * decodes exactly when the bytes cover it, the value stays in the logical
 * range, and a write of that value reads back the same.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hid.h"
#include "hiddesc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct hid_desc *eco(void)
{
	static struct hid_desc *d;
	size_t len;
	const uint8_t *b;
	char err[128];

	if (!d) {
		b = hid_eco650_descriptor(&len);
		if (!b)
			abort();
		d = hid_parse(b, len, err, sizeof(err), NULL);
		if (!d)
			abort();
	}
	return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct hid_desc *d = eco();
	uint8_t rep[64];

	if (size == 0 || size > sizeof(rep))
		return 0;
	for (size_t i = 0; i < d->nfields; i++) {
		const struct hid_field *f = &d->fields[i];
		size_t need = 1 + ((size_t)f->offset + f->size + 7) / 8;
		int64_t v, v2;
		double phys;
		int r;

		if (f->report_id != data[0])
			continue;
		memcpy(rep, data, size);
		r = hid_get_logical(f, rep, size, &v);
		if ((r == 0) != (need <= size))
			abort();
		if (r != 0)
			continue;
		if (v < f->log_min || v > f->log_max)
			abort();
		if (hid_get_value(f, rep, size, &phys) != 0 || phys != phys)
			abort();
		if (hid_set_logical(f, rep, size, v) != 0 || rep[0] != data[0])
			abort();
		if (hid_get_logical(f, rep, size, &v2) != 0 || v2 != v)
			abort();
		if (hid_set_value(f, rep, size, phys) != 0
				|| hid_get_logical(f, rep, size, &v2) != 0 || v2 != v)
			abort();
	}
	return 0;
}
