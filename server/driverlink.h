/*
 * driverlink: upsd's connections to the driver sockets (owner: upsd-core).
 * driverlink_send is declared in upsd.h.
 */
#ifndef UPSD_DRIVERLINK_H
#define UPSD_DRIVERLINK_H

#include "upsd.h"

/* set up a fresh UPS entry (not connected) */
void driverlink_init(struct upsd_ups *ups);
/* try to connect now if not connected; 0 connected, -1 not */
int driverlink_connect(struct upsd_ups *ups);
/* drop the link (state forgotten); reconnect is attempted by the tick */
void driverlink_disconnect(struct upsd_ups *ups);
/* periodic: reconnect, PING, stale transitions */
void driverlink_tick(struct upsd_ups *ups, uint64_t now_ms);
/* free everything of the link (UPS removed / exit) */
void driverlink_free(struct upsd_ups *ups);

#endif
