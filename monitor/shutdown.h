/*
 * shutdown: the power decision and the shutdown choreography of NUT 2.8.0.
 *
 * Child side (event driven): recalc sums the power values of the UPSes that
 * are not critical and starts the shutdown when the sum drops below
 * MINSUPPLIES; a primary sets FSD on its UPSes and waits (up to HOSTSYNC)
 * for the secondaries to log out; then SHUTDOWN is notified, FINALDELAY
 * passes, and the one-byte request goes to the root parent.
 * Parent side: wait for that byte (the only request it accepts), write
 * POWERDOWNFLAG, run SHUTDOWNCMD.
 */
#ifndef SHUTDOWN_H
#define SHUTDOWN_H

#include <sys/types.h>

struct upsmon;
struct mon_conf;

#define SHUTDOWN_MAGIC "upsmon-shutdown-file"
#define SHUTDOWN_REQUEST 1     /* the byte the child sends */

void shutdown_recalc(struct upsmon *m);
/* forced shutdown (critical rule or upsmon -c fsd); ignored once started */
void shutdown_force(struct upsmon *m);

/* POWERDOWNFLAG: 1 present with the magic, 0 absent/unset, -1 foreign content */
int shutdown_pdflag_status(const char *path);
int shutdown_pdflag_write(const char *path);
/* startup: remove our stale flag; disable the flag (NULL) if it is foreign */
void shutdown_pdflag_clear(struct mon_conf *c);
/* upsmon -K: exit code, 0 when the flag is set */
int shutdown_pdflag_check(const struct mon_conf *c);

/* write the flag and run SHUTDOWNCMD here (the parent, or -p mode) */
void shutdown_execute(const struct mon_conf *c);

/*
 * The root parent: block on fd until the child sends SHUTDOWN_REQUEST,
 * then shutdown_execute. TERM/INT/QUIT are passed on to the child. When
 * the child ends, remove its pidfile and exit with its status.
 */
void shutdown_parent(int fd, pid_t child, const struct mon_conf *c, const char *pidfile)
	__attribute__((noreturn));

#endif
