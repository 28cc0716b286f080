/* paging: page arithmetic and the links object shared by every paged list
 * (SPEC §3: {data, page, limit, pages, total, links{self,first,last,prev,next}}). */
#ifndef DP_PAGING_H
#define DP_PAGING_H
#include <jansson.h>

#define PAGING_MAX_PAGE 1000000L
#define PAGING_MAX_LIMIT 100L
#define PAGING_DEFAULT_LIMIT 20L

struct page_info {
	long page;   /* 1-based */
	long limit;
	long total;
	long pages;  /* ceil(total/limit), 0 when total is 0 */
	long offset; /* rows to skip */
};

/* Fills info; page and limit must already be validated (>= 1). */
void paging_compute(struct page_info *info, long page, long limit, long total);
/* Builds {self, first, last, prev?, next?} with hrefs
 * base + path + "?" + query + "page=N" (query is "" or ends with '&').
 * last/first always point at a real page (page 1 when empty). */
json_t *paging_links(const char *base, const char *path, const char *query,
		     const struct page_info *info);
/* Wraps data (stolen) into the list envelope. */
json_t *paging_envelope(json_t *data, json_t *links, const struct page_info *info);

#endif
