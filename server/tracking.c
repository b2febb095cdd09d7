/*
 * tracking: status of SET VAR / INSTCMD requests forwarded with an id.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "tracking.h"
#include "util.h"

struct tracking_entry {
	char id[TRACKING_ID_LEN + 1];
	int status;
	time_t when;              /* monotonic seconds of the request */
	struct tracking_entry *next;
};

/*
 * glibc's rand() without srand() behaves as srand(1): an additive
 * feedback generator r[i] = r[i-3] + r[i-31], output r[i] >> 1, seeded
 * by a Lehmer sequence and 310 discarded outputs.
 */
struct tracking_rng {
	int32_t ring[34];         /* the last 34 values r[i] */
	unsigned pos;
};

struct tracking_table {
	struct tracking_entry *head;
	struct tracking_rng rng;
	int seeded;
	char last[TRACKING_ID_LEN + 1];
};

static void rng_seed(struct tracking_rng *g, uint32_t seed)
{
	g->ring[0] = (int32_t)seed;
	for (int i = 1; i < 31; i++) {
		int64_t hi = g->ring[i - 1] / 127773;
		int64_t lo = g->ring[i - 1] % 127773;
		int64_t word = 16807 * lo - 2836 * hi;
		if (word < 0)
			word += 2147483647;
		g->ring[i] = (int32_t)word;
	}
	for (int i = 31; i < 34; i++)
		g->ring[i] = g->ring[i - 31];
	g->pos = 34;
	for (int i = 0; i < 310; i++) {
		uint32_t v = (uint32_t)g->ring[(g->pos - 31) % 34] + (uint32_t)g->ring[(g->pos - 3) % 34];
		g->ring[g->pos % 34] = (int32_t)v;
		g->pos++;
	}
}

static uint32_t rng_next(struct tracking_rng *g)
{
	uint32_t v = (uint32_t)g->ring[(g->pos - 31) % 34] + (uint32_t)g->ring[(g->pos - 3) % 34];

	g->ring[g->pos % 34] = (int32_t)v;
	g->pos++;
	if (g->pos >= 34u * 1000000u)   /* keep the index small, same residue mod 34 */
		g->pos = 34 + g->pos % 34;
	return v >> 1;
}

static time_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static struct tracking_table *table(struct upsd *d)
{
	if (!d->tracking)
		d->tracking = xcalloc(1, sizeof(*d->tracking));
	if (!d->tracking->seeded) {
		rng_seed(&d->tracking->rng, 1);
		d->tracking->seeded = 1;
	}
	return d->tracking;
}

void tracking_gen_id(struct upsd *d, char *out, size_t outlen)
{
	struct tracking_table *t = table(d);
	uint8_t u[16];

	for (size_t i = 0; i < sizeof(u); i++) {
		uint8_t a = (uint8_t)rng_next(&t->rng);
		uint8_t b = (uint8_t)rng_next(&t->rng);
		u[i] = (uint8_t)(a + b);
	}
	u[6] = (uint8_t)((u[6] & 0x0F) | 0x40);
	u[8] = (uint8_t)((u[8] & 0x3F) | 0x80);
	snprintf(out, outlen,
		"%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X",
		u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7],
		u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

static long delay_of(const struct upsd *d)
{
	return d->trackingdelay >= 0 ? d->trackingdelay : UPSD_TRACKINGDELAY_DEFAULT;
}

void tracking_cleanup(struct upsd *d)
{
	struct tracking_entry **pp, *e;
	time_t now = mono_now();

	if (!d->tracking)
		return;
	pp = &d->tracking->head;
	while ((e = *pp) != NULL) {
		if ((long)(now - e->when) > delay_of(d)) {
			*pp = e->next;
			free(e);
		} else {
			pp = &e->next;
		}
	}
}

void tracking_add(struct upsd *d, const char *id)
{
	struct tracking_table *t = table(d);
	struct tracking_entry *e;

	tracking_cleanup(d);
	e = xcalloc(1, sizeof(*e));
	str_copy(e->id, id, sizeof(e->id));
	e->status = TRACKING_PENDING;
	e->when = mono_now();
	e->next = t->head;
	t->head = e;
}

const char *tracking_new(struct upsd *d)
{
	struct tracking_table *t = table(d);

	tracking_gen_id(d, t->last, sizeof(t->last));
	tracking_add(d, t->last);
	return t->last;
}

static struct tracking_entry *find(struct upsd *d, const char *id)
{
	if (!d->tracking || !id)
		return NULL;
	tracking_cleanup(d);
	for (struct tracking_entry *e = d->tracking->head; e; e = e->next)
		if (strcasecmp(e->id, id) == 0)
			return e;
	return NULL;
}

void tracking_result(struct upsd *d, const char *id, int result)
{
	struct tracking_entry *e = find(d, id);

	if (e)
		e->status = result;
}

const char *tracking_get(struct upsd *d, const char *id)
{
	struct tracking_entry *e = find(d, id);

	if (!e)
		return "ERR UNKNOWN";
	switch (e->status) {
	case TRACKING_PENDING:
		return "PENDING";
	case TRACKING_HANDLED:
		return "SUCCESS";
	case TRACKING_INVALID:
		return "ERR INVALID-ARGUMENT";
	case TRACKING_FAILED:
		return "ERR FAILED";
	default:
		return "ERR UNKNOWN";
	}
}

void tracking_free(struct upsd *d)
{
	struct tracking_entry *e, *next;

	if (!d->tracking)
		return;
	for (e = d->tracking->head; e; e = next) {
		next = e->next;
		free(e);
	}
	free(d->tracking);
	d->tracking = NULL;
}
