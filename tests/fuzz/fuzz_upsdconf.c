/*
 * fuzz_upsdconf: libFuzzer target for upsd's configuration readers:
 * upsd.conf (conf_read_upsd), upsd's view of ups.conf (conf_read_ups,
 * through common/upsconf) and upsd.users (users_load), all three run over
 * the same bytes written to a temporary file (they read files by path).
 *
 * Oracle: the sanitizers, plus: every message names the file; numbers in
 * the settings are unset (-1) or within their documented bounds; every
 * LISTEN has an address; every UPS has a name, a non-empty driver and a
 * port, no '/' in name or driver, no two names equal ignoring case; every
 * user has a unique non-empty name that users_find returns, logs in with
 * its own password only (and never without one), and a primary/secondary
 * role carries the rights that come with it.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf.h"
#include "upsd.h"
#include "users.h"
#include "util.h"

static char dir[64];
static char path[128];
static int file_fd = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_cleanup(void)
{
	if (file_fd >= 0)
		close(file_fd);
	unlink(path);
	rmdir(dir);
}

static void fuzz_setup(void)
{
	str_copy(dir, "/tmp/fuzz-upsdconf-XXXXXX", sizeof(dir));
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/upsd.conf", dir);
	file_fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (file_fd < 0)
		abort();
	atexit(fuzz_cleanup);
}

static void check_msgs(const struct conf_msgs *m)
{
	size_t i, n = strlen(path);

	for (i = 0; i < m->n; i++)
		if (!m->v[i] || strncmp(m->v[i], path, n) != 0 || m->v[i][n] != ':' ||
		    strlen(m->v[i]) >= 1024)
			abort();
}

static void check_number(long v, long min)
{
	if (v != -1 && (v < min || v > 1000000000L))
		abort();
}

static void check_settings(const struct upsd_settings *s)
{
	size_t i;

	check_number(s->maxage, 1);
	check_number(s->maxconn, 1);
	check_number(s->trackingdelay, 0);
	check_number(s->debug_min, 0);
	if (s->allow_no_device < -1 || s->allow_no_device > 1 ||
	    s->allow_not_all_listeners < -1 || s->allow_not_all_listeners > 1 ||
	    s->disable_weak_ssl < -1 || s->disable_weak_ssl > 1 || s->certrequest < -1)
		abort();
	for (i = 0; i < s->nlisten; i++)
		if (!s->listen[i].addr || s->listen[i].line == 0)
			abort();
	if ((s->certident != NULL) != (s->certident_pass != NULL))
		abort();
}

static void check_specs(const struct ups_specs *u)
{
	size_t i, j;

	for (i = 0; i < u->n; i++) {
		const struct ups_spec *sp = &u->v[i];

		if (!sp->name || !sp->driver || !sp->port || !sp->driver[0] ||
		    strchr(sp->name, '/') || strchr(sp->driver, '/'))
			abort();
		for (j = 0; j < i; j++)
			if (strcasecmp(u->v[j].name, sp->name) == 0)
				abort();
	}
}

static void check_users(struct upsd_user *list)
{
	const unsigned all = UPSD_ACTION_SET | UPSD_ACTION_FSD | UPSD_ACTION_LOGIN | UPSD_ACTION_MASTER;
	const unsigned primary = UPSD_ACTION_LOGIN | UPSD_ACTION_MASTER | UPSD_ACTION_FSD;
	struct upsd d;
	struct upsd_user *u;
	char wrong[PCONF_MAX_WORDLEN + 2];
	size_t i;

	memset(&d, 0, sizeof(d));
	d.users = list;
	for (u = list; u; u = u->next) {
		if (!u->name || !u->name[0] || users_find(&d, u->name) != u)
			abort();
		if (u->actions & ~all)
			abort();
		if (u->role == UPSD_ROLE_PRIMARY && !users_has_action(u, primary))
			abort();
		if (u->role == UPSD_ROLE_SECONDARY && !users_has_action(u, UPSD_ACTION_LOGIN))
			abort();
		if (users_auth(&d, u->name, u->password) != (u->password ? 1 : 0))
			abort();
		if (u->password) {
			snprintf(wrong, sizeof(wrong), "%sx", u->password);
			if (users_auth(&d, u->name, wrong) != 0)
				abort();
		}
		if (users_auth(&d, u->name, NULL) != 0)
			abort();
		for (i = 0; i < u->ninstcmds; i++)
			if (!u->instcmds[i])
				abort();
		if (users_has_instcmd(u, NULL) != 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct upsd_settings s;
	struct ups_specs specs;
	struct upsd_user *users = NULL;
	struct conf_msgs m;

	if (file_fd < 0)
		fuzz_setup();
	if (ftruncate(file_fd, 0) < 0 || (size > 0 && pwrite(file_fd, data, size, 0) != (ssize_t)size))
		abort();

	memset(&m, 0, sizeof(m));
	conf_settings_init(&s);
	if (conf_read_upsd(path, &s, &m) != 0)
		abort();
	check_settings(&s);
	check_msgs(&m);
	conf_settings_free(&s);
	conf_msgs_free(&m);

	memset(&specs, 0, sizeof(specs));
	if (conf_read_ups(path, &specs, &m) != 0)
		abort();
	check_specs(&specs);
	check_msgs(&m);
	conf_specs_free(&specs);
	conf_msgs_free(&m);

	if (users_load(path, &users, &m) != 0)
		abort();
	check_users(users);
	check_msgs(&m);
	users_free(users);
	conf_msgs_free(&m);
	return 0;
}
