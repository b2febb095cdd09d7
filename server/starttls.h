/*
 * starttls: TLS in upsd (owner: tls). upsd.conf CERTPATH, CERTIDENT,
 * CERTREQUEST and DISABLE_WEAK_SSL, the STARTTLS command, and the start of
 * a client's session. NSS itself stays in common/tls.c; client.c drives
 * the handshake and the encrypted I/O on socket readiness.
 *
 * Unlike NUT 2.8.0, a TLS setting that cannot be used stops upsd at start
 * (and is reported by upsd -n) instead of silently leaving TLS off.
 */
#ifndef UPSD_STARTTLS_H
#define UPSD_STARTTLS_H

#include "conf.h"
#include "upsd.h"

/* upsd_client.tls_state */
enum {
	STARTTLS_NONE = 0,
	STARTTLS_QUEUED,       /* "OK STARTTLS" queued; the handshake starts once it is sent */
	STARTTLS_HANDSHAKE,    /* tlsconn set, handshake in progress */
	STARTTLS_UP            /* every byte now goes through tlsconn */
};

/*
 * Called by apply_settings before it takes the new values: remembers the
 * config lines; on reload, warns when TLS settings changed (they need a
 * restart).
 */
void starttls_settings(struct upsd *d, const struct upsd_settings *s);

/* upsd -n: add the problems of the TLS settings to m (opens the database, then closes it) */
void starttls_check(const struct upsd *d, const struct upsd_settings *s, struct conf_msgs *m);

/* open the database and find the certificate; fatal on any problem */
void starttls_start(struct upsd *d);
/* give NSS up (before fork); no session may be open */
void starttls_stop(struct upsd *d);
/* at exit: starttls_stop and free d->starttls */
void starttls_free(struct upsd *d);

/* STARTTLS: NULL when the session may switch to TLS, else the ERR token */
const char *starttls_refusal(const struct upsd *d, const struct upsd_client *c);
/* after queuing "OK STARTTLS": nothing else is read or written in clear */
void starttls_accepted(struct upsd_client *c);
/* keep bytes read after the STARTTLS line (bounded); -1 when too many */
int starttls_keep_early(struct upsd_client *c, const char *data, size_t len);
/* "OK STARTTLS" is out: hand the socket to NSS. -1 when that failed (logged) */
int starttls_begin(struct upsd_client *c);
/* log the end of a handshake (ok = 1 done, 0 failed) */
void starttls_report(struct upsd_client *c, int ok);
/* free the session (closes the fd: c->fd is -1 afterwards) */
void starttls_free_client(struct upsd_client *c);

#endif
