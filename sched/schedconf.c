/*
 * schedconf: upssched.conf reader (see schedconf.h).
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "pconf.h"
#include "schedconf.h"
#include "util.h"

struct schedconf_walk {
	struct schedconf *sc;
	schedconf_at_cb cb;
	void *arg;
	const char *file;
	unsigned line;
};

static const struct {
	const char *word;
	enum sched_cmd cmd;
} schedconf_cmds[] = {
	{ "START-TIMER", SCHED_START },
	{ "START-TIMER-SHARED", SCHED_START_SHARED },
	{ "CANCEL-TIMER", SCHED_CANCEL },
	{ "EXECUTE", SCHED_EXECUTE },
};

static void schedconf_report(struct schedconf_walk *w, int error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void schedconf_report(struct schedconf_walk *w, int error, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (error) {
		log_error("%s:%u: %s", w->file, w->line, msg);
		w->sc->nerrors++;
	} else {
		log_warnx("%s:%u: %s", w->file, w->line, msg);
		w->sc->nwarnings++;
	}
}

static int schedconf_set(char **field, int argc, char **argv)
{
	if (argc < 2)
		return -1;
	free(*field);
	*field = xstrdup(argv[1]);
	return 0;
}

static int schedconf_cmd(const char *word, enum sched_cmd *cmd)
{
	size_t i;

	for (i = 0; i < sizeof(schedconf_cmds) / sizeof(schedconf_cmds[0]); i++) {
		if (strcmp(word, schedconf_cmds[i].word) == 0) {
			*cmd = schedconf_cmds[i].cmd;
			return 0;
		}
	}
	return -1;
}

/* build and validate one AT line; 0 if usable */
static int schedconf_at(struct schedconf_walk *w, int argc, char **argv, struct sched_at *at)
{
	memset(at, 0, sizeof(*at));
	at->ntype = argv[1];
	at->ups = argv[2];
	at->name = argv[4];
	at->arg = argc > 5 ? argv[5] : NULL;
	at->file = w->file;
	at->line = w->line;
	if (schedconf_cmd(argv[3], &at->cmd) < 0) {
		schedconf_report(w, 1, "Invalid command: %s", argv[3]);
		return -1;
	}
	if (at->name[0] == '\0') {
		schedconf_report(w, 1, "%s: empty argument", argv[3]);
		return -1;
	}
	if (at->cmd == SCHED_START || at->cmd == SCHED_START_SHARED) {
		if (!at->arg || parse_long(at->arg, 0, INT_MAX / 1000, &at->secs) < 0) {
			schedconf_report(w, 1, "%s %s: invalid seconds '%s'", argv[3], at->name,
				at->arg ? at->arg : "");
			return -1;
		}
	}
	if (at->cmd == SCHED_CANCEL && at->arg && at->arg[0] == '\0')
		at->arg = NULL;
	if (argc > 6 || (argc > 5 && at->cmd == SCHED_EXECUTE))
		schedconf_report(w, w->sc->strict, "AT: extra words ignored");
	return 0;
}

static int schedconf_line(void *arg, const char *file, unsigned line, int argc, char **argv)
{
	struct schedconf_walk *w = arg;
	struct schedconf *sc = w->sc;
	struct sched_at at;

	w->file = file;
	w->line = line;
	if (strcmp(argv[0], "CMDSCRIPT") == 0 && schedconf_set(&sc->cmdscript, argc, argv) == 0)
		return 0;
	if (strcmp(argv[0], "PIPEFN") == 0 && schedconf_set(&sc->pipefn, argc, argv) == 0)
		return 0;
	if (strcmp(argv[0], "LOCKFN") == 0 && schedconf_set(&sc->lockfn, argc, argv) == 0)
		return 0;
	if (strcasecmp(argv[0], "DEBUG_MIN") == 0 && argc >= 2)
		return 0;
	if (strcmp(argv[0], "AT") != 0 || argc < 5) {
		schedconf_report(w, sc->strict, "invalid directive%s%s",
			argc > 0 ? " " : "", argc > 0 ? argv[0] : "");
		return 0;
	}
	if (!sc->cmdscript || !sc->pipefn || !sc->lockfn) {
		schedconf_report(w, 1, "%s must be set before any ATs in the config file!",
			!sc->cmdscript ? "CMDSCRIPT" : !sc->pipefn ? "PIPEFN" : "LOCKFN");
		return sc->strict ? 0 : SCHEDCONF_STOP;
	}
	if (schedconf_at(w, argc, argv, &at) < 0)
		return 0;
	return w->cb ? w->cb(w->arg, sc, &at) : 0;
}

static void schedconf_parse_error(void *arg, const char *file, unsigned line, const char *msg)
{
	struct schedconf_walk *w = arg;

	w->file = file;
	w->line = line;
	schedconf_report(w, 1, "parse error: %s", msg);
}

int schedconf_walk(struct schedconf *sc, const char *path, int strict,
	schedconf_at_cb cb, void *arg)
{
	struct schedconf_walk w;
	int rc;

	memset(sc, 0, sizeof(*sc));
	sc->path = xstrdup(path);
	sc->strict = strict;
	memset(&w, 0, sizeof(w));
	w.sc = sc;
	w.cb = cb;
	w.arg = arg;
	w.file = path;
	rc = pconf_file(path, schedconf_line, schedconf_parse_error, &w);
	if (rc < 0) {
		log_warn("Can't open %s", path);
		sc->nerrors++;
	}
	return rc;
}

void schedconf_free(struct schedconf *sc)
{
	free(sc->path);
	free(sc->cmdscript);
	free(sc->pipefn);
	free(sc->lockfn);
	memset(sc, 0, sizeof(*sc));
}

int schedconf_match(const struct sched_at *at, const char *upsname, const char *ntype)
{
	if (strcmp(at->ups, "*") != 0 && strcmp(at->ups, upsname) != 0)
		return 0;
	return strcasecmp(at->ntype, ntype) == 0;
}
