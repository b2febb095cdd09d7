/*
 * ev: a small single-threaded epoll event loop with fd callbacks,
 * one-shot timers (by id) and signals (signalfd). No threads.
 */
#ifndef EV_H
#define EV_H

#include <stdint.h>

#define EV_READ  0x1
#define EV_WRITE 0x2
#define EV_ERROR 0x4   /* reported only: EPOLLERR/EPOLLHUP */

struct ev_loop;

typedef void (*ev_io_cb)(struct ev_loop *loop, int fd, int events, void *arg);
typedef void (*ev_timer_cb)(struct ev_loop *loop, long id, void *arg);
typedef void (*ev_signal_cb)(struct ev_loop *loop, int signo, void *arg);
typedef void (*ev_hook_cb)(struct ev_loop *loop, void *arg);

struct ev_loop *ev_new(void);
void ev_free(struct ev_loop *loop);

/* fd watchers: one per fd. ev_del is safe from inside any callback. */
int ev_add(struct ev_loop *loop, int fd, int events, ev_io_cb cb, void *arg);
int ev_mod(struct ev_loop *loop, int fd, int events);
int ev_del(struct ev_loop *loop, int fd);

/* one-shot timer after ms milliseconds; returns id > 0, or -1 */
long ev_timer(struct ev_loop *loop, uint64_t ms, ev_timer_cb cb, void *arg);
int ev_timer_cancel(struct ev_loop *loop, long id);   /* 0 if cancelled, -1 unknown */

/* signals are blocked and delivered through a signalfd */
int ev_signal(struct ev_loop *loop, int signo, ev_signal_cb cb, void *arg);

/*
 * Unblock, in the calling process, every signal ev_signal() blocked.
 * Call it in a forked child before exec: the signal mask is inherited.
 */
int ev_child_unblock(struct ev_loop *loop);

/* called once per loop turn, before waiting (deferred frees, flushes) */
void ev_before_sleep(struct ev_loop *loop, ev_hook_cb cb, void *arg);

int ev_run(struct ev_loop *loop);     /* until ev_stop; 0 or -1 on epoll failure */
void ev_stop(struct ev_loop *loop);
uint64_t ev_now_ms(struct ev_loop *loop);   /* monotonic, cached per turn */
uint64_t ev_clock_ms(void);                 /* monotonic, fresh */

#endif
