/*
 * drvconf: driver arguments (-a -s -x -D -d -F -B -u -i -k ...), the
 * ups.conf section and global directives, and the table of driver
 * variables (drv_addvar/drv_getval), published as driver.parameter.* and
 * driver.flag.*; override.* and default.* entries go to the state tree.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "drvint.h"
#include "log.h"
#include "upsconf.h"
#include "util.h"

/* ------------------------------------------------------------ variables */

void drv_addvar(struct drv_ctx *ctx, int type, const char *name, const char *desc)
{
	struct drv_var *v;

	ctx->vars = xrealloc(ctx->vars, (ctx->nvars + 1) * sizeof(*ctx->vars));
	v = &ctx->vars[ctx->nvars++];
	v->type = type;
	v->name = xstrdup(name);
	v->desc = xstrdup(desc ? desc : "");
	v->value = NULL;
	v->found = 0;
}

static struct drv_var *drv_findvar(struct drv_ctx *ctx, const char *name)
{
	size_t i;

	for (i = 0; i < ctx->nvars; i++)
		if (strcasecmp(ctx->vars[i].name, name) == 0)
			return &ctx->vars[i];
	return NULL;
}

const char *drv_getval(struct drv_ctx *ctx, const char *name)
{
	struct drv_var *v = drv_findvar(ctx, name);

	return v ? v->value : NULL;
}

int drv_testvar(struct drv_ctx *ctx, const char *name)
{
	struct drv_var *v = drv_findvar(ctx, name);
	char flag[256];

	if (v)
		return v->found;
	/* core flags (nolock, ignorelb) live only in the tree, as in NUT */
	snprintf(flag, sizeof(flag), "driver.flag.%s", name);
	return st_value(&ctx->tree, flag) != NULL;
}

const char *drv_port(struct drv_ctx *ctx)
{
	return ctx->port;
}

void drv_set_pollinterval(struct drv_ctx *ctx, unsigned ms)
{
	ctx->poll_ms = ms ? ms : 1;
}

/* ------------------------------------------------------------ configuration */

static void dparam_setinfo(struct drv_ctx *ctx, const char *var, const char *val)
{
	char name[256];

	if (val) {
		snprintf(name, sizeof(name), "driver.parameter.%s", var);
		dstate_setinfo(ctx, name, "%s", val);
	} else {
		snprintf(name, sizeof(name), "driver.flag.%s", var);
		dstate_setinfo(ctx, name, "enabled");
	}
}

/* a driver variable (or override./default.); unknown names stop the driver, as NUT */
static void storeval(struct drv_ctx *ctx, const char *var, const char *val)
{
	struct drv_var *v;

	if (strncasecmp(var, "override.", 9) == 0 && val) {
		dstate_setinfo(ctx, var + 9, "%s", val);
		dstate_setflags(ctx, var + 9, ST_FLAG_IMMUTABLE);
		return;
	}
	if (strncasecmp(var, "default.", 8) == 0 && val) {
		dstate_setinfo(ctx, var + 8, "%s", val);
		return;
	}
	v = drv_findvar(ctx, var);
	if (!v) {
		printf("\nFatal error: '%s' is not a valid %s for this driver.\n\n", var,
			val ? "variable name" : "flag");
		printf("Look in the man page or call this driver with -h for a list of\n");
		printf("valid variable names and flags.\n");
		exit(EXIT_SUCCESS);
	}
	free(v->value);
	v->value = val ? xstrdup(val) : NULL;
	v->found = 1;
	dparam_setinfo(ctx, var, val);
}

static void set_pollinterval(struct drv_ctx *ctx, const char *val, const char *where)
{
	long n;

	if (parse_long(val, 1, 86400, &n) < 0)
		fatalx("Error: %s: invalid pollinterval: %s", where, val);
	ctx->poll_ms = (unsigned)n * 1000u;
}

static void set_synchronous(struct drv_ctx *ctx, const char *val)
{
	if (strcmp(val, "yes") == 0)
		ctx->synchronous = 1;
	else if (strcmp(val, "auto") == 0)
		ctx->synchronous = -1;
	else
		ctx->synchronous = 0;
}

/* keys the core handles itself; 1 if handled */
static int main_arg(struct drv_ctx *ctx, const char *var, const char *val)
{
	if (strcmp(var, "nolock") == 0 || strcmp(var, "ignorelb") == 0) {
		dparam_setinfo(ctx, var, NULL);
		return 1;
	}
	if (!val)
		return 0;
	if (strcmp(var, "port") == 0) {
		free(ctx->port);
		ctx->port = xstrdup(val);
		dstate_setinfo(ctx, "driver.parameter.port", "%s", val);
		return 1;
	}
	if (strcmp(var, "user") == 0) {
		if (!ctx->user_from_cmdline) {
			free(ctx->user);
			ctx->user = xstrdup(val);
		}
		return 1;
	}
	if (strcmp(var, "group") == 0) {
		if (!ctx->group_from_cmdline) {
			free(ctx->group);
			ctx->group = xstrdup(val);
		}
		return 1;
	}
	if (strcmp(var, "synchronous") == 0) {
		set_synchronous(ctx, val);
		return 1;
	}
	if (strcmp(var, "sddelay") == 0) {
		log_info("Obsolete value sddelay found in ups.conf");
		return 1;
	}
	return strcmp(var, "sdorder") == 0 ||
		strcmp(var, "desc") == 0 || strcmp(var, "debug_min") == 0 ||
		strcmp(var, "maxstartdelay") == 0;
}

static void section_arg(struct drv_ctx *ctx, const char *var, const char *val)
{
	if (main_arg(ctx, var, val))
		return;
	if (!val) {
		storeval(ctx, var, NULL);
		return;
	}
	if (strcmp(var, "driver") == 0) {
		if (strcmp(val, ctx->progname) != 0)
			fatalx("Error: UPS [%s] is for driver %s, but I'm %s!",
				ctx->upsname, val, ctx->progname);
		return;
	}
	if (strcmp(var, "pollinterval") == 0) {
		set_pollinterval(ctx, val, ctx->upsname);
		return;
	}
	storeval(ctx, var, val);
}

static void global_args(struct drv_ctx *ctx, const struct upsconf *uc)
{
	const char *v;

	if ((v = upsconf_global(uc, "pollinterval")) != NULL)
		set_pollinterval(ctx, v, "ups.conf");
	if ((v = upsconf_global(uc, "synchronous")) != NULL)
		set_synchronous(ctx, v);
	if ((v = upsconf_global(uc, "user")) != NULL && !ctx->user_from_cmdline) {
		free(ctx->user);
		ctx->user = xstrdup(v);
	}
	if ((v = upsconf_global(uc, "group")) != NULL && !ctx->group_from_cmdline) {
		free(ctx->group);
		ctx->group = xstrdup(v);
	}
	if ((v = upsconf_global(uc, "chroot")) != NULL && !ctx->chroot_from_cmdline) {
		free(ctx->chroot_dir);
		ctx->chroot_dir = xstrdup(v);
	}
}

static void read_upsconf(struct drv_ctx *ctx)
{
	struct upsconf uc;
	const struct upsconf_section *s;
	char path[DRV_PATH_MAX];
	size_t i;

	memset(&uc, 0, sizeof(uc));
	if (path_join(path, sizeof(path), nut_confpath(), "ups.conf") < 0)
		fatalx("ups.conf path too long");
	if (upsconf_load(&uc, path) < 0)
		fatalx("Can't open %s: %s", path, uc.nerrors ? uc.errors[0] : "unreadable");
	for (i = 0; i < uc.nerrors; i++)
		log_warnx("%s", uc.errors[i]);
	global_args(ctx, &uc);
	s = upsconf_find(&uc, ctx->upsname);
	if (!s)
		fatalx("Error: Section %s not found in ups.conf", ctx->upsname);
	for (i = 0; i < s->nkv; i++)
		section_arg(ctx, s->kv[i].key, s->kv[i].value);
	upsconf_free(&uc);
}

/* -x var[=value] */
static void splitxarg(struct drv_ctx *ctx, const char *arg)
{
	char *copy = xstrdup(arg), *eq = strchr(copy, '=');

	if (eq)
		*eq++ = '\0';
	if (!main_arg(ctx, copy, eq))
		storeval(ctx, copy, eq);
	free(copy);
}

static void help_msg(struct drv_ctx *ctx)
{
	size_t i;

	printf("\nusage: %s (-a <id>|-s <id>) [OPTIONS]\n", ctx->progname);
	printf("  -a <id>        - autoconfig using ups.conf section <id>\n");
	printf("                 - note: -x after -a overrides ups.conf settings\n");
	printf("  -s <id>        - configure directly from cmd line arguments\n\n");
	printf("  -V             - print version, then exit\n");
	printf("  -L             - print parseable list of driver variables\n");
	printf("  -D             - raise debugging level (and stay foreground by default)\n");
	printf("  -d <count>     - dump data to stdout after 'count' updates loop and exit\n");
	printf("  -F             - stay foregrounded even if no debugging is enabled\n");
	printf("  -B             - stay backgrounded even if debugging is bumped\n");
	printf("  -q             - raise log level threshold\n");
	printf("  -r <dir>       - chroot to <dir>\n");
	printf("  -g <group>     - set pipe access to <group> (if started as root)\n");
	printf("  -h             - display this help\n");
	printf("  -k             - force shutdown\n");
	printf("  -i <int>       - poll interval\n");
	printf("  -u <user>      - switch to <user> (if started as root)\n");
	printf("  -x <var>=<val> - set driver variable <var> to <val>\n");
	printf("                 - example: -x cable=940-0095B\n\n");
	if (ctx->nvars)
		printf("Acceptable values for -x or ups.conf in this driver:\n\n");
	for (i = 0; i < ctx->nvars; i++) {
		if (ctx->vars[i].type == DRV_VAR_VALUE)
			printf("%40s : -x %s=<value>\n", ctx->vars[i].desc, ctx->vars[i].name);
		else
			printf("%40s : -x %s\n", ctx->vars[i].desc, ctx->vars[i].name);
	}
}

static void list_vars(struct drv_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->nvars; i++)
		printf("%s %s \"%s\"\n", ctx->vars[i].type == DRV_VAR_VALUE ? "VALUE" : "FLAG",
			ctx->vars[i].name, ctx->vars[i].desc);
}

void drvconf_parse_args(struct drv_ctx *ctx, int argc, char **argv)
{
	long n;
	int opt, have_name = 0;

	while ((opt = getopt(argc, argv, "+a:s:kFBDd:hx:Lqr:u:g:Vi:")) != -1) {
		switch (opt) {
		case 'a':
			ctx->upsname = optarg;
			read_upsconf(ctx);
			have_name = 1;
			break;
		case 's':
			ctx->upsname = optarg;
			have_name = 1;
			break;
		case 'F': ctx->background = 0; break;
		case 'B': ctx->background = 1; break;
		case 'D': ctx->debug++; break;
		case 'd':
			if (parse_long(optarg, 0, 1000000, &n) < 0)
				fatalx("Error: invalid dump count: %s", optarg);
			ctx->dump_count = (int)n;
			break;
		case 'i':
			set_pollinterval(ctx, optarg, "command-line");
			break;
		case 'k': ctx->forceshutdown = 1; break;
		case 'L': list_vars(ctx); exit(EXIT_SUCCESS);
		case 'q': ctx->quiet++; break;
		case 'r':
			free(ctx->chroot_dir);
			ctx->chroot_dir = xstrdup(optarg);
			ctx->chroot_from_cmdline = 1;
			break;
		case 'u':
			free(ctx->user);
			ctx->user = xstrdup(optarg);
			ctx->user_from_cmdline = 1;
			break;
		case 'g':
			free(ctx->group);
			ctx->group = xstrdup(optarg);
			ctx->group_from_cmdline = 1;
			break;
		case 'V': exit(EXIT_SUCCESS);
		case 'x': splitxarg(ctx, optarg); break;
		case 'h': help_msg(ctx); exit(EXIT_SUCCESS);
		default:
			fatalx("Error: unknown option -%c. Try -h for help.", optopt);
		}
	}
	if (optind < argc)
		fatalx("Error: too many non-option arguments. Try -h for help.");
	if (!have_name)
		fatalx("Error: specifying '-a id' or '-s id' is now mandatory. Try -h for help.");
	if (!ctx->port)
		fatalx("Error: you must specify a port name in ups.conf or in '-x port=...' argument.\n"
			"Try -h for help.");
}

/* stop an older instance of the same driver, then write our PID file */
void drvconf_free(struct drv_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->nvars; i++) {
		free(ctx->vars[i].name);
		free(ctx->vars[i].desc);
		free(ctx->vars[i].value);
	}
	free(ctx->vars);
	ctx->vars = NULL;
	ctx->nvars = 0;
}
