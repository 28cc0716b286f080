/* aggregate: keeps derived numbers current — each data set's trust score and
 * each data product's quality and trustScore (SPEC §3 "quality/trustScore",
 * §5) — after a computation finishes or a data set or product changes: a
 * writer's own numbers in its transaction, the products sharing its data
 * sets by the deriver's passes (issue 12). */
#ifndef DP_AGGREGATE_H
#define DP_AGGREGATE_H
#include <jansson.h>
#include "store/store.h"

/* What the aggregates need from the running service: the store and the
 * data root (file checks feed the trust score). Given by the caller, so
 * quality/ never reaches up into the HTTP server's struct app. */
struct aggregate_env {
	struct store *store;
	const char *data_root;
};

/* Sets product's "quality" and "trustScore" from its data sets' latest
 * results, or removes them when no data set has results. Runs inside the
 * caller's transaction; changes only those two fields. */
int aggregate_product(struct store *st, const char *tenant, json_t *product);

/* Issue 12 (docs/decisions.md "Issue 12 -- derived values"): a write
 * recomputes in its own transaction only what is its own, and marks the rest
 * stale (store.h derive_mark) for the deriver (src/jobs/deriver.c). */

/* Marks kind/id of the tenant stale, in the caller's write transaction:
 * "tenant" (id: the tenant; every trust score), "trust" (a data set's trust
 * score, then its products), "dataset" (the products using it; its trust
 * score is current) or "product" (its quality/trustScore). */
int aggregate_mark(struct store *st, const char *tenant, const char *kind, const char *id);
/* Marks made so far by this process, on any thread. A caller reads it
 * before and after its transaction and, when it moved and the transaction
 * committed, wakes the deriver (the body may run on another thread: the
 * SQLite writer, store/tx.h). Another thread's mark in between only costs
 * an early wake-up. */
uint64_t aggregate_marks_made(void);

/* In the caller's write transaction, for each data set in ids (an array of
 * ids; unknown ones are skipped): its trust score recomputed now (its own
 * numbers: usage counted, no product read or written) and a "dataset" mark,
 * so the deriver brings the products using it up to date. */
int aggregate_datasets_mark(const struct aggregate_env *env, const char *tenant, const json_t *ids);

/* Like aggregate_datasets_mark, for a change that reaches the other
 * products using a data set only through its trust score (a product linked
 * to it or unlinked, created, activated, deactivated or deleted): the
 * "dataset" mark is made only when the trust score was rewritten. With
 * usage counted on a doubling scale (docs/trust.md) that is rare, so one
 * more product on a popular data set costs its sharers nothing. */
int aggregate_links_changed(const struct aggregate_env *env, const char *tenant, const json_t *ids);

/* A product written by a request (created, changed, activated; deleted:
 * call aggregate_links_changed with its data sets instead): the data sets
 * it names now or named before (old_ids, may be NULL) get
 * aggregate_links_changed, then doc gets its own quality/trustScore and is
 * stored again when they changed. Work in proportion to doc's own data
 * sets, never to the products sharing them. Caller's transaction. */
int aggregate_product_write(const struct aggregate_env *env, const char *tenant, json_t *doc,
			    const json_t *old_ids);

/* aggregate_datasets_mark for one data set, in its own write transaction
 * (the trust score endpoint). */
int aggregate_dataset_trust(const struct aggregate_env *env, const char *tenant, const char *dataset_id);

/* One pass of the deriver, in one write transaction: takes up to max_marks
 * (<= 0: AGGREGATE_PASS_MARKS) marks of the tenant with the oldest mark,
 * handles them in the order tenant, trust, dataset, product -- a "tenant"
 * mark marks "trust" each of its data sets with a trust score; a "trust"
 * mark recomputes the data set's trust score and marks it "dataset"; a
 * "dataset" mark marks "product" each product using it; a "product" mark
 * recomputes its quality/trustScore -- and clears them in the same
 * transaction. A fan-out is a mark per row (cheap inserts); the recomputing
 * is max_marks rows at most per transaction. */
#define AGGREGATE_PASS_MARKS 200
struct aggregate_pass {
	char tenant[GUID_LEN + 1]; /* "" when there was nothing to do */
	long marks;                /* marks taken and cleared */
	long products, trust;      /* products and trust scores rewritten */
	int64_t oldest_ms;         /* the oldest mark's time (0: none) */
	bool more;                 /* marks remain (or were added): pass again */
};
int aggregate_derive_pass(const struct aggregate_env *env, struct aggregate_pass *out, long max_marks);

/* Rows rewritten so far by this process, for GET /metrics: by request
 * transactions (their own product, their data sets' trust) and by the
 * deriver; marks made and passes run. */
struct aggregate_counts {
	uint64_t request_products, request_trust, derived_products, derived_trust, marks, passes;
};
void aggregate_counts_get(struct aggregate_counts *out);

#endif
