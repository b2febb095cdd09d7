/*
 * schedconf: upssched.conf reader (see schedconf.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pconf.h"
#include "schedconf.h"
#include "util.h"

/* longest START-TIMER delay: a year is far beyond any sane outage */
#define SCHEDCONF_SECS_MAX (366L * 86400L)

static const struct {
	const char *word;
	enum sched_cmd cmd;
	int minargs, maxargs;   /* words after the command */
} schedconf_cmds[] = {
	{ "START-TIMER", SCHED_START, 2, 2 },
	{ "CANCEL-TIMER", SCHED_CANCEL, 1, 2 },
	{ "EXECUTE", SCHED_EXECUTE, 1, 1 },
};

#define SCHEDCONF_NCMDS (sizeof(schedconf_cmds) / sizeof(schedconf_cmds[0]))

typedef void (*schedconf_handler)(struct schedconf *sc, unsigned line, int argc, char **argv);

static void schedconf_cmdscript(struct schedconf *sc, unsigned line, int argc, char **argv);
static void schedconf_pipefn(struct schedconf *sc, unsigned line, int argc, char **argv);
static void schedconf_lockfn(struct schedconf *sc, unsigned line, int argc, char **argv);
static void schedconf_debug_min(struct schedconf *sc, unsigned line, int argc, char **argv);
static void schedconf_at(struct schedconf *sc, unsigned line, int argc, char **argv);

static const struct {
	const char *word;
	int nocase;
	schedconf_handler fn;
} schedconf_directives[] = {
	{ "CMDSCRIPT", 0, schedconf_cmdscript },
	{ "PIPEFN", 0, schedconf_pipefn },
	{ "LOCKFN", 0, schedconf_lockfn },
	{ "DEBUG_MIN", 1, schedconf_debug_min },
	{ "AT", 0, schedconf_at },
};

void schedconf_report(struct schedconf *sc, int error, unsigned line, const char *fmt, ...)
{
	char msg[768], full[1024];
	struct sched_msg *m;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(full, sizeof(full), "%s:%u: %s%s", sc->path, line,
			error ? "" : "warning: ", msg);
	else
		snprintf(full, sizeof(full), "%s: %s%s", sc->path, error ? "" : "warning: ", msg);
	sc->msgs = xrealloc(sc->msgs, (sc->nmsgs + 1) * sizeof(*sc->msgs));
	m = &sc->msgs[sc->nmsgs++];
	m->error = error;
	m->line = line;
	m->text = xstrdup(full);
	if (error)
		sc->nerrors++;
	else
		sc->nwarnings++;
}

/* CMDSCRIPT/PIPEFN/LOCKFN <value>: the last one wins, as in NUT */
static int schedconf_set(struct schedconf *sc, unsigned line, int argc, char **argv,
	char **field, unsigned *field_line)
{
	if (argc < 2 || argv[1][0] == '\0') {
		schedconf_report(sc, 1, line, "%s needs a value", argv[0]);
		return -1;
	}
	if (argc > 2)
		schedconf_report(sc, 0, line, "%s: extra words after '%s' ignored (quote a value "
			"with spaces)", argv[0], argv[1]);
	if (*field)
		schedconf_report(sc, 0, line, "%s set again (line %u): this value wins",
			argv[0], *field_line);
	free(*field);
	*field = xstrdup(argv[1]);
	*field_line = line;
	return 0;
}

static void schedconf_cmdscript(struct schedconf *sc, unsigned line, int argc, char **argv)
{
	schedconf_set(sc, line, argc, argv, &sc->cmdscript, &sc->cmdscript_line);
}

static void schedconf_pipefn(struct schedconf *sc, unsigned line, int argc, char **argv)
{
	if (argc >= 2 && strlen(argv[1]) > SCHEDCONF_PIPEFN_MAX) {
		schedconf_report(sc, 1, line, "PIPEFN %s: longer than a Unix socket path can be "
			"(%d characters)", argv[1], SCHEDCONF_PIPEFN_MAX);
		return;
	}
	schedconf_set(sc, line, argc, argv, &sc->pipefn, &sc->pipefn_line);
}

static void schedconf_lockfn(struct schedconf *sc, unsigned line, int argc, char **argv)
{
	schedconf_set(sc, line, argc, argv, &sc->lockfn, &sc->lockfn_line);
}

static void schedconf_debug_min(struct schedconf *sc, unsigned line, int argc, char **argv)
{
	long level;

	if (argc < 2 || parse_long(argv[1], 0, INT_MAX, &level) < 0)
		schedconf_report(sc, 1, line, "DEBUG_MIN: '%s' is not a debug level",
			argc < 2 ? "" : argv[1]);
}

static int schedconf_find_cmd(const char *word)
{
	size_t i;

	for (i = 0; i < SCHEDCONF_NCMDS; i++) {
		if (strcmp(word, schedconf_cmds[i].word) == 0)
			return (int)i;
	}
	return -1;
}

const char *schedconf_cmd_name(enum sched_cmd cmd)
{
	size_t i;

	for (i = 0; i < SCHEDCONF_NCMDS; i++) {
		if (schedconf_cmds[i].cmd == cmd)
			return schedconf_cmds[i].word;
	}
	return "?";
}

/* the word reaches CMDSCRIPT through the shell, unquoted, as in NUT */
static void schedconf_check_word(struct schedconf *sc, unsigned line, const char *what,
	const char *word)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+:@,/";
	const char *p;

	for (p = word; *p; p++) {
		if (!strchr(safe, *p)) {
			schedconf_report(sc, 0, line, "%s '%s' is passed to CMDSCRIPT through the "
				"shell unquoted: use letters, digits and . _ - only", what, word);
			return;
		}
	}
}

/* validate the words after the command; 0 if the rule is usable */
static int schedconf_at_args(struct schedconf *sc, unsigned line, int c, int argc, char **argv,
	struct sched_rule *r)
{
	int nargs = argc - 4;

	if (nargs < schedconf_cmds[c].minargs) {
		schedconf_report(sc, 1, line, "AT ... %s: missing %s", argv[3],
			r->cmd == SCHED_START && nargs == 1 ? "seconds" : "argument");
		return -1;
	}
	if (nargs > schedconf_cmds[c].maxargs)
		schedconf_report(sc, 0, line, "AT ... %s: extra words after '%s' ignored", argv[3],
			argv[4 + schedconf_cmds[c].maxargs - 1]);
	if (argv[4][0] == '\0') {
		schedconf_report(sc, 1, line, "AT ... %s: empty argument", argv[3]);
		return -1;
	}
	if (r->cmd == SCHED_START &&
	    parse_long(argv[5], 0, SCHEDCONF_SECS_MAX, &r->secs) < 0) {
		schedconf_report(sc, 1, line, "START-TIMER %s: '%s' is not a number of seconds "
			"(0 to %ld)", argv[4], argv[5], SCHEDCONF_SECS_MAX);
		return -1;
	}
	schedconf_check_word(sc, line, r->cmd == SCHED_EXECUTE ? "word" : "timer name", argv[4]);
	if (r->cmd == SCHED_CANCEL && nargs >= 2 && argv[5][0] != '\0') {
		schedconf_check_word(sc, line, "word", argv[5]);
		r->arg = argv[5];
	}
	return 0;
}

static void schedconf_at(struct schedconf *sc, unsigned line, int argc, char **argv)
{
	struct sched_rule r, *dst;
	int c;

	if (argc < 5) {
		schedconf_report(sc, 1, line, "AT needs 5 words or more: "
			"AT <notifytype> <upsname|*> <command> <argument> [<argument>]");
		return;
	}
	if (!sc->cmdscript || !sc->pipefn || !sc->lockfn) {
		schedconf_report(sc, 1, line, "%s must be set before any ATs in the config file!",
			!sc->cmdscript ? "CMDSCRIPT" : !sc->pipefn ? "PIPEFN" : "LOCKFN");
		return;
	}
	c = schedconf_find_cmd(argv[3]);
	if (c < 0) {
		schedconf_report(sc, 1, line, "Invalid command: %s (START-TIMER, CANCEL-TIMER or "
			"EXECUTE)", argv[3]);
		return;
	}
	memset(&r, 0, sizeof(r));
	r.cmd = schedconf_cmds[c].cmd;
	r.line = line;
	if (schedconf_at_args(sc, line, c, argc, argv, &r) < 0)
		return;
	sc->rules = xrealloc(sc->rules, (sc->nrules + 1) * sizeof(*sc->rules));
	dst = &sc->rules[sc->nrules++];
	*dst = r;
	dst->ntype = xstrdup(argv[1]);
	dst->ups = xstrdup(argv[2]);
	dst->name = xstrdup(argv[4]);
	dst->arg = r.arg ? xstrdup(r.arg) : NULL;
}

static int schedconf_line(void *arg, const char *file, unsigned line, int argc, char **argv)
{
	struct schedconf *sc = arg;
	size_t i;

	(void)file;
	for (i = 0; i < sizeof(schedconf_directives) / sizeof(schedconf_directives[0]); i++) {
		const char *w = schedconf_directives[i].word;

		if (schedconf_directives[i].nocase ? strcasecmp(argv[0], w) == 0 :
		    strcmp(argv[0], w) == 0) {
			schedconf_directives[i].fn(sc, line, argc, argv);
			return 0;
		}
	}
	schedconf_report(sc, 1, line, "invalid directive %s", argv[0]);
	return 0;
}

static void schedconf_parse_error(void *arg, const char *file, unsigned line, const char *msg)
{
	(void)file;
	schedconf_report(arg, 1, line, "parse error: %s", msg);
}

int schedconf_load(struct schedconf *sc, const char *path)
{
	memset(sc, 0, sizeof(*sc));
	sc->path = xstrdup(path);
	if (pconf_file(path, schedconf_line, schedconf_parse_error, sc) < 0) {
		schedconf_report(sc, 1, 0, "can't open: %s", strerror(errno));
		return -1;
	}
	if (sc->nrules == 0 && sc->nerrors == 0)
		schedconf_report(sc, 0, 0, "no AT lines: upssched does nothing");
	return 0;
}

void schedconf_free(struct schedconf *sc)
{
	size_t i;

	for (i = 0; i < sc->nrules; i++) {
		free(sc->rules[i].ntype);
		free(sc->rules[i].ups);
		free(sc->rules[i].name);
		free(sc->rules[i].arg);
	}
	for (i = 0; i < sc->nmsgs; i++)
		free(sc->msgs[i].text);
	free(sc->rules);
	free(sc->msgs);
	free(sc->path);
	free(sc->cmdscript);
	free(sc->pipefn);
	free(sc->lockfn);
	memset(sc, 0, sizeof(*sc));
}

int schedconf_match(const struct sched_rule *r, const char *upsname, const char *ntype)
{
	if (strcmp(r->ups, "*") != 0 && strcmp(r->ups, upsname) != 0)
		return 0;
	return strcasecmp(r->ntype, ntype) == 0;
}
