/*
 * fuzz_sched: libFuzzer target for upssched's two readers of outside
 * input, picked by the first input byte (low bit), the rest being the
 * input:
 *
 *  0: upssched.conf, through schedconf_load (written to a temporary file,
 *     the reader takes a path) and then the `upssched -n` checks
 *     (schedcheck_run). Oracle: every message names the file, the error
 *     and warning counts match the messages, every rule is complete (type,
 *     UPS, a non-empty name, a delay in 0..366 days for START-TIMER, an
 *     argument only for CANCEL-TIMER) and AT rules only exist once
 *     CMDSCRIPT, PIPEFN and LOCKFN are set, PIPEFN fits a socket address.
 *
 *  1: the timer daemon's side of PIPEFN: sched/timerd.c is compiled into
 *     this file and one connection is set up as timerd_accept does, on a
 *     socketpair; the bytes are what a client writes (START/CANCEL lines,
 *     or anything), read by timerd_conn_read until the client hangs up.
 *     Then the first timer, if any, expires (timerd_fire). Nothing is
 *     forked (spawn_fork is faked as "the parent"; the command line
 *     CMDSCRIPT would get is still built). Oracle: every reply line is
 *     "OK" or "ERR <reason>"; there are as many replies as non-empty
 *     request lines plus parse errors; the connection is gone after the
 *     hang-up; every timer has a name, its notify type, UPS and message.
 *
 * sched/ is not changed for this: the static functions are reached by
 * including timerd.c.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "schedcheck.h"
#include "schedconf.h"

#include "../../sched/timerd.c"

#define FUZZ_MAX_INPUT (64 * 1024)

static char dir[64];
static char path[128];
static int file_fd = -1;
static unsigned scripts_run;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ------------------------------------------------------------ spawn fakes */

pid_t spawn_fork(void)
{
	scripts_run++;
	return 12345;      /* "the parent": no child, nothing runs */
}

void spawn_exec_shell(const char *cmd)
{
	(void)cmd;
	abort();           /* only a child would get here */
}

pid_t spawn_shell(const char *cmd)
{
	(void)cmd;
	abort();
}

int spawn_shell_wait(const char *cmd)
{
	(void)cmd;
	abort();
}

int spawn_reap(void)
{
	return 0;
}

/* ------------------------------------------------------------ upssched.conf */

static void fuzz_cleanup(void)
{
	if (file_fd >= 0)
		close(file_fd);
	unlink(path);
	rmdir(dir);
}

static void fuzz_setup(void)
{
	log_set_targets(0);      /* format every message, print none */
	log_set_debug(9);
	str_copy(dir, "/tmp/fuzz-sched-XXXXXX", sizeof(dir));
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/upssched.conf", dir);
	file_fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (file_fd < 0)
		abort();
	atexit(fuzz_cleanup);
}

static void check_conf(const struct schedconf *sc)
{
	size_t i, n = strlen(path);
	unsigned errors = 0, warnings = 0;

	for (i = 0; i < sc->nmsgs; i++) {
		const struct sched_msg *m = &sc->msgs[i];

		if (!m->text || strncmp(m->text, path, n) != 0 || m->text[n] != ':')
			abort();
		if (m->error)
			errors++;
		else
			warnings++;
	}
	if (errors != sc->nerrors || warnings != sc->nwarnings)
		abort();
	if (sc->pipefn && strlen(sc->pipefn) > SCHEDCONF_PIPEFN_MAX)
		abort();
	if (sc->nrules > 0 && (!sc->cmdscript || !sc->pipefn || !sc->lockfn))
		abort();
	for (i = 0; i < sc->nrules; i++) {
		const struct sched_rule *r = &sc->rules[i];

		if (!r->ntype || !r->ups || !r->name || !r->name[0] || r->line == 0)
			abort();
		if (r->cmd == SCHED_START && (r->secs < 0 || r->secs > 366L * 86400L))
			abort();
		if (r->arg && (r->cmd != SCHED_CANCEL || !r->arg[0]))
			abort();
		(void)schedconf_match(r, "ups", "ONBATT");
	}
}

static void run_conf(const uint8_t *data, size_t size)
{
	struct schedconf sc;

	if (ftruncate(file_fd, 0) < 0 || (size > 0 && pwrite(file_fd, data, size, 0) != (ssize_t)size))
		abort();
	if (schedconf_load(&sc, path) != 0)
		abort();
	check_conf(&sc);
	schedcheck_run(&sc);
	check_conf(&sc);
	schedconf_free(&sc);
}

/* ------------------------------------------------------------ timer daemon */

/* read the replies; returns how many lines, aborts on a malformed one */
static size_t read_replies(int fd, char *acc, size_t *acclen, size_t accsize)
{
	size_t lines = 0;
	ssize_t n;
	char *nl;

	while ((n = recv(fd, acc + *acclen, accsize - *acclen, MSG_DONTWAIT)) > 0) {
		*acclen += (size_t)n;
		while ((nl = memchr(acc, '\n', *acclen)) != NULL) {
			size_t len = (size_t)(nl - acc) + 1;

			if (!(len == 3 && memcmp(acc, "OK\n", 3) == 0) && memcmp(acc, "ERR ", 4) != 0)
				abort();
			lines++;
			memmove(acc, nl + 1, *acclen - len);
			*acclen -= len;
		}
		if (*acclen == accsize)
			abort();        /* a reply line longer than any the daemon has */
	}
	return lines;
}

/* what timerd_request answers, counted the same way from the client's side */
static size_t expected_replies(const uint8_t *data, size_t size)
{
	struct pconf p;
	size_t off = 0, used, n = 0;

	pconf_init(&p);
	while (off < size) {
		enum pconf_result r = pconf_feed(&p, (const char *)data + off, size - off, &used);

		off += used;
		if ((r == PCONF_LINE && p.argc > 0) || r == PCONF_ERROR)
			n++;
		else if (used == 0)
			break;
	}
	pconf_free(&p);
	return n;
}

static void check_timers(const struct timerd *d)
{
	const struct timerd_timer *t;

	for (t = d->timers; t; t = t->next)
		if (!t->name || !t->name[0] || !t->ntype || !t->ups || !t->msg || t->id <= 0)
			abort();
}

static void run_daemon(const uint8_t *data, size_t size)
{
	struct schedconf sc;
	struct timerd d;
	struct timerd_conn *c;
	struct timerd_timer *t;
	char acc[256];
	size_t acclen = 0, replies = 0;
	int sv[2], rounds;

	if (size > FUZZ_MAX_INPUT)
		return;
	memset(&sc, 0, sizeof(sc));
	sc.cmdscript = (char *)"/usr/local/bin/upssched-cmd";
	sc.pipefn = (char *)"/nonexistent/upssched.pipe";
	sc.lockfn = (char *)"/nonexistent/upssched.lock";
	memset(&d, 0, sizeof(d));
	d.sc = &sc;
	d.lfd = -1;                 /* no listener: no idle exit is armed */
	d.idle_ms = TIMERD_IDLE_MS;
	d.loop = ev_new();
	if (!d.loop || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	sock_set_nonblock(sv[0], 1);

	/* as timerd_accept sets up a connection */
	c = xcalloc(1, sizeof(*c));
	c->fd = sv[0];
	c->d = &d;
	pconf_init(&c->pc);
	if (ev_add(d.loop, c->fd, EV_READ, timerd_conn_read, c) < 0)
		abort();
	d.nconns++;
	c->timeout = ev_timer(d.loop, TIMERD_CONN_MS, timerd_conn_timeout, c);

	if (size > 0 && send(sv[1], data, size, MSG_NOSIGNAL) != (ssize_t)size)
		abort();
	shutdown(sv[1], SHUT_WR);
	/* every call reads some bytes (at most 1024); the last one sees the hang-up */
	for (rounds = 0; d.nconns > 0; rounds++) {
		if ((size_t)rounds > size + 2)
			abort();
		timerd_conn_read(d.loop, sv[0], EV_READ, c);
		replies += read_replies(sv[1], acc, &acclen, sizeof(acc));
		check_timers(&d);
	}
	if (acclen != 0 || replies != expected_replies(data, size))
		abort();
	if (d.timers) {
		unsigned before = scripts_run;

		timerd_fire(d.loop, d.timers->id, &d);
		if (scripts_run != before + 1)
			abort();
	}
	while ((t = d.timers) != NULL) {
		d.timers = t->next;
		ev_timer_cancel(d.loop, t->id);
		timerd_timer_free(t);
	}
	close(sv[1]);
	ev_free(d.loop);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (file_fd < 0)
		fuzz_setup();
	if (data[0] & 1)
		run_daemon(data + 1, size - 1);
	else
		run_conf(data + 1, size - 1);
	return 0;
}
