/*
 * tls: TLS (STARTTLS) through Mozilla NSS, for upsd and for the client
 * library. The only module that includes NSS or NSPR headers.
 *
 * NSS is process-wide: a process holds at most one struct tls_ctx (server
 * or client side), created after any fork(). Every session is non-blocking:
 * tls_handshake / tls_read / tls_write / tls_flush return TLS_WANT_READ or
 * TLS_WANT_WRITE and the caller calls again once the fd is ready that way.
 * Policy, both sides: TLS 1.2 minimum, 1.3 preferred, AEAD suites with
 * forward secrecy only, no renegotiation.
 *
 * Builds without NSS link tls-none.c: tls_available() is 0 and every
 * constructor fails with "TLS support not built".
 */
#ifndef TLS_H
#define TLS_H

#include <stddef.h>

#define TLS_WANT_READ  (-2)
#define TLS_WANT_WRITE (-3)

/* CERTREQUEST levels (upsd.conf NO/REQUEST/REQUIRE, also 0/1/2) */
#define TLS_CERT_NO      0
#define TLS_CERT_REQUEST 1   /* ask; serve clients without a valid one too */
#define TLS_CERT_REQUIRE 2   /* a certificate trusted by the database, or no session */

struct tls_ctx;
struct tls_conn;

/* 1 when this build has TLS */
int tls_available(void);

/*
 * Which step of the server set-up failed (for the caller's messages, so
 * it can name the config line): TLS_FAIL_DB concerns CERTPATH, the others
 * CERTIDENT.
 */
enum tls_fail { TLS_FAIL_NONE = 0, TLS_FAIL_DB, TLS_FAIL_PASSWORD, TLS_FAIL_CERT, TLS_FAIL_KEY };

struct tls_server_opts {
	const char *certpath;      /* NSS database directory */
	const char *nickname;      /* certificate to present */
	const char *password;      /* database password, NULL when none */
	int certrequest;           /* TLS_CERT_* */
};

/*
 * Open the database (read-only), log in, find the certificate and its key.
 * NULL on failure with a message in err and the step in *why (may be NULL).
 * Free with tls_ctx_free (which shuts NSS down).
 */
struct tls_ctx *tls_server_new(const struct tls_server_opts *o, enum tls_fail *why,
		char *err, size_t errlen);

struct tls_client_opts {
	const char *certpath;      /* NSS database; NULL = none (no verification possible) */
	const char *certname;      /* client certificate nickname (CERTIDENT), or NULL */
	const char *password;      /* database password, or NULL */
};

/* Client side; certname/password are checked at once. NULL + err on failure. */
struct tls_ctx *tls_client_new(const struct tls_client_opts *o, char *err, size_t errlen);
int tls_ctx_has_db(const struct tls_ctx *ctx);   /* 1 when opened with a database */
void tls_ctx_free(struct tls_ctx *ctx);           /* NULL is fine; sessions must be closed first */

/*
 * Start a server session on a connected socket. early/earlylen are bytes
 * already read from the socket after the STARTTLS line: they are the
 * first input of the TLS layer (copied). The fd belongs to the session
 * from now on (tls_close closes it), also on failure (NULL + err).
 */
struct tls_conn *tls_accept(struct tls_ctx *ctx, int fd, const char *peer,
		const void *early, size_t earlylen, char *err, size_t errlen);

/*
 * Start a client session. servername: the name the server certificate
 * must carry when verify is set (also sent as SNI). fd ownership as
 * tls_accept.
 */
struct tls_conn *tls_connect(struct tls_ctx *ctx, int fd, const char *servername,
		int verify, char *err, size_t errlen);

/* 0 once the handshake is complete, TLS_WANT_*, or -1 (tls_errstr) */
int tls_handshake(struct tls_conn *t);
/* bytes read (> 0), 0 at end of stream, TLS_WANT_*, or -1 */
long tls_read(struct tls_conn *t, void *buf, size_t len);
/* bytes taken (> 0), TLS_WANT_*, or -1; taken bytes may wait inside NSS: see tls_flush */
long tls_write(struct tls_conn *t, const void *buf, size_t len);
/* push data NSS holds back: 0 when nothing is left, TLS_WANT_WRITE, or -1 */
int tls_flush(struct tls_conn *t);
/* 1 when NSS holds unsent output (call tls_flush on writability) */
int tls_unsent(const struct tls_conn *t);
/* decrypted bytes ready to read without waiting for the socket */
int tls_pending(struct tls_conn *t);

/* text of the last failure of this session ("" when none) */
const char *tls_errstr(const struct tls_conn *t);
/* "TLSv1.3 TLS_AES_128_GCM_SHA256" once the handshake is done */
const char *tls_describe(struct tls_conn *t, char *out, size_t outlen);
/* 1 when the peer presented a certificate */
int tls_peer_cert(struct tls_conn *t);

/* close_notify (best effort), free, close the fd; NULL is fine */
void tls_close(struct tls_conn *t);

#endif
