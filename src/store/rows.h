/* rows: the mapping between stored rows and the documents the API returns,
 * written once for every backend (sqlite*.c now, PostgreSQL later) so both
 * produce the same bytes. Functions take and give plain C values -- the
 * columns a backend read, or the columns it is to write -- never a
 * backend's row handle. Returned json_t and char * belong to the caller. */
#ifndef DP_ROWS_H
#define DP_ROWS_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "util/etag.h"

/* ---- reading: columns -> document ------------------------------------ */

/* An api_keys row (the key itself, never its hash). */
struct rows_apikey {
	const char *id, *tenant_id, *user_id, *created_by, *description, *created_at;
	const char *updated_at; /* NULL: never updated */
	int64_t expires_ms;     /* 0 = never */
};

/* The ApiKey document (api-keys.d.ts); status "expired" once now_ms has
 * reached the expiry. */
json_t *rows_apikey_doc(const struct rows_apikey *k, int64_t now_ms);

/* A computations row; NULL text columns are left out of the document. */
enum rows_computation_col {
	ROWS_COMP_ID, ROWS_COMP_BATCH_ID, ROWS_COMP_DATASET_ID, ROWS_COMP_STATUS,
	ROWS_COMP_ATTEMPTS, ROWS_COMP_ERROR_CODE, ROWS_COMP_ERROR_REASON, ROWS_COMP_REQUESTED_AT,
	ROWS_COMP_REQUESTED_BY, ROWS_COMP_STARTED_AT, ROWS_COMP_FINISHED_AT, ROWS_COMP__COUNT
};
struct rows_computation {
	const char *text[ROWS_COMP__COUNT]; /* by enum rows_computation_col; ATTEMPTS unused */
	bool has_attempts;
	int attempts;
};

/* {id, batchId?, datasetId, status, attempts, errorCode?, errorReason?,
 *  requestedAt, requestedBy, startedAt?, finishedAt?} (store.h
 * computation_get). */
json_t *rows_computation_doc(const struct rows_computation *r);

/* ---- writing: document -> columns ------------------------------------ */

/* ASCII lower-casing in place; see docs/decisions.md on case-insensitive
 * search. */
void rows_lower_ascii(char *s);
/* The stored text of a document (compact JSON); the caller frees it. */
char *rows_doc_text(const json_t *doc);
/* doc[key] as a string, NULL when absent or not a string (borrowed). */
const char *rows_doc_str(const json_t *doc, const char *key);

/* The columns of a products row, derived from the DataProduct document.
 * Strings are borrowed from doc except text and name_lc, which
 * rows_product_release frees. */
struct rows_product {
	const char *id, *name, *space_id, *owner_id, *created_at, *updated_at;
	char *name_lc;  /* the name ASCII-lower-cased ("" without one): SORT_NAME */
	char *text;     /* the stored document */
	bool activated;
	char etag[ETAG_LEN + 1];
	/* the list's sort keys (schema v6): trustScore.score, and the mean of
	 * quality.validity and quality.completeness; absent when not computed */
	bool has_trust_score, has_quality;
	double trust_score, quality;
};

/* Fills out from doc; aborts when out of memory (as strbuf does). */
void rows_product_from_doc(struct rows_product *out, const json_t *doc);
void rows_product_release(struct rows_product *r);

#endif
