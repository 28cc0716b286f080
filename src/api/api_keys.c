/* api_keys: /api/v1/api-keys in @qlik/api's shapes (api-keys.d.ts). A user
 * manages its own keys; a TenantAdmin sees all of the tenant's and may
 * create keys for other users (sub). The token is shown once, by create;
 * only its SHA-256 is stored. Deleting a key revokes it at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api/api.h"
#include "domain/duration.h"
#include "domain/paging.h"

#define KEY_DEFAULT_EXPIRY "P90D"
#define KEY_MAX_EXPIRY_MS (INT64_C(365) * 86400000)

static const struct field_spec key_create_spec[] = {
	{"description", FIELD_STRING, true, false, 1024},
	{"expiry", FIELD_STRING, false, true, 40},
	{"sub", FIELD_GUID, false, true, 0},
	{"subType", FIELD_STRING, false, true, 16},
	FIELD_END,
};

static bool is_admin(const struct req *r) { return (r->who.roles & ROLE_TENANT_ADMIN) != 0; }

/* Loads a key the caller may manage (its own, or any as admin); 404 else. */
static int load_key(struct req *r, json_t **out)
{
	struct store *st = r->app->store;
	json_t *k = NULL;
	int rc = st->ops->apikey_get(st, &k, r->who.tenant_id, req_param(r, 0));
	if (rc < 0) {
		api_store_error(r, rc);
		return -1;
	}
	if (rc == STORE_ONE && !is_admin(r) &&
	    strcmp(json_string_value(json_object_get(k, "sub")), r->who.user_id)) {
		json_decref(k);
		rc = STORE_NONE;
	}
	if (rc == STORE_NONE) {
		reply_error(r, ERR_NOT_FOUND, "API key '%s' not found", req_param(r, 0));
		return -1;
	}
	*out = k;
	return 0;
}

void apikeys_create(struct req *r)
{
	char now[ISO_TS_LEN + 1], id[GUID_LEN + 1], token[64], hash[HASH_HEX_LEN + 1], err[512];
	json_t *body = api_body_json(r), *doc = NULL;
	if (!body)
		return;
	/* the key's owner, read alone, is authorised before the body is judged
	 * (decisions.md "Check order"): another user's key needs TenantAdmin */
	const json_t *jsub = json_object_get(body, "sub");
	if (json_is_string(jsub) && strcmp(json_string_value(jsub), r->who.user_id) && !is_admin(r)) {
		reply_error(r, ERR_FORBIDDEN, "only a TenantAdmin may create keys for other users");
		goto out;
	}
	if (jsonspec_check(body, key_create_spec, err, sizeof err) < 0) {
		reply_error(r, ERR_VALIDATION, "%s", err);
		goto out;
	}
	const char *sub = json_string_value(json_object_get(body, "sub"));
	const char *sub_type = json_string_value(json_object_get(body, "subType"));
	const char *expiry = json_string_value(json_object_get(body, "expiry"));
	int64_t ttl;
	if (sub_type && strcmp(sub_type, "user")) {
		reply_error(r, ERR_VALIDATION, "'subType' must be 'user'");
		goto out;
	}
	if (duration_parse_ms(&ttl, expiry ? expiry : KEY_DEFAULT_EXPIRY) < 0 || ttl <= 0 ||
	    ttl > KEY_MAX_EXPIRY_MS) {
		reply_error(r, ERR_VALIDATION,
			    "'expiry' must be an ISO 8601 duration from PT1S to P365D, e.g. P7D");
		goto out;
	}
	if (!sub)
		sub = r->who.user_id;
	if (api_begin(r, true) < 0)
		goto out;
	if (api_check_user(r, sub, "sub") < 0)
		goto fail;
	if (ids_guid_new(id) < 0 || ids_apikey_new(token, sizeof token) < 0) {
		reply_error(r, ERR_INTERNAL, "no entropy for a key");
		goto fail;
	}
	ids_sha256_hex(hash, token, strlen(token));
	int64_t now_ms = clock_now_ms(); /* one reading: expiry = created + ttl exactly */
	clock_format_ms(now, now_ms);
	/* each key has its own rate budget: a cap on keys caps a user's budget
	 * (counted inside the write transaction, so racing creates cannot pass it) */
	long active = 0;
	struct store *st = r->app->store;
	int crc = st->ops->apikey_count_active(st, &active, r->who.tenant_id, sub, now_ms);
	if (crc < 0) {
		api_store_error(r, crc);
		goto fail;
	}
	long cap = (long)r->app->cfg->max_keys_per_user;
	if (cap > 0 && active >= cap) {
		reply_error(r, ERR_TOO_MANY_KEYS,
			    "'sub': user '%s' already holds %ld active API keys, the most allowed"
			    " (--max-keys-per-user); delete one first",
			    sub, active);
		goto fail;
	}
	struct apikey_new k = {.id = id, .user_id = sub, .created_by = r->who.user_id, .hash = hash,
			       .description = json_string_value(json_object_get(body, "description")),
			       .now = now, .expires_ms = now_ms + ttl};
	int rc = st->ops->apikey_insert(st, r->who.tenant_id, &k);
	if (rc >= 0)
		rc = st->ops->apikey_get(st, &doc, r->who.tenant_id, id);
	if (api_write_done(r, rc) < 0) /* a failed insert too: roll back, no token */
		goto fail;
	api_set_etag(r, doc); /* of the stored key: GET returns the same tag */
	json_object_set_new(doc, "token", json_string(token));
	reply_header(r, "Location", "/api/v1/api-keys/%s", id);
	reply_json(r, 201, json_incref(doc));
	goto out;
fail:
	api_rollback(r);
out:
	json_decref(doc);
	json_decref(body);
}

void apikeys_list(struct req *r)
{
	long limit, page;
	if (api_query_long(r, &limit, "limit", PAGING_DEFAULT_LIMIT, 1, PAGING_MAX_LIMIT) < 0 ||
	    api_query_long(r, &page, "page", 1, 1, PAGING_MAX_PAGE) < 0)
		return;
	const char *sub = req_query(r, "sub");
	/* non-admins only ever see their own keys (403 before the value is judged) */
	if (!is_admin(r)) {
		if (sub && strcmp(sub, r->who.user_id)) {
			reply_error(r, ERR_FORBIDDEN, "only a TenantAdmin may list other users' keys");
			return;
		}
		sub = r->who.user_id;
	}
	if (sub && !ids_guid_valid(sub)) {
		reply_error(r, ERR_INVALID_QUERY, "query parameter 'sub' must be a lower-case GUID");
		return;
	}
	struct page_info info;
	paging_compute(&info, page, limit, 0);
	json_t *data = NULL;
	long total = 0;
	struct store *st = r->app->store;
	if (api_begin(r, false) < 0)
		return;
	int rc = st->ops->apikey_list(st, &data, &total, r->who.tenant_id, sub, info.offset, limit);
	api_rollback(r);
	if (rc < 0) {
		api_store_error(r, rc);
		return;
	}
	paging_compute(&info, page, limit, total);
	char *base = req_base_url(r), *query = api_query_except(r, "page");
	json_t *links = paging_links(base, "/api/v1/api-keys", query, &info);
	free(base);
	free(query);
	json_object_del(links, "first");
	json_object_del(links, "last");
	reply_json(r, 200, json_pack("{s:o, s:o}", "data", data, "links", links));
}

void apikeys_get(struct req *r)
{
	json_t *k;
	if (load_key(r, &k) < 0)
		return;
	api_set_etag(r, k);
	reply_json(r, 200, k);
}

void apikeys_patch(struct req *r)
{
	json_t *ops = NULL, *k = NULL;
	struct store *st = r->app->store;
	/* 404 (not your key) before the body is read (decisions.md "Check order") */
	if (api_begin(r, true) < 0)
		return;
	if (load_key(r, &k) < 0 || !(ops = api_body_json(r)))
		goto fail;
	const json_t *op = json_array_get(ops, 0);
	const char *o = json_string_value(json_object_get(op, "op"));
	const char *path = json_string_value(json_object_get(op, "path"));
	const char *value = json_string_value(json_object_get(op, "value"));
	if (!json_is_array(ops) || json_array_size(ops) != 1 || !o || strcmp(o, "replace") || !path ||
	    strcmp(path, "/description") || !value || jsonspec_utf8_len(value) > 1024) {
		reply_error(r, ERR_VALIDATION, "body must be [{\"op\":\"replace\",\"path\":\"/description\","
					       "\"value\":\"<at most 1024 characters>\"}]");
		goto fail;
	}
	char now[ISO_TS_LEN + 1];
	clock_now_iso(now);
	if (api_if_match(r, k) < 0)
		goto fail;
	if (api_write_done(r, st->ops->apikey_describe(st, r->who.tenant_id, req_param(r, 0), value, now)) < 0)
		goto fail;
	reply_empty(r, 204);
	goto out;
fail:
	api_rollback(r);
out:
	json_decref(k);
	json_decref(ops);
}

void apikeys_delete(struct req *r)
{
	json_t *k = NULL;
	struct store *st = r->app->store;
	if (api_begin(r, true) < 0)
		return;
	if (load_key(r, &k) < 0 || api_if_match(r, k) < 0)
		goto fail;
	if (api_write_done(r, st->ops->apikey_delete(st, r->who.tenant_id, req_param(r, 0))) < 0)
		goto fail;
	json_decref(k);
	reply_empty(r, 204);
	return;
fail:
	api_rollback(r);
	json_decref(k);
}
