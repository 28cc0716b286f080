/* trust: Qlik-style trust scores for data sets (trust-scores.d.ts). Pure
 * maths over inputs the caller gathers; every formula is written out in
 * docs/trust.md and unit-tested. Scores and weights are fractions in [0,1]. */
#ifndef DP_TRUST_H
#define DP_TRUST_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

enum trust_axis { AX_VALIDITY, AX_COMPLETENESS, AX_DISCOVERABILITY, AX_TIMELINESS, AX_DIVERSITY,
		  AX_USAGE, AX__COUNT };

/* Per-tenant configuration: each axis enabled or not, with a weight; the
 * weights of enabled axes are normalised to sum to 1. */
struct trust_config {
	bool enabled[AX__COUNT];
	double weight[AX__COUNT];
};

/* Everything the formulas read about one data set. */
struct trust_input {
	bool has_quality;           /* a successful computation exists */
	double validity;            /* from it */
	double completeness;
	bool has_description;       /* non-empty description */
	bool has_tags;              /* at least one tag */
	int fields;                 /* declared fields */
	int fields_described;       /* ... with a non-empty description */
	int fields_tagged;          /* ... with tags or userTags */
	bool in_activated_product;  /* part of at least one activated data product */
	bool has_file_time;         /* the CSV's modification time is known */
	int64_t file_age_ms;        /* now - mtime */
	int64_t expected_period_ms; /* expected update period (0: unknown -> default 1 day) */
	/* DIVERSITY, from the profile: */
	bool has_profile;
	double distinct_ratio;      /* mean over fields of min(1, distinct / non-empty) */
	double evenness;            /* mean over fields of the normalised Shannon entropy of mostFrequentValues */
	int64_t rows;
	/* USAGE: */
	int products_using;         /* data products referencing the data set */
	int activated_products_using;
};

/* Defaults (documented): all six axes enabled with equal weight 1/6. */
void trust_config_default(struct trust_config *c);
/* Validates and normalises; -1 + err when no axis is enabled or a weight is
 * negative/not finite. */
int trust_config_normalise(struct trust_config *c, char *err, size_t errlen);
const char *trust_axis_name(enum trust_axis a);

/* Builds a TrustScoreResponse (without datasetId/updatedAt/previousScore,
 * which the caller adds): {"score", "axes":[{id, enabled, applicable, weight,
 * score?, metrics:[{id, weight, score?}]}]}. The score is the weighted mean
 * of the applicable enabled axes' scores, weights renormalised over them;
 * an axis is applicable when it has at least one metric with a score. */
json_t *trust_compute(const struct trust_config *c, const struct trust_input *in);

/* The score (0..1) of the usage metrics for n products: 1 - 1/(1 + p2(n)),
 * p2(n) the largest power of two <= n, 0 for none (docs/trust.md §3). */
double trust_usage_score(int n);

#endif
