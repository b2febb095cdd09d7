/*
 * fuzz_devfile: libFuzzer target for dummy-ups's definition file reader
 * (.dev dumps and .seq sequences: "var: value" lines, "TIMER n" pauses).
 *
 * drivers/dummy-ups.c is compiled into this file (its main renamed), so
 * its own functions run unchanged: dummy_initups picks the mode from the
 * file name or the "mode" variable, dummy_initinfo publishes the defaults
 * and plays the file, then the remaining steps are played with every
 * TIMER cut short (as if its time had passed), and one more updateinfo
 * runs (a .seq starts over, a .dev finds the file unchanged). The state
 * goes through the real drvcore (dstate_*, ups.status composition). The
 * first input byte picks the file name (.dev, .seq, neither), the "mode"
 * value and whether the ignorelb flag is set; the rest is the file.
 *
 * Oracle: the sanitizers, the state tree invariants of statecheck.h after
 * every step, and the DUMPALL round trip (what upsd would read back
 * equals the driver's tree) whenever every name can travel as a word.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drvint.h"
#include "log.h"
#include "statecheck.h"

int dummy_ups_main(int argc, char **argv);
#define main dummy_ups_main
#include "../../drivers/dummy-ups.c"
#undef main

static char dir[64];
static char path_dev[128], path_seq[128], path_other[128];
static int file_fd = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_cleanup(void)
{
	if (file_fd >= 0)
		close(file_fd);
	unlink(path_seq);
	unlink(path_other);
	unlink(path_dev);
	rmdir(dir);
}

/* one file, three names: dummy-ups guesses its mode from the suffix */
static void fuzz_setup(void)
{
	log_set_targets(0);      /* format every message, print none */
	log_set_debug(9);
	str_copy(dir, "/tmp/fuzz-devfile-XXXXXX", sizeof(dir));
	if (!mkdtemp(dir))
		abort();
	snprintf(path_dev, sizeof(path_dev), "%s/ups.dev", dir);
	snprintf(path_seq, sizeof(path_seq), "%s/ups.seq", dir);
	snprintf(path_other, sizeof(path_other), "%s/ups.def", dir);
	file_fd = open(path_dev, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (file_fd < 0 || link(path_dev, path_seq) < 0 || link(path_dev, path_other) < 0)
		abort();
	atexit(fuzz_cleanup);
}

static void write_file(const uint8_t *data, size_t size)
{
	if (ftruncate(file_fd, 0) < 0 || (size > 0 && pwrite(file_fd, data, size, 0) != (ssize_t)size))
		abort();
}

static void check(struct drv_ctx *ctx)
{
	const char *status;

	sc_check_tree(&ctx->tree, 0);
	/*
	 * ups.status may be gone: "ups.sTatus:" (empty value) is missed by
	 * apply_var's case-sensitive ups.status test and deletes the variable
	 * through the case-insensitive tree (reported, not changed here).
	 */
	status = st_value(&ctx->tree, "ups.status");
	if (status && strlen(status) >= DRV_STATUS_MAX)
		abort();
}

static void ctx_init(struct drv_ctx *ctx, struct dummy *d, uint8_t mode)
{
	static const char *const modes[] = { NULL, "dummy-once", "dummy-loop", "dummy" };
	static const char *const paths[] = { path_dev, path_seq, path_other, path_dev };

	memset(ctx, 0, sizeof(*ctx));
	memset(d, 0, sizeof(*d));
	st_init(&ctx->tree);
	ctx->priv = d;
	ctx->progname = "dummy-ups";
	ctx->upsname = (char *)"fuzz";
	ctx->port = (char *)paths[mode & 3];
	ctx->listen_fd = -1;
	dummy_makevartable(ctx);
	if (modes[(mode >> 2) & 3])
		ctx->vars[0].value = xstrdup(modes[(mode >> 2) & 3]);
	if (mode & 16)
		st_set(&ctx->tree, "driver.flag.ignorelb", "enabled");
}

static void ctx_free(struct drv_ctx *ctx)
{
	dummy_cleanup(ctx);
	st_clear(&ctx->tree);
	drvconf_free(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct drv_ctx ctx;
	struct dummy d;

	if (size < 1)
		return 0;
	if (file_fd < 0)
		fuzz_setup();
	write_file(data + 1, size - 1);
	ctx_init(&ctx, &d, data[0]);
	if (dummy_initups(&ctx) < 0 || d.mode == MODE_REPEATER)
		abort();
	dummy_initinfo(&ctx);
	check(&ctx);
	/* the TIMER pauses, cut short; every step plays at least one line */
	while (d.active) {
		size_t before = d.cursor;

		d.next_update = 0;
		dummy_updateinfo(&ctx);
		check(&ctx);
		if (d.active && d.cursor <= before)
			abort();
	}
	dummy_updateinfo(&ctx);
	check(&ctx);
	sc_round_trip(&ctx.tree);
	ctx_free(&ctx);
	return 0;
}
