/*
 * conf: upsd.conf and the upsd view of ups.conf (owner: upsd-core).
 * Problems are collected as "file:line: message" strings so that the
 * daemon can log them and `upsd -n` can print them all.
 */
#ifndef UPSD_CONF_H
#define UPSD_CONF_H

#include <stddef.h>

struct conf_msgs {
	char **v;
	size_t n;
	size_t nwarn;    /* how many of the n are conf_warn ones */
};

void conf_msg(struct conf_msgs *m, const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/*
 * An obsolete setting that NUT accepts with a warning: reported like
 * conf_msg (upsd -n lists it), but it does not stop a reload.
 */
void conf_warn(struct conf_msgs *m, const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void conf_msg_raw(struct conf_msgs *m, const char *text);
void conf_msgs_free(struct conf_msgs *m);

struct conf_listen {
	char *addr;
	char *port;
	unsigned line;
};

/* upsd.conf; numbers are -1 / pointers NULL when not given */
struct upsd_settings {
	struct conf_listen *listen;
	size_t nlisten;
	long maxage, maxconn, trackingdelay, debug_min;
	int allow_no_device;          /* -1 unset */
	int allow_not_all_listeners;  /* -1 unset */
	char *statepath, *datapath;
	char *certfile, *certpath, *certident, *certident_pass;
	int certrequest;              /* -1 unset */
	int disable_weak_ssl;         /* -1 unset */
	unsigned certfile_line, certpath_line, certident_line;   /* 0 when not given */
};

void conf_settings_init(struct upsd_settings *s);
void conf_settings_free(struct upsd_settings *s);
/* 0, or -1 when the file cannot be read (message added) */
int conf_read_upsd(const char *path, struct upsd_settings *s, struct conf_msgs *m);

struct ups_spec {
	char *name, *driver, *port, *desc;
	unsigned line;
};

struct ups_specs {
	struct ups_spec *v;
	size_t n;
};

void conf_specs_free(struct ups_specs *u);
/* usable sections of ups.conf in file order; 0, or -1 when unreadable */
int conf_read_ups(const char *path, struct ups_specs *u, struct conf_msgs *m);

#endif
