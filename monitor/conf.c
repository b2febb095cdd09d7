/*
 * conf: upsmon.conf reader (see conf.h). A directive is a row of
 * conf_table: name, argument count, value kind and range, where it is
 * stored, or a handler for the structured ones.
 */
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "log.h"
#include "pconf.h"
#include "upsclient.h"
#include "util.h"

struct conf_ctx {
	struct mon_conf *c;
	const char *file;
	unsigned line;
	int flags;
};

enum conf_kind { K_STR, K_LONG, K_BOOL, K_FUNC };

struct conf_directive {
	const char *name;
	int nargs;                  /* words after the keyword */
	enum conf_kind kind;
	long min, max;              /* K_LONG range */
	size_t off;                 /* K_STR/K_LONG/K_BOOL field */
	void (*handler)(struct conf_ctx *x, int argc, char **argv);
	int inert;                  /* accepted for compatibility, no effect here */
};

static void conf_h_monitor(struct conf_ctx *x, int argc, char **argv);
static void conf_h_notifycmd(struct conf_ctx *x, int argc, char **argv);
static void conf_h_notifymsg(struct conf_ctx *x, int argc, char **argv);
static void conf_h_notifyflag(struct conf_ctx *x, int argc, char **argv);
static void conf_h_certident(struct conf_ctx *x, int argc, char **argv);
static void conf_h_certhost(struct conf_ctx *x, int argc, char **argv);
static void conf_h_shutdownexit(struct conf_ctx *x, int argc, char **argv);

#define F(field) offsetof(struct mon_conf, field)
#define DAY 86400L

static const struct conf_directive conf_table[] = {
	{ "MONITOR",        5, K_FUNC, 0, 0, 0, conf_h_monitor, 0 },
	{ "MINSUPPLIES",    1, K_LONG, 0, INT_MAX, F(minsupplies), NULL, 0 },
	{ "SHUTDOWNCMD",    1, K_STR,  0, 0, F(shutdowncmd), NULL, 0 },
	{ "NOTIFYCMD",      1, K_FUNC, 0, 0, 0, conf_h_notifycmd, 0 },
	{ "POLLFREQ",       1, K_LONG, 1, DAY, F(pollfreq), NULL, 0 },
	{ "POLLFREQALERT",  1, K_LONG, 1, DAY, F(pollfreqalert), NULL, 0 },
	{ "HOSTSYNC",       1, K_LONG, 0, DAY, F(hostsync), NULL, 0 },
	{ "DEADTIME",       1, K_LONG, 0, DAY, F(deadtime), NULL, 0 },
	{ "POWERDOWNFLAG",  1, K_STR,  0, 0, F(powerdownflag), NULL, 0 },
	{ "NOTIFYMSG",      2, K_FUNC, 0, 0, 0, conf_h_notifymsg, 0 },
	{ "NOTIFYFLAG",     2, K_FUNC, 0, 0, 0, conf_h_notifyflag, 0 },
	{ "RBWARNTIME",     1, K_LONG, 0, 365 * DAY, F(rbwarntime), NULL, 0 },
	{ "NOCOMMWARNTIME", 1, K_LONG, 0, 365 * DAY, F(nocommwarntime), NULL, 0 },
	{ "FINALDELAY",     1, K_LONG, 0, DAY, F(finaldelay), NULL, 0 },
	{ "RUN_AS_USER",    1, K_STR,  0, 0, F(run_as_user), NULL, 0 },
	{ "CERTPATH",       1, K_STR,  0, 0, F(certpath), NULL, 0 },
	{ "CERTIDENT",      2, K_FUNC, 0, 0, 0, conf_h_certident, 0 },
	{ "CERTHOST",       4, K_FUNC, 0, 0, 0, conf_h_certhost, 0 },
	{ "CERTVERIFY",     1, K_BOOL, 0, 1, F(certverify), NULL, 0 },
	{ "FORCESSL",       1, K_BOOL, 0, 1, F(forcessl), NULL, 0 },
	{ "DEBUG_MIN",      1, K_LONG, 0, 99, F(debug_min), NULL, 0 },
	{ "OFFDURATION",    1, K_LONG, -DAY, DAY, F(offduration), NULL, 0 },
	{ "SHUTDOWNEXIT",   1, K_FUNC, 0, 0, 0, conf_h_shutdownexit, 0 },
	{ "POLLFAIL_LOG_THROTTLE_MAX", 1, K_LONG, -1, INT_MAX,
		F(pollfail_log_throttle_max), NULL, 0 },
	{ "OBLBDURATION",   1, K_LONG, -DAY, DAY, F(oblbduration), NULL, 0 },
	{ "OVERDURATION",   1, K_LONG, -DAY, DAY, F(overduration), NULL, 0 },
	{ "ALARMCRITICAL",  1, K_BOOL, 0, 1, F(alarmcritical), NULL, 0 },
	{ "CERTFILE",       1, K_STR,  0, 0, F(certfile), NULL, 1 },
};

static void conf_report(struct conf_ctx *x, int error, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void conf_report(struct conf_ctx *x, int error, const char *fmt, va_list ap)
{
	char msg[768];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (error) {
		log_error("%s:%u: %s", x->file, x->line, msg);
		x->c->nerrors++;
	} else {
		log_warnx("%s:%u: %s", x->file, x->line, msg);
		x->c->nwarnings++;
	}
}

static void conf_error(struct conf_ctx *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void conf_error(struct conf_ctx *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_report(x, 1, fmt, ap);
	va_end(ap);
}

static void conf_warn(struct conf_ctx *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void conf_warn(struct conf_ctx *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_report(x, 0, fmt, ap);
	va_end(ap);
}

/* a warning at startup (NUT only logs these), an error in check mode */
static void conf_strict(struct conf_ctx *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void conf_strict(struct conf_ctx *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_report(x, (x->flags & CONF_STRICT) != 0, fmt, ap);
	va_end(ap);
}

void conf_init(struct mon_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->minsupplies = 1;
	c->pollfreq = 5;
	c->pollfreqalert = 5;
	c->hostsync = 15;
	c->deadtime = 15;
	c->rbwarntime = 43200;
	c->nocommwarntime = 300;
	c->finaldelay = 5;
	c->debug_min = -1;
	c->offduration = 30;
	c->shutdownexit = 0;
	c->pollfail_log_throttle_max = -1;
	c->oblbduration = 0;
	c->overduration = -1;
	c->alarmcritical = 1;
	notify_conf_init(&c->notify);
}

static void conf_monitor_free(struct conf_monitor *m)
{
	free(m->sys);
	free(m->upsname);
	free(m->host);
	free(m->user);
	free(m->pass);
}

void conf_free(struct mon_conf *c)
{
	size_t i;

	for (i = 0; i < c->nmon; i++)
		conf_monitor_free(&c->mon[i]);
	free(c->mon);
	for (i = 0; i < c->ncerthosts; i++) {
		free(c->certhosts[i].host);
		free(c->certhosts[i].certname);
	}
	free(c->certhosts);
	free(c->path);
	free(c->shutdowncmd);
	free(c->powerdownflag);
	free(c->run_as_user);
	free(c->certpath);
	free(c->certname);
	free(c->certpasswd);
	free(c->certfile);
	notify_conf_free(&c->notify);
	memset(c, 0, sizeof(*c));
}

static void conf_set_str(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

static int conf_role_primary(struct conf_ctx *x, const char *role)
{
	if (strcasecmp(role, "primary") == 0 || strcasecmp(role, "master") == 0)
		return 1;
	if (strcasecmp(role, "secondary") != 0 && strcasecmp(role, "slave") != 0)
		conf_strict(x, "MONITOR: unknown role '%s', treated as secondary", role);
	return 0;
}

static void conf_h_monitor(struct conf_ctx *x, int argc, char **argv)
{
	struct mon_conf *c = x->c;
	struct conf_monitor m;

	if (argc == 5) {
		conf_error(x, "Unable to use old-style MONITOR line without a username");
		return;
	}
	memset(&m, 0, sizeof(m));
	if (parse_long(argv[2], 0, INT_MAX, &m.pv) < 0) {
		conf_error(x, "MONITOR %s: invalid power value '%s'", argv[1], argv[2]);
		return;
	}
	if (upscli_splitname(argv[1], &m.upsname, &m.host, &m.port) < 0) {
		conf_error(x, "MONITOR: invalid UPS name '%s' (expected upsname[@hostname[:port]])",
			argv[1]);
		return;
	}
	if (conf_find(c, argv[1])) {
		conf_warn(x, "ignoring duplicate UPS [%s]", argv[1]);
		conf_monitor_free(&m);
		return;
	}
	m.sys = xstrdup(argv[1]);
	m.user = xstrdup(argv[3]);
	m.pass = xstrdup(argv[4]);
	m.primary = conf_role_primary(x, argv[5]);
	m.line = x->line;
	c->mon = xrealloc(c->mon, (c->nmon + 1) * sizeof(*c->mon));
	c->mon[c->nmon++] = m;
}

static void conf_h_notifycmd(struct conf_ctx *x, int argc, char **argv)
{
	(void)argc;
	conf_set_str(&x->c->notify.cmd, argv[1]);
}

static int conf_notify_type(struct conf_ctx *x, const char *name)
{
	int t = notify_lookup(name);

	if (t < 0)
		conf_strict(x, "'%s' is not a valid notify event name", name);
	return t;
}

static void conf_h_notifymsg(struct conf_ctx *x, int argc, char **argv)
{
	int t = conf_notify_type(x, argv[1]);

	(void)argc;
	if (t < 0)
		return;
	if (strlen(argv[2]) >= NOTIFY_MSGLEN)
		conf_warn(x, "NOTIFYMSG %s: message longer than %d characters is cut",
			argv[1], NOTIFY_MSGLEN - 1);
	conf_set_str(&x->c->notify.msg[t], argv[2]);
}

/* as NUT: the listed flags replace the old ones; a bad word is skipped */
static void conf_h_notifyflag(struct conf_ctx *x, int argc, char **argv)
{
	int t = conf_notify_type(x, argv[1]);
	int flags = 0;
	char *words = xstrdup(argv[2]), *save = NULL, *w;

	(void)argc;
	for (w = strtok_r(words, "+", &save); w; w = strtok_r(NULL, "+", &save)) {
		int f;
		char bad[64];

		if (notify_parse_flags(w, &f, bad, sizeof(bad)) < 0)
			conf_strict(x, "NOTIFYFLAG %s: invalid notify flag [%s]", argv[1], bad);
		else
			flags |= f;
	}
	free(words);
	if (t >= 0)
		x->c->notify.flags[t] = flags;
}

static void conf_h_certident(struct conf_ctx *x, int argc, char **argv)
{
	(void)argc;
	conf_set_str(&x->c->certname, argv[1]);
	conf_set_str(&x->c->certpasswd, argv[2]);
}

static void conf_h_certhost(struct conf_ctx *x, int argc, char **argv)
{
	struct mon_conf *c = x->c;
	struct conf_certhost h;

	(void)argc;
	if (parse_long(argv[3], 0, 1, &h.verify) < 0 ||
	    parse_long(argv[4], 0, 1, &h.forcessl) < 0) {
		conf_error(x, "CERTHOST %s: verify and forcessl must be 0 or 1", argv[1]);
		return;
	}
	h.host = xstrdup(argv[1]);
	h.certname = xstrdup(argv[2]);
	c->certhosts = xrealloc(c->certhosts, (c->ncerthosts + 1) * sizeof(*c->certhosts));
	c->certhosts[c->ncerthosts++] = h;
}

/* yes = exit at once (0), no = never exit (-1), or seconds to linger */
static void conf_h_shutdownexit(struct conf_ctx *x, int argc, char **argv)
{
	int b = parse_bool(argv[1]);
	long v;

	(void)argc;
	if (b >= 0) {
		x->c->shutdownexit = b ? 0 : -1;
		return;
	}
	if (parse_long(argv[1], -1, DAY, &v) < 0) {
		conf_error(x, "SHUTDOWNEXIT: invalid value '%s' (yes, no or seconds)", argv[1]);
		return;
	}
	x->c->shutdownexit = v;
}

static void conf_set_value(struct conf_ctx *x, const struct conf_directive *d, const char *v)
{
	char *base = (char *)x->c;
	long n;
	int b;

	switch (d->kind) {
	case K_STR:
		conf_set_str((char **)(base + d->off), v);
		break;
	case K_LONG:
		if (parse_long(v, d->min, d->max, &n) < 0) {
			conf_error(x, "%s: invalid value '%s' (expected a number %ld..%ld)",
				d->name, v, d->min, d->max);
			return;
		}
		*(long *)(base + d->off) = n;
		break;
	case K_BOOL:
		b = parse_bool(v);
		if (b < 0) {
			conf_error(x, "%s: invalid value '%s' (expected 0 or 1)", d->name, v);
			return;
		}
		*(long *)(base + d->off) = b;
		break;
	case K_FUNC:
		break;
	}
}

static const struct conf_directive *conf_lookup(const char *word)
{
	size_t i;

	for (i = 0; i < sizeof(conf_table) / sizeof(conf_table[0]); i++) {
		const struct conf_directive *d = &conf_table[i];

		/* keywords are upper case and exact, DEBUG_MIN excepted */
		if (strcmp(word, d->name) == 0 ||
		    (strcmp(d->name, "DEBUG_MIN") == 0 && strcasecmp(word, d->name) == 0))
			return d;
	}
	return NULL;
}

static void conf_invalid(struct conf_ctx *x, int argc, char **argv)
{
	char msg[512];
	size_t len = 0;
	int i;

	msg[0] = '\0';
	for (i = 0; i < argc && len < sizeof(msg); i++)
		len += (size_t)snprintf(msg + len, sizeof(msg) - len, " %s", argv[i]);
	conf_strict(x, "invalid directive%s", msg);
}

static int conf_line(void *arg, const char *file, unsigned line, int argc, char **argv)
{
	struct conf_ctx *x = arg;
	const struct conf_directive *d;

	x->file = file;
	x->line = line;
	if (argc < 1)
		return 0;
	d = conf_lookup(argv[0]);
	if (!d) {
		conf_invalid(x, argc, argv);
		return 0;
	}
	if (argc - 1 < d->nargs && !(d->handler == conf_h_monitor && argc == 5)) {
		conf_error(x, "%s needs %d argument%s", d->name, d->nargs, d->nargs > 1 ? "s" : "");
		return 0;
	}
	if (argc - 1 > d->nargs)
		conf_strict(x, "%s: extra words after argument %d ignored (quote a value with spaces)",
			d->name, d->nargs);
	if (d->inert)
		log_debug(1, "%s:%u: %s is an OpenSSL-build setting: ignored (TLS here uses "
			"the NSS database of CERTPATH)", file, line, d->name);
	if (d->kind == K_FUNC)
		d->handler(x, argc, argv);
	else
		conf_set_value(x, d, argv[1]);
	return 0;
}

static void conf_parse_error(void *arg, const char *file, unsigned line, const char *msg)
{
	struct conf_ctx *x = arg;

	x->file = file;
	x->line = line;
	conf_error(x, "parse error: %s", msg);
}

int conf_load(struct mon_conf *c, const char *path, int flags)
{
	struct conf_ctx x;

	conf_init(c);
	c->path = xstrdup(path);
	memset(&x, 0, sizeof(x));
	x.c = c;
	x.file = path;
	x.flags = flags;
	if (pconf_file(path, conf_line, conf_parse_error, &x) < 0) {
		log_warn("Can't open %s", path);
		c->nerrors++;
		return -1;
	}
	if (c->certverify && !c->certpath) {
		log_error("%s: Configuration error: CERTVERIFY is set, but CERTPATH isn't", path);
		c->nerrors++;
	}
	return c->nerrors ? -1 : 0;
}

long conf_total_pv(const struct mon_conf *c)
{
	long sum = 0;
	size_t i;

	for (i = 0; i < c->nmon; i++)
		sum += c->mon[i].pv;
	return sum;
}

const struct conf_monitor *conf_find(const struct mon_conf *c, const char *sys)
{
	size_t i;

	for (i = 0; i < c->nmon; i++) {
		if (strcmp(c->mon[i].sys, sys) == 0)
			return &c->mon[i];
	}
	return NULL;
}

static void conf_keep_str(const char *name, const char *old, char **nv)
{
	if ((old == NULL && *nv == NULL) || (old && *nv && strcmp(old, *nv) == 0))
		return;
	log_warnx("Warning: %s redefined in split-process mode!", name);
	log_warnx("You must restart upsmon for this change to work");
	free(*nv);
	*nv = old ? xstrdup(old) : NULL;
}

void conf_keep_fixed(const struct mon_conf *old, struct mon_conf *nc)
{
	conf_keep_str("SHUTDOWNCMD", old->shutdowncmd, &nc->shutdowncmd);
	conf_keep_str("POWERDOWNFLAG", old->powerdownflag, &nc->powerdownflag);
	conf_keep_str("RUN_AS_USER", old->run_as_user, &nc->run_as_user);
}
