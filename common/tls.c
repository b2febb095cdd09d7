/*
 * tls.c: STARTTLS sessions over Mozilla NSS (contract in tls.h).
 *
 * Each session is a stack of three NSPR layers: the SSL layer on top, a
 * small layer of ours in the middle, and the socket imported with
 * PR_ImportTCPSocket at the bottom. Our layer does the socket I/O itself
 * (non-blocking, MSG_NOSIGNAL), feeds bytes read before the handshake
 * began, and records which direction would block, so the caller can wait
 * for exactly that readiness in its event loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cert.h>
#include <keyhi.h>
#include <nss.h>
#include <pk11pub.h>
#include <plstr.h>
#include <prerror.h>
#include <prio.h>
#include <private/pprio.h>
#include <secerr.h>
#include <ssl.h>
#include <sslerr.h>
#include <sslproto.h>

#include "log.h"
#include "tls.h"
#include "util.h"

#define BLOCK_READ  0x1
#define BLOCK_WRITE 0x2

struct tls_ctx {
	int server;
	int have_db;
	int certrequest;
	char *password;
	CERTCertificate *cert;       /* server certificate, or client identity */
	SECKEYPrivateKey *key;
	PRFileDesc *model;           /* options every session inherits */
	PRDescIdentity layer_id;
	PRIOMethods layer_methods;
};

struct tls_conn {
	struct tls_ctx *ctx;
	PRFileDesc *fd;              /* top of the stack (SSL) */
	int sysfd;
	int blocked;                 /* BLOCK_* seen during the current call */
	int unsent;                  /* NSS holds ciphertext the socket refused */
	int oserr;                   /* errno of the last socket failure */
	unsigned char *early;        /* read before the handshake; fed first */
	size_t earlylen, earlyoff;
	char peer[64];
	char err[256];
};

/* AEAD suites with forward secrecy; everything else is switched off */
static const PRUint16 tls_suites[] = {
	TLS_AES_128_GCM_SHA256,
	TLS_AES_256_GCM_SHA384,
	TLS_CHACHA20_POLY1305_SHA256,
	TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
};

int tls_available(void)
{
	return 1;
}

/* "text (NAME)" for the current NSPR/NSS error */
static void nss_errtext(char *out, size_t outlen)
{
	PRErrorCode code = PR_GetError();
	const char *name = PR_ErrorToName(code);
	const char *text = PR_ErrorToString(code, PR_LANGUAGE_I_DEFAULT);

	if (name && text && *text)
		snprintf(out, outlen, "%s (%s)", text, name);
	else if (name)
		snprintf(out, outlen, "%s", name);
	else
		snprintf(out, outlen, "NSS error %ld", (long)code);
}

static void nss_err(char *err, size_t errlen, const char *what)
{
	char text[200];

	nss_errtext(text, sizeof(text));
	snprintf(err, errlen, "%s: %s", what, text);
}

/* ------------------------------------------------------------ library */

static char *tls_password_cb(PK11SlotInfo *slot, PRBool retry, void *arg)
{
	struct tls_ctx *ctx = arg;

	(void)slot;
	if (retry || !ctx || !ctx->password)
		return NULL;
	return PL_strdup(ctx->password);
}

/* the directory part of "sql:/dir" style database names */
static const char *db_dir(const char *certpath)
{
	const char *colon = strchr(certpath, ':');

	if (colon && colon - certpath <= 6 && strchr(certpath, '/') > colon)
		return colon + 1;
	return certpath;
}

static int nss_start(const char *certpath, char *err, size_t errlen)
{
	struct stat st;
	SECStatus rv;

	if (NSS_IsInitialized()) {
		snprintf(err, errlen, "NSS is already initialised in this process");
		return -1;
	}
	if (certpath) {
		const char *dir = db_dir(certpath);

		if (stat(dir, &st) < 0) {
			snprintf(err, errlen, "%s: %s", dir, strerror(errno));
			return -1;
		}
		if (!S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "%s: not a directory", dir);
			return -1;
		}
		/* only what the database trusts: no built-in root list */
		rv = NSS_Initialize(certpath, "", "", SECMOD_DB,
			NSS_INIT_READONLY | NSS_INIT_NOROOTINIT);
		if (rv != SECSuccess) {
			char text[200];

			nss_errtext(text, sizeof(text));
			snprintf(err, errlen, "%s: can't open the NSS database there: %s", dir, text);
			return -1;
		}
	} else if (NSS_NoDB_Init(NULL) != SECSuccess) {
		nss_err(err, errlen, "can't initialise NSS");
		return -1;
	}
	if (NSS_SetDomesticPolicy() != SECSuccess) {
		nss_err(err, errlen, "can't set the NSS cipher policy");
		NSS_Shutdown();
		return -1;
	}
	PK11_SetPasswordFunc(tls_password_cb);
	return 0;
}

/* log in to the key database when it has a password */
static int db_login(struct tls_ctx *ctx, char *err, size_t errlen)
{
	PK11SlotInfo *slot = PK11_GetInternalKeySlot();
	int rc = 0;

	if (!slot) {
		nss_err(err, errlen, "no NSS key slot");
		return -1;
	}
	if (PK11_NeedLogin(slot) && !PK11_IsLoggedIn(slot, ctx)) {
		if (!ctx->password) {
			snprintf(err, errlen, "the database has a password: give it in CERTIDENT");
			rc = -1;
		} else if (PK11_CheckUserPassword(slot, ctx->password) != SECSuccess) {
			snprintf(err, errlen, "wrong password for the NSS database");
			rc = -1;
		}
	}
	PK11_FreeSlot(slot);
	return rc;
}

static int find_identity(struct tls_ctx *ctx, const char *nickname, enum tls_fail *why,
		char *err, size_t errlen)
{
	ctx->cert = PK11_FindCertFromNickname(nickname, ctx);
	if (!ctx->cert) {
		*why = TLS_FAIL_CERT;
		snprintf(err, errlen, "certificate \"%s\" not found in the NSS database", nickname);
		return -1;
	}
	ctx->key = PK11_FindKeyByAnyCert(ctx->cert, ctx);
	if (!ctx->key) {
		*why = TLS_FAIL_KEY;
		snprintf(err, errlen, "no private key for certificate \"%s\" in the NSS database",
			nickname);
		return -1;
	}
	if (CERT_CheckCertValidTimes(ctx->cert, PR_Now(), PR_FALSE) != secCertTimeValid)
		log_warnx("Certificate \"%s\" is expired or not yet valid", nickname);
	return 0;
}

/* ------------------------------------------------------------ our I/O layer */

static PRInt32 layer_fail(struct tls_conn *t, int e, int dir)
{
	t->oserr = e;
	if (e == EAGAIN || e == EWOULDBLOCK) {
		t->blocked |= dir;
		PR_SetError(PR_WOULD_BLOCK_ERROR, e);
	} else if (e == ECONNRESET || e == EPIPE) {
		PR_SetError(PR_CONNECT_RESET_ERROR, e);
	} else {
		PR_SetError(PR_IO_ERROR, e);
	}
	return -1;
}

static PRInt32 layer_recv(PRFileDesc *fd, void *buf, PRInt32 amount, PRIntn flags,
		PRIntervalTime timeout)
{
	struct tls_conn *t = (struct tls_conn *)fd->secret;
	ssize_t n;

	(void)flags;
	(void)timeout;
	if (amount <= 0)
		return 0;
	if (t->earlyoff < t->earlylen) {
		size_t left = t->earlylen - t->earlyoff;

		if (left > (size_t)amount)
			left = (size_t)amount;
		memcpy(buf, t->early + t->earlyoff, left);
		t->earlyoff += left;
		return (PRInt32)left;
	}
	do
		n = recv(t->sysfd, buf, (size_t)amount, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return layer_fail(t, errno, BLOCK_READ);
	return (PRInt32)n;
}

static PRInt32 layer_send(PRFileDesc *fd, const void *buf, PRInt32 amount, PRIntn flags,
		PRIntervalTime timeout)
{
	struct tls_conn *t = (struct tls_conn *)fd->secret;
	ssize_t n;

	(void)flags;
	(void)timeout;
	if (amount <= 0)
		return 0;
	do
		n = send(t->sysfd, buf, (size_t)amount, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return layer_fail(t, errno, BLOCK_WRITE);
	if (n < amount)
		t->blocked |= BLOCK_WRITE;   /* NSS keeps the rest */
	return (PRInt32)n;
}

static PRInt32 layer_read(PRFileDesc *fd, void *buf, PRInt32 amount)
{
	return layer_recv(fd, buf, amount, 0, PR_INTERVAL_NO_WAIT);
}

static PRInt32 layer_write(PRFileDesc *fd, const void *buf, PRInt32 amount)
{
	return layer_send(fd, buf, amount, 0, PR_INTERVAL_NO_WAIT);
}

/* pop ourselves, then close the socket below */
static PRStatus layer_close(PRFileDesc *fd)
{
	PRFileDesc *me = PR_PopIOLayer(fd, PR_TOP_IO_LAYER);

	if (me) {
		me->secret = NULL;
		me->dtor(me);
	}
	return fd->methods->close(fd);
}

static void layer_setup(struct tls_ctx *ctx)
{
	ctx->layer_id = PR_GetUniqueIdentity("nutc-tls");
	ctx->layer_methods = *PR_GetDefaultIOMethods();
	ctx->layer_methods.recv = layer_recv;
	ctx->layer_methods.send = layer_send;
	ctx->layer_methods.read = layer_read;
	ctx->layer_methods.write = layer_write;
	ctx->layer_methods.close = layer_close;
}

/* ------------------------------------------------------------ model socket */

static int model_ciphers(PRFileDesc *m)
{
	PRUint16 i;
	size_t k;

	for (i = 0; i < SSL_NumImplementedCiphers; i++) {
		PRUint16 id = SSL_ImplementedCiphers[i];
		PRBool on = PR_FALSE;

		for (k = 0; k < sizeof(tls_suites) / sizeof(tls_suites[0]); k++)
			if (tls_suites[k] == id)
				on = PR_TRUE;
		if (SSL_CipherPrefSet(m, id, on) != SECSuccess && on)
			return -1;
	}
	return 0;
}

static PRFileDesc *model_new(struct tls_ctx *ctx, char *err, size_t errlen)
{
	SSLVersionRange range = { SSL_LIBRARY_VERSION_TLS_1_2, SSL_LIBRARY_VERSION_TLS_1_3 };
	PRFileDesc *tcp = PR_NewTCPSocket(), *m;
	int ok;

	if (!tcp) {
		nss_err(err, errlen, "can't create the TLS model socket");
		return NULL;
	}
	(void)fcntl(PR_FileDesc2NativeHandle(tcp), F_SETFD, FD_CLOEXEC);
	m = SSL_ImportFD(NULL, tcp);
	if (!m) {
		nss_err(err, errlen, "can't create the TLS model socket");
		PR_Close(tcp);
		return NULL;
	}
	ok = SSL_OptionSet(m, SSL_SECURITY, PR_TRUE) == SECSuccess
		&& SSL_OptionSet(m, SSL_HANDSHAKE_AS_SERVER, ctx->server) == SECSuccess
		&& SSL_OptionSet(m, SSL_HANDSHAKE_AS_CLIENT, !ctx->server) == SECSuccess
		&& SSL_OptionSet(m, SSL_ENABLE_RENEGOTIATION, SSL_RENEGOTIATE_NEVER) == SECSuccess
		&& SSL_OptionSet(m, SSL_ENABLE_FALSE_START, PR_FALSE) == SECSuccess
		&& SSL_OptionSet(m, SSL_ENABLE_0RTT_DATA, PR_FALSE) == SECSuccess
		&& SSL_VersionRangeSet(m, &range) == SECSuccess
		&& model_ciphers(m) == 0;
	if (ok && ctx->server) {
		ok = SSL_OptionSet(m, SSL_REQUEST_CERTIFICATE,
				ctx->certrequest >= TLS_CERT_REQUEST) == SECSuccess
			&& SSL_OptionSet(m, SSL_REQUIRE_CERTIFICATE,
				ctx->certrequest >= TLS_CERT_REQUIRE ? SSL_REQUIRE_ALWAYS
				: SSL_REQUIRE_NEVER) == SECSuccess
			&& SSL_ConfigServerCert(m, ctx->cert, ctx->key, NULL, 0) == SECSuccess;
	}
	if (!ok) {
		nss_err(err, errlen, "can't set the TLS options");
		PR_Close(m);
		return NULL;
	}
	return m;
}

/* ------------------------------------------------------------ contexts */

void tls_ctx_free(struct tls_ctx *ctx)
{
	if (!ctx)
		return;
	if (ctx->model)
		PR_Close(ctx->model);
	if (ctx->key)
		SECKEY_DestroyPrivateKey(ctx->key);
	if (ctx->cert)
		CERT_DestroyCertificate(ctx->cert);
	if (ctx->server)
		SSL_ShutdownServerSessionIDCache();
	SSL_ClearSessionCache();
	if (NSS_IsInitialized() && NSS_Shutdown() != SECSuccess)
		log_debug(1, "NSS shutdown: objects still in use");
	if (ctx->password) {
		explicit_bzero(ctx->password, strlen(ctx->password));
		free(ctx->password);
	}
	free(ctx);
}

static struct tls_ctx *ctx_new(int server, const char *password)
{
	struct tls_ctx *ctx = xcalloc(1, sizeof(*ctx));

	ctx->server = server;
	ctx->password = password ? xstrdup(password) : NULL;
	layer_setup(ctx);
	return ctx;
}

struct tls_ctx *tls_server_new(const struct tls_server_opts *o, enum tls_fail *why,
		char *err, size_t errlen)
{
	enum tls_fail dummy;
	struct tls_ctx *ctx;

	if (!why)
		why = &dummy;
	*why = TLS_FAIL_DB;
	if (!o->certpath || !o->nickname) {
		snprintf(err, errlen, "CERTPATH and CERTIDENT are both needed");
		return NULL;
	}
	if (nss_start(o->certpath, err, errlen) < 0)
		return NULL;
	ctx = ctx_new(1, o->password);
	ctx->have_db = 1;
	ctx->certrequest = o->certrequest;
	if (db_login(ctx, err, errlen) < 0) {
		*why = TLS_FAIL_PASSWORD;
		goto fail;
	}
	if (find_identity(ctx, o->nickname, why, err, errlen) < 0)
		goto fail;
	*why = TLS_FAIL_DB;
	if (SSL_ConfigServerSessionIDCache(0, 0, 0, NULL) != SECSuccess) {
		nss_err(err, errlen, "can't set up the TLS session cache");
		goto fail;
	}
	ctx->model = model_new(ctx, err, errlen);
	if (!ctx->model)
		goto fail;
	*why = TLS_FAIL_NONE;
	return ctx;
fail:
	tls_ctx_free(ctx);
	return NULL;
}

struct tls_ctx *tls_client_new(const struct tls_client_opts *o, char *err, size_t errlen)
{
	enum tls_fail why;
	struct tls_ctx *ctx;

	if (nss_start(o->certpath, err, errlen) < 0)
		return NULL;
	ctx = ctx_new(0, o->password);
	ctx->have_db = o->certpath != NULL;
	if (o->certname) {
		if (!ctx->have_db) {
			snprintf(err, errlen, "a client certificate needs a database (CERTPATH)");
			goto fail;
		}
		if (db_login(ctx, err, errlen) < 0 || find_identity(ctx, o->certname, &why, err, errlen) < 0)
			goto fail;
	}
	ctx->model = model_new(ctx, err, errlen);
	if (!ctx->model)
		goto fail;
	return ctx;
fail:
	tls_ctx_free(ctx);
	return NULL;
}

int tls_ctx_has_db(const struct tls_ctx *ctx)
{
	return ctx && ctx->have_db;
}

/* ------------------------------------------------------------ sessions */

static SECStatus srv_badcert(void *arg, PRFileDesc *fd)
{
	struct tls_conn *t = arg;
	char text[200];

	(void)fd;
	nss_errtext(text, sizeof(text));
	if (t->ctx->certrequest >= TLS_CERT_REQUIRE) {
		snprintf(t->err, sizeof(t->err), "client certificate refused: %s", text);
		return SECFailure;
	}
	log_warnx("Certificate validation failed for client %s: %s (accepted: CERTREQUEST is REQUEST)",
		t->peer, text);
	return SECSuccess;
}

static SECStatus cli_accept_any(void *arg, PRFileDesc *fd, PRBool checksig, PRBool isserver)
{
	(void)arg;
	(void)fd;
	(void)checksig;
	(void)isserver;
	return SECSuccess;
}

static SECStatus cli_identity(void *arg, PRFileDesc *fd, CERTDistNames *names,
		CERTCertificate **cert, SECKEYPrivateKey **key)
{
	struct tls_conn *t = arg;

	(void)fd;
	(void)names;
	if (!t->ctx->cert || !t->ctx->key)
		return SECFailure;     /* no certificate to offer */
	*cert = CERT_DupCertificate(t->ctx->cert);
	*key = SECKEY_CopyPrivateKey(t->ctx->key);
	return *key ? SECSuccess : SECFailure;
}

/* import fd under our layer and the SSL layer; the fd is ours from here */
static struct tls_conn *conn_new(struct tls_ctx *ctx, int fd, char *err, size_t errlen)
{
	PRSocketOptionData nb = { .option = PR_SockOpt_Nonblocking, .value.non_blocking = PR_TRUE };
	struct tls_conn *t;
	PRFileDesc *sock, *layer, *top;

	if (!ctx || !ctx->model) {
		snprintf(err, errlen, "TLS is not set up");
		close(fd);
		return NULL;
	}
	sock = PR_ImportTCPSocket(fd);
	if (!sock) {
		nss_err(err, errlen, "can't import the socket");
		close(fd);
		return NULL;
	}
	t = xcalloc(1, sizeof(*t));
	t->ctx = ctx;
	t->sysfd = fd;
	layer = PR_CreateIOLayerStub(ctx->layer_id, &ctx->layer_methods);
	if (!layer || PR_SetSocketOption(sock, &nb) != PR_SUCCESS) {
		nss_err(err, errlen, "can't set up the socket layers");
		if (layer)
			layer->dtor(layer);
		PR_Close(sock);
		free(t);
		return NULL;
	}
	layer->secret = (PRFilePrivate *)t;
	if (PR_PushIOLayer(sock, PR_TOP_IO_LAYER, layer) != PR_SUCCESS) {
		nss_err(err, errlen, "can't set up the socket layers");
		layer->dtor(layer);
		PR_Close(sock);
		free(t);
		return NULL;
	}
	top = SSL_ImportFD(ctx->model, sock);
	if (!top) {
		nss_err(err, errlen, "can't start TLS on the socket");
		PR_Close(sock);
		free(t);
		return NULL;
	}
	t->fd = top;
	SSL_SetPKCS11PinArg(top, ctx);
	return t;
}

struct tls_conn *tls_accept(struct tls_ctx *ctx, int fd, const char *peer,
		const void *early, size_t earlylen, char *err, size_t errlen)
{
	struct tls_conn *t = conn_new(ctx, fd, err, errlen);

	if (!t)
		return NULL;
	str_copy(t->peer, peer ? peer : "unknown", sizeof(t->peer));
	if (earlylen > 0) {
		t->early = xmalloc(earlylen);
		memcpy(t->early, early, earlylen);
		t->earlylen = earlylen;
	}
	if (SSL_BadCertHook(t->fd, srv_badcert, t) != SECSuccess
			|| SSL_ResetHandshake(t->fd, PR_TRUE) != SECSuccess) {
		nss_err(err, errlen, "can't start the TLS handshake");
		tls_close(t);
		return NULL;
	}
	return t;
}

struct tls_conn *tls_connect(struct tls_ctx *ctx, int fd, const char *servername,
		int verify, char *err, size_t errlen)
{
	struct tls_conn *t = conn_new(ctx, fd, err, errlen);
	SECStatus rv = SECSuccess;

	if (!t)
		return NULL;
	str_copy(t->peer, servername ? servername : "server", sizeof(t->peer));
	if (servername)
		rv = SSL_SetURL(t->fd, servername);
	if (rv == SECSuccess && !verify)
		rv = SSL_AuthCertificateHook(t->fd, cli_accept_any, t);
	if (rv == SECSuccess)
		rv = SSL_GetClientAuthDataHook(t->fd, cli_identity, t);
	if (rv == SECSuccess)
		rv = SSL_ResetHandshake(t->fd, PR_FALSE);
	if (rv != SECSuccess) {
		nss_err(err, errlen, "can't start the TLS handshake");
		tls_close(t);
		return NULL;
	}
	return t;
}

/* an NSS call failed: would-block becomes the direction to wait for */
static int io_result(struct tls_conn *t)
{
	PRErrorCode code = PR_GetError();

	if (code == PR_WOULD_BLOCK_ERROR)
		return (t->blocked & BLOCK_WRITE) ? TLS_WANT_WRITE : TLS_WANT_READ;
	if (t->err[0] == '\0') {
		if ((code == PR_IO_ERROR || code == PR_CONNECT_RESET_ERROR) && t->oserr)
			snprintf(t->err, sizeof(t->err), "%s", strerror(t->oserr));
		else
			nss_errtext(t->err, sizeof(t->err));
	}
	return -1;
}

int tls_flush(struct tls_conn *t)
{
	t->blocked = 0;
	if (PR_Write(t->fd, "", 0) < 0)
		return io_result(t);
	t->unsent = 0;
	return 0;
}

int tls_handshake(struct tls_conn *t)
{
	int rc;

	if (t->unsent && (rc = tls_flush(t)) != 0)
		return rc;
	t->blocked = 0;
	if (SSL_ForceHandshake(t->fd) != SECSuccess)
		return io_result(t);
	t->unsent = (t->blocked & BLOCK_WRITE) != 0;
	return 0;
}

long tls_read(struct tls_conn *t, void *buf, size_t len)
{
	PRInt32 n;
	PRErrorCode code;

	if (len > 16384)
		len = 16384;
	t->blocked = 0;
	n = PR_Read(t->fd, buf, (PRInt32)len);
	if (n >= 0)
		return n;
	code = PR_GetError();
	if (code == PR_END_OF_FILE_ERROR || code == SSL_ERROR_CLOSE_NOTIFY_ALERT)
		return 0;
	return io_result(t);
}

long tls_write(struct tls_conn *t, const void *buf, size_t len)
{
	PRInt32 n;

	if (len > 16384)
		len = 16384;
	t->blocked = 0;
	n = PR_Write(t->fd, buf, (PRInt32)len);
	if (n < 0)
		return io_result(t);
	if (t->blocked & BLOCK_WRITE)
		t->unsent = 1;
	return n;
}

int tls_unsent(const struct tls_conn *t)
{
	return t->unsent;
}

int tls_pending(struct tls_conn *t)
{
	int n = SSL_DataPending(t->fd);

	return n > 0 ? n : 0;
}

const char *tls_errstr(const struct tls_conn *t)
{
	return t ? t->err : "";
}

const char *tls_describe(struct tls_conn *t, char *out, size_t outlen)
{
	SSLChannelInfo ch;
	SSLCipherSuiteInfo cs;
	const char *ver;

	if (SSL_GetChannelInfo(t->fd, &ch, sizeof(ch)) != SECSuccess || ch.length == 0) {
		snprintf(out, outlen, "TLS (no details)");
		return out;
	}
	switch (ch.protocolVersion) {
	case SSL_LIBRARY_VERSION_TLS_1_2: ver = "TLSv1.2"; break;
	case SSL_LIBRARY_VERSION_TLS_1_3: ver = "TLSv1.3"; break;
	default: ver = "TLS"; break;
	}
	if (SSL_GetCipherSuiteInfo(ch.cipherSuite, &cs, sizeof(cs)) == SECSuccess)
		snprintf(out, outlen, "%s %s", ver, cs.cipherSuiteName);
	else
		snprintf(out, outlen, "%s 0x%04x", ver, ch.cipherSuite);
	return out;
}

int tls_peer_cert(struct tls_conn *t)
{
	CERTCertificate *c = SSL_PeerCertificate(t->fd);

	if (!c)
		return 0;
	CERT_DestroyCertificate(c);
	return 1;
}

void tls_close(struct tls_conn *t)
{
	if (!t)
		return;
	if (t->fd)
		PR_Close(t->fd);     /* close_notify, then our layer and the socket */
	if (t->early) {
		explicit_bzero(t->early, t->earlylen);
		free(t->early);
	}
	free(t);
}
