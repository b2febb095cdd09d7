/*
 * upsemu: a USB HID UPS for qemu's usb-redir device. It plays the usbredir
 * "usb-host" side (the role usbredirserver plays for a real device) on a
 * unix socket that qemu connects to, and serves the device model of the
 * driver's simulator (drivers/simmodel.c: the synthetic Ellipse ECO 650
 * descriptor from hiddesc.c and the captured report values) as a
 * full-speed HID device 0463:ffff with one interrupt IN endpoint.
 *
 * Commands, one a line, arrive on a FIFO (the guest's /dev/ttyS1 is wired
 * to it, the host may write to it as well):
 *   mains 0|1              mains lost / back
 *   set HID.PATH VALUE     a value of the model
 *   disconnect | connect   hot-unplug / replug
 *   mark TEXT              write "MARK TEXT" to the log
 *   quit
 * The log (-l, else stderr) has a line per SET_REPORT with its bytes and
 * decoded fields, per interrupt report sent, per connect/disconnect and
 * per command; -v adds every control request.
 *
 * Interrupt reports: qemu buffers what the host sends only between its
 * start_interrupt_receiving and stop_interrupt_receiving (on xHCI a stop
 * comes with every cancelled URB, and drops the buffer). So reports are
 * sent on change only, while receiving is on, one per report ID (the
 * latest state) and PACE_MS apart.
 *
 * A test tool: built by tests/usbemu/setup.sh, not installed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <usbredirparser.h>

#include "hid.h"
#include "simmodel.h"

#define EP_IN 0x81
#define EP_MAXPACKET 64
#define EP_INTERVAL 10
#define PACE_MS 100
#define MAX_IDS 256

struct emu {
	struct usbredirparser *p;
	struct sim_model *m;
	int listen_fd, fd, fifo_fd;
	FILE *log;
	int verbose;
	int hello;                  /* the peer's hello arrived */
	int plugged;
	int receiving;              /* qemu wants interrupt data */
	uint8_t config;
	uint64_t last_sent_ms;
	/* reports waiting for a receive window: latest bytes per id, FIFO order */
	uint8_t pend[MAX_IDS][64];
	int pend_len[MAX_IDS];
	uint8_t order[MAX_IDS];
	int norder;
	char line[1024];
	size_t linelen;
	uint64_t t0;
	int quit;
};

static volatile sig_atomic_t stop_flag;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void elog(struct emu *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void elog(struct emu *e, const char *fmt, ...)
{
	va_list ap;

	fprintf(e->log, "[%8.3f] ", (double)(now_ms() - e->t0) / 1000.0);
	va_start(ap, fmt);
	vfprintf(e->log, fmt, ap);
	va_end(ap);
	fputc('\n', e->log);
	fflush(e->log);
}

static void hexdump(char *out, size_t outlen, const uint8_t *b, int n)
{
	size_t used = 0;
	int i;

	out[0] = '\0';
	for (i = 0; i < n && used + 4 < outlen; i++)
		used += (size_t)snprintf(out + used, outlen - used, "%s%02x", i ? " " : "", b[i]);
}

/* ------------------------------------------------------------ descriptors */

static int device_descriptor(struct emu *e, uint8_t *d)
{
	uint16_t vid, pid, bcd;
	uint8_t imfr, iprod, iser;

	sim_model_ids(e->m, &vid, &pid, &bcd, &imfr, &iprod, &iser);
	memset(d, 0, 18);
	d[0] = 18; d[1] = 1;
	d[2] = 0x10; d[3] = 0x01;            /* USB 1.10 */
	d[7] = 8;                            /* bMaxPacketSize0 */
	d[8] = vid & 0xff; d[9] = vid >> 8;
	d[10] = pid & 0xff; d[11] = pid >> 8;
	d[12] = bcd & 0xff; d[13] = bcd >> 8;
	d[14] = imfr; d[15] = iprod; d[16] = iser;
	d[17] = 1;                           /* one configuration */
	return 18;
}

static int hid_descriptor(struct emu *e, uint8_t *d)
{
	size_t len;

	sim_model_descriptor(e->m, &len);
	d[0] = 9; d[1] = 0x21;
	d[2] = 0x10; d[3] = 0x01;            /* HID 1.10 */
	d[4] = 0x21;                         /* country code, as the real unit */
	d[5] = 1;                            /* one class descriptor: the report descriptor */
	d[6] = 0x22;
	d[7] = len & 0xff; d[8] = (uint8_t)(len >> 8);
	return 9;
}

static int config_descriptor(struct emu *e, uint8_t *d)
{
	static const uint8_t head[18] = {
		9, 2, 34, 0, 1, 1, 0, 0xa0, 50,      /* 1 interface, config 1, bus powered + wakeup, 100 mA */
		9, 4, 0, 0, 1, 3, 0, 0, 0,           /* interface 0: HID, no boot protocol, 1 endpoint */
	};

	memcpy(d, head, sizeof(head));
	hid_descriptor(e, d + 18);
	d[27] = 7; d[28] = 5; d[29] = EP_IN; d[30] = 3;   /* interrupt IN */
	d[31] = EP_MAXPACKET; d[32] = 0; d[33] = EP_INTERVAL;
	return 34;
}

static int string_descriptor(struct emu *e, int index, uint8_t *d, int cap)
{
	char text[128];
	int n, i;

	if (index == 0) {
		d[0] = 4; d[1] = 3; d[2] = 0x09; d[3] = 0x04;   /* English (US) */
		return 4;
	}
	n = sim_model_get_string(e->m, index, text, sizeof(text));
	if (n < 0)
		return -1;
	if (2 + 2 * n > cap)
		n = (cap - 2) / 2;
	d[0] = (uint8_t)(2 + 2 * n); d[1] = 3;
	for (i = 0; i < n; i++) {
		d[2 + 2 * i] = (uint8_t)text[i];
		d[3 + 2 * i] = 0;
	}
	return 2 + 2 * n;
}

/* ------------------------------------------------------------ usbredir sends */

static void send_ep_info(struct emu *e)
{
	struct usb_redir_ep_info_header ep;
	struct usb_redir_interface_info_header ifc;
	int i;

	memset(&ep, 0, sizeof(ep));
	for (i = 0; i < 32; i++)
		ep.type[i] = usb_redir_type_invalid;
	/* index = (direction bit >> 3) | number: EP0 OUT 0, EP0 IN 16, 0x81 17 */
	ep.type[0] = ep.type[16] = usb_redir_type_control;
	ep.max_packet_size[0] = ep.max_packet_size[16] = 8;
	ep.type[17] = usb_redir_type_interrupt;
	ep.interval[17] = EP_INTERVAL;
	ep.max_packet_size[17] = EP_MAXPACKET;
	usbredirparser_send_ep_info(e->p, &ep);
	memset(&ifc, 0, sizeof(ifc));
	ifc.interface_count = 1;
	ifc.interface_class[0] = 3;
	usbredirparser_send_interface_info(e->p, &ifc);
}

static void send_connect(struct emu *e)
{
	struct usb_redir_device_connect_header c;
	uint16_t vid, pid, bcd;
	uint8_t a, b, d;

	sim_model_ids(e->m, &vid, &pid, &bcd, &a, &b, &d);
	send_ep_info(e);
	memset(&c, 0, sizeof(c));
	c.speed = usb_redir_speed_full;
	c.vendor_id = vid;
	c.product_id = pid;
	c.device_version_bcd = bcd;
	usbredirparser_send_device_connect(e->p, &c);
	e->config = 0;
	elog(e, "CONNECT %04x:%04x", vid, pid);
}

/* ------------------------------------------------------------ control requests */

static int standard_request(struct emu *e, const struct usb_redir_control_packet_header *h,
	uint8_t *out, int cap)
{
	uint8_t type = h->value >> 8;

	switch (h->request) {
	case 0x06:   /* GET_DESCRIPTOR */
		if (type == 1)
			return device_descriptor(e, out);
		if (type == 2)
			return config_descriptor(e, out);
		if (type == 3)
			return string_descriptor(e, h->value & 0xff, out, cap);
		if (type == 0x21)
			return hid_descriptor(e, out);
		if (type == 0x22) {
			size_t len;
			const uint8_t *d = sim_model_descriptor(e->m, &len);

			memcpy(out, d, len < (size_t)cap ? len : (size_t)cap);
			return (int)len;
		}
		return -1;
	case 0x00:   /* GET_STATUS */
		out[0] = out[1] = 0;
		return 2;
	case 0x08:   /* GET_CONFIGURATION */
		out[0] = e->config;
		return 1;
	case 0x0a:   /* GET_INTERFACE */
		out[0] = 0;
		return 1;
	case 0x01: case 0x03: case 0x05: case 0x09: case 0x0b:
		return 0;   /* CLEAR/SET_FEATURE, SET_ADDRESS, SET_CONFIGURATION, SET_INTERFACE */
	}
	return -1;
}

static void log_set_report(struct emu *e, int type, const uint8_t *data, int len)
{
	const struct hid_desc *d = sim_model_desc(e->m);
	char hex[512], fields[1024], path[256];
	size_t used = 0, i;
	double v;

	fields[0] = '\0';
	for (i = 0; d && len > 0 && i < d->nfields; i++) {
		const struct hid_field *f = &d->fields[i];

		if (f->report_id != data[0] || f->type == HID_INPUT)
			continue;
		if (hid_get_value(f, data, (size_t)len, &v) < 0 ||
		    hid_path_format(&f->path, path, sizeof(path)) < 0)
			continue;
		used += (size_t)snprintf(fields + used, sizeof(fields) - used, " %s=%g", path, v);
		if (used >= sizeof(fields))
			break;
	}
	hexdump(hex, sizeof(hex), data, len);
	elog(e, "SET_REPORT %s 0x%02x: %s |%s", type == HID_OUTPUT ? "output" : "feature",
		len > 0 ? data[0] : 0, hex, fields);
}

static int class_request(struct emu *e, const struct usb_redir_control_packet_header *h,
	const uint8_t *data, int dlen, uint8_t *out, int cap)
{
	int type = h->value >> 8, n;

	switch (h->request) {
	case 0x01:   /* GET_REPORT */
		if (type < 1 || type > 3)
			return -1;
		return sim_model_get_report(e->m, h->value & 0xff, (enum hid_rtype)type, out, (size_t)cap);
	case 0x09:   /* SET_REPORT */
		if (dlen < 1 || type < 2 || type > 3)
			return -1;
		log_set_report(e, type, data, dlen);
		n = sim_model_set_report(e->m, (enum hid_rtype)type, data, (size_t)dlen);
		return n < 0 ? -1 : 0;
	case 0x02:   /* GET_IDLE */
		out[0] = 0;
		return 1;
	case 0x03:   /* GET_PROTOCOL */
		out[0] = 1;
		return 1;
	case 0x0a: case 0x0b:   /* SET_IDLE, SET_PROTOCOL */
		return 0;
	}
	return -1;
}

static void cb_control(void *priv, uint64_t id, struct usb_redir_control_packet_header *h,
	uint8_t *data, int data_len)
{
	struct emu *e = priv;
	struct usb_redir_control_packet_header r = *h;
	uint8_t out[8192];
	int cap = h->length < sizeof(out) ? h->length : (int)sizeof(out), n;
	int in = (h->requesttype & 0x80) != 0;

	sim_model_tick(e->m, now_ms());
	if (((h->requesttype >> 5) & 3) == 0)
		n = standard_request(e, h, out, cap);
	else if (((h->requesttype >> 5) & 3) == 1 && (h->requesttype & 0x1f) == 1)
		n = class_request(e, h, data, data_len, out, cap);
	else
		n = -1;
	if (e->verbose)
		elog(e, "control rt=%02x req=%02x val=%04x idx=%04x len=%u -> %d", h->requesttype,
			h->request, h->value, h->index, h->length, n);
	if (n < 0) {
		r.status = usb_redir_stall;
		r.length = 0;
		usbredirparser_send_control_packet(e->p, id, &r, NULL, 0);
	} else if (in) {
		r.status = usb_redir_success;
		r.length = (uint16_t)(n < cap ? n : cap);
		usbredirparser_send_control_packet(e->p, id, &r, out, r.length);
	} else {
		r.status = usb_redir_success;
		r.length = (uint16_t)data_len;
		usbredirparser_send_control_packet(e->p, id, &r, NULL, 0);
	}
	if (data)
		usbredirparser_free_packet_data(e->p, data);
}

/* ------------------------------------------------------------ other packets */

static void cb_hello(void *priv, struct usb_redir_hello_header *h)
{
	struct emu *e = priv;

	elog(e, "peer hello: %s", h->version);
	e->hello = 1;
	if (e->plugged)
		send_connect(e);
}

static void cb_reset(void *priv)
{
	struct emu *e = priv;

	e->config = 0;
	if (e->verbose)
		elog(e, "reset");
}

static void cb_set_config(void *priv, uint64_t id, struct usb_redir_set_configuration_header *h)
{
	struct emu *e = priv;
	struct usb_redir_configuration_status_header s = { usb_redir_success, h->configuration };

	e->config = h->configuration;
	send_ep_info(e);
	usbredirparser_send_configuration_status(e->p, id, &s);
	if (e->verbose)
		elog(e, "SET_CONFIGURATION %u", h->configuration);
}

static void cb_get_config(void *priv, uint64_t id)
{
	struct emu *e = priv;
	struct usb_redir_configuration_status_header s = { usb_redir_success, e->config };

	usbredirparser_send_configuration_status(e->p, id, &s);
}

static void cb_set_alt(void *priv, uint64_t id, struct usb_redir_set_alt_setting_header *h)
{
	struct emu *e = priv;
	struct usb_redir_alt_setting_status_header s = { usb_redir_success, h->interface, h->alt };

	if (h->interface != 0 || h->alt != 0)
		s.status = usb_redir_inval;
	send_ep_info(e);
	usbredirparser_send_alt_setting_status(e->p, id, &s);
	elog(e, "SET_INTERFACE %u alt %u", h->interface, h->alt);
}

static void cb_get_alt(void *priv, uint64_t id, struct usb_redir_get_alt_setting_header *h)
{
	struct emu *e = priv;
	struct usb_redir_alt_setting_status_header s = { usb_redir_success, h->interface, 0 };

	usbredirparser_send_alt_setting_status(e->p, id, &s);
}

static void cb_start_intr(void *priv, uint64_t id, struct usb_redir_start_interrupt_receiving_header *h)
{
	struct emu *e = priv;
	struct usb_redir_interrupt_receiving_status_header s = { usb_redir_success, h->endpoint };

	if (h->endpoint != EP_IN)
		s.status = usb_redir_inval;
	else
		e->receiving = 1;
	usbredirparser_send_interrupt_receiving_status(e->p, id, &s);
	if (e->verbose)
		elog(e, "start interrupt receiving 0x%02x", h->endpoint);
}

static void cb_stop_intr(void *priv, uint64_t id, struct usb_redir_stop_interrupt_receiving_header *h)
{
	struct emu *e = priv;
	struct usb_redir_interrupt_receiving_status_header s = { usb_redir_success, h->endpoint };

	e->receiving = 0;
	usbredirparser_send_interrupt_receiving_status(e->p, id, &s);
	if (e->verbose)
		elog(e, "stop interrupt receiving 0x%02x", h->endpoint);
}

static void cb_disconnect_ack(void *priv)
{
	elog(priv, "disconnect acknowledged");
}

/* packets a HID device never gets: answered or dropped, never left unhandled */
static void cb_intr_packet(void *priv, uint64_t id, struct usb_redir_interrupt_packet_header *h,
	uint8_t *data, int len)
{
	struct emu *e = priv;

	(void)id;
	(void)h;
	(void)len;
	if (data)
		usbredirparser_free_packet_data(e->p, data);
}

static void cb_bulk_packet(void *priv, uint64_t id, struct usb_redir_bulk_packet_header *h,
	uint8_t *data, int len)
{
	struct emu *e = priv;
	struct usb_redir_bulk_packet_header r = *h;

	(void)len;
	r.status = usb_redir_stall;
	r.length = 0;
	r.length_high = 0;
	usbredirparser_send_bulk_packet(e->p, id, &r, NULL, 0);
	if (data)
		usbredirparser_free_packet_data(e->p, data);
}

static void cb_iso_packet(void *priv, uint64_t id, struct usb_redir_iso_packet_header *h,
	uint8_t *data, int len)
{
	struct emu *e = priv;

	(void)id;
	(void)h;
	(void)len;
	if (data)
		usbredirparser_free_packet_data(e->p, data);
}

static void cb_buffered_bulk(void *priv, uint64_t id, struct usb_redir_buffered_bulk_packet_header *h,
	uint8_t *data, int len)
{
	struct emu *e = priv;

	(void)id;
	(void)h;
	(void)len;
	if (data)
		usbredirparser_free_packet_data(e->p, data);
}

static void cb_filter(void *priv, struct usbredirfilter_rule *rules, int count)
{
	(void)priv;
	(void)count;
	free(rules);
}

static void cb_ignore(void *priv)
{
	(void)priv;
}

static void cb_ignore_id(void *priv, uint64_t id)
{
	(void)priv;
	(void)id;
}

static void cb_start_iso(void *priv, uint64_t id, struct usb_redir_start_iso_stream_header *h)
{
	struct emu *e = priv;
	struct usb_redir_iso_stream_status_header s = { usb_redir_inval, h->endpoint };

	usbredirparser_send_iso_stream_status(e->p, id, &s);
}

static void cb_stop_iso(void *priv, uint64_t id, struct usb_redir_stop_iso_stream_header *h)
{
	struct emu *e = priv;
	struct usb_redir_iso_stream_status_header s = { usb_redir_success, h->endpoint };

	usbredirparser_send_iso_stream_status(e->p, id, &s);
}

static void cb_alloc_streams(void *priv, uint64_t id, struct usb_redir_alloc_bulk_streams_header *h)
{
	struct emu *e = priv;
	struct usb_redir_bulk_streams_status_header s = { h->endpoints, 0, usb_redir_inval };

	usbredirparser_send_bulk_streams_status(e->p, id, &s);
}

static void cb_free_streams(void *priv, uint64_t id, struct usb_redir_free_bulk_streams_header *h)
{
	struct emu *e = priv;
	struct usb_redir_bulk_streams_status_header s = { h->endpoints, 0, usb_redir_success };

	usbredirparser_send_bulk_streams_status(e->p, id, &s);
}

static void cb_start_bulk_recv(void *priv, uint64_t id, struct usb_redir_start_bulk_receiving_header *h)
{
	struct emu *e = priv;
	struct usb_redir_bulk_receiving_status_header s = { h->stream_id, h->endpoint, usb_redir_inval };

	usbredirparser_send_bulk_receiving_status(e->p, id, &s);
}

static void cb_stop_bulk_recv(void *priv, uint64_t id, struct usb_redir_stop_bulk_receiving_header *h)
{
	struct emu *e = priv;
	struct usb_redir_bulk_receiving_status_header s = { h->stream_id, h->endpoint, usb_redir_success };

	usbredirparser_send_bulk_receiving_status(e->p, id, &s);
}

/* a usb-guest never sends these; the parser still calls them without NULL checks */
static void cb_device_connect(void *priv, struct usb_redir_device_connect_header *h)
{
	(void)priv;
	(void)h;
}

static void cb_interface_info(void *priv, struct usb_redir_interface_info_header *h)
{
	(void)priv;
	(void)h;
}

static void cb_ep_info(void *priv, struct usb_redir_ep_info_header *h)
{
	(void)priv;
	(void)h;
}

static void cb_config_status(void *priv, uint64_t id, struct usb_redir_configuration_status_header *h)
{
	(void)priv;
	(void)id;
	(void)h;
}

static void cb_alt_status(void *priv, uint64_t id, struct usb_redir_alt_setting_status_header *h)
{
	(void)priv;
	(void)id;
	(void)h;
}

static void cb_iso_status(void *priv, uint64_t id, struct usb_redir_iso_stream_status_header *h)
{
	(void)priv;
	(void)id;
	(void)h;
}

static void cb_intr_status(void *priv, uint64_t id, struct usb_redir_interrupt_receiving_status_header *h)
{
	(void)priv;
	(void)id;
	(void)h;
}

static void cb_streams_status(void *priv, uint64_t id, struct usb_redir_bulk_streams_status_header *h)
{
	(void)priv;
	(void)id;
	(void)h;
}

static void cb_bulk_recv_status(void *priv, uint64_t id, struct usb_redir_bulk_receiving_status_header *h)
{
	(void)priv;
	(void)id;
	(void)h;
}

/* ------------------------------------------------------------ parser I/O */

static void cb_log(void *priv, int level, const char *msg)
{
	struct emu *e = priv;

	if (level <= usbredirparser_warning || e->verbose > 1)
		elog(e, "usbredir: %s", msg);
}

static int cb_read(void *priv, uint8_t *data, int count)
{
	struct emu *e = priv;
	ssize_t n = read(e->fd, data, (size_t)count);

	if (n < 0)
		return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
	if (n == 0) {
		elog(e, "qemu closed the connection");
		e->quit = 1;
		return -1;
	}
	return (int)n;
}

static int cb_write(void *priv, uint8_t *data, int count)
{
	struct emu *e = priv;
	ssize_t n = write(e->fd, data, (size_t)count);

	if (n < 0)
		return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
	return (int)n;
}

static struct usbredirparser *make_parser(struct emu *e)
{
	struct usbredirparser *p = usbredirparser_create();
	uint32_t caps[USB_REDIR_CAPS_SIZE] = { 0 };

	if (!p)
		return NULL;
	p->priv = e;
	p->log_func = cb_log;
	p->read_func = cb_read;
	p->write_func = cb_write;
	p->hello_func = cb_hello;
	p->device_connect_func = cb_device_connect;
	p->device_disconnect_func = cb_ignore;
	p->reset_func = cb_reset;
	p->interface_info_func = cb_interface_info;
	p->ep_info_func = cb_ep_info;
	p->set_configuration_func = cb_set_config;
	p->get_configuration_func = cb_get_config;
	p->configuration_status_func = cb_config_status;
	p->set_alt_setting_func = cb_set_alt;
	p->get_alt_setting_func = cb_get_alt;
	p->alt_setting_status_func = cb_alt_status;
	p->start_iso_stream_func = cb_start_iso;
	p->stop_iso_stream_func = cb_stop_iso;
	p->iso_stream_status_func = cb_iso_status;
	p->start_interrupt_receiving_func = cb_start_intr;
	p->stop_interrupt_receiving_func = cb_stop_intr;
	p->interrupt_receiving_status_func = cb_intr_status;
	p->alloc_bulk_streams_func = cb_alloc_streams;
	p->free_bulk_streams_func = cb_free_streams;
	p->bulk_streams_status_func = cb_streams_status;
	p->cancel_data_packet_func = cb_ignore_id;
	p->control_packet_func = cb_control;
	p->bulk_packet_func = cb_bulk_packet;
	p->iso_packet_func = cb_iso_packet;
	p->interrupt_packet_func = cb_intr_packet;
	p->filter_reject_func = cb_ignore;
	p->filter_filter_func = cb_filter;
	p->device_disconnect_ack_func = cb_disconnect_ack;
	p->start_bulk_receiving_func = cb_start_bulk_recv;
	p->stop_bulk_receiving_func = cb_stop_bulk_recv;
	p->bulk_receiving_status_func = cb_bulk_recv_status;
	p->buffered_bulk_packet_func = cb_buffered_bulk;
	/* qemu refuses a usb-redir device on xHCI without these three */
	usbredirparser_caps_set_cap(caps, usb_redir_cap_ep_info_max_packet_size);
	usbredirparser_caps_set_cap(caps, usb_redir_cap_32bits_bulk_length);
	usbredirparser_caps_set_cap(caps, usb_redir_cap_64bits_ids);
	usbredirparser_caps_set_cap(caps, usb_redir_cap_connect_device_version);
	usbredirparser_caps_set_cap(caps, usb_redir_cap_device_disconnect_ack);
	usbredirparser_init(p, "nutc-upsemu 1", caps, USB_REDIR_CAPS_SIZE, usbredirparser_fl_usb_host);
	return p;
}

/* ------------------------------------------------------------ interrupt reports */

static void collect_reports(struct emu *e)
{
	uint8_t buf[256];
	int n, i;

	while ((n = sim_model_pop_interrupt(e->m, buf, sizeof(buf))) > 0) {
		if (n > (int)sizeof(e->pend[0]))
			continue;
		for (i = 0; i < e->norder && e->order[i] != buf[0]; i++)
			;
		if (i == e->norder)
			e->order[e->norder++] = buf[0];
		memcpy(e->pend[buf[0]], buf, (size_t)n);
		e->pend_len[buf[0]] = n;
	}
}

static void send_reports(struct emu *e)
{
	struct usb_redir_interrupt_packet_header h;
	char hex[256];
	uint8_t id;
	uint64_t now = now_ms();

	if (!e->plugged || !e->receiving || e->norder == 0 || now - e->last_sent_ms < PACE_MS)
		return;
	id = e->order[0];
	memmove(e->order, e->order + 1, (size_t)--e->norder);
	h.endpoint = EP_IN;
	h.status = usb_redir_success;
	h.length = (uint16_t)e->pend_len[id];
	usbredirparser_send_interrupt_packet(e->p, 0, &h, e->pend[id], e->pend_len[id]);
	e->last_sent_ms = now;
	hexdump(hex, sizeof(hex), e->pend[id], e->pend_len[id]);
	elog(e, "INTERRUPT 0x%02x: %s", id, hex);
}

/* ------------------------------------------------------------ commands */

static void command(struct emu *e, char *line)
{
	char *arg = strchr(line, ' ');
	double v;
	char *end;

	if (arg)
		*arg++ = '\0';
	sim_model_tick(e->m, now_ms());
	if (strcmp(line, "mains") == 0 && arg) {
		sim_model_set_mains(e->m, atoi(arg) != 0);
		elog(e, "CMD mains %d", atoi(arg) != 0);
	} else if (strcmp(line, "set") == 0 && arg && strchr(arg, ' ')) {
		char *val = strchr(arg, ' ');

		*val++ = '\0';
		v = strtod(val, &end);
		if (end == val || sim_model_set(e->m, arg, v) < 0)
			elog(e, "CMD set %s %s: refused", arg, val);
		else
			elog(e, "CMD set %s %g", arg, v);
	} else if (strcmp(line, "disconnect") == 0) {
		if (e->plugged && e->hello)
			usbredirparser_send_device_disconnect(e->p);
		e->plugged = 0;
		e->receiving = 0;
		elog(e, "DISCONNECT");
	} else if (strcmp(line, "connect") == 0) {
		if (!e->plugged && e->hello)
			send_connect(e);
		e->plugged = 1;
	} else if (strcmp(line, "mark") == 0) {
		elog(e, "MARK %s", arg ? arg : "");
	} else if (strcmp(line, "quit") == 0) {
		e->quit = 1;
	} else if (line[0]) {
		elog(e, "CMD unknown: %s", line);
	}
}

static void read_fifo(struct emu *e)
{
	char buf[512];
	ssize_t n = read(e->fifo_fd, buf, sizeof(buf));
	ssize_t i;

	for (i = 0; i < n; i++) {
		char c = buf[i];

		if (c == '\r' || c == '\n') {
			e->line[e->linelen] = '\0';
			if (e->linelen)
				command(e, e->line);
			e->linelen = 0;
		} else if (e->linelen + 1 < sizeof(e->line)) {
			e->line[e->linelen++] = c;
		}
	}
}

/* ------------------------------------------------------------ main */

static int listen_unix(const char *path)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, path);
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: upsemu -s SOCKET -c FIFO [-m MODEL] [-l LOG] [-v]\n");
	exit(2);
}

static void loop(struct emu *e)
{
	struct pollfd pf[2];
	int rc;

	while (!e->quit && !stop_flag) {
		pf[0].fd = e->fd >= 0 ? e->fd : e->listen_fd;
		pf[0].events = POLLIN;
		if (e->fd >= 0 && e->p && usbredirparser_has_data_to_write(e->p))
			pf[0].events |= POLLOUT;
		pf[1].fd = e->fifo_fd;
		pf[1].events = POLLIN;
		rc = poll(pf, 2, 20);
		if (rc < 0 && errno != EINTR)
			break;
		if (e->fd < 0 && (pf[0].revents & POLLIN)) {
			e->fd = accept(e->listen_fd, NULL, NULL);
			if (e->fd >= 0) {
				fcntl(e->fd, F_SETFL, O_NONBLOCK);
				e->p = make_parser(e);
				elog(e, "qemu connected");
			}
		} else if (e->fd >= 0 && (pf[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			if (usbredirparser_do_read(e->p) == usbredirparser_read_io_error && e->quit)
				break;
		}
		if (rc > 0 && (pf[1].revents & POLLIN))
			read_fifo(e);
		sim_model_tick(e->m, now_ms());
		collect_reports(e);
		if (e->p && e->hello)
			send_reports(e);
		if (e->p && usbredirparser_has_data_to_write(e->p))
			usbredirparser_do_write(e->p);
	}
}

int main(int argc, char **argv)
{
	static struct emu e;
	const char *sock = NULL, *fifo = NULL, *model = "ellipse-eco-650", *logpath = NULL;
	char err[512];
	int opt;

	while ((opt = getopt(argc, argv, "s:c:m:l:v")) != -1) {
		switch (opt) {
		case 's': sock = optarg; break;
		case 'c': fifo = optarg; break;
		case 'm': model = optarg; break;
		case 'l': logpath = optarg; break;
		case 'v': e.verbose++; break;
		default: usage();
		}
	}
	if (!sock || !fifo)
		usage();
	e.t0 = now_ms();
	e.log = logpath ? fopen(logpath, "a") : stderr;
	if (!e.log) {
		perror(logpath);
		return 1;
	}
	e.m = sim_model_new(model, now_ms(), err, sizeof(err));
	if (!e.m) {
		fprintf(stderr, "upsemu: %s\n", err);
		return 1;
	}
	/* O_RDWR: qemu's file chardev opens it write-only and must not block */
	if ((mkfifo(fifo, 0600) < 0 && errno != EEXIST) ||
	    (e.fifo_fd = open(fifo, O_RDWR | O_NONBLOCK)) < 0) {
		perror(fifo);
		return 1;
	}
	e.listen_fd = listen_unix(sock);
	if (e.listen_fd < 0) {
		perror(sock);
		return 1;
	}
	e.fd = -1;
	e.plugged = 1;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	elog(&e, "listening on %s, commands on %s, model %s", sock, fifo, model);
	loop(&e);
	elog(&e, "exit");
	if (e.p)
		usbredirparser_destroy(e.p);
	sim_model_free(e.m);
	unlink(sock);
	return 0;
}
