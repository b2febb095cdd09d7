/*
 * sock: TCP and Unix socket helpers.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "sock.h"

static void sock_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void sock_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int sock_set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
	return fcntl(fd, F_SETFL, fl);
}

static uint64_t sock_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* "host port N" of a sockaddr, for messages */
static void sock_addr_text(const struct sockaddr *sa, socklen_t len, char *out, size_t outlen)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	if (getnameinfo(sa, len, host, sizeof(host), serv, sizeof(serv),
			NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(out, outlen, "unknown");
	else
		snprintf(out, outlen, "%s port %s", host, serv);
}

static int sock_bind_one(const struct addrinfo *ai, int backlog, char *err, size_t errlen)
{
	char host[NI_MAXHOST + NI_MAXSERV + 8];
	int fd, one = 1, e;

	sock_addr_text(ai->ai_addr, ai->ai_addrlen, host, sizeof(host));
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0) {
		e = errno;
		sock_err(err, errlen, "socket for %s: %s", host, strerror(e));
		errno = e;
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		e = errno;
		sock_err(err, errlen, "bind %s: %s", host, strerror(e));
		close(fd);
		errno = e;
		return -1;
	}
	if (listen(fd, backlog) < 0) {
		e = errno;
		sock_err(err, errlen, "listen %s: %s", host, strerror(e));
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int sock_listen_tcp(const char *addr, const char *port, int family, int backlog, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	int rc, fd = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = AI_PASSIVE;
	if (addr && strcmp(addr, "*") == 0)
		addr = NULL;
	if (!port)
		port = "0";
	rc = getaddrinfo(addr, port, &hints, &res);
	if (rc != 0) {
		sock_err(err, errlen, "getaddrinfo %s port %s: %s", addr ? addr : "*", port,
			 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		errno = EADDRNOTAVAIL;
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = sock_bind_one(ai, backlog, err, errlen);
		if (fd >= 0)
			break;
	}
	freeaddrinfo(res);
	return fd;
}

static int sock_unix_addr(const char *path, struct sockaddr_un *sun, char *err, size_t errlen)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (!path || strlen(path) >= sizeof(sun->sun_path)) {
		sock_err(err, errlen, "socket path too long: %s", path ? path : "(null)");
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun->sun_path, path, strlen(path) + 1);
	return 0;
}

/* address of path plus a close-on-exec stream socket (flags: SOCK_NONBLOCK or 0); -1, errno set */
static int unix_socket(const char *path, struct sockaddr_un *sun, int flags, char *err,
	size_t errlen)
{
	int fd, e;

	if (sock_unix_addr(path, sun, err, errlen) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);
	if (fd < 0) {
		e = errno;
		sock_err(err, errlen, "socket for %s: %s", path, strerror(e));
		errno = e;
	}
	return fd;
}

int sock_listen_unix(const char *path, int mode, int backlog, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	int fd, e;

	fd = unix_socket(path, &sun, SOCK_NONBLOCK, err, errlen);
	if (fd < 0)
		return -1;
	if (unlink(path) < 0 && errno != ENOENT) {
		e = errno;
		sock_err(err, errlen, "unlink stale %s: %s", path, strerror(e));
		goto fail;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		e = errno;
		sock_err(err, errlen, "bind %s: %s", path, strerror(e));
		goto fail;
	}
	if (chmod(path, (mode_t)mode) < 0) {
		e = errno;
		sock_err(err, errlen, "chmod %s: %s", path, strerror(e));
		goto fail;
	}
	if (listen(fd, backlog) < 0) {
		e = errno;
		sock_err(err, errlen, "listen %s: %s", path, strerror(e));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	errno = e;
	return -1;
}

/* wait for a nonblocking connect; 0 or -1 with errno */
static int sock_wait_connect(int fd, int timeout_ms)
{
	uint64_t deadline = sock_clock_ms() + (uint64_t)timeout_ms;
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	for (;;) {
		int left = -1, rc;

		if (timeout_ms > 0) {
			uint64_t now = sock_clock_ms();

			left = now >= deadline ? 0 : (int)(deadline - now);
		}
		rc = poll(&pfd, 1, left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -1;
		if (rc == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		break;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
		return -1;
	if (soerr != 0) {
		errno = soerr;
		return -1;
	}
	return 0;
}

static int sock_try_connect(const struct addrinfo *ai, int timeout_ms)
{
	int fd, e;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS && errno != EINTR)
			goto fail;
		if (sock_wait_connect(fd, timeout_ms) < 0)
			goto fail;
	}
	if (sock_set_nonblock(fd, 0) < 0)
		goto fail;
	return fd;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

int sock_connect_tcp(const char *host, const char *port, int timeout_ms, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	int rc, fd = -1, e = ECONNREFUSED;
	char text[NI_MAXHOST + NI_MAXSERV + 8];

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		sock_err(err, errlen, "%s port %s: %s", host ? host : "(null)", port ? port : "(null)",
			 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		errno = EHOSTUNREACH;
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = sock_try_connect(ai, timeout_ms);
		if (fd >= 0)
			break;
		e = errno;
		sock_addr_text(ai->ai_addr, ai->ai_addrlen, text, sizeof(text));
		sock_err(err, errlen, "connect to %s (%s): %s", host, text, strerror(e));
	}
	freeaddrinfo(res);
	if (fd < 0)
		errno = e;
	return fd;
}

int sock_connect_unix(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	int fd, e;

	fd = unix_socket(path, &sun, 0, err, errlen);
	if (fd < 0)
		return -1;
	while (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		if (errno == EINTR)
			continue;
		e = errno;
		sock_err(err, errlen, "connect to %s: %s", path, strerror(e));
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int sock_connect_unix_nb(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	int fd, e;

	fd = unix_socket(path, &sun, SOCK_NONBLOCK, err, errlen);
	if (fd < 0)
		return -1;
	/* a Unix connect never completes later: it succeeds or fails here */
	while (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		if (errno == EINTR)
			continue;
		e = errno;
		sock_err(err, errlen, "connect to %s: %s", path,
			e == EAGAIN ? "the listener accepts nothing (queue full)" : strerror(e));
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int sock_accept(int lfd)
{
	int fd;

	do {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	} while (fd < 0 && errno == EINTR);
	return fd;
}

void sock_peer(int fd, char *out, size_t outlen)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[NI_MAXHOST];

	if (!out || outlen == 0)
		return;
	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0) {
		snprintf(out, outlen, "unknown");
		return;
	}
	if (ss.ss_family == AF_UNIX) {
		snprintf(out, outlen, "unix");
		return;
	}
	if (getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), NULL, 0, NI_NUMERICHOST) != 0) {
		snprintf(out, outlen, "unknown");
		return;
	}
	snprintf(out, outlen, "%s", host);
}

/* poll for writability within the remaining time; 0 ready, -1 timeout/error */
static int sock_wait_write(int fd, uint64_t deadline, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };

	for (;;) {
		int left = -1, rc;

		if (timeout_ms > 0) {
			uint64_t now = sock_clock_ms();

			if (now >= deadline) {
				errno = ETIMEDOUT;
				return -1;
			}
			left = (int)(deadline - now);
		}
		rc = poll(&pfd, 1, left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -1;
		if (rc == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		return 0;
	}
}

int sock_write_all(int fd, const void *data, size_t len, int timeout_ms)
{
	const char *p = data;
	uint64_t deadline = sock_clock_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == ENOTSOCK)
			n = write(fd, p, len);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (sock_wait_write(fd, deadline, timeout_ms) < 0)
				return -1;
			continue;
		}
		if (n == 0)
			errno = EIO;
		return -1;
	}
	return 0;
}
