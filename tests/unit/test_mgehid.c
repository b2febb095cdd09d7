/*
 * Unit tests for mge-hid (mapping conversions, status assembly) and simmodel
 * (the simulated ECO 650 serves the captured reports byte for byte).
 * Captured bytes: tests/data/hid/ellipse-eco-650.reports.txt.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mge-hid.h"
#include "simmodel.h"

static const struct mge_entry *entry(const char *var, const char *path)
{
	size_t i;

	for (i = 0; i < mge_table_len; i++)
		if (((!var && !mge_table[i].var) || (var && mge_table[i].var &&
		     strcmp(mge_table[i].var, var) == 0)) && strcmp(mge_table[i].path, path) == 0)
			return &mge_table[i];
	return NULL;
}

#define PSS "UPS.PowerSummary.PresentStatus."

/* report 0x01 flags as the ECO sends them: bit 0 ACPresent, 1 Below..., 2 Charging, 4 Discharging, 5 Good */
static uint32_t apply_flags(uint8_t flags, uint8_t sdimm, double charge)
{
	static const char *const bits[] = { PSS "ACPresent", PSS "BelowRemainingCapacityLimit",
		PSS "Charging", NULL, PSS "Discharging", PSS "Good" };
	uint32_t conds = 0;
	size_t i;

	for (i = 0; i < 6; i++)
		if (bits[i])
			mge_status_apply(entry(NULL, bits[i]), (flags >> i) & 1, charge, &conds);
	mge_status_apply(entry(NULL, PSS "ShutdownImminent"), sdimm, charge, &conds);
	return conds;
}

static void status_of(uint8_t flags, uint8_t sdimm, double charge, char *out, size_t len)
{
	mge_status_text(apply_flags(flags, sdimm, charge), charge, NULL, out, len);
}

static void collect(void *arg, const char *text)
{
	strcat(arg, text);
}

static void test_status_worked_examples(void **state)
{
	char s[128], alarms[256] = "";

	(void)state;
	status_of(0x25, 0, 100, s, sizeof(s));
	assert_string_equal(s, "OL");              /* 01 25 00 00 at 100 % */
	status_of(0x25, 0, 92, s, sizeof(s));
	assert_string_equal(s, "OL CHRG");         /* the same at 92 % */
	status_of(0x30, 0, 100, s, sizeof(s));
	assert_string_equal(s, "OB DISCHRG");      /* 01 30 00 00 */
	status_of(0x30, 1, 94, s, sizeof(s));
	assert_string_equal(s, "OB DISCHRG LB");   /* 01 30 00 01 */
	mge_status_alarms(apply_flags(0x30, 1, 94), collect, alarms);
	assert_string_equal(alarms, "Shutdown imminent!");
	status_of(0x05, 0, 100, s, sizeof(s));     /* Good clear: load off */
	assert_string_equal(s, "OL OFF");
}

static void test_onlinedischarge(void **state)
{
	struct mge_status_opts o = { 1, 0 };
	char s[64];

	(void)state;
	mge_status_text(MGE_ONLINE | MGE_DISCHRG, 80, &o, s, sizeof(s));
	assert_string_equal(s, "OB DISCHRG");
	o.onlinedischarge_onbattery = 0;
	o.onlinedischarge_calibration = 1;
	mge_status_text(MGE_ONLINE | MGE_DISCHRG, 80, &o, s, sizeof(s));
	assert_string_equal(s, "CAL DISCHRG");
	mge_status_text(MGE_ONLINE | MGE_DISCHRG, 80, NULL, s, sizeof(s));
	assert_string_equal(s, "OL DISCHRG");
}

static const char *fake_getinfo(void *arg, const char *var)
{
	(void)arg;
	if (strcmp(var, "ups.load") == 0)
		return "8";
	if (strcmp(var, "ups.power.nominal") == 0)
		return "1200";
	return NULL;
}

static void test_conversions(void **state)
{
	struct mge_env env = { fake_getinfo, NULL };
	char out[64];
	double v;

	(void)state;
	assert_int_equal(mge_format(entry("output.voltage", "UPS.PowerConverter.Output.Voltage"),
		230, NULL, out, sizeof(out)), 1);
	assert_string_equal(out, "230.0");
	assert_int_equal(mge_format(entry("ups.beeper.status", "UPS.BatterySystem.Battery.AudibleAlarmControl"),
		2, NULL, out, sizeof(out)), 1);
	assert_string_equal(out, "enabled");
	assert_int_equal(mge_format(entry("ups.beeper.status", "UPS.BatterySystem.Battery.AudibleAlarmControl"),
		9, NULL, out, sizeof(out)), 0);   /* a lookup miss gives nothing */
	/* ECO 1200 dump: 8 % x 1200 VA x 0.8 = 76.8 -> 77 */
	assert_int_equal(mge_format(entry("ups.realpower", "UPS.Flow.[4].ConfigApparentPower"),
		1200, &env, out, sizeof(out)), 1);
	assert_string_equal(out, "77");
	assert_int_equal(mge_format(entry("ups.timer.shutdown", "UPS.PowerSummary.DelayBeforeShutdown"),
		-1, NULL, out, sizeof(out)), 1);
	assert_string_equal(out, "-1");
	assert_int_equal(mge_parse(entry("outlet.power", "UPS.OutletSystem.Outlet.[1].ConfigApparentPower"),
		"60", &v), 0);
	assert_true(v == 60);
	assert_int_equal(mge_parse(entry("outlet.power", "UPS.OutletSystem.Outlet.[1].ConfigApparentPower"),
		"42", &v), -1);
	assert_int_equal(mge_parse(entry("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimitSetting"),
		"3x", &v), -1);
}

static void test_identity(void **state)
{
	const char *e[8];
	char name[64];
	int peg;

	(void)state;
	mge_model_name("Ellipse ECO", "650", name, sizeof(name), &peg);
	assert_string_equal(name, "Ellipse ECO 650");
	assert_int_equal(peg, 1);
	mge_model_name("Ellipse PRO", "650 ", name, sizeof(name), &peg);
	assert_string_equal(name, "Ellipse PRO 650 ");   /* trailing blank kept */
	assert_int_equal(peg, 0);
	assert_int_equal(mge_vnominal_enums(230, 1, e, 8), 3);
	assert_string_equal(e[0], "220");
	assert_int_equal(mge_vnominal_enums(230, 0, e, 8), 5);
	assert_int_equal(mge_claims(0x0463, 0xffff), 1);
	assert_int_equal(mge_claims(0x0463, 0x0002), 0);
}

static void expect_report(struct sim_model *m, const uint8_t *want, size_t n)
{
	uint8_t buf[64];

	assert_int_equal(sim_model_get_report(m, want[0], HID_FEATURE, buf, sizeof(buf)), (int)n);
	assert_memory_equal(buf, want, n);
}

static void test_model_serves_captures(void **state)
{
	static const uint8_t r01[] = { 0x01, 0x25, 0x00, 0x00 }, r06[] = { 0x06, 0x64, 0x52, 0x05, 0x00, 0x00 },
		r09[] = { 0x09, 0xff, 0xff, 0xff, 0xff }, r0a[] = { 0x0a, 0xff, 0xff, 0xff, 0xff },
		r0d[] = { 0x0d, 0x8a, 0x02, 0x32 }, r10[] = { 0x10, 0x05, 0x01, 0x03, 0x02, 0x04, 0x06 },
		r13[] = { 0x13, 0x08, 0x01 }, r1f[] = { 0x1f, 0x02 }, r20[] = { 0x20, 0x01 }, r22[] = { 0x22, 0x14 },
		ob[] = { 0x01, 0x30, 0x00, 0x00 };
	char err[256], s[64];
	struct sim_model *m = sim_model_new("ellipse-eco-650", 1000, err, sizeof(err));
	uint8_t buf[64];
	int n;

	(void)state;
	assert_non_null(m);
	expect_report(m, r01, sizeof(r01));
	expect_report(m, r06, sizeof(r06));
	expect_report(m, r09, sizeof(r09));
	expect_report(m, r0a, sizeof(r0a));
	expect_report(m, r0d, sizeof(r0d));
	expect_report(m, r10, sizeof(r10));
	expect_report(m, r13, sizeof(r13));
	expect_report(m, r1f, sizeof(r1f));
	expect_report(m, r20, sizeof(r20));
	expect_report(m, r22, sizeof(r22));
	assert_int_equal(sim_model_get_string(m, 5, s, sizeof(s)), 4);
	assert_string_equal(s, "PbAc");
	assert_int_equal(sim_model_pop_interrupt(m, buf, sizeof(buf)), 0);
	/* mains lost: the captured on-battery status report goes out on the interrupt pipe */
	sim_model_set_mains(m, 0);
	n = sim_model_pop_interrupt(m, buf, sizeof(buf));
	assert_int_equal(n, 4);
	assert_memory_equal(buf, ob, 4);
	/* a minute on battery at 1 %/s: below 20 % -> LB bits, charge reported */
	sim_model_set_rates(m, 1, 0);
	sim_model_tick(m, 1000 + 85000);
	n = sim_model_get_report(m, 0x01, HID_FEATURE, buf, sizeof(buf));
	assert_int_equal(n, 4);
	assert_int_equal(buf[1] & 0x02, 0x02);   /* BelowRemainingCapacityLimit */
	assert_int_equal(buf[3], 1);             /* ShutdownImminent */
	sim_model_free(m);
}

static void test_model_countdown(void **state)
{
	char err[256];
	struct sim_model *m = sim_model_new("ellipse-eco-650", 0, err, sizeof(err));
	uint8_t st[] = { 0x0a, 5, 0, 0, 0 }, sd[] = { 0x09, 2, 0, 0, 0 }, buf[16];
	double v;

	(void)state;
	assert_non_null(m);
	assert_int_equal(sim_model_set_report(m, HID_FEATURE, st, sizeof(st)), 5);
	assert_int_equal(sim_model_set_report(m, HID_FEATURE, sd, sizeof(sd)), 5);
	sim_model_tick(m, 1000);
	assert_int_equal(sim_model_get(m, "UPS.PowerSummary.DelayBeforeShutdown", &v), 0);
	assert_true(v == 1);
	sim_model_tick(m, 2500);   /* shutdown reached: load off, startup counts (mains present) */
	assert_int_equal(sim_model_get(m, "UPS.PowerSummary.PresentStatus.Good", &v), 0);
	assert_true(v == 0);
	sim_model_tick(m, 8000);
	assert_int_equal(sim_model_get(m, "UPS.PowerSummary.PresentStatus.Good", &v), 0);
	assert_true(v == 1);
	assert_int_equal(sim_model_get_report(m, 0x09, HID_FEATURE, buf, sizeof(buf)), 5);
	assert_int_equal(buf[1], 0xff);
	assert_int_equal(sim_model_set(m, "UPS.No.Such", 1), -1);
	sim_model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_worked_examples),
		cmocka_unit_test(test_onlinedischarge),
		cmocka_unit_test(test_conversions),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_model_serves_captures),
		cmocka_unit_test(test_model_countdown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
