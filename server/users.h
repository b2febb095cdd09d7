/*
 * users: upsd.users (owner: upsd-core). Lookups used by the network
 * commands are declared in upsd.h (users_find, users_auth, users_has_*).
 */
#ifndef UPSD_USERS_H
#define UPSD_USERS_H

#include "conf.h"
#include "upsd.h"

/* read path into a new list (*out); 0, or -1 when unreadable (message added) */
int users_load(const char *path, struct upsd_user **out, struct conf_msgs *m);
void users_free(struct upsd_user *list);
size_t users_count(const struct upsd_user *list);

#endif
