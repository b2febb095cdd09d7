/*
 * Unit tests for drivers/hidreport.c: NUT's getvaluetest vectors, real
 * Eaton reports (ECO 650, 5SC), masking/sign/clamping, unit scaling,
 * physical ranges and writes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hid.h"

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

static struct hid_field field(uint8_t id, uint32_t offset, uint32_t size,
	int64_t lmin, int64_t lmax)
{
	struct hid_field f;

	memset(&f, 0, sizeof(f));
	f.report_id = id;
	f.type = HID_FEATURE;
	f.offset = offset;
	f.size = size;
	f.log_min = lmin;
	f.log_max = lmax;
	return f;
}

/* NUT tests/getvaluetest.c (devices/hid-parser.md section 6); the buffer
 * starts with the report ID. */
static void test_nut_vectors(void **state)
{
	static const struct {
		const char *bytes;
		uint32_t offset, size;
		int64_t lmin, lmax, want;
	} v[] = {
		{ "00 ff ff ff ff", 0, 32, -1, 2147483647, -1 },
		{ "00 ff", 0, 8, -1, 127, -1 },
		{ "00 ff", 0, 8, 0, 127, 127 },
		{ "00 ff", 0, 8, 0, 255, 255 },
		{ "33 00 0a 08 80", 0, 32, 0, 65535, 2560 },
		{ "00 00 08 00 00", 0, 32, 0, 65535, 2048 },
		{ "06 00 00 08", 16, 8, 0, 255, 8 },
		{ "16 0c 00 00 00", 2, 1, 0, 1, 1 },
		{ "16 0c 00 00 00", 3, 1, 0, 1, 1 },
		{ "16 0c 00 00 00", 4, 1, 0, 1, 0 },
		{ "0c 64 11 0d", 8, 16, 0, 65535, 3345 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t b[16];
		size_t n = parse_hex(v[i].bytes, b, sizeof(b));
		struct hid_field f = field(b[0] ? b[0] : 1, v[i].offset, v[i].size,
			v[i].lmin, v[i].lmax);
		int64_t got;

		assert_int_equal(hid_get_logical(&f, b, n, &got), 0);
		if (got != v[i].want)
			fail_msg("vector %zu (%s): %lld, want %lld", i, v[i].bytes,
				(long long)got, (long long)v[i].want);
	}
}

/* Real Eaton reports with the attributes the logs printed. */
static void test_eaton_vectors(void **state)
{
	static const struct {
		const char *bytes;
		uint32_t offset, size;
		int64_t lmin, lmax;
		uint32_t unit;
		int8_t exp;
		double want;
	} v[] = {
		/* ECO 650 */
		{ "06 64 52 05 00 00", 0, 8, 0, 255, 0, 0, 100 },
		{ "06 64 52 05 00 00", 8, 32, 0, 2147483647, 0x00001001, 0, 1362 },
		{ "06 5c 62 02 00 00", 8, 32, 0, 2147483647, 0x00001001, 0, 610 },
		{ "09 ff ff ff ff", 0, 32, -1, 2147483647, 0x00001001, 0, -1 },
		{ "13 08 01", 0, 16, 0, 65535, 0x00f0d121, 7, 264 },
		{ "0d 8a 02 32", 0, 16, 0, 65535, 0, 0, 650 },
		{ "0d 8a 02 32", 16, 8, 0, 255, 0x0000f001, 0, 50 },
		{ "01 30 00 01", 16, 8, 0, 255, 0, 0, 1 },
		{ "01 30 00 00", 4, 1, 0, 1, 0, 0, 1 },
		/* 5SC: battery voltage UnitExp 6 -> x0.1, frequency UnitExp -1 */
		{ "07 1d 02 01", 8, 16, 0, 65535, 0x00f0d121, 6, 25.8 },
		{ "42 6e 00 89 00 06 00 48 f3 01 50 ec 08", 56, 16, 0, 65535, 0x0000f001, -1, 49.9 },
		{ "18 0c 3a c4 04", 0, 32, 0, 2147483647, 0x00001001, 0, 79968780 },
		{ "4d e9 00", 0, 16, 0, 65535, 0x00f0d121, 7, 233 },
		{ "32 00 00 00 00 01 00", 32, 8, 0, 255, 0, 0, 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t b[32];
		size_t n = parse_hex(v[i].bytes, b, sizeof(b));
		struct hid_field f = field(b[0], v[i].offset, v[i].size, v[i].lmin, v[i].lmax);
		double got;

		f.unit = v[i].unit;
		f.unit_exp = v[i].exp;
		assert_int_equal(hid_get_value(&f, b, n, &got), 0);
		if (fabs(got - v[i].want) > 1e-9)
			fail_msg("vector %zu (%s): %.10g, want %g", i, v[i].bytes, got, v[i].want);
	}
}

/* A Minuteman-style broken exponent is applied as declared (per field). */
static void test_unit_scaling(void **state)
{
	uint8_t b[] = { 0x01, 0xd1, 0x00 };
	struct hid_field f = field(1, 0, 16, 0, 65535);
	double v;

	(void)state;
	f.unit = 0x00f0d121;
	f.unit_exp = 1;
	assert_int_equal(hid_get_value(&f, b, sizeof(b), &v), 0);
	assert_true(fabs(v - 0.000209) < 1e-12);
	f.unit = 0x0000d121;      /* VA/W also have base 7 */
	f.unit_exp = 7;
	assert_int_equal(hid_get_value(&f, b, sizeof(b), &v), 0);
	assert_true(v == 209.0);
	f.unit = 0x00100001;      /* ampere: base 0 */
	f.unit_exp = -2;
	assert_int_equal(hid_get_value(&f, b, sizeof(b), &v), 0);
	assert_true(fabs(v - 2.09) < 1e-12);
	f.unit = 0x12345678;      /* unknown unit: exponent as is */
	f.unit_exp = 2;
	assert_int_equal(hid_get_value(&f, b, sizeof(b), &v), 0);
	assert_true(v == 20900.0);
}

/* -1, 20 and 30 through a 32-bit LogMin -1 field, both levels. */
static void test_roundtrip_signed_timer(void **state)
{
	uint8_t b[5] = { 0x09, 0, 0, 0, 0 };
	struct hid_field f = field(9, 0, 32, -1, 2147483647);
	static const int64_t vals[] = { -1, 20, 30 };
	int64_t got;
	double d;

	(void)state;
	f.unit = 0x00001001;
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(hid_set_logical(&f, b, sizeof(b), vals[i]), 0);
		assert_int_equal(b[0], 0x09);
		assert_int_equal(hid_get_logical(&f, b, sizeof(b), &got), 0);
		assert_int_equal(got, vals[i]);
		assert_int_equal(hid_set_value(&f, b, sizeof(b), (double)vals[i]), 0);
		assert_int_equal(hid_get_value(&f, b, sizeof(b), &d), 0);
		assert_true(d == (double)vals[i]);
	}
	assert_int_equal(hid_set_logical(&f, b, sizeof(b), -1), 0);
	assert_int_equal(b[1] & b[2] & b[3] & b[4], 0xff);
	assert_int_equal(hid_set_value(&f, b, sizeof(b), 20), 0);
	assert_memory_equal(b, "\x09\x14\x00\x00\x00", 5);
}

static void test_masking_sign_clamp(void **state)
{
	uint8_t b[5];
	struct hid_field f;
	int64_t v;

	(void)state;
	/* garbage above bit 16 is dropped (APC BF500) */
	memcpy(b, "\x01\x00\x0a\x08\x80", 5);
	f = field(1, 0, 32, 0, 0xffff);
	assert_int_equal(hid_get_logical(&f, b, 5, &v), 0);
	assert_int_equal(v, 0x0a00);
	/* range not a power of two: masked to 7 bits, then clamped to 100 */
	memcpy(b, "\x01\x7f", 2);
	f = field(1, 0, 8, 0, 100);
	assert_int_equal(hid_get_logical(&f, b, 2, &v), 0);
	assert_int_equal(v, 100);
	/* signed 8-bit: -128..127 */
	memcpy(b, "\x01\x80", 2);
	f = field(1, 0, 8, -128, 127);
	assert_int_equal(hid_get_logical(&f, b, 2, &v), 0);
	assert_int_equal(v, -128);
	/* sign bit below the field width: -5..5 in 8 bits keeps 4 bits */
	memcpy(b, "\x01\xfb", 2);
	f = field(1, 0, 8, -5, 5);
	assert_int_equal(hid_get_logical(&f, b, 2, &v), 0);
	assert_int_equal(v, -5);
	memcpy(b, "\x01\x09", 2);      /* 1001b = -7, clamped to -5 */
	assert_int_equal(hid_get_logical(&f, b, 2, &v), 0);
	assert_int_equal(v, -5);
	/* the LogMax fix-up range: a full 32-bit unsigned */
	memcpy(b, "\x01\xff\xff\xff\xff", 5);
	f = field(1, 0, 32, 0, 0xffffffffLL);
	assert_int_equal(hid_get_logical(&f, b, 5, &v), 0);
	assert_int_equal(v, 0xffffffffLL);
	/* LogMin above 0 */
	memcpy(b, "\x01\x00", 2);
	f = field(1, 0, 8, 1, 3);
	assert_int_equal(hid_get_logical(&f, b, 2, &v), 0);
	assert_int_equal(v, 1);
	/* extreme signed range */
	memcpy(b, "\x01\x00\x00\x00\x80", 5);
	f = field(1, 0, 32, INT32_MIN, INT32_MAX);
	assert_int_equal(hid_get_logical(&f, b, 5, &v), 0);
	assert_int_equal(v, INT32_MIN);
}

static void test_bounds(void **state)
{
	uint8_t b[4] = { 0x01, 0xaa, 0xbb, 0xcc };
	struct hid_field f = field(1, 16, 16, 0, 65535);
	int64_t v;
	double d;

	(void)state;
	assert_int_equal(hid_get_logical(&f, b, 4, &v), -1);   /* needs 5 bytes */
	assert_int_equal(hid_set_logical(&f, b, 4, 1), -1);
	assert_int_equal(hid_get_value(&f, b, 4, &d), -1);
	assert_int_equal(hid_set_value(&f, b, 4, 1.0), -1);
	assert_memory_equal(b, "\x01\xaa\xbb\xcc", 4);
	f = field(1, 8, 16, 0, 65535);
	assert_int_equal(hid_get_logical(&f, b, 4, &v), 0);
	assert_int_equal(v, 0xccbb);
	f.size = 0;
	assert_int_equal(hid_get_logical(&f, b, 4, &v), -1);
	f.size = 33;
	assert_int_equal(hid_get_logical(&f, b, 4, &v), -1);
	f = field(1, 0xffffffffu, 8, 0, 255);
	assert_int_equal(hid_get_logical(&f, b, 4, &v), -1);
	assert_int_equal(hid_get_logical(NULL, b, 4, &v), -1);
	assert_int_equal(hid_get_logical(&f, NULL, 4, &v), -1);
	/* no report IDs: no prefix byte */
	f = field(0, 8, 8, 0, 255);
	assert_int_equal(hid_get_logical(&f, b, 2, &v), 0);
	assert_int_equal(v, 0xaa);
}

/* Writes touch only the field's bits. */
static void test_set_leaves_neighbours(void **state)
{
	uint8_t b[4] = { 0x01, 0xff, 0xff, 0xff };
	struct hid_field f = field(1, 3, 10, 0, 1023);
	int64_t v;

	(void)state;
	assert_int_equal(hid_set_logical(&f, b, 4, 0), 0);
	assert_memory_equal(b, "\x01\x07\xe0\xff", 4);
	assert_int_equal(hid_set_logical(&f, b, 4, 0x2aa), 0);
	assert_int_equal(hid_get_logical(&f, b, 4, &v), 0);
	assert_int_equal(v, 0x2aa);
	assert_int_equal(b[1] & 0x07, 0x07);
	assert_int_equal(b[2] & 0xe0, 0xe0);
	assert_int_equal(b[3], 0xff);
	/* values wider than the field are cut to its bits */
	f = field(1, 0, 4, 0, 15);
	b[1] = 0xf0;
	assert_int_equal(hid_set_logical(&f, b, 4, 0x13), 0);
	assert_int_equal(b[1], 0xf3);
}

static void test_physical_range(void **state)
{
	uint8_t b[2] = { 0x01, 0 };
	struct hid_field f = field(1, 0, 8, 0, 255);
	double d;

	(void)state;
	f.phy_min = 0;
	f.phy_max = 1000;
	f.has_phy = true;
	b[1] = 255;
	assert_int_equal(hid_get_value(&f, b, 2, &d), 0);
	assert_true(d == 1000.0);
	b[1] = 51;
	assert_int_equal(hid_get_value(&f, b, 2, &d), 0);
	assert_true(fabs(d - 200.0) < 1e-9);
	assert_int_equal(hid_set_value(&f, b, 2, 600.0), 0);
	assert_int_equal(b[1], 153);
	assert_int_equal(hid_set_value(&f, b, 2, 5000.0), 0);
	assert_int_equal(b[1], 255);
	/* not both declared, or both zero, or not increasing: identity */
	f.has_phy = false;
	b[1] = 51;
	assert_int_equal(hid_get_value(&f, b, 2, &d), 0);
	assert_true(d == 51.0);
	f.has_phy = true;
	f.phy_max = 0;
	assert_int_equal(hid_get_value(&f, b, 2, &d), 0);
	assert_true(d == 51.0);
	f.phy_min = 10;
	f.phy_max = 5;
	assert_int_equal(hid_get_value(&f, b, 2, &d), 0);
	assert_true(d == 51.0);
}

static void test_set_value_scaling(void **state)
{
	uint8_t b[3] = { 0x07, 0, 0 };
	struct hid_field f = field(7, 0, 16, 0, 65535);
	int64_t v;

	(void)state;
	f.unit = 0x00f0d121;
	f.unit_exp = 6;       /* 0.1 V */
	assert_int_equal(hid_set_value(&f, b, 3, 25.8), 0);
	assert_int_equal(hid_get_logical(&f, b, 3, &v), 0);
	assert_int_equal(v, 258);
	assert_int_equal(hid_set_value(&f, b, 3, 1e12), 0);
	assert_int_equal(hid_get_logical(&f, b, 3, &v), 0);
	assert_int_equal(v, 65535);
	assert_int_equal(hid_set_value(&f, b, 3, -3), 0);
	assert_int_equal(hid_get_logical(&f, b, 3, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(hid_set_value(&f, b, 3, NAN), -1);
	f.unit_exp = 7;       /* volts */
	assert_int_equal(hid_set_value(&f, b, 3, 264.4), 0);
	assert_memory_equal(b, "\x07\x08\x01", 3);
	f = field(7, 0, 16, -100, 100);
	assert_int_equal(hid_set_value(&f, b, 3, -2.5), 0);
	assert_int_equal(hid_get_logical(&f, b, 3, &v), 0);
	assert_int_equal(v, -3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nut_vectors),
		cmocka_unit_test(test_eaton_vectors),
		cmocka_unit_test(test_unit_scaling),
		cmocka_unit_test(test_roundtrip_signed_timer),
		cmocka_unit_test(test_masking_sign_clamp),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_set_leaves_neighbours),
		cmocka_unit_test(test_physical_range),
		cmocka_unit_test(test_set_value_scaling),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
