/*
 * log: one logging module for every program. Foreground programs log to
 * stderr; daemons to syslog (ident = program name, LOG_PID, daemon
 * facility). Debug lines are shown when their level <= the -D count.
 * log_warn adds strerror(errno); log_warnx does not.
 */
#ifndef LOG_H
#define LOG_H

#define LOG_TO_STDERR 1
#define LOG_TO_SYSLOG 2

void log_init(const char *progname, int targets);
void log_set_targets(int targets);
void log_set_debug(int level);
int log_get_debug(void);
const char *log_progname(void);

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
