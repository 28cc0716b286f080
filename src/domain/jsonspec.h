/* jsonspec: declarative checks for request bodies, so handlers never walk
 * JSON by hand. A spec lists every accepted field with its kind; unknown
 * fields are rejected, server-owned ones are listed as FIELD_IGNORED. */
#ifndef DP_JSONSPEC_H
#define DP_JSONSPEC_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define JSON_MAX_DEPTH 32

enum field_kind {
	FIELD_STRING,        /* string; max = max characters */
	FIELD_NAME,          /* string, 1..max characters after trimming */
	FIELD_GUID,          /* lower-case GUID string */
	FIELD_STRING_SET,    /* array of unique non-empty strings; max = items */
	FIELD_GUID_SET,      /* array of unique GUIDs; max = items */
	FIELD_KEY_CONTACTS,  /* array of {userId: GUID, role?: string}, unique userIds */
	FIELD_OBJECT,        /* any object */
	FIELD_ARRAY,         /* any array */
	FIELD_BOOL,
	FIELD_NUMBER,
	FIELD_ANY,
	FIELD_IGNORED,       /* accepted and dropped (server-owned) */
};

struct field_spec {
	const char *name;
	enum field_kind kind;
	bool required;
	bool nullable; /* explicit null accepted (means "clear") */
	size_t max;
};

#define FIELD_END {NULL, 0, false, false, 0}

/* Checks obj against spec. On failure writes a detail naming the field
 * into err and returns -1. */
int jsonspec_check(const json_t *obj, const struct field_spec *spec, char *err, size_t errlen);
/* Checks one value against one field kind (used for JSON Patch values). */
int jsonspec_check_value(const json_t *v, const struct field_spec *f, const char *where,
			 char *err, size_t errlen);
/* A new JSON string of s without leading/trailing blanks (names are stored
 * as measured: trimmed). */
json_t *jsonspec_trimmed(const char *s);
/* Number of Unicode code points in a UTF-8 string. */
size_t jsonspec_utf8_len(const char *s);
/* True when the text nests arrays/objects deeper than max (strings aware). */
bool jsonspec_too_deep(const char *text, size_t len, int max);

#endif
