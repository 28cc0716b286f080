/* paging: page arithmetic and the links object shared by every paged list
 * (SPEC §3: {data, page, limit, pages, total, links{self,first,last,prev,next}}). */
#ifndef DP_PAGING_H
#define DP_PAGING_H
#include <jansson.h>
#include <stdbool.h>

#define PAGING_MAX_PAGE 1000000L
#define PAGING_MAX_LIMIT 100L
#define PAGING_DEFAULT_LIMIT 20L
/* SPEC §3: totals are exact up to this many matches, then "gte" */
#define PAGING_TOTAL_CAP 10000L

struct page_info {
	long page;   /* 1-based */
	long limit;
	long total;
	long pages;  /* ceil(total/limit), 0 when total is 0 */
	long offset; /* rows to skip */
	/* bounded totals (paging_compute_capped): total is a lower bound, there
	 * is no last page, and more says whether rows follow this page */
	bool total_gte;
	bool more;
};

/* Fills info; page and limit must already be validated (>= 1). */
void paging_compute(struct page_info *info, long page, long limit, long total);
/* Like paging_compute for a count that stopped at cap + 1 (store.h
 * count_limit): counted <= cap is exact; above it total = cap, total_gte is
 * set and pages = ceil(cap/limit) (a lower bound). more starts false: the
 * caller sets it when it knows that rows follow the page. */
void paging_compute_capped(struct page_info *info, long page, long limit, long counted, long cap);
/* Builds {self, first, last, prev?, next?} with hrefs
 * base + path + "?" + query + "page=N" (query is "" or ends with '&').
 * last/first always point at a real page (page 1 when empty). With
 * total_gte: no last; prev is page - 1; next exists when page < pages or
 * more is set. */
json_t *paging_links(const char *base, const char *path, const char *query,
		     const struct page_info *info);
/* Wraps data (stolen) into the list envelope. */
json_t *paging_envelope(json_t *data, json_t *links, const struct page_info *info);
/* paging_envelope plus "totalRelation": "eq" or "gte" (the product list). */
json_t *paging_envelope_capped(json_t *data, json_t *links, const struct page_info *info);

#endif
