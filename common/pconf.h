/*
 * pconf: the one tokenizer for NUT's grammar, shared by every config file,
 * the network protocol (upsd and clients) and the driver socket protocol.
 *
 * Rules (as NUT's parseconf): words split on whitespace; "..." groups a word
 * (an empty "" is an empty word); \x takes x literally; \ + LF continues the
 * line; # outside quotes starts a comment; # inside quotes is an error; = is
 * always a word of its own outside quotes; LF inside quotes is dropped and the
 * word goes on; bytes < 0x20 (other than TAB/LF/CR as separators) and > 0x7E
 * are dropped. At most PCONF_MAX_WORDS words per line (extra words dropped)
 * and PCONF_MAX_WORDLEN characters per word (extra characters dropped).
 */
#ifndef PCONF_H
#define PCONF_H

#include <stddef.h>

#define PCONF_MAX_WORDS   32
#define PCONF_MAX_WORDLEN 512

enum pconf_result {
	PCONF_MORE = 0,   /* keep feeding */
	PCONF_LINE = 1,   /* a line is complete: argc/argv valid until next feed */
	PCONF_ERROR = -1  /* parse error: errmsg set, parser reset to a fresh line */
};

struct pconf {
	int state;                 /* private */
	char *buf;                 /* private: word storage, NUL separated */
	size_t len, cap;           /* private */
	size_t wordstart[PCONF_MAX_WORDS];
	size_t curlen;             /* private: length of the current word */
	int nwords;                /* private */
	int dropped;               /* count of non-ASCII/control bytes dropped this line */
	int argc;                  /* valid after PCONF_LINE */
	char *argv[PCONF_MAX_WORDS + 1];  /* argv[argc] == NULL; owned by the parser */
	unsigned lineno;           /* physical line number of the last byte fed (1-based) */
	unsigned line_start;       /* physical line where the returned logical line began */
	char errmsg[128];
};

void pconf_init(struct pconf *p);
void pconf_reset(struct pconf *p);   /* drop a partial line; keeps lineno */
void pconf_free(struct pconf *p);

/* Feed one byte. */
enum pconf_result pconf_char(struct pconf *p, int c);

/*
 * Feed a buffer. Returns PCONF_LINE as soon as a line completes and sets
 * *used to the bytes consumed; the caller handles argv and calls again with
 * the rest. On PCONF_ERROR *used is the bytes consumed up to the error.
 */
enum pconf_result pconf_feed(struct pconf *p, const char *data, size_t len, size_t *used);

/*
 * Signal end of input (files whose last line lacks a newline): returns
 * PCONF_LINE if a partial line was pending, PCONF_MORE if nothing, or
 * PCONF_ERROR for an unterminated quote (errmsg set).
 */
enum pconf_result pconf_eof(struct pconf *p);

/*
 * Whole-file reader: calls cb for every non-empty logical line.
 * cb returns 0 to go on, non-zero to stop (that value is returned).
 * Parse errors are passed to errcb as "file:line: message" and reading goes on.
 * Returns 0, the cb's stop value, or -1 when the file cannot be opened
 * (errno set; nothing reported through errcb).
 */
typedef int (*pconf_line_cb)(void *arg, const char *file, unsigned line, int argc, char **argv);
typedef void (*pconf_err_cb)(void *arg, const char *file, unsigned line, const char *msg);
int pconf_file(const char *path, pconf_line_cb cb, pconf_err_cb errcb, void *arg);

#endif
