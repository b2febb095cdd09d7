/*
 * shutdown: power value, critical rule, shutdown choreography, and the
 * root parent (see shutdown.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ev.h"
#include "log.h"
#include "mon.h"
#include "net.h"
#include "notify.h"
#include "shutdown.h"
#include "spawn.h"
#include "util.h"

#define SYNC_STEP_MS 250

/* the parent's only state shared with its signal handler */
static volatile sig_atomic_t shutdown_parent_sig;

static void shutdown_begin(struct upsmon *m);

void shutdown_recalc(struct upsmon *m)
{
	struct ups_timing t = mon_timing(m);
	int64_t now = mon_now();
	long val = 0;
	size_t i;

	if (m->sd_state != SD_IDLE)
		return;
	for (i = 0; i < m->nups; i++) {
		struct ups *u = m->ups[i];

		ups_promote_dead(u, now, &t);
		/* a UPS never heard from counts as healthy */
		if (ups_critical(u, now, &t))
			log_debug(1, "Critical UPS: %s", u->sys);
		else
			val += u->pv;
	}
	log_debug(3, "Current power value: %ld, minimum (MINSUPPLIES): %ld",
		val, m->conf.minsupplies);
	if (val < m->conf.minsupplies) {
		log_notice("Too few UPS(es) are healthy (power value %ld < MINSUPPLIES %ld)",
			val, m->conf.minsupplies);
		shutdown_force(m);
	}
}

static void shutdown_exit(struct ev_loop *loop, long id, void *arg)
{
	struct upsmon *m = arg;

	(void)id;
	m->sd_timer = 0;
	ev_stop(loop);
}

static void shutdown_final(struct ev_loop *loop, long id, void *arg)
{
	struct upsmon *m = arg;
	char ch = SHUTDOWN_REQUEST;

	(void)id;
	m->sd_timer = 0;
	if (m->pipefd >= 0) {
		if (write(m->pipefd, &ch, 1) != 1)
			log_warn("Unable to call parent pipe for shutdown");
	} else {
		if (geteuid() != 0)
			log_warnx("Not root, shutdown may fail");
		shutdown_execute(&m->conf);
	}
	/* the connections close when this process ends: that is how a secondary logs out */
	m->sd_state = SD_DONE;
	if (m->conf.shutdownexit == 0) {
		ev_stop(loop);
		return;
	}
	/* SHUTDOWNEXIT no/N: stay logged in (the primary keeps waiting) */
	if (m->conf.shutdownexit < 0) {
		log_warnx("Configured to not exit upsmon after initiating shutdown");
		return;
	}
	log_warnx("Configured to only exit upsmon SHUTDOWNEXIT=%ld sec after initiating shutdown",
		m->conf.shutdownexit);
	m->sd_timer = ev_timer(loop, (uint64_t)m->conf.shutdownexit * 1000, shutdown_exit, m);
	if (m->sd_timer < 0)
		ev_stop(loop);
}

static void shutdown_begin(struct upsmon *m)
{
	m->sd_state = SD_FINAL;
	log_error("Executing automatic power-fail shutdown");
	log_debug(1, "waiting FINALDELAY (%ld s) before the shutdown command", m->conf.finaldelay);
	notify_wall("Executing automatic power-fail shutdown");
	mon_notify(m, NOTIFY_SHUTDOWN, NULL);
	m->sd_timer = ev_timer(m->loop, (uint64_t)m->conf.finaldelay * 1000, shutdown_final, m);
	if (m->sd_timer < 0)
		shutdown_final(m->loop, 0, m);
}

/* primary: wait until we are the only login on every primary UPS, or HOSTSYNC */
static void shutdown_sync_step(struct ev_loop *loop, long id, void *arg)
{
	struct upsmon *m = arg;
	long maxlogins = 0, n;
	size_t i;

	(void)id;
	m->sd_timer = 0;
	for (i = 0; i < m->nups; i++) {
		if (m->ups[i]->primary && net_numlogins(m->ups[i], &n) == 0 && n > maxlogins)
			maxlogins = n;
	}
	if (maxlogins <= 1) {
		shutdown_begin(m);
		return;
	}
	if (!m->sd_hostsync_told) {
		m->sd_hostsync_told = 1;
		mon_notify(m, NOTIFY_SHUTDOWN_HOSTSYNC, NULL);
	}
	if (mon_now() - m->sd_start > (int64_t)m->conf.hostsync * 1000) {
		log_info("Host sync timer expired, forcing shutdown");
		shutdown_begin(m);
		return;
	}
	m->sd_timer = ev_timer(loop, SYNC_STEP_MS, shutdown_sync_step, m);
	if (m->sd_timer < 0)
		shutdown_begin(m);
}

void shutdown_force(struct upsmon *m)
{
	int primary = 0;
	size_t i;

	if (m->sd_state != SD_IDLE)
		return;
	m->sd_state = SD_SYNC;
	mon_stop_polling(m);
	log_debug(1, "Shutting down any UPSes in PRIMARY mode...");
	for (i = 0; i < m->nups; i++) {
		if (!m->ups[i]->primary)
			continue;
		primary = 1;
		net_set_fsd(m->ups[i]);
	}
	if (!primary) {
		shutdown_begin(m);
		return;
	}
	log_debug(1, "This system is a primary... waiting for secondaries to logout...");
	m->sd_start = mon_now();
	shutdown_sync_step(m->loop, 0, m);
}

/* ---------------------------------------------------------------- POWERDOWNFLAG */

int shutdown_pdflag_status(const char *path)
{
	char buf[64];
	ssize_t n;
	int fd;

	if (!path)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		log_warn("'%s' exists, but we can't read from it", path);
		n = 0;
	}
	buf[n] = '\0';
	if (strncmp(buf, SHUTDOWN_MAGIC, strlen(SHUTDOWN_MAGIC)) == 0)
		return 1;
	return -1;
}

int shutdown_pdflag_write(const char *path)
{
	int fd;
	ssize_t n;

	if (!path)
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		log_warn("Failed to create power down flag %s", path);
		return -1;
	}
	n = write(fd, SHUTDOWN_MAGIC, strlen(SHUTDOWN_MAGIC));
	if (close(fd) < 0 || n != (ssize_t)strlen(SHUTDOWN_MAGIC)) {
		log_warn("Failed to write power down flag %s", path);
		return -1;
	}
	return 0;
}

void shutdown_pdflag_clear(struct mon_conf *c)
{
	int st = shutdown_pdflag_status(c->powerdownflag);

	if (st < 0) {
		log_error("POWERDOWNFLAG (%s) does not contain the upsmon magic string - disabling!",
			c->powerdownflag);
		free(c->powerdownflag);
		c->powerdownflag = NULL;
	} else if (st > 0 && unlink(c->powerdownflag) < 0) {
		log_warn("Can't remove stale power down flag %s", c->powerdownflag);
	}
}

int shutdown_pdflag_check(const struct mon_conf *c)
{
	int st;

	if (!c->powerdownflag) {
		log_error("POWERDOWNFLAG is not defined in %s", c->path);
		return 1;
	}
	st = shutdown_pdflag_status(c->powerdownflag);
	if (st < 0) {
		log_error("POWERDOWNFLAG (%s) does not contain the upsmon magic string",
			c->powerdownflag);
		return 1;
	}
	if (st == 0) {
		log_error("Power down flag is not set");
		return 1;
	}
	log_info("Power down flag is set");
	return 0;
}

void shutdown_execute(const struct mon_conf *c)
{
	shutdown_pdflag_write(c->powerdownflag);
	if (!c->shutdowncmd) {
		log_error("No SHUTDOWNCMD defined: cannot shut down");
		return;
	}
	if (spawn_shell_wait(c->shutdowncmd) != 0)
		log_error("parent: Unable to call shutdown command: %s", c->shutdowncmd);
}

/* ---------------------------------------------------------------- root parent */

static void shutdown_parent_handler(int sig)
{
	shutdown_parent_sig = sig;
}

static void shutdown_parent_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	/* no SA_RESTART: read() returns EINTR so the signal can be passed on */
	sa.sa_handler = shutdown_parent_handler;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
}

static int shutdown_parent_reap(pid_t child, const char *pidfile)
{
	int status = 0;

	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (pidfile && pidfile_read(pidfile) == child)
		unlink(pidfile);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 1;
}

void shutdown_parent(int fd, pid_t child, const struct mon_conf *c, const char *pidfile)
{
	unsigned char ch;
	ssize_t n;

	shutdown_parent_signals();
	for (;;) {
		n = read(fd, &ch, 1);
		if (n == 1 && ch == SHUTDOWN_REQUEST) {
			shutdown_execute(c);
			shutdown_parent_reap(child, pidfile);
			_exit(0);
		}
		if (n == 1) {
			log_error("upsmon parent: got bogus pipe command %u", ch);
			continue;
		}
		if (n < 0 && errno == EINTR) {
			if (shutdown_parent_sig)
				kill(child, shutdown_parent_sig);
			shutdown_parent_sig = 0;
			continue;
		}
		/* EOF: the child is gone without asking for a shutdown */
		log_debug(1, "upsmon parent: exiting (child exited)");
		_exit(shutdown_parent_reap(child, pidfile));
	}
}
