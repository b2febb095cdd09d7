/*
 * spawn: children for upsmon and upssched. A child starts with default
 * signal dispositions, an empty signal mask (the event loop blocks the
 * signals it reads through a signalfd, and exec would inherit that) and
 * every descriptor above stderr closed (sockets never leak into scripts).
 */
#ifndef SPAWN_H
#define SPAWN_H

#include <sys/types.h>

/* fork; in the child the state above is already set up. pid, 0 or -1 */
pid_t spawn_fork(void);

/* in a spawned child: exec /bin/sh -c cmd; never returns */
void spawn_exec_shell(const char *cmd) __attribute__((noreturn));

/* run /bin/sh -c cmd in a child; returns its pid or -1. Not waited for. */
pid_t spawn_shell(const char *cmd);

/* run /bin/sh -c cmd and wait: the shell's exit code, 128+signal, or -1 */
int spawn_shell_wait(const char *cmd);

/* reap every finished child without blocking; returns how many */
int spawn_reap(void);

#endif
