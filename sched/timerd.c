/*
 * timerd: upssched timer daemon (see timerd.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../monitor/spawn.h"
#include "ev.h"
#include "log.h"
#include "pconf.h"
#include "schedconf.h"
#include "schedlock.h"
#include "sock.h"
#include "timerd.h"
#include "util.h"

#define TIMERD_MAX_CONNS 64
#define TIMERD_CONN_MS 10000
#define TIMERD_BACKLOG 64
#define TIMERD_LOCK_RETRY_MS 100
#define TIMERD_TERM_LOCK_MS 2000

struct timerd_timer {
	char *name, *ntype, *ups, *msg;
	long id;
	struct timerd_timer *next;
};

struct timerd_conn {
	int fd;
	long timeout;
	struct pconf pc;
	struct timerd *d;
};

struct timerd {
	const struct schedconf *sc;
	struct ev_loop *loop;
	int lfd;
	struct stat pipe_st;    /* PIPEFN as we bound it: only that file is ours to remove */
	int pipe_known;
	struct timerd_timer *timers;   /* start order */
	long idle_timer;
	uint64_t idle_ms;
	int nconns;
};

static void timerd_idle_check(struct timerd *d);

static void timerd_run_script(struct timerd *d, const char *word, const char *ntype,
	const char *ups, const char *msg)
{
	char cmd[2048];
	pid_t pid;

	if ((size_t)snprintf(cmd, sizeof(cmd), "%s %s", d->sc->cmdscript, word) >= sizeof(cmd)) {
		log_error("CMDSCRIPT command for %s too long", word);
		return;
	}
	log_info("Executing command: %s (UPS %s, %s)", word, ups, ntype);
	pid = spawn_fork();
	if (pid != 0)
		return;     /* not waited for: SIGCHLD reaps it, a slow script delays nothing */
	setenv("UPSNAME", ups, 1);
	setenv("NOTIFYTYPE", ntype, 1);
	if (msg[0])
		setenv("NOTIFYMSG", msg, 1);
	else
		unsetenv("NOTIFYMSG");
	spawn_exec_shell(cmd);
}

static void timerd_timer_free(struct timerd_timer *t)
{
	free(t->name);
	free(t->ntype);
	free(t->ups);
	free(t->msg);
	free(t);
}

static void timerd_fire(struct ev_loop *loop, long id, void *arg)
{
	struct timerd *d = arg;
	struct timerd_timer **pp, *t;

	(void)loop;
	for (pp = &d->timers; *pp; pp = &(*pp)->next) {
		if ((*pp)->id != id)
			continue;
		t = *pp;
		*pp = t->next;
		log_info("Event: %s", t->name);
		timerd_run_script(d, t->name, t->ntype, t->ups, t->msg);
		timerd_timer_free(t);
		break;
	}
	timerd_idle_check(d);
}

/* START name secs ntype ups msg */
static int timerd_start(struct timerd *d, char **argv)
{
	struct timerd_timer *t, **pp;
	long secs;

	if (parse_long(argv[2], 0, 366L * 86400L, &secs) < 0) {
		log_error("bogus offset for timer %s: %s", argv[1], argv[2]);
		return -1;
	}
	t = xcalloc(1, sizeof(*t));
	t->name = xstrdup(argv[1]);
	t->ntype = xstrdup(argv[3]);
	t->ups = xstrdup(argv[4]);
	t->msg = xstrdup(argv[5]);
	t->id = ev_timer(d->loop, (uint64_t)secs * 1000, timerd_fire, d);
	if (t->id < 0) {
		timerd_timer_free(t);
		return -1;
	}
	for (pp = &d->timers; *pp; pp = &(*pp)->next)
		;
	*pp = t;    /* duplicate names are independent timers, as in NUT */
	log_info("New timer: %s (%ld seconds)", t->name, secs);
	return 0;
}

/* CANCEL name word ntype ups msg */
static void timerd_cancel(struct timerd *d, char **argv)
{
	struct timerd_timer **pp = &d->timers, *t;
	int found = 0;

	while (*pp) {
		t = *pp;
		if (strcmp(t->name, argv[1]) != 0) {
			pp = &t->next;
			continue;
		}
		*pp = t->next;
		ev_timer_cancel(d->loop, t->id);
		log_info("Cancelling timer: %s", t->name);
		timerd_timer_free(t);
		found = 1;
	}
	if (!found && argv[2][0] != '\0') {
		log_info("Cancel %s, event: %s", argv[1], argv[2]);
		timerd_run_script(d, argv[2], argv[3], argv[4], argv[5]);
	}
}

static const char *timerd_request(struct timerd *d, int argc, char **argv)
{
	if (strcmp(argv[0], "START") != 0 && strcmp(argv[0], "CANCEL") != 0)
		return "ERR UNKNOWN-COMMAND\n";
	if (argc != 6 || argv[1][0] == '\0')
		return "ERR INVALID-ARGUMENT\n";
	if (argv[0][0] == 'S') {
		if (timerd_start(d, argv) < 0)
			return "ERR INVALID-ARGUMENT\n";
	} else {
		timerd_cancel(d, argv);
	}
	return "OK\n";
}

static void timerd_conn_close(struct timerd_conn *c)
{
	struct timerd *d = c->d;

	ev_del(d->loop, c->fd);
	if (c->timeout > 0)
		ev_timer_cancel(d->loop, c->timeout);
	close(c->fd);
	pconf_free(&c->pc);
	free(c);
	d->nconns--;
	timerd_idle_check(d);
}

static void timerd_conn_timeout(struct ev_loop *loop, long id, void *arg)
{
	struct timerd_conn *c = arg;

	(void)loop;
	(void)id;
	c->timeout = 0;
	timerd_conn_close(c);
}

static void timerd_conn_read(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct timerd_conn *c = arg;
	char buf[1024];
	ssize_t n = read(fd, buf, sizeof(buf));
	size_t off = 0, used;

	(void)loop;
	(void)events;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		timerd_conn_close(c);
		return;
	}
	while (off < (size_t)n) {
		enum pconf_result r = pconf_feed(&c->pc, buf + off, (size_t)n - off, &used);
		const char *reply = NULL;

		off += used;
		if (r == PCONF_LINE && c->pc.argc > 0)
			reply = timerd_request(c->d, c->pc.argc, c->pc.argv);
		else if (r == PCONF_ERROR)
			reply = "ERR INVALID-ARGUMENT\n";
		if (reply && sock_write_all(fd, reply, strlen(reply), 1000) < 0) {
			timerd_conn_close(c);
			return;
		}
	}
	timerd_idle_check(c->d);
}

static void timerd_accept(struct ev_loop *loop, int lfd, int events, void *arg)
{
	struct timerd *d = arg;
	struct timerd_conn *c;
	int fd;

	(void)events;
	while ((fd = sock_accept(lfd)) >= 0) {
		if (d->nconns >= TIMERD_MAX_CONNS) {
			close(fd);      /* the client sees EOF and tries again */
			continue;
		}
		c = xcalloc(1, sizeof(*c));
		c->fd = fd;
		c->d = d;
		pconf_init(&c->pc);
		if (ev_add(loop, fd, EV_READ, timerd_conn_read, c) < 0) {
			close(fd);
			pconf_free(&c->pc);
			free(c);
			continue;
		}
		d->nconns++;
		c->timeout = ev_timer(loop, TIMERD_CONN_MS, timerd_conn_timeout, c);
	}
	timerd_idle_check(d);
}

/* remove PIPEFN if it is still the socket we bound */
static void timerd_unlink_pipe(struct timerd *d)
{
	struct stat st;

	if (d->pipe_known && stat(d->sc->pipefn, &st) == 0 &&
	    st.st_dev == d->pipe_st.st_dev && st.st_ino == d->pipe_st.st_ino)
		unlink(d->sc->pipefn);
}

/*
 * Leave under LOCKFN: with the lock held no client is starting a daemon,
 * so removing PIPEFN cannot remove a successor's socket; clients still
 * queued on our socket are reset when it closes and try again.
 */
static int timerd_leave(struct timerd *d, int wait_ms)
{
	int lockfd;

	if (d->lfd < 0)
		return 0;       /* already on the way out */
	lockfd = schedlock_take(d->sc->lockfn, wait_ms);
	if (lockfd < 0 && wait_ms == 0)
		return -1;
	timerd_unlink_pipe(d);
	ev_del(d->loop, d->lfd);
	close(d->lfd);
	d->lfd = -1;
	ev_stop(d->loop);
	return 0;   /* the lock is released when the process exits */
}

static void timerd_idle_exit(struct ev_loop *loop, long id, void *arg)
{
	struct timerd *d = arg;

	(void)loop;
	(void)id;
	d->idle_timer = 0;
	if (d->timers || d->nconns > 0)
		return;
	if (timerd_leave(d, 0) < 0) {
		/* a client holds the lock: it will find us listening */
		d->idle_timer = ev_timer(d->loop, TIMERD_LOCK_RETRY_MS, timerd_idle_exit, d);
		return;
	}
	log_info("Timer queue empty, exiting");
}

/* arm the idle exit when nothing is pending, disarm it otherwise */
static void timerd_idle_check(struct timerd *d)
{
	int idle = !d->timers && d->nconns == 0;

	if (!idle && d->idle_timer > 0) {
		ev_timer_cancel(d->loop, d->idle_timer);
		d->idle_timer = 0;
	} else if (idle && d->idle_timer <= 0 && d->lfd >= 0) {
		d->idle_timer = ev_timer(d->loop, d->idle_ms, timerd_idle_exit, d);
	}
}

static void timerd_signal(struct ev_loop *loop, int signo, void *arg)
{
	struct timerd *d = arg;
	struct timerd_timer *t;

	(void)loop;
	if (signo == SIGCHLD) {
		spawn_reap();
		return;
	}
	for (t = d->timers; t; t = t->next)
		log_warnx("Signal %d: timer %s dropped", signo, t->name);
	log_info("Signal %d: exiting", signo);
	timerd_leave(d, TIMERD_TERM_LOCK_MS);
}

static uint64_t timerd_idle_ms(void)
{
	const char *s = getenv(TIMERD_IDLE_ENV);
	long ms;

	if (s && parse_long(s, 50, 3600000L, &ms) == 0)
		return (uint64_t)ms;
	return TIMERD_IDLE_MS;
}

static int timerd_loop(struct timerd *d)
{
	d->loop = ev_new();
	if (!d->loop)
		return -1;
	if (ev_signal(d->loop, SIGCHLD, timerd_signal, d) < 0 ||
	    ev_signal(d->loop, SIGTERM, timerd_signal, d) < 0 ||
	    ev_signal(d->loop, SIGINT, timerd_signal, d) < 0 ||
	    ev_add(d->loop, d->lfd, EV_READ, timerd_accept, d) < 0)
		return -1;
	timerd_idle_check(d);
	return ev_run(d->loop);
}

/* the daemon child: own session, /dev/null stdio, only the socket kept open */
static int timerd_detach(int lfd)
{
	sigset_t none;
	int fd, sig;

	setsid();
	if (chdir("/") < 0)
		log_warn("chdir /");
	for (sig = 1; sig < NSIG; sig++) {
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	fd = fcntl(lfd, F_DUPFD_CLOEXEC, 3);    /* keep it clear of 0-2 */
	if (fd < 0)
		return -1;
	close_range(3, (unsigned)fd - 1, 0);
	close_range((unsigned)fd + 1, ~0U, 0);
	if (lfd < 3)
		close(lfd);
	lfd = open("/dev/null", O_RDWR);
	if (lfd >= 0) {
		dup2(lfd, 0);
		dup2(lfd, 1);
		dup2(lfd, 2);
		if (lfd > 2)
			close(lfd);
	}
	return fd;
}

static void timerd_main(const struct schedconf *sc, int lfd) __attribute__((noreturn));
static void timerd_main(const struct schedconf *sc, int lfd)
{
	struct timerd d;

	log_set_targets(LOG_TO_SYSLOG);
	memset(&d, 0, sizeof(d));
	d.sc = sc;
	d.idle_ms = timerd_idle_ms();
	d.lfd = timerd_detach(lfd);
	if (d.lfd < 0) {
		log_warn("Timer daemon: can't keep the socket");
		_exit(1);
	}
	d.pipe_known = stat(sc->pipefn, &d.pipe_st) == 0;
	log_info("Timer daemon started (%s)", sc->pipefn);
	if (timerd_loop(&d) < 0) {
		log_warn("Timer daemon: event loop failed");
		timerd_unlink_pipe(&d);
		_exit(1);
	}
	_exit(0);
}

int timerd_spawn(const struct schedconf *sc, char *err, size_t errlen)
{
	mode_t old = umask(007);
	int lfd = sock_listen_unix(sc->pipefn, 0660, TIMERD_BACKLOG, err, errlen);
	pid_t pid;

	umask(old);
	if (lfd < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "Unable to start the timer daemon: %s", strerror(errno));
		close(lfd);
		unlink(sc->pipefn);
		return -1;
	}
	if (pid == 0)
		timerd_main(sc, lfd);
	close(lfd);
	return 0;
}
