/*
 * notify: notification table and delivery (see notify.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"
#include "spawn.h"
#include "util.h"

#define SW (NOTIFY_SYSLOG | NOTIFY_WALL)

static const struct {
	const char *name;
	const char *msg;
	int flags;
} notify_table[NOTIFY_NTYPES] = {
	[NOTIFY_ONLINE]   = { "ONLINE",   "UPS %s on line power", SW },
	[NOTIFY_ONBATT]   = { "ONBATT",   "UPS %s on battery", SW },
	[NOTIFY_LOWBATT]  = { "LOWBATT",  "UPS %s battery is low", SW },
	[NOTIFY_FSD]      = { "FSD",      "UPS %s: forced shutdown in progress", SW },
	[NOTIFY_COMMOK]   = { "COMMOK",   "Communications with UPS %s established", SW },
	[NOTIFY_COMMBAD]  = { "COMMBAD",  "Communications with UPS %s lost", SW },
	[NOTIFY_SHUTDOWN] = { "SHUTDOWN", "Auto logout and shutdown proceeding", SW },
	[NOTIFY_REPLBATT] = { "REPLBATT", "UPS %s battery needs to be replaced", SW },
	[NOTIFY_NOCOMM]   = { "NOCOMM",   "UPS %s is unavailable", SW },
	[NOTIFY_NOPARENT] = { "NOPARENT", "upsmon parent process died - shutdown impossible", SW },
	/* 2.8.0 sent CAL to syslog only; 2.8.1+ (which also says NOTCAL) walls it too */
	[NOTIFY_CAL]      = { "CAL",      "UPS %s: calibration in progress", SW },
	[NOTIFY_NOTCAL]   = { "NOTCAL",   "UPS %s: calibration finished", SW },
	[NOTIFY_OFF]      = { "OFF",      "UPS %s: administratively OFF or asleep", SW },
	[NOTIFY_NOTOFF]   = { "NOTOFF",   "UPS %s: no longer administratively OFF or asleep", SW },
	[NOTIFY_BYPASS]   = { "BYPASS",   "UPS %s: on bypass (powered, not protecting)", SW },
	[NOTIFY_NOTBYPASS] = { "NOTBYPASS", "UPS %s: no longer on bypass", SW },
	[NOTIFY_ECO]      = { "ECO",      "UPS %s: in ECO mode (as defined by vendor)", SW },
	[NOTIFY_NOTECO]   = { "NOTECO",   "UPS %s: no longer in ECO mode", SW },
	[NOTIFY_ALARM]    = { "ALARM",    "UPS %s: one or more active alarms: [%s]", SW },
	[NOTIFY_NOTALARM] = { "NOTALARM", "UPS %s is no longer in an alarm state (no active alarms)", SW },
	[NOTIFY_OVER]     = { "OVER",     "UPS %s: overloaded", SW },
	[NOTIFY_NOTOVER]  = { "NOTOVER",  "UPS %s: no longer overloaded", SW },
	[NOTIFY_TRIM]     = { "TRIM",     "UPS %s: trimming incoming voltage", SW },
	[NOTIFY_NOTTRIM]  = { "NOTTRIM",  "UPS %s: no longer trimming incoming voltage", SW },
	[NOTIFY_BOOST]    = { "BOOST",    "UPS %s: boosting incoming voltage", SW },
	[NOTIFY_NOTBOOST] = { "NOTBOOST", "UPS %s: no longer boosting incoming voltage", SW },
	[NOTIFY_OTHER]    = { "OTHER",    "UPS %s: has at least one unclassified status token: [%s]", SW },
	[NOTIFY_NOTOTHER] = { "NOTOTHER", "UPS %s has no unclassified status tokens anymore", SW },
	[NOTIFY_SUSPEND_STARTING] = { "SUSPEND_STARTING",
		"OS is entering sleep/suspend/hibernate mode", SW },
	[NOTIFY_SUSPEND_FINISHED] = { "SUSPEND_FINISHED",
		"OS just finished sleep/suspend/hibernate mode, de-activating obsolete UPS readings to avoid an unfortunate shutdown", SW },
	[NOTIFY_SHUTDOWN_HOSTSYNC] = { "SHUTDOWN_HOSTSYNC",
		"Shutdown initiated; primary system is waiting for secondaries to log out or time out", SW },
};

static const struct {
	const char *word;
	int flag;
} notify_flag_words[] = {
	{ "SYSLOG", NOTIFY_SYSLOG }, { "WALL", NOTIFY_WALL },
	{ "EXEC", NOTIFY_EXEC }, { "IGNORE", NOTIFY_IGNORE },
};

void notify_conf_init(struct notify_conf *nc)
{
	int i;

	memset(nc, 0, sizeof(*nc));
	for (i = 0; i < NOTIFY_NTYPES; i++)
		nc->flags[i] = notify_table[i].flags;
}

void notify_conf_free(struct notify_conf *nc)
{
	int i;

	for (i = 0; i < NOTIFY_NTYPES; i++)
		free(nc->msg[i]);
	free(nc->cmd);
	memset(nc, 0, sizeof(*nc));
}

int notify_lookup(const char *name)
{
	int i;

	for (i = 0; i < NOTIFY_NTYPES; i++) {
		if (strcasecmp(name, notify_table[i].name) == 0)
			return i;
	}
	return -1;
}

const char *notify_name(int type)
{
	if (type < 0 || type >= NOTIFY_NTYPES)
		return "UNKNOWN";
	return notify_table[type].name;
}

const char *notify_stock_msg(int type)
{
	if (type < 0 || type >= NOTIFY_NTYPES)
		return "";
	return notify_table[type].msg;
}

static int notify_flag_word(const char *w, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(notify_flag_words) / sizeof(notify_flag_words[0]); i++) {
		if (strlen(notify_flag_words[i].word) == len &&
		    memcmp(notify_flag_words[i].word, w, len) == 0)
			return notify_flag_words[i].flag;
	}
	return 0;
}

int notify_parse_flags(const char *s, int *flags, char *bad, size_t badlen)
{
	int out = 0;

	for (;;) {
		const char *end = strchr(s, '+');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		int f = notify_flag_word(s, len);

		if (f == 0) {
			snprintf(bad, badlen, "%.*s", (int)len, s);
			return -1;
		}
		out |= f;
		if (!end)
			break;
		s = end + 1;
	}
	*flags = out;
	return 0;
}

void notify_format_arg(const struct notify_conf *nc, int type, const char *sys,
	const char *arg, char *out, size_t outlen)
{
	const char *fmt = nc->msg[type] ? nc->msg[type] : notify_table[type].msg;
	size_t o = 0;
	int used = 0;

	if (outlen == 0)
		return;
	while (*fmt && o + 1 < outlen) {
		if (fmt[0] == '%' && fmt[1] == 's') {
			const char *v = used == 0 ? sys : used == 1 ? arg : NULL;

			used++;
			for (v = v ? v : ""; *v && o + 1 < outlen; v++)
				out[o++] = *v;
			fmt += 2;
		} else if (fmt[0] == '%' && fmt[1] == '%') {
			out[o++] = '%';
			fmt += 2;
		} else {
			out[o++] = *fmt++;
		}
	}
	out[o] = '\0';
}

void notify_format(const struct notify_conf *nc, int type, const char *sys,
	char *out, size_t outlen)
{
	notify_format_arg(nc, type, sys, NULL, out, outlen);
}

static void notify_wall_now(const char *text)
{
	FILE *wf = popen("wall", "w");

	if (!wf) {
		log_warn("Can't invoke wall");
		return;
	}
	fprintf(wf, "%s\n", text);
	pclose(wf);
}

/* the forked notifier: wall first, then become NOTIFYCMD */
static void notify_child(const struct notify_conf *nc, int type, const char *sys,
	const char *msg, int flags)
{
	char cmd[2 * NOTIFY_MSGLEN + 1024];
	size_t o;

	if (flags & NOTIFY_WALL)
		notify_wall_now(msg);
	if (!(flags & NOTIFY_EXEC) || !nc->cmd)
		_exit(0);
	/*
	 * NUT writes NOTIFYCMD "message" unescaped; the script sees the same
	 * $1 here, but a message carrying UPS data (ALARM) cannot inject.
	 */
	o = (size_t)snprintf(cmd, sizeof(cmd), "%s \"", nc->cmd);
	for (; *msg && o + 3 < sizeof(cmd); msg++) {
		if (strchr("\"\\$`", *msg))
			cmd[o++] = '\\';
		cmd[o++] = *msg;
	}
	if (o + 2 > sizeof(cmd))
		_exit(1);
	cmd[o++] = '"';
	cmd[o] = '\0';
	setenv("UPSNAME", sys ? sys : "", 1);
	setenv("NOTIFYTYPE", notify_table[type].name, 1);
	spawn_exec_shell(cmd);
}

void notify_send(const struct notify_conf *nc, int type, const char *sys)
{
	notify_send_arg(nc, type, sys, NULL);
}

void notify_send_arg(const struct notify_conf *nc, int type, const char *sys, const char *arg)
{
	char msg[NOTIFY_MSGLEN];
	int flags;
	pid_t pid;

	if (type < 0 || type >= NOTIFY_NTYPES)
		return;
	flags = nc->flags[type];
	if (flags & NOTIFY_IGNORE)
		return;
	notify_format_arg(nc, type, sys, arg, msg, sizeof(msg));
	log_debug(2, "notify %s: %s", notify_table[type].name, msg);
	if (flags & NOTIFY_SYSLOG)
		log_notice("%s", msg);
	if (!(flags & NOTIFY_WALL) && !((flags & NOTIFY_EXEC) && nc->cmd))
		return;
	pid = spawn_fork();
	if (pid == 0)
		notify_child(nc, type, sys, msg, flags);
	if (pid < 0)
		log_warnx("Can't fork to notify %s", notify_table[type].name);
}

void notify_wall(const char *text)
{
	pid_t pid = spawn_fork();

	if (pid == 0) {
		notify_wall_now(text);
		_exit(0);
	}
}
