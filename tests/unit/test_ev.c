/* Unit tests for common/ev.c */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>

#include "ev.h"

struct io_ctx {
	int calls;
	int last_events;
	char data[16];
	size_t got;
};

static void on_read(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct io_ctx *c = arg;
	ssize_t n = read(fd, c->data + c->got, sizeof(c->data) - 1 - c->got);

	c->calls++;
	c->last_events = events;
	if (n > 0)
		c->got += (size_t)n;
	ev_stop(loop);
}

static void on_guard(struct ev_loop *loop, long id, void *arg)
{
	(void)id;
	*(int *)arg = 1;
	ev_stop(loop);
}

static void test_fd_readiness(void **state)
{
	struct ev_loop *loop = ev_new();
	struct io_ctx c;
	int p[2], timed_out = 0;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_non_null(loop);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(ev_add(loop, p[0], EV_READ, on_read, &c), 0);
	assert_int_equal(ev_add(loop, p[0], EV_READ, on_read, &c), -1);  /* one per fd */
	assert_int_equal(write(p[1], "hi", 2), 2);
	ev_timer(loop, 2000, on_guard, &timed_out);
	assert_int_equal(ev_run(loop), 0);
	assert_int_equal(timed_out, 0);
	assert_int_equal(c.calls, 1);
	assert_true(c.last_events & EV_READ);
	assert_string_equal(c.data, "hi");

	/* disabled watcher: no callback, the guard timer fires instead */
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(ev_mod(loop, p[0], 0), 0);
	ev_timer(loop, 50, on_guard, &timed_out);
	assert_int_equal(ev_run(loop), 0);
	assert_int_equal(timed_out, 1);
	assert_int_equal(c.calls, 1);

	/* hangup is reported as EV_ERROR (with EV_READ) */
	assert_int_equal(ev_mod(loop, p[0], EV_READ), 0);
	close(p[1]);
	assert_int_equal(ev_run(loop), 0);
	assert_int_equal(c.calls, 2);
	assert_string_equal(c.data, "hix");
	ev_run(loop);
	assert_true(c.last_events & EV_ERROR);

	assert_int_equal(ev_del(loop, p[0]), 0);
	assert_int_equal(ev_del(loop, p[0]), -1);
	assert_int_equal(ev_mod(loop, p[0], EV_READ), -1);
	close(p[0]);
	ev_free(loop);
}

struct tm_ctx {
	long order[8];
	int n;
	int stop_after;
};

static void on_timer(struct ev_loop *loop, long id, void *arg)
{
	struct tm_ctx *t = arg;

	t->order[t->n++] = id;
	if (t->n == t->stop_after)
		ev_stop(loop);
}

static void test_timers_order_cancel(void **state)
{
	struct ev_loop *loop = ev_new();
	struct tm_ctx t;
	long a, b, c, d;
	uint64_t start;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.stop_after = 3;
	start = ev_clock_ms();
	c = ev_timer(loop, 60, on_timer, &t);
	a = ev_timer(loop, 20, on_timer, &t);
	d = ev_timer(loop, 40, on_timer, &t);
	b = ev_timer(loop, 40, on_timer, &t);
	assert_true(a > 0 && b > 0 && c > 0 && d > 0);
	assert_true(a != b && b != c && c != d && a != d);
	assert_int_equal(ev_timer_cancel(loop, d), 0);
	assert_int_equal(ev_timer_cancel(loop, d), -1);
	assert_int_equal(ev_timer_cancel(loop, 12345678), -1);
	assert_int_equal(ev_run(loop), 0);
	assert_int_equal(t.n, 3);
	assert_int_equal(t.order[0], a);
	assert_int_equal(t.order[1], b);
	assert_int_equal(t.order[2], c);
	assert_true(ev_clock_ms() - start >= 60);
	assert_true(ev_now_ms(loop) >= start + 60);
	/* fired timers cannot be cancelled */
	assert_int_equal(ev_timer_cancel(loop, a), -1);
	ev_free(loop);
}

static void test_many_timers(void **state)
{
	struct ev_loop *loop = ev_new();
	long ids[2000];
	int i, fired = 0;

	(void)state;
	for (i = 0; i < 2000; i++) {
		ids[i] = ev_timer(loop, (uint64_t)(i % 7), on_guard, &fired);
		assert_true(ids[i] > 0);
	}
	for (i = 0; i < 2000; i++)
		assert_int_equal(ev_timer_cancel(loop, ids[i]), 0);
	ev_timer(loop, 5, on_guard, &fired);
	assert_int_equal(ev_run(loop), 0);
	assert_int_equal(fired, 1);
	ev_free(loop);
}

static void on_signal(struct ev_loop *loop, int signo, void *arg)
{
	*(int *)arg = signo;
	ev_stop(loop);
}

static void test_signal(void **state)
{
	struct ev_loop *loop = ev_new();
	int got = 0, timed_out = 0;

	(void)state;
	assert_int_equal(ev_signal(loop, SIGUSR1, on_signal, &got), 0);
	assert_int_equal(ev_signal(loop, 0, on_signal, &got), -1);
	assert_int_equal(raise(SIGUSR1), 0);   /* blocked: pending, not fatal */
	ev_timer(loop, 2000, on_guard, &timed_out);
	assert_int_equal(ev_run(loop), 0);
	assert_int_equal(got, SIGUSR1);
	assert_int_equal(timed_out, 0);
	ev_free(loop);
}

struct del_ctx {
	int fds[2][2];
	int calls;
};

/* both pipes are readable in the same batch; whichever runs first
 * deletes the other: the other must not be called */
static void on_del_other(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct del_ctx *d = arg;
	int other = fd == d->fds[0][0] ? d->fds[1][0] : d->fds[0][0];

	(void)events;
	d->calls++;
	assert_int_equal(ev_del(loop, other), 0);
	assert_int_equal(ev_del(loop, fd), 0);
	ev_stop(loop);
}

static void test_del_in_callback(void **state)
{
	struct ev_loop *loop = ev_new();
	struct del_ctx d;
	int fired = 0;

	(void)state;
	memset(&d, 0, sizeof(d));
	assert_int_equal(pipe(d.fds[0]), 0);
	assert_int_equal(pipe(d.fds[1]), 0);
	assert_int_equal(ev_add(loop, d.fds[0][0], EV_READ, on_del_other, &d), 0);
	assert_int_equal(ev_add(loop, d.fds[1][0], EV_READ, on_del_other, &d), 0);
	assert_int_equal(write(d.fds[0][1], "a", 1), 1);
	assert_int_equal(write(d.fds[1][1], "b", 1), 1);
	/* ev_stop is called in the first callback but the rest of the
	 * batch is skipped anyway; run twice more to be sure nothing fires */
	assert_int_equal(ev_run(loop), 0);
	ev_timer(loop, 30, on_guard, &fired);
	assert_int_equal(ev_run(loop), 0);
	assert_int_equal(fired, 1);
	assert_int_equal(d.calls, 1);
	close(d.fds[0][0]);
	close(d.fds[0][1]);
	close(d.fds[1][0]);
	close(d.fds[1][1]);
	ev_free(loop);
}

/* without ev_stop: the deleted watcher's event in the same batch is skipped */
static void on_del_other_nostop(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct del_ctx *d = arg;
	int other = fd == d->fds[0][0] ? d->fds[1][0] : d->fds[0][0];

	(void)events;
	d->calls++;
	ev_del(loop, other);
	ev_del(loop, fd);
}

static void test_del_same_batch(void **state)
{
	struct ev_loop *loop = ev_new();
	struct del_ctx d;
	int fired = 0;

	(void)state;
	memset(&d, 0, sizeof(d));
	assert_int_equal(pipe(d.fds[0]), 0);
	assert_int_equal(pipe(d.fds[1]), 0);
	assert_int_equal(write(d.fds[0][1], "a", 1), 1);
	assert_int_equal(write(d.fds[1][1], "b", 1), 1);
	assert_int_equal(ev_add(loop, d.fds[0][0], EV_READ, on_del_other_nostop, &d), 0);
	assert_int_equal(ev_add(loop, d.fds[1][0], EV_READ, on_del_other_nostop, &d), 0);
	ev_timer(loop, 50, on_guard, &fired);
	assert_int_equal(ev_run(loop), 0);
	assert_int_equal(fired, 1);
	assert_int_equal(d.calls, 1);
	close(d.fds[0][0]);
	close(d.fds[0][1]);
	close(d.fds[1][0]);
	close(d.fds[1][1]);
	ev_free(loop);
}

static void on_hook(struct ev_loop *loop, void *arg)
{
	int *n = arg;

	if (++*n == 3)
		ev_stop(loop);
}

static void on_noop_timer(struct ev_loop *loop, long id, void *arg)
{
	(void)id;
	(void)arg;
	ev_timer(loop, 0, on_noop_timer, NULL);
}

static void test_before_sleep(void **state)
{
	struct ev_loop *loop = ev_new();
	int n = 0;

	(void)state;
	ev_before_sleep(loop, on_hook, &n);
	ev_timer(loop, 0, on_noop_timer, NULL);
	assert_int_equal(ev_run(loop), 0);
	assert_int_equal(n, 3);
	ev_free(loop);
}

static void test_high_fd(void **state)
{
	struct ev_loop *loop = ev_new();
	struct io_ctx c;
	int p[2], hi;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(pipe(p), 0);
	hi = dup2(p[0], 900);
	assert_int_equal(hi, 900);
	assert_int_equal(ev_add(loop, hi, EV_READ, on_read, &c), 0);
	assert_int_equal(write(p[1], "z", 1), 1);
	assert_int_equal(ev_run(loop), 0);
	assert_int_equal(c.calls, 1);
	assert_int_equal(ev_del(loop, hi), 0);
	close(hi);
	close(p[0]);
	close(p[1]);
	ev_free(loop);
}

struct readd_ctx {
	int a[2], b[2], quiet[2];
	int calls, stale_calls;
};

static void on_stale(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct readd_ctx *r = arg;

	(void)loop;
	(void)fd;
	(void)events;
	r->stale_calls++;
}

/* the first callback replaces the other watcher by a new one on the same
 * fd number (now a silent pipe): the old event must not reach the new one */
static void on_replace_other(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct readd_ctx *r = arg;
	int other = fd == r->a[0] ? r->b[0] : r->a[0];
	char c;

	(void)events;
	r->calls++;
	assert_int_equal(read(fd, &c, 1), 1);
	if (r->calls > 1)
		return;
	assert_int_equal(ev_del(loop, other), 0);
	assert_int_equal(dup2(r->quiet[0], other), other);
	assert_int_equal(ev_add(loop, other, EV_READ, on_stale, r), 0);
}

static void test_readd_same_batch(void **state)
{
	struct ev_loop *loop = ev_new();
	struct readd_ctx r;
	int fired = 0;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(pipe(r.a), 0);
	assert_int_equal(pipe(r.b), 0);
	assert_int_equal(pipe(r.quiet), 0);
	assert_int_equal(write(r.a[1], "a", 1), 1);
	assert_int_equal(write(r.b[1], "b", 1), 1);
	assert_int_equal(ev_add(loop, r.a[0], EV_READ, on_replace_other, &r), 0);
	assert_int_equal(ev_add(loop, r.b[0], EV_READ, on_replace_other, &r), 0);
	ev_timer(loop, 50, on_guard, &fired);
	assert_int_equal(ev_run(loop), 0);
	assert_int_equal(fired, 1);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.stale_calls, 0);
	close(r.a[0]);
	close(r.a[1]);
	close(r.b[0]);
	close(r.b[1]);
	close(r.quiet[0]);
	close(r.quiet[1]);
	ev_free(loop);
}

struct many_ctx {
	int remaining;
};

static void on_many(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct many_ctx *m = arg;
	char c;

	(void)events;
	assert_int_equal(read(fd, &c, 1), 1);
	assert_int_equal(ev_del(loop, fd), 0);
	if (--m->remaining == 0)
		ev_stop(loop);
}

/* 5000 pipes = 10000 fds, all readable at once */
static void test_many_fds(void **state)
{
	enum { N = 5000 };
	struct rlimit rl;
	struct ev_loop *loop;
	struct many_ctx m;
	int (*p)[2];
	int i, fired = 0;

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < 2 * N + 64) {
		rl.rlim_cur = rl.rlim_max < 2 * N + 64 ? rl.rlim_max : 2 * N + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < 2 * N + 64) {
			skip();
			return;
		}
	}
	loop = ev_new();
	p = calloc(N, sizeof(*p));
	assert_non_null(p);
	m.remaining = N;
	for (i = 0; i < N; i++) {
		assert_int_equal(pipe(p[i]), 0);
		assert_int_equal(ev_add(loop, p[i][0], EV_READ, on_many, &m), 0);
		assert_int_equal(write(p[i][1], "x", 1), 1);
	}
	ev_timer(loop, 5000, on_guard, &fired);
	assert_int_equal(ev_run(loop), 0);
	assert_int_equal(fired, 0);
	assert_int_equal(m.remaining, 0);
	for (i = 0; i < N; i++) {
		close(p[i][0]);
		close(p[i][1]);
	}
	free(p);
	ev_free(loop);
}

static void test_child_unblock(void **state)
{
	struct ev_loop *loop = ev_new();
	int got = 0, status = 0;
	pid_t pid;

	(void)state;
	assert_int_equal(ev_signal(loop, SIGUSR2, on_signal, &got), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sigset_t cur;

		ev_child_unblock(loop);
		sigprocmask(SIG_BLOCK, NULL, &cur);
		_exit(sigismember(&cur, SIGUSR2) ? 1 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	ev_free(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fd_readiness),
		cmocka_unit_test(test_timers_order_cancel),
		cmocka_unit_test(test_many_timers),
		cmocka_unit_test(test_signal),
		cmocka_unit_test(test_del_in_callback),
		cmocka_unit_test(test_del_same_batch),
		cmocka_unit_test(test_before_sleep),
		cmocka_unit_test(test_high_fd),
		cmocka_unit_test(test_readd_same_batch),
		cmocka_unit_test(test_many_fds),
		cmocka_unit_test(test_child_unblock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
