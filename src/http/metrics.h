/* metrics: lock-free request counters and latency histograms per route,
 * rendered in the Prometheus text format at GET /metrics. */
#ifndef DP_METRICS_H
#define DP_METRICS_H
#include <stdint.h>
#include "util/strbuf.h"

struct route;
struct metrics;

struct metrics *metrics_new(const struct route *routes, int nroutes);
void metrics_free(struct metrics *m);
/* route may be NULL for unmatched requests. */
void metrics_observe(struct metrics *m, const struct route *route, unsigned status, int64_t ns);
void metrics_count_db_error(struct metrics *m);
void metrics_count_rate_limited(struct metrics *m);
/* A 5xx caused by a storage condition (enum store_fault kind); it is also
 * counted as a 5xx by the server, so kind="other" is the remainder. */
void metrics_count_db_fault(struct metrics *m, int kind);
void metrics_render(struct metrics *m, struct strbuf *out);

#endif
