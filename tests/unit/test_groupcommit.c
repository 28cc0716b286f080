/* test_groupcommit: the group commit of store/tx.h on a real SQLite store
 * (issue 12): write transactions of many threads go through one writer in
 * FIFO order, one COMMIT per batch, each body in a savepoint of its own --
 * a refusing body's writes are absent while the batch's others are present,
 * a STORE_CONFLICT body reruns once in a fresh savepoint, a failed COMMIT
 * (fault injector) fails every body of the batch, a storage fault's cause
 * reaches the calling thread, and a write run from inside a body (on the
 * writer thread) runs at once instead of waiting for itself.
 *
 * To put bodies into one batch on purpose, a "gate" body runs first and
 * holds the writer (it runs on the writer thread) until the others are
 * queued behind it; store_tx_batch_counts tells how many are. Bodies run on
 * the writer thread, so they never assert (cmocka's failures jump): they
 * record, and the test thread checks. alarm() turns a deadlock into a
 * failure. */
#include "support.h"

#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "store/store_ops.h"
#include "store/tx.h"
#include "util/ids.h"

static struct store *S;
static char dir[] = "/tmp/dp-gc-XXXXXX";
static char flag[64]; /* the disk fault injector's flag file (DP_FAULT_INJECT disk:) */
static const char *const NOW = "2024-01-01T00:00:00.000Z";
static int order_seq;

static void nap_ms(int ms)
{
	struct timespec ts = {0, (long)ms * 1000000L};
	nanosleep(&ts, NULL);
}

static long queued(void)
{
	struct store_tx_batches c;
	store_tx_batch_counts(&c, S);
	return c.queued;
}

/* Waits (10 s at most: then the test's checks fail) until n writes are queued. */
static void wait_queued(long n)
{
	for (int i = 0; i < 10000 && queued() < n; i++)
		nap_ms(1);
}

/* One write transaction run by a thread of its own. */
struct job {
	/* the body: inserts a tenant named name (rerun_name on later runs,
	 * when set), then returns first_rc on its first run, then_rc later */
	const char *name;
	const char *rerun_name;
	int first_rc, then_rc;
	long gate_until; /* > 0: first holds the writer until this many are queued */
	bool nested;     /* runs nested transactions (nested_* below) */
	/* what happened */
	int runs;
	int order; /* when its first run began, among all bodies */
	int nested_write_rc, nested_refused_rc, nested_read_rc;
	int rc;
	struct store_tx_stats stats;
	enum store_fault fault;
	pthread_t th;
};

static int insert_named(const char *name)
{
	char id[GUID_LEN + 1];
	if (ids_guid_new(id) != 0)
		return STORE_HARD;
	return S->ops->tenant_insert(S, id, name, NOW);
}

static int nested_insert_body(void *cls) { return insert_named(cls); }

static int nested_refusing_body(void *cls)
{
	int rc = insert_named(cls);
	return rc < 0 ? rc : STORE_TX_REFUSED;
}

static int nested_read_body(void *cls)
{
	char id[GUID_LEN + 1];
	return S->ops->tenant_find(S, id, cls) == STORE_ONE ? STORE_TX_COMMIT : STORE_HARD;
}

static int job_body(void *cls)
{
	struct job *j = cls;
	int run = __atomic_fetch_add(&j->runs, 1, __ATOMIC_SEQ_CST);
	if (run == 0)
		j->order = __atomic_add_fetch(&order_seq, 1, __ATOMIC_SEQ_CST);
	if (run == 0 && j->gate_until > 0)
		wait_queued(j->gate_until);
	const char *name = run > 0 && j->rerun_name ? j->rerun_name : j->name;
	if (name) {
		int rc = insert_named(name);
		if (rc < 0)
			return rc;
	}
	if (j->nested) {
		char x[80], z[80];
		snprintf(x, sizeof x, "%s nested", j->name);
		snprintf(z, sizeof z, "%s nested refused", j->name);
		j->nested_write_rc = store_tx_run(NULL, S, true, nested_insert_body, x);
		j->nested_refused_rc = store_tx_run(NULL, S, true, nested_refusing_body, z);
		/* a read sees the enclosing transaction's writes */
		j->nested_read_rc = store_tx_run(NULL, S, false, nested_read_body, x);
	}
	return run == 0 ? j->first_rc : j->then_rc;
}

static void *job_thread(void *arg)
{
	struct job *j = arg;
	j->rc = store_tx_run(&j->stats, S, true, job_body, j);
	j->fault = store_fault_last(); /* this thread's, handed back by the writer */
	return NULL;
}

static void job_start(struct job *j) { assert_int_equal(pthread_create(&j->th, NULL, job_thread, j), 0); }
static void job_join(struct job *j) { assert_int_equal(pthread_join(j->th, NULL), 0); }

/* Starts gate (which holds the writer until the n jobs are queued), then
 * the jobs one by one, each queued before the next starts: FIFO order is
 * the order of js. Joins them all. */
static void run_gated(struct job *gate, struct job *js, int n)
{
	gate->gate_until = n;
	job_start(gate);
	for (int i = 0; i < 10000 && !__atomic_load_n(&gate->runs, __ATOMIC_SEQ_CST); i++)
		nap_ms(1);
	assert_int_equal(__atomic_load_n(&gate->runs, __ATOMIC_SEQ_CST), 1);
	for (int i = 0; i < n; i++) {
		job_start(&js[i]);
		if (i < n - 1) /* the last one queued lets the gate go: the queue empties */
			wait_queued(i + 1);
	}
	job_join(gate);
	for (int i = 0; i < n; i++)
		job_join(&js[i]);
}

static bool present(const char *name)
{
	char id[GUID_LEN + 1];
	int rc = S->ops->tenant_find(S, id, name);
	assert_true(rc >= 0);
	return rc == STORE_ONE;
}

/* A fresh tenant name for this run. */
static void fresh(char out[64], const char *what)
{
	char id[GUID_LEN + 1];
	assert_int_equal(ids_guid_new(id), 0);
	snprintf(out, 64, "%.20s %.36s", what, id);
}

/* 8 threads x 40 writes: every one commits and is there afterwards. */
#define NTHREADS 8
#define NWRITES 40
struct many {
	char names[NWRITES][64];
	int bad;
	pthread_t th;
};

static void *many_thread(void *arg)
{
	struct many *m = arg;
	for (int i = 0; i < NWRITES; i++)
		if (store_tx_run(NULL, S, true, nested_insert_body, m->names[i]) != STORE_TX_COMMIT)
			m->bad++;
	return NULL;
}

static void concurrent_writers_all_commit(void **state)
{
	(void)state;
	static struct many m[NTHREADS];
	struct store_tx_batches c0, c1;
	store_tx_batch_counts(&c0, S);
	for (int t = 0; t < NTHREADS; t++) {
		for (int i = 0; i < NWRITES; i++)
			fresh(m[t].names[i], "many");
		assert_int_equal(pthread_create(&m[t].th, NULL, many_thread, &m[t]), 0);
	}
	for (int t = 0; t < NTHREADS; t++)
		assert_int_equal(pthread_join(m[t].th, NULL), 0);
	for (int t = 0; t < NTHREADS; t++) {
		assert_int_equal(m[t].bad, 0);
		for (int i = 0; i < NWRITES; i++)
			assert_true(present(m[t].names[i]));
	}
	store_tx_batch_counts(&c1, S);
	assert_int_equal(c1.bodies - c0.bodies, NTHREADS * NWRITES);
	assert_int_equal(c1.commit_failures, c0.commit_failures);
	assert_int_equal(c1.queued, 0);
	unsigned long long hist = 0;
	for (int b = 0; b < STORE_TX_HIST; b++)
		hist += c1.size_hist[b] - c0.size_hist[b];
	assert_int_equal(hist, c1.commits - c0.commits);
	print_message("# %d writes in %llu commits\n", NTHREADS * NWRITES, c1.commits - c0.commits);
}

/* Writes run in the order they were queued. */
static void writes_run_in_fifo_order(void **state)
{
	(void)state;
	struct job gate = {.first_rc = STORE_TX_COMMIT};
	struct job js[6];
	for (int i = 0; i < 6; i++)
		js[i] = (struct job){.first_rc = STORE_TX_COMMIT};
	run_gated(&gate, js, 6);
	assert_int_equal(gate.rc, STORE_TX_COMMIT);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(js[i].rc, STORE_TX_COMMIT);
		assert_int_equal(js[i].order, gate.order + 1 + i);
	}
}

/* One batch: a committing body, a refusing one (its insert absent), a
 * conflicting one (rerun once, then committing) and another committing
 * one: every committing body's writes present, committed by one COMMIT. */
static void refusal_and_conflict_touch_only_their_own_writes(void **state)
{
	(void)state;
	char a[64], r[64], c2[64], b[64];
	fresh(a, "a"), fresh(r, "refused"), fresh(c2, "rerun"), fresh(b, "b");
	struct job gate = {.first_rc = STORE_TX_COMMIT};
	struct job js[4] = {
		{.name = a, .first_rc = STORE_TX_COMMIT},
		{.name = r, .first_rc = STORE_TX_REFUSED},
		/* a's name again: STORE_CONFLICT (a committed first in this very
		 * transaction), then the rerun inserts c2 */
		{.name = a, .rerun_name = c2, .first_rc = STORE_TX_COMMIT, .then_rc = STORE_TX_COMMIT},
		{.name = b, .first_rc = STORE_TX_COMMIT},
	};
	run_gated(&gate, js, 4);
	assert_int_equal(js[0].rc, STORE_TX_COMMIT);
	assert_int_equal(js[1].rc, STORE_TX_REFUSED);
	assert_int_equal(js[2].rc, STORE_TX_COMMIT);
	assert_int_equal(js[3].rc, STORE_TX_COMMIT);
	assert_true(present(a));
	assert_false(present(r));
	assert_true(present(c2));
	assert_true(present(b));
	assert_int_equal(js[2].runs, 2);
	assert_int_equal(js[2].stats.attempts, 2);
	assert_int_equal(js[2].stats.retries, 1);
	assert_int_equal(js[0].stats.attempts, 1);
	/* a, the rerun and b went out in one COMMIT (the gate's, or the next) */
	assert_true(js[0].stats.batch >= 3);
	assert_int_equal(js[2].stats.batch, js[0].stats.batch);
	assert_int_equal(js[3].stats.batch, js[0].stats.batch);
	assert_int_equal(js[1].stats.batch, 0);
}

/* A COMMIT that fails (the fault injector's "commit") fails every body of
 * its batch that asked to commit; none of their writes is there. */
static void failed_commit_fails_the_whole_batch(void **state)
{
	(void)state;
	char a[64], b[64], r[64], err[256];
	fresh(a, "lost a"), fresh(b, "lost b"), fresh(r, "lost r");
	const struct store_ops *real = S->ops;
	assert_int_equal(store_fault_wrap(S, "commit", err, sizeof err), 0);
	struct store_tx_batches c0, c1;
	store_tx_batch_counts(&c0, S);
	struct job gate = {.first_rc = STORE_TX_COMMIT};
	struct job js[3] = {
		{.name = a, .first_rc = STORE_TX_COMMIT},
		{.name = r, .first_rc = STORE_TX_REFUSED},
		{.name = b, .first_rc = STORE_ONE},
	};
	run_gated(&gate, js, 3);
	store_tx_batch_counts(&c1, S);
	S->ops = real;
	assert_int_equal(gate.rc, STORE_HARD);
	assert_int_equal(js[0].rc, STORE_HARD);
	assert_int_equal(js[1].rc, STORE_TX_REFUSED);
	assert_int_equal(js[2].rc, STORE_HARD);
	assert_false(present(a));
	assert_false(present(b));
	assert_false(present(r));
	assert_true(c1.commit_failures > c0.commit_failures);
	/* the writer goes on after the failure */
	struct job ok = {.name = a, .first_rc = STORE_TX_COMMIT};
	job_start(&ok);
	job_join(&ok);
	assert_int_equal(ok.rc, STORE_TX_COMMIT);
	assert_true(present(a));
}

/* A body's nested write and read transactions run at once on the writer
 * thread, inside the body's transaction: a nested refusal undoes only its
 * own writes; the nested write commits with the body. */
static void nested_transactions_run_inline(void **state)
{
	(void)state;
	char n[64], x[80], z[80];
	fresh(n, "outer");
	snprintf(x, sizeof x, "%s nested", n);
	snprintf(z, sizeof z, "%s nested refused", n);
	struct job j = {.name = n, .nested = true, .first_rc = STORE_TX_COMMIT};
	job_start(&j);
	job_join(&j);
	assert_int_equal(j.rc, STORE_TX_COMMIT);
	assert_int_equal(j.nested_write_rc, STORE_TX_COMMIT);
	assert_int_equal(j.nested_refused_rc, STORE_TX_REFUSED);
	assert_int_equal(j.nested_read_rc, STORE_TX_COMMIT);
	assert_true(present(n));
	assert_true(present(x));
	assert_false(present(z));

	/* the enclosing body refusing undoes its nested writes too */
	char m[64], mx[80];
	fresh(m, "outer refused");
	snprintf(mx, sizeof mx, "%s nested", m);
	struct job k = {.name = m, .nested = true, .first_rc = STORE_TX_REFUSED};
	job_start(&k);
	job_join(&k);
	assert_int_equal(k.rc, STORE_TX_REFUSED);
	assert_int_equal(k.nested_write_rc, STORE_TX_COMMIT);
	assert_false(present(m));
	assert_false(present(mx));
}

/* The disk filling up under a batch: the callers get STORE_UNAVAILABLE and,
 * on their own threads, the cause (store_fault_last: the body ran on the
 * writer's). Freed again, writes commit. */
static void storage_fault_reaches_the_caller(void **state)
{
	(void)state;
	char a[64], b[64];
	fresh(a, "full a"), fresh(b, "full b");
	FILE *f = fopen(flag, "w");
	assert_non_null(f);
	fputs("full\n", f);
	fclose(f);
	struct job j = {.name = a, .first_rc = STORE_TX_COMMIT};
	job_start(&j);
	job_join(&j);
	unlink(flag);
	assert_int_equal(j.rc, STORE_UNAVAILABLE);
	assert_int_equal(j.fault, STORE_FAULT_FULL);
	assert_false(present(a));
	struct job k = {.name = b, .first_rc = STORE_TX_COMMIT};
	job_start(&k);
	job_join(&k);
	assert_int_equal(k.rc, STORE_TX_COMMIT);
	assert_true(present(b));
	assert_int_equal(store_health(NULL, 0), STORE_FAULT_NONE);
}

int main(void)
{
	alarm(300); /* a deadlock fails the run instead of hanging it */
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(flag, sizeof flag, "%s/full", dir);
	char spec[128], url[128], err[256];
	snprintf(spec, sizeof spec, "disk:%s", flag);
	setenv("DP_FAULT_INJECT", spec, 1);
	snprintf(url, sizeof url, "sqlite:%s/gc.db", dir);
	if (store_open(&S, url, err, sizeof err) < 0) {
		fprintf(stderr, "store_open %s: %s\n", url, err);
		return 1;
	}
	unsetenv("DP_FAULT_INJECT");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(concurrent_writers_all_commit),
		cmocka_unit_test(writes_run_in_fifo_order),
		cmocka_unit_test(refusal_and_conflict_touch_only_their_own_writes),
		cmocka_unit_test(failed_commit_fails_the_whole_batch),
		cmocka_unit_test(nested_transactions_run_inline),
		cmocka_unit_test(storage_fault_reaches_the_caller),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	S->ops->close(S); /* stops and joins the writer */
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return failed;
}
