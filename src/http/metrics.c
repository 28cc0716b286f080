/* metrics: fixed arrays indexed by route and status slot, bumped with
 * relaxed atomics so observing a request never takes a lock. */
#include "http/metrics.h"
#include <stdlib.h>
#include <string.h>
#include "http/principal_cache.h"
#include "http/router.h"
#include "store/store.h"
#include "util/log.h"

static const unsigned statuses[] = {200, 201, 202, 204, 400, 401, 403, 404, 405, 406,
				    409, 412, 413, 415, 429, 500, 503};
#define NSTATUS (sizeof statuses / sizeof statuses[0] + 1) /* + "other" */
static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
				 0.25, 0.5, 1, 2.5};
#define NBUCKET (sizeof buckets / sizeof buckets[0])

struct route_metrics {
	uint64_t by_status[NSTATUS];
	uint64_t hist[NBUCKET]; /* non-cumulative; summed when rendered */
	uint64_t count;
	uint64_t sum_ns;
};

struct metrics {
	const struct route *routes;
	int nroutes;
	struct route_metrics *per; /* nroutes + 1: last slot = unmatched */
	uint64_t db_errors; /* every 5xx */
	uint64_t db_faults[STORE_FAULT__COUNT]; /* of those, storage conditions by kind */
	uint64_t rate_limited;
};

struct metrics *metrics_new(const struct route *routes, int nroutes)
{
	struct metrics *m = calloc(1, sizeof *m);
	if (!m || !(m->per = calloc((size_t)nroutes + 1, sizeof *m->per)))
		abort();
	m->routes = routes;
	m->nroutes = nroutes;
	return m;
}

void metrics_free(struct metrics *m)
{
	if (m)
		free(m->per);
	free(m);
}

#define BUMP(p, v) __atomic_fetch_add((p), (v), __ATOMIC_RELAXED)
#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)

void metrics_observe(struct metrics *m, const struct route *route, unsigned status, int64_t ns)
{
	int idx = route ? (int)(route - m->routes) : m->nroutes;
	if (idx < 0 || idx > m->nroutes)
		idx = m->nroutes;
	struct route_metrics *rm = &m->per[idx];
	size_t s = NSTATUS - 1;
	for (size_t i = 0; i < NSTATUS - 1; i++)
		if (statuses[i] == status)
			s = i;
	BUMP(&rm->by_status[s], 1);
	double secs = (double)ns / 1e9;
	for (size_t b = 0; b < NBUCKET; b++)
		if (secs <= buckets[b]) {
			BUMP(&rm->hist[b], 1);
			break;
		}
	BUMP(&rm->count, 1);
	BUMP(&rm->sum_ns, ns > 0 ? (uint64_t)ns : 0);
}

void metrics_count_db_error(struct metrics *m) { BUMP(&m->db_errors, 1); }
void metrics_count_rate_limited(struct metrics *m) { BUMP(&m->rate_limited, 1); }

void metrics_count_db_fault(struct metrics *m, int kind)
{
	if (kind > 0 && kind < STORE_FAULT__COUNT)
		BUMP(&m->db_faults[kind], 1);
}

static void route_label(struct metrics *m, int i, struct strbuf *out)
{
	if (i == m->nroutes)
		strbuf_puts(out, "method=\"\",route=\"unmatched\"");
	else
		strbuf_printf(out, "method=\"%s\",route=\"%s\"", m->routes[i].method,
			      m->routes[i].pattern);
}

void metrics_render(struct metrics *m, struct strbuf *out)
{
	strbuf_puts(out, "# HELP dp_http_requests_total HTTP requests by route and status.\n"
			 "# TYPE dp_http_requests_total counter\n");
	for (int i = 0; i <= m->nroutes; i++)
		for (size_t s = 0; s < NSTATUS; s++) {
			uint64_t v = LOAD(&m->per[i].by_status[s]);
			if (!v)
				continue;
			strbuf_puts(out, "dp_http_requests_total{");
			route_label(m, i, out);
			if (s < NSTATUS - 1)
				strbuf_printf(out, ",status=\"%u\"} %lu\n", statuses[s], (unsigned long)v);
			else
				strbuf_printf(out, ",status=\"other\"} %lu\n", (unsigned long)v);
		}
	strbuf_puts(out, "# HELP dp_http_request_duration_seconds Request latency.\n"
			 "# TYPE dp_http_request_duration_seconds histogram\n");
	for (int i = 0; i <= m->nroutes; i++) {
		uint64_t count = LOAD(&m->per[i].count);
		if (!count)
			continue;
		uint64_t cum = 0;
		for (size_t b = 0; b < NBUCKET; b++) {
			cum += LOAD(&m->per[i].hist[b]);
			strbuf_puts(out, "dp_http_request_duration_seconds_bucket{");
			route_label(m, i, out);
			strbuf_printf(out, ",le=\"%g\"} %lu\n", buckets[b], (unsigned long)cum);
		}
		strbuf_puts(out, "dp_http_request_duration_seconds_bucket{");
		route_label(m, i, out);
		strbuf_printf(out, ",le=\"+Inf\"} %lu\n", (unsigned long)count);
		strbuf_puts(out, "dp_http_request_duration_seconds_sum{");
		route_label(m, i, out);
		strbuf_printf(out, "} %.6f\n", (double)LOAD(&m->per[i].sum_ns) / 1e9);
		strbuf_puts(out, "dp_http_request_duration_seconds_count{");
		route_label(m, i, out);
		strbuf_printf(out, "} %lu\n", (unsigned long)count);
	}
	/* kind="other": every other 5xx (the sum over kinds is every 5xx) */
	strbuf_puts(out, "# HELP dp_db_errors_total Storage errors answered with 5xx, by kind.\n"
			 "# TYPE dp_db_errors_total counter\n");
	uint64_t classified = 0;
	for (int k = 1; k < STORE_FAULT__COUNT; k++) {
		uint64_t v = LOAD(&m->db_faults[k]);
		classified += v;
		strbuf_printf(out, "dp_db_errors_total{kind=\"%s\"} %lu\n", store_fault_name(k),
			      (unsigned long)v);
	}
	uint64_t all = LOAD(&m->db_errors);
	strbuf_printf(out, "dp_db_errors_total{kind=\"other\"} %lu\n",
		      (unsigned long)(all > classified ? all - classified : 0));
	strbuf_printf(out, "# HELP dp_rate_limited_total Requests rejected with 429.\n"
			   "# TYPE dp_rate_limited_total counter\ndp_rate_limited_total %lu\n",
		      (unsigned long)LOAD(&m->rate_limited));
	strbuf_printf(out, "# HELP dp_log_dropped_total Log lines dropped because stderr was too slow.\n"
			   "# TYPE dp_log_dropped_total counter\ndp_log_dropped_total %lu\n",
		      (unsigned long)log_dropped_total());
	struct principal_cache_stats pc;
	principal_cache_stats(&pc);
	strbuf_printf(out,
		      "# HELP dp_principal_cache_lookups_total API key and session lookups by the"
		      " principal cache: hit (no store lookup) or miss.\n"
		      "# TYPE dp_principal_cache_lookups_total counter\n"
		      "dp_principal_cache_lookups_total{result=\"hit\"} %lu\n"
		      "dp_principal_cache_lookups_total{result=\"miss\"} %lu\n"
		      "# HELP dp_principal_cache_entries Credentials the principal cache holds.\n"
		      "# TYPE dp_principal_cache_entries gauge\ndp_principal_cache_entries %lu\n",
		      (unsigned long)pc.hits, (unsigned long)pc.misses, (unsigned long)pc.entries);
}
