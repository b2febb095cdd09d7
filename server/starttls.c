/*
 * starttls.c: TLS settings, the STARTTLS command and session start for
 * upsd (contract in starttls.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "starttls.h"
#include "tls.h"
#include "util.h"

#define STARTTLS_EARLY_MAX 16384   /* bytes kept between STARTTLS and the handshake */

struct starttls {
	struct tls_ctx *ctx;           /* NULL: TLS not configured */
	unsigned certfile_line, certpath_line, certident_line;
	/* the settings ctx was built from (reload compares against them) */
	char *path, *ident;
	int certrequest;
};

/* what upsd.conf says about TLS */
struct tlsconf {
	const char *certfile, *certpath, *certident, *password;
	int certrequest;
	unsigned certfile_line, certpath_line, certident_line;
};

static const char *const certrequest_names[] = { "NO", "REQUEST", "REQUIRE" };

static struct starttls *state(struct upsd *d)
{
	if (!d->starttls)
		d->starttls = xcalloc(1, sizeof(*d->starttls));
	return d->starttls;
}

static void upsd_conf_path(const struct upsd *d, char *out, size_t outlen)
{
	if (path_join(out, outlen, d->confpath, "upsd.conf") < 0)
		str_copy(out, "upsd.conf", outlen);
}

static int streq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void msg_at(char *msg, size_t msglen, const char *file, unsigned line, const char *text)
{
	if (line > 0)
		snprintf(msg, msglen, "%s:%u: %s", file, line, text);
	else
		snprintf(msg, msglen, "%s: %s", file, text);
}

/*
 * Check the settings and open the database. 0 with *out = NULL when TLS is
 * not configured, 0 with a context, or -1 with the problem in msg.
 */
static int tlsconf_open(const struct tlsconf *t, const char *file, struct tls_ctx **out,
		char *msg, size_t msglen)
{
	struct tls_server_opts o = { t->certpath, t->certident, t->password, t->certrequest };
	enum tls_fail why = TLS_FAIL_NONE;
	char err[400], text[500];

	*out = NULL;
	if (t->certfile) {
		msg_at(msg, msglen, file, t->certfile_line, "CERTFILE is a setting of OpenSSL builds; "
			"this upsd uses NSS: set CERTPATH and CERTIDENT instead");
		return -1;
	}
	if (!t->certpath && !t->certident)
		return 0;
	if (!t->certpath) {
		msg_at(msg, msglen, file, t->certident_line,
			"CERTIDENT needs CERTPATH (the NSS database directory)");
		return -1;
	}
	if (!t->certident) {
		msg_at(msg, msglen, file, t->certpath_line,
			"CERTPATH needs CERTIDENT \"<certificate nickname>\" \"<database password>\"");
		return -1;
	}
	if (!tls_available()) {
		msg_at(msg, msglen, file, t->certpath_line,
			"CERTPATH: this upsd was built without TLS (--without-nss)");
		return -1;
	}
	*out = tls_server_new(&o, &why, err, sizeof(err));
	if (*out)
		return 0;
	if (why == TLS_FAIL_DB) {
		snprintf(text, sizeof(text), "CERTPATH %s: %s", t->certpath, err);
		msg_at(msg, msglen, file, t->certpath_line, text);
	} else {
		snprintf(text, sizeof(text), "CERTIDENT \"%s\": %s (database %s)",
			t->certident, err, t->certpath);
		msg_at(msg, msglen, file, t->certident_line, text);
	}
	return -1;
}

void starttls_settings(struct upsd *d, const struct upsd_settings *s)
{
	struct starttls *st = state(d);
	int req = s->certrequest > 0 ? s->certrequest : 0;

	if (st->ctx && (!streq(st->path, s->certpath) || !streq(st->ident, s->certident)
			|| st->certrequest != req || s->certfile))
		log_warnx("TLS settings (CERTPATH, CERTIDENT, CERTREQUEST) changed: "
			"restart upsd to use them; the running TLS setup is kept");
	st->certfile_line = s->certfile_line;
	st->certpath_line = s->certpath_line;
	st->certident_line = s->certident_line;
}

void starttls_check(const struct upsd *d, const struct upsd_settings *s, struct conf_msgs *m)
{
	struct tlsconf t = {
		s->certfile, s->certpath, s->certident, s->certident_pass,
		s->certrequest > 0 ? s->certrequest : 0,
		s->certfile_line, s->certpath_line, s->certident_line
	};
	struct tls_ctx *ctx;
	char file[512], msg[1200];

	upsd_conf_path(d, file, sizeof(file));
	if (tlsconf_open(&t, file, &ctx, msg, sizeof(msg)) < 0) {
		conf_msg_raw(m, msg);
		return;
	}
	tls_ctx_free(ctx);
}

void starttls_start(struct upsd *d)
{
	struct starttls *st = state(d);
	struct tlsconf t = {
		d->certfile, d->certpath, d->certident, d->certident_pass, d->certrequest,
		st->certfile_line, st->certpath_line, st->certident_line
	};
	char file[512], msg[1200];

	if (st->ctx)
		return;
	upsd_conf_path(d, file, sizeof(file));
	if (tlsconf_open(&t, file, &st->ctx, msg, sizeof(msg)) < 0)
		fatalx("Fatal error: %s", msg);
	free(st->path);
	free(st->ident);
	st->path = d->certpath ? xstrdup(d->certpath) : NULL;
	st->ident = d->certident ? xstrdup(d->certident) : NULL;
	st->certrequest = d->certrequest;
	if (!st->ctx)
		return;
	log_info("TLS: certificate \"%s\" from %s, CERTREQUEST %s",
		d->certident, d->certpath, certrequest_names[d->certrequest > 2 ? 2 : d->certrequest]);
	/* nothing weak is ever enabled: TLS 1.2+ with AEAD suites only */
	log_debug(1, "TLS: DISABLE_WEAK_SSL %s (no effect: weak protocols and suites are always off)",
		d->disable_weak_ssl ? "true" : "false");
}

void starttls_stop(struct upsd *d)
{
	struct starttls *st = d->starttls;

	if (!st)
		return;
	tls_ctx_free(st->ctx);
	st->ctx = NULL;
}

void starttls_free(struct upsd *d)
{
	struct starttls *st = d->starttls;

	if (!st)
		return;
	starttls_stop(d);
	free(st->path);
	free(st->ident);
	free(st);
	d->starttls = NULL;
}

const char *starttls_refusal(const struct upsd *d, const struct upsd_client *c)
{
	if (c->tls)
		return "ALREADY-SSL-MODE";
	if (!tls_available())
		return "FEATURE-NOT-SUPPORTED";
	if (!d->starttls || !d->starttls->ctx)
		return "FEATURE-NOT-CONFIGURED";
	return NULL;
}

void starttls_accepted(struct upsd_client *c)
{
	c->tls = 1;
	c->tls_state = STARTTLS_QUEUED;
}

int starttls_keep_early(struct upsd_client *c, const char *data, size_t len)
{
	if (len == 0)
		return 0;
	if (len > STARTTLS_EARLY_MAX - c->tls_earlylen)
		return -1;
	c->tls_early = xrealloc(c->tls_early, c->tls_earlylen + len);
	memcpy(c->tls_early + c->tls_earlylen, data, len);
	c->tls_earlylen += len;
	return 0;
}

int starttls_begin(struct upsd_client *c)
{
	struct starttls *st = c->upsd->starttls;
	char err[300];

	c->tlsconn = tls_accept(st ? st->ctx : NULL, c->fd, c->addr, c->tls_early,
		c->tls_earlylen, err, sizeof(err));
	free(c->tls_early);
	c->tls_early = NULL;
	c->tls_earlylen = 0;
	if (!c->tlsconn) {
		/* tls_accept closed the socket */
		log_warnx("Can not initialize SSL connection with client %s: %s", c->addr, err);
		c->fd = -1;
		return -1;
	}
	c->tls_state = STARTTLS_HANDSHAKE;
	return 0;
}

void starttls_report(struct upsd_client *c, int ok)
{
	char desc[128];
	const char *err;

	if (ok) {
		log_info("SSL handshake done successfully with client %s (%s%s)", c->addr,
			tls_describe(c->tlsconn, desc, sizeof(desc)),
			tls_peer_cert(c->tlsconn) ? ", client certificate" : "");
		return;
	}
	err = tls_errstr(c->tlsconn);
	if (strstr(err, "SSL_ERROR_NO_CERTIFICATE") || strstr(err, "SSL_ERROR_RX_CERTIFICATE_REQUIRED"))
		log_warnx("Client %s did not provide any certificate while we require one", c->addr);
	else
		log_warnx("SSL handshake with client %s failed: %s", c->addr, err[0] ? err : "peer gone");
}

void starttls_free_client(struct upsd_client *c)
{
	if (c->tlsconn) {
		tls_close(c->tlsconn);
		c->tlsconn = NULL;
		c->fd = -1;
	}
	free(c->tls_early);
	c->tls_early = NULL;
	c->tls_earlylen = 0;
}
