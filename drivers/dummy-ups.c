/*
 * dummy-ups: a simulated UPS fed from a definition file (NUT's .dev dumps
 * and .seq sequences: "var: value" lines, "TIMER n" pauses), on drvcore.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "drvcore.h"
#include "log.h"
#include "pconf.h"
#include "upsclient.h"
#include "util.h"

#define DUMMY_VERSION "0.15"
#define DUMMY_PATH_MAX 512

enum dummy_mode { MODE_NONE, MODE_DUMMY_ONCE, MODE_DUMMY_LOOP, MODE_REPEATER };

/* variables dummy-ups knows: flags and string length (NUT's dummy-ups table) */
struct dummy_info {
	const char *name;
	int flags;
	long len;
};

static const struct dummy_info dummy_table[] = {
	{ "ups.mfr", ST_FLAG_STRING | ST_FLAG_RW, 32 },
	{ "ups.model", ST_FLAG_STRING | ST_FLAG_RW, 32 },
	{ "ups.status", ST_FLAG_STRING | ST_FLAG_RW, 32 },
	{ "ups.serial", ST_FLAG_STRING | ST_FLAG_RW, 32 },
	{ "ups.load", ST_FLAG_RW, 32 },
	{ "ups.alarm", ST_FLAG_STRING | ST_FLAG_RW, 32 },
	{ "ups.time", ST_FLAG_STRING | ST_FLAG_RW, 16 },
	{ "ups.date", ST_FLAG_STRING | ST_FLAG_RW, 16 },
	{ "ups.mfr.date", ST_FLAG_STRING | ST_FLAG_RW, 16 },
	{ "ups.serial", ST_FLAG_STRING | ST_FLAG_RW, 16 },
	{ "ups.firmware", ST_FLAG_STRING | ST_FLAG_RW, 16 },
	{ "ups.firmware.aux", ST_FLAG_STRING | ST_FLAG_RW, 16 },
	{ "ups.temperature", ST_FLAG_RW, 1 },
	{ "ups.id", ST_FLAG_STRING | ST_FLAG_RW, 16 },
	{ "ups.delay.start", ST_FLAG_RW, 1 },
	{ "ups.delay.reboot", ST_FLAG_RW, 1 },
	{ "ups.delay.shutdown", ST_FLAG_RW, 1 },
	{ "ups.test.interval", ST_FLAG_RW, 1 },
	{ "ups.test.result", ST_FLAG_STRING | ST_FLAG_RW, 16 },
	{ "input.voltage", ST_FLAG_RW, 1 },
	{ "input.voltage.maximum", ST_FLAG_RW, 1 },
	{ "input.voltage.minimum", ST_FLAG_RW, 1 },
	{ "input.voltage.nominal", ST_FLAG_RW, 1 },
	{ "input.transfer.reason", ST_FLAG_STRING | ST_FLAG_RW, 1 },
	{ "input.transfer.low", ST_FLAG_RW, 1 },
	{ "input.transfer.high", ST_FLAG_RW, 1 },
	{ "input.sensitivity", ST_FLAG_STRING | ST_FLAG_RW, 1 },
	{ "input.quality", ST_FLAG_STRING | ST_FLAG_RW, 6 },
	{ "input.frequency", ST_FLAG_RW, 1 },
	{ "input.transfer.boost.low", ST_FLAG_RW, 1 },
	{ "input.transfer.boost.high", ST_FLAG_RW, 1 },
	{ "input.transfer.trim.low", ST_FLAG_RW, 1 },
	{ "input.transfer.trim.high", ST_FLAG_RW, 1 },
	{ "output.voltage", ST_FLAG_RW, 1 },
	{ "output.frequency", ST_FLAG_RW, 1 },
	{ "output.current", ST_FLAG_RW, 1 },
	{ "battery.charge", ST_FLAG_RW, 1 },
	{ "battery.charge.low", ST_FLAG_RW, 1 },
	{ "battery.voltage", ST_FLAG_RW, 1 },
	{ "battery.current", ST_FLAG_RW, 1 },
	{ "battery.runtime", ST_FLAG_RW, 1 },
	{ "battery.runtime.low", ST_FLAG_RW, 1 },
	{ "battery.charge.restart", ST_FLAG_RW, 1 },
	{ "battery.temperature", ST_FLAG_RW, 1 },
	{ "battery.voltage.nominal", ST_FLAG_RW, 1 },
	{ "ambient.temperature", ST_FLAG_RW, 1 },
	{ "ambient.temperature.alarm", ST_FLAG_RW, 1 },
	{ "ambient.temperature.high", ST_FLAG_RW, 1 },
	{ "ambient.temperature.low", ST_FLAG_RW, 1 },
	{ "ambient.humidity", ST_FLAG_RW, 1 },
	{ "ambient.humidity.alarm", ST_FLAG_RW, 1 },
	{ "ambient.humidity.high", ST_FLAG_RW, 1 },
	{ "ambient.humidity.low", ST_FLAG_RW, 1 },
};

struct dummy_line {
	int argc;
	char **argv;
};

struct dummy {
	enum dummy_mode mode;
	char path[DUMMY_PATH_MAX];
	struct dummy_line *lines;   /* the file being played, NULL when idle */
	size_t nlines, cap, cursor;
	int active;
	long next_update;           /* monotonic seconds; -1 none */
	time_t mtime;
	/* repeater: ups@host[:port] read through upsd */
	struct upscli cli;
	int connected;
	char *rups, *rhost;
	int rport;
};

static long now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec + 1;   /* never 0 or negative */
}

static const struct dummy_info *find_info(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(dummy_table) / sizeof(dummy_table[0]); i++)
		if (strcasecmp(dummy_table[i].name, name) == 0)
			return &dummy_table[i];
	return NULL;
}

static void set_status(struct drv_ctx *ctx, int argc, char **argv)
{
	int i;

	status_init(ctx);
	for (i = 0; i < argc; i++)
		status_set(ctx, argv[i]);
	status_commit(ctx);
}

static int apply_var(struct drv_ctx *ctx, const char *var, const char *value)
{
	const struct dummy_info *info;
	char *copy = (char *)value;

	log_debug(2, "entering setvar(%s, %s)", var, value);
	if (strncmp(var, "ups.status", 10) == 0) {
		set_status(ctx, 1, &copy);
		return DRV_CMD_HANDLED;
	}
	if (value[0] == '\0') {
		dstate_delinfo(ctx, var);
		return DRV_CMD_HANDLED;
	}
	dstate_setinfo(ctx, var, "%s", value);
	info = find_info(var);
	if (info) {
		dstate_setflags(ctx, var, info->flags);
		if (info->flags & ST_FLAG_STRING)
			dstate_setaux(ctx, var, info->len);
	} else {
		dstate_setflags(ctx, var, ST_FLAG_STRING | ST_FLAG_RW);
		dstate_setaux(ctx, var, 32);
	}
	return DRV_CMD_HANDLED;
}

/* socket SET: only the simulation accepts it (NUT's repeater has no setvar handler) */
static int dummy_setvar(struct drv_ctx *ctx, const char *var, const char *value)
{
	struct dummy *d = drv_priv(ctx);

	if (d->mode == MODE_REPEATER) {
		log_notice("Got SET, but driver lacks a handler");
		return DRV_CMD_UNKNOWN;
	}
	return apply_var(ctx, var, value);
}

static int dummy_instcmd(struct drv_ctx *ctx, const char *cmd, const char *param)
{
	(void)ctx;
	log_notice("instcmd: unknown command [%s] [%s]", cmd, param ? param : "(null)");
	return DRV_CMD_UNKNOWN;
}

/* ------------------------------------------------------------ the definition file */

static void lines_free(struct dummy *d)
{
	size_t i;
	int j;

	for (i = 0; i < d->nlines; i++) {
		for (j = 0; j < d->lines[i].argc; j++)
			free(d->lines[i].argv[j]);
		free(d->lines[i].argv);
	}
	free(d->lines);
	d->lines = NULL;
	d->nlines = d->cap = d->cursor = 0;
	d->active = 0;
}

static int collect_line(void *arg, const char *file, unsigned line, int argc, char **argv)
{
	struct dummy *d = arg;
	struct dummy_line *l;
	int i;

	(void)file;
	(void)line;
	if (argc < 1)
		return 0;
	if (d->nlines == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->lines = xrealloc(d->lines, d->cap * sizeof(*d->lines));
	}
	l = &d->lines[d->nlines++];
	l->argc = argc;
	l->argv = xcalloc((size_t)argc + 1, sizeof(char *));
	for (i = 0; i < argc; i++)
		l->argv[i] = xstrdup(argv[i]);
	return 0;
}

static void parse_err(void *arg, const char *file, unsigned line, const char *msg)
{
	(void)arg;
	log_debug(2, "Parse error: %s:%u: %s", file, line, msg);
}

static void play_value(struct drv_ctx *ctx, int argc, char **argv)
{
	char value[ST_MAX_VALUE_LEN + 1];
	size_t off = 0;
	int i;

	value[0] = '\0';
	for (i = 1; i < argc && off < sizeof(value); i++)
		off += (size_t)snprintf(value + off, sizeof(value) - off, "%s%s", i > 1 ? " " : "", argv[i]);
	apply_var(ctx, argv[0], value);
}

/* one line of the file; returns the TIMER delay (>= 0) or -1 to go on */
static long play_line(struct drv_ctx *ctx, struct dummy_line *l)
{
	char *colon;
	long delay = 0;

	if (strncmp(l->argv[0], "TIMER", 5) == 0) {
		if (l->argc < 2 || parse_long(l->argv[1], 0, 86400 * 365, &delay) < 0)
			delay = 0;
		log_debug(1, "suspending execution for %ld seconds...", delay);
		return delay;
	}
	if ((colon = strchr(l->argv[0], ':')) != NULL)
		*colon = '\0';
	if (strncmp(l->argv[0], "driver.", 7) == 0) {
		log_debug(2, "parse_data_file: skipping %s", l->argv[0]);
		return -1;
	}
	if (strncmp(l->argv[0], "ups.status", 10) == 0)
		set_status(ctx, l->argc - 1, l->argv + 1);
	else
		play_value(ctx, l->argc, l->argv);
	return -1;
}

static void parse_data_file(struct drv_ctx *ctx, struct dummy *d)
{
	long now = now_sec(), delay;

	if (d->next_update > 0 && now < d->next_update) {
		log_debug(1, "leaving (paused)...");
		return;
	}
	if (!d->active) {
		if (pconf_file(d->path, collect_line, parse_err, d) < 0)
			fatal("Can't open dummy-ups definition file %s", d->path);
		d->active = 1;
		d->cursor = 0;
	}
	d->next_update = -1;
	while (d->cursor < d->nlines) {
		delay = play_line(ctx, &d->lines[d->cursor++]);
		if (delay >= 0) {
			d->next_update = now + delay;
			break;
		}
	}
	if (d->next_update == -1)
		lines_free(d);
}

/* ------------------------------------------------------------ driver ops */

static void dummy_makevartable(struct drv_ctx *ctx)
{
	drv_addvar(ctx, DRV_VAR_VALUE, "mode",
		"Specify mode instead of guessing it from port value (dummy = dummy-loop, dummy-once, repeater)");
}

static int ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

static enum dummy_mode choose_mode(const char *mode, const char *port)
{
	if (mode && strcmp(mode, "dummy-once") == 0)
		return MODE_DUMMY_ONCE;
	if (mode && (strcmp(mode, "dummy-loop") == 0 || strcmp(mode, "dummy") == 0))
		return MODE_DUMMY_LOOP;
	if (ends_with(port, ".seq"))
		return MODE_DUMMY_LOOP;
	if (ends_with(port, ".dev"))
		return MODE_DUMMY_ONCE;
	return MODE_NONE;
}

static int dummy_initups(struct drv_ctx *ctx)
{
	struct dummy *d = drv_priv(ctx);
	const char *mode = drv_getval(ctx, "mode");
	const char *port = drv_port(ctx);
	struct stat st;

	if ((mode && strcmp(mode, "repeater") == 0) || (!mode && strchr(port, '@'))) {
		d->mode = MODE_REPEATER;
		dstate_setinfo(ctx, "driver.parameter.mode", "repeater");
		return 0;
	}
	d->mode = choose_mode(mode, port);
	if (d->mode == MODE_DUMMY_ONCE) {
		dstate_setinfo(ctx, "driver.parameter.mode", "dummy-once");
	} else if (d->mode == MODE_DUMMY_LOOP) {
		dstate_setinfo(ctx, "driver.parameter.mode", "dummy-loop");
	} else {
		/* neither asked for nor guessable: the pre-2.8 looping default */
		d->mode = MODE_DUMMY_LOOP;
		dstate_setinfo(ctx, "driver.parameter.mode", "dummy");
	}
	if (port[0] == '/')
		str_copy(d->path, port, sizeof(d->path));
	else if (path_join(d->path, sizeof(d->path), nut_confpath(), port) < 0)
		fatalx("definition file path too long");
	if (stat(d->path, &st) == 0)
		d->mtime = st.st_mtime;
	d->next_update = -1;
	return 0;
}

/* ------------------------------------------------------------ repeater */

/* copy every non-driver.* variable of the remote UPS; 1 or -1 */
static int repeater_update(struct drv_ctx *ctx, struct dummy *d)
{
	const char *query[2] = { "VAR", d->rups };
	char **answer;
	int numa, rc;

	if (upscli_list_start(&d->cli, 2, query) < 0) {
		log_debug(1, "Error: %s", upscli_strerror(&d->cli));
		return -1;
	}
	while ((rc = upscli_list_next(&d->cli, 2, query, &numa, &answer)) == 1) {
		if (numa < 4)
			continue;
		if (strncmp(answer[2], "driver.", 7) != 0)
			apply_var(ctx, answer[2], answer[3]);
	}
	return rc < 0 ? -1 : 1;
}

static void repeater_init(struct drv_ctx *ctx, struct dummy *d)
{
	if (upscli_splitname(drv_port(ctx), &d->rups, &d->rhost, &d->rport) != 0)
		fatalx("Error: invalid UPS definition.\nRequired format: upsname[@hostname[:port]]");
	if (upscli_connect(&d->cli, d->rhost, d->rport, UPSCLI_CONN_TRYSSL) < 0)
		fatalx("Error: %s", upscli_strerror(&d->cli));
	d->connected = 1;
	log_debug(1, "Connected to %s@%s", d->rups, d->rhost);
	if (repeater_update(ctx, d) < 0) {
		if (upscli_upserror(&d->cli) == UPSCLI_ERR_UNKCOMMAND)
			fatalx("Error: upsd is too old to support this query");
		fatalx("Error: %s", upscli_strerror(&d->cli));
	}
}

static void repeater_poll(struct drv_ctx *ctx, struct dummy *d)
{
	if (d->connected && repeater_update(ctx, d) > 0) {
		dstate_dataok(ctx);
		return;
	}
	if (d->connected)
		upscli_disconnect(&d->cli);
	d->connected = 0;
	if (upscli_connect(&d->cli, d->rhost, d->rport, UPSCLI_CONN_TRYSSL) < 0) {
		log_debug(1, "Error reconnecting: %s", upscli_strerror(&d->cli));
		return;
	}
	d->connected = 1;
	log_debug(1, "Reconnected");
}

static int dummy_initinfo(struct drv_ctx *ctx)
{
	static const char *const init[][2] = {
		{ "ups.mfr", "Dummy Manufacturer" }, { "ups.model", "Dummy UPS" },
		{ "ups.status", "OL" },
	};
	struct dummy *d = drv_priv(ctx);
	size_t i;

	if (d->mode == MODE_REPEATER) {
		repeater_init(ctx, d);
		dstate_addcmd(ctx, "load.off");
		return 0;
	}
	for (i = 0; i < sizeof(init) / sizeof(init[0]); i++) {
		dstate_setinfo(ctx, init[i][0], "%s", init[i][1]);
		dstate_setflags(ctx, init[i][0], ST_FLAG_STRING | ST_FLAG_RW);
		dstate_setaux(ctx, init[i][0], 32);
	}
	parse_data_file(ctx, d);
	dstate_dataok(ctx);
	dstate_addcmd(ctx, "load.off");
	return 0;
}

/* dummy-once: replay the file only when it changed on disk */
static int file_changed(struct dummy *d)
{
	struct stat st;

	if (stat(d->path, &st) != 0) {
		log_debug(2, "Can't open %s currently", d->path);
		d->mtime = 0;
		return 1;
	}
	if (st.st_mtime != d->mtime) {
		log_debug(2, "input file was already read once to the end, but changed later - re-reading");
		d->mtime = st.st_mtime;
		return 1;
	}
	return 0;
}

static void dummy_updateinfo(struct drv_ctx *ctx)
{
	struct dummy *d = drv_priv(ctx);

	log_debug(1, "upsdrv_updateinfo...");
	if (d->mode == MODE_REPEATER) {
		repeater_poll(ctx, d);
		return;
	}
	if (d->mode == MODE_DUMMY_ONCE && !d->active && d->next_update == -1) {
		if (!file_changed(d)) {
			log_debug(2, "upsdrv_updateinfo: NO-OP: input file was already read once to the end");
			dstate_dataok(ctx);
			return;
		}
		d->next_update = 1;
	}
	parse_data_file(ctx, d);
	dstate_dataok(ctx);
}

static int dummy_shutdown(struct drv_ctx *ctx)
{
	log_warnx("%s: shutdown not supported", drv_upsname(ctx));
	return -1;
}

static void dummy_cleanup(struct drv_ctx *ctx)
{
	struct dummy *d = drv_priv(ctx);

	lines_free(d);
	if (d->connected)
		upscli_disconnect(&d->cli);
	free(d->rups);
	free(d->rhost);
}

int main(int argc, char **argv)
{
	static const struct drv_ops ops = {
		.name = "dummy-ups",
		.version = DUMMY_VERSION,
		.desc = "Device simulation and repeater driver",
		.makevartable = dummy_makevartable,
		.initups = dummy_initups,
		.initinfo = dummy_initinfo,
		.updateinfo = dummy_updateinfo,
		.instcmd = dummy_instcmd,
		.setvar = dummy_setvar,
		.shutdown = dummy_shutdown,
		.cleanup = dummy_cleanup,
	};
	struct dummy d;

	memset(&d, 0, sizeof(d));
	return drv_main(argc, argv, &ops, &d);
}
