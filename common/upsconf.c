/*
 * upsconf: read ups.conf into plain data.
 *
 * Lines come from pconf_file(). Before the first [section] a line is a
 * global directive; inside a section it is a per-UPS key. Either way the
 * forms are `key = value` (only the first word after = is used) or a bare
 * flag `key`. Bad lines are recorded in errors[] and skipped.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pconf.h"
#include "upsconf.h"
#include "util.h"

struct upsconf_ctx {
	struct upsconf *c;
};

static void upsconf_adderr(struct upsconf *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void upsconf_adderr(struct upsconf *c, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->errors = xrealloc(c->errors, (c->nerrors + 1) * sizeof(*c->errors));
	c->errors[c->nerrors++] = xstrdup(msg);
}

static void upsconf_push_kv(struct upsconf_kv **arr, size_t *n, const char *key,
			    const char *value, unsigned line)
{
	struct upsconf_kv *kv;

	*arr = xrealloc(*arr, (*n + 1) * sizeof(**arr));
	kv = &(*arr)[(*n)++];
	kv->key = xstrdup(key);
	kv->value = value ? xstrdup(value) : NULL;
	kv->line = line;
}

/* "[name]" -> 1 and a new section; 0 when not a header; -1 bad header */
static int upsconf_header(struct upsconf *c, const char *file, unsigned line, const char *w)
{
	size_t len = strlen(w);
	struct upsconf_section *s;

	if (len == 0 || w[0] != '[')
		return 0;
	if (w[len - 1] != ']') {
		upsconf_adderr(c, "%s:%u: section header missing ']': %s", file, line, w);
		return -1;
	}
	if (len < 3) {
		upsconf_adderr(c, "%s:%u: empty section name", file, line);
		return -1;
	}
	c->sections = xrealloc(c->sections, (c->nsections + 1) * sizeof(*c->sections));
	s = &c->sections[c->nsections++];
	memset(s, 0, sizeof(*s));
	s->name = xmalloc(len - 1);
	memcpy(s->name, w + 1, len - 2);
	s->name[len - 2] = '\0';
	s->line = line;
	return 1;
}

static int upsconf_line(void *arg, const char *file, unsigned line, int argc, char **argv)
{
	struct upsconf_ctx *ctx = arg;
	struct upsconf *c = ctx->c;
	const char *value = NULL;
	char *eq;
	int hdr;

	if (argc < 1)
		return 0;
	hdr = upsconf_header(c, file, line, argv[0]);
	if (hdr != 0)
		return 0;
	if (argv[0][0] == '=' || argv[0][0] == '\0') {
		upsconf_adderr(c, "%s:%u: missing key before '='", file, line);
		return 0;
	}
	eq = strchr(argv[0], '=');
	if (eq) {
		/* an escaped '=' kept inside one word: "key\=value" */
		*eq = '\0';
		value = eq + 1;
	} else if (argc >= 2) {
		if (strcmp(argv[1], "=") != 0) {
			upsconf_adderr(c, "%s:%u: expected 'key = value' after '%s'", file, line, argv[0]);
			return 0;
		}
		if (argc < 3) {
			upsconf_adderr(c, "%s:%u: missing value for '%s'", file, line, argv[0]);
			return 0;
		}
		value = argv[2];
	}
	if (c->nsections == 0) {
		upsconf_push_kv(&c->global, &c->nglobal, argv[0], value, line);
	} else {
		struct upsconf_section *s = &c->sections[c->nsections - 1];

		upsconf_push_kv(&s->kv, &s->nkv, argv[0], value, line);
	}
	return 0;
}

static void upsconf_perr(void *arg, const char *file, unsigned line, const char *msg)
{
	struct upsconf_ctx *ctx = arg;

	upsconf_adderr(ctx->c, "%s:%u: %s", file, line, msg);
}

int upsconf_load(struct upsconf *c, const char *path)
{
	struct upsconf_ctx ctx;
	int rc;

	memset(c, 0, sizeof(*c));
	c->path = xstrdup(path ? path : "");
	if (!path) {
		upsconf_adderr(c, "(null): no file name given");
		return -1;
	}
	ctx.c = c;
	errno = 0;
	rc = pconf_file(path, upsconf_line, upsconf_perr, &ctx);
	if (rc < 0) {
		int e = errno ? errno : ENOENT;

		upsconf_adderr(c, "%s: can't open: %s", path, strerror(e));
		return -1;
	}
	return 0;
}

static void upsconf_free_kvs(struct upsconf_kv *kv, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

void upsconf_free(struct upsconf *c)
{
	size_t i;

	if (!c)
		return;
	free(c->path);
	upsconf_free_kvs(c->global, c->nglobal);
	for (i = 0; i < c->nsections; i++) {
		free(c->sections[i].name);
		upsconf_free_kvs(c->sections[i].kv, c->sections[i].nkv);
	}
	free(c->sections);
	for (i = 0; i < c->nerrors; i++)
		free(c->errors[i]);
	free(c->errors);
	memset(c, 0, sizeof(*c));
}

const struct upsconf_section *upsconf_find(const struct upsconf *c, const char *name)
{
	size_t i;

	if (!c || !name)
		return NULL;
	for (i = 0; i < c->nsections; i++)
		if (strcasecmp(c->sections[i].name, name) == 0)
			return &c->sections[i];
	return NULL;
}

static const struct upsconf_kv *upsconf_last(const struct upsconf_kv *kv, size_t n, const char *key)
{
	size_t i;

	if (!key)
		return NULL;
	for (i = n; i > 0; i--)
		if (strcmp(kv[i - 1].key, key) == 0)
			return &kv[i - 1];
	return NULL;
}

const struct upsconf_kv *upsconf_kv(const struct upsconf_section *s, const char *key)
{
	if (!s)
		return NULL;
	return upsconf_last(s->kv, s->nkv, key);
}

const char *upsconf_get(const struct upsconf_section *s, const char *key)
{
	const struct upsconf_kv *kv = upsconf_kv(s, key);

	return kv ? kv->value : NULL;
}

const struct upsconf_kv *upsconf_global_kv(const struct upsconf *c, const char *key)
{
	if (!c)
		return NULL;
	return upsconf_last(c->global, c->nglobal, key);
}

const char *upsconf_global(const struct upsconf *c, const char *key)
{
	const struct upsconf_kv *kv = upsconf_global_kv(c, key);

	return kv ? kv->value : NULL;
}
