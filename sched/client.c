/*
 * client: deliver requests to the timer daemon, starting it when needed
 * (see client.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "log.h"
#include "schedconf.h"
#include "schedlock.h"
#include "sock.h"
#include "timerd.h"
#include "util.h"

enum client_step { STEP_OK, STEP_RETRY, STEP_REFUSED };

static void client_pause(void)
{
	struct timespec ts = { 0, CLIENT_RETRY_MS * 1000000L };

	nanosleep(&ts, NULL);
}

/* blocking connect bounded by CLIENT_IO_MS (a full backlog waits, then EAGAIN) */
static int client_connect(const char *path)
{
	struct timeval tv = { CLIENT_IO_MS / 1000, (CLIENT_IO_MS % 1000) * 1000 };
	struct sockaddr_un sun;
	int fd, e;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (str_copy(sun.sun_path, path, sizeof(sun.sun_path)) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		goto fail;
	while (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		if (errno != EINTR)
			goto fail;
	}
	return fd;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

static int client_nobody(int e)
{
	return e == ENOENT || e == ECONNREFUSED;
}

/*
 * Connect to the daemon, starting it under the lock when nobody listens.
 * Returns the fd, -1 (try again), or -2 (no daemon and start not wanted).
 * Problems are logged on the first try only (loud); the caller sums up.
 */
static int client_reach(const struct schedconf *sc, int start_daemon, int loud)
{
	char err[256];
	int fd, lock;

	fd = client_connect(sc->pipefn);
	if (fd >= 0)
		return fd;
	if (!client_nobody(errno)) {
		if (loud)
			log_warn("Can't connect to the timer daemon at %s", sc->pipefn);
		return -1;
	}
	lock = schedlock_take(sc->lockfn, CLIENT_LOCK_MS);
	if (lock < 0) {
		if (loud)
			log_warn("Can't lock %s", sc->lockfn);
		return -1;
	}
	fd = client_connect(sc->pipefn);
	if (fd < 0 && client_nobody(errno)) {
		if (!start_daemon) {
			close(lock);
			return -2;
		}
		if (timerd_spawn(sc, err, sizeof(err)) < 0) {
			if (loud)
				log_error("Can't start the timer daemon: %s", err);
			close(lock);
			return -1;
		}
		fd = client_connect(sc->pipefn);
	}
	if (fd < 0 && loud)
		log_warn("Can't connect to the timer daemon at %s", sc->pipefn);
	close(lock);
	return fd;
}

/* send line, read one reply line */
static enum client_step client_exchange(int fd, const char *line)
{
	char reply[128];
	size_t len = 0;
	ssize_t n;

	if (sock_write_all(fd, line, strlen(line), CLIENT_IO_MS) < 0)
		return STEP_RETRY;
	while (len + 1 < sizeof(reply)) {
		n = read(fd, reply + len, sizeof(reply) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return STEP_RETRY;      /* reset or silence: not applied */
		len += (size_t)n;
		reply[len] = '\0';
		if (strchr(reply, '\n'))
			break;
	}
	reply[len] = '\0';
	reply[strcspn(reply, "\r\n")] = '\0';
	if (strcmp(reply, "OK") == 0)
		return STEP_OK;
	log_error("Timer daemon refused [%.*s]: %s", (int)strcspn(line, "\n"), line, reply);
	return STEP_REFUSED;
}

enum client_result client_send(const struct schedconf *sc, const char *line, int start_daemon)
{
	enum client_step step;
	int i, fd;

	for (i = 0; i < CLIENT_TRIES; i++) {
		if (i > 0)
			client_pause();
		fd = client_reach(sc, start_daemon, i == 0);
		if (fd == -2)
			return CLIENT_NO_DAEMON;
		if (fd < 0)
			continue;
		step = client_exchange(fd, line);
		close(fd);
		if (step == STEP_OK)
			return CLIENT_OK;
		if (step == STEP_REFUSED)
			return CLIENT_FAILED;
		log_debug(1, "No answer from the timer daemon, trying again");
	}
	log_error("Unable to connect to daemon and unable to start daemon (%d tries)",
		CLIENT_TRIES);
	return CLIENT_FAILED;
}
