/* Unit tests for common/upsclient.c */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "upsclient.h"

/* ---- splitname / splitaddr ---- */

static void check_name(const char *in, const char *ups, const char *host, int port)
{
	char *u = NULL, *h = NULL;
	int p = 0;

	assert_int_equal(upscli_splitname(in, &u, &h, &p), 0);
	assert_string_equal(u, ups);
	assert_string_equal(h, host);
	assert_int_equal(p, port);
	free(u);
	free(h);
}

static void check_name_bad(const char *in)
{
	char *u = NULL, *h = NULL;
	int p = 0;

	assert_int_equal(upscli_splitname(in, &u, &h, &p), -1);
	assert_null(u);
	assert_null(h);
}

static void test_splitname(void **state)
{
	(void)state;
	check_name("ups", "ups", "localhost", 3493);
	check_name("ups@host", "ups", "host", 3493);
	check_name("ups@host:1234", "ups", "host", 1234);
	check_name("ups@127.0.0.1:65535", "ups", "127.0.0.1", 65535);
	check_name("ups@[::1]:5000", "ups", "::1", 5000);
	check_name("ups@[::1]", "ups", "::1", 3493);
	check_name_bad(NULL);
	check_name_bad("");
	check_name_bad("@host");
	check_name_bad("ups@");
	check_name_bad("ups@host:");
	check_name_bad("ups@host:0");
	check_name_bad("ups@host:65536");
	check_name_bad("ups@host:12ab");
	check_name_bad("ups@[::1:3493");
	check_name_bad("ups@[::1]x");
}

static void test_splitaddr(void **state)
{
	char *h = NULL;
	int p = 0;

	(void)state;
	assert_int_equal(upscli_splitaddr("localhost", &h, &p), 0);
	assert_string_equal(h, "localhost");
	assert_int_equal(p, 3493);
	free(h);
	assert_int_equal(upscli_splitaddr("example:10", &h, &p), 0);
	assert_string_equal(h, "example");
	assert_int_equal(p, 10);
	free(h);
	assert_int_equal(upscli_splitaddr("[fe80::1]:3", &h, &p), 0);
	assert_string_equal(h, "fe80::1");
	assert_int_equal(p, 3);
	free(h);
	assert_int_equal(upscli_splitaddr("", &h, &p), -1);
	assert_int_equal(upscli_splitaddr(":3493", &h, &p), -1);
	assert_int_equal(upscli_splitaddr("::1", &h, &p), -1);
	assert_int_equal(upscli_splitaddr("[]:1", &h, &p), -1);
	assert_null(h);
}

/* ---- error mapping ---- */

static void test_errcode(void **state)
{
	(void)state;
	assert_int_equal(upscli_errcode("ERR UNKNOWN-UPS"), UPSCLI_ERR_UNKNOWNUPS);
	assert_int_equal(upscli_errcode("ERR VAR-NOT-SUPPORTED"), UPSCLI_ERR_VARNOTSUPP);
	assert_int_equal(upscli_errcode("ERR ACCESS-DENIED"), UPSCLI_ERR_ACCESSDENIED);
	assert_int_equal(upscli_errcode("ERR DATA-STALE"), UPSCLI_ERR_DATASTALE);
	assert_int_equal(upscli_errcode("ERR DRIVER-NOT-CONNECTED"), UPSCLI_ERR_DRVNOTCONN);
	assert_int_equal(upscli_errcode("ERR USERNAME-REQUIRED"), UPSCLI_ERR_USERREQUIRED);
	assert_int_equal(upscli_errcode("ERR INSTCMD-FAILED"), UPSCLI_ERR_INSTCMDFAILED);
	assert_int_equal(upscli_errcode("ERR UNKNOWN-COMMAND"), UPSCLI_ERR_UNKCOMMAND);
	assert_int_equal(upscli_errcode("ERR FEATURE-NOT-CONFIGURED"), UPSCLI_ERR_UNKNOWN);
	assert_int_equal(upscli_errcode("ERR"), UPSCLI_ERR_UNKNOWN);
	assert_int_equal(upscli_errcode("OK"), -1);
	assert_int_equal(upscli_errcode("ERRATA"), -1);
	assert_int_equal(upscli_errcode("VAR ups x \"ERR\""), -1);
	assert_int_equal(upscli_errcode(NULL), -1);
}

static void test_strerror(void **state)
{
	struct upscli c;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.fd = -1;
	c.err = UPSCLI_ERR_UNKNOWNUPS;
	assert_string_equal(upscli_strerror(&c), "Unknown UPS");
	c.err = UPSCLI_ERR_VARNOTSUPP;
	assert_string_equal(upscli_strerror(&c), "Variable not supported by UPS");
	c.err = UPSCLI_ERR_DATASTALE;
	assert_string_equal(upscli_strerror(&c), "Data stale");
	c.err = UPSCLI_ERR_DRVNOTCONN;
	assert_string_equal(upscli_strerror(&c), "Driver not connected");
	c.err = UPSCLI_ERR_SSLFAIL;
	assert_string_equal(upscli_strerror(&c), "SSL is not available");
	c.err = UPSCLI_ERR_PROTOCOL;
	assert_string_equal(upscli_strerror(&c), "Protocol error");
	c.err = UPSCLI_ERR_CONNFAILURE;
	c.syserrno = ECONNREFUSED;
	assert_string_equal(upscli_strerror(&c), "Connection failure: Connection refused");
	c.err = UPSCLI_ERR_READ;
	c.syserrno = ECONNRESET;
	assert_string_equal(upscli_strerror(&c), "Read error: Connection reset by peer");
	c.err = UPSCLI_ERR_PARSE;
	snprintf(c.pc.errmsg, sizeof(c.pc.errmsg), "boom");
	assert_string_equal(upscli_strerror(&c), "Parse error: boom");
	c.err = UPSCLI_ERR_MAX;
	assert_string_equal(upscli_strerror(&c), "Invalid error number");
	assert_string_equal(upscli_strerror(NULL), "Invalid argument");
	assert_int_equal(upscli_upserror(&c), UPSCLI_ERR_MAX);
	assert_int_equal(upscli_upserror(NULL), -1);
}

/* ---- exchanges against a canned server ---- */

struct canned {
	const char *request;   /* exact line expected (without newline) */
	const char *reply;     /* bytes sent back verbatim; NULL = close */
};

struct srv {
	pid_t pid;
	int port;
};

static int listen_loopback(int *port)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

/* child: read a line at a time, answer from the table; unknown line = ERR UNKNOWN-COMMAND */
static void serve(int lfd, const struct canned *script)
{
	char line[8192];
	size_t len = 0;
	int fd = accept(lfd, NULL, NULL);
	const struct canned *s;
	char ch;

	if (fd < 0)
		_exit(2);
	while (read(fd, &ch, 1) == 1) {
		if (ch != '\n') {
			if (len + 1 < sizeof(line))
				line[len++] = ch;
			continue;
		}
		line[len] = '\0';
		len = 0;
		if (strcmp(line, "LOGOUT") == 0)
			break;
		for (s = script; s->request; s++)
			if (strcmp(s->request, line) == 0)
				break;
		if (!s->request) {
			if (write(fd, "ERR UNKNOWN-COMMAND\n", 20) < 0)
				break;
			continue;
		}
		if (!s->reply)
			break;
		if (write(fd, s->reply, strlen(s->reply)) < 0)
			break;
	}
	close(fd);
	_exit(0);
}

static struct srv srv_start(const struct canned *script)
{
	struct srv sv;
	int lfd = listen_loopback(&sv.port);

	sv.pid = fork();
	assert_true(sv.pid >= 0);
	if (sv.pid == 0)
		serve(lfd, script);
	close(lfd);
	return sv;
}

static void srv_stop(struct srv *sv)
{
	int st;

	kill(sv->pid, SIGTERM);
	waitpid(sv->pid, &st, 0);
}

static void connect_to(struct upscli *c, const struct srv *sv)
{
	assert_int_equal(upscli_connect(c, "127.0.0.1", sv->port, UPSCLI_CONN_TRYSSL), 0);
	assert_true(c->fd >= 0);
}

static const struct canned get_script[] = {
	{ "GET VAR ups battery.charge", "VAR ups battery.charge \"100\"\n" },
	{ "GET VAR ups no.such", "ERR VAR-NOT-SUPPORTED\n" },
	{ "GET VAR nosuch ups.status", "ERR UNKNOWN-UPS\n" },
	{ "GET VAR ups ups.status", "VAR ups ups.model \"wrong echo\"\n" },
	{ "GET VAR ups \"with space\"", "VAR ups \"with space\" \"quoted \\\"ok\\\"\"\r\n" },
	{ "GET VAR ups ups.model", "VAR ups ups.model \"unterminated\n" },
	{ "GET VAR ups \"a=b\\#c\\\"\"", "VAR ups \"a=b\\#c\\\"\" \"\\#x\"\n" },
	{ "GET UPSDESC ups", "UPSDESC ups \"after parse error\"\n" },
	{ NULL, NULL }
};

static void get_one(struct upscli *c, const char *ups, const char *var, int *numa, char ***ans, int rc)
{
	const char *q[3] = { "VAR", ups, var };

	assert_int_equal(upscli_get(c, 3, q, numa, ans), rc);
}

static void test_get(void **state)
{
	struct srv sv = srv_start(get_script);
	struct upscli c;
	const char *q[2] = { "UPSDESC", "ups" };
	char **ans;
	int numa;

	(void)state;
	connect_to(&c, &sv);
	get_one(&c, "ups", "battery.charge", &numa, &ans, 0);
	assert_int_equal(numa, 4);
	assert_string_equal(ans[3], "100");
	get_one(&c, "ups", "no.such", &numa, &ans, -1);
	assert_int_equal(upscli_upserror(&c), UPSCLI_ERR_VARNOTSUPP);
	assert_string_equal(upscli_strerror(&c), "Variable not supported by UPS");
	get_one(&c, "nosuch", "ups.status", &numa, &ans, -1);
	assert_int_equal(upscli_upserror(&c), UPSCLI_ERR_UNKNOWNUPS);
	get_one(&c, "ups", "ups.status", &numa, &ans, -1);
	assert_int_equal(upscli_upserror(&c), UPSCLI_ERR_PROTOCOL);
	get_one(&c, "ups", "with space", &numa, &ans, 0);
	assert_string_equal(ans[2], "with space");
	assert_string_equal(ans[3], "quoted \"ok\"");
	/* '=' forces quotes; # and " are escaped; the reply is decoded */
	get_one(&c, "ups", "a=b#c\"", &numa, &ans, 0);
	assert_string_equal(ans[2], "a=b#c\"");
	assert_string_equal(ans[3], "#x");
	/* a control byte in a query word would end the line early */
	get_one(&c, "ups", "a.b\nLOGOUT", &numa, &ans, -1);
	assert_int_equal(upscli_upserror(&c), UPSCLI_ERR_INVALIDARG);
	get_one(&c, "ups", "ups.model", &numa, &ans, -1);
	assert_int_equal(upscli_upserror(&c), UPSCLI_ERR_PARSE);
	/* the connection stays usable after a malformed line */
	assert_int_equal(upscli_get(&c, 2, q, &numa, &ans), 0);
	assert_string_equal(ans[2], "after parse error");
	/* a query not in the script: the server says UNKNOWN-COMMAND */
	get_one(&c, "ups", "x.y", &numa, &ans, -1);
	assert_int_equal(upscli_upserror(&c), UPSCLI_ERR_UNKCOMMAND);
	assert_int_equal(upscli_get(&c, 0, q, &numa, &ans), -1);
	assert_int_equal(upscli_upserror(&c), UPSCLI_ERR_INVALIDARG);
	upscli_disconnect(&c);
	assert_int_equal(c.fd, -1);
	upscli_disconnect(&c);   /* idempotent */
	srv_stop(&sv);
}

static const struct canned list_script[] = {
	{ "LIST VAR ups", "BEGIN LIST VAR ups\nVAR ups a.b \"1\"\nVAR ups c.d \"two words\"\n"
		"END LIST VAR ups\n" },
	{ "LIST VAR nosuch", "ERR UNKNOWN-UPS\n" },
	{ "LIST UPS", "BEGIN LIST VAR ups\n" },
	{ "LIST CLIENT ups", "BEGIN LIST CLIENT ups\nCLIENT other 127.0.0.1\n" },
	{ NULL, NULL }
};

static void test_list(void **state)
{
	struct srv sv = srv_start(list_script);
	struct upscli c;
	const char *qv[2] = { "VAR", "ups" }, *qn[2] = { "VAR", "nosuch" };
	const char *qu[1] = { "UPS" }, *qc[2] = { "CLIENT", "ups" };
	char **ans;
	int numa;

	(void)state;
	connect_to(&c, &sv);
	assert_int_equal(upscli_list_start(&c, 2, qv), 0);
	assert_int_equal(upscli_list_next(&c, 2, qv, &numa, &ans), 1);
	assert_int_equal(numa, 4);
	assert_string_equal(ans[2], "a.b");
	assert_string_equal(ans[3], "1");
	assert_int_equal(upscli_list_next(&c, 2, qv, &numa, &ans), 1);
	assert_string_equal(ans[3], "two words");
	assert_int_equal(upscli_list_next(&c, 2, qv, &numa, &ans), 0);
	assert_int_equal(upscli_list_start(&c, 2, qn), -1);
	assert_int_equal(upscli_upserror(&c), UPSCLI_ERR_UNKNOWNUPS);
	assert_string_equal(upscli_strerror(&c), "Unknown UPS");
	/* BEGIN that does not echo the query */
	assert_int_equal(upscli_list_start(&c, 1, qu), -1);
	assert_int_equal(upscli_upserror(&c), UPSCLI_ERR_PROTOCOL);
	/* item for another UPS */
	assert_int_equal(upscli_list_start(&c, 2, qc), 0);
	assert_int_equal(upscli_list_next(&c, 2, qc, &numa, &ans), -1);
	assert_int_equal(upscli_upserror(&c), UPSCLI_ERR_PROTOCOL);
	upscli_disconnect(&c);
	srv_stop(&sv);
}

static void test_too_long_and_close(void **state)
{
	static char longreply[20000];
	struct canned script[] = {
		{ "GET VAR ups x.y", longreply },
		{ "GET VAR ups bye.bye", NULL },
		{ NULL, NULL }
	};
	struct srv sv;
	struct upscli c;
	char **ans;
	int numa;

	(void)state;
	memset(longreply, 'A', sizeof(longreply) - 2);
	longreply[sizeof(longreply) - 2] = '\n';
	longreply[sizeof(longreply) - 1] = '\0';
	sv = srv_start(script);
	connect_to(&c, &sv);
	get_one(&c, "ups", "x.y", &numa, &ans, -1);
	assert_int_equal(upscli_upserror(&c), UPSCLI_ERR_INVRESP);
	assert_int_equal(c.fd, -1);
	get_one(&c, "ups", "x.y", &numa, &ans, -1);
	assert_int_equal(upscli_upserror(&c), UPSCLI_ERR_DRVNOTCONN);
	upscli_disconnect(&c);
	srv_stop(&sv);

	sv = srv_start(script);
	connect_to(&c, &sv);
	get_one(&c, "ups", "bye.bye", &numa, &ans, -1);
	assert_int_equal(upscli_upserror(&c), UPSCLI_ERR_SRVDISC);
	assert_string_equal(upscli_strerror(&c), "Server disconnected");
	upscli_disconnect(&c);
	srv_stop(&sv);
}

static void test_readraw_sendline(void **state)
{
	static const struct canned script[] = {
		{ "VER", "Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/\n" },
		{ "USERNAME a", "OK\r\n" },
		{ NULL, NULL }
	};
	struct srv sv = srv_start(script);
	struct upscli c;
	char out[128], small[8];

	(void)state;
	connect_to(&c, &sv);
	assert_int_equal(upscli_sendline(&c, "VER"), 0);
	assert_int_equal(upscli_readraw(&c, out, sizeof(out)), 0);
	assert_string_equal(out, "Network UPS Tools upsd 2.8.0 - http://www.networkupstools.org/");
	assert_int_equal(upscli_sendline(&c, "USERNAME a\n"), 0);
	assert_int_equal(upscli_readraw(&c, out, sizeof(out)), 0);
	assert_string_equal(out, "OK");
	assert_int_equal(upscli_sendline(&c, "VER"), 0);
	assert_int_equal(upscli_readraw(&c, small, sizeof(small)), -1);
	assert_int_equal(upscli_upserror(&c), UPSCLI_ERR_INVRESP);
	upscli_disconnect(&c);
	srv_stop(&sv);
}

static void test_connect_errors(void **state)
{
	struct upscli c;
	int port, lfd;

	(void)state;
	lfd = listen_loopback(&port);
	close(lfd);   /* nothing listens there now */
	assert_int_equal(upscli_connect(&c, "127.0.0.1", port, 0), -1);
	assert_int_equal(upscli_upserror(&c), UPSCLI_ERR_CONNFAILURE);
	assert_string_equal(upscli_strerror(&c), "Connection failure: Connection refused");
	upscli_disconnect(&c);

	assert_int_equal(upscli_connect(&c, "no-such-host.invalid", 3493, 0), -1);
	assert_int_equal(upscli_upserror(&c), UPSCLI_ERR_NOSUCHHOST);
	assert_string_equal(upscli_strerror(&c), "No such host");

	/* TLS required but not available: fails after connecting */
	lfd = listen_loopback(&port);
	assert_int_equal(upscli_connect(&c, "127.0.0.1", port, UPSCLI_CONN_REQSSL), -1);
	assert_int_equal(upscli_upserror(&c), UPSCLI_ERR_SSLFAIL);
	assert_int_equal(c.fd, -1);
	close(lfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_splitname),
		cmocka_unit_test(test_splitaddr),
		cmocka_unit_test(test_errcode),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_too_long_and_close),
		cmocka_unit_test(test_readraw_sendline),
		cmocka_unit_test(test_connect_errors),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
