/*
 * mon: the monitoring process (the unprivileged child, or the single
 * process with -p). One context struct, one event loop: a poll timer
 * (POLLFREQ, POLLFREQALERT while a UPS is on battery), signals through the
 * loop (TERM/INT/QUIT stop, HUP reload, USR1 forced shutdown, CHLD reap),
 * and a watch on the pipe to the root parent (NOPARENT when it dies).
 */
#ifndef MON_H
#define MON_H

#include <stddef.h>
#include <stdint.h>
#include "conf.h"
#include "ups.h"

struct ev_loop;

/* shutdown progress: waiting for secondaries, FINALDELAY, request sent (lingering) */
enum mon_sd_state { SD_IDLE, SD_SYNC, SD_FINAL, SD_DONE };

struct upsmon {
	struct mon_conf conf;       /* current configuration (owned) */
	struct ups **ups;           /* MONITOR entries, file order (owned) */
	size_t nups;
	struct ev_loop *loop;
	int pipefd;                 /* write end to the root parent; -1 with -p */
	int cli_debug;              /* -D count; DEBUG_MIN may raise it */
	long poll_timer;
	long noparent_timer;
	enum mon_sd_state sd_state; /* shutdown progress (shutdown.c) */
	int64_t sd_start;
	long sd_timer;
	int sd_hostsync_told;       /* SHUTDOWN_HOSTSYNC notified */
};

/* Take ownership of conf (zeroed in the caller) and build the UPS list. */
int mon_init(struct upsmon *m, struct mon_conf *conf, int pipefd, int cli_debug);
/* Run the loop until stopped. Returns the exit code. */
int mon_run(struct upsmon *m);
void mon_free(struct upsmon *m);

/* monotonic milliseconds, fresh */
int64_t mon_now(void);
struct ups_timing mon_timing(const struct upsmon *m);
void mon_notify(struct upsmon *m, int type, const struct ups *u);
void mon_stop_polling(struct upsmon *m);

#endif
