/*
 * timerd: upssched timer daemon (see timerd.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ev.h"
#include "log.h"
#include "pconf.h"
#include "schedconf.h"
#include "sock.h"
#include "../monitor/spawn.h"
#include "timerd.h"
#include "util.h"

#define TIMERD_MAX_CONNS 32
#define TIMERD_CONN_MS 10000
#define TIMERD_READY_MS 5000

struct timerd_timer {
	char *name, *ntype, *ups;
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
	struct timerd_timer *timers;
	long idle_timer;
	int nconns;
};

static void timerd_idle_check(struct timerd *d);

static void timerd_run_script(struct timerd *d, const char *word, const char *ntype,
	const char *ups)
{
	char cmd[2048];
	pid_t pid;

	snprintf(cmd, sizeof(cmd), "%s %s", d->sc->cmdscript, word);
	log_info("Executing command: %s", word);
	pid = spawn_fork();
	if (pid != 0)
		return;
	setenv("UPSNAME", ups, 1);
	setenv("NOTIFYTYPE", ntype, 1);
	spawn_exec_shell(cmd);
}

static void timerd_timer_free(struct timerd_timer *t)
{
	free(t->name);
	free(t->ntype);
	free(t->ups);
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
		timerd_run_script(d, t->name, t->ntype, t->ups);
		timerd_timer_free(t);
		break;
	}
	timerd_idle_check(d);
}

static int timerd_start(struct timerd *d, int shared, char **argv)
{
	struct timerd_timer *t, **pp;
	long secs;

	if (parse_long(argv[2], 0, 86400L * 365, &secs) < 0) {
		log_error("bogus offset for timer %s: %s", argv[1], argv[2]);
		return -1;
	}
	for (pp = &d->timers; *pp; pp = &(*pp)->next) {
		if (shared && strcmp((*pp)->name, argv[1]) == 0)
			return 0;
	}
	t = xcalloc(1, sizeof(*t));
	t->name = xstrdup(argv[1]);
	t->ntype = xstrdup(argv[3]);
	t->ups = xstrdup(argv[4]);
	t->id = ev_timer(d->loop, (uint64_t)secs * 1000, timerd_fire, d);
	if (t->id < 0) {
		timerd_timer_free(t);
		return -1;
	}
	*pp = t;    /* append: list order = start order */
	log_info("New timer: %s (%ld seconds)", t->name, secs);
	return 0;
}

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
		timerd_run_script(d, argv[2], argv[3], argv[4]);
	}
}

static const char *timerd_request(struct timerd *d, int argc, char **argv)
{
	int rc = 0;

	if (argc < 5)
		return "ERR INVALID-ARGUMENT\n";
	if (strcmp(argv[0], "START") == 0)
		rc = timerd_start(d, 0, argv);
	else if (strcmp(argv[0], "START-SHARED") == 0)
		rc = timerd_start(d, 1, argv);
	else if (strcmp(argv[0], "CANCEL") == 0)
		timerd_cancel(d, argv);
	else
		return "ERR UNKNOWN\n";
	timerd_idle_check(d);
	return rc < 0 ? "ERR INVALID-ARGUMENT\n" : "OK\n";
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
	char buf[512];
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

		off += used;
		if (r == PCONF_LINE && c->pc.argc > 0) {
			const char *reply = timerd_request(c->d, c->pc.argc, c->pc.argv);

			sock_write_all(fd, reply, strlen(reply), 1000);
		} else if (r == PCONF_ERROR) {
			sock_write_all(fd, "ERR INVALID-ARGUMENT\n", 21, 1000);
		} else if (used == 0) {
			break;
		}
	}
}

static void timerd_accept(struct ev_loop *loop, int lfd, int events, void *arg)
{
	struct timerd *d = arg;
	struct timerd_conn *c;
	int fd = sock_accept(lfd);

	(void)events;
	if (fd < 0)
		return;
	if (d->nconns >= TIMERD_MAX_CONNS) {
		close(fd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->d = d;
	pconf_init(&c->pc);
	if (ev_add(loop, fd, EV_READ, timerd_conn_read, c) < 0) {
		close(fd);
		pconf_free(&c->pc);
		free(c);
		return;
	}
	d->nconns++;
	c->timeout = ev_timer(loop, TIMERD_CONN_MS, timerd_conn_timeout, c);
}

static void timerd_idle_exit(struct ev_loop *loop, long id, void *arg)
{
	struct timerd *d = arg;

	(void)id;
	d->idle_timer = 0;
	if (d->timers)
		return;
	log_info("Timer queue empty, exiting");
	ev_stop(loop);
}

/* arm the idle exit when the queue is empty, disarm it otherwise */
static void timerd_idle_check(struct timerd *d)
{
	if (d->timers && d->idle_timer > 0) {
		ev_timer_cancel(d->loop, d->idle_timer);
		d->idle_timer = 0;
	} else if (!d->timers && d->idle_timer <= 0) {
		d->idle_timer = ev_timer(d->loop, TIMERD_IDLE_MS, timerd_idle_exit, d);
	}
}

static void timerd_signal(struct ev_loop *loop, int signo, void *arg)
{
	(void)arg;
	if (signo == SIGCHLD) {
		spawn_reap();
		return;
	}
	if (signo == SIGTERM || signo == SIGINT) {
		log_info("Signal %d: exiting", signo);
		ev_stop(loop);
	}
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

/* the daemon child: detach, listen, tell the starter, serve */
static void timerd_main(const struct schedconf *sc, int readyfd) __attribute__((noreturn));
static void timerd_main(const struct schedconf *sc, int readyfd)
{
	struct timerd d;
	char err[256];
	int fd;

	setsid();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	if (readyfd > 3)
		close_range(3, (unsigned)readyfd - 1, 0);
	close_range((unsigned)readyfd + 1, ~0U, 0);
	log_set_targets(LOG_TO_SYSLOG);
	/* under the lock, a socket nobody answers on is stale: replace it */
	fd = sock_connect_unix(sc->pipefn, NULL, 0);
	if (fd >= 0) {
		close(fd);
		_exit(0);
	}
	memset(&d, 0, sizeof(d));
	d.sc = sc;
	umask(007);
	d.lfd = sock_listen_unix(sc->pipefn, 0660, 16, err, sizeof(err));
	if (d.lfd < 0) {
		log_error("Timer daemon: %s", err);
		_exit(1);
	}
	fcntl(d.lfd, F_SETFD, FD_CLOEXEC);
	unlink(sc->lockfn);
	log_info("Timer daemon started");
	if (write(readyfd, "R", 1) != 1)
		log_warn("Timer daemon: cannot signal readiness");
	close(readyfd);
	if (timerd_loop(&d) < 0)
		log_error("Timer daemon: event loop failed");
	unlink(sc->pipefn);
	_exit(0);
}

int timerd_spawn(const struct schedconf *sc)
{
	struct pollfd pfd;
	int fds[2];
	char ch;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		log_warn("pipe");
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		log_warn("Unable to enter background");
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		timerd_main(sc, fds[1]);
	}
	close(fds[1]);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	/* a byte: listening; EOF: it found a live daemon or failed (the caller retries) */
	if (poll(&pfd, 1, TIMERD_READY_MS) <= 0 || read(fds[0], &ch, 1) != 1) {
		close(fds[0]);
		return -1;
	}
	close(fds[0]);
	return 0;
}
