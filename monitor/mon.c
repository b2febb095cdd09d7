/*
 * mon: the monitoring loop (see mon.h).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ev.h"
#include "log.h"
#include "mon.h"
#include "net.h"
#include "notify.h"
#include "shutdown.h"
#include "spawn.h"
#include "util.h"

#define NOPARENT_REPEAT_MS (120 * 1000)

static void mon_schedule(struct upsmon *m, uint64_t ms);

int64_t mon_now(void)
{
	return (int64_t)ev_clock_ms();
}

struct ups_timing mon_timing(const struct upsmon *m)
{
	struct ups_timing t;

	t.hostsync = m->conf.hostsync;
	t.deadtime = m->conf.deadtime;
	t.rbwarntime = m->conf.rbwarntime;
	t.nocommwarntime = m->conf.nocommwarntime;
	t.offduration = m->conf.offduration;
	t.overduration = m->conf.overduration;
	t.oblbduration = m->conf.oblbduration;
	t.alarmcritical = m->conf.alarmcritical;
	return t;
}

void mon_notify(struct upsmon *m, int type, const struct ups *u)
{
	notify_send(&m->conf.notify, type, u ? u->sys : NULL);
}

static void mon_emit(struct upsmon *m, const struct ups *u, const struct ups_events *ev)
{
	int i;

	for (i = 0; i < ev->n; i++)
		notify_send_arg(&m->conf.notify, ev->type[i], u->sys, ev->arg[i]);
}

static void mon_log_ups(const struct ups *u)
{
	if (u->pv)
		log_info("UPS: %s (%s) (power value %ld)", u->sys,
			u->primary ? "primary" : "secondary", u->pv);
	else
		log_info("UPS: %s (monitoring only)", u->sys);
}

/* FORCESSL / CERTVERIFY; a CERTHOST line for this host replaces both, as in NUT */
static struct net_tls mon_tls(const struct upsmon *m, const struct ups *u)
{
	struct net_tls tls;
	size_t i;

	tls.forcessl = m->conf.forcessl == 1;
	tls.certverify = m->conf.certverify == 1;
	for (i = 0; i < m->conf.ncerthosts; i++) {
		const struct conf_certhost *h = &m->conf.certhosts[i];

		if (strcmp(h->host, u->host) == 0) {
			tls.forcessl = h->forcessl == 1;
			tls.certverify = h->verify == 1;
		}
	}
	return tls;
}

/*
 * Repeated failures are logged once (and every POLLFAIL_LOG_THROTTLE_MAX
 * failures when that is > 0), the recovery with the count.
 */
static int mon_quiet(const struct upsmon *m, const struct ups *u)
{
	long every = m->conf.pollfail_log_throttle_max;

	if (u->failcount == 0)
		return 0;
	return !(every > 0 && u->failcount % (unsigned long)every == 0);
}

/* a failed connect (polled 0) or poll (1); a poll that lost the connection drops the state */
static void mon_failed(struct upsmon *m, struct ups *u, int polled, struct ups_events *ev)
{
	struct ups_timing t = mon_timing(m);

	u->failcount++;
	ups_gone(u, mon_now(), &t, ev);
	if (polled && !u->connected)
		ups_dropped(u);
}

static void mon_poll_one(struct upsmon *m, struct ups *u)
{
	struct ups_timing t = mon_timing(m);
	struct net_tls tls = mon_tls(m, u);
	struct ups_events ev;
	char status[512], alarm[UPS_ARGLEN];
	int quiet = mon_quiet(m, u), have_alarm = 0;

	ev.n = 0;
	if (!u->connected && net_connect(u, &tls, quiet) < 0) {
		mon_failed(m, u, 0, &ev);
	} else if (net_get_status(u, status, sizeof(status), quiet) == 0 && status[0]) {
		log_debug(2, "UPS [%s] status [%s]", u->sys, status);
		if (u->failcount > 1)
			log_notice("UPS [%s]: polling works again after %u failures",
				u->sys, u->failcount);
		u->failcount = 0;
		if (ups_has_word(status, "ALARM"))
			have_alarm = net_get_var(u, "ups.alarm", alarm, sizeof(alarm)) == 0;
		ups_status(u, status, have_alarm ? alarm : NULL, mon_now(), &t, &ev);
	} else {
		mon_failed(m, u, 1, &ev);
	}
	mon_emit(m, u, &ev);
}

static uint64_t mon_interval_ms(const struct upsmon *m)
{
	size_t i;

	for (i = 0; i < m->nups; i++) {
		if (m->ups[i]->status & UPS_ALERT)
			return (uint64_t)m->conf.pollfreqalert * 1000;
	}
	return (uint64_t)m->conf.pollfreq * 1000;
}

static void mon_tick(struct ev_loop *loop, long id, void *arg)
{
	struct upsmon *m = arg;
	size_t i;

	(void)loop;
	(void)id;
	m->poll_timer = 0;
	for (i = 0; i < m->nups && m->sd_state == SD_IDLE; i++)
		mon_poll_one(m, m->ups[i]);
	shutdown_recalc(m);
	if (m->sd_state == SD_IDLE)
		mon_schedule(m, mon_interval_ms(m));
}

static void mon_schedule(struct upsmon *m, uint64_t ms)
{
	if (m->poll_timer > 0)
		ev_timer_cancel(m->loop, m->poll_timer);
	m->poll_timer = ev_timer(m->loop, ms, mon_tick, m);
	if (m->poll_timer < 0)
		fatalx("cannot arm the poll timer");
}

void mon_stop_polling(struct upsmon *m)
{
	if (m->poll_timer > 0)
		ev_timer_cancel(m->loop, m->poll_timer);
	m->poll_timer = 0;
}

/* ---------------------------------------------------------------- parent watch */

static void mon_noparent_warn(struct ev_loop *loop, long id, void *arg)
{
	struct upsmon *m = arg;

	(void)id;
	mon_notify(m, NOTIFY_NOPARENT, NULL);
	log_error("Parent died - shutdown impossible");
	m->noparent_timer = ev_timer(loop, NOPARENT_REPEAT_MS, mon_noparent_warn, m);
}

static void mon_parent_event(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct upsmon *m = arg;

	(void)events;
	/* the write end of the pipe only becomes readable/errored when the reader is gone */
	ev_del(loop, fd);
	if (m->noparent_timer <= 0)
		mon_noparent_warn(loop, 0, m);
}

/* ---------------------------------------------------------------- reload */

static struct ups *mon_find(struct upsmon *m, const char *sys)
{
	size_t i;

	for (i = 0; i < m->nups; i++) {
		if (m->ups[i] && strcmp(m->ups[i]->sys, sys) == 0)
			return m->ups[i];
	}
	return NULL;
}

static int mon_replace_str(char **field, const char *v)
{
	if (strcmp(*field, v) == 0)
		return 0;
	free(*field);
	*field = xstrdup(v);
	return 1;
}

/* apply a changed MONITOR line to a UPS we keep */
static void mon_redefine(struct ups *u, const struct conf_monitor *cm)
{
	int creds;

	if (u->pv != cm->pv) {
		log_info("UPS [%s]: redefined power value to %ld", u->sys, cm->pv);
		u->pv = cm->pv;
	}
	creds = mon_replace_str(&u->user, cm->user);
	creds |= mon_replace_str(&u->pass, cm->pass);
	if (creds)
		log_info("UPS [%s]: redefined credentials", u->sys);
	if (cm->primary != u->primary) {
		log_info("UPS [%s]: redefined as a %s", u->sys, cm->primary ? "primary" : "secondary");
		u->primary = cm->primary;
		creds = 1;
	}
	/* log in again with the new credentials or role (PRIMARY is asked at login) */
	if (creds && u->connected) {
		net_close(u);
		ups_dropped(u);
	}
}

static void mon_build_list(struct upsmon *m, const struct mon_conf *nc)
{
	struct ups **list = xcalloc(nc->nmon + 1, sizeof(*list));
	size_t i;

	for (i = 0; i < nc->nmon; i++) {
		struct ups *u = mon_find(m, nc->mon[i].sys);

		if (u) {
			mon_redefine(u, &nc->mon[i]);
			u->retain = 1;
		} else {
			u = xcalloc(1, sizeof(*u));
			ups_init(u, &nc->mon[i]);
			u->retain = 1;
			mon_log_ups(u);
		}
		list[i] = u;
	}
	for (i = 0; i < m->nups; i++) {
		struct ups *u = m->ups[i];

		if (u->retain) {
			u->retain = 0;
			continue;
		}
		log_notice("No longer monitoring UPS [%s]", u->sys);
		net_close(u);
		ups_free(u);
		free(u);
	}
	for (i = 0; i < nc->nmon; i++)
		list[i]->retain = 0;
	free(m->ups);
	m->ups = list;
	m->nups = nc->nmon;
}

static void mon_apply_debug(const struct upsmon *m)
{
	int level = m->cli_debug;

	if (m->conf.debug_min > level)
		level = (int)m->conf.debug_min;
	log_set_debug(level);
}

static void mon_reload(struct upsmon *m)
{
	struct mon_conf nc;

	log_info("Reloading configuration");
	if (conf_load(&nc, m->conf.path, 0) < 0) {
		log_error("Reload failed: keeping the previous configuration of %s", m->conf.path);
		conf_free(&nc);
		return;
	}
	if (conf_total_pv(&nc) < nc.minsupplies) {
		/* NUT exits here; keeping the old configuration keeps the host protected */
		log_error("Reload failed: total power value (%ld) less than MINSUPPLIES (%ld)",
			conf_total_pv(&nc), nc.minsupplies);
		conf_free(&nc);
		return;
	}
	if (m->pipefd >= 0)
		conf_keep_fixed(&m->conf, &nc);
	mon_build_list(m, &nc);
	conf_free(&m->conf);
	m->conf = nc;
	mon_apply_debug(m);
}

/* ---------------------------------------------------------------- signals */

static void mon_signal(struct ev_loop *loop, int signo, void *arg)
{
	struct upsmon *m = arg;

	switch (signo) {
	case SIGCHLD:
		spawn_reap();
		return;
	case SIGHUP:
		if (m->sd_state == SD_IDLE)
			mon_reload(m);
		return;
	case SIGUSR1:
		log_info("Signal %d: User requested FSD", signo);
		shutdown_force(m);
		return;
	default:
		if (m->sd_state == SD_SYNC || m->sd_state == SD_FINAL) {
			log_notice("Signal %d: ignored, shutdown in progress", signo);
			return;
		}
		log_info("Signal %d: exiting", signo);
		ev_stop(loop);
	}
}

static int mon_signals(struct upsmon *m)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGCHLD };
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (ev_signal(m->loop, sigs[i], mon_signal, m) < 0)
			return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- life cycle */

int mon_init(struct upsmon *m, struct mon_conf *conf, int pipefd, int cli_debug)
{
	memset(m, 0, sizeof(*m));
	m->conf = *conf;
	memset(conf, 0, sizeof(*conf));
	m->pipefd = pipefd;
	m->cli_debug = cli_debug;
	m->loop = ev_new();
	if (!m->loop)
		return -1;
	m->ups = xcalloc(m->conf.nmon + 1, sizeof(*m->ups));
	for (m->nups = 0; m->nups < m->conf.nmon; m->nups++) {
		m->ups[m->nups] = xcalloc(1, sizeof(struct ups));
		ups_init(m->ups[m->nups], &m->conf.mon[m->nups]);
	}
	mon_apply_debug(m);
	if (mon_signals(m) < 0)
		return -1;
	if (pipefd >= 0 && ev_add(m->loop, pipefd, EV_READ, mon_parent_event, m) < 0)
		return -1;
	return 0;
}

int mon_run(struct upsmon *m)
{
	mon_schedule(m, 0);
	if (ev_run(m->loop) < 0) {
		log_error("event loop failed");
		return 1;
	}
	return 0;
}

void mon_free(struct upsmon *m)
{
	size_t i;

	for (i = 0; i < m->nups; i++) {
		net_close(m->ups[i]);
		ups_free(m->ups[i]);
		free(m->ups[i]);
	}
	free(m->ups);
	if (m->loop)
		ev_free(m->loop);
	conf_free(&m->conf);
	memset(m, 0, sizeof(*m));
}
