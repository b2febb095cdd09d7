/*
 * log: stderr and/or syslog. One process logs through one configuration,
 * so the settings live in a single static struct owned by this file.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static struct {
	char progname[64];
	int targets;
	int debug;
	int syslog_open;
	struct timespec start;
} log_cfg = { "nut", LOG_TO_STDERR, 0, 0, { 0, 0 } };

static void log_open_syslog(void)
{
	if (log_cfg.syslog_open)
		closelog();
	openlog(log_cfg.progname, LOG_PID, LOG_DAEMON);
	log_cfg.syslog_open = 1;
}

void log_init(const char *progname, int targets)
{
	const char *base = progname ? strrchr(progname, '/') : NULL;

	base = base ? base + 1 : progname;
	if (base && *base)
		snprintf(log_cfg.progname, sizeof(log_cfg.progname), "%s", base);
	clock_gettime(CLOCK_MONOTONIC, &log_cfg.start);
	log_cfg.targets = targets;
	if (targets & LOG_TO_SYSLOG)
		log_open_syslog();
}

void log_set_targets(int targets)
{
	log_cfg.targets = targets;
	if ((targets & LOG_TO_SYSLOG) && !log_cfg.syslog_open)
		log_open_syslog();
}

void log_set_debug(int level)
{
	log_cfg.debug = level < 0 ? 0 : level;
}

int log_get_debug(void)
{
	return log_cfg.debug;
}

const char *log_progname(void)
{
	return log_cfg.progname;
}

/* elapsed time since log_init, as NUT prints it in front of debug output */
static void log_stamp(FILE *f)
{
	struct timespec now;
	long sec, usec;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (log_cfg.start.tv_sec == 0 && log_cfg.start.tv_nsec == 0)
		log_cfg.start = now;   /* log_init was never called */
	sec = (long)(now.tv_sec - log_cfg.start.tv_sec);
	usec = (now.tv_nsec - log_cfg.start.tv_nsec) / 1000;
	if (usec < 0) {
		sec--;
		usec += 1000000;
	}
	fprintf(f, "%4ld.%06ld\t", sec, usec);
}

__attribute__((format(printf, 3, 0)))
static void log_emit(int prio, int with_errno, const char *fmt, va_list ap)
{
	char msg[1024];
	int saved = errno;
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno) {
		n = strlen(msg);
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved));
	}
	if (log_cfg.targets & LOG_TO_STDERR) {
		if (log_cfg.debug > 0)
			log_stamp(stderr);
		fprintf(stderr, "%s\n", msg);
		fflush(stderr);
	}
	if (log_cfg.targets & LOG_TO_SYSLOG) {
		if (!log_cfg.syslog_open)
			log_open_syslog();
		syslog(prio, "%s", msg);
	}
	errno = saved;
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_INFO, 0, fmt, ap);
	va_end(ap);
}

void log_notice(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_NOTICE, 0, fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, 1, fmt, ap);
	va_end(ap);
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_WARNING, 0, fmt, ap);
	va_end(ap);
}

void log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_ERR, 0, fmt, ap);
	va_end(ap);
}

void log_debug(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_cfg.debug)
		return;
	va_start(ap, fmt);
	log_emit(LOG_DEBUG, 0, fmt, ap);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_ERR, 1, fmt, ap);
	va_end(ap);
	exit(EXIT_FAILURE);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_ERR, 0, fmt, ap);
	va_end(ap);
	exit(EXIT_FAILURE);
}
