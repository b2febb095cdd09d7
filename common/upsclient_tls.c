/*
 * upsclient_tls.c: TLS settings of a client process (contract in
 * upsclient_tls.h and upsclient.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tls.h"
#include "upsclient.h"
#include "upsclient_tls.h"
#include "util.h"

/*
 * The one piece of process state of the library: NSS is process-wide, so
 * are its settings. ctx is opened at the first STARTTLS by process pid.
 */
static struct {
	char *certpath, *certname, *certpasswd;
	struct upscli_hostcert *hosts;
	struct tls_ctx *ctx;
	pid_t pid;
} upscli_tlsstate;

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void free_secret(char **s)
{
	if (*s) {
		explicit_bzero(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

static void tls_forget_ctx(void)
{
	/* a context inherited through fork() belongs to the parent: leave it */
	if (upscli_tlsstate.ctx && upscli_tlsstate.pid == getpid())
		tls_ctx_free(upscli_tlsstate.ctx);
	upscli_tlsstate.ctx = NULL;
}

int upscli_tls_init(const struct upscli_tlsconf *conf, char *err, size_t errlen)
{
	struct tls_client_opts o = { conf->certpath, conf->certname, conf->certpasswd };
	struct tls_ctx *ctx;

	tls_forget_ctx();
	ctx = tls_client_new(&o, err, errlen);   /* check now, open for real later */
	if (!ctx)
		return -1;
	tls_ctx_free(ctx);
	free(upscli_tlsstate.certpath);
	free(upscli_tlsstate.certname);
	free_secret(&upscli_tlsstate.certpasswd);
	upscli_tlsstate.certpath = dup_or_null(conf->certpath);
	upscli_tlsstate.certname = dup_or_null(conf->certname);
	upscli_tlsstate.certpasswd = dup_or_null(conf->certpasswd);
	return 0;
}

int upscli_tls_add_host(const char *host, const char *certname, int certverify, int forcessl)
{
	struct upscli_hostcert *h;

	if (!host)
		return -1;
	h = xcalloc(1, sizeof(*h));
	h->host = xstrdup(host);
	h->certname = dup_or_null(certname);
	h->certverify = certverify != 0;
	h->forcessl = forcessl != 0;
	h->next = upscli_tlsstate.hosts;
	upscli_tlsstate.hosts = h;
	return 0;
}

void upscli_tls_cleanup(void)
{
	struct upscli_hostcert *h;

	tls_forget_ctx();
	free(upscli_tlsstate.certpath);
	free(upscli_tlsstate.certname);
	free_secret(&upscli_tlsstate.certpasswd);
	upscli_tlsstate.certpath = upscli_tlsstate.certname = NULL;
	while ((h = upscli_tlsstate.hosts) != NULL) {
		upscli_tlsstate.hosts = h->next;
		free(h->host);
		free(h->certname);
		free(h);
	}
}

const struct upscli_hostcert *upscli_tls_host(const char *host)
{
	const struct upscli_hostcert *h;

	for (h = upscli_tlsstate.hosts; h; h = h->next)
		if (!strcmp(h->host, host))
			return h;
	return NULL;
}

int upscli_tls_have_db(void)
{
	return upscli_tlsstate.certpath != NULL;
}

struct tls_ctx *upscli_tls_ctx(char *err, size_t errlen)
{
	struct tls_client_opts o = {
		upscli_tlsstate.certpath, upscli_tlsstate.certname, upscli_tlsstate.certpasswd
	};

	if (upscli_tlsstate.ctx && upscli_tlsstate.pid == getpid())
		return upscli_tlsstate.ctx;
	if (upscli_tlsstate.ctx) {
		snprintf(err, errlen, "TLS was set up before fork(): not usable here");
		return NULL;
	}
	upscli_tlsstate.ctx = tls_client_new(&o, err, errlen);
	upscli_tlsstate.pid = getpid();
	return upscli_tlsstate.ctx;
}
