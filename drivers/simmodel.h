/*
 * simmodel: a simulated HID UPS. A report descriptor, one value per HID
 * path (Feature and Input twins share it), the USB identity and strings,
 * and behaviour over time: mains loss and return, battery discharge and
 * recharge, low battery, the shutdown/startup countdowns, beeper, battery
 * test and outlet switching. It has no fds and no clock of its own: the
 * caller (sim-transport.c) passes the time to sim_model_tick.
 *
 * Reports are built from the values on every GET_REPORT and decoded into
 * them on every SET_REPORT; an Input report whose bytes changed since it
 * was last sent is queued as an interrupt report.
 *
 * Models: the built-in "ellipse-eco-650" (the synthetic ECO 650
 * descriptor from hiddesc, values from the captured reports of a real
 * ECO 650 and, where the capture has none, from real ECO upsc dumps), or a
 * model file (see sim_model_new).
 */
#ifndef SIMMODEL_H
#define SIMMODEL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "hid.h"

#define SIM_STRINGS_MAX 32
#define SIM_QUEUE_MAX 64

struct sim_model;

/*
 * spec: a built-in model name, or the path of a model file: one
 * directive a line, # comments, NUT config quoting:
 *   model ellipse-eco-650          the built-in model to start from (required, first)
 *   string INDEX "text"            a USB string descriptor
 *   value HID.PATH NUMBER          a value (physical units)
 *   report HH HH ...               a raw report (ID first) decoded into the values
 *   rate DISCHARGE [CHARGE]        battery change in % per second
 *   runtime SECONDS                runtime at 100 % charge
 *   load PERCENT                   output load while the load is on
 * Returns NULL with a message naming file:line in err.
 */
struct sim_model *sim_model_new(const char *spec, uint64_t now_ms, char *err, size_t errlen);
void sim_model_free(struct sim_model *m);

/* The descriptor bytes and its parse; owned by the model. */
const uint8_t *sim_model_descriptor(const struct sim_model *m, size_t *len);
const struct hid_desc *sim_model_desc(const struct sim_model *m);
void sim_model_ids(const struct sim_model *m, uint16_t *vid, uint16_t *pid, uint16_t *bcd,
	uint8_t *imfr, uint8_t *iprod, uint8_t *iserial);

/* Device requests. Byte counts, or -1 (unknown report / string). */
int sim_model_get_report(struct sim_model *m, uint8_t id, enum hid_rtype type,
	uint8_t *buf, size_t len);
int sim_model_set_report(struct sim_model *m, enum hid_rtype type, const uint8_t *buf, size_t len);
int sim_model_get_string(const struct sim_model *m, int index, char *buf, size_t len);
/* Next queued interrupt report: bytes, or 0 when the queue is empty. */
int sim_model_pop_interrupt(struct sim_model *m, uint8_t *buf, size_t len);
size_t sim_model_pending(const struct sim_model *m);
/* Queue raw bytes as an interrupt report (the "garbage" command). */
void sim_model_push_raw(struct sim_model *m, const uint8_t *buf, size_t len);

/* Behaviour. tick advances the model to now_ms (monotonic). */
void sim_model_tick(struct sim_model *m, uint64_t now_ms);
void sim_model_set_mains(struct sim_model *m, int present);
void sim_model_set_rates(struct sim_model *m, double discharge, double charge);

/* Values by HID path: 0, or -1 when the path is not in the descriptor. */
int sim_model_set(struct sim_model *m, const char *path, double value);
int sim_model_get(const struct sim_model *m, const char *path, double *value);

/* "key: value" lines describing the behavioural state (mains, load, charge ...). */
void sim_model_status(const struct sim_model *m, struct buf *out);
/* every path and value, one "path: value" line each */
void sim_model_dump(const struct sim_model *m, struct buf *out);

#endif
