/*
 * Unit tests for drivers/hidparse.c, hidnames.c and hiddesc.c: the
 * synthetic ECO 650 descriptor against the real field table and reports,
 * the partial real descriptors, parser state rules and hostile inputs.
 * Data: tests/data/hid (HID_TESTDATA).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hid.h"
#include "hiddesc.h"

#ifndef HID_TESTDATA
#define HID_TESTDATA "tests/data/hid"
#endif

/* ---------------------------------------------------------------- helpers */

static FILE *open_data(const char *name)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", HID_TESTDATA, name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	return f;
}

/* "06 64 52" -> bytes; returns the count */
static size_t parse_hex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned v;
	int used;

	while (n < cap && sscanf(s, " %2x%n", &v, &used) == 1) {
		out[n++] = (uint8_t)v;
		s += used;
	}
	return n;
}

static size_t read_hex_file(const char *name, uint8_t *out, size_t cap)
{
	FILE *f = open_data(name);
	char line[512];
	size_t n = 0;

	while (fgets(line, sizeof(line), f))
		n += parse_hex(line, out + n, cap - n);
	fclose(f);
	return n;
}

/* Split one CSV line (quotes allowed) into at most max fields, in place. */
static int csv_split(char *line, char **fields, int max)
{
	int n = 0;
	char *p = line;

	line[strcspn(line, "\r\n")] = '\0';
	while (n < max) {
		char *out = p;

		fields[n++] = p;
		if (*p == '"') {
			char *q = p + 1;

			while (*q && !(q[0] == '"' && q[1] != '"')) {
				if (q[0] == '"')
					q++;
				*out++ = *q++;
			}
			if (*q == '"')
				q++;
			p = q;
		} else {
			while (*p && *p != ',')
				*out++ = *p++;
		}
		if (*p != ',') {
			*out = '\0';
			break;
		}
		p++;
		*out = '\0';
	}
	return n;
}

static struct hid_desc *parse_ok(const uint8_t *b, size_t len)
{
	char err[128];
	struct hid_desc *d = hid_parse(b, len, err, sizeof(err), NULL);

	if (!d)
		fail_msg("parse failed: %s", err);
	return d;
}

/* Parse expecting an error whose message contains want. */
static void parse_fails(const uint8_t *b, size_t len, const char *want)
{
	char err[128];
	uint8_t *copy = malloc(len ? len : 1);
	struct hid_desc *d;

	assert_non_null(copy);
	memcpy(copy, b, len);
	d = hid_parse(copy, len, err, sizeof(err), NULL);
	free(copy);
	if (d)
		fail_msg("parse succeeded, expected \"%s\"", want);
	if (!strstr(err, want))
		fail_msg("error \"%s\" does not contain \"%s\"", err, want);
}

static struct hid_desc *eco(void)
{
	size_t len;
	const uint8_t *b = hid_eco650_descriptor(&len);

	assert_non_null(b);
	return parse_ok(b, len);
}

static enum hid_rtype rtype(const char *s)
{
	if (strcmp(s, "Input") == 0)
		return HID_INPUT;
	if (strcmp(s, "Output") == 0)
		return HID_OUTPUT;
	return HID_FEATURE;
}

/* ---------------------------------------------------------------- ECO 650 */

/* Every row of the real field table comes out of the synthetic descriptor:
 * rows with a report ID match in ID, offset, size and the given range,
 * unit and exponent, and decode their raw report to the logged value;
 * rows without an ID exist at that path. */
static void test_eco_field_table(void **state)
{
	struct hid_desc *d = eco();
	FILE *f = open_data("ellipse-eco-650.fields.csv");
	char line[1024];
	int observed = 0, located = 0, present = 0;

	(void)state;
	assert_non_null(fgets(line, sizeof(line), f));   /* header */
	while (fgets(line, sizeof(line), f)) {
		char *c[15];
		const struct hid_field *fl;
		int n = csv_split(line, c, 15);

		assert_int_equal(n, 15);
		if (strchr(c[2], '{'))
			continue;   /* the "Input twins expected" summary row */
		fl = hid_find(d, c[2], rtype(c[1]));
		if (!fl)
			fail_msg("%s (%s) missing", c[2], c[1]);
		if (strcmp(c[12], "OBSERVED") == 0)
			observed++;
		if (!*c[0]) {
			present++;
			continue;
		}
		located++;
		assert_int_equal(fl->report_id, strtol(c[0], NULL, 16));
		assert_int_equal(fl->offset, atoi(c[3]));
		assert_int_equal(fl->size, atoi(c[4]));
		if (*c[5])
			assert_int_equal(fl->log_min, atoll(c[5]));
		if (*c[6])
			assert_int_equal(fl->log_max, atoll(c[6]));
		if (*c[7])
			assert_int_equal(fl->unit, strtoul(c[7], NULL, 16));
		if (*c[8])
			assert_int_equal(fl->unit_exp, atoi(c[8]));
		if (*c[9] && *c[11]) {
			uint8_t rep[64];
			size_t len = parse_hex(c[11], rep, sizeof(rep));
			double v;

			assert_int_equal(rep[0], fl->report_id);
			assert_int_equal(len, d->report_len[fl->report_id]);
			assert_int_equal(hid_get_value(fl, rep, len, &v), 0);
			if (v != atof(c[9]))
				fail_msg("%s: %g, logged %s", c[2], v, c[9]);
		}
	}
	fclose(f);
	assert_int_equal(observed, 22);
	assert_int_equal(located, 30);
	assert_int_equal(present, 17);
	hid_desc_free(d);
}

/* The rows the descriptor is generated from are exactly what parses. */
static void test_eco_rows_roundtrip(void **state)
{
	struct hid_desc *d = eco();
	size_t n, fields = 0;
	const struct hiddesc_row *r = hid_eco650_rows(&n);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		const struct hid_field *f;

		if (!r[i].path)
			continue;
		fields++;
		f = hid_find(d, r[i].path, r[i].type);
		if (!f)
			fail_msg("row %zu %s missing", i, r[i].path);
		assert_int_equal(f->report_id, r[i].id);
		assert_int_equal(f->offset, r[i].offset);
		assert_int_equal(f->size, r[i].size);
		assert_int_equal(f->log_min, r[i].log_min);
		assert_int_equal(f->log_max, r[i].log_max);
		assert_int_equal(f->unit, r[i].unit);
		assert_int_equal(f->unit_exp, r[i].unit_exp);
		assert_int_equal(f->flags, 0x02);
		assert_false(f->log_max_assumed);
	}
	/* NUT counts 94 items on the real unit */
	assert_int_equal(fields, 94);
	assert_int_equal(d->nfields, 94);
	assert_true(d->has_report_ids);
	assert_int_equal(d->open_collections, 0);
	hid_desc_free(d);
}

/* Real lengths incl. the ID byte (devices/hid-parser.md section 5). */
static void test_eco_report_lengths(void **state)
{
	static const struct { uint8_t id, len; } want[] = {
		{ 0x01, 4 }, { 0x02, 5 }, { 0x06, 6 }, { 0x09, 5 }, { 0x0a, 5 },
		{ 0x0d, 4 }, { 0x10, 7 }, { 0x13, 3 }, { 0x1f, 2 }, { 0x20, 2 }, { 0x22, 2 },
	};
	struct hid_desc *d = eco();

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(d->report_len[want[i].id], want[i].len);
	assert_int_equal(d->report_len[0], 0);
	assert_int_equal(d->report_len[0x30], 0);
	hid_desc_free(d);
}

struct expect {
	const char *bytes;
	enum hid_rtype type;
	const char *path;
	int64_t value;
};

/* Every line of ellipse-eco-650.reports.txt decodes to what the logs and
 * the field table say. */
static const struct expect report_expect[] = {
	{ "01 25 00 00", HID_FEATURE, "UPS.PowerSummary.PresentStatus.ACPresent", 1 },
	{ "01 25 00 00", HID_FEATURE, "UPS.PowerSummary.PresentStatus.Charging", 1 },
	{ "01 25 00 00", HID_FEATURE, "UPS.PowerSummary.PresentStatus.Discharging", 0 },
	{ "01 25 00 00", HID_FEATURE, "UPS.PowerSummary.PresentStatus.InternalFailure", 0 },
	{ "01 30 00 00", HID_FEATURE, "UPS.PowerSummary.PresentStatus.ACPresent", 0 },
	{ "01 30 00 00", HID_FEATURE, "UPS.PowerSummary.PresentStatus.Discharging", 1 },
	{ "01 30 00 00", HID_FEATURE, "UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", 0 },
	{ "01 30 00 00", HID_INPUT, "UPS.PowerSummary.PresentStatus.Overload", 0 },
	{ "01 30 00 01", HID_INPUT, "UPS.PowerSummary.PresentStatus.ShutdownImminent", 1 },
	{ "01 30 00 01", HID_FEATURE, "UPS.PowerSummary.PresentStatus.Discharging", 1 },
	{ "02 01 00 00 01", HID_INPUT, "UPS.OutletSystem.Outlet.[2].PresentStatus.Present", 1 },
	{ "06 64 52 05 00 00", HID_FEATURE, "UPS.PowerSummary.RemainingCapacity", 100 },
	{ "06 64 52 05 00 00", HID_FEATURE, "UPS.PowerSummary.RunTimeToEmpty", 1362 },
	{ "06 5c 62 02 00 00", HID_INPUT, "UPS.PowerSummary.RemainingCapacity", 92 },
	{ "06 5c 62 02 00 00", HID_INPUT, "UPS.PowerSummary.RunTimeToEmpty", 610 },
	{ "09 ff ff ff ff", HID_FEATURE, "UPS.PowerSummary.DelayBeforeShutdown", -1 },
	{ "0a ff ff ff ff", HID_FEATURE, "UPS.PowerSummary.DelayBeforeStartup", -1 },
	{ "0d 8a 02 32", HID_FEATURE, "UPS.Flow.[4].ConfigApparentPower", 650 },
	{ "0d 8a 02 32", HID_FEATURE, "UPS.Flow.[4].ConfigFrequency", 50 },
	{ "10 05 01 03 02 04 06", HID_FEATURE, "UPS.PowerSummary.iDeviceChemistry", 5 },
	{ "10 05 01 03 02 04 06", HID_FEATURE, "UPS.PowerSummary.iManufacturer", 1 },
	{ "10 05 01 03 02 04 06", HID_FEATURE, "UPS.PowerSummary.iModel", 3 },
	{ "10 05 01 03 02 04 06", HID_FEATURE, "UPS.PowerSummary.iVersion", 6 },
	{ "13 08 01", HID_FEATURE, "UPS.PowerConverter.Output.HighVoltageTransfer", 264 },
	{ "1f 02", HID_FEATURE, "UPS.PowerSummary.AudibleAlarmControl", 2 },
	{ "20 01", HID_FEATURE, "UPS.BatterySystem.Battery.AudibleAlarmControl", 1 },
	{ "22 14", HID_FEATURE, "UPS.PowerSummary.RemainingCapacityLimitSetting", 20 },
};

static void test_eco_captured_reports(void **state)
{
	struct hid_desc *d = eco();
	FILE *f = open_data("ellipse-eco-650.reports.txt");
	char line[256];
	int lines = 0;
	size_t nexp = sizeof(report_expect) / sizeof(report_expect[0]);
	bool *used = calloc(nexp, sizeof(bool));

	(void)state;
	assert_non_null(used);
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		uint8_t rep[64];
		size_t len;
		int matched = 0;

		if (line[0] == '#' || !colon)
			continue;
		lines++;
		len = parse_hex(colon + 1, rep, sizeof(rep));
		/* every captured report has the length the descriptor declares */
		assert_int_equal(len, d->report_len[rep[0]]);
		for (size_t i = 0; i < nexp; i++) {
			uint8_t want[64];
			size_t wlen = parse_hex(report_expect[i].bytes, want, sizeof(want));
			const struct hid_field *fl;
			int64_t v;

			if (wlen != len || memcmp(want, rep, len) != 0)
				continue;
			fl = hid_find(d, report_expect[i].path, report_expect[i].type);
			assert_non_null(fl);
			assert_int_equal(fl->report_id, rep[0]);
			assert_int_equal(hid_get_logical(fl, rep, len, &v), 0);
			if (v != report_expect[i].value)
				fail_msg("%s: %s = %lld, want %lld", report_expect[i].bytes,
					report_expect[i].path, (long long)v,
					(long long)report_expect[i].value);
			used[i] = true;
			matched++;
		}
		if (!matched)
			fail_msg("no expectation for captured report %s", colon + 1);
	}
	fclose(f);
	assert_int_equal(lines, 14);
	for (size_t i = 0; i < nexp; i++)
		if (!used[i])
			fail_msg("expectation %s %s not in the capture file",
				report_expect[i].bytes, report_expect[i].path);
	free(used);
	hid_desc_free(d);
}

/* The interrupt report 0x06 carries two Input items (NUT: "Got 2 HID
 * objects"); Feature-first lookup finds the Feature twin. */
static void test_eco_twins(void **state)
{
	struct hid_desc *d = eco();
	const struct hid_field *a, *b;
	int inputs = 0;

	(void)state;
	for (size_t i = 0; i < d->nfields; i++)
		if (d->fields[i].report_id == 0x06 && d->fields[i].type == HID_INPUT)
			inputs++;
	assert_int_equal(inputs, 2);
	a = hid_find(d, "UPS.PowerSummary.RunTimeToEmpty", 0);
	b = hid_find(d, "UPS.PowerSummary.RunTimeToEmpty", HID_INPUT);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(a->type, HID_FEATURE);
	assert_true(hid_path_equal(&a->path, &b->path));
	assert_null(hid_find(d, "UPS.PowerSummary.RunTimeToEmpty", HID_OUTPUT));
	assert_null(hid_find(d, "UPS.PowerSummary.DelayBeforeReboot", 0));
	assert_null(hid_find(d, "UPS.BatterySystem.Battery.Test", 0));
	hid_desc_free(d);
}

/* Every prefix of the descriptor, in an exactly sized buffer (ASan sees
 * any overread): either parses, or fails with a truncation message. */
static void test_eco_every_prefix(void **state)
{
	size_t len;
	const uint8_t *b = hid_eco650_descriptor(&len);
	int truncated = 0;

	(void)state;
	for (size_t n = 0; n < len; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		char err[128];
		struct hid_desc *part = NULL, *d;

		assert_non_null(copy);
		memcpy(copy, b, n);
		d = hid_parse(copy, n, err, sizeof(err), &part);
		if (d) {
			assert_null(part);
			assert_true(d->nfields <= 94);
			hid_desc_free(d);
		} else {
			assert_non_null(strstr(err, "truncated"));
			assert_non_null(part);
			hid_desc_free(part);
			truncated++;
		}
		free(copy);
	}
	assert_true(truncated > 0);
}

/* ---------------------------------------------------------------- real partial descriptors */

static void test_partial_5sc(void **state)
{
	uint8_t b[64];
	size_t n = read_hex_file("eaton-5sc.report-descriptor.PARTIAL-14-of-1538-bytes.hex",
		b, sizeof(b));
	uint8_t *copy = malloc(n);
	struct hid_desc *d;

	(void)state;
	assert_int_equal(n, 14);
	memcpy(copy, b, n);
	/* ends between items, inside UPS.BatterySystem.Battery */
	d = parse_ok(copy, n);
	assert_int_equal(d->nfields, 0);
	assert_int_equal(d->open_collections, 3);
	assert_false(d->has_report_ids);
	hid_desc_free(d);
	free(copy);
}

static void test_partial_mge750(void **state)
{
	uint8_t b[128];
	size_t n = read_hex_file("mge-ellipse-750.report-descriptor.PARTIAL-39-of-769-bytes.hex",
		b, sizeof(b));
	uint8_t *copy = malloc(n);
	char err[128];
	struct hid_desc *part, *d;
	static const uint8_t rest[] = {
		0x69, 0x00, 0x84, 0x00,   /* ...the 4-byte Usage: ShutdownImminent */
		0xb1, 0x02, 0xc0, 0xc0, 0xc0,
	};
	static const char *const want[] = { "ACPresent", "Charging", "Discharging",
		"BelowRemainingCapacityLimit", "ShutdownImminent" };

	(void)state;
	assert_int_equal(n, 39);
	memcpy(copy, b, n);
	d = hid_parse(copy, n, err, sizeof(err), &part);
	assert_null(d);
	assert_string_equal(err, "truncated item at byte 38");
	assert_non_null(part);
	assert_int_equal(part->nfields, 0);
	assert_int_equal(part->open_collections, 3);
	assert_true(part->has_report_ids);
	hid_desc_free(part);
	free(copy);

	/* completed with the 4-byte usage: not combined with page 0x85 */
	memcpy(b + n, rest, sizeof(rest));
	d = parse_ok(b, n + sizeof(rest));
	assert_int_equal(d->nfields, 5);
	for (unsigned i = 0; i < 5; i++) {
		char p[128];
		const struct hid_field *f = &d->fields[i];

		assert_true(hid_path_format(&f->path, p, sizeof(p)) > 0);
		assert_true(strncmp(p, "UPS.PowerSummary.PresentStatus.", 31) == 0);
		assert_string_equal(p + 31, want[i]);
		assert_int_equal(f->offset, i);
		assert_int_equal(f->size, 1);
		assert_int_equal(f->report_id, 1);
	}
	assert_int_equal(d->fields[4].path.node[3], 0x00840069);
	assert_int_equal(d->fields[0].path.node[3], 0x008500d0);
	assert_int_equal(d->report_len[1], 2);
	hid_desc_free(d);
}

/* ---------------------------------------------------------------- parser rules */

static void test_vendor_collection_index(void **state)
{
	static const uint8_t b[] = {
		0x05, 0x84, 0x09, 0x04, 0xa1, 0x01,
		0x09, 0x1e, 0xa1, 0x84,               /* Flow, vendor type 0x84 */
		0x85, 0x01, 0x75, 0x08, 0x95, 0x01, 0x15, 0x00, 0x26, 0xff, 0x00,
		0x09, 0x40, 0xb1, 0x02,               /* ConfigVoltage */
		0xc0,                                 /* pops Flow and [4] */
		0x09, 0x43, 0xb1, 0x02,               /* ConfigApparentPower */
		0xc0,
	};
	struct hid_desc *d = parse_ok(b, sizeof(b));
	char p[128];

	(void)state;
	assert_int_equal(d->nfields, 2);
	assert_int_equal(d->fields[0].path.n, 4);
	assert_int_equal(d->fields[0].path.node[2], HID_USAGE_INDEX(4));
	assert_true(HID_IS_INDEX(d->fields[0].path.node[2]));
	assert_int_equal(hid_path_format(&d->fields[0].path, p, sizeof(p)), 26);
	assert_string_equal(p, "UPS.Flow.[4].ConfigVoltage");
	hid_path_format(&d->fields[1].path, p, sizeof(p));
	assert_string_equal(p, "UPS.ConfigApparentPower");
	assert_int_equal(d->fields[1].offset, 8);
	assert_int_equal(d->report_len[1], 3);
	hid_desc_free(d);
}

static void test_input_feature_independent_offsets(void **state)
{
	static const uint8_t b[] = {
		0x05, 0x85, 0x85, 0x06, 0x95, 0x01, 0x15, 0x00, 0x26, 0xff, 0x00,
		0x75, 0x08, 0x09, 0x66, 0xb1, 0x02,   /* Feature RemainingCapacity 8 bits */
		0x75, 0x10, 0x09, 0x66, 0x81, 0x02,   /* Input RemainingCapacity 16 bits */
		0x75, 0x04, 0x09, 0x68, 0xb1, 0x02,   /* Feature RunTimeToEmpty */
		0x09, 0x68, 0x81, 0x02,               /* Input RunTimeToEmpty */
	};
	struct hid_desc *d = parse_ok(b, sizeof(b));
	const struct hid_field *f;

	(void)state;
	f = hid_find(d, "RunTimeToEmpty", HID_FEATURE);
	assert_non_null(f);
	assert_int_equal(f->offset, 8);
	assert_int_equal(f->size, 4);
	f = hid_find(d, "RunTimeToEmpty", HID_INPUT);
	assert_non_null(f);
	assert_int_equal(f->offset, 16);
	f = hid_find(d, "RemainingCapacity", HID_INPUT);
	assert_int_equal(f->size, 16);
	assert_int_equal(f->offset, 0);
	/* longest of both layouts: 20 bits -> 3 bytes + ID */
	assert_int_equal(d->report_len[6], 4);
	hid_desc_free(d);
}

static void test_usage_page_and_local_state(void **state)
{
	static const uint8_t b[] = {
		0x05, 0x84, 0x85, 0x01, 0x75, 0x08, 0x15, 0x00, 0x25, 0x01,
		0x09, 0x10, 0x09, 0x11,          /* a second usage before a collection */
		0xa1, 0x00, 0x95, 0x01,
		0x0b, 0x44, 0x00, 0x85, 0x00,    /* 4-byte usage on page 0x85 */
		0x0a, 0x30, 0x00,                /* 2-byte usage on page 0x84 */
		0x95, 0x02, 0xb1, 0x02,
		0xa4, 0x05, 0x85, 0x15, 0xff, 0xb4,   /* push, change page and LogMin, pop */
		0x09, 0x61, 0x95, 0x03, 0xb1, 0x02,   /* 1 usage, count 3: 2 continuations */
		0x09, 0x62, 0x95, 0x01, 0xb1, 0x02,
		0xc0,
	};
	struct hid_desc *d = parse_ok(b, sizeof(b));

	(void)state;
	assert_int_equal(d->nfields, 4);
	/* leftover usage 0x11 did not leak into the field */
	assert_int_equal(d->fields[0].path.n, 2);
	assert_int_equal(d->fields[0].path.node[0], 0x00840010);
	assert_int_equal(d->fields[0].path.node[1], 0x00850044);
	assert_int_equal(d->fields[1].path.node[1], 0x00840030);
	/* pop restored page 0x84 and LogMin 0 */
	assert_int_equal(d->fields[2].path.node[1], 0x00840061);
	assert_int_equal(d->fields[2].log_min, 0);
	assert_int_equal(d->fields[2].offset, 16);
	/* the continuations moved the offset by 2 x 8 */
	assert_int_equal(d->fields[3].offset, 40);
	assert_int_equal(d->report_len[1], 7);
	hid_desc_free(d);
}

static void test_usage_min_max(void **state)
{
	static const uint8_t b[] = {
		0x05, 0x85, 0x85, 0x01, 0x75, 0x01, 0x95, 0x04, 0x15, 0x00, 0x25, 0x01,
		0x19, 0x44, 0x29, 0x46,          /* Charging..FullyCharged */
		0xb1, 0x02,
		0x29, 0xd1, 0x19, 0xd0, 0x95, 0x02, 0x81, 0x02,   /* max before min */
	};
	struct hid_desc *d = parse_ok(b, sizeof(b));

	(void)state;
	assert_int_equal(d->nfields, 5);
	assert_int_equal(d->fields[0].path.node[0], 0x00850044);
	assert_int_equal(d->fields[2].path.node[0], 0x00850046);
	assert_int_equal(d->fields[2].offset, 2);
	assert_int_equal(d->fields[3].path.node[0], 0x008500d0);
	assert_int_equal(d->fields[4].path.node[0], 0x008500d1);
	assert_int_equal(d->fields[4].type, HID_INPUT);
	assert_int_equal(d->fields[4].offset, 1);
	hid_desc_free(d);
}

static void test_numbers(void **state)
{
	static const uint8_t b[] = {
		0x85, 0x01, 0x75, 0x10, 0x95, 0x01, 0x09, 0x01,
		0x15, 0x00, 0x26, 0xff, 0xff,                 /* 0..-1: the firmware bug */
		0x55, 0x0f, 0x67, 0x21, 0xd1, 0xf0, 0x00, 0xb1, 0x02,
		0x16, 0x00, 0x80, 0x26, 0xff, 0x7f,           /* -32768..32767 */
		0x55, 0xff, 0x09, 0x02, 0xb1, 0x02,           /* exponent as a full byte */
		0x17, 0x00, 0x00, 0x00, 0x80, 0x27, 0xff, 0xff, 0xff, 0x7f,
		0x55, 0x08, 0x35, 0x9c, 0x46, 0xe8, 0x03, 0x09, 0x03, 0xb1, 0x02,
		0x15, 0x00, 0x27, 0xff, 0xff, 0xff, 0xff,     /* 0..0xffffffff */
		0x55, 0x07, 0x09, 0x04, 0xb1, 0x02,
	};
	struct hid_desc *d = parse_ok(b, sizeof(b));
	const struct hid_field *f = d->fields;

	(void)state;
	assert_int_equal(d->nfields, 4);
	assert_int_equal(f[0].log_min, 0);
	assert_int_equal(f[0].log_max, 65535);
	assert_true(f[0].log_max_assumed);
	assert_int_equal(f[0].unit_exp, -1);
	assert_int_equal(f[0].unit, 0x00f0d121);
	assert_false(f[0].has_phy);
	assert_int_equal(f[1].log_min, -32768);
	assert_int_equal(f[1].log_max, 32767);
	assert_false(f[1].log_max_assumed);
	assert_int_equal(f[1].unit_exp, -1);
	assert_int_equal(f[2].log_min, INT32_MIN);
	assert_int_equal(f[2].log_max, INT32_MAX);
	assert_int_equal(f[2].unit_exp, -8);
	assert_int_equal(f[2].phy_min, -100);
	assert_int_equal(f[2].phy_max, 1000);
	assert_true(f[2].has_phy);
	assert_int_equal(f[3].log_max, 0xffffffffLL);
	assert_true(f[3].log_max_assumed);
	assert_int_equal(f[3].unit_exp, 7);
	hid_desc_free(d);
}

static void test_long_items_and_no_ids(void **state)
{
	static const uint8_t b[] = {
		0xfe, 0x03, 0x10, 0xaa, 0xbb, 0xcc,   /* long item, skipped */
		0x05, 0x84, 0x75, 0x08, 0x95, 0x01, 0x26, 0xff, 0x00,
		0x09, 0x35, 0x81, 0x02,
		0xfe, 0x00, 0x11,                     /* empty long item */
		0x0c,                                 /* reserved type, skipped */
		0x09, 0x36, 0x75, 0x10, 0x81, 0x02,
	};
	struct hid_desc *d = parse_ok(b, sizeof(b));
	uint8_t rep[3] = { 0x2a, 0x10, 0x01 };
	int64_t v;

	(void)state;
	assert_int_equal(d->nfields, 2);
	assert_false(d->has_report_ids);
	assert_int_equal(d->fields[1].report_id, 0);
	assert_int_equal(d->report_len[0], 3);
	assert_int_equal(hid_get_logical(&d->fields[0], rep, 3, &v), 0);
	assert_int_equal(v, 42);
	hid_desc_free(d);
}

static void test_hostile(void **state)
{
	uint8_t b[4096];
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 20; i++) {
		b[n++] = 0x09;
		b[n++] = 0x04;
		b[n++] = 0xa1;
		b[n++] = 0x00;
	}
	parse_fails(b, n, "nesting deeper");
	/* vendor collections take two nodes each */
	n = 0;
	for (int i = 0; i < 8; i++) {
		b[n++] = 0x09;
		b[n++] = 0x20;
		b[n++] = 0xa1;
		b[n++] = 0x81;
	}
	parse_fails(b, n, "nesting deeper");

	static const uint8_t huge_count[] = { 0x85, 0x01, 0x75, 0x20, 0x97, 0xff, 0xff, 0xff, 0xff,
		0x09, 0x01, 0xb1, 0x02 };
	parse_fails(huge_count, sizeof(huge_count), "longer than");
	static const uint8_t huge_size[] = { 0x75, 0xff, 0x96, 0xff, 0x00, 0x81, 0x03 };
	parse_fails(huge_size, sizeof(huge_size), "longer than");
	static const uint8_t pop_empty[] = { 0x05, 0x84, 0xb4 };
	parse_fails(pop_empty, sizeof(pop_empty), "Pop with an empty stack");
	n = 0;
	for (int i = 0; i < 17; i++)
		b[n++] = 0xa4;
	parse_fails(b, n, "Push deeper");
	static const uint8_t size3[] = { 0x05, 0x84, 0x27, 0xff, 0xff };
	parse_fails(size3, sizeof(size3), "truncated item at byte 2");
	static const uint8_t long_cut[] = { 0x05, 0x84, 0xfe, 0x05, 0x10, 0xaa };
	parse_fails(long_cut, sizeof(long_cut), "truncated long item at byte 2");
	static const uint8_t long_cut2[] = { 0xfe };
	parse_fails(long_cut2, sizeof(long_cut2), "truncated long item");
	static const uint8_t end_without[] = { 0x09, 0x04, 0xc0 };
	parse_fails(end_without, sizeof(end_without), "End Collection without");
	static const uint8_t id0[] = { 0x84 };
	parse_fails(id0, sizeof(id0), "invalid report ID");
	static const uint8_t id_wide[] = { 0x86, 0x00, 0x01 };
	parse_fails(id_wide, sizeof(id_wide), "invalid report ID");
	static const uint8_t range[] = { 0x05, 0x84, 0x19, 0x00, 0x2a, 0xff, 0xff };
	parse_fails(range, sizeof(range), "too large");
	static const uint8_t range_pages[] = { 0x05, 0x84, 0x19, 0x01, 0x2b, 0x02, 0x00, 0x85, 0x00 };
	parse_fails(range_pages, sizeof(range_pages), "two pages");

	/* 1025 usages before one main item */
	n = 0;
	for (int i = 0; i < 1025; i++) {
		b[n++] = 0x09;
		b[n++] = 0x01;
	}
	parse_fails(b, n, "usages before");

	/* more fields than HID_FIELDS_MAX: 5 x (1000-usage range, count 1000, 1 bit) */
	n = 0;
	b[n++] = 0x85; b[n++] = 0x01; b[n++] = 0x75; b[n++] = 0x01;
	b[n++] = 0x96; b[n++] = 0xe8; b[n++] = 0x03;
	for (int i = 0; i < 5; i++) {
		b[n++] = 0x19; b[n++] = 0x01;
		b[n++] = 0x2a; b[n++] = 0xe8; b[n++] = 0x03;
		b[n++] = 0xb1; b[n++] = 0x02;
	}
	parse_fails(b, n, "more than 4096 fields");

	uint8_t *big = calloc(HID_DESC_MAX + 1, 1);
	assert_non_null(big);
	parse_fails(big, HID_DESC_MAX + 1, "larger than");
	free(big);
}

/* Random garbage never crashes, and whatever parses stays within limits. */
static void test_garbage(void **state)
{
	uint32_t x = 12345;

	(void)state;
	for (int round = 0; round < 2000; round++) {
		size_t n = 1 + round % 200;
		uint8_t *b = malloc(n);
		char err[128];
		struct hid_desc *part = NULL, *d;

		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			b[i] = (uint8_t)(x >> 16);
		}
		d = hid_parse(b, n, err, sizeof(err), &part);
		if (!d)
			d = part;
		for (size_t i = 0; d && i < d->nfields; i++) {
			char p[512];

			assert_true(d->fields[i].path.n <= HID_PATH_MAX);
			assert_true(hid_path_format(&d->fields[i].path, p, sizeof(p)) > 0);
		}
		hid_desc_free(d);
		free(b);
	}
}

/* ---------------------------------------------------------------- names */

static void test_names(void **state)
{
	struct hid_path p;
	char s[64];
	hid_usage_t u;

	(void)state;
	assert_string_equal(hid_usage_name(0x00840004), "UPS");
	assert_string_equal(hid_usage_name(0x00840024), "PowerSummary");
	assert_string_equal(hid_usage_name(0x008500d0), "ACPresent");
	assert_string_equal(hid_usage_name(0x0084006b), "SwitchOn/Off");
	assert_string_equal(hid_usage_name(0xffff004d), "RemainingCapacityLimitSetting");
	assert_string_equal(hid_usage_name(0xffff00f0), "iModel");
	assert_string_equal(hid_usage_name(0xffff0098), "Code");
	assert_string_equal(hid_usage_name(0x00850089), "iDeviceChemistry");
	assert_null(hid_usage_name(0xffff00bb));
	assert_null(hid_usage_name(0x00010030));
	assert_null(hid_usage_name(HID_USAGE_INDEX(1)));

	assert_int_equal(hid_usage_lookup("VoltageOutOfRange", 17, &u), 0);
	assert_int_equal(u, 0x00840063);
	assert_int_equal(hid_usage_lookup("ECOControlX", 10, &u), 0);
	assert_int_equal(u, 0xffff0085);
	assert_int_equal(hid_usage_lookup("Nope", 4, &u), -1);

	/* ffff00ba has a name (iDesignator); ffff00bb has none */
	assert_int_equal(hid_path_parse("UPS.OutletSystem.Outlet.[1].ffff00ba", &p), 0);
	assert_int_equal(hid_path_format(&p, s, sizeof(s)), 39);
	assert_string_equal(s, "UPS.OutletSystem.Outlet.[1].iDesignator");
	assert_int_equal(hid_path_parse("UPS.OutletSystem.Outlet.[1].ffff00bb", &p), 0);
	assert_int_equal(p.n, 5);
	assert_int_equal(p.node[3], HID_USAGE_INDEX(1));
	assert_int_equal(p.node[4], 0xffff00bb);
	assert_int_equal(hid_path_format(&p, s, sizeof(s)), 36);
	assert_string_equal(s, "UPS.OutletSystem.Outlet.[1].ffff00bb");
	assert_int_equal(hid_path_format(&p, s, 36), -1);
	assert_int_equal(hid_path_format(&p, s, 37), 36);
	assert_int_equal(hid_path_parse("UPS.FFFF00BA", &p), 0);
	assert_int_equal(p.node[1], 0xffff00ba);

	assert_int_equal(hid_path_parse("", &p), -1);
	assert_int_equal(hid_path_parse("UPS..Flow", &p), -1);
	assert_int_equal(hid_path_parse("UPS.", &p), -1);
	assert_int_equal(hid_path_parse("UPS.[x]", &p), -1);
	assert_int_equal(hid_path_parse("UPS.[]", &p), -1);
	assert_int_equal(hid_path_parse("UPS.Bogus", &p), -1);
	assert_int_equal(hid_path_parse("UPS.ffff00b", &p), -1);
	assert_int_equal(hid_path_parse("UPS.ffff00bag", &p), -1);
	assert_int_equal(hid_path_parse("A.A.A.A.A.A.A.A.A.A.A.A.A.A.A.A", &p), -1);
	assert_int_equal(hid_path_parse("UPS.UPS.UPS.UPS.UPS.UPS.UPS.UPS.UPS.UPS.UPS.UPS.UPS.UPS.UPS.UPS", &p), 0);
	assert_int_equal(p.n, 16);
	assert_int_equal(hid_path_parse("UPS.UPS.UPS.UPS.UPS.UPS.UPS.UPS.UPS.UPS.UPS.UPS.UPS.UPS.UPS.UPS.UPS", &p), -1);
}

/* "VoltageOutOfRange" names two usages: a path string finds either. */
static void test_find_duplicate_name(void **state)
{
	static const uint8_t b[] = {
		0x05, 0x85, 0x85, 0x01, 0x75, 0x08, 0x95, 0x01, 0x25, 0x01,
		0x09, 0xd8, 0xb1, 0x02,
	};
	struct hid_desc *d = parse_ok(b, sizeof(b));
	const struct hid_field *f = hid_find(d, "VoltageOutOfRange", 0);

	(void)state;
	assert_non_null(f);
	assert_int_equal(f->path.node[0], 0x008500d8);
	assert_non_null(hid_find(d, "008500d8", HID_FEATURE));
	/* the other page's number prints with the same name, so it matches too */
	assert_non_null(hid_find(d, "00840063", HID_FEATURE));
	assert_null(hid_find(d, "ffff0063", HID_FEATURE));
	assert_null(hid_find(d, "VoltageOutOfRange", HID_INPUT));
	assert_null(hid_find(d, "not a path", 0));
	hid_desc_free(d);
}

/* ---------------------------------------------------------------- writer */

static void test_writer_encodings(void **state)
{
	uint8_t b[64];
	struct hiddesc w;
	static const uint8_t want[] = {
		0x06, 0xff, 0xff,                 /* usage page 0xffff */
		0x09, 0x4d,                       /* usage on that page: short */
		0x0b, 0x04, 0x00, 0x84, 0x00,     /* other page: 4-byte */
		0x14,                             /* logical min 0: no data */
		0x15, 0xff,                       /* -1 */
		0x26, 0xff, 0x00,                 /* 255 */
		0x27, 0xff, 0xff, 0x00, 0x00,     /* 65535 */
		0x27, 0xff, 0xff, 0xff, 0xff,     /* 0xffffffff as raw bytes */
		0x16, 0x00, 0x80,                 /* -32768 */
		0x55, 0x0f,                       /* exponent -1 as a nibble */
		0x67, 0x21, 0xd1, 0xf0, 0x00,     /* unit volt */
		0x85, 0x01, 0xa1, 0x84, 0xb1, 0x02, 0x81, 0x03, 0x92, 0x02, 0x01, 0xc0,
	};

	(void)state;
	hiddesc_init(&w, b, sizeof(b));
	hiddesc_usage_page(&w, 0xffff);
	hiddesc_usage(&w, 0xffff004d);
	hiddesc_usage(&w, 0x00840004);
	hiddesc_logical_min(&w, 0);
	hiddesc_logical_min(&w, -1);
	hiddesc_logical_max(&w, 255);
	hiddesc_logical_max(&w, 65535);
	hiddesc_logical_max(&w, 0xffffffffLL);
	hiddesc_logical_min(&w, -32768);
	hiddesc_unit_exponent(&w, -1);
	hiddesc_unit(&w, 0x00f0d121);
	hiddesc_report_id(&w, 1);
	hiddesc_collection(&w, 0x84);
	hiddesc_feature(&w, 0x02);
	hiddesc_input(&w, 0x03);
	hiddesc_output(&w, 0x102);
	hiddesc_end_collection(&w);
	assert_int_equal(hiddesc_len(&w), sizeof(want));
	assert_memory_equal(b, want, sizeof(want));

	/* overflow stops cleanly */
	hiddesc_init(&w, b, 4);
	hiddesc_usage_page(&w, 0x84);
	hiddesc_usage(&w, 0x00840004);
	assert_int_equal(hiddesc_len(&w), 4);
	hiddesc_usage(&w, 0x00840004);
	assert_int_equal(hiddesc_len(&w), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eco_field_table),
		cmocka_unit_test(test_eco_rows_roundtrip),
		cmocka_unit_test(test_eco_report_lengths),
		cmocka_unit_test(test_eco_captured_reports),
		cmocka_unit_test(test_eco_twins),
		cmocka_unit_test(test_eco_every_prefix),
		cmocka_unit_test(test_partial_5sc),
		cmocka_unit_test(test_partial_mge750),
		cmocka_unit_test(test_vendor_collection_index),
		cmocka_unit_test(test_input_feature_independent_offsets),
		cmocka_unit_test(test_usage_page_and_local_state),
		cmocka_unit_test(test_usage_min_max),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_long_items_and_no_ids),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_find_duplicate_name),
		cmocka_unit_test(test_writer_encodings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
