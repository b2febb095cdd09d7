/*
 * tracking: TRACKING ids for SET VAR / INSTCMD (owner: upsd-cmds).
 *
 * As upsd 2.8.0: ids are UUIDv4 text (36 chars, upper-case hex) drawn from
 * a private generator that replays glibc's unseeded rand() sequence, so a
 * fresh daemon hands out the same ids as the real one. An id is drawn for
 * every SET VAR / INSTCMD of a tracking client, but only registered (as
 * PENDING) when the request is forwarded to the driver. Entries expire
 * d->trackingdelay seconds after the request.
 */
#ifndef TRACKING_H
#define TRACKING_H

#include "upsd.h"

#define TRACKING_ID_LEN 36

/* results a driver reports (TRACKING <id> <n>) */
#define TRACKING_PENDING  (-1)
#define TRACKING_HANDLED  0
#define TRACKING_UNKNOWN  1
#define TRACKING_INVALID  2
#define TRACKING_FAILED   3

/* draw the next id into out (>= TRACKING_ID_LEN + 1 bytes) */
void tracking_gen_id(struct upsd *d, char *out, size_t outlen);
/* register id as PENDING now */
void tracking_add(struct upsd *d, const char *id);
/* a new unique id (string owned by the table), registered as PENDING */
const char *tracking_new(struct upsd *d);
/* a driver reported "TRACKING <id> <result>" (result: 0 = success, else failure code) */
void tracking_result(struct upsd *d, const char *id, int result);
/*
 * Reply text for GET TRACKING <id>: "PENDING", "SUCCESS", "ERR UNKNOWN"
 * (also unknown/expired ids), "ERR INVALID-ARGUMENT" or "ERR FAILED".
 */
const char *tracking_get(struct upsd *d, const char *id);
/* drop expired entries (also done on every add / lookup) */
void tracking_cleanup(struct upsd *d);
void tracking_free(struct upsd *d);

#endif
