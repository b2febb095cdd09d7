/*
 * sim-transport: the simulator behind the hidtransport interface. It holds
 * a device model (simmodel.c) inside the driver process, advances it on a
 * timer of the driver's event loop, signals queued interrupt reports
 * through an eventfd, and serves a control socket so that tests, the demo
 * and upssim can act on the device from outside:
 *
 *   cut-mains | restore-mains      mains lost / back
 *   set PATH VALUE | get PATH      a value by HID path
 *   set-rate DISCHARGE [CHARGE]    battery change in % per second
 *   unplug | replug                every transfer fails with "no device" / works again
 *   garbage [N]                    the next N answers and interrupt reports are junk
 *   interrupt HH HH ...            send these bytes as an interrupt report
 *   status | dump | help
 *
 * Each request is one line; the reply is zero or more lines and then
 * "OK" or "ERR <why>".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "hidtransport.h"
#include "log.h"
#include "pconf.h"
#include "simmodel.h"
#include "sock.h"
#include "util.h"

#define SIM_TICK_MS 200
#define SIM_CTL_MAXLINE 4096

struct sim_client;

struct sim_tr {
	struct sim_model *m;
	struct ev_loop *loop;
	int efd;
	long timer;
	int plugged;
	int garbage;                /* junk answers still to give */
	uint32_t rng;
	int ctl_fd;
	char *ctlpath;
	struct sim_client *clients;
};

struct sim_client {
	int fd;
	struct pconf pc;
	struct sim_tr *s;
	struct sim_client *next;
};

static uint32_t rnd(struct sim_tr *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 17;
	s->rng ^= s->rng << 5;
	return s->rng;
}

/* wake the driver when interrupt reports wait (only while plugged in) */
static void signal_pending(struct sim_tr *s)
{
	uint64_t one = 1;

	if (s->plugged && sim_model_pending(s->m) > 0 && write(s->efd, &one, sizeof(one)) < 0)
		log_debug(3, "simulator: eventfd write: %s", strerror(errno));
}

static void drain_efd(struct sim_tr *s)
{
	uint64_t n;

	while (read(s->efd, &n, sizeof(n)) > 0)
		;
}

static void tick_cb(struct ev_loop *loop, long id, void *arg)
{
	struct sim_tr *s = arg;

	(void)id;
	sim_model_tick(s->m, ev_clock_ms());
	signal_pending(s);
	s->timer = ev_timer(loop, SIM_TICK_MS, tick_cb, s);
}

/* ------------------------------------------------------------ transport ops */

static int sim_open(struct hid_transport *t)
{
	struct sim_tr *s = t->priv;
	uint8_t imfr, iprod, iser;

	if (!s->plugged)
		return HT_ERR_NODEV;
	memset(&t->info, 0, sizeof(t->info));
	sim_model_ids(s->m, &t->info.vendorid, &t->info.productid, &t->info.bcd_device,
		&imfr, &iprod, &iser);
	t->info.i_manufacturer = imfr;
	t->info.i_product = iprod;
	t->info.i_serial = iser;
	if (sim_model_get_string(s->m, imfr, t->info.vendor, sizeof(t->info.vendor)) < 0)
		t->info.vendor[0] = '\0';
	if (sim_model_get_string(s->m, iprod, t->info.product, sizeof(t->info.product)) < 0)
		t->info.product[0] = '\0';
	if (sim_model_get_string(s->m, iser, t->info.serial, sizeof(t->info.serial)) < 0)
		t->info.serial[0] = '\0';
	str_copy(t->info.bus, "001", sizeof(t->info.bus));
	str_copy(t->info.device, "002", sizeof(t->info.device));
	str_copy(t->info.busport, "1", sizeof(t->info.busport));
	t->is_open = 1;
	signal_pending(s);
	return 0;
}

static void sim_close(struct hid_transport *t)
{
	t->is_open = 0;
}

/* random bytes, the length random in 1..max */
static int junk(struct sim_tr *s, uint8_t *buf, size_t max)
{
	size_t n = max ? 1 + rnd(s) % max : 0, i;

	for (i = 0; i < n; i++)
		buf[i] = (uint8_t)rnd(s);
	return (int)n;
}

static int sim_get_descriptor(struct hid_transport *t, uint8_t *buf, size_t len)
{
	struct sim_tr *s = t->priv;
	const uint8_t *d;
	size_t n;

	if (!s->plugged)
		return HT_ERR_NODEV;
	d = sim_model_descriptor(s->m, &n);
	if (n > len)
		n = len;
	memcpy(buf, d, n);
	return (int)n;
}

static int sim_get_report(struct hid_transport *t, uint8_t id, enum hid_rtype type,
	uint8_t *buf, size_t len)
{
	struct sim_tr *s = t->priv;
	int n;

	if (!s->plugged)
		return HT_ERR_NODEV;
	sim_model_tick(s->m, ev_clock_ms());
	if (s->garbage > 0) {
		s->garbage--;
		return junk(s, buf, len < 8 ? len : 8);
	}
	n = sim_model_get_report(s->m, id, type, buf, len);
	return n < 0 ? HT_ERR_PIPE : n;
}

static int sim_set_report(struct hid_transport *t, enum hid_rtype type, const uint8_t *buf, size_t len)
{
	struct sim_tr *s = t->priv;
	int n;

	if (!s->plugged)
		return HT_ERR_NODEV;
	sim_model_tick(s->m, ev_clock_ms());
	n = sim_model_set_report(s->m, type, buf, len);
	signal_pending(s);
	return n < 0 ? HT_ERR_PIPE : n;
}

static int sim_read_interrupt(struct hid_transport *t, uint8_t *buf, size_t len, int timeout_ms)
{
	struct sim_tr *s = t->priv;
	int n;

	(void)timeout_ms;   /* the model never makes the host wait */
	if (!s->plugged)
		return HT_ERR_NODEV;
	n = sim_model_pop_interrupt(s->m, buf, len);
	if (sim_model_pending(s->m) == 0)
		drain_efd(s);
	return n;
}

static int sim_get_string(struct hid_transport *t, int index, char *buf, size_t len)
{
	struct sim_tr *s = t->priv;
	int n;

	if (!s->plugged)
		return HT_ERR_NODEV;
	n = sim_model_get_string(s->m, index, buf, len);
	return n < 0 ? HT_ERR_PIPE : n;
}

static int sim_event_fd(struct hid_transport *t)
{
	struct sim_tr *s = t->priv;

	return s->efd;
}

static void client_free(struct sim_client *c)
{
	struct sim_client **pp;

	for (pp = &c->s->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	ev_del(c->s->loop, c->fd);
	close(c->fd);
	pconf_free(&c->pc);
	free(c);
}

static void sim_destroy(struct hid_transport *t)
{
	struct sim_tr *s = t->priv;

	while (s->clients)
		client_free(s->clients);
	if (s->ctl_fd >= 0) {
		ev_del(s->loop, s->ctl_fd);
		close(s->ctl_fd);
		unlink(s->ctlpath);
	}
	if (s->timer > 0)
		ev_timer_cancel(s->loop, s->timer);
	close(s->efd);
	sim_model_free(s->m);
	free(s->ctlpath);
	free(s);
	free(t);
}

static const struct ht_ops sim_ops = {
	.name = "simulator",
	.open = sim_open,
	.close = sim_close,
	.get_descriptor = sim_get_descriptor,
	.get_report = sim_get_report,
	.set_report = sim_set_report,
	.read_interrupt = sim_read_interrupt,
	.get_string = sim_get_string,
	.event_fd = sim_event_fd,
	.destroy = sim_destroy,
};

/* ------------------------------------------------------------ control socket */

static int ctl_number(const char *s, double *out)
{
	char *end;

	*out = strtod(s, &end);
	return *s && !*end ? 0 : -1;
}

static void ctl_garbage(struct sim_tr *s, int n)
{
	uint8_t buf[16];
	int i;

	s->garbage += n;
	for (i = 0; i < n; i++) {
		sim_model_push_raw(s->m, buf, (size_t)junk(s, buf, sizeof(buf)));
		buf[0] = 0x06;   /* a known ID, cut short */
		sim_model_push_raw(s->m, buf, 2);
	}
}

static void ctl_set(struct sim_tr *s, int argc, char **argv, struct buf *out)
{
	double v;

	if (argc != 3 || ctl_number(argv[2], &v) < 0)
		buf_puts(out, "ERR usage: set PATH NUMBER\n");
	else if (sim_model_set(s->m, argv[1], v) < 0)
		buf_printf(out, "ERR no such path: %s\n", argv[1]);
	else
		buf_puts(out, "OK\n");
}

static void ctl_get(struct sim_tr *s, int argc, char **argv, struct buf *out)
{
	double v;

	sim_model_tick(s->m, ev_clock_ms());
	if (argc != 2)
		buf_puts(out, "ERR usage: get PATH\n");
	else if (sim_model_get(s->m, argv[1], &v) < 0)
		buf_printf(out, "ERR no such path: %s\n", argv[1]);
	else
		buf_printf(out, "%g\nOK\n", v);
}

static void ctl_rate(struct sim_tr *s, int argc, char **argv, struct buf *out)
{
	double d, c = -1;

	if (argc < 2 || argc > 3 || ctl_number(argv[1], &d) < 0 || d < 0 ||
	    (argc == 3 && (ctl_number(argv[2], &c) < 0 || c < 0))) {
		buf_puts(out, "ERR usage: set-rate DISCHARGE [CHARGE] (% per second)\n");
		return;
	}
	sim_model_tick(s->m, ev_clock_ms());
	sim_model_set_rates(s->m, d, c);
	buf_puts(out, "OK\n");
}

static void ctl_plug(struct sim_tr *s, int in, struct buf *out)
{
	uint8_t junkbuf[SIM_CTL_MAXLINE];

	s->plugged = in;
	while (sim_model_pop_interrupt(s->m, junkbuf, sizeof(junkbuf)) > 0)
		;   /* reports of the unplugged time are lost */
	drain_efd(s);
	log_info("simulator: device %s", in ? "plugged in" : "unplugged");
	buf_puts(out, "OK\n");
}

/* raw bytes sent to the host as one interrupt report, the model unchanged */
static void ctl_interrupt(struct sim_tr *s, int argc, char **argv, struct buf *out)
{
	uint8_t bytes[256];
	char *end;
	long b;
	int i;

	if (argc - 1 > (int)sizeof(bytes)) {
		buf_puts(out, "ERR too many bytes\n");
		return;
	}
	for (i = 1; i < argc; i++) {
		b = strtol(argv[i], &end, 16);
		if (*end || end == argv[i] || b < 0 || b > 255) {
			buf_printf(out, "ERR not a hex byte: %s\n", argv[i]);
			return;
		}
		bytes[i - 1] = (uint8_t)b;
	}
	sim_model_push_raw(s->m, bytes, (size_t)(argc - 1));
	buf_puts(out, "OK\n");
}

static void ctl_help(struct buf *out)
{
	buf_puts(out, "cut-mains | restore-mains\nset PATH VALUE | get PATH\n"
		"set-rate DISCHARGE [CHARGE]\nunplug | replug\ngarbage [N]\n"
		"interrupt HH HH ... (raw interrupt report, ID first)\n"
		"status | dump | help\nOK\n");
}

static void ctl_line(struct sim_tr *s, int argc, char **argv, struct buf *out)
{
	long n = 1;

	if (strcasecmp(argv[0], "cut-mains") == 0 && argc == 1) {
		sim_model_tick(s->m, ev_clock_ms());
		sim_model_set_mains(s->m, 0);
		buf_puts(out, "OK\n");
	} else if (strcasecmp(argv[0], "restore-mains") == 0 && argc == 1) {
		sim_model_tick(s->m, ev_clock_ms());
		sim_model_set_mains(s->m, 1);
		buf_puts(out, "OK\n");
	} else if (strcasecmp(argv[0], "set") == 0) {
		ctl_set(s, argc, argv, out);
	} else if (strcasecmp(argv[0], "get") == 0) {
		ctl_get(s, argc, argv, out);
	} else if (strcasecmp(argv[0], "set-rate") == 0) {
		ctl_rate(s, argc, argv, out);
	} else if (strcasecmp(argv[0], "unplug") == 0 && argc == 1) {
		ctl_plug(s, 0, out);
	} else if (strcasecmp(argv[0], "replug") == 0 && argc == 1) {
		ctl_plug(s, 1, out);
	} else if (strcasecmp(argv[0], "garbage") == 0 && argc <= 2) {
		if (argc == 2 && parse_long(argv[1], 1, 1000, &n) < 0) {
			buf_puts(out, "ERR usage: garbage [N] (1..1000)\n");
			return;
		}
		ctl_garbage(s, (int)n);
		buf_puts(out, "OK\n");
	} else if (strcasecmp(argv[0], "interrupt") == 0 && argc >= 2) {
		ctl_interrupt(s, argc, argv, out);
	} else if (strcasecmp(argv[0], "status") == 0 && argc == 1) {
		sim_model_tick(s->m, ev_clock_ms());
		buf_printf(out, "plugged: %s\n", s->plugged ? "yes" : "no");
		sim_model_status(s->m, out);
		buf_puts(out, "OK\n");
	} else if (strcasecmp(argv[0], "dump") == 0 && argc == 1) {
		sim_model_tick(s->m, ev_clock_ms());
		sim_model_dump(s->m, out);
		buf_puts(out, "OK\n");
	} else if (strcasecmp(argv[0], "help") == 0) {
		ctl_help(out);
	} else {
		buf_printf(out, "ERR unknown command '%s' (try help)\n", argv[0]);
	}
	signal_pending(s);
}

static void client_cb(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct sim_client *c = arg;
	char data[1024];
	struct buf out;
	size_t off, used;
	ssize_t n;
	enum pconf_result r;

	(void)loop;
	(void)events;
	n = recv(fd, data, sizeof(data), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_free(c);
		return;
	}
	buf_init(&out, 1024 * 1024);
	for (off = 0; off < (size_t)n; off += used) {
		r = pconf_feed(&c->pc, data + off, (size_t)n - off, &used);
		if (r == PCONF_LINE && c->pc.argc > 0)
			ctl_line(c->s, c->pc.argc, c->pc.argv, &out);
		else if (r == PCONF_ERROR)
			buf_printf(&out, "ERR %s\n", c->pc.errmsg);
		if (used == 0)
			break;
	}
	if (out.len && sock_write_all(fd, out.data, out.len, 2000) < 0) {
		buf_free(&out);
		client_free(c);
		return;
	}
	buf_free(&out);
}

static void accept_cb(struct ev_loop *loop, int fd, int events, void *arg)
{
	struct sim_tr *s = arg;
	struct sim_client *c;
	int cfd;

	(void)events;
	while ((cfd = sock_accept(fd)) >= 0) {
		c = xcalloc(1, sizeof(*c));
		c->fd = cfd;
		c->s = s;
		pconf_init(&c->pc);
		if (ev_add(loop, cfd, EV_READ, client_cb, c) < 0) {
			close(cfd);
			pconf_free(&c->pc);
			free(c);
			continue;
		}
		c->next = s->clients;
		s->clients = c;
	}
}

static int ctl_listen(struct sim_tr *s, const char *path, char *err, size_t errlen)
{
	char why[256];

	s->ctl_fd = sock_listen_unix(path, 0660, 8, why, sizeof(why));
	if (s->ctl_fd < 0) {
		snprintf(err, errlen, "simulator control socket: %s", why);
		return -1;
	}
	if (ev_add(s->loop, s->ctl_fd, EV_READ, accept_cb, s) < 0) {
		snprintf(err, errlen, "simulator control socket: cannot watch %s", path);
		close(s->ctl_fd);
		s->ctl_fd = -1;
		return -1;
	}
	s->ctlpath = xstrdup(path);
	return 0;
}

struct hid_transport *ht_sim_new(const char *model, struct ev_loop *loop,
	const char *ctlpath, char *err, size_t errlen)
{
	struct hid_transport *t;
	struct sim_tr *s;
	struct sim_model *m;

	m = sim_model_new(model, ev_clock_ms(), err, errlen);
	if (!m)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->m = m;
	s->loop = loop;
	s->plugged = 1;
	s->ctl_fd = -1;
	s->rng = (uint32_t)ev_clock_ms() | 1u;
	s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->efd < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		sim_model_free(m);
		free(s);
		return NULL;
	}
	t = xcalloc(1, sizeof(*t));
	t->ops = &sim_ops;
	t->priv = s;
	if (ctlpath && ctl_listen(s, ctlpath, err, errlen) < 0) {
		sim_destroy(t);
		return NULL;
	}
	s->timer = ev_timer(loop, SIM_TICK_MS, tick_cb, s);
	return t;
}
