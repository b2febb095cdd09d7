/*
 * hid: the HID report-descriptor parser, usage names and report value access.
 *
 * Owns: parsing a report descriptor into a flat list of fields (hidparse.c),
 * the usage-name tables for the Power Device (0x84), Battery System (0x85)
 * and Eaton/MGE vendor (0xffff) pages and path strings (hidnames.c), and
 * reading/writing one field's value inside a report buffer (hidreport.c).
 * It knows nothing about USB or transports: callers hand it bytes.
 *
 * Report buffers always start with the report-ID byte when the descriptor
 * uses report IDs (every Eaton UPS does); bit offsets count from the byte
 * after it. Without IDs there is no prefix byte.
 */
#ifndef NUT_HID_H
#define NUT_HID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A usage: page in the upper 16 bits, id in the lower 16. */
typedef uint32_t hid_usage_t;

/* Path nodes for MGE/Eaton instance numbers (collection type 0x80 + n). */
#define HID_USAGE_INDEX(n) (0x00ff0000u | ((n) & 0xffu))
#define HID_IS_INDEX(u) (((u) & 0xffff0000u) == 0x00ff0000u)

#define HID_PATH_MAX 16           /* deepest path kept; deeper is a parse error */
#define HID_DESC_MAX 65536        /* largest descriptor accepted */
#define HID_REPORT_MAX 4096       /* longest report (bytes incl. ID); longer is a parse error */
#define HID_FIELDS_MAX 4096       /* most fields kept; more is a parse error */

/* Report types, numbered as in GET_REPORT's wValue high byte. */
enum hid_rtype {
	HID_INPUT = 1,
	HID_OUTPUT = 2,
	HID_FEATURE = 3,
};

struct hid_path {
	unsigned n;
	hid_usage_t node[HID_PATH_MAX];
};

/* One Input/Output/Feature field (one per usage; "continuation" fields of a
 * Report Count larger than the usage list and constant padding only move
 * the bit offset and produce no field, as NUT does). */
struct hid_field {
	struct hid_path path;
	uint8_t report_id;         /* 0 when the descriptor has no report IDs */
	enum hid_rtype type;
	uint32_t offset;           /* bit offset from the byte after the ID */
	uint32_t size;             /* bits, 1..32 */
	/* Signed values of the descriptor items; log_max is re-read unsigned
	 * when it was < log_min, hence 64 bits (0..0xffffffff must fit). */
	int64_t log_min, log_max;
	int64_t phy_min, phy_max;
	bool has_phy;              /* both Physical Minimum and Maximum were declared */
	int8_t unit_exp;           /* already decoded to -8..7 */
	uint32_t unit;
	uint16_t flags;            /* main-item data bits (bit 0 constant, 1 variable ...) */
	bool log_max_assumed;      /* the LogMax < LogMin firmware fix-up was applied */
};

struct hid_desc {
	struct hid_field *fields;  /* owned by the hid_desc */
	size_t nfields;
	bool has_report_ids;
	/* Report length in bytes including the ID byte, over all fields of that
	 * ID regardless of type (what GET_REPORT asks for); 0 = unused ID. */
	uint16_t report_len[256];
	/* Collections still open when the descriptor ended: 0 for a complete
	 * one; a descriptor cut between items usually ends inside some. */
	unsigned open_collections;
};

/*
 * Parse a report descriptor. Returns a new hid_desc (free with
 * hid_desc_free) or NULL with a message in err ("truncated item at byte
 * 39", "collection nesting deeper than 16" ...). A descriptor that ends in
 * the middle of an item returns NULL with a "truncated" message; *partial,
 * when not NULL, then receives the fields parsed up to that point (caller
 * frees it) so a partial descriptor can still be inspected. Never reads
 * outside buf[0..len).
 */
struct hid_desc *hid_parse(const uint8_t *buf, size_t len, char *err, size_t errlen,
	struct hid_desc **partial);
void hid_desc_free(struct hid_desc *d);

/* Names. hid_usage_name: static string or NULL when unknown. */
const char *hid_usage_name(hid_usage_t u);
/* Format "UPS.PowerSummary.RemainingCapacity"; unknown usages as 8 hex
 * digits, index nodes as "[n]". Returns the length, or -1 if it did not fit. */
int hid_path_format(const struct hid_path *p, char *buf, size_t len);
/* Parse the same syntax back (names, 8-hex-digit usages, [n]). 0 or -1. */
int hid_path_parse(const char *s, struct hid_path *p);
/* The usage named by the len bytes at name (not NUL-terminated); 0 or -1.
 * A name on two pages gives the lower usage (Power Device page first). */
int hid_usage_lookup(const char *name, size_t len, hid_usage_t *u);
/* Same nodes, numerically (e.g. an Input field and its Feature twin). */
bool hid_path_equal(const struct hid_path *a, const struct hid_path *b);

/* The field at that path string with that type; type 0 = Feature first,
 * then Input, then Output. NULL when absent. Pointer owned by d. A node
 * also matches a usage printed with the same name (so "VoltageOutOfRange"
 * finds either page's usage). */
const struct hid_field *hid_find(const struct hid_desc *d, const char *path,
	enum hid_rtype type);

/*
 * Value access on a report buffer of len bytes (ID byte first when the
 * descriptor has IDs). hid_get_logical: the raw bits masked to what the
 * logical range needs, sign-extended when log_min < 0, clamped to the
 * range (NUT's rules). hid_set_logical: writes value's two's complement
 * into the field's bits, leaving the other bits alone. Both return 0, or -1
 * when the field does not fit in len.
 */
int hid_get_logical(const struct hid_field *f, const uint8_t *rep, size_t len, int64_t *value);
int hid_set_logical(const struct hid_field *f, uint8_t *rep, size_t len, int64_t value);

/* Physical value: logical mapped through the physical range when one is
 * declared, times 10^(unit_exp - base exponent of the unit) (volts, watts
 * and VA have base 7, see devices/hid-parser.md section 7). */
int hid_get_value(const struct hid_field *f, const uint8_t *rep, size_t len, double *value);
/* The inverse: physical value to logical (rounded, clamped), then written. */
int hid_set_value(const struct hid_field *f, uint8_t *rep, size_t len, double value);

#endif
