/*
 * mge-hid: the MGE/Eaton mapping table and its conversions (see mge-hid.h).
 * Table order matters: for a variable with several candidate paths the
 * first row whose path exists and that produces a value wins; computed
 * rows (ups.realpower) come after the rows they read.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mge-hid.h"

/* ------------------------------------------------------------ lookups */

static const struct mge_lookup lk_onoff[] = { { 0, "off" }, { 1, "on" }, { 0, NULL } };
static const struct mge_lookup lk_yesno[] = { { 0, "no" }, { 1, "yes" }, { 0, NULL } };
static const struct mge_lookup lk_beeper[] = {
	{ 1, "disabled" }, { 2, "enabled" }, { 3, "muted" }, { 0, NULL } };
static const struct mge_lookup lk_test[] = {
	{ 1, "Done and passed" }, { 2, "Done and warning" }, { 3, "Done and error" },
	{ 4, "Aborted" }, { 5, "In progress" }, { 6, "No test initiated" },
	{ 7, "Test scheduled" }, { 0, NULL } };
static const struct mge_lookup lk_enabled[] = {
	{ 0, "disabled" }, { 1, "enabled" }, { 0, NULL } };
static const struct mge_lookup lk_sensitivity[] = {
	{ 0, "normal" }, { 1, "high" }, { 2, "low" }, { 0, NULL } };
static const struct mge_lookup lk_upstype[] = {
	{ 1, "offline / line interactive" }, { 2, "online" },
	{ 3, "online - unitary/parallel" }, { 4, "online - parallel with hot standy" },
	{ 5, "online - hot standby redundancy" }, { 0, NULL } };
static const struct mge_lookup lk_protect[] = {
	{ 0, "not powered" }, { 1, "not protected" }, { 2, "protected" }, { 0, NULL } };
/* Pegasus ECO-mode load threshold (outlet.power) */
static const struct mge_lookup lk_threshold[] = {
	{ 10, "10" }, { 25, "25" }, { 60, "60" }, { 0, NULL } };

/* ------------------------------------------------------------ status actions */

static const struct mge_status_act st_online = { MGE_ONLINE, MGE_OFFLINE, MGE_OFFLINE, MGE_ONLINE };
static const struct mge_status_act st_dischrg = { MGE_DISCHRG, 0, 0, MGE_DISCHRG };
static const struct mge_status_act st_chrg = { MGE_CHRG, 0, 0, MGE_CHRG };
static const struct mge_status_act st_lowbatt = { MGE_LOWBATT, 0, 0, MGE_LOWBATT };
static const struct mge_status_act st_overload = { MGE_OVERLOAD, 0, 0, MGE_OVERLOAD };
static const struct mge_status_act st_replace = { MGE_REPLACEBATT, 0, 0, MGE_REPLACEBATT };
static const struct mge_status_act st_trim = { MGE_TRIM, 0, 0, MGE_TRIM };
static const struct mge_status_act st_boost = { MGE_BOOST, 0, 0, MGE_BOOST };
static const struct mge_status_act st_vrange = { MGE_VRANGE, 0, 0, MGE_VRANGE };
static const struct mge_status_act st_frange = { MGE_FRANGE, 0, 0, MGE_FRANGE };
static const struct mge_status_act st_good = { 0, MGE_OFF, MGE_OFF, 0 };   /* inverted */
static const struct mge_status_act st_bypassauto = { MGE_BYPASSAUTO, 0, 0, MGE_BYPASSAUTO };
static const struct mge_status_act st_bypassman = { MGE_BYPASSMAN, 0, 0, MGE_BYPASSMAN };
static const struct mge_status_act st_fanfail = { MGE_FANFAIL, 0, 0, MGE_FANFAIL };
static const struct mge_status_act st_present = { 0, MGE_NOBATTERY, MGE_NOBATTERY, 0 };   /* inverted */
static const struct mge_status_act st_chargerfail = { MGE_CHARGERFAIL, 0, 0, MGE_CHARGERFAIL };
static const struct mge_status_act st_battvolthi = { MGE_BATTVOLTHI, 0, 0, MGE_BATTVOLTHI };
static const struct mge_status_act st_battvoltlo = { MGE_BATTVOLTLO, 0, 0, MGE_BATTVOLTLO };
static const struct mge_status_act st_commfault = { MGE_COMMFAULT, 0, 0, MGE_COMMFAULT };
static const struct mge_status_act st_overheat = { MGE_OVERHEAT, 0, 0, MGE_OVERHEAT };
static const struct mge_status_act st_sdimm = { MGE_SHUTDOWNIMM, 0, 0, MGE_SHUTDOWNIMM };

/* ------------------------------------------------------------ the table */

#define PS "UPS.PowerSummary."
#define PSS "UPS.PowerSummary.PresentStatus."
#define BAT "UPS.BatterySystem.Battery."
#define PCI "UPS.PowerConverter.Input."
#define PCO "UPS.PowerConverter.Output."
#define OUT "UPS.OutletSystem.Outlet."

/* shorthands: variable with a format, lookup variable, status row, command */
#define V(var, path, flags, poll, fmt, aux) { var, path, flags, poll, MGE_CONV_FMT, fmt, NULL, NULL, aux }
#define L(var, path, flags, poll, lk, aux) { var, path, flags, poll, MGE_CONV_LOOKUP, NULL, lk, NULL, aux }
#define C(var, path, flags, poll, conv, aux) { var, path, flags, poll, conv, NULL, NULL, NULL, aux }
#define S(path, poll, act, flags) { NULL, path, MGE_F_STATUS | (flags), poll, MGE_CONV_FMT, NULL, NULL, act, 0 }
#define A(path, text) { NULL, path, MGE_F_ALARM, MGE_POLL_FULL, MGE_CONV_FMT, text, NULL, NULL, 0 }
#define X(var, path, value) { var, path, MGE_F_CMD, MGE_POLL_FULL, MGE_CONV_FMT, value, NULL, NULL, 0 }
#define D(var, path, text, aux) { var, path, MGE_F_ABSENT | MGE_F_RW, MGE_POLL_STATIC, MGE_CONV_FMT, text, NULL, NULL, aux }

#define Q MGE_POLL_QUICK
#define F MGE_POLL_FULL
#define SEMI MGE_POLL_SEMI
#define STAT MGE_POLL_STATIC
#define RW MGE_F_RW

const struct mge_entry mge_table[] = {
	/* battery */
	V("battery.charge", PS "RemainingCapacity", 0, F, "%.0f", 0),
	V("battery.charge.low", PS "RemainingCapacityLimitSetting", RW, SEMI, "%.0f", 5),
	V("battery.charge.low", PS "RemainingCapacityLimit", 0, STAT, "%.0f", 0),
	V("battery.charge.restart", PS "RestartLevel", RW, SEMI, "%.0f", 5),
	C("battery.capacity", BAT "DesignCapacity", 0, STAT, MGE_CONV_DIV3600, 0),
	V("battery.runtime", PS "RunTimeToEmpty", 0, F, "%.0f", 0),
	V("battery.runtime.low", PS "RemainingTimeLimit", RW, F, "%.0f", 5),
	V("battery.runtime.elapsed", "UPS.StatisticSystem.Input.[1].Statistic.[1].Time", 0, Q, "%.0f", 0),
	C("battery.temperature", BAT "Temperature", 0, F, MGE_CONV_KELVIN, 0),
	C("battery.type", PS "iDeviceChemistry", 0, STAT, MGE_CONV_STRING, 0),
	V("battery.voltage", "UPS.BatterySystem.Voltage", 0, F, "%.1f", 0),
	V("battery.voltage", PS "Voltage", MGE_F_MODELVOLT, F, "%.1f", 0),
	V("battery.voltage.nominal", "UPS.BatterySystem.ConfigVoltage", 0, STAT, "%.0f", 0),
	V("battery.voltage.nominal", PS "ConfigVoltage", MGE_F_MODELVOLT, STAT, "%.0f", 0),
	L("battery.protection", BAT "DeepDischargeProtection", RW, SEMI, lk_yesno, 0),

	/* ups */
	V("ups.load", PS "PercentLoad", 0, F, "%.0f", 0),
	V("ups.load.high", "UPS.Flow.[4].ConfigPercentLoad", RW, SEMI, "%.0f", 5),
	D("ups.delay.start", PS "DelayBeforeStartup", "30", 10),
	D("ups.delay.shutdown", PS "DelayBeforeShutdown", "20", 10),
	V("ups.timer.start", PS "DelayBeforeStartup", 0, Q, "%.0f", 0),
	V("ups.timer.shutdown", PS "DelayBeforeShutdown", 0, Q, "%.0f", 0),
	V("ups.timer.reboot", PS "DelayBeforeReboot", 0, Q, "%.0f", 0),
	L("ups.test.result", BAT "Test", 0, F, lk_test, 0),
	V("ups.test.interval", BAT "TestPeriod", RW, SEMI, "%.0f", 8),
	L("ups.beeper.status", BAT "AudibleAlarmControl", 0, SEMI, lk_beeper, 0),
	L("ups.beeper.status", PS "AudibleAlarmControl", 0, SEMI, lk_beeper, 0),
	L("ups.beeper.status", "UPS.AudibleAlarmControl", 0, SEMI, lk_beeper, 0),
	C("ups.firmware", PS "iVersion", 0, STAT, MGE_CONV_STRING, 0),
	C("ups.temperature", PS "Temperature", 0, F, MGE_CONV_KELVIN, 0),
	V("ups.power", PCO "ApparentPower", 0, F, "%.0f", 0),
	V("ups.power.nominal", "UPS.Flow.[4].ConfigApparentPower", 0, STAT, "%.0f", 0),
	V("ups.realpower", PCO "ActivePower", 0, F, "%.0f", 0),
	V("ups.realpower.nominal", "UPS.Flow.[4].ConfigActivePower", 0, STAT, "%.0f", 0),
	V("ups.efficiency", PCO "Efficiency", 0, F, "%.0f", 0),
	L("ups.start.auto", PCI "[1].AutomaticRestart", RW, SEMI, lk_yesno, 0),
	L("ups.start.battery", PCI "[3].StartOnBattery", RW, SEMI, lk_yesno, 0),
	L("ups.start.reboot", PCO "ForcedReboot", RW, SEMI, lk_yesno, 0),
	L("ups.shutdown", PSS "Switchable", RW | MGE_F_ENUM, SEMI, lk_enabled, 0),
	L("ups.type", "UPS.PowerConverter.ConverterType", 0, STAT, lk_upstype, 0),

	/* input */
	V("input.voltage", PCI "[1].Voltage", 0, F, "%.1f", 0),
	V("input.frequency", PCI "[1].Frequency", 0, F, "%.1f", 0),
	V("input.current", PCI "[1].Current", 0, F, "%.2f", 0),
	V("input.voltage.nominal", "UPS.Flow.[1].ConfigVoltage", 0, STAT, "%.0f", 0),
	V("input.frequency.nominal", "UPS.Flow.[1].ConfigFrequency", 0, STAT, "%.0f", 0),
	V("input.current.nominal", "UPS.Flow.[1].ConfigCurrent", 0, STAT, "%.2f", 0),
	V("input.transfer.low", PCO "LowVoltageTransfer", RW, SEMI, "%.0f", 5),
	V("input.transfer.high", PCO "HighVoltageTransfer", RW, SEMI, "%.0f", 5),
	V("input.transfer.boost.low", PCO "LowVoltageBoostTransfer", RW, SEMI, "%.0f", 5),
	V("input.transfer.boost.high", PCO "HighVoltageBoostTransfer", RW, SEMI, "%.0f", 5),
	V("input.transfer.trim.low", PCO "LowVoltageBuckTransfer", RW, SEMI, "%.0f", 5),
	V("input.transfer.trim.high", PCO "HighVoltageBuckTransfer", RW, SEMI, "%.0f", 5),
	L("input.sensitivity", PCO "SensitivityMode", RW | MGE_F_ENUM, SEMI, lk_sensitivity, 0),
	L("input.voltage.extended", PCO "ExtendedVoltageMode", RW, SEMI, lk_yesno, 0),
	L("input.frequency.extended", PCO "ExtendedFrequencyMode", RW, SEMI, lk_yesno, 0),
	V("input.bypass.voltage", PCI "[2].Voltage", 0, F, "%.1f", 0),
	V("input.bypass.frequency", PCI "[2].Frequency", 0, F, "%.1f", 0),

	/* output */
	V("output.voltage", PCO "Voltage", 0, F, "%.1f", 0),
	C("output.voltage.nominal", "UPS.Flow.[4].ConfigVoltage", RW | MGE_F_ENUM, SEMI, MGE_CONV_VNOMINAL, 0),
	V("output.current", PCO "Current", 0, F, "%.2f", 0),
	V("output.frequency", PCO "Frequency", 0, F, "%.1f", 0),
	V("output.frequency.nominal", "UPS.Flow.[4].ConfigFrequency", 0, STAT, "%.0f", 0),
	V("output.current.nominal", "UPS.Flow.[4].ConfigCurrent", 0, STAT, "%.2f", 0),
	C("output.powerfactor", PCO "PowerFactor", 0, F, MGE_CONV_DIV100, 0),

	/* computed after ups.load, ups.power.nominal and output.powerfactor */
	C("ups.realpower", "UPS.Flow.[4].ConfigApparentPower", 0, F, MGE_CONV_REALPOWER, 0),

	/* outlets: outlet.* is Outlet.[1], outlet.N.* is Outlet.[N+1] */
	V("outlet.id", OUT "[1].OutletID", 0, STAT, "%.0f", 0),
	D("outlet.desc", OUT "[1].OutletID", "Main Outlet", 20),
	L("outlet.switchable", OUT "[1].PresentStatus.Switchable", 0, STAT, lk_yesno, 0),
	L("outlet.power", OUT "[1].ConfigApparentPower", RW | MGE_F_ENUM | MGE_F_PEGASUS, SEMI, lk_threshold, 0),
	V("outlet.power", OUT "[1].ApparentPower", 0, F, "%.0f", 0),
	V("outlet.realpower", OUT "[1].ActivePower", 0, F, "%.0f", 0),
	V("outlet.current", OUT "[1].Current", 0, F, "%.2f", 0),
	C("outlet.powerfactor", OUT "[1].PowerFactor", 0, F, MGE_CONV_DIV100, 0),
	V("outlet.1.id", OUT "[2].OutletID", 0, STAT, "%.0f", 0),
	D("outlet.1.desc", OUT "[2].OutletID", "PowerShare Outlet 1", 20),
	L("outlet.1.switchable", OUT "[2].PresentStatus.Switchable", 0, SEMI, lk_yesno, 0),
	L("outlet.1.status", OUT "[2].PresentStatus.SwitchOn/Off", 0, F, lk_onoff, 0),
	L("outlet.1.status", PSS "ACPresent", 0, F, lk_onoff, 0),
	V("outlet.1.autoswitch.charge.low", OUT "[2].RemainingCapacityLimit", RW, SEMI, "%.0f", 3),
	V("outlet.1.delay.shutdown", OUT "[2].ShutdownTimer", RW, SEMI, "%.0f", 5),
	V("outlet.1.delay.start", OUT "[2].StartupTimer", RW, SEMI, "%.0f", 5),
	V("outlet.1.power", OUT "[2].ApparentPower", 0, F, "%.0f", 0),
	V("outlet.1.realpower", OUT "[2].ActivePower", 0, F, "%.0f", 0),
	V("outlet.1.current", OUT "[2].Current", 0, F, "%.2f", 0),
	L("outlet.1.protect.status", OUT "[2].ffff00e9", 0, F, lk_protect, 0),
	V("outlet.2.id", OUT "[3].OutletID", 0, STAT, "%.0f", 0),
	D("outlet.2.desc", OUT "[3].OutletID", "PowerShare Outlet 2", 20),
	L("outlet.2.switchable", OUT "[3].PresentStatus.Switchable", RW | MGE_F_PEGASUS, SEMI, lk_yesno, 3),
	L("outlet.2.switchable", OUT "[3].PresentStatus.Switchable", MGE_F_NOTPEGASUS, SEMI, lk_yesno, 0),
	L("outlet.2.status", OUT "[3].PresentStatus.SwitchOn/Off", 0, F, lk_onoff, 0),
	V("outlet.2.autoswitch.charge.low", OUT "[3].RemainingCapacityLimit", RW, SEMI, "%.0f", 3),
	V("outlet.2.delay.shutdown", OUT "[3].ShutdownTimer", RW, SEMI, "%.0f", 5),
	V("outlet.2.delay.start", OUT "[3].StartupTimer", RW, SEMI, "%.0f", 5),
	V("outlet.2.power", OUT "[3].ApparentPower", 0, F, "%.0f", 0),
	V("outlet.2.realpower", OUT "[3].ActivePower", 0, F, "%.0f", 0),
	V("outlet.2.current", OUT "[3].Current", 0, F, "%.2f", 0),
	L("outlet.2.protect.status", OUT "[3].ffff00e9", 0, F, lk_protect, 0),
	V("outlet.3.id", OUT "[4].OutletID", 0, STAT, "%.0f", 0),
	/* NUT's table gives outlet 3 the text of outlet 2 */
	D("outlet.3.desc", OUT "[4].OutletID", "PowerShare Outlet 2", 20),
	L("outlet.3.switchable", OUT "[4].PresentStatus.Switchable", RW | MGE_F_PEGASUS, SEMI, lk_yesno, 3),
	L("outlet.3.switchable", OUT "[4].PresentStatus.Switchable", MGE_F_NOTPEGASUS, SEMI, lk_yesno, 0),
	L("outlet.3.status", OUT "[4].PresentStatus.SwitchOn/Off", 0, F, lk_onoff, 0),

	/* ups.status conditions */
	S(PSS "ACPresent", Q, &st_online, 0),
	S(PSS "Discharging", Q, &st_dischrg, 0),
	S(PSS "Charging", Q, &st_chrg, MGE_F_CHARGING),
	S(PSS "BelowRemainingCapacityLimit", Q, &st_lowbatt, 0),
	S(PSS "ShutdownImminent", F, &st_sdimm, 0),
	S(PSS "Overload", F, &st_overload, 0),
	S(PCO "Overload.[1].PresentStatus.OverThreshold", F, &st_overload, 0),
	S(PCO "Overload.[2].PresentStatus.OverThreshold", F, &st_overload, 0),
	S(PSS "NeedReplacement", F, &st_replace, 0),
	S("UPS.LCMSystem.LCMAlarm.[2].PresentStatus.TimerExpired", F, &st_replace, 0),
	S(PCI "[1].PresentStatus.Buck", F, &st_trim, 0),
	S(PCI "[1].PresentStatus.Boost", F, &st_boost, 0),
	S(PCI "[1].PresentStatus.VoltageOutOfRange", F, &st_vrange, 0),
	S(PCI "[1].PresentStatus.FrequencyOutOfRange", F, &st_frange, 0),
	S(PSS "Good", F, &st_good, 0),
	S(PCI "[2].PresentStatus.Used", F, &st_bypassauto, 0),
	S(PCI "[4].PresentStatus.Used", F, &st_bypassman, 0),
	S(PSS "FanFailure", F, &st_fanfail, 0),
	S(BAT "PresentStatus.Present", F, &st_present, 0),
	S("UPS.BatterySystem.Charger.PresentStatus.InternalFailure", F, &st_chargerfail, 0),
	S("UPS.BatterySystem.Charger.PresentStatus.VoltageTooHigh", F, &st_battvolthi, 0),
	S(PCI "[1].PresentStatus.VoltageTooHigh", F, &st_battvolthi, 0),
	S(BAT "PresentStatus.VoltageTooHigh", F, &st_battvolthi, 0),
	S("UPS.BatterySystem.Charger.PresentStatus.VoltageTooLow", F, &st_battvoltlo, 0),
	S(PSS "InternalFailure", F, &st_commfault, 0),
	S(PSS "OverTemperature", F, &st_overheat, 0),

	/* alarms read directly */
	A(PSS "EmergencyStop", "Emergency stop!"),
	A(PCI "[1].PresentStatus.WiringFault", "Wiring fault!"),
	A(PSS "ConfigurationFailure", "Fatal EEPROM fault!"),
	A("UPS.PowerConverter.Inverter.PresentStatus.VoltageTooHigh", "Inverter AC voltage too high!"),
	A("UPS.PowerConverter.Inverter.PresentStatus.VoltageTooLow", "Inverter AC voltage too low!"),
	A(PCO "PresentStatus.ShortCircuit", "Output short circuit!"),

	/* instant commands: the value written, or for delays the default argument */
	X("test.battery.start.quick", BAT "Test", "1"),
	X("test.battery.start.deep", BAT "Test", "2"),
	X("test.battery.stop", BAT "Test", "3"),
	X("load.off.delay", PS "DelayBeforeShutdown", "20"),
	X("load.on.delay", PS "DelayBeforeStartup", "30"),
	X("shutdown.stop", PS "DelayBeforeShutdown", "-1"),
	X("shutdown.reboot", PS "DelayBeforeReboot", "10"),
	X("beeper.disable", BAT "AudibleAlarmControl", "1"),
	X("beeper.disable", PS "AudibleAlarmControl", "1"),
	X("beeper.disable", "UPS.AudibleAlarmControl", "1"),
	X("beeper.enable", BAT "AudibleAlarmControl", "2"),
	X("beeper.enable", PS "AudibleAlarmControl", "2"),
	X("beeper.enable", "UPS.AudibleAlarmControl", "2"),
	X("beeper.mute", BAT "AudibleAlarmControl", "3"),
	X("beeper.mute", PS "AudibleAlarmControl", "3"),
	X("beeper.off", PS "AudibleAlarmControl", "1"),
	X("beeper.on", PS "AudibleAlarmControl", "2"),
	X("outlet.1.load.off", OUT "[2].DelayBeforeShutdown", "0"),
	X("outlet.1.load.on", OUT "[2].DelayBeforeStartup", "0"),
	X("outlet.2.load.off", OUT "[3].DelayBeforeShutdown", "0"),
	X("outlet.2.load.on", OUT "[3].DelayBeforeStartup", "0"),
	X("outlet.3.load.off", OUT "[4].DelayBeforeShutdown", "0"),
	X("outlet.3.load.on", OUT "[4].DelayBeforeStartup", "0"),
	X("bypass.start", PCI "[2].SwitchOnControl", "1"),
	X("bypass.stop", PCI "[2].SwitchOffControl", "1"),
};

const size_t mge_table_len = sizeof(mge_table) / sizeof(mge_table[0]);

/* ------------------------------------------------------------ conversions */

const char *mge_lookup_text(const struct mge_lookup *l, long value)
{
	for (; l && l->text; l++)
		if (l->value == value)
			return l->text;
	return NULL;
}

static double env_number(const struct mge_env *env, const char *var, int *ok)
{
	const char *s = env && env->getinfo ? env->getinfo(env->arg, var) : NULL;
	char *end;
	double v;

	if (!s) {
		*ok = 0;
		return 0;
	}
	v = strtod(s, &end);
	if (end == s || *end)
		*ok = 0;
	return v;
}

/* ups.realpower = load % x nominal VA x power factor (0.80 when unknown) */
static int realpower(const struct mge_env *env, char *out, size_t outlen)
{
	int ok = 1, pfok = 1;
	double load = env_number(env, "ups.load", &ok);
	double nominal = env_number(env, "ups.power.nominal", &ok);
	double pf = env_number(env, "output.powerfactor", &pfok);

	if (!ok)
		return 0;
	if (!pfok || pf <= 0)
		pf = 0.80;
	snprintf(out, outlen, "%.0f", round(load * 0.01 * nominal * pf));
	return 1;
}

/* the table's formats are all "%.Nf": N decimals */
static int fmt_decimals(const char *fmt)
{
	if (fmt && fmt[0] == '%' && fmt[1] == '.' && fmt[2] >= '0' && fmt[2] <= '9' && fmt[3] == 'f')
		return fmt[2] - '0';
	return 0;
}

int mge_format(const struct mge_entry *e, double value, const struct mge_env *env,
	char *out, size_t outlen)
{
	const char *t;

	switch (e->conv) {
	case MGE_CONV_LOOKUP:
		t = mge_lookup_text(e->lookup, lround(value));
		if (!t)
			return 0;
		snprintf(out, outlen, "%s", t);
		return 1;
	case MGE_CONV_KELVIN:
		snprintf(out, outlen, "%.1f", (value >= 273 && value <= 373) ? value - 273.15 : value);
		return 1;
	case MGE_CONV_DIV3600:
		snprintf(out, outlen, "%.2f", value / 3600.0);
		return 1;
	case MGE_CONV_DIV100:
		snprintf(out, outlen, "%.2f", value / 100.0);
		return 1;
	case MGE_CONV_REALPOWER:
		return realpower(env, out, outlen);
	case MGE_CONV_VNOMINAL:
		snprintf(out, outlen, "%.0f", value);
		return 1;
	case MGE_CONV_STRING:   /* the caller resolves string indices */
	case MGE_CONV_FMT:
	default:
		snprintf(out, outlen, "%.*f", fmt_decimals(e->fmt), value);
		return 1;
	}
}

int mge_parse(const struct mge_entry *e, const char *text, double *value)
{
	const struct mge_lookup *l;
	char *end;

	if (e->conv == MGE_CONV_LOOKUP) {
		for (l = e->lookup; l && l->text; l++) {
			if (strcasecmp(l->text, text) == 0) {
				*value = (double)l->value;
				return 0;
			}
		}
		return -1;
	}
	*value = strtod(text, &end);
	if (end == text || *end || !isfinite(*value))
		return -1;
	if (e->conv == MGE_CONV_DIV100)
		*value *= 100.0;
	else if (e->conv == MGE_CONV_DIV3600)
		*value *= 3600.0;
	return 0;
}

void mge_status_apply(const struct mge_entry *e, double value, double charge, uint32_t *conds)
{
	const struct mge_status_act *a = e->st;

	if (!a)
		return;
	if (value != 0) {
		/* units keep Charging set while floating at 100 % */
		if ((e->flags & MGE_F_CHARGING) && charge >= 100) {
			*conds &= ~MGE_CHRG;
			return;
		}
		*conds = (*conds | a->set1) & ~a->clr1;
	} else {
		*conds = (*conds | a->set0) & ~a->clr0;
	}
}

static void add_token(char *out, size_t outlen, const char *tok)
{
	size_t len = strlen(out);

	snprintf(out + len, outlen - len, "%s%s", len ? " " : "", tok);
}

void mge_status_text(uint32_t conds, double charge, const struct mge_status_opts *o,
	char *out, size_t outlen)
{
	int online = (conds & MGE_ONLINE) != 0, dischrg = (conds & MGE_DISCHRG) != 0;

	out[0] = '\0';
	if (conds & MGE_CAL)
		add_token(out, outlen, "CAL");
	if (!online) {
		if ((conds & MGE_OFFLINE) || dischrg)
			add_token(out, outlen, "OB");
	} else if (dischrg && o && o->onlinedischarge_calibration) {
		add_token(out, outlen, "CAL");
	} else if (dischrg && o && o->onlinedischarge_onbattery) {
		add_token(out, outlen, "OB");
	} else {
		add_token(out, outlen, "OL");
	}
	if (dischrg)
		add_token(out, outlen, "DISCHRG");
	/* no fully/not-fully charged path on these units: trust the charge */
	if ((conds & MGE_CHRG) && (charge < 0 || (charge > 0 && charge < 100)))
		add_token(out, outlen, "CHRG");
	if (conds & (MGE_LOWBATT | MGE_SHUTDOWNIMM))
		add_token(out, outlen, "LB");
	if (conds & MGE_OVERLOAD)
		add_token(out, outlen, "OVER");
	if (conds & (MGE_REPLACEBATT | MGE_NOBATTERY))
		add_token(out, outlen, "RB");
	if (conds & MGE_TRIM)
		add_token(out, outlen, "TRIM");
	if (conds & MGE_BOOST)
		add_token(out, outlen, "BOOST");
	if (conds & (MGE_BYPASSAUTO | MGE_BYPASSMAN))
		add_token(out, outlen, "BYPASS");
	if (conds & MGE_OFF)
		add_token(out, outlen, "OFF");
}

const char *mge_transfer_reason(uint32_t conds)
{
	if (conds & MGE_VRANGE)
		return "input voltage out of range";
	if (conds & MGE_FRANGE)
		return "input frequency out of range";
	return NULL;
}

void mge_status_alarms(uint32_t conds, void (*cb)(void *arg, const char *text), void *arg)
{
	static const struct { uint32_t cond; const char *text; } alarms[] = {
		{ MGE_REPLACEBATT, "Replace battery!" },
		{ MGE_SHUTDOWNIMM, "Shutdown imminent!" },
		{ MGE_FANFAIL, "Fan failure!" },
		{ MGE_NOBATTERY, "No battery installed!" },
		{ MGE_BATTVOLTLO, "Battery voltage too low!" },
		{ MGE_BATTVOLTHI, "Battery voltage too high!" },
		{ MGE_CHARGERFAIL, "Battery charger fail!" },
		{ MGE_OVERHEAT, "Temperature too high!" },
		{ MGE_COMMFAULT, "Internal UPS fault!" },
		{ MGE_BYPASSAUTO, "Automatic bypass mode!" },
		{ MGE_BYPASSMAN, "Manual bypass mode!" },
	};
	size_t i;

	for (i = 0; i < sizeof(alarms) / sizeof(alarms[0]); i++)
		if (conds & alarms[i].cond)
			cb(arg, alarms[i].text);
}

/* ------------------------------------------------------------ identity */

void mge_model_name(const char *product, const char *imodel, char *out, size_t outlen,
	int *pegasus)
{
	static const struct { const char *product, *model; } pegasus_models[] = {
		{ "Ellipse ECO", "650" }, { "Ellipse ECO", "800" }, { "Ellipse ECO", "1200" },
		{ "Ellipse ECO", "1600" }, { "Protection Station", "500" },
		{ "Protection Station", "650" }, { "Protection Station", "800" },
	};
	size_t i;

	*pegasus = 0;
	for (i = 0; i < sizeof(pegasus_models) / sizeof(pegasus_models[0]); i++)
		if (strcmp(product, pegasus_models[i].product) == 0 &&
		    strcmp(imodel, pegasus_models[i].model) == 0)
			*pegasus = 1;
	if (imodel[0])
		snprintf(out, outlen, "%s %s", product, imodel);
	else
		snprintf(out, outlen, "%s", product);
}

size_t mge_vnominal_enums(long nominal, int offline_type, const char **out, size_t max)
{
	static const char *const hv[] = { "220", "230", "240" };
	static const char *const mv[] = { "200", "208" };
	static const char *const lv[] = { "100", "110", "120", "127" };
	size_t n = 0, i;

#define ADD(list) for (i = 0; i < sizeof(list) / sizeof(list[0]) && n < max; i++) out[n++] = list[i]
	if (nominal == 100 || nominal == 110 || nominal == 120 || nominal == 127) {
		ADD(lv);
	} else if (nominal == 220 || nominal == 230 || nominal == 240) {
		if (!offline_type)
			ADD(mv);
		ADD(hv);
	} else if (nominal == 200 || nominal == 208) {
		ADD(mv);
		if (!offline_type)
			ADD(hv);
	}
#undef ADD
	return n;
}

int mge_claims(uint16_t vendorid, uint16_t productid)
{
	return vendorid == 0x0463 && (productid == 0x0001 || productid == 0xffff);
}
