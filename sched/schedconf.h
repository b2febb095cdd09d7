/*
 * schedconf: upssched.conf. CMDSCRIPT, PIPEFN and LOCKFN must come before
 * the first AT; AT lines are handed to a callback in file order while the
 * file is read (as NUT: every matching line fires, in order).
 */
#ifndef SCHEDCONF_H
#define SCHEDCONF_H

enum sched_cmd { SCHED_START, SCHED_START_SHARED, SCHED_CANCEL, SCHED_EXECUTE };

struct sched_at {
	const char *ntype;      /* notify type, matched case-insensitively */
	const char *ups;        /* UPSNAME exactly, or "*" */
	enum sched_cmd cmd;
	const char *name;       /* timer name, or the EXECUTE word */
	const char *arg;        /* START: seconds; CANCEL: command or NULL */
	long secs;              /* START: parsed seconds */
	const char *file;
	unsigned line;
};

struct schedconf {
	char *path;
	char *cmdscript, *pipefn, *lockfn;
	unsigned nerrors, nwarnings;
	int strict;             /* -n: unknown directives are errors, go on after fatal ones */
};

#define SCHEDCONF_STOP 1   /* walk stopped on a fatal configuration error */

/* cb returns 0 to go on, a positive value to stop the walk (returned) */
typedef int (*schedconf_at_cb)(void *arg, const struct schedconf *sc, const struct sched_at *at);

/*
 * Read path, calling cb for every valid AT line. Returns 0, -1 when the
 * file is unreadable, SCHEDCONF_STOP when (outside strict mode) an AT came
 * before CMDSCRIPT/PIPEFN/LOCKFN, or the callback's stop value. Problems
 * are logged as "file:line: message".
 */
int schedconf_walk(struct schedconf *sc, const char *path, int strict,
	schedconf_at_cb cb, void *arg);
void schedconf_free(struct schedconf *sc);

/* does at apply to this event? */
int schedconf_match(const struct sched_at *at, const char *upsname, const char *ntype);

#endif
