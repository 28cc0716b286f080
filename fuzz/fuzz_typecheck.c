/* fuzz_typecheck: the cell validators of src/quality/typecheck.c (data set
 * field types) on arbitrary cells, with oracles where an independent one is
 * cheap: INTEGER against strtoll, numeric validity against
 * typecheck_number(), type names against typecheck_name().
 *
 * Input: byte 0 = type (mod 11), byte 1 = DECIMAL precision (signed),
 * byte 2 = DECIMAL scale (signed), then the cell (1 byte at least). */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "quality/typecheck.h"

/* [+-]?[0-9]+ within int64, by strtoll. */
static bool int_oracle(const char *z, size_t n)
{
	if (n == 0 || strlen(z) != n)
		return false;
	size_t i = (z[0] == '+' || z[0] == '-') ? 1 : 0;
	if (i == n)
		return false;
	for (size_t k = i; k < n; k++)
		if (z[k] < '0' || z[k] > '9')
			return false;
	errno = 0;
	char *end;
	(void)strtoll(z, &end, 10);
	return errno == 0 && *end == '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	enum field_type t = (enum field_type)(data[0] % (FT_CUSTOM + 1));
	struct type_params p = {(int8_t)data[1], (int8_t)data[2]};
	const char *cell = (const char *)data + 3;
	size_t n = size - 3;
	/* exact-size copy: validators must not read past n */
	char *s = malloc(n);
	memcpy(s, cell, n);
	char *z = malloc(n + 1); /* NUL-terminated copy for the oracles */
	memcpy(z, cell, n);
	z[n] = '\0';

	bool ok = typecheck_valid(t, &p, s, n);
	double v;
	bool num = typecheck_number(&v, t, s, n);
	switch (t) {
	case FT_INTEGER:
		if (ok != int_oracle(z, n) || ok != num)
			abort();
		if (num && v != (double)strtoll(z, NULL, 10))
			abort();
		break;
	case FT_DOUBLE:
		if (ok != num || (num && !isfinite(v)))
			abort(); /* valid DOUBLE cells are finite doubles */
		break;
	case FT_DECIMAL: {
		bool plain = typecheck_valid(t, NULL, s, n);
		if (ok && !plain)
			abort(); /* precision/scale only narrow */
		if (num && !plain)
			abort();
		break;
	}
	case FT_STRING:
	case FT_CUSTOM:
		if (!ok)
			abort();
		/* fall through */
	default:
		if (num)
			abort(); /* only numeric types have numbers */
	}

	enum field_type back;
	if (typecheck_from_name(&back, z) == 0 && strcasecmp(typecheck_name(back), z) != 0)
		abort();
	(void)typecheck_name(t);
	free(s);
	free(z);
	return 0;
}
