/*
 * hiddesc: a small HID report-descriptor writer, and the SYNTHETIC Eaton
 * Ellipse ECO 650 descriptor built with it.
 *
 * The writer emits short items with the smallest correct encoding (signed
 * for logical/physical ranges, unsigned otherwise; a zero value takes no
 * data bytes). It never writes past its buffer: on overflow it stops and
 * hiddesc_len returns -1.
 *
 * No real ECO 650 report descriptor was ever recovered. The synthetic one
 * is generated from readable rows (hid_eco650_rows) that reproduce every
 * field of devices/captures/ellipse-eco-650.fields.csv, the real report
 * lengths (0x01 = 4 bytes ... 0x22 = 2) and NUT's "94 items, 42 unused by
 * MGE HID" count; fields whose report ID was never logged are placed where
 * the sister models (3S, 5E) put them, and the unused ones are plausible
 * Power Device items. Parse it with hid_parse like a real one.
 */
#ifndef NUT_HIDDESC_H
#define NUT_HIDDESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hid.h"

struct hiddesc {
	uint8_t *buf;
	size_t cap, len;
	bool overflow;
	uint16_t page;             /* last Usage Page written */
};

void hiddesc_init(struct hiddesc *w, uint8_t *buf, size_t cap);
/* Bytes written, or -1 when the buffer was too small. */
long hiddesc_len(const struct hiddesc *w);

/* One raw short item: prefix is tag|type (size bits clear), nbytes 0/1/2/4. */
void hiddesc_item(struct hiddesc *w, uint8_t prefix, uint32_t data, unsigned nbytes);

void hiddesc_usage_page(struct hiddesc *w, uint16_t page);
/* Short form when the usage is on the current page, else the 4-byte form
 * (page:id, the Eaton way), leaving the page alone. */
void hiddesc_usage(struct hiddesc *w, hid_usage_t u);
void hiddesc_usage_min(struct hiddesc *w, hid_usage_t u);
void hiddesc_usage_max(struct hiddesc *w, hid_usage_t u);
void hiddesc_collection(struct hiddesc *w, uint8_t type);   /* 0 physical, 1 application, 0x80+n */
void hiddesc_end_collection(struct hiddesc *w);
void hiddesc_logical_min(struct hiddesc *w, int64_t v);
/* Values above 0x7fffffff (up to 0xffffffff) are written as 4 raw bytes:
 * they read back through the LogMax < LogMin fix-up. */
void hiddesc_logical_max(struct hiddesc *w, int64_t v);
void hiddesc_physical_min(struct hiddesc *w, int32_t v);
void hiddesc_physical_max(struct hiddesc *w, int32_t v);
void hiddesc_unit(struct hiddesc *w, uint32_t unit);
void hiddesc_unit_exponent(struct hiddesc *w, int e);     /* -8..7, 4-bit form */
void hiddesc_report_size(struct hiddesc *w, uint32_t bits);
void hiddesc_report_count(struct hiddesc *w, uint32_t n);
void hiddesc_report_id(struct hiddesc *w, uint8_t id);
void hiddesc_push(struct hiddesc *w);
void hiddesc_pop(struct hiddesc *w);
void hiddesc_input(struct hiddesc *w, uint16_t flags);     /* 0x02 data,var,abs */
void hiddesc_output(struct hiddesc *w, uint16_t flags);
void hiddesc_feature(struct hiddesc *w, uint16_t flags);

/* One field of the synthetic ECO 650, in descriptor order. */
struct hiddesc_row {
	uint8_t id;
	enum hid_rtype type;
	const char *path;
	uint16_t offset, size;     /* bits after the ID byte */
	int64_t log_min, log_max;
	uint32_t unit;
	int8_t unit_exp;
	int64_t value;             /* logical value, unit online and charged */
	const char *evidence;      /* OBSERVED, INFERRED, SISTER (placed like the 3S/5E), SYNTHETIC */
};

/* The rows (static, n receives the count). */
const struct hiddesc_row *hid_eco650_rows(size_t *n);
/* The SYNTHETIC descriptor built from the rows at first call (static
 * storage, not thread-safe on the first call); NULL only if the rows are
 * inconsistent (a bug, caught by tests/unit/test_hidparse). */
const uint8_t *hid_eco650_descriptor(size_t *len);

#endif
