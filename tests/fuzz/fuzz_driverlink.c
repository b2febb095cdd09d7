/*
 * fuzz_driverlink: libFuzzer target for upsd's side of the driver socket.
 *
 * upsd connects (driverlink_connect, for real, to a listening Unix socket
 * of this process) and the input bytes are what a broken or hostile
 * driver answers: they are written to the accepted end and read by upsd's
 * own I/O callback (drv_io_cb: recv, pconf, SETINFO/DELINFO/ADDENUM/...
 * via st_apply, DUMPDONE/DATAOK/DATASTALE/PONG/TRACKING). The first input
 * byte picks how the bytes are cut into writes (all at once, or chunks of
 * 1..127 bytes, at most ~256 of them) and whether driverlink_tick runs
 * between chunks (PING and the stale transitions). Then the resulting
 * tree is checked and served: LIST VAR/RW/CMD, and GET VAR/TYPE/DESC,
 * LIST ENUM/RANGE for the first variables go through netcmd_dispatch, as
 * a client would ask. At last the driver hangs up and upsd must drop
 * everything.
 *
 * Oracle: the sanitizers, plus the state tree invariants of statecheck.h
 * after every few chunks and after serving, and an empty tree once the
 * driver is gone.
 *
 * The server sources are compiled into this file (their static functions
 * are reachable that way); what the rest of upsd provides is faked below.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "pconf.h"
#include "sock.h"
#include "state.h"
#include "util.h"

#include "../../server/desc.c"
#include "../../server/driverlink.c"
#include "../../server/netcmds.c"
#include "../../server/tracking.c"
#include "statecheck.h"

#define FUZZ_MAXAGE 15
#define FUZZ_QUERY_VARS 12
#define FUZZ_MAX_INPUT (64 * 1024)   /* one write must fit the socket buffer */

/* ids a seed can answer with "TRACKING <id> <n>" (registered as PENDING) */
static const char *const fuzz_ids[] = {
	"0DE2ABF6-1B5C-4F3E-9A1D-5E7C0F3B2A10",
	"5C3A6E4F-8B7D-4C2A-A1E9-3F6D0B8C7E21",
};

struct fuzz_world {
	struct upsd d;
	struct upsd_ups ups;
	struct upsd_client c;
	struct upsd_user admin;
	int serve;                  /* query phase: data counts as available */
};

static struct fuzz_world *cur;
static struct ev_loop *loop;
static int listen_fd = -1;
static char sock_dir[64];
static char sock_path[128];

/* ------------------------------------------------------------ upsd fakes */

struct upsd_ups *upsd_find_ups(struct upsd *d, const char *name)
{
	return (name && strcasecmp(d->ups->name, name) == 0) ? d->ups : NULL;
}

/* upsd.c's rule; in the query phase a connected UPS is served even if stale */
const char *ups_available(const struct upsd_ups *ups)
{
	uint64_t now;

	if (ups->fd < 0)
		return "DRIVER-NOT-CONNECTED";
	if (cur->serve)
		return NULL;
	if (!ups->dumpdone || ups->driver_stale)
		return "DATA-STALE";
	now = ev_now_ms(ups->upsd->ev);
	if (now > ups->last_heard_ms && now - ups->last_heard_ms > (uint64_t)ups->upsd->maxage * 1000)
		return "DATA-STALE";
	return NULL;
}

int client_send_raw(struct upsd_client *c, const void *data, size_t len)
{
	(void)c;
	if (len == 0 || memchr(data, '\0', len) != NULL)
		abort();
	return 0;
}

int client_send(struct upsd_client *c, const char *fmt, ...)
{
	char line[UPSD_LINE_MAX];
	va_list ap;

	(void)c;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
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
	(void)d;
	(void)user;
	(void)pass;
	return 0;
}

int users_has_action(const struct upsd_user *u, unsigned action)
{
	return (u->actions & action) != 0;
}

int users_has_instcmd(const struct upsd_user *u, const char *cmd)
{
	(void)u;
	(void)cmd;
	return 0;
}

const char *starttls_refusal(const struct upsd *d, const struct upsd_client *c)
{
	(void)d;
	(void)c;
	return "FEATURE-NOT-CONFIGURED";
}

void starttls_accepted(struct upsd_client *c)
{
	(void)c;
}

/* ------------------------------------------------------------ process setup */

static void fuzz_cleanup(void)
{
	if (listen_fd >= 0)
		close(listen_fd);
	if (sock_path[0])
		unlink(sock_path);
	if (sock_dir[0])
		rmdir(sock_dir);
}

static void fuzz_setup(void)
{
	char err[256];

	log_set_targets(0);       /* format every message (sanitizers see the args), print none */
	log_set_debug(9);
	loop = ev_new();
	str_copy(sock_dir, "/tmp/fuzz-driverlink-XXXXXX", sizeof(sock_dir));
	if (!loop || !mkdtemp(sock_dir))
		abort();
	snprintf(sock_path, sizeof(sock_path), "%s/dummy-ups-drv", sock_dir);
	listen_fd = sock_listen_unix(sock_path, 0600, 16, err, sizeof(err));
	if (listen_fd < 0)
		abort();
	atexit(fuzz_cleanup);
}

/* ------------------------------------------------------------ one input */

static void world_init(struct fuzz_world *w)
{
	memset(w, 0, sizeof(*w));
	w->d.ev = loop;
	w->d.maxage = FUZZ_MAXAGE;
	w->d.trackingdelay = 3600;
	w->d.datapath = (char *)"/nonexistent";
	w->d.ups = &w->ups;
	w->d.nups = 1;
	w->d.users = &w->admin;
	w->d.clients = &w->c;
	w->admin.name = (char *)"admin";
	w->ups.name = (char *)"drv";
	w->ups.driver = (char *)"dummy-ups";
	w->ups.upsd = &w->d;
	str_copy(w->ups.sockpath, sock_path, sizeof(w->ups.sockpath));
	w->c.fd = -1;
	str_copy(w->c.addr, "127.0.0.1", sizeof(w->c.addr));
	w->c.upsd = &w->d;
	driverlink_init(&w->ups);
}

/* throw away what upsd sent to the driver (DUMPALL, PING) */
static void drain(int fd)
{
	char sink[4096];

	while (recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
		;
}

/* upsd reads until the socket is empty, as its I/O callback would be called */
static void upsd_reads(struct fuzz_world *w)
{
	int i;

	for (i = 0; i < 64 && w->ups.fd >= 0; i++) {
		int avail = 0;

		drv_io_cb(loop, w->ups.fd, EV_READ, &w->ups);
		if (w->ups.fd < 0 || recv(w->ups.fd, &avail, 1, MSG_PEEK | MSG_DONTWAIT) <= 0)
			break;
	}
}

/* one request line of words (NULL-terminated list) */
static void query(struct fuzz_world *w, const char *w0, ...)
{
	char *argv[6];
	const char *word;
	int argc = 0;
	va_list ap;

	argv[argc++] = (char *)w0;
	va_start(ap, w0);
	while (argc < 6 && (word = va_arg(ap, const char *)) != NULL)
		argv[argc++] = (char *)word;
	va_end(ap);
	netcmd_dispatch(&w->d, &w->c, argc, argv);
}

/* serve the tree a client would ask for; names are copied (a reply never changes the tree) */
static void serve(struct fuzz_world *w)
{
	char name[PCONF_MAX_WORDLEN + 1];
	size_t i;

	w->serve = 1;
	query(w, "LIST", "VAR", "drv", NULL);
	query(w, "LIST", "RW", "drv", NULL);
	query(w, "LIST", "CMD", "drv", NULL);
	for (i = 0; i < w->ups.state.nvars && i < FUZZ_QUERY_VARS; i++) {
		str_copy(name, w->ups.state.vars[i]->name, sizeof(name));
		query(w, "GET", "VAR", "drv", name, NULL);
		query(w, "GET", "TYPE", "drv", name, NULL);
		query(w, "GET", "DESC", "drv", name, NULL);
		query(w, "LIST", "ENUM", "drv", name, NULL);
		query(w, "LIST", "RANGE", "drv", name, NULL);
	}
	for (i = 0; i < w->ups.state.ncmds && i < 4; i++) {
		str_copy(name, w->ups.state.cmds[i], sizeof(name));
		query(w, "GET", "CMDDESC", "drv", name, NULL);
	}
	query(w, "GET", "NUMLOGINS", "drv", NULL);
	query(w, "GET", "UPSDESC", "drv", NULL);
	for (i = 0; i < sizeof(fuzz_ids) / sizeof(fuzz_ids[0]); i++)
		query(w, "GET", "TRACKING", fuzz_ids[i], NULL);
	w->serve = 0;
	sc_check_tree(&w->ups.state, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_world w;
	size_t off, chunk, n, i, nchunks = 0;
	uint8_t mode;
	int peer;

	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	if (!loop)
		fuzz_setup();
	mode = data[0];
	data++;
	size--;
	world_init(&w);
	cur = &w;
	for (i = 0; i < sizeof(fuzz_ids) / sizeof(fuzz_ids[0]); i++)
		tracking_add(&w.d, fuzz_ids[i]);
	if (driverlink_connect(&w.ups) < 0)
		abort();
	peer = accept(listen_fd, NULL, NULL);
	if (peer < 0)
		abort();
	drain(peer);
	chunk = (mode & 0x7f) ? (mode & 0x7f) : size;
	if (chunk < size / 256)
		chunk = size / 256;     /* at most ~256 writes: syscalls dominate otherwise */
	for (off = 0; off < size && w.ups.fd >= 0; off += n) {
		n = size - off < chunk ? size - off : chunk;
		if (send(peer, data + off, n, MSG_NOSIGNAL) != (ssize_t)n)
			abort();
		upsd_reads(&w);
		if (mode & 0x80)
			driverlink_tick(&w.ups, ev_now_ms(loop) + (off % 7) * 3000);
		drain(peer);
		if (w.ups.fd >= 0 && (++nchunks & 15) == 0)
			sc_check_tree(&w.ups.state, 0);
	}
	if (w.ups.fd >= 0) {
		sc_check_tree(&w.ups.state, 0);
		serve(&w);
		/* the driver goes away: upsd forgets its state */
		close(peer);
		peer = -1;
		upsd_reads(&w);
	}
	/* connected or not, once the link is down upsd holds nothing of the driver */
	if (w.ups.fd >= 0 || w.ups.state.nvars != 0 || w.ups.state.ncmds != 0)
		abort();
	if (peer >= 0)
		close(peer);
	driverlink_free(&w.ups);
	tracking_free(&w.d);
	desc_free(&w.d);
	cur = NULL;
	return 0;
}
