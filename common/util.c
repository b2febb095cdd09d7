/*
 * util: paths, strict number parsing, allocation, pid files, privilege
 * dropping and daemonizing.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#ifndef CONFPATH
#define CONFPATH "/usr/local/ups/etc"
#endif
#ifndef STATEPATH
#define STATEPATH "/var/state/ups"
#endif
#ifndef PIDPATH
#define PIDPATH "/var/run"
#endif
#ifndef DATAPATH
#define DATAPATH "/usr/local/ups/share"
#endif

/* an environment override counts only when set and non-empty */
static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return (v && *v) ? v : dflt;
}

const char *nut_confpath(void)
{
	return env_or("NUT_CONFPATH", CONFPATH);
}

const char *nut_statepath(void)
{
	return env_or("NUT_STATEPATH", STATEPATH);
}

const char *nut_altpidpath(void)
{
	return env_or("NUT_ALTPIDPATH", env_or("NUT_STATEPATH", STATEPATH));
}

const char *nut_pidpath(void)
{
	return env_or("NUT_ALTPIDPATH", PIDPATH);
}

const char *nut_datapath(void)
{
	return env_or("NUT_DATAPATH", DATAPATH);
}

int path_join(char *out, size_t outlen, const char *dir, const char *name)
{
	size_t dl;
	int n;

	if (!out || outlen == 0 || !name)
		return -1;
	if (!dir || !*dir || name[0] == '/')
		n = snprintf(out, outlen, "%s", name);
	else {
		dl = strlen(dir);
		n = snprintf(out, outlen, "%s%s%s", dir,
			dir[dl - 1] == '/' ? "" : "/", name);
	}
	if (n < 0 || (size_t)n >= outlen) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	/* strtol would skip leading blanks; a strict parser does not */
	if (!isdigit((unsigned char)s[0]) && s[0] != '-' && s[0] != '+')
		return -1;
	if ((s[0] == '-' || s[0] == '+') && !isdigit((unsigned char)s[1]))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	if (v < min || v > max)
		return -1;
	if (out)
		*out = v;
	return 0;
}

int parse_bool(const char *s)
{
	static const char *const yes[] = { "true", "on", "yes", "1" };
	static const char *const no[] = { "false", "off", "no", "0" };
	size_t i;

	if (!s)
		return -1;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -1;
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		fatalx("out of memory (%zu bytes)", n);
	return p;
}

void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);

	if (!p)
		fatalx("out of memory (%zu x %zu bytes)", n, sz);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		fatalx("out of memory (%zu bytes)", n);
	return q;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = xmalloc(n);

	memcpy(p, s, n);
	return p;
}

size_t str_copy(char *dst, const char *src, size_t dstlen)
{
	size_t n = strlen(src);

	if (dstlen > 0) {
		size_t c = n < dstlen - 1 ? n : dstlen - 1;

		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}

int str_ct_equal(const char *a, const char *b)
{
	size_t la, lb, i;
	unsigned diff;

	if (!a || !b)
		return 0;
	la = strlen(a);
	lb = strlen(b);
	diff = (la != lb);
	/* walk all of a whatever the content; b is indexed modulo its length */
	for (i = 0; i < la; i++) {
		unsigned char cb = lb ? (unsigned char)b[i % lb] : 0;

		diff |= (unsigned char)a[i] ^ cb;
	}
	return diff == 0;
}

int pidfile_write(const char *path)
{
	char line[32];
	int fd, n, rc = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	if (write(fd, line, (size_t)n) != n)
		rc = -1;
	if (close(fd) != 0)
		rc = -1;
	return rc;
}

pid_t pidfile_read(const char *path)
{
	char line[32];
	ssize_t n;
	long v;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	line[n] = '\0';
	while (n > 0 && isspace((unsigned char)line[n - 1]))
		line[--n] = '\0';
	if (parse_long(line, 1, INT_MAX, &v) < 0) {
		errno = EINVAL;
		return -1;
	}
	return (pid_t)v;
}

int pidfile_signal(const char *path, int sig)
{
	pid_t pid = pidfile_read(path);

	if (pid < 0)
		return -1;
	return kill(pid, sig) == 0 ? 0 : -1;
}

int priv_lookup(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (!user || !*user)
		return -1;
	if (getpwnam_r(user, &pw, buf, sizeof(buf), &res) != 0 || !res)
		return -1;
	if (uid)
		*uid = pw.pw_uid;
	if (gid)
		*gid = pw.pw_gid;
	return 0;
}

/* after the switch, every id must be the target and root must be gone for good */
static int priv_verify(uid_t uid, gid_t gid)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0)
		return -1;
	if (ru != uid || eu != uid || su != uid)
		return -1;
	if (rg != gid || eg != gid || sg != gid)
		return -1;
	if (uid != 0 && setuid(0) == 0)
		return -1;
	return 0;
}

int priv_drop(const char *user, char *err, size_t errlen)
{
	uid_t uid;
	gid_t gid;

	if (err && errlen)
		err[0] = '\0';
	if (geteuid() != 0)
		return 0;
	if (priv_lookup(user, &uid, &gid) < 0) {
		if (err)
			snprintf(err, errlen, "user %s not found", user ? user : "(null)");
		return -1;
	}
	return priv_drop_ids(user, uid, gid, err, errlen);
}

int priv_drop_ids(const char *user, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (geteuid() != 0 || uid == geteuid())
		return 0;
	/* initgroups needs the group database, which a chroot may lack */
	if (initgroups(user, gid) != 0 && setgroups(1, &gid) != 0) {
		if (err)
			snprintf(err, errlen, "setgroups: %s", strerror(errno));
		return -1;
	}
	if (setresgid(gid, gid, gid) != 0) {
		if (err)
			snprintf(err, errlen, "setresgid(%ld): %s", (long)gid, strerror(errno));
		return -1;
	}
	if (setresuid(uid, uid, uid) != 0) {
		if (err)
			snprintf(err, errlen, "setresuid(%ld): %s", (long)uid, strerror(errno));
		return -1;
	}
	if (priv_verify(uid, gid) < 0) {
		if (err)
			snprintf(err, errlen, "privileges of %s not fully dropped", user);
		return -1;
	}
	return 0;
}

int daemonize(void)
{
	pid_t pid;
	int fd;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(EXIT_SUCCESS);
	if (setsid() < 0)
		return -1;
	if (chdir("/") != 0)
		return -1;
	fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		return -1;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	return 0;
}
