/* data_product_changelogs: GET .../{id}/changelogs, paged and sorted by
 * creation (SPEC §3). Links are absolute so @qlik/api's next() can follow.
 * The entries go out as they were stored, spliced (store/docs.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api/api.h"
#include "domain/paging.h"

/* dp_changelogs' transaction: the product (404/403) before the query is
 * judged (decisions.md "Check order"; the query was parsed before, its
 * refusal kept), then the page. */
struct changelogs_tx {
	const struct req *r;
	int query_rc; /* 0, or STORE_TX_REFUSED with query_error */
	struct api_refusal query_error;
	bool asc;
	long offset, limit;
	struct store_docs data; /* out */
	long total;   /* out */
	struct api_refusal no;
};

static int changelogs_body(void *cls)
{
	struct changelogs_tx *t = cls;
	const struct req *r = t->r;
	/* the product's permission read only: its document is not needed */
	struct product_access pa;
	store_docs_clear(&t->data);
	int rc = api_product_access_raw_tx(&t->no, r, &pa, req_param(r, 0), DP_VIEW);
	if (rc != 0)
		return rc;
	free(pa.text);
	if (t->query_rc != 0) {
		t->no = t->query_error;
		return t->query_rc;
	}
	struct store *st = r->app->store;
	rc = st->ops->changelog_page(st, &t->data, &t->total, r->who.tenant_id, req_param(r, 0),
				     t->asc, t->offset, t->limit);
	return rc < 0 ? rc : 0;
}

void dp_changelogs(struct req *r)
{
	long limit = 0, page = 0;
	struct changelogs_tx t = {.r = r};
	store_docs_init(&t.data);
	t.query_rc = api_query_long_tx(&t.query_error, r, &limit, "limit", PAGING_DEFAULT_LIMIT, 1,
				       PAGING_MAX_LIMIT);
	if (t.query_rc == 0)
		t.query_rc = api_query_long_tx(&t.query_error, r, &page, "page", 1, 1,
					       PAGING_MAX_PAGE);
	const char *sort = req_query(r, "sort");
	if (t.query_rc == 0 && sort) {
		/* an unencoded '+' reaches us as a space */
		if (!strcmp(sort, "+createdAt") || !strcmp(sort, " createdAt"))
			t.asc = true;
		else if (strcmp(sort, "-createdAt") != 0)
			t.query_rc = api_refuse(&t.query_error, ERR_INVALID_QUERY,
						"query parameter 'sort' must be +createdAt or -createdAt");
	}
	struct page_info info;
	paging_compute(&info, page ? page : 1, limit ? limit : 1, 0);
	t.offset = info.offset;
	t.limit = limit;
	if (api_tx_run(r, false, changelogs_body, &t, &t.no) < 0) {
		store_docs_free(&t.data);
		return;
	}
	paging_compute(&info, page, limit, t.total);
	char *base = req_base_url(r), *query = api_query_except(r, "page"), *path = NULL;
	if (asprintf(&path, "/api/data-governance/data-products/%s/changelogs", req_param(r, 0)) < 0)
		abort();
	json_t *links = paging_links(base, path, query, &info);
	free(base);
	free(query);
	free(path);
	api_reply_docs_page(r, &t.data, links, &info, false, NULL);
	store_docs_free(&t.data);
}
