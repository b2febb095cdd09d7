/*
 * statecheck.h: invariants of a common/state tree for the fuzz targets
 * (fuzz_driverlink, fuzz_devfile); a broken one aborts.
 *
 * Tree: variables and commands strictly sorted case-insensitively (no
 * duplicates) and found by st_get; names of 1..PCONF_MAX_WORDLEN printable
 * characters; values and enums at most ST_MAX_VALUE_LEN printable
 * characters; no two equal enums; ranges with min <= max.
 *
 * Round trip: the tree written as the driver socket's DUMPALL body
 * (st_dump) and read back the way upsd reads it (pconf + st_apply) gives
 * the same tree. Only for trees whose names the protocol can carry.
 */
#ifndef FUZZ_STATECHECK_H
#define FUZZ_STATECHECK_H

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "pconf.h"
#include "state.h"

static inline int sc_printable(const char *s, size_t max)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (n >= max || (unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

static inline void sc_check_var(const struct st_var *v, int extra_flags)
{
	size_t i, j;

	if (!v->name || !v->name[0] || !sc_printable(v->name, PCONF_MAX_WORDLEN))
		abort();
	if (!v->value || !sc_printable(v->value, ST_MAX_VALUE_LEN))
		abort();
	if (v->flags & ~(ST_FLAG_RW | ST_FLAG_STRING | ST_FLAG_NUMBER | extra_flags))
		abort();
	for (i = 0; i < v->nenums; i++) {
		if (!sc_printable(v->enums[i], ST_MAX_VALUE_LEN))
			abort();
		for (j = 0; j < i; j++)
			if (strcmp(v->enums[i], v->enums[j]) == 0)
				abort();
	}
	for (i = 0; i < v->nranges; i++)
		if (v->ranges[i].min > v->ranges[i].max)
			abort();
}

static inline void sc_check_tree(const struct st_tree *t, int extra_flags)
{
	size_t i;

	if (t->nvars > t->capvars || t->ncmds > t->capcmds)
		abort();
	for (i = 0; i < t->nvars; i++) {
		sc_check_var(t->vars[i], extra_flags);
		if (i > 0 && strcasecmp(t->vars[i - 1]->name, t->vars[i]->name) >= 0)
			abort();
		if (st_get(t, t->vars[i]->name) != t->vars[i])
			abort();
	}
	for (i = 0; i < t->ncmds; i++) {
		if (!t->cmds[i][0] || !sc_printable(t->cmds[i], PCONF_MAX_WORDLEN))
			abort();
		if (i > 0 && strcasecmp(t->cmds[i - 1], t->cmds[i]) >= 0)
			abort();
	}
}

/* can a name travel as one bare word of the protocol? */
static inline int sc_bare_word(const char *s)
{
	return s[0] && strpbrk(s, " \t\"\\#=") == NULL;
}

static inline void sc_same_var(const struct st_var *a, const struct st_var *b)
{
	size_t i;

	if (strcmp(a->name, b->name) != 0 || strcmp(a->value, b->value) != 0 ||
	    a->flags != b->flags || a->aux != b->aux ||
	    a->nenums != b->nenums || a->nranges != b->nranges)
		abort();
	for (i = 0; i < a->nenums; i++)
		if (strcmp(a->enums[i], b->enums[i]) != 0)
			abort();
	for (i = 0; i < a->nranges; i++)
		if (a->ranges[i].min != b->ranges[i].min || a->ranges[i].max != b->ranges[i].max)
			abort();
}

/* dump t, read it back as upsd does, compare; 0 done, 1 skipped */
static inline int sc_round_trip(const struct st_tree *t)
{
	struct st_tree back;
	struct buf b;
	struct pconf p;
	size_t off = 0, used, i;

	for (i = 0; i < t->nvars; i++)
		if (!sc_bare_word(t->vars[i]->name))
			return 1;
	for (i = 0; i < t->ncmds; i++)
		if (!sc_bare_word(t->cmds[i]))
			return 1;
	buf_init(&b, 0);
	if (st_dump(t, &b) < 0)
		abort();
	st_init(&back);
	pconf_init(&p);
	while (off < b.len) {
		enum pconf_result r = pconf_feed(&p, b.data + off, b.len - off, &used);

		if (r == PCONF_ERROR || used == 0)
			abort();
		off += used;
		if (r == PCONF_LINE && p.argc > 0 && st_apply(&back, p.argc, p.argv) != 1)
			abort();
	}
	if (back.nvars != t->nvars || back.ncmds != t->ncmds)
		abort();
	for (i = 0; i < t->nvars; i++)
		sc_same_var(t->vars[i], back.vars[i]);
	for (i = 0; i < t->ncmds; i++)
		if (strcmp(t->cmds[i], back.cmds[i]) != 0)
			abort();
	pconf_free(&p);
	st_clear(&back);
	buf_free(&b);
	return 0;
}

#endif
