/* common: helpers every handler uses, so each handler reads as
 * parse -> check -> domain call -> store -> reply. */
#include "api/api.h"
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "domain/jsonspec.h"
#include "http/metrics.h"
#include "jobs/deriver.h"
#include "quality/aggregate.h"
#include "util/strbuf.h"

static bool blank_body(const struct req *r)
{
	for (size_t i = 0; i < r->body_len; i++)
		if (!strchr(" \t\r\n", r->body[i]))
			return false;
	return true;
}

static json_t *parse_into(const struct req *r, struct api_refusal *no)
{
	if (jsonspec_too_deep(r->body, r->body_len, JSON_MAX_DEPTH)) {
		api_refuse(no, ERR_INVALID_JSON, "request body nests deeper than %d levels",
			   JSON_MAX_DEPTH);
		return NULL;
	}
	json_error_t e;
	json_t *j = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &e);
	if (!j)
		api_refuse(no, ERR_INVALID_JSON, "request body is not valid JSON: %s (line %d, column %d)",
			   e.text, e.line, e.column);
	return j;
}

json_t *api_body_parse(const struct req *r, struct api_refusal *no)
{
	if (!r->body || blank_body(r)) {
		api_refuse(no, ERR_BAD_REQUEST, "a JSON request body is required");
		return NULL;
	}
	return parse_into(r, no);
}

json_t *api_body_parse_or_empty(const struct req *r, struct api_refusal *no)
{
	if (!r->body || blank_body(r))
		return json_object();
	return parse_into(r, no);
}

json_t *api_body_json(struct req *r)
{
	struct api_refusal no;
	json_t *j = api_body_parse(r, &no);
	if (!j)
		api_answer(r, STORE_TX_REFUSED, &no);
	return j;
}

json_t *api_body_checked(struct req *r, const struct field_spec *spec)
{
	char err[512];
	json_t *body = api_body_json(r);
	if (body && jsonspec_check(body, spec, err, sizeof err) < 0) {
		reply_error(r, ERR_VALIDATION, "%s", err);
		json_decref(body);
		return NULL;
	}
	return body;
}

void api_store_error(struct req *r, int rc)
{
	if (rc == STORE_UNAVAILABLE) {
		reply_storage_unavailable(r);
	} else if (rc == STORE_CONFLICT) {
		/* a uniqueness race the handler's own check did not catch even on
		 * the runner's rerun: still the client's conflict, never a 500 */
		reply_error(r, ERR_CONFLICT, "the request conflicts with a concurrent change; retry it");
	} else if (rc == STORE_RETRY) {
		reply_error(r, ERR_UNAVAILABLE, "the database is busy; retry the request");
		reply_header(r, "Retry-After", "1");
	} else {
		reply_error(r, ERR_INTERNAL, "storage error");
	}
}

int api_query_long_tx(struct api_refusal *no, const struct req *r, long *out, const char *name,
		      long def, long min, long max)
{
	const char *v = req_query(r, name);
	if (!v) {
		*out = def;
		return 0;
	}
	char *end;
	long n = strtol(v, &end, 10);
	if (!*v || *end || n < min || n > max || strlen(v) > 12)
		return api_refuse(no, ERR_INVALID_QUERY,
				  "query parameter '%s' must be an integer from %ld to %ld", name, min,
				  max);
	*out = n;
	return 0;
}

int api_query_long(struct req *r, long *out, const char *name, long def, long min, long max)
{
	struct api_refusal no;
	return api_answer(r, api_query_long_tx(&no, r, out, name, def, min, max), &no);
}

struct qctx {
	struct strbuf *sb;
	const char *skip;
};

static void put_encoded(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-_.~", c))
			strbuf_putc(sb, (char)c);
		else
			strbuf_printf(sb, "%%%02X", c);
	}
}

static void q_cb(void *cls, const char *key, const char *value)
{
	struct qctx *q = cls;
	if (!strcmp(key, q->skip))
		return;
	put_encoded(q->sb, key);
	strbuf_putc(q->sb, '=');
	put_encoded(q->sb, value ? value : "");
	strbuf_putc(q->sb, '&');
}

char *api_query_except(struct req *r, const char *skip)
{
	struct strbuf sb;
	strbuf_init(&sb);
	struct qctx q = {&sb, skip};
	req_query_all(r, q_cb, &q);
	return strbuf_take(&sb);
}

int api_refuse(struct api_refusal *out, enum err_id err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->detail, sizeof out->detail, fmt, ap);
	va_end(ap);
	out->err = err;
	out->etag[0] = '\0';
	return STORE_TX_REFUSED;
}

int api_tx_run(struct req *r, bool write, store_tx_body_fn body, void *cls,
	       const struct api_refusal *refusal)
{
	uint64_t marks = aggregate_marks_made();
	int rc = store_tx_run(NULL, r->app->store, write, body, cls);
	api_derive_kick(r, marks, rc == STORE_TX_COMMIT || rc == STORE_ONE);
	return api_answer(r, rc, refusal);
}

void api_derive_kick(const struct req *r, uint64_t marks_before, bool committed)
{
	if (committed && aggregate_marks_made() != marks_before)
		deriver_notify(r->app->deriver);
}

int api_answer(struct req *r, int rc, const struct api_refusal *refusal)
{
	if (rc == STORE_TX_COMMIT || rc == STORE_ONE)
		return 0;
	if (rc == STORE_TX_REFUSED && refusal) {
		reply_error(r, refusal->err, "%s", refusal->detail);
		if (refusal->etag[0])
			reply_header(r, "ETag", "%s", refusal->etag);
	} else
		api_store_error(r, rc == STORE_TX_REFUSED || rc == STORE_NONE ? STORE_HARD : rc);
	return -1;
}

int api_wrote(int rc) { return rc == STORE_NONE ? STORE_HARD : rc; }

struct aggregate_env api_aggregate_env(const struct req *r)
{
	return (struct aggregate_env){r->app->store, r->app->cfg->data_root};
}

struct product_actor api_actor(const struct req *r, char *now)
{
	clock_now_iso(now);
	return (struct product_actor){r->who.tenant_id, r->who.user_id, now};
}

int api_perm_ctx_tx(const struct req *r, struct perm_ctx *out, const json_t *space,
		    const char *owner_id)
{
	memset(out, 0, sizeof *out);
	out->user_roles = r->who.roles;
	if (!space) {
		out->kind = SPACE_PERSONAL;
		out->owner = owner_id && !strcmp(owner_id, r->who.user_id);
		return 0;
	}
	const char *sid = json_string_value(json_object_get(space, "id"));
	const char *sowner = json_string_value(json_object_get(space, "ownerId"));
	if (perm_space_kind(&out->kind, json_string_value(json_object_get(space, "type"))) < 0)
		out->kind = SPACE_SHARED;
	out->owner = sowner && !strcmp(sowner, r->who.user_id);
	struct store *st = r->app->store;
	int rc = st->ops->space_roles(st, &out->space_roles, r->who.tenant_id, sid, r->who.user_id);
	return rc < 0 ? rc : 0;
}

int api_verdict_tx(struct api_refusal *no, enum perm_verdict v, const char *what, const char *id)
{
	if (v == PERM_ALLOW)
		return 0;
	if (v == PERM_HIDDEN)
		return api_refuse(no, ERR_NOT_FOUND, "%s '%s' not found", what, id);
	return api_refuse(no, ERR_FORBIDDEN, "you lack the role required for this action on %s '%s'",
			  what, id);
}

int api_verdict(struct req *r, enum perm_verdict v, const char *what, const char *id)
{
	struct api_refusal no;
	return api_answer(r, api_verdict_tx(&no, v, what, id), &no);
}

int api_space_access_tx(struct api_refusal *no, const struct req *r, json_t **out,
			struct perm_ctx *ctx, const char *id, const char *field)
{
	json_t *sp = NULL;
	int rc = api_space_load_tx(no, r, &sp, id, field);
	if (rc == 0)
		rc = api_perm_ctx_tx(r, ctx, sp, NULL);
	if (rc == 0 && perm_space(ctx, SPACE_VIEW) != PERM_ALLOW)
		rc = api_refuse(no, ERR_NOT_FOUND, "'%s': space '%s' not found", field, id);
	if (rc == 0 && out)
		*out = sp;
	else
		json_decref(sp);
	return rc;
}

/* Reads product id and the caller's context for it; 404 when it does not
 * exist (no verdict yet). */
static int product_ctx_tx(struct api_refusal *no, const struct req *r, struct product_access *pa,
			  struct perm_ctx *ctx, const char *id)
{
	struct store *st = r->app->store;
	int rc = st->ops->product_get_access(st, pa, r->who.tenant_id, id, r->who.user_id);
	if (rc < 0)
		return rc;
	if (rc == STORE_NONE)
		return api_refuse(no, ERR_NOT_FOUND, "data product '%s' not found", id);
	*ctx = (struct perm_ctx){.user_roles = r->who.roles, .kind = SPACE_PERSONAL,
				 .activated = pa->activated};
	if (pa->in_space) {
		if (perm_space_kind(&ctx->kind, pa->space_type) < 0)
			ctx->kind = SPACE_SHARED;
		ctx->space_roles = pa->roles;
		ctx->owner = !strcmp(pa->space_owner, r->who.user_id);
	} else {
		ctx->owner = !strcmp(pa->owner, r->who.user_id);
	}
	return 0;
}

/* Parses the stored JSON of pa (freed either way) into *out. */
static int stored_doc_tx(struct api_refusal *no, json_t **out, struct product_access *pa,
			 const char *id)
{
	*out = json_loads(pa->text, 0, NULL);
	free(pa->text);
	pa->text = NULL;
	if (!*out)
		return api_refuse(no, ERR_INTERNAL, "stored data product '%s' is unreadable", id);
	return 0;
}

int api_product_ctx_tx(struct api_refusal *no, const struct req *r, json_t **out,
		       struct perm_ctx *ctx, const char *id)
{
	struct product_access pa;
	int rc = product_ctx_tx(no, r, &pa, ctx, id);
	return rc != 0 ? rc : stored_doc_tx(no, out, &pa, id);
}

int api_target_id(const json_t *body, const char *field, const char **out)
{
	const json_t *v = json_object_get(body, field);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!ids_guid_valid(json_string_value(v)))
		return -1;
	*out = json_string_value(v);
	return 0;
}

int api_product_access_raw_tx(struct api_refusal *no, const struct req *r,
			      struct product_access *pa, const char *id, enum dp_action action)
{
	struct perm_ctx ctx;
	int rc = product_ctx_tx(no, r, pa, &ctx, id);
	if (rc != 0)
		return rc;
	rc = api_verdict_tx(no, perm_product(&ctx, action), "data product", id);
	if (rc != 0) {
		free(pa->text);
		pa->text = NULL;
	}
	return rc;
}

int api_product_access_raw(struct req *r, struct product_access *pa, const char *id,
			   enum dp_action action)
{
	struct api_refusal no;
	return api_answer(r, api_product_access_raw_tx(&no, r, pa, id, action), &no);
}

int api_view_scope_tx(const struct req *r, struct product_query *q, char **all, char **activated)
{
	*all = *activated = NULL;
	q->viewer_id = r->who.user_id;
	q->viewer_is_admin = (r->who.roles & ROLE_TENANT_ADMIN) != 0;
	/* personal products: the owner's own area, where it counts as facilitator */
	struct perm_ctx mine = {.user_roles = r->who.roles, .kind = SPACE_PERSONAL, .owner = true};
	q->personal_scope = (int)perm_view_scope(&mine);
	if (q->viewer_is_admin)
		return 0;
	struct store *st = r->app->store;
	json_t *spaces = NULL;
	int rc = st->ops->user_spaces(st, &spaces, r->who.tenant_id, r->who.user_id);
	if (rc < 0)
		return rc;
	json_t *see_all = json_array(), *see_activated = json_array();
	size_t i;
	json_t *sp;
	json_array_foreach(spaces, i, sp) {
		const char *sowner = json_string_value(json_object_get(sp, "ownerId"));
		struct perm_ctx c = {
			.user_roles = r->who.roles,
			.space_roles = (unsigned)json_integer_value(json_object_get(sp, "roles")),
			.owner = sowner && !strcmp(sowner, r->who.user_id),
		};
		if (perm_space_kind(&c.kind, json_string_value(json_object_get(sp, "type"))) < 0)
			c.kind = SPACE_SHARED;
		enum perm_scope scope = perm_view_scope(&c);
		if (scope != SCOPE_NONE)
			json_array_append(scope == SCOPE_ALL ? see_all : see_activated,
					  json_object_get(sp, "id"));
	}
	json_decref(spaces);
	*all = json_dumps(see_all, JSON_COMPACT);
	*activated = json_dumps(see_activated, JSON_COMPACT);
	json_decref(see_all);
	json_decref(see_activated);
	q->scope_all = *all;
	q->scope_activated = *activated;
	return 0;
}

int api_product_access_tx(struct api_refusal *no, const struct req *r, json_t **out,
			  const char *id, enum dp_action action)
{
	struct product_access pa;
	int rc = api_product_access_raw_tx(no, r, &pa, id, action);
	return rc != 0 ? rc : stored_doc_tx(no, out, &pa, id);
}

/* Appends ",\"key\":" and v compactly (v stolen). */
static void put_member(struct strbuf *sb, const char *key, json_t *v)
{
	char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(v);
	if (!t)
		abort();
	strbuf_printf(sb, ",\"%s\":", key);
	strbuf_puts(sb, t);
	free(t);
}

void api_reply_docs_page(struct req *r, const struct store_docs *data, json_t *links,
			 const struct page_info *info, bool capped, json_t *facets)
{
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_puts(&sb, "{\"data\":");
	store_docs_splice(&sb, data);
	strbuf_printf(&sb, ",\"page\":%ld,\"limit\":%ld,\"pages\":%ld,\"total\":%ld", info->page,
		      info->limit, info->pages, info->total);
	put_member(&sb, "links", links);
	if (capped)
		strbuf_printf(&sb, ",\"totalRelation\":\"%s\"", info->total_gte ? "gte" : "eq");
	if (facets)
		put_member(&sb, "facets", facets);
	strbuf_putc(&sb, '}');
	reply_text(r, 200, "application/json", strbuf_take(&sb));
}

void api_etag(char *buf, const json_t *doc) { etag_of(buf, doc); }

void api_set_etag(struct req *r, const json_t *doc)
{
	char etag[ETAG_LEN + 1];
	api_etag(etag, doc);
	reply_header(r, "ETag", "%s", etag);
}

/* True when the If-Match list (comma separated, possibly W/-prefixed) names etag. */
static bool etag_listed(const char *list, const char *etag)
{
	size_t n = strlen(etag);
	for (const char *p = list; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '*')
			return true;
		if (!strncmp(p, "W/", 2))
			p += 2;
		if (!strncmp(p, etag, n) && (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
			return true;
		p += strcspn(p, ",");
	}
	return false;
}

int api_if_match_tx(struct api_refusal *no, const struct req *r, const json_t *doc)
{
	const char *im = req_header(r, "If-Match");
	if (!im)
		return 0;
	char etag[ETAG_LEN + 1];
	api_etag(etag, doc);
	if (etag_listed(im, etag))
		return 0;
	api_refuse(no, ERR_PRECONDITION_FAILED,
		   "If-Match %.80s does not match the current ETag %s; reload and retry", im, etag);
	memcpy(no->etag, etag, sizeof etag);
	return STORE_TX_REFUSED;
}

int api_check_datasets_tx(struct api_refusal *no, const struct req *r, const json_t *ids,
			  const char *field)
{
	struct store *st = r->app->store;
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v) {
		json_t *ds = NULL;
		int rc = st->ops->dataset_get(st, &ds, r->who.tenant_id, json_string_value(v));
		json_decref(ds);
		if (rc < 0)
			return rc;
		if (rc == STORE_NONE)
			return api_refuse(no, ERR_VALIDATION,
					  "'%s[%zu]': data set '%s' does not exist", field, i,
					  json_string_value(v));
	}
	return 0;
}

int api_quota_check_tx(struct api_refusal *no, const struct req *r, enum api_quota q)
{
	const struct config *cfg = r->app->cfg;
	static const struct {
		const char *what, *flag;
	} names[] = {
		[QUOTA_PRODUCTS] = {"data products", "--quota-products"},
		[QUOTA_DATASETS] = {"data sets", "--quota-data-sets"},
		[QUOTA_SPACES] = {"spaces", "--quota-spaces"},
		[QUOTA_USERS] = {"users", "--quota-users"},
	};
	long limit = q == QUOTA_PRODUCTS ? cfg->quota_products
		     : q == QUOTA_DATASETS ? cfg->quota_datasets
		     : q == QUOTA_SPACES   ? cfg->quota_spaces
					   : cfg->quota_users;
	if (limit <= 0)
		return 0; /* unlimited: no read at all */
	struct tenant_usage u = {0};
	struct store *st = r->app->store;
	int rc = st->ops->tenant_usage(st, &u, r->who.tenant_id);
	if (rc < 0)
		return rc;
	long used = q == QUOTA_PRODUCTS ? u.products
		    : q == QUOTA_DATASETS ? u.datasets
		    : q == QUOTA_SPACES   ? u.spaces
					  : u.users;
	if (used >= limit)
		return api_refuse(no, ERR_QUOTA_EXCEEDED,
				  "tenant quota reached: at most %ld %s (%s); delete one first",
				  limit, names[q].what, names[q].flag);
	return 0;
}

int api_check_user_tx(struct api_refusal *no, const struct req *r, const char *user_id,
		      const char *field)
{
	struct store *st = r->app->store;
	json_t *u = NULL;
	int rc = st->ops->user_get(st, &u, r->who.tenant_id, user_id);
	json_decref(u);
	if (rc < 0)
		return rc;
	if (rc == STORE_NONE)
		return api_refuse(no, ERR_VALIDATION, "'%s': user '%s' does not exist", field, user_id);
	return 0;
}

int api_check_contacts_tx(struct api_refusal *no, const struct req *r, const json_t *contacts,
			  const char *field)
{
	size_t i;
	json_t *c;
	json_array_foreach(contacts, i, c) {
		char where[96];
		snprintf(where, sizeof where, "%s[%zu].userId", field, i);
		int rc = api_check_user_tx(no, r, json_string_value(json_object_get(c, "userId")), where);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int api_space_load_tx(struct api_refusal *no, const struct req *r, json_t **out, const char *id,
		      const char *field)
{
	struct store *st = r->app->store;
	json_t *sp = NULL;
	int rc = st->ops->space_get(st, &sp, r->who.tenant_id, id);
	if (rc < 0)
		return rc;
	if (rc == STORE_NONE)
		return api_refuse(no, ERR_NOT_FOUND, "'%s': space '%s' not found", field, id);
	if (out)
		*out = sp;
	else
		json_decref(sp);
	return 0;
}

int api_product_refresh_tx(const struct req *r, json_t *doc, const json_t *old_ids)
{
	const struct aggregate_env env = api_aggregate_env(r);
	int rc = aggregate_product_write(&env, r->who.tenant_id, doc, old_ids);
	return rc < 0 ? rc : 0;
}

int api_changelog_write_tx(struct api_refusal *no, const struct req *r, const char *product_id,
			   const struct product_actor *who, json_t *changes)
{
	if (json_array_size(changes) == 0) {
		json_decref(changes);
		return 0;
	}
	char id[GUID_LEN + 1];
	if (ids_guid_new(id) < 0) {
		json_decref(changes);
		return api_refuse(no, ERR_INTERNAL, "no entropy for an id");
	}
	json_t *entry = changelog_entry_new(id, who, changes);
	struct store *st = r->app->store;
	int rc = st->ops->changelog_append(st, r->who.tenant_id, product_id, entry);
	json_decref(entry);
	/* the product was written in this transaction: "not the tenant's" here
	 * is a broken invariant, and a write must never commit without its entry */
	if (rc == STORE_NONE)
		return STORE_HARD;
	return rc < 0 ? rc : 0;
}
