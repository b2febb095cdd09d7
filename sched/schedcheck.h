/*
 * schedcheck: what `upssched -n` adds to the reader's own errors: rules
 * that are valid one by one but wrong together, and the files they name.
 * Everything found here is a warning (the file works as NUT runs it):
 *   - a timer started on ONBATT that no ONLINE rule cancels (for that UPS)
 *     fires even when the power came back in time; likewise COMMBAD or
 *     NOCOMM timers without a COMMOK cancel;
 *   - CANCEL-TIMER of a timer no rule starts (a typo, usually);
 *   - the same rule twice (it runs twice);
 *   - a notify type upsmon never sends;
 *   - CMDSCRIPT not an executable file, PIPEFN/LOCKFN directory missing.
 */
#ifndef SCHEDCHECK_H
#define SCHEDCHECK_H

struct schedconf;

/* add the warnings to sc (schedconf_report); returns how many */
unsigned schedcheck_run(struct schedconf *sc);

#endif
