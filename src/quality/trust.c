/* trust: Qlik-style trust scores (trust-scores.d.ts). Every formula here is
 * written out, with its edge cases and a worked example, in docs/trust.md;
 * tests/unit/test_trust.c checks each one and recomputes that example.
 *
 * Shape of the computation:
 *   metric score  in [0,1], or "not applicable" (no score)
 *   axis score    = sum(w_m * s_m) over its applicable metrics, with the
 *                   axis's nominal metric weights renormalised over them
 *   overall score = sum(W_a * S_a) over the enabled, applicable axes, with the
 *                   tenant's axis weights renormalised over them; 0 if none.
 * The weights reported in the JSON are the effective ones (those renormalised
 * weights; 0 for what does not count), so score = sum(weight * score) can be
 * checked on the response itself. Nothing is rounded. */
#include "quality/trust.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#define DAY_MS 86400000LL
#define MAX_METRICS 5

static const char *const axis_names[AX__COUNT] = {
	[AX_VALIDITY] = "VALIDITY",		[AX_COMPLETENESS] = "COMPLETENESS",
	[AX_DISCOVERABILITY] = "DISCOVERABILITY", [AX_TIMELINESS] = "TIMELINESS",
	[AX_DIVERSITY] = "DIVERSITY",		[AX_USAGE] = "USAGE",
};

const char *trust_axis_name(enum trust_axis a)
{
	return (unsigned)a < AX__COUNT ? axis_names[a] : NULL;
}

void trust_config_default(struct trust_config *c)
{
	for (int a = 0; a < AX__COUNT; a++) {
		c->enabled[a] = true;
		c->weight[a] = 1.0 / AX__COUNT;
	}
}

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t errlen,
								const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int trust_config_normalise(struct trust_config *c, char *err, size_t errlen)
{
	double max = 0;
	bool any = false;
	for (int a = 0; a < AX__COUNT; a++) {
		double w = c->weight[a];
		if (!isfinite(w) || w < 0) {
			set_err(err, errlen, "weight of axis %s must be a finite number >= 0",
				axis_names[a]);
			return -1;
		}
		if (c->enabled[a]) {
			any = true;
			if (w > max)
				max = w;
		}
	}
	if (!any) {
		set_err(err, errlen, "at least one trust score axis must be enabled");
		return -1;
	}
	if (max == 0) {
		set_err(err, errlen, "the weights of the enabled trust score axes are all 0");
		return -1;
	}
	/* Dividing by the largest weight first keeps the sum finite (<= 6) even
	 * for weights near DBL_MAX. */
	double sum = 0;
	for (int a = 0; a < AX__COUNT; a++)
		if (c->enabled[a])
			sum += c->weight[a] / max;
	for (int a = 0; a < AX__COUNT; a++)
		c->weight[a] = c->enabled[a] ? c->weight[a] / max / sum : 0.0;
	return 0;
}

/* ---- numerics ---------------------------------------------------------- */

static double unit(double x)
{
	return x < 0 ? 0 : x > 1 ? 1 : x;
}

/* 1 - 1/(1+b) where b is n rounded down to a power of two: 0 for nobody,
 * 1/2 for one, 2/3 for two or three, 4/5 for four to seven, ... -> 1. The
 * score moves only when the count crosses a power of two, so one more
 * product using a data set shared by N others rewrites their trust scores
 * only when N+1 is a power of two: at most two product recomputations per
 * link, amortised (docs/trust.md, docs/decisions.md "Issue 12"). */
double trust_usage_score(int n)
{
	if (n <= 0)
		return 0;
	unsigned b = 1;
	while (b <= (unsigned)n / 2)
		b *= 2;
	return 1.0 - 1.0 / (1.0 + (double)b);
}

/* ---- metrics ----------------------------------------------------------- */

struct metric {
	const char *id;
	double nominal;  /* documented weight within the axis */
	bool applicable;
	double score;    /* meaningful only when applicable */
	double weight;   /* effective: nominal renormalised over applicable metrics */
};

static void put(struct metric *m, int *n, const char *id, double nominal, bool applicable,
		double score)
{
	/* A non-finite input (NaN from a broken profile) makes the metric not
	 * applicable rather than poisoning the score; out-of-range ones clamp. */
	if (applicable && !isfinite(score))
		applicable = false;
	m[*n] = (struct metric){id, nominal, applicable, applicable ? unit(score) : 0, 0};
	(*n)++;
}

static double ratio(int part, int whole)
{
	if (part < 0)
		part = 0;
	return part >= whole ? 1.0 : (double)part / whole;
}

/* TIMELINESS_FRESHNESS: 1 while age <= period, then halves every period. */
static double freshness(int64_t age_ms, int64_t period_ms)
{
	if (period_ms <= 0)
		period_ms = DAY_MS;
	if (age_ms <= period_ms) /* also a negative age: mtime in the future */
		return 1;
	return exp2(-(((double)age_ms - (double)period_ms) / (double)period_ms));
}

/* DIVERSITY_VOLUME: log10(1 + rows) / 6, capped at 1 (reached at 10^6 - 1 rows). */
static double volume(int64_t rows)
{
	if (rows <= 0)
		return 0;
	return unit(log10(1.0 + (double)rows) / 6.0);
}

static int axis_metrics(enum trust_axis a, const struct trust_input *in, struct metric *m)
{
	int n = 0;
	switch (a) {
	case AX_VALIDITY:
		put(m, &n, "VALIDITY_QUALITY", 1.0, in->has_quality, in->validity);
		break;
	case AX_COMPLETENESS:
		put(m, &n, "COMPLETENESS_QUALITY", 1.0, in->has_quality, in->completeness);
		break;
	case AX_DISCOVERABILITY: {
		bool f = in->fields > 0;
		put(m, &n, "DISCOVERABILITY_DESCRIPTION", 0.25, true, in->has_description);
		put(m, &n, "DISCOVERABILITY_TAGS", 0.15, true, in->has_tags);
		put(m, &n, "DISCOVERABILITY_FIELD_DESCRIPTION", 0.25, f,
		    f ? ratio(in->fields_described, in->fields) : 0);
		put(m, &n, "DISCOVERABILITY_FIELD_TAGS", 0.10, f,
		    f ? ratio(in->fields_tagged, in->fields) : 0);
		put(m, &n, "DISCOVERABILITY_ACTIVATED", 0.25, true, in->in_activated_product);
		break;
	}
	case AX_TIMELINESS:
		put(m, &n, "TIMELINESS_FRESHNESS", 1.0, in->has_file_time,
		    freshness(in->file_age_ms, in->expected_period_ms));
		break;
	case AX_DIVERSITY:
		put(m, &n, "DIVERSITY_VOLUME", 0.4, in->has_profile, volume(in->rows));
		put(m, &n, "DIVERSITY_EVENNESS", 0.3, in->has_profile, in->evenness);
		put(m, &n, "DIVERSITY_SOURCE", 0.3, in->has_profile, in->distinct_ratio);
		break;
	case AX_USAGE:
		put(m, &n, "USAGE_APPS", 0.5, true, trust_usage_score(in->products_using));
		put(m, &n, "USAGE_APP_VIEWS", 0.5, true, trust_usage_score(in->activated_products_using));
		break;
	default:
		break;
	}
	return n;
}

/* Renormalises the nominal weights over the applicable metrics and returns
 * the axis score; false when no metric is applicable. */
static bool axis_score(struct metric *m, int n, double *score)
{
	double sum = 0, s = 0;
	for (int i = 0; i < n; i++)
		if (m[i].applicable)
			sum += m[i].nominal;
	if (!(sum > 0)) {
		*score = 0;
		return false;
	}
	for (int i = 0; i < n; i++) {
		m[i].weight = m[i].applicable ? m[i].nominal / sum : 0;
		s += m[i].weight * m[i].score;
	}
	*score = unit(s);
	return true;
}

/* ---- JSON -------------------------------------------------------------- */

static json_t *metric_json(const struct metric *m)
{
	json_t *j = json_pack("{s:s, s:f}", "id", m->id, "weight", m->weight);
	if (j && m->applicable && json_object_set_new(j, "score", json_real(m->score))) {
		json_decref(j);
		return NULL;
	}
	return j;
}

json_t *trust_compute(const struct trust_config *c, const struct trust_input *in)
{
	struct metric m[AX__COUNT][MAX_METRICS];
	int n[AX__COUNT];
	bool applicable[AX__COUNT];
	double s[AX__COUNT], w[AX__COUNT], max = 0, sum = 0, score = 0;

	for (int a = 0; a < AX__COUNT; a++) {
		n[a] = axis_metrics((enum trust_axis)a, in, m[a]);
		applicable[a] = axis_score(m[a], n[a], &s[a]);
		/* a weight that normalise would reject counts as 0 */
		double cw = c->weight[a];
		w[a] = c->enabled[a] && applicable[a] && isfinite(cw) && cw > 0 ? cw : 0;
		if (w[a] > max)
			max = w[a];
	}
	if (max > 0) {
		for (int a = 0; a < AX__COUNT; a++)
			sum += w[a] / max;
		for (int a = 0; a < AX__COUNT; a++) {
			w[a] = w[a] / max / sum;
			score += w[a] * s[a];
		}
	}

	json_t *axes = json_array();
	json_t *out = json_pack("{s:f, s:o}", "score", unit(score), "axes", axes);
	if (!out)
		return NULL;
	for (int a = 0; a < AX__COUNT; a++) {
		json_t *ax = json_pack("{s:s, s:b, s:b, s:f}", "id", axis_names[a], "enabled",
				       c->enabled[a], "applicable", applicable[a], "weight", w[a]);
		if (json_array_append_new(axes, ax))
			goto fail;
		if (c->enabled[a] && applicable[a] &&
		    json_object_set_new(ax, "score", json_real(s[a])))
			goto fail;
		json_t *metrics = json_array();
		if (json_object_set_new(ax, "metrics", metrics))
			goto fail;
		for (int i = 0; i < n[a]; i++)
			if (json_array_append_new(metrics, metric_json(&m[a][i])))
				goto fail;
	}
	return out;
fail:
	json_decref(out);
	return NULL;
}
