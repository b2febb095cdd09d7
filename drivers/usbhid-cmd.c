/*
 * usbhid-cmd: the instant commands, setvar and the -k shutdown of
 * usbhid-ups. Commands are rows of the MGE table (a value written to a
 * HID path); load.off/load.on, shutdown.return and shutdown.stayoff are
 * composed from the delayed ones, as NUT does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "usbhid.h"
#include "util.h"

static long delay_value(struct uh *u, const char *var, const char *opt, long dflt)
{
	const char *s = dstate_getinfo(u->ctx, var);
	long n;

	if (!s)
		s = drv_getval(u->ctx, opt);
	if (s && parse_long(s, -1, 1000000, &n) == 0)
		return n;
	return dflt;
}

/* the first command row for cmd whose path exists */
static const struct mge_entry *find_cmd(struct uh *u, const char *cmd)
{
	size_t i;

	for (i = 0; i < mge_table_len; i++)
		if ((mge_table[i].flags & MGE_F_CMD) && strcasecmp(mge_table[i].var, cmd) == 0 &&
		    hid_find(u->desc, mge_table[i].path, 0))
			return &mge_table[i];
	return NULL;
}

static int run_table_cmd(struct uh *u, const char *cmd, const char *param)
{
	const struct mge_entry *e = find_cmd(u, cmd);
	const char *value;
	double v;
	char *end;

	if (!e)
		return DRV_CMD_UNKNOWN;
	/* the delayed commands take the delay as argument */
	value = (param && (strcmp(cmd, "load.off.delay") == 0 || strcmp(cmd, "load.on.delay") == 0)) ?
		param : e->fmt;
	v = strtod(value, &end);
	if (end == value || *end)
		return DRV_CMD_INVALID;
	return uh_write_path(u, e->path, v) == 0 ? DRV_CMD_HANDLED : DRV_CMD_FAILED;
}

static int shutdown_sequence(struct uh *u, int stayoff)
{
	char sd[32], st[32];
	long ondelay = stayoff ? -1 : delay_value(u, "ups.delay.start", "ondelay", 30);
	long offdelay = delay_value(u, "ups.delay.shutdown", "offdelay", 20);
	int rc;

	snprintf(st, sizeof(st), "%ld", ondelay);
	snprintf(sd, sizeof(sd), "%ld", offdelay);
	rc = run_table_cmd(u, "load.on.delay", st);
	if (rc != DRV_CMD_HANDLED)
		return rc;
	usleep(125000);   /* the UPS wants the two writes apart */
	return run_table_cmd(u, "load.off.delay", sd);
}

static int do_instcmd(struct uh *u, const char *cmd, const char *param)
{
	if (strcasecmp(cmd, "beeper.off") == 0 || strcasecmp(cmd, "beeper.on") == 0) {
		log_warnx("%s: %s is deprecated, using beeper.%s", drv_upsname(u->ctx), cmd,
			strcasecmp(cmd, "beeper.off") == 0 ? "disable" : "enable");
		cmd = strcasecmp(cmd, "beeper.off") == 0 ? "beeper.disable" : "beeper.enable";
	}
	if (strcasecmp(cmd, "load.off") == 0)
		return run_table_cmd(u, "load.off.delay", "0");
	if (strcasecmp(cmd, "load.on") == 0)
		return run_table_cmd(u, "load.on.delay", "0");
	if (strcasecmp(cmd, "shutdown.return") == 0)
		return shutdown_sequence(u, 0);
	if (strcasecmp(cmd, "shutdown.stayoff") == 0)
		return shutdown_sequence(u, 1);
	return run_table_cmd(u, cmd, param);
}

int uh_cmd_instcmd(struct drv_ctx *ctx, const char *cmd, const char *param)
{
	struct uh *u = drv_priv(ctx);
	int rc;

	if (!st_has_cmd(dstate_tree(ctx), cmd)) {
		log_notice("%s: instcmd: unknown command [%s]", drv_upsname(ctx), cmd);
		return DRV_CMD_UNKNOWN;
	}
	if (!u->connected)
		return DRV_CMD_FAILED;
	rc = do_instcmd(u, cmd, param);
	if (rc == DRV_CMD_HANDLED) {
		u->force_full = 1;
		u->semi_due = 1;
		drv_poll_now(ctx);
	}
	log_info("%s: instcmd %s%s%s: %s", drv_upsname(ctx), cmd, param ? " " : "", param ? param : "",
		rc == DRV_CMD_HANDLED ? "handled" : "failed");
	return rc;
}

int uh_cmd_setvar(struct drv_ctx *ctx, const char *var, const char *value)
{
	struct uh *u = drv_priv(ctx);
	const struct uh_item *it = uh_find_item(u, var, MGE_F_RW);
	double v;
	long n;

	if (!it) {
		log_notice("%s: setvar: unknown variable [%s]", drv_upsname(ctx), var);
		return DRV_CMD_UNKNOWN;
	}
	if (it->e->flags & MGE_F_ABSENT) {   /* held in the driver only */
		if (strncmp(var, "ups.delay.", 10) == 0 && parse_long(value, -1, 1000000, &n) < 0)
			return DRV_CMD_INVALID;
		dstate_setinfo(ctx, var, "%s", value);
		return DRV_CMD_HANDLED;
	}
	if (mge_parse(it->e, value, &v) < 0)
		return DRV_CMD_INVALID;
	if (!u->connected || uh_write_path(u, it->e->path, v) < 0)
		return DRV_CMD_FAILED;
	u->force_full = 1;
	u->semi_due = 1;
	drv_poll_now(ctx);
	return DRV_CMD_HANDLED;
}

/* -k: the sdcommands list, else shutdown.return, shutdown.reboot, load.off.delay, shutdown.stayoff */
int uh_cmd_shutdown(struct drv_ctx *ctx)
{
	static const char *const dflt[] = { "shutdown.return", "shutdown.reboot", "load.off.delay", "shutdown.stayoff" };
	struct uh *u = drv_priv(ctx);
	const char *list = drv_getval(ctx, "sdcommands");
	char copy[512], *cmd, *save = NULL;
	size_t i;

	if (list && strcmp(list, "shutdown.default") != 0) {
		str_copy(copy, list, sizeof(copy));
		for (cmd = strtok_r(copy, ", ", &save); cmd; cmd = strtok_r(NULL, ", ", &save)) {
			if (do_instcmd(u, cmd, NULL) == DRV_CMD_HANDLED) {
				log_info("%s: shutdown with %s", drv_upsname(ctx), cmd);
				return 0;
			}
		}
		return -1;
	}
	for (i = 0; i < sizeof(dflt) / sizeof(dflt[0]); i++) {
		if (do_instcmd(u, dflt[i], NULL) == DRV_CMD_HANDLED) {
			log_info("%s: shutdown with %s", drv_upsname(ctx), dflt[i]);
			return 0;
		}
	}
	return -1;
}
