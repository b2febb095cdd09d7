/*
 * buf: growable byte buffer with a hard cap. The data is always kept NUL
 * terminated (one spare byte beyond len). Appends are all-or-nothing: an
 * append that would pass max is refused whole and sets overflow.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "util.h"

#define BUF_MIN_CAP 64

/* the protocol's escape set: upsd puts a backslash before each of these */
static int buf_needs_escape(char c)
{
	return c == '\\' || c == '"' || c == '#';
}

void buf_init(struct buf *b, size_t max)
{
	b->max = max;
	b->cap = BUF_MIN_CAP;
	if (max && max + 1 < b->cap)
		b->cap = max + 1;
	b->data = xmalloc(b->cap);
	b->data[0] = '\0';
	b->len = 0;
	b->overflow = 0;
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->overflow = 0;
}

void buf_clear(struct buf *b)
{
	b->len = 0;
	b->overflow = 0;
	if (b->data)
		b->data[0] = '\0';
}

/* make room for n more bytes plus the NUL; -1 (overflow set) past max */
static int buf_reserve(struct buf *b, size_t n)
{
	size_t need, ncap;

	if (n > (size_t)-1 / 2 - b->len || (b->max && b->len + n > b->max)) {
		b->overflow = 1;
		return -1;
	}
	need = b->len + n + 1;
	if (need <= b->cap && b->data)
		return 0;
	ncap = b->cap ? b->cap : BUF_MIN_CAP;
	while (ncap < need)
		ncap *= 2;
	if (b->max && ncap > b->max + 1)
		ncap = b->max + 1;
	b->data = xrealloc(b->data, ncap);
	b->cap = ncap;
	return 0;
}

int buf_append(struct buf *b, const void *data, size_t len)
{
	if (buf_reserve(b, len) < 0)
		return -1;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

/* the attribute lets -Wformat=2 check the vsnprintf calls (clang) */
__attribute__((format(printf, 2, 0)))
int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return -1;
	if (buf_reserve(b, (size_t)n) < 0)
		return -1;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

static size_t escaped_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += buf_needs_escape(*s) ? 2 : 1;
	return n;
}

static void escape_into(char *dst, const char *s)
{
	for (; *s; s++) {
		if (buf_needs_escape(*s))
			*dst++ = '\\';
		*dst++ = *s;
	}
}

int buf_escape(struct buf *b, const char *s)
{
	size_t n = escaped_len(s);

	if (buf_reserve(b, n) < 0)
		return -1;
	escape_into(b->data + b->len, s);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int buf_quoted(struct buf *b, const char *s)
{
	size_t n = escaped_len(s);

	if (buf_reserve(b, n + 2) < 0)
		return -1;
	b->data[b->len] = '"';
	escape_into(b->data + b->len + 1, s);
	b->data[b->len + 1 + n] = '"';
	b->len += n + 2;
	b->data[b->len] = '\0';
	return 0;
}

void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
	} else {
		memmove(b->data, b->data + n, b->len - n);
		b->len -= n;
	}
	if (b->data)
		b->data[b->len] = '\0';
}

size_t str_escape(char *dst, size_t dstlen, const char *src)
{
	size_t need = 0, out = 0;

	for (; *src; src++) {
		size_t w = buf_needs_escape(*src) ? 2 : 1;

		/* never split an escape pair: stop writing once a pair does not fit */
		if (dst && out == need && out + w < dstlen) {
			if (w == 2)
				dst[out++] = '\\';
			dst[out++] = *src;
		}
		need += w;
	}
	if (dst && dstlen > 0)
		dst[out] = '\0';
	return need;
}
