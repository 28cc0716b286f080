/* data_products: create, get, list, JSON-Patch update and delete of
 * /api/data-governance/data-products (SPEC §3). Every write and its
 * changelog entry commit in one transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api/api.h"
#include "domain/paging.h"
#include "domain/search.h"
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

/* Values of a repeatable query parameter (tag, spaceId), at most 16. */
struct value_list {
	const char *items[PRODUCT_QUERY_MAX_SPACES];
	int n;
	bool overflow;
	bool empty;
};

static void collect_value(void *arg, const char *v)
{
	struct value_list *t = arg;
	if (!*v)
		t->empty = true;
	else if (t->n >= PRODUCT_QUERY_MAX_SPACES)
		t->overflow = true;
	else
		t->items[t->n++] = v;
}

struct list_params {
	struct value_list tags;
	struct value_list spaces;
	const char *space_ids[PRODUCT_QUERY_MAX_SPACES];
	struct search_terms search; /* the parsed `query` (domain/search.h) */
	long page;
	bool facet_tags, facet_space;
};

/* sort=[+|-]name|createdAt|updatedAt|trustScore|quality, or relevance (no
 * prefix, only with query). Default: relevance with a query, else -updatedAt. */
static int parse_sort(struct req *r, struct product_query *q)
{
	static const struct {
		const char *name;
		enum product_sort sort;
	} keys[] = {{"name", SORT_NAME},
		    {"createdAt", SORT_CREATED_AT},
		    {"updatedAt", SORT_UPDATED_AT},
		    {"trustScore", SORT_TRUST_SCORE},
		    {"quality", SORT_QUALITY}};
	const char *s = req_query(r, "sort");
	q->sort = q->search ? SORT_RELEVANCE : SORT_UPDATED_AT;
	q->descending = !q->search;
	if (!s)
		return 0;
	if (!strcmp(s, "relevance")) {
		if (!q->search) {
			reply_error(r, ERR_INVALID_QUERY,
				    "query parameter 'sort' may be relevance only together with 'query'");
			return -1;
		}
		q->sort = SORT_RELEVANCE;
		q->descending = false;
		return 0;
	}
	bool desc = false;
	if (*s == '-' || *s == '+' || *s == ' ') /* a raw '+' arrives as ' ' */
		desc = *s++ == '-';
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (!strcmp(s, keys[i].name)) {
			q->sort = keys[i].sort;
			q->descending = desc;
			return 0;
		}
	reply_error(r, ERR_INVALID_QUERY,
		    "query parameter 'sort' must be name, createdAt, updatedAt, trustScore or quality,"
		    " optionally prefixed with + or -, or relevance (with 'query')");
	return -1;
}

/* facets=tags,spaceId (either or both, comma separated) */
static int parse_facets(struct req *r, struct list_params *lp)
{
	const char *v = req_query(r, "facets");
	if (!v)
		return 0;
	const char *p = v;
	do {
		size_t n = strcspn(p, ",");
		if (n == 4 && !strncmp(p, "tags", 4))
			lp->facet_tags = true;
		else if (n == 7 && !strncmp(p, "spaceId", 7))
			lp->facet_space = true;
		else {
			reply_error(r, ERR_INVALID_QUERY,
				    "query parameter 'facets' must be tags, spaceId or tags,spaceId");
			return -1;
		}
		p += n;
	} while (*p++ == ',');
	return 0;
}

/* minTrustScore: a number from 0 to 100 (the wire scale of trustScore.score) */
static int parse_min_trust(struct req *r, struct product_query *q)
{
	const char *v = req_query(r, "minTrustScore");
	if (!v)
		return 0;
	char *end;
	double d = strtod(v, &end);
	/* digits and at most one '.', no exponent, sign, hex, inf or nan */
	bool plain = *v && strspn(v, "0123456789.") == strlen(v) && strlen(v) <= 24;
	if (!plain || *end || !(d >= 0 && d <= 100)) {
		reply_error(r, ERR_INVALID_QUERY,
			    "query parameter 'minTrustScore' must be a number from 0 to 100");
		return -1;
	}
	q->has_min_trust = true;
	q->min_trust = d;
	return 0;
}

static int parse_spaces(struct req *r, struct product_query *q, struct list_params *lp)
{
	req_query_each(r, "spaceId", collect_value, &lp->spaces);
	if (lp->spaces.overflow || lp->spaces.empty) {
		reply_error(r, ERR_INVALID_QUERY, "query parameter 'spaceId' must be non-empty and"
						  " given at most 16 times");
		return -1;
	}
	for (int i = 0; i < lp->spaces.n; i++) {
		const char *v = lp->spaces.items[i];
		if (!strcmp(v, "personal")) {
			q->personal = true;
		} else if (ids_guid_valid(v)) {
			lp->space_ids[q->nspace_ids++] = v;
		} else {
			reply_error(r, ERR_INVALID_QUERY,
				    "query parameter 'spaceId' must be a lower-case GUID or 'personal'");
			return -1;
		}
	}
	q->space_ids = lp->space_ids;
	return 0;
}

static int parse_list_query(struct req *r, struct product_query *q, struct list_params *lp)
{
	memset(q, 0, sizeof *q);
	q->activated = -1;
	q->count_limit = PAGING_TOTAL_CAP;
	const char *query = req_query(r, "query");
	if (query && (!*query || strlen(query) > 256)) {
		reply_error(r, ERR_INVALID_QUERY, "query parameter 'query' must be 1 to 256 bytes");
		return -1;
	}
	if (query) { /* terms and phrases; the rest of the text is never syntax */
		search_parse(&lp->search, query);
		q->search = &lp->search;
	}
	if (api_query_long(r, &q->limit, "limit", PAGING_DEFAULT_LIMIT, 1, PAGING_MAX_LIMIT) < 0 ||
	    api_query_long(r, &lp->page, "page", 1, 1, PAGING_MAX_PAGE) < 0 || parse_sort(r, q) < 0)
		return -1;
	const char *act = req_query(r, "activated");
	if (act) {
		if (strcmp(act, "true") && strcmp(act, "false")) {
			reply_error(r, ERR_INVALID_QUERY, "query parameter 'activated' must be true or false");
			return -1;
		}
		q->activated = !strcmp(act, "true");
	}
	q->owner_id = req_query(r, "ownerId");
	if (q->owner_id && !ids_guid_valid(q->owner_id)) {
		reply_error(r, ERR_INVALID_QUERY, "query parameter 'ownerId' must be a lower-case GUID");
		return -1;
	}
	if (parse_spaces(r, q, lp) < 0 || parse_min_trust(r, q) < 0 || parse_facets(r, lp) < 0)
		return -1;
	req_query_each(r, "tag", collect_value, &lp->tags);
	if (lp->tags.overflow || lp->tags.empty) {
		reply_error(r, ERR_INVALID_QUERY, "query parameter 'tag' must be non-empty and given"
						  " at most 16 times");
		return -1;
	}
	q->tags = lp->tags.items;
	q->ntags = lp->tags.n;
	return 0;
}

#define FACET_TOP 20

/* {"value","count"} entries; the space facet names personal products "personal" */
static json_t *facet_json(const struct facet_count *f, int n)
{
	json_t *arr = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:I}", "value",
						     f[i].value ? f[i].value : "personal", "count",
						     (json_int_t)f[i].count));
	return arr;
}

static int list_facets(struct req *r, json_t **out, const struct product_query *q,
		       const struct list_params *lp)
{
	struct store *st = r->app->store;
	struct facet_count f[FACET_TOP];
	*out = json_object();
	for (int k = 0; k < 2; k++) {
		if (!(k == 0 ? lp->facet_tags : lp->facet_space))
			continue;
		int n = 0;
		int rc = st->ops->product_facets(st, f, &n, FACET_TOP, r->who.tenant_id, q,
						 k == 0 ? FACET_TAGS : FACET_SPACE);
		if (rc < 0) {
			api_store_error(r, rc);
			return -1;
		}
		json_object_set_new(*out, k == 0 ? "tags" : "spaceId", facet_json(f, n));
		store_facets_free(f, n);
	}
	return 0;
}

void dp_list(struct req *r)
{
	struct product_query q;
	struct list_params lp = {0};
	if (parse_list_query(r, &q, &lp) < 0)
		return;
	struct page_info info;
	paging_compute(&info, lp.page, q.limit, 0);
	q.offset = info.offset;
	q.limit++; /* one row more: does a next page exist? (bounded totals) */
	struct store *st = r->app->store;
	json_t *data = NULL, *facets = NULL;
	long counted = 0;
	char *scope_all = NULL, *scope_activated = NULL;
	if (api_begin(r, false) < 0)
		return;
	if (api_view_scope(r, &q, &scope_all, &scope_activated) < 0) {
		api_rollback(r);
		return;
	}
	/* one read transaction: page, count and facets see the same snapshot */
	int rc = st->ops->product_list(st, &data, &counted, r->who.tenant_id, &q);
	bool failed = rc < 0;
	if (failed)
		api_store_error(r, rc);
	else if ((lp.facet_tags || lp.facet_space) && list_facets(r, &facets, &q, &lp) < 0)
		failed = true; /* answered there */
	api_rollback(r); /* read-only: nothing to commit */
	free(scope_all);
	free(scope_activated);
	if (failed) {
		json_decref(data);
		json_decref(facets);
		return;
	}
	q.limit--;
	paging_compute_capped(&info, lp.page, q.limit, counted, PAGING_TOTAL_CAP);
	if ((long)json_array_size(data) > q.limit) {
		info.more = true;
		json_array_remove(data, (size_t)q.limit);
	}
	char *base = req_base_url(r), *query = api_query_except(r, "page");
	json_t *links = paging_links(base, DP_PATH, query, &info);
	free(base);
	free(query);
	json_t *env = paging_envelope_capped(data, links, &info);
	if (facets)
		json_object_set_new(env, "facets", facets);
	reply_json(r, 200, env);
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
	const struct aggregate_env env = api_aggregate_env(r);
	if (rc > 0) /* its data sets lost a user: their usage changes */
		rc = aggregate_datasets_in_tx(&env, r->who.tenant_id,
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
