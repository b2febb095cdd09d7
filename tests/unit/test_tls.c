/*
 * test_tls: common/tls.c. Set-up errors, NSS opened again after a shutdown,
 * and a whole non-blocking session over loopback TCP: a forked server with
 * the setup guide's database (made by tests/data/tls/guide-nssdb.sh, skipped
 * when certutil is missing), our client in this process, bytes read before
 * the handshake fed to TLS, data both ways; verification refused.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "tls.h"

#ifndef SRCDIR
#define SRCDIR "."
#endif

static char tmpdir[] = "/tmp/nutc-test-tls-XXXXXX";

/* a connected TCP pair on loopback (NSS wants an inet socket) */
static void tcp_pair(int sv[2])
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(lfd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &sl), 0);
	sv[0] = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(sv[0], (struct sockaddr *)&sin, sizeof(sin)), 0);
	sv[1] = accept(lfd, NULL, NULL);
	assert_true(sv[1] >= 0);
	close(lfd);
}

static void wait_for(int fd, int want)
{
	struct pollfd p = { .fd = fd, .events = want == TLS_WANT_WRITE ? POLLOUT : POLLIN };

	assert_int_equal(poll(&p, 1, 10000), 1);
}

static void test_server_errors(void **state)
{
	struct tls_server_opts o = { "/nonexistent/nssdb", "nut", "x", TLS_CERT_NO };
	enum tls_fail why = TLS_FAIL_NONE;
	char err[300];

	(void)state;
	if (!tls_available())
		skip();
	assert_null(tls_server_new(&o, &why, err, sizeof(err)));
	assert_int_equal(why, TLS_FAIL_DB);
	assert_non_null(strstr(err, "No such file or directory"));
	o.certpath = tmpdir;        /* a directory, but no database */
	assert_null(tls_server_new(&o, &why, err, sizeof(err)));
	assert_int_equal(why, TLS_FAIL_DB);
	assert_non_null(strstr(err, "can't open the NSS database"));
	o.nickname = NULL;
	assert_null(tls_server_new(&o, &why, err, sizeof(err)));
}

static void test_client_reinit(void **state)
{
	struct tls_client_opts none = { NULL, NULL, NULL }, badid = { NULL, "nut", NULL };
	struct tls_ctx *a, *b;
	char err[300];

	(void)state;
	if (!tls_available())
		skip();      /* built --without-nss */
	a = tls_client_new(&none, err, sizeof(err));
	assert_non_null(a);
	assert_int_equal(tls_ctx_has_db(a), 0);
	b = tls_client_new(&none, err, sizeof(err));
	assert_null(b);
	assert_non_null(strstr(err, "already"));
	tls_ctx_free(a);
	a = tls_client_new(&none, err, sizeof(err));    /* NSS opens again after a shutdown */
	assert_non_null(a);
	tls_ctx_free(a);
	assert_null(tls_client_new(&badid, err, sizeof(err)));
	assert_non_null(strstr(err, "CERTPATH"));
}

static int make_guide_db(char *db, size_t dblen)
{
	char cmd[1024];

	if (system("command -v certutil >/dev/null && command -v openssl >/dev/null") != 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "sh %s/tests/data/tls/guide-nssdb.sh %s/g unitpass >/dev/null 2>&1",
		SRCDIR, tmpdir);
	if (system(cmd) != 0)
		return -1;
	snprintf(db, dblen, "%s/g/nssdb", tmpdir);
	return 0;
}

/* child: serve one session, echo "ping" lines back as "pong", then exit */
static void serve(int fd, const char *db)
{
	struct tls_server_opts o = { db, "nut", "unitpass", TLS_CERT_NO };
	struct tls_ctx *ctx;
	struct tls_conn *t;
	char err[300], buf[64], early[2];
	long n;
	int rc;

	/* the first two bytes of the ClientHello arrive "before" the handshake */
	if (read(fd, early, 2) != 2)
		_exit(10);
	ctx = tls_server_new(&o, NULL, err, sizeof(err));
	if (!ctx)
		_exit(11);
	t = tls_accept(ctx, fd, "test", early, 2, err, sizeof(err));
	if (!t)
		_exit(12);
	while ((rc = tls_handshake(t)) != 0) {
		if (rc == -1)
			_exit(13);
		wait_for(fd, rc);
	}
	while ((n = tls_read(t, buf, sizeof(buf))) < 0) {
		if (n == -1)
			_exit(14);
		wait_for(fd, (int)n);
	}
	if (n != 5 || memcmp(buf, "ping\n", 5) != 0)
		_exit(15);
	while ((n = tls_write(t, "pong\n", 5)) < 0) {
		if (n == -1)
			_exit(16);
		wait_for(fd, (int)n);
	}
	while (tls_unsent(t) && (rc = tls_flush(t)) != 0)
		wait_for(fd, rc);
	tls_close(t);
	tls_ctx_free(ctx);
	_exit(0);
}

static void test_session(void **state)
{
	struct tls_client_opts none = { NULL, NULL, NULL };
	struct tls_ctx *ctx;
	struct tls_conn *t;
	char db[512], err[300], buf[64], desc[128];
	int sv[2], rc, st;
	long n;
	pid_t pid;

	(void)state;
	if (!tls_available() || make_guide_db(db, sizeof(db)) < 0)
		skip();
	tcp_pair(sv);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		serve(sv[1], db);
	}
	close(sv[1]);
	ctx = tls_client_new(&none, err, sizeof(err));
	assert_non_null(ctx);
	t = tls_connect(ctx, sv[0], "localhost", 0, err, sizeof(err));
	assert_non_null(t);
	while ((rc = tls_handshake(t)) != 0) {
		if (rc != TLS_WANT_READ && rc != TLS_WANT_WRITE) {
			shutdown(sv[0], SHUT_RDWR);
			waitpid(pid, &st, 0);
			fail_msg("handshake: %s (server exit %d)", tls_errstr(t), WEXITSTATUS(st));
		}
		wait_for(sv[0], rc);
	}
	assert_non_null(strstr(tls_describe(t, desc, sizeof(desc)), "TLSv1.3"));
	assert_int_equal(tls_peer_cert(t), 1);
	while ((n = tls_write(t, "ping\n", 5)) < 0) {
		assert_true(n == TLS_WANT_READ || n == TLS_WANT_WRITE);
		wait_for(sv[0], (int)n);
	}
	while ((n = tls_read(t, buf, sizeof(buf))) < 0) {
		assert_true(n == TLS_WANT_READ || n == TLS_WANT_WRITE);
		wait_for(sv[0], (int)n);
	}
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "pong\n", 5);
	tls_close(t);
	tls_ctx_free(ctx);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_verify_refused(void **state)
{
	/* a server whose certificate we cannot verify (no database on our side) */
	struct tls_client_opts none = { NULL, NULL, NULL };
	struct tls_ctx *ctx;
	struct tls_conn *t;
	char db[512], err[300];
	int sv[2], rc, st;
	pid_t pid;

	(void)state;
	snprintf(db, sizeof(db), "%s/g/nssdb", tmpdir);
	if (access(db, R_OK) != 0)
		skip();
	tcp_pair(sv);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		serve(sv[1], db);
	}
	close(sv[1]);
	ctx = tls_client_new(&none, err, sizeof(err));
	assert_non_null(ctx);
	t = tls_connect(ctx, sv[0], "localhost", 1, err, sizeof(err));
	assert_non_null(t);
	while ((rc = tls_handshake(t)) == TLS_WANT_READ || rc == TLS_WANT_WRITE)
		wait_for(sv[0], rc);
	shutdown(sv[0], SHUT_RDWR);
	assert_int_equal(rc, -1);
	/* the guide certificate names CN=CA_nut as issuer, unknown here */
	if (!strstr(tls_errstr(t), "(SEC_ERROR_") && !strstr(tls_errstr(t), "(SSL_ERROR_BAD_CERT"))
		fail_msg("unexpected refusal: %s", tls_errstr(t));
	tls_close(t);
	tls_ctx_free(ctx);
	waitpid(pid, &st, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_server_errors),
		cmocka_unit_test(test_client_reinit),
		cmocka_unit_test(test_session),
		cmocka_unit_test(test_verify_refused),
	};
	char cmd[600];
	int rc;

	if (!mkdtemp(tmpdir))
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return rc;
}
