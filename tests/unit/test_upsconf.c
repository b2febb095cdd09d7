/* Unit tests for common/upsconf.c (golden files written to a temp dir) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "upsconf.h"

struct tdir {
	char dir[64];
	char path[128];
};

static int setup_dir(void **state)
{
	struct tdir *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "/tmp/test_upsconf.XXXXXX");
	if (!mkdtemp(t->dir)) {
		free(t);
		return -1;
	}
	snprintf(t->path, sizeof(t->path), "%s/ups.conf", t->dir);
	*state = t;
	return 0;
}

static int teardown_dir(void **state)
{
	struct tdir *t = *state;

	unlink(t->path);
	rmdir(t->dir);
	free(t);
	return 0;
}

static const char *write_conf(void **state, const char *text)
{
	struct tdir *t = *state;
	FILE *f = fopen(t->path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	return t->path;
}

/* The ups.conf of the team's setup guide (Eaton Ellipse ECO over USB),
 * copied verbatim (source: setup-guide.md, "/etc/nut/ups.conf" block). */
static const char ellipse_conf[] =
	"pollinterval = 1\n"
	"maxretry = 3\n"
	"\n"
	"[elipseeco0]\n"
	"        driver = \"usbhid-ups\"\n"
	"        port = \"auto\"\n"
	"        desc = \"EATON Ellipse ECO 800\"\n"
	"        vendorid = \"0463\"\n"
	"        productid = \"FFFF\"\n";

static void test_ellipse(void **state)
{
	struct upsconf c;
	const struct upsconf_section *s;
	const char *path = write_conf(state, ellipse_conf);

	assert_int_equal(upsconf_load(&c, path), 0);
	assert_int_equal(c.nerrors, 0);
	assert_string_equal(c.path, path);
	assert_int_equal(c.nglobal, 2);
	assert_string_equal(upsconf_global(&c, "pollinterval"), "1");
	assert_string_equal(upsconf_global(&c, "maxretry"), "3");
	assert_null(upsconf_global(&c, "nowait"));
	assert_int_equal(c.nsections, 1);
	s = upsconf_find(&c, "elipseeco0");
	assert_non_null(s);
	assert_ptr_equal(upsconf_find(&c, "ELIPSEECO0"), s);
	assert_string_equal(s->name, "elipseeco0");
	assert_int_equal(s->line, 4);
	assert_int_equal(s->nkv, 5);
	assert_string_equal(upsconf_get(s, "driver"), "usbhid-ups");
	assert_string_equal(upsconf_get(s, "port"), "auto");
	assert_string_equal(upsconf_get(s, "desc"), "EATON Ellipse ECO 800");
	assert_string_equal(upsconf_get(s, "vendorid"), "0463");
	assert_string_equal(upsconf_get(s, "productid"), "FFFF");
	assert_int_equal(upsconf_kv(s, "desc")->line, 7);
	assert_null(upsconf_get(s, "DRIVER"));   /* keys compare exactly */
	assert_null(upsconf_find(&c, "other"));
	upsconf_free(&c);
}

static const char good_conf[] =
	"# comment line\n"
	"chroot = /var/empty\n"
	"nowait\n"
	"user=nut\n"
	"\n"
	"[ups1]\n"
	"\tdriver = dummy-ups\n"
	"\tport = ups1.dev   # trailing comment\n"
	"\tdesc = Web server\n"
	"\tnolock\n"
	"\toverride.battery.charge.low= 30\n"
	"\tpollinterval =5\n"
	"\tpollinterval = 7\n"
	"[UPS2]\n"
	"\tsdorder\\=-1\n"
	"\tdriver = \"dummy-ups\"\n"
	"\tport = \"with \\\"quote\\\" and = sign\"\n"
	"\tdesc = \"\"\n"
	"\"[my ups]\"\n"
	"\tdriver = x\n"
	"\tport = y";                                  /* no final newline */

static void test_good(void **state)
{
	struct upsconf c;
	const struct upsconf_section *s;
	const struct upsconf_kv *kv;
	const char *path = write_conf(state, good_conf);

	assert_int_equal(upsconf_load(&c, path), 0);
	assert_int_equal(c.nerrors, 0);
	assert_int_equal(c.nglobal, 3);
	assert_string_equal(upsconf_global(&c, "chroot"), "/var/empty");
	assert_string_equal(upsconf_global(&c, "user"), "nut");
	kv = upsconf_global_kv(&c, "nowait");
	assert_non_null(kv);
	assert_null(kv->value);
	assert_int_equal(kv->line, 3);
	assert_null(upsconf_global_kv(&c, "driverpath"));

	assert_int_equal(c.nsections, 3);
	s = upsconf_find(&c, "UPS1");
	assert_non_null(s);
	assert_string_equal(upsconf_get(s, "driver"), "dummy-ups");
	assert_string_equal(upsconf_get(s, "port"), "ups1.dev");
	assert_string_equal(upsconf_get(s, "desc"), "Web");  /* first word only */
	kv = upsconf_kv(s, "nolock");
	assert_non_null(kv);
	assert_null(kv->value);
	assert_null(upsconf_get(s, "nolock"));
	assert_string_equal(upsconf_get(s, "override.battery.charge.low"), "30");
	assert_string_equal(upsconf_get(s, "pollinterval"), "7");   /* last wins */
	assert_int_equal(upsconf_kv(s, "pollinterval")->line, 13);
	assert_int_equal(s->nkv, 7);     /* duplicates kept in order */

	s = upsconf_find(&c, "ups2");
	assert_non_null(s);
	assert_string_equal(s->name, "UPS2");
	assert_string_equal(upsconf_get(s, "port"), "with \"quote\" and = sign");
	assert_string_equal(upsconf_get(s, "desc"), "");
	assert_string_equal(upsconf_get(s, "sdorder"), "-1");  /* escaped '=' */

	s = upsconf_find(&c, "my ups");
	assert_non_null(s);
	assert_int_equal(s->line, 19);
	assert_string_equal(upsconf_get(s, "port"), "y");
	assert_ptr_equal(&c.sections[2], s);
	upsconf_free(&c);
	assert_int_equal(c.nsections, 0);
}

static const char bad_conf[] =
	"pollinterval = 2\n"        /* 1 */
	"foo bar\n"                 /* 2: no '=' */
	"[ups]\n"                   /* 3 */
	"\tdriver = dummy-ups\n"    /* 4 */
	"\tport =\n"                /* 5: no value */
	"\t= orphan\n"              /* 6: no key */
	"\tdesc = \"a#\n"           /* 7: parse error (# inside quotes) */
	"[broken\n"                 /* 8: no ']' */
	"\tport = p.dev\n"          /* 9: still in [ups] */
	"[]\n"                      /* 10: empty name */
	"\tsdorder = 1\n";          /* 11 */

static int has_error_prefix(const struct upsconf *c, const char *prefix)
{
	size_t i;

	for (i = 0; i < c->nerrors; i++)
		if (strncmp(c->errors[i], prefix, strlen(prefix)) == 0)
			return 1;
	return 0;
}

static void test_bad_lines(void **state)
{
	struct upsconf c;
	const struct upsconf_section *s;
	const char *path = write_conf(state, bad_conf);
	char want[256];
	static const unsigned bad[] = { 2, 5, 6, 7, 8, 10 };
	size_t i;

	assert_int_equal(upsconf_load(&c, path), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want), "%s:%u: ", path, bad[i]);
		if (!has_error_prefix(&c, want))
			fail_msg("no error reported for line %u", bad[i]);
	}
	assert_int_equal(c.nerrors, 6);
	/* errors are in file order */
	snprintf(want, sizeof(want), "%s:2: ", path);
	assert_memory_equal(c.errors[0], want, strlen(want));
	snprintf(want, sizeof(want), "%s:10: ", path);
	assert_memory_equal(c.errors[5], want, strlen(want));

	/* good lines around the bad ones are kept */
	assert_string_equal(upsconf_global(&c, "pollinterval"), "2");
	assert_null(upsconf_global_kv(&c, "foo"));
	assert_int_equal(c.nsections, 1);
	s = upsconf_find(&c, "ups");
	assert_non_null(s);
	assert_string_equal(upsconf_get(s, "driver"), "dummy-ups");
	assert_string_equal(upsconf_get(s, "port"), "p.dev");
	assert_string_equal(upsconf_get(s, "sdorder"), "1");
	assert_null(upsconf_kv(s, "desc"));
	upsconf_free(&c);
}

static void test_unreadable(void **state)
{
	struct tdir *t = *state;
	struct upsconf c;
	char path[160];

	snprintf(path, sizeof(path), "%s/missing.conf", t->dir);
	assert_int_equal(upsconf_load(&c, path), -1);
	assert_int_equal(c.nerrors, 1);
	assert_non_null(strstr(c.errors[0], path));
	assert_non_null(strstr(c.errors[0], "No such file"));
	assert_int_equal(c.nsections, 0);
	upsconf_free(&c);
}

static void test_empty(void **state)
{
	struct upsconf c;
	const char *path = write_conf(state, "# nothing here\n\n");

	assert_int_equal(upsconf_load(&c, path), 0);
	assert_int_equal(c.nerrors, 0);
	assert_int_equal(c.nglobal, 0);
	assert_int_equal(c.nsections, 0);
	assert_null(upsconf_find(&c, "x"));
	assert_null(upsconf_global(&c, "x"));
	upsconf_free(&c);
	upsconf_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ellipse, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_good, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_bad_lines, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_unreadable, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_empty, setup_dir, teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
