/* typecheck: cell validators per declared data type. Pure, allocation-free,
 * one pass over the cell's bytes. The accepted syntaxes are specified (with
 * examples) in docs/quality-types.md; keep the two in step. */
#include "quality/typecheck.h"
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const names[] = {
	[FT_STRING] = "STRING",   [FT_INTEGER] = "INTEGER",     [FT_DOUBLE] = "DOUBLE",
	[FT_DECIMAL] = "DECIMAL", [FT_BOOLEAN] = "BOOLEAN",     [FT_DATE] = "DATE",
	[FT_DATETIME] = "DATETIME", [FT_TIMESTAMP] = "TIMESTAMP", [FT_TIME] = "TIME",
	[FT_BINARY] = "BINARY",   [FT_CUSTOM] = "CUSTOM",
};
#define NTYPES ((int)(sizeof names / sizeof names[0]))

int typecheck_from_name(enum field_type *out, const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < NTYPES; i++)
		if (strcasecmp(name, names[i]) == 0) {
			*out = (enum field_type)i;
			return 0;
		}
	return -1;
}

const char *typecheck_name(enum field_type t)
{
	return (int)t >= 0 && (int)t < NTYPES ? names[t] : "UNKNOWN";
}

static inline bool is_digit(char c)
{
	return (unsigned char)(c - '0') < 10;
}

/* ---- numbers ---------------------------------------------------------- */

/* [+-]? digits, within int64. */
static bool valid_integer(const char *s, size_t n)
{
	size_t i = 0;
	bool neg = false;
	if (n && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == n)
		return false;
	/* |INT64_MIN| = 922337203685477580 * 10 + 8, INT64_MAX = ... + 7 */
	const uint64_t top = (uint64_t)INT64_MAX / 10;
	const unsigned last = neg ? 8 : 7;
	uint64_t v = 0;
	for (; i < n; i++) {
		unsigned d = (unsigned)(unsigned char)s[i] - '0';
		if (d > 9)
			return false;
		if (v >= top && (v > top || d > last))
			return false;
		v = v * 10 + d;
	}
	return true;
}

/* The shape of a decimal number: [+-]? (D+ ('.' D*)? | '.' D+) ([eE][+-]?D+)? */
struct numshape {
	size_t int_sig;  /* integer digits after leading zeros */
	size_t frac_sig; /* fraction digits before trailing zeros */
	size_t first_sig_frac; /* fraction position (1-based) of the first non-zero digit, 0 if none */
	bool has_exp;
	long exp;        /* clamped to +-10^9: beyond the digit count of any cell */
};

static bool scan_number(const char *s, size_t n, struct numshape *sh)
{
	size_t i = 0, int_digits = 0, frac_digits = 0;
	memset(sh, 0, sizeof *sh);
	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	bool lead = true;
	for (; i < n && is_digit(s[i]); i++, int_digits++) {
		if (lead && s[i] == '0')
			continue;
		lead = false;
		sh->int_sig++;
	}
	if (i < n && s[i] == '.') {
		i++;
		size_t last_nz = 0;
		for (; i < n && is_digit(s[i]); i++) {
			frac_digits++;
			if (s[i] != '0') {
				last_nz = frac_digits;
				if (!sh->first_sig_frac)
					sh->first_sig_frac = frac_digits;
			}
		}
		sh->frac_sig = last_nz;
	}
	if (int_digits + frac_digits == 0)
		return false;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		bool eneg = false;
		if (i < n && (s[i] == '+' || s[i] == '-')) {
			eneg = s[i] == '-';
			i++;
		}
		if (i == n)
			return false;
		long e = 0;
		for (; i < n; i++) {
			if (!is_digit(s[i]))
				return false;
			if (e < 1000000000L)
				e = e * 10 + (s[i] - '0');
		}
		sh->has_exp = true;
		sh->exp = eneg ? -e : e;
	}
	return i == n;
}

/* Copies a valid numeric cell into a NUL-terminated buffer for strtod. Cells
 * longer than the buffer are rewritten as [-]0.<first 200 significant
 * digits>e<exponent>, which changes the result by far less than 1 ulp
 * except in contrived halfway cases. */
static void number_text(char *buf, size_t cap, const char *s, size_t n)
{
	if (n < cap) {
		memcpy(buf, s, n);
		buf[n] = '\0';
		return;
	}
	size_t i = 0, o = 0;
	if (s[0] == '+' || s[0] == '-')
		i = 1;
	if (s[0] == '-')
		buf[o++] = '-';
	buf[o++] = '0';
	buf[o++] = '.';
	long dexp = 0; /* value = 0.DIGITS x 10^dexp */
	bool seen = false, frac = false;
	size_t kept = 0;
	for (; i < n && s[i] != 'e' && s[i] != 'E'; i++) {
		if (s[i] == '.') {
			frac = true;
			continue;
		}
		if (!seen && s[i] == '0') {
			if (frac)
				dexp--;
			continue;
		}
		seen = true;
		if (!frac && dexp < 1000000000L)
			dexp++;
		if (kept < 200)
			buf[o + kept++] = s[i];
	}
	o += kept;
	if (!seen)
		buf[o++] = '0';
	long e = 0;
	if (i < n) {
		i++;
		bool eneg = false;
		if (s[i] == '+' || s[i] == '-')
			eneg = s[i++] == '-';
		for (; i < n; i++)
			if (e < 1000000000L)
				e = e * 10 + (s[i] - '0');
		if (eneg)
			e = -e;
	}
	snprintf(buf + o, cap - o, "e%ld", e + dexp);
}

#define NUMBUF 320

static bool valid_double(const char *s, size_t n)
{
	struct numshape sh;
	if (!scan_number(s, n, &sh))
		return false;
	/* Magnitude is below 10^(int_sig + exp) (or 10^(exp - first_sig_frac + 1)):
	 * only values that may reach DBL_MAX (~1.8e308) need an exact check. */
	long mag = sh.int_sig ? (long)sh.int_sig + sh.exp : sh.exp - (long)sh.first_sig_frac + 1;
	if (sh.int_sig == 0 && sh.first_sig_frac == 0)
		return true; /* zero */
	if (mag < 308)
		return true;
	char buf[NUMBUF];
	number_text(buf, sizeof buf, s, n);
	double d = strtod(buf, NULL);
	return d <= DBL_MAX && d >= -DBL_MAX;
}

static bool valid_decimal(const struct type_params *p, const char *s, size_t n)
{
	struct numshape sh;
	if (!scan_number(s, n, &sh) || sh.has_exp)
		return false;
	int prec = p ? p->precision : 0, scale = p ? p->scale : 0;
	if (scale < 0)
		scale = 0;
	if (prec <= 0 && scale == 0)
		return true;
	if (sh.frac_sig > (size_t)scale)
		return false;
	if (prec > 0) {
		size_t int_max = prec > scale ? (size_t)(prec - scale) : 0;
		if (sh.int_sig > int_max)
			return false;
	}
	return true;
}

/* ---- booleans --------------------------------------------------------- */

static bool valid_boolean(const char *s, size_t n)
{
	static const char *const words[] = {"true", "false", "yes", "no", "t", "f", "y", "n", "1", "0"};
	if (n == 0 || n > 5)
		return false;
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strlen(words[i]) == n && strncasecmp(s, words[i], n) == 0)
			return true;
	return false;
}

/* ---- dates and times -------------------------------------------------- */

/* Reads exactly k digits at s into *v. */
static bool digits(const char *s, int k, int *v)
{
	int x = 0;
	for (int i = 0; i < k; i++) {
		if (!is_digit(s[i]))
			return false;
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return true;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* YYYY-MM-DD, year 0001-9999, real calendar day. Exactly 10 bytes. */
static bool date10(const char *s)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, m, d;
	if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &m) || s[7] != '-' ||
	    !digits(s + 8, 2, &d))
		return false;
	if (y < 1 || m < 1 || m > 12 || d < 1)
		return false;
	return d <= mdays[m - 1] + (m == 2 && leap(y));
}

/* HH:MM[:SS[.F{1,9}]]; returns bytes used (0 when none match). Consumes the
 * longest valid prefix; the caller checks what follows. */
static size_t time_prefix(const char *s, size_t n)
{
	int h, m, sec;
	if (n < 5 || !digits(s, 2, &h) || s[2] != ':' || !digits(s + 3, 2, &m))
		return 0;
	if (h > 23 || m > 59)
		return 0;
	size_t i = 5;
	if (i < n && s[i] == ':') {
		if (n < 8 || !digits(s + 6, 2, &sec) || sec > 60)
			return 0;
		i = 8;
		if (i < n && s[i] == '.') {
			size_t f = 0;
			for (i++; i < n && is_digit(s[i]); i++)
				f++;
			if (f < 1 || f > 9)
				return 0;
		}
	}
	return i;
}

static bool valid_time(const char *s, size_t n)
{
	size_t k = time_prefix(s, n);
	return k && k == n;
}

/* Z | z | (+|-)HH[[:]MM], offset hours 00-23, minutes 00-59. */
static bool valid_zone(const char *s, size_t n)
{
	int h, m;
	if (n == 1)
		return s[0] == 'Z' || s[0] == 'z';
	if (s[0] != '+' && s[0] != '-')
		return false;
	if (n == 3)
		return digits(s + 1, 2, &h) && h <= 23;
	if (n == 5)
		return digits(s + 1, 2, &h) && h <= 23 && digits(s + 3, 2, &m) && m <= 59;
	if (n == 6)
		return digits(s + 1, 2, &h) && h <= 23 && s[3] == ':' && digits(s + 4, 2, &m) &&
		       m <= 59;
	return false;
}

static bool valid_datetime(const char *s, size_t n)
{
	if (n < 16 || !date10(s))
		return false;
	if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
		return false;
	size_t k = time_prefix(s + 11, n - 11);
	if (!k)
		return false;
	size_t used = 11 + k;
	return used == n || valid_zone(s + used, n - used);
}

/* DATETIME, or integer epoch seconds/milliseconds: -?D+ with the value in
 * [-62135596800000, 253402300799999] (0001-01-01T00:00:00Z in ms to
 * 9999-12-31T23:59:59.999Z in ms; every in-range seconds value is inside). */
static bool valid_timestamp(const char *s, size_t n)
{
	if (n && (is_digit(s[0]) || s[0] == '-') && n <= 20) {
		size_t i = s[0] == '-';
		bool neg = i == 1;
		if (i < n) {
			int64_t v = 0;
			for (; i < n && is_digit(s[i]); i++)
				if (v <= 1000000000000000LL)
					v = v * 10 + (s[i] - '0');
			if (i == n)
				return neg ? v <= 62135596800000LL : v <= 253402300799999LL;
		}
	}
	return valid_datetime(s, n);
}

/* ---- binary ----------------------------------------------------------- */

static int hexval(char c)
{
	if (is_digit(c))
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static bool is_b64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '+' ||
	       c == '/';
}

/* Either 0x / 0X / \x followed by an even, non-zero number of hex digits, or
 * RFC 4648 base64 (standard alphabet, padded to a multiple of 4 with at most
 * two '=', which may only end the value). */
static bool valid_hex(const char *s, size_t n)
{
	if (n < 4 || n % 2 || !((s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ||
				(s[0] == '\\' && s[1] == 'x')))
		return false;
	for (size_t i = 2; i < n; i++)
		if (hexval(s[i]) < 0)
			return false;
	return true;
}

static bool valid_base64(const char *s, size_t n)
{
	if (n == 0 || n % 4)
		return false;
	size_t pad = s[n - 1] == '=' ? (s[n - 2] == '=' ? 2 : 1) : 0;
	for (size_t i = 0; i < n - pad; i++)
		if (!is_b64(s[i]))
			return false;
	return true;
}

static bool valid_binary(const char *s, size_t n)
{
	return valid_hex(s, n) || valid_base64(s, n);
}

/* ---- entry points ----------------------------------------------------- */

bool typecheck_valid(enum field_type t, const struct type_params *p, const char *s, size_t n)
{
	if (n == 0)
		return false;
	switch (t) {
	case FT_STRING:
	case FT_CUSTOM:
		return true;
	case FT_INTEGER:
		return valid_integer(s, n);
	case FT_DOUBLE:
		return valid_double(s, n);
	case FT_DECIMAL:
		return valid_decimal(p, s, n);
	case FT_BOOLEAN:
		return valid_boolean(s, n);
	case FT_DATE:
		return n == 10 && date10(s);
	case FT_TIME:
		return valid_time(s, n);
	case FT_DATETIME:
		return valid_datetime(s, n);
	case FT_TIMESTAMP:
		return valid_timestamp(s, n);
	case FT_BINARY:
		return valid_binary(s, n);
	}
	return false;
}

bool typecheck_number(double *out, enum field_type t, const char *s, size_t n)
{
	bool ok;
	switch (t) {
	case FT_INTEGER:
		ok = valid_integer(s, n);
		break;
	case FT_DOUBLE:
		ok = valid_double(s, n);
		break;
	case FT_DECIMAL:
		ok = valid_decimal(NULL, s, n);
		break;
	default:
		return false;
	}
	if (!ok)
		return false;
	char buf[NUMBUF];
	number_text(buf, sizeof buf, s, n);
	double d = strtod(buf, NULL);
	if (!isfinite(d))
		return false; /* a valid DECIMAL beyond the range of a double */
	*out = d;
	return true;
}
