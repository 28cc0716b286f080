/* test_utf8: utf8_sanitize keeps well-formed text and replaces the rest. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "util/utf8.h"

static void keeps_valid_text(void **state)
{
	(void)state;
	char out[64];
	assert_int_equal(utf8_sanitize(out, sizeof out, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), 14);
	assert_string_equal(out, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
}

static void replaces_invalid_bytes(void **state)
{
	(void)state;
	char out[64];
	utf8_sanitize(out, sizeof out, "a\xff" "b\xc3(c");
	assert_string_equal(out, "a?b?(c");
}

static void rejects_overlongs_surrogates_and_out_of_range(void **state)
{
	(void)state;
	char out[64];
	utf8_sanitize(out, sizeof out, "\xc0\xaf|\xe0\x80\xaf|\xed\xa0\x80|\xf4\x90\x80\x80");
	assert_string_equal(out, "??|???|???|????");
}

static void never_splits_a_character_when_truncating(void **state)
{
	(void)state;
	char out[4];
	/* "aé" needs 3 bytes + NUL = 4: fits; "aéé" must stop before the 2nd é */
	assert_int_equal(utf8_sanitize(out, sizeof out, "a\xc3\xa9\xc3\xa9"), 3);
	assert_string_equal(out, "a\xc3\xa9");
}

static void handles_tiny_buffers(void **state)
{
	(void)state;
	char out[1] = {'x'};
	assert_int_equal(utf8_sanitize(out, sizeof out, "abc"), 0);
	assert_string_equal(out, "");
	assert_int_equal(utf8_sanitize(out, 0, "abc"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keeps_valid_text),
		cmocka_unit_test(replaces_invalid_bytes),
		cmocka_unit_test(rejects_overlongs_surrogates_and_out_of_range),
		cmocka_unit_test(never_splits_a_character_when_truncating),
		cmocka_unit_test(handles_tiny_buffers),
	};
	return cmocka_run_group_tests_name("utf8", tests, NULL, NULL);
}
