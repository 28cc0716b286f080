/* jsonspec: field-by-field validation of request bodies against a table. */
#include "domain/jsonspec.h"
#include <stdio.h>
#include <string.h>
#include "util/ids.h"
#include "util/utf8.h"

size_t jsonspec_utf8_len(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

bool jsonspec_too_deep(const char *text, size_t len, int max)
{
	int depth = 0;
	bool in_str = false;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"')
			in_str = true;
		else if (c == '[' || c == '{') {
			if (++depth > max)
				return true;
		} else if (c == ']' || c == '}')
			depth--;
	}
	return false;
}

static bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

json_t *jsonspec_trimmed(const char *s)
{
	const char *b = s, *e = s + strlen(s);
	while (b < e && is_blank(*b))
		b++;
	while (e > b && is_blank(e[-1]))
		e--;
	return json_stringn(b, (size_t)(e - b));
}

static int check_set(const json_t *v, const struct field_spec *f, const char *where, char *err,
		     size_t errlen)
{
	if (!json_is_array(v)) {
		snprintf(err, errlen, "'%s' must be an array", where);
		return -1;
	}
	if (f->max && json_array_size(v) > f->max) {
		snprintf(err, errlen, "'%s' holds %zu items; at most %zu are allowed", where,
			 json_array_size(v), f->max);
		return -1;
	}
	size_t i, j;
	json_t *a;
	json_array_foreach(v, i, a) {
		const char *s = json_string_value(a);
		if (!s) {
			snprintf(err, errlen, "'%s[%zu]' must be a string", where, i);
			return -1;
		}
		if (f->kind == FIELD_GUID_SET && !ids_guid_valid(s)) {
			snprintf(err, errlen, "'%s[%zu]' must be a lower-case GUID, got '%.64s'", where,
				 i, s);
			return -1;
		}
		if (f->kind == FIELD_STRING_SET && (!*s || jsonspec_utf8_len(s) > 256)) {
			snprintf(err, errlen, "'%s[%zu]' must be 1 to 256 characters", where, i);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (strcmp(s, json_string_value(json_array_get(v, j))) == 0) {
				snprintf(err, errlen, "'%s' contains '%.64s' more than once", where, s);
				return -1;
			}
	}
	return 0;
}

static int check_contacts(const json_t *v, const struct field_spec *f, const char *where,
			  char *err, size_t errlen)
{
	if (!json_is_array(v)) {
		snprintf(err, errlen, "'%s' must be an array", where);
		return -1;
	}
	if (f->max && json_array_size(v) > f->max) {
		snprintf(err, errlen, "'%s' holds more than %zu items", where, f->max);
		return -1;
	}
	static const struct field_spec contact[] = {
		{"userId", FIELD_GUID, true, false, 0},
		{"role", FIELD_STRING, false, true, 256},
		FIELD_END,
	};
	size_t i;
	json_t *c;
	json_array_foreach(v, i, c) {
		char inner[256];
		if (!json_is_object(c)) {
			snprintf(err, errlen, "'%s[%zu]' must be an object", where, i);
			return -1;
		}
		if (jsonspec_check(c, contact, inner, sizeof inner) < 0) {
			snprintf(err, errlen, "'%s[%zu]': %s", where, i, inner);
			return -1;
		}
		const char *uid = json_string_value(json_object_get(c, "userId"));
		for (size_t j = 0; j < i; j++)
			if (!strcmp(uid, json_string_value(json_object_get(json_array_get(v, j),
									    "userId")))) {
				snprintf(err, errlen, "'%s' lists user '%s' more than once", where, uid);
				return -1;
			}
	}
	return 0;
}

int jsonspec_check_value(const json_t *v, const struct field_spec *f, const char *where,
			 char *err, size_t errlen)
{
	if (json_is_null(v)) {
		if (f->nullable && !f->required)
			return 0;
		snprintf(err, errlen, "'%s' must not be null", where);
		return -1;
	}
	switch (f->kind) {
	case FIELD_STRING:
	case FIELD_NAME: {
		const char *s = json_string_value(v);
		if (!s) {
			snprintf(err, errlen, "'%s' must be a string", where);
			return -1;
		}
		size_t len = jsonspec_utf8_len(s);
		if (f->kind == FIELD_NAME) {
			/* names are measured after trimming (SPEC §3) */
			const char *b = s, *e = s + strlen(s);
			while (b < e && is_blank(*b))
				b++, len--;
			while (e > b && is_blank(e[-1]))
				e--, len--;
			if (b == e) {
				snprintf(err, errlen, "'%s' must not be empty", where);
				return -1;
			}
			if (!utf8_has_visible(s)) {
				snprintf(err, errlen, "'%s' must contain a visible character, not only"
						      " blanks or invisible ones (e.g. U+200B)", where);
				return -1;
			}
		}
		if (f->max && len > f->max) {
			snprintf(err, errlen, "'%s' is longer than %zu characters", where, f->max);
			return -1;
		}
		return 0;
	}
	case FIELD_GUID:
		if (!ids_guid_valid(json_string_value(v))) {
			snprintf(err, errlen, "'%s' must be a lower-case GUID", where);
			return -1;
		}
		return 0;
	case FIELD_STRING_SET:
	case FIELD_GUID_SET:
		return check_set(v, f, where, err, errlen);
	case FIELD_KEY_CONTACTS:
		return check_contacts(v, f, where, err, errlen);
	case FIELD_OBJECT:
		if (!json_is_object(v)) {
			snprintf(err, errlen, "'%s' must be an object", where);
			return -1;
		}
		return 0;
	case FIELD_ARRAY:
		if (!json_is_array(v)) {
			snprintf(err, errlen, "'%s' must be an array", where);
			return -1;
		}
		return 0;
	case FIELD_BOOL:
		if (!json_is_boolean(v)) {
			snprintf(err, errlen, "'%s' must be true or false", where);
			return -1;
		}
		return 0;
	case FIELD_NUMBER:
		if (!json_is_number(v)) {
			snprintf(err, errlen, "'%s' must be a number", where);
			return -1;
		}
		return 0;
	case FIELD_ANY:
	case FIELD_IGNORED:
		return 0;
	}
	return 0;
}

int jsonspec_check(const json_t *obj, const struct field_spec *spec, char *err, size_t errlen)
{
	if (!json_is_object(obj)) {
		snprintf(err, errlen, "request body must be a JSON object");
		return -1;
	}
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)obj, key, v) {
		const struct field_spec *f = spec;
		while (f->name && strcmp(f->name, key) != 0)
			f++;
		if (!f->name) {
			snprintf(err, errlen, "unknown field '%.64s'", key);
			return -1;
		}
		if (jsonspec_check_value(v, f, key, err, errlen) < 0)
			return -1;
	}
	for (const struct field_spec *f = spec; f->name; f++)
		if (f->required && !json_object_get(obj, f->name)) {
			snprintf(err, errlen, "'%s' is required", f->name);
			return -1;
		}
	return 0;
}
