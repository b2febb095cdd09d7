/*
 * conf.c: reading upsd.conf and the parts of ups.conf upsd needs.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "pconf.h"
#include "upsconf.h"
#include "util.h"

void conf_msg_raw(struct conf_msgs *m, const char *text)
{
	m->v = xrealloc(m->v, (m->n + 1) * sizeof(*m->v));
	m->v[m->n++] = xstrdup(text);
}

static void conf_vmsg(struct conf_msgs *m, const char *file, unsigned line, const char *fmt,
		va_list ap)
{
	char text[600];
	int off;

	if (line > 0)
		off = snprintf(text, sizeof(text), "%s:%u: ", file, line);
	else
		off = snprintf(text, sizeof(text), "%s: ", file);
	if (off < 0 || (size_t)off >= sizeof(text))
		off = 0;
	vsnprintf(text + off, sizeof(text) - (size_t)off, fmt, ap);
	conf_msg_raw(m, text);
}

void conf_msg(struct conf_msgs *m, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_vmsg(m, file, line, fmt, ap);
	va_end(ap);
}

void conf_warn(struct conf_msgs *m, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_vmsg(m, file, line, fmt, ap);
	va_end(ap);
	m->nwarn++;
}

void conf_msgs_free(struct conf_msgs *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->v[i]);
	free(m->v);
	m->v = NULL;
	m->n = 0;
	m->nwarn = 0;
}

void conf_settings_init(struct upsd_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->maxage = s->maxconn = s->trackingdelay = s->debug_min = -1;
	s->allow_no_device = s->allow_not_all_listeners = -1;
	s->certrequest = s->disable_weak_ssl = -1;
}

void conf_settings_free(struct upsd_settings *s)
{
	size_t i;

	for (i = 0; i < s->nlisten; i++) {
		free(s->listen[i].addr);
		free(s->listen[i].port);
	}
	free(s->listen);
	free(s->statepath);
	free(s->datapath);
	free(s->certfile);
	free(s->certpath);
	free(s->certident);
	if (s->certident_pass) {
		explicit_bzero(s->certident_pass, strlen(s->certident_pass));
		free(s->certident_pass);
	}
	conf_settings_init(s);
}

struct upsd_reader {
	struct upsd_settings *s;
	struct conf_msgs *m;
};

/* join argv[from..] with spaces for messages */
static void join_words(char *out, size_t outlen, int argc, char **argv, int from)
{
	size_t len = 0;
	int i;

	out[0] = '\0';
	for (i = from; i < argc && len + 1 < outlen; i++) {
		if (i > from)
			len += str_copy(out + len, " ", outlen - len);
		if (len < outlen)
			len += str_copy(out + len, argv[i], outlen - len);
	}
}

static int want_args(struct upsd_reader *r, const char *file, unsigned line,
		int argc, char **argv, int min, int max)
{
	if (argc >= min && argc <= max)
		return 1;
	if (argc < min)
		conf_msg(r->m, file, line, "%s: missing argument", argv[0]);
	else
		conf_msg(r->m, file, line, "%s: too many arguments", argv[0]);
	return 0;
}

static void set_number(struct upsd_reader *r, const char *file, unsigned line,
		const char *kw, const char *val, long min, long *out)
{
	long v;

	if (parse_long(val, min, 1000000000L, &v) < 0) {
		conf_msg(r->m, file, line, "%s: invalid value '%s'", kw, val);
		return;
	}
	*out = v;
}

static void set_bool(struct upsd_reader *r, const char *file, unsigned line,
		const char *kw, const char *val, int *out)
{
	long n;
	int b = parse_bool(val);

	if (b < 0 && parse_long(val, 0, 1000000L, &n) == 0)
		b = n != 0;
	if (b < 0) {
		conf_msg(r->m, file, line, "%s: invalid boolean '%s'", kw, val);
		return;
	}
	*out = b;
}

static void set_string(char **dst, const char *val)
{
	free(*dst);
	*dst = xstrdup(val);
}

static void add_listen(struct upsd_settings *s, const char *addr, const char *port, unsigned line)
{
	struct conf_listen *l;

	s->listen = xrealloc(s->listen, (s->nlisten + 1) * sizeof(*s->listen));
	l = &s->listen[s->nlisten++];
	l->addr = xstrdup(addr);
	l->port = xstrdup(port ? port : "3493");
	l->line = line;
}

static void set_certrequest(struct upsd_reader *r, const char *file, unsigned line, const char *val)
{
	long n;

	if (!strcasecmp(val, "NO"))
		r->s->certrequest = 0;
	else if (!strcasecmp(val, "REQUEST"))
		r->s->certrequest = 1;
	else if (!strcasecmp(val, "REQUIRE"))
		r->s->certrequest = 2;
	else if (parse_long(val, 0, 2, &n) == 0)
		r->s->certrequest = (int)n;
	else
		conf_msg(r->m, file, line, "CERTREQUEST: invalid value '%s'", val);
}

/* directives taking exactly one value; 1 if handled */
static int upsd_onearg(struct upsd_reader *r, const char *file, unsigned line,
		const char *kw, const char *val)
{
	struct upsd_settings *s = r->s;

	if (!strcmp(kw, "MAXAGE"))
		set_number(r, file, line, kw, val, 1, &s->maxage);
	else if (!strcmp(kw, "MAXCONN"))
		set_number(r, file, line, kw, val, 1, &s->maxconn);
	else if (!strcmp(kw, "TRACKINGDELAY"))
		set_number(r, file, line, kw, val, 0, &s->trackingdelay);
	else if (!strcasecmp(kw, "DEBUG_MIN"))
		set_number(r, file, line, "DEBUG_MIN", val, 0, &s->debug_min);
	else if (!strcmp(kw, "STATEPATH"))
		set_string(&s->statepath, val);
	else if (!strcmp(kw, "DATAPATH"))
		set_string(&s->datapath, val);
	else if (!strcmp(kw, "CERTFILE")) {
		set_string(&s->certfile, val);
		s->certfile_line = line;
	} else if (!strcmp(kw, "CERTPATH")) {
		set_string(&s->certpath, val);
		s->certpath_line = line;
	} else if (!strcmp(kw, "ALLOW_NO_DEVICE"))
		set_bool(r, file, line, kw, val, &s->allow_no_device);
	else if (!strcmp(kw, "ALLOW_NOT_ALL_LISTENERS"))
		set_bool(r, file, line, kw, val, &s->allow_not_all_listeners);
	else if (!strcmp(kw, "DISABLE_WEAK_SSL"))
		set_bool(r, file, line, kw, val, &s->disable_weak_ssl);
	else if (!strcmp(kw, "CERTREQUEST"))
		set_certrequest(r, file, line, val);
	else
		return 0;
	return 1;
}

static int is_onearg(const char *kw)
{
	static const char *const names[] = {
		"MAXAGE", "MAXCONN", "TRACKINGDELAY", "STATEPATH", "DATAPATH",
		"CERTFILE", "CERTPATH", "ALLOW_NO_DEVICE", "ALLOW_NOT_ALL_LISTENERS",
		"DISABLE_WEAK_SSL", "CERTREQUEST",
	};
	size_t i;

	if (!strcasecmp(kw, "DEBUG_MIN"))
		return 1;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(kw, names[i]))
			return 1;
	return 0;
}

static int upsd_line(void *arg, const char *file, unsigned line, int argc, char **argv)
{
	struct upsd_reader *r = arg;
	const char *kw = argv[0];
	char words[256];

	if (!strcmp(kw, "LISTEN")) {
		if (want_args(r, file, line, argc, argv, 2, 3))
			add_listen(r->s, argv[1], argc > 2 ? argv[2] : NULL, line);
		return 0;
	}
	if (!strcmp(kw, "CERTIDENT")) {
		if (want_args(r, file, line, argc, argv, 3, 3)) {
			set_string(&r->s->certident, argv[1]);
			set_string(&r->s->certident_pass, argv[2]);
			r->s->certident_line = line;
		}
		return 0;
	}
	if (!strcmp(kw, "ACCEPT") || !strcmp(kw, "REJECT") || !strcmp(kw, "ACL")) {
		conf_warn(r->m, file, line, "%s is no longer supported - switch to LISTEN", kw);
		return 0;
	}
	if (argc == 2 && upsd_onearg(r, file, line, kw, argv[1]))
		return 0;
	if (argc != 2 && is_onearg(kw)) {
		conf_msg(r->m, file, line, "%s: expected exactly one value", kw);
		return 0;
	}
	join_words(words, sizeof(words), argc, argv, 0);
	conf_msg(r->m, file, line, "invalid directive %s", words);
	return 0;
}

static void collect_err(void *arg, const char *file, unsigned line, const char *msg)
{
	struct conf_msgs *m = arg;

	conf_msg(m, file, line, "parse error: %s", msg);
}

/* pconf_file's errcb gets its own arg: route it through the reader */
static void upsd_err(void *arg, const char *file, unsigned line, const char *msg)
{
	struct upsd_reader *r = arg;

	collect_err(r->m, file, line, msg);
}

int conf_read_upsd(const char *path, struct upsd_settings *s, struct conf_msgs *m)
{
	struct upsd_reader r = { s, m };

	if (pconf_file(path, upsd_line, upsd_err, &r) < 0) {
		conf_msg(m, path, 0, "can't open: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void conf_specs_free(struct ups_specs *u)
{
	size_t i;

	for (i = 0; i < u->n; i++) {
		free(u->v[i].name);
		free(u->v[i].driver);
		free(u->v[i].port);
		free(u->v[i].desc);
	}
	free(u->v);
	u->v = NULL;
	u->n = 0;
}

static int spec_exists(const struct ups_specs *u, const char *name)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		if (!strcasecmp(u->v[i].name, name))
			return 1;
	return 0;
}

static void add_spec(struct ups_specs *u, const struct upsconf_section *sec,
		const char *driver, const char *port, const char *desc)
{
	struct ups_spec *sp;

	u->v = xrealloc(u->v, (u->n + 1) * sizeof(*u->v));
	sp = &u->v[u->n++];
	sp->name = xstrdup(sec->name);
	sp->driver = xstrdup(driver);
	sp->port = xstrdup(port);
	sp->desc = desc ? xstrdup(desc) : NULL;
	sp->line = sec->line;
}

int conf_read_ups(const char *path, struct ups_specs *u, struct conf_msgs *m)
{
	struct upsconf uc;
	size_t i;
	int rc;

	memset(&uc, 0, sizeof(uc));
	rc = upsconf_load(&uc, path);
	for (i = 0; i < uc.nerrors; i++)
		conf_msg_raw(m, uc.errors[i]);
	if (rc < 0) {
		if (uc.nerrors == 0)
			conf_msg(m, path, 0, "can't open: %s", strerror(errno));
		upsconf_free(&uc);
		return -1;
	}
	for (i = 0; i < uc.nsections; i++) {
		const struct upsconf_section *sec = &uc.sections[i];
		const char *driver = upsconf_get(sec, "driver");
		const char *port = upsconf_get(sec, "port");

		if (!driver || !port || !*driver) {
			conf_msg(m, path, sec->line,
				"ignoring incomplete configuration for UPS [%s] (missing %s)",
				sec->name, (!driver || !*driver) ? "driver" : "port");
			continue;
		}
		if (spec_exists(u, sec->name)) {
			conf_msg(m, path, sec->line, "UPS name [%s] is already in use!", sec->name);
			continue;
		}
		if (strchr(driver, '/') || strchr(sec->name, '/')) {
			conf_msg(m, path, sec->line, "UPS [%s]: invalid driver or name", sec->name);
			continue;
		}
		add_spec(u, sec, driver, port, upsconf_get(sec, "desc"));
	}
	upsconf_free(&uc);
	return 0;
}
