/* Unit tests for common/pconf.c: the shared tokenizer. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pconf.h"

/* feed s whole; expect exactly one line and return its argc (argv in p) */
static int one_line(struct pconf *p, const char *s)
{
	size_t used = 0, len = strlen(s);
	enum pconf_result r;

	pconf_reset(p);
	r = pconf_feed(p, s, len, &used);
	assert_int_equal(r, PCONF_LINE);
	assert_int_equal(used, len);
	return p->argc;
}

static void expect_words(const char *input, int n, ...)
{
	struct pconf p;
	va_list ap;
	int i;

	pconf_init(&p);
	assert_int_equal(one_line(&p, input), n);
	va_start(ap, n);
	for (i = 0; i < n; i++)
		assert_string_equal(p.argv[i], va_arg(ap, const char *));
	va_end(ap);
	assert_null(p.argv[n]);
	pconf_free(&p);
}

static void test_simple_words(void **state)
{
	(void)state;
	expect_words("GET VAR ups battery.charge\n", 4, "GET", "VAR", "ups", "battery.charge");
	expect_words("  \t lead   and trail \t \n", 3, "lead", "and", "trail");
	expect_words("\n", 0);
	expect_words("   \n", 0);
}

static void test_quotes(void **state)
{
	(void)state;
	expect_words("SET VAR ups x \"a b  c\"\n", 5, "SET", "VAR", "ups", "x", "a b  c");
	expect_words("a \"\" b\n", 3, "a", "", "b");
	expect_words("\"\"\n", 1, "");
	/* a quote in the middle of a word is a literal character */
	expect_words("ab\"c d\n", 2, "ab\"c", "d");
	/* a closing quote ends the word even without a space */
	expect_words("\"ab\"cd\n", 2, "ab", "cd");
	expect_words("\"x=y \\# z\"\n", 1, "x=y # z");
}

static void test_quote_hash_is_error(void **state)
{
	struct pconf p;
	size_t used;
	const char *s = "SET VAR \"a#b\" c\nNEXT line\n";

	(void)state;
	pconf_init(&p);
	assert_int_equal(pconf_feed(&p, s, strlen(s), &used), PCONF_ERROR);
	assert_int_equal(used, 11);  /* up to and including the # */
	assert_true(strstr(p.errmsg, "#") != NULL);
	/* the parser starts a fresh line with the next byte */
	assert_int_equal(pconf_feed(&p, s + used, strlen(s + used), &used), PCONF_LINE);
	assert_int_equal(p.argc, 2);
	assert_string_equal(p.argv[0], "b\"");
	assert_string_equal(p.argv[1], "c");
	pconf_free(&p);
}

static void test_escapes(void **state)
{
	(void)state;
	expect_words("a\\ b c\n", 2, "a b", "c");
	expect_words("\"q\\\"uote\\\\d\"\n", 1, "q\"uote\\d");
	expect_words("x\\=y\n", 1, "x=y");
	expect_words("x\\#y\n", 1, "x#y");
	expect_words("\\\"lit\n", 1, "\"lit");
	expect_words("\\n\n", 1, "n");
}

static void test_comments(void **state)
{
	(void)state;
	expect_words("# just a comment\n", 0);
	expect_words("word # comment \"with quote\n", 1, "word");
	expect_words("word#comment\n", 1, "word");
	expect_words("   #\n", 0);
}

static void test_equals_word(void **state)
{
	(void)state;
	expect_words("a=b\n", 3, "a", "=", "b");
	expect_words("a = b\n", 3, "a", "=", "b");
	expect_words("a =b\n", 3, "a", "=", "b");
	expect_words("a= b\n", 3, "a", "=", "b");
	expect_words("==\n", 2, "=", "=");
	expect_words("desc = \"a = b\"\n", 3, "desc", "=", "a = b");
	expect_words("a==b\n", 4, "a", "=", "=", "b");
}

static void test_continuation(void **state)
{
	struct pconf p;
	const char *s = "LISTEN 127.0.0.1\\\n3493\nnext\n";
	size_t used;

	(void)state;
	expect_words("ab\\\ncd\n", 1, "abcd");
	expect_words("a \\\nb\n", 2, "a", "b");
	/* NUT quirk: a backslash between words starts a word, so whitespace
	 * after the continuation yields an empty word */
	expect_words("a \\\n b\n", 3, "a", "", "b");
	/* LF inside quotes is dropped; the word goes on */
	expect_words("\"ab\ncd\" e\n", 2, "abcd", "e");
	expect_words("\"ab\\\ncd\"\n", 1, "abcd");

	pconf_init(&p);
	assert_int_equal(pconf_feed(&p, s, strlen(s), &used), PCONF_LINE);
	assert_int_equal(p.argc, 2);
	assert_string_equal(p.argv[1], "127.0.0.13493");
	assert_int_equal(p.line_start, 1);
	assert_int_equal(p.lineno, 2);
	s += used;
	assert_int_equal(pconf_feed(&p, s, strlen(s), &used), PCONF_LINE);
	assert_string_equal(p.argv[0], "next");
	assert_int_equal(p.line_start, 3);
	assert_int_equal(p.lineno, 3);
	pconf_free(&p);
}

static void test_crlf_and_controls(void **state)
{
	(void)state;
	expect_words("VER\r\n", 1, "VER");
	expect_words("GET VAR ups x\r\n", 4, "GET", "VAR", "ups", "x");
	/* TAB and CR inside quotes are dropped, space kept */
	expect_words("\"a\tb\rc d\"\n", 1, "abc d");
	/* control bytes and DEL are dropped */
	expect_words("a\001b\177c\n", 1, "abc");
}

static void test_non_ascii_dropped(void **state)
{
	struct pconf p;

	(void)state;
	expect_words("caf\xc3\xa9 ok\n", 2, "caf", "ok");
	expect_words("\"\xe2\x82\xac 5\"\n", 1, " 5");
	expect_words("\xff\xfe\n", 0);
	pconf_init(&p);
	one_line(&p, "x\x80\x81\x82\n");
	assert_int_equal(p.dropped, 3);
	assert_int_equal(p.argc, 1);
	assert_string_equal(p.argv[0], "x");
	pconf_free(&p);
}

static void test_limits(void **state)
{
	struct pconf p;
	char line[4096];
	size_t n = 0;
	int i;

	(void)state;
	/* 40 words: only the first 32 are kept */
	for (i = 0; i < 40; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "w%d ", i);
	snprintf(line + n, sizeof(line) - n, "\n");
	pconf_init(&p);
	assert_int_equal(one_line(&p, line), PCONF_MAX_WORDS);
	assert_string_equal(p.argv[0], "w0");
	assert_string_equal(p.argv[31], "w31");
	assert_null(p.argv[32]);

	/* a 600-char word is cut to 512; the next word is intact */
	memset(line, 'x', 600);
	memcpy(line + 600, " tail\n", 7);
	assert_int_equal(one_line(&p, line), 2);
	assert_int_equal(strlen(p.argv[0]), PCONF_MAX_WORDLEN);
	assert_string_equal(p.argv[1], "tail");

	/* same inside quotes */
	line[0] = '"';
	memset(line + 1, 'q', 700);
	memcpy(line + 701, "\"\n", 3);
	assert_int_equal(one_line(&p, line), 1);
	assert_int_equal(strlen(p.argv[0]), PCONF_MAX_WORDLEN);
	pconf_free(&p);
}

static void test_many_max_words(void **state)
{
	struct pconf p;
	static char line[40 * 601 + 2];
	size_t n = 0;
	int i;

	(void)state;
	/* 40 overlong words: storage stays bounded, 32 words of 512 */
	for (i = 0; i < 40; i++) {
		memset(line + n, 'a' + (i % 26), 600);
		n += 600;
		line[n++] = ' ';
	}
	line[n++] = '\n';
	line[n] = '\0';
	pconf_init(&p);
	assert_int_equal(one_line(&p, line), 32);
	for (i = 0; i < 32; i++) {
		assert_int_equal(strlen(p.argv[i]), 512);
		assert_int_equal(p.argv[i][0], 'a' + (i % 26));
	}
	assert_true(p.cap <= (size_t)PCONF_MAX_WORDS * (PCONF_MAX_WORDLEN + 1));
	pconf_free(&p);
}

static void test_bytewise_equals_bulk(void **state)
{
	const char *s = "a \"b c\" d=e # x\n\"f\\\"\"\n";
	struct pconf p;
	int lines = 0, r;
	size_t i;

	(void)state;
	pconf_init(&p);
	for (i = 0; s[i]; i++) {
		r = pconf_char(&p, (unsigned char)s[i]);
		if (r == PCONF_LINE) {
			lines++;
			if (lines == 1) {
				assert_int_equal(p.argc, 5);
				assert_string_equal(p.argv[1], "b c");
				assert_string_equal(p.argv[3], "=");
			} else {
				assert_int_equal(p.argc, 1);
				assert_string_equal(p.argv[0], "f\"");
			}
		} else {
			assert_int_equal(r, PCONF_MORE);
		}
	}
	assert_int_equal(lines, 2);
	pconf_free(&p);
}

static void test_eof(void **state)
{
	struct pconf p;
	size_t used;

	(void)state;
	pconf_init(&p);
	assert_int_equal(pconf_eof(&p), PCONF_MORE);
	assert_int_equal(pconf_feed(&p, "nowait", 6, &used), PCONF_MORE);
	assert_int_equal(used, 6);
	assert_int_equal(pconf_eof(&p), PCONF_LINE);
	assert_int_equal(p.argc, 1);
	assert_string_equal(p.argv[0], "nowait");
	assert_int_equal(pconf_eof(&p), PCONF_MORE);

	assert_int_equal(pconf_feed(&p, "a \"open", 7, &used), PCONF_MORE);
	assert_int_equal(pconf_eof(&p), PCONF_ERROR);
	assert_true(p.errmsg[0] != '\0');

	assert_int_equal(pconf_feed(&p, "  # c", 5, &used), PCONF_MORE);
	assert_int_equal(pconf_eof(&p), PCONF_MORE);

	assert_int_equal(pconf_feed(&p, "x y # c", 7, &used), PCONF_MORE);
	assert_int_equal(pconf_eof(&p), PCONF_LINE);
	assert_int_equal(p.argc, 2);
	pconf_free(&p);
}

static void test_reset(void **state)
{
	struct pconf p;
	size_t used;

	(void)state;
	pconf_init(&p);
	assert_int_equal(pconf_feed(&p, "half \"word", 10, &used), PCONF_MORE);
	pconf_reset(&p);
	assert_int_equal(pconf_feed(&p, "fresh\n", 6, &used), PCONF_LINE);
	assert_int_equal(p.argc, 1);
	assert_string_equal(p.argv[0], "fresh");
	pconf_free(&p);
}

/* ---- pconf_file */

struct collected {
	int n;
	char text[16][128];
	unsigned lines[16];
	int nerr;
	char err[4][160];
	int stop_at;
};

static int collect_cb(void *arg, const char *file, unsigned line, int argc, char **argv)
{
	struct collected *c = arg;
	size_t off = 0;
	int i;

	(void)file;
	if (c->n >= 16)
		return 99;
	c->lines[c->n] = line;
	for (i = 0; i < argc; i++)
		off += (size_t)snprintf(c->text[c->n] + off, sizeof(c->text[0]) - off,
			"%s[%s]", i ? " " : "", argv[i]);
	c->n++;
	return (c->stop_at && c->n == c->stop_at) ? 7 : 0;
}

static void collect_err(void *arg, const char *file, unsigned line, const char *msg)
{
	struct collected *c = arg;

	if (c->nerr < 4)
		snprintf(c->err[c->nerr], sizeof(c->err[0]), "%s:%u: %s", file, line, msg);
	c->nerr++;
}

static char *write_tmp(const char *content)
{
	static char path[64];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_pconf.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	return path;
}

static void test_file(void **state)
{
	struct collected c;
	char *path;

	(void)state;
	memset(&c, 0, sizeof(c));
	path = write_tmp("# header\n\n[ups]\n\tdriver = dummy-ups\n"
		"\tdesc = \"bad#quote\" more\n\tport = \"multi\nline\"\nlast word");
	assert_int_equal(pconf_file(path, collect_cb, collect_err, &c), 0);
	assert_int_equal(c.n, 4);
	assert_string_equal(c.text[0], "[[ups]]");
	assert_int_equal(c.lines[0], 3);
	assert_string_equal(c.text[1], "[driver] [=] [dummy-ups]");
	assert_int_equal(c.lines[1], 4);
	assert_string_equal(c.text[2], "[port] [=] [multiline]");
	assert_int_equal(c.lines[2], 6);
	assert_string_equal(c.text[3], "[last] [word]");
	assert_int_equal(c.lines[3], 8);
	assert_int_equal(c.nerr, 1);
	assert_true(strstr(c.err[0], ":5: ") != NULL);
	assert_true(strncmp(c.err[0], path, strlen(path)) == 0);
	unlink(path);
}

static void test_file_stop_and_missing(void **state)
{
	struct collected c;
	char *path;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.stop_at = 2;
	path = write_tmp("a\nb\nc\n");
	assert_int_equal(pconf_file(path, collect_cb, collect_err, &c), 7);
	assert_int_equal(c.n, 2);
	unlink(path);

	memset(&c, 0, sizeof(c));
	assert_int_equal(pconf_file("/nonexistent/dir/x.conf", collect_cb, collect_err, &c), -1);
	assert_int_equal(c.nerr, 0);
	assert_int_equal(c.n, 0);
}

static void test_file_unterminated_quote(void **state)
{
	struct collected c;
	char *path;

	(void)state;
	memset(&c, 0, sizeof(c));
	path = write_tmp("ok line\nbad \"never closed\n");
	assert_int_equal(pconf_file(path, collect_cb, collect_err, &c), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.nerr, 1);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_words),
		cmocka_unit_test(test_quotes),
		cmocka_unit_test(test_quote_hash_is_error),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_equals_word),
		cmocka_unit_test(test_continuation),
		cmocka_unit_test(test_crlf_and_controls),
		cmocka_unit_test(test_non_ascii_dropped),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_many_max_words),
		cmocka_unit_test(test_bytewise_equals_bulk),
		cmocka_unit_test(test_eof),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_file_stop_and_missing),
		cmocka_unit_test(test_file_unterminated_quote),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
