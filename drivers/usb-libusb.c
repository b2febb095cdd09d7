/*
 * usb-libusb: the libusb-1.0 transport. Finds the device that matches the
 * ups.conf keys (vendorid, productid, vendor, product, serial, bus,
 * device, busport: each a case-insensitive regular expression on the
 * whole, trimmed string, as NUT does), detaches the kernel HID driver,
 * claims the interface, finds the report descriptor length and the
 * interrupt IN endpoint, and does the class requests (GET_REPORT,
 * SET_REPORT) and interrupt reads with timeouts. Reconnecting is the
 * driver's job: it calls open again after HT_ERR_NODEV.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libusb.h>

#include "hidtransport.h"
#include "log.h"
#include "util.h"

enum { M_VID, M_PID, M_VENDOR, M_PRODUCT, M_SERIAL, M_BUS, M_DEVICE, M_BUSPORT, M_COUNT };

struct usb_tr {
	libusb_context *lctx;
	libusb_device_handle *h;
	regex_t re[M_COUNT];
	int has_re[M_COUNT];
	struct ht_usb_opts o;
	int ep_in;
	int maxpacket;
	int desc_len;
	int desc_index;
	int last_logged;             /* the open error last logged, not repeated */
};

static int map_err(int rc)
{
	switch (rc) {
	case LIBUSB_ERROR_NO_DEVICE: return HT_ERR_NODEV;
	case LIBUSB_ERROR_NOT_FOUND: return HT_ERR_NODEV;
	case LIBUSB_ERROR_TIMEOUT: return HT_ERR_TIMEOUT;
	case LIBUSB_ERROR_PIPE: return HT_ERR_PIPE;
	case LIBUSB_ERROR_ACCESS: return HT_ERR_ACCESS;
	case LIBUSB_ERROR_BUSY: return HT_ERR_BUSY;
	case LIBUSB_ERROR_INVALID_PARAM: return HT_ERR_INVAL;
	default: return HT_ERR_IO;
	}
}

/* whole-string, case-insensitive match of a trimmed value */
static int matches(struct usb_tr *u, int which, const char *value)
{
	char trimmed[HT_STR_MAX];
	size_t len;
	const char *s = value;

	if (!u->has_re[which])
		return 1;
	while (*s == ' ' || *s == '\t')
		s++;
	str_copy(trimmed, s, sizeof(trimmed));
	len = strlen(trimmed);
	while (len > 0 && (trimmed[len - 1] == ' ' || trimmed[len - 1] == '\t' || trimmed[len - 1] == '\n'))
		trimmed[--len] = '\0';
	return regexec(&u->re[which], trimmed, 0, NULL, 0) == 0;
}

static void read_string(libusb_device_handle *h, uint8_t index, char *out, size_t len)
{
	int n;

	out[0] = '\0';
	if (index == 0)
		return;
	n = libusb_get_string_descriptor_ascii(h, index, (unsigned char *)out, (int)len);
	if (n < 0)
		out[0] = '\0';
}

/* the HID class descriptor after the interface (report length) and the interrupt IN endpoint */
static int read_config(struct usb_tr *u, libusb_device *dev)
{
	struct libusb_config_descriptor *cfg;
	const struct libusb_interface_descriptor *ifd;
	const unsigned char *x;
	int i, len;

	if (libusb_get_config_descriptor(dev, (uint8_t)u->o.config_index, &cfg) != 0)
		return -1;
	if (u->o.interface >= cfg->bNumInterfaces || cfg->interface[u->o.interface].num_altsetting < 1) {
		libusb_free_config_descriptor(cfg);
		return -1;
	}
	ifd = &cfg->interface[u->o.interface].altsetting[0];
	u->desc_len = 0;
	for (x = ifd->extra, len = ifd->extra_length; len >= 9; len -= x[0], x += x[0]) {
		if (x[0] < 2)
			break;
		if (x[1] == 0x21 && x[0] >= 9 && x[6] == 0x22)
			u->desc_len = x[7] | (x[8] << 8);
	}
	u->ep_in = u->o.ep_in >= 0 ? u->o.ep_in : -1;
	for (i = 0; i < ifd->bNumEndpoints; i++) {
		const struct libusb_endpoint_descriptor *ep = &ifd->endpoint[i];

		if ((ep->bEndpointAddress & LIBUSB_ENDPOINT_IN) &&
		    (ep->bmAttributes & LIBUSB_TRANSFER_TYPE_MASK) == LIBUSB_TRANSFER_TYPE_INTERRUPT) {
			if (u->ep_in < 0)
				u->ep_in = ep->bEndpointAddress;
			u->maxpacket = ep->wMaxPacketSize;
		}
	}
	libusb_free_config_descriptor(cfg);
	return 0;
}

static void log_open_error(struct hid_transport *t, int code, const char *where)
{
	struct usb_tr *u = t->priv;

	if (u->last_logged == code)
		return;
	u->last_logged = code;
	if (code == HT_ERR_ACCESS)
		log_warnx("%s: permission denied opening USB device %s; the driver runs as an "
			"unprivileged user: check the udev rules for the UPS (group nut) or the "
			"'user' setting", t->upsname ? t->upsname : "usb", where);
	else if (code == HT_ERR_BUSY)
		log_warnx("%s: USB device %s is busy: claimed by another program (another "
			"driver for the same UPS?)", t->upsname ? t->upsname : "usb", where);
}

/* claim one opened candidate; 0 or HT_ERR_* */
static int claim(struct hid_transport *t, libusb_device *dev)
{
	struct usb_tr *u = t->priv;
	int rc;

	libusb_set_auto_detach_kernel_driver(u->h, 1);
	if (libusb_kernel_driver_active(u->h, u->o.interface) == 1)
		libusb_detach_kernel_driver(u->h, u->o.interface);
	rc = libusb_claim_interface(u->h, u->o.interface);
	if (rc != 0)
		return map_err(rc);
	if (u->o.altsetting >= 0) {
		rc = libusb_set_interface_alt_setting(u->h, u->o.interface, u->o.altsetting);
		if (rc != 0)
			log_warnx("%s: usb_set_altinterface %d: %s", t->upsname ? t->upsname : "usb",
				u->o.altsetting, libusb_strerror(rc));
	}
	if (read_config(u, dev) < 0) {
		libusb_release_interface(u->h, u->o.interface);
		return HT_ERR_IO;
	}
	/* Eaton firmware v2.02 serves the full descriptor at index 1 */
	u->desc_index = u->o.desc_index >= 0 ? u->o.desc_index :
		(t->info.vendorid == 0x0463 && t->info.bcd_device == 0x0202) ? 1 : 0;
	return 0;
}

/* 1 when dev matches everything, with t->info filled and u->h open */
static int try_device(struct hid_transport *t, libusb_device *dev, int *why)
{
	struct usb_tr *u = t->priv;
	struct libusb_device_descriptor dd;
	struct ht_devinfo *di = &t->info;
	uint8_t ports[8];
	char id[8], where[64];
	int rc, n, i;

	if (libusb_get_device_descriptor(dev, &dd) != 0)
		return 0;
	memset(di, 0, sizeof(*di));
	di->vendorid = dd.idVendor;
	di->productid = dd.idProduct;
	di->bcd_device = dd.bcdDevice;
	di->i_manufacturer = dd.iManufacturer;
	di->i_product = dd.iProduct;
	di->i_serial = dd.iSerialNumber;
	snprintf(di->bus, sizeof(di->bus), "%03u", libusb_get_bus_number(dev));
	snprintf(di->device, sizeof(di->device), "%03u", libusb_get_device_address(dev));
	n = libusb_get_port_numbers(dev, ports, sizeof(ports));
	for (i = 0; i < n; i++)
		snprintf(di->busport + strlen(di->busport), sizeof(di->busport) - strlen(di->busport),
			"%s%u", i ? "." : "", ports[i]);
	snprintf(id, sizeof(id), "%04x", dd.idVendor);
	if (!matches(u, M_VID, id))
		return 0;
	snprintf(id, sizeof(id), "%04x", dd.idProduct);
	if (!matches(u, M_PID, id) || !matches(u, M_BUS, di->bus) ||
	    !matches(u, M_DEVICE, di->device) || !matches(u, M_BUSPORT, di->busport))
		return 0;
	snprintf(where, sizeof(where), "%04x:%04x (bus %s device %s)", dd.idVendor, dd.idProduct,
		di->bus, di->device);
	rc = libusb_open(dev, &u->h);
	if (rc != 0) {
		*why = map_err(rc);
		log_open_error(t, *why, where);
		return 0;
	}
	read_string(u->h, dd.iManufacturer, di->vendor, sizeof(di->vendor));
	read_string(u->h, dd.iProduct, di->product, sizeof(di->product));
	read_string(u->h, dd.iSerialNumber, di->serial, sizeof(di->serial));
	if (!matches(u, M_VENDOR, di->vendor) || !matches(u, M_PRODUCT, di->product) ||
	    !matches(u, M_SERIAL, di->serial)) {
		libusb_close(u->h);
		u->h = NULL;
		return 0;
	}
	rc = claim(t, dev);
	if (rc < 0) {
		*why = rc;
		log_open_error(t, rc, where);
		libusb_close(u->h);
		u->h = NULL;
		return 0;
	}
	return 1;
}

/*
 * A fresh context for every search: libusb keeps its device list up to
 * date only from udev (or netlink) hotplug events, and without a udev
 * daemon (containers, an initramfs) a replugged UPS never shows up in an
 * old context. libusb_init enumerates sysfs again.
 */
static int fresh_context(struct usb_tr *u)
{
	int rc;

	if (u->lctx)
		libusb_exit(u->lctx);
	u->lctx = NULL;
	rc = libusb_init(&u->lctx);
	if (rc != 0) {
		u->lctx = NULL;
		return rc;
	}
	if (u->o.libusb_debug >= 0)
		libusb_set_option(u->lctx, LIBUSB_OPTION_LOG_LEVEL, u->o.libusb_debug);
	return 0;
}

static int usb_open(struct hid_transport *t)
{
	struct usb_tr *u = t->priv;
	libusb_device **list;
	ssize_t n, i;
	int why = HT_ERR_NOTFOUND, found = 0, rc;

	if (t->is_open)
		return 0;
	rc = fresh_context(u);
	if (rc != 0)
		return map_err(rc);
	n = libusb_get_device_list(u->lctx, &list);
	if (n < 0)
		return map_err((int)n);
	for (i = 0; i < n && !found; i++)
		found = try_device(t, list[i], &why);
	libusb_free_device_list(list, 1);
	if (!found)
		return why;
	u->last_logged = 0;
	t->is_open = 1;
	return 0;
}

static void usb_close(struct hid_transport *t)
{
	struct usb_tr *u = t->priv;

	if (u->h) {
		libusb_release_interface(u->h, u->o.interface);
		libusb_close(u->h);
		u->h = NULL;
	}
	t->is_open = 0;
}

static int usb_get_descriptor(struct hid_transport *t, uint8_t *buf, size_t len)
{
	struct usb_tr *u = t->priv;
	uint8_t hid[9];
	int rc, want = u->desc_len;

	if (!u->h)
		return HT_ERR_NODEV;
	if (want <= 0) {   /* not in the configuration: ask the interface */
		rc = libusb_control_transfer(u->h, LIBUSB_ENDPOINT_IN | LIBUSB_RECIPIENT_INTERFACE,
			LIBUSB_REQUEST_GET_DESCRIPTOR, (uint16_t)((0x21 << 8) | u->desc_index),
			(uint16_t)u->o.interface, hid, sizeof(hid), (unsigned)u->o.timeout_ms);
		if (rc < 9)
			return rc < 0 ? map_err(rc) : HT_ERR_IO;
		want = hid[7] | (hid[8] << 8);
	}
	if ((size_t)want > len)
		want = (int)len;
	rc = libusb_control_transfer(u->h, LIBUSB_ENDPOINT_IN | LIBUSB_RECIPIENT_INTERFACE,
		LIBUSB_REQUEST_GET_DESCRIPTOR, (uint16_t)((0x22 << 8) | u->desc_index),
		(uint16_t)u->o.interface, buf, (uint16_t)want, (unsigned)u->o.timeout_ms);
	return rc < 0 ? map_err(rc) : rc;   /* a short answer is accepted */
}

static int usb_get_report(struct hid_transport *t, uint8_t id, enum hid_rtype type,
	uint8_t *buf, size_t len)
{
	struct usb_tr *u = t->priv;
	int rc;

	if (!u->h)
		return HT_ERR_NODEV;
	rc = libusb_control_transfer(u->h,
		LIBUSB_ENDPOINT_IN | LIBUSB_REQUEST_TYPE_CLASS | LIBUSB_RECIPIENT_INTERFACE,
		0x01, (uint16_t)((type << 8) | id), (uint16_t)u->o.interface,
		buf, (uint16_t)len, (unsigned)u->o.timeout_ms);
	return rc < 0 ? map_err(rc) : rc;
}

static int usb_set_report(struct hid_transport *t, enum hid_rtype type, const uint8_t *buf, size_t len)
{
	struct usb_tr *u = t->priv;
	uint8_t copy[4096];
	int rc;

	if (!u->h)
		return HT_ERR_NODEV;
	if (len < 1 || len > sizeof(copy))
		return HT_ERR_INVAL;
	memcpy(copy, buf, len);
	rc = libusb_control_transfer(u->h,
		LIBUSB_ENDPOINT_OUT | LIBUSB_REQUEST_TYPE_CLASS | LIBUSB_RECIPIENT_INTERFACE,
		0x09, (uint16_t)((type << 8) | buf[0]), (uint16_t)u->o.interface,
		copy, (uint16_t)len, (unsigned)u->o.timeout_ms);
	return rc < 0 ? map_err(rc) : rc;
}

static int usb_read_interrupt(struct hid_transport *t, uint8_t *buf, size_t len, int timeout_ms)
{
	struct usb_tr *u = t->priv;
	int rc, got = 0, want = (int)len;

	if (!u->h)
		return HT_ERR_NODEV;
	if (u->ep_in < 0)
		return 0;   /* no interrupt endpoint: polling only */
	if (u->o.interrupt_size > 0 && u->o.interrupt_size < want)
		want = u->o.interrupt_size;
	rc = libusb_interrupt_transfer(u->h, (unsigned char)u->ep_in, buf, want, &got,
		timeout_ms > 0 ? (unsigned)timeout_ms : 1);
	if (rc == LIBUSB_ERROR_TIMEOUT)
		return 0;
	return rc < 0 ? map_err(rc) : got;
}

static int usb_get_string(struct hid_transport *t, int index, char *buf, size_t len)
{
	struct usb_tr *u = t->priv;
	int rc;

	if (!u->h)
		return HT_ERR_NODEV;
	if (index <= 0 || index > 255)
		return HT_ERR_INVAL;
	rc = libusb_get_string_descriptor_ascii(u->h, (uint8_t)index, (unsigned char *)buf, (int)len);
	return rc < 0 ? map_err(rc) : rc;
}

static void usb_destroy(struct hid_transport *t)
{
	struct usb_tr *u = t->priv;
	int i;

	usb_close(t);
	for (i = 0; i < M_COUNT; i++)
		if (u->has_re[i])
			regfree(&u->re[i]);
	if (u->lctx)
		libusb_exit(u->lctx);
	free(u);
	free(t);
}

static int compile(struct usb_tr *u, int which, const char *name, const char *pattern,
	char *err, size_t errlen)
{
	char anchored[600];
	int rc;

	if (!pattern)
		return 0;
	snprintf(anchored, sizeof(anchored), "^(%s)$", pattern);
	rc = regcomp(&u->re[which], anchored, REG_EXTENDED | REG_ICASE | REG_NOSUB);
	if (rc != 0) {
		char why[128];

		regerror(rc, &u->re[which], why, sizeof(why));
		snprintf(err, errlen, "invalid regular expression for %s '%s': %s", name, pattern, why);
		return -1;
	}
	u->has_re[which] = 1;
	return 0;
}

struct hid_transport *ht_libusb_new(const struct ht_usb_match *m,
	const struct ht_usb_opts *o, char *err, size_t errlen)
{
	static struct ht_ops ops = {
		.name = NULL, .open = usb_open, .close = usb_close,
		.get_descriptor = usb_get_descriptor, .get_report = usb_get_report,
		.set_report = usb_set_report, .read_interrupt = usb_read_interrupt,
		.get_string = usb_get_string, .event_fd = NULL, .destroy = usb_destroy,
	};
	static char name[64];
	const struct libusb_version *v = libusb_get_version();
	struct hid_transport *t;
	struct usb_tr *u = xcalloc(1, sizeof(*u));
	int rc, i;

	u->o = *o;
	if (u->o.timeout_ms <= 0)
		u->o.timeout_ms = 5000;
	if (compile(u, M_VID, "vendorid", m->vendorid, err, errlen) < 0 ||
	    compile(u, M_PID, "productid", m->productid, err, errlen) < 0 ||
	    compile(u, M_VENDOR, "vendor", m->vendor, err, errlen) < 0 ||
	    compile(u, M_PRODUCT, "product", m->product, err, errlen) < 0 ||
	    compile(u, M_SERIAL, "serial", m->serial, err, errlen) < 0 ||
	    compile(u, M_BUS, "bus", m->bus, err, errlen) < 0 ||
	    compile(u, M_DEVICE, "device", m->device, err, errlen) < 0 ||
	    compile(u, M_BUSPORT, "busport", m->busport, err, errlen) < 0) {
		for (rc = 0; rc < M_COUNT; rc++)
			if (u->has_re[rc])
				regfree(&u->re[rc]);
		free(u);
		return NULL;
	}
	rc = fresh_context(u);
	if (rc != 0) {
		snprintf(err, errlen, "libusb_init: %s", libusb_strerror(rc));
		for (i = 0; i < M_COUNT; i++)
			if (u->has_re[i])
				regfree(&u->re[i]);
		free(u);
		return NULL;
	}
	snprintf(name, sizeof(name), "libusb-%u.%u.%u (API: 0x%x)", v->major, v->minor,
		v->micro, (unsigned)LIBUSB_API_VERSION);
	ops.name = name;
	t = xcalloc(1, sizeof(*t));
	t->ops = &ops;
	t->priv = u;
	return t;
}
