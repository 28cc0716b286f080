/* app_datasets: the web app's data set picker (issue 9). The Qlik API has
 * no list of data sets, and a producer choosing a product's data sets needs
 * one:
 *   GET /api/app/data-sets?query=&limit=&page=
 *     -> {data:[{id, name, technicalName, description?, spaceId?}],
 *         page, limit, pages, total, links}
 * Every user of the tenant may read (and reference) its data sets
 * (docs/decisions.md "Data sets"), so the list is the tenant's, nothing
 * more, nothing less: another tenant's data sets never appear. Sorted by
 * name (ASCII case-insensitive), then id; `query` is a case-insensitive
 * substring of name or technicalName. Only the fields a picker shows are
 * returned: the full document is one GET /api/v1/data-sets/{id} away. */
#include <stdlib.h>
#include <string.h>
#include "api/api.h"
#include "domain/paging.h"

#define DATASETS_PATH "/api/app/data-sets"

/* The picker's view of a stored data set document. */
static json_t *summary(const json_t *ds)
{
	json_t *o = json_object();
	static const char *const keys[] = {"id", "name", "technicalName", "description", "spaceId",
					   NULL};
	for (const char *const *k = keys; *k; k++) {
		json_t *v = json_object_get(ds, *k);
		if (json_is_string(v))
			json_object_set(o, *k, v);
	}
	/* name and technicalName are required by create/PUT: never missing */
	if (!json_object_get(o, "technicalName"))
		json_object_set_new(o, "technicalName", json_string(""));
	if (!json_object_get(o, "name"))
		json_object_set_new(o, "name", json_string(""));
	return o;
}

struct dataset_list_tx {
	const struct req *r;
	const char *query;
	long offset, limit;
	json_t *docs; /* out */
	long total;   /* out */
};

static int dataset_list_body(void *cls)
{
	struct dataset_list_tx *t = cls;
	struct store *st = t->r->app->store;
	json_decref(t->docs);
	t->docs = NULL;
	int rc = st->ops->dataset_list(st, &t->docs, &t->total, t->r->who.tenant_id, t->query,
				       t->offset, t->limit);
	return rc < 0 ? rc : 0;
}

void app_datasets_list(struct req *r)
{
	long limit, page;
	const char *query = req_query(r, "query");
	if (query && (!*query || strlen(query) > 256 || strchr(query, '\x1f'))) {
		reply_error(r, ERR_INVALID_QUERY,
			    "query parameter 'query' must be 1 to 256 bytes without U+001F");
		return;
	}
	if (api_query_long(r, &limit, "limit", PAGING_DEFAULT_LIMIT, 1, PAGING_MAX_LIMIT) < 0 ||
	    api_query_long(r, &page, "page", 1, 1, PAGING_MAX_PAGE) < 0)
		return;
	struct page_info info;
	paging_compute(&info, page, limit, 0);
	struct dataset_list_tx t = {r, query, info.offset, limit, NULL, 0};
	if (api_tx_run(r, false, dataset_list_body, &t, NULL) < 0) {
		json_decref(t.docs);
		return;
	}
	json_t *docs = t.docs;
	long total = t.total;
	json_t *data = json_array();
	size_t i;
	json_t *d;
	json_array_foreach(docs, i, d) json_array_append_new(data, summary(d));
	json_decref(docs);
	paging_compute(&info, page, limit, total);
	char *base = req_base_url(r), *q = api_query_except(r, "page");
	json_t *links = paging_links(base, DATASETS_PATH, q, &info);
	free(base);
	free(q);
	reply_json(r, 200, paging_envelope(data, links, &info));
}
