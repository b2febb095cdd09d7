/*
 * tls-none.c: the tls.h contract for builds without NSS (--without-nss):
 * nothing can be set up, so no session ever exists.
 */
#include <stdio.h>
#include <unistd.h>

#include "tls.h"

static const char tls_none_msg[] = "TLS support not built (configured --without-nss)";

int tls_available(void)
{
	return 0;
}

struct tls_ctx *tls_server_new(const struct tls_server_opts *o, enum tls_fail *why,
		char *err, size_t errlen)
{
	(void)o;
	if (why)
		*why = TLS_FAIL_DB;
	snprintf(err, errlen, "%s", tls_none_msg);
	return NULL;
}

struct tls_ctx *tls_client_new(const struct tls_client_opts *o, char *err, size_t errlen)
{
	(void)o;
	snprintf(err, errlen, "%s", tls_none_msg);
	return NULL;
}

int tls_ctx_has_db(const struct tls_ctx *ctx)
{
	(void)ctx;
	return 0;
}

void tls_ctx_free(struct tls_ctx *ctx)
{
	(void)ctx;
}

struct tls_conn *tls_accept(struct tls_ctx *ctx, int fd, const char *peer,
		const void *early, size_t earlylen, char *err, size_t errlen)
{
	(void)ctx;
	(void)peer;
	(void)early;
	(void)earlylen;
	close(fd);
	snprintf(err, errlen, "%s", tls_none_msg);
	return NULL;
}

struct tls_conn *tls_connect(struct tls_ctx *ctx, int fd, const char *servername,
		int verify, char *err, size_t errlen)
{
	(void)ctx;
	(void)servername;
	(void)verify;
	close(fd);
	snprintf(err, errlen, "%s", tls_none_msg);
	return NULL;
}

/* no session can exist: the remaining calls are never reached with one */
int tls_handshake(struct tls_conn *t)
{
	(void)t;
	return -1;
}

long tls_read(struct tls_conn *t, void *buf, size_t len)
{
	(void)t;
	(void)buf;
	(void)len;
	return -1;
}

long tls_write(struct tls_conn *t, const void *buf, size_t len)
{
	(void)t;
	(void)buf;
	(void)len;
	return -1;
}

int tls_flush(struct tls_conn *t)
{
	(void)t;
	return -1;
}

int tls_unsent(const struct tls_conn *t)
{
	(void)t;
	return 0;
}

int tls_pending(struct tls_conn *t)
{
	(void)t;
	return 0;
}

const char *tls_errstr(const struct tls_conn *t)
{
	(void)t;
	return tls_none_msg;
}

const char *tls_describe(struct tls_conn *t, char *out, size_t outlen)
{
	(void)t;
	snprintf(out, outlen, "none");
	return out;
}

int tls_peer_cert(struct tls_conn *t)
{
	(void)t;
	return 0;
}

void tls_close(struct tls_conn *t)
{
	(void)t;
}
