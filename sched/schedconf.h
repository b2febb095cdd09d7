/*
 * schedconf: upssched.conf read into a list of AT rules plus CMDSCRIPT,
 * PIPEFN and LOCKFN. Every problem is kept as a "file:line: message" with
 * its severity (error or warning); the caller logs or prints them.
 *
 * Grammar (NUT 2.8.0): CMDSCRIPT, PIPEFN and LOCKFN must come before the
 * first AT; AT <notifytype> <upsname|*> <command> <arg> [<arg>] with the
 * commands START-TIMER <name> <secs>, CANCEL-TIMER <name> [<word>] and
 * EXECUTE <word>. Keywords are case-sensitive; DEBUG_MIN is accepted.
 * A rule with an error is dropped; the others stay usable.
 */
#ifndef SCHEDCONF_H
#define SCHEDCONF_H

#include <stddef.h>

enum sched_cmd { SCHED_START, SCHED_CANCEL, SCHED_EXECUTE };

struct sched_rule {
	char *ntype;        /* notify type as written; matched case-insensitively */
	char *ups;          /* UPSNAME, matched exactly, or "*" */
	enum sched_cmd cmd;
	char *name;         /* timer name, or the EXECUTE word */
	char *arg;          /* CANCEL-TIMER word, NULL if none */
	long secs;          /* START-TIMER delay */
	unsigned line;
};

struct sched_msg {
	int error;          /* 1 error, 0 warning */
	unsigned line;      /* 0 = about the whole file */
	char *text;         /* "file:line: message", owned */
};

struct schedconf {
	char *path;                             /* owned */
	char *cmdscript, *pipefn, *lockfn;      /* owned; NULL = not set */
	unsigned cmdscript_line, pipefn_line, lockfn_line;
	struct sched_rule *rules;               /* owned, file order */
	size_t nrules;
	struct sched_msg *msgs;                 /* owned, in the order found */
	size_t nmsgs;
	unsigned nerrors, nwarnings;
};

/* longest PIPEFN a Unix socket address can hold */
#define SCHEDCONF_PIPEFN_MAX 107

/*
 * Read path into sc (always initialised; free it with schedconf_free).
 * Returns 0 when the file was read (look at nerrors), -1 when it could
 * not be opened (recorded as an error too).
 */
int schedconf_load(struct schedconf *sc, const char *path);
void schedconf_free(struct schedconf *sc);

/* record a problem; line 0 = the file as a whole */
void schedconf_report(struct schedconf *sc, int error, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* does the rule apply to the event (UPSNAME, NOTIFYTYPE)? */
int schedconf_match(const struct sched_rule *r, const char *upsname, const char *ntype);

/* "START-TIMER", "CANCEL-TIMER", "EXECUTE" */
const char *schedconf_cmd_name(enum sched_cmd cmd);

#endif
