/*
 * Unit tests for server/users.c: upsd.users parsing (the setup guide's file
 * with its stray `admin master` line, every accepted form, every warning
 * with file:line), the rights lookups used by the network commands, and the
 * constant-time password comparison behind users_auth.
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
#include "pconf.h"
#include "upsd.h"
#include "users.h"
#include "util.h"

#ifndef TESTDATA
#define TESTDATA "tests/data"
#endif

struct fixture {
	char dir[64];
	char path[128];
	struct upsd d;
	struct conf_msgs m;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_users.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/upsd.users", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	users_free(f->d.users);
	conf_msgs_free(&f->m);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* write text as upsd.users and load it into f->d.users; users_load's result */
static int load_text(struct fixture *f, const char *text)
{
	FILE *fp = fopen(f->path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	return users_load(f->path, &f->d.users, &f->m);
}

/* the message that starts with "<path>:<line>: " and contains what, or NULL */
static const char *msg_at(const struct fixture *f, unsigned line, const char *what)
{
	char prefix[200];
	size_t i;

	snprintf(prefix, sizeof(prefix), "%s:%u: ", f->path, line);
	for (i = 0; i < f->m.n; i++)
		if (strncmp(f->m.v[i], prefix, strlen(prefix)) == 0 && strstr(f->m.v[i], what))
			return f->m.v[i];
	return NULL;
}

static void dump_msgs(const struct fixture *f)
{
	size_t i;

	for (i = 0; i < f->m.n; i++)
		print_message("# msg: %s\n", f->m.v[i]);
}

/* ------------------------------------------------------------ the guide */

/* 1-based number of the first line of path that contains text, 0 if none */
static unsigned line_of(const char *path, const char *text)
{
	char buf[512];
	unsigned n = 0;
	FILE *fp = fopen(path, "r");

	if (!fp)
		return 0;
	while (fgets(buf, sizeof(buf), fp)) {
		n++;
		if (strstr(buf, text)) {
			fclose(fp);
			return n;
		}
	}
	fclose(fp);
	return 0;
}

static void test_setup_guide(void **state)
{
	struct fixture *f = *state;
	const char *path = TESTDATA "/setup-guide/upsd.users";
	struct upsd_user *admin, *user, *mon;
	char prefix[200];
	unsigned stray = line_of(path, "admin master");

	assert_true(stray > 0);
	assert_int_equal(users_load(path, &f->d.users, &f->m), 0);
	assert_int_equal(users_count(f->d.users), 3);

	/* exactly one problem: the stray line, named by file and line */
	dump_msgs(f);
	assert_int_equal(f->m.n, 1);
	snprintf(prefix, sizeof(prefix), "%s:%u: ", path, stray);
	assert_memory_equal(f->m.v[0], prefix, strlen(prefix));
	assert_non_null(strstr(f->m.v[0], "admin"));

	/* the lines after the stray one still count */
	admin = users_find(&f->d, "admin");
	assert_non_null(admin);
	assert_int_equal(admin->role, UPSD_ROLE_PRIMARY);
	assert_true(users_has_action(admin, UPSD_ACTION_SET));
	assert_true(users_has_action(admin, UPSD_ACTION_FSD));
	assert_true(users_has_action(admin, UPSD_ACTION_MASTER));
	assert_true(users_has_action(admin, UPSD_ACTION_LOGIN));
	assert_true(users_has_instcmd(admin, "load.off"));
	assert_true(users_auth(&f->d, "admin", "STRONG_PASSWORD"));

	user = users_find(&f->d, "user");
	assert_non_null(user);
	assert_int_equal(user->role, UPSD_ROLE_SECONDARY);
	assert_true(users_has_action(user, UPSD_ACTION_LOGIN));
	assert_false(users_has_action(user, UPSD_ACTION_SET));
	assert_false(users_has_action(user, UPSD_ACTION_FSD));
	assert_false(users_has_action(user, UPSD_ACTION_MASTER));
	assert_false(users_has_instcmd(user, "load.off"));

	/* the Synology account */
	mon = users_find(&f->d, "monuser");
	assert_non_null(mon);
	assert_int_equal(mon->role, UPSD_ROLE_SECONDARY);
	assert_true(users_auth(&f->d, "monuser", "secret"));
	assert_false(users_has_action(mon, UPSD_ACTION_MASTER));
}

/* ------------------------------------------------------------ forms */

static void test_forms(void **state)
{
	struct fixture *f = *state;
	struct upsd_user *u;

	assert_int_equal(load_text(f,
		"# comment\n"
		"[a]\n"                                /* 2 */
		"  PASSWORD = \"p=ss\\#1 x\"\n"        /* 3: field names in any case */
		"  actions = set\n"                    /* 4 */
		"  actions = fsd login\n"              /* 5 */
		"  instcmds = beeper.on beeper.off\n"  /* 6 */
		"  instcmds = Load.Off\n"              /* 7 */
		"[b]\n"                                /* 8 */
		"  \"password=secret\"\n"              /* 9: compressed, = quoted */
		"  upsmon = primary\n"                 /* 10 */
		"[c]\n"                                /* 11 */
		"  password = c\n"
		"  upsmon slave\n"
		"[d]\n"                                /* 14 */
		"  password = d\n"
		"  upsmon master\n"
		"  actions = MASTER\n"
		"[e]\n"                                /* 18: no password */
		"  upsmon secondary\n"
		"\"[f g]\"\n"                          /* 20: a name with a space */
		"  password = fg\n"), 0);
	dump_msgs(f);
	assert_int_equal(f->m.n, 0);
	assert_int_equal(users_count(f->d.users), 6);

	u = users_find(&f->d, "a");
	assert_non_null(u);
	assert_string_equal(u->password, "p=ss#1 x");
	assert_int_equal(u->actions, UPSD_ACTION_SET | UPSD_ACTION_FSD | UPSD_ACTION_LOGIN);
	assert_int_equal(u->role, UPSD_ROLE_NONE);
	assert_true(users_has_instcmd(u, "beeper.on"));
	assert_true(users_has_instcmd(u, "BEEPER.OFF"));
	assert_true(users_has_instcmd(u, "load.off"));
	assert_false(users_has_instcmd(u, "load.on"));
	assert_false(users_has_instcmd(u, "beeper"));

	u = users_find(&f->d, "b");
	assert_non_null(u);
	assert_string_equal(u->password, "secret");
	assert_int_equal(u->role, UPSD_ROLE_PRIMARY);
	assert_int_equal(u->actions, UPSD_ACTION_LOGIN | UPSD_ACTION_MASTER | UPSD_ACTION_FSD);

	u = users_find(&f->d, "c");
	assert_int_equal(u->role, UPSD_ROLE_SECONDARY);
	assert_int_equal(u->actions, UPSD_ACTION_LOGIN);

	u = users_find(&f->d, "d");
	assert_int_equal(u->role, UPSD_ROLE_PRIMARY);

	u = users_find(&f->d, "e");
	assert_non_null(u);
	assert_null(u->password);
	assert_false(users_auth(&f->d, "e", ""));

	assert_true(users_auth(&f->d, "f g", "fg"));
}

/* every problem is reported once, with file:line, and reading goes on */
static void test_warnings(void **state)
{
	struct fixture *f = *state;
	struct upsd_user *u;

	assert_int_equal(load_text(f,
		"password = early\n"                   /* 1 */
		"user admin\n"                         /* 2 */
		"[x]\n"                                /* 3 */
		"  password = one\n"
		"  password = two\n"                   /* 5 */
		"  allowfrom = localhost\n"            /* 6 */
		"  frobnicate = 1\n"                   /* 7 */
		"  upsmon boss\n"                      /* 8 */
		"  actions = SET REBOOT\n"             /* 9 */
		"  admin master\n"                     /* 10 */
		"  actions =\n"                        /* 11 */
		"[x]\n"                                /* 12 */
		"  password = three\n"
		"  actions = FSD\n"
		"[]\n"                                 /* 15 */
		"  password = four\n"
		"[y]\n"
		"  password = \"unterminated#\n"      /* 18: # inside quotes */
		"  upsmon secondary\n"), 0);
	dump_msgs(f);
	assert_non_null(msg_at(f, 1, "outside"));
	assert_non_null(msg_at(f, 2, "old-style"));
	assert_non_null(msg_at(f, 5, "duplicate password"));
	assert_non_null(msg_at(f, 6, "allowfrom"));
	assert_non_null(msg_at(f, 7, "frobnicate"));
	assert_non_null(msg_at(f, 8, "boss"));
	assert_non_null(msg_at(f, 9, "REBOOT"));
	assert_non_null(msg_at(f, 10, "admin"));
	assert_non_null(msg_at(f, 11, "missing value"));
	assert_non_null(msg_at(f, 12, "already defined"));
	assert_non_null(msg_at(f, 15, "empty user name"));
	assert_non_null(msg_at(f, 18, "error"));

	/* first section wins, its valid lines applied; the duplicate adds nothing */
	u = users_find(&f->d, "x");
	assert_non_null(u);
	assert_string_equal(u->password, "one");
	assert_int_equal(u->actions, UPSD_ACTION_SET);
	assert_int_equal(u->role, UPSD_ROLE_NONE);
	assert_int_equal(users_count(f->d.users), 2);
	assert_non_null(users_find(&f->d, "y"));
	assert_int_equal(users_find(&f->d, "y")->role, UPSD_ROLE_SECONDARY);
}

/* no message ever carries a password, whatever is wrong around it */
static void test_passwords_not_in_messages(void **state)
{
	struct fixture *f = *state;
	static const char *const secrets[] = { "S3cretA", "S3cretB", "S3cretC", "S3cretD" };
	size_t i, j;

	assert_int_equal(load_text(f,
		"password = S3cretA\n"
		"[u]\n"
		"  password = S3cretB\n"
		"  password = S3cretC\n"
		"  password S3cretD\n"
		"  password =\n"
		"[u]\n"
		"  password = S3cretA\n"), 0);
	assert_true(f->m.n >= 4);
	for (i = 0; i < f->m.n; i++)
		for (j = 0; j < sizeof(secrets) / sizeof(secrets[0]); j++)
			if (strstr(f->m.v[i], secrets[j]))
				fail_msg("message shows a password: %s", f->m.v[i]);
}

static void test_missing_file(void **state)
{
	struct fixture *f = *state;

	f->d.users = (struct upsd_user *)&f->d;   /* must be reset to NULL */
	assert_int_equal(users_load("/nonexistent/upsd.users", &f->d.users, &f->m), -1);
	assert_null(f->d.users);
	assert_int_equal(f->m.n, 1);
	assert_non_null(strstr(f->m.v[0], "/nonexistent/upsd.users"));
}

/* append n copies of c to p; returns the new end */
static char *fill(char *p, char c, size_t n)
{
	memset(p, c, n);
	return p + n;
}

/* words at and over the tokenizer's length cap: no overflow, values bounded */
static void test_long_words(void **state)
{
	struct fixture *f = *state;
	char *text = malloc(8192), *p, name[PCONF_MAX_WORDLEN];
	const struct upsd_user *u;

	assert_non_null(text);
	p = text;
	*p++ = '[';                                /* 702 characters: cut, no ] left */
	p = fill(p, 'x', 700);
	p += sprintf(p, "]\n[");                   /* exactly at the cap: a section */
	p = fill(p, 'n', PCONF_MAX_WORDLEN - 2);
	p += sprintf(p, "]\n  password = ");
	p = fill(p, 'p', 700);
	p += sprintf(p, "\n  \"instcmds=");
	p = fill(p, 'c', 700);
	sprintf(p, "\"\n[ok]\n  password = x\n");
	assert_int_equal(load_text(f, text), 0);
	free(text);
	dump_msgs(f);
	assert_non_null(msg_at(f, 1, "outside"));
	assert_int_equal(users_count(f->d.users), 2);
	assert_non_null(users_find(&f->d, "ok"));
	memset(name, 'n', sizeof(name) - 2);
	name[sizeof(name) - 2] = '\0';
	u = users_find(&f->d, name);
	assert_non_null(u);
	assert_int_equal(strlen(u->password), PCONF_MAX_WORDLEN);
	assert_int_equal(u->ninstcmds, 1);
	assert_int_equal(strlen(u->instcmds[0]), PCONF_MAX_WORDLEN - strlen("instcmds="));
}

/* ------------------------------------------------------------ rights */

static void test_rights(void **state)
{
	struct fixture *f = *state;
	struct upsd_user *adm, *sec, *setter;

	assert_int_equal(load_text(f,
		"[adm]\n  password = pw\n  upsmon primary\n  instcmds = all\n"
		"[sec]\n  password = pw2\n  upsmon secondary\n  instcmds = beeper.toggle\n"
		"[setter]\n  password = pw3\n  actions = SET\n"
		"[adm]\n  password = other\n  actions = SET\n"), 0);
	adm = users_find(&f->d, "adm");
	sec = users_find(&f->d, "sec");
	setter = users_find(&f->d, "setter");
	assert_non_null(adm);
	assert_non_null(sec);
	assert_non_null(setter);

	/* names are case-sensitive; the first section of a name wins */
	assert_null(users_find(&f->d, "ADM"));
	assert_null(users_find(&f->d, "nobody"));
	assert_null(users_find(&f->d, NULL));
	assert_false(users_auth(&f->d, "adm", "other"));

	/* FSD and PRIMARY: upsmon primary; LOGIN: any upsmon role; SET: actions */
	assert_true(users_has_action(adm, UPSD_ACTION_FSD));
	assert_true(users_has_action(adm, UPSD_ACTION_MASTER));
	assert_false(users_has_action(adm, UPSD_ACTION_SET));
	assert_true(users_has_action(sec, UPSD_ACTION_LOGIN));
	assert_false(users_has_action(sec, UPSD_ACTION_FSD));
	assert_false(users_has_action(sec, UPSD_ACTION_MASTER));
	assert_true(users_has_action(setter, UPSD_ACTION_SET));
	assert_false(users_has_action(setter, UPSD_ACTION_LOGIN));
	assert_false(users_has_action(setter, UPSD_ACTION_SET | UPSD_ACTION_FSD));
	assert_false(users_has_action(NULL, UPSD_ACTION_LOGIN));

	/* INSTCMD: listed (any case) or all */
	assert_true(users_has_instcmd(adm, "load.off"));
	assert_true(users_has_instcmd(sec, "BEEPER.TOGGLE"));
	assert_false(users_has_instcmd(sec, "load.off"));
	assert_false(users_has_instcmd(setter, "beeper.toggle"));
	assert_false(users_has_instcmd(NULL, "load.off"));
	assert_false(users_has_instcmd(adm, NULL));
}

static void test_auth(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_text(f,
		"[u]\n  password = Secret\n"
		"[empty]\n  password = \"\"\n"), 0);
	assert_true(users_auth(&f->d, "u", "Secret"));
	assert_false(users_auth(&f->d, "u", "secret"));
	assert_false(users_auth(&f->d, "u", "Secre"));
	assert_false(users_auth(&f->d, "u", "Secret2"));
	assert_false(users_auth(&f->d, "u", "SecretSecret"));
	assert_false(users_auth(&f->d, "u", ""));
	assert_false(users_auth(&f->d, "u", NULL));
	assert_false(users_auth(&f->d, "U", "Secret"));
	assert_false(users_auth(&f->d, "nobody", "Secret"));
	assert_false(users_auth(&f->d, NULL, "Secret"));
	/* an explicit empty password is a password */
	assert_true(users_auth(&f->d, "empty", ""));
	assert_false(users_auth(&f->d, "empty", "x"));
}

/* the comparison users_auth relies on: equal exactly when the strings are */
static void test_ct_equal(void **state)
{
	static const char *const words[] = {
		"", "a", "b", "ab", "ba", "abc", "abd", "xbc", "abcabc", "abcab",
		"\x7f\x01", "\x7f\x02", "pässword", "passwörd",
	};
	size_t i, j, n = sizeof(words) / sizeof(words[0]);

	(void)state;
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			assert_int_equal(str_ct_equal(words[i], words[j]),
				strcmp(words[i], words[j]) == 0);
	assert_false(str_ct_equal(NULL, NULL));
	assert_false(str_ct_equal("a", NULL));
	assert_false(str_ct_equal(NULL, "a"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_setup_guide, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_warnings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_passwords_not_in_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_words, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rights, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auth, setup, teardown),
		cmocka_unit_test(test_ct_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
