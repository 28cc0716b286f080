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
static int load_key(struct api_refusal *no, const struct req *r, json_t **out)
{
	struct store *st = r->app->store;
	json_t *k = NULL;
	int rc = st->ops->apikey_get(st, &k, r->who.tenant_id, req_param(r, 0));
	if (rc < 0)
		return rc;
	if (rc == STORE_ONE && !is_admin(r) &&
	    strcmp(json_string_value(json_object_get(k, "sub")), r->who.user_id)) {
		json_decref(k);
		rc = STORE_NONE;
	}
	if (rc == STORE_NONE)
		return api_refuse(no, ERR_NOT_FOUND, "API key '%s' not found", req_param(r, 0));
	*out = k;
	return 0;
}

/* apikeys_create's transaction: the owner exists, the cap on active keys
 * holds (counted inside the write transaction, so racing creates cannot
 * pass it), then the key is stored and read back. */
struct apikey_create_tx {
	const struct req *r;
	const json_t *body;
	const char *sub;
	int64_t ttl;
	char id[GUID_LEN + 1], token[64]; /* out */
	json_t *doc;                      /* out */
	struct api_refusal no;
};

static int apikey_create_body(void *cls)
{
	struct apikey_create_tx *t = cls;
	const struct req *r = t->r;
	struct store *st = r->app->store;
	char now[ISO_TS_LEN + 1], hash[HASH_HEX_LEN + 1];
	json_decref(t->doc);
	t->doc = NULL;
	int rc = api_check_user_tx(&t->no, r, t->sub, "sub");
	if (rc != 0)
		return rc;
	if (ids_guid_new(t->id) < 0 || ids_apikey_new(t->token, sizeof t->token) < 0)
		return api_refuse(&t->no, ERR_INTERNAL, "no entropy for a key");
	ids_sha256_hex(hash, t->token, strlen(t->token));
	int64_t now_ms = clock_now_ms(); /* one reading: expiry = created + ttl exactly */
	clock_format_ms(now, now_ms);
	/* each key has its own rate budget: a cap on keys caps a user's budget */
	long active = 0;
	rc = st->ops->apikey_count_active(st, &active, r->who.tenant_id, t->sub, now_ms);
	if (rc < 0)
		return rc;
	long cap = (long)r->app->cfg->max_keys_per_user;
	if (cap > 0 && active >= cap)
		return api_refuse(&t->no, ERR_TOO_MANY_KEYS,
				  "'sub': user '%s' already holds %ld active API keys, the most allowed"
				  " (--max-keys-per-user); delete one first",
				  t->sub, active);
	struct apikey_new k = {.id = t->id, .user_id = t->sub, .created_by = r->who.user_id,
			       .hash = hash,
			       .description = json_string_value(json_object_get(t->body, "description")),
			       .now = now, .expires_ms = now_ms + t->ttl};
	rc = st->ops->apikey_insert(st, r->who.tenant_id, &k);
	if (rc >= 0)
		rc = st->ops->apikey_get(st, &t->doc, r->who.tenant_id, t->id);
	return api_wrote(rc); /* a failed insert too: roll back, no token */
}

void apikeys_create(struct req *r)
{
	char err[512];
	json_t *body = api_body_json(r);
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
	struct apikey_create_tx t = {.r = r, .body = body, .sub = sub, .ttl = ttl};
	if (api_tx_run(r, true, apikey_create_body, &t, &t.no) == 0) {
		api_set_etag(r, t.doc); /* of the stored key: GET returns the same tag */
		json_object_set_new(t.doc, "token", json_string(t.token));
		reply_header(r, "Location", "/api/v1/api-keys/%s", t.id);
		reply_json(r, 201, json_incref(t.doc));
	}
	memset(t.token, 0, sizeof t.token);
	json_decref(t.doc);
out:
	json_decref(body);
}

struct apikey_list_tx {
	const struct req *r;
	const char *sub;
	long offset, limit;
	json_t *data; /* out */
	long total;   /* out */
};

static int apikey_list_body(void *cls)
{
	struct apikey_list_tx *t = cls;
	struct store *st = t->r->app->store;
	json_decref(t->data);
	t->data = NULL;
	int rc = st->ops->apikey_list(st, &t->data, &t->total, t->r->who.tenant_id, t->sub,
				      t->offset, t->limit);
	return rc < 0 ? rc : 0;
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
	struct apikey_list_tx t = {r, sub, info.offset, limit, NULL, 0};
	if (api_tx_run(r, false, apikey_list_body, &t, NULL) < 0) {
		json_decref(t.data);
		return;
	}
	json_t *data = t.data;
	paging_compute(&info, page, limit, t.total);
	char *base = req_base_url(r), *query = api_query_except(r, "page");
	json_t *links = paging_links(base, "/api/v1/api-keys", query, &info);
	free(base);
	free(query);
	json_object_del(links, "first");
	json_object_del(links, "last");
	reply_json(r, 200, json_pack("{s:o, s:o}", "data", data, "links", links));
}

/* apikeys_get's, apikeys_patch's and apikeys_delete's transaction: the
 * key (404 when not the caller's to manage) before the body is judged
 * (decisions.md "Check order"), then the body (400), If-Match (412). */
enum apikey_verb { KEY_GET, KEY_PATCH, KEY_DELETE };

struct apikey_tx {
	const struct req *r;
	enum apikey_verb verb;
	json_t *ops; /* borrowed (patch); NULL when the body did not parse */
	struct api_refusal parse_error;
	json_t *k;   /* out (get) */
	struct api_refusal no;
};

static int apikey_body(void *cls)
{
	struct apikey_tx *t = cls;
	const struct req *r = t->r;
	struct store *st = r->app->store;
	json_decref(t->k);
	t->k = NULL;
	int rc = load_key(&t->no, r, &t->k);
	if (rc != 0 || t->verb == KEY_GET)
		return rc;
	if (t->verb == KEY_DELETE) {
		rc = api_if_match_tx(&t->no, r, t->k);
		return rc != 0 ? rc
			       : api_wrote(st->ops->apikey_delete(st, r->who.tenant_id,
								  req_param(r, 0)));
	}
	if (!t->ops) {
		t->no = t->parse_error;
		return STORE_TX_REFUSED;
	}
	const json_t *op = json_array_get(t->ops, 0);
	const char *o = json_string_value(json_object_get(op, "op"));
	const char *path = json_string_value(json_object_get(op, "path"));
	const char *value = json_string_value(json_object_get(op, "value"));
	if (!json_is_array(t->ops) || json_array_size(t->ops) != 1 || !o || strcmp(o, "replace") ||
	    !path || strcmp(path, "/description") || !value || jsonspec_utf8_len(value) > 1024)
		return api_refuse(&t->no, ERR_VALIDATION,
				  "body must be [{\"op\":\"replace\",\"path\":\"/description\","
				  "\"value\":\"<at most 1024 characters>\"}]");
	char now[ISO_TS_LEN + 1];
	clock_now_iso(now);
	if ((rc = api_if_match_tx(&t->no, r, t->k)) != 0)
		return rc;
	return api_wrote(
		st->ops->apikey_describe(st, r->who.tenant_id, req_param(r, 0), value, now));
}

void apikeys_get(struct req *r)
{
	struct apikey_tx t = {.r = r, .verb = KEY_GET};
	if (api_tx_run(r, false, apikey_body, &t, &t.no) == 0) {
		api_set_etag(r, t.k);
		reply_json(r, 200, json_incref(t.k));
	}
	json_decref(t.k);
}

void apikeys_patch(struct req *r)
{
	struct apikey_tx t = {.r = r, .verb = KEY_PATCH};
	t.ops = api_body_parse(r, &t.parse_error);
	if (api_tx_run(r, true, apikey_body, &t, &t.no) == 0)
		reply_empty(r, 204);
	json_decref(t.k);
	json_decref(t.ops);
}

void apikeys_delete(struct req *r)
{
	struct apikey_tx t = {.r = r, .verb = KEY_DELETE};
	if (api_tx_run(r, true, apikey_body, &t, &t.no) == 0)
		reply_empty(r, 204);
	json_decref(t.k);
}
