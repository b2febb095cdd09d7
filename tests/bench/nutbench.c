/*
 * nutbench.c: load generator for benchmarking a upsd (ours or NUT's) on
 * loopback. It prints figures as "key value" lines and never judges them;
 * tests/bench/run.sh turns two runs into a table.
 *
 *   get:  C connections, each one GET VAR at a time (request/response),
 *         for T seconds; replies/s, latency, upsd CPU per request (-P).
 *   list: one connection, LIST VAR round trips for T seconds or N requests;
 *         round trips/s, lines and client-side recv() chunks per reply.
 *   idle: N idle connections (opened gently: NUT 2.8.0 listens with a
 *         backlog of 16), then S fresh connections each timed from
 *         connect() to the GET VAR reply; optionally a get load (-l) while
 *         the idle ones are held.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#define LINE_BUF 16384
#define OPEN_WINDOW 12       /* connects in flight + listener accept queue */
#define KEEPALIVE_AGE 40.0  /* s; NUT 2.8.0 drops clients silent for 60 s */
#define IO_TIMEOUT 10.0
#define MAX_TARGETS 4

/* one upsd under test */
struct target {
	int port;
	long pid;            /* for CPU and fd figures, 0 = unknown */
	const char *label;   /* key prefix "label/"; NULL = none */
};

struct opts {
	const char *mode;
	struct target t[MAX_TARGETS];
	int ntargets, npids, nlabels;
	int rounds;          /* get/list: time slices per target, interleaved */
	const char *ups;
	const char *var;
	int conns;           /* get: parallel connections */
	double secs;         /* get/list: seconds per target in all */
	long count;          /* list: requests (0 = time bound); idle: idle connections */
	int samples;         /* idle: fresh connections timed */
	double load_secs;    /* idle: get load while the idle ones are held */
	double open_limit;   /* idle: seconds to open connections, at most */
};

/* latencies in microseconds */
struct samples {
	uint32_t *v;
	size_t n, cap;
};

struct conn {
	int fd;
	size_t len;
	double sent;
	char buf[LINE_BUF];
};

/* accumulated over the rounds of one target */
struct get_result {
	long replies, errors;
	double secs;
	long long cpu_ticks;    /* upsd utime+stime while measured, -1 unknown */
	struct samples lat;
};

struct list_stats {
	long replies, lines, bytes, chunks;
	double secs;
	struct samples lat;
};

/* ------------------------------------------------------------ small helpers */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "nutbench: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void dief(const char *what)
{
	fprintf(stderr, "nutbench: %s\n", what);
	exit(2);
}

static void samples_add(struct samples *s, double secs)
{
	double us = secs * 1e6;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 4096;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v)
			die("realloc");
	}
	s->v[s->n++] = us > 4e9 ? UINT32_MAX : (uint32_t)us;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* nearest-rank percentile in ms, or -1 with no samples */
static double samples_pct(struct samples *s, double pct)
{
	size_t rank;

	if (s->n == 0)
		return -1;
	qsort(s->v, s->n, sizeof(*s->v), cmp_u32);
	rank = (size_t)(pct / 100.0 * (double)s->n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > s->n)
		rank = s->n;
	return s->v[rank - 1] / 1000.0;
}

/* "label/what" for a labelled target, else "what" */
static const char *key(const struct target *t, const char *what, char *out, size_t size)
{
	if (t->label)
		snprintf(out, size, "%s/%s", t->label, what);
	else
		snprintf(out, size, "%s", what);
	return out;
}

static void print_pcts(const char *prefix, struct samples *s)
{
	if (s->n == 0)
		return;
	printf("%s.p50_ms %.3f\n", prefix, samples_pct(s, 50));
	printf("%s.p99_ms %.3f\n", prefix, samples_pct(s, 99));
	printf("%s.max_ms %.3f\n", prefix, samples_pct(s, 100));
}

/* utime + stime of pid in clock ticks, -1 when unreadable */
static long long proc_cpu_ticks(long pid)
{
	char path[64], text[1024];
	unsigned long long ut, st;
	char *p;
	FILE *f;
	size_t n;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	p = strrchr(text, ')');
	/* after "pid (comm)": state ppid pgrp session tty tpgid flags minflt
	 * cminflt majflt cmajflt utime stime */
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			&ut, &st) != 2)
		return -1;
	return (long long)(ut + st);
}

/* open descriptors of pid, -1 when unreadable */
static long proc_fd_count(long pid)
{
	char path[64];
	struct dirent *de;
	long n = 0;
	DIR *d;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* resident memory of pid in kB, -1 when unreadable */
static long proc_rss_kb(long pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* accept queue length of the 127.0.0.1:port listener, -1 when unknown */
static int listener_queue(int port)
{
	char line[512];
	int lines = 0, q = -1;
	FILE *f = fopen("/proc/net/tcp", "r");

	if (!f)
		return -1;
	/* listening sockets are listed first: stop at the first other state */
	while (fgets(line, sizeof(line), f) && lines++ < 4096) {
		unsigned laddr, lport, st, txq, rxq;

		if (sscanf(line, " %*d: %x:%x %*x:%*x %x %x:%x", &laddr, &lport, &st, &txq, &rxq) != 5)
			continue;
		if (st != 0x0A)
			break;
		if ((int)lport == port && (laddr == htonl(INADDR_LOOPBACK) || laddr == 0)) {
			q = (int)rxq;
			break;
		}
	}
	fclose(f);
	return q;
}

static void raise_nofile(long need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("getrlimit");
	if (rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur >= need)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("setrlimit");
	if (rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur < need) {
		fprintf(stderr, "nutbench: RLIMIT_NOFILE hard limit %ld < %ld needed\n",
			(long)rl.rlim_max, need);
		exit(2);
	}
}

/* ------------------------------------------------------------ sockets */

static void loopback(struct sockaddr_in *sa, int port)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

static void set_nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* close with RST: 10,000 closes must not leave 10,000 TIME_WAIT ports */
static void close_hard(int fd)
{
	struct linger lg = { 1, 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/* a blocking connection with I/O timeouts, or -1 (errno set) */
static int connect_try(int port)
{
	struct sockaddr_in sa;
	struct timeval tv = { (time_t)IO_TIMEOUT, 0 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	loopback(&sa, port);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	set_nodelay(fd);
	return fd;
}

static void send_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("send");
		data += n;
		len -= (size_t)n;
	}
}

static size_t format_get(const struct opts *o, char *out, size_t size)
{
	int n = snprintf(out, size, "GET VAR %s %s\n", o->ups, o->var);

	if (n < 0 || (size_t)n >= size)
		dief("request too long");
	return (size_t)n;
}

/* ------------------------------------------------------------ get */

/* one complete reply line in c->buf: count it, then send the next request */
static int get_line(struct conn *c, struct get_result *r, const char *req, size_t reqlen,
		double end)
{
	double t = now_s();
	char *nl = memchr(c->buf, '\n', c->len);
	size_t used = (size_t)(nl - c->buf) + 1;

	if (strncmp(c->buf, "VAR ", 4) != 0) {
		if (r->errors++ == 0)
			fprintf(stderr, "nutbench: unexpected reply: %.*s", (int)used, c->buf);
	} else if (t < end) {
		r->replies++;
		samples_add(&r->lat, t - c->sent);
	}
	memmove(c->buf, c->buf + used, c->len - used);
	c->len -= used;
	if (t >= end)
		return 0;
	c->sent = t;
	send_all(c->fd, req, reqlen);
	return 1;
}

/* read what the socket has; returns the number of requests still in flight (0/1) */
static int get_read(struct conn *c, struct get_result *r, const char *req, size_t reqlen,
		double end)
{
	ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len - 1, MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 1;
	if (n <= 0) {
		if (r->errors++ == 0)
			fprintf(stderr, "nutbench: server closed a get connection\n");
		return 0;
	}
	c->len += (size_t)n;
	while (memchr(c->buf, '\n', c->len))
		if (!get_line(c, r, req, reqlen, end))
			return 0;
	if (c->len >= sizeof(c->buf) - 1)
		dief("reply line too long");
	return 1;
}

/* one time slice of request/response load on t; adds to r */
static void get_run(const struct opts *o, const struct target *t, double secs,
		struct get_result *r)
{
	int nconns = o->conns;
	struct epoll_event evs[64];
	struct conn *cs = calloc((size_t)nconns, sizeof(*cs));
	char req[256];
	size_t reqlen = format_get(o, req, sizeof(req));
	long long cpu0;
	int ep = epoll_create1(EPOLL_CLOEXEC), busy = 0, i;
	double start, end;

	if (!cs || ep < 0)
		die("get setup");
	for (i = 0; i < nconns; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &cs[i] };

		cs[i].fd = connect_try(t->port);
		if (cs[i].fd < 0) {
			/* a dead server: an error for this slice, the other targets go on */
			fprintf(stderr, "nutbench: connect to port %d: %s\n", t->port, strerror(errno));
			r->errors++;
			nconns = i;
			goto out;
		}
		if (epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev) != 0)
			die("epoll_ctl");
	}
	cpu0 = proc_cpu_ticks(t->pid);
	start = now_s();
	end = start + secs;
	for (i = 0; i < nconns; i++, busy++) {
		cs[i].sent = now_s();
		send_all(cs[i].fd, req, reqlen);
	}
	while (busy > 0 && now_s() < end + IO_TIMEOUT) {
		int n = epoll_wait(ep, evs, 64, 100);

		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (!get_read(c, r, req, reqlen, end)) {
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				busy--;
			}
		}
	}
	r->secs += (now_s() < end ? now_s() : end) - start;
	if (cpu0 < 0 || r->cpu_ticks < 0)
		r->cpu_ticks = -1;
	else
		r->cpu_ticks += proc_cpu_ticks(t->pid) - cpu0;
out:
	for (i = 0; i < nconns; i++)
		close(cs[i].fd);
	close(ep);
	free(cs);
}

static void get_print(const struct target *t, const char *what, struct get_result *r)
{
	double hz = (double)sysconf(_SC_CLK_TCK);
	char prefix[128];

	key(t, what, prefix, sizeof(prefix));
	printf("%s.replies %ld\n", prefix, r->replies);
	printf("%s.errors %ld\n", prefix, r->errors);
	printf("%s.seconds %.3f\n", prefix, r->secs);
	printf("%s.rps %.1f\n", prefix, r->secs > 0 ? (double)r->replies / r->secs : 0.0);
	if (r->cpu_ticks >= 0 && r->replies > 0) {
		printf("%s.cpu_s %.2f\n", prefix, (double)r->cpu_ticks / hz);
		printf("%s.cpu_us_per_req %.2f\n", prefix,
		       (double)r->cpu_ticks / hz * 1e6 / (double)r->replies);
	}
	print_pcts(prefix, &r->lat);
}

/* rounds of time slices, alternating between the targets so that they share
 * whatever else the machine is doing */
static int mode_get(const struct opts *o)
{
	struct get_result r[MAX_TARGETS];
	int i, k, rc = 0;

	memset(r, 0, sizeof(r));
	for (k = 0; k < o->rounds; k++)
		for (i = 0; i < o->ntargets; i++)
			get_run(o, &o->t[i], o->secs / o->rounds, &r[i]);
	for (i = 0; i < o->ntargets; i++) {
		get_print(&o->t[i], "get", &r[i]);
		if (r[i].replies == 0 || r[i].errors > 0)
			rc = 1;
		free(r[i].lat.v);
	}
	return rc;
}

/* ------------------------------------------------------------ list */

/* read one whole LIST reply (BEGIN .. END) from a blocking socket */
static int list_one(int fd, const char *end_line, struct list_stats *st)
{
	char buf[LINE_BUF];
	size_t len = 0, endlen = strlen(end_line);
	long lines = 0;

	for (;;) {
		ssize_t n = recv(fd, buf + len, sizeof(buf) - len - 1, 0);
		char *p, *nl;

		if (n <= 0) {
			fprintf(stderr, "nutbench: LIST reply cut short (%s)\n",
				n == 0 ? "closed" : strerror(errno));
			return -1;
		}
		st->chunks++;
		st->bytes += n;
		len += (size_t)n;
		for (p = buf; (nl = memchr(p, '\n', len - (size_t)(p - buf))) != NULL; p = nl + 1) {
			st->lines++;
			if (lines++ == 0 && strncmp(p, "BEGIN LIST", 10) != 0) {
				fprintf(stderr, "nutbench: unexpected reply: %.*s\n", (int)(nl - p), p);
				return -1;
			}
			if ((size_t)(nl - p) == endlen && memcmp(p, end_line, endlen) == 0)
				return 0;
		}
		len -= (size_t)(p - buf);
		memmove(buf, p, len);
		if (len >= sizeof(buf) - 1)
			dief("LIST line too long");
	}
}

/* one connection: LIST VAR round trips for secs (or count requests); adds to st */
static int list_run(const struct opts *o, const struct target *t, double secs, long count,
		struct list_stats *st)
{
	char req[256], end_line[256];
	int fd = connect_try(t->port), rc = 0;
	double start = now_s();
	long done = 0;

	if (fd < 0) {
		fprintf(stderr, "nutbench: connect to port %d: %s\n", t->port, strerror(errno));
		return -1;
	}
	snprintf(req, sizeof(req), "LIST VAR %s\n", o->ups);
	snprintf(end_line, sizeof(end_line), "END LIST VAR %s", o->ups);
	while (count > 0 ? done < count : now_s() - start < secs) {
		double t0 = now_s();

		send_all(fd, req, strlen(req));
		if (list_one(fd, end_line, st) < 0) {
			rc = -1;
			break;
		}
		done++;
		st->replies++;
		samples_add(&st->lat, now_s() - t0);
	}
	st->secs += now_s() - start;
	close(fd);
	return rc;
}

static void list_print(const struct target *t, struct list_stats *st)
{
	char k[128];

	printf("%s %ld\n", key(t, "list.replies", k, sizeof(k)), st->replies);
	printf("%s %.3f\n", key(t, "list.seconds", k, sizeof(k)), st->secs);
	printf("%s %.2f\n", key(t, "list.rps", k, sizeof(k)),
	       st->secs > 0 ? (double)st->replies / st->secs : 0.0);
	if (st->replies > 0) {
		double n = (double)st->replies;

		printf("%s %.1f\n", key(t, "list.lines_per_reply", k, sizeof(k)), (double)st->lines / n);
		printf("%s %.1f\n", key(t, "list.bytes_per_reply", k, sizeof(k)), (double)st->bytes / n);
		printf("%s %.2f\n", key(t, "list.recv_chunks_per_reply", k, sizeof(k)),
		       (double)st->chunks / n);
	}
	print_pcts(key(t, "list", k, sizeof(k)), &st->lat);
}

static int mode_list(const struct opts *o)
{
	struct list_stats st[MAX_TARGETS];
	int rounds = o->count > 0 ? 1 : o->rounds, i, k, rc = 0;

	memset(st, 0, sizeof(st));
	for (k = 0; k < rounds; k++)
		for (i = 0; i < o->ntargets; i++)
			if (list_run(o, &o->t[i], o->secs / rounds, o->count, &st[i]) < 0)
				rc = 1;
	for (i = 0; i < o->ntargets; i++) {
		list_print(&o->t[i], &st[i]);
		if (st[i].replies == 0)
			rc = 1;
		free(st[i].lat.v);
	}
	return rc;
}

/* ------------------------------------------------------------ idle */

enum { FD_NONE, FD_CONNECTING, FD_OPEN, FD_GONE };

struct idle_set {
	int ep;
	int *fds;               /* in opening order */
	unsigned char *state;   /* FD_*, by descriptor */
	double *last;           /* by descriptor: connect or keepalive time */
	long n, maxfd, opened, pending, failed, dropped, keepalives;
};

static void idle_init(struct idle_set *s, long n)
{
	struct rlimit rl;
	long maxfd = 65536;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		maxfd = (long)rl.rlim_cur;
	memset(s, 0, sizeof(*s));
	s->n = n;
	s->maxfd = maxfd;
	s->fds = calloc((size_t)n, sizeof(*s->fds));
	s->state = calloc((size_t)maxfd, 1);
	s->last = calloc((size_t)maxfd, sizeof(*s->last));
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	if (!s->fds || !s->state || !s->last || s->ep < 0)
		die("idle setup");
}

static void idle_free(struct idle_set *s)
{
	long i;

	for (i = 0; i < s->opened; i++)
		close_hard(s->fds[i]);
	close(s->ep);
	free(s->fds);
	free(s->state);
	free(s->last);
}

static void idle_start_one(struct idle_set *s, struct sockaddr_in *sa)
{
	struct epoll_event ev = { .events = EPOLLOUT };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket (idle)");
	if (fd >= s->maxfd)
		dief("descriptor beyond RLIMIT_NOFILE");
	if (connect(fd, (struct sockaddr *)sa, sizeof(*sa)) != 0 && errno != EINPROGRESS)
		die("connect (idle)");
	ev.data.fd = fd;
	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) != 0)
		die("epoll_ctl (idle)");
	s->fds[s->opened++] = fd;
	s->state[fd] = FD_CONNECTING;
	s->last[fd] = now_s();
	s->pending++;
}

/* a connect finished: from now on only input (keepalive replies) or a hang-up */
static void idle_connected(struct idle_set *s, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.fd = fd };
	int err = 0;
	socklen_t len = sizeof(err);

	s->pending--;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
		if (s->failed++ == 0)
			fprintf(stderr, "nutbench: idle connect failed: %s\n", strerror(err));
		s->state[fd] = FD_GONE;
		epoll_ctl(s->ep, EPOLL_CTL_DEL, fd, NULL);   /* HUP/ERR would fire for ever */
		return;
	}
	s->state[fd] = FD_OPEN;
	if (epoll_ctl(s->ep, EPOLL_CTL_MOD, fd, &ev) != 0)
		die("epoll_ctl (idle mod)");
}

/* an open idle connection is readable: drain it; EOF or error = dropped */
static void idle_readable(struct idle_set *s, int fd)
{
	char buf[4096];

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0 || (n < 0 && errno == EINTR))
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		break;
	}
	s->state[fd] = FD_GONE;
	s->dropped++;
	epoll_ctl(s->ep, EPOLL_CTL_DEL, fd, NULL);
}

static void idle_poll(struct idle_set *s, int timeout_ms)
{
	struct epoll_event evs[256];
	int n, i;

	do {
		n = epoll_wait(s->ep, evs, 256, timeout_ms);
		if (n < 0 && errno != EINTR)
			die("epoll_wait (idle)");
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (s->state[fd] == FD_CONNECTING)
				idle_connected(s, fd);
			else if (s->state[fd] == FD_OPEN)
				idle_readable(s, fd);
		}
		timeout_ms = 0;
	} while (n == 256);
}

/* NUT drops a client after 60 s without a command: one VER for each connection
 * that has been silent for KEEPALIVE_AGE s (slow openings only) */
static void idle_keepalive(struct idle_set *s)
{
	double now = now_s();
	long i;

	for (i = 0; i < s->opened; i++) {
		int fd = s->fds[i];

		if (s->state[fd] != FD_OPEN || now - s->last[fd] < KEEPALIVE_AGE)
			continue;
		if (send(fd, "VER\n", 4, MSG_NOSIGNAL | MSG_DONTWAIT) == 4)
			s->keepalives++;
		s->last[fd] = now;
	}
}

/* NUTBENCH_TRACE: progress once a second */
static void idle_trace(const struct idle_set *s, int port, double start)
{
	if (!getenv("NUTBENCH_TRACE"))
		return;
	fprintf(stderr, "open: %.1fs opened %ld pending %ld dropped %ld accept queue %d\n",
		now_s() - start, s->opened, s->pending, s->dropped, listener_queue(port));
}

/* open up to s->n connections in at most limit seconds, keeping connects in
 * flight + the accept queue small (below NUT's listen backlog of 16: a full
 * queue drops SYNs, retried after 1 s) */
static double idle_open(struct idle_set *s, int port, double limit)
{
	struct sockaddr_in sa;
	double start = now_s(), tick = start + 1;

	loopback(&sa, port);
	while ((s->opened < s->n && now_s() - start < limit) || s->pending > 0) {
		int q = s->opened < s->n ? listener_queue(port) : 0;
		long room = OPEN_WINDOW - s->pending - (q > 0 ? q : 0);

		while (room-- > 0 && s->opened < s->n && now_s() - start < limit)
			idle_start_one(s, &sa);
		idle_poll(s, 2);
		if (now_s() >= tick) {
			tick += 1;
			idle_trace(s, port, start);
			idle_keepalive(s);
		}
		if (now_s() - start > limit + IO_TIMEOUT)
			break;    /* connects that never complete */
	}
	return now_s() - start;
}

/* one fresh connection: connect() to the end of the GET VAR reply, seconds */
static double fresh_get(const struct target *t, const char *req, size_t reqlen)
{
	char buf[1024];
	size_t len = 0;
	double t0 = now_s();
	int fd = connect_try(t->port);

	if (fd < 0) {
		fprintf(stderr, "nutbench: fresh connection failed: %s\n", strerror(errno));
		return -1;
	}
	send_all(fd, req, reqlen);
	while (!memchr(buf, '\n', len)) {
		ssize_t n = recv(fd, buf + len, sizeof(buf) - len - 1, 0);

		if (n <= 0) {
			close_hard(fd);
			return -1;
		}
		len += (size_t)n;
		if (len >= sizeof(buf) - 1)
			break;
	}
	t0 = now_s() - t0;
	close_hard(fd);
	return strncmp(buf, "VAR ", 4) == 0 ? t0 : -1;
}

/* wait (up to 30 s) until the server holds at least want descriptors; the count */
static long wait_server_fds(struct idle_set *s, long pid, long want)
{
	double end = now_s() + 30;
	long n = proc_fd_count(pid);

	while (n >= 0 && n < want && now_s() < end) {
		idle_poll(s, 100);
		idle_keepalive(s);
		n = proc_fd_count(pid);
	}
	return n;
}

static void idle_samples(const struct opts *o, struct samples *lat, long *bad)
{
	char req[256];
	size_t reqlen = format_get(o, req, sizeof(req));
	int i;

	for (i = 0; i < o->samples; i++) {
		double t = fresh_get(&o->t[0], req, reqlen);

		if (t < 0)
			(*bad)++;
		else
			samples_add(lat, t);
		usleep(5000);
	}
}

static void idle_report_open(struct idle_set *s, const struct target *t, double secs,
		long base_fds, long base_rss)
{
	long held;

	printf("idle.open_seconds %.3f\n", secs);
	printf("idle.connected %ld\n", s->opened - s->failed - s->pending);
	if (base_fds >= 0) {
		long want = base_fds + s->opened - s->failed - s->pending - s->dropped;

		printf("idle.server_fds_added %ld\n", wait_server_fds(s, t->pid, want) - base_fds);
	}
	if (base_rss >= 0 && proc_rss_kb(t->pid) >= 0)
		printf("idle.server_rss_mb_added %.1f\n",
		       (double)(proc_rss_kb(t->pid) - base_rss) / 1024.0);
	idle_poll(s, 0);
	held = s->opened - s->failed - s->pending - s->dropped;
	printf("idle.held %ld\n", held);
}

static int mode_idle(const struct opts *o)
{
	const struct target *t = &o->t[0];
	struct idle_set s;
	struct samples lat = { 0 };
	long base = proc_fd_count(t->pid), rss = proc_rss_kb(t->pid), bad = 0;
	double secs;

	raise_nofile(o->count + o->conns + 64);
	idle_init(&s, o->count);
	secs = idle_open(&s, t->port, o->open_limit);
	idle_report_open(&s, t, secs, base, rss);
	idle_keepalive(&s);
	idle_samples(o, &lat, &bad);
	printf("idle.fresh_ok %zu\n", lat.n);
	printf("idle.fresh_failed %ld\n", bad);
	print_pcts("idle.fresh", &lat);
	if (o->load_secs > 0) {
		struct get_result r;

		idle_keepalive(&s);
		memset(&r, 0, sizeof(r));
		get_run(o, t, o->load_secs, &r);
		get_print(t, "idle.get", &r);
		free(r.lat.v);
	}
	idle_poll(&s, 0);
	printf("idle.keepalives %ld\n", s.keepalives);
	printf("idle.dropped %ld\n", s.dropped + s.failed);
	idle_free(&s);
	free(lat.v);
	return lat.n > 0 && bad == 0 ? 0 : 1;
}

/* ------------------------------------------------------------ main */

static void usage(void)
{
	fprintf(stderr,
		"usage: nutbench get  -p PORT[,PORT..] [-P PID[,PID..]] [-L LABEL[,LABEL..]]\n"
		"                     [-u UPS] [-v VAR] [-c CONNS] [-t SECS] [-r ROUNDS]\n"
		"       nutbench list -p PORT[,PORT..] [-L ..] [-u UPS] [-t SECS] [-r ROUNDS] [-n COUNT]\n"
		"       nutbench idle -p PORT [-P PID] [-u UPS] [-v VAR] [-n CONNS] [-s SAMPLES]\n"
		"                     [-l LOADSECS] [-c LOADCONNS] [-T OPENLIMIT]\n"
		"Several targets are measured in ROUNDS interleaved slices (SECS per target in all).\n"
		"Figures go to stdout as \"key value\" lines (\"LABEL/key value\" with -L); times in ms.\n"
		"NUTBENCH_TRACE=1 reports the progress of idle connections on stderr.\n");
	exit(2);
}

static long num_arg(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		usage();
	return v;
}

static double secs_arg(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !(v > 0 && v < 3600))
		usage();
	return v;
}

/* a comma-separated list into the targets: 'p' ports, 'P' pids, 'L' labels */
static int list_arg(struct opts *o, int what, char *arg)
{
	char *item;
	int n = 0;

	while ((item = strsep(&arg, ",")) != NULL) {
		if (n == MAX_TARGETS)
			usage();
		if (what == 'p')
			o->t[n].port = (int)num_arg(item, 1, 65535);
		else if (what == 'P')
			o->t[n].pid = num_arg(item, 1, 1L << 30);
		else
			o->t[n].label = item;
		n++;
	}
	return n;
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	int c;

	if (argc < 2)
		usage();
	memset(o, 0, sizeof(*o));
	o->mode = argv[1];
	o->ups = "eco";
	o->var = "ups.status";
	o->conns = 16;
	o->secs = 5;
	o->rounds = 1;
	o->samples = 50;
	o->open_limit = 60;
	optind = 2;
	while ((c = getopt(argc, argv, "p:P:L:r:u:v:c:t:n:s:l:T:")) != -1) {
		switch (c) {
		case 'p': o->ntargets = list_arg(o, c, optarg); break;
		case 'P': o->npids = list_arg(o, c, optarg); break;
		case 'L': o->nlabels = list_arg(o, c, optarg); break;
		case 'r': o->rounds = (int)num_arg(optarg, 1, 1000); break;
		case 'u': o->ups = optarg; break;
		case 'v': o->var = optarg; break;
		case 'c': o->conns = (int)num_arg(optarg, 1, 4096); break;
		case 't': o->secs = secs_arg(optarg); break;
		case 'n': o->count = num_arg(optarg, 1, 1000000); break;
		case 's': o->samples = (int)num_arg(optarg, 1, 100000); break;
		case 'l': o->load_secs = secs_arg(optarg); break;
		case 'T': o->open_limit = secs_arg(optarg); break;
		default: usage();
		}
	}
	if (optind != argc || o->ntargets == 0 || o->npids > o->ntargets
			|| o->nlabels > o->ntargets)
		usage();
}

int main(int argc, char **argv)
{
	struct opts o;

	parse_args(argc, argv, &o);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(o.mode, "get"))
		return mode_get(&o);
	if (!strcmp(o.mode, "list"))
		return mode_list(&o);
	if (!strcmp(o.mode, "idle")) {
		if (o.count == 0)
			o.count = 10000;
		return mode_idle(&o);
	}
	usage();
	return 2;
}
