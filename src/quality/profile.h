/* profile: computes a data set's quality and field profiles from its CSV in
 * one streaming pass with memory independent of the file's size (SPEC §5).
 *
 * Per declared field: valid = non-empty cells that parse as the declared
 * type, invalid = non-empty cells that do not, empty = empty cells (after
 * trimming ASCII blanks), total = valid + invalid + empty. Data set validity
 * = sum(valid)/sum(total), completeness = (sum(total)-sum(empty))/sum(total).
 * Columns are matched to declared fields by header name (exact); a declared
 * field missing from the header counts every row as empty; undeclared columns
 * are profiled as STRING but do not count toward quality. With no declared
 * fields at all, every header column is a STRING field. Cells missing from a
 * short (ragged) row are empty; extra cells are ignored; both are counted. */
#ifndef DP_PROFILE_H
#define DP_PROFILE_H
#include <jansson.h>
#include <stdint.h>

/* Error codes (ComputationErrorCode of data-qualities.d.ts), documented in
 * docs/quality.md. */
#define DQ_FILE_MISSING "DQ-100"   /* no file at operational.location */
#define DQ_FILE_UNREADABLE "DQ-110" /* open/read failed (permissions, I/O) */
#define DQ_MALFORMED "DQ-120"      /* not parseable as CSV */
#define DQ_NO_HEADER "DQ-121"      /* empty file: no header row */
#define DQ_OUTSIDE_ROOT "DQ-130"   /* location escapes --data-root */
#define DQ_NO_LOCATION "DQ-140"    /* metadata-only data set: nothing to read */
#define DQ_DATASET_MISSING "DQ-150" /* the data set was deleted before it ran */
#define DQ_NOT_DATA_FILE "DQ-160" /* not a regular file (FIFO, device, directory, ...) or the database */
#define DQ_TOO_BIG "DQ-170"       /* larger than the byte budget (--quality-max-bytes) */
#define DQ_TOO_SLOW "DQ-171"      /* ran past the time budget (--quality-max-seconds) */
#define DQ_INTERNAL "DQ-500"

struct profile_stats {
	uint64_t bytes; /* bytes read */
	uint64_t rows;  /* data rows (header excluded) */
};

/* Profiles the CSV open on fd against schema_fields (the data set's
 * schema.dataFields array, may be NULL/empty). On success returns 0 and
 * *out = {
 *   "rows", "raggedRows", "valid", "invalid", "empty", "total",
 *   "validity", "completeness",            -- fractions in [0,1]; 0 when total is 0
 *   "fields": [ { "name", "dataType", "declared": bool,
 *                 "valid", "invalid", "empty", "total",
 *                 "profile": FieldProfile (data-sets.d.ts): nullValueCount (= empty),
 *                   emptyStringCount, distinctValueCount (HyperLogLog estimate,
 *                   exact below 1024 values), minNumericValue, maxNumericValue,
 *                   average, standardDeviation, sumNumericValues, numericValueCount,
 *                   zeroValueCount, positiveValueCount, negativeValueCount,
 *                   minStringLength, maxStringLength, averageStringLength,
 *                   firstSortedStringValue, lastSortedStringValue (capped at 256 bytes),
 *                   mostFrequentValues (top 10, Space-Saving, values capped at 256
 *                   bytes), sampleValues (first 5 distinct), dataType, name, index } ] }
 * On failure returns -1 and writes a DQ_* code into code (8 bytes) and a
 * reason into reason. */
int profile_csv(json_t **out, struct profile_stats *stats, int fd, const json_t *schema_fields,
		char *code, char *reason, size_t reason_len);

/* A computation's budget: at most max_bytes bytes read (0 = no limit) and
 * no read after deadline_ns of clock_mono_ns() (0 = none). Exceeding it
 * fails the pass with DQ_TOO_BIG / DQ_TOO_SLOW. */
struct profile_budget {
	uint64_t max_bytes;
	int64_t deadline_ns;
};

/* profile_csv() within a budget (NULL = none). */
int profile_csv_budget(json_t **out, struct profile_stats *stats, int fd,
		       const json_t *schema_fields, const struct profile_budget *budget, char *code,
		       char *reason, size_t reason_len);

#endif
