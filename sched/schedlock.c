/*
 * schedlock: the LOCKFN flock (see schedlock.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "ev.h"
#include "schedlock.h"

#define SCHEDLOCK_STEP_MS 5

int schedlock_take(const char *path, int wait_ms)
{
	struct timespec step = { 0, SCHEDLOCK_STEP_MS * 1000000L };
	uint64_t end = ev_clock_ms() + (uint64_t)(wait_ms > 0 ? wait_ms : 0);
	int fd, e;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0660);
	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		e = errno;
		if ((e != EWOULDBLOCK && e != EINTR) || ev_clock_ms() >= end) {
			close(fd);
			errno = e;
			return -1;
		}
		nanosleep(&step, NULL);
	}
	return fd;
}
