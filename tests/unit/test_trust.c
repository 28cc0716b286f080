/* test_trust: the trust-score formulas of docs/trust.md, metric by metric at
 * their edges, the renormalisations, the tenant configuration, the JSON shape
 * (ids as in trust-scores.d.ts) and the worked examples the document shows. */
#include "support.h"
#include "quality/trust.h"
#include <limits.h>
#include <math.h>
#include <stdio.h>

#define DAY (86400LL * 1000)
#define HOUR (3600LL * 1000)
#define EPS 1e-12

/* ---- helpers ------------------------------------------------------------ */

#define assert_near(got, want) assert_near_((got), (want), #got, __FILE__, __LINE__)
static void assert_near_(double got, double want, const char *expr, const char *file, int line)
{
	double d = got - want;
	if (!(d <= EPS && -d <= EPS)) {
		print_error("%s = %.17g, want %.17g\n", expr, got, want);
		_fail(file, line);
	}
}

/* Worked example 1 of docs/trust.md ("orders"): every axis applicable. */
static struct trust_input example(void)
{
	return (struct trust_input){
		.has_quality = true,
		.validity = 0.9,
		.completeness = 0.8,
		.has_description = true,
		.has_tags = false,
		.fields = 4,
		.fields_described = 3,
		.fields_tagged = 1,
		.in_activated_product = true,
		.has_file_time = true,
		.file_age_ms = 3 * DAY,
		.expected_period_ms = 0, /* default: 1 day */
		.has_profile = true,
		.distinct_ratio = 0.6,
		.evenness = 0.8,
		.rows = 999,
		.products_using = 4,
		.activated_products_using = 1,
	};
}

static json_t *compute_with(const struct trust_config *c, const struct trust_input *in)
{
	json_t *r = trust_compute(c, in);
	assert_non_null(r);
	return r;
}

static json_t *compute(const struct trust_input *in)
{
	struct trust_config c;
	trust_config_default(&c);
	return compute_with(&c, in);
}

static const json_t *axis(const json_t *r, const char *id)
{
	size_t i;
	const json_t *a;
	json_array_foreach(json_object_get(r, "axes"), i, a)
		if (strcmp(json_string_value(json_object_get(a, "id")), id) == 0)
			return a;
	fail_msg("no axis %s", id);
	return NULL;
}

static const json_t *metric(const json_t *r, const char *id)
{
	size_t i, k;
	const json_t *a, *m;
	json_array_foreach(json_object_get(r, "axes"), i, a)
		json_array_foreach(json_object_get(a, "metrics"), k, m)
			if (strcmp(json_string_value(json_object_get(m, "id")), id) == 0)
				return m;
	fail_msg("no metric %s", id);
	return NULL;
}

static double num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	if (!json_is_real(v))
		fail_msg("'%s' is not a real number", key);
	return json_real_value(v);
}

static bool has(const json_t *o, const char *key)
{
	return json_object_get(o, key) != NULL;
}

static bool flag(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	if (!json_is_boolean(v))
		fail_msg("'%s' is not a boolean", key);
	return json_is_true(v);
}

/* Score of one metric for the example input changed by f. */
static double mscore_of(const struct trust_input *in, const char *id)
{
	json_t *r = compute(in);
	const json_t *m = metric(r, id);
	if (!has(m, "score"))
		fail_msg("%s has no score", id);
	double s = num(m, "score");
	json_decref(r);
	return s;
}

static double ascore_of(const struct trust_input *in, const char *id)
{
	json_t *r = compute(in);
	const json_t *a = axis(r, id);
	if (!has(a, "score"))
		fail_msg("axis %s has no score", id);
	double s = num(a, "score");
	json_decref(r);
	return s;
}

static void assert_metric_not_applicable(const struct trust_input *in, const char *id)
{
	json_t *r = compute(in);
	const json_t *m = metric(r, id);
	if (has(m, "score"))
		fail_msg("%s has a score", id);
	assert_near(num(m, "weight"), 0);
	json_decref(r);
}

/* ---- configuration ------------------------------------------------------ */

static void config_default_is_six_equal_axes(void **state)
{
	(void)state;
	struct trust_config c;
	trust_config_default(&c);
	for (int a = 0; a < AX__COUNT; a++) {
		assert_true(c.enabled[a]);
		assert_near(c.weight[a], 1.0 / 6);
	}
	struct trust_config n = c;
	assert_int_equal(trust_config_normalise(&n, test_err, sizeof test_err), 0);
	for (int a = 0; a < AX__COUNT; a++)
		assert_near(n.weight[a], 1.0 / 6);
}

static void config_normalise_scales_enabled_and_zeroes_disabled(void **state)
{
	(void)state;
	struct trust_config c = {{true, true, true, true, true, false}, {2, 2, 1, 1, 1, 5}};
	assert_int_equal(trust_config_normalise(&c, test_err, sizeof test_err), 0);
	const double want[AX__COUNT] = {2.0 / 7, 2.0 / 7, 1.0 / 7, 1.0 / 7, 1.0 / 7, 0};
	double sum = 0;
	for (int a = 0; a < AX__COUNT; a++) {
		assert_near(c.weight[a], want[a]);
		sum += c.weight[a];
	}
	assert_near(sum, 1);
	assert_false(c.enabled[AX_USAGE]);
	assert_true(c.weight[AX_USAGE] == 0.0);

	/* idempotent */
	struct trust_config again = c;
	assert_int_equal(trust_config_normalise(&again, NULL, 0), 0);
	for (int a = 0; a < AX__COUNT; a++)
		assert_near(again.weight[a], c.weight[a]);

	/* one enabled axis gets all the weight, whatever its value */
	struct trust_config one = {{false, false, false, true, false, false}, {1, 1, 1, 0.01, 1, 1}};
	assert_int_equal(trust_config_normalise(&one, NULL, 0), 0);
	for (int a = 0; a < AX__COUNT; a++)
		assert_near(one.weight[a], a == AX_TIMELINESS ? 1 : 0);

	/* an enabled axis may weigh 0 as long as another does not */
	struct trust_config z = {{true, true, true, true, true, true}, {0, 1, 0, 0, 0, 3}};
	assert_int_equal(trust_config_normalise(&z, NULL, 0), 0);
	assert_near(z.weight[AX_VALIDITY], 0);
	assert_near(z.weight[AX_COMPLETENESS], 0.25);
	assert_near(z.weight[AX_USAGE], 0.75);

	/* huge weights do not overflow the sum */
	struct trust_config big = {{true, true, true, true, true, true},
				   {1e308, 1e308, 1e308, 1e308, 1e308, 1e308}};
	assert_int_equal(trust_config_normalise(&big, NULL, 0), 0);
	for (int a = 0; a < AX__COUNT; a++)
		assert_near(big.weight[a], 1.0 / 6);
}

static void config_normalise_rejects(void **state)
{
	(void)state;
	const struct {
		struct trust_config c;
		const char *needle;
	} bad[] = {
		{{{false, false, false, false, false, false}, {1, 1, 1, 1, 1, 1}}, "enabled"},
		{{{true, true, true, true, true, true}, {1, -0.5, 1, 1, 1, 1}}, "COMPLETENESS"},
		{{{true, true, true, true, true, true}, {1, 1, 1, 1, 1, NAN}}, "USAGE"},
		{{{true, true, true, true, true, true}, {INFINITY, 1, 1, 1, 1, 1}}, "VALIDITY"},
		{{{true, true, true, true, true, true}, {1, 1, -INFINITY, 1, 1, 1}}, "DISCOVERABILITY"},
		/* a disabled axis's weight is validated too */
		{{{true, true, true, true, false, true}, {1, 1, 1, 1, -1, 1}}, "DIVERSITY"},
		{{{true, false, false, false, false, true}, {0, 1, 1, 1, 1, 0}}, "all 0"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct trust_config c = bad[i].c;
		test_err[0] = '\0';
		if (trust_config_normalise(&c, test_err, sizeof test_err) != -1)
			fail_msg("case %zu accepted", i);
		if (!strstr(test_err, bad[i].needle))
			fail_msg("case %zu: '%s' lacks '%s'", i, test_err, bad[i].needle);
		/* left untouched (NaN compares unequal, so compare bytes) */
		assert_memory_equal(&c, &bad[i].c, sizeof c);
		/* a NULL error buffer is allowed */
		assert_int_equal(trust_config_normalise(&c, NULL, 0), -1);
	}
	/* -0.0 is a valid (zero) weight */
	struct trust_config nz = {{true, true, true, true, true, true}, {-0.0, 1, 1, 1, 1, 1}};
	assert_int_equal(trust_config_normalise(&nz, NULL, 0), 0);
	assert_near(nz.weight[AX_COMPLETENESS], 0.2);
}

static void axis_names_match_the_d_ts(void **state)
{
	(void)state;
	assert_string_equal(trust_axis_name(AX_VALIDITY), "VALIDITY");
	assert_string_equal(trust_axis_name(AX_COMPLETENESS), "COMPLETENESS");
	assert_string_equal(trust_axis_name(AX_DISCOVERABILITY), "DISCOVERABILITY");
	assert_string_equal(trust_axis_name(AX_TIMELINESS), "TIMELINESS");
	assert_string_equal(trust_axis_name(AX_DIVERSITY), "DIVERSITY");
	assert_string_equal(trust_axis_name(AX_USAGE), "USAGE");
	assert_null(trust_axis_name(AX__COUNT));
	assert_null(trust_axis_name((enum trust_axis)-1));
}

/* ---- metrics ------------------------------------------------------------ */

static void validity_and_completeness(void **state)
{
	(void)state;
	struct trust_input in = example();
	const double vals[] = {0, 1, 0.37, 0.5};
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		in.validity = vals[i];
		in.completeness = 1 - vals[i];
		assert_near(mscore_of(&in, "VALIDITY_QUALITY"), vals[i]);
		assert_near(ascore_of(&in, "VALIDITY"), vals[i]);
		assert_near(mscore_of(&in, "COMPLETENESS_QUALITY"), 1 - vals[i]);
		assert_near(ascore_of(&in, "COMPLETENESS"), 1 - vals[i]);
	}
	/* out of range clamps */
	in.validity = -0.5;
	in.completeness = 1.5;
	assert_near(mscore_of(&in, "VALIDITY_QUALITY"), 0);
	assert_near(mscore_of(&in, "COMPLETENESS_QUALITY"), 1);
	/* a NaN makes that metric (and so its axis) not applicable */
	in.validity = NAN;
	assert_metric_not_applicable(&in, "VALIDITY_QUALITY");
	assert_near(mscore_of(&in, "COMPLETENESS_QUALITY"), 1);

	/* no successful computation: both axes not applicable */
	in = example();
	in.has_quality = false;
	assert_metric_not_applicable(&in, "VALIDITY_QUALITY");
	assert_metric_not_applicable(&in, "COMPLETENESS_QUALITY");
	json_t *r = compute(&in);
	for (int k = 0; k < 2; k++) {
		const json_t *a = axis(r, k ? "COMPLETENESS" : "VALIDITY");
		assert_false(flag(a, "applicable"));
		assert_true(flag(a, "enabled"));
		assert_false(has(a, "score"));
		assert_near(num(a, "weight"), 0);
	}
	json_decref(r);
}

static void discoverability_edges(void **state)
{
	(void)state;
	struct trust_input in = example();
	/* nothing documented, nothing published */
	in.has_description = in.has_tags = in.in_activated_product = false;
	in.fields_described = in.fields_tagged = 0;
	assert_near(mscore_of(&in, "DISCOVERABILITY_DESCRIPTION"), 0);
	assert_near(mscore_of(&in, "DISCOVERABILITY_TAGS"), 0);
	assert_near(mscore_of(&in, "DISCOVERABILITY_FIELD_DESCRIPTION"), 0);
	assert_near(mscore_of(&in, "DISCOVERABILITY_FIELD_TAGS"), 0);
	assert_near(mscore_of(&in, "DISCOVERABILITY_ACTIVATED"), 0);
	assert_near(ascore_of(&in, "DISCOVERABILITY"), 0);
	/* everything */
	in.has_description = in.has_tags = in.in_activated_product = true;
	in.fields_described = in.fields_tagged = 4;
	assert_near(mscore_of(&in, "DISCOVERABILITY_DESCRIPTION"), 1);
	assert_near(mscore_of(&in, "DISCOVERABILITY_TAGS"), 1);
	assert_near(mscore_of(&in, "DISCOVERABILITY_FIELD_DESCRIPTION"), 1);
	assert_near(mscore_of(&in, "DISCOVERABILITY_FIELD_TAGS"), 1);
	assert_near(mscore_of(&in, "DISCOVERABILITY_ACTIVATED"), 1);
	assert_near(ascore_of(&in, "DISCOVERABILITY"), 1);

	/* each metric alone contributes exactly its documented weight */
	const struct {
		const char *id;
		double w;
	} only[] = {{"DISCOVERABILITY_DESCRIPTION", 0.25}, {"DISCOVERABILITY_TAGS", 0.15},
		    {"DISCOVERABILITY_FIELD_DESCRIPTION", 0.25}, {"DISCOVERABILITY_FIELD_TAGS", 0.10},
		    {"DISCOVERABILITY_ACTIVATED", 0.25}};
	for (size_t i = 0; i < 5; i++) {
		in = example();
		in.has_description = i == 0;
		in.has_tags = i == 1;
		in.fields_described = i == 2 ? 4 : 0;
		in.fields_tagged = i == 3 ? 4 : 0;
		in.in_activated_product = i == 4;
		json_t *r = compute(&in);
		assert_near(num(axis(r, "DISCOVERABILITY"), "score"), only[i].w);
		assert_near(num(metric(r, only[i].id), "weight"), only[i].w);
		json_decref(r);
	}

	/* field ratios: mid values, more described than declared, negative */
	in = example();
	in.fields = 8;
	in.fields_described = 3;
	in.fields_tagged = 6;
	assert_near(mscore_of(&in, "DISCOVERABILITY_FIELD_DESCRIPTION"), 0.375);
	assert_near(mscore_of(&in, "DISCOVERABILITY_FIELD_TAGS"), 0.75);
	in.fields_described = 9;
	in.fields_tagged = -2;
	assert_near(mscore_of(&in, "DISCOVERABILITY_FIELD_DESCRIPTION"), 1);
	assert_near(mscore_of(&in, "DISCOVERABILITY_FIELD_TAGS"), 0);

	/* no declared fields: the two field metrics drop out and the other
	 * weights are renormalised over 0.25 + 0.15 + 0.25 = 0.65 (example 3) */
	in = example();
	in.fields = in.fields_described = in.fields_tagged = 0;
	in.has_description = in.has_tags = true;
	in.in_activated_product = false;
	assert_metric_not_applicable(&in, "DISCOVERABILITY_FIELD_DESCRIPTION");
	assert_metric_not_applicable(&in, "DISCOVERABILITY_FIELD_TAGS");
	json_t *r = compute(&in);
	assert_near(num(metric(r, "DISCOVERABILITY_DESCRIPTION"), "weight"), 0.25 / 0.65);
	assert_near(num(metric(r, "DISCOVERABILITY_TAGS"), "weight"), 0.15 / 0.65);
	assert_near(num(metric(r, "DISCOVERABILITY_ACTIVATED"), "weight"), 0.25 / 0.65);
	assert_near(num(axis(r, "DISCOVERABILITY"), "score"), 0.4 / 0.65);
	assert_near(num(axis(r, "DISCOVERABILITY"), "score"), 0.6153846153846154);
	assert_true(flag(axis(r, "DISCOVERABILITY"), "applicable"));
	json_decref(r);
	in.fields = -1; /* nonsense counts as no fields */
	assert_metric_not_applicable(&in, "DISCOVERABILITY_FIELD_TAGS");
}

static void timeliness_edges(void **state)
{
	(void)state;
	struct trust_input in = example();
	const struct {
		int64_t age, period;
		double want;
	} cases[] = {
		{0, DAY, 1},
		{DAY / 2, DAY, 1},
		{DAY, DAY, 1},                      /* the boundary is still fresh */
		{DAY + 1, DAY, 0.9999999919774633}, /* 0.5^(1/86400000): continuous */
		{DAY * 3 / 2, DAY, 0.70710678118654757},
		{2 * DAY, DAY, 0.5},
		{3 * DAY, DAY, 0.25},
		{DAY * 5 / 2, DAY, 0.35355339059327379},
		{11 * DAY, DAY, 0.0009765625},
		{-5 * DAY, DAY, 1},                 /* mtime in the future */
		{2 * DAY, 0, 0.5},                  /* 0: default period of 1 day */
		{2 * DAY, -7, 0.5},                 /* nonsense: default too */
		{3 * HOUR, HOUR, 0.25},
		{7 * DAY, 7 * DAY, 1},
		{14 * DAY, 7 * DAY, 0.5},
		{DAY + DAY / 4, DAY, 0.84089641525371450},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		in.file_age_ms = cases[i].age;
		in.expected_period_ms = cases[i].period;
		double got = mscore_of(&in, "TIMELINESS_FRESHNESS");
		if (fabs(got - cases[i].want) > EPS)
			fail_msg("case %zu: %.17g, want %.17g", i, got, cases[i].want);
		assert_near(ascore_of(&in, "TIMELINESS"), cases[i].want);
	}
	/* very old files reach 0 and never go below */
	in.expected_period_ms = HOUR;
	in.file_age_ms = 2000 * HOUR;
	assert_near(mscore_of(&in, "TIMELINESS_FRESHNESS"), 0);
	assert_true(mscore_of(&in, "TIMELINESS_FRESHNESS") >= 0);
	in.file_age_ms = INT64_MAX;
	in.expected_period_ms = 1;
	assert_true(mscore_of(&in, "TIMELINESS_FRESHNESS") == 0.0);

	/* monotonic: never increases with age */
	double prev = 2;
	in.expected_period_ms = DAY;
	for (int64_t age = 0; age <= 40 * DAY; age += DAY / 7) {
		in.file_age_ms = age;
		double s = mscore_of(&in, "TIMELINESS_FRESHNESS");
		assert_true(s <= prev && s >= 0 && s <= 1);
		prev = s;
	}

	in.has_file_time = false;
	assert_metric_not_applicable(&in, "TIMELINESS_FRESHNESS");
	json_t *r = compute(&in);
	assert_false(flag(axis(r, "TIMELINESS"), "applicable"));
	assert_false(has(axis(r, "TIMELINESS"), "score"));
	json_decref(r);
}

static void diversity_volume_edges(void **state)
{
	(void)state;
	struct trust_input in = example();
	const struct {
		int64_t rows;
		double want;
	} cases[] = {
		{0, 0},
		{-3, 0},
		{1, 0.050171665943996864}, /* log10(2)/6 */
		{9, 1.0 / 6},
		{10, 0.17356544752637082}, /* log10(11)/6 */
		{99, 2.0 / 6},
		{100, 0.3340535622971071}, /* log10(101)/6 */
		{999, 0.5},
		{9999, 4.0 / 6},
		{999999, 1},
		{1000000, 1}, /* log10(1000001)/6 > 1: capped */
		{INT64_MAX, 1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		in.rows = cases[i].rows;
		double got = mscore_of(&in, "DIVERSITY_VOLUME");
		if (fabs(got - cases[i].want) > EPS)
			fail_msg("rows %lld: %.17g, want %.17g", (long long)cases[i].rows, got,
				 cases[i].want);
	}
	/* whole powers of ten give exact results */
	in.rows = 999;
	assert_true(mscore_of(&in, "DIVERSITY_VOLUME") == 0.5);
	in.rows = 999999;
	assert_true(mscore_of(&in, "DIVERSITY_VOLUME") == 1.0);
	double prev = -1;
	for (int64_t rows = 0; rows < 3000000; rows = rows * 3 + 1) {
		in.rows = rows;
		double s = mscore_of(&in, "DIVERSITY_VOLUME");
		assert_true(s >= prev && s >= 0 && s <= 1);
		prev = s;
	}
}

static void diversity_evenness_source_and_axis(void **state)
{
	(void)state;
	struct trust_input in = example();
	const double vals[] = {0, 0.5, 1, 0.123};
	for (size_t i = 0; i < 4; i++) {
		in.evenness = vals[i];
		in.distinct_ratio = 1 - vals[i];
		assert_near(mscore_of(&in, "DIVERSITY_EVENNESS"), vals[i]);
		assert_near(mscore_of(&in, "DIVERSITY_SOURCE"), 1 - vals[i]);
	}
	in.evenness = 2;
	in.distinct_ratio = -1;
	assert_near(mscore_of(&in, "DIVERSITY_EVENNESS"), 1);
	assert_near(mscore_of(&in, "DIVERSITY_SOURCE"), 0);

	/* axis: 0.4 volume + 0.3 evenness + 0.3 source */
	in = example();
	json_t *r = compute(&in);
	assert_near(num(metric(r, "DIVERSITY_VOLUME"), "weight"), 0.4);
	assert_near(num(metric(r, "DIVERSITY_EVENNESS"), "weight"), 0.3);
	assert_near(num(metric(r, "DIVERSITY_SOURCE"), "weight"), 0.3);
	assert_near(num(axis(r, "DIVERSITY"), "score"), 0.62);
	json_decref(r);

	/* a NaN metric drops out; the others are renormalised over 0.7 */
	in.evenness = NAN;
	assert_metric_not_applicable(&in, "DIVERSITY_EVENNESS");
	r = compute(&in);
	assert_near(num(metric(r, "DIVERSITY_VOLUME"), "weight"), 0.4 / 0.7);
	assert_near(num(metric(r, "DIVERSITY_SOURCE"), "weight"), 0.3 / 0.7);
	assert_near(num(axis(r, "DIVERSITY"), "score"), (0.4 * 0.5 + 0.3 * 0.6) / 0.7);
	json_decref(r);

	/* no profile: the whole axis is not applicable */
	in = example();
	in.has_profile = false;
	assert_metric_not_applicable(&in, "DIVERSITY_VOLUME");
	assert_metric_not_applicable(&in, "DIVERSITY_EVENNESS");
	assert_metric_not_applicable(&in, "DIVERSITY_SOURCE");
	r = compute(&in);
	assert_false(flag(axis(r, "DIVERSITY"), "applicable"));
	assert_false(has(axis(r, "DIVERSITY"), "score"));
	json_decref(r);
}

static void usage_edges(void **state)
{
	(void)state;
	struct trust_input in = example();
	const struct {
		int n;
		double want;
	} cases[] = {{0, 0},	  {-4, 0},	  {1, 0.5},	    {2, 2.0 / 3},
		  {3, 2.0 / 3}, {4, 0.8},	  {7, 0.8},	    {8, 8.0 / 9},
		  {9, 8.0 / 9}, {99, 64.0 / 65}, {128, 128.0 / 129}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		in.products_using = cases[i].n;
		in.activated_products_using = cases[i].n;
		assert_near(mscore_of(&in, "USAGE_APPS"), cases[i].want);
		assert_near(mscore_of(&in, "USAGE_APP_VIEWS"), cases[i].want);
		assert_near(ascore_of(&in, "USAGE"), cases[i].want);
	}
	in.products_using = INT_MAX;
	double s = mscore_of(&in, "USAGE_APPS");
	assert_true(s > 0.999999 && s <= 1);
	/* the axis is the plain mean of the two */
	in.products_using = 4;
	in.activated_products_using = 0;
	assert_near(ascore_of(&in, "USAGE"), 0.4);
	/* always applicable: counts are always known */
	in = (struct trust_input){0};
	json_t *r = compute(&in);
	assert_true(flag(axis(r, "USAGE"), "applicable"));
	assert_near(num(axis(r, "USAGE"), "score"), 0);
	json_decref(r);
}

/* ---- axes and overall score --------------------------------------------- */

static void disabled_axis_has_no_score_and_no_weight(void **state)
{
	(void)state;
	struct trust_input in = example();
	struct trust_config c;
	trust_config_default(&c);
	c.enabled[AX_TIMELINESS] = false;
	c.enabled[AX_USAGE] = false;
	assert_int_equal(trust_config_normalise(&c, NULL, 0), 0);
	json_t *r = compute_with(&c, &in);
	const json_t *t = axis(r, "TIMELINESS");
	assert_false(flag(t, "enabled"));
	assert_true(flag(t, "applicable")); /* it could be scored */
	assert_false(has(t, "score"));
	assert_near(num(t, "weight"), 0);
	/* its metrics are still reported */
	assert_near(num(metric(r, "TIMELINESS_FRESHNESS"), "score"), 0.25);
	/* remaining four axes share the weight equally */
	const char *on[] = {"VALIDITY", "COMPLETENESS", "DISCOVERABILITY", "DIVERSITY"};
	for (int i = 0; i < 4; i++)
		assert_near(num(axis(r, on[i]), "weight"), 0.25);
	assert_near(num(r, "score"), (0.9 + 0.8 + 0.7125 + 0.62) / 4);
	json_decref(r);

	/* the same result without normalising first: trust_compute renormalises */
	struct trust_config raw = {{true, true, true, false, true, false}, {5, 5, 5, 5, 5, 5}};
	r = compute_with(&raw, &in);
	assert_near(num(r, "score"), (0.9 + 0.8 + 0.7125 + 0.62) / 4);
	json_decref(r);
}

static void non_applicable_axes_are_renormalised_away(void **state)
{
	(void)state;
	struct trust_input in = example();
	in.has_quality = false;
	in.has_file_time = false;
	json_t *r = compute(&in);
	/* DISCOVERABILITY 0.7125, DIVERSITY 0.62, USAGE 0.65 remain */
	const char *on[] = {"DISCOVERABILITY", "DIVERSITY", "USAGE"};
	for (int i = 0; i < 3; i++)
		assert_near(num(axis(r, on[i]), "weight"), 1.0 / 3);
	assert_near(num(r, "score"), (0.7125 + 0.62 + 0.65) / 3);
	json_decref(r);
}

static void no_applicable_axis_scores_zero(void **state)
{
	(void)state;
	struct trust_input in = example();
	in.has_quality = false;
	in.has_file_time = false;
	in.has_profile = false;
	/* DISCOVERABILITY and USAGE are always applicable: disable them */
	struct trust_config c;
	trust_config_default(&c);
	c.enabled[AX_DISCOVERABILITY] = c.enabled[AX_USAGE] = false;
	assert_int_equal(trust_config_normalise(&c, NULL, 0), 0);
	json_t *r = compute_with(&c, &in);
	assert_true(json_is_real(json_object_get(r, "score")));
	assert_near(num(r, "score"), 0);
	size_t i;
	const json_t *a;
	json_array_foreach(json_object_get(r, "axes"), i, a) {
		assert_false(has(a, "score"));
		assert_near(num(a, "weight"), 0);
	}
	json_decref(r);

	/* likewise when the applicable enabled axes all weigh 0 */
	in = example();
	struct trust_config z = {{true, true, true, true, true, true}, {0, 0, 0, 0, 0, 0}};
	r = compute_with(&z, &in);
	assert_near(num(r, "score"), 0);
	assert_near(num(axis(r, "VALIDITY"), "score"), 0.9); /* still shown */
	json_decref(r);
}

/* The worked examples of docs/trust.md, step by step. */
static void worked_example_1_default_weights(void **state)
{
	(void)state;
	struct trust_input in = example();
	json_t *r = compute(&in);
	/* step 1: metrics */
	assert_near(num(metric(r, "VALIDITY_QUALITY"), "score"), 0.9);
	assert_near(num(metric(r, "COMPLETENESS_QUALITY"), "score"), 0.8);
	assert_near(num(metric(r, "DISCOVERABILITY_DESCRIPTION"), "score"), 1);
	assert_near(num(metric(r, "DISCOVERABILITY_TAGS"), "score"), 0);
	assert_near(num(metric(r, "DISCOVERABILITY_FIELD_DESCRIPTION"), "score"), 0.75);
	assert_near(num(metric(r, "DISCOVERABILITY_FIELD_TAGS"), "score"), 0.25);
	assert_near(num(metric(r, "DISCOVERABILITY_ACTIVATED"), "score"), 1);
	assert_near(num(metric(r, "TIMELINESS_FRESHNESS"), "score"), 0.25);
	assert_near(num(metric(r, "DIVERSITY_VOLUME"), "score"), 0.5);
	assert_near(num(metric(r, "DIVERSITY_EVENNESS"), "score"), 0.8);
	assert_near(num(metric(r, "DIVERSITY_SOURCE"), "score"), 0.6);
	assert_near(num(metric(r, "USAGE_APPS"), "score"), 0.8);
	assert_near(num(metric(r, "USAGE_APP_VIEWS"), "score"), 0.5);
	/* step 2: axes */
	assert_near(num(axis(r, "VALIDITY"), "score"), 0.9);
	assert_near(num(axis(r, "COMPLETENESS"), "score"), 0.8);
	assert_near(num(axis(r, "DISCOVERABILITY"), "score"), 0.7125);
	assert_near(num(axis(r, "TIMELINESS"), "score"), 0.25);
	assert_near(num(axis(r, "DIVERSITY"), "score"), 0.62);
	assert_near(num(axis(r, "USAGE"), "score"), 0.65);
	/* step 3: overall, 1/6 each */
	size_t i;
	const json_t *a;
	json_array_foreach(json_object_get(r, "axes"), i, a)
		assert_near(num(a, "weight"), 1.0 / 6);
	assert_near(num(r, "score"), 3.9325 / 6);
	assert_near(num(r, "score"), 0.655416666666667);
	json_decref(r);
}

static void worked_example_2_tenant_weights(void **state)
{
	(void)state;
	struct trust_input in = example();
	in.has_file_time = false;
	struct trust_config c = {{true, true, true, true, true, false}, {2, 2, 1, 1, 1, 1}};
	assert_int_equal(trust_config_normalise(&c, test_err, sizeof test_err), 0);
	assert_near(c.weight[AX_VALIDITY], 2.0 / 7);
	assert_near(c.weight[AX_TIMELINESS], 1.0 / 7);
	assert_near(c.weight[AX_USAGE], 0);
	json_t *r = compute_with(&c, &in);
	assert_near(num(axis(r, "VALIDITY"), "weight"), 1.0 / 3);
	assert_near(num(axis(r, "COMPLETENESS"), "weight"), 1.0 / 3);
	assert_near(num(axis(r, "DISCOVERABILITY"), "weight"), 1.0 / 6);
	assert_near(num(axis(r, "TIMELINESS"), "weight"), 0);
	assert_near(num(axis(r, "DIVERSITY"), "weight"), 1.0 / 6);
	assert_near(num(axis(r, "USAGE"), "weight"), 0);
	assert_false(has(axis(r, "TIMELINESS"), "score"));
	assert_false(has(axis(r, "USAGE"), "score"));
	assert_near(num(r, "score"), 0.78875);
	json_decref(r);
}

/* ---- JSON shape ---------------------------------------------------------- */

/* Copy of v with every real replaced by 0.0, so a literal can state the shape. */
static json_t *skeleton(const json_t *v)
{
	if (json_is_real(v))
		return json_real(0);
	if (json_is_array(v)) {
		json_t *out = json_array();
		size_t i;
		const json_t *e;
		json_array_foreach(v, i, e)
			json_array_append_new(out, skeleton(e));
		return out;
	}
	if (json_is_object(v)) {
		json_t *out = json_object();
		const char *k;
		const json_t *e;
		json_object_foreach((json_t *)v, k, e)
			json_object_set_new(out, k, skeleton(e));
		return out;
	}
	return json_deep_copy(v);
}

#define M(id) "{'id':'" id "','weight':0.0,'score':0.0}"
#define M_NA(id) "{'id':'" id "','weight':0.0}"

static void json_shape_all_applicable(void **state)
{
	(void)state;
	struct trust_input in = example();
	json_t *r = compute(&in);
	json_t *s = skeleton(r);
	assert_json(s, "{'score':0.0,'axes':["
		       "{'id':'VALIDITY','enabled':true,'applicable':true,'weight':0.0,'score':0.0,"
		       "'metrics':[" M("VALIDITY_QUALITY") "]},"
		       "{'id':'COMPLETENESS','enabled':true,'applicable':true,'weight':0.0,'score':0.0,"
		       "'metrics':[" M("COMPLETENESS_QUALITY") "]},"
		       "{'id':'DISCOVERABILITY','enabled':true,'applicable':true,'weight':0.0,"
		       "'score':0.0,'metrics':["
		       M("DISCOVERABILITY_DESCRIPTION") "," M("DISCOVERABILITY_TAGS") ","
		       M("DISCOVERABILITY_FIELD_DESCRIPTION") "," M("DISCOVERABILITY_FIELD_TAGS") ","
		       M("DISCOVERABILITY_ACTIVATED") "]},"
		       "{'id':'TIMELINESS','enabled':true,'applicable':true,'weight':0.0,'score':0.0,"
		       "'metrics':[" M("TIMELINESS_FRESHNESS") "]},"
		       "{'id':'DIVERSITY','enabled':true,'applicable':true,'weight':0.0,'score':0.0,"
		       "'metrics':["
		       M("DIVERSITY_VOLUME") "," M("DIVERSITY_EVENNESS") "," M("DIVERSITY_SOURCE") "]},"
		       "{'id':'USAGE','enabled':true,'applicable':true,'weight':0.0,'score':0.0,"
		       "'metrics':[" M("USAGE_APPS") "," M("USAGE_APP_VIEWS") "]}]}");
	json_decref(s);
	json_decref(r);
}

static void json_shape_disabled_and_not_applicable(void **state)
{
	(void)state;
	struct trust_input in = {0}; /* nothing known: only DISCOVERABILITY, USAGE apply */
	struct trust_config c;
	trust_config_default(&c);
	c.enabled[AX_USAGE] = false;
	c.enabled[AX_VALIDITY] = false;
	json_t *r = compute_with(&c, &in);
	json_t *s = skeleton(r);
	assert_json(s, "{'score':0.0,'axes':["
		       "{'id':'VALIDITY','enabled':false,'applicable':false,'weight':0.0,"
		       "'metrics':[" M_NA("VALIDITY_QUALITY") "]},"
		       "{'id':'COMPLETENESS','enabled':true,'applicable':false,'weight':0.0,"
		       "'metrics':[" M_NA("COMPLETENESS_QUALITY") "]},"
		       "{'id':'DISCOVERABILITY','enabled':true,'applicable':true,'weight':0.0,"
		       "'score':0.0,'metrics':["
		       M("DISCOVERABILITY_DESCRIPTION") "," M("DISCOVERABILITY_TAGS") ","
		       M_NA("DISCOVERABILITY_FIELD_DESCRIPTION") "," M_NA("DISCOVERABILITY_FIELD_TAGS") ","
		       M("DISCOVERABILITY_ACTIVATED") "]},"
		       "{'id':'TIMELINESS','enabled':true,'applicable':false,'weight':0.0,"
		       "'metrics':[" M_NA("TIMELINESS_FRESHNESS") "]},"
		       "{'id':'DIVERSITY','enabled':true,'applicable':false,'weight':0.0,"
		       "'metrics':[" M_NA("DIVERSITY_VOLUME") "," M_NA("DIVERSITY_EVENNESS") ","
		       M_NA("DIVERSITY_SOURCE") "]},"
		       "{'id':'USAGE','enabled':false,'applicable':true,'weight':0.0,"
		       "'metrics':[" M("USAGE_APPS") "," M("USAGE_APP_VIEWS") "]}]}");
	/* DISCOVERABILITY carries all the weight */
	assert_near(num(axis(r, "DISCOVERABILITY"), "weight"), 1);
	json_decref(s);
	json_decref(r);
}

/* Every id is a member of the d.ts unions AxisId / MetricId, and each metric
 * sits under the axis its name starts with. */
static void ids_are_the_d_ts_ones(void **state)
{
	(void)state;
	static const char *const axis_ids[] = {"VALIDITY", "COMPLETENESS", "USAGE", "DISCOVERABILITY",
					       "ACCURACY", "DIVERSITY", "TIMELINESS", NULL};
	static const char *const metric_ids[] = {
		"VALIDITY_QUALITY", "COMPLETENESS_QUALITY", "USAGE_APPS", "USAGE_APP_VIEWS",
		"DISCOVERABILITY_DESCRIPTION", "DISCOVERABILITY_TAGS", "DISCOVERABILITY_ACTIVATED",
		"DISCOVERABILITY_FIELD_DESCRIPTION", "DISCOVERABILITY_FIELD_TAGS", "ACCURACY_QUALITY",
		"DIVERSITY_SOURCE", "DIVERSITY_VOLUME", "DIVERSITY_EVENNESS", "TIMELINESS_FRESHNESS",
		NULL};
	struct trust_input in = example();
	json_t *r = compute(&in);
	size_t i, k, metrics = 0;
	const json_t *a, *m;
	json_array_foreach(json_object_get(r, "axes"), i, a) {
		const char *aid = json_string_value(json_object_get(a, "id"));
		bool ok = false;
		for (const char *const *p = axis_ids; *p; p++)
			ok |= strcmp(*p, aid) == 0;
		if (!ok)
			fail_msg("axis id %s not in AxisId", aid);
		json_array_foreach(json_object_get(a, "metrics"), k, m) {
			const char *mid = json_string_value(json_object_get(m, "id"));
			ok = false;
			for (const char *const *p = metric_ids; *p; p++)
				ok |= strcmp(*p, mid) == 0;
			if (!ok)
				fail_msg("metric id %s not in MetricId", mid);
			if (strncmp(mid, aid, strlen(aid)) != 0 || mid[strlen(aid)] != '_')
				fail_msg("metric %s under axis %s", mid, aid);
			metrics++;
		}
	}
	assert_int_equal(i, 6);
	assert_int_equal(metrics, 13); /* all but ACCURACY_QUALITY */
	json_decref(r);
}

/* ---- invariants over many inputs ----------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}
static double rnd01(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

static void invariants_hold_for_random_inputs(void **state)
{
	(void)state;
	for (int it = 0; it < 3000; it++) {
		struct trust_input in = {
			.has_quality = rnd() & 1,
			.validity = rnd01(),
			.completeness = rnd01(),
			.has_description = rnd() & 1,
			.has_tags = rnd() & 1,
			.fields = (int)(rnd() % 6),
			.fields_described = (int)(rnd() % 7),
			.fields_tagged = (int)(rnd() % 7),
			.in_activated_product = rnd() & 1,
			.has_file_time = rnd() & 1,
			.file_age_ms = (int64_t)(rnd() % (60 * DAY)),
			.expected_period_ms = (int64_t)(rnd() % (8 * DAY)),
			.has_profile = rnd() & 1,
			.distinct_ratio = rnd01(),
			.evenness = rnd01(),
			.rows = (int64_t)(rnd() % 5000000),
			.products_using = (int)(rnd() % 20),
			.activated_products_using = (int)(rnd() % 20),
		};
		struct trust_config c;
		for (int a = 0; a < AX__COUNT; a++) {
			c.enabled[a] = rnd() % 4 != 0;
			c.weight[a] = rnd01() * 10;
		}
		c.enabled[rnd() % AX__COUNT] = true;
		if (trust_config_normalise(&c, test_err, sizeof test_err) != 0)
			continue;
		json_t *r = compute_with(&c, &in);
		double score = num(r, "score"), wsum = 0, sum = 0;
		assert_true(score >= 0 && score <= 1);
		size_t i, k;
		const json_t *a, *m;
		json_array_foreach(json_object_get(r, "axes"), i, a) {
			double w = num(a, "weight");
			assert_true(w >= 0 && w <= 1);
			bool scored = has(a, "score");
			assert_int_equal(scored, flag(a, "enabled") && flag(a, "applicable"));
			double mw = 0, ms = 0;
			bool any = false;
			json_array_foreach(json_object_get(a, "metrics"), k, m) {
				double x = num(m, "weight");
				assert_true(x >= 0 && x <= 1);
				if (has(m, "score")) {
					double y = num(m, "score");
					assert_true(y >= 0 && y <= 1);
					mw += x;
					ms += x * y;
					any = true;
				} else {
					assert_true(x == 0.0);
				}
			}
			assert_int_equal(any, flag(a, "applicable"));
			if (any)
				assert_near(mw, 1);
			if (scored) {
				double as = num(a, "score");
				assert_true(as >= 0 && as <= 1);
				assert_near(as, ms);
				wsum += w;
				sum += w * as;
			} else {
				assert_true(w == 0.0);
			}
		}
		assert_true(fabs(wsum - 1) <= EPS || wsum == 0);
		assert_near(score, sum);
		json_decref(r);
	}
}

/* Improving any one input never lowers the overall score. */
static void overall_score_is_monotonic(void **state)
{
	(void)state;
	struct trust_input in = example();
	double prev, s;
	json_t *r;
#define SCORE() (r = compute(&in), s = num(r, "score"), json_decref(r), s)
#define NONDECREASING(field, from, to, step)                                            \
	do {                                                                            \
		in = example();                                                         \
		prev = -1;                                                              \
		for (in.field = (from); in.field <= (to); in.field += (step)) {         \
			double x = SCORE();                                             \
			if (x < prev)                                                   \
				fail_msg(#field " lowers the score");                   \
			prev = x;                                                       \
		}                                                                       \
	} while (0)
	NONDECREASING(validity, 0.0, 1.0, 0.05);
	NONDECREASING(completeness, 0.0, 1.0, 0.05);
	NONDECREASING(fields_described, 0, 4, 1);
	NONDECREASING(fields_tagged, 0, 4, 1);
	NONDECREASING(rows, 0, 5000000, 99991);
	NONDECREASING(evenness, 0.0, 1.0, 0.05);
	NONDECREASING(distinct_ratio, 0.0, 1.0, 0.05);
	NONDECREASING(products_using, 0, 50, 1);
	NONDECREASING(activated_products_using, 0, 50, 1);
	NONDECREASING(expected_period_ms, DAY, 10 * DAY, DAY / 3); /* longer period: fresher */
	/* older never scores higher */
	in = example();
	prev = 2;
	for (in.file_age_ms = 0; in.file_age_ms < 30 * DAY; in.file_age_ms += HOUR * 5) {
		double x = SCORE();
		assert_true(x <= prev);
		prev = x;
	}
	/* each boolean: true >= false */
	in = example();
	in.has_tags = false;
	double lo = SCORE();
	in.has_tags = true;
	assert_true(SCORE() > lo);
	in = example();
	in.in_activated_product = false;
	lo = SCORE();
	in.in_activated_product = true;
	assert_true(SCORE() > lo);
#undef SCORE
#undef NONDECREASING
}

/* ---- memory --------------------------------------------------------------- */

/* One reference owned by the caller, nothing shared with other results; the
 * ASan build's leak checker fails this program if anything is left behind. */
static void results_are_owned_and_leak_free(void **state)
{
	(void)state;
	struct trust_input in = example();
	for (int i = 0; i < 500; i++) {
		in.has_quality = i & 1;
		in.fields = i % 3;
		json_t *r = compute(&in);
		assert_int_equal(r->refcount, 1);
		const json_t *a = json_array_get(json_object_get(r, "axes"), 0);
		assert_int_equal(a->refcount, 1);
		char *text = json_dumps(r, 0);
		assert_non_null(text);
		free(text);
		json_decref(r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(config_default_is_six_equal_axes),
		cmocka_unit_test(config_normalise_scales_enabled_and_zeroes_disabled),
		cmocka_unit_test(config_normalise_rejects),
		cmocka_unit_test(axis_names_match_the_d_ts),
		cmocka_unit_test(validity_and_completeness),
		cmocka_unit_test(discoverability_edges),
		cmocka_unit_test(timeliness_edges),
		cmocka_unit_test(diversity_volume_edges),
		cmocka_unit_test(diversity_evenness_source_and_axis),
		cmocka_unit_test(usage_edges),
		cmocka_unit_test(disabled_axis_has_no_score_and_no_weight),
		cmocka_unit_test(non_applicable_axes_are_renormalised_away),
		cmocka_unit_test(no_applicable_axis_scores_zero),
		cmocka_unit_test(worked_example_1_default_weights),
		cmocka_unit_test(worked_example_2_tenant_weights),
		cmocka_unit_test(json_shape_all_applicable),
		cmocka_unit_test(json_shape_disabled_and_not_applicable),
		cmocka_unit_test(ids_are_the_d_ts_ones),
		cmocka_unit_test(invariants_hold_for_random_inputs),
		cmocka_unit_test(overall_score_is_monotonic),
		cmocka_unit_test(results_are_owned_and_leak_free),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
