/* Unit tests for common/sock.c */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "sock.h"

static void local_port(int fd, char *port, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	unsigned p;

	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &sl), 0);
	if (ss.ss_family == AF_INET)
		p = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	else
		p = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	assert_true(p > 0);
	snprintf(port, len, "%u", p);
}

/* accept with a bounded wait (listener is nonblocking) */
static int accept_wait(int lfd)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };

	assert_int_equal(poll(&pfd, 1, 2000), 1);
	return sock_accept(lfd);
}

static void test_tcp_v4(void **state)
{
	char err[256] = "", port[16], peer[64], buf[16];
	int lfd, cfd, afd, fl;

	(void)state;
	lfd = sock_listen_tcp("127.0.0.1", "0", AF_INET, 16, err, sizeof(err));
	assert_true(lfd >= 0);
	fl = fcntl(lfd, F_GETFL);
	assert_true(fl & O_NONBLOCK);
	assert_true(fcntl(lfd, F_GETFD) & FD_CLOEXEC);
	local_port(lfd, port, sizeof(port));

	cfd = sock_connect_tcp("127.0.0.1", port, 2000, err, sizeof(err));
	assert_true(cfd >= 0);
	assert_false(fcntl(cfd, F_GETFL) & O_NONBLOCK);   /* blocking fd */
	afd = accept_wait(lfd);
	assert_true(afd >= 0);
	assert_true(fcntl(afd, F_GETFL) & O_NONBLOCK);
	sock_peer(afd, peer, sizeof(peer));
	assert_string_equal(peer, "127.0.0.1");

	assert_int_equal(sock_write_all(cfd, "hello", 5, 1000), 0);
	memset(buf, 0, sizeof(buf));
	{
		struct pollfd pfd = { .fd = afd, .events = POLLIN };

		assert_int_equal(poll(&pfd, 1, 2000), 1);
	}
	assert_int_equal(read(afd, buf, sizeof(buf)), 5);
	assert_string_equal(buf, "hello");
	close(afd);
	close(cfd);
	close(lfd);
}

static void test_tcp_connect_refused(void **state)
{
	char err[256] = "", port[16];
	int lfd, cfd;

	(void)state;
	/* find a free port, then close it: nobody listens there */
	lfd = sock_listen_tcp("127.0.0.1", "0", AF_INET, 1, err, sizeof(err));
	assert_true(lfd >= 0);
	local_port(lfd, port, sizeof(port));
	close(lfd);
	cfd = sock_connect_tcp("127.0.0.1", port, 1000, err, sizeof(err));
	assert_int_equal(cfd, -1);
	assert_int_equal(errno, ECONNREFUSED);
	assert_non_null(strstr(err, "127.0.0.1"));
	assert_non_null(strstr(err, port));
	assert_non_null(strstr(err, strerror(ECONNREFUSED)));
}

static void test_tcp_bad_addr(void **state)
{
	char err[256] = "";
	int lfd;

	(void)state;
	/* 192.0.2.1 (TEST-NET) is not a local address: bind fails */
	lfd = sock_listen_tcp("192.0.2.1", "0", AF_INET, 1, err, sizeof(err));
	assert_int_equal(lfd, -1);
	assert_non_null(strstr(err, "192.0.2.1"));
	assert_non_null(strstr(err, strerror(EADDRNOTAVAIL)));
}

static void test_tcp_port_in_use(void **state)
{
	char err[256] = "", port[16];
	int lfd, lfd2;

	(void)state;
	lfd = sock_listen_tcp("127.0.0.1", "0", AF_INET, 1, err, sizeof(err));
	assert_true(lfd >= 0);
	local_port(lfd, port, sizeof(port));
	lfd2 = sock_listen_tcp("127.0.0.1", port, AF_INET, 1, err, sizeof(err));
	assert_int_equal(lfd2, -1);
	assert_non_null(strstr(err, strerror(EADDRINUSE)));
	close(lfd);
}

static void test_tcp_v6(void **state)
{
	char err[256] = "", port[16], peer[64];
	int lfd, cfd, afd, v6only = 0;
	socklen_t sl = sizeof(v6only);

	(void)state;
	lfd = sock_listen_tcp("::1", "0", AF_INET6, 16, err, sizeof(err));
	if (lfd < 0) {
		skip();   /* no IPv6 loopback here */
		return;
	}
	assert_int_equal(getsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &sl), 0);
	assert_int_equal(v6only, 1);
	local_port(lfd, port, sizeof(port));
	cfd = sock_connect_tcp("::1", port, 2000, err, sizeof(err));
	assert_true(cfd >= 0);
	afd = accept_wait(lfd);
	assert_true(afd >= 0);
	sock_peer(afd, peer, sizeof(peer));
	assert_string_equal(peer, "::1");
	close(afd);
	close(cfd);
	close(lfd);
}

static void test_unix(void **state)
{
	char dir[] = "/tmp/test_sock.XXXXXX", path[128], err[256] = "", buf[8];
	struct stat st;
	int lfd, cfd, afd, f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ups.sock", dir);
	/* a stale file in the way is removed */
	f = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(f >= 0);
	close(f);
	lfd = sock_listen_unix(path, 0660, 4, err, sizeof(err));
	assert_true(lfd >= 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0660);

	cfd = sock_connect_unix(path, err, sizeof(err));
	assert_true(cfd >= 0);
	afd = accept_wait(lfd);
	assert_true(afd >= 0);
	assert_int_equal(sock_write_all(afd, "ok\n", 3, 1000), 0);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(read(cfd, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "ok\n");
	close(afd);
	close(cfd);
	close(lfd);
	unlink(path);

	/* nothing listening: error names the path */
	cfd = sock_connect_unix(path, err, sizeof(err));
	assert_int_equal(cfd, -1);
	assert_non_null(strstr(err, path));
	rmdir(dir);
}

static void test_unix_too_long(void **state)
{
	char path[300], err[256] = "";

	(void)state;
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(sock_listen_unix(path, 0600, 1, err, sizeof(err)), -1);
	assert_true(strlen(err) > 0);
}

/* the receiver does not read: writes fill the buffer and time out */
static void test_write_all_timeout(void **state)
{
	int sv[2], sz = 4096;
	char *big = calloc(1, 1 << 20);

	(void)state;
	assert_non_null(big);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	assert_int_equal(sock_set_nonblock(sv[0], 1), 0);
	assert_int_equal(sock_write_all(sv[0], big, 1 << 20, 100), -1);
	assert_int_equal(errno, ETIMEDOUT);
	/* nonblock off again */
	assert_int_equal(sock_set_nonblock(sv[0], 0), 0);
	assert_false(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
	close(sv[0]);
	close(sv[1]);
	free(big);
}

static void test_peer_unknown(void **state)
{
	char peer[32];

	(void)state;
	sock_peer(-1, peer, sizeof(peer));
	assert_string_equal(peer, "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_v4),
		cmocka_unit_test(test_tcp_connect_refused),
		cmocka_unit_test(test_tcp_bad_addr),
		cmocka_unit_test(test_tcp_port_in_use),
		cmocka_unit_test(test_tcp_v6),
		cmocka_unit_test(test_unix),
		cmocka_unit_test(test_unix_too_long),
		cmocka_unit_test(test_write_all_timeout),
		cmocka_unit_test(test_peer_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
