/*
 * Unit tests for upsmon's state machine (monitor/ups.c) on a test clock,
 * notification formatting (monitor/notify.c) and upsmon.conf reading
 * (monitor/conf.c): the setup guide's client file, defaults, and errors.
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
#include "log.h"
#include "notify.h"
#include "ups.h"

#ifndef TESTDATA
#define TESTDATA "tests/data"
#endif

#define S(x) ((int64_t)(x) * 1000)

static const struct ups_timing tm_default = {
	.hostsync = 15, .deadtime = 15, .rbwarntime = 43200, .nocommwarntime = 300,
	.offduration = 30, .overduration = -1, .oblbduration = 0, .alarmcritical = 1,
};

static void mk(struct ups *u, int primary)
{
	struct conf_monitor m;

	memset(&m, 0, sizeof(m));
	m.sys = (char *)"ups@host";
	m.upsname = (char *)"ups";
	m.host = (char *)"host";
	m.user = (char *)"u";
	m.pass = (char *)"p";
	m.port = 3493;
	m.pv = 1;
	m.primary = primary;
	ups_init(u, &m);
}

/* poll with status at time t (seconds); returns the events, "A B C" */
static const char *poll_at(struct ups *u, const char *status, long t,
	const struct ups_timing *tm, const char *alarm)
{
	static char out[512];
	struct ups_events ev;
	int i;

	ev.n = 0;
	ups_status(u, status, alarm, S(t), tm, &ev);
	out[0] = '\0';
	for (i = 0; i < ev.n; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", i ? " " : "",
			notify_name(ev.type[i]));
	return out;
}

static const char *gone_at(struct ups *u, long t, const struct ups_timing *tm)
{
	static char out[512];
	struct ups_events ev;
	int i;

	ev.n = 0;
	ups_gone(u, S(t), tm, &ev);
	out[0] = '\0';
	for (i = 0; i < ev.n; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", i ? " " : "",
			notify_name(ev.type[i]));
	return out;
}

static void test_startup_is_quiet(void **state)
{
	struct ups u;

	(void)state;
	mk(&u, 1);
	assert_string_equal(poll_at(&u, "OL CHRG", 1, &tm_default, NULL), "");
	assert_string_equal(poll_at(&u, "OL", 2, &tm_default, NULL), "");
	assert_string_equal(poll_at(&u, "OB DISCHRG", 3, &tm_default, NULL), "ONBATT");
	assert_string_equal(poll_at(&u, "OB DISCHRG", 4, &tm_default, NULL), "");
	assert_string_equal(poll_at(&u, "OL", 5, &tm_default, NULL), "ONLINE");
	ups_free(&u);
}

static void test_primary_critical_on_oblb(void **state)
{
	struct ups u;

	(void)state;
	mk(&u, 1);
	poll_at(&u, "OB", 1, &tm_default, NULL);
	assert_int_equal(ups_critical(&u, S(1), &tm_default), 0);
	assert_string_equal(poll_at(&u, "OB LB", 2, &tm_default, NULL), "LOWBATT");
	assert_int_equal(ups_critical(&u, S(2), &tm_default), 1);
	/* LB goes away: not critical, LOWBATT again next time */
	poll_at(&u, "OB", 3, &tm_default, NULL);
	assert_int_equal(ups_critical(&u, S(3), &tm_default), 0);
	assert_string_equal(poll_at(&u, "OB LB", 4, &tm_default, NULL), "LOWBATT");
	ups_free(&u);
}

static void test_secondary_waits_hostsync(void **state)
{
	struct ups u;

	(void)state;
	mk(&u, 0);
	poll_at(&u, "OB", 10, &tm_default, NULL);
	poll_at(&u, "OB LB", 11, &tm_default, NULL);
	assert_int_equal(ups_critical(&u, S(11), &tm_default), 0);
	poll_at(&u, "OB LB", 20, &tm_default, NULL);
	/* HOSTSYNC counts from the last non-critical moment: the OB word of the poll at 11 */
	assert_int_equal(ups_critical(&u, S(26), &tm_default), 0);
	assert_int_equal(ups_critical(&u, S(27), &tm_default), 1);
	/* FSD from the primary: at once */
	ups_free(&u);
	mk(&u, 0);
	poll_at(&u, "OB", 10, &tm_default, NULL);
	assert_string_equal(poll_at(&u, "FSD OB LB", 11, &tm_default, NULL), "FSD LOWBATT");
	assert_int_equal(ups_critical(&u, S(11), &tm_default), 1);
	ups_free(&u);
}

static void test_comm_loss(void **state)
{
	struct ups_timing tm = tm_default;
	struct ups u;

	(void)state;
	tm.nocommwarntime = 10;
	mk(&u, 1);
	poll_at(&u, "OL", 1, &tm, NULL);
	assert_string_equal(gone_at(&u, 2, &tm), "COMMBAD");
	assert_string_equal(gone_at(&u, 3, &tm), "");
	assert_string_equal(gone_at(&u, 10, &tm), "");
	assert_string_equal(gone_at(&u, 11, &tm), "NOCOMM");
	assert_string_equal(gone_at(&u, 15, &tm), "");
	assert_string_equal(gone_at(&u, 22, &tm), "NOCOMM");
	ups_dropped(&u);
	/* back: COMMOK, and OL is not announced again (the flag survived) */
	assert_string_equal(poll_at(&u, "OL", 23, &tm, NULL), "COMMOK");
	/* online and unreachable long past DEADTIME: never critical */
	gone_at(&u, 24, &tm);
	assert_int_equal(ups_promote_dead(&u, S(100), &tm), 0);
	assert_int_equal(ups_critical(&u, S(100), &tm), 0);
	ups_free(&u);
}

static void test_dead_on_battery(void **state)
{
	struct ups u;

	(void)state;
	mk(&u, 1);
	poll_at(&u, "OB", 1, &tm_default, NULL);
	gone_at(&u, 2, &tm_default);
	assert_int_equal(ups_promote_dead(&u, S(16), &tm_default), 0);
	assert_int_equal(ups_critical(&u, S(16), &tm_default), 0);
	assert_int_equal(ups_promote_dead(&u, S(17), &tm_default), 1);
	assert_int_equal(ups_critical(&u, S(17), &tm_default), 1);
	ups_free(&u);
}

/*
 * A UPS last seen calibrating, on bypass, OFF, in ALARM or overloaded that
 * stops answering counts as dead only once DEADTIME has passed since the
 * last good poll, like one on battery: one failed poll (a restarted upsd, a
 * DATA-STALE reply, a network blip) must not shut the host down.
 */
static void test_cal_and_nocomm_rules(void **state)
{
	static const char *const last[] = {
		"OB LB CAL", "OL BYPASS", "OL ALARM", "OL OFF", "OL OVER",
	};
	struct ups_timing tm = tm_default;
	struct ups u;
	size_t i;

	(void)state;
	tm.overduration = 0;
	mk(&u, 1);
	assert_string_equal(poll_at(&u, "OB LB CAL", 1, &tm, NULL), "ONBATT LOWBATT CAL");
	assert_int_equal(ups_critical(&u, S(1), &tm), 0);
	ups_free(&u);
	for (i = 0; i < sizeof(last) / sizeof(last[0]); i++) {
		mk(&u, 1);
		poll_at(&u, last[i], 1, &tm, "Fan failure");
		assert_int_equal(ups_critical(&u, S(1), &tm), 0);
		assert_string_equal(gone_at(&u, 2, &tm), "COMMBAD");
		assert_int_equal(ups_critical(&u, S(2), &tm), 0);
		assert_int_equal(ups_critical(&u, S(16), &tm), 0);
		/* back in time: not critical, nothing changed */
		poll_at(&u, last[i], 16, &tm, "Fan failure");
		assert_int_equal(ups_critical(&u, S(16), &tm), 0);
		gone_at(&u, 17, &tm);
		assert_int_equal(ups_critical(&u, S(31), &tm), 0);
		/* silent longer than DEADTIME: taken as dead */
		assert_int_equal(ups_critical(&u, S(32), &tm), 1);
		ups_free(&u);
	}
}

static void test_offduration(void **state)
{
	struct ups_timing tm = tm_default;
	struct ups u;

	(void)state;
	mk(&u, 1);
	assert_string_equal(poll_at(&u, "OFF", 1, &tm, NULL), "OFF");
	assert_int_equal(ups_critical(&u, S(1), &tm), 0);
	poll_at(&u, "OFF", 31, &tm, NULL);
	assert_int_equal(ups_critical(&u, S(31), &tm), 0);
	poll_at(&u, "OFF", 32, &tm, NULL);
	assert_int_equal(ups_critical(&u, S(32), &tm), 1);
	assert_string_equal(poll_at(&u, "OL", 33, &tm, NULL), "NOTOFF");
	assert_int_equal(ups_critical(&u, S(33), &tm), 0);
	ups_free(&u);
	tm.offduration = 0;
	mk(&u, 1);
	poll_at(&u, "OFF", 1, &tm, NULL);
	assert_int_equal(ups_critical(&u, S(1), &tm), 1);
	ups_free(&u);
	tm.offduration = -1;
	mk(&u, 1);
	poll_at(&u, "OFF", 1, &tm, NULL);
	poll_at(&u, "OFF", 1000, &tm, NULL);
	assert_int_equal(ups_critical(&u, S(1000), &tm), 0);
	gone_at(&u, 1001, &tm);
	assert_int_equal(ups_critical(&u, S(1001), &tm), 0);
	ups_free(&u);
}

static void test_oblbduration(void **state)
{
	struct ups_timing tm = tm_default;
	struct ups u;

	(void)state;
	tm.oblbduration = 10;
	mk(&u, 1);
	poll_at(&u, "OB LB", 1, &tm, NULL);
	assert_int_equal(ups_critical(&u, S(1), &tm), 0);
	assert_int_equal(ups_critical(&u, S(10), &tm), 0);
	assert_int_equal(ups_critical(&u, S(11), &tm), 1);
	/* a flap resets it */
	poll_at(&u, "OB", 12, &tm, NULL);
	assert_int_equal(ups_critical(&u, S(12), &tm), 0);
	poll_at(&u, "OB LB", 13, &tm, NULL);
	assert_int_equal(ups_critical(&u, S(13), &tm), 0);
	ups_free(&u);
}

static void test_alarm_other_replbatt(void **state)
{
	struct ups_timing tm = tm_default;
	struct ups_events ev;
	struct ups u;

	(void)state;
	tm.rbwarntime = 100;
	mk(&u, 1);
	ev.n = 0;
	ups_status(&u, "OL ALARM", "Fan failure", S(1), &tm, &ev);
	assert_int_equal(ev.n, 1);
	assert_string_equal(notify_name(ev.type[0]), "ALARM");
	assert_string_equal(ev.arg[0], "Fan failure");
	assert_string_equal(poll_at(&u, "OL ALARM", 2, &tm, "Fan failure"), "");
	assert_string_equal(poll_at(&u, "OL ALARM", 3, &tm, "Overheat"), "ALARM");
	assert_string_equal(poll_at(&u, "OL", 4, &tm, NULL), "NOTALARM");
	ev.n = 0;
	ups_status(&u, "OL FOO HB BAR", NULL, S(5), &tm, &ev);
	assert_int_equal(ev.n, 1);
	assert_string_equal(ev.arg[0], "FOO BAR");
	assert_string_equal(poll_at(&u, "OL BAR FOO", 6, &tm, NULL), "OTHER");
	assert_string_equal(poll_at(&u, "OL BAR FOO", 7, &tm, NULL), "");
	assert_string_equal(poll_at(&u, "OL", 8, &tm, NULL), "NOTOTHER");
	assert_string_equal(poll_at(&u, "OL RB", 9, &tm, NULL), "REPLBATT");
	assert_string_equal(poll_at(&u, "OL RB", 100, &tm, NULL), "");
	assert_string_equal(poll_at(&u, "OL RB", 110, &tm, NULL), "REPLBATT");
	assert_string_equal(poll_at(&u, "ol trim", 111, &tm, NULL), "TRIM");
	assert_string_equal(poll_at(&u, "OL", 112, &tm, NULL), "NOTTRIM");
	ups_free(&u);
}

static void test_format(void **state)
{
	struct notify_conf nc;
	char out[64];

	(void)state;
	notify_conf_init(&nc);
	notify_format(&nc, NOTIFY_ONBATT, "ups@h", out, sizeof(out));
	assert_string_equal(out, "UPS ups@h on battery");
	notify_format(&nc, NOTIFY_SHUTDOWN, NULL, out, sizeof(out));
	assert_string_equal(out, "Auto logout and shutdown proceeding");
	notify_format_arg(&nc, NOTIFY_ALARM, "u@h", "X", out, sizeof(out));
	assert_string_equal(out, "UPS u@h: one or more active alarms: [X]");
	nc.msg[NOTIFY_ONLINE] = strdup("%d %s%% %s %s %n");
	notify_format(&nc, NOTIFY_ONLINE, "u@h", out, sizeof(out));
	assert_string_equal(out, "%d u@h%   %n");
	notify_format(&nc, NOTIFY_ONLINE, "u@h", out, 5);
	assert_string_equal(out, "%d u");
	assert_int_equal(nc.flags[NOTIFY_CAL], NOTIFY_SYSLOG | NOTIFY_WALL);
	assert_int_equal(notify_lookup("onbatt"), NOTIFY_ONBATT);
	assert_int_equal(notify_lookup("shutdown_hostsync"), NOTIFY_SHUTDOWN_HOSTSYNC);
	assert_int_equal(notify_lookup("BOGUS"), -1);
	notify_conf_free(&nc);
}

static void test_flags(void **state)
{
	char bad[16];
	int f = 0;

	(void)state;
	assert_int_equal(notify_parse_flags("SYSLOG+WALL+EXEC", &f, bad, sizeof(bad)), 0);
	assert_int_equal(f, NOTIFY_SYSLOG | NOTIFY_WALL | NOTIFY_EXEC);
	assert_int_equal(notify_parse_flags("IGNORE", &f, bad, sizeof(bad)), 0);
	assert_int_equal(f, NOTIFY_IGNORE);
	assert_int_equal(notify_parse_flags("SYSLOG+wall", &f, bad, sizeof(bad)), -1);
	assert_string_equal(bad, "wall");
}

static void test_guide_conf(void **state)
{
	struct mon_conf c;

	(void)state;
	assert_int_equal(conf_load(&c, TESTDATA "/setup-guide/upsmon.conf", CONF_STRICT), 0);
	assert_int_equal(c.nerrors, 0);
	assert_int_equal(c.nmon, 1);
	assert_string_equal(c.mon[0].upsname, "apcname");
	assert_string_equal(c.mon[0].host, "IP_ADRESS");
	assert_int_equal(c.mon[0].port, 3493);
	assert_int_equal(c.mon[0].primary, 0);
	assert_string_equal(c.run_as_user, "root");
	assert_string_equal(c.shutdowncmd, "/sbin/shutdown -h +0");
	assert_string_equal(c.notify.cmd, "/usr/sbin/upssched");
	assert_string_equal(c.powerdownflag, "/etc/killpower");
	assert_int_equal(c.pollfreq, 5);
	assert_int_equal(c.pollfreqalert, 1);
	assert_int_equal(c.nocommwarntime, 600);
	assert_int_equal(c.notify.flags[NOTIFY_ONLINE], NOTIFY_SYSLOG | NOTIFY_WALL | NOTIFY_EXEC);
	assert_int_equal(c.notify.flags[NOTIFY_LOWBATT], NOTIFY_SYSLOG | NOTIFY_WALL);
	assert_string_equal(c.notify.msg[NOTIFY_NOCOMM], "UPS %s is unavailable");
	conf_free(&c);
}

static void test_defaults_and_errors(void **state)
{
	char path[] = "/tmp/test_upsmon_XXXXXX";
	struct mon_conf c;
	FILE *f;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("MONITOR a@[::1]:4000 2 u p master\n"
	      "MONITOR a@[::1]:4000 1 u p slave\n"      /* duplicate: warning */
	      "HOSTSYNC -1\n"                           /* error */
	      "SHUTDOWNEXIT no\n"
	      "OFFDURATION -1\n"
	      "monitor b 1 u p primary\n"               /* lower case: unknown */
	      "MINSUPPLIES\n", f);                      /* missing argument */
	fclose(f);
	assert_int_equal(conf_load(&c, path, 0), -1);
	assert_int_equal(c.nerrors, 2);
	assert_int_equal(c.nwarnings, 2);
	assert_int_equal(c.nmon, 1);
	assert_string_equal(c.mon[0].host, "::1");
	assert_int_equal(c.mon[0].port, 4000);
	assert_int_equal(c.mon[0].primary, 1);
	assert_int_equal(c.mon[0].pv, 2);
	assert_int_equal(c.shutdownexit, -1);
	assert_int_equal(c.offduration, -1);
	assert_int_equal(c.hostsync, 15);
	assert_int_equal(c.deadtime, 15);
	assert_int_equal(c.finaldelay, 5);
	assert_int_equal(c.minsupplies, 1);
	conf_free(&c);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_startup_is_quiet),
		cmocka_unit_test(test_primary_critical_on_oblb),
		cmocka_unit_test(test_secondary_waits_hostsync),
		cmocka_unit_test(test_comm_loss),
		cmocka_unit_test(test_dead_on_battery),
		cmocka_unit_test(test_cal_and_nocomm_rules),
		cmocka_unit_test(test_offduration),
		cmocka_unit_test(test_oblbduration),
		cmocka_unit_test(test_alarm_other_replbatt),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_guide_conf),
		cmocka_unit_test(test_defaults_and_errors),
	};

	log_init("test_upsmon", 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
