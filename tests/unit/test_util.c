/* Unit tests for common/util.c (and the stderr side of common/log.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static void test_parse_long(void **state)
{
	long v = -7;

	(void)state;
	assert_int_equal(parse_long("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_long("-5", -10, 10, &v), 0);
	assert_int_equal(v, -5);
	assert_int_equal(parse_long("+5", 0, 10, &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(parse_long("0", 0, 0, &v), 0);
	v = 99;
	assert_int_equal(parse_long("101", 0, 100, &v), -1);
	assert_int_equal(v, 99);   /* untouched on failure */
	assert_int_equal(parse_long("-1", 0, 100, &v), -1);
	assert_int_equal(parse_long("", 0, 100, &v), -1);
	assert_int_equal(parse_long(NULL, 0, 100, &v), -1);
	assert_int_equal(parse_long("12abc", 0, 100, &v), -1);
	assert_int_equal(parse_long(" 12", 0, 100, &v), -1);
	assert_int_equal(parse_long("12 ", 0, 100, &v), -1);
	assert_int_equal(parse_long("-", -10, 100, &v), -1);
	assert_int_equal(parse_long("0x10", 0, 100, &v), -1);
	assert_int_equal(parse_long("99999999999999999999999", LONG_MIN, LONG_MAX, &v), -1);
	assert_int_equal(parse_long("9223372036854775807", LONG_MIN, LONG_MAX, &v), 0);
	assert_true(v == LONG_MAX);
	assert_int_equal(parse_long("010", 0, 100, &v), 0);
	assert_int_equal(v, 10);   /* base 10, not octal */
}

static void test_parse_bool(void **state)
{
	(void)state;
	assert_int_equal(parse_bool("true"), 1);
	assert_int_equal(parse_bool("ON"), 1);
	assert_int_equal(parse_bool("Yes"), 1);
	assert_int_equal(parse_bool("1"), 1);
	assert_int_equal(parse_bool("false"), 0);
	assert_int_equal(parse_bool("off"), 0);
	assert_int_equal(parse_bool("NO"), 0);
	assert_int_equal(parse_bool("0"), 0);
	assert_int_equal(parse_bool("2"), -1);
	assert_int_equal(parse_bool(""), -1);
	assert_int_equal(parse_bool("yess"), -1);
	assert_int_equal(parse_bool(NULL), -1);
}

static void test_str_copy(void **state)
{
	char dst[6];

	(void)state;
	assert_int_equal(str_copy(dst, "abc", sizeof(dst)), 3);
	assert_string_equal(dst, "abc");
	assert_int_equal(str_copy(dst, "abcdefgh", sizeof(dst)), 8);
	assert_string_equal(dst, "abcde");
	assert_int_equal(str_copy(dst, "", sizeof(dst)), 0);
	assert_string_equal(dst, "");
	dst[0] = 'x';
	assert_int_equal(str_copy(dst, "zz", 0), 2);
	assert_int_equal(dst[0], 'x');
}

static void test_str_ct_equal(void **state)
{
	(void)state;
	assert_true(str_ct_equal("secret", "secret"));
	assert_true(str_ct_equal("", ""));
	assert_false(str_ct_equal("secret", "secreT"));
	assert_false(str_ct_equal("secret", "secret1"));
	assert_false(str_ct_equal("secret1", "secret"));
	assert_false(str_ct_equal("", "x"));
	assert_false(str_ct_equal("x", ""));
	assert_false(str_ct_equal("abab", "ab"));
	assert_false(str_ct_equal(NULL, "x"));
}

static void test_paths_env(void **state)
{
	(void)state;
	unsetenv("NUT_CONFPATH");
	unsetenv("NUT_STATEPATH");
	unsetenv("NUT_ALTPIDPATH");
	unsetenv("NUT_DATAPATH");
	assert_string_equal(nut_confpath(), CONFPATH);
	assert_string_equal(nut_statepath(), STATEPATH);
	assert_string_equal(nut_altpidpath(), STATEPATH);
	assert_string_equal(nut_pidpath(), PIDPATH);
	assert_string_equal(nut_datapath(), DATAPATH);

	setenv("NUT_CONFPATH", "/tmp/c", 1);
	setenv("NUT_STATEPATH", "/tmp/s", 1);
	setenv("NUT_DATAPATH", "/tmp/d", 1);
	assert_string_equal(nut_confpath(), "/tmp/c");
	assert_string_equal(nut_statepath(), "/tmp/s");
	assert_string_equal(nut_altpidpath(), "/tmp/s");
	assert_string_equal(nut_pidpath(), PIDPATH);
	assert_string_equal(nut_datapath(), "/tmp/d");
	setenv("NUT_ALTPIDPATH", "/tmp/p", 1);
	assert_string_equal(nut_altpidpath(), "/tmp/p");
	assert_string_equal(nut_pidpath(), "/tmp/p");
	/* an empty variable does not count */
	setenv("NUT_CONFPATH", "", 1);
	assert_string_equal(nut_confpath(), CONFPATH);
	unsetenv("NUT_CONFPATH");
	unsetenv("NUT_STATEPATH");
	unsetenv("NUT_ALTPIDPATH");
	unsetenv("NUT_DATAPATH");
}

static void test_path_join(void **state)
{
	char out[16], big[64];

	(void)state;
	assert_int_equal(path_join(big, sizeof(big), "/etc/nut", "ups.conf"), 0);
	assert_string_equal(big, "/etc/nut/ups.conf");
	assert_int_equal(path_join(out, sizeof(out), "/etc/nut", "ups.conf"), -1);
	assert_string_equal(out, "");
	assert_int_equal(path_join(out, sizeof(out), "/etc/nut", "ups.co"), 0);
	assert_string_equal(out, "/etc/nut/ups.co");
	assert_int_equal(path_join(out, sizeof(out), "/a/", "b"), 0);
	assert_string_equal(out, "/a/b");
	assert_int_equal(path_join(out, sizeof(out), "/a", "/abs"), 0);
	assert_string_equal(out, "/abs");
	assert_int_equal(path_join(out, sizeof(out), "/very/long/dir", "name"), -1);
	assert_int_equal(path_join(out, sizeof(out), "/123456789", "1234"), 0);
	assert_int_equal(path_join(out, sizeof(out), "/123456789", "12345"), -1);
}

static void test_pidfile(void **state)
{
	char dir[] = "/tmp/test_util.XXXXXX";
	char path[64];
	pid_t child;
	int fd, st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.pid", dir);
	assert_int_equal(pidfile_read(path), -1);
	assert_int_equal(pidfile_signal(path, 0), -1);
	assert_int_equal(pidfile_write(path), 0);
	assert_int_equal(pidfile_read(path), getpid());
	assert_int_equal(pidfile_signal(path, 0), 0);

	/* garbage is rejected */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(write(fd, "12x\n", 4) == 4);
	close(fd);
	assert_int_equal(pidfile_read(path), -1);

	/* signal a real child through its pid file */
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	fd = open(path, O_WRONLY | O_TRUNC);
	dprintf(fd, "%ld\n", (long)child);
	close(fd);
	assert_int_equal(pidfile_read(path), child);
	assert_int_equal(pidfile_signal(path, SIGTERM), 0);
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	unlink(path);
	rmdir(dir);
}

static void test_priv(void **state)
{
	char err[128];
	uid_t uid;
	gid_t gid;

	(void)state;
	assert_int_equal(priv_lookup("root", &uid, &gid), 0);
	assert_int_equal(uid, 0);
	assert_int_equal(priv_lookup("no-such-user-xyz", &uid, &gid), -1);
	assert_int_equal(priv_lookup("", &uid, &gid), -1);
	/* dropping to ourselves is a no-op that succeeds */
	if (geteuid() == 0) {
		assert_int_equal(priv_drop("root", err, sizeof(err)), 0);
		assert_int_equal(geteuid(), 0);
		assert_int_equal(priv_drop("no-such-user-xyz", err, sizeof(err)), -1);
		assert_true(strstr(err, "no-such-user-xyz") != NULL);
	} else {
		assert_int_equal(priv_drop("root", err, sizeof(err)), 0);
	}
}

/* a child drops to 'nobody' for real and checks it cannot get root back */
static void test_priv_drop_nobody(void **state)
{
	char err[128];
	uid_t uid;
	gid_t gid;
	pid_t child;
	int st;

	(void)state;
	if (geteuid() != 0 || priv_lookup("nobody", &uid, &gid) < 0) {
		skip();
		return;
	}
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		if (priv_drop("nobody", err, sizeof(err)) != 0)
			_exit(1);
		if (geteuid() != uid || getuid() != uid || getegid() != gid)
			_exit(2);
		if (setuid(0) == 0 || seteuid(0) == 0)
			_exit(3);
		_exit(0);
	}
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_xalloc(void **state)
{
	char *s;
	int *v;

	(void)state;
	s = xstrdup("dup");
	assert_string_equal(s, "dup");
	free(s);
	v = xcalloc(4, sizeof(*v));
	assert_int_equal(v[3], 0);
	v = xrealloc(v, 100 * sizeof(*v));
	v[99] = 1;
	free(v);
	free(xmalloc(0));
}

/* run fn in a child with stderr on a pipe; returns what it wrote */
static void capture_stderr(void (*fn)(void), char *out, size_t outlen)
{
	int fds[2], st;
	pid_t child;
	ssize_t n;
	size_t got = 0;

	assert_int_equal(pipe(fds), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		fn();
		_exit(0);
	}
	close(fds[1]);
	while (got + 1 < outlen && (n = read(fds[0], out + got, outlen - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(fds[0]);
	waitpid(child, &st, 0);
}

static void log_plain(void)
{
	log_init("/usr/sbin/prog", LOG_TO_STDERR);
	log_info("hello %d", 1);
	log_debug(1, "hidden");
	errno = ENOENT;
	log_warn("open %s", "x");
	log_warnx("plain");
}

static void log_debugging(void)
{
	log_init("prog", LOG_TO_STDERR);
	log_set_debug(2);
	log_debug(2, "shown");
	log_debug(3, "hidden");
}

static void test_log(void **state)
{
	char out[512];

	(void)state;
	capture_stderr(log_plain, out, sizeof(out));
	assert_string_equal(out, "hello 1\nopen x: No such file or directory\nplain\n");
	capture_stderr(log_debugging, out, sizeof(out));
	/* "   0.000123\tshown\n" */
	assert_int_equal(strlen(out), 18);
	assert_memory_equal(out, "   0.", 5);
	assert_int_equal(out[11], '\t');
	assert_string_equal(out + 12, "shown\n");
	log_init("/a/b/upsd", 0);
	assert_string_equal(log_progname(), "upsd");
	log_set_debug(3);
	assert_int_equal(log_get_debug(), 3);
	log_set_debug(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_long),
		cmocka_unit_test(test_parse_bool),
		cmocka_unit_test(test_str_copy),
		cmocka_unit_test(test_str_ct_equal),
		cmocka_unit_test(test_paths_env),
		cmocka_unit_test(test_path_join),
		cmocka_unit_test(test_pidfile),
		cmocka_unit_test(test_priv),
		cmocka_unit_test(test_priv_drop_nobody),
		cmocka_unit_test(test_xalloc),
		cmocka_unit_test(test_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
