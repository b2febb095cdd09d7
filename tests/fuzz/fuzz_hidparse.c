/*
 * libFuzzer target for drivers/hidparse.c (+ hidnames.c, hidreport.c): any
 * bytes as a report descriptor. Whatever parses (fully or up to a
 * truncation) must have paths within HID_PATH_MAX that format and parse
 * back to the same string, fields that fit their report length, and
 * values read from a report built from the input must stay in the logical
 * range and survive a write/read round trip.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_path(const struct hid_desc *d, const struct hid_field *f)
{
	char s[HID_PATH_MAX * 48], s2[HID_PATH_MAX * 48];
	struct hid_path back;
	const struct hid_field *found;

	if (f->path.n < 1 || f->path.n > HID_PATH_MAX)
		abort();
	if (hid_path_format(&f->path, s, sizeof(s)) <= 0)
		abort();
	if (hid_path_parse(s, &back) != 0 || back.n != f->path.n)
		abort();
	/* names are not unique, so compare the printed form */
	if (hid_path_format(&back, s2, sizeof(s2)) <= 0 || strcmp(s, s2) != 0)
		abort();
	found = hid_find(d, s, f->type);
	if (!found || found->type != f->type)
		abort();
}

static void check_value(const struct hid_desc *d, const struct hid_field *f,
	const uint8_t *data, size_t size)
{
	uint8_t rep[HID_REPORT_MAX];
	size_t len = d->report_len[f->report_id];
	size_t need = (f->report_id ? 1 : 0) + ((size_t)f->offset + f->size + 7) / 8;
	int64_t v, v2;
	double phys;

	if (f->size < 1 || f->size > 32 || len > sizeof(rep) || need > len)
		abort();
	for (size_t i = 0; i < len; i++)
		rep[i] = size ? data[i % size] : 0;
	if (f->report_id)
		rep[0] = f->report_id;
	if (hid_get_logical(f, rep, len, &v) != 0)
		abort();
	if (f->log_min <= f->log_max && (v < f->log_min || v > f->log_max))
		abort();
	if (hid_get_value(f, rep, len, &phys) != 0)
		abort();
	if (hid_set_logical(f, rep, len, v) != 0 || hid_get_logical(f, rep, len, &v2) != 0)
		abort();
	/* one write normalises the bits; from then on reads are stable (an
	 * inverted range, LogMin > LogMax, flips between its two ends) */
	if (hid_set_logical(f, rep, len, v2) != 0 || hid_get_logical(f, rep, len, &v) != 0
			|| (v != v2 && f->log_min <= f->log_max))
		abort();
	if (hid_get_logical(f, rep, need - 1, &v) != -1)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[128];
	struct hid_desc *part = NULL;
	struct hid_desc *d = hid_parse(data, size, err, sizeof(err), &part);

	if (!d && !err[0])
		abort();
	if (!d)
		d = part;
	if (!d)
		return 0;
	if (d->nfields > HID_FIELDS_MAX)
		abort();
	for (size_t i = 0; i < d->nfields; i++) {
		check_path(d, &d->fields[i]);
		check_value(d, &d->fields[i], data, size);
	}
	hid_desc_free(d);
	return 0;
}
