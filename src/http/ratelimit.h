/* ratelimit: per-API-key, per-tier request limits (SPEC §2 "Rate limits").
 *
 * GCRA (generic cell rate algorithm): a token bucket of N requests per
 * minute with a burst of N, kept as one "theoretical arrival time" per
 * (key, tier), so a key costs O(1) memory and every answer is exact (time is
 * counted in 1/N ms ticks; no floating point). The table is split into 64
 * shards, each with its own mutex and chained hash table; entries whose
 * bucket has fully refilled are pruned, so memory follows the keys that were
 * active during the last minute.
 *
 * On PostgreSQL the same GCRA runs in the database instead, so that every
 * instance counts in one budget per key (ratelimit_take_shared below); this
 * table then only stands in while the database cannot be asked. */
#ifndef DP_RATELIMIT_H
#define DP_RATELIMIT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "http/router.h"
#include "store/store.h"

/* The largest per-minute limit ratelimit_new() honours (bigger is clamped). */
#define RATELIMIT_MAX_PER_MIN 1000000000L

struct ratelimit;

struct rate_verdict {
	long limit;         /* requests per minute of this tier */
	long remaining;     /* requests that would still be allowed right now */
	long reset_s;       /* seconds until the bucket is full again */
	long retry_after_s; /* when limited: seconds until one request is allowed; else 0 */
	bool enforced;      /* false: tier unlimited (limit 0) or TIER_NONE; send no headers */
};

/* Limits in requests per minute per key; 0 = unlimited. NULL if out of memory. */
struct ratelimit *ratelimit_new(long tier1_per_min, long tier2_per_min);
void ratelimit_free(struct ratelimit *rl);

/* Counts one request of key_id in tier at now_ms (any monotonic millisecond
 * clock; injected for tests). Returns 0 when allowed, 1 when limited (the
 * request is then not counted); *out is filled either way. A limited request
 * does not consume budget. */
int ratelimit_take(struct rate_verdict *out, struct ratelimit *rl, const char *key_id,
		   enum rate_tier tier, int64_t now_ms);

/* Shared budgets (SPEC §7 "rate limits hold per key across the cluster";
 * docs/decisions.md "Issue 11 — rate limits across instances"): like
 * ratelimit_take, with rl's limits, but on a backend that keeps shared
 * buckets (PostgreSQL) the database decides, in its bucket `bucket`
 * (RATELIMIT_BUCKET_*), so every instance on the database counts in the
 * same budget. Where the backend keeps none (SQLite) or its statement
 * fails (database unreachable), rl itself decides: the limit falls back to
 * one per instance, never to none and never to refusing everything. st may
 * be NULL (rl only). Call it with no transaction open. */
#define RATELIMIT_BUCKET_SIGN_IN 3 /* 1 and 2: the API key tiers (enum rate_tier) */
int ratelimit_take_shared(struct rate_verdict *out, struct ratelimit *rl, struct store *st,
			  int bucket, const char *key_id, enum rate_tier tier, int64_t now_ms);

/* Number of (key, tier) entries currently held (for tests and diagnostics). */
size_t ratelimit_entries(struct ratelimit *rl);

#endif
