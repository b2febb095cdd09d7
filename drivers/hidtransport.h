/*
 * hidtransport: the one interface through which usbhid-ups talks to a HID
 * device. Two transports implement it: libusb-1.0 (usb-libusb.c, a real
 * UPS) and the simulator (sim-transport.c, a device model served inside
 * the driver process and driven from outside through a control socket).
 *
 * Every operation returns a byte count (>= 0) or a negative HT_ERR_* code.
 * HT_ERR_NODEV means the device is gone: the driver closes the transport,
 * marks its data stale and calls open again on later polls until it works.
 *
 * Event loop: a transport that can signal incoming interrupt reports
 * returns a file descriptor from event_fd; the driver watches it for
 * EV_READ and then drains read_interrupt with timeout 0. A transport
 * without one (event_fd NULL or -1) is read with a short timeout once per
 * poll cycle, as NUT does.
 */
#ifndef HIDTRANSPORT_H
#define HIDTRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "ev.h"
#include "hid.h"

#define HT_ERR_IO       (-1)   /* transfer failed */
#define HT_ERR_NODEV    (-2)   /* device unplugged / not there */
#define HT_ERR_TIMEOUT  (-3)
#define HT_ERR_PIPE     (-4)   /* STALL: NUT reads it as "0 bytes" */
#define HT_ERR_ACCESS   (-5)   /* permission denied opening the device */
#define HT_ERR_BUSY     (-6)   /* claimed by another program */
#define HT_ERR_NOTFOUND (-7)   /* no device matches */
#define HT_ERR_INVAL    (-8)   /* bad argument (buffer too small ...) */

#define HT_STR_MAX 128

/* What was opened: the USB identity and the topology, for ups.* and matching. */
struct ht_devinfo {
	uint16_t vendorid, productid, bcd_device;
	uint8_t i_manufacturer, i_product, i_serial;
	char vendor[HT_STR_MAX];    /* iManufacturer string, "" when absent */
	char product[HT_STR_MAX];
	char serial[HT_STR_MAX];
	char bus[8];                /* "001" */
	char device[8];             /* "002" */
	char busport[16];
};

struct hid_transport;

struct ht_ops {
	const char *name;                         /* "libusb-1.0.26", "simulator" */
	/* find/open/claim the device; fills t->info. 0 or HT_ERR_* */
	int (*open)(struct hid_transport *t);
	void (*close)(struct hid_transport *t);   /* safe when not open */
	/* the HID report descriptor into buf; its length or HT_ERR_* */
	int (*get_descriptor)(struct hid_transport *t, uint8_t *buf, size_t len);
	/* GET_REPORT(type, id) into buf (ID byte first); bytes or HT_ERR_* */
	int (*get_report)(struct hid_transport *t, uint8_t id, enum hid_rtype type,
		uint8_t *buf, size_t len);
	/* SET_REPORT(type, buf[0]) with the whole report; bytes sent or HT_ERR_* */
	int (*set_report)(struct hid_transport *t, enum hid_rtype type,
		const uint8_t *buf, size_t len);
	/* one interrupt IN report; bytes, 0 when none came within timeout_ms, or HT_ERR_* */
	int (*read_interrupt)(struct hid_transport *t, uint8_t *buf, size_t len, int timeout_ms);
	/* USB string descriptor index as 8-bit text; length or HT_ERR_* */
	int (*get_string)(struct hid_transport *t, int index, char *buf, size_t len);
	/* readable when interrupt reports may be waiting; -1 when not supported */
	int (*event_fd)(struct hid_transport *t);
	void (*destroy)(struct hid_transport *t);  /* close and free everything */
};

struct hid_transport {
	const struct ht_ops *ops;
	void *priv;                 /* the transport's own state */
	int is_open;
	struct ht_devinfo info;     /* valid while open */
	const char *upsname;        /* for log lines; owned by the caller */
};

/* USB matching as ups.conf gives it: each a regex on the whole (trimmed)
 * string, case-insensitive; NULL = any. */
struct ht_usb_match {
	const char *vendorid, *productid;   /* 4 hex digits */
	const char *vendor, *product, *serial;
	const char *bus, *device, *busport;
};

struct ht_usb_opts {
	int interface;              /* usb_hid_rep_index, default 0 */
	int desc_index;             /* usb_hid_desc_index, -1 = auto */
	int ep_in;                  /* IN endpoint address (0x80|usb_hid_ep_in), -1 = from the interface */
	int config_index;           /* usb_config_index, default 0 */
	int interrupt_size;         /* interruptsize, 0 = endpoint max packet */
	int timeout_ms;             /* control transfer timeout, default 5000 */
	int altsetting;             /* usb_set_altinterface: set after claiming, -1 = no */
	int libusb_debug;           /* LIBUSB_DEBUG: libusb log level, -1 = leave alone */
};

/* Transport constructors. NULL with a message in err on a bad argument;
 * the device itself is only looked at by open. */
struct hid_transport *ht_libusb_new(const struct ht_usb_match *m,
	const struct ht_usb_opts *o, char *err, size_t errlen);
/* model: "ellipse-eco-650" (built in) or a model file path. The control
 * socket ctlpath (NULL = none) is served on loop. */
struct hid_transport *ht_sim_new(const char *model, struct ev_loop *loop,
	const char *ctlpath, char *err, size_t errlen);

/* Short text for an HT_ERR_* code ("no such device", "timeout" ...). */
const char *ht_strerror(int code);

#endif
