/* Unit tests for common/buf.c: capped buffer and protocol escaping. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "buf.h"
#include "pconf.h"

static void test_append_and_nul(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_non_null(b.data);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	assert_int_equal(buf_puts(&b, "hello"), 0);
	assert_int_equal(buf_append(&b, " world!!", 6), 0);
	assert_int_equal(b.len, 11);
	assert_string_equal(b.data, "hello world");
	assert_int_equal(buf_printf(&b, " %d-%s", 42, "x"), 0);
	assert_string_equal(b.data, "hello world 42-x");
	assert_int_equal(b.overflow, 0);
	buf_clear(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	buf_free(&b);
	assert_null(b.data);
}

static void test_growth_unlimited(void **state)
{
	struct buf b;
	char chunk[1000];
	int i;

	(void)state;
	memset(chunk, 'z', sizeof(chunk));
	buf_init(&b, 0);
	for (i = 0; i < 100; i++)
		assert_int_equal(buf_append(&b, chunk, sizeof(chunk)), 0);
	assert_int_equal(b.len, 100000);
	assert_true(b.cap > b.len);
	assert_int_equal(b.data[b.len], '\0');
	assert_int_equal(b.data[99999], 'z');
	buf_free(&b);
}

static void test_cap_overflow(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 10);
	assert_int_equal(buf_puts(&b, "0123456789"), 0);
	assert_int_equal(b.len, 10);
	assert_int_equal(b.overflow, 0);
	/* one more byte is refused whole */
	assert_int_equal(buf_puts(&b, "x"), -1);
	assert_int_equal(b.overflow, 1);
	assert_int_equal(b.len, 10);
	assert_string_equal(b.data, "0123456789");
	buf_clear(&b);
	assert_int_equal(b.overflow, 0);
	/* an append that does not fit is not applied partially */
	assert_int_equal(buf_puts(&b, "abcdef"), 0);
	assert_int_equal(buf_puts(&b, "ghijkl"), -1);
	assert_string_equal(b.data, "abcdef");
	assert_int_equal(buf_printf(&b, "%s", "123456"), -1);
	assert_int_equal(buf_printf(&b, "%s", "1234"), 0);
	assert_string_equal(b.data, "abcdef1234");
	assert_int_equal(buf_quoted(&b, ""), -1);
	buf_clear(&b);
	assert_int_equal(buf_quoted(&b, "abcdefgh"), 0);
	assert_int_equal(b.len, 10);
	buf_clear(&b);
	assert_int_equal(buf_escape(&b, "\\\\\\\\\\\\"), -1);  /* 6 -> 12 bytes */
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void test_escape_quote(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(buf_escape(&b, "a\\b\"c#d e"), 0);
	assert_string_equal(b.data, "a\\\\b\\\"c\\#d e");
	buf_clear(&b);
	assert_int_equal(buf_quoted(&b, "say \"hi\""), 0);
	assert_string_equal(b.data, "\"say \\\"hi\\\"\"");
	buf_clear(&b);
	assert_int_equal(buf_quoted(&b, ""), 0);
	assert_string_equal(b.data, "\"\"");
	buf_free(&b);
}

/* what buf_quoted writes, the tokenizer reads back unchanged */
static void test_quoted_roundtrip(void **state)
{
	const char *vals[] = { "plain", "", "a \"b\" c", "back\\slash\\", "#hash#", "x=y", "\\\"#" };
	struct pconf p;
	struct buf b;
	size_t i, used;

	(void)state;
	pconf_init(&p);
	buf_init(&b, 0);
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		buf_clear(&b);
		buf_puts(&b, "SETINFO v ");
		buf_quoted(&b, vals[i]);
		buf_puts(&b, "\n");
		assert_int_equal(pconf_feed(&p, b.data, b.len, &used), PCONF_LINE);
		assert_int_equal(used, b.len);
		assert_int_equal(p.argc, 3);
		assert_string_equal(p.argv[2], vals[i]);
	}
	buf_free(&b);
	pconf_free(&p);
}

static void test_consume(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	buf_puts(&b, "line1\nline2\n");
	buf_consume(&b, 6);
	assert_int_equal(b.len, 6);
	assert_string_equal(b.data, "line2\n");
	buf_consume(&b, 100);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	buf_free(&b);
}

static void test_str_escape(void **state)
{
	char out[8];

	(void)state;
	assert_int_equal(str_escape(out, sizeof(out), "ab"), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(str_escape(out, sizeof(out), "a\"b"), 4);
	assert_string_equal(out, "a\\\"b");
	/* truncated like snprintf, never splitting an escape pair */
	assert_int_equal(str_escape(out, sizeof(out), "abcdef\"g"), 9);
	assert_string_equal(out, "abcdef");
	assert_int_equal(str_escape(out, sizeof(out), "abcdefghij"), 10);
	assert_string_equal(out, "abcdefg");
	assert_int_equal(str_escape(NULL, 0, "##"), 4);
	assert_int_equal(str_escape(out, 1, "abc"), 3);
	assert_string_equal(out, "");
}

static void test_zeroed_struct(void **state)
{
	struct buf b;

	(void)state;
	memset(&b, 0, sizeof(b));
	assert_int_equal(buf_puts(&b, "works"), 0);
	assert_string_equal(b.data, "works");
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_and_nul),
		cmocka_unit_test(test_growth_unlimited),
		cmocka_unit_test(test_cap_overflow),
		cmocka_unit_test(test_escape_quote),
		cmocka_unit_test(test_quoted_roundtrip),
		cmocka_unit_test(test_consume),
		cmocka_unit_test(test_str_escape),
		cmocka_unit_test(test_zeroed_struct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
