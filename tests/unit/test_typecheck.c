/* test_typecheck: the cell validators of src/quality/typecheck.c, type by
 * type, against the syntax table in docs/quality-types.md. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "quality/typecheck.h"

static void check(enum field_type t, const struct type_params *p, const char *s, bool want)
{
	/* the cell is copied into an exact-size heap block so that ASan catches
	 * any read past its n bytes (cells are not NUL-terminated) */
	size_t n = strlen(s);
	char *cell = malloc(n ? n : 1);
	assert_non_null(cell);
	memcpy(cell, s, n);
	bool got = typecheck_valid(t, p, cell, n);
	free(cell);
	if (got != want)
		fail_msg("%s %s('%s') but expected %s", got ? "accepted" : "rejected",
			 typecheck_name(t), s, want ? "valid" : "invalid");
}

#define VALID(t, ...)                                                                  \
	do {                                                                            \
		const char *v_[] = {__VA_ARGS__};                                       \
		for (size_t i_ = 0; i_ < sizeof v_ / sizeof v_[0]; i_++)                \
			check(t, NULL, v_[i_], true);                                   \
	} while (0)
#define INVALID(t, ...)                                                                \
	do {                                                                            \
		const char *v_[] = {__VA_ARGS__};                                       \
		for (size_t i_ = 0; i_ < sizeof v_ / sizeof v_[0]; i_++)                \
			check(t, NULL, v_[i_], false);                                  \
	} while (0)

static void names(void **state)
{
	(void)state;
	static const char *const all[] = {"STRING", "INTEGER", "DOUBLE",    "DECIMAL",
					  "BOOLEAN", "DATE",   "DATETIME",  "TIMESTAMP",
					  "TIME",    "BINARY", "CUSTOM"};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		enum field_type t;
		assert_int_equal(typecheck_from_name(&t, all[i]), 0);
		assert_string_equal(typecheck_name(t), all[i]);
	}
	enum field_type t = FT_CUSTOM;
	assert_int_equal(typecheck_from_name(&t, "integer"), 0);
	assert_int_equal(t, FT_INTEGER);
	assert_int_equal(typecheck_from_name(&t, "INT"), -1);
	assert_int_equal(typecheck_from_name(&t, ""), -1);
	assert_int_equal(typecheck_from_name(&t, NULL), -1);
	assert_int_equal(typecheck_from_name(&t, "STRINGS"), -1);
	assert_string_equal(typecheck_name((enum field_type)99), "UNKNOWN");
}

static void integers(void **state)
{
	(void)state;
	VALID(FT_INTEGER, "0", "7", "-7", "+7", "007", "-0", "1234567890",
	      "9223372036854775807", "-9223372036854775808", "+9223372036854775807",
	      "00000000000000000000009223372036854775807");
	INVALID(FT_INTEGER, "9223372036854775808", "-9223372036854775809",
		"99999999999999999999", "18446744073709551616", "+", "-", "+-1", "--1", "1.0",
		"1.", ".1", "1e3", "0x10", "1 000", "1,000", "1_000", " 1", "1 ", "12a", "a12",
		"١٢", "\xef\xbc\x91" /* fullwidth 1 */);
}

static void doubles(void **state)
{
	(void)state;
	VALID(FT_DOUBLE, "1", "-1.5", "+1.5", "1e10", "1E10", "1e+10", "1e-10", ".5", "5.", "-.5",
	      "+5.", "0", "0.0", "00.100", "1.5e3", ".5e-3", "5.e2", "123456789012345678901234567890",
	      "1.7976931348623157e308", "-1.7976931348623157e308", "179769313486231570000e288",
	      "0.00017976931348623157e312", "1e-400" /* underflow rounds to 0: still a number */,
	      "0e999999", "9223372036854775808");
	INVALID(FT_DOUBLE, ".", "-", "+", "-.", "e5", ".e5", "1e", "1e+", "1e-", "1.5.2", "1e5.2",
		"1e5e5", "--1", "inf", "-inf", "Infinity", "nan", "NaN", "0x1p3", "0x10", "1,5",
		"1 000", "1_000", "1.5f", "1d", "1.8e308", "-1.8e308", "1e309",
		"1797693134862315800000e288", "1e99999999999999999999", " 1", "1 ");
}

static void decimals(void **state)
{
	(void)state;
	/* precision 0: any number of digits, no exponent */
	VALID(FT_DECIMAL, "1", "-1.5", ".5", "5.", "0.000", "123456789012345678901234567890.123456789");
	INVALID(FT_DECIMAL, "1e3", "1E-3", ".", "-", "+", "1.2.3", "inf", "nan", "0x1", "1,5", "");

	struct type_params p = {.precision = 5, .scale = 2};
	static const char *const ok[] = {"999.99", "-999.99", "+0.01", "0", "0.00", "1.5",
					 "1.50",   "1.500",   "001.23", "123",  ".99", "5."};
	static const char *const bad[] = {"1000", "1000.0", "-1000", "0.001", "1.231", "12345.6",
					  "99999",  "1e2"};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		check(FT_DECIMAL, &p, ok[i], true);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		check(FT_DECIMAL, &p, bad[i], false);

	/* DECIMAL(3,0): integers up to 3 digits; a zero fraction is fine */
	p = (struct type_params){.precision = 3, .scale = 0};
	check(FT_DECIMAL, &p, "999", true);
	check(FT_DECIMAL, &p, "999.000", true);
	check(FT_DECIMAL, &p, "-0999", true);
	check(FT_DECIMAL, &p, "1000", false);
	check(FT_DECIMAL, &p, "1.5", false);

	/* DECIMAL(2,2): fraction only */
	p = (struct type_params){.precision = 2, .scale = 2};
	check(FT_DECIMAL, &p, "0.99", true);
	check(FT_DECIMAL, &p, ".99", true);
	check(FT_DECIMAL, &p, "1", false);
	check(FT_DECIMAL, &p, "0.999", false);

	/* precision 0 with a scale: only the fraction is limited */
	p = (struct type_params){.precision = 0, .scale = 1};
	check(FT_DECIMAL, &p, "123456789012345.5", true);
	check(FT_DECIMAL, &p, "1.55", false);

	/* a negative scale counts as 0 */
	p = (struct type_params){.precision = 4, .scale = -3};
	check(FT_DECIMAL, &p, "9999", true);
	check(FT_DECIMAL, &p, "99999", false);
	check(FT_DECIMAL, &p, "1.5", false);
}

static void booleans(void **state)
{
	(void)state;
	VALID(FT_BOOLEAN, "true", "false", "TRUE", "False", "tRuE", "1", "0", "yes", "no", "YES",
	      "No", "t", "f", "T", "F", "y", "n", "Y", "N");
	INVALID(FT_BOOLEAN, "2", "-1", "01", "00", "10", "tru", "truee", "true ", "yess", "on",
		"off", "ja", "nein", "x", "0.0", "1.0", "null", "truefalse");
}

static void dates(void **state)
{
	(void)state;
	VALID(FT_DATE, "2024-01-31", "2024-02-29", "2000-02-29", "2023-02-28", "1900-02-28",
	      "0001-01-01", "9999-12-31", "2024-04-30", "1970-01-01");
	INVALID(FT_DATE, "2023-02-29", "1900-02-29", "2100-02-29", "2024-02-30", "2024-04-31",
		"2024-06-31", "2024-09-31", "2024-11-31", "2024-01-32", "2024-13-01",
		"2024-00-10", "2024-01-00", "0000-01-01", "24-01-01", "2024-1-01", "2024-01-1",
		"2024/01/01", "20240101", "2024-01-01T00:00", "2024-01-01 ", "12024-01-01",
		"2024-01-0a", "01/02/2024", "2024-0-101", "+2024-01-01");
}

static void times(void **state)
{
	(void)state;
	VALID(FT_TIME, "00:00", "23:59", "00:00:00", "23:59:59", "12:30:45", "23:59:60",
	      "12:00:60", "12:00:00.5", "12:00:00.123456789", "00:00:00.000");
	INVALID(FT_TIME, "24:00", "24:00:00", "23:60", "23:59:61", "12:00:00.", "12:00:00.1234567890",
		"9:30", "09:3", "09:30:5", "0930", "09:30:", "09.30", "12:00:00Z", "12:00:00+01:00",
		"12:00:00,5", "12:00 ", "-1:00", "ab:cd", "12:00:00.5a");
}

static void datetimes(void **state)
{
	(void)state;
	VALID(FT_DATETIME, "2024-02-29T12:00", "2024-02-29T12:00:00", "2024-02-29 12:00:00",
	      "2024-02-29t12:00:00", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00z",
	      "2024-01-01T00:00:00.123456Z", "2024-01-01T00:00:00+01:00", "2024-01-01T00:00:00-05:30",
	      "2024-01-01T00:00:00+0100", "2024-01-01 00:00:00+00", "2024-01-01T00:00+02:00",
	      "2024-01-01T00:00Z", "2024-12-31T23:59:60Z", "2024-01-01T00:00:00-00:00",
	      "2024-01-01T00:00:00+23:59");
	INVALID(FT_DATETIME, "2024-01-01", "2024-01-01T", "2024-01-01T24:00:00", "2023-02-29T00:00:00",
		"2024-01-01X00:00:00", "2024-01-01  00:00:00", "2024-01-01T00:00:00 Z",
		"2024-01-01T00:00:00+1", "2024-01-01T00:00:00+24:00", "2024-01-01T00:00:00+01:60",
		"2024-01-01T00:00:00+01:0", "2024-01-01T00:00:00+010", "2024-01-01T00:00:00+01:00:00",
		"2024-01-01T00:00:00ZZ", "2024-01-01T00:00:00UTC", "2024-01-01T0:00:00",
		"2024-01-01T00:00:00.Z", "1704067200", "2024-01-01T00:00:00 +01:00",
		"2024-01-01T00:00:00Z ");
}

static void timestamps(void **state)
{
	(void)state;
	/* every DATETIME, plus integer epoch seconds or milliseconds */
	VALID(FT_TIMESTAMP, "2024-01-01T00:00:00Z", "2024-01-01 00:00:00", "2024-01-01T10:00+05:30",
	      "0", "1704067200", "1704067200000", "-1", "-62135596800000", "253402300799999",
	      "0000001", "-0");
	INVALID(FT_TIMESTAMP, "-62135596800001", "253402300800000", "99999999999999999999999",
		"+1704067200", "1704067200.5", "1.7e9", "-", "2024-01-01", "2024-02-30T00:00:00",
		"1704067200 ", "0x10", "12:00:00");
}

static void strings_and_custom(void **state)
{
	(void)state;
	VALID(FT_STRING, "x", " ", "\"", "héllo", "\xff\xfe", "a,b\nc");
	VALID(FT_CUSTOM, "anything", "0", "\x01");
	/* empty cells are neither valid nor invalid; typecheck_valid says false */
	check(FT_STRING, NULL, "", false);
	check(FT_CUSTOM, NULL, "", false);
	check(FT_INTEGER, NULL, "", false);
	check(FT_BOOLEAN, NULL, "", false);
	check(FT_TIMESTAMP, NULL, "", false);
	check(FT_BINARY, NULL, "", false);
	check((enum field_type)99, NULL, "1", false);
}

static void binaries(void **state)
{
	(void)state;
	VALID(FT_BINARY, "0x00", "0xDEADbeef", "0X0a0B", "\\x0102", "QQ==", "QUI=", "QUJD", "AAAA",
	      "aGVsbG8gd29ybGQ=", "+/+/",
	      /* not hex, but valid base64: either form is enough */
	      "0xAg", "0xGG");
	INVALID(FT_BINARY, "0x", "0x0", "0x123", "0xGGG", "\\x", "\\X00", "0x 00", "QQ", "QQ=",
		"Q===", "====", "QQ==QQ==", "QQ=A", "aGVsbG8-", "a_b=", "hello", "0x00 ", "Q Q=");
}

static void numbers(void **state)
{
	(void)state;
	double d = 0;
	assert_true(typecheck_number(&d, FT_INTEGER, "-9223372036854775808", 20));
	assert_true(d == -9223372036854775808.0);
	assert_true(typecheck_number(&d, FT_INTEGER, "+42", 3));
	assert_true(d == 42.0);
	assert_true(typecheck_number(&d, FT_DOUBLE, "-1.5e3", 6));
	assert_true(d == -1500.0);
	assert_true(typecheck_number(&d, FT_DOUBLE, ".5", 2));
	assert_true(d == 0.5);
	assert_true(typecheck_number(&d, FT_DOUBLE, "5.", 2));
	assert_true(d == 5.0);
	assert_true(typecheck_number(&d, FT_DOUBLE, "1.7976931348623157e308", 22));
	assert_true(d == DBL_MAX);
	assert_true(typecheck_number(&d, FT_DECIMAL, "0012.340", 8));
	assert_true(d == 12.34);
	/* the bytes after n are not part of the cell */
	assert_true(typecheck_number(&d, FT_DOUBLE, "12345", 2));
	assert_true(d == 12.0);
	assert_true(typecheck_number(&d, FT_INTEGER, "7,8", 1));
	assert_true(d == 7.0);
	/* invalid cells and non-numeric types are refused, *out untouched */
	d = 99;
	assert_false(typecheck_number(&d, FT_INTEGER, "1.5", 3));
	assert_false(typecheck_number(&d, FT_DOUBLE, "1e999", 5));
	assert_false(typecheck_number(&d, FT_DOUBLE, "nan", 3));
	assert_false(typecheck_number(&d, FT_DECIMAL, "1e2", 3));
	assert_false(typecheck_number(&d, FT_BOOLEAN, "1", 1));
	assert_false(typecheck_number(&d, FT_STRING, "1", 1));
	assert_false(typecheck_number(&d, FT_TIMESTAMP, "1704067200", 10));
	assert_false(typecheck_number(&d, FT_DOUBLE, "", 0));
	assert_true(d == 99);
}

/* Numbers longer than the internal buffer are parsed through a rewrite
 * that keeps the sign, the first significant digits and the exponent. */
/* Cells of 10^5+ digits (a record holds up to 1 MiB) whose exponent offsets
 * the digit count: the magnitude shortcut must not clamp either side, or an
 * overflowing value passes as a valid DOUBLE (typecheck_number() then
 * refuses it: found by fuzz_typecheck's "valid DOUBLE parses" oracle). */
static void huge_cells_clamped_exponents(void **state)
{
	(void)state;
	enum { Z = 200000 };
	char *s = malloc(Z + 32);
	assert_non_null(s);
	double d;
	/* 1 and 200000 zeros, e-100000: 1e100000 overflows */
	s[0] = '1';
	memset(s + 1, '0', Z);
	size_t n = 1 + Z;
	memcpy(s + n, "e-100000", 8);
	assert_false(typecheck_valid(FT_DOUBLE, NULL, s, n + 8));
	assert_false(typecheck_number(&d, FT_DOUBLE, s, n + 8));
	/* ... e-200000: exactly 1 */
	memcpy(s + n, "e-200000", 8);
	assert_true(typecheck_valid(FT_DOUBLE, NULL, s, n + 8));
	assert_true(typecheck_number(&d, FT_DOUBLE, s, n + 8));
	assert_true(d == 1.0);
	/* "." 99999 zeros "1" e1000000: 1e900000 overflows */
	s[0] = '.';
	memset(s + 1, '0', 99999);
	n = 100000;
	memcpy(s + n, "1e1000000", 9);
	assert_false(typecheck_valid(FT_DOUBLE, NULL, s, n + 9));
	/* ... e100000: exactly 1 */
	memcpy(s + n, "1e100000", 8);
	assert_true(typecheck_valid(FT_DOUBLE, NULL, s, n + 8));
	assert_true(typecheck_number(&d, FT_DOUBLE, s, n + 8));
	assert_true(d == 1.0);
	free(s);
}

static void long_numbers(void **state)
{
	(void)state;
	char s[2100];
	double d;
	/* "0.000...0001234" with 2000 zeros: 1.234e-2001 underflows to 0 */
	memcpy(s, "0.", 2);
	memset(s + 2, '0', 2000);
	memcpy(s + 2002, "1234", 4);
	assert_true(typecheck_valid(FT_DOUBLE, NULL, s, 2006));
	assert_true(typecheck_number(&d, FT_DOUBLE, s, 2006));
	assert_true(d == 0.0);
	/* "-1234" followed by 296 zeros and ".500" with 1000 zeros: -1.234e299 */
	size_t n = 0;
	memcpy(s, "-1234", 5);
	n = 5;
	memset(s + n, '0', 296);
	n += 296;
	memcpy(s + n, ".5", 2);
	n += 2;
	memset(s + n, '0', 1000);
	n += 1000;
	assert_true(typecheck_valid(FT_DOUBLE, NULL, s, n));
	assert_true(typecheck_valid(FT_DECIMAL, NULL, s, n));
	assert_true(typecheck_number(&d, FT_DOUBLE, s, n));
	assert_true(fabs(d / -1.234e299 - 1) < 1e-15);
	/* 400 integer digits overflow a double: invalid DOUBLE, valid DECIMAL */
	memset(s, '9', 400);
	assert_false(typecheck_valid(FT_DOUBLE, NULL, s, 400));
	assert_true(typecheck_valid(FT_DECIMAL, NULL, s, 400));
	/* ... which typecheck_number cannot represent: refused */
	d = 7;
	assert_false(typecheck_number(&d, FT_DECIMAL, s, 400));
	assert_true(d == 7);
	/* 1000 leading zeros then 1e5 */
	memset(s, '0', 1000);
	memcpy(s + 1000, "1e5", 3);
	assert_true(typecheck_number(&d, FT_DOUBLE, s, 1003));
	assert_true(d == 1e5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names),
		cmocka_unit_test(integers),
		cmocka_unit_test(doubles),
		cmocka_unit_test(decimals),
		cmocka_unit_test(booleans),
		cmocka_unit_test(dates),
		cmocka_unit_test(times),
		cmocka_unit_test(datetimes),
		cmocka_unit_test(timestamps),
		cmocka_unit_test(strings_and_custom),
		cmocka_unit_test(binaries),
		cmocka_unit_test(numbers),
		cmocka_unit_test(long_numbers),
		cmocka_unit_test(huge_cells_clamped_exponents),
	};
	return cmocka_run_group_tests_name("typecheck", tests, NULL, NULL);
}
