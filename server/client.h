/*
 * client: network client sessions of upsd (owner: upsd-core).
 * client_send / client_send_raw / client_close_later are declared in upsd.h.
 */
#ifndef UPSD_CLIENT_H
#define UPSD_CLIENT_H

#include "upsd.h"

/* ev callback for a listening socket (arg = struct upsd *) */
void client_accept_cb(struct ev_loop *loop, int fd, int events, void *arg);
/*
 * every tick: keep a descriptor in reserve for refusals, watch paused
 * listeners again, log the count of a finished burst of refusals
 */
void client_accept_tick(struct upsd *d);
/* mark for disconnection now (freed at the next safe point) */
void client_kill(struct upsd_client *c);
/*
 * safe point (ev_before_sleep): flush output, close and free, visiting only
 * the clients that queued output, asked to close or died since the last one
 */
void client_housekeeping(struct upsd *d);
/* every tick (once a second): drop clients idle for more than UPSD_CLIENT_TIMEOUT */
void client_check_idle(struct upsd *d, uint64_t now_ms);
/* close every client (exit) */
void client_free_all(struct upsd *d);

#endif
