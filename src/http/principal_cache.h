/* principal_cache: what a credential (an API key, a browser session) last
 * resolved to, keyed by the SHA-256 of the credential, so that a request
 * need not hash-and-look-up in the store every time (issue 12: 27 % of the
 * CPU of a GET by id). docs/decisions.md "Issue 12 -- principal cache".
 *
 * Bounded: PRINCIPAL_CACHE_CAP entries in PRINCIPAL_CACHE_SHARDS shards,
 * each under its own mutex; clock (second chance) eviction within a shard.
 * Memory: PRINCIPAL_CACHE_CAP (4,096) entries of 200 bytes and 8 KiB of
 * chain heads: 808 KiB of static storage, paged in only as it fills.
 *
 * Trust: an entry is used only when it was filled under the current identity
 * generation (store.h store_identity_generation(): bumped after every local
 * commit that revokes or deletes a key, changes or deletes a user, or ends a
 * session) and less than the TTL ago (PRINCIPAL_CACHE_TTL_MS: the bound on
 * seeing another process's change, e.g. another instance on the same
 * PostgreSQL database). Only credentials that resolved to an active user are
 * cached: unknown keys are never (random keys cannot fill the cache). The
 * caller still checks expiry on every request from the cached value.
 * The digest is compared in constant time. */
#ifndef DP_PRINCIPAL_CACHE_H
#define DP_PRINCIPAL_CACHE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "domain/roles.h"
#include "util/ids.h"

#define PRINCIPAL_CACHE_SHARDS 16
#define PRINCIPAL_CACHE_SHARD_MAX 256
#define PRINCIPAL_CACHE_CAP (PRINCIPAL_CACHE_SHARDS * PRINCIPAL_CACHE_SHARD_MAX)
#define PRINCIPAL_CACHE_TTL_MS 1000

/* Which kind of credential a digest is of: an API key or a browser session
 * (the digest of its cookie token). */
enum principal_kind { PRINCIPAL_KEY = 1, PRINCIPAL_SESSION = 2 };

/* What a credential resolved to (the parts a request needs). */
struct cached_principal {
	struct principal who;
	int64_t expires_ms;          /* a key's expiry (0 = never); a session's absolute expiry */
	int64_t key_expires_ms;      /* a session's key's expiry (0 = never, or no key) */
	int64_t last_seen_ms;        /* a session's last use as the store had it (or as touched) */
};

/* Replaces the bounds (tests): cap entries in all (rounded down to a
 * multiple of the shards, at least one per shard, at most
 * PRINCIPAL_CACHE_CAP) and the TTL; empties the cache. Not thread-safe:
 * call before serving. */
void principal_cache_configure(size_t cap, int64_t ttl_ms);
/* Empties the cache. */
void principal_cache_clear(void);
/* Fills *out from the entry of (kind, digest) when it was filled under
 * generation gen and less than the TTL before now_ms: true. Otherwise false
 * (a stale entry is dropped). */
bool principal_cache_get(struct cached_principal *out, enum principal_kind kind,
			 const unsigned char *digest, uint64_t gen, int64_t now_ms);
/* Stores p for (kind, digest), filled under generation gen (read BEFORE
 * the lookup that produced p) at now_ms; replaces an older entry of the
 * same credential, else evicts one when the shard is full. */
void principal_cache_put(enum principal_kind kind, const unsigned char *digest,
			 const struct cached_principal *p, uint64_t gen, int64_t now_ms);
/* Drops the entry of (kind, digest), if any. */
void principal_cache_drop(enum principal_kind kind, const unsigned char *digest);
/* Entries held now (tests). */
size_t principal_cache_size(void);

/* For /metrics: entries held, and lookups answered from the cache (hits)
 * or not (misses: absent, outdated or expired entries) since the start. */
struct principal_cache_stats {
	size_t entries;
	uint64_t hits, misses;
};
void principal_cache_stats(struct principal_cache_stats *out);

#endif
