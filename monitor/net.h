/*
 * net: upsmon's side of the network protocol for one UPS: connect and log
 * in (USERNAME, PASSWORD, LOGIN, then PRIMARY with MASTER as fallback for a
 * primary), poll ups.status, FSD and NUMLOGINS. Every exchange is bounded
 * by the client library's timeout (UPSCLI_TIMEOUT_MS).
 */
#ifndef NET_H
#define NET_H

#include <stddef.h>
#include "ups.h"

/* how to secure the link (upsmon.conf FORCESSL / CERTVERIFY / CERTHOST) */
struct net_tls {
	int forcessl;       /* 1: STARTTLS or no connection at all */
	int certverify;     /* 1: verify the server certificate */
};

/*
 * Connect and authenticate. 0 when the TCP connection is up (even if the
 * login was refused: as NUT, polling goes on and login is retried only
 * after a reconnect), -1 when the connection failed (logged). Without
 * forcessl, TLS is tried and plaintext accepted. quiet: a connect failure
 * is a debug line (repeated failures).
 */
int net_connect(struct ups *u, const struct net_tls *tls, int quiet);

/* GET VAR <ups> ups.status. 0, or -1 (logged unless quiet; connection closed if broken) */
int net_get_status(struct ups *u, char *out, size_t outlen, int quiet);
/* GET VAR <ups> <var>, not logged. 0 or -1 */
int net_get_var(struct ups *u, const char *var, char *out, size_t outlen);

/* FSD <ups>. 0 on OK..., -1 (logged) */
int net_set_fsd(struct ups *u);

/* GET NUMLOGINS <ups>. 0 or -1 */
int net_numlogins(struct ups *u, long *n);

/* Send LOGOUT (not waiting for the reply) and close; the UPS counts as not connected. */
void net_close(struct ups *u);

#endif
