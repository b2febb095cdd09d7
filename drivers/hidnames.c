/*
 * hidnames: usage names and path strings (see hid.h).
 *
 * The names are the ones NUT's usbhid-ups prints, so path strings in logs,
 * mapping tables and `-DDD` dumps read the same: the HID Power Device page
 * (0x84), the Battery System page (0x85) and the Eaton/MGE vendor page
 * (0xffff). NUT's tables were the source of the name/number pairs (facts);
 * the table below is sorted by usage for binary search.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hid.h"

struct usage_name {
	hid_usage_t usage;
	const char *name;
};

static const struct usage_name names[] = {
	/* Power Device page (0x84) */
	{ 0x00840000, "Undefined" },
	{ 0x00840001, "iName" },
	{ 0x00840002, "PresentStatus" },
	{ 0x00840003, "ChangedStatus" },
	{ 0x00840004, "UPS" },
	{ 0x00840005, "PowerSupply" },
	{ 0x00840010, "BatterySystem" },
	{ 0x00840011, "BatterySystemID" },
	{ 0x00840012, "Battery" },
	{ 0x00840013, "BatteryID" },
	{ 0x00840014, "Charger" },
	{ 0x00840015, "ChargerID" },
	{ 0x00840016, "PowerConverter" },
	{ 0x00840017, "PowerConverterID" },
	{ 0x00840018, "OutletSystem" },
	{ 0x00840019, "OutletSystemID" },
	{ 0x0084001a, "Input" },
	{ 0x0084001b, "InputID" },
	{ 0x0084001c, "Output" },
	{ 0x0084001d, "OutputID" },
	{ 0x0084001e, "Flow" },
	{ 0x0084001f, "FlowID" },
	{ 0x00840020, "Outlet" },
	{ 0x00840021, "OutletID" },
	{ 0x00840022, "Gang" },
	{ 0x00840023, "GangID" },
	{ 0x00840024, "PowerSummary" },
	{ 0x00840025, "PowerSummaryID" },
	{ 0x00840030, "Voltage" },
	{ 0x00840031, "Current" },
	{ 0x00840032, "Frequency" },
	{ 0x00840033, "ApparentPower" },
	{ 0x00840034, "ActivePower" },
	{ 0x00840035, "PercentLoad" },
	{ 0x00840036, "Temperature" },
	{ 0x00840037, "Humidity" },
	{ 0x00840038, "BadCount" },
	{ 0x00840040, "ConfigVoltage" },
	{ 0x00840041, "ConfigCurrent" },
	{ 0x00840042, "ConfigFrequency" },
	{ 0x00840043, "ConfigApparentPower" },
	{ 0x00840044, "ConfigActivePower" },
	{ 0x00840045, "ConfigPercentLoad" },
	{ 0x00840046, "ConfigTemperature" },
	{ 0x00840047, "ConfigHumidity" },
	{ 0x00840050, "SwitchOnControl" },
	{ 0x00840051, "SwitchOffControl" },
	{ 0x00840052, "ToggleControl" },
	{ 0x00840053, "LowVoltageTransfer" },
	{ 0x00840054, "HighVoltageTransfer" },
	{ 0x00840055, "DelayBeforeReboot" },
	{ 0x00840056, "DelayBeforeStartup" },
	{ 0x00840057, "DelayBeforeShutdown" },
	{ 0x00840058, "Test" },
	{ 0x00840059, "ModuleReset" },
	{ 0x0084005a, "AudibleAlarmControl" },
	{ 0x00840060, "Present" },
	{ 0x00840061, "Good" },
	{ 0x00840062, "InternalFailure" },
	{ 0x00840063, "VoltageOutOfRange" },
	{ 0x00840064, "FrequencyOutOfRange" },
	{ 0x00840065, "Overload" },
	{ 0x00840066, "OverCharged" },
	{ 0x00840067, "OverTemperature" },
	{ 0x00840068, "ShutdownRequested" },
	{ 0x00840069, "ShutdownImminent" },
	{ 0x0084006b, "SwitchOn/Off" },
	{ 0x0084006c, "Switchable" },
	{ 0x0084006d, "Used" },
	{ 0x0084006e, "Boost" },
	{ 0x0084006f, "Buck" },
	{ 0x00840070, "Initialized" },
	{ 0x00840071, "Tested" },
	{ 0x00840072, "AwaitingPower" },
	{ 0x00840073, "CommunicationLost" },
	{ 0x008400fd, "iManufacturer" },
	{ 0x008400fe, "iProduct" },
	{ 0x008400ff, "iSerialNumber" },
	/* Battery System page (0x85) */
	{ 0x00850000, "Undefined" },
	{ 0x00850001, "SMBBatteryMode" },
	{ 0x00850002, "SMBBatteryStatus" },
	{ 0x00850003, "SMBAlarmWarning" },
	{ 0x00850004, "SMBChargerMode" },
	{ 0x00850005, "SMBChargerStatus" },
	{ 0x00850006, "SMBChargerSpecInfo" },
	{ 0x00850007, "SMBSelectorState" },
	{ 0x00850008, "SMBSelectorPresets" },
	{ 0x00850009, "SMBSelectorInfo" },
	{ 0x00850010, "OptionalMfgFunction1" },
	{ 0x00850011, "OptionalMfgFunction2" },
	{ 0x00850012, "OptionalMfgFunction3" },
	{ 0x00850013, "OptionalMfgFunction4" },
	{ 0x00850014, "OptionalMfgFunction5" },
	{ 0x00850015, "ConnectionToSMBus" },
	{ 0x00850016, "OutputConnection" },
	{ 0x00850017, "ChargerConnection" },
	{ 0x00850018, "BatteryInsertion" },
	{ 0x00850019, "Usenext" },
	{ 0x0085001a, "OKToUse" },
	{ 0x0085001b, "BatterySupported" },
	{ 0x0085001c, "SelectorRevision" },
	{ 0x0085001d, "ChargingIndicator" },
	{ 0x00850028, "ManufacturerAccess" },
	{ 0x00850029, "RemainingCapacityLimit" },
	{ 0x0085002a, "RemainingTimeLimit" },
	{ 0x0085002b, "AtRate" },
	{ 0x0085002c, "CapacityMode" },
	{ 0x0085002d, "BroadcastToCharger" },
	{ 0x0085002e, "PrimaryBattery" },
	{ 0x0085002f, "ChargeController" },
	{ 0x00850040, "TerminateCharge" },
	{ 0x00850041, "TerminateDischarge" },
	{ 0x00850042, "BelowRemainingCapacityLimit" },
	{ 0x00850043, "RemainingTimeLimitExpired" },
	{ 0x00850044, "Charging" },
	{ 0x00850045, "Discharging" },
	{ 0x00850046, "FullyCharged" },
	{ 0x00850047, "FullyDischarged" },
	{ 0x00850048, "ConditioningFlag" },
	{ 0x00850049, "AtRateOK" },
	{ 0x0085004a, "SMBErrorCode" },
	{ 0x0085004b, "NeedReplacement" },
	{ 0x00850060, "AtRateTimeToFull" },
	{ 0x00850061, "AtRateTimeToEmpty" },
	{ 0x00850062, "AverageCurrent" },
	{ 0x00850063, "Maxerror" },
	{ 0x00850064, "RelativeStateOfCharge" },
	{ 0x00850065, "AbsoluteStateOfCharge" },
	{ 0x00850066, "RemainingCapacity" },
	{ 0x00850067, "FullChargeCapacity" },
	{ 0x00850068, "RunTimeToEmpty" },
	{ 0x00850069, "AverageTimeToEmpty" },
	{ 0x0085006a, "AverageTimeToFull" },
	{ 0x0085006b, "CycleCount" },
	{ 0x00850080, "BattPackModelLevel" },
	{ 0x00850081, "InternalChargeController" },
	{ 0x00850082, "PrimaryBatterySupport" },
	{ 0x00850083, "DesignCapacity" },
	{ 0x00850084, "SpecificationInfo" },
	{ 0x00850085, "ManufacturerDate" },
	{ 0x00850086, "SerialNumber" },
	{ 0x00850087, "iManufacturerName" },
	{ 0x00850088, "iDevicename" },
	{ 0x00850089, "iDeviceChemistry" },
	{ 0x0085008a, "ManufacturerData" },
	{ 0x0085008b, "Rechargeable" },
	{ 0x0085008c, "WarningCapacityLimit" },
	{ 0x0085008d, "CapacityGranularity1" },
	{ 0x0085008e, "CapacityGranularity2" },
	{ 0x0085008f, "iOEMInformation" },
	{ 0x008500c0, "InhibitCharge" },
	{ 0x008500c1, "EnablePolling" },
	{ 0x008500c2, "ResetToZero" },
	{ 0x008500d0, "ACPresent" },
	{ 0x008500d1, "BatteryPresent" },
	{ 0x008500d2, "PowerFail" },
	{ 0x008500d3, "AlarmInhibited" },
	{ 0x008500d4, "ThermistorUnderRange" },
	{ 0x008500d5, "ThermistorHot" },
	{ 0x008500d6, "ThermistorCold" },
	{ 0x008500d7, "ThermistorOverRange" },
	{ 0x008500d8, "VoltageOutOfRange" },
	{ 0x008500d9, "CurrentOutOfRange" },
	{ 0x008500da, "CurrentNotRegulated" },
	{ 0x008500db, "VoltageNotRegulated" },
	{ 0x008500dc, "MasterMode" },
	{ 0x008500f0, "ChargerSelectorSupport" },
	{ 0x008500f1, "ChargerSpec" },
	{ 0x008500f2, "Level2" },
	{ 0x008500f3, "Level3" },
	/* Eaton/MGE vendor page (0xffff) */
	{ 0xffff0000, "Undefined" },
	{ 0xffff0001, "STS" },
	{ 0xffff0002, "Environment" },
	{ 0xffff0003, "Statistic" },
	{ 0xffff0004, "StatisticSystem" },
	{ 0xffff0005, "USB" },
	{ 0xffff0010, "Phase" },
	{ 0xffff0011, "PhaseID" },
	{ 0xffff0012, "Chopper" },
	{ 0xffff0013, "ChopperID" },
	{ 0xffff0014, "Inverter" },
	{ 0xffff0015, "InverterID" },
	{ 0xffff0016, "Rectifier" },
	{ 0xffff0017, "RectifierID" },
	{ 0xffff0018, "LCMSystem" },
	{ 0xffff0019, "LCMSystemID" },
	{ 0xffff001a, "LCMAlarm" },
	{ 0xffff001b, "LCMAlarmID" },
	{ 0xffff001c, "HistorySystem" },
	{ 0xffff001d, "HistorySystemID" },
	{ 0xffff001e, "Event" },
	{ 0xffff001f, "EventID" },
	{ 0xffff0020, "CircuitBreaker" },
	{ 0xffff0021, "TransferForbidden" },
	{ 0xffff0022, "OverallAlarm" },
	{ 0xffff0023, "Dephasing" },
	{ 0xffff0024, "BypassBreaker" },
	{ 0xffff0025, "PowerModule" },
	{ 0xffff0026, "PowerRate" },
	{ 0xffff0027, "PowerSource" },
	{ 0xffff0028, "CurrentPowerSource" },
	{ 0xffff0029, "RedundancyLevel" },
	{ 0xffff002a, "RedundancyLost" },
	{ 0xffff002b, "NotificationStatus" },
	{ 0xffff002c, "ProtectionLost" },
	{ 0xffff002d, "ConfigurationFailure" },
	{ 0xffff002e, "CompatibilityFailure" },
	{ 0xffff0040, "SwitchType" },
	{ 0xffff0041, "ConverterType" },
	{ 0xffff0042, "FrequencyConverterMode" },
	{ 0xffff0043, "AutomaticRestart" },
	{ 0xffff0044, "ForcedReboot" },
	{ 0xffff0045, "TestPeriod" },
	{ 0xffff0046, "EnergySaving" },
	{ 0xffff0047, "StartOnBattery" },
	{ 0xffff0048, "Schedule" },
	{ 0xffff0049, "DeepDischargeProtection" },
	{ 0xffff004a, "ShortCircuit" },
	{ 0xffff004b, "ExtendedVoltageMode" },
	{ 0xffff004c, "SensitivityMode" },
	{ 0xffff004d, "RemainingCapacityLimitSetting" },
	{ 0xffff004e, "ExtendedFrequencyMode" },
	{ 0xffff004f, "FrequencyConverterModeSetting" },
	{ 0xffff0050, "LowVoltageBoostTransfer" },
	{ 0xffff0051, "HighVoltageBoostTransfer" },
	{ 0xffff0052, "LowVoltageBuckTransfer" },
	{ 0xffff0053, "HighVoltageBuckTransfer" },
	{ 0xffff0054, "OverloadTransferEnable" },
	{ 0xffff0055, "OutOfToleranceTransferEnable" },
	{ 0xffff0056, "ForcedTransferEnable" },
	{ 0xffff0057, "LowVoltageBypassTransfer" },
	{ 0xffff0058, "HighVoltageBypassTransfer" },
	{ 0xffff0059, "FrequencyRangeBypassTransfer" },
	{ 0xffff005a, "LowVoltageEcoTransfer" },
	{ 0xffff005b, "HighVoltageEcoTransfer" },
	{ 0xffff005c, "FrequencyRangeEcoTransfer" },
	{ 0xffff005d, "ShutdownTimer" },
	{ 0xffff005e, "StartupTimer" },
	{ 0xffff005f, "RestartLevel" },
	{ 0xffff0060, "PhaseOutOfRange" },
	{ 0xffff0061, "CurrentLimitation" },
	{ 0xffff0062, "ThermalOverload" },
	{ 0xffff0063, "SynchroSource" },
	{ 0xffff0064, "FuseFault" },
	{ 0xffff0065, "ExternalProtectedTransfert" },
	{ 0xffff0066, "ExternalForcedTransfert" },
	{ 0xffff0067, "Compensation" },
	{ 0xffff0068, "EmergencyStop" },
	{ 0xffff0069, "PowerFactor" },
	{ 0xffff006a, "PeakFactor" },
	{ 0xffff006b, "ChargerType" },
	{ 0xffff006c, "HighPositiveDCBusVoltage" },
	{ 0xffff006d, "LowPositiveDCBusVoltage" },
	{ 0xffff006e, "HighNegativeDCBusVoltage" },
	{ 0xffff006f, "LowNegativeDCBusVoltage" },
	{ 0xffff0070, "FrequencyRangeTransfer" },
	{ 0xffff0071, "WiringFaultDetection" },
	{ 0xffff0072, "ControlStandby" },
	{ 0xffff0073, "ShortCircuitTolerance" },
	{ 0xffff0074, "VoltageTooHigh" },
	{ 0xffff0075, "VoltageTooLow" },
	{ 0xffff0076, "DCBusUnbalanced" },
	{ 0xffff0077, "FanFailure" },
	{ 0xffff0078, "WiringFault" },
	{ 0xffff0079, "Floating" },
	{ 0xffff007a, "OverCurrent" },
	{ 0xffff007b, "RemainingActivePower" },
	{ 0xffff007c, "Energy" },
	{ 0xffff007d, "Threshold" },
	{ 0xffff007e, "OverThreshold" },
	{ 0xffff0080, "Sensor" },
	{ 0xffff0081, "LowHumidity" },
	{ 0xffff0082, "HighHumidity" },
	{ 0xffff0083, "LowTemperature" },
	{ 0xffff0084, "HighTemperature" },
	{ 0xffff0085, "ECOControl" },
	{ 0xffff0086, "Efficiency" },
	{ 0xffff0087, "ABMEnable" },
	{ 0xffff0088, "NegativeCurrent" },
	{ 0xffff0089, "AutomaticStart" },
	{ 0xffff0090, "Count" },
	{ 0xffff0091, "Timer" },
	{ 0xffff0092, "Interval" },
	{ 0xffff0093, "TimerExpired" },
	{ 0xffff0094, "Mode" },
	{ 0xffff0095, "Country" },
	{ 0xffff0096, "State" },
	{ 0xffff0097, "Time" },
	{ 0xffff0098, "Code" },
	{ 0xffff0099, "DataValid" },
	{ 0xffff009a, "ToggleTimer" },
	{ 0xffff009b, "BypassTransferDelay" },
	{ 0xffff009c, "HysteresisVoltageTransfer" },
	{ 0xffff009d, "SlewRate" },
	{ 0xffff00a0, "PDU" },
	{ 0xffff00a1, "Breaker" },
	{ 0xffff00a2, "BreakerID" },
	{ 0xffff00a3, "OverVoltage" },
	{ 0xffff00a4, "Tripped" },
	{ 0xffff00a5, "OverEnergy" },
	{ 0xffff00a6, "OverHumidity" },
	{ 0xffff00a7, "ConfigurationReset" },
	{ 0xffff00a8, "Level" },
	{ 0xffff00a9, "PDUType" },
	{ 0xffff00aa, "ReactivePower" },
	{ 0xffff00ab, "Pole" },
	{ 0xffff00ac, "PoleID" },
	{ 0xffff00ad, "Reset" },
	{ 0xffff00ae, "WatchdogReset" },
	{ 0xffff00ba, "iDesignator" },
	{ 0xffff00e0, "COPIBridge" },
	{ 0xffff00e1, "Gateway" },
	{ 0xffff00e5, "System" },
	{ 0xffff00e9, "Status" },
	{ 0xffff00f0, "iModel" },
	{ 0xffff00f1, "iVersion" },
	{ 0xffff00f2, "iTechnicalLevel" },
	{ 0xffff00f3, "iPartNumber" },
	{ 0xffff00f4, "iReferenceNumber" },
	{ 0xffff00f5, "iGang" },
};

#define NNAMES (sizeof(names) / sizeof(names[0]))

static int cmp_usage(const void *key, const void *elem)
{
	hid_usage_t u = *(const hid_usage_t *)key;
	const struct usage_name *e = elem;

	return u < e->usage ? -1 : u > e->usage ? 1 : 0;
}

const char *hid_usage_name(hid_usage_t u)
{
	const struct usage_name *e;

	if (HID_IS_INDEX(u))
		return NULL;
	e = bsearch(&u, names, NNAMES, sizeof(names[0]), cmp_usage);
	return e ? e->name : NULL;
}

/* Names are not unique ("VoltageOutOfRange" is on two pages): the lowest
 * usage wins, i.e. the Power Device page first, as in NUT. */
int hid_usage_lookup(const char *name, size_t len, hid_usage_t *u)
{
	for (size_t i = 0; i < NNAMES; i++) {
		if (strlen(names[i].name) == len && memcmp(names[i].name, name, len) == 0) {
			*u = names[i].usage;
			return 0;
		}
	}
	return -1;
}

int hid_path_format(const struct hid_path *p, char *buf, size_t len)
{
	size_t used = 0;

	if (len == 0 || p->n > HID_PATH_MAX)
		return -1;
	buf[0] = '\0';
	for (unsigned i = 0; i < p->n; i++) {
		hid_usage_t u = p->node[i];
		const char *name = hid_usage_name(u);
		const char *dot = i ? "." : "";
		int r;

		if (HID_IS_INDEX(u))
			r = snprintf(buf + used, len - used, "%s[%u]", dot, (unsigned)(u & 0xffff));
		else if (name)
			r = snprintf(buf + used, len - used, "%s%s", dot, name);
		else
			r = snprintf(buf + used, len - used, "%s%08x", dot, (unsigned)u);
		if (r < 0 || (size_t)r >= len - used) {
			buf[0] = '\0';
			return -1;
		}
		used += (size_t)r;
	}
	return (int)used;
}

static int parse_index(const char *s, size_t len, hid_usage_t *u)
{
	unsigned n = 0;

	if (len < 3 || s[0] != '[' || s[len - 1] != ']' || len > 7)
		return -1;
	for (size_t i = 1; i < len - 1; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		n = n * 10 + (unsigned)(s[i] - '0');
	}
	if (n > 0xffff)
		return -1;
	*u = 0x00ff0000u | n;
	return 0;
}

static int parse_hex8(const char *s, size_t len, hid_usage_t *u)
{
	hid_usage_t v = 0;

	if (len != 8)
		return -1;
	for (size_t i = 0; i < 8; i++) {
		char c = s[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -1;
		v = (v << 4) | d;
	}
	*u = v;
	return 0;
}

int hid_path_parse(const char *s, struct hid_path *p)
{
	struct hid_path out = { 0 };

	if (!s || !*s)
		return -1;
	for (;;) {
		const char *dot = strchr(s, '.');
		size_t len = dot ? (size_t)(dot - s) : strlen(s);
		hid_usage_t u;

		if (len == 0 || out.n >= HID_PATH_MAX)
			return -1;
		if (parse_index(s, len, &u) != 0 && hid_usage_lookup(s, len, &u) != 0
				&& parse_hex8(s, len, &u) != 0)
			return -1;
		out.node[out.n++] = u;
		if (!dot)
			break;
		s = dot + 1;
	}
	*p = out;
	return 0;
}

bool hid_path_equal(const struct hid_path *a, const struct hid_path *b)
{
	if (a->n != b->n)
		return false;
	for (unsigned i = 0; i < a->n; i++)
		if (a->node[i] != b->node[i])
			return false;
	return true;
}

/* Same usage, or two usages printed with the same name (the duplicate
 * "VoltageOutOfRange" must match whichever page the device used). */
static bool node_match(hid_usage_t want, hid_usage_t have)
{
	const char *a, *b;

	if (want == have)
		return true;
	a = hid_usage_name(want);
	b = hid_usage_name(have);
	return a && b && strcmp(a, b) == 0;
}

static bool path_match(const struct hid_path *want, const struct hid_path *have)
{
	if (want->n != have->n)
		return false;
	for (unsigned i = 0; i < want->n; i++)
		if (!node_match(want->node[i], have->node[i]))
			return false;
	return true;
}

const struct hid_field *hid_find(const struct hid_desc *d, const char *path,
	enum hid_rtype type)
{
	static const enum hid_rtype order[] = { HID_FEATURE, HID_INPUT, HID_OUTPUT };
	struct hid_path want;

	if (!d || hid_path_parse(path, &want) != 0)
		return NULL;
	for (size_t k = 0; k < 3; k++) {
		enum hid_rtype t = type ? type : order[k];

		for (size_t i = 0; i < d->nfields; i++)
			if (d->fields[i].type == t && path_match(&want, &d->fields[i].path))
				return &d->fields[i];
		if (type)
			break;
	}
	return NULL;
}
