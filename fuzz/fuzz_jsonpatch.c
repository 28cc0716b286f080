/* fuzz_jsonpatch: RFC 6902 JSON Patch and RFC 6901 pointers
 * (src/domain/jsonpatch.c), and the data product PATCH rules built on them
 * (product_patch_validate/apply in src/domain/product.c).
 *
 * Input: JSON. [doc, ops] (a two-element array whose second element is an
 * array) patches doc with ops; any other value is taken as a PATCH body and
 * applied to a fixed data product. Either way the ops also go through
 * product_patch_validate/apply against that product.
 * Oracles: the input document never changes (atomicity); a failed check
 * means a failed apply; a successful patch whose last op is add/replace
 * leaves that value at that path; jsonpatch_equal is reflexive and
 * symmetric; a pointer jsonpointer_get resolves is a valid pointer. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "domain/jsonpatch.h"
#include "domain/jsonspec.h"
#include "domain/product.h"

#define GUID_A "0b6a5e2c-7f1d-4c3e-9a8b-1d2e3f405162"
#define GUID_B "1c7b6f3d-8a2e-4d4f-8b9c-2e3f40516273"
#define NOW "2026-01-02T03:04:05.678Z"

static json_t *product;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	json_t *body = json_pack("{s:s, s:s, s:[s], s:[s,s], s:[s], s:[{s:s, s:s}]}", "name",
				 "Sales orders", "description", "Every order", "tags", "sales",
				 "datasetIds", GUID_A, GUID_B, "apiConsumableDatasetIds", GUID_A,
				 "keyContacts", "userId", GUID_B, "role", "Steward");
	struct product_actor who = {GUID_A, GUID_A, NOW};
	json_t *changes;
	product = product_new(body, GUID_B, &who, &changes);
	json_decref(changes);
	json_decref(body);
	return product ? 0 : 1;
}

static void pointers(const json_t *doc, const json_t *ops)
{
	size_t i;
	json_t *op;
	json_array_foreach(ops, i, op) {
		const char *path = json_string_value(json_object_get(op, "path"));
		const char *from = json_string_value(json_object_get(op, "from"));
		if (path && jsonpointer_get(doc, path) && !jsonpointer_valid(path))
			abort();
		if (path && from && jsonpointer_valid(path) && jsonpointer_valid(from)) {
			(void)jsonpointer_within(path, from);
			if (!jsonpointer_within(path, path))
				abort();
		}
	}
}

static void generic(const json_t *doc, const json_t *ops)
{
	char err[512];
	json_t *before = json_deep_copy(doc);
	int checked = jsonpatch_check(ops, 16, err, sizeof err);
	json_t *out = jsonpatch_apply(doc, ops, 16, err, sizeof err);
	if (!json_equal(doc, before))
		abort(); /* the caller's document changed */
	if (checked < 0 && out)
		abort();
	pointers(doc, ops);
	if (out) {
		size_t n = json_array_size(ops);
		json_t *last = json_array_get(ops, n - 1);
		const char *o = json_string_value(json_object_get(last, "op"));
		const char *path = json_string_value(json_object_get(last, "path"));
		size_t pl = path ? strlen(path) : 0;
		if (o && path && (!strcmp(o, "add") || !strcmp(o, "replace")) &&
		    !(pl >= 2 && !strcmp(path + pl - 2, "/-")) &&
		    !jsonpatch_equal(jsonpointer_get(out, path), json_object_get(last, "value")))
			abort();
		if (!jsonpatch_equal(out, out) ||
		    jsonpatch_equal(out, doc) != jsonpatch_equal(doc, out))
			abort();
		json_decref(out);
	}
	json_decref(before);
}

static void product_rules(const json_t *ops)
{
	char err[512];
	if (product_patch_validate(ops, err, sizeof err) < 0)
		return;
	json_t *before = json_deep_copy(product);
	json_t *changes = NULL;
	json_t *out = product_patch_apply(product, ops, &changes, err, sizeof err);
	if (!json_equal(product, before))
		abort();
	if (out) {
		if (!changes)
			abort();
		struct product_actor who = {GUID_A, GUID_B, NOW};
		product_touch(out, &who, json_array_size(changes));
		json_decref(out);
		json_decref(changes);
	} else if (changes) {
		abort();
	}
	json_decref(before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (jsonspec_too_deep((const char *)data, size, JSON_MAX_DEPTH))
		return 0; /* the server rejects these before parsing */
	json_error_t je;
	json_t *in = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
				&je);
	if (!in)
		return 0;
	json_t *doc = product, *ops = in;
	if (json_is_array(in) && json_array_size(in) == 2 && json_is_array(json_array_get(in, 1))) {
		doc = json_array_get(in, 0);
		ops = json_array_get(in, 1);
	}
	generic(doc, ops);
	product_rules(ops);
	json_decref(in);
	return 0;
}
