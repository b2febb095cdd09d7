/*
 * libFuzzer target for common/pconf.c: any bytes, fed in two chunks and
 * byte by byte, must give the same lines, never more than PCONF_MAX_WORDS
 * words of at most PCONF_MAX_WORDLEN printable characters.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long check_line(const struct pconf *p)
{
	unsigned long h = 5381;
	int i;
	size_t j, n;

	if (p->argc < 0 || p->argc > PCONF_MAX_WORDS || p->argv[p->argc] != NULL)
		abort();
	for (i = 0; i < p->argc; i++) {
		n = strlen(p->argv[i]);
		if (n > PCONF_MAX_WORDLEN)
			abort();
		for (j = 0; j < n; j++) {
			unsigned char c = (unsigned char)p->argv[i][j];

			if (c < 0x20 || c > 0x7e)
				abort();
			h = h * 33 + c;
		}
		h = h * 33 + 0x100;
	}
	return h * 31 + (unsigned long)p->argc;
}

/* parse data through pconf_feed in chunks of at most step bytes; hash the results */
static unsigned long run(const uint8_t *data, size_t size, size_t step)
{
	struct pconf p;
	unsigned long h = 0;
	size_t off = 0, used, n;
	enum pconf_result r;

	pconf_init(&p);
	while (off < size) {
		n = size - off < step ? size - off : step;
		r = pconf_feed(&p, (const char *)data + off, n, &used);
		if (used == 0 || used > n)
			abort();
		off += used;
		if (r == PCONF_LINE)
			h = h * 7 + check_line(&p);
		else if (r == PCONF_ERROR)
			h = h * 7 + 3;
	}
	r = pconf_eof(&p);
	if (r == PCONF_LINE)
		h = h * 7 + check_line(&p);
	else if (r == PCONF_ERROR)
		h = h * 7 + 3;
	if (p.cap > (size_t)PCONF_MAX_WORDS * (PCONF_MAX_WORDLEN + 1))
		abort();
	pconf_free(&p);
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned long whole = run(data, size, size ? size : 1);

	if (run(data, size, 1) != whole)
		abort();
	if (run(data, size, 7) != whole)
		abort();
	return 0;
}
