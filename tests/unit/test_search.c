/* Unit tests for src/domain/search.c: the search box's input as terms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "domain/search.h"

static struct search_terms q;

/* "w|w w|"p w" ...: the parsed terms, phrases marked with a leading quote */
static const char *parsed(const char *in)
{
	static char buf[4096];
	search_parse(&q, in);
	buf[0] = '\0';
	for (int i = 0; i < q.n; i++) {
		if (i)
			strcat(buf, "|");
		if (q.t[i].phrase)
			strcat(buf, "\"");
		strcat(buf, q.t[i].text);
	}
	return buf;
}

static void terms(void **state)
{
	(void)state;
	assert_string_equal(parsed("orders"), "orders");
	assert_string_equal(parsed("  Customer   ORDERS\t\n"), "customer|orders");
	assert_string_equal(parsed("ord"), "ord");
	assert_int_equal(q.n, 1);
	assert_false(q.t[0].phrase);
}

static void phrases(void **state)
{
	(void)state;
	assert_string_equal(parsed("\"two words\""), "\"two words");
	assert_true(q.t[0].phrase);
	assert_string_equal(parsed("sales \"Net  Revenue\" eu"), "sales|\"net revenue|eu");
	assert_string_equal(parsed("a\"b c\"d"), "a|\"b c|d");
	assert_string_equal(parsed("\"\""), "");
	assert_int_equal(q.n, 0);
	assert_string_equal(parsed("\" - \""), "");
}

static void unbalanced_quotes(void **state)
{
	(void)state;
	/* an unclosed quote runs to the end as a bare term (last word a prefix) */
	assert_string_equal(parsed("\"big data"), "big data");
	assert_false(q.t[0].phrase);
	assert_string_equal(parsed("x \"a\" \"b c"), "x|\"a|b c");
	assert_string_equal(parsed("\""), "");
	assert_string_equal(parsed("\"\"\""), "");
}

static void fts_syntax_is_text(void **state)
{
	(void)state;
	assert_string_equal(parsed("ord*"), "ord");
	assert_string_equal(parsed("*"), "");
	assert_string_equal(parsed("-draft"), "draft");
	assert_string_equal(parsed("e-commerce"), "e commerce");
	assert_string_equal(parsed("name:foo"), "name foo");
	assert_string_equal(parsed("{name}:x"), "name x");
	assert_string_equal(parsed("(a OR b)"), "a|or|b");
	assert_string_equal(parsed("NEAR(a b, 2)"), "near a|b|2");
	assert_string_equal(parsed("a AND b NOT c"), "a|and|b|not|c");
	assert_string_equal(parsed("^start +plus"), "start|plus");
	assert_string_equal(parsed("x'); DROP TABLE products;--"), "x|drop|table|products");
}

static void empty_after_stripping(void **state)
{
	(void)state;
	assert_string_equal(parsed(""), "");
	assert_string_equal(parsed("   "), "");
	assert_string_equal(parsed("* - : ( ) \" ^"), "");
	assert_int_equal(q.n, 0);
	assert_string_equal(parsed("\xe2\x80\x94 \xc2\xab\xc2\xbb"), ""); /* em dash, guillemets */
}

static void duplicates_and_limits(void **state)
{
	(void)state;
	assert_string_equal(parsed("a A a \"a\""), "a|\"a");
	char in[300] = "";
	for (int i = 0; i < 40; i++) {
		char w[8];
		snprintf(w, sizeof w, "w%d ", i);
		strcat(in, w);
	}
	search_parse(&q, in);
	assert_int_equal(q.n, SEARCH_MAX_TERMS);
	assert_string_equal(q.t[0].text, "w0");
	assert_string_equal(q.t[15].text, "w15");
	char longw[400];
	memset(longw, 'x', sizeof longw - 1);
	longw[sizeof longw - 1] = '\0';
	search_parse(&q, longw);
	assert_int_equal(q.n, 1);
	assert_int_equal(strlen(q.t[0].text), SEARCH_TERM_MAX);
}

static void non_ascii(void **state)
{
	(void)state;
	/* kept as typed: the backend folds case and accents */
	assert_string_equal(parsed("Café"), "caf\xc3\xa9");
	assert_string_equal(parsed("\xc3\x9c" "ber Stra\xc3\x9f" "e"), "\xc3\x9c" "ber|stra\xc3\x9f" "e");
	assert_string_equal(parsed("\xe6\x95\xb0\xe6\x8d\xae"), "\xe6\x95\xb0\xe6\x8d\xae"); /* CJK */
	/* private use (the index's filter tokens) and emoji separate words */
	assert_string_equal(parsed("a\xee\x80\x80t123"), "a t123");
	assert_string_equal(parsed("sun\xf0\x9f\x8c\x9e" "day"), "sun day");
	/* malformed bytes separate words and never reach the backend */
	assert_string_equal(parsed("ab\xff" "cd \xc3"), "ab cd");
	assert_string_equal(parsed("x\xed\xa0\x80y"), "x y"); /* surrogate */
	assert_string_equal(parsed("\xc0\xafz"), "z");          /* overlong '/' */
}

static void word_chars(void **state)
{
	(void)state;
	assert_true(search_word_char('a'));
	assert_true(search_word_char('7'));
	assert_false(search_word_char('_'));
	assert_false(search_word_char('"'));
	assert_true(search_word_char(0xe9));   /* é */
	assert_true(search_word_char(0xb5));   /* µ */
	assert_false(search_word_char(0xa0));  /* nbsp */
	assert_false(search_word_char(0x2014)); /* em dash */
	assert_false(search_word_char(0xe000));
	assert_true(search_word_char(0x4e2d)); /* 中 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(terms),
		cmocka_unit_test(phrases),
		cmocka_unit_test(unbalanced_quotes),
		cmocka_unit_test(fts_syntax_is_text),
		cmocka_unit_test(empty_after_stripping),
		cmocka_unit_test(duplicates_and_limits),
		cmocka_unit_test(non_ascii),
		cmocka_unit_test(word_chars),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
