/*
 * timerd: the upssched timer daemon. Started by the first upssched call
 * that needs a timer; listens on PIPEFN (a Unix stream socket), keeps
 * named timers, runs "CMDSCRIPT <name>" when one expires (with the UPSNAME
 * and NOTIFYTYPE of the event that started it), and exits after
 * TIMERD_IDLE_MS without any timer.
 *
 * Private requests, one line each, words quoted as the NUT protocol:
 *   START <name> <secs> <notifytype> <upsname>          -> OK
 *   START-SHARED <name> <secs> <notifytype> <upsname>   -> OK (no second timer of that name)
 *   CANCEL <name> <cmd> <notifytype> <upsname>          -> OK (cancels every timer of that
 *                                                          name; none and cmd != "" -> run cmd)
 *   anything else                                       -> ERR UNKNOWN
 */
#ifndef TIMERD_H
#define TIMERD_H

struct schedconf;

#define TIMERD_IDLE_MS 15000

/*
 * Fork the daemon (the caller holds LOCKFN; the daemon removes it once
 * listening). Returns 0 when the daemon listens on PIPEFN, -1 otherwise.
 */
int timerd_spawn(const struct schedconf *sc);

#endif
