/*
 * upsclient_tls: the TLS settings of a client process (owner: tls), kept
 * for upsclient.c: upsmon.conf CERTPATH / CERTIDENT (upscli_tls_init) and
 * CERTHOST entries (upscli_tls_add_host), and the NSS context opened at the
 * first STARTTLS. The public calls are declared in upsclient.h.
 */
#ifndef UPSCLIENT_TLS_H
#define UPSCLIENT_TLS_H

#include <stddef.h>

struct tls_ctx;

struct upscli_hostcert {
	char *host, *certname;
	int certverify, forcessl;
	struct upscli_hostcert *next;
};

/* the CERTHOST entry of host (exact match), or NULL; owned by the settings */
const struct upscli_hostcert *upscli_tls_host(const char *host);
/* 1 when a CERTPATH is set */
int upscli_tls_have_db(void);
/*
 * The context of this process, opened on first use with the settings.
 * NULL with a message in err. Owned by the settings (upscli_tls_cleanup).
 */
struct tls_ctx *upscli_tls_ctx(char *err, size_t errlen);

#endif
