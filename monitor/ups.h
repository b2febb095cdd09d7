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

#define UPS_OL     0x0001
#define UPS_OB     0x0002
#define UPS_LB     0x0004
#define UPS_FSD    0x0008
#define UPS_CAL    0x0010
#define UPS_OFF    0x0020
#define UPS_BYPASS 0x0040
#define UPS_OVER   0x0080
#define UPS_TRIM   0x0100
#define UPS_BOOST  0x0200
#define UPS_ECO    0x0400
#define UPS_ALARM  0x0800

/* states that make upsmon poll at POLLFREQALERT */
#define UPS_ALERT (UPS_OB | UPS_OFF | UPS_BYPASS | UPS_ALARM | UPS_OVER)

#define UPS_MAX_EVENTS 24
#define UPS_ARGLEN 256

struct ups_events {
	int n;
	int type[UPS_MAX_EVENTS];          /* enum notify_type, in order */
	const char *arg[UPS_MAX_EVENTS];   /* 2nd %s (ALARM, OTHER) or NULL; owned by the ups */
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
	int64_t offsince;    /* ms when OFF was first seen; 0 = not OFF */
	int offstate;        /* OFF longer than OFFDURATION: the feed is taken as lost */
	int64_t oversince;   /* ms when OVER was first seen */
	int64_t oblbsince;   /* ms when OB+LB was first seen (OBLBDURATION) */
	char alarm[UPS_ARGLEN];   /* last ups.alarm text notified */
	char other[UPS_ARGLEN];   /* unknown status words of the last poll */

	/* network side (net.c) */
	struct upscli conn;
	int connected;
	int loggedin;
	int retain;          /* reload bookkeeping */
	unsigned failcount;  /* poll failures in a row (log throttling) */
};

struct ups_timing {
	long hostsync, deadtime, rbwarntime, nocommwarntime;   /* seconds */
	long offduration;    /* <0 never, 0 at once, else seconds */
	long overduration;   /* <0 never critical */
	long oblbduration;   /* 0 = OB+LB is critical at once */
	long alarmcritical;  /* 1: ALARM without communication is critical */
};

void ups_init(struct ups *u, const struct conf_monitor *m);
void ups_free(struct ups *u);

/*
 * A successful poll (an empty status counts as a failure). alarm is the
 * ups.alarm text when the status has ALARM (NULL: could not be read).
 */
void ups_status(struct ups *u, const char *status, const char *alarm, int64_t now,
	const struct ups_timing *t, struct ups_events *ev);
/* 1 when the status string has this word (case-insensitive) */
int ups_has_word(const char *status, const char *word);
/* a failed poll or connect (COMMBAD first, then NOCOMM every NOCOMMWARNTIME) */
void ups_gone(struct ups *u, int64_t now, const struct ups_timing *t, struct ups_events *ev);
/* the connection was closed: the next good poll says COMMOK/ONLINE again */
void ups_dropped(struct ups *u);

/* DEADTIME rule: unreachable longer than DEADTIME while last seen OB -> LB. 1 if promoted */
int ups_promote_dead(struct ups *u, int64_t now, const struct ups_timing *t);
/*
 * The critical rule of NUT 2.8: FSD; without communication for longer
 * than DEADTIME, last known CAL, BYPASS, OFF, ALARM (ALARMCRITICAL) or
 * OVER past OVERDURATION; OFF
 * past OFFDURATION; OB+LB (after OBLBDURATION, not while CAL) for a
 * primary at once, for a secondary once HOSTSYNC passed since the last
 * non-critical poll. Updates the OB+LB timer.
 */
int ups_critical(struct ups *u, int64_t now, const struct ups_timing *t);

#endif
