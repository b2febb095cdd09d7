/*
 * conf: upsmon.conf as data. One directive table (every NUT 2.8 directive;
 * the CERT* ones are stored for the TLS work), NUT's defaults, errors
 * reported as "file:line: message".
 */
#ifndef MONITOR_CONF_H
#define MONITOR_CONF_H

#include <stddef.h>
#include "notify.h"

struct conf_monitor {
	char *sys;          /* "ups@host[:port]" as written */
	char *upsname;      /* split from sys */
	char *host;
	int port;
	long pv;            /* power value, 0 = monitoring only */
	char *user;
	char *pass;
	int primary;        /* role primary/master; anything else = secondary */
	unsigned line;
};

struct conf_certhost {
	char *host;
	char *certname;
	long verify;
	long forcessl;
};

struct mon_conf {
	char *path;
	struct conf_monitor *mon;       /* file order */
	size_t nmon;
	long minsupplies, pollfreq, pollfreqalert, hostsync, deadtime;
	long rbwarntime, nocommwarntime, finaldelay;
	char *shutdowncmd, *powerdownflag, *run_as_user;
	char *certpath, *certname, *certpasswd, *certfile;
	struct conf_certhost *certhosts;
	size_t ncerthosts;
	long certverify, forcessl, debug_min;
	/* NUT 2.8.1+ directives */
	long offduration, shutdownexit, pollfail_log_throttle_max;
	long oblbduration, overduration, alarmcritical;
	struct notify_conf notify;      /* NOTIFYCMD, NOTIFYMSG, NOTIFYFLAG */
	unsigned nerrors;               /* problems that stop startup */
	unsigned nwarnings;
};

#define CONF_STRICT 0x1   /* -n: unknown directives and stray words are errors */
#define CONF_QUIET  0x2   /* no informational lines (reload, -K) */

/* Defaults only (no MONITOR). */
void conf_init(struct mon_conf *c);
void conf_free(struct mon_conf *c);

/*
 * Read path into c (initialised here). Every problem is logged as
 * "file:line: message". Returns 0 when usable, -1 when the file cannot be
 * read or an error was found (c->nerrors > 0).
 */
int conf_load(struct mon_conf *c, const char *path, int flags);

/* sum of power values */
long conf_total_pv(const struct mon_conf *c);

/* find a MONITOR entry by its system string; NULL if absent */
const struct conf_monitor *conf_find(const struct mon_conf *c, const char *sys);

/*
 * After a reload in split-process mode: settings only the root parent or
 * startup can use (SHUTDOWNCMD, POWERDOWNFLAG, RUN_AS_USER) keep their old
 * values in nc, with a warning when they changed.
 */
void conf_keep_fixed(const struct mon_conf *old, struct mon_conf *nc);

#endif
