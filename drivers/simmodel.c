/*
 * simmodel: the simulated UPS (see simmodel.h). Values live in slots, one
 * per distinct HID path; reports are encoded from and decoded into them.
 * Behaviour is a small state machine advanced by sim_model_tick.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hiddesc.h"
#include "pconf.h"
#include "simmodel.h"
#include "util.h"

#define SIM_REPORT_MAX 512

/* HID paths the behaviour reads and writes (absent ones are skipped). */
#define P_ACPRESENT   "UPS.PowerSummary.PresentStatus.ACPresent"
#define P_BELOWLIMIT  "UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit"
#define P_CHARGING    "UPS.PowerSummary.PresentStatus.Charging"
#define P_DISCHARGING "UPS.PowerSummary.PresentStatus.Discharging"
#define P_GOOD        "UPS.PowerSummary.PresentStatus.Good"
#define P_OVERLOAD    "UPS.PowerSummary.PresentStatus.Overload"
#define P_SDIMMINENT  "UPS.PowerSummary.PresentStatus.ShutdownImminent"
#define P_CHARGE      "UPS.PowerSummary.RemainingCapacity"
#define P_RUNTIME     "UPS.PowerSummary.RunTimeToEmpty"
#define P_LIMIT       "UPS.PowerSummary.RemainingCapacityLimit"
#define P_LIMITSET    "UPS.PowerSummary.RemainingCapacityLimitSetting"
#define P_SDDELAY     "UPS.PowerSummary.DelayBeforeShutdown"
#define P_STDELAY     "UPS.PowerSummary.DelayBeforeStartup"
#define P_LOAD        "UPS.PowerSummary.PercentLoad"
#define P_OUTVOLT     "UPS.PowerConverter.Output.Voltage"
#define P_OUTVOLTNOM  "UPS.Flow.[4].ConfigVoltage"
#define P_TEST        "UPS.BatterySystem.Battery.Test"
#define P_BEEP1       "UPS.BatterySystem.Battery.AudibleAlarmControl"
#define P_BEEP2       "UPS.PowerSummary.AudibleAlarmControl"

#define NOUTLETS 4   /* HID Outlet.[1]..[4] */

struct sim_slot {
	char *path;
	double value;
};

struct sim_model {
	const uint8_t *descbytes;       /* static storage of hiddesc */
	size_t desclen;
	struct hid_desc *desc;
	struct sim_slot *slots;
	size_t nslots;
	size_t *slot_of;               /* per field */
	char *strings[SIM_STRINGS_MAX];
	uint16_t vid, pid, bcd;
	uint8_t imfr, iprod, iserial;

	/* behaviour */
	int mains;
	int load_on;
	int restart_on_mains;          /* load went off with an empty battery */
	double charge;                 /* % */
	double full_runtime;           /* s at 100 % */
	double load_pct;
	double dis_rate, chg_rate;     /* % per second */
	double sd_left, st_left;       /* countdowns in s, < 0 idle */
	double test_left;              /* battery test, < 0 idle */
	int outlet_on[NOUTLETS + 1];
	double outlet_sd[NOUTLETS + 1], outlet_st[NOUTLETS + 1];
	uint64_t last_ms;

	/* interrupt reports: last Input report sent per ID, and the queue */
	uint8_t *sent[256];
	struct { uint8_t data[SIM_REPORT_MAX]; size_t len; } queue[SIM_QUEUE_MAX];
	size_t qhead, qlen;
};

/* Captured reports of a real Ellipse ECO 650, online and fully charged
 * (captures/ellipse-eco-650.reports.txt). */
static const char *const eco650_reports[] = {
	"01 25 00 00", "02 01 00 00 01", "06 64 52 05 00 00", "09 ff ff ff ff",
	"0a ff ff ff ff", "0d 8a 02 32", "10 05 01 03 02 04 06", "13 08 01",
	"1f 02", "20 01", "22 14",
};

/* Values the 650 capture lacks, from real ECO upsc dumps (ECO 1200 2.8.0,
 * ECO 650 2.8.0, ECO 1600 2.6.0). */
static const struct { const char *path; double value; } eco650_values[] = {
	{ "UPS.PowerConverter.Output.LowVoltageTransfer", 184 },
	{ P_OUTVOLT, 230 },
	{ P_OUTVOLTNOM, 230 },
	{ P_LOAD, 8 },
	{ P_LIMIT, 20 },
	{ "UPS.OutletSystem.Outlet.[1].OutletID", 1 },
	{ "UPS.OutletSystem.Outlet.[2].OutletID", 2 },
	{ "UPS.OutletSystem.Outlet.[3].OutletID", 3 },
	{ "UPS.OutletSystem.Outlet.[1].PresentStatus.Switchable", 0 },
	{ "UPS.OutletSystem.Outlet.[2].PresentStatus.Switchable", 0 },
	{ "UPS.OutletSystem.Outlet.[3].PresentStatus.Switchable", 0 },
	{ "UPS.OutletSystem.Outlet.[1].ConfigApparentPower", 25 },
	{ "UPS.OutletSystem.Outlet.[2].PresentStatus.Present", 1 },
	{ "UPS.OutletSystem.Outlet.[3].PresentStatus.Present", 1 },
	{ "UPS.OutletSystem.Outlet.[2].DelayBeforeShutdown", -1 },
	{ "UPS.OutletSystem.Outlet.[2].DelayBeforeStartup", -1 },
	{ "UPS.OutletSystem.Outlet.[3].DelayBeforeShutdown", -1 },
	{ "UPS.OutletSystem.Outlet.[3].DelayBeforeStartup", -1 },
	{ P_TEST, 6 },
};

/* USB strings of a real ECO (dmesg, captures): 1 mfr, 2 product, 4 serial;
 * 3, 5, 6 are what report 0x10 points at. */
static const char *const eco650_strings[] = {
	NULL, "EATON", "Ellipse ECO", "650", "000000000", "PbAc", "02",
};

/* ------------------------------------------------------------ slots */

static long slot_find(const struct sim_model *m, const char *path)
{
	size_t i;

	for (i = 0; i < m->nslots; i++)
		if (strcasecmp(m->slots[i].path, path) == 0)
			return (long)i;
	return -1;
}

static int build_slots(struct sim_model *m)
{
	char path[512];
	size_t i;
	long s;

	m->slots = xcalloc(m->desc->nfields + 1, sizeof(*m->slots));
	m->slot_of = xcalloc(m->desc->nfields + 1, sizeof(*m->slot_of));
	for (i = 0; i < m->desc->nfields; i++) {
		if (hid_path_format(&m->desc->fields[i].path, path, sizeof(path)) < 0)
			return -1;
		s = slot_find(m, path);
		if (s < 0) {
			s = (long)m->nslots++;
			m->slots[s].path = xstrdup(path);
		}
		m->slot_of[i] = (size_t)s;
	}
	return 0;
}

static double val(const struct sim_model *m, const char *path, double dflt)
{
	long s = slot_find(m, path);

	return s < 0 ? dflt : m->slots[s].value;
}

static void put(struct sim_model *m, const char *path, double v)
{
	long s = slot_find(m, path);

	if (s >= 0)
		m->slots[s].value = v;
}

static int has(const struct sim_model *m, const char *path)
{
	return slot_find(m, path) >= 0;
}

static void outlet_path(char *out, size_t len, int n, const char *leaf)
{
	snprintf(out, len, "UPS.OutletSystem.Outlet.[%d].%s", n, leaf);
}

/* ------------------------------------------------------------ reports */

/* encode every field of id, types in order (later types win on overlap) */
static int encode(const struct sim_model *m, uint8_t id, enum hid_rtype first,
	enum hid_rtype second, uint8_t *buf, size_t len)
{
	size_t n = m->desc->report_len[id], i, pass;
	enum hid_rtype order[2] = { first, second };

	if (n == 0 || n > len)
		return -1;
	memset(buf, 0, n);
	buf[0] = id;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < m->desc->nfields; i++) {
			const struct hid_field *f = &m->desc->fields[i];

			if (f->report_id == id && f->type == order[pass])
				hid_set_value(f, buf, n, m->slots[m->slot_of[i]].value);
		}
	}
	return (int)n;
}

/* decode a report into the values; types: Feature+Output (write) or any */
static void decode(struct sim_model *m, const uint8_t *buf, size_t len, int writes_only)
{
	double v;
	size_t i;

	if (len < 1)
		return;
	for (i = 0; i < m->desc->nfields; i++) {
		const struct hid_field *f = &m->desc->fields[i];

		if (f->report_id != buf[0] || (writes_only && f->type == HID_INPUT))
			continue;
		if (hid_get_value(f, buf, len, &v) == 0)
			m->slots[m->slot_of[i]].value = v;
	}
}

static int has_input(const struct sim_model *m, uint8_t id)
{
	size_t i;

	for (i = 0; i < m->desc->nfields; i++)
		if (m->desc->fields[i].report_id == id && m->desc->fields[i].type == HID_INPUT)
			return 1;
	return 0;
}

static void queue_push(struct sim_model *m, const uint8_t *buf, size_t len)
{
	size_t slot;

	if (len > SIM_REPORT_MAX)
		len = SIM_REPORT_MAX;
	if (m->qlen == SIM_QUEUE_MAX) {   /* the host is not reading: drop the oldest */
		m->qhead = (m->qhead + 1) % SIM_QUEUE_MAX;
		m->qlen--;
	}
	slot = (m->qhead + m->qlen) % SIM_QUEUE_MAX;
	memcpy(m->queue[slot].data, buf, len);
	m->queue[slot].len = len;
	m->qlen++;
}

/* queue every Input report whose bytes changed since it was last sent */
static void emit_changes(struct sim_model *m, int quiet)
{
	uint8_t buf[SIM_REPORT_MAX];
	int id, n;

	for (id = 1; id < 256; id++) {
		if (!m->desc->report_len[id] || !has_input(m, (uint8_t)id))
			continue;
		n = encode(m, (uint8_t)id, HID_FEATURE, HID_INPUT, buf, sizeof(buf));
		if (n <= 0)
			continue;
		if (!m->sent[id])
			m->sent[id] = xcalloc(1, (size_t)n);
		else if (memcmp(m->sent[id], buf, (size_t)n) == 0)
			continue;
		memcpy(m->sent[id], buf, (size_t)n);
		if (!quiet)
			queue_push(m, buf, (size_t)n);
	}
}

/* ------------------------------------------------------------ behaviour */

static double limit_pct(const struct sim_model *m)
{
	return val(m, P_LIMITSET, val(m, P_LIMIT, 20));
}

/* low battery as the host sees it: the reported (rounded) charge under the limit */
static int is_low(const struct sim_model *m)
{
	return floor(m->charge + 0.5) < limit_pct(m);
}

static double countdown_value(double left)
{
	return left < 0 ? -1 : ceil(left - 1e-9);
}

/* the behavioural state into the values */
static void publish(struct sim_model *m)
{
	char p[128];
	int low = is_low(m), k;

	put(m, P_ACPRESENT, m->mains);
	put(m, P_CHARGING, m->mains);   /* a real ECO keeps it set at 100 % (0x25) */
	put(m, P_DISCHARGING, (!m->mains && m->load_on) || m->test_left >= 0);
	put(m, P_GOOD, m->load_on);
	put(m, P_BELOWLIMIT, low);
	put(m, P_SDIMMINENT, low && !m->mains && m->load_on);
	put(m, P_CHARGE, floor(m->charge + 0.5));
	put(m, P_RUNTIME, floor(m->charge / 100.0 * m->full_runtime + 0.5));
	put(m, P_LIMIT, limit_pct(m));
	put(m, P_SDDELAY, countdown_value(m->sd_left));
	put(m, P_STDELAY, countdown_value(m->st_left));
	put(m, P_LOAD, m->load_on ? floor(m->load_pct + 0.5) : 0);
	put(m, P_OUTVOLT, m->load_on ? val(m, P_OUTVOLTNOM, 230) : 0);
	for (k = 2; k <= NOUTLETS; k++) {
		outlet_path(p, sizeof(p), k, "PresentStatus.SwitchOn/Off");
		put(m, p, m->load_on && m->outlet_on[k]);
		outlet_path(p, sizeof(p), k, "DelayBeforeShutdown");
		put(m, p, countdown_value(m->outlet_sd[k]));
		outlet_path(p, sizeof(p), k, "DelayBeforeStartup");
		put(m, p, countdown_value(m->outlet_st[k]));
	}
}

static void run_countdowns(struct sim_model *m, double dt)
{
	int k;

	if (m->sd_left >= 0) {
		m->sd_left -= dt;
		if (m->sd_left <= 0) {
			m->sd_left = -1;
			m->load_on = 0;
		}
	} else if (!m->load_on && m->st_left >= 0 && m->mains) {
		m->st_left -= dt;
		if (m->st_left <= 0) {
			m->st_left = -1;
			m->load_on = 1;
		}
	}
	for (k = 2; k <= NOUTLETS; k++) {
		if (m->outlet_sd[k] >= 0 && (m->outlet_sd[k] -= dt) <= 0) {
			m->outlet_sd[k] = -1;
			m->outlet_on[k] = 0;
		}
		if (m->outlet_st[k] >= 0 && (m->outlet_st[k] -= dt) <= 0) {
			m->outlet_st[k] = -1;
			m->outlet_on[k] = 1;
		}
	}
}

static void run_battery(struct sim_model *m, double dt)
{
	if (m->test_left >= 0) {
		m->test_left -= dt;
		m->charge -= m->dis_rate * dt;
		if (m->test_left <= 0) {
			m->test_left = -1;
			put(m, P_TEST, is_low(m) ? 3 : 1);   /* error / passed */
		}
	} else if (m->mains) {
		m->charge += m->chg_rate * dt;
	} else if (m->load_on) {
		m->charge -= m->dis_rate * dt;
	}
	if (m->charge > 100)
		m->charge = 100;
	if (m->charge <= 0) {
		m->charge = 0;
		if (m->load_on && !m->mains) {   /* battery exhausted: output dies */
			m->load_on = 0;
			m->restart_on_mains = 1;
		}
	}
	if (m->restart_on_mains && m->mains && !m->load_on) {
		m->restart_on_mains = 0;
		m->load_on = 1;
	}
}

void sim_model_tick(struct sim_model *m, uint64_t now_ms)
{
	double dt;

	if (now_ms <= m->last_ms)
		return;
	dt = (double)(now_ms - m->last_ms) / 1000.0;
	m->last_ms = now_ms;
	run_countdowns(m, dt);
	run_battery(m, dt);
	publish(m);
	emit_changes(m, 0);
}

void sim_model_set_mains(struct sim_model *m, int present)
{
	m->mains = present != 0;
	publish(m);
	emit_changes(m, 0);
}

void sim_model_set_rates(struct sim_model *m, double discharge, double charge)
{
	if (discharge >= 0)
		m->dis_rate = discharge;
	if (charge >= 0)
		m->chg_rate = charge;
}

static void test_command(struct sim_model *m, double v)
{
	if (v == 1 || v == 2) {           /* quick / deep */
		m->test_left = v == 1 ? 10 : 60;
		put(m, P_TEST, 5);            /* in progress */
	} else if (v == 3 && m->test_left >= 0) {
		m->test_left = -1;
		put(m, P_TEST, 4);            /* aborted */
	}
}

/* a value the host (or the control socket) wrote: what the device does */
static void react(struct sim_model *m, const char *path, double v)
{
	char p[128];
	int k;

	if (strcasecmp(path, P_SDDELAY) == 0) {
		m->sd_left = v < 0 ? -1 : v;
		if (v == 0) {
			m->sd_left = -1;
			m->load_on = 0;
		}
	} else if (strcasecmp(path, P_STDELAY) == 0) {
		m->st_left = v < 0 ? -1 : v;
	} else if (strcasecmp(path, P_CHARGE) == 0) {
		m->charge = v;
	} else if (strcasecmp(path, P_ACPRESENT) == 0) {
		m->mains = v != 0;
	} else if (strcasecmp(path, P_LOAD) == 0) {
		m->load_pct = v;
	} else if (strcasecmp(path, P_TEST) == 0) {
		test_command(m, v);
	}
	for (k = 2; k <= NOUTLETS; k++) {
		outlet_path(p, sizeof(p), k, "DelayBeforeShutdown");
		if (strcasecmp(path, p) == 0)
			m->outlet_sd[k] = v < 0 ? -1 : v;
		outlet_path(p, sizeof(p), k, "DelayBeforeStartup");
		if (strcasecmp(path, p) == 0)
			m->outlet_st[k] = v < 0 ? -1 : v;
		outlet_path(p, sizeof(p), k, "PresentStatus.SwitchOn/Off");
		if (strcasecmp(path, p) == 0)
			m->outlet_on[k] = v != 0;
	}
}

/* ------------------------------------------------------------ requests */

int sim_model_get_report(struct sim_model *m, uint8_t id, enum hid_rtype type,
	uint8_t *buf, size_t len)
{
	if (type == HID_INPUT)
		return encode(m, id, HID_FEATURE, HID_INPUT, buf, len);
	return encode(m, id, HID_INPUT, HID_FEATURE, buf, len);
}

int sim_model_set_report(struct sim_model *m, enum hid_rtype type, const uint8_t *buf, size_t len)
{
	size_t i, n = 0;
	long idx[SIM_REPORT_MAX];

	(void)type;
	if (len < 1 || !m->desc->report_len[buf[0]] || len < m->desc->report_len[buf[0]])
		return -1;
	for (i = 0; i < m->desc->nfields && n < SIM_REPORT_MAX; i++) {
		if (m->desc->fields[i].report_id == buf[0] && m->desc->fields[i].type != HID_INPUT) {
			idx[n++] = (long)m->slot_of[i];
		}
	}
	decode(m, buf, len, 1);
	/* every written field reacts (a repeated delay restarts its countdown) */
	for (i = 0; i < n; i++)
		react(m, m->slots[idx[i]].path, m->slots[idx[i]].value);
	publish(m);
	emit_changes(m, 0);
	return (int)len;
}

int sim_model_get_string(const struct sim_model *m, int index, char *buf, size_t len)
{
	if (index <= 0 || index >= SIM_STRINGS_MAX || !m->strings[index])
		return -1;
	return (int)str_copy(buf, m->strings[index], len);
}

int sim_model_pop_interrupt(struct sim_model *m, uint8_t *buf, size_t len)
{
	size_t n;

	if (m->qlen == 0)
		return 0;
	n = m->queue[m->qhead].len;
	if (n > len)
		n = len;   /* the host's buffer limits it (interruptsize) */
	memcpy(buf, m->queue[m->qhead].data, n);
	m->qhead = (m->qhead + 1) % SIM_QUEUE_MAX;
	m->qlen--;
	return (int)n;
}

size_t sim_model_pending(const struct sim_model *m)
{
	return m->qlen;
}

void sim_model_push_raw(struct sim_model *m, const uint8_t *buf, size_t len)
{
	queue_push(m, buf, len);
}

int sim_model_set(struct sim_model *m, const char *path, double value)
{
	long s = slot_find(m, path);

	if (s < 0)
		return -1;
	m->slots[s].value = value;
	react(m, m->slots[s].path, value);
	publish(m);
	emit_changes(m, 0);
	return 0;
}

int sim_model_get(const struct sim_model *m, const char *path, double *value)
{
	long s = slot_find(m, path);

	if (s < 0)
		return -1;
	*value = m->slots[s].value;
	return 0;
}

/* ------------------------------------------------------------ inspection */

void sim_model_status(const struct sim_model *m, struct buf *out)
{
	double beep = val(m, P_BEEP1, val(m, P_BEEP2, 0));
	int k;

	buf_printf(out, "mains: %s\n", m->mains ? "on" : "off");
	buf_printf(out, "load: %s\n", m->load_on ? "on" : "off");
	buf_printf(out, "charge: %.1f\n", m->charge);
	buf_printf(out, "runtime: %.0f\n", floor(m->charge / 100.0 * m->full_runtime + 0.5));
	buf_printf(out, "low: %s\n", is_low(m) ? "yes" : "no");
	buf_printf(out, "rate.discharge: %g\n", m->dis_rate);
	buf_printf(out, "rate.charge: %g\n", m->chg_rate);
	buf_printf(out, "timer.shutdown: %.0f\n", countdown_value(m->sd_left));
	buf_printf(out, "timer.start: %.0f\n", countdown_value(m->st_left));
	buf_printf(out, "beeper: %s\n", beep == 1 ? "disabled" : beep == 3 ? "muted" :
		(!m->mains && m->load_on) ? "beeping" : "enabled");
	buf_printf(out, "test: %s\n", m->test_left >= 0 ? "running" : "idle");
	for (k = 2; k <= NOUTLETS; k++) {
		char p[128];

		outlet_path(p, sizeof(p), k, "OutletID");
		if (has(m, p))
			buf_printf(out, "outlet.%d: %s\n", k - 1, m->load_on && m->outlet_on[k] ? "on" : "off");
	}
	buf_printf(out, "interrupts.pending: %zu\n", m->qlen);
}

void sim_model_dump(const struct sim_model *m, struct buf *out)
{
	size_t i;

	for (i = 0; i < m->nslots; i++)
		buf_printf(out, "%s: %g\n", m->slots[i].path, m->slots[i].value);
}

const uint8_t *sim_model_descriptor(const struct sim_model *m, size_t *len)
{
	*len = m->desclen;
	return m->descbytes;
}

const struct hid_desc *sim_model_desc(const struct sim_model *m)
{
	return m->desc;
}

void sim_model_ids(const struct sim_model *m, uint16_t *vid, uint16_t *pid, uint16_t *bcd,
	uint8_t *imfr, uint8_t *iprod, uint8_t *iserial)
{
	*vid = m->vid;
	*pid = m->pid;
	*bcd = m->bcd;
	*imfr = m->imfr;
	*iprod = m->iprod;
	*iserial = m->iserial;
}

/* ------------------------------------------------------------ construction */

/* "06 64 52 05" into bytes; count or -1 */
static int parse_hex(int argc, char **argv, uint8_t *out, size_t max)
{
	long b;
	int i;
	char *end;

	if (argc < 1 || (size_t)argc > max)
		return -1;
	for (i = 0; i < argc; i++) {
		b = strtol(argv[i], &end, 16);
		if (*end || end == argv[i] || b < 0 || b > 255)
			return -1;
		out[i] = (uint8_t)b;
	}
	return argc;
}

static int load_report_text(struct sim_model *m, const char *text)
{
	char copy[256], *words[64], *save = NULL, *w;
	uint8_t bytes[64];
	int n = 0;

	str_copy(copy, text, sizeof(copy));
	for (w = strtok_r(copy, " ", &save); w && n < 64; w = strtok_r(NULL, " ", &save))
		words[n++] = w;
	n = parse_hex(n, words, bytes, sizeof(bytes));
	if (n < 1)
		return -1;
	decode(m, bytes, (size_t)n, 0);
	return 0;
}

static void set_string(struct sim_model *m, int index, const char *s)
{
	free(m->strings[index]);
	m->strings[index] = s ? xstrdup(s) : NULL;
}

/* behaviour state from the values just loaded */
static void init_behaviour(struct sim_model *m, uint64_t now_ms)
{
	int k;

	m->mains = val(m, P_ACPRESENT, 1) != 0;
	m->load_on = 1;
	m->charge = val(m, P_CHARGE, 100);
	if (m->full_runtime <= 0)
		m->full_runtime = m->charge > 0 ? val(m, P_RUNTIME, 1362) * 100.0 / m->charge : 1362;
	m->load_pct = val(m, P_LOAD, 8);
	m->dis_rate = 100.0 / m->full_runtime;   /* real time: empty after the runtime */
	m->chg_rate = 100.0 / (3 * 3600.0);      /* about 3 h to recharge */
	m->sd_left = m->st_left = m->test_left = -1;
	for (k = 0; k <= NOUTLETS; k++) {
		m->outlet_on[k] = 1;
		m->outlet_sd[k] = m->outlet_st[k] = -1;
	}
	m->last_ms = now_ms;
}

/* the descriptor rows' own values (online, charged) for every field */
static void seed_rows(struct sim_model *m)
{
	const struct hiddesc_row *rows;
	uint8_t buf[SIM_REPORT_MAX];
	size_t n, i, j;
	double v;

	rows = hid_eco650_rows(&n);
	for (i = 0; i < n; i++) {
		for (j = 0; j < m->desc->nfields; j++) {
			const struct hid_field *f = &m->desc->fields[j];

			if (f->report_id != rows[i].id || f->type != rows[i].type ||
			    f->offset != rows[i].offset || f->size != rows[i].size)
				continue;
			memset(buf, 0, sizeof(buf));
			buf[0] = f->report_id;
			if (hid_set_logical(f, buf, sizeof(buf), rows[i].value) == 0 &&
			    hid_get_value(f, buf, sizeof(buf), &v) == 0)
				m->slots[m->slot_of[j]].value = v;
		}
	}
}

static int builtin_eco650(struct sim_model *m, char *err, size_t errlen)
{
	char perr[256];
	size_t i;

	m->descbytes = hid_eco650_descriptor(&m->desclen);
	if (!m->descbytes) {
		snprintf(err, errlen, "cannot build the ellipse-eco-650 descriptor");
		return -1;
	}
	m->desc = hid_parse(m->descbytes, m->desclen, perr, sizeof(perr), NULL);
	if (!m->desc) {
		snprintf(err, errlen, "ellipse-eco-650 descriptor: %s", perr);
		return -1;
	}
	if (build_slots(m) < 0) {
		snprintf(err, errlen, "ellipse-eco-650 descriptor: path too long");
		return -1;
	}
	seed_rows(m);
	for (i = 0; i < sizeof(eco650_values) / sizeof(eco650_values[0]); i++)
		put(m, eco650_values[i].path, eco650_values[i].value);
	for (i = 0; i < sizeof(eco650_reports) / sizeof(eco650_reports[0]); i++)
		load_report_text(m, eco650_reports[i]);
	for (i = 1; i < sizeof(eco650_strings) / sizeof(eco650_strings[0]); i++)
		set_string(m, (int)i, eco650_strings[i]);
	m->vid = 0x0463;
	m->pid = 0xffff;
	m->bcd = 0x0100;
	m->imfr = 1;
	m->iprod = 2;
	m->iserial = 4;
	return 0;
}

static int builtin(struct sim_model *m, const char *name, char *err, size_t errlen)
{
	if (strcmp(name, "ellipse-eco-650") == 0)
		return builtin_eco650(m, err, errlen);
	snprintf(err, errlen, "unknown built-in model '%s' (known: ellipse-eco-650)", name);
	return -1;
}

struct model_file {
	struct sim_model *m;
	char err[256];
	int failed;
};

static int file_error(struct model_file *mf, const char *file, unsigned line, const char *why)
{
	snprintf(mf->err, sizeof(mf->err), "%s:%u: %s", file, line, why);
	mf->failed = 1;
	return 1;
}

static int number(const char *s, double *out)
{
	char *end;

	*out = strtod(s, &end);
	return (*s && !*end && isfinite(*out)) ? 0 : -1;
}

static int file_directive(struct model_file *mf, const char *file, unsigned line,
	int argc, char **argv)
{
	struct sim_model *m = mf->m;
	uint8_t bytes[SIM_REPORT_MAX];
	double a, b = -1;
	long idx;
	int n;

	if (!m->desc)
		return strcmp(argv[0], "model") != 0 || argc != 2 ? file_error(mf, file, line,
			"the first directive must be: model NAME") :
			builtin(m, argv[1], mf->err, sizeof(mf->err)) < 0 ? (mf->failed = 1) : 0;
	if (strcmp(argv[0], "string") == 0 && argc == 3) {
		if (parse_long(argv[1], 1, SIM_STRINGS_MAX - 1, &idx) < 0)
			return file_error(mf, file, line, "string index must be 1..31");
		set_string(m, (int)idx, argv[2]);
	} else if (strcmp(argv[0], "value") == 0 && argc == 3) {
		if (number(argv[2], &a) < 0)
			return file_error(mf, file, line, "value: not a number");
		if (!has(m, argv[1]))
			return file_error(mf, file, line, "value: path not in the descriptor");
		put(m, argv[1], a);
	} else if (strcmp(argv[0], "report") == 0) {
		n = parse_hex(argc - 1, argv + 1, bytes, sizeof(bytes));
		if (n < 1 || !m->desc->report_len[bytes[0]])
			return file_error(mf, file, line, "report: hex bytes of a known report ID");
		decode(m, bytes, (size_t)n, 0);
	} else if (strcmp(argv[0], "rate") == 0 && (argc == 2 || argc == 3)) {
		if (number(argv[1], &a) < 0 || a < 0 || (argc == 3 && (number(argv[2], &b) < 0 || b < 0)))
			return file_error(mf, file, line, "rate: DISCHARGE [CHARGE] in % per second");
		m->dis_rate = a;
		if (argc == 3)
			m->chg_rate = b;
	} else if (strcmp(argv[0], "runtime") == 0 && argc == 2) {
		if (number(argv[1], &a) < 0 || a <= 0)
			return file_error(mf, file, line, "runtime: seconds > 0");
		m->full_runtime = a;
	} else if (strcmp(argv[0], "load") == 0 && argc == 2) {
		if (number(argv[1], &a) < 0 || a < 0 || a > 200)
			return file_error(mf, file, line, "load: percent 0..200");
		put(m, P_LOAD, a);
		m->load_pct = a;
	} else {
		return file_error(mf, file, line, "unknown directive or wrong number of words");
	}
	return 0;
}

static int file_cb(void *arg, const char *file, unsigned line, int argc, char **argv)
{
	struct model_file *mf = arg;

	if (argc < 1)
		return 0;
	return file_directive(mf, file, line, argc, argv);
}

static void file_err(void *arg, const char *file, unsigned line, const char *msg)
{
	struct model_file *mf = arg;

	if (!mf->failed)
		snprintf(mf->err, sizeof(mf->err), "%s:%u: %s", file, line, msg);
	mf->failed = 1;
}

/* rates and runtime given in the file survive init_behaviour */
static int load_file(struct sim_model *m, const char *path, uint64_t now_ms, char *err, size_t errlen)
{
	struct model_file mf;
	double dis = -1, chg = -1;

	memset(&mf, 0, sizeof(mf));
	mf.m = m;
	m->dis_rate = m->chg_rate = -1;
	if (pconf_file(path, file_cb, file_err, &mf) < 0) {
		snprintf(err, errlen, "cannot read model file %s", path);
		return -1;
	}
	if (!mf.failed && !m->desc)
		file_error(&mf, path, 1, "empty model file (need: model NAME)");
	if (mf.failed) {
		snprintf(err, errlen, "%s", mf.err);
		return -1;
	}
	dis = m->dis_rate;
	chg = m->chg_rate;
	init_behaviour(m, now_ms);
	sim_model_set_rates(m, dis, chg);
	return 0;
}

struct sim_model *sim_model_new(const char *spec, uint64_t now_ms, char *err, size_t errlen)
{
	struct sim_model *m = xcalloc(1, sizeof(*m));
	int rc;

	if (strchr(spec, '/')) {
		rc = load_file(m, spec, now_ms, err, errlen);
	} else {
		rc = builtin(m, spec, err, errlen);
		if (rc == 0)
			init_behaviour(m, now_ms);
	}
	if (rc < 0) {
		sim_model_free(m);
		return NULL;
	}
	publish(m);
	emit_changes(m, 1);   /* remember the first reports without sending them */
	return m;
}

void sim_model_free(struct sim_model *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->nslots; i++)
		free(m->slots[i].path);
	for (i = 0; i < SIM_STRINGS_MAX; i++)
		free(m->strings[i]);
	for (i = 0; i < 256; i++)
		free(m->sent[i]);
	free(m->slots);
	free(m->slot_of);
	if (m->desc)
		hid_desc_free(m->desc);
	free(m);
}
