/* test_list_blocks: the order-statistic blocks of the product list (schema
 * v11, list_blocks in src/store/schema.h). Thousands of random inserts,
 * updates (old and new timestamps, many equal) and deletes over two tenants
 * go through the store API of a real SQLite store; every few hundred
 * operations a second connection checks that the blocks add up to the
 * tenant's count, that each block's n is the real count of its key range,
 * that the blocks keep their bounds, and that the pages the store picks
 * through the blocks equal the naive LIMIT/OFFSET over the whole index, in
 * both directions, at the edges of blocks, the last partial page and past
 * the end. The fill of the v11 migration is checked the same way. */
#include "support.h"

#include <sqlite3.h>
#include <stdio.h>
#include <unistd.h>

#include "store/schema.h"
#include "store/store.h"

#define NTENANTS 2
#define MAXP 20000
#define PAGE 21 /* the API reads limit + 1 */

static const char *const tenants[NTENANTS] = {"11111111-1111-4111-8111-111111111111",
					      "22222222-2222-4222-8222-222222222222"};

struct fixture {
	struct store *st;
	sqlite3 *db; /* the checker's own connection */
	char path[256];
	char *ids[NTENANTS][MAXP]; /* live products */
	int n[NTENANTS];
	unsigned long seq, rnd, newest;
	bool saw_split, saw_merge;
	int blocks[NTENANTS];
};

static unsigned long rnd(struct fixture *f, unsigned long below)
{
	f->rnd = f->rnd * 6364136223846793005UL + 1442695040888963407UL;
	return (f->rnd >> 33) % below;
}

/* Old timestamps from a small set (many equal: ties go by id), or a new
 * one after every other (an edit moves the product to the newest block). */
static void stamp(struct fixture *f, char *out, size_t cap)
{
	unsigned long t = f->newest;
	if (rnd(f, 2)) {
		snprintf(out, cap, "2024-01-0%luT00:00:0%lu.000Z", 1 + rnd(f, 3), rnd(f, 4));
	} else {
		snprintf(out, cap, "2025-01-%02luT%02lu:%02lu:%02lu.000Z", 1 + t / 86400, t / 3600 % 24,
			 t / 60 % 60, t % 60);
		f->newest++;
	}
}

static void put(struct fixture *f, int t, const char *id, bool insert)
{
	char ts[40];
	stamp(f, ts, sizeof ts);
	json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "id", id, "name", id, "ownerId",
				tenants[t], "createdAt", "2024-01-01T00:00:00.000Z", "updatedAt", ts,
				"activated", 0);
	int rc = insert ? f->st->ops->product_insert(f->st, tenants[t], doc)
			: f->st->ops->product_update(f->st, tenants[t], doc);
	json_decref(doc);
	assert_int_equal(rc, STORE_ONE);
}

static void insert(struct fixture *f, int t)
{
	assert_true(f->n[t] < MAXP);
	char id[40];
	/* random-looking ids, so equal timestamps order differently from insertion */
	snprintf(id, sizeof id, "%08lx-0000-4000-8000-%012lu", rnd(f, 0xffffffffUL), f->seq++);
	f->ids[t][f->n[t]++] = strdup(id);
	put(f, t, id, true);
}

/* One random write: ins % inserts, upd % updates, the rest deletes. */
static void op(struct fixture *f, unsigned long ins, unsigned long upd)
{
	int t = rnd(f, 5) == 0; /* tenant 0 four times as often */
	unsigned long r = rnd(f, 100);
	if (r < ins || f->n[t] < 2) {
		insert(f, t);
	} else if (r < ins + upd) {
		put(f, t, f->ids[t][rnd(f, (unsigned long)f->n[t])], false);
	} else {
		int i = (int)rnd(f, (unsigned long)f->n[t]);
		assert_int_equal(f->st->ops->product_delete(f->st, tenants[t], f->ids[t][i]), STORE_ONE);
		free(f->ids[t][i]);
		f->ids[t][i] = f->ids[t][--f->n[t]];
	}
}

static long scalar(sqlite3 *db, const char *sql, const char *a, const char *b, const char *c,
		   const char *d, const char *e)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	const char *v[] = {a, b, c, d, e};
	for (int i = 0; i < 5 && v[i]; i++)
		sqlite3_bind_text(s, i + 1, v[i], -1, SQLITE_TRANSIENT);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	long n = (long)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

/* The page the store picks equals the naive one over the whole index. */
static void check_page(struct fixture *f, int t, bool desc, long offset)
{
	struct product_query q = {.sort = SORT_UPDATED_AT, .descending = desc, .offset = offset,
				  .limit = PAGE, .activated = -1, .viewer_is_admin = true,
				  .scope_all = "[]", .scope_activated = "[]"};
	struct store_docs docs;
	store_docs_init(&docs);
	long total = -1;
	assert_int_equal(f->st->ops->product_list(f->st, &docs, &total, tenants[t], &q), STORE_ONE);
	json_t *page = store_docs_json(&docs);
	store_docs_free(&docs);
	assert_non_null(page);
	assert_int_equal(total, f->n[t]);
	char sql[200];
	snprintf(sql, sizeof sql, "SELECT id FROM products WHERE tenant_id = ?1"
		 " ORDER BY updated_at %s, id %s LIMIT %d OFFSET %ld",
		 desc ? "DESC" : "ASC", desc ? "DESC" : "ASC", PAGE, offset);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(f->db, sql, -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, tenants[t], -1, SQLITE_STATIC);
	size_t i = 0;
	for (; sqlite3_step(s) == SQLITE_ROW; i++) {
		const char *got = json_string_value(json_object_get(json_array_get(page, i), "id"));
		if (!got || strcmp(got, (const char *)sqlite3_column_text(s, 0)) != 0)
			fail_msg("tenant %d %s offset %ld row %zu: %s, expected %s", t,
				 desc ? "desc" : "asc", offset, i, got ? got : "(none)",
				 (const char *)sqlite3_column_text(s, 0));
	}
	sqlite3_finalize(s);
	if (json_array_size(page) != i)
		fail_msg("tenant %d offset %ld: %zu rows, expected %zu", t, offset,
			 json_array_size(page), i);
	json_decref(page);
}

static void check(struct fixture *f)
{
	for (int t = 0; t < NTENANTS; t++) {
		const char *tid = tenants[t];
		long count = scalar(f->db, "SELECT count(*) FROM products WHERE tenant_id = ?1", tid,
				    NULL, NULL, NULL, NULL);
		assert_int_equal(count, f->n[t]);
		assert_int_equal(scalar(f->db, "SELECT coalesce(sum(n), 0) FROM list_blocks"
					       " WHERE tenant_id = ?1", tid, NULL, NULL, NULL, NULL),
				 count);
		sqlite3_stmt *s;
		assert_int_equal(sqlite3_prepare_v2(f->db, "SELECT lo_u, lo_id, n FROM list_blocks"
							   " WHERE tenant_id = ?1 ORDER BY lo_u, lo_id",
						    -1, &s, NULL), SQLITE_OK);
		sqlite3_bind_text(s, 1, tid, -1, SQLITE_STATIC);
		char lo_u[64] = "", lo_id[64] = "";
		long n = -1, before = 0;
		int nblocks = 0;
		long edges[64];
		int nedges = 0;
		for (;;) {
			bool row = sqlite3_step(s) == SQLITE_ROW;
			const char *u = row ? (const char *)sqlite3_column_text(s, 0) : NULL;
			const char *id = row ? (const char *)sqlite3_column_text(s, 1) : NULL;
			if (nblocks == 0) {
				/* the base block sorts first and exists while there are products */
				assert_true(row || count == 0);
				if (row)
					assert_true(!*u && !*id);
			} else {
				/* the previous block [lo, this lo) holds exactly n products */
				long real = row ? scalar(f->db, "SELECT count(*) FROM products"
						" WHERE tenant_id = ?1 AND (updated_at, id) >= (?2, ?3)"
						" AND (updated_at, id) < (?4, ?5)", tid, lo_u, lo_id, u, id)
						: scalar(f->db, "SELECT count(*) FROM products WHERE"
						" tenant_id = ?1 AND (updated_at, id) >= (?2, ?3)",
						tid, lo_u, lo_id, NULL, NULL);
				if (real != n)
					fail_msg("tenant %d block %d (%s, %s): n %ld, holds %ld", t,
						 nblocks - 1, lo_u, lo_id, n, real);
				assert_true(n <= LIST_B_MAX);
				assert_true(nblocks == 1 || n >= LIST_B_MIN);
				before += n;
				if (nedges < 64)
					edges[nedges++] = before;
			}
			if (!row)
				break;
			snprintf(lo_u, sizeof lo_u, "%s", u);
			snprintf(lo_id, sizeof lo_id, "%s", id);
			n = (long)sqlite3_column_int64(s, 2);
			nblocks++;
		}
		sqlite3_finalize(s);
		assert_true(nblocks <= 1 + 4 * count / LIST_B);
		if (nblocks > f->blocks[t])
			f->saw_split = true;
		if (nblocks < f->blocks[t])
			f->saw_merge = true;
		f->blocks[t] = nblocks;

		long offsets[] = {0, 1, count / 2, count / 2 + 7, count - count % 20, count - 5,
				  count - 1, count, count + 100};
		for (int d = 0; d < 2; d++) {
			for (size_t i = 0; i < sizeof offsets / sizeof *offsets; i++)
				if (offsets[i] >= 0)
					check_page(f, t, d, offsets[i]);
			/* pages across the edge of two blocks, from either side */
			for (int e = 0; e < nedges; e++) {
				long at = d ? count - edges[e] : edges[e];
				check_page(f, t, d, at - 10 > 0 ? at - 10 : 0);
				check_page(f, t, d, at);
			}
		}
	}
}

/* ops random writes, 100 per transaction, checked every `every` (after a
 * commit: the checker reads committed rows) */
static void run(struct fixture *f, int ops, int every, unsigned long ins, unsigned long upd)
{
	assert_int_equal(every % 100, 0);
	for (int i = 0; i < ops; i++) {
		if (i % 100 == 0)
			assert_true(f->st->ops->begin(f->st, true) >= 0);
		op(f, ins, upd);
		if (i % 100 == 99 || i == ops - 1)
			assert_true(f->st->ops->commit(f->st) >= 0);
		if (i % every == every - 1)
			check(f);
	}
}

static void exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s", msg);
}

static void blocks_follow_random_writes(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(scalar(f->db, "PRAGMA user_version", NULL, NULL, NULL, NULL, NULL),
			 SCHEMA_VERSION);
	/* tenant 0 past a few splits (2B = 2,048), in bulk */
	assert_true(f->st->ops->begin(f->st, true) >= 0);
	for (int i = 0; i < 7000; i++)
		insert(f, 0);
	for (int i = 0; i < 300; i++)
		insert(f, 1);
	assert_true(f->st->ops->commit(f->st) >= 0);
	check(f);
	/* growing, then shrinking: about half the updates move a product to
	 * the newest block, so with the deletes the older blocks drain and
	 * merge */
	run(f, 5000, 500, 35, 40);
	/* the migration's fill gives the same pages, and the triggers carry on
	 * from it */
	exec(f->db, "BEGIN IMMEDIATE; DELETE FROM list_blocks;" LIST_BLOCKS_FILL "COMMIT;");
	f->blocks[0] = f->blocks[1] = 0;
	check(f);
	run(f, 11000, 500, 5, 30);
	assert_true(f->saw_split);
	assert_true(f->saw_merge);
	/* a tenant emptied and filled again */
	assert_true(f->st->ops->begin(f->st, true) >= 0);
	while (f->n[1] > 0) {
		assert_int_equal(f->st->ops->product_delete(f->st, tenants[1], f->ids[1][f->n[1] - 1]),
				 STORE_ONE);
		free(f->ids[1][--f->n[1]]);
	}
	assert_true(f->st->ops->commit(f->st) >= 0);
	check(f);
	run(f, 2000, 200, 35, 40);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->rnd = 42;
	snprintf(f->path, sizeof f->path, "/tmp/dp-test-list-blocks-%d.db", (int)getpid());
	char url[300], err[256];
	snprintf(url, sizeof url, "sqlite:%s", f->path);
	if (store_open(&f->st, url, err, sizeof err) < 0)
		fail_msg("%s", err);
	assert_int_equal(sqlite3_open(f->path, &f->db), SQLITE_OK);
	sqlite3_busy_timeout(f->db, 5000);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	for (int t = 0; t < NTENANTS; t++)
		for (int i = 0; i < f->n[t]; i++)
			free(f->ids[t][i]);
	sqlite3_close(f->db);
	f->st->ops->close(f->st);
	char side[300];
	unlink(f->path);
	snprintf(side, sizeof side, "%s-wal", f->path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", f->path);
	unlink(side);
	free(f);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(blocks_follow_random_writes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
