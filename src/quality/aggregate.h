/* aggregate: keeps derived numbers current — each data set's trust score and
 * each data product's quality and trustScore (SPEC §3 "quality/trustScore",
 * §5) — after a computation finishes or a data set or product changes. */
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

/* Inside the caller's write transaction: recomputes the trust score of each
 * data set in ids (an array of ids; unknown ones are skipped) and the
 * aggregates of every product using them except skip_product (which the
 * caller aggregates itself, NULL for none). */
int aggregate_datasets_in_tx(const struct aggregate_env *env, const char *tenant, const json_t *ids,
			     const char *skip_product);

/* Every stored trust score of the tenant, recomputed (after a settings
 * change). Own transaction. */
int aggregate_tenant_trust(const struct aggregate_env *env, const char *tenant);

/* After a data set changed (metadata, deletion) or its computation finished:
 * recomputes its trust score (unless it was deleted) and the aggregates of
 * every product that references it. Runs its own write transaction; call it
 * after committing the change. Returns a store_rc < 0 on failure. */
int aggregate_dataset_changed(const struct aggregate_env *env, const char *tenant, const char *dataset_id);

#endif
