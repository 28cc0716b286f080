/* Unit tests for the pure parts of issue 8's operations items: invisible
 * names (src/util/utf8.c, used by FIELD_NAME in src/domain/jsonspec.c) and
 * the mapping of SQLite result codes to storage conditions (src/store). */
#include "support.h"

#include <sqlite3.h>
#include "domain/jsonspec.h"
#include "http/request.h"
#include "store/store.h"
#include "util/utf8.h"

enum store_fault sqlite_fault_kind(int rc); /* src/store/sqlite.c */

static void invisible_only_strings_have_nothing_visible(void **state)
{
	(void)state;
	static const char *const blank[] = {
		"",
		" \t\r\n",
		"\xe2\x80\x8b",                 /* U+200B ZERO WIDTH SPACE */
		"\xe2\x80\x8c\xe2\x80\x8d",     /* U+200C ZWNJ, U+200D ZWJ */
		"\xe2\x81\xa0",                 /* U+2060 WORD JOINER */
		"\xef\xbb\xbf",                 /* U+FEFF BOM */
		"\xc2\xa0",                     /* U+00A0 NO-BREAK SPACE */
		"\xe3\x80\x80",                 /* U+3000 IDEOGRAPHIC SPACE */
		"\xe1\xa0\x8e",                 /* U+180E MONGOLIAN VOWEL SEPARATOR */
		"\xe2\xa0\x80",                 /* U+2800 BRAILLE PATTERN BLANK */
		"\xe3\x85\xa4",                 /* U+3164 HANGUL FILLER */
		"\xc2\xad",                     /* U+00AD SOFT HYPHEN */
		"\xe2\x80\xae",                 /* U+202E RIGHT-TO-LEFT OVERRIDE */
		"\xef\xb8\x8f",                 /* U+FE0F VARIATION SELECTOR-16 */
		"\xf3\xa0\x80\x81",             /* U+E0001 LANGUAGE TAG */
		"\xe2\x80\x83 \xe2\x80\x8b\xc2\x85", /* EM SPACE, space, ZWSP, NEL */
	};
	for (size_t i = 0; i < sizeof blank / sizeof blank[0]; i++)
		if (utf8_has_visible(blank[i]))
			fail_msg("blank[%zu] counted as visible", i);
}

static void one_visible_character_is_enough(void **state)
{
	(void)state;
	assert_true(utf8_has_visible("a"));
	assert_true(utf8_has_visible("\xe2\x80\x8b" "x" "\xe2\x80\x8b"));
	assert_true(utf8_has_visible("\xc3\xa9"));                 /* é */
	assert_true(utf8_has_visible("\xe6\x97\xa5"));             /* 日 */
	assert_true(utf8_has_visible("\xf0\x9f\x98\x80"));         /* 😀 */
	assert_true(utf8_has_visible("\xe2\xa0\x81"));             /* U+2801: a Braille dot */
	assert_true(utf8_has_visible("\xcc\x81"));                 /* a combining mark shows */
}

static void invisible_table_edges(void **state)
{
	(void)state;
	assert_true(utf8_invisible(0x200B));
	assert_true(utf8_invisible(0x200F));
	assert_false(utf8_invisible(0x2010)); /* HYPHEN */
	assert_true(utf8_invisible(0x2060));
	assert_true(utf8_invisible(0x206F));
	assert_false(utf8_invisible(0x2070));
	assert_false(utf8_invisible(0x21));
	assert_true(utf8_invisible(0x20));
	assert_false(utf8_invisible(0x10FFFF));
}

static const struct field_spec name_spec[] = {
	{"name", FIELD_NAME, true, false, 10},
	FIELD_END,
};

static int check_name(const char *text)
{
	json_t *j = tj(text);
	test_err[0] = '\0';
	int rc = jsonspec_check(j, name_spec, test_err, sizeof test_err);
	json_decref(j);
	return rc;
}

static void field_name_rejects_invisible_names(void **state)
{
	(void)state;
	REJECTS(check_name, "{'name':'\\u200b'}", "'name' must contain a visible character");
	REJECTS(check_name, "{'name':' \\u00a0\\u3000\\ufeff '}", "'name'");
	REJECTS(check_name, "{'name':'\\u2800'}", "'name'");
	REJECTS(check_name, "{'name':'  '}", "'name' must not be empty");
	ACCEPTS(check_name, "{'name':'\\u200bA'}");
	ACCEPTS(check_name, "{'name':' Orders '}");
}

static void sqlite_codes_map_to_storage_conditions(void **state)
{
	(void)state;
	assert_int_equal(sqlite_fault_kind(SQLITE_FULL), STORE_FAULT_FULL);
	assert_int_equal(sqlite_fault_kind(SQLITE_READONLY), STORE_FAULT_READONLY);
	assert_int_equal(sqlite_fault_kind(SQLITE_READONLY_DBMOVED), STORE_FAULT_READONLY);
	assert_int_equal(sqlite_fault_kind(SQLITE_IOERR), STORE_FAULT_IOERR);
	assert_int_equal(sqlite_fault_kind(SQLITE_IOERR_FSYNC), STORE_FAULT_IOERR);
	assert_int_equal(sqlite_fault_kind(SQLITE_CANTOPEN), STORE_FAULT_CANTOPEN);
	assert_int_equal(sqlite_fault_kind(SQLITE_CORRUPT), STORE_FAULT_CORRUPT);
	assert_int_equal(sqlite_fault_kind(SQLITE_NOTADB), STORE_FAULT_CORRUPT);
	assert_int_equal(sqlite_fault_kind(SQLITE_BUSY), STORE_FAULT_NONE);
	assert_int_equal(sqlite_fault_kind(SQLITE_CONSTRAINT), STORE_FAULT_NONE);
	assert_int_equal(sqlite_fault_kind(SQLITE_ERROR), STORE_FAULT_NONE);
	assert_string_equal(store_fault_name(STORE_FAULT_FULL), "full");
	assert_string_equal(store_fault_name(STORE_FAULT_READONLY), "readonly");
	assert_string_equal(store_fault_name(STORE_FAULT__COUNT), "none");
}

static void health_is_noted_and_cleared(void **state)
{
	(void)state;
	char reason[320];
	assert_int_equal(store_health(reason, sizeof reason), STORE_FAULT_NONE);
	store_fault_note(STORE_FAULT_FULL, "SQLITE_FULL", 13, "database or disk is full");
	assert_int_equal(store_health(reason, sizeof reason), STORE_FAULT_FULL);
	assert_non_null(strstr(reason, "database or disk is full (SQLITE_FULL) since "));
	assert_int_equal(store_fault_last(), STORE_FAULT_FULL);
	store_fault_clear();
	assert_int_equal(store_health(reason, sizeof reason), STORE_FAULT_NONE);
	assert_string_equal(reason, "");
}

static void allowed_hosts_match_host_and_optional_port(void **state)
{
	(void)state;
	const char *list = " dp.example.com, api.example.com:8443 ,[::1],127.0.0.1";
	assert_true(req_host_allowed(list, "dp.example.com"));
	assert_true(req_host_allowed(list, "DP.Example.COM:8080")); /* no port in entry: any */
	assert_true(req_host_allowed(list, "api.example.com:8443"));
	assert_false(req_host_allowed(list, "api.example.com"));      /* port required */
	assert_false(req_host_allowed(list, "api.example.com:844"));
	assert_false(req_host_allowed(list, "api.example.com:84430"));
	assert_true(req_host_allowed(list, "[::1]:9000"));
	assert_true(req_host_allowed(list, "127.0.0.1:1"));
	assert_false(req_host_allowed(list, "127.0.0.10"));
	assert_false(req_host_allowed(list, "dp.example.com.evil.example"));
	assert_false(req_host_allowed(list, "evil.dp.example.com"));
	assert_false(req_host_allowed(list, "dp.example.co"));
	assert_false(req_host_allowed(list, NULL));
	assert_false(req_host_allowed(list, ""));
	assert_false(req_host_allowed(list, "dp.example.com/x"));
	assert_false(req_host_allowed(NULL, "dp.example.com"));
}

static void allowed_hosts_lists_are_validated(void **state)
{
	(void)state;
	assert_true(req_host_list_valid("a.example"));
	assert_true(req_host_list_valid("a.example:1, [::1]:8080 ,10.0.0.1"));
	assert_false(req_host_list_valid(""));
	assert_false(req_host_list_valid(" , ,"));
	assert_false(req_host_list_valid("a.example, bad host"));
	assert_false(req_host_list_valid("http://a.example"));
	assert_false(req_host_list_valid("a.example:123456"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(invisible_only_strings_have_nothing_visible),
		cmocka_unit_test(one_visible_character_is_enough),
		cmocka_unit_test(invisible_table_edges),
		cmocka_unit_test(field_name_rejects_invisible_names),
		cmocka_unit_test(sqlite_codes_map_to_storage_conditions),
		cmocka_unit_test(health_is_noted_and_cleared),
		cmocka_unit_test(allowed_hosts_match_host_and_optional_port),
		cmocka_unit_test(allowed_hosts_lists_are_validated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
