/* test_principal_cache: the credential -> principal cache of issue 12
 * (src/http/principal_cache.c) on its own: hits, the identity generation
 * and the TTL outdating entries, a clock that goes back, clock (second
 * chance) eviction at the cap, replacement, drop, kinds kept apart, the
 * digest compared whole; and the hex encoding and constant-time comparison
 * it relies on (src/util/ids.c). */
#include "support.h"

#include <pthread.h>

#include "http/principal_cache.h"
#include "util/ids.h"

/* A digest for shard `shard` (byte 0), bucket `bucket` (byte 1), told
 * apart by `tag` in its last byte. */
static void digest(unsigned char *d, int shard, int bucket, int tag)
{
	memset(d, 0x5a, IDS_SHA256_LEN);
	d[0] = (unsigned char)shard;
	d[1] = (unsigned char)bucket;
	d[IDS_SHA256_LEN - 1] = (unsigned char)tag;
}

static struct cached_principal who(const char *user, unsigned roles)
{
	struct cached_principal p;
	memset(&p, 0, sizeof p);
	snprintf(p.who.user_id, sizeof p.who.user_id, "%s", user);
	snprintf(p.who.tenant_id, sizeof p.who.tenant_id, "tenant");
	p.who.roles = roles;
	p.expires_ms = 12345;
	return p;
}

static int setup(void **state)
{
	(void)state;
	principal_cache_configure(PRINCIPAL_CACHE_CAP, 1000);
	return 0;
}

static void hit_returns_what_was_put(void **state)
{
	(void)state;
	unsigned char d[IDS_SHA256_LEN];
	digest(d, 3, 7, 1);
	struct cached_principal p = who("u1", 6), got;
	assert_false(principal_cache_get(&got, PRINCIPAL_KEY, d, 5, 1000));
	principal_cache_put(PRINCIPAL_KEY, d, &p, 5, 1000);
	assert_true(principal_cache_get(&got, PRINCIPAL_KEY, d, 5, 1999));
	assert_string_equal(got.who.user_id, "u1");
	assert_string_equal(got.who.tenant_id, "tenant");
	assert_int_equal(got.who.roles, 6);
	assert_int_equal(got.expires_ms, 12345);
	assert_int_equal(principal_cache_size(), 1);
}

static void newer_generation_outdates_the_entry(void **state)
{
	(void)state;
	unsigned char d[IDS_SHA256_LEN];
	digest(d, 1, 1, 1);
	struct cached_principal p = who("u", 1), got;
	principal_cache_put(PRINCIPAL_KEY, d, &p, 5, 1000);
	assert_false(principal_cache_get(&got, PRINCIPAL_KEY, d, 6, 1001));
	/* dropped, not kept for a later look with the old generation */
	assert_false(principal_cache_get(&got, PRINCIPAL_KEY, d, 5, 1001));
	assert_int_equal(principal_cache_size(), 0);
}

static void ttl_outdates_the_entry(void **state)
{
	(void)state;
	unsigned char d[IDS_SHA256_LEN];
	digest(d, 1, 1, 1);
	struct cached_principal p = who("u", 1), got;
	principal_cache_put(PRINCIPAL_KEY, d, &p, 5, 1000);
	assert_true(principal_cache_get(&got, PRINCIPAL_KEY, d, 5, 1999));
	assert_false(principal_cache_get(&got, PRINCIPAL_KEY, d, 5, 2000));
	/* a clock that went back outdates it too */
	principal_cache_put(PRINCIPAL_KEY, d, &p, 5, 1000);
	assert_false(principal_cache_get(&got, PRINCIPAL_KEY, d, 5, 999));
}

static void kinds_and_digests_are_kept_apart(void **state)
{
	(void)state;
	unsigned char d[IDS_SHA256_LEN], e[IDS_SHA256_LEN];
	digest(d, 2, 9, 1);
	digest(e, 2, 9, 1);
	e[17] ^= 1; /* same shard, bucket and last byte: differs in the middle */
	struct cached_principal p = who("key", 1), q = who("session", 2), got;
	principal_cache_put(PRINCIPAL_KEY, d, &p, 1, 1000);
	assert_false(principal_cache_get(&got, PRINCIPAL_SESSION, d, 1, 1000));
	assert_false(principal_cache_get(&got, PRINCIPAL_KEY, e, 1, 1000));
	principal_cache_put(PRINCIPAL_SESSION, d, &q, 1, 1000);
	assert_true(principal_cache_get(&got, PRINCIPAL_KEY, d, 1, 1000));
	assert_string_equal(got.who.user_id, "key");
	assert_true(principal_cache_get(&got, PRINCIPAL_SESSION, d, 1, 1000));
	assert_string_equal(got.who.user_id, "session");
	principal_cache_drop(PRINCIPAL_KEY, d);
	assert_false(principal_cache_get(&got, PRINCIPAL_KEY, d, 1, 1000));
	assert_true(principal_cache_get(&got, PRINCIPAL_SESSION, d, 1, 1000));
}

static void put_replaces_the_same_credential(void **state)
{
	(void)state;
	unsigned char d[IDS_SHA256_LEN];
	digest(d, 4, 4, 4);
	struct cached_principal p = who("old", 1), q = who("new", 4), got;
	principal_cache_put(PRINCIPAL_KEY, d, &p, 1, 1000);
	principal_cache_put(PRINCIPAL_KEY, d, &q, 2, 1500);
	assert_int_equal(principal_cache_size(), 1);
	assert_true(principal_cache_get(&got, PRINCIPAL_KEY, d, 2, 1600));
	assert_string_equal(got.who.user_id, "new");
}

static void full_shard_evicts_the_unused_one(void **state)
{
	(void)state;
	/* two entries per shard: a third in one shard evicts one of them, the
	 * one not used since it was put (clock: the used one gets a second
	 * chance); the other shards are untouched */
	principal_cache_configure(2 * PRINCIPAL_CACHE_SHARDS, 1000);
	unsigned char a[IDS_SHA256_LEN], b[IDS_SHA256_LEN], c[IDS_SHA256_LEN], o[IDS_SHA256_LEN];
	digest(a, 5, 1, 1);
	digest(b, 5, 1, 2); /* same bucket as a: a chain */
	digest(c, 5, 2, 3);
	digest(o, 6, 1, 4);
	struct cached_principal p = who("u", 1), got;
	principal_cache_put(PRINCIPAL_KEY, a, &p, 1, 1000);
	principal_cache_put(PRINCIPAL_KEY, b, &p, 1, 1000);
	principal_cache_put(PRINCIPAL_KEY, o, &p, 1, 1000);
	assert_true(principal_cache_get(&got, PRINCIPAL_KEY, a, 1, 1000));
	principal_cache_put(PRINCIPAL_KEY, c, &p, 1, 1000);
	assert_int_equal(principal_cache_size(), 3);
	assert_true(principal_cache_get(&got, PRINCIPAL_KEY, a, 1, 1000));
	assert_false(principal_cache_get(&got, PRINCIPAL_KEY, b, 1, 1000));
	assert_true(principal_cache_get(&got, PRINCIPAL_KEY, c, 1, 1000));
	assert_true(principal_cache_get(&got, PRINCIPAL_KEY, o, 1, 1000));
	/* many more: the shard never holds more than its two */
	for (int i = 0; i < 100; i++) {
		unsigned char d[IDS_SHA256_LEN];
		digest(d, 5, i, 100 + i);
		principal_cache_put(PRINCIPAL_KEY, d, &p, 1, 1000);
	}
	assert_int_equal(principal_cache_size(), 3);
	principal_cache_configure(PRINCIPAL_CACHE_CAP, 1000);
}

static void cap_bounds_the_whole_cache(void **state)
{
	(void)state;
	struct cached_principal p = who("u", 1);
	for (int i = 0; i < 3 * PRINCIPAL_CACHE_CAP; i++) {
		unsigned char d[IDS_SHA256_LEN];
		char k[32];
		snprintf(k, sizeof k, "key-%d", i);
		ids_sha256(d, k, strlen(k));
		principal_cache_put(PRINCIPAL_KEY, d, &p, 1, 1000);
	}
	assert_true(principal_cache_size() <= PRINCIPAL_CACHE_CAP);
	assert_true(principal_cache_size() > PRINCIPAL_CACHE_CAP / 2);
	principal_cache_clear();
	assert_int_equal(principal_cache_size(), 0);
}

/* Two threads hammering overlapping keys: run under ASan/TSan this finds
 * races; here it checks nothing is lost or torn. */
static void *hammer(void *arg)
{
	int base = *(int *)arg;
	for (int i = 0; i < 20000; i++) {
		unsigned char d[IDS_SHA256_LEN];
		char k[32], u[16];
		snprintf(k, sizeof k, "k%d", (base + i) % 600);
		snprintf(u, sizeof u, "u%d", (base + i) % 600);
		ids_sha256(d, k, strlen(k));
		struct cached_principal p = who(u, 1), got;
		if (principal_cache_get(&got, PRINCIPAL_KEY, d, 1, 1000)) {
			if (strcmp(got.who.user_id, u))
				return "torn";
		} else {
			principal_cache_put(PRINCIPAL_KEY, d, &p, 1, 1000);
		}
	}
	return NULL;
}

static void two_threads(void **state)
{
	(void)state;
	pthread_t t1, t2;
	int a = 0, b = 300;
	void *r1, *r2;
	assert_int_equal(pthread_create(&t1, NULL, hammer, &a), 0);
	assert_int_equal(pthread_create(&t2, NULL, hammer, &b), 0);
	pthread_join(t1, &r1);
	pthread_join(t2, &r2);
	assert_null(r1);
	assert_null(r2);
}

static void hex_and_constant_time_compare(void **state)
{
	(void)state;
	char out[HASH_HEX_LEN + 1];
	unsigned char d[IDS_SHA256_LEN];
	ids_sha256(d, "abc", 3);
	ids_hex(out, d, sizeof d);
	assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ids_sha256_hex(out, "abc", 3);
	assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	unsigned char all[256];
	char hex[513];
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	ids_hex(hex, all, sizeof all);
	for (int i = 0; i < 256; i++) {
		char want[3];
		snprintf(want, sizeof want, "%02x", i);
		assert_memory_equal(hex + 2 * i, want, 2);
	}
	assert_int_equal(hex[512], '\0');
	unsigned char e[IDS_SHA256_LEN];
	memcpy(e, d, sizeof e);
	assert_true(ids_equal_ct(d, e, sizeof d));
	e[31] ^= 0x80;
	assert_false(ids_equal_ct(d, e, sizeof d));
	e[31] ^= 0x80;
	e[0] ^= 1;
	assert_false(ids_equal_ct(d, e, sizeof d));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(hit_returns_what_was_put, setup),
		cmocka_unit_test_setup(newer_generation_outdates_the_entry, setup),
		cmocka_unit_test_setup(ttl_outdates_the_entry, setup),
		cmocka_unit_test_setup(kinds_and_digests_are_kept_apart, setup),
		cmocka_unit_test_setup(put_replaces_the_same_credential, setup),
		cmocka_unit_test_setup(full_shard_evicts_the_unused_one, setup),
		cmocka_unit_test_setup(cap_bounds_the_whole_cache, setup),
		cmocka_unit_test_setup(two_threads, setup),
		cmocka_unit_test(hex_and_constant_time_compare),
	};
	return cmocka_run_group_tests_name("principal_cache", tests, NULL, NULL);
}
