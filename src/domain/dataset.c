/* dataset: data set rules. A field's dataType.type must be one of the types
 * @qlik/api declares; quality computation relies on it (SPEC §5). */
#include "domain/dataset.h"
#include <stdio.h>
#include <string.h>
#include "domain/jsonspec.h"

static const struct field_spec create_spec[] = {
	{"name", FIELD_NAME, true, false, 256},
	{"technicalName", FIELD_NAME, true, false, 1024},
	{"description", FIELD_STRING, false, true, 4096},
	{"technicalDescription", FIELD_STRING, false, true, 4096},
	{"qri", FIELD_STRING, false, true, 1024},
	{"secureQri", FIELD_STRING, false, true, 1024},
	{"spaceId", FIELD_GUID, false, true, 0},
	{"tags", FIELD_STRING_SET, false, true, 100},
	{"type", FIELD_STRING, false, true, 64},
	{"appTypeOverride", FIELD_STRING, false, true, 64},
	{"createdByConnectionId", FIELD_STRING, false, true, 256},
	{"properties", FIELD_OBJECT, false, true, 0},
	{"schema", FIELD_OBJECT, false, true, 0},
	{"additionalSchemas", FIELD_ARRAY, false, true, 0},
	{"operational", FIELD_OBJECT, false, true, 0},
	{"dataAssetInfo", FIELD_OBJECT, false, true, 0},
	{"ownerId", FIELD_IGNORED, false, true, 0},
	{"version", FIELD_IGNORED, false, true, 0},
	{"createdBy", FIELD_IGNORED, false, true, 0},
	{"createdTime", FIELD_IGNORED, false, true, 0},
	{"lastModifiedBy", FIELD_IGNORED, false, true, 0},
	{"lastModifiedTime", FIELD_IGNORED, false, true, 0},
	{"tenantId", FIELD_IGNORED, false, true, 0},
	{"id", FIELD_IGNORED, false, true, 0},
	FIELD_END,
};

static const char *const field_types[] = {"DATE", "TIME", "DATETIME", "TIMESTAMP", "STRING",
					  "DOUBLE", "DECIMAL", "INTEGER", "BOOLEAN", "BINARY",
					  "CUSTOM", NULL};

static int check_schema(const json_t *schema, const char *where, char *err, size_t errlen)
{
	const json_t *fields = json_object_get(schema, "dataFields");
	if (!json_is_array(fields)) {
		snprintf(err, errlen, "'%s.dataFields' must be an array", where);
		return -1;
	}
	size_t i, j;
	json_t *f;
	json_array_foreach(fields, i, f) {
		const char *name = json_string_value(json_object_get(f, "name"));
		const json_t *dt = json_object_get(f, "dataType");
		const char *type = json_string_value(json_object_get(dt, "type"));
		if (!json_is_object(f) || !name || !*name) {
			snprintf(err, errlen, "'%s.dataFields[%zu].name' is required", where, i);
			return -1;
		}
		const char *const *t = field_types;
		while (type && *t && strcmp(*t, type))
			t++;
		if (!type || !*t) {
			snprintf(err, errlen, "'%s.dataFields[%zu].dataType.type' must be one of DATE, TIME,"
					      " DATETIME, TIMESTAMP, STRING, DOUBLE, DECIMAL, INTEGER,"
					      " BOOLEAN, BINARY, CUSTOM", where, i);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (!strcmp(name, json_string_value(json_object_get(json_array_get(fields, j), "name")))) {
				snprintf(err, errlen, "'%s.dataFields' names field '%.64s' twice", where, name);
				return -1;
			}
	}
	return 0;
}

int dataset_validate(const json_t *body, char *err, size_t errlen)
{
	if (jsonspec_check(body, create_spec, err, errlen) < 0)
		return -1;
	const json_t *id = json_object_get(body, "id");
	if (id && !json_is_null(id)) {
		snprintf(err, errlen, "'id' must be null or absent when creating a data set");
		return -1;
	}
	const json_t *schema = json_object_get(body, "schema");
	if (json_is_object(schema) && check_schema(schema, "schema", err, errlen) < 0)
		return -1;
	const json_t *loc = json_object_get(json_object_get(body, "operational"), "location");
	if (loc && !json_is_string(loc) && !json_is_null(loc)) {
		snprintf(err, errlen, "'operational.location' must be a string");
		return -1;
	}
	return 0;
}

json_t *dataset_new(const json_t *body, const char *id, const char *tenant, const char *user,
		    const char *now, const char *asset_id, const char *store_id)
{
	json_t *doc = json_deep_copy(body);
	const char *ignored[] = {"ownerId", "createdBy", "createdTime", "lastModifiedBy",
				 "lastModifiedTime", "tenantId", "version", NULL};
	for (const char **k = ignored; *k; k++)
		json_object_del(doc, *k);
	/* explicit nulls mean "absent" in a create */
	const char *key;
	json_t *v;
	void *tmp;
	json_object_foreach_safe(doc, tmp, key, v) if (json_is_null(v)) json_object_del(doc, key);
	char qri[200];
	snprintf(qri, sizeof qri, "qri:dataset:%s:%s", tenant, id);
	json_object_set_new(doc, "id", json_string(id));
	if (!json_object_get(doc, "qri"))
		json_object_set_new(doc, "qri", json_string(qri));
	if (!json_object_get(doc, "secureQri"))
		json_object_set_new(doc, "secureQri", json_string(qri));
	if (!json_object_get(doc, "dataAssetInfo"))
		json_object_set_new(doc, "dataAssetInfo",
				    json_pack("{s:s, s:{s:s}}", "id", asset_id, "dataStoreInfo", "id",
					      store_id));
	json_object_set_new(doc, "tenantId", json_string(tenant));
	json_object_set_new(doc, "ownerId", json_string(user));
	json_object_set_new(doc, "createdBy", json_string(user));
	json_object_set_new(doc, "createdTime", json_string(now));
	json_object_set_new(doc, "lastModifiedBy", json_string(user));
	json_object_set_new(doc, "lastModifiedTime", json_string(now));
	json_object_set_new(doc, "version", json_integer(1));
	return doc;
}
