/*
 * ups: per-UPS state machine (see ups.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "log.h"
#include "notify.h"
#include "ups.h"
#include "util.h"

#define SEC(s) ((int64_t)(s) * 1000)

/*
 * Status words with an "on" and a "not" notification: set when the word
 * is present, cleared (with the "not" notification) when it is absent.
 */
struct ups_toggle {
	const char *word;
	int flag;
	int on, off;
};

static const struct ups_toggle ups_toggles[] = {
	{ "CAL",    UPS_CAL,    NOTIFY_CAL,    NOTIFY_NOTCAL },
	{ "OFF",    UPS_OFF,    NOTIFY_OFF,    NOTIFY_NOTOFF },
	{ "BYPASS", UPS_BYPASS, NOTIFY_BYPASS, NOTIFY_NOTBYPASS },
	{ "ALARM",  UPS_ALARM,  NOTIFY_ALARM,  NOTIFY_NOTALARM },
	{ "OVER",   UPS_OVER,   NOTIFY_OVER,   NOTIFY_NOTOVER },
	{ "TRIM",   UPS_TRIM,   NOTIFY_TRIM,   NOTIFY_NOTTRIM },
	{ "BOOST",  UPS_BOOST,  NOTIFY_BOOST,  NOTIFY_NOTBOOST },
	{ "ECO",    UPS_ECO,    NOTIFY_ECO,    NOTIFY_NOTECO },
};

#define NTOGGLES (sizeof(ups_toggles) / sizeof(ups_toggles[0]))

/* standard words with no reaction; WAIT is upsd's placeholder before the first dump */
static const char *const ups_ignored[] = { "HB", "CHRG", "DISCHRG", "WAIT" };

static void ups_emit(struct ups_events *ev, int type, const char *arg)
{
	if (ev->n < UPS_MAX_EVENTS) {
		ev->arg[ev->n] = arg;
		ev->type[ev->n++] = type;
	}
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

int ups_has_word(const char *status, const char *word)
{
	size_t wl = strlen(word);
	const char *p = status;

	while (*p) {
		size_t len = strcspn(p, " ");

		if (len == wl && strncasecmp(p, word, wl) == 0)
			return 1;
		p += len;
		p += strspn(p, " ");
	}
	return 0;
}

static void ups_alive(struct ups *u, int64_t now, struct ups_events *ev)
{
	u->lastpoll = now;
	if (u->commstate == 0)
		ups_emit(ev, NOTIFY_COMMOK, NULL);
	u->commstate = 1;
}

void ups_gone(struct ups *u, int64_t now, const struct ups_timing *t, struct ups_events *ev)
{
	int64_t window = SEC(t->nocommwarntime);

	if (u->commstate != 0) {
		u->commstate = 0;
		ups_emit(ev, NOTIFY_COMMBAD, NULL);
		return;
	}
	/* NOCOMM: only once NOCOMMWARNTIME passed since the last good poll, then as often */
	if (u->lastpoll != 0 && now - u->lastpoll < window)
		return;
	if (u->lastncwarn == 0 || now - u->lastncwarn > window) {
		ups_emit(ev, NOTIFY_NOCOMM, NULL);
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
		ups_emit(ev, NOTIFY_ONLINE, NULL);
	u->linestate = 1;
	u->status = (u->status | UPS_OL) & ~UPS_OB;
}

static void ups_on_batt(struct ups *u, struct ups_events *ev)
{
	if (u->status & UPS_OB)
		return;
	u->linestate = 0;
	ups_emit(ev, NOTIFY_ONBATT, NULL);
	u->status = (u->status | UPS_OB) & ~UPS_OL;
}

static void ups_set_flag(struct ups *u, int flag, int type, struct ups_events *ev)
{
	if (u->status & flag)
		return;
	ups_emit(ev, type, NULL);
	u->status |= flag;
}

static void ups_repl_batt(struct ups *u, int64_t now, const struct ups_timing *t,
	struct ups_events *ev)
{
	if (u->lastrbwarn == 0 || now - u->lastrbwarn > SEC(t->rbwarntime)) {
		ups_emit(ev, NOTIFY_REPLBATT, NULL);
		u->lastrbwarn = now;
	}
}

/* OFF seen again: after OFFDURATION the line is taken as not fed */
static void ups_off_again(struct ups *u, int64_t now, const struct ups_timing *t)
{
	if (u->offstate || t->offduration < 0)
		return;
	if (now - u->offsince > SEC(t->offduration)) {
		log_warnx("UPS [%s] is in state OFF for %ld s, assuming the line is not fed "
			"(if it is calibrating etc., check the upsmon 'OFFDURATION' option)",
			u->sys, (long)((now - u->offsince) / 1000));
		u->offstate = 1;
	}
}

static void ups_toggle_on(struct ups *u, const struct ups_toggle *tg, const char *alarm,
	int64_t now, const struct ups_timing *t, struct ups_events *ev)
{
	const char *text = alarm ? alarm : "n/a";

	if (u->status & tg->flag) {
		if (tg->flag == UPS_OFF)
			ups_off_again(u, now, t);
		/* a new alarm text is notified again */
		if (tg->flag == UPS_ALARM && alarm && strcmp(u->alarm, alarm) != 0) {
			str_copy(u->alarm, alarm, sizeof(u->alarm));
			ups_emit(ev, NOTIFY_ALARM, u->alarm);
		}
		return;
	}
	u->status |= tg->flag;
	if (tg->flag == UPS_OFF) {
		u->offsince = now;
		u->offstate = t->offduration == 0;
	} else if (tg->flag == UPS_OVER) {
		u->oversince = now;
	} else if (tg->flag == UPS_ALARM) {
		str_copy(u->alarm, text, sizeof(u->alarm));
		ups_emit(ev, NOTIFY_ALARM, u->alarm);
		return;
	}
	ups_emit(ev, tg->on, NULL);
}

static void ups_toggle_off(struct ups *u, const struct ups_toggle *tg, struct ups_events *ev)
{
	if (tg->flag == UPS_OFF) {
		u->offsince = 0;
		u->offstate = 0;
	} else if (tg->flag == UPS_OVER) {
		u->oversince = 0;
	} else if (tg->flag == UPS_ALARM) {
		u->alarm[0] = '\0';
	}
	if (!(u->status & tg->flag))
		return;
	u->status &= ~tg->flag;
	ups_emit(ev, tg->off, NULL);
}

/* remember the last time the UPS was not critical (not OB+LB, or CAL) */
static void ups_crit_timer(struct ups *u, int64_t now)
{
	if (!(u->status & UPS_OB) || !(u->status & UPS_LB) || (u->status & UPS_CAL))
		u->lastnoncrit = now;
}

static const struct ups_toggle *ups_find_toggle(const char *tok)
{
	size_t i;

	for (i = 0; i < NTOGGLES; i++) {
		if (strcasecmp(tok, ups_toggles[i].word) == 0)
			return &ups_toggles[i];
	}
	return NULL;
}

static int ups_is_ignored(const char *tok)
{
	size_t i;

	for (i = 0; i < sizeof(ups_ignored) / sizeof(ups_ignored[0]); i++) {
		if (strcasecmp(tok, ups_ignored[i]) == 0)
			return 1;
	}
	return 0;
}

/* one word; unknown ones are appended to other */
static void ups_token(struct ups *u, const char *tok, const char *alarm, int64_t now,
	const struct ups_timing *t, struct ups_events *ev, char *other, size_t otherlen)
{
	const struct ups_toggle *tg;

	if (strcasecmp(tok, "OL") == 0)
		ups_on_line(u, ev);
	else if (strcasecmp(tok, "OB") == 0)
		ups_on_batt(u, ev);
	else if (strcasecmp(tok, "LB") == 0)
		ups_set_flag(u, UPS_LB, NOTIFY_LOWBATT, ev);
	else if (strcasecmp(tok, "RB") == 0)
		ups_repl_batt(u, now, t, ev);
	else if (strcasecmp(tok, "FSD") == 0)
		ups_set_flag(u, UPS_FSD, NOTIFY_FSD, ev);
	else if ((tg = ups_find_toggle(tok)) != NULL)
		ups_toggle_on(u, tg, alarm, now, t, ev);
	else if (!ups_is_ignored(tok) && !ups_has_word(other, tok)) {
		size_t len = strlen(other);

		snprintf(other + len, otherlen - len, "%s%s", len ? " " : "", tok);
	}
}

/* OTHER when the set of unknown words changed, NOTOTHER when it emptied */
static void ups_other(struct ups *u, const char *other, struct ups_events *ev)
{
	if (strcmp(other, u->other) == 0)
		return;
	str_copy(u->other, other, sizeof(u->other));
	ups_emit(ev, u->other[0] ? NOTIFY_OTHER : NOTIFY_NOTOTHER, u->other[0] ? u->other : NULL);
}

void ups_status(struct ups *u, const char *status, const char *alarm, int64_t now,
	const struct ups_timing *t, struct ups_events *ev)
{
	char tok[64], other[UPS_ARGLEN];
	const char *p = status;
	size_t i;

	if (status[0] == '\0') {
		ups_gone(u, now, t, ev);
		return;
	}
	ups_alive(u, now, ev);
	if (!ups_has_word(status, "LB"))
		u->status &= ~UPS_LB;
	if (!ups_has_word(status, "FSD"))
		u->status &= ~UPS_FSD;
	for (i = 0; i < NTOGGLES; i++) {
		if (!ups_has_word(status, ups_toggles[i].word))
			ups_toggle_off(u, &ups_toggles[i], ev);
	}
	other[0] = '\0';
	while (*p) {
		size_t len = strcspn(p, " ");

		if (len > 0 && len < sizeof(tok)) {
			memcpy(tok, p, len);
			tok[len] = '\0';
			ups_token(u, tok, alarm, now, t, ev, other, sizeof(other));
		}
		ups_crit_timer(u, now);
		p += len;
		p += strspn(p, " ");
	}
	ups_other(u, other, ev);
}

int ups_promote_dead(struct ups *u, int64_t now, const struct ups_timing *t)
{
	if (now - u->lastpoll <= SEC(t->deadtime))
		return 0;
	if (!(u->status & UPS_OB) || (u->status & UPS_LB))
		return 0;
	log_warnx("UPS [%s] unreachable for more than DEADTIME (%ld s) while on battery: "
		"taking it as low on battery", u->sys, t->deadtime);
	u->status |= UPS_LB;
	return 1;
}

/*
 * Last known state of a UPS that does not answer. NUT 2.8.1+ applies this
 * from the first failed poll, so one DATA-STALE reply or a restarted upsd
 * shuts the host down while the UPS is merely on bypass or has an alarm;
 * here the UPS must have been silent for DEADTIME first, as one on battery.
 */
static int ups_critical_nocomm(const struct ups *u, int64_t now, const struct ups_timing *t)
{
	const char *why = NULL;

	if (now - u->lastpoll <= SEC(t->deadtime))
		return 0;
	if ((u->status & UPS_OVER) && t->overduration >= 0 &&
	    now - u->oversince >= SEC(t->overduration))
		why = "overloaded longer than OVERDURATION";
	else if ((u->status & UPS_ALARM) && t->alarmcritical == 1)
		why = "in an ALARM state (see ALARMCRITICAL)";
	else if (u->status & UPS_CAL)
		why = "calibrating";
	else if (u->status & UPS_BYPASS)
		why = "on bypass";
	else if (u->offstate || (t->offduration >= 0 && (u->status & UPS_OFF)))
		why = "administratively OFF";
	if (!why)
		return 0;
	log_warnx("UPS [%s] was last known to be %s and is not communicating: assuming it dead",
		u->sys, why);
	return 1;
}

/* OBLBDURATION: 1 while OB+LB has not lasted long enough to count */
static int ups_oblb_wait(struct ups *u, int64_t now, const struct ups_timing *t)
{
	if (t->oblbduration <= 0)
		return 0;
	if (u->oblbsince == 0) {
		u->oblbsince = now;
		log_warnx("UPS [%s] is OB+LB, but OBLBDURATION is %ld s: not critical yet",
			u->sys, t->oblbduration);
		return 1;
	}
	return now - u->oblbsince < SEC(t->oblbduration);
}

int ups_critical(struct ups *u, int64_t now, const struct ups_timing *t)
{
	if (u->status & UPS_FSD)
		return 1;
	if (u->commstate == 0 && ups_critical_nocomm(u, now, t))
		return 1;
	if ((u->status & UPS_OFF) && t->offduration >= 0 && u->offstate) {
		log_warnx("UPS [%s] is administratively OFF (longer than OFFDURATION)", u->sys);
		return 1;
	}
	if (!(u->status & UPS_OB) || !(u->status & UPS_LB)) {
		u->oblbsince = 0;
		return 0;
	}
	if (u->status & UPS_CAL) {
		log_warnx("UPS [%s] is OB+LB now, but it is also calibrating - "
			"not declaring a critical state", u->sys);
		return 0;
	}
	if (ups_oblb_wait(u, now, t))
		return 0;
	if (u->primary)
		return 1;
	/* a secondary gives the primary HOSTSYNC seconds to set FSD */
	if (now - u->lastnoncrit > SEC(t->hostsync)) {
		log_warnx("Giving up on the primary for UPS [%s] after %ld s since last comms",
			u->sys, (long)((now - u->lastnoncrit) / 1000));
		return 1;
	}
	return 0;
}
