/* Unit tests for src/util: ids (GUIDs, API keys, SHA-256), clock (ISO
 * timestamps) and strbuf (growable buffer). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/ids.h"
#include "util/strbuf.h"

/* ---- ids_guid_new ---------------------------------------------------- */

static bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

static void guid_new_has_canonical_format(void **state)
{
	(void)state;
	char g[GUID_LEN + 1];
	memset(g, 'X', sizeof g);
	assert_int_equal(ids_guid_new(g), 0);
	assert_int_equal(strlen(g), 36);
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			assert_int_equal(g[i], '-');
		else
			assert_true(is_lower_hex(g[i]));
	}
}

static void guid_new_sets_version_and_variant_nibbles(void **state)
{
	(void)state;
	/* Repeat: a single sample could hit the right nibble by chance. */
	for (int n = 0; n < 200; n++) {
		char g[GUID_LEN + 1];
		assert_int_equal(ids_guid_new(g), 0);
		assert_int_equal(g[14], '4');
		assert_non_null(strchr("89ab", g[19]));
		assert_true(ids_guid_valid(g));
	}
}

static int cmp_str(const void *a, const void *b) { return strcmp(a, b); }

static void guid_new_is_unique_over_1000(void **state)
{
	(void)state;
	enum { N = 1000 };
	char (*g)[GUID_LEN + 1] = calloc(N, sizeof *g);
	assert_non_null(g);
	for (int i = 0; i < N; i++)
		assert_int_equal(ids_guid_new(g[i]), 0);
	qsort(g, N, sizeof *g, cmp_str);
	for (int i = 1; i < N; i++)
		assert_string_not_equal(g[i - 1], g[i]);
	free(g);
}

/* ---- ids_guid_valid -------------------------------------------------- */

static void guid_valid_accepts_lower_case_v4(void **state)
{
	(void)state;
	assert_true(ids_guid_valid("0f8fad5b-d9cb-469f-a165-70867728950e"));
	assert_true(ids_guid_valid("00000000-0000-4000-8000-000000000000"));
	assert_true(ids_guid_valid("ffffffff-ffff-4fff-bfff-ffffffffffff"));
	assert_true(ids_guid_valid("12345678-1234-4234-9234-123456789abc"));
}

static void guid_valid_rejects_upper_case(void **state)
{
	(void)state;
	assert_false(ids_guid_valid("0F8FAD5B-D9CB-469F-A165-70867728950E"));
	assert_false(ids_guid_valid("0f8fad5b-d9cb-469f-A165-70867728950e"));
	assert_false(ids_guid_valid("0f8fad5b-d9cb-469f-a165-70867728950E"));
}

static void guid_valid_rejects_wrong_length(void **state)
{
	(void)state;
	assert_false(ids_guid_valid(""));
	assert_false(ids_guid_valid(NULL));
	assert_false(ids_guid_valid("0f8fad5b-d9cb-469f-a165-70867728950"));   /* 35 */
	assert_false(ids_guid_valid("0f8fad5b-d9cb-469f-a165-70867728950ee")); /* 37 */
	assert_false(ids_guid_valid("0f8fad5bd9cb469fa16570867728950e"));      /* no dashes */
}

static void guid_valid_rejects_wrong_variant_and_version(void **state)
{
	(void)state;
	assert_false(ids_guid_valid("0f8fad5b-d9cb-469f-c165-70867728950e")); /* variant c */
	assert_false(ids_guid_valid("0f8fad5b-d9cb-469f-7165-70867728950e")); /* variant 7 */
	assert_false(ids_guid_valid("0f8fad5b-d9cb-369f-a165-70867728950e")); /* version 3 */
	assert_false(ids_guid_valid("0f8fad5b-d9cb-569f-a165-70867728950e")); /* version 5 */
}

static void guid_valid_rejects_misplaced_dashes_and_non_hex(void **state)
{
	(void)state;
	assert_false(ids_guid_valid("0f8fad5bd-9cb-469f-a165-70867728950e"));
	assert_false(ids_guid_valid("0f8fad5b-d9cb-469f-a165-7086772895ge"));
	assert_false(ids_guid_valid("0f8fad5b d9cb-469f-a165-70867728950e"));
}

/* ---- ids_apikey_new -------------------------------------------------- */

static void apikey_has_prefix_length_and_charset(void **state)
{
	(void)state;
	for (int n = 0; n < 50; n++) {
		char k[64];
		assert_int_equal(ids_apikey_new(k, sizeof k), 0);
		assert_int_equal(strncmp(k, "dp_", 3), 0);
		assert_int_equal(strlen(k), 3 + 43);
		for (size_t i = 3; k[i]; i++)
			assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					       "0123456789-_",
					       k[i]));
	}
}

static void apikey_fits_exact_buffer_and_rejects_small_one(void **state)
{
	(void)state;
	char k[47];
	assert_int_equal(ids_apikey_new(k, sizeof k), 0);
	assert_int_equal(strlen(k), 46);
	char small[46];
	assert_int_equal(ids_apikey_new(small, sizeof small), -1);
}

static void apikey_is_unique(void **state)
{
	(void)state;
	char a[64], b[64];
	assert_int_equal(ids_apikey_new(a, sizeof a), 0);
	assert_int_equal(ids_apikey_new(b, sizeof b), 0);
	assert_string_not_equal(a, b);
}

/* ---- ids_sha256_hex -------------------------------------------------- */

static void sha256_known_vectors(void **state)
{
	(void)state;
	char out[HASH_HEX_LEN + 1];
	ids_sha256_hex(out, "", 0);
	assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	ids_sha256_hex(out, "abc", 3);
	assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	ids_sha256_hex(out, m, strlen(m));
	assert_string_equal(out, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void sha256_uses_length_not_nul(void **state)
{
	(void)state;
	char out[HASH_HEX_LEN + 1];
	ids_sha256_hex(out, "abcdef", 3); /* only "abc" */
	assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* ---- clock ----------------------------------------------------------- */

static void clock_format_known_instants(void **state)
{
	(void)state;
	char buf[ISO_TS_LEN + 1];
	clock_format_ms(buf, 0);
	assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
	clock_format_ms(buf, 1795713787123LL);
	assert_string_equal(buf, "2026-11-26T17:23:07.123Z");
	clock_format_ms(buf, 951868799999LL);
	assert_string_equal(buf, "2000-02-29T23:59:59.999Z");
	clock_format_ms(buf, 5);
	assert_string_equal(buf, "1970-01-01T00:00:00.005Z");
}

static void clock_parse_known_instant(void **state)
{
	(void)state;
	int64_t ms = -1;
	assert_int_equal(clock_parse_iso(&ms, "2026-11-26T17:23:07.123Z"), 0);
	assert_int_equal(ms, 1795713787123LL);
	assert_int_equal(clock_parse_iso(&ms, "1970-01-01T00:00:00.000Z"), 0);
	assert_int_equal(ms, 0);
}

static void clock_format_parse_round_trip(void **state)
{
	(void)state;
	const int64_t samples[] = {0, 1, 999, 1000, 86399999, 951868799999LL, 1795713787123LL,
				   4102444799999LL /* 2099-12-31T23:59:59.999Z */};
	for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
		char buf[ISO_TS_LEN + 1];
		int64_t back = -1;
		clock_format_ms(buf, samples[i]);
		assert_int_equal(strlen(buf), ISO_TS_LEN);
		assert_int_equal(clock_parse_iso(&back, buf), 0);
		assert_int_equal(back, samples[i]);
	}
}

/* Found by fuzz_time: instants before 1970 formatted a negative millisecond
 * field ("1970-01-01T00:00:00.-01Z" for -1), and the leap second at the end
 * of 9999 parsed to an instant in year 10000 that formats as year 0000. */
static void clock_before_1970_and_after_9999(void **state)
{
	(void)state;
	char buf[ISO_TS_LEN + 1];
	clock_format_ms(buf, -1);
	assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
	clock_format_ms(buf, -1000);
	assert_string_equal(buf, "1969-12-31T23:59:59.000Z");
	clock_format_ms(buf, -62135596800000LL + 123);
	assert_string_equal(buf, "0001-01-01T00:00:00.123Z");
	const char *const ok[] = {"0001-01-01T00:00:00.123Z", "1969-07-20T20:17:40.001Z",
				  "0000-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z"};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		int64_t ms;
		assert_int_equal(clock_parse_iso(&ms, ok[i]), 0);
		clock_format_ms(buf, ms);
		assert_string_equal(buf, ok[i]);
	}
	int64_t ms = 0;
	assert_int_equal(clock_parse_iso(&ms, "9999-12-31T23:59:60.000Z"), -1);
}

static void clock_now_is_parseable(void **state)
{
	(void)state;
	char buf[ISO_TS_LEN + 1];
	int64_t ms;
	clock_now_iso(buf);
	assert_int_equal(clock_parse_iso(&ms, buf), 0);
	assert_true(ms > 1700000000000LL);
}

static void clock_parse_rejects_malformed(void **state)
{
	(void)state;
	static const char *const bad[] = {
		NULL,
		"",
		"2026-11-26T17:23:07Z",       /* no milliseconds */
		"2026-11-26T17:23:07.123",    /* no Z */
		"2026-11-26T17:23:07.1234Z",  /* too long */
		"2026-11-26 17:23:07.123Z",   /* space for T */
		"2026-11-26T17:23:07.123+",   /* not Z */
		"2026/11/26T17:23:07.123Z",   /* wrong separators */
		"2026-13-26T17:23:07.123Z",   /* month 13 */
		"2026-00-26T17:23:07.123Z",   /* month 0 */
		"2026-11-32T17:23:07.123Z",   /* day 32 */
		"2026-11-00T17:23:07.123Z",   /* day 0 */
		"2026-11-26T24:23:07.123Z",   /* hour 24 */
		"2026-11-26T17:60:07.123Z",   /* minute 60 */
		"2026-11-26T17:23:61.123Z",   /* second 61 */
		"abcd-11-26T17:23:07.123Z",
		"2026-11-26T17:23:07.12xZ",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t ms = 0;
		if (clock_parse_iso(&ms, bad[i]) != -1)
			fail_msg("accepted malformed timestamp '%s'", bad[i] ? bad[i] : "(null)");
	}
}

/* "Parses exactly the format above": every field is fixed-width digits, so a
 * sign or a blank inside a numeric field is malformed. */
static void clock_parse_rejects_signs_and_blanks_in_fields(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"2026-11-26T17:23:07.-12Z", /* negative milliseconds */
		"2026-+1-26T17:23:07.123Z", /* sign in month */
		"2026-11- 6T17:23:07.123Z", /* blank in day */
		"+026-11-26T17:23:07.123Z", /* sign in year */
	};
	int accepted = 0;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t ms = 0;
		if (clock_parse_iso(&ms, bad[i]) != -1) {
			print_error("accepted malformed timestamp '%s' (-> %lld ms)\n", bad[i],
				    (long long)ms);
			accepted++;
		}
	}
	assert_int_equal(accepted, 0);
}

/* ---- strbuf ---------------------------------------------------------- */

static void strbuf_starts_empty_and_take_gives_empty_string(void **state)
{
	(void)state;
	struct strbuf sb;
	strbuf_init(&sb);
	assert_int_equal(sb.len, 0);
	char *s = strbuf_take(&sb);
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_null(sb.data);
	assert_int_equal(sb.len, 0);
	free(s);
}

static void strbuf_append_puts_putc(void **state)
{
	(void)state;
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_puts(&sb, "ab");
	strbuf_putc(&sb, 'c');
	strbuf_append(&sb, "defXYZ", 3);
	assert_int_equal(sb.len, 6);
	assert_string_equal(sb.data, "abcdef");
	strbuf_free(&sb);
	assert_null(sb.data);
	assert_int_equal(sb.len, 0);
	assert_int_equal(sb.cap, 0);
}

static void strbuf_grows_past_many_capacities(void **state)
{
	(void)state;
	struct strbuf sb;
	strbuf_init(&sb);
	for (int i = 0; i < 10000; i++) {
		strbuf_putc(&sb, (char)('a' + i % 26));
		assert_true(sb.cap > sb.len);
		assert_int_equal(sb.data[sb.len], '\0');
	}
	assert_int_equal(sb.len, 10000);
	assert_int_equal(strlen(sb.data), 10000);
	for (int i = 0; i < 10000; i++)
		assert_int_equal(sb.data[i], 'a' + i % 26);
	char *s = strbuf_take(&sb);
	assert_null(sb.data);
	assert_int_equal(sb.len, 0);
	assert_int_equal(strlen(s), 10000);
	free(s);
}

static void strbuf_big_single_append(void **state)
{
	(void)state;
	size_t n = 100000;
	char *big = malloc(n);
	assert_non_null(big);
	memset(big, 'q', n);
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_puts(&sb, "<");
	strbuf_append(&sb, big, n);
	strbuf_puts(&sb, ">");
	assert_int_equal(sb.len, n + 2);
	assert_int_equal(sb.data[0], '<');
	assert_int_equal(sb.data[n], 'q');
	assert_int_equal(sb.data[n + 1], '>');
	assert_int_equal(sb.data[n + 2], '\0');
	free(big);
	strbuf_free(&sb);
}

static void strbuf_printf_formats_and_appends(void **state)
{
	(void)state;
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_puts(&sb, "x=");
	strbuf_printf(&sb, "%d,%s,%05.1f,%ld", 42, "str", 3.14159, -7L);
	assert_string_equal(sb.data, "x=42,str,003.1,-7");
	assert_int_equal(sb.len, strlen("x=42,str,003.1,-7"));
	strbuf_printf(&sb, "%s", "");
	assert_int_equal(sb.len, strlen("x=42,str,003.1,-7"));
	strbuf_free(&sb);
}

static void strbuf_printf_long_output_grows(void **state)
{
	(void)state;
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_puts(&sb, "head:");
	strbuf_printf(&sb, "%0500d|%s", 7, "tail");
	assert_int_equal(sb.len, 5 + 500 + 5);
	assert_int_equal(strncmp(sb.data, "head:000", 8), 0);
	assert_string_equal(sb.data + sb.len - 6, "7|tail");
	strbuf_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(guid_new_has_canonical_format),
		cmocka_unit_test(guid_new_sets_version_and_variant_nibbles),
		cmocka_unit_test(guid_new_is_unique_over_1000),
		cmocka_unit_test(guid_valid_accepts_lower_case_v4),
		cmocka_unit_test(guid_valid_rejects_upper_case),
		cmocka_unit_test(guid_valid_rejects_wrong_length),
		cmocka_unit_test(guid_valid_rejects_wrong_variant_and_version),
		cmocka_unit_test(guid_valid_rejects_misplaced_dashes_and_non_hex),
		cmocka_unit_test(apikey_has_prefix_length_and_charset),
		cmocka_unit_test(apikey_fits_exact_buffer_and_rejects_small_one),
		cmocka_unit_test(apikey_is_unique),
		cmocka_unit_test(sha256_known_vectors),
		cmocka_unit_test(sha256_uses_length_not_nul),
		cmocka_unit_test(clock_format_known_instants),
		cmocka_unit_test(clock_parse_known_instant),
		cmocka_unit_test(clock_format_parse_round_trip),
		cmocka_unit_test(clock_before_1970_and_after_9999),
		cmocka_unit_test(clock_now_is_parseable),
		cmocka_unit_test(clock_parse_rejects_malformed),
		cmocka_unit_test(clock_parse_rejects_signs_and_blanks_in_fields),
		cmocka_unit_test(strbuf_starts_empty_and_take_gives_empty_string),
		cmocka_unit_test(strbuf_append_puts_putc),
		cmocka_unit_test(strbuf_grows_past_many_capacities),
		cmocka_unit_test(strbuf_big_single_append),
		cmocka_unit_test(strbuf_printf_formats_and_appends),
		cmocka_unit_test(strbuf_printf_long_output_grows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
