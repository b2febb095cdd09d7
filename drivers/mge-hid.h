/*
 * mge-hid: the MGE/Eaton HID mapping as data. One table maps HID paths to
 * NUT variables (with conversion, poll class, writability), to ups.status
 * conditions, to alarms and to instant commands; small functions do the
 * conversions (lookups, formats, computed ups.realpower, model names) and
 * assemble ups.status from the conditions. No I/O here: usbhid-ups.c
 * reads the device and publishes what these functions return.
 */
#ifndef MGE_HID_H
#define MGE_HID_H

#include <stddef.h>
#include <stdint.h>

#define MGE_HID_VERSION "MGE HID 1.46"

/* ups.status conditions, kept as a bit mask between polls */
#define MGE_ONLINE       (1u << 0)
#define MGE_OFFLINE      (1u << 1)
#define MGE_DISCHRG      (1u << 2)
#define MGE_CHRG         (1u << 3)
#define MGE_LOWBATT      (1u << 4)
#define MGE_OVERLOAD     (1u << 5)
#define MGE_REPLACEBATT  (1u << 6)
#define MGE_SHUTDOWNIMM  (1u << 7)
#define MGE_TRIM         (1u << 8)
#define MGE_BOOST        (1u << 9)
#define MGE_VRANGE       (1u << 10)
#define MGE_FRANGE       (1u << 11)
#define MGE_OFF          (1u << 12)
#define MGE_BYPASSAUTO   (1u << 13)
#define MGE_BYPASSMAN    (1u << 14)
#define MGE_FANFAIL      (1u << 15)
#define MGE_NOBATTERY    (1u << 16)
#define MGE_CHARGERFAIL  (1u << 17)
#define MGE_BATTVOLTHI   (1u << 18)
#define MGE_BATTVOLTLO   (1u << 19)
#define MGE_COMMFAULT    (1u << 20)
#define MGE_OVERHEAT     (1u << 21)
#define MGE_CAL          (1u << 22)

/* entry flags */
#define MGE_F_RW          0x0001   /* settable with SET VAR */
#define MGE_F_ABSENT      0x0002   /* held in the driver: exists when the path does, default text in fmt */
#define MGE_F_STATUS      0x0004   /* drives status conditions (st) */
#define MGE_F_ALARM       0x0008   /* value 1 raises the alarm text in fmt */
#define MGE_F_CMD         0x0010   /* instant command writing fmt (or the argument) */
#define MGE_F_ENUM        0x0020   /* advertise the lookup texts as ENUM */
#define MGE_F_PEGASUS     0x0040   /* only on Pegasus model types (Ellipse ECO ...) */
#define MGE_F_NOTPEGASUS  0x0080   /* only on other model types */
#define MGE_F_CHARGING    0x0100   /* the Charging rule: at 100 % charge it clears CHRG */
#define MGE_F_MODELVOLT   0x0200   /* only on Evolution/Pulsar M/5P/9E types (never on the ECO) */

enum mge_poll {
	MGE_POLL_FULL = 0,    /* every full update (pollfreq) */
	MGE_POLL_QUICK,       /* every pollinterval */
	MGE_POLL_SEMI,        /* full updates after a SET/INSTCMD */
	MGE_POLL_STATIC,      /* start-up only */
};

enum mge_conv {
	MGE_CONV_FMT = 0,     /* printf format of the physical value */
	MGE_CONV_LOOKUP,      /* lookup table value -> text */
	MGE_CONV_STRING,      /* the value is a USB string index */
	MGE_CONV_KELVIN,      /* 273..373 read as kelvin, else degrees C; "%.1f" */
	MGE_CONV_DIV3600,     /* A.s -> A.h, "%.2f" */
	MGE_CONV_DIV100,      /* "%.2f" of value / 100 */
	MGE_CONV_REALPOWER,   /* computed from ups.load, ups.power.nominal, output.powerfactor */
	MGE_CONV_VNOMINAL,    /* output.voltage.nominal: integer, fixes the ENUM family */
};

struct mge_lookup {
	long value;
	const char *text;
};

/* conditions set/cleared for a true (non-zero) and a false (zero) value */
struct mge_status_act {
	uint32_t set1, clr1, set0, clr0;
};

struct mge_entry {
	const char *var;                  /* NUT variable or command; NULL for status/alarm rows */
	const char *path;                 /* HID path */
	unsigned flags;
	enum mge_poll poll;
	enum mge_conv conv;
	const char *fmt;                  /* format, default text (ABSENT), command value, alarm text */
	const struct mge_lookup *lookup;  /* MGE_CONV_LOOKUP (and ENUM) */
	const struct mge_status_act *st;  /* MGE_F_STATUS */
	long aux;                         /* RW string length */
};

extern const struct mge_entry mge_table[];
extern const size_t mge_table_len;

/* what conversions may need from the published state */
struct mge_env {
	const char *(*getinfo)(void *arg, const char *var);
	void *arg;
};

/*
 * Text of a value for a variable entry: 1 with out filled, 0 when the
 * entry produces nothing for it (a lookup miss, missing inputs of a
 * computed value), which leaves the variable to the next entry.
 */
int mge_format(const struct mge_entry *e, double value, const struct mge_env *env,
	char *out, size_t outlen);
/* Inverse for SET VAR: text -> physical value. 0 or -1 (unknown text / not a number). */
int mge_parse(const struct mge_entry *e, const char *text, double *value);

/* Apply a status entry's value to the condition mask. charge < 0 = unknown. */
void mge_status_apply(const struct mge_entry *e, double value, double charge, uint32_t *conds);

struct mge_status_opts {
	int onlinedischarge_onbattery;
	int onlinedischarge_calibration;
};
/* ups.status tokens (space separated, no ALARM) in NUT's order. charge < 0 = unknown. */
void mge_status_text(uint32_t conds, double charge, const struct mge_status_opts *o,
	char *out, size_t outlen);
/* input.transfer.reason text for the conditions, NULL for none */
const char *mge_transfer_reason(uint32_t conds);
/* alarm texts raised by the conditions; calls cb once per text */
void mge_status_alarms(uint32_t conds, void (*cb)(void *arg, const char *text), void *arg);

/*
 * ups.model from the USB product string and the iModel string (or, when
 * that is empty, the nominal power as text); sets *pegasus for the Pegasus
 * model types (Ellipse ECO 650/800/1200/1600, Protection Station 500/650/800).
 */
void mge_model_name(const char *product, const char *imodel, char *out, size_t outlen,
	int *pegasus);

/* The ENUM values of output.voltage.nominal for a first reading of nominal. */
size_t mge_vnominal_enums(long nominal, int offline_type, const char **out, size_t max);

/* A lookup table's text for value, NULL when absent. */
const char *mge_lookup_text(const struct mge_lookup *l, long value);

/* The USB IDs the subdriver claims (0x0463: 0x0001, 0xffff). */
int mge_claims(uint16_t vendorid, uint16_t productid);

#endif
