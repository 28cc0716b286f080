/* fuzz_jsonspec: request bodies as the handlers take them (src/api/common.c):
 * the depth pre-check, jansson with duplicate keys rejected, then the
 * declarative checks of src/domain/jsonspec.c through every spec the domain
 * exports (data product create/activate/move, data set create) and one spec
 * holding every field kind, and the documents built from accepted bodies
 * (product_new, dataset_new).
 *
 * Oracle: for valid JSON, jsonspec_too_deep() agrees with the parsed
 * document's nesting depth. Input: the body, as sent. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "domain/dataset.h"
#include "domain/jsonspec.h"
#include "domain/product.h"

#define GUID_A "0b6a5e2c-7f1d-4c3e-9a8b-1d2e3f405162"
#define NOW "2026-01-02T03:04:05.678Z"

/* Every kind, small limits so the fuzzer reaches them. */
static const struct field_spec every_kind[] = {
	{"s", FIELD_STRING, false, true, 8},
	{"n", FIELD_NAME, false, false, 4},
	{"g", FIELD_GUID, false, true, 0},
	{"ss", FIELD_STRING_SET, false, true, 3},
	{"gs", FIELD_GUID_SET, false, true, 2},
	{"kc", FIELD_KEY_CONTACTS, false, true, 2},
	{"o", FIELD_OBJECT, false, true, 0},
	{"a", FIELD_ARRAY, false, false, 0},
	{"b", FIELD_BOOL, false, true, 0},
	{"x", FIELD_NUMBER, false, false, 0},
	{"any", FIELD_ANY, false, true, 0},
	{"id", FIELD_IGNORED, false, true, 0},
	{"req", FIELD_STRING, true, false, 0},
	FIELD_END,
};

static int depth(const json_t *v)
{
	int d = 0, k;
	size_t i;
	const char *key;
	json_t *c;
	if (json_is_array(v)) {
		json_array_foreach(v, i, c) if ((k = depth(c)) > d) d = k;
		return d + 1;
	}
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, c) if ((k = depth(c)) > d) d = k;
		return d + 1;
	}
	return 0;
}

static void each_kind(const json_t *v, const char *where)
{
	char err[512];
	for (const struct field_spec *f = every_kind; f->name; f++)
		(void)jsonspec_check_value(v, f, where, err, sizeof err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	bool deep = jsonspec_too_deep(text, size, JSON_MAX_DEPTH);
	json_error_t je;
	json_t *body = json_loadb(text, size, JSON_REJECT_DUPLICATES, &je);
	if (!body)
		return 0;
	if (deep != (depth(body) > JSON_MAX_DEPTH))
		abort(); /* the pre-check and the parser disagree on nesting */
	if (deep) { /* the server answers 400 here */
		json_decref(body);
		return 0;
	}

	char err[512];
	err[0] = '\0';
	(void)jsonspec_check(body, every_kind, err, sizeof err);
	each_kind(body, "body");
	size_t i;
	json_t *item;
	json_array_foreach(body, i, item) each_kind(item, "item");
	if (json_is_string(body)) {
		const char *s = json_string_value(body);
		json_t *t = jsonspec_trimmed(s);
		if (!t || jsonspec_utf8_len(json_string_value(t)) > jsonspec_utf8_len(s))
			abort();
		json_decref(t);
	}

	struct product_actor who = {GUID_A, GUID_A, NOW};
	if (product_validate_create(body, err, sizeof err) == 0) {
		json_t *changes = NULL;
		json_t *doc = product_new(body, GUID_A, &who, &changes);
		if (!doc || !changes)
			abort();
		char *dump = json_dumps(doc, JSON_COMPACT);
		free(dump);
		json_decref(doc);
		json_decref(changes);
	}
	(void)jsonspec_check(body, product_activate_spec, err, sizeof err);
	(void)jsonspec_check(body, product_move_spec, err, sizeof err);
	if (dataset_validate(body, err, sizeof err) == 0) {
		json_t *doc = dataset_new(body, GUID_A, GUID_A, GUID_A, NOW, GUID_A, GUID_A);
		if (!doc)
			abort();
		json_decref(doc);
	}
	json_decref(body);
	return 0;
}
