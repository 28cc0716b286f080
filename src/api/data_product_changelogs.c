/* data_product_changelogs: GET .../{id}/changelogs, paged and sorted by
 * creation (SPEC §3). Links are absolute so @qlik/api's next() can follow. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api/api.h"
#include "domain/paging.h"

void dp_changelogs(struct req *r)
{
	long limit, page;
	json_t *doc = NULL, *data = NULL;
	/* 404 before the query is judged (decisions.md "Check order") */
	if (api_begin(r, false) < 0)
		return;
	if (api_product_load(r, &doc, req_param(r, 0)) < 0) {
		api_rollback(r);
		return;
	}
	json_decref(doc);
	if (api_query_long(r, &limit, "limit", PAGING_DEFAULT_LIMIT, 1, PAGING_MAX_LIMIT) < 0 ||
	    api_query_long(r, &page, "page", 1, 1, PAGING_MAX_PAGE) < 0) {
		api_rollback(r);
		return;
	}
	const char *sort = req_query(r, "sort");
	bool asc = false;
	if (sort) {
		/* an unencoded '+' reaches us as a space */
		if (!strcmp(sort, "+createdAt") || !strcmp(sort, " createdAt"))
			asc = true;
		else if (strcmp(sort, "-createdAt") != 0) {
			reply_error(r, ERR_INVALID_QUERY,
				    "query parameter 'sort' must be +createdAt or -createdAt");
			api_rollback(r);
			return;
		}
	}
	struct page_info info;
	paging_compute(&info, page, limit, 0);
	long total = 0;
	struct store *st = r->app->store;
	int rc = st->ops->changelog_page(st, &data, &total, r->who.tenant_id, req_param(r, 0), asc,
					 info.offset, limit);
	api_rollback(r);
	if (rc < 0) {
		api_store_error(r, rc);
		return;
	}
	paging_compute(&info, page, limit, total);
	char *base = req_base_url(r), *query = api_query_except(r, "page"), *path = NULL;
	if (asprintf(&path, "/api/data-governance/data-products/%s/changelogs", req_param(r, 0)) < 0)
		abort();
	json_t *links = paging_links(base, path, query, &info);
	free(base);
	free(query);
	free(path);
	reply_json(r, 200, paging_envelope(data, links, &info));
}
