/*
 * client.c: upsd network client sessions: accept, read + tokenize, bounded
 * output buffered per loop turn (one write per reply batch), idle timeout,
 * deferred free at the safe point.
 *
 * The safe point (client_housekeeping, before every epoll wait) visits only
 * the clients on d->pending: those that queued output, asked to close or
 * died since the last one. Idle clients cost nothing there; the idle timeout
 * is a sweep of every client once per tick (client_check_idle).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "log.h"
#include "netcmds.h"
#include "sock.h"
#include "starttls.h"
#include "tls.h"
#include "util.h"

#define ACCEPT_BATCH 64

static void client_flush(struct upsd_client *c);
static void client_tls_begin(struct upsd_client *c);
static void client_flush_tls(struct upsd_client *c);

/* c has work for the next safe point */
static void client_mark(struct upsd_client *c)
{
	if (c->pending)
		return;
	c->pending = 1;
	c->pending_next = c->upsd->pending;
	c->upsd->pending = c;
}

void client_kill(struct upsd_client *c)
{
	if (c->dead)
		return;
	c->dead = 1;
	client_mark(c);
	if (c->fd >= 0)
		ev_del(c->upsd->ev, c->fd);
	buf_clear(&c->out);
}

static void client_free(struct upsd *d, struct upsd_client *c)
{
	log_debug(2, "Disconnect from %s", c->addr);
	if (c->loginups && c->loginups->numlogins > 0)
		c->loginups->numlogins--;
	starttls_free_client(c);
	if (c->fd >= 0)
		close(c->fd);
	pconf_free(&c->parser);
	buf_free(&c->out);
	free(c->username);
	if (c->password) {
		explicit_bzero(c->password, strlen(c->password));
		free(c->password);
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		d->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
	d->nclients--;
}

static void client_set_write(struct upsd_client *c, int want)
{
	if (c->wantwrite == want)
		return;
	c->wantwrite = want;
	ev_mod(c->upsd->ev, c->fd, want ? (EV_READ | EV_WRITE) : EV_READ);
}

static void client_flush(struct upsd_client *c)
{
	if (c->tlsconn) {
		client_flush_tls(c);
		return;
	}
	while (!c->dead && c->out.len > 0) {
		ssize_t n = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			buf_consume(&c->out, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			client_set_write(c, 1);
			return;
		}
		log_debug(2, "Write to %s failed: %s", c->addr, strerror(errno));
		client_kill(c);
		return;
	}
	if (!c->dead && c->tls_state == STARTTLS_QUEUED) {
		client_tls_begin(c);    /* "OK STARTTLS" is out */
		return;
	}
	if (!c->dead)
		client_set_write(c, 0);
	if (!c->dead && c->closing && c->out.len == 0)
		client_kill(c);
}

/* the buffer is full: push what we can now, then retry once */
static int client_append(struct upsd_client *c, const void *data, size_t len)
{
	client_mark(c);
	if (buf_append(&c->out, data, len) == 0)
		return 0;
	c->out.overflow = 0;
	if (!c->wantwrite)
		client_flush(c);
	if (c->dead)
		return -1;
	return buf_append(&c->out, data, len);
}

int client_send_raw(struct upsd_client *c, const void *data, size_t len)
{
	if (c->dead)
		return -1;
	if (client_append(c, data, len) < 0) {
		log_warnx("Output buffer full for client %s: disconnecting", c->addr);
		client_kill(c);
		return -1;
	}
	return 0;
}

int client_send(struct upsd_client *c, const char *fmt, ...)
{
	char line[UPSD_LINE_MAX];
	va_list ap;
	int n;

	if (c->dead)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;   /* overlong reply: truncated, like NUT */
	log_debug(3, "Sent to %s: %s", c->addr, line);
	line[n++] = '\n';
	if (client_append(c, line, (size_t)n) < 0) {
		log_warnx("Output buffer full for client %s: disconnecting", c->addr);
		client_kill(c);
		return -1;
	}
	return 0;
}

void client_close_later(struct upsd_client *c)
{
	c->closing = 1;
	client_mark(c);
}

static void client_line(struct upsd *d, struct upsd_client *c)
{
	c->last_line_ms = ev_now_ms(d->ev);
	if (c->parser.argc == 0) {
		client_send(c, "ERR UNKNOWN-COMMAND");
		return;
	}
	netcmd_dispatch(d, c, c->parser.argc, c->parser.argv);
}

/* feed one chunk; parse errors drop the rest of the chunk, as NUT does */
static void client_feed(struct upsd *d, struct upsd_client *c, const char *data, size_t len)
{
	size_t off = 0;

	while (off < len && !c->dead && !c->closing) {
		size_t used = 0;
		enum pconf_result r = pconf_feed(&c->parser, data + off, len - off, &used);

		off += used;
		if (r == PCONF_LINE) {
			client_line(d, c);
			/* after STARTTLS nothing is parsed in clear: the rest is TLS input */
			if (c->tls_state == STARTTLS_QUEUED && starttls_keep_early(c, data + off, len - off) < 0)
				client_kill(c);
			if (c->tls_state == STARTTLS_QUEUED)
				break;
			continue;
		}
		if (r == PCONF_ERROR) {
			log_warnx("Parse error on sock: %s", c->parser.errmsg);
			break;
		}
		if (used == 0)
			break;
	}
}

static void client_read(struct upsd *d, struct upsd_client *c)
{
	char chunk[UPSD_READ_CHUNK];
	ssize_t n = recv(c->fd, chunk, sizeof(chunk), MSG_DONTWAIT);

	if (n == 0) {
		client_kill(c);
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			log_debug(2, "Read from %s failed: %s", c->addr, strerror(errno));
			client_kill(c);
		}
		return;
	}
	if (c->closing)
		return;
	client_feed(d, c, chunk, (size_t)n);
}

/* ------------------------------------------------------------ TLS sessions */

static void client_read_tls(struct upsd *d, struct upsd_client *c)
{
	char chunk[UPSD_READ_CHUNK];
	long n;

	/* NSS may hold decrypted bytes the socket no longer signals */
	do {
		n = tls_read(c->tlsconn, chunk, sizeof(chunk));
		if (n == TLS_WANT_READ || n == TLS_WANT_WRITE) {
			if (n == TLS_WANT_WRITE)
				client_set_write(c, 1);
			return;
		}
		if (n <= 0) {
			if (n < 0)
				log_debug(2, "TLS read from %s failed: %s", c->addr, tls_errstr(c->tlsconn));
			client_kill(c);
			return;
		}
		if (!c->closing)
			client_feed(d, c, chunk, (size_t)n);
	} while (!c->dead && tls_pending(c->tlsconn) > 0);
}

static void client_flush_tls(struct upsd_client *c)
{
	long n = 0;

	while (!c->dead && c->out.len > 0) {
		n = tls_write(c->tlsconn, c->out.data, c->out.len);
		if (n <= 0)
			break;
		buf_consume(&c->out, (size_t)n);
	}
	if (!c->dead && c->out.len == 0 && tls_unsent(c->tlsconn))
		n = tls_flush(c->tlsconn);
	if (c->dead)
		return;
	if (n == TLS_WANT_WRITE || n == TLS_WANT_READ) {
		client_set_write(c, n == TLS_WANT_WRITE);
		return;
	}
	if (n < 0) {
		log_debug(2, "TLS write to %s failed: %s", c->addr, tls_errstr(c->tlsconn));
		client_kill(c);
		return;
	}
	client_set_write(c, 0);
	if (c->closing && c->out.len == 0)
		client_kill(c);
}

static void client_tls_step(struct upsd *d, struct upsd_client *c)
{
	int rc = tls_handshake(c->tlsconn);

	if (rc == TLS_WANT_READ || rc == TLS_WANT_WRITE) {
		client_set_write(c, rc == TLS_WANT_WRITE);
		return;
	}
	starttls_report(c, rc == 0);
	if (rc < 0) {
		client_kill(c);
		return;
	}
	c->tls_state = STARTTLS_UP;
	client_flush_tls(c);
	if (!c->dead)
		client_read_tls(d, c);
}

static void client_tls_begin(struct upsd_client *c)
{
	int fd = c->fd;

	if (starttls_begin(c) < 0) {
		ev_del(c->upsd->ev, fd);   /* the socket is already closed */
		client_kill(c);
		return;
	}
	client_tls_step(c->upsd, c);
}

/* before the handshake: bytes that arrive are kept for TLS, never parsed */
static void client_hold_early(struct upsd_client *c)
{
	char chunk[UPSD_READ_CHUNK];
	ssize_t n = recv(c->fd, chunk, sizeof(chunk), MSG_DONTWAIT);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
		client_kill(c);
	else if (n > 0 && starttls_keep_early(c, chunk, (size_t)n) < 0)
		client_kill(c);
}

/* one readiness event of a session that sent STARTTLS */
static void client_tls_io(struct upsd_client *c, int events)
{
	switch (c->tls_state) {
	case STARTTLS_QUEUED:
		if (events & EV_WRITE)
			client_flush(c);
		if (!c->dead && c->tls_state == STARTTLS_QUEUED && (events & (EV_READ | EV_ERROR)))
			client_hold_early(c);
		break;
	case STARTTLS_HANDSHAKE:
		client_tls_step(c->upsd, c);
		break;
	default:
		if (events & EV_WRITE)
			client_flush_tls(c);
		if (!c->dead && (events & (EV_READ | EV_ERROR)))
			client_read_tls(c->upsd, c);
		/* a write that wanted the peer's bytes (TLS_WANT_READ) may go now */
		if (!c->dead && !c->wantwrite && c->out.len > 0)
			client_mark(c);
		break;
	}
}

static void client_io_cb(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct upsd_client *c = arg;

	(void)loop;
	(void)fd;
	if (c->dead)
		return;
	if (c->tls_state != STARTTLS_NONE) {
		client_tls_io(c, events);
		return;
	}
	if (events & EV_WRITE)
		client_flush(c);
	if (!c->dead && (events & (EV_READ | EV_ERROR)))
		client_read(c->upsd, c);
}

static void client_new(struct upsd *d, int fd)
{
	struct upsd_client *c = xcalloc(1, sizeof(*c));

	c->fd = fd;
	c->upsd = d;
	sock_peer(fd, c->addr, sizeof(c->addr));
	pconf_init(&c->parser);
	buf_init(&c->out, UPSD_CLIENT_OUTMAX);
	c->last_line_ms = ev_now_ms(d->ev);
	if (ev_add(d->ev, fd, EV_READ, client_io_cb, c) < 0) {
		log_warn("Can't watch client %s", c->addr);
		pconf_free(&c->parser);
		buf_free(&c->out);
		close(fd);
		free(c);
		return;
	}
	/* most recent first: LIST CLIENT shows that order */
	c->next = d->clients;
	if (d->clients)
		d->clients->prev = c;
	d->clients = c;
	d->nclients++;
	log_debug(2, "Connect from %s", c->addr);
}

/* a burst of refusals is one line now and one count line later (client_accept_tick) */
static void client_refuse(struct upsd *d, int cfd, const char *why)
{
	char addr[UPSD_ADDR_MAX];

	if (d->refused++ == 0) {
		sock_peer(cfd, addr, sizeof(addr));
		log_warnx("Connection from %s refused: %s", addr, why);
	}
	close(cfd);
}

static void client_reserve_fd(struct upsd *d)
{
	if (d->spare_fd < 0)
		d->spare_fd = eventfd(0, EFD_CLOEXEC);
}

/*
 * No descriptor left (EMFILE/ENFILE): the pending connection would stay
 * readable on the listener, so give up the spare descriptor to accept and
 * close it. Without a spare, stop watching the listeners until the next
 * tick. 0 to go on accepting, -1 to stop.
 */
static int client_accept_nofd(struct upsd *d, int lfd)
{
	struct upsd_listener *l;
	int cfd;

	if (d->spare_fd >= 0) {
		close(d->spare_fd);
		d->spare_fd = -1;
		cfd = sock_accept(lfd);
		if (cfd >= 0)
			client_refuse(d, cfd, "no file descriptor left "
				"(raise the open-files limit or lower MAXCONN)");
		client_reserve_fd(d);
		return cfd >= 0 ? 0 : -1;
	}
	if (!d->accept_paused)
		log_warnx("No file descriptor left: not accepting connections for a while");
	for (l = d->listeners; l; l = l->next)
		ev_del(d->ev, l->fd);
	d->accept_paused = 1;
	return -1;
}

void client_accept_cb(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct upsd *d = arg;
	char why[64];
	int i;

	(void)loop;
	(void)events;
	for (i = 0; i < ACCEPT_BATCH && !d->accept_paused; i++) {
		int cfd = sock_accept(fd);

		if (cfd < 0 && (errno == EMFILE || errno == ENFILE)) {
			if (client_accept_nofd(d, fd) < 0)
				return;
			continue;
		}
		if (cfd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("accept");
			return;
		}
		if (d->maxconn > 0 && (long)d->nclients >= d->maxconn) {
			snprintf(why, sizeof(why), "MAXCONN (%ld) reached", d->maxconn);
			client_refuse(d, cfd, why);
			continue;
		}
		client_new(d, cfd);
	}
}

void client_accept_tick(struct upsd *d)
{
	struct upsd_listener *l;

	client_reserve_fd(d);
	if (d->accept_paused) {
		d->accept_paused = 0;
		for (l = d->listeners; l; l = l->next)
			if (ev_add(d->ev, l->fd, EV_READ, client_accept_cb, d) < 0)
				log_warn("Can't watch listener %s", l->addr);
	}
	/* the burst is over when a whole tick passed without a refusal */
	if (d->refused > 0 && d->refused == d->refused_at_tick) {
		if (d->refused > 1)
			log_warnx("%lu more connection(s) refused", d->refused - 1);
		d->refused = 0;
	}
	d->refused_at_tick = d->refused;
}

/*
 * A flush may mark the client again (it dies: write error, LOGOUT done) or
 * mark others; the loop runs until nothing is pending. A client still
 * waiting for EV_WRITE leaves the list: client_io_cb flushes it.
 */
void client_housekeeping(struct upsd *d)
{
	struct upsd_client *c;

	while ((c = d->pending) != NULL) {
		d->pending = c->pending_next;
		c->pending_next = NULL;
		c->pending = 0;
		if (!c->dead && !c->wantwrite && (c->out.len > 0 || c->closing))
			client_flush(c);
		if (c->dead && !c->pending)
			client_free(d, c);
	}
}

void client_check_idle(struct upsd *d, uint64_t now_ms)
{
	struct upsd_client *c;

	for (c = d->clients; c; c = c->next) {
		if (c->dead || now_ms < c->last_line_ms)
			continue;
		if (now_ms - c->last_line_ms > (uint64_t)UPSD_CLIENT_TIMEOUT * 1000) {
			log_debug(2, "Client %s timed out", c->addr);
			client_kill(c);
		}
	}
}

void client_free_all(struct upsd *d)
{
	struct upsd_client *c;

	for (c = d->clients; c; c = c->next)
		client_kill(c);
	client_housekeeping(d);
	if (d->spare_fd >= 0)
		close(d->spare_fd);
	d->spare_fd = -1;
}
