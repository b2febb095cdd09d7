/*
 * hidparse: HID report descriptor -> flat list of fields (see hid.h).
 *
 * One pass over the items with the HID 1.11 state model: global state
 * (with Push/Pop), local state cleared after every main item, a stack of
 * open collections, and a bit offset per (report ID, main-item type).
 * Field semantics follow NUT's parser where the two models differ (see
 * devices/hid-parser.md): one field per usage, Report Count beyond the
 * usage list only moves the offset, vendor collection types 0x80+n add an
 * "[n]" node. Every read is bounds-checked and every allocation capped.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hid.h"

#define PUSH_MAX 16        /* Push depth */
#define USAGES_MAX 1024    /* usages pending before one main item */

/* prefix byte & 0xfc: tag and type with the size bits removed */
enum {
	IT_INPUT = 0x80, IT_OUTPUT = 0x90, IT_FEATURE = 0xb0,
	IT_COLLECTION = 0xa0, IT_END_COLLECTION = 0xc0,
	IT_USAGE_PAGE = 0x04, IT_LOG_MIN = 0x14, IT_LOG_MAX = 0x24,
	IT_PHY_MIN = 0x34, IT_PHY_MAX = 0x44, IT_UNIT_EXP = 0x54,
	IT_UNIT = 0x64, IT_REPORT_SIZE = 0x74, IT_REPORT_ID = 0x84,
	IT_REPORT_COUNT = 0x94, IT_PUSH = 0xa4, IT_POP = 0xb4,
	IT_USAGE = 0x08, IT_USAGE_MIN = 0x18, IT_USAGE_MAX = 0x28,
};
#define LONG_ITEM 0xfe

struct gstate {
	uint16_t page;
	int64_t log_min, log_max;
	bool log_max_assumed;
	int64_t phy_min, phy_max;
	bool have_phy_min, have_phy_max;
	int8_t unit_exp;
	uint32_t unit;
	uint32_t size, count;
	uint8_t id;
};

struct parser {
	const uint8_t *buf;
	size_t len, pos;
	char *err;
	size_t errlen;

	struct gstate g;
	struct gstate stack[PUSH_MAX];
	unsigned sp;

	/* local state */
	hid_usage_t usages[USAGES_MAX];
	unsigned nusages;
	bool have_umin, have_umax;
	hid_usage_t umin, umax;

	/* open collections: the path, and how many nodes each one added */
	struct hid_path path;
	uint8_t coll_nodes[HID_PATH_MAX];
	unsigned depth;

	uint32_t offset[256][3];   /* bits, per report ID and type */
	struct hid_desc *d;
	size_t cap;
};

static int fail(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	if (p->err && p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err, p->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int64_t sign_extend(uint32_t v, unsigned nbytes)
{
	switch (nbytes) {
	case 1: return (int8_t)(uint8_t)v;
	case 2: return (int16_t)(uint16_t)v;
	case 4: return (int32_t)v;
	default: return 0;
	}
}

/* Both encodings: 4-bit signed nibble (0x8..0xf = -8..-1) and a full
 * signed byte (0xff = -1) agree on the low nibble. */
static int8_t decode_unit_exp(uint32_t v)
{
	int n = (int)(v & 0x0f);

	return (int8_t)(n >= 8 ? n - 16 : n);
}

static void clear_local(struct parser *p)
{
	p->nusages = 0;
	p->have_umin = p->have_umax = false;
}

static int add_usage(struct parser *p, hid_usage_t u)
{
	if (p->nusages >= USAGES_MAX)
		return fail(p, "more than %d usages before a main item at byte %zu",
			USAGES_MAX, p->pos);
	p->usages[p->nusages++] = u;
	return 0;
}

/* Usage Minimum + Maximum: expand once both are known. */
static int expand_range(struct parser *p)
{
	uint32_t lo = p->umin & 0xffff, hi = p->umax & 0xffff;
	hid_usage_t page = p->umin & 0xffff0000u;

	p->have_umin = p->have_umax = false;
	if ((p->umax & 0xffff0000u) != page)
		return fail(p, "usage range spans two pages at byte %zu", p->pos);
	if (hi < lo)
		return 0;
	if (hi - lo + 1 > USAGES_MAX - p->nusages)
		return fail(p, "usage range of %u usages at byte %zu is too large",
			hi - lo + 1, p->pos);
	for (uint32_t u = lo; u <= hi; u++)
		p->usages[p->nusages++] = page | u;
	return 0;
}

static hid_usage_t full_usage(const struct parser *p, uint32_t v, unsigned nbytes)
{
	/* A 4-byte usage already carries its page. */
	if (nbytes == 4)
		return v;
	return ((hid_usage_t)p->g.page << 16) | (v & 0xffff);
}

static int do_local(struct parser *p, uint8_t tag, uint32_t v, unsigned nbytes)
{
	switch (tag) {
	case IT_USAGE:
		return add_usage(p, full_usage(p, v, nbytes));
	case IT_USAGE_MIN:
		p->umin = full_usage(p, v, nbytes);
		p->have_umin = true;
		return p->have_umax ? expand_range(p) : 0;
	case IT_USAGE_MAX:
		p->umax = full_usage(p, v, nbytes);
		p->have_umax = true;
		return p->have_umin ? expand_range(p) : 0;
	default:
		return 0;   /* designators, strings, delimiters: not used */
	}
}

static int do_global(struct parser *p, uint8_t tag, uint32_t v, unsigned nbytes)
{
	struct gstate *g = &p->g;

	switch (tag) {
	case IT_USAGE_PAGE:
		g->page = (uint16_t)v;
		break;
	case IT_LOG_MIN:
		g->log_min = sign_extend(v, nbytes);
		break;
	case IT_LOG_MAX:
		g->log_max = sign_extend(v, nbytes);
		/* Firmware writes 0..65535 as `26 ff ff`: re-read unsigned. */
		g->log_max_assumed = g->log_max < g->log_min;
		if (g->log_max_assumed)
			g->log_max = v;
		break;
	case IT_PHY_MIN:
		g->phy_min = sign_extend(v, nbytes);
		g->have_phy_min = true;
		break;
	case IT_PHY_MAX:
		g->phy_max = sign_extend(v, nbytes);
		g->have_phy_max = true;
		break;
	case IT_UNIT_EXP:
		g->unit_exp = decode_unit_exp(v);
		break;
	case IT_UNIT:
		g->unit = v;
		break;
	case IT_REPORT_SIZE:
		g->size = v;
		break;
	case IT_REPORT_ID:
		if (v == 0 || v > 255)
			return fail(p, "invalid report ID %u at byte %zu", v, p->pos);
		g->id = (uint8_t)v;
		p->d->has_report_ids = true;
		break;
	case IT_REPORT_COUNT:
		g->count = v;
		break;
	case IT_PUSH:
		if (p->sp >= PUSH_MAX)
			return fail(p, "Push deeper than %d at byte %zu", PUSH_MAX, p->pos);
		p->stack[p->sp++] = *g;
		break;
	case IT_POP:
		if (p->sp == 0)
			return fail(p, "Pop with an empty stack at byte %zu", p->pos);
		*g = p->stack[--p->sp];
		break;
	default:
		break;
	}
	return 0;
}

static int collection(struct parser *p, uint32_t v)
{
	uint8_t type = (uint8_t)v;
	unsigned add = type >= 0x80 ? 2 : 1;

	if (p->depth >= HID_PATH_MAX || p->path.n + add >= HID_PATH_MAX)
		return fail(p, "collection nesting deeper than %d nodes at byte %zu",
			HID_PATH_MAX - 1, p->pos);
	p->path.node[p->path.n++] = p->nusages ? p->usages[0] : 0;
	/* MGE/Eaton: vendor type 0x80+n is instance number n */
	if (type >= 0x80)
		p->path.node[p->path.n++] = HID_USAGE_INDEX(type & 0x7f);
	p->coll_nodes[p->depth++] = (uint8_t)add;
	return 0;
}

static int end_collection(struct parser *p)
{
	if (p->depth == 0)
		return fail(p, "End Collection without Collection at byte %zu", p->pos);
	p->path.n -= p->coll_nodes[--p->depth];
	return 0;
}

static struct hid_field *new_field(struct parser *p)
{
	struct hid_desc *d = p->d;

	if (d->nfields == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 64;
		struct hid_field *nf;

		if (ncap > HID_FIELDS_MAX)
			ncap = HID_FIELDS_MAX;
		if (d->nfields >= ncap) {
			fail(p, "more than %d fields at byte %zu", HID_FIELDS_MAX, p->pos);
			return NULL;
		}
		nf = realloc(d->fields, ncap * sizeof(*nf));
		if (!nf) {
			fail(p, "out of memory");
			return NULL;
		}
		d->fields = nf;
		p->cap = ncap;
	}
	return &d->fields[d->nfields++];
}

static int main_item(struct parser *p, enum hid_rtype type, uint32_t v)
{
	const struct gstate *g = &p->g;
	uint32_t *off = &p->offset[g->id][type - 1];
	uint64_t bits = (uint64_t)g->size * g->count;
	uint32_t n = g->count < p->nusages ? g->count : p->nusages;
	uint32_t maxbits = (HID_REPORT_MAX - 1) * 8;

	if (bits > maxbits || *off + bits > maxbits)
		return fail(p, "report 0x%02x longer than %d bytes at byte %zu",
			g->id, HID_REPORT_MAX, p->pos);
	if (p->path.n >= HID_PATH_MAX)
		return fail(p, "path deeper than %d nodes at byte %zu", HID_PATH_MAX, p->pos);

	/* Usage 0 and fields wider than 32 bits only take room, like padding. */
	for (uint32_t i = 0; i < n && g->size >= 1 && g->size <= 32; i++) {
		struct hid_field *f;

		if (p->usages[i] == 0)
			continue;
		f = new_field(p);
		if (!f)
			return -1;
		memset(f, 0, sizeof(*f));
		f->path = p->path;
		f->path.node[f->path.n++] = p->usages[i];
		f->report_id = g->id;
		f->type = type;
		f->offset = *off + i * g->size;
		f->size = g->size;
		f->log_min = g->log_min;
		f->log_max = g->log_max;
		f->log_max_assumed = g->log_max_assumed;
		f->phy_min = g->phy_min;
		f->phy_max = g->phy_max;
		f->has_phy = g->have_phy_min && g->have_phy_max;
		f->unit_exp = g->unit_exp;
		f->unit = g->unit;
		f->flags = (uint16_t)v;
	}
	*off += (uint32_t)bits;
	return 0;
}

static int do_main(struct parser *p, uint8_t tag, uint32_t v)
{
	int r = 0;

	switch (tag) {
	case IT_INPUT: r = main_item(p, HID_INPUT, v); break;
	case IT_OUTPUT: r = main_item(p, HID_OUTPUT, v); break;
	case IT_FEATURE: r = main_item(p, HID_FEATURE, v); break;
	case IT_COLLECTION: r = collection(p, v); break;
	case IT_END_COLLECTION: r = end_collection(p); break;
	default: break;
	}
	clear_local(p);
	return r;
}

/* One item at p->pos; 0, or -1 with the message set. */
static int parse_item(struct parser *p)
{
	static const unsigned sizes[4] = { 0, 1, 2, 4 };
	uint8_t prefix = p->buf[p->pos];
	size_t avail = p->len - p->pos - 1;
	unsigned nbytes = sizes[prefix & 3];
	uint32_t v = 0;

	if (prefix == LONG_ITEM) {
		/* bDataSize, bLongItemTag, data: nothing defined, skip it */
		if (avail < 2 || avail - 2 < p->buf[p->pos + 1])
			return fail(p, "truncated long item at byte %zu", p->pos);
		p->pos += 3 + (size_t)p->buf[p->pos + 1];
		return 0;
	}
	if (avail < nbytes)
		return fail(p, "truncated item at byte %zu", p->pos);
	for (unsigned i = 0; i < nbytes; i++)
		v |= (uint32_t)p->buf[p->pos + 1 + i] << (8 * i);

	int r;
	switch ((prefix >> 2) & 3) {
	case 0: r = do_main(p, prefix & 0xfc, v); break;
	case 1: r = do_global(p, prefix & 0xfc, v, nbytes); break;
	case 2: r = do_local(p, prefix & 0xfc, v, nbytes); break;
	default: r = 0; break;   /* reserved type */
	}
	p->pos += 1 + nbytes;
	return r;
}

static void finish(struct parser *p)
{
	struct hid_desc *d = p->d;

	for (unsigned id = 0; id < 256; id++) {
		uint32_t bits = 0;

		for (unsigned t = 0; t < 3; t++)
			if (p->offset[id][t] > bits)
				bits = p->offset[id][t];
		if (bits)
			d->report_len[id] = (uint16_t)((bits + 7) / 8 + (d->has_report_ids ? 1 : 0));
	}
	d->open_collections = p->depth;
}

struct hid_desc *hid_parse(const uint8_t *buf, size_t len, char *err, size_t errlen,
	struct hid_desc **partial)
{
	struct parser *p;
	struct hid_desc *d;
	int r = 0;

	if (partial)
		*partial = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (!buf && len) {
		if (err && errlen)
			snprintf(err, errlen, "no descriptor");
		return NULL;
	}
	if (len > HID_DESC_MAX) {
		if (err && errlen)
			snprintf(err, errlen, "descriptor of %zu bytes is larger than %d",
				len, HID_DESC_MAX);
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	d = calloc(1, sizeof(*d));
	if (!p || !d) {
		free(p);
		free(d);
		if (err && errlen)
			snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->buf = buf;
	p->len = len;
	p->err = err;
	p->errlen = errlen;
	p->d = d;

	while (r == 0 && p->pos < p->len)
		r = parse_item(p);
	finish(p);
	free(p);
	if (r == 0)
		return d;
	if (partial)
		*partial = d;
	else
		hid_desc_free(d);
	return NULL;
}

void hid_desc_free(struct hid_desc *d)
{
	if (!d)
		return;
	free(d->fields);
	free(d);
}
