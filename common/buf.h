/*
 * buf: a growable byte buffer with a hard cap, used to build replies and
 * socket messages, plus the protocol's outgoing quoting.
 */
#ifndef BUF_H
#define BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;     /* owned; NUL terminated when len < cap */
	size_t len;
	size_t cap;
	size_t max;     /* 0 = unlimited; appends past max fail */
	int overflow;   /* set when an append was refused */
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
void buf_clear(struct buf *b);                 /* len = 0, overflow = 0 */
int buf_append(struct buf *b, const void *data, size_t len);   /* 0 or -1 */
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* append s with \ before each \, " and # (no surrounding quotes) */
int buf_escape(struct buf *b, const char *s);
/* append "s" escaped, with the quotes */
int buf_quoted(struct buf *b, const char *s);
void buf_consume(struct buf *b, size_t n);     /* drop n bytes from the front */

/* escape into a fixed buffer; returns needed length (excluding NUL), like snprintf */
size_t str_escape(char *dst, size_t dstlen, const char *src);

#endif
