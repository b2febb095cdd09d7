/*
 * usbhid-ups: the USB HID UPS driver (Eaton/MGE mapping) on drvcore.
 *
 * A transport (libusb, or the simulator for port = "sim:MODEL") gives the
 * report descriptor and the reports; hid.h parses and decodes them;
 * mge-hid.c says what each path means. At start-up the mapping table is
 * walked once to keep the rows whose paths exist ("items"); each poll then
 * reads items (one GET_REPORT per report ID, cached for the cycle),
 * interrupt reports update them as they arrive, and ups.status is rebuilt
 * from the status conditions.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "usbhid.h"
#include "util.h"

static int uh_read_item(struct uh *u, const struct uh_item *it, double *value);
static void uh_lost(struct uh *u, int code);

/* ------------------------------------------------------------ transport */

static struct hid_transport *make_transport(struct uh *u)
{
	struct drv_ctx *ctx = u->ctx;
	const char *port = drv_port(ctx);
	struct hid_transport *t;
	char err[512], ctl[512], name[256];

	if (strncmp(port, "sim:", 4) == 0) {
		snprintf(name, sizeof(name), "usbhid-ups-%s.sim", drv_upsname(ctx));
		if (path_join(ctl, sizeof(ctl), nut_statepath(), name) < 0)
			fatalx("simulator socket path too long");
		t = ht_sim_new(port + 4, drv_loop(ctx), u->forceshutdown ? NULL : ctl, err, sizeof(err));
	} else {
#ifdef WITH_USB
		struct ht_usb_match m;
		struct ht_usb_opts o;

		uh_opt_usb(u, &m, &o);
		t = ht_libusb_new(&m, &o, err, sizeof(err));
#else
		snprintf(err, sizeof(err), "built without libusb-1.0: only port = \"sim:MODEL\" works");
		t = NULL;
#endif
	}
	if (!t)
		fatalx("%s: %s", drv_upsname(ctx), err);
	t->upsname = drv_upsname(ctx);
	return t;
}

static void intr_cb(struct ev_loop *loop, int fd, int events, void *arg);

static void watch_events(struct uh *u, int on)
{
	int fd = u->t->ops->event_fd ? u->t->ops->event_fd(u->t) : -1;

	if (fd < 0 || on == u->watching_fd)
		return;
	if (on && ev_add(drv_loop(u->ctx), fd, EV_READ, intr_cb, u) == 0)
		u->watching_fd = 1;
	else if (!on && ev_del(drv_loop(u->ctx), fd) == 0)
		u->watching_fd = 0;
}

/* open, then read and parse the descriptor; 0 or HT_ERR_* */
static int uh_connect(struct uh *u)
{
	char err[256];
	struct hid_desc *d;
	int rc, n;

	rc = u->t->ops->open(u->t);
	if (rc < 0)
		return rc;
	n = u->t->ops->get_descriptor(u->t, u->descbuf, sizeof(u->descbuf));
	if (n <= 0) {
		u->t->ops->close(u->t);
		return n < 0 ? n : HT_ERR_IO;
	}
	if (u->desc && (size_t)n == u->desclen) {
		u->connected = 1;   /* same device back: keep the items */
		return 0;
	}
	d = hid_parse(u->descbuf, (size_t)n, err, sizeof(err), NULL);
	if (!d) {
		log_warnx("%s: cannot parse the report descriptor: %s", drv_upsname(u->ctx), err);
		u->t->ops->close(u->t);
		return HT_ERR_IO;
	}
	if (u->desc)
		hid_desc_free(u->desc);
	u->desc = d;
	u->desclen = (size_t)n;
	u->connected = 1;
	log_debug(1, "%s: report descriptor: %d bytes, %zu fields", drv_upsname(u->ctx), n, d->nfields);
	return 0;
}

static void uh_lost(struct uh *u, int code)
{
	if (!u->connected)
		return;
	log_warnx("%s: lost the UPS: %s; reconnecting", drv_upsname(u->ctx), ht_strerror(code));
	watch_events(u, 0);
	u->t->ops->close(u->t);
	u->connected = 0;
	u->lost_ms = ev_clock_ms();
	dstate_datastale(u->ctx);
}

/* a transfer result: fatal ones drop the connection */
static int check_io(struct uh *u, int rc)
{
	if (rc == HT_ERR_NODEV || rc == HT_ERR_IO || rc == HT_ERR_ACCESS)
		uh_lost(u, rc);
	return rc;
}

/* ------------------------------------------------------------ report access */

/* the report of id for this cycle (cached); NULL when unreadable */
static const struct uh_cache *get_report(struct uh *u, uint8_t id)
{
	struct uh_cache *c = &u->cache[id];
	size_t want = u->desc->report_len[id];
	int n;

	if (c->gen == u->gen && c->len > 0)
		return c;
	if (!u->connected || want == 0 || want > sizeof(c->data))
		return NULL;
	n = u->t->ops->get_report(u->t, id, HID_FEATURE, c->data, want);
	if (n < 0) {
		check_io(u, n);
		log_debug(2, "%s: report 0x%02x: %s", drv_upsname(u->ctx), id, ht_strerror(n));
		return NULL;
	}
	if ((size_t)n < want || c->data[0] != id) {
		log_debug(1, "%s: report 0x%02x: bad answer (%d bytes, id 0x%02x)",
			drv_upsname(u->ctx), id, n, n > 0 ? c->data[0] : 0);
		c->len = 0;
		return NULL;
	}
	c->len = (size_t)n;
	c->gen = u->gen;
	return c;
}

static void invalidate_cache(struct uh *u)
{
	u->gen++;
}

static int uh_read_item(struct uh *u, const struct uh_item *it, double *value)
{
	const struct uh_cache *c = get_report(u, it->f->report_id);

	if (!c)
		return -1;
	return hid_get_value(it->f, c->data, c->len, value);
}

static const struct hid_field *writable_field(struct uh *u, const char *path)
{
	const struct hid_field *f = hid_find(u->desc, path, HID_FEATURE);

	if (!f)
		f = hid_find(u->desc, path, HID_OUTPUT);
	/* Constant,Array (data byte 0x01) fields are read-only */
	if (f && (f->flags & 0xff) == 0x01)
		return NULL;
	return f;
}

/* SET_REPORT one field: patch the cached report, send it all, drop the cache */
int uh_write_path(struct uh *u, const char *path, double value)
{
	const struct hid_field *f;
	const struct uh_cache *c;
	uint8_t buf[UH_REPORT_MAX];
	int rc;

	if (!u->connected || !(f = writable_field(u, path)))
		return -1;
	c = get_report(u, f->report_id);
	if (c) {
		memcpy(buf, c->data, c->len);
	} else {
		memset(buf, 0, sizeof(buf));
		buf[0] = f->report_id;
	}
	if (hid_set_value(f, buf, u->desc->report_len[f->report_id], value) < 0)
		return -1;
	rc = u->t->ops->set_report(u->t, HID_FEATURE, buf, u->desc->report_len[f->report_id]);
	invalidate_cache(u);
	log_debug(1, "%s: set %s = %g: %s", drv_upsname(u->ctx), path, value,
		rc < 0 ? ht_strerror(rc) : "ok");
	if (rc < 0) {
		check_io(u, rc);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ publishing */

static const char *env_getinfo(void *arg, const char *var)
{
	return dstate_getinfo(arg, var);
}

static void set_rw_flags(struct uh *u, const struct mge_entry *e)
{
	const struct mge_lookup *l;
	struct drv_ctx *ctx = u->ctx;

	if (!(e->flags & MGE_F_RW))
		return;
	if (e->flags & MGE_F_ENUM) {
		dstate_setflags(ctx, e->var, ST_FLAG_RW);
		for (l = e->lookup; l && l->text; l++)
			dstate_addenum(ctx, e->var, l->text);
	} else {
		dstate_setflags(ctx, e->var, ST_FLAG_RW | ST_FLAG_STRING);
		dstate_setaux(ctx, e->var, e->aux ? e->aux : 10);
	}
}

static void vnominal_enums(struct uh *u, const char *var, double value)
{
	const char *vals[16];
	size_t n, i;

	if (u->vnominal_done)
		return;
	u->vnominal_done = 1;
	n = mge_vnominal_enums(lround(value), u->pegasus, vals, 16);
	for (i = 0; i < n; i++)
		dstate_addenum(u->ctx, var, vals[i]);
}

/* the string behind a string-index value */
static int index_string(struct uh *u, double value, char *out, size_t len)
{
	int n = u->t->ops->get_string(u->t, (int)value, out, len);

	if (n < 0) {
		check_io(u, n);
		return 0;
	}
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	return 1;
}

/* one value of an item into the state; 1 when a variable got a value */
static int apply_value(struct uh *u, struct uh_item *it, double value)
{
	const struct mge_entry *e = it->e;
	struct mge_env env = { env_getinfo, u->ctx };
	char text[ST_MAX_VALUE_LEN + 1];
	const char *charge;

	if (e->flags & MGE_F_STATUS) {
		charge = dstate_getinfo(u->ctx, "battery.charge");
		mge_status_apply(e, value, charge ? strtod(charge, NULL) : -1, &u->conds);
		return 0;
	}
	if (e->flags & MGE_F_ALARM) {
		it->alarm = value != 0;
		return 0;
	}
	if (e->conv == MGE_CONV_STRING) {
		if (!index_string(u, value, text, sizeof(text)))
			return 0;
	} else if (!mge_format(e, value, &env, text, sizeof(text))) {
		return 0;
	}
	dstate_setinfo(u->ctx, e->var, "%s", text);
	if (e->conv == MGE_CONV_VNOMINAL)
		vnominal_enums(u, e->var, value);
	return 1;
}

static int poll_wanted(const struct uh *u, const struct uh_item *it, int full)
{
	const struct mge_entry *e = it->e;

	if (e->flags & (MGE_F_CMD | MGE_F_ABSENT))
		return 0;
	switch (e->poll) {
	case MGE_POLL_QUICK: return 1;
	case MGE_POLL_FULL: return full;
	case MGE_POLL_SEMI: return full && (u->semi_due || u->pollonly);
	case MGE_POLL_STATIC: return full && u->pollonly;
	}
	return 0;
}

static void alarm_cb(void *arg, const char *text)
{
	alarm_set(arg, text);
}

static void publish_status(struct uh *u)
{
	const char *charge = dstate_getinfo(u->ctx, "battery.charge"), *reason;
	char text[256], *tok, *save = NULL;
	size_t i;

	reason = mge_transfer_reason(u->conds);
	if (reason)
		dstate_setinfo(u->ctx, "input.transfer.reason", "%s", reason);
	else
		dstate_delinfo(u->ctx, "input.transfer.reason");
	alarm_init(u->ctx);
	mge_status_alarms(u->conds, alarm_cb, u->ctx);
	for (i = 0; i < u->nitems; i++)
		if (u->items[i].alarm)
			alarm_set(u->ctx, u->items[i].e->fmt);
	alarm_commit(u->ctx);
	mge_status_text(u->conds, charge ? strtod(charge, NULL) : -1, &u->sopts, text, sizeof(text));
	status_init(u->ctx);
	for (tok = strtok_r(text, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		status_set(u->ctx, tok);
	status_commit(u->ctx);
}

/* ------------------------------------------------------------ interrupts */

static void process_interrupt(struct uh *u, const uint8_t *buf, size_t n)
{
	uint8_t id = buf[0];
	size_t i, used = 0;
	double v;

	if (!u->desc->report_len[id] || n < u->desc->report_len[id]) {
		log_debug(1, "%s: ignoring interrupt report 0x%02x of %zu bytes", drv_upsname(u->ctx), id, n);
		return;
	}
	if (n <= sizeof(u->cache[id].data)) {   /* Feature reads this cycle see it too */
		memcpy(u->cache[id].data, buf, n);
		u->cache[id].len = n;
		u->cache[id].gen = u->gen;
	}
	for (i = 0; i < u->nitems; i++) {
		struct uh_item *it = &u->items[i];

		if (!it->fin || it->fin->report_id != id || (it->e->flags & (MGE_F_CMD | MGE_F_ABSENT)))
			continue;
		if (hid_get_value(it->fin, buf, n, &v) == 0) {
			apply_value(u, it, v);
			used++;
		}
	}
	log_debug(2, "%s: interrupt report 0x%02x: %zu items", drv_upsname(u->ctx), id, used);
}

/* drain the interrupt pipe; 1 when something arrived */
static int read_interrupts(struct uh *u, int timeout_ms)
{
	uint8_t buf[UH_REPORT_MAX];
	size_t cap = u->interruptsize ? (size_t)u->interruptsize : sizeof(buf);
	int n, got = 0, rounds = 0;

	while (u->connected && rounds++ < 64) {
		n = u->t->ops->read_interrupt(u->t, buf, cap, timeout_ms);
		if (n == 0 || n == HT_ERR_TIMEOUT)
			break;
		if (n < 0) {
			check_io(u, n);
			break;
		}
		process_interrupt(u, buf, (size_t)n);
		got = 1;
		timeout_ms = 0;
	}
	return got;
}

static void intr_cb(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct uh *u = arg;

	(void)loop;
	(void)fd;
	(void)events;
	if (u->pollonly) {
		read_interrupts(u, 0);   /* keep the pipe drained, use nothing */
		return;
	}
	if (read_interrupts(u, 0) && u->connected)
		publish_status(u);
}

/* ------------------------------------------------------------ items */

static int var_allowed(const struct uh *u, const struct mge_entry *e)
{
	if ((e->flags & MGE_F_PEGASUS) && !u->pegasus)
		return 0;
	if ((e->flags & MGE_F_NOTPEGASUS) && u->pegasus)
		return 0;
	return !(e->flags & MGE_F_MODELVOLT);   /* no Evolution/5P/9E types here */
}

static const char *absent_text(struct uh *u, const struct mge_entry *e)
{
	if (strcmp(e->var, "ups.delay.start") == 0 && drv_getval(u->ctx, "ondelay"))
		return drv_getval(u->ctx, "ondelay");
	if (strcmp(e->var, "ups.delay.shutdown") == 0 && drv_getval(u->ctx, "offdelay"))
		return drv_getval(u->ctx, "offdelay");
	return e->fmt;
}

/* walk the table: keep rows whose path exists, first usable row per variable */
static void build_items(struct uh *u, int publish)
{
	const struct mge_entry *e;
	struct uh_item it;
	double v;
	size_t i;

	free(u->items);
	u->items = xcalloc(mge_table_len, sizeof(*u->items));
	u->nitems = 0;
	for (i = 0; i < mge_table_len; i++) {
		e = &mge_table[i];
		memset(&it, 0, sizeof(it));
		it.e = e;
		it.f = hid_find(u->desc, e->path, 0);
		if (!it.f || !var_allowed(u, e))
			continue;
		it.fin = hid_find(u->desc, e->path, HID_INPUT);
		if (e->var && !(e->flags & MGE_F_CMD) && dstate_getinfo(u->ctx, e->var))
			continue;   /* an earlier row already gave it a value */
		if (e->flags & MGE_F_CMD) {
			if (st_has_cmd(dstate_tree(u->ctx), e->var))
				continue;
			if (publish)
				dstate_addcmd(u->ctx, e->var);
		} else if (e->flags & MGE_F_ABSENT) {
			dstate_setinfo(u->ctx, e->var, "%s", absent_text(u, e));
			set_rw_flags(u, e);
		} else if (uh_read_item(u, &it, &v) == 0 && apply_value(u, &it, v) && e->var) {
			set_rw_flags(u, e);
		}
		u->items[u->nitems++] = it;
	}
}

const struct uh_item *uh_find_item(const struct uh *u, const char *var, unsigned flag)
{
	size_t i;

	for (i = 0; i < u->nitems; i++)
		if (u->items[i].e->var && strcasecmp(u->items[i].e->var, var) == 0 &&
		    (!flag || (u->items[i].e->flags & flag)))
			return &u->items[i];
	return NULL;
}

/* ------------------------------------------------------------ identity */

static void identity(struct uh *u)
{
	struct drv_ctx *ctx = u->ctx;
	const struct ht_devinfo *di = &u->t->info;
	const struct hid_field *f;
	const struct uh_cache *c;
	char imodel[HT_STR_MAX] = "", model[2 * HT_STR_MAX + 2];
	double v;

	f = hid_find(u->desc, "UPS.PowerSummary.iModel", 0);
	if (f && (c = get_report(u, f->report_id)) && hid_get_value(f, c->data, c->len, &v) == 0 && v > 0)
		index_string(u, v, imodel, sizeof(imodel));
	f = hid_find(u->desc, "UPS.Flow.[4].ConfigApparentPower", 0);
	if (!imodel[0] && f && (c = get_report(u, f->report_id)) &&
	    hid_get_value(f, c->data, c->len, &v) == 0)
		snprintf(imodel, sizeof(imodel), "%.0f", v);
	mge_model_name(di->product, imodel, model, sizeof(model), &u->pegasus);
	dstate_setinfo(ctx, "ups.mfr", "%s", di->vendor[0] ? di->vendor : "Eaton");
	dstate_setinfo(ctx, "ups.model", "%s", model);
	if (di->serial[0])
		dstate_setinfo(ctx, "ups.serial", "%s", di->serial);
	dstate_setinfo(ctx, "ups.vendorid", "%04x", di->vendorid);
	dstate_setinfo(ctx, "ups.productid", "%04x", di->productid);
	dstate_setinfo(ctx, "driver.version.data", "%s", MGE_HID_VERSION);
	dstate_setinfo(ctx, "driver.version.usb", "%s", u->t->ops->name);
	dstate_setinfo(ctx, "driver.parameter.pollfreq", "%ld", u->pollfreq);
}

/* ------------------------------------------------------------ explore */

static void explore(struct uh *u)
{
	static const char *const types[] = { "?", "Input", "Output", "Feature" };
	char path[512];
	const struct uh_cache *c;
	double v;
	size_t i;

	log_info("%s: %zu HID fields", drv_upsname(u->ctx), u->desc->nfields);
	for (i = 0; i < u->desc->nfields; i++) {
		const struct hid_field *f = &u->desc->fields[i];

		if (hid_path_format(&f->path, path, sizeof(path)) < 0)
			str_copy(path, "(path too long)", sizeof(path));
		c = get_report(u, f->report_id);
		if (c && hid_get_value(f, c->data, c->len, &v) == 0)
			log_info("Path: %s, Type: %s, ReportID: 0x%02x, Offset: %u, Size: %u, Value: %g",
				path, types[f->type <= 3 ? f->type : 0], f->report_id,
				(unsigned)f->offset, (unsigned)f->size, v);
		else
			log_info("Path: %s, Type: %s, ReportID: 0x%02x, Offset: %u, Size: %u, Value: (unreadable)",
				path, types[f->type <= 3 ? f->type : 0], f->report_id,
				(unsigned)f->offset, (unsigned)f->size);
	}
}

/* ------------------------------------------------------------ driver ops */

static int uh_initups(struct drv_ctx *ctx)
{
	struct uh *u = drv_priv(ctx);
	long tries, delay, i;
	int rc = HT_ERR_NOTFOUND;

	u->ctx = ctx;
	uh_opt_read(u);
	tries = uh_opt_long(ctx, "maxretry", 1, 1000, 1);
	delay = uh_opt_long(ctx, "retrydelay", 0, 3600, 5);
	u->t = make_transport(u);
	for (i = 0; i < tries; i++) {
		if (i > 0) {
			log_info("%s: retrying in %ld s (attempt %ld of %ld)", drv_upsname(ctx), delay, i + 1, tries);
			sleep((unsigned)delay);
		}
		rc = uh_connect(u);
		if (rc == 0)
			break;
		log_warnx("%s: %s", drv_upsname(ctx), rc == HT_ERR_NOTFOUND ?
			"No matching HID UPS found (no matching USB device)" : ht_strerror(rc));
	}
	if (rc < 0)
		return -1;
	if (!mge_claims(u->t->info.vendorid, u->t->info.productid) && !drv_getval(ctx, "productid") &&
	    !u->subdriver_set)
		log_warnx("%s: device %04x:%04x is not a known MGE/Eaton product, trying anyway",
			drv_upsname(ctx), u->t->info.vendorid, u->t->info.productid);
	log_info("%s: using %s, %s %s (%04x:%04x)", drv_upsname(ctx), u->t->ops->name,
		u->t->info.vendor, u->t->info.product, u->t->info.vendorid, u->t->info.productid);
	return 0;
}

static void apply_lowbatt(struct uh *u)
{
	const char *lb = drv_getval(u->ctx, "lowbatt");
	const struct uh_item *it;
	double v;

	if (!lb || !(it = uh_find_item(u, "battery.charge.low", MGE_F_RW)))
		return;
	if (mge_parse(it->e, lb, &v) == 0 && uh_write_path(u, it->e->path, v) == 0)
		dstate_setinfo(u->ctx, "battery.charge.low", "%s", lb);
	else
		log_warnx("%s: cannot set battery.charge.low to %s", drv_upsname(u->ctx), lb);
}

static int uh_initinfo(struct drv_ctx *ctx)
{
	struct uh *u = drv_priv(ctx);

	invalidate_cache(u);
	identity(u);
	if (u->explore)
		explore(u);
	build_items(u, 1);
	if (st_has_cmd(dstate_tree(ctx), "load.off.delay"))
		dstate_addcmd(ctx, "load.off");
	if (st_has_cmd(dstate_tree(ctx), "load.on.delay"))
		dstate_addcmd(ctx, "load.on");
	if (st_has_cmd(dstate_tree(ctx), "load.off.delay") && st_has_cmd(dstate_tree(ctx), "load.on.delay")) {
		dstate_addcmd(ctx, "shutdown.return");
		dstate_addcmd(ctx, "shutdown.stayoff");
	}
	apply_lowbatt(u);
	watch_events(u, !u->pollonly);
	u->last_full_ms = ev_clock_ms();
	publish_status(u);
	dstate_dataok(ctx);
	return 0;
}

static void poll_items(struct uh *u, int full)
{
	double v;
	size_t i;

	for (i = 0; i < u->nitems && u->connected; i++) {
		struct uh_item *it = &u->items[i];

		if (poll_wanted(u, it, full) && uh_read_item(u, it, &v) == 0)
			apply_value(u, it, v);
	}
	if (full)
		u->semi_due = 0;
}

static void try_reconnect(struct uh *u)
{
	int rc;

	if (u->waitbeforereconnect && ev_clock_ms() - u->lost_ms < (uint64_t)u->waitbeforereconnect * 1000)
		return;
	rc = uh_connect(u);
	if (rc < 0) {
		if (u->errors_logged++ == 0)
			log_warnx("%s: reconnect failed: %s (retrying every poll)", drv_upsname(u->ctx), ht_strerror(rc));
		return;
	}
	log_info("%s: reconnected (%u failed attempts before)", drv_upsname(u->ctx), u->errors_logged);
	u->errors_logged = 0;
	u->force_full = 1;
	watch_events(u, !u->pollonly);
}

static void uh_updateinfo(struct drv_ctx *ctx)
{
	struct uh *u = drv_priv(ctx);
	uint64_t now = ev_clock_ms();
	int full;

	if (!u->connected) {
		try_reconnect(u);
		if (!u->connected)
			return;
	}
	invalidate_cache(u);
	if (!u->pollonly && !u->watching_fd)
		read_interrupts(u, 250);
	else if (!u->pollonly)
		read_interrupts(u, 0);
	full = u->force_full || now - u->last_full_ms >= (uint64_t)u->pollfreq * 1000;
	if (!u->interruptonly)
		poll_items(u, full);
	if (!u->connected)
		return;
	if (full) {
		u->force_full = 0;
		u->last_full_ms = now;
	}
	publish_status(u);
	dstate_dataok(ctx);
}

static void uh_cleanup(struct drv_ctx *ctx)
{
	struct uh *u = drv_priv(ctx);

	if (u->t) {
		watch_events(u, 0);
		u->t->ops->destroy(u->t);
		u->t = NULL;
	}
	if (u->desc)
		hid_desc_free(u->desc);
	free(u->items);
}

int main(int argc, char **argv)
{
	static const struct drv_ops ops = {
		.name = "usbhid-ups",
		.version = UH_VERSION,
		.desc = "Generic HID driver",
		.makevartable = uh_opt_vartable,
		.initups = uh_initups,
		.initinfo = uh_initinfo,
		.updateinfo = uh_updateinfo,
		.instcmd = uh_cmd_instcmd,
		.setvar = uh_cmd_setvar,
		.shutdown = uh_cmd_shutdown,
		.cleanup = uh_cleanup,
	};
	static struct uh u;
	int i;

	/* a -k run must not take over a running driver's simulator socket */
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "-k") == 0)
			u.forceshutdown = 1;
	return drv_main(argc, argv, &ops, &u);
}
