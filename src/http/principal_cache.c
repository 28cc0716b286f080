/* principal_cache: the bounded, sharded credential -> principal cache of
 * principal_cache.h. Each shard: a fixed array of entries, chained from
 * BUCKETS heads by a digest slice, and a clock hand for eviction. */
#include "http/principal_cache.h"
#include <pthread.h>
#include <string.h>

#define BUCKETS 256 /* per shard; a power of two >= PRINCIPAL_CACHE_SHARD_MAX */
#define NIL (-1)

struct entry {
	unsigned char digest[IDS_SHA256_LEN];
	struct cached_principal p;
	uint64_t gen;
	int64_t filled_ms;
	int16_t next;    /* the bucket chain */
	uint8_t kind;    /* 0: free */
	uint8_t ref;     /* clock: used since the hand last passed */
};

struct shard {
	pthread_mutex_t mu;
	int16_t head[BUCKETS];
	struct entry e[PRINCIPAL_CACHE_SHARD_MAX];
	int hand;
	int used;
	uint64_t hits, misses; /* under mu */
};

static struct shard shards[PRINCIPAL_CACHE_SHARDS];
static int shard_cap = PRINCIPAL_CACHE_SHARD_MAX;
static int64_t ttl_ms = PRINCIPAL_CACHE_TTL_MS;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void shard_reset(struct shard *s, bool wipe)
{
	for (int b = 0; b < BUCKETS; b++)
		s->head[b] = NIL;
	if (wipe) /* static storage starts zeroed: not wiped (nor paged in) at start */
		memset(s->e, 0, sizeof s->e);
	s->hand = 0;
	s->used = 0;
}

static void init_all(void)
{
	for (int i = 0; i < PRINCIPAL_CACHE_SHARDS; i++) {
		pthread_mutex_init(&shards[i].mu, NULL);
		shard_reset(&shards[i], false);
	}
}

/* The digest is SHA-256 output: its bytes are already uniform. Which shard
 * and bucket an entry sits in is not secret; its whole digest is compared
 * in constant time. */
static struct shard *shard_of(const unsigned char *d)
{
	return &shards[d[0] % PRINCIPAL_CACHE_SHARDS];
}

static int bucket_of(const unsigned char *d) { return d[1] % BUCKETS; }

void principal_cache_configure(size_t cap, int64_t ttl)
{
	pthread_once(&once, init_all);
	size_t per = cap / PRINCIPAL_CACHE_SHARDS;
	if (per < 1)
		per = 1;
	if (per > PRINCIPAL_CACHE_SHARD_MAX)
		per = PRINCIPAL_CACHE_SHARD_MAX;
	shard_cap = (int)per;
	ttl_ms = ttl;
	principal_cache_clear();
}

void principal_cache_clear(void)
{
	pthread_once(&once, init_all);
	for (int i = 0; i < PRINCIPAL_CACHE_SHARDS; i++) {
		pthread_mutex_lock(&shards[i].mu);
		shard_reset(&shards[i], true);
		pthread_mutex_unlock(&shards[i].mu);
	}
}

/* The entry of (kind, d) in s, or NIL; *prev its predecessor in the chain. */
static int find(struct shard *s, int *prev, enum principal_kind kind, const unsigned char *d)
{
	*prev = NIL;
	for (int i = s->head[bucket_of(d)]; i != NIL; *prev = i, i = s->e[i].next) {
		const struct entry *e = &s->e[i];
		/* both always compared: no early exit on the kind */
		bool same = ids_equal_ct(e->digest, d, IDS_SHA256_LEN);
		if (same && e->kind == kind)
			return i;
	}
	return NIL;
}

static void unlink_at(struct shard *s, int i, int prev)
{
	struct entry *e = &s->e[i];
	if (prev == NIL)
		s->head[bucket_of(e->digest)] = e->next;
	else
		s->e[prev].next = e->next;
	memset(e, 0, sizeof *e);
	s->used--;
}

static void remove_at(struct shard *s, int i)
{
	int prev = NIL;
	for (int j = s->head[bucket_of(s->e[i].digest)]; j != i; prev = j, j = s->e[j].next)
		;
	unlink_at(s, i, prev);
}

bool principal_cache_get(struct cached_principal *out, enum principal_kind kind,
			 const unsigned char *digest, uint64_t gen, int64_t now_ms)
{
	pthread_once(&once, init_all);
	struct shard *s = shard_of(digest);
	bool hit = false;
	pthread_mutex_lock(&s->mu);
	int prev, i = find(s, &prev, kind, digest);
	if (i != NIL) {
		struct entry *e = &s->e[i];
		/* a clock that went back makes the entry stale too */
		if (e->gen == gen && e->filled_ms <= now_ms && now_ms - e->filled_ms < ttl_ms) {
			*out = e->p;
			e->ref = 1;
			hit = true;
		} else {
			unlink_at(s, i, prev);
		}
	}
	if (hit)
		s->hits++;
	else
		s->misses++;
	pthread_mutex_unlock(&s->mu);
	return hit;
}

/* A slot for a new entry: a free one, else the first the clock hand finds
 * unreferenced (clearing reference bits on its way; two turns at most). */
static int victim(struct shard *s)
{
	for (int n = 0; n < 2 * shard_cap + 1; n++) {
		int i = s->hand;
		s->hand = (s->hand + 1) % shard_cap;
		struct entry *e = &s->e[i];
		if (!e->kind)
			return i;
		if (!e->ref) {
			remove_at(s, i);
			return i;
		}
		e->ref = 0;
	}
	return NIL; /* unreachable: the second turn finds a cleared bit */
}

void principal_cache_put(enum principal_kind kind, const unsigned char *digest,
			 const struct cached_principal *p, uint64_t gen, int64_t now_ms)
{
	pthread_once(&once, init_all);
	struct shard *s = shard_of(digest);
	pthread_mutex_lock(&s->mu);
	int prev, i = find(s, &prev, kind, digest);
	if (i == NIL) {
		i = victim(s);
		if (i != NIL) {
			struct entry *e = &s->e[i];
			memcpy(e->digest, digest, IDS_SHA256_LEN);
			e->kind = (uint8_t)kind;
			e->next = s->head[bucket_of(digest)];
			s->head[bucket_of(digest)] = (int16_t)i;
			s->used++;
		}
	}
	if (i != NIL) {
		struct entry *e = &s->e[i];
		e->p = *p;
		e->gen = gen;
		e->filled_ms = now_ms;
		e->ref = 0; /* a new entry earns its second chance by being used */
	}
	pthread_mutex_unlock(&s->mu);
}

void principal_cache_drop(enum principal_kind kind, const unsigned char *digest)
{
	pthread_once(&once, init_all);
	struct shard *s = shard_of(digest);
	pthread_mutex_lock(&s->mu);
	int prev, i = find(s, &prev, kind, digest);
	if (i != NIL)
		unlink_at(s, i, prev);
	pthread_mutex_unlock(&s->mu);
}

void principal_cache_stats(struct principal_cache_stats *out)
{
	pthread_once(&once, init_all);
	memset(out, 0, sizeof *out);
	for (int i = 0; i < PRINCIPAL_CACHE_SHARDS; i++) {
		pthread_mutex_lock(&shards[i].mu);
		out->entries += (size_t)shards[i].used;
		out->hits += shards[i].hits;
		out->misses += shards[i].misses;
		pthread_mutex_unlock(&shards[i].mu);
	}
}

size_t principal_cache_size(void)
{
	struct principal_cache_stats s;
	principal_cache_stats(&s);
	return s.entries;
}
