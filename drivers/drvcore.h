/*
 * drvcore: what every driver shares (dummy-ups now, usbhid-ups next):
 * argument parsing (-a -s -x -k -D -d -F -B -u -i -q -V -h), the ups.conf
 * section, the driver state (a common/state tree) served on the Unix socket
 * STATEPATH/<driver>-<ups> with NUT's socket protocol, ups.status
 * composition, override./default. handling, PID file, privilege drop,
 * and the epoll main loop calling the driver's poll every pollinterval.
 *
 * A driver supplies a struct drv_ops and calls drv_main from main().
 */
#ifndef DRVCORE_H
#define DRVCORE_H

#include <stdarg.h>
#include "ev.h"
#include "state.h"

/* results of instcmd/setvar handlers; also the TRACKING result codes */
#define DRV_CMD_HANDLED   0
#define DRV_CMD_UNKNOWN   1
#define DRV_CMD_INVALID   2
#define DRV_CMD_FAILED    3

#define DRV_VAR_VALUE 1   /* ups.conf key = value */
#define DRV_VAR_FLAG  2   /* bare ups.conf word */

struct drv_ctx;

struct drv_ops {
	const char *name;             /* program name, e.g. "dummy-ups" */
	const char *version;          /* driver.version.internal */
	/* register the ups.conf keys this driver accepts (drv_addvar) */
	void (*makevartable)(struct drv_ctx *ctx);
	/* open the device / file; 0 or -1 (logged by the driver) */
	int (*initups)(struct drv_ctx *ctx);
	/* first read: publish variables and commands; 0 or -1 */
	int (*initinfo)(struct drv_ctx *ctx);
	/* called every pollinterval */
	void (*updateinfo)(struct drv_ctx *ctx);
	/* may be NULL; return DRV_CMD_* */
	int (*instcmd)(struct drv_ctx *ctx, const char *cmd, const char *param);
	int (*setvar)(struct drv_ctx *ctx, const char *var, const char *value);
	/* -k: power the load off (after the host shut down); 0 or -1 */
	int (*shutdown)(struct drv_ctx *ctx);
	void (*cleanup)(struct drv_ctx *ctx);
	const char *desc;             /* banner text, e.g. "Device simulation and repeater driver" */
};

int drv_main(int argc, char **argv, const struct drv_ops *ops, void *priv);

void *drv_priv(struct drv_ctx *ctx);
const char *drv_upsname(struct drv_ctx *ctx);
struct ev_loop *drv_loop(struct drv_ctx *ctx);
int drv_debug(struct drv_ctx *ctx);

/* ups.conf / -x variables */
void drv_addvar(struct drv_ctx *ctx, int type, const char *name, const char *desc);
const char *drv_getval(struct drv_ctx *ctx, const char *name);   /* NULL if unset */
int drv_testvar(struct drv_ctx *ctx, const char *name);          /* set or flag given */
const char *drv_port(struct drv_ctx *ctx);   /* ups.conf port / -x port (owned by the core) */

/* poll period in milliseconds (default from ups.conf pollinterval, 2 s) */
void drv_set_pollinterval(struct drv_ctx *ctx, unsigned ms);
/* request an immediate extra updateinfo on the next loop turn */
void drv_poll_now(struct drv_ctx *ctx);

/* driver state; every change is broadcast to connected clients */
int dstate_setinfo(struct drv_ctx *ctx, const char *var, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int dstate_delinfo(struct drv_ctx *ctx, const char *var);
const char *dstate_getinfo(struct drv_ctx *ctx, const char *var);
int dstate_setflags(struct drv_ctx *ctx, const char *var, int flags);
int dstate_setaux(struct drv_ctx *ctx, const char *var, long aux);
int dstate_addenum(struct drv_ctx *ctx, const char *var, const char *value);
int dstate_delenum(struct drv_ctx *ctx, const char *var, const char *value);
int dstate_addrange(struct drv_ctx *ctx, const char *var, long min, long max);
int dstate_addcmd(struct drv_ctx *ctx, const char *cmd);
int dstate_delcmd(struct drv_ctx *ctx, const char *cmd);
void dstate_dataok(struct drv_ctx *ctx);
void dstate_datastale(struct drv_ctx *ctx);
int dstate_is_stale(struct drv_ctx *ctx);
const struct st_tree *dstate_tree(struct drv_ctx *ctx);

/* ups.status composition: init, set tokens (OL OB LB ...), commit publishes */
void status_init(struct drv_ctx *ctx);
void status_set(struct drv_ctx *ctx, const char *token);
void status_commit(struct drv_ctx *ctx);

/*
 * ups.alarm composition: init, set texts, commit publishes ups.alarm (or
 * deletes it when empty). While an alarm is committed, status_commit puts
 * ALARM first in ups.status.
 */
void alarm_init(struct drv_ctx *ctx);
void alarm_set(struct drv_ctx *ctx, const char *text);
void alarm_commit(struct drv_ctx *ctx);

#endif
