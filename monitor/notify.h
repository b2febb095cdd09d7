/*
 * notify: upsmon's notification types (names, stock messages, default
 * flags) and their delivery: syslog in the monitoring process, wall and
 * NOTIFYCMD in a forked child so a slow notifier never stalls monitoring.
 */
#ifndef NOTIFY_H
#define NOTIFY_H

#include <stddef.h>

enum notify_type {
	NOTIFY_ONLINE, NOTIFY_ONBATT, NOTIFY_LOWBATT, NOTIFY_FSD,
	NOTIFY_COMMOK, NOTIFY_COMMBAD, NOTIFY_SHUTDOWN, NOTIFY_REPLBATT,
	NOTIFY_NOCOMM, NOTIFY_NOPARENT, NOTIFY_CAL,
	/* NUT 2.8.1+ types (SUSPEND_* are accepted in upsmon.conf, never raised) */
	NOTIFY_NOTCAL, NOTIFY_OFF, NOTIFY_NOTOFF, NOTIFY_BYPASS, NOTIFY_NOTBYPASS,
	NOTIFY_ECO, NOTIFY_NOTECO, NOTIFY_ALARM, NOTIFY_NOTALARM,
	NOTIFY_OVER, NOTIFY_NOTOVER, NOTIFY_TRIM, NOTIFY_NOTTRIM,
	NOTIFY_BOOST, NOTIFY_NOTBOOST, NOTIFY_OTHER, NOTIFY_NOTOTHER,
	NOTIFY_SUSPEND_STARTING, NOTIFY_SUSPEND_FINISHED, NOTIFY_SHUTDOWN_HOSTSYNC,
	NOTIFY_NTYPES
};

#define NOTIFY_IGNORE 0x1
#define NOTIFY_SYSLOG 0x2
#define NOTIFY_WALL   0x4
#define NOTIFY_EXEC   0x8

#define NOTIFY_MSGLEN 512

/* per-type settings from upsmon.conf (NULL msg = stock message) */
struct notify_conf {
	char *msg[NOTIFY_NTYPES];     /* owned */
	int flags[NOTIFY_NTYPES];
	char *cmd;                    /* NOTIFYCMD, owned; NULL = none */
};

void notify_conf_init(struct notify_conf *nc);     /* stock flags, no messages */
void notify_conf_free(struct notify_conf *nc);

/* type by name, case-insensitive; -1 if unknown */
int notify_lookup(const char *name);
const char *notify_name(int type);
const char *notify_stock_msg(int type);

/* "SYSLOG+WALL+EXEC" -> flags; -1 with the bad word copied to bad */
int notify_parse_flags(const char *s, int *flags, char *bad, size_t badlen);

/*
 * Format the message of type for UPS sys (NULL: no UPS) into out: the
 * first %s becomes sys, the second arg (ALARM: ups.alarm, OTHER: the
 * unknown status words; NULL = ""), %% a single %, anything else is kept
 * literally (a user format can never read stray arguments).
 */
void notify_format_arg(const struct notify_conf *nc, int type, const char *sys,
	const char *arg, char *out, size_t outlen);
/* notify_format_arg without a second argument */
void notify_format(const struct notify_conf *nc, int type, const char *sys,
	char *out, size_t outlen);

/*
 * Deliver: syslog here, wall/NOTIFYCMD in a child that is not waited for.
 * NOTIFYCMD runs as /bin/sh -c 'NOTIFYCMD "message"' (the message escaped
 * for the shell) with UPSNAME (sys, or "") and NOTIFYTYPE in its
 * environment.
 */
void notify_send_arg(const struct notify_conf *nc, int type, const char *sys, const char *arg);
void notify_send(const struct notify_conf *nc, int type, const char *sys);

/* Broadcast text with wall(1) from a child (always, flags aside). */
void notify_wall(const char *text);

#endif
