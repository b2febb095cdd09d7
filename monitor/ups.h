/*
 * ups: one monitored UPS (a MONITOR line) and its state machine on
 * ups.status tokens, communication state and the critical rule, as NUT
 * 2.8.0's upsmon. No I/O here: functions take the time (monotonic ms) and
 * return the notifications to send in a ups_events list, so the machine
 * can be driven by a test clock.
 */
#ifndef UPS_H
#define UPS_H

#include <stdint.h>
#include "upsclient.h"

struct conf_monitor;

#define UPS_OL   0x01
#define UPS_OB   0x02
#define UPS_LB   0x04
#define UPS_FSD  0x08
#define UPS_CAL  0x10

#define UPS_MAX_EVENTS 16

struct ups_events {
	int n;
	int type[UPS_MAX_EVENTS];    /* enum notify_type, in order */
};

struct ups {
	/* from the MONITOR line (owned copies) */
	char *sys, *upsname, *host, *user, *pass;
	int port;
	long pv;
	int primary;

	int status;          /* UPS_* flags as last understood */
	int commstate;       /* -1 never polled, 0 lost, 1 ok: COMMOK only on 0 -> 1 */
	int linestate;       /* -1 at start: the first OL is not announced */
	int64_t lastpoll;    /* ms of last good poll; 0 = never */
	int64_t lastnoncrit; /* ms of last poll that was not OB+LB (or CAL) */
	int64_t lastrbwarn;  /* 0 = never */
	int64_t lastncwarn;  /* 0 = never */

	/* network side (net.c) */
	struct upscli conn;
	int connected;
	int loggedin;
	int retain;          /* reload bookkeeping */
};

struct ups_timing {
	long hostsync, deadtime, rbwarntime, nocommwarntime;   /* seconds */
};

void ups_init(struct ups *u, const struct conf_monitor *m);
void ups_free(struct ups *u);

/* a successful poll with a non-empty status string */
void ups_status(struct ups *u, const char *status, int64_t now,
	const struct ups_timing *t, struct ups_events *ev);
/* a failed poll or connect (COMMBAD first, then NOCOMM every NOCOMMWARNTIME) */
void ups_gone(struct ups *u, int64_t now, const struct ups_timing *t, struct ups_events *ev);
/* the connection was closed: the next good poll says COMMOK/ONLINE again */
void ups_dropped(struct ups *u);

/* DEADTIME rule: unreachable longer than DEADTIME while last seen OB -> LB. 1 if promoted */
int ups_promote_dead(struct ups *u, int64_t now, const struct ups_timing *t);
/* the critical rule for this UPS (FSD, or OB+LB for a primary, or for a secondary past HOSTSYNC) */
int ups_critical(const struct ups *u, int64_t now, const struct ups_timing *t);

#endif
