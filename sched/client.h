/*
 * client: upssched's side of the timer daemon socket (PIPEFN).
 *
 * A request goes to the daemon listening on PIPEFN. When nobody listens
 * (no socket file, or connection refused), the client takes flock(LOCKFN),
 * looks again (another call may have started the daemon meanwhile) and
 * only then starts the daemon itself, still under the lock; so concurrent
 * calls start one daemon between them. A request counts as delivered only
 * on the daemon's "OK"; a reset or silent connection (a daemon on its way
 * out) is retried from the start, up to CLIENT_TRIES times.
 */
#ifndef CLIENT_H
#define CLIENT_H

struct schedconf;

#define CLIENT_TRIES 30
#define CLIENT_RETRY_MS 100
#define CLIENT_IO_MS 5000       /* connect, write and reply, each */
#define CLIENT_LOCK_MS 10000

enum client_result {
	CLIENT_OK = 0,          /* the daemon answered OK */
	CLIENT_NO_DAEMON = 1,   /* start_daemon 0 and no daemon runs */
	CLIENT_FAILED = -1      /* refused (ERR) or undeliverable; logged */
};

/*
 * Deliver one request line (with its LF) to the daemon. start_daemon 0:
 * when no daemon runs, return CLIENT_NO_DAEMON instead of starting one
 * (a CANCEL then knows there is no timer).
 */
enum client_result client_send(const struct schedconf *sc, const char *line, int start_daemon);

#endif
