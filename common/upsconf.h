/*
 * upsconf: ups.conf as data. Global directives and [sections] of
 * key = value pairs (or bare flags), kept in file order. Used by upsd,
 * the drivers and upsdrvctl.
 */
#ifndef UPSCONF_H
#define UPSCONF_H

#include <stddef.h>

struct upsconf_kv {
	char *key;
	char *value;        /* NULL for a bare flag */
	unsigned line;
};

struct upsconf_section {
	char *name;
	unsigned line;
	struct upsconf_kv *kv;
	size_t nkv;
};

struct upsconf {
	char *path;
	struct upsconf_kv *global;
	size_t nglobal;
	struct upsconf_section *sections;
	size_t nsections;
	char **errors;      /* "file:line: message", in order found */
	size_t nerrors;
};

/* Read path. Returns 0 (possibly with errors[] filled for bad lines) or -1 if unreadable (errors[0] says why). */
int upsconf_load(struct upsconf *c, const char *path);
void upsconf_free(struct upsconf *c);
const struct upsconf_section *upsconf_find(const struct upsconf *c, const char *name); /* case-insensitive */
const char *upsconf_get(const struct upsconf_section *s, const char *key);  /* last value; NULL */
const struct upsconf_kv *upsconf_kv(const struct upsconf_section *s, const char *key);
const char *upsconf_global(const struct upsconf *c, const char *key);
/* last global entry named key (also finds bare flags such as nowait); NULL */
const struct upsconf_kv *upsconf_global_kv(const struct upsconf *c, const char *key);

#endif
