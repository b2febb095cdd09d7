/*
 * upsmon: command line, startup checks and the process model.
 *
 * Startup: banner, options, -c (signal the running instance), config read
 * as root (-n checks it and exits, -K answers the POWERDOWNFLAG question),
 * sanity checks, background, then the split: a root parent that only
 * waits for the one-byte shutdown request (shutdown.c) and a child that
 * writes the PID file, drops to RUN_AS_USER and runs the loop (mon.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "conf.h"
#include "log.h"
#include "mon.h"
#include "shutdown.h"
#include "upsclient.h"
#include "util.h"

struct upsmon_opts {
	int cmd_sig;            /* -c: signal to send, 0 = start */
	pid_t pid;              /* -P */
	int debug;              /* -D count */
	int foreground;         /* -F 1, -B 0, unset -1 */
	int check_flag;         /* -K */
	int check_conf;         /* -n */
	int nopipe;             /* -p */
	const char *user;       /* -u */
	char conffile[PATH_MAX];
	char pidfile[PATH_MAX];
};

static void upsmon_help(const char *prog, int code) __attribute__((noreturn));
static void upsmon_help(const char *prog, int code)
{
	printf("Monitors UPS servers and may initiate shutdown if necessary.\n\n");
	printf("usage: %s [OPTIONS]\n\n", prog);
	printf("  -c <cmd>\tsend command to running process\n");
	printf("\t\tcommands:\n");
	printf("\t\t - fsd: shutdown all primary-mode UPSes (use with caution)\n");
	printf("\t\t - reload: reread configuration\n");
	printf("\t\t - stop: stop monitoring and exit\n");
	printf("  -P <pid>\tsend the signal above to specified PID (bypassing PID file)\n");
	printf("  -D\t\traise debugging level (and stay foreground by default)\n");
	printf("  -F\t\tstay foregrounded even if no debugging is enabled\n");
	printf("  -B\t\tstay backgrounded even if debugging is bumped\n");
	printf("  -h\t\tdisplay this help\n");
	printf("  -K\t\tchecks POWERDOWNFLAG, sets exit code to 0 if set\n");
	printf("  -p\t\talways run privileged (disable privileged parent)\n");
	printf("  -u <user>\trun child as user <user> (ignored when using -p)\n");
	printf("  -f <file>\tconfiguration file (default %s/upsmon.conf)\n", nut_confpath());
	printf("  -n\t\tcheck the configuration, report every problem and exit\n");
	printf("  -4\t\tIPv4 only\n");
	printf("  -6\t\tIPv6 only\n");
	printf("  -V\t\tdisplay the version and exit\n");
	exit(code);
}

/* "fsd", "stop", "reload", or any prefix of them */
static int upsmon_cmd_signal(const char *word)
{
	static const struct { const char *name; int sig; } cmds[] = {
		{ "fsd", SIGUSR1 }, { "stop", SIGTERM }, { "reload", SIGHUP },
	};
	size_t i, len = strlen(word);

	for (i = 0; len > 0 && i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strncmp(word, cmds[i].name, len) == 0)
			return cmds[i].sig;
	}
	return 0;
}

static void upsmon_options(struct upsmon_opts *o, int argc, char **argv)
{
	int ch;
	long v;

	memset(o, 0, sizeof(*o));
	o->foreground = -1;
	o->pid = -1;
	snprintf(o->conffile, sizeof(o->conffile), "%s/upsmon.conf", nut_confpath());
	while ((ch = getopt(argc, argv, "+DFBhc:P:f:pu:VK46n")) != -1) {
		switch (ch) {
		case 'c':
			if ((o->cmd_sig = upsmon_cmd_signal(optarg)) == 0) {
				fprintf(stderr, "Invalid command: %s (use fsd, stop or reload)\n", optarg);
				exit(EXIT_FAILURE);
			}
			break;
		case 'P':
			if (parse_long(optarg, 1, INT_MAX, &v) < 0)
				fatalx("Invalid PID: %s", optarg);
			o->pid = (pid_t)v;
			break;
		case 'D': o->debug++; break;
		case 'F': o->foreground = 1; break;
		case 'B': o->foreground = 0; break;
		case 'f': str_copy(o->conffile, optarg, sizeof(o->conffile)); break;
		case 'K': o->check_flag = 1; break;
		case 'n': o->check_conf = 1; break;
		case 'p': o->nopipe = 1; break;
		case 'u': o->user = optarg; break;
		case 'V':
			printf("Network UPS Tools upsmon %s\n", NUT_VERSION);
			exit(EXIT_SUCCESS);
		case '4': case '6':
			/* the client library resolves both families; accepted for compatibility */
			break;
		case 'h': upsmon_help(argv[0], EXIT_SUCCESS);
		default: upsmon_help(argv[0], EXIT_FAILURE);
		}
	}
	if (o->foreground < 0)
		o->foreground = o->debug > 0;
	if (path_join(o->pidfile, sizeof(o->pidfile), nut_pidpath(), "upsmon.pid") < 0)
		fatalx("PID file path too long");
}

static int upsmon_send_cmd(const struct upsmon_opts *o)
{
	pid_t pid = o->pid > 0 ? o->pid : pidfile_read(o->pidfile);

	if (pid <= 0) {
		log_error("Can't read PID file %s: is upsmon running?", o->pidfile);
		return EXIT_FAILURE;
	}
	if (kill(pid, o->cmd_sig) < 0) {
		log_warn("Can't send signal to PID %d", (int)pid);
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

static void upsmon_check_running(const struct upsmon_opts *o)
{
	pid_t pid = o->pid > 0 ? o->pid : pidfile_read(o->pidfile);

	if (pid > 0 && kill(pid, 0) == 0) {
		printf("Fatal error: A previous upsmon instance is already running!\n");
		printf("Either stop the previous instance first, or use the 'reload' command.\n");
		exit(EXIT_FAILURE);
	}
}

static const char *upsmon_user(const struct upsmon_opts *o, const struct mon_conf *c)
{
	if (o->user)
		return o->user;
	return c->run_as_user ? c->run_as_user : RUN_AS_USER;
}

/* -n: the cross-directive checks, as "file: message" (an error counts) */
static unsigned upsmon_check_more(const struct upsmon_opts *o, const struct mon_conf *c)
{
	unsigned errors = 0;
	uid_t uid;
	gid_t gid;
	size_t i;
	int exec = 0;

	if (conf_total_pv(c) < c->minsupplies) {
		log_error("%s: insufficient power configured: sum of power values %ld < MINSUPPLIES %ld",
			o->conffile, conf_total_pv(c), c->minsupplies);
		errors++;
	}
	if (!o->nopipe && priv_lookup(upsmon_user(o, c), &uid, &gid) < 0) {
		log_error("%s: RUN_AS_USER %s: no such user", o->conffile, upsmon_user(o, c));
		errors++;
	}
	if (c->nmon == 0)
		log_warnx("%s: warning: no MONITOR line: nothing to watch", o->conffile);
	if (!c->shutdowncmd)
		log_warnx("%s: warning: no SHUTDOWNCMD: upsmon cannot shut this host down",
			o->conffile);
	for (i = 0; i < NOTIFY_NTYPES; i++)
		exec |= c->notify.flags[i] & NOTIFY_EXEC;
	if (exec && !c->notify.cmd)
		log_warnx("%s: warning: NOTIFYFLAG has EXEC but NOTIFYCMD is not set", o->conffile);
	if (c->deadtime < c->pollfreq || c->deadtime < c->pollfreqalert)
		log_warnx("%s: warning: DEADTIME (%ld) is shorter than POLLFREQ/POLLFREQALERT: "
			"one slow poll makes a UPS on battery count as dead", o->conffile, c->deadtime);
	return errors;
}

/*
 * The child opens the NSS database at its first STARTTLS, after dropping
 * to user: check now, in a throw-away process running as that user, that
 * it can (a database only root may read would otherwise fail every poll).
 * 0, or -1 with the reason logged; a check that cannot run counts as 0.
 */
static int upsmon_tls_check_as(const struct upscli_tlsconf *tc, const char *user,
			       const char *path)
{
	char err[256];
	int status = 0;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0) {
		if (priv_drop(user, err, sizeof(err)) < 0)
			_exit(2);            /* RUN_AS_USER problems are reported elsewhere */
		if (upscli_tls_init(tc, err, sizeof(err)) < 0) {
			log_error("%s: TLS setup failed as user %s (upsmon's child): %s",
				path, user, err);
			_exit(1);
		}
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 1 ? -1 : 0;
}

/*
 * CERTPATH / CERTIDENT / CERTHOST into the client library: the NSS database
 * and its password are checked now (as root, then as user, the account of
 * the child, when not NULL), so a bad setting stops upsmon at startup (and
 * shows in -n). 0, or -1 with the reason logged.
 */
static int upsmon_tls_setup(const struct mon_conf *c, const char *user)
{
	const char *path = c->path ? c->path : "upsmon.conf";
	struct upscli_tlsconf tc;
	char err[256];
	size_t i;

	if (!c->certpath && !c->certname && c->ncerthosts == 0)
		return 0;
	tc.certpath = c->certpath;
	tc.certname = c->certname;
	tc.certpasswd = c->certpasswd;
	if (upscli_tls_init(&tc, err, sizeof(err)) < 0) {
		log_error("%s: TLS setup failed: %s", path, err);
		return -1;
	}
	if (c->certpath && user && geteuid() == 0 && upsmon_tls_check_as(&tc, user, path) < 0)
		return -1;
	for (i = 0; i < c->ncerthosts; i++) {
		const struct conf_certhost *h = &c->certhosts[i];

		if (upscli_tls_add_host(h->host, h->certname, h->verify == 1, h->forcessl == 1) < 0) {
			log_error("%s: CERTHOST %s: cannot be registered", path, h->host);
			return -1;
		}
	}
	return 0;
}

/* -n: every problem conf_load finds plus the startup checks, all reported */
static int upsmon_check_conf(const struct upsmon_opts *o)
{
	struct mon_conf c;
	unsigned errors;

	conf_load(&c, o->conffile, CONF_STRICT);
	errors = c.nerrors + upsmon_check_more(o, &c);
	if (upsmon_tls_setup(&c, o->nopipe ? NULL : upsmon_user(o, &c)) < 0)
		errors++;
	upscli_tls_cleanup();
	if (errors)
		printf("%u problem(s) found in %s\n", errors, o->conffile);
	else
		printf("Configuration OK: %s: %zu UPS, power value %ld, MINSUPPLIES %ld\n",
			o->conffile, c.nmon, conf_total_pv(&c), c.minsupplies);
	conf_free(&c);
	return errors ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* 0, or -1 when upsmon must not start */
static int upsmon_startup_checks(const struct mon_conf *c)
{
	size_t i;

	if (!c->shutdowncmd)
		printf("Warning: no shutdown command defined!\n");
	if (conf_total_pv(c) < c->minsupplies) {
		printf("\nFatal error: insufficient power configured!\n\n");
		printf("Sum of power values........: %ld\n", conf_total_pv(c));
		printf("Minimum value (MINSUPPLIES): %ld\n", c->minsupplies);
		printf("\nEdit your upsmon.conf and change the values.\n");
		return -1;
	}
	for (i = 0; i < c->nmon; i++) {
		const struct conf_monitor *m = &c->mon[i];

		if (m->pv)
			log_info("UPS: %s (%s) (power value %ld)", m->sys,
				m->primary ? "primary" : "secondary", m->pv);
		else
			log_info("UPS: %s (monitoring only)", m->sys);
	}
	if (c->powerdownflag)
		log_info("Using power down flag file %s", c->powerdownflag);
	return 0;
}

static int upsmon_run_child(const struct upsmon_opts *o, struct mon_conf *c, int pipefd)
{
	struct upsmon m;
	int rc;

	if (mon_init(&m, c, pipefd, o->debug) < 0)
		fatal("cannot set up the event loop");
	rc = mon_run(&m);
	mon_free(&m);
	return rc;
}

/* fork the root parent and the unprivileged child; returns in the child only */
static int upsmon_split(const struct upsmon_opts *o, struct mon_conf *c)
{
	char err[256];
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		fatal("pipe creation failed");
	pid = fork();
	if (pid < 0)
		fatal("fork failed");
	if (pid > 0) {
		close(fds[1]);
		shutdown_parent(fds[0], pid, c, o->pidfile);
	}
	close(fds[0]);
	if (pidfile_write(o->pidfile) < 0)
		log_warn("Can't write PID file %s", o->pidfile);
	if (priv_drop(upsmon_user(o, c), err, sizeof(err)) < 0)
		fatalx("%s", err);
	return fds[1];
}

int main(int argc, char **argv)
{
	struct upsmon_opts o;
	struct mon_conf c;
	int rc, pipefd = -1;

	log_init("upsmon", LOG_TO_STDERR);
	upsmon_options(&o, argc, argv);
	if (!o.check_conf) {
		printf("Network UPS Tools upsmon %s\n", NUT_VERSION);
		fflush(stdout);
	}
	log_set_debug(o.debug);
	if (o.cmd_sig)
		return upsmon_send_cmd(&o);
	if (o.check_conf)
		return upsmon_check_conf(&o);
	if (!o.check_flag)
		upsmon_check_running(&o);
	log_set_targets(LOG_TO_STDERR | LOG_TO_SYSLOG);
	/*
	 * -K answers from POWERDOWNFLAG alone: a bad line elsewhere (reported
	 * above) must not keep the late shutdown from powering the UPS off.
	 */
	if (conf_load(&c, o.conffile, 0) < 0 && !(o.check_flag && c.powerdownflag))
		fatalx("%s: unusable configuration (upsmon -n lists every problem)", o.conffile);
	if (c.debug_min > o.debug)
		log_set_debug((int)c.debug_min);
	if (o.check_flag) {
		rc = shutdown_pdflag_check(&c);
		conf_free(&c);
		return rc;
	}
	if (upsmon_startup_checks(&c) < 0) {
		conf_free(&c);
		return EXIT_FAILURE;
	}
	if (upsmon_tls_setup(&c, o.nopipe ? NULL : upsmon_user(&o, &c)) < 0) {
		conf_free(&c);
		return EXIT_FAILURE;
	}
	shutdown_pdflag_clear(&c);
	if (!o.foreground) {
		daemonize();
		log_set_targets(LOG_TO_SYSLOG);
	}
	if (o.nopipe) {
		log_warnx("Warning: running as one big root process by request (upsmon -p)");
		if (pidfile_write(o.pidfile) < 0)
			log_warn("Can't write PID file %s", o.pidfile);
	} else {
		pipefd = upsmon_split(&o, &c);
	}
	rc = upsmon_run_child(&o, &c, pipefd);
	if (o.nopipe && pidfile_read(o.pidfile) == getpid())
		unlink(o.pidfile);
	return rc;
}
