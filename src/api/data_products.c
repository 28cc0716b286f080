/* data_products: create, get, list, JSON-Patch update and delete of
 * /api/data-governance/data-products (SPEC §3). Every write and its
 * changelog entry commit in one transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api/api.h"
#include "domain/paging.h"
#include "quality/aggregate.h"

#define DP_PATH "/api/data-governance/data-products"

void dp_create(struct req *r)
{
	char err[512], now[ISO_TS_LEN + 1], id[GUID_LEN + 1];
	json_t *changes = NULL, *doc = NULL;
	/* authorisation before validation (decisions.md, issue 8): one who may
	 * create nowhere (its own personal area is the widest right) is refused
	 * before the body is read; the target space is read from it alone */
	struct perm_ctx ctx = {.user_roles = r->who.roles, .kind = SPACE_PERSONAL, .owner = true};
	if (perm_in_space(&ctx, DP_CREATE) != PERM_ALLOW) {
		reply_error(r, ERR_FORBIDDEN, "creating data products needs the DataProductCreator role");
		return;
	}
	json_t *body = api_body_json(r);
	if (!body)
		return;
	const char *space = NULL;
	(void)api_target_id(body, "spaceId", &space); /* a malformed one: 400 below */
	if (ids_guid_new(id) < 0 || api_begin(r, true) < 0) {
		if (!r->status)
			reply_error(r, ERR_INTERNAL, "no entropy for an id");
		json_decref(body);
		return;
	}
	if (space && (api_space_access(r, NULL, &ctx, space, "spaceId") < 0 ||
		      api_verdict(r, perm_in_space(&ctx, DP_CREATE), "space", space) < 0))
		goto fail;
	if (product_validate_create(body, err, sizeof err) < 0) {
		reply_error(r, ERR_VALIDATION, "%s", err);
		goto fail;
	}
	struct product_actor who = api_actor(r, now);
	if (api_check_datasets(r, json_object_get(body, "datasetIds"), "datasetIds") < 0 ||
	    api_check_contacts(r, json_object_get(body, "keyContacts"), "keyContacts") < 0)
		goto fail;
	doc = product_new(body, id, &who, &changes);
	struct store *st = r->app->store;
	int rc = st->ops->product_insert(st, r->who.tenant_id, doc);
	if (rc < 0) {
		api_store_error(r, rc);
		goto fail;
	}
	if (api_product_refresh(r, doc, NULL) < 0)
		goto fail;
	rc = api_changelog_write(r, id, &who, changes);
	changes = NULL;
	if (rc < 0 || api_commit(r) < 0)
		goto fail;
	json_decref(body);
	reply_header(r, "Location", "%s/%s", DP_PATH, id);
	api_set_etag(r, doc);
	reply_json(r, 201, doc);
	return;
fail:
	api_rollback(r);
	json_decref(changes);
	json_decref(doc);
	json_decref(body);
}

void dp_get(struct req *r)
{
	/* the hot path: the stored JSON and ETag go out as they are */
	struct product_access pa;
	if (api_product_access_raw(r, &pa, req_param(r, 0), DP_VIEW) < 0)
		return;
	reply_header(r, "ETag", "%s", pa.etag);
	reply_text(r, 200, "application/json", pa.text);
}

struct tag_list {
	const char *items[16];
	int n;
	bool overflow;
	bool empty;
};

static void collect_tag(void *arg, const char *v)
{
	struct tag_list *t = arg;
	if (!*v)
		t->empty = true;
	else if (t->n >= 16)
		t->overflow = true;
	else
		t->items[t->n++] = v;
}

/* Parses sort=[+|-]name|createdAt|updatedAt (default -updatedAt). */
static int parse_sort(struct req *r, struct product_query *q)
{
	const char *s = req_query(r, "sort");
	q->sort = SORT_UPDATED_AT;
	q->descending = true;
	if (!s)
		return 0;
	bool desc = false;
	if (*s == '-' || *s == '+' || *s == ' ') /* a raw '+' arrives as ' ' */
		desc = *s++ == '-';
	if (!strcmp(s, "name"))
		q->sort = SORT_NAME;
	else if (!strcmp(s, "createdAt"))
		q->sort = SORT_CREATED_AT;
	else if (!strcmp(s, "updatedAt"))
		q->sort = SORT_UPDATED_AT;
	else {
		reply_error(r, ERR_INVALID_QUERY,
			    "query parameter 'sort' must be name, createdAt or updatedAt, optionally"
			    " prefixed with + or -");
		return -1;
	}
	q->descending = desc;
	return 0;
}

static int parse_list_query(struct req *r, struct product_query *q, long *page,
			    struct tag_list *tags)
{
	memset(q, 0, sizeof *q);
	q->activated = -1;
	if (api_query_long(r, &q->limit, "limit", PAGING_DEFAULT_LIMIT, 1, PAGING_MAX_LIMIT) < 0 ||
	    api_query_long(r, page, "page", 1, 1, PAGING_MAX_PAGE) < 0 || parse_sort(r, q) < 0)
		return -1;
	const char *act = req_query(r, "activated");
	if (act) {
		if (strcmp(act, "true") && strcmp(act, "false")) {
			reply_error(r, ERR_INVALID_QUERY, "query parameter 'activated' must be true or false");
			return -1;
		}
		q->activated = !strcmp(act, "true");
	}
	static const char *const guid_params[] = {"spaceId", "ownerId"};
	for (int i = 0; i < 2; i++) {
		const char *v = req_query(r, guid_params[i]);
		if (v && !ids_guid_valid(v)) {
			reply_error(r, ERR_INVALID_QUERY, "query parameter '%s' must be a lower-case GUID",
				    guid_params[i]);
			return -1;
		}
	}
	q->space_id = req_query(r, "spaceId");
	q->owner_id = req_query(r, "ownerId");
	q->query = req_query(r, "query");
	if (q->query && (!*q->query || strlen(q->query) > 256 || strchr(q->query, '\x1f'))) {
		reply_error(r, ERR_INVALID_QUERY,
			    "query parameter 'query' must be 1 to 256 bytes without U+001F");
		return -1;
	}
	req_query_each(r, "tag", collect_tag, tags);
	if (tags->overflow || tags->empty) {
		reply_error(r, ERR_INVALID_QUERY, "query parameter 'tag' must be non-empty and given"
						  " at most 16 times");
		return -1;
	}
	q->tags = tags->items;
	q->ntags = tags->n;
	return 0;
}

void dp_list(struct req *r)
{
	struct product_query q;
	struct tag_list tags = {0};
	long page;
	if (parse_list_query(r, &q, &page, &tags) < 0)
		return;
	struct page_info info;
	paging_compute(&info, page, q.limit, 0);
	q.offset = info.offset;
	struct store *st = r->app->store;
	json_t *data = NULL;
	long total = 0;
	char *scope_all = NULL, *scope_activated = NULL;
	if (api_begin(r, false) < 0)
		return;
	if (api_view_scope(r, &q, &scope_all, &scope_activated) < 0) {
		api_rollback(r);
		return;
	}
	int rc = st->ops->product_list(st, &data, &total, r->who.tenant_id, &q);
	api_rollback(r); /* read-only: nothing to commit */
	free(scope_all);
	free(scope_activated);
	if (rc < 0) {
		api_store_error(r, rc);
		return;
	}
	paging_compute(&info, page, q.limit, total);
	char *base = req_base_url(r), *query = api_query_except(r, "page");
	json_t *links = paging_links(base, DP_PATH, query, &info);
	free(base);
	free(query);
	reply_json(r, 200, paging_envelope(data, links, &info));
}

/* Data sets and key contacts named by the ops must exist. */
static int check_patch_refs(struct req *r, const json_t *ops)
{
	size_t i;
	json_t *op;
	json_array_foreach(ops, i, op) {
		const char *path = json_string_value(json_object_get(op, "path"));
		const json_t *v = json_object_get(op, "value");
		if (!strcmp(path, "/datasetIds") && api_check_datasets(r, v, "datasetIds") < 0)
			return -1;
		if (!strcmp(path, "/keyContacts") && api_check_contacts(r, v, "keyContacts") < 0)
			return -1;
	}
	return 0;
}

void dp_patch(struct req *r)
{
	char err[512], now[ISO_TS_LEN + 1];
	json_t *ops = NULL, *doc = NULL, *next = NULL, *changes = NULL;
	/* 404/403 before the body is read (decisions.md "Check order") */
	if (api_begin(r, true) < 0)
		goto out;
	if (api_product_access(r, &doc, req_param(r, 0), DP_EDIT) < 0 || !(ops = api_body_json(r)))
		goto fail;
	if (product_patch_validate(ops, err, sizeof err) < 0) {
		reply_error(r, ERR_VALIDATION, "%s", err);
		goto fail;
	}
	if (api_if_match(r, doc) < 0 || check_patch_refs(r, ops) < 0)
		goto fail;
	if (!(next = product_patch_apply(doc, ops, &changes, err, sizeof err))) {
		reply_error(r, ERR_VALIDATION, "%s", err);
		goto fail;
	}
	if (json_array_size(changes) > 0) {
		struct product_actor who = api_actor(r, now);
		product_touch(next, &who, json_array_size(changes));
		struct store *st = r->app->store;
		int rc = st->ops->product_update(st, r->who.tenant_id, next);
		if (rc <= 0) {
			api_store_error(r, rc < 0 ? rc : STORE_HARD);
			goto fail;
		}
		/* only a change of datasetIds moves trust usage and aggregates */
		if (!json_equal(json_object_get(doc, "datasetIds"), json_object_get(next, "datasetIds")) &&
		    api_product_refresh(r, next, json_object_get(doc, "datasetIds")) < 0)
			goto fail;
		rc = api_changelog_write(r, req_param(r, 0), &who, changes);
		changes = NULL;
		if (rc < 0 || api_commit(r) < 0)
			goto fail;
	} else {
		api_rollback(r);
	}
	reply_empty(r, 204);
	goto out;
fail:
	api_rollback(r);
out:
	json_decref(changes);
	json_decref(next);
	json_decref(doc);
	json_decref(ops);
}

void dp_delete(struct req *r)
{
	json_t *doc = NULL;
	if (api_begin(r, true) < 0)
		return;
	if (api_product_access(r, &doc, req_param(r, 0), DP_EDIT) < 0 || api_if_match(r, doc) < 0)
		goto fail;
	if (json_is_true(json_object_get(doc, "activated"))) {
		reply_error(r, ERR_PRODUCT_ACTIVATED,
			    "data product '%s' is activated; deactivate it before deleting",
			    req_param(r, 0));
		goto fail;
	}
	struct store *st = r->app->store;
	int rc = st->ops->product_delete(st, r->who.tenant_id, req_param(r, 0));
	if (rc > 0) /* its data sets lost a user: their usage changes */
		rc = aggregate_datasets_in_tx(r->app, r->who.tenant_id,
					      json_object_get(doc, "datasetIds"), NULL);
	if (api_write_done(r, rc) < 0)
		goto fail;
	json_decref(doc);
	reply_empty(r, 204);
	return;
fail:
	api_rollback(r);
	json_decref(doc);
}
