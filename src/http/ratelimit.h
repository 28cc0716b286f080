/* ratelimit: per-API-key, per-tier request limits (SPEC §2 "Rate limits").
 *
 * GCRA (generic cell rate algorithm): a token bucket of N requests per
 * minute with a burst of N, kept as one "theoretical arrival time" per
 * (key, tier), so a key costs O(1) memory and every answer is exact (time is
 * counted in 1/N ms ticks; no floating point). The table is split into 64
 * shards, each with its own mutex and chained hash table; entries whose
 * bucket has fully refilled are pruned, so memory follows the keys that were
 * active during the last minute. */
#ifndef DP_RATELIMIT_H
#define DP_RATELIMIT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "http/router.h"

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

/* Number of (key, tier) entries currently held (for tests and diagnostics). */
size_t ratelimit_entries(struct ratelimit *rl);

#endif
