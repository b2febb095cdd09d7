/*
 * timerd: the upssched timer daemon. Started by the first upssched call
 * that needs a timer, it keeps named timers, runs "CMDSCRIPT <name>" when
 * one expires (environment UPSNAME, NOTIFYTYPE and NOTIFYMSG of the event
 * that started it) and exits once it has had no timer and no client for
 * TIMERD_IDLE_MS.
 *
 * Races (see client.h for the other side): the daemon is only started by
 * a client holding flock(LOCKFN) after it found nobody listening on
 * PIPEFN, and the daemon only removes PIPEFN, at exit, while holding the
 * same lock. So there is never more than one daemon, and a client that
 * reaches a daemon about to exit sees its connection reset and retries.
 *
 * Requests, one line each, words quoted as in the NUT protocol:
 *   START <name> <secs> <notifytype> <upsname> <msg>  -> OK
 *   CANCEL <name> <word> <notifytype> <upsname> <msg> -> OK: every timer
 *       <name> is removed; if there was none and <word> is not "", CMDSCRIPT
 *       <word> runs now
 *   anything else                                     -> ERR <reason>
 * Several requests may share one connection.
 */
#ifndef TIMERD_H
#define TIMERD_H

struct schedconf;

#define TIMERD_IDLE_MS 15000
/* test knob: a shorter (or longer) idle time in ms, 50 .. 3600000 */
#define TIMERD_IDLE_ENV "UPSSCHED_IDLE_MS"

/*
 * Bind PIPEFN and fork the daemon onto that socket. The caller must hold
 * LOCKFN and have found no daemon. Returns 0 once the socket listens (a
 * connect from now on reaches the new daemon), -1 with a message in err.
 */
int timerd_spawn(const struct schedconf *sc, char *err, size_t errlen);

#endif
