/*
 * ups: per-UPS state machine (see ups.h).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "log.h"
#include "notify.h"
#include "ups.h"
#include "util.h"

static void ups_emit(struct ups_events *ev, int type)
{
	if (ev->n < UPS_MAX_EVENTS)
		ev->type[ev->n++] = type;
}

void ups_init(struct ups *u, const struct conf_monitor *m)
{
	memset(u, 0, sizeof(*u));
	u->sys = xstrdup(m->sys);
	u->upsname = xstrdup(m->upsname);
	u->host = xstrdup(m->host);
	u->user = xstrdup(m->user);
	u->pass = xstrdup(m->pass);
	u->port = m->port;
	u->pv = m->pv;
	u->primary = m->primary;
	u->commstate = -1;
	u->linestate = -1;
	u->conn.fd = -1;
}

void ups_free(struct ups *u)
{
	free(u->sys);
	free(u->upsname);
	free(u->host);
	free(u->user);
	free(u->pass);
	memset(u, 0, sizeof(*u));
	u->conn.fd = -1;
}

static void ups_alive(struct ups *u, int64_t now, struct ups_events *ev)
{
	u->lastpoll = now;
	if (u->commstate == 0)
		ups_emit(ev, NOTIFY_COMMOK);
	u->commstate = 1;
}

void ups_gone(struct ups *u, int64_t now, const struct ups_timing *t, struct ups_events *ev)
{
	int64_t window = (int64_t)t->nocommwarntime * 1000;

	if (u->commstate != 0) {
		u->commstate = 0;
		ups_emit(ev, NOTIFY_COMMBAD);
		return;
	}
	if (u->lastpoll != 0 && now - u->lastpoll < window)
		return;
	if (u->lastncwarn == 0 || now - u->lastncwarn > window) {
		ups_emit(ev, NOTIFY_NOCOMM);
		u->lastncwarn = now;
	}
}

void ups_dropped(struct ups *u)
{
	u->commstate = 0;
	u->linestate = 0;
}

static void ups_on_line(struct ups *u, struct ups_events *ev)
{
	if (u->status & UPS_OL)
		return;
	if (u->linestate != -1)
		ups_emit(ev, NOTIFY_ONLINE);
	u->linestate = 1;
	u->status = (u->status | UPS_OL) & ~UPS_OB;
}

static void ups_on_batt(struct ups *u, struct ups_events *ev)
{
	if (u->status & UPS_OB)
		return;
	u->linestate = 0;
	ups_emit(ev, NOTIFY_ONBATT);
	u->status = (u->status | UPS_OB) & ~UPS_OL;
}

static void ups_set_flag(struct ups *u, int flag, int type, struct ups_events *ev)
{
	if (u->status & flag)
		return;
	ups_emit(ev, type);
	u->status |= flag;
}

static void ups_repl_batt(struct ups *u, int64_t now, const struct ups_timing *t,
	struct ups_events *ev)
{
	if (u->lastrbwarn == 0 || now - u->lastrbwarn > (int64_t)t->rbwarntime * 1000) {
		ups_emit(ev, NOTIFY_REPLBATT);
		u->lastrbwarn = now;
	}
}

/* remember the last time the UPS was not critical (not OB+LB, or CAL) */
static void ups_crit_timer(struct ups *u, int64_t now)
{
	if (!(u->status & UPS_OB) || !(u->status & UPS_LB) || (u->status & UPS_CAL))
		u->lastnoncrit = now;
}

static void ups_token(struct ups *u, const char *tok, int64_t now,
	const struct ups_timing *t, struct ups_events *ev)
{
	if (strcasecmp(tok, "OL") == 0)
		ups_on_line(u, ev);
	else if (strcasecmp(tok, "OB") == 0)
		ups_on_batt(u, ev);
	else if (strcasecmp(tok, "LB") == 0)
		ups_set_flag(u, UPS_LB, NOTIFY_LOWBATT, ev);
	else if (strcasecmp(tok, "RB") == 0)
		ups_repl_batt(u, now, t, ev);
	else if (strcasecmp(tok, "CAL") == 0)
		ups_set_flag(u, UPS_CAL, NOTIFY_CAL, ev);
	else if (strcasecmp(tok, "FSD") == 0)
		ups_set_flag(u, UPS_FSD, NOTIFY_FSD, ev);
	/* 2.8.0 ignores every other token (HB, CHRG, DISCHRG, OFF, BYPASS, ...) */
}

void ups_status(struct ups *u, const char *status, int64_t now,
	const struct ups_timing *t, struct ups_events *ev)
{
	char tok[64];
	const char *p = status;

	if (status[0] == '\0') {
		ups_gone(u, now, t, ev);
		return;
	}
	ups_alive(u, now, ev);
	/* as 2.8.0: substring tests, not tokens */
	if (!strstr(status, "LB"))
		u->status &= ~UPS_LB;
	if (!strstr(status, "FSD"))
		u->status &= ~UPS_FSD;
	/* CAL is never cleared in 2.8.0 (NOTCAL came in 2.8.2) */
	for (;;) {
		const char *sp = strchr(p, ' ');
		size_t len = sp ? (size_t)(sp - p) : strlen(p);

		if (len < sizeof(tok)) {
			memcpy(tok, p, len);
			tok[len] = '\0';
			ups_token(u, tok, now, t, ev);
		}
		ups_crit_timer(u, now);
		if (!sp)
			break;
		p = sp + 1;
	}
}

int ups_promote_dead(struct ups *u, int64_t now, const struct ups_timing *t)
{
	if (now - u->lastpoll <= (int64_t)t->deadtime * 1000)
		return 0;
	if (!(u->status & UPS_OB) || (u->status & UPS_LB))
		return 0;
	log_debug(1, "Promoting dead UPS: %s", u->sys);
	u->status |= UPS_LB;
	return 1;
}

int ups_critical(const struct ups *u, int64_t now, const struct ups_timing *t)
{
	if (u->status & UPS_FSD)
		return 1;
	if (!(u->status & UPS_OB) || !(u->status & UPS_LB))
		return 0;
	if (u->status & UPS_CAL) {
		log_warnx("UPS [%s] is OB+LB now, but it is also calibrating - "
			"not declaring a critical state", u->sys);
		return 0;
	}
	if (u->primary)
		return 1;
	/* a secondary gives the primary HOSTSYNC seconds to set FSD */
	if (now - u->lastnoncrit > (int64_t)t->hostsync * 1000) {
		log_warnx("Giving up on the primary for UPS [%s]", u->sys);
		return 1;
	}
	return 0;
}
