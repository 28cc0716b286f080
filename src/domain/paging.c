/* paging: offset/limit arithmetic and absolute links that clients such as
 * @qlik/api's next()/prev() follow verbatim. */
#include "domain/paging.h"
#include <stdio.h>
#include <stdlib.h>

void paging_compute(struct page_info *info, long page, long limit, long total)
{
	info->page = page;
	info->limit = limit;
	info->total = total;
	info->pages = total > 0 ? (total + limit - 1) / limit : 0;
	/* page <= PAGING_MAX_PAGE and limit <= 100 keep this far from overflow */
	info->offset = (page - 1) * limit;
	info->total_gte = false;
	info->more = false;
}

void paging_compute_capped(struct page_info *info, long page, long limit, long counted, long cap)
{
	bool gte = counted > cap;
	paging_compute(info, page, limit, gte ? cap : counted);
	info->total_gte = gte;
}

static json_t *link(const char *base, const char *path, const char *query, long page)
{
	char *href = NULL;
	if (asprintf(&href, "%s%s?%spage=%ld", base, path, query, page) < 0)
		abort();
	json_t *l = json_pack("{s:s}", "href", href);
	free(href);
	return l;
}

json_t *paging_links(const char *base, const char *path, const char *query,
		     const struct page_info *info)
{
	long last = info->pages > 0 ? info->pages : 1;
	json_t *links = json_object();
	json_object_set_new(links, "self", link(base, path, query, info->page));
	json_object_set_new(links, "first", link(base, path, query, 1));
	if (info->total_gte) { /* the last page is unknown */
		if (info->page > 1)
			json_object_set_new(links, "prev", link(base, path, query, info->page - 1));
		if (info->page < info->pages || info->more)
			json_object_set_new(links, "next", link(base, path, query, info->page + 1));
		return links;
	}
	json_object_set_new(links, "last", link(base, path, query, last));
	if (info->page > 1) /* past the end, prev leads back to the last page */
		json_object_set_new(links, "prev", link(base, path, query,
							 info->page - 1 < last ? info->page - 1 : last));
	if (info->page < info->pages)
		json_object_set_new(links, "next", link(base, path, query, info->page + 1));
	return links;
}

json_t *paging_envelope(json_t *data, json_t *links, const struct page_info *info)
{
	return json_pack("{s:o, s:I, s:I, s:I, s:I, s:o}", "data", data, "page",
			 (json_int_t)info->page, "limit", (json_int_t)info->limit, "pages",
			 (json_int_t)info->pages, "total", (json_int_t)info->total, "links", links);
}

json_t *paging_envelope_capped(json_t *data, json_t *links, const struct page_info *info)
{
	json_t *env = paging_envelope(data, links, info);
	json_object_set_new(env, "totalRelation", json_string(info->total_gte ? "gte" : "eq"));
	return env;
}
