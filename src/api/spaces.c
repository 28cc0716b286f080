/* spaces: /api/v1/spaces and their role assignments in @qlik/api's shapes
 * (spaces.d.ts). The creator owns a space; who may see and change what is
 * decided by src/domain/permissions.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api/api.h"
#include "domain/paging.h"

static const struct field_spec space_create_spec[] = {
	{"name", FIELD_NAME, true, false, 256},
	{"type", FIELD_STRING, true, false, 16},
	{"description", FIELD_STRING, false, true, 4096},
	FIELD_END,
};

static const struct field_spec assignment_spec[] = {
	{"assigneeId", FIELD_GUID, true, false, 0},
	{"type", FIELD_STRING, true, false, 16},
	{"roles", FIELD_STRING_SET, true, false, SR_COUNT},
	FIELD_END,
};

/* spaces.d.ts: a space name matches ^[^"*?<>/|\\:]+$ (after trimming). */
static int check_space_name(struct api_refusal *no, const char *name, const char *where)
{
	const char *bad = strpbrk(name, "\"*?<>/|\\:");
	if (!bad)
		return 0;
	return api_refuse(no, ERR_VALIDATION, "'%s' must not contain any of \" * ? < > / | \\ :",
			  where);
}

/* Role names of a bit set, as a new array. */
static json_t *role_names(unsigned bits)
{
	json_t *arr = json_array();
	for (int i = 0; i < SR_COUNT; i++)
		if (bits & (1u << i))
			json_array_append_new(arr, json_string(perm_role_name(1u << i)));
	return arr;
}

json_t *spaces_present(struct req *r, json_t *sp, const struct perm_ctx *ctx)
{
	char *base = req_base_url(r);
	const char *id = json_string_value(json_object_get(sp, "id"));
	char *self = NULL, *asg = NULL;
	if (asprintf(&self, "%s/api/v1/spaces/%s", base, id) < 0 ||
	    asprintf(&asg, "%s/api/v1/spaces/%s/assignments", base, id) < 0)
		abort();
	json_object_set_new(sp, "links", json_pack("{s:{s:s}, s:{s:s}}", "self", "href", self,
						   "assignments", "href", asg));
	free(base);
	free(self);
	free(asg);
	json_t *actions = json_array();
	static const struct {
		const char *name;
		int space_action; /* -1: a data product action instead */
		enum dp_action dp;
	} acts[] = {
		{"read", SPACE_VIEW, DP_VIEW},        {"update", SPACE_MANAGE, DP_VIEW},
		{"delete", SPACE_OWN, DP_VIEW},       {"change_owner", SPACE_OWN, DP_VIEW},
		{"create", -1, DP_CREATE},            {"publish", -1, DP_PUBLISH},
	};
	for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) {
		enum perm_verdict v = acts[i].space_action >= 0
					      ? perm_space(ctx, (enum space_action)acts[i].space_action)
					      : perm_in_space(ctx, acts[i].dp);
		if (v == PERM_ALLOW)
			json_array_append_new(actions, json_string(acts[i].name));
	}
	json_object_set_new(sp, "meta", json_pack("{s:o, s:o, s:o}", "actions", actions,
						  "assignableRoles",
						  role_names(perm_assignable_roles(ctx->kind)),
						  "roles", role_names(ctx->space_roles)));
	return sp;
}

/* spaces_create's transaction: authorised and validated before it; the
 * tenant's quota (409), then the space. */
struct space_insert_tx {
	const struct req *r;
	json_t *sp; /* borrowed */
	struct api_refusal no;
};

static int space_insert_body(void *cls)
{
	struct space_insert_tx *t = cls;
	struct store *st = t->r->app->store;
	int rc = api_quota_check_tx(&t->no, t->r, QUOTA_SPACES);
	if (rc != 0)
		return rc;
	return st->ops->space_insert(st, t->r->who.tenant_id, t->sp);
}

void spaces_create(struct req *r)
{
	char now[ISO_TS_LEN + 1], id[GUID_LEN + 1], err[512];
	/* authorisation before validation (decisions.md "Check order"): one who
	 * may create no space at all is refused before the body is read; the
	 * type, read alone, decides for the others; then the body is judged */
	enum space_kind kind;
	if (!perm_space_create(r->who.roles, SPACE_SHARED) &&
	    !perm_space_create(r->who.roles, SPACE_MANAGED) &&
	    !perm_space_create(r->who.roles, SPACE_DATA)) {
		reply_error(r, ERR_FORBIDDEN, "creating spaces needs the DataProductCreator or"
					      " TenantAdmin role");
		return;
	}
	json_t *body = api_body_json(r);
	if (!body)
		return;
	const char *type = json_string_value(json_object_get(body, "type"));
	if (perm_space_kind(&kind, type) == 0 && !perm_space_create(r->who.roles, kind)) {
		reply_error(r, ERR_FORBIDDEN, "creating a %s space needs the %s role", type,
			    kind == SPACE_MANAGED ? "TenantAdmin" : "DataProductCreator or TenantAdmin");
		json_decref(body);
		return;
	}
	if (jsonspec_check(body, space_create_spec, err, sizeof err) < 0) {
		reply_error(r, ERR_VALIDATION, "%s", err);
		json_decref(body);
		return;
	}
	if (perm_space_kind(&kind, type) < 0) {
		reply_error(r, ERR_VALIDATION, "'type' must be shared, managed or data");
		json_decref(body);
		return;
	}
	struct api_refusal no;
	if (api_answer(r, check_space_name(&no, json_string_value(json_object_get(body, "name")), "name"),
		       &no) < 0) {
		json_decref(body);
		return;
	}
	if (ids_guid_new(id) < 0) {
		reply_error(r, ERR_INTERNAL, "no entropy for an id");
		json_decref(body);
		return;
	}
	clock_now_iso(now);
	json_t *sp = json_pack("{s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:s}", "id", id, "name",
			       jsonspec_trimmed(json_string_value(json_object_get(body, "name"))),
			       "type", type, "tenantId",
			       r->who.tenant_id, "ownerId", r->who.user_id, "createdBy",
			       r->who.user_id, "createdAt", now, "updatedAt", now);
	const json_t *desc = json_object_get(body, "description");
	if (json_is_string(desc))
		json_object_set(sp, "description", (json_t *)desc);
	json_decref(body);
	struct space_insert_tx t = {.r = r, .sp = sp};
	if (api_tx_run(r, true, space_insert_body, &t, &t.no) < 0) {
		json_decref(sp);
		return;
	}
	struct perm_ctx ctx = {.user_roles = r->who.roles, .kind = kind, .owner = true};
	api_set_etag(r, sp);
	reply_header(r, "Location", "/api/v1/spaces/%s", id);
	reply_json(r, 201, spaces_present(r, sp, &ctx));
}

/* spaces_get's transaction: the space and the caller's context in it. */
struct space_get_tx {
	const struct req *r;
	json_t *sp;          /* out */
	struct perm_ctx ctx; /* out */
	struct api_refusal no;
};

static int space_get_body(void *cls)
{
	struct space_get_tx *t = cls;
	json_decref(t->sp);
	t->sp = NULL;
	return api_space_access_tx(&t->no, t->r, &t->sp, &t->ctx, req_param(t->r, 0), "spaceId");
}

void spaces_get(struct req *r)
{
	struct space_get_tx t = {.r = r};
	if (api_tx_run(r, false, space_get_body, &t, &t.no) == 0) {
		api_set_etag(r, t.sp);
		reply_json(r, 200, spaces_present(r, json_incref(t.sp), &t.ctx));
	}
	json_decref(t.sp);
}

/* spaces_list's transaction: the page and the caller's context in each space. */
struct space_list_tx {
	const struct req *r;
	const struct space_query *q;
	json_t *data;         /* out */
	long total;           /* out */
	struct perm_ctx *ctx; /* out: one per element of data */
};

static int space_list_body(void *cls)
{
	struct space_list_tx *t = cls;
	struct store *st = t->r->app->store;
	json_decref(t->data);
	t->data = NULL;
	free(t->ctx);
	t->ctx = NULL;
	int rc = st->ops->space_list(st, &t->data, &t->total, t->r->who.tenant_id, t->q);
	if (rc < 0)
		return rc;
	t->ctx = calloc(json_array_size(t->data) + 1, sizeof *t->ctx);
	if (!t->ctx)
		abort();
	size_t i;
	json_t *sp;
	json_array_foreach(t->data, i, sp) {
		if ((rc = api_perm_ctx_tx(t->r, &t->ctx[i], sp, NULL)) < 0)
			return rc;
	}
	return 0;
}

void spaces_list(struct req *r)
{
	long limit, page;
	if (api_query_long(r, &limit, "limit", 10, 1, PAGING_MAX_LIMIT) < 0 ||
	    api_query_long(r, &page, "page", 1, 1, PAGING_MAX_PAGE) < 0)
		return;
	struct space_query q = {.limit = limit,
				.type = req_query(r, "type"),
				.name = req_query(r, "name"),
				.owner_id = req_query(r, "ownerId"),
				.viewer_id = r->who.user_id,
				.viewer_is_admin = (r->who.roles & ROLE_TENANT_ADMIN) != 0};
	enum space_kind kind;
	if (q.type && perm_space_kind(&kind, q.type) < 0) {
		reply_error(r, ERR_INVALID_QUERY, "query parameter 'type' must be shared, managed or data");
		return;
	}
	if (q.owner_id && !ids_guid_valid(q.owner_id)) {
		reply_error(r, ERR_INVALID_QUERY, "query parameter 'ownerId' must be a lower-case GUID");
		return;
	}
	if (q.name && (!*q.name || strlen(q.name) > 256)) {
		reply_error(r, ERR_INVALID_QUERY, "query parameter 'name' must be 1 to 256 bytes");
		return;
	}
	struct page_info info;
	paging_compute(&info, page, limit, 0);
	q.offset = info.offset;
	struct space_list_tx t = {.r = r, .q = &q};
	if (api_tx_run(r, false, space_list_body, &t, NULL) < 0) {
		json_decref(t.data);
		free(t.ctx);
		return;
	}
	json_t *data = t.data, *sp;
	long total = t.total;
	size_t i;
	json_array_foreach(data, i, sp) spaces_present(r, sp, &t.ctx[i]);
	free(t.ctx);
	paging_compute(&info, page, limit, total);
	char *base = req_base_url(r), *query = api_query_except(r, "page");
	json_t *links = paging_links(base, "/api/v1/spaces", query, &info);
	free(base);
	free(query);
	/* Spaces lists carry only self/prev/next (spaces.d.ts). */
	json_object_del(links, "first");
	json_object_del(links, "last");
	reply_json(r, 200, json_pack("{s:o, s:o, s:{s:I}}", "data", data, "links", links, "meta",
				     "count", (json_int_t)total));
}

/* Checks a SpacePatch (/name, /description, /ownerId) without touching
 * anything, so a bad body is a 400 whoever sends it. */
static int validate_space_patch(struct api_refusal *no, const json_t *ops)
{
	static const struct field_spec rules[] = {
		{"/name", FIELD_NAME, true, false, 256},
		{"/description", FIELD_STRING, false, true, 4096},
		{"/ownerId", FIELD_GUID, true, false, 0},
		FIELD_END,
	};
	if (!json_is_array(ops) || json_array_size(ops) == 0 || json_array_size(ops) > 8)
		return api_refuse(no, ERR_VALIDATION,
				  "request body must be a JSON Patch array of 1 to 8 operations");
	size_t i;
	json_t *op;
	json_array_foreach(ops, i, op) {
		const char *o = json_string_value(json_object_get(op, "op"));
		const char *path = json_string_value(json_object_get(op, "path"));
		const json_t *v = json_object_get(op, "value");
		char err[384];
		if (!o || strcmp(o, "replace"))
			return api_refuse(no, ERR_VALIDATION,
					  "operation /%zu: only op 'replace' is supported", i);
		const struct field_spec *f = rules;
		while (path && f->name && strcmp(f->name, path))
			f++;
		if (!path || !f->name)
			return api_refuse(no, ERR_VALIDATION,
					  "operation /%zu: path must be /name, /description or /ownerId", i);
		if (!v || jsonspec_check_value(v, f, path + 1, err, sizeof err) < 0)
			return api_refuse(no, ERR_VALIDATION, "operation /%zu: %s", i,
					  v ? err : "'value' is required");
		if (!strcmp(path, "/name") && check_space_name(no, json_string_value(v), "name") != 0)
			return STORE_TX_REFUSED;
	}
	return 0;
}

/* Applies a validated SpacePatch; a new owner needs owner rights and must be
 * a user of the tenant. 0, STORE_TX_REFUSED or a store rc. */
static int apply_space_patch(struct api_refusal *no, const struct req *r, json_t *sp,
			     const json_t *ops, const struct perm_ctx *ctx)
{
	size_t i;
	json_t *op;
	json_array_foreach(ops, i, op) {
		const char *path = json_string_value(json_object_get(op, "path"));
		const json_t *v = json_object_get(op, "value");
		int rc = 0;
		if (!strcmp(path, "/ownerId") &&
		    ((rc = api_verdict_tx(no, perm_space(ctx, SPACE_OWN), "space",
					  json_string_value(json_object_get(sp, "id")))) != 0 ||
		     (rc = api_check_user_tx(no, r, json_string_value(v), "value")) != 0))
			return rc;
		if (json_is_null(v))
			json_object_del(sp, path + 1);
		else if (!strcmp(path, "/name"))
			json_object_set_new(sp, "name", jsonspec_trimmed(json_string_value(v)));
		else
			json_object_set(sp, path + 1, (json_t *)v);
	}
	return 0;
}

/* Does any operation of ops (not yet validated) target /ownerId? */
static bool touches_owner(const json_t *ops)
{
	size_t i;
	json_t *op;
	json_array_foreach(ops, i, op) {
		const char *path = json_string_value(json_object_get(op, "path"));
		if (path && !strcmp(path, "/ownerId"))
			return true;
	}
	return false;
}

/* spaces_patch's, spaces_delete's and assignments_delete's transactions. */
struct space_write_tx {
	const struct req *r;
	json_t *ops; /* borrowed; NULL when the body did not parse (or none) */
	struct api_refusal parse_error;
	json_t *sp;          /* out (patch): the space as it is now */
	struct perm_ctx ctx; /* out (patch): the caller's context in it */
	struct api_refusal no;
};

static int space_patch_body(void *cls)
{
	struct space_write_tx *t = cls;
	const struct req *r = t->r;
	const char *id = req_param(r, 0);
	json_decref(t->sp); /* a rerun starts over */
	t->sp = NULL;
	/* 404, then 403 (an /ownerId op, read alone, needs owner rights), then
	 * the body (400), then If-Match (decisions.md "Check order") */
	int rc = api_space_access_tx(&t->no, r, &t->sp, &t->ctx, id, "spaceId");
	if (rc == 0)
		rc = api_verdict_tx(&t->no, perm_space(&t->ctx, SPACE_MANAGE), "space", id);
	if (rc == 0 && !t->ops) {
		t->no = t->parse_error;
		rc = STORE_TX_REFUSED;
	}
	if (rc == 0 && touches_owner(t->ops))
		rc = api_verdict_tx(&t->no, perm_space(&t->ctx, SPACE_OWN), "space", id);
	if (rc == 0)
		rc = validate_space_patch(&t->no, t->ops);
	if (rc == 0)
		rc = api_if_match_tx(&t->no, r, t->sp);
	if (rc != 0)
		return rc;
	json_t *before = json_deep_copy(t->sp);
	rc = apply_space_patch(&t->no, r, t->sp, t->ops, &t->ctx);
	bool same = json_equal(before, t->sp);
	json_decref(before);
	if (rc != 0 || same) /* a no-op patch writes nothing and keeps the ETag */
		return rc;
	char now[ISO_TS_LEN + 1];
	clock_now_iso(now);
	json_object_set_new(t->sp, "updatedAt", json_string(now));
	struct store *st = r->app->store;
	rc = api_wrote(st->ops->space_update(st, r->who.tenant_id, t->sp));
	/* the owner may have changed: recompute the caller's view */
	if (rc > 0)
		rc = api_perm_ctx_tx(r, &t->ctx, t->sp, NULL);
	return rc;
}

void spaces_patch(struct req *r)
{
	struct space_write_tx t = {.r = r};
	t.ops = api_body_parse(r, &t.parse_error);
	if (api_tx_run(r, true, space_patch_body, &t, &t.no) == 0) {
		api_set_etag(r, t.sp);
		reply_json(r, 200, spaces_present(r, json_incref(t.sp), &t.ctx));
	}
	json_decref(t.sp);
	json_decref(t.ops);
}

static int space_delete_body(void *cls)
{
	struct space_write_tx *t = cls;
	const struct req *r = t->r;
	const char *id = req_param(r, 0);
	struct store *st = r->app->store;
	struct perm_ctx ctx;
	json_t *sp = NULL;
	long usage = 0;
	int rc = api_space_access_tx(&t->no, r, &sp, &ctx, id, "spaceId");
	if (rc == 0)
		rc = api_verdict_tx(&t->no, perm_space(&ctx, SPACE_OWN), "space", id);
	if (rc == 0)
		rc = api_if_match_tx(&t->no, r, sp);
	json_decref(sp);
	if (rc == 0 && (rc = st->ops->space_usage(st, &usage, r->who.tenant_id, id)) > 0)
		rc = 0;
	if (rc == 0 && usage > 0)
		rc = api_refuse(&t->no, ERR_CONFLICT,
				"space '%s' still holds %ld data products or data sets; move or delete"
				" them first",
				id, usage);
	if (rc == 0)
		rc = api_wrote(st->ops->space_delete(st, r->who.tenant_id, id));
	return rc;
}

void spaces_delete(struct req *r)
{
	struct space_write_tx t = {.r = r};
	if (api_tx_run(r, true, space_delete_body, &t, &t.no) == 0)
		reply_empty(r, 204);
}

static json_t *assignment_links(struct req *r, json_t *a)
{
	char *base = req_base_url(r), *self = NULL, *space = NULL;
	const char *sid = json_string_value(json_object_get(a, "spaceId"));
	if (asprintf(&self, "%s/api/v1/spaces/%s/assignments/%s", base, sid,
		     json_string_value(json_object_get(a, "id"))) < 0 ||
	    asprintf(&space, "%s/api/v1/spaces/%s", base, sid) < 0)
		abort();
	json_object_set_new(a, "links", json_pack("{s:{s:s}, s:{s:s}}", "self", "href", self,
						  "space", "href", space));
	free(base);
	free(self);
	free(space);
	return a;
}

/* Parses roles[] against the space kind into *out; STORE_TX_REFUSED (400)
 * when a role does not fit or none is named. */
static int parse_roles(struct api_refusal *no, unsigned *out, const json_t *roles,
		       enum space_kind kind)
{
	unsigned bits = 0, allowed = perm_assignable_roles(kind);
	size_t i;
	json_t *v;
	json_array_foreach(roles, i, v) {
		unsigned bit = perm_role_from_name(json_string_value(v));
		if (!bit || !(bit & allowed))
			return api_refuse(no, ERR_VALIDATION, "'roles[%zu]': '%.32s' cannot be assigned"
					  " in this space type", i, json_string_value(v));
		bits |= bit;
	}
	if (!bits)
		return api_refuse(no, ERR_VALIDATION, "'roles' must name at least one role");
	*out = bits;
	return 0;
}

/* assignments_create's transaction. The body was parsed before it (not
 * yet validated: 404/403 come first, decisions.md "Check order"). A
 * concurrent create for the same assignee that slips past the check
 * conflicts on the store's uniqueness rule; the runner's rerun then finds
 * the winner and answers the same 409. */
struct assignment_create_tx {
	const struct req *r;
	json_t *body;       /* borrowed; NULL when it did not parse */
	struct api_refusal parse_error;
	char id[GUID_LEN + 1];
	json_t *doc;        /* out: the stored assignment */
	struct api_refusal no;
};

static int assignment_create_body(void *cls)
{
	struct assignment_create_tx *t = cls;
	const struct req *r = t->r;
	struct store *st = r->app->store;
	const char *space_id = req_param(r, 0);
	char err[512], now[ISO_TS_LEN + 1];
	struct perm_ctx ctx;
	json_t *existing = NULL;
	json_decref(t->doc); /* a rerun starts over */
	t->doc = NULL;
	int rc = api_space_access_tx(&t->no, r, NULL, &ctx, space_id, "spaceId");
	if (rc == 0)
		rc = api_verdict_tx(&t->no, perm_space(&ctx, SPACE_MANAGE), "space", space_id);
	if (rc != 0)
		return rc;
	if (!t->body) {
		t->no = t->parse_error;
		return STORE_TX_REFUSED;
	}
	if (jsonspec_check(t->body, assignment_spec, err, sizeof err) < 0)
		return api_refuse(&t->no, ERR_VALIDATION, "%s", err);
	const char *type = json_string_value(json_object_get(t->body, "type"));
	const char *assignee = json_string_value(json_object_get(t->body, "assigneeId"));
	if (strcmp(type, "user") != 0)
		return api_refuse(&t->no, ERR_VALIDATION,
				  "'type': only 'user' assignments are supported");
	unsigned roles = 0;
	if ((rc = parse_roles(&t->no, &roles, json_object_get(t->body, "roles"), ctx.kind)) != 0 ||
	    (rc = api_check_user_tx(&t->no, r, assignee, "assigneeId")) != 0)
		return rc;
	rc = st->ops->assignment_find(st, &existing, r->who.tenant_id, space_id, assignee);
	if (rc == STORE_ONE)
		rc = api_refuse(&t->no, ERR_CONFLICT,
				"user '%s' already has an assignment '%s' in this space", assignee,
				json_string_value(json_object_get(existing, "id")));
	json_decref(existing);
	if (rc != STORE_NONE)
		return rc;
	clock_now_iso(now);
	t->doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:s}", "id", t->id,
			   "spaceId", space_id, "tenantId", r->who.tenant_id, "assigneeId", assignee,
			   "type", "user", "roles", role_names(roles), "createdAt", now, "createdBy",
			   r->who.user_id, "updatedAt", now, "updatedBy", r->who.user_id);
	return st->ops->assignment_insert(st, r->who.tenant_id, t->doc, roles);
}

void assignments_create(struct req *r)
{
	struct assignment_create_tx t = {.r = r};
	t.body = api_body_parse(r, &t.parse_error);
	if (ids_guid_new(t.id) < 0) {
		reply_error(r, ERR_INTERNAL, "no entropy for an id");
	} else if (api_tx_run(r, true, assignment_create_body, &t, &t.no) == 0) {
		reply_header(r, "Location", "/api/v1/spaces/%s/assignments/%s", req_param(r, 0),
			     t.id);
		api_set_etag(r, t.doc);
		reply_json(r, 201, assignment_links(r, json_incref(t.doc)));
	}
	json_decref(t.doc);
	json_decref(t.body);
}

struct assignment_list_tx {
	const struct req *r;
	long offset, limit;
	json_t *data; /* out */
	long total;   /* out */
	struct api_refusal no;
};

static int assignment_list_body(void *cls)
{
	struct assignment_list_tx *t = cls;
	const struct req *r = t->r;
	struct store *st = r->app->store;
	struct perm_ctx ctx;
	json_decref(t->data);
	t->data = NULL;
	int rc = api_space_access_tx(&t->no, r, NULL, &ctx, req_param(r, 0), "spaceId");
	if (rc == 0)
		rc = st->ops->assignment_list(st, &t->data, &t->total, r->who.tenant_id,
					      req_param(r, 0), t->offset, t->limit);
	return rc < 0 || rc == STORE_TX_REFUSED ? rc : 0;
}

void assignments_list(struct req *r)
{
	long limit, page;
	if (api_query_long(r, &limit, "limit", 10, 1, PAGING_MAX_LIMIT) < 0 ||
	    api_query_long(r, &page, "page", 1, 1, PAGING_MAX_PAGE) < 0)
		return;
	struct page_info info;
	paging_compute(&info, page, limit, 0);
	struct assignment_list_tx t = {.r = r, .offset = info.offset, .limit = limit};
	if (api_tx_run(r, false, assignment_list_body, &t, &t.no) < 0) {
		json_decref(t.data);
		return;
	}
	json_t *data = t.data;
	long total = t.total;
	size_t i;
	json_t *a;
	json_array_foreach(data, i, a) assignment_links(r, a);
	paging_compute(&info, page, limit, total);
	char *base = req_base_url(r), *query = api_query_except(r, "page"), *path = NULL;
	if (asprintf(&path, "/api/v1/spaces/%s/assignments", req_param(r, 0)) < 0)
		abort();
	json_t *links = paging_links(base, path, query, &info);
	json_object_del(links, "first");
	json_object_del(links, "last");
	free(base);
	free(query);
	free(path);
	reply_json(r, 200, json_pack("{s:o, s:o, s:{s:I}}", "data", data, "links", links, "meta",
				     "count", (json_int_t)total));
}

/* assignments_get's and assignments_delete's transaction. */
struct assignment_tx {
	const struct req *r;
	bool delete;
	json_t *a; /* out (get) */
	struct api_refusal no;
};

static int assignment_body(void *cls)
{
	struct assignment_tx *t = cls;
	const struct req *r = t->r;
	struct store *st = r->app->store;
	struct perm_ctx ctx;
	json_decref(t->a);
	t->a = NULL;
	int rc = api_space_access_tx(&t->no, r, NULL, &ctx, req_param(r, 0), "spaceId");
	if (rc == 0 && t->delete)
		rc = api_verdict_tx(&t->no, perm_space(&ctx, SPACE_MANAGE), "space", req_param(r, 0));
	if (rc != 0)
		return rc;
	rc = st->ops->assignment_get(st, &t->a, r->who.tenant_id, req_param(r, 0), req_param(r, 1));
	if (rc < 0)
		return rc;
	if (rc == STORE_NONE)
		return api_refuse(&t->no, ERR_NOT_FOUND, "assignment '%s' not found", req_param(r, 1));
	if (!t->delete)
		return 0;
	rc = api_if_match_tx(&t->no, r, t->a);
	if (rc == 0)
		rc = api_wrote(st->ops->assignment_delete(st, r->who.tenant_id, req_param(r, 0),
							  req_param(r, 1)));
	return rc;
}

void assignments_get(struct req *r)
{
	struct assignment_tx t = {.r = r};
	if (api_tx_run(r, false, assignment_body, &t, &t.no) == 0) {
		api_set_etag(r, t.a);
		reply_json(r, 200, assignment_links(r, json_incref(t.a)));
	}
	json_decref(t.a);
}

void assignments_delete(struct req *r)
{
	struct assignment_tx t = {.r = r, .delete = true};
	if (api_tx_run(r, true, assignment_body, &t, &t.no) == 0)
		reply_empty(r, 204);
	json_decref(t.a);
}
