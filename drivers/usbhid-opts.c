/*
 * usbhid-opts: the ups.conf options of usbhid-ups. Every key NUT 2.8.x's
 * usbhid-ups accepts (its own, nut_usb_addvars' USB ones, and the core
 * keys our drvcore does not take itself) is registered, so an existing
 * ups.conf never stops the driver. What has a meaning here is used; the
 * rest (other vendors' fix-ups, Windows, log throttling we do not do) is
 * accepted with a debug note saying so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <regex.h>

#include "log.h"
#include "usbhid.h"
#include "util.h"

struct uh_optdef {
	int type;
	const char *name;
	const char *desc;
	const char *ignored;   /* non-NULL: accepted, not used, and why */
};

static const struct uh_optdef uh_opts[] = {
	{ DRV_VAR_VALUE, "lowbatt", "Set low battery level, in % (default=30)", NULL },
	{ DRV_VAR_VALUE, "offdelay", "Set shutdown delay, in seconds (default=20)", NULL },
	{ DRV_VAR_VALUE, "ondelay", "Set startup delay, in seconds (default=30)", NULL },
	{ DRV_VAR_VALUE, "pollfreq", "Set polling frequency, in seconds, to reduce data flow (default=30)", NULL },
	{ DRV_VAR_FLAG, "pollonly", "Don't use interrupt pipe, only use polling", NULL },
	{ DRV_VAR_VALUE, "interrupt_pipe_no_events_tolerance",
		"How many times in a row do we tolerate \"Got 0 HID objects\" from USB interrupts?",
		"an interrupt report that updates nothing never forces a reconnect here" },
	{ DRV_VAR_FLAG, "onlinedischarge", "Set to treat discharging while online as being offline/on-battery (DEPRECATED, use onlinedischarge_onbattery)", NULL },
	{ DRV_VAR_FLAG, "onlinedischarge_onbattery", "Set to treat discharging while online as being offline/on-battery", NULL },
	{ DRV_VAR_FLAG, "onlinedischarge_calibration", "Set to treat discharging while online as doing calibration", NULL },
	{ DRV_VAR_VALUE, "onlinedischarge_log_throttle_sec",
		"Set to throttle log messages about discharging while online (only so often)",
		"this driver does not log discharging-while-online repeatedly" },
	{ DRV_VAR_VALUE, "onlinedischarge_log_throttle_hovercharge",
		"Set to throttle log messages about discharging while online (only if battery.charge is under this value)",
		"this driver does not log discharging-while-online repeatedly" },
	{ DRV_VAR_VALUE, "lbrb_log_delay_sec",
		"Set to delay status-setting (and log messages) about device in LB or LB+RB state",
		"LB is reported as soon as the UPS reports it" },
	{ DRV_VAR_FLAG, "lbrb_log_delay_without_calibrating",
		"Set to apply lbrb_log_delay_sec even if device is not calibrating",
		"LB is reported as soon as the UPS reports it" },
	{ DRV_VAR_FLAG, "disable_fix_report_desc",
		"Set to disable fix-ups for broken USB encoding, etc. which we apply by default on certain vendors/products",
		"the MGE HID subdriver applies no report descriptor fix-ups" },
	{ DRV_VAR_FLAG, "powercom_sdcmd_byte_order_fallback",
		"Set to use legacy byte order for Powercom HID shutdown commands",
		"Powercom devices only" },
	{ DRV_VAR_FLAG, "powercom_sdcmd_discrete_delay",
		"Set to use discrete timing table for Powercom HID shutdown commands",
		"Powercom devices only" },
	{ DRV_VAR_VALUE, "subdriver", "Explicit USB HID subdriver selection", NULL },
	{ DRV_VAR_FLAG, "winhid", "Use the experimental native Windows HID backend instead of libusb (WIN32 only)",
		"Windows only" },
	{ DRV_VAR_VALUE, "vendor", "Regular expression to match UPS Manufacturer string", NULL },
	{ DRV_VAR_VALUE, "product", "Regular expression to match UPS Product string", NULL },
	{ DRV_VAR_VALUE, "serial", "Regular expression to match UPS Serial number", NULL },
	{ DRV_VAR_VALUE, "vendorid", "Regular expression to match UPS Manufacturer numerical ID (4 digits hexadecimal)", NULL },
	{ DRV_VAR_VALUE, "productid", "Regular expression to match UPS Product numerical ID (4 digits hexadecimal)", NULL },
	{ DRV_VAR_VALUE, "bus", "Regular expression to match USB bus name", NULL },
	{ DRV_VAR_VALUE, "device", "Regular expression to match USB device name", NULL },
	{ DRV_VAR_VALUE, "busport", "Regular expression to match USB bus port name", NULL },
	{ DRV_VAR_FLAG, "allow_duplicates",
		"If you have several UPS devices which may not be uniquely identified, allow each driver instance to take the first match if available",
		"a busy matching device is always skipped for the next one" },
	{ DRV_VAR_VALUE, "usb_set_altinterface", "Force redundant call to usb_set_altinterface() (value=bAlternateSetting; default=0)", NULL },
	{ DRV_VAR_VALUE, "usb_config_index", "Deeper tuning of USB communications for complex devices", NULL },
	{ DRV_VAR_VALUE, "usb_hid_rep_index", "Deeper tuning of USB communications for complex devices", NULL },
	{ DRV_VAR_VALUE, "usb_hid_desc_index", "Deeper tuning of USB communications for complex devices", NULL },
	{ DRV_VAR_VALUE, "usb_hid_ep_in", "Deeper tuning of USB communications for complex devices", NULL },
	{ DRV_VAR_VALUE, "usb_hid_ep_out", "Deeper tuning of USB communications for complex devices",
		"no interrupt OUT transfers are made: reports are written with SET_REPORT" },
	{ DRV_VAR_FLAG, "explore", "Diagnostic matching of unsupported UPS", NULL },
	{ DRV_VAR_FLAG, "maxreport", "Activate tweak for buggy APC Back-UPS firmware", "APC devices only" },
	{ DRV_VAR_FLAG, "interruptonly", "Don't use polling, only use interrupt pipe", NULL },
	{ DRV_VAR_VALUE, "interruptsize", "Number of bytes to read from interrupt pipe", NULL },
	{ DRV_VAR_VALUE, "waitbeforereconnect", "Seconds to wait before trying to reconnect (default=0)", NULL },
	/* NUT's driver core takes these; ours leaves them to the driver */
	{ DRV_VAR_VALUE, "maxretry", "Attempts to find the device at start-up (default=1)", NULL },
	{ DRV_VAR_VALUE, "retrydelay", "Seconds between start-up attempts (default=5)", NULL },
	{ DRV_VAR_VALUE, "sdcommands", "Comma-separated list of instant commands to try for shutdown", NULL },
	{ DRV_VAR_VALUE, "LIBUSB_DEBUG", "Set libusb-1.0 log level (0..4)", NULL },
	{ DRV_VAR_FLAG, "allow_killpower", "Allow the driver.killpower command",
		"killpower is only done with -k here" },
	{ DRV_VAR_VALUE, "reconnect_max_tries", "Reconnection attempts before giving up",
		"the driver retries every poll until the device is back" },
	{ DRV_VAR_VALUE, "reconnect_report_freq", "How often to report failed reconnections",
		"a failed reconnection is logged once, then on success" },
};

void uh_opt_vartable(struct drv_ctx *ctx)
{
	size_t i;

	for (i = 0; i < sizeof(uh_opts) / sizeof(uh_opts[0]); i++)
		drv_addvar(ctx, uh_opts[i].type, uh_opts[i].name, uh_opts[i].desc);
}

long uh_opt_long(struct drv_ctx *ctx, const char *name, long min, long max, long dflt)
{
	const char *v = drv_getval(ctx, name);
	long n;

	if (!v)
		return dflt;
	if (parse_long(v, min, max, &n) < 0)
		fatalx("%s: invalid value for %s: '%s' (%ld..%ld)", drv_upsname(ctx), name, v, min, max);
	return n;
}

/* NUT reads the usb_* tuning values as hexadecimal */
static long opt_hex(struct drv_ctx *ctx, const char *name, long dflt)
{
	const char *v = drv_getval(ctx, name);
	char *end;
	long n;

	if (!v)
		return dflt;
	n = strtol(v, &end, 16);
	if (end == v || *end || n < 0 || n > 255)
		fatalx("%s: invalid value for %s: '%s' (hex 0..ff)", drv_upsname(ctx), name, v);
	return n;
}

/* NUT's order: the exact name, the regex as given, then with ".*" added */
static int subdriver_matches(const char *want, const char *name)
{
	char pattern[600];
	size_t len = strlen(want);
	regex_t re;
	int i, hit = 0;

	if (strcmp(want, name) == 0)
		return 1;
	for (i = 0; i < 2 && !hit; i++) {
		if (i == 1 && len >= 2 && want[len - 2] == '.' && want[len - 1] == '*')
			break;
		snprintf(pattern, sizeof(pattern), "^(%s%s)$", want, i ? ".*" : "");
		if (regcomp(&re, pattern, REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0)
			continue;
		hit = regexec(&re, name, 0, NULL, 0) == 0;
		regfree(&re);
	}
	return hit;
}

static void check_subdriver(struct uh *u)
{
	struct drv_ctx *ctx = u->ctx;
	const char *want = drv_getval(ctx, "subdriver");

	if (!want)
		return;
	if (!subdriver_matches(want, MGE_HID_VERSION))
		fatalx("%s: Configuration requested subdriver '%s' but none matched "
			"(this driver has only '%s')", drv_upsname(ctx), want, MGE_HID_VERSION);
	if (strncmp(drv_port(ctx), "sim:", 4) != 0 &&
	    (!drv_getval(ctx, "vendorid") || !drv_getval(ctx, "productid")))
		fatalx("%s: When specifying a subdriver, 'vendorid' and 'productid' are mandatory.",
			drv_upsname(ctx));
	u->subdriver_set = 1;
	log_debug(1, "%s: subdriver '%s' selects %s", drv_upsname(ctx), want, MGE_HID_VERSION);
}

static void note_ignored(struct drv_ctx *ctx)
{
	size_t i;

	for (i = 0; i < sizeof(uh_opts) / sizeof(uh_opts[0]); i++)
		if (uh_opts[i].ignored && drv_testvar(ctx, uh_opts[i].name))
			log_debug(1, "%s: option %s accepted but not used: %s", drv_upsname(ctx),
				uh_opts[i].name, uh_opts[i].ignored);
}

void uh_opt_read(struct uh *u)
{
	struct drv_ctx *ctx = u->ctx;

	u->pollfreq = uh_opt_long(ctx, "pollfreq", 1, 86400, 30);
	u->pollonly = drv_testvar(ctx, "pollonly");
	u->interruptonly = drv_testvar(ctx, "interruptonly");
	u->interruptsize = (int)uh_opt_long(ctx, "interruptsize", 1, UH_REPORT_MAX, 0);
	u->explore = drv_testvar(ctx, "explore");
	u->waitbeforereconnect = uh_opt_long(ctx, "waitbeforereconnect", 0, 3600, 0);
	u->sopts.onlinedischarge_onbattery = drv_testvar(ctx, "onlinedischarge") ||
		drv_testvar(ctx, "onlinedischarge_onbattery");
	u->sopts.onlinedischarge_calibration = drv_testvar(ctx, "onlinedischarge_calibration");
	if (u->pollonly && u->interruptonly)
		fatalx("%s: pollonly and interruptonly exclude each other", drv_upsname(ctx));
	uh_opt_long(ctx, "lowbatt", 0, 100, 0);
	uh_opt_long(ctx, "ondelay", -1, 1000000, 30);
	uh_opt_long(ctx, "offdelay", -1, 1000000, 20);
	uh_opt_long(ctx, "usb_set_altinterface", 0, 255, 0);
	uh_opt_long(ctx, "LIBUSB_DEBUG", 0, 4, 0);
	check_subdriver(u);
	note_ignored(ctx);
}

void uh_opt_usb(struct uh *u, struct ht_usb_match *m, struct ht_usb_opts *o)
{
	struct drv_ctx *ctx = u->ctx;
	long ep;

	memset(m, 0, sizeof(*m));
	m->vendorid = drv_getval(ctx, "vendorid");
	m->productid = drv_getval(ctx, "productid");
	m->vendor = drv_getval(ctx, "vendor");
	m->product = drv_getval(ctx, "product");
	m->serial = drv_getval(ctx, "serial");
	m->bus = drv_getval(ctx, "bus");
	m->device = drv_getval(ctx, "device");
	m->busport = drv_getval(ctx, "busport");
	memset(o, 0, sizeof(*o));
	o->interface = (int)opt_hex(ctx, "usb_hid_rep_index", 0);
	o->desc_index = (int)opt_hex(ctx, "usb_hid_desc_index", -1);
	/* NUT's usb_hid_ep_in is the endpoint number; IN is implied */
	ep = opt_hex(ctx, "usb_hid_ep_in", -1);
	if (ep > 15)
		fatalx("%s: invalid value for usb_hid_ep_in: '%s' (hex 0..f)", drv_upsname(ctx),
			drv_getval(ctx, "usb_hid_ep_in"));
	o->ep_in = ep >= 0 ? (int)(0x80 | ep) : -1;
	o->config_index = (int)opt_hex(ctx, "usb_config_index", 0);
	o->interrupt_size = u->interruptsize;
	o->timeout_ms = 5000;
	o->altsetting = drv_testvar(ctx, "usb_set_altinterface") ?
		(int)uh_opt_long(ctx, "usb_set_altinterface", 0, 255, 0) : -1;
	o->libusb_debug = (int)uh_opt_long(ctx, "LIBUSB_DEBUG", 0, 4, -1);
}
