/*
 * hidreport: one field's value inside a report buffer (see hid.h).
 *
 * Reading follows NUT's rules, which real Eaton logs were produced with:
 * raw bits LSB-first, masked to the bits the logical range needs (plus a
 * sign bit when LogMin < 0), sign-extended, clamped; then the physical
 * range, then 10^(UnitExp - base exponent of the unit).
 */
#include <math.h>
#include <stdint.h>

#include "hid.h"

/* The buffer holds the field: ID byte (when the descriptor has IDs) plus
 * every byte the field touches. */
static bool field_fits(const struct hid_field *f, size_t len)
{
	uint64_t end;

	if (!f || f->size < 1 || f->size > 32)
		return false;
	end = (uint64_t)f->offset + f->size;
	return (f->report_id ? 1 : 0) + (end + 7) / 8 <= len;
}

/* 1 + position of the highest set bit, 0 for 0 */
static unsigned hibit(uint64_t x)
{
	unsigned n = 0;

	while (x) {
		x >>= 1;
		n++;
	}
	return n;
}

static uint64_t magnitude(int64_t v)
{
	/* -(v + 1) cannot overflow, unlike -v */
	return v >= 0 ? (uint64_t)v : (uint64_t)(-(v + 1));
}

int hid_get_logical(const struct hid_field *f, const uint8_t *rep, size_t len, int64_t *value)
{
	size_t base;
	uint64_t raw = 0, mag, signbit, mask;
	int64_t v;
	unsigned hb;

	if (!rep || !value || !field_fits(f, len))
		return -1;
	base = (size_t)(f->report_id ? 8 : 0) + f->offset;
	for (uint32_t i = 0; i < f->size; i++) {
		size_t bit = base + i;

		if (rep[bit >> 3] & (1u << (bit & 7)))
			raw |= (uint64_t)1 << i;
	}

	/* Garbage above what the logical range needs is dropped. */
	mag = magnitude(f->log_max) > magnitude(f->log_min) ?
		magnitude(f->log_max) : magnitude(f->log_min);
	hb = hibit(mag);
	if (hb >= 63) {
		mask = UINT64_MAX;
		signbit = (uint64_t)1 << 63;
	} else {
		signbit = (uint64_t)1 << hb;
		mask = (signbit - 1) | (f->log_min < 0 ? signbit : 0);
	}
	raw &= mask;
	if (f->log_min < 0 && (raw & signbit))
		raw |= ~mask;
	v = (int64_t)raw;

	if (v < f->log_min)
		v = f->log_min;
	else if (v > f->log_max)
		v = f->log_max;
	*value = v;
	return 0;
}

int hid_set_logical(const struct hid_field *f, uint8_t *rep, size_t len, int64_t value)
{
	size_t base;
	uint64_t u = (uint64_t)value;

	if (!rep || !field_fits(f, len))
		return -1;
	base = (size_t)(f->report_id ? 8 : 0) + f->offset;
	for (uint32_t i = 0; i < f->size; i++) {
		size_t bit = base + i;
		uint8_t m = (uint8_t)(1u << (bit & 7));

		if (u & ((uint64_t)1 << i))
			rep[bit >> 3] |= m;
		else
			rep[bit >> 3] &= (uint8_t)~m;
	}
	return 0;
}

/* Power of ten to apply to the physical value. Volts and watts/VA are
 * declared in 10^-7 units (cm2.g.s-3), see devices/hid-parser.md s.7. */
static int scale_exponent(const struct hid_field *f)
{
	int base = 0;

	if (f->unit == 0x00f0d121u || f->unit == 0x0000d121u)
		base = 7;
	return f->unit_exp - base;
}

static double pow10i(int e)
{
	double r = 1.0;

	for (int i = 0; i < (e < 0 ? -e : e); i++)
		r *= 10.0;
	return r;
}

/* Physical range in use: both declared, not both 0, both increasing. */
static bool phys_mapped(const struct hid_field *f)
{
	return f->has_phy && !(f->phy_min == 0 && f->phy_max == 0)
		&& f->phy_max > f->phy_min && f->log_max > f->log_min;
}

int hid_get_value(const struct hid_field *f, const uint8_t *rep, size_t len, double *value)
{
	int64_t logical;
	double v;
	int e;

	if (!value || hid_get_logical(f, rep, len, &logical) != 0)
		return -1;
	v = (double)logical;
	if (phys_mapped(f)) {
		double factor = (double)(f->phy_max - f->phy_min)
			/ (double)(f->log_max - f->log_min);

		v = (double)(logical - f->log_min) * factor + (double)f->phy_min;
		if (v > (double)f->phy_max)
			v = (double)f->phy_max;
		if (v < (double)f->phy_min)
			v = (double)f->phy_min;
	}
	/* Divide for negative exponents: 258 / 10 is closer to 25.8 than 258 * 0.1. */
	e = scale_exponent(f);
	*value = e < 0 ? v / pow10i(e) : v * pow10i(e);
	return 0;
}

int hid_set_value(const struct hid_field *f, uint8_t *rep, size_t len, double value)
{
	double v;
	int64_t logical;
	int e;

	if (!f || isnan(value))
		return -1;
	e = scale_exponent(f);
	v = e < 0 ? value * pow10i(e) : value / pow10i(e);
	if (phys_mapped(f)) {
		double factor = (double)(f->log_max - f->log_min)
			/ (double)(f->phy_max - f->phy_min);

		v = (v - (double)f->phy_min) * factor + (double)f->log_min;
	}
	/* Round to nearest, then clamp into the logical range. */
	if (v >= 9.0e18)
		logical = INT64_MAX;
	else if (v <= -9.0e18)
		logical = INT64_MIN;
	else
		logical = v >= 0 ? (int64_t)(v + 0.5) : -(int64_t)(-v + 0.5);
	if (f->log_min <= f->log_max) {
		if (logical < f->log_min)
			logical = f->log_min;
		if (logical > f->log_max)
			logical = f->log_max;
	}
	return hid_set_logical(f, rep, len, logical);
}
