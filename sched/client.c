/*
 * client: talk to the timer daemon, starting it when needed (see client.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "client.h"
#include "log.h"
#include "schedconf.h"
#include "sock.h"
#include "timerd.h"
#include "util.h"

enum client_result { CLIENT_OK, CLIENT_RETRY, CLIENT_REFUSED };

static void client_pause(void)
{
	struct timespec ts = { 0, CLIENT_RETRY_MS * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* read one reply line within CLIENT_REPLY_MS */
static enum client_result client_reply(int fd, char *line, size_t linelen)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	size_t len = 0;
	ssize_t n;

	while (len + 1 < linelen) {
		if (poll(&pfd, 1, CLIENT_REPLY_MS) <= 0)
			return CLIENT_RETRY;
		n = read(fd, line + len, linelen - 1 - len);
		if (n <= 0)
			return CLIENT_RETRY;
		len += (size_t)n;
		line[len] = '\0';
		if (strchr(line, '\n'))
			break;
	}
	line[strcspn(line, "\r\n")] = '\0';
	if (strncmp(line, "OK", 2) == 0)
		return CLIENT_OK;
	return strncmp(line, "ERR", 3) == 0 ? CLIENT_REFUSED : CLIENT_RETRY;
}

static enum client_result client_exchange(int fd, const struct buf *req)
{
	char reply[256];
	enum client_result r;

	if (sock_write_all(fd, req->data, req->len, CLIENT_REPLY_MS) < 0) {
		log_warn("write to timer daemon failed, trying again");
		return CLIENT_RETRY;
	}
	r = client_reply(fd, reply, sizeof(reply));
	if (r == CLIENT_REFUSED)
		log_error("timer daemon refused the request: %s", reply);
	else if (r == CLIENT_RETRY)
		log_warnx("read confirmation failed, trying again");
	return r;
}

/* a lock whose owner is dead, or that is older than CLIENT_STALE_LOCK_S */
static int client_lock_stale(const char *lockfn)
{
	char buf[32];
	struct stat st;
	ssize_t n;
	long pid;
	int fd = open(lockfn, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	if (fstat(fd, &st) < 0)
		st.st_mtime = time(NULL);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (parse_long(buf, 1, INT_MAX, &pid) == 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH)
		return 1;
	return time(NULL) - st.st_mtime > CLIENT_STALE_LOCK_S;
}

/* no daemon answers: start one under the lock, or wait for whoever holds it */
static void client_start_daemon(const struct schedconf *sc)
{
	char pid[32];
	int fd = open(sc->lockfn, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int len;

	if (fd < 0) {
		if (errno != EEXIST)
			log_warn("Can't create lock file %s", sc->lockfn);
		else if (client_lock_stale(sc->lockfn))
			unlink(sc->lockfn);
		client_pause();
		return;
	}
	len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (write(fd, pid, (size_t)len) != len)
		log_warn("Can't write lock file %s", sc->lockfn);
	close(fd);
	if (timerd_spawn(sc) < 0) {
		/* it found a live daemon, or failed: the lock must not outlive us */
		unlink(sc->lockfn);
		client_pause();
	}
}

static int client_request(struct buf *req, const char *verb, const char *name,
	const char *arg, const char *ntype, const char *ups)
{
	buf_puts(req, verb);
	buf_puts(req, " ");
	buf_quoted(req, name);
	buf_puts(req, " ");
	buf_quoted(req, arg ? arg : "");
	buf_puts(req, " ");
	buf_quoted(req, ntype);
	buf_puts(req, " ");
	buf_quoted(req, ups);
	buf_puts(req, "\n");
	return req->overflow ? -1 : 0;
}

int client_send(const struct schedconf *sc, const char *verb, const char *name,
	const char *arg, const char *ntype, const char *ups, int need_daemon)
{
	struct buf req;
	int i, fd, rc = -1;

	buf_init(&req, 4096);
	if (client_request(&req, verb, name, arg, ntype, ups) < 0) {
		log_error("request for timer %s too long", name);
		buf_free(&req);
		return -1;
	}
	for (i = 0; i < CLIENT_TRIES && rc < 0; i++) {
		enum client_result r;

		fd = sock_connect_unix(sc->pipefn, NULL, 0);
		if (fd < 0) {
			if (!need_daemon) {
				rc = 0;     /* no daemon: no timer to cancel */
				break;
			}
			client_start_daemon(sc);
			continue;
		}
		r = client_exchange(fd, &req);
		close(fd);
		if (r == CLIENT_OK)
			rc = 0;
		else if (r == CLIENT_REFUSED)
			break;
		else
			client_pause();
	}
	buf_free(&req);
	if (rc < 0 && i >= CLIENT_TRIES)
		log_error("Unable to connect to daemon and unable to start daemon");
	return rc;
}
