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

/* dp_create's transaction: the target space (404/403), the body (400), its
 * references (400), the tenant's quota (409), then the product, its
 * derived numbers and its first changelog entry. */
struct dp_create_tx {
	const struct req *r;
	const json_t *body;
	const char *space;
	const char *id;
	json_t *doc; /* out */
	struct api_refusal no;
};

static int dp_create_body(void *cls)
{
	struct dp_create_tx *t = cls;
	const struct req *r = t->r;
	char err[512], now[ISO_TS_LEN + 1];
	json_t *changes = NULL;
	json_decref(t->doc);
	t->doc = NULL;
	struct perm_ctx ctx = {.user_roles = r->who.roles, .kind = SPACE_PERSONAL, .owner = true};
	int rc = 0;
	if (t->space &&
	    ((rc = api_space_access_tx(&t->no, r, NULL, &ctx, t->space, "spaceId")) != 0 ||
	     (rc = api_verdict_tx(&t->no, perm_in_space(&ctx, DP_CREATE), "space", t->space)) != 0))
		return rc;
	if (product_validate_create(t->body, err, sizeof err) < 0)
		return api_refuse(&t->no, ERR_VALIDATION, "%s", err);
	struct product_actor who = api_actor(r, now);
	if ((rc = api_check_datasets_tx(&t->no, r, json_object_get(t->body, "datasetIds"),
					"datasetIds")) != 0 ||
	    (rc = api_check_contacts_tx(&t->no, r, json_object_get(t->body, "keyContacts"),
					"keyContacts")) != 0)
		return rc;
	if ((rc = api_quota_check_tx(&t->no, r, QUOTA_PRODUCTS)) != 0)
		return rc;
	t->doc = product_new(t->body, t->id, &who, &changes);
	struct store *st = r->app->store;
	rc = st->ops->product_insert(st, r->who.tenant_id, t->doc);
	if (rc >= 0)
		rc = api_product_refresh_tx(r, t->doc, NULL);
	if (rc < 0) {
		json_decref(changes);
		return rc;
	}
	return api_changelog_write_tx(&t->no, r, t->id, &who, changes);
}

void dp_create(struct req *r)
{
	char id[GUID_LEN + 1];
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
	if (ids_guid_new(id) < 0) {
		reply_error(r, ERR_INTERNAL, "no entropy for an id");
		json_decref(body);
		return;
	}
	struct dp_create_tx t = {.r = r, .body = body, .space = space, .id = id};
	if (api_tx_run(r, true, dp_create_body, &t, &t.no) == 0) {
		reply_header(r, "Location", "%s/%s", DP_PATH, id);
		api_set_etag(r, t.doc);
		reply_json(r, 201, json_incref(t.doc));
	}
	json_decref(t.doc);
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

static int list_facets(const struct req *r, json_t **out, const struct product_query *q,
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
		if (rc < 0)
			return rc;
		json_object_set_new(*out, k == 0 ? "tags" : "spaceId", facet_json(f, n));
		store_facets_free(f, n);
	}
	return 0;
}

/* dp_list's transaction: one read transaction, so that the caller's
 * visibility, the page, the count and the facets see the same snapshot. */
struct dp_list_tx {
	const struct req *r;
	struct product_query *q;
	const struct list_params *lp;
	struct store_docs data; /* out: the page, as stored text */
	json_t *facets;         /* out */
	long counted;          /* out */
};

static int dp_list_body(void *cls)
{
	struct dp_list_tx *t = cls;
	const struct req *r = t->r;
	struct store *st = r->app->store;
	char *scope_all = NULL, *scope_activated = NULL;
	json_decref(t->facets);
	t->facets = NULL;
	int rc = api_view_scope_tx(r, t->q, &scope_all, &scope_activated);
	if (rc >= 0)
		rc = st->ops->product_list(st, &t->data, &t->counted, r->who.tenant_id, t->q);
	if (rc >= 0 && (t->lp->facet_tags || t->lp->facet_space))
		rc = list_facets(r, &t->facets, t->q, t->lp);
	t->q->scope_all = t->q->scope_activated = NULL; /* freed here */
	free(scope_all);
	free(scope_activated);
	return rc < 0 ? rc : 0;
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
	struct dp_list_tx t = {.r = r, .q = &q, .lp = &lp};
	store_docs_init(&t.data);
	if (api_tx_run(r, false, dp_list_body, &t, NULL) < 0) {
		store_docs_free(&t.data);
		json_decref(t.facets);
		return;
	}
	long counted = t.counted;
	q.limit--;
	paging_compute_capped(&info, lp.page, q.limit, counted, PAGING_TOTAL_CAP);
	if ((long)t.data.n > q.limit) {
		info.more = true;
		store_docs_truncate(&t.data, (size_t)q.limit);
	}
	char *base = req_base_url(r), *query = api_query_except(r, "page");
	json_t *links = paging_links(base, DP_PATH, query, &info);
	free(base);
	free(query);
	api_reply_docs_page(r, &t.data, links, &info, true, t.facets);
	store_docs_free(&t.data);
}

/* Data sets and key contacts named by the ops must exist. */
static int check_patch_refs(struct api_refusal *no, const struct req *r, const json_t *ops)
{
	size_t i;
	json_t *op;
	json_array_foreach(ops, i, op) {
		const char *path = json_string_value(json_object_get(op, "path"));
		const json_t *v = json_object_get(op, "value");
		int rc = 0;
		if (!strcmp(path, "/datasetIds"))
			rc = api_check_datasets_tx(no, r, v, "datasetIds");
		if (rc == 0 && !strcmp(path, "/keyContacts"))
			rc = api_check_contacts_tx(no, r, v, "keyContacts");
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* dp_patch's and dp_delete's transaction: the product (404/403) before the
 * body is read (decisions.md "Check order"), the body (400), If-Match. */
struct dp_write_tx {
	const struct req *r;
	json_t *ops; /* borrowed (patch); NULL when it did not parse */
	struct api_refusal parse_error;
	struct api_refusal no;
};

static int dp_patch_body(void *cls)
{
	struct dp_write_tx *t = cls;
	const struct req *r = t->r;
	char err[512], now[ISO_TS_LEN + 1];
	json_t *doc = NULL, *next = NULL, *changes = NULL;
	int rc = api_product_access_tx(&t->no, r, &doc, req_param(r, 0), DP_EDIT);
	if (rc != 0)
		return rc;
	if (!t->ops) {
		t->no = t->parse_error;
		rc = STORE_TX_REFUSED;
	} else if (product_patch_validate(t->ops, err, sizeof err) < 0) {
		rc = api_refuse(&t->no, ERR_VALIDATION, "%s", err);
	} else if ((rc = api_if_match_tx(&t->no, r, doc)) != 0 ||
		   (rc = check_patch_refs(&t->no, r, t->ops)) != 0) {
		/* refused */
	} else if (!(next = product_patch_apply(doc, t->ops, &changes, err, sizeof err))) {
		rc = api_refuse(&t->no, ERR_VALIDATION, "%s", err);
	} else if (json_array_size(changes) > 0) {
		struct product_actor who = api_actor(r, now);
		product_touch(next, &who, json_array_size(changes));
		struct store *st = r->app->store;
		rc = api_wrote(st->ops->product_update(st, r->who.tenant_id, next));
		/* only a change of datasetIds moves trust usage and aggregates */
		if (rc >= 0 &&
		    !json_equal(json_object_get(doc, "datasetIds"), json_object_get(next, "datasetIds")))
			rc = api_product_refresh_tx(r, next, json_object_get(doc, "datasetIds"));
		if (rc >= 0)
			rc = api_changelog_write_tx(&t->no, r, req_param(r, 0), &who, changes);
		else
			json_decref(changes);
		changes = NULL;
	}
	json_decref(changes);
	json_decref(next);
	json_decref(doc);
	return rc;
}

void dp_patch(struct req *r)
{
	struct dp_write_tx t = {.r = r};
	t.ops = api_body_parse(r, &t.parse_error);
	if (api_tx_run(r, true, dp_patch_body, &t, &t.no) == 0)
		reply_empty(r, 204);
	json_decref(t.ops);
}

static int dp_delete_body(void *cls)
{
	struct dp_write_tx *t = cls;
	const struct req *r = t->r;
	json_t *doc = NULL;
	int rc = api_product_access_tx(&t->no, r, &doc, req_param(r, 0), DP_EDIT);
	if (rc != 0)
		return rc;
	rc = api_if_match_tx(&t->no, r, doc);
	if (rc == 0 && json_is_true(json_object_get(doc, "activated")))
		rc = api_refuse(&t->no, ERR_PRODUCT_ACTIVATED,
				"data product '%s' is activated; deactivate it before deleting",
				req_param(r, 0));
	if (rc == 0) {
		struct store *st = r->app->store;
		rc = api_wrote(st->ops->product_delete(st, r->who.tenant_id, req_param(r, 0)));
		const struct aggregate_env env = api_aggregate_env(r);
		if (rc > 0) /* its data sets lost a user: their usage changes */
			rc = api_wrote(aggregate_links_changed(&env, r->who.tenant_id,
							       json_object_get(doc, "datasetIds")));
	}
	json_decref(doc);
	return rc;
}

void dp_delete(struct req *r)
{
	struct dp_write_tx t = {.r = r};
	if (api_tx_run(r, true, dp_delete_body, &t, &t.no) == 0)
		reply_empty(r, 204);
}
