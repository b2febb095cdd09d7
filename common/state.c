/*
 * state: variables and commands in two sorted arrays (strcasecmp order),
 * searched by bisection. Enum and range lists keep insertion order.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "state.h"
#include "util.h"

void st_init(struct st_tree *t)
{
	memset(t, 0, sizeof(*t));
}

static void st_var_free(struct st_var *v)
{
	size_t i;

	for (i = 0; i < v->nenums; i++)
		free(v->enums[i]);
	free(v->enums);
	free(v->ranges);
	free(v->name);
	free(v->value);
	free(v);
}

void st_clear(struct st_tree *t)
{
	size_t i;

	for (i = 0; i < t->nvars; i++)
		st_var_free(t->vars[i]);
	for (i = 0; i < t->ncmds; i++)
		free(t->cmds[i]);
	free(t->vars);
	free(t->cmds);
	st_init(t);
}

/* index of name, or where it would go (*found tells which) */
static size_t var_index(const struct st_tree *t, const char *name, int *found)
{
	size_t lo = 0, hi = t->nvars;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcasecmp(t->vars[mid]->name, name);

		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

static size_t cmd_index(const struct st_tree *t, const char *cmd, int *found)
{
	size_t lo = 0, hi = t->ncmds;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcasecmp(t->cmds[mid], cmd);

		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

struct st_var *st_get(const struct st_tree *t, const char *name)
{
	int found;
	size_t i;

	if (!name)
		return NULL;
	i = var_index(t, name, &found);
	return found ? t->vars[i] : NULL;
}

const char *st_value(const struct st_tree *t, const char *name)
{
	const struct st_var *v = st_get(t, name);

	return v ? v->value : NULL;
}

/* a copy of s cut to ST_MAX_VALUE_LEN */
static char *st_strdup_value(const char *s)
{
	size_t n = strnlen(s, ST_MAX_VALUE_LEN);
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static struct st_var *var_create(struct st_tree *t, const char *name, size_t at)
{
	struct st_var *v = xcalloc(1, sizeof(*v));

	v->name = xstrdup(name);
	v->value = xstrdup("");
	if (t->nvars == t->capvars) {
		t->capvars = t->capvars ? t->capvars * 2 : 32;
		t->vars = xrealloc(t->vars, t->capvars * sizeof(*t->vars));
	}
	memmove(t->vars + at + 1, t->vars + at, (t->nvars - at) * sizeof(*t->vars));
	t->vars[at] = v;
	t->nvars++;
	return v;
}

int st_set(struct st_tree *t, const char *name, const char *value)
{
	struct st_var *v;
	int found;
	size_t i;

	if (!name || !*name || !value)
		return -1;
	i = var_index(t, name, &found);
	if (found) {
		v = t->vars[i];
		if (v->flags & ST_FLAG_IMMUTABLE)
			return 0;
		if (strncmp(v->value, value, ST_MAX_VALUE_LEN) == 0)
			return 0;
	} else {
		v = var_create(t, name, i);
	}
	free(v->value);
	v->value = st_strdup_value(value);
	return 1;
}

int st_setf(struct st_tree *t, const char *name, const char *fmt, ...)
{
	char value[ST_MAX_VALUE_LEN + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	return st_set(t, name, value);
}

int st_del(struct st_tree *t, const char *name)
{
	int found;
	size_t i;

	if (!name)
		return 0;
	i = var_index(t, name, &found);
	if (!found)
		return 0;
	st_var_free(t->vars[i]);
	memmove(t->vars + i, t->vars + i + 1, (t->nvars - i - 1) * sizeof(*t->vars));
	t->nvars--;
	return 1;
}

int st_set_flags(struct st_tree *t, const char *name, int flags)
{
	struct st_var *v = st_get(t, name);

	if (!v || v->flags == flags)
		return 0;
	v->flags = flags;
	return 1;
}

int st_set_aux(struct st_tree *t, const char *name, long aux)
{
	struct st_var *v = st_get(t, name);

	if (!v || v->aux == aux)
		return 0;
	v->aux = aux;
	return 1;
}

/* duplicates are exact matches, as NUT's state code compares them */
int st_add_enum(struct st_tree *t, const char *name, const char *value)
{
	struct st_var *v = st_get(t, name);
	size_t i;

	if (!v || !value)
		return 0;
	for (i = 0; i < v->nenums; i++)
		if (strncmp(v->enums[i], value, ST_MAX_VALUE_LEN) == 0)
			return 0;
	v->enums = xrealloc(v->enums, (v->nenums + 1) * sizeof(*v->enums));
	v->enums[v->nenums++] = st_strdup_value(value);
	return 1;
}

/* removal compares case-insensitively (NUT's DELENUM) */
int st_del_enum(struct st_tree *t, const char *name, const char *value)
{
	struct st_var *v = st_get(t, name);
	size_t i;

	if (!v || !value)
		return 0;
	for (i = 0; i < v->nenums; i++) {
		if (strncasecmp(v->enums[i], value, ST_MAX_VALUE_LEN) == 0) {
			free(v->enums[i]);
			memmove(v->enums + i, v->enums + i + 1,
				(v->nenums - i - 1) * sizeof(*v->enums));
			v->nenums--;
			return 1;
		}
	}
	return 0;
}

/* NUT treats a range as already present when its min or its max matches */
static long range_find(const struct st_var *v, long min, long max)
{
	size_t i;

	for (i = 0; i < v->nranges; i++)
		if (v->ranges[i].min == min || v->ranges[i].max == max)
			return (long)i;
	return -1;
}

int st_add_range(struct st_tree *t, const char *name, long min, long max)
{
	struct st_var *v = st_get(t, name);

	if (!v || min > max || range_find(v, min, max) >= 0)
		return 0;
	v->ranges = xrealloc(v->ranges, (v->nranges + 1) * sizeof(*v->ranges));
	v->ranges[v->nranges].min = min;
	v->ranges[v->nranges].max = max;
	v->nranges++;
	return 1;
}

int st_del_range(struct st_tree *t, const char *name, long min, long max)
{
	struct st_var *v = st_get(t, name);
	long i;

	if (!v)
		return 0;
	i = range_find(v, min, max);
	if (i < 0)
		return 0;
	memmove(v->ranges + i, v->ranges + i + 1,
		(v->nranges - (size_t)i - 1) * sizeof(*v->ranges));
	v->nranges--;
	return 1;
}

int st_add_cmd(struct st_tree *t, const char *cmd)
{
	int found;
	size_t i;

	if (!cmd || !*cmd)
		return 0;
	i = cmd_index(t, cmd, &found);
	if (found)
		return 0;
	if (t->ncmds == t->capcmds) {
		t->capcmds = t->capcmds ? t->capcmds * 2 : 16;
		t->cmds = xrealloc(t->cmds, t->capcmds * sizeof(*t->cmds));
	}
	memmove(t->cmds + i + 1, t->cmds + i, (t->ncmds - i) * sizeof(*t->cmds));
	t->cmds[i] = xstrdup(cmd);
	t->ncmds++;
	return 1;
}

int st_del_cmd(struct st_tree *t, const char *cmd)
{
	int found;
	size_t i;

	if (!cmd)
		return 0;
	i = cmd_index(t, cmd, &found);
	if (!found)
		return 0;
	free(t->cmds[i]);
	memmove(t->cmds + i, t->cmds + i + 1, (t->ncmds - i - 1) * sizeof(*t->cmds));
	t->ncmds--;
	return 1;
}

int st_has_cmd(const struct st_tree *t, const char *cmd)
{
	int found;

	if (!cmd)
		return 0;
	cmd_index(t, cmd, &found);
	return found;
}

static int apply_flags(struct st_tree *t, int argc, char **argv)
{
	int i, flags = 0;

	for (i = 2; i < argc; i++) {
		if (strcasecmp(argv[i], "RW") == 0)
			flags |= ST_FLAG_RW;
		else if (strcasecmp(argv[i], "STRING") == 0)
			flags |= ST_FLAG_STRING;
		else if (strcasecmp(argv[i], "NUMBER") == 0)
			flags |= ST_FLAG_NUMBER;
	}
	st_set_flags(t, argv[1], flags);
	return 1;
}

static int apply_range(struct st_tree *t, char **argv, int add)
{
	long min, max;

	if (parse_long(argv[2], -2147483647L - 1, 2147483647L, &min) < 0 ||
	    parse_long(argv[3], -2147483647L - 1, 2147483647L, &max) < 0)
		return -1;
	if (add)
		st_add_range(t, argv[1], min, max);
	else
		st_del_range(t, argv[1], min, max);
	return 1;
}

static int apply_aux(struct st_tree *t, char **argv)
{
	long aux;

	if (parse_long(argv[2], -2147483647L - 1, 2147483647L, &aux) < 0)
		return -1;
	st_set_aux(t, argv[1], aux);
	return 1;
}

enum st_msg { M_SETINFO, M_DELINFO, M_ADDENUM, M_DELENUM, M_ADDRANGE, M_DELRANGE,
	M_SETAUX, M_SETFLAGS, M_ADDCMD, M_DELCMD };

static const struct {
	const char *word;
	int minargs;
} st_msgs[] = {
	[M_SETINFO] = { "SETINFO", 3 }, [M_DELINFO] = { "DELINFO", 2 },
	[M_ADDENUM] = { "ADDENUM", 3 }, [M_DELENUM] = { "DELENUM", 3 },
	[M_ADDRANGE] = { "ADDRANGE", 4 }, [M_DELRANGE] = { "DELRANGE", 4 },
	[M_SETAUX] = { "SETAUX", 3 }, [M_SETFLAGS] = { "SETFLAGS", 3 },
	[M_ADDCMD] = { "ADDCMD", 2 }, [M_DELCMD] = { "DELCMD", 2 },
};

static size_t st_msg_find(const char *word)
{
	size_t m;

	for (m = 0; m < sizeof(st_msgs) / sizeof(st_msgs[0]); m++)
		if (strcasecmp(word, st_msgs[m].word) == 0)
			break;
	return m;
}

int st_is_msg(const char *word)
{
	return word && st_msg_find(word) < sizeof(st_msgs) / sizeof(st_msgs[0]);
}

int st_apply(struct st_tree *t, int argc, char **argv)
{
	size_t m;

	if (argc < 1 || !argv[0])
		return 0;
	m = st_msg_find(argv[0]);
	if (m == sizeof(st_msgs) / sizeof(st_msgs[0]))
		return 0;
	if (argc < st_msgs[m].minargs)
		return -1;
	switch (m) {
	case M_SETINFO:
		return st_set(t, argv[1], argv[2]) < 0 ? -1 : 1;
	case M_DELINFO:
		st_del(t, argv[1]);
		return 1;
	case M_ADDENUM:
		st_add_enum(t, argv[1], argv[2]);
		return 1;
	case M_DELENUM:
		st_del_enum(t, argv[1], argv[2]);
		return 1;
	case M_ADDRANGE:
	case M_DELRANGE:
		return apply_range(t, argv, m == M_ADDRANGE);
	case M_SETAUX:
		return apply_aux(t, argv);
	case M_SETFLAGS:
		return apply_flags(t, argc, argv);
	case M_ADDCMD:
		st_add_cmd(t, argv[1]);
		return 1;
	default:
		st_del_cmd(t, argv[1]);
		return 1;
	}
}

int st_dump_var(const struct st_var *v, struct buf *out)
{
	int rc = 0;
	size_t i;

	rc |= buf_printf(out, "SETINFO %s ", v->name);
	rc |= buf_quoted(out, v->value);
	rc |= buf_puts(out, "\n");
	for (i = 0; i < v->nenums; i++) {
		rc |= buf_printf(out, "ADDENUM %s ", v->name);
		rc |= buf_quoted(out, v->enums[i]);
		rc |= buf_puts(out, "\n");
	}
	for (i = 0; i < v->nranges; i++)
		rc |= buf_printf(out, "ADDRANGE %s %ld %ld\n", v->name,
			v->ranges[i].min, v->ranges[i].max);
	if (v->aux != 0)
		rc |= buf_printf(out, "SETAUX %s %ld\n", v->name, v->aux);
	if (v->flags != 0)
		rc |= buf_printf(out, "SETFLAGS %s%s%s%s\n", v->name,
			(v->flags & ST_FLAG_RW) ? " RW" : "",
			(v->flags & ST_FLAG_STRING) ? " STRING" : "",
			(v->flags & ST_FLAG_NUMBER) ? " NUMBER" : "");
	return rc ? -1 : 0;
}

int st_dump(const struct st_tree *t, struct buf *out)
{
	int rc = 0;
	size_t i;

	for (i = 0; i < t->nvars; i++)
		rc |= st_dump_var(t->vars[i], out);
	for (i = 0; i < t->ncmds; i++)
		rc |= buf_printf(out, "ADDCMD %s\n", t->cmds[i]);
	return rc ? -1 : 0;
}
