/* Unit tests for sched/schedconf.c and sched/schedcheck.c (files written to a temp dir) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schedcheck.h"
#include "schedconf.h"

struct tdir {
	char dir[64];
	char path[128];
	char script[128];
	struct schedconf sc;
};

static int setup_dir(void **state)
{
	struct tdir *t = calloc(1, sizeof(*t));
	FILE *f;

	if (!t)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "/tmp/test_schedconf.XXXXXX");
	if (!mkdtemp(t->dir)) {
		free(t);
		return -1;
	}
	snprintf(t->path, sizeof(t->path), "%s/upssched.conf", t->dir);
	snprintf(t->script, sizeof(t->script), "%s/upssched-cmd", t->dir);
	f = fopen(t->script, "w");
	if (!f)
		return -1;
	fputs("#!/bin/sh\n", f);
	fclose(f);
	chmod(t->script, 0755);
	*state = t;
	return 0;
}

static int teardown_dir(void **state)
{
	struct tdir *t = *state;

	schedconf_free(&t->sc);
	unlink(t->path);
	unlink(t->script);
	rmdir(t->dir);
	free(t);
	return 0;
}

/* write text with every "@D@" replaced by the temp dir, then load it */
static struct schedconf *load(void **state, const char *text)
{
	struct tdir *t = *state;
	FILE *f = fopen(t->path, "w");
	const char *p;

	assert_non_null(f);
	for (p = text; *p; p++) {
		if (strncmp(p, "@D@", 3) == 0) {
			fputs(t->dir, f);
			p += 2;
		} else {
			fputc(*p, f);
		}
	}
	assert_int_equal(fclose(f), 0);
	schedconf_free(&t->sc);
	assert_int_equal(schedconf_load(&t->sc, t->path), 0);
	return &t->sc;
}

/* the message reported at line, containing text (NULL if none) */
static const struct sched_msg *msg_at(const struct schedconf *sc, unsigned line, const char *text)
{
	size_t i;

	for (i = 0; i < sc->nmsgs; i++) {
		if (sc->msgs[i].line == line && strstr(sc->msgs[i].text, text))
			return &sc->msgs[i];
	}
	return NULL;
}

static size_t msgs_at(const struct schedconf *sc, unsigned line)
{
	size_t i, n = 0;

	for (i = 0; i < sc->nmsgs; i++)
		n += sc->msgs[i].line == line;
	return n;
}

/* The upssched.conf of the team's setup guide (source: setup-guide.md,
 * "/etc/nut/upssched.conf" block), with /etc/nut as the temp dir. */
static const char guide_conf[] =
	"CMDSCRIPT @D@/upssched-cmd\n"
	"PIPEFN @D@/upssched.pipe\n"
	"LOCKFN @D@/upssched.lock\n"
	"\n"
	"AT ONBATT * START-TIMER onbatt 30\n"
	"AT ONLINE * CANCEL-TIMER onbatt online\n"
	"AT ONBATT * START-TIMER earlyshutdown 30\n"
	"AT LOWBATT * EXECUTE onbatt\n"
	"AT COMMBAD * START-TIMER commbad 30\n"
	"AT COMMOK * CANCEL-TIMER commbad commok\n"
	"AT NOCOMM * EXECUTE commbad\n"
	"AT SHUTDOWN * EXECUTE powerdown\n"
	"AT SHUTDOWN * EXECUTE powerdown\n";

static void test_guide(void **state)
{
	struct tdir *t = *state;
	struct schedconf *sc = load(state, guide_conf);
	const struct sched_rule *r = sc->rules;
	const struct sched_msg *m;
	char want[256];

	assert_int_equal(sc->nerrors, 0);
	assert_int_equal(sc->nwarnings, 0);
	assert_string_equal(sc->cmdscript, t->script);
	assert_int_equal(sc->nrules, 9);
	assert_string_equal(r[0].ntype, "ONBATT");
	assert_string_equal(r[0].ups, "*");
	assert_int_equal(r[0].cmd, SCHED_START);
	assert_string_equal(r[0].name, "onbatt");
	assert_int_equal(r[0].secs, 30);
	assert_int_equal(r[0].line, 5);
	assert_int_equal(r[1].cmd, SCHED_CANCEL);
	assert_string_equal(r[1].arg, "online");
	assert_int_equal(r[3].cmd, SCHED_EXECUTE);
	assert_string_equal(r[3].name, "onbatt");
	assert_null(r[3].arg);

	/* -n: exactly two warnings: earlyshutdown never cancelled, SHUTDOWN rule twice */
	assert_int_equal(schedcheck_run(sc), 2);
	assert_int_equal(sc->nerrors, 0);
	m = msg_at(sc, 7, "timer 'earlyshutdown' is started on ONBATT but no "
		"'AT ONLINE * CANCEL-TIMER earlyshutdown' line cancels it");
	assert_non_null(m);
	assert_int_equal(m->error, 0);
	snprintf(want, sizeof(want), "%s:7: warning: ", t->path);
	assert_memory_equal(m->text, want, strlen(want));
	assert_non_null(msg_at(sc, 13, "same rule as line 12"));
	assert_int_equal(msgs_at(sc, 5), 0);    /* onbatt is cancelled by ONLINE */
	assert_int_equal(msgs_at(sc, 9), 0);    /* commbad is cancelled by COMMOK */
}

static void test_match(void **state)
{
	struct schedconf *sc = load(state,
		"CMDSCRIPT @D@/upssched-cmd\nPIPEFN @D@/p\nLOCKFN @D@/l\n"
		"AT onbatt ups1@host START-TIMER a 5\n"
		"AT ONBATT * EXECUTE b\n");

	assert_int_equal(sc->nrules, 2);
	assert_true(schedconf_match(&sc->rules[0], "ups1@host", "ONBATT"));
	assert_true(schedconf_match(&sc->rules[0], "ups1@host", "OnBatt"));
	assert_false(schedconf_match(&sc->rules[0], "UPS1@host", "ONBATT"));
	assert_false(schedconf_match(&sc->rules[0], "ups1", "ONBATT"));
	assert_false(schedconf_match(&sc->rules[0], "ups1@host", "ONLINE"));
	assert_true(schedconf_match(&sc->rules[1], "anything", "onbatt"));
	assert_false(schedconf_match(&sc->rules[1], "anything", "ONBATTX"));
}

static void test_errors(void **state)
{
	struct schedconf *sc = load(state,
		"AT ONBATT * START-TIMER early 1\n"             /* 1: before CMDSCRIPT */
		"CMDSCRIPT @D@/upssched-cmd\n"
		"AT ONBATT * START-TIMER early 1\n"             /* 3: before PIPEFN */
		"PIPEFN @D@/p\n"
		"LOCKFN @D@/l\n"
		"AT ONBATT * START-TIMER a soon\n"              /* 6 */
		"AT ONBATT * START-TIMER a -1\n"                /* 7 */
		"AT ONBATT * START-TIMER a 99999999\n"          /* 8 */
		"AT ONBATT * START-TIMER a\n"                   /* 9 */
		"AT ONBATT * FROB a\n"                          /* 10 */
		"AT ONBATT *\n"                                 /* 11 */
		"FROBNICATE 1\n"                                /* 12 */
		"at ONBATT * EXECUTE x\n"                       /* 13: keywords are upper case */
		"AT ONBATT * EXECUTE \"\"\n"                    /* 14 */
		"PIPEFN\n"                                      /* 15 */
		"DEBUG_MIN x\n"                                 /* 16 */
		"AT ONBATT * EXECUTE \"unterminated\n"         /* 17 */
		);

	assert_non_null(msg_at(sc, 1, "CMDSCRIPT must be set before any ATs in the config file!"));
	assert_non_null(msg_at(sc, 3, "PIPEFN must be set before any ATs"));
	assert_non_null(msg_at(sc, 6, "START-TIMER a: 'soon' is not a number of seconds"));
	assert_non_null(msg_at(sc, 7, "'-1' is not a number"));
	assert_non_null(msg_at(sc, 8, "'99999999' is not a number"));
	assert_non_null(msg_at(sc, 9, "missing seconds"));
	assert_non_null(msg_at(sc, 10, "Invalid command: FROB"));
	assert_non_null(msg_at(sc, 11, "AT needs 5 words"));
	assert_non_null(msg_at(sc, 12, "invalid directive FROBNICATE"));
	assert_non_null(msg_at(sc, 13, "invalid directive at"));
	assert_non_null(msg_at(sc, 14, "empty argument"));
	assert_non_null(msg_at(sc, 15, "PIPEFN needs a value"));
	assert_non_null(msg_at(sc, 16, "DEBUG_MIN: 'x' is not a debug level"));
	assert_non_null(msg_at(sc, 17, "parse error"));
	assert_int_equal(sc->nerrors, 14);
	assert_int_equal(sc->nrules, 0);
}

static void test_partial(void **state)
{
	struct schedconf *sc = load(state,
		"CMDSCRIPT \"@D@/upssched-cmd\"\n"
		"PIPEFN @D@/p\nLOCKFN @D@/l\n"
		"debug_min 2\n"
		"AT ONBATT * START-TIMER a 0\n"
		"AT ONBATT * START-TIMER b x\n"
		"AT ONLINE * CANCEL-TIMER a \"\"\n"
		"AT LOWBATT * EXECUTE e extra\n"
		"CMDSCRIPT @D@/upssched-cmd\n");

	assert_int_equal(sc->nerrors, 1);
	assert_int_equal(sc->nrules, 3);
	assert_int_equal(sc->rules[0].secs, 0);
	assert_null(sc->rules[1].arg);          /* "" = no command */
	assert_non_null(msg_at(sc, 8, "extra words after 'e' ignored"));
	assert_int_equal(msg_at(sc, 8, "extra")->error, 0);
	assert_non_null(msg_at(sc, 9, "CMDSCRIPT set again (line 1)"));
	assert_int_equal(sc->cmdscript_line, 9);
}

static void test_checks(void **state)
{
	struct schedconf *sc = load(state,
		"CMDSCRIPT \"@D@/missing-script arg\"\n"
		"PIPEFN /nonexistent-dir-for-test/p\n"
		"LOCKFN @D@/l\n"
		"AT ONBATT ups1 START-TIMER a 10\n"      /* 4: cancelled by the * rule */
		"AT ONBATT * START-TIMER b 10\n"         /* 5: cancelled for ups2 only */
		"AT COMMBAD * START-TIMER c 10\n"        /* 6: never cancelled on COMMOK */
		"AT NOCOMM * START-TIMER d 10\n"         /* 7: cancelled on COMMOK */
		"AT ONLINE * CANCEL-TIMER a\n"
		"AT ONLINE ups2 CANCEL-TIMER b\n"
		"AT COMMOK * CANCEL-TIMER d\n"
		"AT ONLINE * CANCEL-TIMER typo online\n" /* 11: nothing starts 'typo' */
		"AT ONBAT * EXECUTE x\n"                 /* 12: no such notify type */
		"AT ONBATT * EXECUTE x;rm\n");           /* 13: shell metacharacter */

	assert_int_equal(sc->nerrors, 0);
	assert_non_null(msg_at(sc, 13, "passed to CMDSCRIPT through the shell unquoted"));
	schedcheck_run(sc);
	assert_int_equal(sc->nerrors, 0);
	assert_int_equal(msgs_at(sc, 4), 0);
	assert_non_null(msg_at(sc, 5, "timer 'b' is started on ONBATT"));
	assert_non_null(msg_at(sc, 6, "timer 'c' is started on COMMBAD but no 'AT COMMOK"));
	assert_int_equal(msgs_at(sc, 7), 0);
	assert_non_null(msg_at(sc, 11, "no rule starts a timer 'typo'"));
	assert_non_null(msg_at(sc, 12, "'ONBAT' is not a notification type"));
	assert_non_null(msg_at(sc, 1, "missing-script: no such file"));
	assert_non_null(msg_at(sc, 2, "directory /nonexistent-dir-for-test does not exist"));
	assert_int_equal(msgs_at(sc, 3), 0);
}

static void test_pipefn_length(void **state)
{
	char text[512];
	struct schedconf *sc;

	snprintf(text, sizeof(text), "PIPEFN /%0120d\n", 0);
	sc = load(state, text);
	assert_non_null(msg_at(sc, 1, "longer than a Unix socket path can be"));
	assert_null(sc->pipefn);
}

static void test_unreadable_and_empty(void **state)
{
	struct tdir *t = *state;
	char missing[160];

	snprintf(missing, sizeof(missing), "%s/none.conf", t->dir);
	schedconf_free(&t->sc);
	assert_int_equal(schedconf_load(&t->sc, missing), -1);
	assert_int_equal(t->sc.nerrors, 1);
	assert_non_null(strstr(t->sc.msgs[0].text, "none.conf: can't open"));
	load(state, "# nothing\n\n");
	assert_int_equal(t->sc.nerrors, 0);
	assert_non_null(msg_at(&t->sc, 0, "no AT lines"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_guide, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_match, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_errors, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_partial, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_checks, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_pipefn_length, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_unreadable_and_empty, setup_dir, teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
