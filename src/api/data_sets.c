/* data_sets: /api/v1/data-sets in @qlik/api's DataSet shape (SPEC §5):
 * create, get, full replacement (PUT), RFC 6902 JSON Patch (PATCH), batch
 * delete and profiles, so data products can reference real data sets.
 *
 * Reading and referencing a data set is open to every user of its tenant.
 * Changing or deleting one needs the rights that creating it where it lives
 * needs (perm_dataset_create in its space); one without a space belongs to
 * its owner, so only the owner or a TenantAdmin may change it. Pointing one
 * at a file (operational.location) also needs DataProductCreator (or
 * TenantAdmin): see may_point. Another
 * tenant's data set is 404. Every change recomputes the data set's trust
 * score in its transaction and marks the data set for the deriver, which
 * brings the aggregates of the products referencing it up to date (issue
 * 12, aggregate_datasets_mark). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api/api.h"
#include "domain/datafile.h"
#include "domain/dataset.h"
#include "domain/jsonpatch.h"
#include "domain/paging.h"
#include "quality/aggregate.h"
#include "util/log.h"

#define DS_PATH "/api/v1/data-sets"
#define DS_PATCH_MAX_OPS 100
#define DS_BATCH_MAX 100
#define DS_LOCATION_MAX 1024

/* Set by the server, never by a body; PUT keeps them, PATCH may not change them. */
static const char *const server_fields[] = {
	"id", "tenantId", "createdBy", "createdTime", "lastModifiedBy", "lastModifiedTime", "version",
	"ownerId", NULL,
};

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* operational.location names a file under --data-root: a relative path
 * that cannot climb out of it (SPEC §5). The compute step also resolves
 * symlinks; this is the lexical half of the rule. */
static int check_location(const json_t *doc, char *err, size_t errlen)
{
	const json_t *loc = json_object_get(json_object_get(doc, "operational"), "location");
	if (!loc || json_is_null(loc))
		return 0;
	const char *s = json_string_value(loc), *why = NULL;
	size_t n = json_string_length(loc);
	if (!s)
		why = "must be a string";
	else if (n == 0)
		why = "must not be empty";
	else if (n > DS_LOCATION_MAX)
		why = "must be at most 1024 bytes";
	else if (strlen(s) != n)
		why = "must not contain NUL";
	else if (s[0] == '/')
		why = "must be a path relative to the data root (no leading '/')";
	else if (strchr(s, '\\'))
		why = "must not contain '\\'";
	else
		for (const char *seg = s; seg; seg = strchr(seg, '/') ? strchr(seg, '/') + 1 : NULL)
			if (!strncmp(seg, "..", 2) && (seg[2] == '/' || seg[2] == '\0')) {
				why = "must not contain a '..' segment";
				break;
			}
	if (!why)
		return 0;
	snprintf(err, errlen, "'operational.location' %s", why);
	return -1;
}

/* A null member of a documented nested object (operational, schema,
 * dataFields[], dataType, dataAssetInfo, ...) means "absent", as at the top
 * level: the DataSet wire type has no nulls there. Free-form maps
 * ("properties", "loadOptions") are user data and keep theirs. */
static void drop_nulls(json_t *v)
{
	if (json_is_array(v)) {
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e) {
			drop_nulls(e);
		}
		return;
	}
	if (!json_is_object(v))
		return;
	const char *k;
	json_t *e;
	void *tmp;
	json_object_foreach_safe(v, tmp, k, e) {
		if (json_is_null(e))
			json_object_del(v, k);
		else if (strcmp(k, "properties") && strcmp(k, "loadOptions"))
			drop_nulls(e);
	}
}

/* Create-shaped body rules plus the location rule; 400 naming the field. */
static int validate_body(struct api_refusal *no, const json_t *body)
{
	char err[512];
	if (dataset_validate(body, err, sizeof err) < 0 || check_location(body, err, sizeof err) < 0)
		return api_refuse(no, ERR_VALIDATION, "%s", err);
	return 0;
}

/* In the writing transaction: the data set's trust score now, the products
 * using it by the deriver (issue 12; a deleted one: its products only). */
static int mark_changed(const struct req *r, const char *id)
{
	const struct aggregate_env env = api_aggregate_env(r);
	json_t *ids = json_pack("[s]", id);
	int rc = aggregate_datasets_mark(&env, r->who.tenant_id, ids);
	json_decref(ids);
	return rc;
}

/* Loads data set `id` of the caller's tenant; 404 when it does not exist. */
static int load(struct api_refusal *no, const struct req *r, json_t **out, const char *id,
		const char *field)
{
	struct store *st = r->app->store;
	*out = NULL;
	int rc = st->ops->dataset_get(st, out, r->who.tenant_id, id);
	if (rc < 0)
		return rc;
	if (rc == STORE_NONE) {
		if (field)
			return api_refuse(no, ERR_NOT_FOUND, "'%s': data set '%s' not found", field, id);
		return api_refuse(no, ERR_NOT_FOUND, "data set '%s' not found", id);
	}
	return 0;
}

static bool is_admin(const struct req *r) { return (r->who.roles & ROLE_TENANT_ADMIN) != 0; }

static bool owns(const struct req *r, const json_t *doc)
{
	const char *owner = jstr(doc, "ownerId");
	return owner && !strcmp(owner, r->who.user_id);
}

/* The caller's verdict for changing doc where it lives now (0, or a store
 * rc): space editing role or TenantAdmin in a space; owner or TenantAdmin
 * without one. */
static int edit_verdict(const struct req *r, const json_t *doc, enum perm_verdict *v)
{
	const char *space = jstr(doc, "spaceId");
	*v = PERM_ALLOW;
	if (is_admin(r))
		return 0;
	json_t *sp = NULL;
	if (space) {
		struct store *st = r->app->store;
		int rc = st->ops->space_get(st, &sp, r->who.tenant_id, space);
		if (rc < 0)
			return rc;
	}
	if (!sp) { /* no space (or, defensively, a vanished one): the owner's */
		*v = owns(r, doc) ? PERM_ALLOW : PERM_FORBIDDEN;
		return 0;
	}
	struct perm_ctx ctx;
	int rc = api_perm_ctx_tx(r, &ctx, sp, NULL);
	json_decref(sp);
	if (rc < 0)
		return rc;
	*v = perm_dataset_create(&ctx) == PERM_ALLOW ? PERM_ALLOW : PERM_FORBIDDEN;
	return 0;
}

/* May the caller change or delete doc where it lives now? The data set is
 * visible to the caller (tenant-wide), so a refusal is 403, never 404. */
static int may_change(struct api_refusal *no, const struct req *r, const json_t *doc)
{
	const char *id = jstr(doc, "id"), *space = jstr(doc, "spaceId");
	enum perm_verdict v;
	int rc = edit_verdict(r, doc, &v);
	if (rc < 0 || v == PERM_ALLOW)
		return rc;
	if (!space)
		return api_refuse(no, ERR_FORBIDDEN,
				  "data set '%s' has no space; only its owner or a TenantAdmin may"
				  " change it",
				  id);
	return api_refuse(no, ERR_FORBIDDEN,
			  "changing data set '%s' needs the producer, contributor or facilitator role"
			  " in space '%s'",
			  id, space);
}

static const char *location_of(const json_t *doc)
{
	return json_string_value(json_object_get(json_object_get(doc, "operational"), "location"));
}

/* Setting or changing operational.location decides which file of the
 * tenant's directory the server will read: that needs perm_dataset_file
 * (DataProductCreator and the rights to edit the data set, or TenantAdmin;
 * docs/decisions.md, issue 8). Called once edit rights are established;
 * keeping or removing the location needs nothing more. cur is NULL on
 * create. */
static int may_point(struct api_refusal *no, const struct req *r, const json_t *cur,
		     const json_t *next)
{
	const char *to = location_of(next), *from = cur ? location_of(cur) : NULL;
	if (!to || (from && !strcmp(from, to)))
		return 0;
	if (perm_dataset_file(r->who.roles, PERM_ALLOW) == PERM_ALLOW)
		return 0;
	return api_refuse(no, ERR_FORBIDDEN,
			  "'operational.location': pointing a data set at a file needs the"
			  " DataProductCreator role and the rights to edit the data set (or"
			  " TenantAdmin)");
}

int api_dataset_file_access_tx(struct api_refusal *no, const struct req *r, const json_t *ds)
{
	enum perm_verdict v;
	int rc = edit_verdict(r, ds, &v);
	if (rc < 0)
		return rc;
	if (perm_dataset_file(r->who.roles, v) == PERM_ALLOW)
		return 0;
	return api_refuse(no, ERR_FORBIDDEN,
			  "computing the quality of data set '%s' needs the DataProductCreator role"
			  " and the rights to edit the data set (or TenantAdmin)",
			  jstr(ds, "id"));
}

/* When a change moves the data set (spaceId differs), the caller also needs
 * create rights where it goes: 404 when that space is invisible, 403 without
 * an editing role; leaving every space makes it its owner's, which only the
 * owner or a TenantAdmin may do. */
static int may_place(struct api_refusal *no, const struct req *r, const json_t *cur,
		     const json_t *next)
{
	const char *from = jstr(cur, "spaceId"), *to = NULL;
	if (!json_is_object(next) || api_target_id(next, "spaceId", &to) < 0)
		return 0; /* no target to judge: validation answers 400 */
	if ((!from && !to) || (from && to && !strcmp(from, to)))
		return 0;
	if (to) {
		struct perm_ctx ctx;
		int rc = api_space_access_tx(no, r, NULL, &ctx, to, "spaceId");
		if (rc == 0)
			rc = api_verdict_tx(no, perm_dataset_create(&ctx), "space", to);
		return rc;
	}
	if (is_admin(r) || owns(r, cur))
		return 0;
	return api_refuse(no, ERR_FORBIDDEN,
			  "'spaceId': only the owner of data set '%s' or a TenantAdmin may take it"
			  " out of its space",
			  jstr(cur, "id"));
}

/* The document replacing cur: body (create-shaped, validated) completed as
 * on create (qri/secureQri generated when absent; dataAssetInfo kept from
 * cur when absent), with cur's server fields, lastModified* stamped and the
 * version incremented. NULL after a refusal (500). */
static json_t *replacement(struct api_refusal *no, const struct req *r, const json_t *cur,
			   const json_t *body)
{
	char now[ISO_TS_LEN + 1], asset[GUID_LEN + 1], store_id[GUID_LEN + 1];
	if (ids_guid_new(asset) < 0 || ids_guid_new(store_id) < 0) {
		api_refuse(no, ERR_INTERNAL, "no entropy for an id");
		return NULL;
	}
	json_t *b = json_deep_copy(body);
	const json_t *dai = json_object_get(b, "dataAssetInfo");
	if ((!dai || json_is_null(dai)) && json_object_get(cur, "dataAssetInfo"))
		json_object_set_new(b, "dataAssetInfo",
				    json_deep_copy(json_object_get(cur, "dataAssetInfo")));
	clock_now_iso(now);
	json_t *doc = dataset_new(b, jstr(cur, "id"), r->who.tenant_id, r->who.user_id, now, asset,
				  store_id);
	json_decref(b);
	drop_nulls(doc);
	static const char *const kept[] = {"ownerId", "createdBy", "createdTime", NULL};
	for (const char *const *k = kept; *k; k++)
		if (json_object_get(cur, *k))
			json_object_set_new(doc, *k, json_deep_copy(json_object_get(cur, *k)));
	json_object_set_new(doc, "version",
			    json_integer(json_integer_value(json_object_get(cur, "version")) + 1));
	return doc;
}

/* True when next equals cur but for the stamps replacement() always renews:
 * writing it would change nothing. */
static bool same_content(const json_t *cur, const json_t *next)
{
	json_t *a = json_deep_copy(cur), *b = json_deep_copy(next);
	static const char *const stamps[] = {"lastModifiedBy", "lastModifiedTime", "version", NULL};
	for (const char *const *k = stamps; *k; k++) {
		json_object_del(a, *k);
		json_object_del(b, *k);
	}
	bool same = json_equal(a, b);
	json_decref(a);
	json_decref(b);
	return same;
}

/* The update transactions (PUT, PATCH): 404, 403 (where it is; where the
 * change puts it), the body (400), If-Match (decisions.md "Check order"),
 * then next stored in place of cur -- or, for a no-op, nothing written. */
struct ds_update_tx {
	const struct req *r;
	json_t *body; /* borrowed: the PUT body or the PATCH ops; NULL: did not parse */
	struct api_refusal parse_error;
	json_t *out;  /* out: the data set as it is now */
	bool changed; /* out: out was written */
	struct api_refusal no;
};

/* Ends an update body: stores next (stolen) in place of cur (stolen), or
 * keeps cur when nothing but the stamps would change. */
static int finish_update(struct ds_update_tx *t, json_t *cur, json_t *next)
{
	if (same_content(cur, next)) {
		json_decref(next);
		t->out = cur;
		return 0;
	}
	json_decref(cur);
	t->out = next;
	t->changed = true;
	struct store *st = t->r->app->store;
	int rc = api_wrote(st->ops->dataset_update(st, t->r->who.tenant_id, next));
	return rc < 0 ? rc : mark_changed(t->r, jstr(next, "id"));
}

static void ds_update_reply(struct req *r, struct ds_update_tx *t)
{
	api_set_etag(r, t->out);
	reply_json(r, 200, json_incref(t->out));
}

/* datasets_create's transaction: the target space, read alone, is
 * authorised before the body is judged (decisions.md "Check order"); a
 * malformed one is a 400 below. */
struct ds_create_tx {
	const struct req *r;
	const json_t *body;
	const char *id, *asset, *store_id;
	json_t *doc; /* out */
	struct api_refusal no;
};

static int ds_create_body(void *cls)
{
	struct ds_create_tx *t = cls;
	const struct req *r = t->r;
	char now[ISO_TS_LEN + 1];
	json_decref(t->doc);
	t->doc = NULL;
	const char *space = NULL;
	(void)api_target_id(t->body, "spaceId", &space);
	struct perm_ctx ctx;
	int rc = 0;
	if (space && ((rc = api_space_access_tx(&t->no, r, NULL, &ctx, space, "spaceId")) != 0 ||
		      (rc = api_verdict_tx(&t->no, perm_dataset_create(&ctx), "space", space)) != 0))
		return rc;
	if ((rc = may_point(&t->no, r, NULL, t->body)) != 0 ||
	    (rc = validate_body(&t->no, t->body)) != 0 ||
	    (rc = api_quota_check_tx(&t->no, r, QUOTA_DATASETS)) != 0)
		return rc;
	clock_now_iso(now);
	t->doc = dataset_new(t->body, t->id, r->who.tenant_id, r->who.user_id, now, t->asset,
			     t->store_id);
	drop_nulls(t->doc);
	struct store *st = r->app->store;
	rc = st->ops->dataset_insert(st, r->who.tenant_id, t->doc);
	return rc < 0 ? rc : mark_changed(r, t->id);
}

void datasets_create(struct req *r)
{
	char id[GUID_LEN + 1], asset[GUID_LEN + 1], store_id[GUID_LEN + 1];
	json_t *body = api_body_json(r);
	if (!body)
		return;
	if (ids_guid_new(id) < 0 || ids_guid_new(asset) < 0 || ids_guid_new(store_id) < 0) {
		reply_error(r, ERR_INTERNAL, "no entropy for an id");
		json_decref(body);
		return;
	}
	struct ds_create_tx t = {.r = r, .body = body, .id = id, .asset = asset,
				 .store_id = store_id};
	if (api_tx_run(r, true, ds_create_body, &t, &t.no) == 0) {
		reply_header(r, "Location", DS_PATH "/%s", id);
		api_set_etag(r, t.doc);
		reply_json(r, 201, json_incref(t.doc));
	}
	json_decref(t.doc);
	json_decref(body);
}

struct ds_get_tx {
	const struct req *r;
	json_t *doc; /* out */
	struct api_refusal no;
};

static int ds_get_body(void *cls)
{
	struct ds_get_tx *t = cls;
	json_decref(t->doc);
	return load(&t->no, t->r, &t->doc, req_param(t->r, 0), NULL);
}

void datasets_get(struct req *r)
{
	struct ds_get_tx t = {.r = r};
	if (api_tx_run(r, false, ds_get_body, &t, &t.no) == 0) {
		api_set_etag(r, t.doc);
		reply_json(r, 200, json_incref(t.doc));
	}
	json_decref(t.doc);
}

static int ds_put_body(void *cls)
{
	struct ds_update_tx *t = cls;
	const struct req *r = t->r;
	const char *id = req_param(r, 0);
	json_t *cur = NULL, *next = NULL;
	json_decref(t->out);
	t->out = NULL;
	t->changed = false;
	/* 404, 403 (where it is; where the body's spaceId, read alone, puts
	 * it), then the body (400), then If-Match (decisions.md "Check order") */
	int rc = load(&t->no, r, &cur, id, NULL);
	if (rc == 0)
		rc = may_change(&t->no, r, cur);
	if (rc == 0 && !t->body) {
		t->no = t->parse_error;
		rc = STORE_TX_REFUSED;
	}
	if (rc == 0)
		rc = may_place(&t->no, r, cur, t->body);
	if (rc == 0 && !json_is_object(t->body))
		rc = api_refuse(&t->no, ERR_VALIDATION, "request body must be a JSON object");
	if (rc != 0) {
		json_decref(cur);
		return rc;
	}
	const json_t *bid = json_object_get(t->body, "id");
	if (bid && !json_is_null(bid) &&
	    (!json_is_string(bid) || strcmp(json_string_value(bid), id)))
		rc = api_refuse(&t->no, ERR_VALIDATION,
				"'id' must be absent, null or the data set id of the path ('%s')", id);
	json_t *b = json_deep_copy(t->body); /* the body is judged again on a rerun */
	json_object_del(b, "id");
	if (rc == 0)
		rc = may_point(&t->no, r, cur, b);
	if (rc == 0)
		rc = validate_body(&t->no, b);
	if (rc == 0)
		rc = api_if_match_tx(&t->no, r, cur);
	if (rc == 0 && !(next = replacement(&t->no, r, cur, b)))
		rc = STORE_TX_REFUSED;
	json_decref(b);
	if (rc != 0) {
		json_decref(cur);
		return rc;
	}
	return finish_update(t, cur, next);
}

void datasets_put(struct req *r)
{
	struct ds_update_tx t = {.r = r};
	t.body = api_body_parse(r, &t.parse_error);
	if (api_tx_run(r, true, ds_put_body, &t, &t.no) == 0)
		ds_update_reply(r, &t);
	json_decref(t.out);
	json_decref(t.body);
}

/* The first operation that writes at, above or below server field f (for
 * the error detail); -1 when none can be singled out. */
static long op_touching(const json_t *ops, const char *f)
{
	char ptr[64];
	snprintf(ptr, sizeof ptr, "/%s", f);
	size_t i;
	json_t *op;
	json_array_foreach(ops, i, op) {
		const char *kind = jstr(op, "op"), *path = jstr(op, "path"), *from = jstr(op, "from");
		if (strcmp(kind, "test") &&
		    (jsonpointer_within(path, ptr) || jsonpointer_within(ptr, path)))
			return (long)i;
		if (!strcmp(kind, "move") &&
		    (jsonpointer_within(from, ptr) || jsonpointer_within(ptr, from)))
			return (long)i;
	}
	return -1;
}

/* Server fields must come out of the patch as they went in. */
static int check_server_fields(struct api_refusal *no, const json_t *cur, const json_t *next,
			       const json_t *ops)
{
	for (const char *const *f = server_fields; *f; f++) {
		if (jsonpatch_equal(json_object_get(cur, *f), json_object_get(next, *f)))
			continue;
		long i = op_touching(ops, *f);
		if (i >= 0)
			return api_refuse(no, ERR_VALIDATION,
					  "'/%s' is set by the server and cannot be changed (patch"
					  " operation %ld)",
					  *f, i);
		return api_refuse(no, ERR_VALIDATION, "'/%s' is set by the server and cannot be changed",
				  *f);
	}
	return 0;
}

static int ds_patch_body(void *cls)
{
	struct ds_update_tx *t = cls;
	const struct req *r = t->r;
	char err[512];
	const char *id = req_param(r, 0);
	json_t *cur = NULL, *patched = NULL, *next = NULL;
	const json_t *ops = t->body;
	json_decref(t->out);
	t->out = NULL;
	t->changed = false;
	/* 404, 403, then the body (400), If-Match; where the patched data set
	 * goes is known only once applied: may_place comes before the rest of
	 * its validation (decisions.md "Check order") */
	int rc = load(&t->no, r, &cur, id, NULL);
	if (rc == 0)
		rc = may_change(&t->no, r, cur);
	if (rc == 0 && !ops) {
		t->no = t->parse_error;
		rc = STORE_TX_REFUSED;
	}
	if (rc == 0 && jsonpatch_check(ops, DS_PATCH_MAX_OPS, err, sizeof err) < 0)
		rc = api_refuse(&t->no, ERR_VALIDATION, "%s", err);
	if (rc == 0)
		rc = api_if_match_tx(&t->no, r, cur);
	if (rc == 0 && !(patched = jsonpatch_apply(cur, ops, DS_PATCH_MAX_OPS, err, sizeof err)))
		rc = api_refuse(&t->no, ERR_VALIDATION, "%s", err);
	if (rc == 0 && !json_is_object(patched))
		rc = api_refuse(&t->no, ERR_VALIDATION, "the patched data set must be a JSON object");
	if (rc == 0)
		rc = check_server_fields(&t->no, cur, patched, ops);
	if (rc == 0) {
		for (const char *const *f = server_fields; *f; f++)
			json_object_del(patched, *f);
		if ((rc = may_place(&t->no, r, cur, patched)) == 0 &&
		    (rc = may_point(&t->no, r, cur, patched)) == 0)
			rc = validate_body(&t->no, patched);
	}
	if (rc == 0 && !(next = replacement(&t->no, r, cur, patched)))
		rc = STORE_TX_REFUSED;
	json_decref(patched);
	if (rc != 0) {
		json_decref(cur);
		return rc;
	}
	return finish_update(t, cur, next);
}

void datasets_patch(struct req *r)
{
	struct ds_update_tx t = {.r = r};
	t.body = api_body_parse(r, &t.parse_error);
	if (api_tx_run(r, true, ds_patch_body, &t, &t.no) == 0)
		ds_update_reply(r, &t);
	json_decref(t.out);
	json_decref(t.body);
}

static const struct field_spec batch_spec[] = {
	{"ids", FIELD_GUID_SET, true, false, DS_BATCH_MAX},
	FIELD_END,
};

/* datasets_delete_batch's transaction. All or nothing: every id is found
 * (404), then every one may be deleted (403) and matches If-Match (412),
 * before the first delete. */
struct ds_delete_tx {
	const struct req *r;
	const json_t *ids;
	struct api_refusal no;
};

static int ds_delete_body(void *cls)
{
	struct ds_delete_tx *t = cls;
	const struct req *r = t->r;
	size_t n = json_array_size(t->ids), i;
	json_t *docs = json_array();
	int rc = 0;
	for (i = 0; i < n && rc == 0; i++) {
		json_t *doc = NULL;
		char where[32];
		snprintf(where, sizeof where, "ids[%zu]", i);
		rc = load(&t->no, r, &doc, json_string_value(json_array_get(t->ids, i)), where);
		if (rc == 0)
			json_array_append_new(docs, doc);
	}
	for (i = 0; i < n && rc == 0; i++)
		rc = may_change(&t->no, r, json_array_get(docs, i));
	for (i = 0; i < n && rc == 0; i++)
		rc = api_if_match_tx(&t->no, r, json_array_get(docs, i));
	json_decref(docs);
	if (rc != 0)
		return rc;
	struct store *st = r->app->store;
	for (i = 0; i < n && rc >= 0; i++)
		rc = api_wrote(st->ops->dataset_delete(st, r->who.tenant_id,
						       json_string_value(json_array_get(t->ids, i))));
	for (i = 0; i < n && rc >= 0; i++)
		rc = mark_changed(r, json_string_value(json_array_get(t->ids, i)));
	return rc;
}

void datasets_delete_batch(struct req *r)
{

	json_t *body = api_body_checked(r, batch_spec);
	if (!body)
		return;
	const json_t *ids = json_object_get(body, "ids");
	size_t n = json_array_size(ids);
	if (n == 0) {
		reply_error(r, ERR_VALIDATION, "'ids' must hold 1 to %d data set ids", DS_BATCH_MAX);
		goto out;
	}
	struct ds_delete_tx t = {.r = r, .ids = ids};
	if (api_tx_run(r, true, ds_delete_body, &t, &t.no) < 0)
		goto out;
	reply_empty(r, 204);
out:
	json_decref(body);
}

/* One DataSetProfile from a computation result (quality/profile.h shape). */
static json_t *profile_of(const json_t *ds, const json_t *result, const char *finished,
			  const json_t *attempt)
{
	json_t *meta = json_pack("{s:s, s:s, s:s, s:s}", "dataSetId", jstr(ds, "id"), "status",
				 "FINISHED", "computationEndTime", finished, "resultType", "NORMAL");
	/* the start time is known when the latest attempt is this result's */
	if (attempt && jstr(attempt, "startedAt") && jstr(attempt, "finishedAt") &&
	    !strcmp(jstr(attempt, "finishedAt"), finished) &&
	    !strcmp(jstr(attempt, "status") ? jstr(attempt, "status") : "", "SUCCEEDED"))
		json_object_set_new(meta, "computationStartTime",
				    json_string(jstr(attempt, "startedAt")));
	json_int_t ragged = json_integer_value(json_object_get(result, "raggedRows"));
	if (ragged > 0) {
		char msg[96];
		snprintf(msg, sizeof msg, "%" JSON_INTEGER_FORMAT " %s more or fewer cells than the"
			 " header", ragged, ragged == 1 ? "row has" : "rows have");
		json_object_set_new(meta, "messages", json_pack("[s]", msg));
	}
	json_t *fields = json_array();
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(result, "fields"), i, f) {
		json_t *p = json_object_get(f, "profile");
		json_array_append_new(fields, json_is_object(p)
						      ? json_deep_copy(p)
						      : json_pack("{s:s?}", "name", jstr(f, "name")));
	}
	json_t *table = json_pack("{s:s, s:I, s:o}", "name", jstr(ds, "technicalName"),
				  "numberOfRows",
				  json_integer_value(json_object_get(result, "rows")), "fieldProfiles",
				  fields);
	const json_t *bytes = json_object_get(result, "bytes");
	if (json_is_number(bytes))
		json_object_set_new(table, "sizeInBytes", json_deep_copy(bytes));
	return json_pack("{s:o, s:[o]}", "meta", meta, "profiles", table);
}

/* datasets_profiles' transaction: the data set (404), its latest result
 * and the latest attempt. */
struct profiles_tx {
	const struct req *r;
	json_t *ds, *result, *attempt; /* out */
	char finished[ISO_TS_LEN + 1];  /* out */
	struct api_refusal no;
};

static void profiles_reset(struct profiles_tx *t)
{
	json_decref(t->ds);
	json_decref(t->result);
	json_decref(t->attempt);
	t->ds = t->result = t->attempt = NULL;
}

static int profiles_body(void *cls)
{
	struct profiles_tx *t = cls;
	const struct req *r = t->r;
	const char *id = req_param(r, 0);
	struct store *st = r->app->store;
	char by[GUID_LEN + 1] = "";
	profiles_reset(t);
	t->finished[0] = '\0';
	int rc = load(&t->no, r, &t->ds, id, NULL);
	if (rc != 0)
		return rc;
	rc = st->ops->quality_latest(st, &t->result, t->finished, by, r->who.tenant_id, id);
	if (rc == STORE_ONE)
		rc = st->ops->quality_last_attempt(st, &t->attempt, r->who.tenant_id, id);
	return rc < 0 ? rc : 0;
}

void datasets_profiles(struct req *r)
{
	const char *id = req_param(r, 0);
	long limit, page;
	if (api_query_long(r, &limit, "limit", PAGING_DEFAULT_LIMIT, 1, PAGING_MAX_LIMIT) < 0 ||
	    api_query_long(r, &page, "page", 1, 1, PAGING_MAX_PAGE) < 0)
		return;
	struct profiles_tx t = {.r = r};
	if (api_tx_run(r, false, profiles_body, &t, &t.no) < 0)
		goto out;
	json_t *ds = t.ds, *result = t.result, *attempt = t.attempt;
	const char *finished = t.finished;
	struct page_info info;
	paging_compute(&info, page, limit, result ? 1 : 0);
	json_t *data = json_array();
	if (result && info.offset == 0)
		json_array_append_new(data, profile_of(ds, result, finished, attempt));
	char *base = req_base_url(r), *query = api_query_except(r, "page"), path[128];
	snprintf(path, sizeof path, DS_PATH "/%s/profiles", id);
	json_t *links = paging_links(base, path, query, &info);
	free(base);
	free(query);
	reply_json(r, 200, paging_envelope(data, links, &info));
out:
	profiles_reset(&t);
}
