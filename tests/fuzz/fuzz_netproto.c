/*
 * fuzz_netproto: libFuzzer target for the upsd request path.
 *
 * Arbitrary bytes go through the wire tokenizer (pconf_feed, as client.c
 * feeds it) and every complete line through netcmd_dispatch() on a fake
 * daemon with one UPS ("ups", a few variables with enum/range/string
 * flags, two commands) and one user "admin" with every right. The first
 * input byte picks the UPS availability so stale/disconnected paths are
 * covered too, and whether STARTTLS is accepted (the clear-text part of
 * the session then ends, as in client.c). Replies are collected and thrown away; the sanitizers are
 * the oracle, plus a check that every reply ends with a newline.
 *
 * The server objects (netcmds, tracking, desc) are compiled into this file
 * unless the build links them itself (define FUZZ_SERVER_LINKED then).
 * Everything upsd-core provides is replaced by the small fakes below.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pconf.h"
#include "state.h"
#include "util.h"

#ifndef FUZZ_SERVER_LINKED
#include "../../server/desc.c"
#include "../../server/netcmds.c"
#include "../../server/tracking.c"
#else
#include "../../server/desc.h"
#include "../../server/netcmds.h"
#include "../../server/starttls.h"
#include "../../server/tracking.h"
#endif

struct fuzz_world {
	struct upsd d;
	struct upsd_ups ups;
	struct upsd_client c;
	struct upsd_user admin;
	const char *avail;          /* what ups_available answers */
	int tls_ok;                 /* STARTTLS accepted */
	size_t replies;
};

/* the one world of the current input (the fakes have fixed signatures) */
static struct fuzz_world *cur;

struct upsd_ups *upsd_find_ups(struct upsd *d, const char *name)
{
	return (name && strcasecmp(d->ups->name, name) == 0) ? d->ups : NULL;
}

const char *ups_available(const struct upsd_ups *ups)
{
	(void)ups;
	return cur->avail;
}

int client_send_raw(struct upsd_client *c, const void *data, size_t len)
{
	(void)c;
	if (len == 0 || ((const char *)data)[len - 1] == '\0')
		abort();
	cur->replies++;
	return 0;
}

int client_send(struct upsd_client *c, const char *fmt, ...)
{
	(void)c;
	(void)fmt;
	cur->replies++;
	return 0;
}

void client_close_later(struct upsd_client *c)
{
	c->closing = 1;
}

struct upsd_user *users_find(struct upsd *d, const char *name)
{
	return (name && strcmp(d->users->name, name) == 0) ? d->users : NULL;
}

int users_auth(struct upsd *d, const char *user, const char *pass)
{
	struct upsd_user *u = users_find(d, user);

	return u && pass && str_ct_equal(u->password, pass);
}

int users_has_action(const struct upsd_user *u, unsigned action)
{
	return (u->actions & action) != 0;
}

int users_has_instcmd(const struct upsd_user *u, const char *cmd)
{
	(void)cmd;
	return u->ninstcmds > 0;
}

const char *starttls_refusal(const struct upsd *d, const struct upsd_client *c)
{
	(void)d;
	if (c->tls)
		return "ALREADY-SSL-MODE";
	return cur->tls_ok ? NULL : "FEATURE-NOT-CONFIGURED";
}

void starttls_accepted(struct upsd_client *c)
{
	c->tls = 1;
	c->tls_state = STARTTLS_QUEUED;
}

int driverlink_send(struct upsd_ups *ups, const char *line)
{
	(void)ups;
	if (!line || strchr(line, '\n'))
		abort();
	return 0;
}

static void world_init(struct fuzz_world *w, uint8_t mode)
{
	static const char *avail[] = { NULL, "DATA-STALE", "DRIVER-NOT-CONNECTED", NULL };
	struct st_tree *t = &w->ups.state;

	memset(w, 0, sizeof(*w));
	w->avail = avail[mode & 3];
	w->d.trackingdelay = (mode & 4) ? 0 : 3600;
	w->tls_ok = (mode & 32) != 0;
	w->d.datapath = (char *)"/nonexistent";
	w->d.ups = &w->ups;
	w->d.nups = 1;
	w->d.users = &w->admin;
	w->d.clients = &w->c;
	w->admin.name = (char *)"admin";
	w->admin.password = (char *)"pw";
	w->admin.actions = UPSD_ACTION_SET | UPSD_ACTION_FSD | UPSD_ACTION_LOGIN | UPSD_ACTION_MASTER;
	w->admin.ninstcmds = (mode & 8) ? 0 : 1;
	w->ups.name = (char *)"ups";
	w->ups.desc = (mode & 16) ? NULL : (char *)"Fuzz \"UPS\" #1";
	w->ups.fd = 0;
	w->ups.upsd = &w->d;
	w->c.fd = -1;
	str_copy(w->c.addr, "127.0.0.1", sizeof(w->c.addr));
	w->c.upsd = &w->d;
	st_init(t);
	st_set(t, "ups.status", "OL");
	st_set(t, "ups.id", "x\\y\"z");
	st_set_flags(t, "ups.id", ST_FLAG_RW | ST_FLAG_STRING);
	st_set_aux(t, "ups.id", 8);
	st_set(t, "input.transfer.low", "184");
	st_set_flags(t, "input.transfer.low", ST_FLAG_RW);
	st_add_range(t, "input.transfer.low", 160, 190);
	st_set(t, "ups.beeper.status", "enabled");
	st_set_flags(t, "ups.beeper.status", ST_FLAG_RW | ST_FLAG_STRING);
	st_set_aux(t, "ups.beeper.status", 0);
	st_add_enum(t, "ups.beeper.status", "enabled");
	st_add_enum(t, "ups.beeper.status", "disabled");
	st_add_cmd(t, "load.off");
	st_add_cmd(t, "beeper.toggle");
}

static void world_free(struct fuzz_world *w)
{
	st_clear(&w->ups.state);
	free(w->c.username);
	free(w->c.password);
	tracking_free(&w->d);
	desc_free(&w->d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_world w;
	struct pconf p;
	const char *in;
	size_t left, used;

	if (size < 1)
		return 0;
	world_init(&w, data[0]);
	cur = &w;
	pconf_init(&p);
	in = (const char *)data + 1;
	left = size - 1;
	/* after STARTTLS is accepted the rest is TLS input, not commands */
	while (left > 0 && !w.c.closing && !w.c.tls) {
		enum pconf_result r = pconf_feed(&p, in, left, &used);

		if (used > left)
			abort();
		if (r == PCONF_LINE && p.argc > 0)
			netcmd_dispatch(&w.d, &w.c, p.argc, p.argv);
		else if (r == PCONF_ERROR)
			used = left;      /* upsd drops the rest of the chunk */
		if (used == 0 && r != PCONF_LINE)
			break;
		in += used;
		left -= used;
	}
	pconf_free(&p);
	world_free(&w);
	cur = NULL;
	return 0;
}
