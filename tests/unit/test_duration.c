/* test_duration: ISO 8601 durations for API key expiry. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "domain/duration.h"

#define S 1000LL
#define D (86400LL * S)

static void accepts_common_forms(void **state)
{
	(void)state;
	int64_t ms;
	assert_int_equal(duration_parse_ms(&ms, "P7D"), 0);
	assert_int_equal(ms, 7 * D);
	assert_int_equal(duration_parse_ms(&ms, "PT1H"), 0);
	assert_int_equal(ms, 3600 * S);
	assert_int_equal(duration_parse_ms(&ms, "PT1S"), 0);
	assert_int_equal(ms, S);
	assert_int_equal(duration_parse_ms(&ms, "P2W"), 0);
	assert_int_equal(ms, 14 * D);
	assert_int_equal(duration_parse_ms(&ms, "P1Y2M3DT4H5M6S"), 0);
	assert_int_equal(ms, 365 * D + 60 * D + 3 * D + 4 * 3600 * S + 5 * 60 * S + 6 * S);
	assert_int_equal(duration_parse_ms(&ms, "PT90M"), 0);
	assert_int_equal(ms, 90 * 60 * S);
	assert_int_equal(duration_parse_ms(&ms, "P0D"), 0);
	assert_int_equal(ms, 0);
}

static void minutes_and_months_are_told_apart_by_T(void **state)
{
	(void)state;
	int64_t ms;
	assert_int_equal(duration_parse_ms(&ms, "P1M"), 0);
	assert_int_equal(ms, 30 * D);
	assert_int_equal(duration_parse_ms(&ms, "PT1M"), 0);
	assert_int_equal(ms, 60 * S);
}

static void rejects_malformed(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "P", "PT", "7D", "p7d", "P7", "PD", "P-1D", "P1.5D", "P1DT", "PT1D", "P1H",
		"P1D1D", "P1M1Y", "PT1S1M", "P1W2D", "P 1D", "P1DX", "P100000000000D", "P101Y",
		"P1DTT1H", NULL,
	};
	for (const char *const *b = bad; *b; b++) {
		int64_t ms = 42;
		if (duration_parse_ms(&ms, *b) != -1)
			fail_msg("accepted '%s'", *b);
		assert_int_equal(ms, 42);
	}
	int64_t ms;
	assert_int_equal(duration_parse_ms(&ms, NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepts_common_forms),
		cmocka_unit_test(minutes_and_months_are_told_apart_by_T),
		cmocka_unit_test(rejects_malformed),
	};
	return cmocka_run_group_tests_name("duration", tests, NULL, NULL);
}
