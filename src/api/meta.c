/* meta: unauthenticated operational endpoints — liveness, readiness,
 * Prometheus metrics and the server's own OpenAPI document. */
#include <string.h>
#include "api/api.h"
#include "http/metrics.h"
#include "quality/aggregate.h"

/* docs/openapi.json, linked into the binary by src/api/openapi_blob.S */
extern const char openapi_json[];

void meta_health(struct req *r) { reply_json(r, 200, json_pack("{s:s}", "status", "ok")); }

void meta_ready(struct req *r)
{
	struct store *st = r->app->store;
	char reason[320];
	/* degraded by a failed write: a probe write decides whether it is over */
	enum store_fault f = STORE_FAULT_NONE;
	if (store_health(reason, sizeof reason) != STORE_FAULT_NONE &&
	    st->ops->probe_write(st) < 0 &&
	    (f = store_health(reason, sizeof reason)) != STORE_FAULT_NONE) {
		metrics_count_db_fault(r->app->metrics, (int)f);
		reply_error(r, ERR_STORAGE_UNAVAILABLE, "storage unavailable: %s", reason);
		reply_header(r, "Retry-After", "%d", STORAGE_RETRY_AFTER_S);
		return;
	}
	if (st->ops->ping(st) < 0) {
		reply_error(r, ERR_UNAVAILABLE, "database is not reachable");
		reply_header(r, "Retry-After", "%d", STORAGE_RETRY_AFTER_S);
		return;
	}
	reply_json(r, 200, json_pack("{s:s}", "status", "ready"));
}

void meta_metrics(struct req *r)
{
	struct strbuf sb;
	strbuf_init(&sb);
	metrics_render(r->app->metrics, &sb);
	/* SPEC §8 "sessions": live browser sessions, counted in the database
	 * (so every instance reports the same cluster-wide number) */
	struct store *st = r->app->store;
	const struct config *cfg = r->app->cfg;
	long live = 0;
	int64_t now = clock_now_ms();
	int64_t idle_ms = (int64_t)(cfg->session_idle_s ? cfg->session_idle_s : 8 * 3600) * 1000;
	if (st && st->ops->session_count(st, &live, now, now - idle_ms) == STORE_ONE)
		strbuf_printf(&sb, "# HELP dp_sessions_active Browser sessions neither expired nor idle.\n"
				   "# TYPE dp_sessions_active gauge\ndp_sessions_active %ld\n", live);
	/* the group commit (store/tx.h; SQLite only): batches and their sizes */
	if (st && st->writer) {
		struct store_tx_batches b;
		store_tx_batch_counts(&b, st);
		strbuf_printf(&sb, "# HELP dp_db_group_commit_batch_size Write bodies carried by each"
				   " group COMMIT.\n# TYPE dp_db_group_commit_batch_size histogram\n");
		static const char *const le[STORE_TX_HIST] = {"1", "3", "7", "15", "31", "+Inf"};
		unsigned long long cum = 0;
		for (int i = 0; i < STORE_TX_HIST; i++) {
			cum += b.size_hist[i];
			strbuf_printf(&sb, "dp_db_group_commit_batch_size_bucket{le=\"%s\"} %llu\n", le[i],
				      cum);
		}
		strbuf_printf(&sb, "dp_db_group_commit_batch_size_sum %llu\n"
				   "dp_db_group_commit_batch_size_count %llu\n"
				   "# HELP dp_db_group_commit_failures_total Group COMMITs that failed.\n"
				   "# TYPE dp_db_group_commit_failures_total counter\n"
				   "dp_db_group_commit_failures_total %llu\n"
				   "# HELP dp_db_write_queue Write transactions waiting for the writer.\n"
				   "# TYPE dp_db_write_queue gauge\ndp_db_write_queue %ld\n",
			      b.bodies, b.commits, b.commit_failures, b.queued);
	}
	/* issue 12: stale derived values waiting for the deriver (every
	 * instance's marks: one table) and what rewrote derived rows here */
	long pending = 0;
	int64_t oldest = 0;
	if (st && st->ops->derive_next(st, NULL, &pending, &oldest) >= 0)
		strbuf_printf(&sb, "# HELP dp_derive_pending Derived values marked stale, not yet recomputed.\n"
				   "# TYPE dp_derive_pending gauge\ndp_derive_pending %ld\n"
				   "# HELP dp_derive_lag_seconds Age of the oldest stale mark (0: none).\n"
				   "# TYPE dp_derive_lag_seconds gauge\ndp_derive_lag_seconds %.3f\n",
			      pending, pending && now > oldest ? (double)(now - oldest) / 1000.0 : 0.0);
	struct aggregate_counts ac;
	aggregate_counts_get(&ac);
	strbuf_printf(&sb, "# HELP dp_derived_rows_total Derived rows rewritten by this process, by"
			   " who (request: in a request's transaction; deriver) and what.\n"
			   "# TYPE dp_derived_rows_total counter\n"
			   "dp_derived_rows_total{by=\"request\",row=\"product\"} %llu\n"
			   "dp_derived_rows_total{by=\"request\",row=\"trust\"} %llu\n"
			   "dp_derived_rows_total{by=\"deriver\",row=\"product\"} %llu\n"
			   "dp_derived_rows_total{by=\"deriver\",row=\"trust\"} %llu\n"
			   "# HELP dp_derive_marks_total Stale marks made by this process.\n"
			   "# TYPE dp_derive_marks_total counter\ndp_derive_marks_total %llu\n"
			   "# HELP dp_derive_passes_total Deriver passes committed by this process.\n"
			   "# TYPE dp_derive_passes_total counter\ndp_derive_passes_total %llu\n",
		      (unsigned long long)ac.request_products, (unsigned long long)ac.request_trust,
		      (unsigned long long)ac.derived_products, (unsigned long long)ac.derived_trust,
		      (unsigned long long)ac.marks, (unsigned long long)ac.passes);
	reply_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", strbuf_take(&sb));
}

/* @qlik/api fetches this before its first call to each host and, on a 404,
 * again before every call; answering lets the client cache it. */
void meta_product_info(struct req *r)
{
	reply_json(r, 200, json_pack("{s:{s:s, s:s, s:s, s:s, s:s}}", "composition", "productName",
				     "dataproducts", "deploymentType", "dataproducts", "version",
				     DP_VERSION, "senseId", "dataproducts", "releaseLabel", "-"));
}

void meta_openapi(struct req *r)
{
	reply_text(r, 200, "application/json", strdup(openapi_json));
}
