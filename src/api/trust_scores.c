/* trust_scores: POST /api/data-governance/trust-scores/results/data-sets/
 * actions/filter (trust-scores.d.ts) and the per-tenant axis settings. A
 * score is (re)computed by events — a computation finishing, the data set or
 * the products using it changing — and on request (recomputeUsage: true, or
 * when none exists yet); plain reads return the stored result, so reading
 * never moves previousScore. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "api/api.h"
#include "quality/aggregate.h"
#include "quality/trust.h"
#include "util/log.h"

#define TRUST_MAX_IDS 100

void trust_filter(struct req *r)
{
	json_t *body = api_body_json(r);
	if (!body)
		return;
	static const struct field_spec spec[] = {
		{"datasetIds", FIELD_GUID_SET, true, false, TRUST_MAX_IDS},
		{"recomputeUsage", FIELD_BOOL, false, true, 0},
		FIELD_END,
	};
	char err[384];
	if (jsonspec_check(body, spec, err, sizeof err) < 0) {
		reply_error(r, ERR_VALIDATION, "%s", err);
		json_decref(body);
		return;
	}
	const json_t *ids = json_object_get(body, "datasetIds");
	if (json_array_size(ids) == 0) {
		reply_error(r, ERR_VALIDATION, "'datasetIds' must name 1 to %d data sets", TRUST_MAX_IDS);
		json_decref(body);
		return;
	}
	struct store *st = r->app->store;
	bool recompute = json_is_true(json_object_get(body, "recomputeUsage"));
	json_t *data = json_array();
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id) {
		const char *dsid = json_string_value(id);
		json_t *ds = NULL, *t = NULL;
		int rc = st->ops->dataset_get(st, &ds, r->who.tenant_id, dsid);
		json_decref(ds);
		if (rc == STORE_NONE) /* unknown or another tenant's: not part of the answer */
			continue;
		if (rc >= 0)
			rc = st->ops->trust_get(st, &t, r->who.tenant_id, dsid);
		if (rc == STORE_NONE || (rc >= 0 && recompute)) {
			json_decref(t);
			t = NULL;
			const struct aggregate_env env = api_aggregate_env(r);
			uint64_t marks = aggregate_marks_made();
			rc = aggregate_dataset_trust(&env, r->who.tenant_id, dsid);
			api_derive_kick(r, marks, rc >= 0);
			if (rc >= 0)
				rc = st->ops->trust_get(st, &t, r->who.tenant_id, dsid);
		}
		if (rc < 0) {
			api_store_error(r, rc);
			break;
		}
		if (t)
			json_array_append_new(data, t);
	}
	json_decref(body);
	if (!r->status)
		reply_json(r, 200, json_pack("{s:O}", "data", data));
	json_decref(data);
}

/* {"VALIDITY":{"enabled":true,"weight":16.67}, ...} of a config: weights
 * on the trust-scores API's 0..100 scale (they sum to 100 over enabled axes). */
static json_t *config_json(const struct trust_config *c)
{
	json_t *out = json_object();
	for (int a = 0; a < AX__COUNT; a++)
		json_object_set_new(out, trust_axis_name((enum trust_axis)a),
				    json_pack("{s:b, s:f}", "enabled", c->enabled[a], "weight",
					      c->weight[a] * 100.0));
	return out;
}

static int load_config(const struct req *r, struct trust_config *c)
{
	struct store *st = r->app->store;
	json_t *conf = NULL;
	char err[128];
	trust_config_default(c);
	int rc = st->ops->settings_get(st, &conf, r->who.tenant_id);
	if (rc < 0)
		return rc;
	if (rc == STORE_ONE) {
		for (int a = 0; a < AX__COUNT; a++) {
			const json_t *ax = json_object_get(conf, trust_axis_name((enum trust_axis)a));
			if (ax) {
				c->enabled[a] = json_is_true(json_object_get(ax, "enabled"));
				c->weight[a] = json_number_value(json_object_get(ax, "weight"));
			}
		}
		if (trust_config_normalise(c, err, sizeof err) < 0)
			trust_config_default(c);
	}
	json_decref(conf);
	return 0;
}

/* trust_settings_get's and trust_settings_put's transaction: the settings
 * now, and for a PUT the axes of the body merged into them and stored. */
struct settings_tx {
	const struct req *r;
	const json_t *axes; /* NULL: only read */
	struct trust_config c; /* out */
	json_t *conf;          /* out (put): what was stored */
	struct api_refusal no;
};

static int settings_body(void *cls)
{
	struct settings_tx *t = cls;
	const struct req *r = t->r;
	char err[256];
	json_decref(t->conf);
	t->conf = NULL;
	int rc = load_config(r, &t->c);
	if (rc != 0 || !t->axes)
		return rc;
	const char *name;
	json_t *ax;
	json_object_foreach((json_t *)t->axes, name, ax) {
		int a = 0;
		while (a < AX__COUNT && strcmp(trust_axis_name((enum trust_axis)a), name))
			a++;
		const json_t *en = json_object_get(ax, "enabled"), *w = json_object_get(ax, "weight");
		if (a == AX__COUNT || !json_is_object(ax) || (en && !json_is_boolean(en)) ||
		    (w && (!json_is_number(w) || json_number_value(w) < 0 ||
			   !isfinite(json_number_value(w)))) ||
		    json_object_size(ax) != (size_t)(!!en + !!w))
			return api_refuse(&t->no, ERR_VALIDATION,
					  "'axes.%.32s' must be one of VALIDITY, COMPLETENESS,"
					  " DISCOVERABILITY, TIMELINESS, DIVERSITY, USAGE with"
					  " {enabled: boolean, weight: number >= 0}", name);
		if (en)
			t->c.enabled[a] = json_is_true(en);
		if (w) /* same 0..100 scale as GET reports; only ratios matter */
			t->c.weight[a] = json_number_value(w) / 100.0;
	}
	if (trust_config_normalise(&t->c, err, sizeof err) < 0)
		return api_refuse(&t->no, ERR_VALIDATION, "%s", err);
	struct store *st = r->app->store;
	t->conf = config_json(&t->c);
	rc = api_wrote(st->ops->settings_put(st, r->who.tenant_id, t->conf));
	/* stored scores reflect the old weights: the deriver recomputes every
	 * one of them, and the products using them (issue 12) */
	return rc < 0 ? rc : aggregate_mark(st, r->who.tenant_id, "tenant", r->who.tenant_id);
}

void trust_settings_get(struct req *r)
{
	struct settings_tx t = {.r = r};
	if (api_tx_run(r, false, settings_body, &t, &t.no) == 0)
		reply_json(r, 200, json_pack("{s:o}", "axes", config_json(&t.c)));
}

/* PUT {"axes": {"<AXIS>": {"enabled": bool, "weight": number}, ...}}: axes
 * left out keep their current setting; weights are normalised. */
void trust_settings_put(struct req *r)
{
	/* 403 before the body is read (decisions.md "Check order") */
	if (!(r->who.roles & ROLE_TENANT_ADMIN)) {
		reply_error(r, ERR_FORBIDDEN, "changing trust score settings needs the TenantAdmin role");
		return;
	}
	json_t *body = api_body_json(r);
	if (!body)
		return;
	const json_t *axes = json_object_get(body, "axes");
	if (json_object_size(body) != 1 || !json_is_object(axes)) {
		reply_error(r, ERR_VALIDATION, "body must be {\"axes\": {\"<AXIS>\": {\"enabled\", \"weight\"}}}");
		goto out;
	}
	struct settings_tx t = {.r = r, .axes = axes};
	if (api_tx_run(r, true, settings_body, &t, &t.no) < 0) {
		json_decref(t.conf);
		goto out;
	}
	reply_json(r, 200, json_pack("{s:o}", "axes", t.conf));
out:
	json_decref(body);
}
