/*
 * client: upssched's side of the timer daemon socket. Connects to PIPEFN;
 * when nobody listens, takes LOCKFN (O_CREAT|O_EXCL) and starts the daemon,
 * or, when another invocation holds the lock, waits for it and retries, so
 * two concurrent calls never start two daemons nor lose a request.
 */
#ifndef CLIENT_H
#define CLIENT_H

struct schedconf;

#define CLIENT_TRIES 30
#define CLIENT_RETRY_MS 250
#define CLIENT_REPLY_MS 5000
#define CLIENT_STALE_LOCK_S 10

/*
 * Send verb (START, START-SHARED, CANCEL) with its words. need_daemon 0:
 * nothing to do when no daemon runs (CANCEL without a command).
 * Returns 0 on OK, -1 after CLIENT_TRIES failed attempts or an ERR reply.
 */
int client_send(const struct schedconf *sc, const char *verb, const char *name,
	const char *arg, const char *ntype, const char *ups, int need_daemon);

#endif
