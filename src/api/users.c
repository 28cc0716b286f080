/* users: /api/v1/users in @qlik/api's User shape (users.d.ts). Everyone in
 * a tenant may read its users (to pick key contacts); only a TenantAdmin
 * creates, changes or deletes them. Disabling or deleting a user stops its
 * API keys at once: keys are checked against the user on every request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "api/api.h"
#include "domain/paging.h"
#include "domain/roles.h"
#include "util/utf8.h"

static const struct field_spec user_create_spec[] = {
	{"subject", FIELD_NAME, true, false, 256},
	{"email", FIELD_NAME, true, false, 320},
	{"name", FIELD_NAME, false, true, 256},
	{"picture", FIELD_STRING, false, true, 2048},
	{"status", FIELD_STRING, false, true, 16},
	{"tenantId", FIELD_STRING, false, true, 64},
	{"assignedRoles", FIELD_ARRAY, false, true, 0},
	FIELD_END,
};

static int require_admin_tx(struct api_refusal *no, const struct req *r)
{
	if (r->who.roles & ROLE_TENANT_ADMIN)
		return 0;
	return api_refuse(no, ERR_FORBIDDEN, "managing users needs the TenantAdmin role");
}

static int require_admin(struct req *r)
{
	struct api_refusal no;
	return api_answer(r, require_admin_tx(&no, r), &no);
}

static json_t *present(struct req *r, json_t *u)
{
	char *base = req_base_url(r), *self = NULL;
	if (asprintf(&self, "%s/api/v1/users/%s", base, json_string_value(json_object_get(u, "id"))) < 0)
		abort();
	json_object_set_new(u, "links", json_pack("{s:{s:s}}", "self", "href", self));
	free(base);
	free(self);
	return u;
}

/* assignedRoles as [{id}] or [{name}] (RefIDs | RefNames) -> role bits;
 * 0 or STORE_TX_REFUSED (400). */
static int parse_assigned_roles(struct api_refusal *no, unsigned *out, const json_t *arr,
				const char *where)
{
	*out = 0;
	if (!json_is_array(arr))
		return api_refuse(no, ERR_VALIDATION, "'%s' must be an array of {id} or {name}", where);
	size_t i;
	json_t *ref;
	json_array_foreach(arr, i, ref) {
		const char *id = json_string_value(json_object_get(ref, "id"));
		const char *name = json_string_value(json_object_get(ref, "name"));
		const struct role_info *ri = roles_all;
		while (ri->name && !((id && !strcmp(id, ri->id)) || (name && !strcmp(name, ri->name))))
			ri++;
		if (!json_is_object(ref) || (!id && !name) || !ri->name)
			return api_refuse(no, ERR_VALIDATION,
					  "'%s[%zu]': unknown role; use TenantAdmin, DataProductConsumer or"
					  " DataProductCreator (by name or id)",
					  where, i);
		*out |= ri->bit;
	}
	return 0;
}

static unsigned roles_of(const json_t *u)
{
	unsigned bits = 0;
	size_t i;
	json_t *ref;
	json_array_foreach(json_object_get(u, "assignedRoles"), i, ref) {
		const char *name = json_string_value(json_object_get(ref, "name"));
		for (const struct role_info *ri = roles_all; ri->name; ri++)
			if (name && !strcmp(name, ri->name))
				bits |= ri->bit;
	}
	return bits;
}

void users_me(struct req *r)
{
	struct store *st = r->app->store;
	json_t *u = NULL;
	int rc = st->ops->user_get(st, &u, r->who.tenant_id, r->who.user_id);
	if (rc <= 0) {
		api_store_error(r, rc < 0 ? rc : STORE_HARD);
		return;
	}
	api_set_etag(r, u);
	reply_json(r, 200, present(r, u));
}

void users_get(struct req *r)
{
	struct store *st = r->app->store;
	json_t *u = NULL;
	int rc = st->ops->user_get(st, &u, r->who.tenant_id, req_param(r, 0));
	if (rc < 0) {
		api_store_error(r, rc);
		return;
	}
	if (rc == STORE_NONE) {
		reply_error(r, ERR_NOT_FOUND, "user '%s' not found", req_param(r, 0));
		return;
	}
	api_set_etag(r, u);
	reply_json(r, 200, present(r, u));
}

/* filter=email eq "a@b" (SCIM style, the only filter supported) or email=.
 * An empty or malformed filter is a 400, never "no filter". */
static int email_filter(struct req *r, char *out, size_t cap)
{
	const char *f = req_query(r, "filter"), *e = req_query(r, "email");
	static const char prefix[] = "email eq \"";
	size_t pl = sizeof prefix - 1;
	out[0] = '\0';
	if (e) {
		if (!*e || strlen(e) >= cap) {
			reply_error(r, ERR_INVALID_QUERY, "query parameter 'email' must be 1 to 320 bytes");
			return -1;
		}
		snprintf(out, cap, "%s", e);
		return 0;
	}
	if (!f)
		return 0;
	size_t n = strlen(f);
	if (n >= pl + 2 && n - pl - 1 < cap && !strncasecmp(f, prefix, pl) && f[n - 1] == '"') {
		snprintf(out, cap, "%.*s", (int)(n - pl - 1), f + pl);
		return 0;
	}
	reply_error(r, ERR_INVALID_QUERY,
		    "query parameter 'filter' supports only: email eq \"<address>\" (non-empty)");
	return -1;
}

struct user_list_tx {
	const struct req *r;
	const char *email;
	long offset, limit;
	json_t *data; /* out */
	long total;   /* out */
};

static int user_list_body(void *cls)
{
	struct user_list_tx *t = cls;
	struct store *st = t->r->app->store;
	json_decref(t->data);
	t->data = NULL;
	int rc = st->ops->user_list(st, &t->data, &t->total, t->r->who.tenant_id, t->email,
				    t->offset, t->limit);
	return rc < 0 ? rc : 0;
}

void users_list(struct req *r)
{
	long limit, page;
	char email[330];
	if (api_query_long(r, &limit, "limit", PAGING_DEFAULT_LIMIT, 1, PAGING_MAX_LIMIT) < 0 ||
	    api_query_long(r, &page, "page", 1, 1, PAGING_MAX_PAGE) < 0 ||
	    email_filter(r, email, sizeof email) < 0)
		return;
	struct page_info info;
	paging_compute(&info, page, limit, 0);
	struct user_list_tx t = {r, *email ? email : NULL, info.offset, limit, NULL, 0};
	if (api_tx_run(r, false, user_list_body, &t, NULL) < 0) {
		json_decref(t.data);
		return;
	}
	json_t *data = t.data;
	long total = t.total;
	size_t i;
	json_t *u;
	json_array_foreach(data, i, u) present(r, u);
	paging_compute(&info, page, limit, total);
	char *base = req_base_url(r), *query = api_query_except(r, "page");
	json_t *links = paging_links(base, "/api/v1/users", query, &info);
	free(base);
	free(query);
	json_object_del(links, "first");
	json_object_del(links, "last");
	reply_json(r, 200, json_pack("{s:o, s:o, s:I}", "data", data, "links", links,
				     "totalResults", (json_int_t)total));
}

/* users_create's transaction: the email must be free in the tenant, the
 * tenant's quota must leave room, then the prepared document is stored. A
 * concurrent create of the same email that slips past the check conflicts
 * on the store's uniqueness rule; the runner reruns the body and the check
 * answers the same 409. */
struct user_create_tx {
	const struct req *r;
	struct store *st;
	const char *tenant;
	const char *email;
	json_t *doc; /* borrowed */
	unsigned roles;
	struct api_refusal no;
};

static int user_create_body(void *cls)
{
	struct user_create_tx *t = cls;
	char existing[GUID_LEN + 1];
	int rc = t->st->ops->user_find_email(t->st, existing, t->tenant, t->email);
	if (rc < 0)
		return rc;
	if (rc == STORE_ONE)
		return api_refuse(&t->no, ERR_CONFLICT, "a user with email '%s' already exists",
				  t->email);
	if ((rc = api_quota_check_tx(&t->no, t->r, QUOTA_USERS)) != 0)
		return rc;
	return t->st->ops->user_insert(t->st, t->tenant, t->doc, t->roles);
}

void users_create(struct req *r)
{
	char now[ISO_TS_LEN + 1], id[GUID_LEN + 1];
	/* 403 before the body is read (decisions.md "Check order") */
	if (require_admin(r) < 0)
		return;
	json_t *body = api_body_checked(r, user_create_spec), *u = NULL;
	if (!body)
		return;
	const char *email = json_string_value(json_object_get(body, "email"));
	const char *tenant = json_string_value(json_object_get(body, "tenantId"));
	const char *status = json_string_value(json_object_get(body, "status"));
	unsigned roles = 0;
	if (!strchr(email, '@')) {
		reply_error(r, ERR_VALIDATION, "'email' must be an email address");
		goto out;
	}
	if (tenant && strcmp(tenant, r->who.tenant_id)) {
		reply_error(r, ERR_VALIDATION, "'tenantId' must be your own tenant");
		goto out;
	}
	if (status && strcmp(status, "invited")) {
		reply_error(r, ERR_VALIDATION, "'status' may only be 'invited'");
		goto out;
	}
	const json_t *ar = json_object_get(body, "assignedRoles");
	struct api_refusal no;
	if (ar && !json_is_null(ar) &&
	    api_answer(r, parse_assigned_roles(&no, &roles, ar, "assignedRoles"), &no) < 0)
		goto out;
	if (ids_guid_new(id) < 0) {
		reply_error(r, ERR_INTERNAL, "no entropy for an id");
		goto out;
	}
	clock_now_iso(now);
	const char *name = json_string_value(json_object_get(body, "name"));
	u = json_pack("{s:s, s:s, s:s, s:s, s:O, s:s, s:o, s:s, s:s}", "id", id, "tenantId",
		      r->who.tenant_id, "name", name ? name : email, "email", email, "subject",
		      json_object_get(body, "subject"), "status", "active", "assignedRoles",
		      roles_assigned(roles), "createdAt", now, "lastUpdatedAt", now);
	if (json_is_string(json_object_get(body, "picture")))
		json_object_set(u, "picture", json_object_get(body, "picture"));
	struct user_create_tx t = {r, r->app->store, r->who.tenant_id, email, u, roles, {0}};
	if (api_tx_run(r, true, user_create_body, &t, &t.no) < 0)
		goto out;
	api_set_etag(r, u);
	reply_header(r, "Location", "/api/v1/users/%s", id);
	reply_json(r, 201, present(r, json_incref(u)));
out:
	json_decref(u);
	json_decref(body);
}

/* Applies users.d.ts JSONPatch ops (replace /name, /status, /assignedRoles).
 * With u == NULL it only validates, so a bad body is a 400 for anyone.
 * 0 or STORE_TX_REFUSED. */
static int apply_user_patch(struct api_refusal *no, const struct req *r, json_t *u,
			    unsigned *roles, const json_t *ops)
{
	if (!json_is_array(ops) || json_array_size(ops) == 0 || json_array_size(ops) > 8)
		return api_refuse(no, ERR_VALIDATION,
				  "request body must be a JSON Patch array of 1 to 8 operations");
	json_t *scratch = u ? NULL : json_object();
	unsigned scratch_roles = 0;
	if (!u) {
		u = scratch;
		roles = &scratch_roles;
	}
	bool self = !scratch && !strcmp(json_string_value(json_object_get(u, "id")), r->who.user_id);
	int rc = 0;
	size_t i;
	json_t *op;
	json_array_foreach(ops, i, op) {
		const char *o = json_string_value(json_object_get(op, "op"));
		const char *path = json_string_value(json_object_get(op, "path"));
		const json_t *v = json_object_get(op, "value");
		if (!o || (strcmp(o, "replace") && strcmp(o, "set"))) {
			rc = api_refuse(no, ERR_VALIDATION, "operation /%zu: only op 'replace' is supported", i);
			break;
		}
		if (path && !strcmp(path, "/name")) {
			const char *name = json_string_value(v);
			if (!name || !*name || jsonspec_utf8_len(name) > 256 || !utf8_has_visible(name)) {
				rc = api_refuse(no, ERR_VALIDATION,
						"operation /%zu: 'name' must be 1 to 256 characters, at least one"
						" of them visible", i);
				break;
			}
			json_object_set(u, "name", (json_t *)v);
		} else if (path && !strcmp(path, "/status")) {
			const char *status = json_string_value(v);
			if (!status || (strcmp(status, "active") && strcmp(status, "disabled"))) {
				rc = api_refuse(no, ERR_VALIDATION,
						"operation /%zu: 'status' must be active or disabled", i);
				break;
			}
			if (self && !strcmp(status, "disabled")) {
				rc = api_refuse(no, ERR_CONFLICT, "you cannot disable your own user");
				break;
			}
			json_object_set(u, "status", (json_t *)v);
		} else if (path && (!strcmp(path, "/assignedRoles") || !strcmp(path, "/roles"))) {
			char where[48];
			snprintf(where, sizeof where, "operation /%zu value", i);
			if ((rc = parse_assigned_roles(no, roles, v, where)) != 0)
				break;
			if (self && !(*roles & ROLE_TENANT_ADMIN)) {
				rc = api_refuse(no, ERR_CONFLICT, "you cannot remove your own TenantAdmin role");
				break;
			}
			json_object_set_new(u, "assignedRoles", roles_assigned(*roles));
		} else {
			rc = api_refuse(no, ERR_VALIDATION,
					"operation /%zu: path must be /name, /status or /assignedRoles", i);
			break;
		}
	}
	json_decref(scratch);
	return rc;
}

/* users_patch's and users_delete's transaction. Order (decisions.md "Check
 * order"): unknown user 404 (every user of the tenant may see its users),
 * not an admin 403, bad body 400, 412, then the rules of the change. */
struct user_write_tx {
	const struct req *r;
	json_t *ops; /* borrowed; NULL for a delete, or when the body did not parse */
	struct api_refusal parse_error;
	struct api_refusal no;
};

static int user_patch_body(void *cls)
{
	struct user_write_tx *t = cls;
	const struct req *r = t->r;
	struct store *st = r->app->store;
	json_t *u = NULL;
	int rc = st->ops->user_get(st, &u, r->who.tenant_id, req_param(r, 0));
	if (rc < 0)
		return rc;
	if (rc == STORE_NONE)
		return api_refuse(&t->no, ERR_NOT_FOUND, "user '%s' not found", req_param(r, 0));
	rc = require_admin_tx(&t->no, r);
	if (rc == 0 && !t->ops) {
		t->no = t->parse_error;
		rc = STORE_TX_REFUSED;
	}
	if (rc == 0)
		rc = apply_user_patch(&t->no, r, NULL, NULL, t->ops);
	if (rc == 0)
		rc = api_if_match_tx(&t->no, r, u);
	unsigned roles = roles_of(u);
	json_t *before = json_deep_copy(u);
	if (rc == 0)
		rc = apply_user_patch(&t->no, r, u, &roles, t->ops);
	/* nothing changed: nothing to write, ETag unchanged */
	if (rc == 0 && !json_equal(before, u)) {
		char now[ISO_TS_LEN + 1];
		clock_now_iso(now);
		json_object_set_new(u, "lastUpdatedAt", json_string(now));
		rc = api_wrote(st->ops->user_update(st, r->who.tenant_id, u, roles));
	}
	json_decref(before);
	json_decref(u);
	return rc;
}

void users_patch(struct req *r)
{
	struct user_write_tx t = {.r = r};
	t.ops = api_body_parse(r, &t.parse_error);
	if (api_tx_run(r, true, user_patch_body, &t, &t.no) == 0)
		reply_empty(r, 204);
	json_decref(t.ops);
}

static int user_delete_body(void *cls)
{
	struct user_write_tx *t = cls;
	const struct req *r = t->r;
	struct store *st = r->app->store;
	json_t *u = NULL;
	int rc = st->ops->user_get(st, &u, r->who.tenant_id, req_param(r, 0));
	if (rc < 0)
		return rc;
	if (rc == STORE_NONE)
		return api_refuse(&t->no, ERR_NOT_FOUND, "user '%s' not found", req_param(r, 0));
	rc = require_admin_tx(&t->no, r);
	if (rc == 0)
		rc = api_if_match_tx(&t->no, r, u);
	json_decref(u);
	if (rc == 0 && !strcmp(req_param(r, 0), r->who.user_id))
		rc = api_refuse(&t->no, ERR_CONFLICT, "you cannot delete your own user");
	if (rc == 0)
		rc = api_wrote(st->ops->user_delete(st, r->who.tenant_id, req_param(r, 0)));
	return rc;
}

void users_delete(struct req *r)
{
	struct user_write_tx t = {.r = r};
	if (api_tx_run(r, true, user_delete_body, &t, &t.no) == 0)
		reply_empty(r, 204);
}
