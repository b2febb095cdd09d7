/*
 * netcmds: the network protocol commands of upsd (protocol 1.3, as
 * NUT 2.8.0). Every reply of one request line is collected in one buffer
 * and queued with a single client_send_raw(), so a LIST leaves in one
 * write. Each reply line is capped like upsd 2.8.0 does (512 bytes,
 * newline included; a longer line is cut and loses its newline).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "desc.h"
#include "log.h"
#include "netcmds.h"
#include "starttls.h"
#include "tracking.h"
#include "util.h"

#define NET_ANSWER_MAX 512     /* reply line, newline included */
#define NET_ESC_MAX    512     /* encoded value buffer (NUL included) */
#define NET_SOCKCMD_MAX 512    /* line to the driver (newline included) */

#define NET_VERSION "1.3"

/* command flags */
#define CMD_AUTH 0x1           /* USERNAME and PASSWORD must be set */

struct netctx {
	struct upsd *d;
	struct upsd_client *c;
	int argc;                  /* arguments after the command word(s) */
	char **argv;
	struct buf out;
};

typedef void (*net_handler)(struct netctx *x);

struct net_cmd {
	const char *name;
	unsigned flags;
	net_handler fn;
};

struct net_sub {
	const char *name;
	int minargs;               /* arguments needed after the sub-command */
	net_handler fn;
};

/* ------------------------------------------------------------ replies */

static void reply(struct netctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void reply(struct netctx *x, const char *fmt, ...)
{
	char line[NET_ANSWER_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	buf_puts(&x->out, line);
}

static void reply_err(struct netctx *x, const char *token)
{
	reply(x, "ERR %s\n", token);
}

/* append to a fixed line, cut at its size as upsd's snprintfcat does */
static void line_cat(char *dst, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void line_cat(char *dst, size_t size, const char *fmt, ...)
{
	size_t len = strlen(dst);
	va_list ap;

	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(dst + len, size - len, fmt, ap);
	va_end(ap);
}

/* escape for a quoted reply value, truncated as upsd does */
static const char *enc(const char *s, char *dst, size_t dstlen)
{
	str_escape(dst, dstlen, s ? s : "");
	return dst;
}

/* ------------------------------------------------------------ helpers */

static struct upsd_ups *ups_or_err(struct netctx *x, const char *name, int need_avail)
{
	struct upsd_ups *ups = upsd_find_ups(x->d, name);
	const char *why;

	if (!ups) {
		reply_err(x, "UNKNOWN-UPS");
		return NULL;
	}
	if (need_avail && (why = ups_available(ups)) != NULL) {
		reply_err(x, why);
		return NULL;
	}
	return ups;
}

/* the session's user when both strings match upsd.users, else NULL */
static struct upsd_user *session_user(struct netctx *x)
{
	struct upsd_user *u;

	if (!x->c->username || !x->c->password)
		return NULL;
	u = users_find(x->d, x->c->username);
	if (!u || !users_auth(x->d, x->c->username, x->c->password))
		return NULL;
	return u;
}

static int has_action(struct netctx *x, unsigned action)
{
	struct upsd_user *u = session_user(x);

	return u && users_has_action(u, action);
}

/* atoi() semantics (leading number, junk ignored), as upsd's range check */
static int lenient_int(const char *s)
{
	return (int)strtol(s, NULL, 10);
}

static const char *status_prefix(const struct upsd_ups *ups, const char *var)
{
	return (ups->fsd && strcasecmp(var, "ups.status") == 0) ? "FSD " : "";
}

static const struct net_sub *find_sub(const struct net_sub *tab, const char *name)
{
	for (; tab->name; tab++)
		if (strcasecmp(tab->name, name) == 0)
			return tab;
	return NULL;
}

/* run a sub-command table: argv[0] is the sub-command */
static void run_sub(struct netctx *x, const struct net_sub *tab)
{
	const struct net_sub *s;

	if (x->argc < 1 || (s = find_sub(tab, x->argv[0])) == NULL || x->argc - 1 < s->minargs) {
		reply_err(x, "INVALID-ARGUMENT");
		return;
	}
	s->fn(x);
}

/* ------------------------------------------------------------ misc */

static void net_ver(struct netctx *x)
{
	if (x->argc != 0) {
		reply_err(x, "INVALID-ARGUMENT");
		return;
	}
	reply(x, "Network UPS Tools upsd %s - %s\n", NUT_VERSION, NUT_WEBSITE);
}

static void net_netver(struct netctx *x)
{
	if (x->argc != 0) {
		reply_err(x, "INVALID-ARGUMENT");
		return;
	}
	reply(x, "%s\n", NET_VERSION);
}

static void net_help(struct netctx *x)
{
	if (x->argc != 0) {
		reply_err(x, "INVALID-ARGUMENT");
		return;
	}
	reply(x, "Commands: HELP VER GET LIST SET INSTCMD LOGIN LOGOUT USERNAME PASSWORD STARTTLS\n");
}

/* arguments are ignored, as upsd 2.8.0 does */
static void net_starttls(struct netctx *x)
{
	const char *why = starttls_refusal(x->d, x->c);

	if (why) {
		reply_err(x, why);
		return;
	}
	reply(x, "OK STARTTLS\n");
	starttls_accepted(x->c);
}

/* ------------------------------------------------------------ users */

static void net_username(struct netctx *x)
{
	if (x->argc != 1) {
		reply_err(x, "INVALID-ARGUMENT");
		return;
	}
	if (x->c->username) {
		log_info("Client %s@%s tried to set a username twice", x->c->username, x->c->addr);
		reply_err(x, "ALREADY-SET-USERNAME");
		return;
	}
	x->c->username = xstrdup(x->argv[0]);
	reply(x, "OK\n");
}

static void net_password(struct netctx *x)
{
	if (x->argc != 1) {
		reply_err(x, "INVALID-ARGUMENT");
		return;
	}
	if (x->c->password) {
		log_info("Client on %s tried to set a password twice", x->c->addr);
		reply_err(x, "ALREADY-SET-PASSWORD");
		return;
	}
	x->c->password = xstrdup(x->argv[0]);
	reply(x, "OK\n");
}

static void net_login(struct netctx *x)
{
	struct upsd_ups *ups;

	if (x->argc != 1) {
		reply_err(x, "INVALID-ARGUMENT");
		return;
	}
	if (x->c->loginups) {
		reply_err(x, "ALREADY-LOGGED-IN");
		return;
	}
	if ((ups = ups_or_err(x, x->argv[0], 0)) == NULL)
		return;
	if (!has_action(x, UPSD_ACTION_LOGIN)) {
		log_notice("Client %s@%s: LOGIN denied", x->c->username, x->c->addr);
		reply_err(x, "ACCESS-DENIED");
		return;
	}
	ups->numlogins++;
	x->c->loginups = ups;
	log_info("User %s@%s logged into UPS [%s]%s", x->c->username, x->c->addr, ups->name,
		x->c->tls ? " (SSL)" : "");
	reply(x, "OK\n");
}

static void net_logout(struct netctx *x)
{
	if (x->argc != 0) {
		reply_err(x, "INVALID-ARGUMENT");
		return;
	}
	if (x->c->loginups)
		log_info("User %s@%s logged out from UPS [%s]", x->c->username ? x->c->username : "",
			x->c->addr, x->c->loginups->name);
	reply(x, "OK Goodbye\n");
	client_close_later(x->c);
}

/* PRIMARY / MASTER: 0 when granted (reply left to the caller) */
static int primary_check(struct netctx *x)
{
	if (x->argc != 1) {
		reply_err(x, "INVALID-ARGUMENT");
		return -1;
	}
	if (!ups_or_err(x, x->argv[0], 0))
		return -1;
	if (!has_action(x, UPSD_ACTION_MASTER)) {
		reply_err(x, "ACCESS-DENIED");
		return -1;
	}
	return 0;
}

static void net_primary(struct netctx *x)
{
	if (primary_check(x) == 0)
		reply(x, "OK PRIMARY-GRANTED\n");
}

static void net_master(struct netctx *x)
{
	log_info("Client %s@%s requested MASTER level for device %s - deprecated in favor of PRIMARY",
		x->c->username, x->c->addr, x->argc > 0 ? x->argv[0] : "<null>");
	if (primary_check(x) == 0)
		reply(x, "OK MASTER-GRANTED\n");
}

static void net_fsd(struct netctx *x)
{
	struct upsd_ups *ups;

	if (x->argc != 1) {
		reply_err(x, "INVALID-ARGUMENT");
		return;
	}
	if ((ups = ups_or_err(x, x->argv[0], 0)) == NULL)
		return;
	if (!has_action(x, UPSD_ACTION_FSD)) {
		reply_err(x, "ACCESS-DENIED");
		return;
	}
	log_notice("Client %s@%s set FSD on UPS [%s]", x->c->username, x->c->addr, ups->name);
	ups->fsd = 1;
	reply(x, "OK FSD-SET\n");
}

/* ------------------------------------------------------------ GET */

static void get_numlogins(struct netctx *x)
{
	struct upsd_ups *ups = ups_or_err(x, x->argv[1], 1);

	if (ups)
		reply(x, "NUMLOGINS %s %d\n", x->argv[1], ups->numlogins);
}

static void get_upsdesc(struct netctx *x)
{
	struct upsd_ups *ups = ups_or_err(x, x->argv[1], 0);
	char esc[NET_ESC_MAX];

	if (!ups)
		return;
	if (ups->desc)
		reply(x, "UPSDESC %s \"%s\"\n", x->argv[1], enc(ups->desc, esc, sizeof(esc)));
	else
		reply(x, "UPSDESC %s \"Unavailable\"\n", x->argv[1]);
}

static void get_var_server(struct netctx *x)
{
	if (strcasecmp(x->argv[2], "server.info") == 0)
		reply(x, "VAR %s server.info \"Network UPS Tools upsd %s - %s\"\n",
			x->argv[1], NUT_VERSION, NUT_WEBSITE);
	else if (strcasecmp(x->argv[2], "server.version") == 0)
		reply(x, "VAR %s server.version \"%s\"\n", x->argv[1], NUT_VERSION);
	else
		reply_err(x, "VAR-NOT-SUPPORTED");
}

static void get_var(struct netctx *x)
{
	struct upsd_ups *ups;
	const char *val;
	char esc[NET_ESC_MAX];

	if (strncasecmp(x->argv[2], "server.", 7) == 0) {
		get_var_server(x);
		return;
	}
	if ((ups = ups_or_err(x, x->argv[1], 1)) == NULL)
		return;
	if ((val = st_value(&ups->state, x->argv[2])) == NULL) {
		reply_err(x, "VAR-NOT-SUPPORTED");
		return;
	}
	reply(x, "VAR %s %s \"%s%s\"\n", x->argv[1], x->argv[2],
		status_prefix(ups, x->argv[2]), enc(val, esc, sizeof(esc)));
}

static void get_type(struct netctx *x)
{
	struct upsd_ups *ups;
	const struct st_var *v;
	char line[NET_ANSWER_MAX];

	if ((ups = ups_or_err(x, x->argv[1], 1)) == NULL)
		return;
	if ((v = st_get(&ups->state, x->argv[2])) == NULL) {
		reply_err(x, "VAR-NOT-SUPPORTED");
		return;
	}
	line[0] = '\0';
	line_cat(line, sizeof(line), "TYPE %s %s%s%s%s", x->argv[1], x->argv[2],
		(v->flags & ST_FLAG_RW) ? " RW" : "",
		v->nenums ? " ENUM" : "",
		v->nranges ? " RANGE" : "");
	if (v->flags & ST_FLAG_STRING)
		reply(x, "%s STRING:%ld\n", line, v->aux);
	else
		reply(x, "%s NUMBER\n", line);
}

static void get_desc(struct netctx *x)
{
	const char *text;

	if (!ups_or_err(x, x->argv[1], 1))
		return;
	text = desc_get_var(x->d, x->argv[2]);
	reply(x, "DESC %s %s \"%s\"\n", x->argv[1], x->argv[2],
		text ? text : "Description unavailable");
}

static void get_cmddesc(struct netctx *x)
{
	const char *text;

	if (!ups_or_err(x, x->argv[1], 1))
		return;
	text = desc_get_cmd(x->d, x->argv[2]);
	reply(x, "CMDDESC %s %s \"%s\"\n", x->argv[1], x->argv[2],
		text ? text : "Description unavailable");
}

/* GET TRACKING [id]: this connection's flag, or the status of one request */
static void get_tracking(struct netctx *x)
{
	if (x->argc < 2)
		reply(x, "%s\n", x->c->tracking ? "ON" : "OFF");
	else if (x->c->tracking)
		reply(x, "%s\n", tracking_get(x->d, x->argv[1]));
	else
		reply_err(x, "FEATURE-NOT-CONFIGURED");
}

static const struct net_sub get_subs[] = {
	{ "TRACKING", 0, get_tracking },
	{ "NUMLOGINS", 1, get_numlogins },
	{ "UPSDESC", 1, get_upsdesc },
	{ "VAR", 2, get_var },
	{ "TYPE", 2, get_type },
	{ "DESC", 2, get_desc },
	{ "CMDDESC", 2, get_cmddesc },
	{ NULL, 0, NULL }
};

static void net_get(struct netctx *x)
{
	run_sub(x, get_subs);
}

/* ------------------------------------------------------------ LIST */

static void list_ups(struct netctx *x)
{
	char esc[NET_ESC_MAX];

	reply(x, "BEGIN LIST UPS\n");
	for (const struct upsd_ups *u = x->d->ups; u; u = u->next) {
		if (u->desc)
			reply(x, "UPS %s \"%s\"\n", u->name, enc(u->desc, esc, sizeof(esc)));
		else
			reply(x, "UPS %s \"Description unavailable\"\n", u->name);
	}
	reply(x, "END LIST UPS\n");
}

/* LIST VAR (rw = 0) and LIST RW (rw = 1) */
static void list_vars(struct netctx *x, int rw)
{
	const char *kw = rw ? "RW" : "VAR";
	const char *name = x->argv[1];
	struct upsd_ups *ups = ups_or_err(x, name, 1);
	char esc[NET_ESC_MAX];

	if (!ups)
		return;
	reply(x, "BEGIN LIST %s %s\n", kw, name);
	for (size_t i = 0; i < ups->state.nvars; i++) {
		const struct st_var *v = ups->state.vars[i];

		if (rw && !(v->flags & ST_FLAG_RW))
			continue;
		reply(x, "%s %s %s \"%s%s\"\n", kw, name, v->name,
			rw ? "" : status_prefix(ups, v->name), enc(v->value, esc, sizeof(esc)));
	}
	reply(x, "END LIST %s %s\n", kw, name);
}

static void list_var(struct netctx *x)
{
	list_vars(x, 0);
}

static void list_rw(struct netctx *x)
{
	list_vars(x, 1);
}

static void list_cmd(struct netctx *x)
{
	const char *name = x->argv[1];
	struct upsd_ups *ups = ups_or_err(x, name, 1);

	if (!ups)
		return;
	reply(x, "BEGIN LIST CMD %s\n", name);
	for (size_t i = 0; i < ups->state.ncmds; i++)
		reply(x, "CMD %s %s\n", name, ups->state.cmds[i]);
	reply(x, "END LIST CMD %s\n", name);
}

static void list_client(struct netctx *x)
{
	const char *name = x->argv[1];
	struct upsd_ups *ups = ups_or_err(x, name, 0);

	if (!ups)
		return;
	reply(x, "BEGIN LIST CLIENT %s\n", name);
	for (const struct upsd_client *c = x->d->clients; c; c = c->next)
		if (c->loginups == ups && !c->dead)
			reply(x, "CLIENT %s %s\n", ups->name, c->addr);
	reply(x, "END LIST CLIENT %s\n", name);
}

/* LIST ENUM / LIST RANGE: the variable, or NULL after an error reply */
static const struct st_var *list_var_node(struct netctx *x)
{
	struct upsd_ups *ups = ups_or_err(x, x->argv[1], 1);
	const struct st_var *v;

	if (!ups)
		return NULL;
	if ((v = st_get(&ups->state, x->argv[2])) == NULL)
		reply_err(x, "VAR-NOT-SUPPORTED");
	return v;
}

static void list_enum(struct netctx *x)
{
	const struct st_var *v = list_var_node(x);
	char esc[NET_ESC_MAX];

	if (!v)
		return;
	reply(x, "BEGIN LIST ENUM %s %s\n", x->argv[1], x->argv[2]);
	for (size_t i = 0; i < v->nenums; i++)
		reply(x, "ENUM %s %s \"%s\"\n", x->argv[1], x->argv[2],
			enc(v->enums[i], esc, sizeof(esc)));
	reply(x, "END LIST ENUM %s %s\n", x->argv[1], x->argv[2]);
}

static void list_range(struct netctx *x)
{
	const struct st_var *v = list_var_node(x);

	if (!v)
		return;
	reply(x, "BEGIN LIST RANGE %s %s\n", x->argv[1], x->argv[2]);
	for (size_t i = 0; i < v->nranges; i++)
		reply(x, "RANGE %s %s \"%d\" \"%d\"\n", x->argv[1], x->argv[2],
			(int)v->ranges[i].min, (int)v->ranges[i].max);
	reply(x, "END LIST RANGE %s %s\n", x->argv[1], x->argv[2]);
}

static const struct net_sub list_subs[] = {
	{ "UPS", 0, list_ups },
	{ "VAR", 1, list_var },
	{ "RW", 1, list_rw },
	{ "CMD", 1, list_cmd },
	{ "CLIENT", 1, list_client },
	{ "ENUM", 2, list_enum },
	{ "RANGE", 2, list_range },
	{ NULL, 0, NULL }
};

static void net_list(struct netctx *x)
{
	run_sub(x, list_subs);
}

/* ------------------------------------------------------------ SET / INSTCMD */

/* value checks of SET VAR: NULL when acceptable, else the ERR token */
static const char *set_check_value(struct upsd_ups *ups, const struct st_var *v, const char *val)
{
	int found;

	if (v->flags & ST_FLAG_STRING) {
		if (v->aux < 1) {
			log_warnx("UPS [%s]: variable %s is a STRING with no length", ups->name, v->name);
			return "SET-FAILED";
		}
		if (v->aux < (long)strlen(val))
			return "TOO-LONG";
	}
	if (v->nenums) {
		found = 0;
		for (size_t i = 0; i < v->nenums && !found; i++)
			found = strcmp(v->enums[i], val) == 0;
		if (!found)
			return "INVALID-VALUE";
	}
	if (v->nranges) {
		int n = lenient_int(val);

		found = 0;
		for (size_t i = 0; i < v->nranges && !found; i++)
			found = n >= v->ranges[i].min && n <= v->ranges[i].max;
		if (!found)
			return "INVALID-VALUE";
	}
	return NULL;
}

/* forward a request line to the driver, with the tracking id if any; 0 or -1 */
static int forward(struct netctx *x, struct upsd_ups *ups, char *line, size_t linesize,
	const char *id)
{
	/* a line cut at linesize could leave a quote open on the driver socket */
	if (strlen(line) + (id[0] ? strlen(" TRACKING ") + strlen(id) : 0) + 1 >= linesize) {
		reply_err(x, "TOO-LONG");
		return 0;
	}
	if (id[0]) {
		line_cat(line, linesize, " TRACKING %s", id);
		tracking_add(x->d, id);
	}
	if (driverlink_send(ups, line) != 0)
		return -1;
	if (id[0])
		reply(x, "OK TRACKING %s\n", id);
	else
		reply(x, "OK\n");
	return 0;
}

/* SET VAR <ups> <var> <value> */
static void set_var(struct netctx *x)
{
	const char *var = x->argv[2], *val = x->argv[3];
	char id[TRACKING_ID_LEN + 1] = "", esc[NET_ESC_MAX], line[NET_SOCKCMD_MAX - 1];
	struct upsd_ups *ups;
	const struct st_var *v;
	const char *bad;

	if (x->c->tracking)
		tracking_gen_id(x->d, id, sizeof(id));
	if ((ups = ups_or_err(x, x->argv[1], 1)) == NULL)
		return;
	if (!has_action(x, UPSD_ACTION_SET)) {
		reply_err(x, "ACCESS-DENIED");
		return;
	}
	if ((v = st_get(&ups->state, var)) == NULL) {
		reply_err(x, "VAR-NOT-SUPPORTED");
		return;
	}
	if (!(v->flags & ST_FLAG_RW)) {
		reply_err(x, "READONLY");
		return;
	}
	if ((bad = set_check_value(ups, v, val)) != NULL) {
		reply_err(x, bad);
		return;
	}
	line[0] = '\0';
	line_cat(line, sizeof(line), "SET %s \"%s\"", var, enc(val, esc, sizeof(esc)));
	log_info("Set variable: %s@%s set %s on %s to %s (tracking ID: %s)", x->c->username,
		x->c->addr, var, ups->name, val, id[0] ? id : "disabled");
	if (forward(x, ups, line, sizeof(line), id) != 0)
		reply_err(x, "SET-FAILED");
}

/* SET TRACKING ON|OFF */
static void set_tracking(struct netctx *x)
{
	if (strcasecmp(x->argv[1], "ON") == 0)
		x->c->tracking = 1;
	else if (strcasecmp(x->argv[1], "OFF") == 0)
		x->c->tracking = 0;
	else {
		reply_err(x, "INVALID-ARGUMENT");
		return;
	}
	reply(x, "OK\n");
}

static const struct net_sub set_subs[] = {
	{ "VAR", 3, set_var },
	{ "TRACKING", 1, set_tracking },
	{ NULL, 0, NULL }
};

static void net_set(struct netctx *x)
{
	/* SET needs a sub-command and at least one argument whatever it is */
	if (x->argc < 2) {
		reply_err(x, "INVALID-ARGUMENT");
		return;
	}
	run_sub(x, set_subs);
}

/* INSTCMD <ups> <cmd> [<value>]: the value is used only with exactly 3 arguments */
static void net_instcmd(struct netctx *x)
{
	char id[TRACKING_ID_LEN + 1] = "", esc[NET_ESC_MAX], line[NET_SOCKCMD_MAX - 1];
	const char *cmd, *value;
	struct upsd_ups *ups;
	struct upsd_user *u;

	if (x->argc < 2) {
		reply_err(x, "INVALID-ARGUMENT");
		return;
	}
	cmd = x->argv[1];
	value = x->argc == 3 ? x->argv[2] : NULL;
	if (x->c->tracking)
		tracking_gen_id(x->d, id, sizeof(id));
	if ((ups = ups_or_err(x, x->argv[0], 1)) == NULL)
		return;
	if (!st_has_cmd(&ups->state, cmd)) {
		reply_err(x, "CMD-NOT-SUPPORTED");
		return;
	}
	if ((u = session_user(x)) == NULL || !users_has_instcmd(u, cmd)) {
		reply_err(x, "ACCESS-DENIED");
		return;
	}
	line[0] = '\0';
	/* the value is quoted so that it stays one word on the driver socket */
	line_cat(line, sizeof(line), "INSTCMD %s%s%s%s", cmd, value ? " \"" : "",
		value ? enc(value, esc, sizeof(esc)) : "", value ? "\"" : "");
	log_info("Instant command: %s@%s did %s%s%s on %s (tracking ID: %s)", x->c->username,
		x->c->addr, cmd, value ? " with value " : "", value ? value : "", ups->name,
		id[0] ? id : "disabled");
	if (forward(x, ups, line, sizeof(line), id) != 0)
		reply_err(x, "INSTCMD-FAILED");
}

/* ------------------------------------------------------------ dispatch */

static const struct net_cmd net_cmds[] = {
	{ "VER", 0, net_ver },
	{ "NETVER", 0, net_netver },
	{ "PROTVER", 0, net_netver },
	{ "HELP", 0, net_help },
	{ "STARTTLS", 0, net_starttls },
	{ "GET", 0, net_get },
	{ "LIST", 0, net_list },
	{ "USERNAME", 0, net_username },
	{ "PASSWORD", 0, net_password },
	{ "LOGOUT", 0, net_logout },
	{ "LOGIN", CMD_AUTH, net_login },
	{ "PRIMARY", CMD_AUTH, net_primary },
	{ "MASTER", CMD_AUTH, net_master },
	{ "FSD", CMD_AUTH, net_fsd },
	{ "SET", CMD_AUTH, net_set },
	{ "INSTCMD", CMD_AUTH, net_instcmd },
	{ NULL, 0, NULL }
};

static const struct net_cmd *find_cmd(const char *name)
{
	for (const struct net_cmd *k = net_cmds; k->name; k++)
		if (strcasecmp(k->name, name) == 0)
			return k;
	return NULL;
}

void netcmd_dispatch(struct upsd *d, struct upsd_client *c, int argc, char **argv)
{
	struct netctx x = { .d = d, .c = c, .argc = argc - 1, .argv = argv + 1 };
	const struct net_cmd *k = argc >= 1 ? find_cmd(argv[0]) : NULL;

	buf_init(&x.out, UPSD_CLIENT_OUTMAX);
	if (!k)
		reply_err(&x, "UNKNOWN-COMMAND");
	else if ((k->flags & CMD_AUTH) && !c->username)
		reply_err(&x, "USERNAME-REQUIRED");
	else if ((k->flags & CMD_AUTH) && !c->password)
		reply_err(&x, "PASSWORD-REQUIRED");
	else
		k->fn(&x);
	if (x.out.overflow)
		log_warnx("reply to %s too large: closing", c->addr);
	/* one queue call per request: a LIST leaves in one write */
	if (x.out.len > 0 && client_send_raw(c, x.out.data, x.out.len) != 0)
		log_debug(1, "client %s: output buffer full", c->addr);
	if (x.out.overflow)
		client_close_later(c);
	buf_free(&x.out);
}
