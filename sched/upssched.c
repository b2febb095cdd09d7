/*
 * upssched: upsmon's NOTIFYCMD helper. Reads upssched.conf in file order
 * and, for every AT line matching this event (UPSNAME, NOTIFYTYPE from the
 * environment), runs CMDSCRIPT at once (EXECUTE) or asks the timer daemon
 * to start or cancel a timer (client.c, timerd.c).
 *
 * -n checks the file instead: every error, plus warnings for timers that
 * are started when the power fails but never cancelled when it returns.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "client.h"
#include "log.h"
#include "../monitor/notify.h"
#include "schedconf.h"
#include "../monitor/spawn.h"
#include "util.h"

struct upssched_event {
	const char *ups;
	const char *ntype;
	int failed;
};

/* a copy of one AT line, for the check mode */
struct upssched_rule {
	char *ntype, *ups, *name, *arg;
	enum sched_cmd cmd;
	unsigned line;
};

struct upssched_rules {
	struct upssched_rule *v;
	size_t n;
};

static void upssched_usage(void) __attribute__((noreturn));
static void upssched_usage(void)
{
	printf("usage: upssched [-n] [-f <file>]\n\n");
	printf("Run by upsmon as NOTIFYCMD, with UPSNAME and NOTIFYTYPE in the environment.\n\n");
	printf("  -n\t\tcheck the configuration, report every problem and exit\n");
	printf("  -f <file>\tconfiguration file (default %s/upssched.conf)\n", nut_confpath());
	exit(EXIT_FAILURE);
}

static void upssched_execute(const struct schedconf *sc, const char *word)
{
	char cmd[2048];
	int rc;

	snprintf(cmd, sizeof(cmd), "%s %s", sc->cmdscript, word);
	log_info("Executing command: %s", word);
	rc = spawn_shell_wait(cmd);
	if (rc != 0)
		log_error("%s exited with status %d", cmd, rc);
}

static int upssched_at(void *arg, const struct schedconf *sc, const struct sched_at *at)
{
	struct upssched_event *e = arg;
	int rc = 0;

	if (!schedconf_match(at, e->ups, e->ntype))
		return 0;
	switch (at->cmd) {
	case SCHED_EXECUTE:
		upssched_execute(sc, at->name);
		break;
	case SCHED_START:
		rc = client_send(sc, "START", at->name, at->arg, e->ntype, e->ups, 1);
		break;
	case SCHED_START_SHARED:
		rc = client_send(sc, "START-SHARED", at->name, at->arg, e->ntype, e->ups, 1);
		break;
	case SCHED_CANCEL:
		rc = client_send(sc, "CANCEL", at->name, at->arg, e->ntype, e->ups, at->arg != NULL);
		break;
	}
	if (rc < 0)
		e->failed = 1;
	return 0;
}

static int upssched_collect(void *arg, const struct schedconf *sc, const struct sched_at *at)
{
	struct upssched_rules *r = arg;
	struct upssched_rule *x;

	(void)sc;
	r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
	x = &r->v[r->n++];
	x->ntype = xstrdup(at->ntype);
	x->ups = xstrdup(at->ups);
	x->name = xstrdup(at->name);
	x->arg = at->arg ? xstrdup(at->arg) : NULL;
	x->cmd = at->cmd;
	x->line = at->line;
	return 0;
}

static int upssched_ups_overlap(const char *a, const char *b)
{
	return strcmp(a, "*") == 0 || strcmp(b, "*") == 0 || strcmp(a, b) == 0;
}

/* a timer started on `on` with no `off` rule cancelling it fires after the condition ended */
static unsigned upssched_check_pair(const struct schedconf *sc, const struct upssched_rules *r,
	const char *on, const char *off)
{
	unsigned warnings = 0;
	size_t i, j;

	for (i = 0; i < r->n; i++) {
		const struct upssched_rule *s = &r->v[i];
		int cancelled = 0;

		if ((s->cmd != SCHED_START && s->cmd != SCHED_START_SHARED) ||
		    strcasecmp(s->ntype, on) != 0)
			continue;
		for (j = 0; j < r->n && !cancelled; j++) {
			const struct upssched_rule *c = &r->v[j];

			cancelled = c->cmd == SCHED_CANCEL && strcasecmp(c->ntype, off) == 0 &&
				strcmp(c->name, s->name) == 0 && upssched_ups_overlap(c->ups, s->ups);
		}
		if (cancelled)
			continue;
		log_warnx("%s:%u: timer '%s' is started on %s but no 'AT %s ... CANCEL-TIMER %s' "
			"line cancels it: it fires even after the %s condition has ended",
			sc->path, s->line, s->name, on, off, s->name, on);
		warnings++;
	}
	return warnings;
}

static unsigned upssched_check_rules(const struct schedconf *sc, const struct upssched_rules *r)
{
	unsigned warnings = 0;
	size_t i, j;

	for (i = 0; i < r->n; i++) {
		const struct upssched_rule *a = &r->v[i];

		if (notify_lookup(a->ntype) < 0) {
			log_warnx("%s:%u: '%s' is not a notification type upsmon sends",
				sc->path, a->line, a->ntype);
			warnings++;
		}
		for (j = 0; j < i; j++) {
			const struct upssched_rule *b = &r->v[j];

			if (a->cmd == b->cmd && strcasecmp(a->ntype, b->ntype) == 0 &&
			    strcmp(a->ups, b->ups) == 0 && strcmp(a->name, b->name) == 0 &&
			    strcmp(a->arg ? a->arg : "", b->arg ? b->arg : "") == 0) {
				log_warnx("%s:%u: same rule as line %u: it runs twice",
					sc->path, a->line, b->line);
				warnings++;
				break;
			}
		}
	}
	warnings += upssched_check_pair(sc, r, "ONBATT", "ONLINE");
	warnings += upssched_check_pair(sc, r, "COMMBAD", "COMMOK");
	return warnings;
}

static unsigned upssched_check_paths(const struct schedconf *sc, size_t nrules)
{
	unsigned errors = 0;
	static const char *const names[] = { "CMDSCRIPT", "PIPEFN", "LOCKFN" };
	const char *values[] = { sc->cmdscript, sc->pipefn, sc->lockfn };
	size_t i;

	for (i = 0; i < 3; i++) {
		if (!values[i] && nrules == 0) {
			log_error("%s: %s is not set", sc->path, names[i]);
			errors++;
		}
	}
	if (sc->cmdscript && access(sc->cmdscript, X_OK) < 0)
		log_warn("%s: CMDSCRIPT %s is not executable", sc->path, sc->cmdscript);
	return errors;
}

static int upssched_check(const char *path)
{
	struct upssched_rules r = { NULL, 0 };
	struct schedconf sc;
	unsigned errors, warnings;
	size_t i;

	schedconf_walk(&sc, path, 1, upssched_collect, &r);
	warnings = sc.nwarnings + upssched_check_rules(&sc, &r);
	errors = sc.nerrors + upssched_check_paths(&sc, r.n);
	printf("%s: %u error(s), %u warning(s)\n", path, errors, warnings);
	for (i = 0; i < r.n; i++) {
		free(r.v[i].ntype);
		free(r.v[i].ups);
		free(r.v[i].name);
		free(r.v[i].arg);
	}
	free(r.v);
	schedconf_free(&sc);
	return errors ? EXIT_FAILURE : EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	char path[PATH_MAX];
	struct upssched_event e;
	struct schedconf sc;
	int ch, check = 0, rc;

	log_init("upssched", LOG_TO_SYSLOG | LOG_TO_STDERR);
	snprintf(path, sizeof(path), "%s/upssched.conf", nut_confpath());
	while ((ch = getopt(argc, argv, "nf:hD")) != -1) {
		switch (ch) {
		case 'n': check = 1; break;
		case 'f': str_copy(path, optarg, sizeof(path)); break;
		case 'D': log_set_debug(log_get_debug() + 1); break;
		default: upssched_usage();
		}
	}
	if (check)
		return upssched_check(path);
	e.ups = getenv("UPSNAME");
	e.ntype = getenv("NOTIFYTYPE");
	e.failed = 0;
	if (!e.ups || !e.ntype) {
		printf("Error: UPSNAME and NOTIFYTYPE must be set.\n");
		printf("This program should only be run from upsmon.\n");
		return EXIT_FAILURE;
	}
	rc = schedconf_walk(&sc, path, 0, upssched_at, &e);
	schedconf_free(&sc);
	return (rc != 0 || e.failed) ? EXIT_FAILURE : EXIT_SUCCESS;
}
