/* rows: stored rows <-> API documents, shared by the backends (rows.h).
 * Moved here from sqlite.c unchanged in what they produce: key_doc (now
 * rows_apikey_doc), comp_doc (rows_computation_doc) and the columns
 * product_write derived from a product document. */
#include "store/rows.h"
#include <stdlib.h>
#include <string.h>
#include "util/clock.h"

json_t *rows_apikey_doc(const struct rows_apikey *k, int64_t now_ms)
{
	char expiry[64];
	int64_t exp = k->expires_ms;
	/* keys made by `bootstrap` never expire; the wire type wants a date */
	clock_format_ms(expiry, exp ? exp : INT64_C(253402300799999));
	json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", k->id,
				"tenantId", k->tenant_id, "sub", k->user_id, "subType", "user",
				"createdByUser", k->created_by, "description", k->description,
				"created", k->created_at, "expiry", expiry, "status",
				exp && exp <= now_ms ? "expired" : "active");
	json_object_set_new(doc, "lastUpdated",
			    json_string(k->updated_at ? k->updated_at : k->created_at));
	return doc;
}

json_t *rows_computation_doc(const struct rows_computation *r)
{
	static const char *const names[ROWS_COMP__COUNT] = {
		"id", "batchId", "datasetId", "status", "attempts", "errorCode", "errorReason",
		"requestedAt", "requestedBy", "startedAt", "finishedAt"};
	json_t *doc = json_object();
	for (int i = 0; i < ROWS_COMP__COUNT; i++) {
		if (i == ROWS_COMP_ATTEMPTS) {
			if (r->has_attempts)
				json_object_set_new(doc, names[i], json_integer(r->attempts));
		} else if (r->text[i]) {
			json_object_set_new(doc, names[i], json_string(r->text[i]));
		}
	}
	return doc;
}

void rows_lower_ascii(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s + 32);
}

char *rows_doc_text(const json_t *doc) { return json_dumps(doc, JSON_COMPACT); }

const char *rows_doc_str(const json_t *doc, const char *key)
{
	return json_string_value(json_object_get(doc, key));
}

void rows_product_from_doc(struct rows_product *out, const json_t *doc)
{
	memset(out, 0, sizeof *out);
	out->id = rows_doc_str(doc, "id");
	out->name = rows_doc_str(doc, "name");
	out->space_id = rows_doc_str(doc, "spaceId");
	out->owner_id = rows_doc_str(doc, "ownerId");
	out->created_at = rows_doc_str(doc, "createdAt");
	out->updated_at = rows_doc_str(doc, "updatedAt");
	out->activated = json_is_true(json_object_get(doc, "activated"));
	out->text = rows_doc_text(doc);
	out->name_lc = strdup(out->name ? out->name : "");
	if (!out->name_lc)
		abort();
	rows_lower_ascii(out->name_lc);
	etag_of(out->etag, doc);
	const json_t *ts = json_object_get(json_object_get(doc, "trustScore"), "score");
	const json_t *ql = json_object_get(doc, "quality");
	const json_t *qv = json_object_get(ql, "validity"), *qc = json_object_get(ql, "completeness");
	if ((out->has_trust_score = json_is_number(ts)))
		out->trust_score = json_number_value(ts);
	if ((out->has_quality = json_is_number(qv) && json_is_number(qc)))
		out->quality = (json_number_value(qv) + json_number_value(qc)) / 2.0;
}

void rows_product_release(struct rows_product *r)
{
	free(r->text);
	free(r->name_lc);
	r->text = r->name_lc = NULL;
}
