/*
 * upsd.c: the NUT-compatible network server: command line, configuration
 * (startup, check mode, reload), listeners, UPS list, main loop.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "conf.h"
#include "desc.h"
#include "driverlink.h"
#include "log.h"
#include "sock.h"
#include "starttls.h"
#include "tracking.h"
#include "upsd.h"
#include "users.h"
#include "util.h"

#ifndef RUN_AS_USER
#define RUN_AS_USER "nut"
#endif

#define TICK_MS 1000

struct upsd_opts {
	int debug;
	int foreground;     /* count of -F */
	int background;     /* -B */
	int check;          /* -n */
	int quiet;
	int family;
	const char *user;
	const char *cmd;    /* -c */
	const char *chroot_dir;
};

/* ------------------------------------------------------------ lookups */

struct upsd_ups *upsd_find_ups(struct upsd *d, const char *name)
{
	struct upsd_ups *u;

	if (!name)
		return NULL;
	for (u = d->ups; u; u = u->next)
		if (!strcasecmp(u->name, name))
			return u;
	return NULL;
}

const char *ups_available(const struct upsd_ups *ups)
{
	uint64_t now;

	if (ups->fd < 0)
		return "DRIVER-NOT-CONNECTED";
	if (!ups->dumpdone || ups->driver_stale)
		return "DATA-STALE";
	now = ev_now_ms(ups->upsd->ev);
	if (now > ups->last_heard_ms && now - ups->last_heard_ms > (uint64_t)ups->upsd->maxage * 1000)
		return "DATA-STALE";
	return NULL;
}

/* ------------------------------------------------------------ paths */

static void conf_file(const struct upsd *d, const char *name, char *out, size_t outlen)
{
	if (path_join(out, outlen, d->confpath, name) < 0)
		fatalx("Fatal error: configuration path too long: %s/%s", d->confpath, name);
}

static void pid_file(char *out, size_t outlen)
{
	if (path_join(out, outlen, nut_altpidpath(), "upsd.pid") < 0)
		fatalx("Fatal error: PID file path too long");
}

/* ------------------------------------------------------------ UPS list */

static void ups_set_sockpath(struct upsd *d, struct upsd_ups *u)
{
	char name[300];

	snprintf(name, sizeof(name), "%s-%s", u->driver, u->name);
	if (path_join(u->sockpath, sizeof(u->sockpath), d->statepath, name) < 0) {
		log_warnx("UPS [%s]: socket path too long", u->name);
		u->sockpath[0] = '\0';
	}
}

static struct upsd_ups *ups_new(struct upsd *d, const struct ups_spec *sp)
{
	struct upsd_ups *u = xcalloc(1, sizeof(*u));

	u->upsd = d;
	u->name = xstrdup(sp->name);
	u->driver = xstrdup(sp->driver);
	u->port = xstrdup(sp->port);
	u->desc = sp->desc ? xstrdup(sp->desc) : NULL;
	driverlink_init(u);
	ups_set_sockpath(d, u);
	return u;
}

static void ups_free(struct upsd *d, struct upsd_ups *u)
{
	struct upsd_client *c;

	for (c = d->clients; c; c = c->next) {
		if (c->loginups == u) {
			c->loginups = NULL;
			client_kill(c);
		}
	}
	driverlink_free(u);
	free(u->name);
	free(u->driver);
	free(u->port);
	free(u->desc);
	free(u);
}

static void replace_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src ? xstrdup(src) : NULL;
}

/* update an existing entry from its new ups.conf section */
static void ups_update(struct upsd *d, struct upsd_ups *u, const struct ups_spec *sp)
{
	char old[sizeof(u->sockpath)];

	replace_str(&u->name, sp->name);
	replace_str(&u->desc, sp->desc);
	replace_str(&u->port, sp->port);
	replace_str(&u->driver, sp->driver);
	str_copy(old, u->sockpath, sizeof(old));
	ups_set_sockpath(d, u);
	if (strcmp(old, u->sockpath) != 0) {
		log_info("UPS [%s]: driver socket changed, reconnecting", u->name);
		driverlink_disconnect(u);
		u->last_attempt_ms = 0;
	}
}

static struct upsd_ups *take_ups(struct upsd_ups **list, const char *name)
{
	struct upsd_ups **pp, *u;

	for (pp = list; (u = *pp) != NULL; pp = &u->next) {
		if (!strcasecmp(u->name, name)) {
			*pp = u->next;
			u->next = NULL;
			return u;
		}
	}
	return NULL;
}

/* make d->ups match specs (ups.conf order); connect is left to the tick */
static void apply_specs(struct upsd *d, const struct ups_specs *specs)
{
	struct upsd_ups *old = d->ups, *head = NULL, **tail = &head, *u;
	size_t i;

	for (i = 0; i < specs->n; i++) {
		u = take_ups(&old, specs->v[i].name);
		if (u) {
			ups_update(d, u, &specs->v[i]);
		} else {
			u = ups_new(d, &specs->v[i]);
			if (d->generation > 0)
				log_info("Adding UPS [%s]", u->name);
		}
		*tail = u;
		tail = &u->next;
	}
	d->ups = head;
	d->nups = specs->n;
	while (old) {
		u = old;
		old = u->next;
		log_info("Deleting UPS [%s]", u->name);
		ups_free(d, u);
	}
}

/* ------------------------------------------------------------ settings */

static int env_allow_no_device(void)
{
	const char *e = getenv("ALLOW_NO_DEVICE");
	long n;

	if (!e || !*e)
		return -1;
	if (parse_bool(e) >= 0)
		return parse_bool(e);
	if (parse_long(e, 0, 1000000L, &n) == 0)
		return n != 0;
	return -1;
}

static long default_maxconn(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur > 0)
		return (long)rl.rlim_cur;
	return UPSD_MAXCONN_DEFAULT;
}

static void take_str(char **dst, char **src)
{
	free(*dst);
	*dst = *src;
	*src = NULL;
}

static void apply_settings(struct upsd *d, struct upsd_settings *s, int cmdline_debug)
{
	const char *envstate = getenv("NUT_STATEPATH");
	int allow = env_allow_no_device();
	long dbg = cmdline_debug;

	d->maxage = s->maxage > 0 ? s->maxage : UPSD_MAXAGE_DEFAULT;
	d->maxconn = s->maxconn > 0 ? s->maxconn : default_maxconn();
	d->trackingdelay = s->trackingdelay >= 0 ? s->trackingdelay : UPSD_TRACKINGDELAY_DEFAULT;
	d->allow_no_device = allow >= 0 ? allow : (s->allow_no_device > 0);
	free(d->statepath);
	if (envstate && *envstate)
		d->statepath = xstrdup(envstate);
	else if (s->statepath)
		d->statepath = xstrdup(s->statepath);
	else
		d->statepath = xstrdup(nut_statepath());
	free(d->datapath);
	d->datapath = xstrdup(s->datapath ? s->datapath : nut_datapath());
	starttls_settings(d, s);
	take_str(&d->certfile, &s->certfile);
	take_str(&d->certpath, &s->certpath);
	take_str(&d->certident, &s->certident);
	take_str(&d->certident_pass, &s->certident_pass);
	d->certrequest = s->certrequest > 0 ? s->certrequest : 0;
	d->disable_weak_ssl = s->disable_weak_ssl > 0;
	if (s->debug_min > dbg)
		dbg = s->debug_min;
	log_set_debug((int)dbg);
}

static void log_msgs(const struct conf_msgs *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		log_warnx("%s", m->v[i]);
}

/* ------------------------------------------------------------ reload */

struct loaded {
	struct upsd_settings s;
	struct ups_specs specs;
	struct upsd_user *users;
	struct conf_msgs msgs;
	int ups_ok, users_ok, upsd_ok;
};

static void load_all(struct upsd *d, struct loaded *l)
{
	char path[512];

	memset(l, 0, sizeof(*l));
	conf_settings_init(&l->s);
	conf_file(d, "upsd.conf", path, sizeof(path));
	l->upsd_ok = conf_read_upsd(path, &l->s, &l->msgs) == 0;
	conf_file(d, "ups.conf", path, sizeof(path));
	l->ups_ok = conf_read_ups(path, &l->specs, &l->msgs) == 0;
	conf_file(d, "upsd.users", path, sizeof(path));
	l->users_ok = users_load(path, &l->users, &l->msgs) == 0;
}

static void loaded_free(struct loaded *l)
{
	conf_settings_free(&l->s);
	conf_specs_free(&l->specs);
	users_free(l->users);
	conf_msgs_free(&l->msgs);
}

static void upsd_reload(struct upsd *d)
{
	struct loaded l;
	struct upsd_ups *u;

	log_info("Reloading configuration");
	load_all(d, &l);
	log_msgs(&l.msgs);
	/* half a file is worse than the old one: any error keeps what runs */
	if (!l.upsd_ok || !l.users_ok || !l.ups_ok || l.msgs.n > l.msgs.nwarn) {
		log_warnx("Reload aborted: %zu problem(s) found; keeping the previous configuration",
			l.msgs.n - l.msgs.nwarn);
		loaded_free(&l);
		return;
	}
	if (l.s.nlisten > 0)
		log_debug(1, "LISTEN changes need a restart");
	apply_settings(d, &l.s, d->debug_cmdline);
	users_free(d->users);
	d->users = l.users;
	l.users = NULL;
	d->generation++;
	apply_specs(d, &l.specs);
	for (u = d->ups; u; u = u->next)
		driverlink_connect(u);
	if (!d->ups && !d->allow_no_device)
		log_warnx("No UPS defined in ups.conf");
	loaded_free(&l);
}

/* ------------------------------------------------------------ listeners */

static int listen_one(struct upsd *d, const char *addr, const char *port, int family)
{
	char err[256];
	struct upsd_listener *l;
	/* NUT uses 16; a deeper queue spares bursts of clients SYN retries */
	int fd = sock_listen_tcp(addr, port, family, SOMAXCONN, err, sizeof(err));

	if (fd < 0) {
		log_warnx("Can't listen on %s port %s: %s", addr, port, err);
		return -1;
	}
	l = xcalloc(1, sizeof(*l));
	l->fd = fd;
	str_copy(l->addr, addr, sizeof(l->addr));
	str_copy(l->port, port, sizeof(l->port));
	l->next = d->listeners;
	d->listeners = l;
	log_info("listening on %s port %s", addr, port);
	return 0;
}

/* family of a numeric address literal, AF_UNSPEC for names and "*" */
static int numeric_family(const char *addr)
{
	if (strchr(addr, ':'))
		return AF_INET6;
	if (addr[0] && strspn(addr, "0123456789.") == strlen(addr))
		return AF_INET;
	return AF_UNSPEC;
}

/* LISTEN *: both wildcards (as NUT 2.8.1+), or the one -4 / -6 leaves; 0 if one is up */
static int listen_any(struct upsd *d, const char *port)
{
	int n = 0;

	if (d->family != AF_INET6 && listen_one(d, "0.0.0.0", port, AF_INET) == 0)
		n++;
	if (d->family != AF_INET && listen_one(d, "::", port, AF_INET6) == 0)
		n++;
	return n > 0 ? 0 : -1;
}

static int listen_conf(struct upsd *d, const struct conf_listen *cl)
{
	if (strcmp(cl->addr, "*") == 0)
		return listen_any(d, cl->port);
	return listen_one(d, cl->addr, cl->port, d->family);
}

static void open_listeners(struct upsd *d, const struct upsd_settings *s)
{
	size_t i, n = 0;
	int first_failed = 0;

	if (s->nlisten == 0) {
		if (d->family != AF_INET6 && listen_one(d, "127.0.0.1", UPSD_PORT, AF_INET) == 0)
			n++;
		else if (d->family != AF_INET6)
			first_failed = 1;
		if (d->family != AF_INET && listen_one(d, "::1", UPSD_PORT, AF_INET6) == 0)
			n++;
		else if (d->family == AF_INET6)
			first_failed = 1;
	}
	for (i = 0; i < s->nlisten; i++) {
		const struct conf_listen *cl = &s->listen[i];

		if (d->family != AF_UNSPEC && numeric_family(cl->addr) != AF_UNSPEC
				&& numeric_family(cl->addr) != d->family) {
			log_debug(1, "Skipping LISTEN %s (address family)", cl->addr);
			continue;
		}
		if (listen_conf(d, cl) == 0)
			n++;
		else if (i == 0)
			first_failed = 1;
	}
	if (n == 0 || first_failed)
		fatalx("Fatal error: unable to create the listening socket(s)");
}

static void free_listeners(struct upsd *d)
{
	while (d->listeners) {
		struct upsd_listener *l = d->listeners;

		d->listeners = l->next;
		ev_del(d->ev, l->fd);
		close(l->fd);
		free(l);
	}
}

/* ------------------------------------------------------------ event glue */

static void on_tick(struct ev_loop *loop, long id, void *arg)
{
	struct upsd *d = arg;
	struct upsd_ups *u;
	uint64_t now = ev_now_ms(loop);

	(void)id;
	for (u = d->ups; u; u = u->next)
		driverlink_tick(u, now);
	client_check_idle(d, now);
	client_accept_tick(d);
	if (ev_timer(loop, TICK_MS, on_tick, d) < 0)
		log_warnx("Can't arm the upsd timer");
}

static void on_before_sleep(struct ev_loop *loop, void *arg)
{
	(void)loop;
	client_housekeeping(arg);
}

static void on_signal(struct ev_loop *loop, int signo, void *arg)
{
	if (signo == SIGHUP) {
		upsd_reload(arg);
		return;
	}
	log_info("Signal %d: exiting", signo);
	ev_stop(loop);
}

static void setup_loop(struct upsd *d)
{
	struct upsd_listener *l;

	d->ev = ev_new();
	if (!d->ev)
		fatal("Fatal error: can't create the event loop");
	if (ev_signal(d->ev, SIGHUP, on_signal, d) < 0 || ev_signal(d->ev, SIGTERM, on_signal, d) < 0
			|| ev_signal(d->ev, SIGINT, on_signal, d) < 0)
		fatal("Fatal error: can't set up signals");
	for (l = d->listeners; l; l = l->next)
		if (ev_add(d->ev, l->fd, EV_READ, client_accept_cb, d) < 0)
			fatal("Fatal error: can't watch listener %s", l->addr);
	ev_before_sleep(d->ev, on_before_sleep, d);
	if (ev_timer(d->ev, 0, on_tick, d) < 0)
		fatal("Fatal error: can't arm the upsd timer");
}

/* held until the loop's signalfd picks them up (no early default deaths) */
static void block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

static void shutdown_all(struct upsd *d)
{
	struct upsd_ups *u;

	client_free_all(d);
	while ((u = d->ups) != NULL) {
		d->ups = u->next;
		ups_free(d, u);
	}
	free_listeners(d);
	users_free(d->users);
	d->users = NULL;
	tracking_free(d);
	desc_free(d);
	starttls_free(d);
	ev_free(d->ev);
	d->ev = NULL;
	free(d->statepath);
	free(d->datapath);
	free(d->certfile);
	free(d->certpath);
	free(d->certident);
	if (d->certident_pass)
		explicit_bzero(d->certident_pass, strlen(d->certident_pass));
	free(d->certident_pass);
}

/* ------------------------------------------------------------ modes */

static void banner(void)
{
	printf("Network UPS Tools upsd %s\n", NUT_VERSION);
	fflush(stdout);
}

static void usage(void)
{
	printf("usage: upsd [OPTIONS]\n\n"
		"  -c <command>\tsend <command> via signal to the running upsd\n"
		"\t\t - reload: reread configuration files\n"
		"\t\t - stop: stop the process and exit\n"
		"  -D\t\traise debugging level (and stay in the foreground)\n"
		"  -F\t\tstay in the foreground (-FF: and still write the PID file)\n"
		"  -B\t\tgo to the background even when debugging\n"
		"  -n\t\tcheck the configuration files and exit\n"
		"  -h\t\tdisplay this help\n"
		"  -r <dir>\tchroot to <dir>\n"
		"  -q\t\traise log level threshold\n"
		"  -u <user>\tswitch to <user> (if started as root)\n"
		"  -V\t\tdisplay the version of this software\n"
		"  -4\t\tIPv4 only\n"
		"  -6\t\tIPv6 only\n");
}

static int send_command(const char *cmd)
{
	char path[512];
	int sig;

	if (!strcmp(cmd, "reload"))
		sig = SIGHUP;
	else if (!strcmp(cmd, "stop"))
		sig = SIGTERM;
	else {
		fprintf(stderr, "Unknown command %s (use reload or stop)\n", cmd);
		return EXIT_FAILURE;
	}
	pid_file(path, sizeof(path));
	if (pidfile_signal(path, sig) < 0) {
		fprintf(stderr, "Failed to signal the running upsd (PID file %s): %s\n",
			path, strerror(errno));
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

static int check_config(struct upsd *d)
{
	struct loaded l;
	size_t i, nprob;
	int allow;

	load_all(d, &l);
	allow = env_allow_no_device();
	if (allow < 0)
		allow = l.s.allow_no_device > 0;
	if (l.ups_ok && l.specs.n == 0 && !allow) {
		char path[512];

		conf_file(d, "ups.conf", path, sizeof(path));
		conf_msg(&l.msgs, path, 0, "at least one UPS must be defined (or set ALLOW_NO_DEVICE)");
	}
	if (l.upsd_ok)
		starttls_check(d, &l.s, &l.msgs);
	for (i = 0; i < l.msgs.n; i++)
		printf("%s\n", l.msgs.v[i]);
	nprob = l.msgs.n;
	if (nprob == 0)
		printf("Configuration OK: %zu listener(s)%s, %zu UPS, %zu user(s)\n",
			l.s.nlisten ? l.s.nlisten : (size_t)2, l.s.nlisten ? "" : " (default)",
			l.specs.n, users_count(l.users));
	else
		printf("%zu problem(s) found in %s\n", nprob, d->confpath);
	loaded_free(&l);
	return nprob == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static void refuse_double_start(const char *pidpath)
{
	pid_t pid = pidfile_read(pidpath);

	if (pid > 0 && pid != getpid() && kill(pid, 0) == 0) {
		printf("Fatal error: A previous upsd instance is already running!\n"
			"Either stop the previous instance first, or use the 'reload' command.\n");
		exit(EXIT_FAILURE);
	}
}

static void parse_args(int argc, char **argv, struct upsd_opts *o)
{
	int ch;

	memset(o, 0, sizeof(*o));
	o->family = AF_UNSPEC;
	while ((ch = getopt(argc, argv, "+hc:DFBnqr:u:V46p:i:P:")) != -1) {
		switch (ch) {
		case 'c': o->cmd = optarg; break;
		case 'D': o->debug++; break;
		case 'F': o->foreground++; break;
		case 'B': o->background = 1; break;
		case 'n': o->check = 1; break;
		case 'q': o->quiet++; break;
		case 'r': o->chroot_dir = optarg; break;
		case 'u': o->user = optarg; break;
		case '4': o->family = AF_INET; break;
		case '6': o->family = AF_INET6; break;
		case 'V': banner(); exit(EXIT_SUCCESS);
		case 'h': banner(); usage(); exit(EXIT_SUCCESS);
		case 'p': case 'i':
			fatalx("Specifying a listening address with '-i <address>' and '-p <port>' "
				"is deprecated. Use 'LISTEN <address> [<port>]' in 'upsd.conf' instead.");
		default: usage(); exit(EXIT_FAILURE);
		}
	}
	if (optind < argc) {
		usage();
		exit(EXIT_FAILURE);
	}
}

/* read upsd.conf as root, open listeners, then drop privileges */
static void start_privileged(struct upsd *d, const struct upsd_opts *o, const char *pidpath)
{
	struct upsd_settings s;
	struct conf_msgs m = { NULL, 0, 0 };
	char path[512], err[256];
	const char *user = o->user ? o->user : RUN_AS_USER;
	struct stat st;
	uid_t uid;
	gid_t gid;

	conf_settings_init(&s);
	conf_file(d, "upsd.conf", path, sizeof(path));
	if (conf_read_upsd(path, &s, &m) < 0)
		fatalx("Fatal error: %s", m.v[m.n - 1]);
	log_msgs(&m);
	conf_msgs_free(&m);
	conf_file(d, "upsd.users", path, sizeof(path));
	if (stat(path, &st) < 0)
		fatal("Fatal error: can't stat %s", path);
	d->debug_cmdline = o->debug;
	apply_settings(d, &s, o->debug);
	refuse_double_start(pidpath);
	open_listeners(d, &s);
	conf_settings_free(&s);
	/* the user is looked up before the chroot, which may have no user database */
	if (geteuid() == 0 && priv_lookup(user, &uid, &gid) < 0)
		fatalx("Fatal error: user %s not found", user);
	if (o->chroot_dir && (chroot(o->chroot_dir) < 0 || chdir("/") < 0))
		fatal("Fatal error: can't chroot to %s", o->chroot_dir);
	if (geteuid() == 0 && priv_drop_ids(user, uid, gid, err, sizeof(err)) < 0)
		fatalx("Fatal error: %s", err);
}

/* ups.conf and upsd.users, read after dropping privileges */
static void start_unprivileged(struct upsd *d)
{
	struct ups_specs specs = { NULL, 0 };
	struct conf_msgs m = { NULL, 0, 0 };
	char path[512];
	int rc;

	conf_file(d, "ups.conf", path, sizeof(path));
	rc = conf_read_ups(path, &specs, &m);
	if (rc < 0 && !d->allow_no_device)
		fatalx("Fatal error: %s", m.v[m.n - 1]);
	conf_file(d, "upsd.users", path, sizeof(path));
	if (users_load(path, &d->users, &m) < 0)
		fatalx("Fatal error: %s", m.v[m.n - 1]);
	log_msgs(&m);
	conf_msgs_free(&m);
	if (specs.n == 0 && !d->allow_no_device)
		fatalx("Fatal error: at least one UPS must be defined in ups.conf");
	apply_specs(d, &specs);
	conf_specs_free(&specs);
}

int main(int argc, char **argv)
{
	struct upsd d;
	struct upsd_opts o;
	char pidpath[512];
	int foreground, write_pid;

	log_init("upsd", LOG_TO_STDERR);
	parse_args(argc, argv, &o);
	if (!o.check)
		banner();
	if (o.cmd)
		return send_command(o.cmd);
	memset(&d, 0, sizeof(d));
	d.spare_fd = -1;
	d.family = o.family;
	d.user = o.user;
	str_copy(d.confpath, nut_confpath(), sizeof(d.confpath));
	if (o.check)
		return check_config(&d);
	pid_file(pidpath, sizeof(pidpath));
	foreground = o.foreground > 0 || (o.debug > 0 && !o.background);
	write_pid = !foreground || o.foreground > 1;
	signal(SIGPIPE, SIG_IGN);
	block_signals();
	start_privileged(&d, &o, pidpath);
	start_unprivileged(&d);
	starttls_start(&d);          /* a bad TLS setting stops us here, on the terminal */
	if (!foreground) {
		starttls_stop(&d);       /* NSS does not survive fork(): the child opens it again */
		fflush(stdout);
		daemonize();
		log_set_targets(LOG_TO_SYSLOG);
		starttls_start(&d);
	}
	if (write_pid && pidfile_write(pidpath) < 0)
		log_warn("Can't write PID file %s", pidpath);
	setup_loop(&d);
	if (ev_run(d.ev) < 0)
		log_warn("event loop failed");
	shutdown_all(&d);
	if (write_pid)
		unlink(pidpath);
	return EXIT_SUCCESS;
}
