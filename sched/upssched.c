/*
 * upssched: upsmon's NOTIFYCMD helper. Reads upssched.conf and, for every
 * AT rule matching this event (UPSNAME and NOTIFYTYPE from the
 * environment), in file order: runs "CMDSCRIPT <word>" at once (EXECUTE),
 * or asks the timer daemon to start or cancel a timer (client.c,
 * timerd.c), starting the daemon first when none runs.
 *
 * -n checks the file instead: every error and warning as file:line, a
 * summary, exit 1 when there is an error (schedconf.c, schedcheck.c).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../monitor/spawn.h"
#include "buf.h"
#include "client.h"
#include "log.h"
#include "schedcheck.h"
#include "schedconf.h"
#include "util.h"

struct upssched_event {
	const char *ups;
	const char *ntype;
	const char *msg;        /* argv[1] from upsmon, "" if none */
};

static void upssched_usage(void) __attribute__((noreturn));
static void upssched_usage(void)
{
	printf("usage: upssched [-n] [-D] [-f <file>] [<message>]\n\n");
	printf("Run by upsmon as NOTIFYCMD, with UPSNAME and NOTIFYTYPE in the environment.\n\n");
	printf("  -n\t\tcheck the configuration, report every problem and exit\n");
	printf("  -f <file>\tconfiguration file (default %s/upssched.conf)\n", nut_confpath());
	printf("  -D\t\traise the debug level\n");
	exit(EXIT_FAILURE);
}

/* CMDSCRIPT <word>, here and now; the environment carries the event */
static int upssched_execute(const struct schedconf *sc, const char *word)
{
	char cmd[2048];
	int rc;

	if ((size_t)snprintf(cmd, sizeof(cmd), "%s %s", sc->cmdscript, word) >= sizeof(cmd)) {
		log_error("CMDSCRIPT command for %s too long", word);
		return -1;
	}
	log_info("Executing command: %s", word);
	rc = spawn_shell_wait(cmd);
	if (rc != 0)
		log_warnx("%s exited with status %d", cmd, rc);
	return 0;
}

/* VERB name arg ntype ups msg, quoted for the daemon's tokenizer */
static int upssched_request(struct buf *b, const char *verb, const struct sched_rule *r,
	const char *arg, const struct upssched_event *e)
{
	buf_puts(b, verb);
	buf_puts(b, " ");
	buf_quoted(b, r->name);
	buf_puts(b, " ");
	buf_quoted(b, arg);
	buf_puts(b, " ");
	buf_quoted(b, e->ntype);
	buf_puts(b, " ");
	buf_quoted(b, e->ups);
	buf_puts(b, " ");
	buf_quoted(b, e->msg);
	buf_puts(b, "\n");
	return b->overflow ? -1 : 0;
}

static int upssched_rule(const struct schedconf *sc, const struct sched_rule *r,
	const struct upssched_event *e)
{
	char secs[32];
	struct buf req;
	enum client_result cr;

	if (r->cmd == SCHED_EXECUTE)
		return upssched_execute(sc, r->name);
	buf_init(&req, 4096);
	snprintf(secs, sizeof(secs), "%ld", r->secs);
	if (upssched_request(&req, r->cmd == SCHED_START ? "START" : "CANCEL", r,
		r->cmd == SCHED_START ? secs : r->arg ? r->arg : "", e) < 0) {
		log_error("%s:%u: request too long", sc->path, r->line);
		buf_free(&req);
		return -1;
	}
	cr = client_send(sc, req.data, r->cmd == SCHED_START);
	buf_free(&req);
	/* no daemon: no timer can be running, so CANCEL's word runs now */
	if (cr == CLIENT_NO_DAEMON && r->arg) {
		log_info("Cancel %s, event: %s", r->name, r->arg);
		return upssched_execute(sc, r->arg);
	}
	return cr == CLIENT_FAILED ? -1 : 0;
}

static int upssched_event(const char *path, const struct upssched_event *e)
{
	struct schedconf sc;
	int failed = 0;
	size_t i;

	schedconf_load(&sc, path);
	for (i = 0; i < sc.nmsgs; i++) {
		if (sc.msgs[i].error)
			log_error("%s", sc.msgs[i].text);
	}
	failed = sc.nerrors > 0;
	for (i = 0; i < sc.nrules; i++) {
		if (schedconf_match(&sc.rules[i], e->ups, e->ntype) &&
		    upssched_rule(&sc, &sc.rules[i], e) < 0)
			failed = 1;
	}
	schedconf_free(&sc);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* messages by line (file-wide ones first), keeping the order within a line */
static void upssched_sort_msgs(struct schedconf *sc)
{
	size_t i, j;

	for (i = 1; i < sc->nmsgs; i++) {
		struct sched_msg m = sc->msgs[i];

		for (j = i; j > 0 && sc->msgs[j - 1].line > m.line; j--)
			sc->msgs[j] = sc->msgs[j - 1];
		sc->msgs[j] = m;
	}
}

static int upssched_check(const char *path)
{
	struct schedconf sc;
	int rc;
	size_t i;

	if (schedconf_load(&sc, path) == 0)
		schedcheck_run(&sc);
	upssched_sort_msgs(&sc);
	for (i = 0; i < sc.nmsgs; i++)
		printf("%s\n", sc.msgs[i].text);
	if (sc.nerrors)
		printf("%s: %u error(s), %u warning(s)\n", path, sc.nerrors, sc.nwarnings);
	else
		printf("%s: OK, %zu rule(s), %u warning(s)\n", path, sc.nrules, sc.nwarnings);
	rc = sc.nerrors ? EXIT_FAILURE : EXIT_SUCCESS;
	schedconf_free(&sc);
	return rc;
}

/*
 * Options into path and check; returns the index of the message. upsmon's
 * call (UPSNAME and NOTIFYTYPE set, one argument) reads no option: the
 * message may start with '-' (NUT's upssched reads no options at all).
 */
static int upssched_options(int argc, char **argv, char *path, size_t pathlen, int *check)
{
	int ch;

	if (argc == 2 && getenv("UPSNAME") && getenv("NOTIFYTYPE"))
		return 1;
	/* '+': the message upsmon passes is never taken for an option */
	while ((ch = getopt(argc, argv, "+nf:Dh")) != -1) {
		switch (ch) {
		case 'n': *check = 1; break;
		case 'f':
			if (str_copy(path, optarg, pathlen) >= pathlen)
				fatalx("file name too long: %s", optarg);
			break;
		case 'D': log_set_debug(log_get_debug() + 1); break;
		default: upssched_usage();
		}
	}
	return optind;
}

int main(int argc, char **argv)
{
	char path[PATH_MAX];
	struct upssched_event e;
	int arg, check = 0;

	log_init("upssched", LOG_TO_SYSLOG | LOG_TO_STDERR);
	if (path_join(path, sizeof(path), nut_confpath(), "upssched.conf") < 0)
		fatalx("configuration path too long: %s", nut_confpath());
	arg = upssched_options(argc, argv, path, sizeof(path), &check);
	if (check) {
		log_set_targets(LOG_TO_STDERR);
		return upssched_check(path);
	}
	e.ups = getenv("UPSNAME");
	e.ntype = getenv("NOTIFYTYPE");
	e.msg = arg < argc ? argv[arg] : "";
	if (!e.ups || !e.ntype) {
		printf("Error: UPSNAME and NOTIFYTYPE must be set.\n");
		printf("This program should only be run from upsmon.\n");
		return EXIT_FAILURE;
	}
	if (e.msg[0])
		setenv("NOTIFYMSG", e.msg, 1);
	return upssched_event(path, &e);
}
