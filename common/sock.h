/*
 * sock: socket helpers. Errors are returned as -1 with a message in err
 * (when err is not NULL) naming the address and the system error.
 */
#ifndef SOCK_H
#define SOCK_H

#include <stddef.h>
#include <sys/socket.h>

/* Listen on addr:port (addr NULL/"*" = wildcard of that family, names resolved). Nonblocking, SO_REUSEADDR, IPV6_V6ONLY on v6, backlog given. */
int sock_listen_tcp(const char *addr, const char *port, int family, int backlog, char *err, size_t errlen);
/* Unix stream listener: unlinks a stale path first; mode applied with chmod. */
int sock_listen_unix(const char *path, int mode, int backlog, char *err, size_t errlen);
/* Blocking connect with timeout (ms; 0 = none); returns a blocking fd. */
int sock_connect_tcp(const char *host, const char *port, int timeout_ms, char *err, size_t errlen);
int sock_connect_unix(const char *path, char *err, size_t errlen);
/*
 * Non-blocking Unix stream connect for event loops: returns a non-blocking
 * fd, or -1 at once (errno EAGAIN) when the listener's queue is full, where
 * sock_connect_unix would wait for the listener to accept.
 */
int sock_connect_unix_nb(const char *path, char *err, size_t errlen);
int sock_accept(int lfd);        /* accept4 nonblocking + cloexec; -1 with errno */
int sock_set_nonblock(int fd, int on);
/* Textual peer address ("127.0.0.1", "::1", "::ffff:1.2.3.4"); "unknown" on failure. */
void sock_peer(int fd, char *out, size_t outlen);
/* Write all of data (blocking fd or with poll on EAGAIN, bounded by timeout_ms). 0 or -1. */
int sock_write_all(int fd, const void *data, size_t len, int timeout_ms);

#endif
