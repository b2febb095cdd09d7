/*
 * Unit tests for the problem classes of server/conf.c and users.c that a
 * reload decides on: an obsolete setting NUT accepts with a warning
 * (ACCEPT/REJECT/ACL, allowfrom) counts in conf_msgs.nwarn and does not
 * stop a reload; anything else (a bad value, an unknown directive, a
 * parse error) is an error that does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "upsd.h"
#include "users.h"

struct fixture {
	char dir[64];
	char path[128];
	struct conf_msgs m;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_srvconf.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/file", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	conf_msgs_free(&f->m);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void write_text(const struct fixture *f, const char *text)
{
	FILE *fp = fopen(f->path, "w");

	assert_non_null(fp);
	assert_true(fputs(text, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
}

static void read_upsd(struct fixture *f, const char *text)
{
	struct upsd_settings s;

	write_text(f, text);
	conf_settings_init(&s);
	assert_int_equal(conf_read_upsd(f->path, &s, &f->m), 0);
	conf_settings_free(&s);
}

static void read_users(struct fixture *f, const char *text)
{
	struct upsd_user *u = NULL;

	write_text(f, text);
	assert_int_equal(users_load(f->path, &u, &f->m), 0);
	users_free(u);
}

static void test_obsolete_upsd_conf_is_warning(void **state)
{
	struct fixture *f = *state;

	read_upsd(f, "LISTEN 127.0.0.1 3493\nACCEPT localhost\nREJECT all\nACL all 0.0.0.0/0\n");
	assert_int_equal(f->m.n, 3);
	assert_int_equal(f->m.nwarn, 3);
	assert_non_null(strstr(f->m.v[0], ":2: ACCEPT is no longer supported"));
}

static void test_bad_upsd_conf_is_error(void **state)
{
	struct fixture *f = *state;

	read_upsd(f, "ACCEPT localhost\nMAXAGE abc\nNOSUCH 1\n");
	assert_int_equal(f->m.n, 3);
	assert_int_equal(f->m.nwarn, 1);
	assert_non_null(strstr(f->m.v[1], ":2: MAXAGE: invalid value 'abc'"));
}

static void test_users_allowfrom_is_warning(void **state)
{
	struct fixture *f = *state;

	read_users(f, "[mon]\n\tpassword = pw\n\tallowfrom = localhost\n\tupsmon secondary\n");
	assert_int_equal(f->m.n, 1);
	assert_int_equal(f->m.nwarn, 1);
}

static void test_users_parse_error_is_error(void **state)
{
	struct fixture *f = *state;

	read_users(f, "[mon]\n\tpassword = \"pw\n\tupsmon secondary\n");
	assert_true(f->m.n >= 1);
	assert_int_equal(f->m.nwarn, 0);
}

static void test_free_resets_count(void **state)
{
	struct fixture *f = *state;

	conf_warn(&f->m, "f", 1, "old %s", "thing");
	assert_int_equal(f->m.nwarn, 1);
	assert_string_equal(f->m.v[0], "f:1: old thing");
	conf_msgs_free(&f->m);
	assert_int_equal(f->m.n, 0);
	assert_int_equal(f->m.nwarn, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_obsolete_upsd_conf_is_warning, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_upsd_conf_is_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_users_allowfrom_is_warning, setup, teardown),
		cmocka_unit_test_setup_teardown(test_users_parse_error_is_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_resets_count, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
