/*
 * state: the one UPS state tree (variables with flags, aux, enums and
 * ranges; instant commands), held by drivers, upsd and clients alike.
 * Names are matched case-insensitively; variables and commands are kept
 * sorted case-insensitively (the order of LIST VAR / DUMPALL).
 */
#ifndef STATE_H
#define STATE_H

#include <stddef.h>
#include "buf.h"

#define ST_FLAG_RW        0x0001
#define ST_FLAG_STRING    0x0002
#define ST_FLAG_NUMBER    0x0004
#define ST_FLAG_IMMUTABLE 0x0008   /* driver side: override.* values */

#define ST_MAX_VALUE_LEN 255

struct st_range {
	long min, max;
};

struct st_var {
	char *name;
	char *value;
	int flags;
	long aux;
	char **enums;          /* insertion order */
	size_t nenums;
	struct st_range *ranges;
	size_t nranges;
};

struct st_tree {
	struct st_var **vars;  /* sorted by strcasecmp(name) */
	size_t nvars, capvars;
	char **cmds;           /* sorted by strcasecmp */
	size_t ncmds, capcmds;
};

void st_init(struct st_tree *t);
void st_clear(struct st_tree *t);     /* free everything, back to empty */

/* Lookups return pointers owned by the tree, valid until the next change. */
struct st_var *st_get(const struct st_tree *t, const char *name);
const char *st_value(const struct st_tree *t, const char *name);  /* NULL if absent */

/*
 * Set a value (created if missing; truncated to ST_MAX_VALUE_LEN).
 * Returns 1 if changed, 0 if unchanged (same bytes) or immutable, -1 on
 * allocation failure.
 */
int st_set(struct st_tree *t, const char *name, const char *value);
int st_setf(struct st_tree *t, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int st_del(struct st_tree *t, const char *name);          /* 1 if removed */
int st_set_flags(struct st_tree *t, const char *name, int flags);   /* replace; 1 if changed */
int st_set_aux(struct st_tree *t, const char *name, long aux);      /* 1 if changed */
int st_add_enum(struct st_tree *t, const char *name, const char *value);  /* 1 if added */
int st_del_enum(struct st_tree *t, const char *name, const char *value);  /* 1 if removed */
int st_add_range(struct st_tree *t, const char *name, long min, long max); /* 1 if added */
int st_del_range(struct st_tree *t, const char *name, long min, long max); /* 1 if removed */

int st_add_cmd(struct st_tree *t, const char *cmd);   /* 1 if added */
int st_del_cmd(struct st_tree *t, const char *cmd);   /* 1 if removed */
int st_has_cmd(const struct st_tree *t, const char *cmd);

/*
 * Apply one driver-socket message (SETINFO, DELINFO, ADDENUM, DELENUM,
 * ADDRANGE, DELRANGE, SETAUX, SETFLAGS, ADDCMD, DELCMD) as upsd does.
 * Returns 1 if handled (changed or not), 0 if not a state message
 * (DATAOK, DUMPDONE, PONG... are the caller's), -1 if malformed.
 */
int st_apply(struct st_tree *t, int argc, char **argv);
/* 1 if word (any case) is one of the messages st_apply handles: their argv[1] is a name */
int st_is_msg(const char *word);

/* Socket-protocol lines describing one variable / the whole tree (DUMPALL body, no DATAOK/DUMPDONE). */
int st_dump_var(const struct st_var *v, struct buf *out);
int st_dump(const struct st_tree *t, struct buf *out);

#endif
