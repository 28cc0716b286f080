/* provider: template expansion. Placeholders: {id} {name} {technicalName}
 * {qri} {tenantId} {spaceId} {location} {tableName} {tableOwner}
 * {dataStoreName} {dataStoreType} and {properties.KEY} (a data set property
 * whose value is a string or number). Values are percent-encoded (RFC 3986
 * unreserved characters kept) so a name cannot break the URL. */
#include "domain/provider.h"
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "util/strbuf.h"

static const char *const simple[] = {"id", "name", "technicalName", "qri", "tenantId", "spaceId",
				     NULL};

static const json_t *nested(const json_t *o, const char *a, const char *b, const char *c)
{
	const json_t *v = json_object_get(json_object_get(o, a), b);
	return c ? json_object_get(v, c) : v;
}

/* The value of placeholder name (len bytes) as a string, into buf. */
static int lookup(char *buf, size_t cap, const json_t *ds, const char *name, size_t len)
{
	char key[128];
	if (len >= sizeof key)
		return -1;
	memcpy(key, name, len);
	key[len] = '\0';
	const json_t *v = NULL;
	for (const char *const *s = simple; *s; s++)
		if (!strcmp(*s, key))
			v = json_object_get(ds, key);
	if (!strcmp(key, "location"))
		v = nested(ds, "operational", "location", NULL);
	else if (!strcmp(key, "tableName"))
		v = nested(ds, "operational", "tableConnectionInfo", "tableName");
	else if (!strcmp(key, "tableOwner"))
		v = nested(ds, "operational", "tableOwner", NULL);
	else if (!strcmp(key, "dataStoreName"))
		v = nested(ds, "dataAssetInfo", "dataStoreInfo", "name");
	else if (!strcmp(key, "dataStoreType"))
		v = nested(ds, "dataAssetInfo", "dataStoreInfo", "type");
	else if (!strncmp(key, "properties.", 11))
		v = json_object_get(json_object_get(ds, "properties"), key + 11);
	if (json_is_string(v) && *json_string_value(v))
		snprintf(buf, cap, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, cap, "%.17g", json_real_value(v));
	else
		return -1;
	return 0;
}

static int known(const char *name, size_t len)
{
	static const char *const others[] = {"location", "tableName", "tableOwner", "dataStoreName",
					     "dataStoreType", NULL};
	for (const char *const *s = simple; *s; s++)
		if (strlen(*s) == len && !strncmp(*s, name, len))
			return 1;
	for (const char *const *s = others; *s; s++)
		if (strlen(*s) == len && !strncmp(*s, name, len))
			return 1;
	return len > 11 && !strncmp(name, "properties.", 11);
}

int provider_template_check(const char *tpl, char *err, size_t errlen)
{
	for (const char *p = tpl; *p; p++) {
		if (*p == '}') {
			snprintf(err, errlen, "unbalanced '}' in template '%.80s'", tpl);
			return -1;
		}
		if (*p != '{')
			continue;
		const char *end = strchr(p, '}');
		if (!end || memchr(p + 1, '{', (size_t)(end - p - 1))) {
			snprintf(err, errlen, "unterminated '{' in template '%.80s'", tpl);
			return -1;
		}
		if (!known(p + 1, (size_t)(end - p - 1))) {
			snprintf(err, errlen, "unknown placeholder {%.*s} in template '%.80s'",
				 (int)(end - p - 1), p + 1, tpl);
			return -1;
		}
		p = end;
	}
	return 0;
}

void provider_store_type(char *out, size_t cap, const json_t *ds)
{
	const char *t = json_string_value(nested(ds, "dataAssetInfo", "dataStoreInfo", "type"));
	snprintf(out, cap, "%s", t ? t : "");
	for (char *c = out; *c; c++)
		*c = (char)tolower((unsigned char)*c);
}

char *provider_expand(const char *tpl, const json_t *ds, char *missing, size_t cap)
{
	struct strbuf sb;
	strbuf_init(&sb);
	for (const char *p = tpl; *p; p++) {
		const char *end = *p == '{' ? strchr(p, '}') : NULL;
		if (!end) {
			strbuf_putc(&sb, *p);
			continue;
		}
		char val[1024];
		size_t len = (size_t)(end - p - 1);
		if (lookup(val, sizeof val, ds, p + 1, len) < 0) {
			snprintf(missing, cap, "%.*s", (int)len, p + 1);
			strbuf_free(&sb);
			return NULL;
		}
		for (const unsigned char *v = (const unsigned char *)val; *v; v++) {
			if (isalnum(*v) || strchr("-._~", *v))
				strbuf_putc(&sb, (char)*v);
			else
				strbuf_printf(&sb, "%%%02X", *v);
		}
		p = end;
	}
	return strbuf_take(&sb);
}
