/*
 * pconf: NUT's tokenizer as a byte-at-a-time state machine.
 *
 * Words of the current line are stored back to back in p->buf, each NUL
 * terminated; wordstart[] holds their offsets and argv[] is filled only when
 * a line completes (buf may move while it grows). The storage is bounded by
 * PCONF_MAX_WORDS * (PCONF_MAX_WORDLEN + 1) bytes whatever the input.
 *
 * p->state keeps the machine state in its low byte plus two private flags.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pconf.h"
#include "util.h"

enum {
	PS_WORDSTART,   /* between words */
	PS_COMMENT,     /* after #: skip to LF */
	PS_QUOTE,       /* inside "..." */
	PS_QUOTE_LIT,   /* after \ inside quotes */
	PS_WORD,        /* inside an unquoted word */
	PS_WORD_LIT,    /* after \ in an unquoted word */
	PS_DONE         /* last call ended a line or failed: start afresh */
};

#define PS_MASK      0xff
#define PF_AFTER_LF  0x100   /* the previous byte fed was LF */
#define PF_BEGUN     0x200   /* the current logical line has seen a byte */

#define PCONF_STORE (PCONF_MAX_WORDS * (PCONF_MAX_WORDLEN + 1))

static int ps_get(const struct pconf *p)
{
	return p->state & PS_MASK;
}

static void ps_set(struct pconf *p, int s)
{
	p->state = (p->state & ~PS_MASK) | s;
}

static void pconf_fresh(struct pconf *p)
{
	p->state &= PF_AFTER_LF;
	ps_set(p, PS_WORDSTART);
	p->len = 0;
	p->curlen = 0;
	p->nwords = 0;
	p->dropped = 0;
}

void pconf_init(struct pconf *p)
{
	memset(p, 0, sizeof(*p));
	pconf_fresh(p);
}

void pconf_reset(struct pconf *p)
{
	pconf_fresh(p);
	p->argc = 0;
	p->argv[0] = NULL;
}

void pconf_free(struct pconf *p)
{
	free(p->buf);
	p->buf = NULL;
	p->cap = 0;
	pconf_reset(p);
}

/* room for need bytes; never more than PCONF_STORE is ever needed */
static void pconf_grow(struct pconf *p, size_t need)
{
	size_t ncap;

	if (need <= p->cap)
		return;
	ncap = p->cap ? p->cap * 2 : 256;
	while (ncap < need)
		ncap *= 2;
	if (ncap > PCONF_STORE)
		ncap = PCONF_STORE;
	p->buf = xrealloc(p->buf, ncap);
	p->cap = ncap;
}

static void pconf_addchar(struct pconf *p, int c)
{
	/* words past the limit are parsed but never stored */
	if (p->nwords >= PCONF_MAX_WORDS || p->curlen >= PCONF_MAX_WORDLEN)
		return;
	pconf_grow(p, p->len + p->curlen + 2);
	p->buf[p->len + p->curlen++] = (char)c;
}

static void pconf_endword(struct pconf *p)
{
	if (p->nwords < PCONF_MAX_WORDS) {
		pconf_grow(p, p->len + p->curlen + 1);
		p->buf[p->len + p->curlen] = '\0';
		p->wordstart[p->nwords++] = p->len;
		p->len += p->curlen + 1;
	}
	p->curlen = 0;
}

static enum pconf_result pconf_endline(struct pconf *p)
{
	int i;

	for (i = 0; i < p->nwords; i++)
		p->argv[i] = p->buf + p->wordstart[i];
	p->argv[p->nwords] = NULL;
	p->argc = p->nwords;
	ps_set(p, PS_DONE);
	return PCONF_LINE;
}

static enum pconf_result pconf_fail(struct pconf *p, const char *msg)
{
	snprintf(p->errmsg, sizeof(p->errmsg), "%s", msg);
	p->argc = 0;
	p->argv[0] = NULL;
	ps_set(p, PS_DONE);
	return PCONF_ERROR;
}

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static enum pconf_result st_wordstart(struct pconf *p, int c)
{
	if (c == '\n')
		return pconf_endline(p);
	if (is_space(c))
		return PCONF_MORE;
	if (c == '#')
		ps_set(p, PS_COMMENT);
	else if (c == '\\')
		ps_set(p, PS_WORD_LIT);
	else if (c == '"')
		ps_set(p, PS_QUOTE);
	else if (c == '=') {
		pconf_addchar(p, c);
		pconf_endword(p);
	} else {
		pconf_addchar(p, c);
		ps_set(p, PS_WORD);
	}
	return PCONF_MORE;
}

static enum pconf_result st_word(struct pconf *p, int c)
{
	if (c == '\n') {
		pconf_endword(p);
		return pconf_endline(p);
	}
	if (c == '#') {
		pconf_endword(p);
		ps_set(p, PS_COMMENT);
	} else if (is_space(c)) {
		pconf_endword(p);
		ps_set(p, PS_WORDSTART);
	} else if (c == '=') {
		pconf_endword(p);
		pconf_addchar(p, c);
		pconf_endword(p);
		ps_set(p, PS_WORDSTART);
	} else if (c == '\\') {
		ps_set(p, PS_WORD_LIT);
	} else {
		pconf_addchar(p, c);
	}
	return PCONF_MORE;
}

static enum pconf_result st_quote(struct pconf *p, int c)
{
	if (c == '"') {
		pconf_endword(p);
		ps_set(p, PS_WORDSTART);
	} else if (c == '\\') {
		ps_set(p, PS_QUOTE_LIT);
	} else if (c == '#') {
		return pconf_fail(p, "Unbalanced word due to unescaped # in quotes");
	} else if (c == ' ') {
		pconf_addchar(p, c);
	} else if (is_space(c)) {
		/* LF just continues the word; other controls are dropped */
		if (c != '\n')
			p->dropped++;
	} else {
		pconf_addchar(p, c);
	}
	return PCONF_MORE;
}

/* after a backslash: LF continues the line, space/printables are literal */
static void st_literal(struct pconf *p, int c, int back)
{
	if (c == ' ' || !is_space(c))
		pconf_addchar(p, c);
	else if (c != '\n')
		p->dropped++;
	ps_set(p, back);
}

static void pconf_count_line(struct pconf *p, int c)
{
	if (p->lineno == 0 || (p->state & PF_AFTER_LF))
		p->lineno++;
	if (c == '\n')
		p->state |= PF_AFTER_LF;
	else
		p->state &= ~PF_AFTER_LF;
	if (!(p->state & PF_BEGUN)) {
		p->state |= PF_BEGUN;
		p->line_start = p->lineno;
	}
}

enum pconf_result pconf_char(struct pconf *p, int c)
{
	c &= 0xff;
	if (ps_get(p) == PS_DONE)
		pconf_fresh(p);
	pconf_count_line(p, c);
	if (!is_space(c) && (c < 0x20 || c > 0x7e)) {
		p->dropped++;
		return PCONF_MORE;
	}
	switch (ps_get(p)) {
	case PS_WORDSTART:
		return st_wordstart(p, c);
	case PS_COMMENT:
		return c == '\n' ? pconf_endline(p) : PCONF_MORE;
	case PS_QUOTE:
		return st_quote(p, c);
	case PS_QUOTE_LIT:
		st_literal(p, c, PS_QUOTE);
		return PCONF_MORE;
	case PS_WORD:
		return st_word(p, c);
	case PS_WORD_LIT:
		st_literal(p, c, PS_WORD);
		return PCONF_MORE;
	default:
		pconf_fresh(p);
		return PCONF_MORE;
	}
}

enum pconf_result pconf_feed(struct pconf *p, const char *data, size_t len, size_t *used)
{
	size_t i;
	enum pconf_result r;

	for (i = 0; i < len; i++) {
		r = pconf_char(p, (unsigned char)data[i]);
		if (r != PCONF_MORE) {
			if (used)
				*used = i + 1;
			return r;
		}
	}
	if (used)
		*used = len;
	return PCONF_MORE;
}

enum pconf_result pconf_eof(struct pconf *p)
{
	switch (ps_get(p)) {
	case PS_DONE:
		return PCONF_MORE;
	case PS_QUOTE:
	case PS_QUOTE_LIT:
		return pconf_fail(p, "Unbalanced word due to missing closing quote");
	case PS_WORD:
	case PS_WORD_LIT:
		pconf_endword(p);
		break;
	default:
		break;
	}
	if (p->nwords == 0) {
		pconf_fresh(p);
		p->argc = 0;
		p->argv[0] = NULL;
		return PCONF_MORE;
	}
	return pconf_endline(p);
}

struct pconf_reader {
	const char *path;
	pconf_line_cb cb;
	pconf_err_cb errcb;
	void *arg;
	int skip;       /* after an error: ignore the rest of that physical line */
};

/* one result from the parser; returns the callback's stop value or 0 */
static int pconf_deliver(struct pconf_reader *r, struct pconf *p, enum pconf_result res)
{
	if (res == PCONF_ERROR) {
		if (r->errcb)
			r->errcb(r->arg, r->path, p->lineno, p->errmsg);
		return 0;
	}
	if (res == PCONF_LINE && p->argc > 0)
		return r->cb(r->arg, r->path, p->line_start, p->argc, p->argv);
	return 0;
}

static int pconf_chunk(struct pconf_reader *r, struct pconf *p, const char *data, size_t len)
{
	size_t used;
	enum pconf_result res;
	int rc;

	while (len > 0) {
		if (r->skip) {
			const char *lf = memchr(data, '\n', len);

			if (!lf)
				return 0;
			used = (size_t)(lf - data) + 1;
			p->state |= PF_AFTER_LF;
			r->skip = 0;
			data += used;
			len -= used;
			continue;
		}
		res = pconf_feed(p, data, len, &used);
		data += used;
		len -= used;
		if (res == PCONF_ERROR && !(p->state & PF_AFTER_LF))
			r->skip = 1;
		rc = pconf_deliver(r, p, res);
		if (rc)
			return rc;
	}
	return 0;
}

int pconf_file(const char *path, pconf_line_cb cb, pconf_err_cb errcb, void *arg)
{
	struct pconf_reader r = { path, cb, errcb, arg, 0 };
	struct pconf p;
	char chunk[4096];
	size_t n;
	FILE *f;
	int rc = 0;

	f = fopen(path, "re");
	if (!f)
		return -1;
	pconf_init(&p);
	while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = pconf_chunk(&r, &p, chunk, n);
	if (rc == 0 && !r.skip)
		rc = pconf_deliver(&r, &p, pconf_eof(&p));
	pconf_free(&p);
	fclose(f);
	return rc;
}
