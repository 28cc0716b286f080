/* typecheck: does a CSV cell parse as a data set field's declared type
 * (data-sets.d.ts FieldDataType.type)? Pure and allocation-free; the exact
 * accepted syntaxes are documented in docs/quality.md. */
#ifndef DP_TYPECHECK_H
#define DP_TYPECHECK_H
#include <stdbool.h>
#include <stddef.h>

enum field_type {
	FT_STRING, FT_INTEGER, FT_DOUBLE, FT_DECIMAL, FT_BOOLEAN,
	FT_DATE, FT_DATETIME, FT_TIMESTAMP, FT_TIME, FT_BINARY, FT_CUSTOM,
};

struct type_params {
	int precision; /* DECIMAL: total digits, 0 = unchecked */
	int scale;     /* DECIMAL: digits after the point */
};

/* "INTEGER" -> FT_INTEGER ...; -1 when unknown. */
int typecheck_from_name(enum field_type *out, const char *name);
const char *typecheck_name(enum field_type t);
/* True when the n bytes at s are a valid value of type t. Callers pass only
 * non-empty cells (empty cells are "empty", neither valid nor invalid). */
bool typecheck_valid(enum field_type t, const struct type_params *p, const char *s, size_t n);
/* For numeric types: parses the value (valid cells only) into *out. */
bool typecheck_number(double *out, enum field_type t, const char *s, size_t n);

#endif
