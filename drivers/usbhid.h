/*
 * usbhid: what the three usbhid-ups modules share. usbhid-ups.c owns the
 * driver context (struct uh), the transport, report access, the items and
 * polling; usbhid-cmd.c the instant commands, setvar and -k; usbhid-opts.c
 * the ups.conf options (the variable table, their parsing, subdriver).
 * Internal to the driver: nothing else includes it.
 */
#ifndef USBHID_H
#define USBHID_H

#include <stddef.h>
#include <stdint.h>

#include "drvcore.h"
#include "hid.h"
#include "hidtransport.h"
#include "mge-hid.h"

#define UH_VERSION "0.47"
#define UH_REPORT_MAX 512
#define UH_DESC_MAX 8192

struct uh_item {
	const struct mge_entry *e;
	const struct hid_field *f;     /* what GET_REPORT reads (Feature first) */
	const struct hid_field *fin;   /* Input twin, for interrupt reports */
	int alarm;                     /* MGE_F_ALARM rows: last value was 1 */
};

struct uh_cache {
	uint8_t data[UH_REPORT_MAX];
	size_t len;
	unsigned gen;                  /* valid while equal to uh.gen */
};

struct uh {
	struct drv_ctx *ctx;
	struct hid_transport *t;
	struct hid_desc *desc;
	uint8_t descbuf[UH_DESC_MAX];
	size_t desclen;
	struct uh_item *items;
	size_t nitems;
	struct uh_cache cache[256];
	unsigned gen;
	uint32_t conds;
	int pegasus;
	int connected;
	int watching_fd;               /* the transport's event fd is in the loop */
	int vnominal_done;
	int semi_due;                  /* re-read semi-static rows on the next full poll */
	int force_full;
	uint64_t last_full_ms;
	uint64_t lost_ms;
	unsigned errors_logged;
	/* options */
	long pollfreq;
	int pollonly, interruptonly, interruptsize;
	int explore;
	int forceshutdown;             /* -k: no simulator control socket */
	int subdriver_set;             /* "subdriver" named ours: claim any device */
	long waitbeforereconnect;
	struct mge_status_opts sopts;
};

/* ---- usbhid-opts.c */

/* register every ups.conf key NUT 2.8.x's usbhid-ups accepts */
void uh_opt_vartable(struct drv_ctx *ctx);
/* parse and check the options into u; a bad value is fatal (file:word named) */
void uh_opt_read(struct uh *u);
/* the USB matching keys and tuning options for the libusb transport */
void uh_opt_usb(struct uh *u, struct ht_usb_match *m, struct ht_usb_opts *o);
/* a numeric option in min..max, dflt when unset; fatal when invalid */
long uh_opt_long(struct drv_ctx *ctx, const char *name, long min, long max, long dflt);

/* ---- usbhid-ups.c, for the command module */

/* the item publishing var (with flag among its flags, 0 = any); NULL if none */
const struct uh_item *uh_find_item(const struct uh *u, const char *var, unsigned flag);
/* SET_REPORT one field by HID path (the rest of its report as read); 0 or -1 */
int uh_write_path(struct uh *u, const char *path, double value);

/* ---- usbhid-cmd.c: the drv_ops handlers */

int uh_cmd_instcmd(struct drv_ctx *ctx, const char *cmd, const char *param);
int uh_cmd_setvar(struct drv_ctx *ctx, const char *var, const char *value);
int uh_cmd_shutdown(struct drv_ctx *ctx);

#endif
