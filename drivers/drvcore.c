/*
 * drvcore: the shared part of every driver. Startup order (privilege drop,
 * PID file, device, socket, background), the driver state tree published
 * on the Unix socket with NUT's socket protocol, and the poll loop.
 * Arguments and ups.conf are drvconf.c.
 */
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "buf.h"
#include "drvcore.h"
#include "drvint.h"
#include "ev.h"
#include "log.h"
#include "pconf.h"
#include "sock.h"
#include "state.h"
#include "util.h"

#define DRV_CLIENT_OUTMAX (1024 * 1024)   /* a client further behind is dropped */

struct drv_client {
	int fd;
	int closing;
	int skip;                   /* dropping the rest of a bad line */
	struct pconf pc;
	struct buf out;
	struct drv_ctx *ctx;
	struct drv_client *next;
};

/* ------------------------------------------------------------ accessors */

void *drv_priv(struct drv_ctx *ctx) { return ctx->priv; }
const char *drv_upsname(struct drv_ctx *ctx) { return ctx->upsname; }
struct ev_loop *drv_loop(struct drv_ctx *ctx) { return ctx->loop; }
int drv_debug(struct drv_ctx *ctx) { return ctx->debug; }
const struct st_tree *dstate_tree(struct drv_ctx *ctx) { return &ctx->tree; }
int dstate_is_stale(struct drv_ctx *ctx) { return ctx->stale; }

/* ------------------------------------------------------------ clients */

static void client_flush(struct drv_client *c);

static void client_close(struct drv_client *c)
{
	struct drv_ctx *ctx = c->ctx;
	struct drv_client **pp;

	for (pp = &ctx->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	ev_del(ctx->loop, c->fd);
	close(c->fd);
	pconf_free(&c->pc);
	buf_free(&c->out);
	free(c);
}

/* queue bytes for one client; a client that cannot keep up is marked for closing */
static void client_send(struct drv_client *c, const char *data, size_t len)
{
	if (c->closing)
		return;
	if (buf_append(&c->out, data, len) < 0) {
		log_warnx("%s: socket client too slow, dropping it", c->ctx->upsname);
		c->closing = 1;
		return;
	}
	client_flush(c);
}

static void client_flush(struct drv_client *c)
{
	ssize_t n;

	while (c->out.len > 0 && !c->closing) {
		n = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			buf_consume(&c->out, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ev_mod(c->ctx->loop, c->fd, EV_READ | EV_WRITE);
			return;
		}
		log_debug(2, "%s: socket client write failed: %s", c->ctx->upsname,
			n < 0 ? strerror(errno) : "closed");
		c->closing = 1;
		return;
	}
	if (!c->closing)
		ev_mod(c->ctx->loop, c->fd, EV_READ);
}

static void broadcast(struct drv_ctx *ctx, struct buf *line)
{
	struct drv_client *c;

	if (line->overflow)
		return;
	log_debug(5, "%s: send: %.*s", ctx->upsname, (int)(line->len ? line->len - 1 : 0), line->data);
	for (c = ctx->clients; c; c = c->next)
		client_send(c, line->data, line->len);
}

static void broadcast_fmt(struct drv_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void broadcast_fmt(struct drv_ctx *ctx, const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	if (!ctx->clients)
		return;
	buf_init(&b, 1024);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	broadcast(ctx, &b);
	buf_free(&b);
}

/* "<KEYWORD> var "value"\n" with the value escaped */
static void broadcast_kv(struct drv_ctx *ctx, const char *kw, const char *var, const char *value)
{
	struct buf b;

	if (!ctx->clients)
		return;
	buf_init(&b, 1024);
	buf_printf(&b, "%s %s ", kw, var);
	buf_quoted(&b, value);
	buf_puts(&b, "\n");
	broadcast(ctx, &b);
	buf_free(&b);
}

/* ------------------------------------------------------------ dstate */

int dstate_setinfo(struct drv_ctx *ctx, const char *var, const char *fmt, ...)
{
	char value[ST_MAX_VALUE_LEN + 1];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	rc = st_set(&ctx->tree, var, value);
	if (rc == 1)
		broadcast_kv(ctx, "SETINFO", var, value);
	return rc;
}

int dstate_delinfo(struct drv_ctx *ctx, const char *var)
{
	struct st_var *v = st_get(&ctx->tree, var);

	if (!v || (v->flags & ST_FLAG_IMMUTABLE))
		return 0;
	if (st_del(&ctx->tree, var) == 1) {
		broadcast_fmt(ctx, "DELINFO %s\n", var);
		return 1;
	}
	return 0;
}

const char *dstate_getinfo(struct drv_ctx *ctx, const char *var)
{
	return st_value(&ctx->tree, var);
}

static void flags_words(int flags, struct buf *b)
{
	if (flags & ST_FLAG_RW)
		buf_puts(b, " RW");
	if (flags & ST_FLAG_STRING)
		buf_puts(b, " STRING");
	if (flags & ST_FLAG_NUMBER)
		buf_puts(b, " NUMBER");
}

int dstate_setflags(struct drv_ctx *ctx, const char *var, int flags)
{
	struct st_var *v = st_get(&ctx->tree, var);
	struct buf b;

	if (!v)
		return 0;
	if (v->flags & ST_FLAG_IMMUTABLE) {
		log_debug(2, "%s: base variable (%s) is immutable", __func__, var);
		return 0;
	}
	if (st_set_flags(&ctx->tree, var, flags) != 1)
		return 0;
	if (ctx->clients) {
		buf_init(&b, 1024);
		buf_printf(&b, "SETFLAGS %s", var);
		flags_words(flags, &b);
		buf_puts(&b, "\n");
		broadcast(ctx, &b);
		buf_free(&b);
	}
	return 1;
}

int dstate_setaux(struct drv_ctx *ctx, const char *var, long aux)
{
	if (!st_get(&ctx->tree, var) || st_set_aux(&ctx->tree, var, aux) != 1)
		return 0;
	broadcast_fmt(ctx, "SETAUX %s %ld\n", var, aux);
	return 1;
}

int dstate_addenum(struct drv_ctx *ctx, const char *var, const char *value)
{
	if (st_add_enum(&ctx->tree, var, value) != 1)
		return 0;
	broadcast_kv(ctx, "ADDENUM", var, value);
	return 1;
}

int dstate_delenum(struct drv_ctx *ctx, const char *var, const char *value)
{
	if (st_del_enum(&ctx->tree, var, value) != 1)
		return 0;
	broadcast_kv(ctx, "DELENUM", var, value);
	return 1;
}

int dstate_addrange(struct drv_ctx *ctx, const char *var, long min, long max)
{
	if (st_add_range(&ctx->tree, var, min, max) != 1)
		return 0;
	broadcast_fmt(ctx, "ADDRANGE %s %ld %ld\n", var, min, max);
	return 1;
}

int dstate_addcmd(struct drv_ctx *ctx, const char *cmd)
{
	if (st_add_cmd(&ctx->tree, cmd) != 1)
		return 0;
	broadcast_fmt(ctx, "ADDCMD %s\n", cmd);
	return 1;
}

int dstate_delcmd(struct drv_ctx *ctx, const char *cmd)
{
	if (st_del_cmd(&ctx->tree, cmd) != 1)
		return 0;
	broadcast_fmt(ctx, "DELCMD %s\n", cmd);
	return 1;
}

void dstate_dataok(struct drv_ctx *ctx)
{
	if (!ctx->stale)
		return;
	ctx->stale = 0;
	broadcast_fmt(ctx, "DATAOK\n");
}

void dstate_datastale(struct drv_ctx *ctx)
{
	if (ctx->stale)
		return;
	ctx->stale = 1;
	broadcast_fmt(ctx, "DATASTALE\n");
}

/* ------------------------------------------------------------ ups.status */

void status_init(struct drv_ctx *ctx)
{
	ctx->status[0] = '\0';
}

static void status_append(struct drv_ctx *ctx, const char *token)
{
	size_t len = strlen(ctx->status);

	snprintf(ctx->status + len, sizeof(ctx->status) - len, "%s%s", len ? " " : "", token);
}

void status_set(struct drv_ctx *ctx, const char *token)
{
	/* with ignorelb the core decides LB itself (status_commit) */
	if (drv_testvar(ctx, "ignorelb") && strcasecmp(token, "LB") == 0)
		return;
	status_append(ctx, token);
}

static int below_low(struct drv_ctx *ctx, const char *var, const char *low)
{
	const char *v = dstate_getinfo(ctx, var), *l = dstate_getinfo(ctx, low);

	if (!v || !l)
		return 0;
	return strtol(v, NULL, 10) < strtol(l, NULL, 10);
}

void status_commit(struct drv_ctx *ctx)
{
	if (drv_testvar(ctx, "ignorelb") &&
	    (below_low(ctx, "battery.charge", "battery.charge.low") ||
	     below_low(ctx, "battery.runtime", "battery.runtime.low")))
		status_append(ctx, "LB");
	if (ctx->alarm_active)
		dstate_setinfo(ctx, "ups.status", "ALARM %s", ctx->status);
	else
		dstate_setinfo(ctx, "ups.status", "%s", ctx->status);
}

void alarm_init(struct drv_ctx *ctx)
{
	ctx->alarm[0] = '\0';
	ctx->alarm_active = 0;
}

void alarm_set(struct drv_ctx *ctx, const char *text)
{
	size_t len = strlen(ctx->alarm);

	snprintf(ctx->alarm + len, sizeof(ctx->alarm) - len, "%s%s", len ? " " : "", text);
}

void alarm_commit(struct drv_ctx *ctx)
{
	ctx->alarm_active = ctx->alarm[0] != '\0';
	if (ctx->alarm_active)
		dstate_setinfo(ctx, "ups.alarm", "%s", ctx->alarm);
	else
		dstate_delinfo(ctx, "ups.alarm");
}

/* ------------------------------------------------------------ socket commands */

static void client_reply(struct drv_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void client_reply(struct drv_client *c, const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	buf_init(&b, 1024);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (!b.overflow)
		client_send(c, b.data, b.len);
	buf_free(&b);
}

static void cmd_dumpall(struct drv_client *c)
{
	struct drv_ctx *ctx = c->ctx;
	struct buf b;

	buf_init(&b, DRV_CLIENT_OUTMAX);
	if (ctx->stale)
		buf_puts(&b, "DATASTALE\n");
	st_dump(&ctx->tree, &b);
	if (!ctx->stale)
		buf_puts(&b, "DATAOK\n");
	buf_puts(&b, "DUMPDONE\n");
	if (b.overflow) {
		log_warnx("%s: state dump too large", ctx->upsname);
		c->closing = 1;
	} else {
		client_send(c, b.data, b.len);
	}
	buf_free(&b);
}

static int run_instcmd(struct drv_ctx *ctx, const char *cmd, const char *param)
{
	if (!ctx->ops->instcmd) {
		log_notice("Got INSTCMD, but driver lacks a handler");
		return DRV_CMD_UNKNOWN;
	}
	log_debug(1, "%s: instcmd %s%s%s", ctx->upsname, cmd, param ? " " : "", param ? param : "");
	return ctx->ops->instcmd(ctx, cmd, param);
}

/* INSTCMD cmd [param] [TRACKING id]; 0 if malformed (NUT then also logs it as unknown) */
static int cmd_instcmd(struct drv_client *c, int argc, char **argv)
{
	const char *param = NULL, *id = NULL;
	int rc;

	if (argc == 3) {
		param = argv[2];
	} else if (argc == 4 && strcasecmp(argv[2], "TRACKING") == 0) {
		id = argv[3];
	} else if (argc == 5 && strcasecmp(argv[3], "TRACKING") == 0) {
		param = argv[2];
		id = argv[4];
	} else if (argc != 2) {
		log_notice("Malformed INSTCMD request");
		return 0;
	}
	rc = run_instcmd(c->ctx, argv[1], param);
	if (id)
		client_reply(c, "TRACKING %s %d\n", id, rc);
	return 1;
}

/* SET var "value" [TRACKING id] */
static void cmd_set(struct drv_client *c, int argc, char **argv)
{
	struct drv_ctx *ctx = c->ctx;
	const char *id = NULL;
	int rc;

	if (argc == 5 && strcasecmp(argv[3], "TRACKING") == 0) {
		id = argv[4];
	} else if (argc != 3) {
		log_notice("Malformed SET request");
		return;
	}
	if (!ctx->ops->setvar) {
		log_notice("Got SET, but driver lacks a handler");
		rc = DRV_CMD_UNKNOWN;
	} else {
		log_debug(1, "%s: set %s to [%s]", ctx->upsname, argv[1], argv[2]);
		rc = ctx->ops->setvar(ctx, argv[1], argv[2]);
	}
	if (id)
		client_reply(c, "TRACKING %s %d\n", id, rc);
}

static void client_line(struct drv_client *c, int argc, char **argv)
{
	char joined[512];
	size_t off = 0;
	int i;

	if (argc < 1)
		return;
	if (strcasecmp(argv[0], "DUMPALL") == 0) {
		cmd_dumpall(c);
	} else if (strcasecmp(argv[0], "PING") == 0) {
		client_reply(c, "PONG\n");
	} else if (strcasecmp(argv[0], "INSTCMD") == 0 && argc >= 2 && cmd_instcmd(c, argc, argv)) {
		return;
	} else if (strcasecmp(argv[0], "SET") == 0 && argc >= 3) {
		cmd_set(c, argc, argv);
	} else {
		joined[0] = '\0';
		for (i = 0; i < argc && off < sizeof(joined); i++)
			off += (size_t)snprintf(joined + off, sizeof(joined) - off, " %s", argv[i]);
		log_notice("Unknown command on socket:%s", joined);
	}
}

/* after a parse error the rest of that line is dropped, as NUT does */
static size_t skip_to_eol(struct drv_client *c, const char *data, size_t len)
{
	const char *lf = memchr(data, '\n', len);

	if (!lf)
		return len;
	c->skip = 0;
	return (size_t)(lf - data) + 1;
}

static void client_read(struct drv_client *c)
{
	char data[512];
	size_t used, off;
	ssize_t n;
	enum pconf_result r;

	n = recv(c->fd, data, sizeof(data), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		c->closing = 1;
		return;
	}
	for (off = 0; off < (size_t)n && !c->closing; off += used) {
		if (c->skip) {
			used = skip_to_eol(c, data + off, (size_t)n - off);
			continue;
		}
		r = pconf_feed(&c->pc, data + off, (size_t)n - off, &used);
		if (r == PCONF_LINE) {
			client_line(c, c->pc.argc, c->pc.argv);
		} else if (r == PCONF_ERROR) {
			log_notice("Parse error on sock: %s", c->pc.errmsg);
			c->skip = used == 0 || data[off + used - 1] != '\n';
		}
		if (used == 0 && r == PCONF_MORE)
			break;
	}
}

static void client_cb(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct drv_client *c = arg;

	(void)loop;
	(void)fd;
	if (events & EV_READ)
		client_read(c);
	if (!c->closing && (events & EV_WRITE))
		client_flush(c);
	if (!c->closing && (events & EV_ERROR) && !(events & EV_READ))
		c->closing = 1;
	if (c->closing)
		client_close(c);
}

static void accept_cb(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct drv_ctx *ctx = arg;
	struct drv_client *c;
	int cfd;

	(void)events;
	while ((cfd = sock_accept(fd)) >= 0) {
		c = xcalloc(1, sizeof(*c));
		c->fd = cfd;
		c->ctx = ctx;
		pconf_init(&c->pc);
		buf_init(&c->out, DRV_CLIENT_OUTMAX);
		if (ev_add(loop, cfd, EV_READ, client_cb, c) < 0) {
			log_warnx("%s: cannot watch socket client", ctx->upsname);
			close(cfd);
			pconf_free(&c->pc);
			buf_free(&c->out);
			free(c);
			continue;
		}
		c->next = ctx->clients;
		ctx->clients = c;
		log_debug(2, "%s: new socket client (fd %d)", ctx->upsname, cfd);
	}
}

/* drop clients whose writes failed during a broadcast (safe point) */
static void reap_clients(struct ev_loop *loop, void *arg)
{
	struct drv_ctx *ctx = arg;
	struct drv_client *c, *next;

	(void)loop;
	for (c = ctx->clients; c; c = next) {
		next = c->next;
		if (c->closing)
			client_close(c);
	}
}

/* a user or group other than the built-in ones: give that group the socket, as NUT */
static void socket_group(struct drv_ctx *ctx)
{
	struct group *gr;

	if (strcmp(ctx->group, RUN_AS_GROUP) == 0 && strcmp(ctx->user, RUN_AS_USER) == 0)
		return;
	gr = getgrnam(ctx->group);
	if (!gr) {
		log_warnx("group %s not found: upsd may not be able to use socket %s",
			ctx->group, ctx->sockpath);
		return;
	}
	if (chown(ctx->sockpath, (uid_t)-1, gr->gr_gid) < 0)
		log_warn("can't give group %s socket %s: upsd may not be able to use it",
			ctx->group, ctx->sockpath);
	else
		log_debug(1, "socket %s: group %s", ctx->sockpath, ctx->group);
}

static int socket_open(struct drv_ctx *ctx)
{
	char err[256], name[256];
	mode_t old;

	snprintf(name, sizeof(name), "%s-%s", ctx->progname, ctx->upsname);
	if (path_join(ctx->sockpath, sizeof(ctx->sockpath), nut_statepath(), name) < 0)
		fatalx("socket path too long");
	old = umask(0007);
	ctx->listen_fd = sock_listen_unix(ctx->sockpath, 0660, 16, err, sizeof(err));
	umask(old);
	if (ctx->listen_fd < 0)
		fatalx("Can't create socket %s: %s", ctx->sockpath, err);
	socket_group(ctx);
	if (ev_add(ctx->loop, ctx->listen_fd, EV_READ, accept_cb, ctx) < 0)
		fatalx("Can't watch socket %s", ctx->sockpath);
	log_debug(2, "listening on %s", ctx->sockpath);
	return 0;
}

/* ------------------------------------------------------------ startup */

static void banner(const struct drv_ops *ops)
{
	printf("Network UPS Tools - %s %s (%s)\n", ops->desc ? ops->desc : ops->name,
		ops->version, NUT_VERSION);
	fflush(stdout);
}

static void pidfile_take(struct drv_ctx *ctx)
{
	char name[256];
	struct stat st;
	int i;

	snprintf(name, sizeof(name), "%s-%s.pid", ctx->progname, ctx->upsname);
	if (path_join(ctx->pidpath, sizeof(ctx->pidpath), nut_altpidpath(), name) < 0)
		fatalx("pid file path too long");
	for (i = 0; i < 3; i++) {
		if (stat(ctx->pidpath, &st) != 0 || pidfile_signal(ctx->pidpath, SIGTERM) != 0)
			break;
		log_warnx("Duplicate driver instance detected (PID file %s exists)! "
			"Terminating other driver!", ctx->pidpath);
		sleep(5);
	}
	if (pidfile_write(ctx->pidpath) < 0)
		log_warn("Can't write pid file %s", ctx->pidpath);
}

static void check_ignorelb(struct drv_ctx *ctx)
{
	int methods = 0;

	if (!drv_testvar(ctx, "ignorelb"))
		return;
	if (dstate_getinfo(ctx, "battery.charge") && dstate_getinfo(ctx, "battery.charge.low")) {
		log_info("using 'battery.charge' to set battery low state");
		methods++;
	}
	if (dstate_getinfo(ctx, "battery.runtime") && dstate_getinfo(ctx, "battery.runtime.low")) {
		log_info("using 'battery.runtime' to set battery low state");
		methods++;
	}
	if (!methods)
		fatalx("The 'ignorelb' flag is set, but there is no way to determine the\n"
			"battery state of charge.\n\n"
			"Only set this flag if both 'battery.charge' and 'battery.charge.low'\n"
			"and/or 'battery.runtime' and 'battery.runtime.low' are available.");
}

static void copy_device_info(struct drv_ctx *ctx)
{
	static const char *const map[][2] = {
		{ "ups.mfr", "device.mfr" }, { "ups.model", "device.model" },
		{ "ups.serial", "device.serial" },
	};
	const char *v;
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if ((v = dstate_getinfo(ctx, map[i][0])) != NULL)
			dstate_setinfo(ctx, map[i][1], "%s", v);
}

/* ------------------------------------------------------------ main loop */

static void dump_tree(struct drv_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->tree.nvars; i++)
		printf("%s: %s\n", ctx->tree.vars[i]->name, ctx->tree.vars[i]->value);
	fflush(stdout);
}

static void poll_cb(struct ev_loop *loop, long id, void *arg)
{
	struct drv_ctx *ctx = arg;

	(void)id;
	ctx->poll_timer = 0;
	ctx->ops->updateinfo(ctx);
	if (ctx->dump_count) {
		if (ctx->update_count == ctx->dump_count) {
			dump_tree(ctx);
			ev_stop(loop);
			return;
		}
		ctx->update_count++;
	}
	ctx->poll_timer = ev_timer(loop, ctx->poll_ms, poll_cb, ctx);
}

void drv_poll_now(struct drv_ctx *ctx)
{
	if (ctx->poll_timer > 0)
		ev_timer_cancel(ctx->loop, ctx->poll_timer);
	ctx->poll_timer = ev_timer(ctx->loop, 0, poll_cb, ctx);
}

static void signal_cb(struct ev_loop *loop, int signo, void *arg)
{
	struct drv_ctx *ctx = arg;

	if (signo == SIGHUP) {
		log_info("%s: SIGHUP received (reload not supported, ignored)", ctx->upsname);
		return;
	}
	log_info("Signal %d: exiting", signo);
	ev_stop(loop);
}

static void setup_loop(struct drv_ctx *ctx)
{
	ctx->loop = ev_new();
	if (!ctx->loop)
		fatal("Can't create event loop");
	signal(SIGPIPE, SIG_IGN);
	ev_before_sleep(ctx->loop, reap_clients, ctx);
}

/*
 * After daemonize: a signalfd wakes epoll only for the process that
 * registered it, so the signals are watched by the final process.
 */
static void setup_signals(struct drv_ctx *ctx)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGQUIT, SIGHUP };
	size_t i;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (ev_signal(ctx->loop, sigs[i], signal_cb, ctx) < 0)
			log_warnx("can't watch signal %d", sigs[i]);
}

static void cleanup(struct drv_ctx *ctx)
{
	while (ctx->clients)
		client_close(ctx->clients);
	if (ctx->listen_fd >= 0) {
		close(ctx->listen_fd);
		unlink(ctx->sockpath);
	}
	if (ctx->pidpath[0])
		unlink(ctx->pidpath);
	if (ctx->ops->cleanup)
		ctx->ops->cleanup(ctx);
	drvconf_free(ctx);
	free(ctx->user);
	free(ctx->group);
	free(ctx->chroot_dir);
	free(ctx->port);
	st_clear(&ctx->tree);
	ev_free(ctx->loop);
}

/* chroot, drop privileges, chdir to the state dir, PID file; before the device is opened */
static void prepare_process(struct drv_ctx *ctx)
{
	char err[256];
	uid_t uid;
	gid_t gid;

	/* -q: only what is at least this important reaches syslog (as NUT's threshold) */
	if (ctx->quiet > LOG_DEBUG)
		fatalx("Invalid log level threshold");
	if (ctx->quiet > 0)
		setlogmask(LOG_UPTO(LOG_DEBUG - ctx->quiet));
	if (geteuid() == 0 && priv_lookup(ctx->user, &uid, &gid) < 0)
		fatalx("user %s not found", ctx->user);
	if (ctx->chroot_dir) {
		if (chdir(ctx->chroot_dir) < 0 || chroot(ctx->chroot_dir) < 0 || chdir("/") < 0)
			fatal("Can't chroot to %s", ctx->chroot_dir);
		log_debug(1, "chrooted into %s", ctx->chroot_dir);
	}
	if (geteuid() == 0 && priv_drop_ids(ctx->user, uid, gid, err, sizeof(err)) < 0)
		fatalx("%s", err);
	if (!ctx->forceshutdown && !ctx->dump_count && chdir(nut_statepath()) < 0)
		fatal("Can't chdir to %s", nut_statepath());
	if (ctx->background != 0 && !ctx->forceshutdown && !ctx->dump_count)
		pidfile_take(ctx);
}

static int do_shutdown(struct drv_ctx *ctx)
{
	int rc = ctx->ops->shutdown ? ctx->ops->shutdown(ctx) : -1;

	if (rc < 0)
		log_warnx("%s: shutdown failed or not supported", ctx->upsname);
	cleanup(ctx);
	return rc < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

static void publish_startup(struct drv_ctx *ctx)
{
	dstate_setinfo(ctx, "driver.version", "%s", NUT_VERSION);
	dstate_setinfo(ctx, "driver.version.internal", "%s", ctx->ops->version);
	dstate_setinfo(ctx, "driver.name", "%s", ctx->progname);
	if (ctx->ops->initinfo && ctx->ops->initinfo(ctx) < 0)
		fatalx("%s: can't initialise the device data", ctx->upsname);
	ctx->ops->updateinfo(ctx);
	check_ignorelb(ctx);
	if (!ctx->dump_count)
		socket_open(ctx);
	dstate_setinfo(ctx, "driver.parameter.pollinterval", "%u", ctx->poll_ms / 1000u);
	dstate_setinfo(ctx, "driver.parameter.synchronous", "%s",
		ctx->synchronous == 1 ? "yes" : ctx->synchronous == 0 ? "no" : "auto");
	copy_device_info(ctx);
}

int drv_main(int argc, char **argv, const struct drv_ops *ops, void *priv)
{
	struct drv_ctx ctx;
	int rc;

	memset(&ctx, 0, sizeof(ctx));
	ctx.ops = ops;
	ctx.priv = priv;
	ctx.progname = ops->name;
	ctx.poll_ms = 2000;
	ctx.synchronous = -1;
	ctx.background = -1;
	ctx.listen_fd = -1;
	ctx.stale = 1;   /* until the driver's first dstate_dataok, as NUT */
	ctx.user = xstrdup(RUN_AS_USER);
	ctx.group = xstrdup(RUN_AS_GROUP);
	st_init(&ctx.tree);
	log_init(ops->name, LOG_TO_STDERR);
	banner(ops);
	setup_loop(&ctx);
	if (ops->makevartable)
		ops->makevartable(&ctx);
	drvconf_parse_args(&ctx, argc, argv);
	if ((ctx.debug > 0 || ctx.dump_count) && ctx.background < 0)
		ctx.background = 0;
	log_set_debug(ctx.debug);
	prepare_process(&ctx);
	dstate_setinfo(&ctx, "device.type", "ups");
	if (ops->initups && ops->initups(&ctx) < 0)
		fatalx("%s: can't open the device", ctx.upsname);
	if (ctx.forceshutdown)
		return do_shutdown(&ctx);
	publish_startup(&ctx);
	if (ctx.background != 0) {
		log_set_targets(LOG_TO_SYSLOG);
		daemonize();
		if (pidfile_write(ctx.pidpath) < 0)
			log_warn("Can't write pid file %s", ctx.pidpath);
	}
	setup_signals(&ctx);
	ctx.poll_timer = ev_timer(ctx.loop, 0, poll_cb, &ctx);
	rc = ev_run(ctx.loop) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
	cleanup(&ctx);
	return rc;
}
