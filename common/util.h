/*
 * util: paths, numbers, pid files, privileges, small string helpers.
 */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <sys/types.h>

#define NUT_VERSION "2.8.0"
#define NUT_WEBSITE "http://www.networkupstools.org/"

/* Compiled-in defaults, overridden by NUT_CONFPATH, NUT_STATEPATH, NUT_ALTPIDPATH. */
const char *nut_confpath(void);
const char *nut_statepath(void);
const char *nut_altpidpath(void);   /* NUT_ALTPIDPATH, else NUT_STATEPATH, else statepath */
const char *nut_pidpath(void);      /* upsmon/upslog pid files; NUT_ALTPIDPATH overrides */
const char *nut_datapath(void);     /* NUT_DATAPATH overrides */
/* join dir and name into out; returns 0 or -1 when it does not fit */
int path_join(char *out, size_t outlen, const char *dir, const char *name);

/* Strict number parsing: whole string, base 10, within [min,max]. 0 or -1. */
int parse_long(const char *s, long min, long max, long *out);
/* true/on/yes/1 -> 1, false/off/no/0 -> 0, else -1 */
int parse_bool(const char *s);

/* Allocation that never returns NULL (fatal on failure). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* bounded copy, always NUL terminated; returns strlen(src) like strlcpy */
size_t str_copy(char *dst, const char *src, size_t dstlen);
/* constant-time comparison of two strings (time depends only on lengths) */
int str_ct_equal(const char *a, const char *b);

/* PID files: write ours (0/-1), read one (pid or -1), signal the pid in a file (0/-1) */
int pidfile_write(const char *path);
pid_t pidfile_read(const char *path);
int pidfile_signal(const char *path, int sig);

/*
 * Drop root to user (setgroups, setresgid, setresuid). No-op when not
 * root. Returns 0, or -1 with a message in err.
 */
int priv_drop(const char *user, char *err, size_t errlen);
/* look up a user's uid/gid; 0 or -1 */
int priv_lookup(const char *user, uid_t *uid, gid_t *gid);
/*
 * priv_drop for ids looked up earlier with priv_lookup (before a chroot,
 * where the user database may be missing). user names the supplementary
 * groups (initgroups; when that fails, gid alone). 0, or -1 with err.
 */
int priv_drop_ids(const char *user, uid_t uid, gid_t gid, char *err, size_t errlen);

/* fork to background, stdin/out/err to /dev/null; 0 in child, exits in parent */
int daemonize(void);

#endif
