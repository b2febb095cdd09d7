/*
 * users.c: upsd.users parsing and the rights lookups.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pconf.h"
#include "users.h"
#include "util.h"

struct users_reader {
	struct upsd_user *head, *tail;
	struct upsd_user *cur;     /* section being filled */
	int skipping;              /* inside a duplicate section */
	struct conf_msgs *m;
};

static void user_free(struct upsd_user *u)
{
	size_t i;

	free(u->name);
	if (u->password) {
		explicit_bzero(u->password, strlen(u->password));
		free(u->password);
	}
	for (i = 0; i < u->ninstcmds; i++)
		free(u->instcmds[i]);
	free(u->instcmds);
	free(u);
}

void users_free(struct upsd_user *list)
{
	while (list) {
		struct upsd_user *next = list->next;

		user_free(list);
		list = next;
	}
}

size_t users_count(const struct upsd_user *list)
{
	size_t n = 0;

	for (; list; list = list->next)
		n++;
	return n;
}

static struct upsd_user *list_find(struct upsd_user *list, const char *name)
{
	for (; list; list = list->next)
		if (!strcmp(list->name, name))
			return list;
	return NULL;
}

static void start_section(struct users_reader *r, const char *file, unsigned line, const char *word)
{
	size_t len = strlen(word);
	char name[PCONF_MAX_WORDLEN + 1];
	struct upsd_user *u;

	r->cur = NULL;
	r->skipping = 0;
	str_copy(name, word + 1, sizeof(name));
	name[len - 2] = '\0';
	if (name[0] == '\0') {
		conf_msg(r->m, file, line, "empty user name in section header");
		r->skipping = 1;
		return;
	}
	if (list_find(r->head, name)) {
		conf_msg(r->m, file, line, "user [%s] is already defined, section ignored", name);
		r->skipping = 1;
		return;
	}
	u = xcalloc(1, sizeof(*u));
	u->name = xstrdup(name);
	if (r->tail)
		r->tail->next = u;
	else
		r->head = u;
	r->tail = u;
	r->cur = u;
}

static void set_upsmon(struct users_reader *r, const char *file, unsigned line, const char *type)
{
	struct upsd_user *u = r->cur;

	if (!strcasecmp(type, "master") || !strcasecmp(type, "primary")) {
		u->role = UPSD_ROLE_PRIMARY;
		u->actions |= UPSD_ACTION_LOGIN | UPSD_ACTION_MASTER | UPSD_ACTION_FSD;
	} else if (!strcasecmp(type, "slave") || !strcasecmp(type, "secondary")) {
		u->role = UPSD_ROLE_SECONDARY;
		u->actions |= UPSD_ACTION_LOGIN;
	} else {
		conf_msg(r->m, file, line, "Unknown upsmon type %s", type);
	}
}

static void add_action(struct users_reader *r, const char *file, unsigned line, const char *word)
{
	static const struct { const char *name; unsigned bit; } actions[] = {
		{ "SET", UPSD_ACTION_SET }, { "FSD", UPSD_ACTION_FSD },
		{ "LOGIN", UPSD_ACTION_LOGIN }, { "MASTER", UPSD_ACTION_MASTER },
		{ "PRIMARY", UPSD_ACTION_MASTER },
	};
	size_t i;

	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		if (!strcasecmp(word, actions[i].name)) {
			r->cur->actions |= actions[i].bit;
			return;
		}
	}
	conf_msg(r->m, file, line, "unknown action %s", word);
}

static void add_instcmd(struct upsd_user *u, const char *cmd)
{
	u->instcmds = xrealloc(u->instcmds, (u->ninstcmds + 1) * sizeof(*u->instcmds));
	u->instcmds[u->ninstcmds++] = xstrdup(cmd);
}

static void set_password(struct users_reader *r, const char *file, unsigned line, const char *pw)
{
	if (r->cur->password) {
		conf_msg(r->m, file, line, "duplicate password for user [%s] ignored", r->cur->name);
		return;
	}
	r->cur->password = xstrdup(pw);
}

/* field = values...; field already known to be in a section */
static void set_field(struct users_reader *r, const char *file, unsigned line,
		const char *field, int nval, char **val)
{
	int i;

	if (nval < 1) {
		conf_msg(r->m, file, line, "%s: missing value", field);
	} else if (!strcasecmp(field, "password")) {
		set_password(r, file, line, val[0]);
	} else if (!strcasecmp(field, "actions")) {
		for (i = 0; i < nval; i++)
			add_action(r, file, line, val[i]);
	} else if (!strcasecmp(field, "instcmds")) {
		for (i = 0; i < nval; i++)
			add_instcmd(r->cur, val[i]);
	} else if (!strcasecmp(field, "upsmon")) {
		set_upsmon(r, file, line, val[0]);
	} else if (!strcasecmp(field, "allowfrom")) {
		conf_warn(r->m, file, line, "allowfrom in upsd.users is no longer used");
	} else {
		conf_msg(r->m, file, line, "Unrecognized user setting %s", field);
	}
}

/* compressed form: a single word "field=value" (the = was escaped or quoted) */
static void compressed(struct users_reader *r, const char *file, unsigned line, const char *word)
{
	char field[PCONF_MAX_WORDLEN + 1];
	char *eq, *val;

	str_copy(field, word, sizeof(field));
	eq = strchr(field, '=');
	*eq = '\0';
	val = eq + 1;
	set_field(r, file, line, field, 1, &val);
}

static int users_line(void *arg, const char *file, unsigned line, int argc, char **argv)
{
	struct users_reader *r = arg;
	size_t len = strlen(argv[0]);

	if (len >= 2 && argv[0][0] == '[' && argv[0][len - 1] == ']') {
		start_section(r, file, line, argv[0]);
		return 0;
	}
	if (r->skipping)
		return 0;
	if (!r->cur) {
		if (!strcasecmp(argv[0], "user"))
			conf_msg(r->m, file, line, "old-style user line ignored");
		else
			conf_msg(r->m, file, line, "setting %s outside of a [user] section", argv[0]);
		return 0;
	}
	if (argc == 1 && strchr(argv[0], '=') && argv[0][0] != '=')
		compressed(r, file, line, argv[0]);
	else if (argc >= 2 && !strcmp(argv[1], "="))
		set_field(r, file, line, argv[0], argc - 2, argv + 2);
	else if (argc == 2 && !strcasecmp(argv[0], "upsmon"))
		set_upsmon(r, file, line, argv[1]);
	else
		conf_msg(r->m, file, line, "unrecognized line starting with '%s' (expected: setting = value)",
			argv[0]);
	return 0;
}

static void users_err(void *arg, const char *file, unsigned line, const char *msg)
{
	struct users_reader *r = arg;

	conf_msg(r->m, file, line, "parse error: %s", msg);
}

int users_load(const char *path, struct upsd_user **out, struct conf_msgs *m)
{
	struct users_reader r;

	memset(&r, 0, sizeof(r));
	r.m = m;
	*out = NULL;
	if (pconf_file(path, users_line, users_err, &r) < 0) {
		conf_msg(m, path, 0, "can't open: %s", strerror(errno));
		users_free(r.head);
		return -1;
	}
	*out = r.head;
	return 0;
}

struct upsd_user *users_find(struct upsd *d, const char *name)
{
	if (!name)
		return NULL;
	return list_find(d->users, name);
}

int users_auth(struct upsd *d, const char *user, const char *pass)
{
	struct upsd_user *u = users_find(d, user);
	int same;

	if (!pass)
		return 0;
	/* compare even for an unknown user, so the time does not tell whether it exists */
	same = str_ct_equal(u && u->password ? u->password : pass, pass);
	return u && u->password && same ? 1 : 0;
}

int users_has_action(const struct upsd_user *u, unsigned action)
{
	return u && (u->actions & action) == action;
}

int users_has_instcmd(const struct upsd_user *u, const char *cmd)
{
	size_t i;

	if (!u || !cmd)
		return 0;
	for (i = 0; i < u->ninstcmds; i++)
		if (!strcasecmp(u->instcmds[i], "all") || !strcasecmp(u->instcmds[i], cmd))
			return 1;
	return 0;
}
