/*
 * schedlock: LOCKFN as an flock(2) lock shared by upssched clients and the
 * timer daemon. The file is created when missing and never removed
 * (removing a lock file while someone may be opening it breaks the lock);
 * the lock itself is held only while a client starts the daemon and while
 * the daemon removes PIPEFN on its way out.
 */
#ifndef SCHEDLOCK_H
#define SCHEDLOCK_H

/*
 * Open path (O_CREAT, no symlinks) and take an exclusive lock, trying for
 * up to wait_ms (0: one try). Returns the locked fd (close-on-exec; close
 * it to release), or -1: errno EWOULDBLOCK when someone else held it the
 * whole time, another errno when the file can't be opened.
 */
int schedlock_take(const char *path, int wait_ms);

#endif
