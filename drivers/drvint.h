/*
 * drvint: what drvcore.c (state, socket, loop) and drvconf.c (arguments,
 * ups.conf, driver variables) share. Not for drivers: they use drvcore.h.
 */
#ifndef DRVINT_H
#define DRVINT_H

#include "drvcore.h"
#include "ev.h"
#include "state.h"

#define DRV_STATUS_MAX 256
#define DRV_PATH_MAX 512

struct drv_var {
	int type;
	char *name;
	char *desc;
	char *value;
	int found;
};

struct drv_client;   /* a socket client (drvcore.c) */

struct drv_ctx {
	const struct drv_ops *ops;
	void *priv;
	const char *progname;
	char *upsname;
	struct ev_loop *loop;
	struct st_tree tree;
	struct drv_var *vars;
	size_t nvars;
	unsigned poll_ms;
	long poll_timer;
	int debug;
	int stale;
	int synchronous;            /* 1 yes, 0 no, -1 auto */
	int background;             /* -1 default, 0 -F, 1 -B */
	int dump_count, update_count;
	int forceshutdown;
	int user_from_cmdline;
	char *user;
	char *group;                /* -g / ups.conf group: group given access to the socket */
	int group_from_cmdline;
	char *chroot_dir;           /* -r / ups.conf global chroot */
	int chroot_from_cmdline;
	int quiet;                  /* -q count: syslog threshold, as NUT */
	char *port;
	int listen_fd;
	char sockpath[DRV_PATH_MAX];
	char pidpath[DRV_PATH_MAX];
	struct drv_client *clients;
	char status[DRV_STATUS_MAX];
	char alarm[DRV_STATUS_MAX];
	int alarm_active;
};

/* arguments and the ups.conf section; exits on errors as NUT does */
void drvconf_parse_args(struct drv_ctx *ctx, int argc, char **argv);
/* free the driver variable table */
void drvconf_free(struct drv_ctx *ctx);

#endif
