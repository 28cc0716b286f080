/* aggregate: derived numbers. A data set's trust score is computed from its
 * metadata, its latest quality result, its file's age and the products using
 * it (src/quality/trust.c holds the formulas); a product's quality and
 * trustScore are means over its data sets that have results (SPEC §3).
 *
 * Since issue 12 nothing here rewrites the products sharing a data set
 * inside a request's transaction: a write recomputes what is its own (the
 * trust score of each data set it touches, its own product's aggregates)
 * and marks the rest stale (store.h derive_mark), in its transaction; the
 * deriver (src/jobs/deriver.c) runs aggregate_derive_pass, which takes a
 * tenant's marks, recomputes and clears them in one bounded transaction
 * (docs/decisions.md "Issue 12 -- derived values"). */
#include "quality/aggregate.h"
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "domain/duration.h"
#include "quality/paths.h"
#include "quality/trust.h"
#include "store/tx.h"
#include "util/clock.h"

#define DAY_MS INT64_C(86400000)

static double num(const json_t *o, const char *k) { return json_number_value(json_object_get(o, k)); }

/* Mean of the products' quality/trust values over their data sets. */
int aggregate_product(struct store *st, const char *tenant, json_t *product)
{
	double validity = 0, completeness = 0, score = 0, prev = 0;
	double axis_sum[AX__COUNT] = {0};
	long nq = 0, nt = 0, nprev = 0, axis_n[AX__COUNT] = {0};
	size_t i;
	json_t *id;
	json_array_foreach(json_object_get(product, "datasetIds"), i, id) {
		json_t *q = NULL, *t = NULL;
		char at[ISO_TS_LEN + 1], by[GUID_LEN + 1];
		int rc = st->ops->quality_latest(st, &q, at, by, tenant, json_string_value(id));
		if (rc < 0)
			return rc;
		if (rc == STORE_NONE) /* SPEC §3: only data sets with computed results count */
			continue;
		validity += num(q, "validity");
		completeness += num(q, "completeness");
		nq++;
		json_decref(q);
		if ((rc = st->ops->trust_get(st, &t, tenant, json_string_value(id))) < 0)
			return rc;
		if (rc == STORE_NONE)
			continue;
		score += num(t, "score");
		nt++;
		if (json_is_number(json_object_get(t, "previousScore"))) {
			prev += num(t, "previousScore");
			nprev++;
		}
		size_t k;
		json_t *axis;
		json_array_foreach(json_object_get(t, "axes"), k, axis) {
			const json_t *s = json_object_get(axis, "score");
			for (int a = 0; a < AX__COUNT && json_is_number(s); a++)
				if (!strcmp(trust_axis_name((enum trust_axis)a),
					    json_string_value(json_object_get(axis, "id")))) {
					axis_sum[a] += json_number_value(s);
					axis_n[a]++;
				}
		}
		json_decref(t);
	}
	if (nq)
		json_object_set_new(product, "quality",
				    json_pack("{s:f, s:f}", "validity", validity / (double)nq,
					      "completeness", completeness / (double)nq));
	else
		json_object_del(product, "quality");
	if (!nt) {
		json_object_del(product, "trustScore");
		return STORE_ONE;
	}
	json_t *dims = json_array();
	for (int a = 0; a < AX__COUNT; a++)
		if (axis_n[a])
			json_array_append_new(dims, json_pack("{s:s, s:f, s:I}", "id",
							      trust_axis_name((enum trust_axis)a),
							      "score", axis_sum[a] / (double)axis_n[a],
							      "applicableDatasets", (json_int_t)axis_n[a]));
	json_t *ts = json_pack("{s:f, s:I, s:o}", "score", score / (double)nt, "applicableDatasets",
			       (json_int_t)nt, "dimensions", dims);
	if (nprev)
		json_object_set_new(ts, "previousScore", json_real(prev / (double)nprev));
	json_object_set_new(product, "trustScore", ts);
	return STORE_ONE;
}

/* Normalised Shannon entropy of a field's mostFrequentValues (0..1). */
static double evenness(const json_t *mfv)
{
	double total = 0, h = 0;
	size_t i, k = json_array_size(mfv);
	json_t *f;
	if (k < 2)
		return k == 1 ? 0.0 : -1.0;
	json_array_foreach(mfv, i, f) total += num(f, "frequency");
	if (total <= 0)
		return -1.0;
	json_array_foreach(mfv, i, f) {
		double p = num(f, "frequency") / total;
		if (p > 0)
			h -= p * log(p);
	}
	return h / log((double)k);
}

/* The profile-derived inputs (DIVERSITY) from a computation result. */
static void profile_inputs(struct trust_input *in, const json_t *result)
{
	double ratio = 0, even = 0;
	int nratio = 0, neven = 0;
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(result, "fields"), i, f) {
		const json_t *p = json_object_get(f, "profile");
		double non_empty = num(f, "total") - num(f, "empty");
		if (non_empty > 0) {
			double r = num(p, "distinctValueCount") / non_empty;
			ratio += r > 1 ? 1 : r;
			nratio++;
		}
		double e = evenness(json_object_get(p, "mostFrequentValues"));
		if (e >= 0) {
			even += e;
			neven++;
		}
	}
	in->has_profile = nratio > 0;
	/* NaN = unknown: trust.c then treats the metric as not applicable */
	in->distinct_ratio = nratio ? ratio / nratio : NAN;
	in->evenness = neven ? even / neven : NAN;
	in->rows = (int64_t)num(result, "rows");
}

static void metadata_inputs(struct trust_input *in, const json_t *ds)
{
	const char *desc = json_string_value(json_object_get(ds, "description"));
	in->has_description = desc && *desc;
	in->has_tags = json_array_size(json_object_get(ds, "tags")) > 0;
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(json_object_get(ds, "schema"), "dataFields"), i, f) {
		const char *fd = json_string_value(json_object_get(f, "description"));
		in->fields++;
		in->fields_described += fd && *fd;
		in->fields_tagged += json_array_size(json_object_get(f, "tags")) > 0 ||
				     json_array_size(json_object_get(f, "userTags")) > 0;
	}
	/* properties.expectedUpdatePeriod: an ISO 8601 duration, default 1 day */
	const char *period = json_string_value(
		json_object_get(json_object_get(ds, "properties"), "expectedUpdatePeriod"));
	int64_t ms;
	in->expected_period_ms = period && duration_parse_ms(&ms, period) == 0 && ms > 0 ? ms : DAY_MS;
}

/* The file's modification time, read under the same confinement as a
 * computation (its tenant's directory; an O_PATH descriptor, so FIFOs and
 * the database are never opened for reading). */
static void file_inputs(struct trust_input *in, const char *data_root, const char *tenant,
			const json_t *ds)
{
	struct stat sb;
	const char *loc =
		json_string_value(json_object_get(json_object_get(ds, "operational"), "location"));
	if (quality_stat(&sb, data_root, tenant, loc) == 0 && S_ISREG(sb.st_mode)) {
		int64_t mtime = (int64_t)sb.st_mtim.tv_sec * 1000 + sb.st_mtim.tv_nsec / 1000000;
		in->has_file_time = true;
		in->file_age_ms = clock_now_ms() - mtime;
		if (in->file_age_ms < 0)
			in->file_age_ms = 0;
	}
}

/* trust-scores.d.ts documents scores and weights on a 0..100 scale
 * (GenericScore "[0, 100]", weight example 50); the maths in trust.c works
 * in fractions, so results are scaled once, here, before they are stored. */
static void scale_to_percent(json_t *v)
{
	const char *key;
	json_t *x;
	size_t i;
	if (json_is_object(v)) {
		json_object_foreach(v, key, x) {
			if (json_is_number(x) && (!strcmp(key, "score") || !strcmp(key, "previousScore") ||
						  !strcmp(key, "weight")))
				json_object_set_new(v, key, json_real(json_number_value(x) * 100.0));
			else
				scale_to_percent(x);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x) scale_to_percent(x);
	}
}

/* The inputs a data set's usage counts give (the ones a product link moves). */
static void usage_inputs(struct trust_input *in, long products, long activated)
{
	in->products_using = (int)products;
	in->activated_products_using = (int)activated;
	in->in_activated_product = activated > 0;
}

/* Recomputes and stores one data set's trust score: STORE_ONE when the
 * stored one was already right, STORE_ONE + 1 when it was rewritten. */
static int refresh_trust(const struct aggregate_env *env, const char *tenant, const json_t *ds, long products,
			 long activated)
{
	struct store *st = env->store;
	const char *id = json_string_value(json_object_get(ds, "id"));
	struct trust_input in = {0};
	struct trust_config cfg;
	char at[ISO_TS_LEN + 1], by[GUID_LEN + 1], now[ISO_TS_LEN + 1], err[128];
	json_t *q = NULL, *conf = NULL, *old = NULL;
	int rc = st->ops->quality_latest(st, &q, at, by, tenant, id);
	if (rc < 0)
		return rc;
	if (rc == STORE_ONE) {
		in.has_quality = true;
		in.validity = num(q, "validity");
		in.completeness = num(q, "completeness");
		profile_inputs(&in, q);
		json_decref(q);
	}
	metadata_inputs(&in, ds);
	file_inputs(&in, env->data_root, tenant, ds);
	usage_inputs(&in, products, activated);
	trust_config_default(&cfg);
	if ((rc = st->ops->settings_get(st, &conf, tenant)) < 0)
		return rc;
	if (rc == STORE_ONE) {
		for (int a = 0; a < AX__COUNT; a++) {
			const json_t *ax = json_object_get(conf, trust_axis_name((enum trust_axis)a));
			if (!ax)
				continue;
			cfg.enabled[a] = json_is_true(json_object_get(ax, "enabled"));
			cfg.weight[a] = num(ax, "weight");
		}
		json_decref(conf);
		if (trust_config_normalise(&cfg, err, sizeof err) < 0)
			trust_config_default(&cfg);
	}
	json_t *doc = trust_compute(&cfg, &in);
	if (!doc)
		return STORE_HARD;
	scale_to_percent(doc);
	clock_now_iso(now);
	if ((rc = st->ops->trust_get(st, &old, tenant, id)) < 0) {
		json_decref(doc);
		return rc;
	}
	json_object_set_new(doc, "datasetId", json_string(id));
	if (rc == STORE_ONE) {
		/* Unchanged: keep the stored result, its updatedAt and previousScore.
		 * Changed: the old score becomes previousScore (issue 4). */
		json_t *cmp = json_deep_copy(old);
		json_object_del(cmp, "updatedAt");
		json_object_del(cmp, "previousScore");
		bool same = json_equal(cmp, doc);
		json_decref(cmp);
		if (same) {
			json_decref(old);
			json_decref(doc);
			return STORE_ONE;
		}
		json_object_set(doc, "previousScore", json_object_get(old, "score"));
	}
	json_decref(old);
	json_object_set_new(doc, "updatedAt", json_string(now));
	rc = st->ops->trust_put(st, tenant, id, num(doc, "score"), doc, now);
	json_decref(doc);
	if (rc >= 0)
		rc = STORE_ONE + 1; /* written (refresh_trust's callers count it) */
	return rc;
}

/* ---- counters (GET /metrics) ------------------------------------------------ */

static _Atomic uint64_t n_request_products, n_request_trust, n_derived_products, n_derived_trust,
	n_marks, n_passes;

void aggregate_counts_get(struct aggregate_counts *out)
{
	out->request_products = atomic_load(&n_request_products);
	out->request_trust = atomic_load(&n_request_trust);
	out->derived_products = atomic_load(&n_derived_products);
	out->derived_trust = atomic_load(&n_derived_trust);
	out->marks = atomic_load(&n_marks);
	out->passes = atomic_load(&n_passes);
}

/* ---- marking (inside a writer's transaction) -------------------------------- */

uint64_t aggregate_marks_made(void)
{
	return atomic_load(&n_marks);
}

int aggregate_mark(struct store *st, const char *tenant, const char *kind, const char *id)
{
	int rc = st->ops->derive_mark(st, tenant, kind, id, clock_now_ms());
	if (rc >= 0)
		atomic_fetch_add(&n_marks, 1);
	return rc < 0 ? rc : STORE_ONE;
}

/* One data set's trust score, now (usage counted, no product touched):
 * STORE_NONE when the data set is gone, STORE_ONE when its stored score was
 * already right, STORE_ONE + 1 when it was rewritten. */
static int trust_now(const struct aggregate_env *env, const char *tenant, const char *dataset_id,
		     _Atomic uint64_t *counter)
{
	struct store *st = env->store;
	json_t *ds = NULL;
	long used = 0, activated = 0;
	int rc = st->ops->dataset_get(st, &ds, tenant, dataset_id);
	if (rc == STORE_ONE)
		rc = st->ops->dataset_usage(st, &used, &activated, tenant, dataset_id);
	if (rc == STORE_ONE) {
		rc = refresh_trust(env, tenant, ds, used, activated);
		if (rc == STORE_ONE + 1)
			atomic_fetch_add(counter, 1);
	}
	json_decref(ds);
	return rc;
}

/* A product linked, unlinked, activated or deactivated reaches a data set's
 * trust score through three metrics only, all from its usage counts. *same:
 * the stored score's three already say what the counts give now, so a
 * recomputation would change nothing of what this write changed. (It could
 * still move a time-dependent metric, TIMELINESS_FRESHNESS: that one is
 * brought up to date by the data set's own events, not by every product
 * naming it, or each link to a data set with an old file would rewrite all
 * its sharers again.) No stored score, or one without the three (an axis
 * disabled): *same is false. */
static int usage_unchanged(struct store *st, bool *same, const char *tenant, const char *id)
{
	static const char *const mids[] = {"USAGE_APPS", "USAGE_APP_VIEWS",
					   "DISCOVERABILITY_ACTIVATED"};
	long used = 0, activated = 0;
	json_t *t = NULL;
	*same = false;
	int rc = st->ops->dataset_usage(st, &used, &activated, tenant, id);
	if (rc == STORE_ONE)
		rc = st->ops->trust_get(st, &t, tenant, id);
	if (rc != STORE_ONE)
		return rc;
	struct trust_input in = {0};
	usage_inputs(&in, used, activated);
	/* stored on the wire's 0..100 scale (scale_to_percent) */
	const double want[] = {100.0 * trust_usage_score(in.products_using),
			       100.0 * trust_usage_score(in.activated_products_using),
			       in.in_activated_product ? 100.0 : 0.0};
	int found = 0;
	bool equal = true;
	size_t i, k;
	json_t *axis, *m;
	json_array_foreach(json_object_get(t, "axes"), i, axis) {
		json_array_foreach(json_object_get(axis, "metrics"), k, m) {
			const char *mid = json_string_value(json_object_get(m, "id"));
			const json_t *score = json_object_get(m, "score");
			for (size_t j = 0; mid && j < sizeof mids / sizeof mids[0]; j++)
				if (!strcmp(mid, mids[j]) && json_is_number(score)) {
					found++;
					equal &= fabs(json_number_value(score) - want[j]) < 1e-9;
				}
		}
	}
	json_decref(t);
	*same = found == (int)(sizeof mids / sizeof mids[0]) && equal;
	return STORE_ONE;
}

/* trust_now for each of ids, then a "dataset" mark: always, or (only_moved,
 * a link change) only when the trust score was rewritten or the data set is
 * gone, and with no recomputation at all when its usage metrics stay. */
static int datasets_mark(const struct aggregate_env *env, const char *tenant, const json_t *ids,
			 bool only_moved)
{
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id) {
		const char *dsid = json_string_value(id);
		bool same = false;
		int rc = only_moved ? usage_unchanged(env->store, &same, tenant, dsid) : STORE_ONE;
		if (rc >= 0 && !same) {
			rc = trust_now(env, tenant, dsid, &n_request_trust);
			if (rc >= 0 && (!only_moved || rc != STORE_ONE))
				rc = aggregate_mark(env->store, tenant, "dataset", dsid);
		}
		if (rc < 0)
			return rc;
	}
	return STORE_ONE;
}

int aggregate_datasets_mark(const struct aggregate_env *env, const char *tenant, const json_t *ids)
{
	return datasets_mark(env, tenant, ids, false);
}

int aggregate_links_changed(const struct aggregate_env *env, const char *tenant, const json_t *ids)
{
	return datasets_mark(env, tenant, ids, true);
}

int aggregate_product_write(const struct aggregate_env *env, const char *tenant, json_t *doc,
			    const json_t *old_ids)
{
	struct store *st = env->store;
	json_t *ids = json_deep_copy(json_object_get(doc, "datasetIds"));
	size_t i;
	json_t *id;
	json_array_foreach(old_ids, i, id) {
		bool seen = false;
		size_t j;
		json_t *x;
		json_array_foreach(ids, j, x) seen |= json_equal(x, id);
		if (!seen)
			json_array_append(ids, id);
	}
	int rc = STORE_ONE;
	if (json_array_size(ids) > 0) {
		rc = aggregate_links_changed(env, tenant, ids);
		json_t *before = json_deep_copy(doc);
		if (rc >= 0)
			rc = aggregate_product(st, tenant, doc);
		if (rc >= 0 && !json_equal(before, doc)) {
			rc = st->ops->product_update(st, tenant, doc);
			if (rc >= 0)
				atomic_fetch_add(&n_request_products, 1);
		}
		json_decref(before);
	}
	json_decref(ids);
	return rc < 0 ? rc : STORE_ONE;
}

/* Own transaction: aggregate_datasets_mark for one data set. */
struct trust_tx {
	const struct aggregate_env *env;
	const char *tenant;
	const json_t *ids;
};

static int trust_tx_body(void *cls)
{
	const struct trust_tx *t = cls;
	return aggregate_datasets_mark(t->env, t->tenant, t->ids);
}

int aggregate_dataset_trust(const struct aggregate_env *env, const char *tenant, const char *dataset_id)
{
	json_t *ids = json_pack("[s]", dataset_id);
	struct trust_tx t = {env, tenant, ids};
	int rc = store_tx_run(NULL, env->store, true, trust_tx_body, &t);
	json_decref(ids);
	return rc < 0 ? rc : STORE_ONE;
}

/* ---- the deriver's pass ---------------------------------------------------- */

/* The kinds in the order a pass handles them: a product recomputed in a
 * pass sees the trust scores recomputed before it. */
static const char *const kinds[] = {"tenant", "trust", "dataset", "product"};
#define NKINDS ((int)(sizeof kinds / sizeof kinds[0]))

static int kind_rank(const char *kind)
{
	int k = 0;
	while (k < NKINDS - 1 && strcmp(kind, kinds[k]))
		k++;
	return k;
}

/* A "trust" mark (from a "tenant" one): the data set's trust score, then a
 * "dataset" mark for its products. A "dataset" mark: the writer already
 * recomputed the trust score (it is its own); each product using the data
 * set is marked (each recomputed by a later pass, at most max_marks per
 * transaction). A data set deleted since: its products, if any still name
 * it. */
static int derive_dataset(const struct aggregate_env *env, struct aggregate_pass *p,
			  const char *tenant, const char *dataset_id, bool trust)
{
	struct store *st = env->store;
	if (trust) {
		uint64_t before = atomic_load(&n_derived_trust);
		int rc = trust_now(env, tenant, dataset_id, &n_derived_trust);
		p->trust += (long)(atomic_load(&n_derived_trust) - before);
		/* a "trust" mark is a settings change: its products follow
		 * even when this score stayed (their previous state is unknown) */
		return rc < 0 ? rc : st->ops->derive_mark(st, tenant, "dataset", dataset_id, clock_now_ms());
	}
	json_t *products = NULL;
	long activated = 0;
	int rc = st->ops->dataset_products(st, &products, &activated, tenant, dataset_id);
	size_t i;
	json_t *pid;
	json_array_foreach(products, i, pid) {
		if (rc < 0)
			break;
		rc = st->ops->derive_mark(st, tenant, "product", json_string_value(pid), clock_now_ms());
	}
	json_decref(products);
	return rc;
}

static int derive_product(struct store *st, struct aggregate_pass *p, const char *tenant,
			  const char *product_id)
{
	json_t *doc = NULL;
	int rc = st->ops->product_get(st, &doc, tenant, product_id);
	if (rc != STORE_ONE) /* deleted since: nothing to derive */
		return rc;
	json_t *before = json_deep_copy(doc);
	rc = aggregate_product(st, tenant, doc);
	if (rc >= 0 && !json_equal(before, doc)) {
		rc = st->ops->product_update(st, tenant, doc);
		p->products++;
	}
	json_decref(before);
	json_decref(doc);
	return rc;
}

struct pass_tx {
	const struct aggregate_env *env;
	long max_marks;
	struct aggregate_pass *out;
};

static int pass_body(void *cls)
{
	struct pass_tx *t = cls;
	struct store *st = t->env->store;
	struct aggregate_pass *p = t->out;
	*p = (struct aggregate_pass){0};
	long pending = 0;
	int64_t oldest = 0;
	int rc = st->ops->derive_next(st, p->tenant, &pending, &oldest);
	if (rc <= 0)
		return rc < 0 ? rc : STORE_TX_COMMIT;
	p->oldest_ms = oldest;
	json_t *marks = NULL;
	if ((rc = st->ops->derive_take(st, &marks, p->tenant, t->max_marks)) < 0)
		return rc;
	p->marks = (long)json_array_size(marks);
	p->more = pending > p->marks;
	for (int rank = 0; rank < NKINDS && rc >= 0; rank++) {
		size_t i;
		json_t *m;
		json_array_foreach(marks, i, m) {
			const char *kind = json_string_value(json_array_get(m, 0));
			const char *id = json_string_value(json_array_get(m, 1));
			if (kind_rank(kind) != rank)
				continue;
			if (rank == 0) {
				json_t *ids = NULL;
				rc = st->ops->trust_dataset_ids(st, &ids, p->tenant);
				size_t k;
				json_t *d;
				json_array_foreach(ids, k, d) {
					if (rc < 0)
						break;
					rc = st->ops->derive_mark(st, p->tenant, "trust",
								  json_string_value(d), clock_now_ms());
				}
				p->more |= json_array_size(ids) > 0;
				json_decref(ids);
			} else if (rank < 3) {
				rc = derive_dataset(t->env, p, p->tenant, id, rank == 1);
				p->more = true; /* marks were added */
			} else {
				rc = derive_product(st, p, p->tenant, id);
			}
			if (rc >= 0)
				rc = st->ops->derive_clear(st, p->tenant, kind, id);
			/* a product mark a data set above re-marked is cleared
			 * with it: its data set's trust was recomputed first */
			if (rc == STORE_NONE)
				rc = STORE_ONE;
			if (rc < 0)
				break;
		}
	}
	json_decref(marks);
	return rc < 0 ? rc : STORE_TX_COMMIT;
}

int aggregate_derive_pass(const struct aggregate_env *env, struct aggregate_pass *out, long max_marks)
{
	struct pass_tx t = {env, max_marks > 0 ? max_marks : AGGREGATE_PASS_MARKS, out};
	/* a lone read first: an idle poll never takes the write lock */
	long pending = 0;
	int64_t oldest = 0;
	*out = (struct aggregate_pass){0};
	int rc = env->store->ops->derive_next(env->store, NULL, &pending, &oldest);
	if (rc <= 0)
		return rc < 0 ? rc : STORE_ONE;
	rc = store_tx_run(NULL, env->store, true, pass_body, &t);
	if (rc < 0)
		return rc;
	atomic_fetch_add(&n_passes, 1);
	atomic_fetch_add(&n_derived_products, (uint64_t)out->products);
	return STORE_ONE;
}
