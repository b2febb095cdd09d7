/*
 * ev: single-threaded epoll event loop.
 *
 * fd watchers live in a table indexed by fd. Every registration gets a
 * generation number which travels in the epoll data word, so events for a
 * watcher that was deleted (or deleted and re-added) earlier in the same
 * batch are recognised as stale and skipped.
 *
 * Timers are one-shot. They live in a slot table (the slot index is the low
 * bits of the id, a sequence number the high bits) and a binary min-heap of
 * slot indices ordered by expiry, so adding, cancelling and firing are all
 * O(log n).
 *
 * Signals are blocked and read from one signalfd.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>

#include "ev.h"

#define EV_BATCH      256
#define EV_SLOT_BITS  24
#define EV_SLOT_MASK  ((1L << EV_SLOT_BITS) - 1)
#define EV_SIGFD_TAG  UINT64_MAX
#define EV_NSIG       65

struct ev_watcher {
	ev_io_cb cb;
	void *arg;
	int events;
	int active;
	uint32_t gen;
};

struct ev_tslot {
	uint64_t when;
	uint64_t seq;        /* 0 when the slot is free */
	ev_timer_cb cb;
	void *arg;
	size_t heap_idx;
	size_t next_free;
};

struct ev_hook {
	ev_hook_cb cb;
	void *arg;
};

struct ev_sig {
	ev_signal_cb cb;
	void *arg;
};

struct ev_loop {
	int epfd;
	int stopped;
	uint64_t now;

	struct ev_watcher *w;
	size_t nw;

	struct ev_tslot *slots;
	size_t nslots;
	size_t free_head;        /* SIZE_MAX = none */
	size_t *heap;
	size_t nheap;
	uint64_t seq;

	struct ev_hook *hooks;
	size_t nhooks;

	int sigfd;
	sigset_t sigmask;
	struct ev_sig sigs[EV_NSIG];
};

uint64_t ev_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t ev_now_ms(struct ev_loop *loop)
{
	return loop->now;
}

struct ev_loop *ev_new(void)
{
	struct ev_loop *loop = calloc(1, sizeof(*loop));

	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		free(loop);
		return NULL;
	}
	loop->sigfd = -1;
	loop->free_head = SIZE_MAX;
	sigemptyset(&loop->sigmask);
	loop->now = ev_clock_ms();
	return loop;
}

void ev_free(struct ev_loop *loop)
{
	if (!loop)
		return;
	close(loop->epfd);
	if (loop->sigfd >= 0)
		close(loop->sigfd);
	free(loop->w);
	free(loop->slots);
	free(loop->heap);
	free(loop->hooks);
	free(loop);
}

/* ------------------------------------------------------------ fd watchers */

static int ev_grow_watchers(struct ev_loop *loop, int fd)
{
	size_t want = loop->nw ? loop->nw : 64;
	struct ev_watcher *nw;

	while (want <= (size_t)fd)
		want *= 2;
	if (want == loop->nw)
		return 0;
	nw = realloc(loop->w, want * sizeof(*nw));
	if (!nw)
		return -1;
	memset(nw + loop->nw, 0, (want - loop->nw) * sizeof(*nw));
	loop->w = nw;
	loop->nw = want;
	return 0;
}

static uint32_t ev_epoll_mask(int events)
{
	uint32_t m = 0;

	if (events & EV_READ)
		m |= EPOLLIN;
	if (events & EV_WRITE)
		m |= EPOLLOUT;
	return m;
}

static struct ev_watcher *ev_get(struct ev_loop *loop, int fd)
{
	if (fd < 0 || (size_t)fd >= loop->nw || !loop->w[fd].active) {
		errno = ENOENT;
		return NULL;
	}
	return &loop->w[fd];
}

static int ev_ctl(struct ev_loop *loop, int op, int fd, const struct ev_watcher *w)
{
	struct epoll_event ee;

	memset(&ee, 0, sizeof(ee));
	ee.events = ev_epoll_mask(w->events);
	ee.data.u64 = ((uint64_t)w->gen << 32) | (uint32_t)fd;
	return epoll_ctl(loop->epfd, op, fd, &ee);
}

int ev_add(struct ev_loop *loop, int fd, int events, ev_io_cb cb, void *arg)
{
	struct ev_watcher *w;

	if (fd < 0 || !cb) {
		errno = EINVAL;
		return -1;
	}
	if (ev_grow_watchers(loop, fd) < 0)
		return -1;
	w = &loop->w[fd];
	if (w->active) {
		errno = EEXIST;
		return -1;
	}
	w->gen++;
	w->cb = cb;
	w->arg = arg;
	w->events = events;
	if (ev_ctl(loop, EPOLL_CTL_ADD, fd, w) < 0)
		return -1;
	w->active = 1;
	return 0;
}

int ev_mod(struct ev_loop *loop, int fd, int events)
{
	struct ev_watcher *w = ev_get(loop, fd);

	if (!w)
		return -1;
	if (w->events == events)
		return 0;
	w->events = events;
	return ev_ctl(loop, EPOLL_CTL_MOD, fd, w);
}

int ev_del(struct ev_loop *loop, int fd)
{
	struct ev_watcher *w = ev_get(loop, fd);

	if (!w)
		return -1;
	/* the fd may already be closed (EBADF): the watcher goes anyway */
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	w->active = 0;
	w->gen++;
	w->cb = NULL;
	w->arg = NULL;
	return 0;
}

static void ev_dispatch_io(struct ev_loop *loop, const struct epoll_event *ee)
{
	int fd = (int)(uint32_t)ee->data.u64;
	uint32_t gen = (uint32_t)(ee->data.u64 >> 32);
	struct ev_watcher *w;
	int ev = 0;

	if ((size_t)fd >= loop->nw)
		return;
	w = &loop->w[fd];
	if (!w->active || w->gen != gen)
		return;      /* deleted earlier in this batch */
	if (ee->events & EPOLLIN)
		ev |= EV_READ;
	if (ee->events & EPOLLOUT)
		ev |= EV_WRITE;
	if (ee->events & (EPOLLERR | EPOLLHUP))
		ev |= EV_ERROR;
	w->cb(loop, fd, ev, w->arg);
}

/* ------------------------------------------------------------ timers */

static int ev_tless(const struct ev_loop *loop, size_t a, size_t b)
{
	const struct ev_tslot *x = &loop->slots[loop->heap[a]];
	const struct ev_tslot *y = &loop->slots[loop->heap[b]];

	if (x->when != y->when)
		return x->when < y->when;
	return x->seq < y->seq;
}

static void ev_hswap(struct ev_loop *loop, size_t a, size_t b)
{
	size_t t = loop->heap[a];

	loop->heap[a] = loop->heap[b];
	loop->heap[b] = t;
	loop->slots[loop->heap[a]].heap_idx = a;
	loop->slots[loop->heap[b]].heap_idx = b;
}

static void ev_hup(struct ev_loop *loop, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (!ev_tless(loop, i, p))
			break;
		ev_hswap(loop, i, p);
		i = p;
	}
}

static void ev_hdown(struct ev_loop *loop, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < loop->nheap && ev_tless(loop, l, m))
			m = l;
		if (r < loop->nheap && ev_tless(loop, r, m))
			m = r;
		if (m == i)
			break;
		ev_hswap(loop, i, m);
		i = m;
	}
}

/* remove heap entry i and free its slot */
static void ev_hremove(struct ev_loop *loop, size_t i)
{
	size_t slot = loop->heap[i];

	loop->nheap--;
	if (i != loop->nheap) {
		loop->heap[i] = loop->heap[loop->nheap];
		loop->slots[loop->heap[i]].heap_idx = i;
		ev_hdown(loop, i);
		ev_hup(loop, i);
	}
	loop->slots[slot].seq = 0;
	loop->slots[slot].cb = NULL;
	loop->slots[slot].next_free = loop->free_head;
	loop->free_head = slot;
}

static long ev_alloc_slot(struct ev_loop *loop)
{
	size_t slot, n;
	struct ev_tslot *ns;
	size_t *nh;

	if (loop->free_head != SIZE_MAX) {
		slot = loop->free_head;
		loop->free_head = loop->slots[slot].next_free;
		return (long)slot;
	}
	if (loop->nslots > (size_t)EV_SLOT_MASK)
		return -1;
	n = loop->nslots ? loop->nslots * 2 : 16;
	ns = realloc(loop->slots, n * sizeof(*ns));
	if (!ns)
		return -1;
	loop->slots = ns;
	nh = realloc(loop->heap, n * sizeof(*nh));
	if (!nh)
		return -1;
	loop->heap = nh;
	memset(ns + loop->nslots, 0, (n - loop->nslots) * sizeof(*ns));
	for (slot = n - 1; slot > loop->nslots; slot--) {
		ns[slot].next_free = loop->free_head;
		loop->free_head = slot;
	}
	slot = loop->nslots;
	loop->nslots = n;
	return (long)slot;
}

long ev_timer(struct ev_loop *loop, uint64_t ms, ev_timer_cb cb, void *arg)
{
	long slot;
	struct ev_tslot *t;

	if (!cb)
		return -1;
	slot = ev_alloc_slot(loop);
	if (slot < 0)
		return -1;
	t = &loop->slots[slot];
	t->seq = ++loop->seq;
	t->when = ms > UINT64_MAX - loop->now ? UINT64_MAX : loop->now + ms;
	t->cb = cb;
	t->arg = arg;
	t->heap_idx = loop->nheap;
	loop->heap[loop->nheap++] = (size_t)slot;
	ev_hup(loop, t->heap_idx);
	return (long)((t->seq << EV_SLOT_BITS) | (uint64_t)slot);
}

int ev_timer_cancel(struct ev_loop *loop, long id)
{
	size_t slot;
	uint64_t seq;

	if (id <= 0)
		return -1;
	slot = (size_t)(id & EV_SLOT_MASK);
	seq = (uint64_t)id >> EV_SLOT_BITS;
	if (slot >= loop->nslots || loop->slots[slot].seq != seq || seq == 0)
		return -1;
	ev_hremove(loop, loop->slots[slot].heap_idx);
	return 0;
}

/* fire due timers; timers added meanwhile wait for the next turn */
static void ev_run_timers(struct ev_loop *loop)
{
	uint64_t limit = loop->seq;

	while (loop->nheap > 0 && !loop->stopped) {
		size_t slot = loop->heap[0];
		struct ev_tslot *t = &loop->slots[slot];
		ev_timer_cb cb;
		void *arg;
		long id;

		if (t->when > loop->now || t->seq > limit)
			break;
		cb = t->cb;
		arg = t->arg;
		id = (long)((t->seq << EV_SLOT_BITS) | (uint64_t)slot);
		ev_hremove(loop, 0);
		cb(loop, id, arg);
	}
}

static int ev_wait_timeout(struct ev_loop *loop)
{
	uint64_t when, now;

	if (loop->nheap == 0)
		return -1;
	when = loop->slots[loop->heap[0]].when;
	now = ev_clock_ms();
	if (when <= now)
		return 0;
	if (when - now > 0x7fffffff)
		return 0x7fffffff;
	return (int)(when - now);
}

/* ------------------------------------------------------------ signals */

static void ev_read_signals(struct ev_loop *loop)
{
	struct signalfd_siginfo si;

	for (;;) {
		ssize_t n = read(loop->sigfd, &si, sizeof(si));
		int signo;

		if (n != (ssize_t)sizeof(si))
			return;
		signo = (int)si.ssi_signo;
		if (signo > 0 && signo < EV_NSIG && loop->sigs[signo].cb)
			loop->sigs[signo].cb(loop, signo, loop->sigs[signo].arg);
	}
}

int ev_signal(struct ev_loop *loop, int signo, ev_signal_cb cb, void *arg)
{
	int fd;

	if (signo <= 0 || signo >= EV_NSIG || !cb) {
		errno = EINVAL;
		return -1;
	}
	if (sigaddset(&loop->sigmask, signo) < 0)
		return -1;
	if (sigprocmask(SIG_BLOCK, &loop->sigmask, NULL) < 0)
		return -1;
	fd = signalfd(loop->sigfd, &loop->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (loop->sigfd < 0) {
		struct epoll_event ee;

		memset(&ee, 0, sizeof(ee));
		ee.events = EPOLLIN;
		ee.data.u64 = EV_SIGFD_TAG;
		if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ee) < 0) {
			close(fd);
			return -1;
		}
		loop->sigfd = fd;
	}
	loop->sigs[signo].cb = cb;
	loop->sigs[signo].arg = arg;
	return 0;
}

int ev_child_unblock(struct ev_loop *loop)
{
	return sigprocmask(SIG_UNBLOCK, &loop->sigmask, NULL);
}

/* ------------------------------------------------------------ loop */

void ev_before_sleep(struct ev_loop *loop, ev_hook_cb cb, void *arg)
{
	struct ev_hook *nh;

	if (!cb)
		return;
	nh = realloc(loop->hooks, (loop->nhooks + 1) * sizeof(*nh));
	if (!nh)
		return;
	loop->hooks = nh;
	nh[loop->nhooks].cb = cb;
	nh[loop->nhooks].arg = arg;
	loop->nhooks++;
}

void ev_stop(struct ev_loop *loop)
{
	loop->stopped = 1;
}

static void ev_run_hooks(struct ev_loop *loop)
{
	size_t i;

	for (i = 0; i < loop->nhooks && !loop->stopped; i++)
		loop->hooks[i].cb(loop, loop->hooks[i].arg);
}

int ev_run(struct ev_loop *loop)
{
	struct epoll_event evs[EV_BATCH];

	loop->stopped = 0;
	while (!loop->stopped) {
		int n, i;

		loop->now = ev_clock_ms();
		ev_run_timers(loop);
		if (loop->stopped)
			break;
		ev_run_hooks(loop);
		if (loop->stopped)
			break;
		n = epoll_wait(loop->epfd, evs, EV_BATCH, ev_wait_timeout(loop));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		loop->now = ev_clock_ms();
		for (i = 0; i < n && !loop->stopped; i++) {
			if (evs[i].data.u64 == EV_SIGFD_TAG)
				ev_read_signals(loop);
			else
				ev_dispatch_io(loop, &evs[i]);
		}
	}
	return 0;
}
