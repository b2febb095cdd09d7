/*
 * schedcheck: cross-rule checks for upssched -n (see schedcheck.h).
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../monitor/notify.h"
#include "schedcheck.h"
#include "schedconf.h"
#include "util.h"

/* an event that starts a condition, and the one that ends it */
static const struct {
	const char *on, *off;
} schedcheck_pairs[] = {
	{ "ONBATT", "ONLINE" },
	{ "COMMBAD", "COMMOK" },
	{ "NOCOMM", "COMMOK" },
};

/* does rule c cancel timer s for every UPS s applies to? */
static int schedcheck_cancels(const struct sched_rule *c, const struct sched_rule *s,
	const char *off)
{
	return c->cmd == SCHED_CANCEL && strcasecmp(c->ntype, off) == 0 &&
		strcmp(c->name, s->name) == 0 &&
		(strcmp(c->ups, "*") == 0 || strcmp(c->ups, s->ups) == 0);
}

static unsigned schedcheck_pair(struct schedconf *sc, const char *on, const char *off)
{
	unsigned n = 0;
	size_t i, j;

	for (i = 0; i < sc->nrules; i++) {
		const struct sched_rule *s = &sc->rules[i];
		int cancelled = 0;

		if (s->cmd != SCHED_START || strcasecmp(s->ntype, on) != 0)
			continue;
		for (j = 0; j < sc->nrules && !cancelled; j++)
			cancelled = schedcheck_cancels(&sc->rules[j], s, off);
		if (cancelled)
			continue;
		schedconf_report(sc, 0, s->line, "timer '%s' is started on %s but no "
			"'AT %s %s CANCEL-TIMER %s' line cancels it: it fires %ld s after %s "
			"even if %s came in between", s->name, on, off, s->ups, s->name, s->secs,
			on, off);
		n++;
	}
	return n;
}

static int schedcheck_started(const struct schedconf *sc, const char *name)
{
	size_t i;

	for (i = 0; i < sc->nrules; i++) {
		if (sc->rules[i].cmd == SCHED_START && strcmp(sc->rules[i].name, name) == 0)
			return 1;
	}
	return 0;
}

static int schedcheck_same(const struct sched_rule *a, const struct sched_rule *b)
{
	return a->cmd == b->cmd && strcasecmp(a->ntype, b->ntype) == 0 &&
		strcmp(a->ups, b->ups) == 0 && strcmp(a->name, b->name) == 0 &&
		strcmp(a->arg ? a->arg : "", b->arg ? b->arg : "") == 0 &&
		(a->cmd != SCHED_START || a->secs == b->secs);
}

/* checks of one rule against the table and the rules before it */
static unsigned schedcheck_rule(struct schedconf *sc, size_t i)
{
	const struct sched_rule *r = &sc->rules[i];
	unsigned n = 0;
	size_t j;

	if (notify_lookup(r->ntype) < 0) {
		schedconf_report(sc, 0, r->line, "'%s' is not a notification type upsmon sends",
			r->ntype);
		n++;
	}
	if (r->cmd == SCHED_CANCEL && !schedcheck_started(sc, r->name)) {
		schedconf_report(sc, 0, r->line, "CANCEL-TIMER %s: no rule starts a timer '%s'%s",
			r->name, r->name, r->arg ? ", so its command runs on every event" : "");
		n++;
	}
	for (j = 0; j < i; j++) {
		if (schedcheck_same(r, &sc->rules[j])) {
			schedconf_report(sc, 0, r->line, "same rule as line %u: it runs twice",
				sc->rules[j].line);
			n++;
			break;
		}
	}
	return n;
}

/* the program part of CMDSCRIPT (it runs through the shell, so it may carry arguments) */
static unsigned schedcheck_cmdscript(struct schedconf *sc)
{
	char prog[PATH_MAX];
	size_t len;

	if (!sc->cmdscript)
		return 0;
	len = strcspn(sc->cmdscript, " \t");
	if (len >= sizeof(prog))
		len = sizeof(prog) - 1;
	memcpy(prog, sc->cmdscript, len);
	prog[len] = '\0';
	if (access(prog, X_OK) == 0)
		return 0;
	schedconf_report(sc, 0, sc->cmdscript_line, "CMDSCRIPT %s: %s", prog,
		errno == ENOENT ? "no such file" : "not executable");
	return 1;
}

static unsigned schedcheck_dir(struct schedconf *sc, const char *what, const char *path,
	unsigned line)
{
	char dir[PATH_MAX];
	const char *slash;
	struct stat st;

	if (!path)
		return 0;
	slash = strrchr(path, '/');
	if (!slash)
		return 0;
	str_copy(dir, path, sizeof(dir));
	dir[slash == path ? 1 : (size_t)(slash - path)] = '\0';
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	schedconf_report(sc, 0, line, "%s %s: directory %s does not exist", what, path, dir);
	return 1;
}

unsigned schedcheck_run(struct schedconf *sc)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; i < sc->nrules; i++)
		n += schedcheck_rule(sc, i);
	for (i = 0; i < sizeof(schedcheck_pairs) / sizeof(schedcheck_pairs[0]); i++)
		n += schedcheck_pair(sc, schedcheck_pairs[i].on, schedcheck_pairs[i].off);
	n += schedcheck_cmdscript(sc);
	n += schedcheck_dir(sc, "PIPEFN", sc->pipefn, sc->pipefn_line);
	n += schedcheck_dir(sc, "LOCKFN", sc->lockfn, sc->lockfn_line);
	return n;
}
