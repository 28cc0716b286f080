/* Unit tests for src/http/ratelimit.c: exact GCRA answers with injected
 * time, independence of keys and tiers, pruning, and concurrent takers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/ratelimit.h"

#define T0 1700000000000LL /* any monotonic origin works; use a large one */
#define KEY_A "11111111-1111-4111-8111-111111111111"
#define KEY_B "22222222-2222-4222-8222-222222222222"

static struct rate_verdict v;

static int take(struct ratelimit *rl, const char *key, enum rate_tier tier, int64_t now)
{
	return ratelimit_take(&v, rl, key, tier, now);
}

static void expect(int rc, long remaining, long reset_s, long retry_after_s)
{
	assert_true(v.enforced);
	assert_int_equal(rc, retry_after_s > 0);
	assert_int_equal(v.remaining, remaining);
	assert_int_equal(v.reset_s, reset_s);
	assert_int_equal(v.retry_after_s, retry_after_s);
}

/* N = 5/min: one request every 12 s, burst 5. */
static void burst_then_limited(void **state)
{
	(void)state;
	struct ratelimit *rl = ratelimit_new(5, 3);
	assert_non_null(rl);
	for (long i = 1; i <= 5; i++) {
		int rc = take(rl, KEY_A, TIER_1, T0);
		assert_int_equal(v.limit, 5);
		expect(rc, 5 - i, 12 * i, 0); /* full again 12 s per used request */
	}
	int rc = take(rl, KEY_A, TIER_1, T0);
	expect(rc, 0, 60, 12);
	assert_int_equal(v.limit, 5);
	ratelimit_free(rl);
}

static void refills_one_request_per_interval(void **state)
{
	(void)state;
	struct ratelimit *rl = ratelimit_new(5, 3);
	for (int i = 0; i < 5; i++)
		assert_int_equal(take(rl, KEY_A, TIER_1, T0), 0);
	/* 1 ms before the interval is over: still limited, retry in 1 s; the
	 * bucket is full 48.001 s later */
	expect(take(rl, KEY_A, TIER_1, T0 + 11999), 0, 49, 1);
	/* 7 s in: 5 s to go, full in 53 s */
	expect(take(rl, KEY_A, TIER_1, T0 + 7000), 0, 53, 5);
	/* exactly 60/N s later one request is allowed, then limited again */
	expect(take(rl, KEY_A, TIER_1, T0 + 12000), 0, 60, 0);
	expect(take(rl, KEY_A, TIER_1, T0 + 12000), 0, 60, 12);
	/* two more intervals: two requests, remaining counts down again */
	expect(take(rl, KEY_A, TIER_1, T0 + 36000), 1, 48, 0);
	expect(take(rl, KEY_A, TIER_1, T0 + 36000), 0, 60, 0);
	expect(take(rl, KEY_A, TIER_1, T0 + 36000), 0, 60, 12);
	/* a full minute after the last counted request the bucket is full */
	expect(take(rl, KEY_A, TIER_1, T0 + 96000), 4, 12, 0);
	ratelimit_free(rl);
}

/* 60000 ms / 7 = 8571.43 ms: the allowed instant is exact to the tick. */
static void non_integer_interval_is_exact(void **state)
{
	(void)state;
	struct ratelimit *rl = ratelimit_new(7, 7);
	for (int i = 0; i < 7; i++)
		assert_int_equal(take(rl, KEY_A, TIER_2, T0), 0);
	assert_int_equal(take(rl, KEY_A, TIER_2, T0 + 8571), 1);
	assert_int_equal(take(rl, KEY_A, TIER_2, T0 + 8572), 0);
	/* the second slot opens at 2 * 8571.43 = 17142.86 ms */
	assert_int_equal(take(rl, KEY_A, TIER_2, T0 + 17142), 1);
	assert_int_equal(take(rl, KEY_A, TIER_2, T0 + 17143), 0);
	ratelimit_free(rl);
}

static void limited_requests_do_not_consume(void **state)
{
	(void)state;
	struct ratelimit *rl = ratelimit_new(5, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(take(rl, KEY_A, TIER_2, T0), 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(take(rl, KEY_A, TIER_2, T0 + i), 1);
	expect(take(rl, KEY_A, TIER_2, T0 + 20000), 0, 60, 0);
	ratelimit_free(rl);
}

static void keys_and_tiers_are_independent(void **state)
{
	(void)state;
	struct ratelimit *rl = ratelimit_new(5, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(take(rl, KEY_A, TIER_2, T0), 0);
	assert_int_equal(take(rl, KEY_A, TIER_2, T0), 1);
	/* same key, other tier: full budget */
	expect(take(rl, KEY_A, TIER_1, T0), 4, 12, 0);
	assert_int_equal(v.limit, 5);
	/* other key, same tier: full budget */
	expect(take(rl, KEY_B, TIER_2, T0), 2, 20, 0);
	assert_int_equal(v.limit, 3);
	/* a key that is a prefix of another is another key */
	expect(take(rl, "1111", TIER_2, T0), 2, 20, 0);
	assert_int_equal(ratelimit_entries(rl), 4);
	ratelimit_free(rl);
}

static void unlimited_tier_and_tier_none(void **state)
{
	(void)state;
	struct ratelimit *rl = ratelimit_new(0, 2);
	for (int i = 0; i < 10000; i++) {
		assert_int_equal(take(rl, KEY_A, TIER_1, T0), 0);
		assert_false(v.enforced);
		assert_int_equal(take(rl, KEY_A, TIER_NONE, T0), 0);
		assert_false(v.enforced);
	}
	assert_int_equal(ratelimit_entries(rl), 0);
	/* the other tier is still enforced */
	assert_int_equal(take(rl, KEY_A, TIER_2, T0), 0);
	assert_int_equal(take(rl, KEY_A, TIER_2, T0), 0);
	assert_int_equal(take(rl, KEY_A, TIER_2, T0), 1);
	assert_true(v.enforced);
	ratelimit_free(rl);
	/* negative limits are unlimited too; NULL limiter never limits */
	rl = ratelimit_new(-1, 0);
	assert_int_equal(take(rl, KEY_A, TIER_1, T0), 0);
	assert_false(v.enforced);
	ratelimit_free(rl);
	assert_int_equal(take(NULL, KEY_A, TIER_1, T0), 0);
	assert_false(v.enforced);
	ratelimit_free(NULL);
}

static void large_limit(void **state)
{
	(void)state;
	struct ratelimit *rl = ratelimit_new(10000000, 10000000);
	expect(take(rl, KEY_A, TIER_1, T0), 9999999, 1, 0);
	for (int i = 0; i < 99999; i++)
		take(rl, KEY_A, TIER_1, T0);
	expect(take(rl, KEY_A, TIER_1, T0), 10000000 - 100001, 1, 0);
	ratelimit_free(rl);
	/* above the maximum: clamped, still no overflow */
	rl = ratelimit_new(RATELIMIT_MAX_PER_MIN * 100, 1);
	expect(take(rl, KEY_A, TIER_1, T0), RATELIMIT_MAX_PER_MIN - 1, 1, 0);
	expect(take(rl, KEY_A, TIER_1, T0 + 59999), RATELIMIT_MAX_PER_MIN - 1, 1, 0);
	ratelimit_free(rl);
}

static void clock_going_back_does_not_refill(void **state)
{
	(void)state;
	struct ratelimit *rl = ratelimit_new(5, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(take(rl, KEY_A, TIER_2, T0), 0);
	assert_int_equal(take(rl, KEY_A, TIER_2, T0 - 30000), 1);
	assert_int_equal(take(rl, KEY_A, TIER_2, T0 + 19999), 1);
	assert_int_equal(take(rl, KEY_A, TIER_2, T0 + 20000), 0);
	ratelimit_free(rl);
}

static void key_name(char *buf, size_t cap, const char *prefix, unsigned i)
{
	snprintf(buf, cap, "%s%08x-0000-4000-8000-000000000000", prefix, i);
}

/* Memory follows the active keys: a stream of one-off keys does not grow
 * the table, while live (not yet refilled) entries are never dropped. */
static void pruning_bounds_memory(void **state)
{
	(void)state;
	struct ratelimit *rl = ratelimit_new(1000, 3); /* tier 1: 60 ms; tier 2: 20 s */
	char key[64];
	for (unsigned k = 0; k < 200; k++) { /* hot keys: tier 2 used up at T0 */
		key_name(key, sizeof key, "h", k);
		for (int i = 0; i < 3; i++)
			assert_int_equal(take(rl, key, TIER_2, T0), 0);
	}
	assert_int_equal(ratelimit_entries(rl), 200);
	size_t peak = 0;
	for (unsigned k = 0; k < 50000; k++) { /* one-off keys, 1 ms apart, live 60 ms */
		key_name(key, sizeof key, "c", k);
		assert_int_equal(take(rl, key, TIER_1, T0 + 1 + k), 0);
		size_t n = ratelimit_entries(rl);
		if (n > peak)
			peak = n;
	}
	/* 200 hot + 61 live cold keys; the rest is sweep slack: a shard holds
	 * at most max(16, 2 x its live entries) between sweeps. */
	assert_true(peak >= 200 + 60);
	assert_true(peak <= 64 * 16 + 2 * (200 + 61));
	/* hot keys kept their exact state: 50 s after the burst, 10 s of the
	 * 60 s are still used, so one request fits and the next leaves 30 s */
	for (unsigned k = 0; k < 200; k++) {
		key_name(key, sizeof key, "h", k);
		expect(take(rl, key, TIER_2, T0 + 50001), 1, 30, 0);
	}
	/* long idle: the first request to each shard sweeps it */
	int64_t later = T0 + 1000000;
	for (unsigned k = 0; k < 1000; k++) {
		key_name(key, sizeof key, "n", k);
		assert_int_equal(take(rl, key, TIER_1, later), 0);
	}
	assert_int_equal(ratelimit_entries(rl), 1000);
	ratelimit_free(rl);
}

#define NTHREADS 4
#define NKEYS 2000
#define T1_LIMIT 50
#define T2_LIMIT 7

struct worker {
	struct ratelimit *rl;
	int id;
	long allowed[3];
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	char key[64];
	struct rate_verdict out;
	for (int round = 0; round < 2 * T1_LIMIT; round++)
		for (unsigned j = 0; j < NKEYS; j++) {
			/* each thread walks the keys from another start: real contention */
			unsigned k = (j + (unsigned)w->id * (NKEYS / NTHREADS)) % NKEYS;
			key_name(key, sizeof key, "m", k);
			enum rate_tier tier = round % 8 == 0 ? TIER_2 : TIER_1;
			if (ratelimit_take(&out, w->rl, key, tier, T0) == 0)
				w->allowed[tier]++;
		}
	return NULL;
}

static void concurrent_takers_lose_no_updates(void **state)
{
	(void)state;
	struct ratelimit *rl = ratelimit_new(T1_LIMIT, T2_LIMIT);
	struct worker w[NTHREADS];
	pthread_t th[NTHREADS];
	for (int i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){.rl = rl, .id = i};
		assert_int_equal(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
	}
	long t1 = 0, t2 = 0;
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		t1 += w[i].allowed[TIER_1];
		t2 += w[i].allowed[TIER_2];
	}
	/* every thread offered each key 87 tier-1 and 13 tier-2 requests */
	assert_int_equal(t1, (long)NKEYS * T1_LIMIT);
	assert_int_equal(t2, (long)NKEYS * T2_LIMIT);
	assert_int_equal(ratelimit_entries(rl), 2 * NKEYS);
	char key[64];
	key_name(key, sizeof key, "m", 123);
	expect(take(rl, key, TIER_1, T0), 0, 60, 2);
	ratelimit_free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(burst_then_limited),
		cmocka_unit_test(refills_one_request_per_interval),
		cmocka_unit_test(non_integer_interval_is_exact),
		cmocka_unit_test(limited_requests_do_not_consume),
		cmocka_unit_test(keys_and_tiers_are_independent),
		cmocka_unit_test(unlimited_tier_and_tier_none),
		cmocka_unit_test(large_limit),
		cmocka_unit_test(clock_going_back_does_not_refill),
		cmocka_unit_test(pruning_bounds_memory),
		cmocka_unit_test(concurrent_takers_lose_no_updates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
