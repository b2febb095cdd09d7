/*
 * upsclient: the client side of the NUT network protocol, used by upsc,
 * upscmd, upsrw, upslog, upsmon and the CGI programs. The error codes and
 * their texts are those of NUT's libupsclient, so our clients print the
 * same messages ("Error: Unknown UPS").
 */
#ifndef UPSCLIENT_H
#define UPSCLIENT_H

#include <stddef.h>
#include "pconf.h"

enum upscli_err {
	UPSCLI_ERR_UNKNOWN = 0, UPSCLI_ERR_VARNOTSUPP, UPSCLI_ERR_NOSUCHHOST,
	UPSCLI_ERR_INVRESP, UPSCLI_ERR_UNKNOWNUPS, UPSCLI_ERR_INVLISTTYPE,
	UPSCLI_ERR_ACCESSDENIED, UPSCLI_ERR_PWDREQUIRED, UPSCLI_ERR_PWDINCORRECT,
	UPSCLI_ERR_MISSINGARG, UPSCLI_ERR_DATASTALE, UPSCLI_ERR_VARUNKNOWN,
	UPSCLI_ERR_LOGINTWICE, UPSCLI_ERR_PWDSETTWICE, UPSCLI_ERR_UNKNOWNTYPE,
	UPSCLI_ERR_UNKNOWNVAR, UPSCLI_ERR_VARREADONLY, UPSCLI_ERR_TOOLONG,
	UPSCLI_ERR_INVALIDVALUE, UPSCLI_ERR_SETFAILED, UPSCLI_ERR_UNKINSTCMD,
	UPSCLI_ERR_INSTCMDFAILED, UPSCLI_ERR_CMDNOTSUPP, UPSCLI_ERR_INVUSERNAME,
	UPSCLI_ERR_USERSETTWICE, UPSCLI_ERR_UNKCOMMAND, UPSCLI_ERR_INVALIDARG,
	UPSCLI_ERR_SENDFAILURE, UPSCLI_ERR_RECVFAILURE, UPSCLI_ERR_SOCKFAILURE,
	UPSCLI_ERR_BINDFAILURE, UPSCLI_ERR_CONNFAILURE, UPSCLI_ERR_WRITE,
	UPSCLI_ERR_READ, UPSCLI_ERR_INVPASSWORD, UPSCLI_ERR_USERREQUIRED,
	UPSCLI_ERR_SSLFAIL, UPSCLI_ERR_SSLERR, UPSCLI_ERR_SRVDISC,
	UPSCLI_ERR_DRVNOTCONN, UPSCLI_ERR_NOMEM, UPSCLI_ERR_PARSE,
	UPSCLI_ERR_PROTOCOL,
	UPSCLI_ERR_MAX
};

#define UPSCLI_CONN_TRYSSL  0x0001   /* STARTTLS if offered, else plain */
#define UPSCLI_CONN_REQSSL  0x0002   /* STARTTLS or fail */
#define UPSCLI_CONN_CERTVERIF 0x0004 /* verify the server certificate (needs a CERTPATH) */
#define UPSCLI_CONN_CERTCOMP UPSCLI_CONN_CERTVERIF   /* older name */

#define UPSCLI_DEFAULT_PORT 3493
#define UPSCLI_TIMEOUT_MS   5000

struct tls_conn;

struct upscli {
	int fd;
	int flags;
	int err;             /* enum upscli_err of the last failure */
	int syserrno;        /* errno for the *FAILURE / READ / WRITE codes */
	char errbuf[256];    /* formatted message for upscli_strerror */
	char *host;
	int port;
	struct pconf pc;
	char rbuf[4096];     /* unread bytes from the socket */
	size_t rlen, roff;
	struct tls_conn *tls;   /* TLS session (owns fd), NULL when plaintext */
	char tlserr[200];    /* detail of the last UPSCLI_ERR_SSLERR */
	int timeout_ms;
};

/*
 * Connect (timeout UPSCLI_TIMEOUT_MS). 0 or -1 (c->err set).
 * TLS, as libupsclient 2.8.0 (NSS):
 *  - TRYSSL or REQSSL: send STARTTLS first. A reply other than "OK STARTTLS"
 *    means no TLS: REQSSL (or CERTVERIF) then fails with UPSCLI_ERR_SSLFAIL,
 *    TRYSSL goes on in plaintext. After "OK STARTTLS" any failure closes the
 *    connection (UPSCLI_ERR_SSLERR, detail in upscli_strerror).
 *  - CERTVERIF: the server certificate must chain to a CA the CERTPATH
 *    database trusts and carry the host name (or the CERTHOST name); without
 *    a CERTPATH (upscli_tls_init) the connection fails with UPSCLI_ERR_SSLERR.
 *  - A CERTHOST entry for host (upscli_tls_add_host) replaces CERTVERIF and
 *    REQSSL for that host and names the certificate to expect.
 *  - The server may ask for a client certificate (upsd CERTREQUEST): the
 *    CERTIDENT one is sent when set, else none.
 * Nothing is printed; upscli_ssl() tells whether the session is encrypted.
 */
int upscli_connect(struct upscli *c, const char *host, int port, int flags);
void upscli_disconnect(struct upscli *c);   /* sends LOGOUT, closes, frees */

/* Send one raw line (newline added if missing). */
int upscli_sendline(struct upscli *c, const char *line);
/* Read one reply line, split into words (valid until the next read). 0 or -1. */
int upscli_readline(struct upscli *c, int *argc, char ***argv);
/* Raw reply line read, without splitting (NUL terminated, newline stripped). */
int upscli_readraw(struct upscli *c, char *out, size_t outlen);

/*
 * GET-style request: sends the query words (quoted as needed) prefixed by
 * GET, reads one line, maps ERR to c->err, and checks that the reply echoes
 * the query. On success *numa and *answer hold the reply words.
 */
int upscli_get(struct upscli *c, int numq, const char **query, int *numa, char ***answer);
/* LIST: start sends LIST <query> and checks BEGIN; next returns 1 per item, 0 at END, -1 on error. */
int upscli_list_start(struct upscli *c, int numq, const char **query);
int upscli_list_next(struct upscli *c, int numq, const char **query, int *numa, char ***answer);

/* "ups[@host[:port]]" (host may be [v6]); returned strings malloc'd. 0 or -1. */
int upscli_splitname(const char *buf, char **upsname, char **hostname, int *port);
/* "host[:port]" */
int upscli_splitaddr(const char *buf, char **hostname, int *port);

/* 1 when the connection runs inside TLS, else 0 */
int upscli_ssl(const struct upscli *c);

/*
 * TLS settings of this process (upsmon.conf CERTPATH and CERTIDENT). The
 * strings are copied. The database is opened at once to check them (a
 * wrong path, password or nickname is reported here, as text in err), then
 * closed again: NSS is opened for real at the first STARTTLS, in whatever
 * process makes it, so calling this before fork() is fine. Without this
 * call, the first STARTTLS sets TLS up with no database (no verification
 * possible, no client certificate). Call before the first connection;
 * again to replace the settings (open sessions are not affected). 0 or -1.
 */
struct upscli_tlsconf {
	const char *certpath;     /* NSS database directory, or NULL */
	const char *certname;     /* CERTIDENT nickname (client certificate), or NULL */
	const char *certpasswd;   /* CERTIDENT database password, or NULL */
};
int upscli_tls_init(const struct upscli_tlsconf *conf, char *err, size_t errlen);
/* CERTHOST "host" "certname" certverify forcessl; host compared exactly. 0 or -1 */
int upscli_tls_add_host(const char *host, const char *certname, int certverify, int forcessl);
/* close NSS and forget every setting (no connection may be open) */
void upscli_tls_cleanup(void);

/* Map an "ERR TOKEN" reply to a code; -1 if the line is not an error. */
int upscli_errcode(const char *token);
const char *upscli_strerror(struct upscli *c);
int upscli_upserror(const struct upscli *c);

#endif
