/* product: data product rules. The stored document is the wire shape of
 * DataProductResponse; arrays are always present (never null). */
#include "domain/product.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Request fields a client may set, and server-owned ones it may echo back
 * (ignored, SPEC §3: never taken from a request body). */
#define SERVER_OWNED_FIELDS                                                           \
	{"id", FIELD_IGNORED, false, true, 0}, {"qri", FIELD_IGNORED, false, true, 0},  \
	{"tenantId", FIELD_IGNORED, false, true, 0},                                    \
	{"ownerId", FIELD_IGNORED, false, true, 0},                                     \
	{"createdAt", FIELD_IGNORED, false, true, 0},                                   \
	{"createdBy", FIELD_IGNORED, false, true, 0},                                   \
	{"updatedAt", FIELD_IGNORED, false, true, 0},                                   \
	{"updatedBy", FIELD_IGNORED, false, true, 0},                                   \
	{"activated", FIELD_IGNORED, false, true, 0},                                   \
	{"activatedAt", FIELD_IGNORED, false, true, 0},                                 \
	{"activatedOn", FIELD_IGNORED, false, true, 0},                                 \
	{"quality", FIELD_IGNORED, false, true, 0},                                     \
	{"trustScore", FIELD_IGNORED, false, true, 0},                                  \
	{"pendingChangesCount", FIELD_IGNORED, false, true, 0},                         \
	{"mainId", FIELD_IGNORED, false, true, 0}

const struct field_spec product_create_spec[] = {
	{"name", FIELD_NAME, true, false, PRODUCT_NAME_MAX},
	{"description", FIELD_STRING, false, true, 4096},
	{"readMe", FIELD_STRING, false, true, 256 * 1024},
	{"spaceId", FIELD_GUID, false, true, 0},
	{"tags", FIELD_STRING_SET, false, true, 100},
	{"datasetIds", FIELD_GUID_SET, false, true, PRODUCT_MAX_IDS},
	{"glossaryIds", FIELD_GUID_SET, false, true, PRODUCT_MAX_IDS},
	{"apiConsumableDatasetIds", FIELD_GUID_SET, false, true, PRODUCT_MAX_IDS},
	{"keyContacts", FIELD_KEY_CONTACTS, false, true, 100},
	SERVER_OWNED_FIELDS,
	FIELD_END,
};

const struct field_spec product_activate_spec[] = {
	{"name", FIELD_NAME, true, false, PRODUCT_NAME_MAX},
	{"description", FIELD_STRING, false, true, 4096},
	{"spaceId", FIELD_GUID, false, true, 0},
	{"tags", FIELD_STRING_SET, false, true, 100},
	FIELD_END,
};

const struct field_spec product_move_spec[] = {
	{"spaceId", FIELD_GUID, true, false, 0},
	FIELD_END,
};

/* The patchable paths of PatchDataProductRequest and their value rules. */
static const struct field_spec patch_paths[] = {
	{"/name", FIELD_NAME, true, false, PRODUCT_NAME_MAX},
	{"/description", FIELD_STRING, false, true, 4096},
	{"/readMe", FIELD_STRING, false, true, 256 * 1024},
	{"/tags", FIELD_STRING_SET, false, true, 100},
	{"/datasetIds", FIELD_GUID_SET, false, true, PRODUCT_MAX_IDS},
	{"/glossaryIds", FIELD_GUID_SET, false, true, PRODUCT_MAX_IDS},
	{"/apiConsumableDatasetIds", FIELD_GUID_SET, false, true, PRODUCT_MAX_IDS},
	{"/keyContacts", FIELD_KEY_CONTACTS, false, true, 100},
	FIELD_END,
};

static const char *const array_fields[] = {"tags", "datasetIds", "glossaryIds",
					   "apiConsumableDatasetIds", "keyContacts", NULL};

/* A key contact's optional role: null means "no role" and is dropped, so
 * responses only ever carry role as a string (KeyContact.role?: string). */
static json_t *normalized(const char *key, json_t *v)
{
	if (!strcmp(key, "keyContacts")) {
		size_t i;
		json_t *c;
		json_array_foreach(v, i, c) if (json_is_null(json_object_get(c, "role")))
			json_object_del(c, "role");
	}
	return v;
}

static bool is_array_field(const char *key)
{
	for (const char *const *f = array_fields; *f; f++)
		if (!strcmp(*f, key))
			return true;
	return false;
}

void changelog_add_change(json_t *changes, const char *op, const char *path, const json_t *value)
{
	json_t *c = json_pack("{s:s, s:s}", "operator", op, "path", path);
	json_object_set_new(c, "value", value ? json_deep_copy(value) : json_null());
	json_array_append_new(changes, c);
}

json_t *changelog_entry_new(const char *id, const struct product_actor *who, json_t *changes)
{
	return json_pack("{s:s, s:s, s:s, s:o}", "id", id, "createdAt", who->now, "createdBy",
			 who->user_id, "changes", changes);
}

/* apiConsumableDatasetIds must be a subset of datasetIds. */
static int check_subset(const json_t *doc, char *err, size_t errlen)
{
	const json_t *all = json_object_get(doc, "datasetIds");
	size_t i, j;
	json_t *a, *b;
	json_array_foreach(json_object_get(doc, "apiConsumableDatasetIds"), i, a) {
		bool found = false;
		json_array_foreach(all, j, b) if (json_equal(a, b)) found = true;
		if (!found) {
			snprintf(err, errlen,
				 "'apiConsumableDatasetIds' contains '%s', which is not in 'datasetIds'",
				 json_string_value(a));
			return -1;
		}
	}
	return 0;
}

int product_validate_create(const json_t *body, char *err, size_t errlen)
{
	if (jsonspec_check(body, product_create_spec, err, errlen) < 0)
		return -1;
	return check_subset(body, err, errlen);
}

/* Names are stored trimmed, as SPEC §3 measures them "after trimming". */
#define trimmed jsonspec_trimmed

json_t *product_new(const json_t *body, const char *id, const struct product_actor *who,
		    json_t **changes)
{
	char qri[160];
	snprintf(qri, sizeof qri, "qri:dataproduct:%s:%s", who->tenant_id, id);
	json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:[], s:i}",
				"id", id, "mainId", id, "qri", qri, "tenantId", who->tenant_id,
				"ownerId", who->user_id, "activated", 0, "createdAt", who->now,
				"createdBy", who->user_id, "updatedAt", who->now, "updatedBy",
				who->user_id, "activatedOn", "pendingChangesCount", 0);
	*changes = json_array();
	static const char *const order[] = {"name", "description", "readMe", "spaceId",
					    "tags", "datasetIds", "glossaryIds",
					    "apiConsumableDatasetIds", "keyContacts", NULL};
	for (const char *const *k = order; *k; k++) {
		json_t *v = json_object_get(body, *k);
		if (!v || json_is_null(v)) {
			if (is_array_field(*k))
				json_object_set_new(doc, *k, json_array());
			continue;
		}
		json_t *val = !strcmp(*k, "name") ? trimmed(json_string_value(v))
						  : normalized(*k, json_deep_copy(v));
		if (!(json_is_array(val) && json_array_size(val) == 0)) {
			char path[64];
			snprintf(path, sizeof path, "/%s", *k);
			changelog_add_change(*changes, "add", path, val);
		}
		json_object_set_new(doc, *k, val);
	}
	return doc;
}

int product_patch_validate(const json_t *ops, char *err, size_t errlen)
{
	if (!json_is_array(ops)) {
		snprintf(err, errlen, "request body must be a JSON Patch array");
		return -1;
	}
	size_t n = json_array_size(ops);
	if (n == 0 || n > PRODUCT_MAX_PATCH_OPS) {
		snprintf(err, errlen, "a patch must contain 1 to %d operations, got %zu",
			 PRODUCT_MAX_PATCH_OPS, n);
		return -1;
	}
	size_t i;
	json_t *op;
	json_array_foreach(ops, i, op) {
		char inner[384], where[64];
		if (!json_is_object(op)) {
			snprintf(err, errlen, "'/%zu' must be an operation object", i);
			return -1;
		}
		/* RFC 6902 §4: members an operation does not define are ignored */
		const char *o = json_string_value(json_object_get(op, "op"));
		const char *p = json_string_value(json_object_get(op, "path"));
		if (!o) {
			snprintf(err, errlen, "operation /%zu: 'op' is required and must be a string", i);
			return -1;
		}
		if (strcmp(o, "replace") != 0) {
			snprintf(err, errlen, "operation /%zu: op '%.16s' is not supported; only 'replace'",
				 i, o);
			return -1;
		}
		if (!p) {
			snprintf(err, errlen, "operation /%zu: 'path' is required and must be a string", i);
			return -1;
		}
		const struct field_spec *f = patch_paths;
		while (f->name && strcmp(f->name, p) != 0)
			f++;
		if (!f->name) {
			snprintf(err, errlen, "operation /%zu: path '%.64s' cannot be patched", i, p);
			return -1;
		}
		json_t *v = json_object_get(op, "value");
		snprintf(where, sizeof where, "%s", p + 1);
		if (!v) {
			snprintf(err, errlen, "operation /%zu: 'value' is required for path '%s'", i, p);
			return -1;
		}
		if (jsonspec_check_value(v, f, where, inner, sizeof inner) < 0) {
			snprintf(err, errlen, "operation /%zu: %s", i, inner);
			return -1;
		}
	}
	return 0;
}

json_t *product_patch_apply(const json_t *doc, const json_t *ops, json_t **changes, char *err,
			    size_t errlen)
{
	json_t *out = json_deep_copy(doc);
	*changes = json_array();
	size_t i;
	json_t *op;
	json_array_foreach(ops, i, op) {
		const char *path = json_string_value(json_object_get(op, "path"));
		const char *key = path + 1;
		json_t *v = json_object_get(op, "value");
		json_t *nv;
		if (json_is_null(v))
			nv = is_array_field(key) ? json_array() : NULL;
		else if (!strcmp(key, "name"))
			nv = trimmed(json_string_value(v));
		else
			nv = normalized(key, json_deep_copy(v));
		json_t *old = json_object_get(out, key);
		bool same = (old && nv && json_equal(old, nv)) || (!old && !nv);
		if (same) {
			json_decref(nv);
			continue;
		}
		changelog_add_change(*changes, "replace", path, nv ? nv : json_null());
		if (nv)
			json_object_set_new(out, key, nv);
		else
			json_object_del(out, key);
	}
	if (json_equal(out, doc)) {
		/* e.g. [/name "A", /name "P"] on "P": nothing changed overall */
		json_array_clear(*changes);
	}
	if (check_subset(out, err, errlen) < 0) {
		json_decref(out);
		json_decref(*changes);
		*changes = NULL;
		return NULL;
	}
	return out;
}

void product_touch(json_t *doc, const struct product_actor *who, size_t nchanges)
{
	json_object_set_new(doc, "updatedAt", json_string(who->now));
	json_object_set_new(doc, "updatedBy", json_string(who->user_id));
	if (json_is_true(json_object_get(doc, "activated"))) {
		json_int_t p = json_integer_value(json_object_get(doc, "pendingChangesCount"));
		json_object_set_new(doc, "pendingChangesCount", json_integer(p + (json_int_t)nchanges));
	}
}

struct problems {
	char *buf;
	size_t cap;
	size_t used;
	int count;
};

static void add_problem(struct problems *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends one problem, "; "-separated, never overflowing; counts it even
 * when it no longer fits, so the verdict never depends on the buffer. */
static void add_problem(struct problems *p, const char *fmt, ...)
{
	p->count++;
	if (p->used + 3 >= p->cap)
		return;
	if (p->used) {
		memcpy(p->buf + p->used, "; ", 3);
		p->used += 2;
	}
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(p->buf + p->used, p->cap - p->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		p->used += (size_t)n < p->cap - p->used ? (size_t)n : p->cap - p->used - 1;
}

int product_activation_problems(const json_t *doc, const json_t *missing_datasets, char *err,
				size_t errlen)
{
	struct problems p = {err, errlen, 0, 0};
	size_t i;
	json_t *m;
	if (errlen)
		err[0] = '\0';
	if (json_array_size(json_object_get(doc, "datasetIds")) == 0)
		add_problem(&p, "%s", "the data product has no data sets (datasetIds is empty)");
	json_array_foreach(missing_datasets, i, m)
		add_problem(&p, "data set '%s' in datasetIds no longer exists", json_string_value(m));
	char sub[256];
	if (check_subset(doc, sub, sizeof sub) < 0)
		add_problem(&p, "%s", sub);
	if (json_array_size(json_object_get(doc, "keyContacts")) == 0)
		add_problem(&p, "%s", "the data product has no key contacts");
	return p.count ? -1 : 0;
}

/* Sets key to v (or removes it when v is NULL/null), recording a replace
 * change when the value differs. */
static void replace_field(json_t *doc, json_t *changes, const char *key, const json_t *v)
{
	json_t *old = json_object_get(doc, key);
	bool clear = !v || json_is_null(v);
	if (clear ? !old : (old && json_equal(old, v)))
		return;
	char path[64];
	snprintf(path, sizeof path, "/%s", key);
	changelog_add_change(changes, "replace", path, clear ? json_null() : v);
	if (clear)
		json_object_del(doc, key);
	else
		json_object_set_new(doc, key, json_deep_copy(v));
}

json_t *product_activate(json_t *doc, const json_t *body, const char *target_space,
			 const struct product_actor *who)
{
	json_t *changes = json_array();
	json_t *name = trimmed(json_string_value(json_object_get(body, "name")));
	replace_field(doc, changes, "name", name);
	json_decref(name);
	if (json_object_get(body, "description"))
		replace_field(doc, changes, "description", json_object_get(body, "description"));
	if (json_object_get(body, "tags")) {
		json_t *tags = json_object_get(body, "tags");
		json_t *empty = json_array();
		replace_field(doc, changes, "tags", json_is_null(tags) ? empty : tags);
		json_decref(empty);
	}
	if (target_space) {
		json_t *s = json_string(target_space);
		replace_field(doc, changes, "spaceId", s);
		json_decref(s);
	}
	const char *space = json_string_value(json_object_get(doc, "spaceId"));
	json_t *on = json_pack("[s]", space ? space : "personal");
	changelog_add_change(changes, "add", "/activatedOn", on);
	json_object_set_new(doc, "activatedOn", on);
	json_object_set_new(doc, "activated", json_true());
	json_object_set_new(doc, "activatedAt", json_string(who->now));
	product_touch(doc, who, 0);
	json_object_set_new(doc, "pendingChangesCount", json_integer(0));
	return changes;
}

json_t *product_deactivate(json_t *doc, const struct product_actor *who)
{
	json_t *changes = json_array();
	changelog_add_change(changes, "remove", "/activatedOn", json_object_get(doc, "activatedOn"));
	json_object_set_new(doc, "activated", json_false());
	json_object_set_new(doc, "activatedOn", json_array());
	json_object_set_new(doc, "pendingChangesCount", json_integer(0));
	product_touch(doc, who, 0);
	return changes;
}

json_t *product_move(json_t *doc, const char *space_id, const struct product_actor *who)
{
	json_t *changes = json_array();
	json_t *s = json_string(space_id);
	replace_field(doc, changes, "spaceId", s);
	json_decref(s);
	if (json_array_size(changes))
		product_touch(doc, who, json_array_size(changes));
	return changes;
}
