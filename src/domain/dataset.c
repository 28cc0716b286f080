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


/* Nested shapes of data-sets.d.ts. Unknown members are rejected like at the
 * top level, so a typo is reported instead of stored. */
static const struct field_spec asset_spec[] = {
	{"id", FIELD_STRING, true, false, 256},
	{"name", FIELD_STRING, false, true, 256},
	{"dataStoreInfo", FIELD_OBJECT, false, true, 0},
	FIELD_END,
};

static const struct field_spec store_spec[] = {
	{"id", FIELD_STRING, true, false, 256},
	{"name", FIELD_STRING, false, true, 256},
	{"type", FIELD_STRING, false, true, 64},
	FIELD_END,
};

static const struct field_spec operational_spec[] = {
	{"contentUpdated", FIELD_BOOL, false, true, 0},
	{"endDate", FIELD_STRING, false, true, 64},
	{"lastLoadTime", FIELD_STRING, false, true, 64},
	{"lastUpdateTime", FIELD_STRING, false, true, 64},
	{"location", FIELD_STRING, false, true, 4096},
	{"logMessage", FIELD_STRING, false, true, 4096},
	{"rowCount", FIELD_NUMBER, false, true, 0},
	{"size", FIELD_NUMBER, false, true, 0},
	{"startDate", FIELD_STRING, false, true, 64},
	{"status", FIELD_STRING, false, true, 64},
	{"tableConnectionInfo", FIELD_OBJECT, false, true, 0},
	{"tableOwner", FIELD_STRING, false, true, 256},
	FIELD_END,
};

static const struct field_spec schema_spec[] = {
	{"dataFields", FIELD_ARRAY, true, false, 0},
	{"anomalies", FIELD_STRING_SET, false, true, 100},
	{"effectiveDate", FIELD_STRING, false, true, 64},
	{"loadOptions", FIELD_OBJECT, false, true, 0},
	{"overrideSchemaAnomalies", FIELD_BOOL, false, true, 0},
	{"schemaName", FIELD_STRING, false, true, 256},
	FIELD_END,
};

static const struct field_spec field_spec[] = {
	{"name", FIELD_NAME, true, false, 256},
	{"dataType", FIELD_OBJECT, true, false, 0},
	{"alias", FIELD_STRING, false, true, 256},
	{"description", FIELD_STRING, false, true, 4096},
	{"encrypted", FIELD_BOOL, false, true, 0},
	{"index", FIELD_NUMBER, false, true, 0},
	{"nullable", FIELD_BOOL, false, true, 0},
	{"ordinalPositionInKey", FIELD_NUMBER, false, true, 0},
	{"orphan", FIELD_BOOL, false, true, 0},
	{"primaryKey", FIELD_BOOL, false, true, 0},
	{"properties", FIELD_OBJECT, false, true, 0},
	{"sensitive", FIELD_BOOL, false, true, 0},
	{"tags", FIELD_STRING_SET, false, true, 100},
	{"userTags", FIELD_ARRAY, false, true, 0},
	FIELD_END,
};

static const struct field_spec datatype_spec[] = {
	{"type", FIELD_STRING, true, false, 16},
	{"originalType", FIELD_STRING, false, true, 256},
	{"properties", FIELD_OBJECT, false, true, 0},
	FIELD_END,
};

static const struct field_spec usertag_spec[] = {
	{"id", FIELD_STRING, false, true, 256},
	{"name", FIELD_STRING, false, true, 256},
	FIELD_END,
};

/* Checks obj (if present and not null) against spec, prefixing errors. */
static int nested(const json_t *obj, const struct field_spec *spec, const char *where, char *err,
		  size_t errlen)
{
	char inner[384];
	if (!obj || json_is_null(obj))
		return 0;
	if (jsonspec_check(obj, spec, inner, sizeof inner) < 0) {
		snprintf(err, errlen, "'%s': %s", where, inner);
		return -1;
	}
	return 0;
}

static const char *const field_types[] = {"DATE", "TIME", "DATETIME", "TIMESTAMP", "STRING",
					  "DOUBLE", "DECIMAL", "INTEGER", "BOOLEAN", "BINARY",
					  "CUSTOM", NULL};

static int check_field(const json_t *f, const char *where, char *err, size_t errlen)
{
	char sub[160];
	if (!json_is_object(f)) {
		snprintf(err, errlen, "'%s' must be an object", where);
		return -1;
	}
	if (nested(f, field_spec, where, err, errlen) < 0)
		return -1;
	snprintf(sub, sizeof sub, "%s.dataType", where);
	if (nested(json_object_get(f, "dataType"), datatype_spec, sub, err, errlen) < 0)
		return -1;
	const char *type = json_string_value(json_object_get(json_object_get(f, "dataType"), "type"));
	const char *const *t = field_types;
	while (*t && strcmp(*t, type))
		t++;
	if (!*t) {
		snprintf(err, errlen, "'%s.type' must be one of DATE, TIME, DATETIME, TIMESTAMP,"
				      " STRING, DOUBLE, DECIMAL, INTEGER, BOOLEAN, BINARY, CUSTOM", sub);
		return -1;
	}
	size_t i;
	json_t *u;
	json_array_foreach(json_object_get(f, "userTags"), i, u) {
		snprintf(sub, sizeof sub, "%s.userTags[%zu]", where, i);
		if (!json_is_object(u)) {
			snprintf(err, errlen, "'%s' must be an object", sub);
			return -1;
		}
		if (nested(u, usertag_spec, sub, err, errlen) < 0)
			return -1;
	}
	return 0;
}

static int check_schema(const json_t *schema, const char *where, char *err, size_t errlen)
{
	if (!json_is_object(schema)) {
		snprintf(err, errlen, "'%s' must be an object", where);
		return -1;
	}
	if (nested(schema, schema_spec, where, err, errlen) < 0)
		return -1;
	const json_t *fields = json_object_get(schema, "dataFields");
	size_t i, j;
	json_t *f;
	json_array_foreach(fields, i, f) {
		char sub[128];
		snprintf(sub, sizeof sub, "%s.dataFields[%zu]", where, i);
		if (check_field(f, sub, err, errlen) < 0)
			return -1;
		const char *name = json_string_value(json_object_get(f, "name"));
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
	if (schema && !json_is_null(schema) && check_schema(schema, "schema", err, errlen) < 0)
		return -1;
	size_t i;
	json_t *extra;
	json_array_foreach(json_object_get(body, "additionalSchemas"), i, extra) {
		char where[64];
		snprintf(where, sizeof where, "additionalSchemas[%zu]", i);
		if (check_schema(extra, where, err, errlen) < 0)
			return -1;
	}
	const json_t *asset = json_object_get(body, "dataAssetInfo");
	if (nested(asset, asset_spec, "dataAssetInfo", err, errlen) < 0 ||
	    nested(json_object_get(asset, "dataStoreInfo"), store_spec, "dataAssetInfo.dataStoreInfo",
		   err, errlen) < 0 ||
	    nested(json_object_get(body, "operational"), operational_spec, "operational", err,
		   errlen) < 0)
		return -1;
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
