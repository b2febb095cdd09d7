/*
 * driverlink.c: upsd as a client of each driver's Unix socket.
 * Connect, DUMPALL, apply state messages, DUMPDONE / DATAOK / DATASTALE,
 * PING on silence, reconnect when the driver goes away.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "driverlink.h"
#include "log.h"
#include "sock.h"
#include "tracking.h"
#include "util.h"

#define DRV_OUTMAX     (64 * 1024)
#define DRV_CHUNK      4096
#define RECONNECT_MS   2000

static void drv_set_write(struct upsd_ups *ups, int want)
{
	if (ups->wantwrite == want || ups->fd < 0)
		return;
	ups->wantwrite = want;
	ev_mod(ups->upsd->ev, ups->fd, want ? (EV_READ | EV_WRITE) : EV_READ);
}

void driverlink_init(struct upsd_ups *ups)
{
	ups->fd = -1;
	ups->connected = 0;
	st_init(&ups->state);
	pconf_init(&ups->parser);
	buf_init(&ups->out, DRV_OUTMAX);
}

static void drv_reset(struct upsd_ups *ups)
{
	st_clear(&ups->state);
	pconf_reset(&ups->parser);
	buf_clear(&ups->out);
	ups->dumpdone = 0;
	ups->driver_stale = 0;
	ups->stale = 0;
	ups->wantwrite = 0;
	ups->badnames = 0;
}

void driverlink_disconnect(struct upsd_ups *ups)
{
	if (ups->fd < 0)
		return;
	if (ups->badnames > 1)
		log_warnx("UPS [%s]: %lu more message(s) with an invalid name refused",
			ups->name, ups->badnames - 1);
	ev_del(ups->upsd->ev, ups->fd);
	close(ups->fd);
	ups->fd = -1;
	ups->connected = 0;
	drv_reset(ups);
	ups->logged_gone = 0;
}

static int drv_flush(struct upsd_ups *ups)
{
	while (ups->fd >= 0 && ups->out.len > 0) {
		ssize_t n = send(ups->fd, ups->out.data, ups->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			buf_consume(&ups->out, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			drv_set_write(ups, 1);
			return 0;
		}
		log_warnx("Write to the driver of UPS [%s] failed: %s", ups->name, strerror(errno));
		driverlink_disconnect(ups);
		return -1;
	}
	drv_set_write(ups, 0);
	return 0;
}

int driverlink_send(struct upsd_ups *ups, const char *line)
{
	if (ups->fd < 0)
		return -1;
	if (buf_puts(&ups->out, line) < 0 || buf_append(&ups->out, "\n", 1) < 0) {
		log_warnx("Output to the driver of UPS [%s] is backed up: disconnecting", ups->name);
		driverlink_disconnect(ups);
		return -1;
	}
	log_debug(3, "UPS [%s]: sent to driver: %s", ups->name, line);
	return drv_flush(ups);
}

static void drv_tracking(struct upsd_ups *ups, int argc, char **argv)
{
	long result;

	if (argc < 3 || parse_long(argv[2], INT_MIN, INT_MAX, &result) < 0) {
		log_debug(1, "UPS [%s]: malformed TRACKING message", ups->name);
		return;
	}
	log_debug(2, "tracking ID: %s\tresult: %ld", argv[1], result);
	tracking_result(ups->upsd, argv[1], (int)result);
}

/* NUT names (variables, commands) are one word of [A-Za-z0-9._-] */
static int drv_name_ok(const char *name)
{
	const char *p;

	if (!*name)
		return 0;
	for (p = name; *p; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && !strchr("._-", *p))
			return 0;
	return 1;
}

/*
 * A name with a space or a quote would be stored, then listed unquoted
 * ("VAR ups a b ...") and misread by every client: never store it. The
 * first one is logged; the others are counted (driverlink_disconnect).
 */
static int drv_refuse_name(struct upsd_ups *ups, int argc, char **argv)
{
	char shown[65];
	size_t i;

	if (argc < 2 || !st_is_msg(argv[0]) || drv_name_ok(argv[1]))
		return 0;
	if (ups->badnames++ > 0)
		return 1;
	/* the name goes to the log: no control bytes, bounded */
	for (i = 0; argv[1][i] && i < sizeof(shown) - 1; i++)
		shown[i] = (argv[1][i] >= 0x20 && argv[1][i] < 0x7f) ? argv[1][i] : '?';
	shown[i] = '\0';
	log_warnx("UPS [%s]: driver sent %s with an invalid name \"%s\": refused "
		"(a name is one word of letters, digits, '.', '_', '-')",
		ups->name, argv[0], shown);
	return 1;
}

/* one message from the driver; returns 1 if it counts as news */
static int drv_line(struct upsd_ups *ups, int argc, char **argv)
{
	const char *kw = argv[0];
	int r;

	if (!strcasecmp(kw, "DATAOK")) {
		ups->driver_stale = 0;
	} else if (!strcasecmp(kw, "DATASTALE")) {
		ups->driver_stale = 1;
	} else if (!strcasecmp(kw, "DUMPDONE")) {
		if (!ups->dumpdone)
			log_debug(1, "UPS [%s]: dump complete", ups->name);
		ups->dumpdone = 1;
	} else if (!strcasecmp(kw, "PONG") || !strcasecmp(kw, "PID") || !strcasecmp(kw, "OK")) {
		/* liveness only */
	} else if (!strcasecmp(kw, "TRACKING")) {
		if (argc < 3)
			return 0;
		drv_tracking(ups, argc, argv);
	} else {
		if (drv_refuse_name(ups, argc, argv))
			return 0;
		r = st_apply(&ups->state, argc, argv);
		if (r <= 0) {
			log_debug(2, "UPS [%s]: %s message from driver: %s",
				ups->name, r < 0 ? "malformed" : "unknown", kw);
			return 0;
		}
	}
	return 1;
}

static void drv_feed(struct upsd_ups *ups, const char *data, size_t len)
{
	size_t off = 0;

	while (off < len && ups->fd >= 0) {
		size_t used = 0;
		enum pconf_result r = pconf_feed(&ups->parser, data + off, len - off, &used);

		off += used;
		if (r == PCONF_LINE) {
			if (ups->parser.argc > 0 && drv_line(ups, ups->parser.argc, ups->parser.argv))
				ups->last_heard_ms = ev_now_ms(ups->upsd->ev);
		} else if (r == PCONF_ERROR) {
			log_debug(1, "UPS [%s]: parse error from driver: %s", ups->name, ups->parser.errmsg);
		} else if (used == 0) {
			break;
		}
	}
}

static void drv_read(struct upsd_ups *ups)
{
	char chunk[DRV_CHUNK];
	ssize_t n = recv(ups->fd, chunk, sizeof(chunk), MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		log_warnx("Lost connection to the driver of UPS [%s]%s%s", ups->name,
			n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
		driverlink_disconnect(ups);
		return;
	}
	drv_feed(ups, chunk, (size_t)n);
}

static void drv_io_cb(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct upsd_ups *ups = arg;

	(void)loop;
	(void)fd;
	if ((events & EV_WRITE) && drv_flush(ups) < 0)
		return;
	if (ups->fd >= 0 && (events & (EV_READ | EV_ERROR)))
		drv_read(ups);
}

int driverlink_connect(struct upsd_ups *ups)
{
	struct upsd *d = ups->upsd;
	char err[256];
	int fd;

	if (ups->fd >= 0)
		return 0;
	ups->last_attempt_ms = ev_now_ms(d->ev);
	/* a hung driver with a full queue must not stop the loop: fail now, retry later */
	fd = sock_connect_unix_nb(ups->sockpath, err, sizeof(err));
	if (fd < 0) {
		if (!ups->logged_gone)
			log_warnx("Can't connect to UPS [%s] (%s-%s): %s",
				ups->name, ups->driver, ups->name, err);
		ups->logged_gone = 1;
		return -1;
	}
	if (ev_add(d->ev, fd, EV_READ, drv_io_cb, ups) < 0) {
		log_warn("UPS [%s]: can't set up the driver socket", ups->name);
		close(fd);
		return -1;
	}
	ups->fd = fd;
	ups->connected = 1;
	drv_reset(ups);
	ups->last_heard_ms = ups->last_ping_ms = ev_now_ms(d->ev);
	st_set(&ups->state, "ups.status", "WAIT");
	ups->logged_gone = 0;
	log_info("Connected to UPS [%s]: %s-%s", ups->name, ups->driver, ups->name);
	return driverlink_send(ups, "DUMPALL");
}

static void drv_log_stale(struct upsd_ups *ups)
{
	int stale = ups_available(ups) != NULL;

	if (!ups->dumpdone)
		return;
	if (stale && !ups->stale)
		log_warnx("Data for UPS [%s] is stale - check driver", ups->name);
	else if (!stale && ups->stale)
		log_notice("UPS [%s] data is no longer stale", ups->name);
	ups->stale = stale;
}

void driverlink_tick(struct upsd_ups *ups, uint64_t now_ms)
{
	uint64_t third = (uint64_t)(ups->upsd->maxage / 3) * 1000;

	if (ups->fd < 0) {
		if (now_ms - ups->last_attempt_ms >= RECONNECT_MS || now_ms < ups->last_attempt_ms)
			driverlink_connect(ups);
		return;
	}
	if (now_ms - ups->last_heard_ms > third && now_ms - ups->last_ping_ms > third) {
		ups->last_ping_ms = now_ms;
		if (driverlink_send(ups, "PING") < 0)
			return;
	}
	drv_log_stale(ups);
}

void driverlink_free(struct upsd_ups *ups)
{
	driverlink_disconnect(ups);
	st_clear(&ups->state);
	pconf_free(&ups->parser);
	buf_free(&ups->out);
}
