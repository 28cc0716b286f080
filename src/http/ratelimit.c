/* ratelimit: sharded GCRA table.
 *
 * For a limit of N requests per minute, time is counted in ticks of 1/N ms,
 * so the emission interval (the cost of one request) is T = 60000 ticks and
 * the burst capacity is N * T ticks: everything stays an exact integer. Each
 * (key, tier) entry stores the bucket "level" -- how far its theoretical
 * arrival time (TAT) lies ahead of last_ms -- which drains at N ticks per ms.
 * A request is allowed when level + T <= N * T; it then adds T. A refused
 * request changes nothing.
 *
 * An entry whose level has drained to 0 carries no information (a missing
 * entry means "full bucket"), so shards drop such entries in sweeps: when
 * the shard has doubled since its last sweep (amortised O(1) per insert) and
 * at most once a minute otherwise. Memory is therefore bounded by about
 * twice the number of keys that were active in the last minute. */
#include "http/ratelimit.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NSHARDS 64 /* a power of two; the shard is taken from the hash's top bits */
#define SHARD_BITS 6
#define TICKS_PER_REQUEST 60000 /* T: one request in 1/N-ms ticks (= 60000 ms / N) */
#define MINUTE_MS 60000
#define SWEEP_MIN 16 /* entries a shard may hold before size-triggered sweeps start */
#define INITIAL_BUCKETS 8

struct entry {
	struct entry *next;
	uint64_t hash;
	int64_t last_ms;    /* time of the last counted request */
	int64_t level;      /* TAT - last_ms, in ticks: 0..N*T */
	int64_t full_at_ms; /* from then on the bucket is full again: prunable */
	enum rate_tier tier;
	char key[]; /* NUL-terminated key id */
};

struct shard {
	_Alignas(64) pthread_mutex_t mu; /* a cache line of its own: no false sharing */
	struct entry **buckets;
	size_t nbuckets; /* a power of two */
	size_t count;
	size_t sweep_at;       /* sweep before an insert once count reaches this */
	int64_t next_sweep_ms; /* and on any request at or after this time */
};

struct ratelimit {
	int64_t per_min[3]; /* by enum rate_tier; 0 = unlimited */
	struct shard shards[NSHARDS];
};

static uint64_t hash_key(const char *key, enum rate_tier tier)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	h = (h ^ (unsigned)tier) * 1099511628211ULL;
	h ^= h >> 33; /* murmur3 finaliser: spread into the top (shard) bits */
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

struct ratelimit *ratelimit_new(long tier1_per_min, long tier2_per_min)
{
	struct ratelimit *rl = aligned_alloc(_Alignof(struct ratelimit), sizeof *rl);
	if (!rl)
		return NULL;
	memset(rl, 0, sizeof *rl);
	long lim[3] = {0, tier1_per_min, tier2_per_min};
	for (int t = 0; t < 3; t++)
		rl->per_min[t] = lim[t] <= 0 ? 0
				 : lim[t] > RATELIMIT_MAX_PER_MIN ? RATELIMIT_MAX_PER_MIN
								  : lim[t];
	for (int i = 0; i < NSHARDS; i++) {
		struct shard *s = &rl->shards[i];
		pthread_mutex_init(&s->mu, NULL);
		s->nbuckets = INITIAL_BUCKETS;
		s->sweep_at = SWEEP_MIN;
		s->next_sweep_ms = INT64_MIN;
		if (!(s->buckets = calloc(s->nbuckets, sizeof *s->buckets))) {
			for (int j = 0; j <= i; j++) {
				free(rl->shards[j].buckets);
				pthread_mutex_destroy(&rl->shards[j].mu);
			}
			free(rl);
			return NULL;
		}
	}
	return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (!rl)
		return;
	for (int i = 0; i < NSHARDS; i++) {
		struct shard *s = &rl->shards[i];
		for (size_t b = 0; b < s->nbuckets; b++)
			for (struct entry *e = s->buckets[b], *next; e; e = next) {
				next = e->next;
				free(e);
			}
		free(s->buckets);
		pthread_mutex_destroy(&s->mu);
	}
	free(rl);
}

/* Level of e at now: the stored level minus what drained since last_ms. */
static int64_t level_at(const struct entry *e, int64_t now_ms, int64_t n)
{
	if (now_ms <= e->last_ms)
		return e->level; /* clock did not move (or an older now): nothing drained */
	uint64_t elapsed = (uint64_t)now_ms - (uint64_t)e->last_ms;
	if (elapsed >= MINUTE_MS)
		return 0; /* a full minute refills any bucket */
	int64_t drained = (int64_t)elapsed * n;
	return e->level > drained ? e->level - drained : 0;
}

/* Drops every entry whose bucket is full at now_ms. Caller holds s->mu. */
static void sweep(struct shard *s, int64_t now_ms)
{
	for (size_t b = 0; b < s->nbuckets; b++) {
		struct entry **pp = &s->buckets[b];
		while (*pp) {
			struct entry *e = *pp;
			if (now_ms >= e->full_at_ms) {
				*pp = e->next;
				free(e);
				s->count--;
			} else {
				pp = &e->next;
			}
		}
	}
	s->sweep_at = 2 * s->count > SWEEP_MIN ? 2 * s->count : SWEEP_MIN;
	s->next_sweep_ms = now_ms + MINUTE_MS;
}

/* Doubles the bucket array (load factor 1). On allocation failure the
 * table keeps working with longer chains. Caller holds s->mu. */
static void grow(struct shard *s)
{
	size_t nb = s->nbuckets * 2;
	struct entry **b = calloc(nb, sizeof *b);
	if (!b)
		return;
	for (size_t i = 0; i < s->nbuckets; i++)
		for (struct entry *e = s->buckets[i], *next; e; e = next) {
			next = e->next;
			size_t j = e->hash & (nb - 1);
			e->next = b[j];
			b[j] = e;
		}
	free(s->buckets);
	s->buckets = b;
	s->nbuckets = nb;
}

static int64_t ceil_div(int64_t a, int64_t b) { return a <= 0 ? 0 : (a + b - 1) / b; }

int ratelimit_take(struct rate_verdict *out, struct ratelimit *rl, const char *key_id,
		   enum rate_tier tier, int64_t now_ms)
{
	memset(out, 0, sizeof *out);
	if (!rl || (tier != TIER_1 && tier != TIER_2) || !rl->per_min[tier])
		return 0;
	const int64_t n = rl->per_min[tier];
	const int64_t cap = n * TICKS_PER_REQUEST;
	const int64_t ticks_per_s = n * 1000;
	uint64_t h = hash_key(key_id, tier);
	struct shard *s = &rl->shards[h >> (64 - SHARD_BITS)];

	pthread_mutex_lock(&s->mu);
	if (now_ms >= s->next_sweep_ms && s->count > 0)
		sweep(s, now_ms);
	struct entry **head = &s->buckets[h & (s->nbuckets - 1)];
	struct entry *e = *head;
	while (e && !(e->hash == h && e->tier == tier && strcmp(e->key, key_id) == 0))
		e = e->next;
	int64_t level = e ? level_at(e, now_ms, n) : 0;
	int limited = level + TICKS_PER_REQUEST > cap;
	if (!limited) {
		if (!e) {
			if (s->count >= s->sweep_at)
				sweep(s, now_ms);
			if (s->count >= s->nbuckets)
				grow(s);
			head = &s->buckets[h & (s->nbuckets - 1)];
			size_t klen = strlen(key_id);
			e = malloc(sizeof *e + klen + 1);
			if (e) {
				e->hash = h;
				e->tier = tier;
				e->last_ms = now_ms;
				e->level = 0;
				memcpy(e->key, key_id, klen + 1);
				e->next = *head;
				*head = e;
				s->count++;
			}
			/* else: out of memory; the request is let through uncounted */
		}
		level += TICKS_PER_REQUEST;
		if (e) {
			if (now_ms > e->last_ms)
				e->last_ms = now_ms;
			e->level = level;
			e->full_at_ms = e->last_ms + ceil_div(level, n);
		}
	}
	pthread_mutex_unlock(&s->mu);

	out->enforced = true;
	out->limit = (long)n;
	out->remaining = (long)((cap - level) / TICKS_PER_REQUEST);
	if (out->remaining < 0)
		out->remaining = 0;
	out->reset_s = (long)ceil_div(level, ticks_per_s);
	out->retry_after_s = limited ? (long)ceil_div(level + TICKS_PER_REQUEST - cap, ticks_per_s) : 0;
	return limited;
}

size_t ratelimit_entries(struct ratelimit *rl)
{
	size_t total = 0;
	for (int i = 0; i < NSHARDS; i++) {
		pthread_mutex_lock(&rl->shards[i].mu);
		total += rl->shards[i].count;
		pthread_mutex_unlock(&rl->shards[i].mu);
	}
	return total;
}

int ratelimit_take_shared(struct rate_verdict *out, struct ratelimit *rl, struct store *st,
			  int bucket, const char *key_id, enum rate_tier tier, int64_t now_ms)
{
	memset(out, 0, sizeof *out);
	if (!rl || (tier != TIER_1 && tier != TIER_2) || !rl->per_min[tier])
		return 0;
	struct store_rate sr;
	if (!st || st->ops->rate_take(st, &sr, key_id, bucket, (long)rl->per_min[tier]) != STORE_ONE)
		return ratelimit_take(out, rl, key_id, tier, now_ms);
	const int64_t us_per_s = 1000000;
	out->enforced = true;
	out->limit = (long)rl->per_min[tier];
	out->remaining = sr.level_us < sr.cap_us ? (long)((sr.cap_us - sr.level_us) / sr.interval_us) : 0;
	out->reset_s = (long)ceil_div(sr.level_us, us_per_s);
	out->retry_after_s =
		sr.limited ? (long)ceil_div(sr.level_us + sr.interval_us - sr.cap_us, us_per_s) : 0;
	if (sr.limited && out->retry_after_s < 1)
		out->retry_after_s = 1;
	return sr.limited;
}
