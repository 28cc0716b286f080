/* sqlite: the embedded storage backend, its connection layer. WAL journal
 * with synchronous=FULL so an acknowledged write survives kill -9 and power
 * loss; one connection per worker thread (pthread key) with its prepared
 * statements cached; writes use BEGIN IMMEDIATE, run by the one writer
 * thread of the group commit (store/tx.h) that the store creates at open. Here: opening, pragmas, migrations,
 * transactions, the statement caches, error mapping, the helpers every
 * resource file shares (sqlite_int.h) and the store_ops table. The store
 * operations live in one file per resource: sqlite_identity.c (tenants,
 * users, API keys, sessions), sqlite_spaces.c, sqlite_datasets.c,
 * sqlite_products.c (products, lists, facets), sqlite_search.c (the search
 * index's queries), sqlite_changelogs.c, sqlite_quality.c (computations,
 * quality, trust scores, tenant settings). */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/rows.h"
#include "store/schema.h"
#include "store/sqlite_fts.h"
#include "store/sqlite_int.h"
#include "store/tx.h"
#include "util/clock.h"
#include "util/log.h"

static const char *const stmt_sql[S__COUNT] = {
	[S_BEGIN_R] = "BEGIN",
	[S_BEGIN_W] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_PING] = "SELECT 1",
};

/* Every statement's SQL is written next to the code that runs it, in one
 * table per file; a statement id has its text in exactly one of them
 * (checked at open, sql_check). */
static const char *const *const sql_tables[] = {
	stmt_sql,	       sqlite_identity_sql, sqlite_spaces_sql,	   sqlite_datasets_sql,
	sqlite_products_sql, sqlite_quality_sql,  sqlite_changelogs_sql,
};

static const char *stmt_text(enum stmt_id id)
{
	for (size_t i = 0; i < sizeof sql_tables / sizeof *sql_tables; i++)
		if (sql_tables[i][id])
			return sql_tables[i][id];
	return NULL;
}

/* A statement without SQL, or with SQL in two files, is a programming error
 * that would otherwise surface only when a request first runs it. */
static int sql_check(char *err, size_t errlen)
{
	for (int id = 0; id < S__COUNT; id++) {
		int n = 0;
		for (size_t i = 0; i < sizeof sql_tables / sizeof *sql_tables; i++)
			n += sql_tables[i][id] != NULL;
		if (n != 1) {
			snprintf(err, errlen, "statement %d has SQL in %d files (want 1)", id, n);
			return -1;
		}
	}
	return 0;
}

/* The storage conditions of store.h, by SQLite primary result code. */
enum store_fault sqlite_fault_kind(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
		return STORE_FAULT_FULL;
	case SQLITE_READONLY:
		return STORE_FAULT_READONLY;
	case SQLITE_IOERR:
		return STORE_FAULT_IOERR;
	case SQLITE_CANTOPEN:
		return STORE_FAULT_CANTOPEN;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return STORE_FAULT_CORRUPT;
	default:
		return STORE_FAULT_NONE;
	}
}

static const char *code_name(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL: return "SQLITE_FULL";
	case SQLITE_READONLY: return "SQLITE_READONLY";
	case SQLITE_IOERR: return "SQLITE_IOERR";
	case SQLITE_CANTOPEN: return "SQLITE_CANTOPEN";
	case SQLITE_CORRUPT: return "SQLITE_CORRUPT";
	case SQLITE_NOTADB: return "SQLITE_NOTADB";
	default: return "SQLITE_ERROR";
	}
}

/* Notes rc when it is a storage condition (db may be NULL); returns it. */
int sqlite_rc_note(sqlite3 *db, int rc)
{
	enum store_fault f = sqlite_fault_kind(rc);
	if (f != STORE_FAULT_NONE)
		store_fault_note(f, code_name(rc), db ? sqlite3_extended_errcode(db) : rc,
				 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	return rc;
}

/* Why this thread's last sqlite_stmt_get() returned NULL: STORE_UNAVAILABLE for a
 * storage condition (cannot open, corrupt schema), else STORE_HARD. */
_Thread_local int sqlite_stmt_fail_rc = STORE_HARD;

struct sqlite_store {
	struct store base;
	char *path;
	pthread_key_t key;
};

static void conn_free(void *p)
{
	struct conn *c = p;
	if (!c)
		return;
	for (int i = 0; i < S__COUNT; i++)
		sqlite3_finalize(c->stmts[i]);
	for (int i = 0; i < SEARCH_CACHE; i++) {
		sqlite3_finalize(c->cache[i].s);
		free(c->cache[i].sql);
	}
	sqlite3_close(c->db);
	free(c);
}

static int conn_open(struct conn **out, const char *path, char *err, size_t errlen)
{
	struct conn *c = calloc(1, sizeof *c);
	if (!c)
		return STORE_HARD;
	int rc = sqlite3_open_v2(path, &c->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK && !err && sqlite_fault_kind(sqlite_rc_note(c->db, rc)) != STORE_FAULT_NONE)
		sqlite_stmt_fail_rc = STORE_UNAVAILABLE; /* a worker thread's connection, at run time */
	if (rc != SQLITE_OK) {
		if (err)
			snprintf(err, errlen, "cannot open %s: %s", path,
				 c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		conn_free(c);
		return STORE_HARD;
	}
	/* Writers of this process queue for the one writer (store/tx.h group
	 * commit) and never meet on the lock; the busy timeout is for other
	 * processes (bootstrap, backup, sqlite3) and the rare moments a WAL
	 * reader must wait (recovery of the WAL index). docs/decisions.md "Issue 12 -- writers and
	 * group commit". */
	sqlite3_busy_timeout(c->db, 5000);
	rc = sqlite3_exec(c->db,
			  "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			  " PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;",
			  NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite_fts_register(c->db); /* the search index's triggers call it */
	if (rc != SQLITE_OK && !err && sqlite_fault_kind(sqlite_rc_note(c->db, rc)) != STORE_FAULT_NONE)
		sqlite_stmt_fail_rc = STORE_UNAVAILABLE;
	if (rc != SQLITE_OK) {
		if (err)
			snprintf(err, errlen, "cannot configure %s: %s", path, sqlite3_errmsg(c->db));
		conn_free(c);
		return STORE_HARD;
	}
	*out = c;
	return STORE_ONE;
}

struct conn *sqlite_conn_get(struct store *st)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	struct conn *c = pthread_getspecific(s->key);
	if (c)
		return c;
	sqlite_stmt_fail_rc = STORE_HARD;
	if (conn_open(&c, s->path, NULL, 0) != STORE_ONE)
		return NULL;
	pthread_setspecific(s->key, c);
	return c;
}

static int map_rc(int rc)
{
	switch (rc) {
	case SQLITE_ROW:
		return STORE_ONE;
	case SQLITE_DONE:
	case SQLITE_OK:
		return STORE_NONE;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return STORE_RETRY;
	/* a uniqueness race the caller's check could not see (store.h) */
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return STORE_CONFLICT;
	default:
		return sqlite_fault_kind(rc) != STORE_FAULT_NONE ? STORE_UNAVAILABLE : STORE_HARD;
	}
}

/* sqlite3_step with storage conditions noted (logged, /ready degraded). */
int sqlite_stmt_step(sqlite3_stmt *s)
{
	/* the first step of a statement outside a transaction: an implicit
	 * one (or BEGIN, an explicit one): store_tx_started counts both */
	if (!sqlite3_stmt_busy(s) && sqlite3_get_autocommit(sqlite3_db_handle(s)))
		store_tx_note();
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		sqlite_rc_note(sqlite3_db_handle(s), rc);
	/* which constraint: only the extended code tells UNIQUE from NOT NULL */
	if (rc == SQLITE_CONSTRAINT)
		rc = sqlite3_extended_errcode(sqlite3_db_handle(s));
	return map_rc(rc);
}

/* Returns a reset statement ready for binding, or NULL. */
sqlite3_stmt *sqlite_stmt_get(struct store *st, enum stmt_id id)
{
	struct conn *c = sqlite_conn_get(st);
	if (!c)
		return NULL;
	int prc;
	if (!c->stmts[id] &&
	    (prc = sqlite3_prepare_v3(c->db, stmt_text(id), -1, SQLITE_PREPARE_PERSISTENT,
				      &c->stmts[id], NULL)) != SQLITE_OK) {
		sqlite_stmt_fail_rc = map_rc(sqlite_rc_note(c->db, prc)) == STORE_UNAVAILABLE
					      ? STORE_UNAVAILABLE
					      : STORE_HARD;
		log_event(LOG_ERROR, "prepare failed", LOG_INT("sql", id),
			  LOG_STR("error", sqlite3_errmsg(c->db)));
		return NULL;
	}
	return c->stmts[id];
}

void sqlite_stmt_done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

void sqlite_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

/* Runs a statement that returns no rows. */
int sqlite_stmt_exec(sqlite3_stmt *s)
{
	int rc = sqlite_stmt_step(s);
	sqlite_stmt_done(s);
	return rc == STORE_NONE ? STORE_ONE : rc;
}

/* Gets id and binds v[0..n) as ?1..?n; NULL when it cannot be prepared. */
sqlite3_stmt *sqlite_prep_texts(struct store *st, enum stmt_id id, int n, const char *const *v)
{
	sqlite3_stmt *s = sqlite_stmt_get(st, id);
	if (!s)
		return NULL;
	for (int i = 0; i < n; i++)
		sqlite_bind_text(s, i + 1, v[i]);
	return s;
}

/* Gets id, binds v[0..n) as ?1..?n and runs it (no rows). */
int sqlite_run_texts(struct store *st, enum stmt_id id, int n, const char *const *v)
{
	sqlite3_stmt *s = sqlite_prep_texts(st, id, n, v);
	return s ? sqlite_stmt_exec(s) : NO_STMT;
}

static int simple(struct store *st, enum stmt_id id)
{
	sqlite3_stmt *s = sqlite_stmt_get(st, id);
	return s ? sqlite_stmt_exec(s) : NO_STMT;
}

int sqlite_begin(struct store *st, bool write)
{
	/* BEGIN runs outside a transaction: sqlite_stmt_step counts it */
	int rc = simple(st, write ? S_BEGIN_W : S_BEGIN_R);
	struct conn *c = rc >= 0 ? sqlite_conn_get(st) : NULL;
	if (c) {
		c->write_tx = write;
		c->changes0 = sqlite3_total_changes64(c->db);
	}
	return rc;
}

int sqlite_commit(struct store *st)
{
	int rc = simple(st, S_COMMIT);
	store_identity_end(true);
	struct conn *c = sqlite_conn_get(st);
	/* a committed transaction that changed rows reached the disk: whatever
	 * condition an earlier write hit is over */
	if (rc >= 0 && c && c->write_tx && sqlite3_total_changes64(c->db) != c->changes0)
		store_fault_clear();
	if (c && rc >= 0)
		c->write_tx = false;
	return rc;
}

/* Savepoints are named by depth ("sp0", "sp1", ...); SQLite nests them
 * inside the BEGIN IMMEDIATE transaction. */
int sqlite_savepoint(struct store *st, enum store_savepoint what, int depth)
{
	struct conn *c = sqlite_conn_get(st);
	if (!c)
		return sqlite_stmt_fail_rc;
	if (depth < 0 || sqlite3_get_autocommit(c->db))
		return STORE_HARD; /* only inside a transaction: else RELEASE would commit */
	char sql[96];
	if (!store_savepoint_sql(sql, sizeof sql, what, depth))
		return STORE_HARD;
	int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		return STORE_ONE;
	rc = map_rc(sqlite_rc_note(c->db, rc));
	return rc >= 0 || rc == STORE_CONFLICT ? STORE_HARD : rc;
}

/* A write that changes nothing visible: PRAGMA user_version rewritten with
 * its own value dirties page 1, so COMMIT appends a WAL frame and syncs it,
 * and fails as any write would. Used by /ready while the storage is degraded. */
int sqlite_probe_write(struct store *st)
{
	struct conn *c = sqlite_conn_get(st);
	if (!c)
		return sqlite_stmt_fail_rc;
	int rc = sqlite_begin(st, true);
	if (rc < 0)
		return rc;
	sqlite3_stmt *s = NULL;
	int prc = sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &s, NULL);
	int version = -1;
	if (prc == SQLITE_OK && (prc = sqlite3_step(s)) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0), prc = SQLITE_OK;
	sqlite3_finalize(s);
	if (prc == SQLITE_OK && version >= 0) {
		char sql[64];
		snprintf(sql, sizeof sql, "PRAGMA user_version=%d", version);
		prc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
	}
	if (prc != SQLITE_OK) {
		rc = map_rc(sqlite_rc_note(c->db, prc));
		sqlite_rollback(st);
		return rc == STORE_NONE || rc == STORE_ONE ? STORE_HARD : rc;
	}
	rc = simple(st, S_COMMIT);
	store_identity_end(true);
	if (rc < 0) {
		sqlite_rollback(st);
		return rc;
	}
	c->write_tx = false;
	store_fault_clear();
	return STORE_ONE;
}

/* A SQLite deployment is one server process (SPEC §7: several instances
 * need PostgreSQL), so its in-process rate limit table is already the whole
 * deployment's: no shared buckets. */
int sqlite_rate_take(struct store *st, struct store_rate *out, const char *key, int bucket,
		     long per_min)
{
	(void)st, (void)out, (void)key, (void)bucket, (void)per_min;
	return STORE_NONE;
}

void sqlite_rollback(struct store *st)
{
	store_identity_end(false);
	struct conn *c = sqlite_conn_get(st);
	if (c && !sqlite3_get_autocommit(c->db))
		(void)simple(st, S_ROLLBACK);
}

bool sqlite_in_transaction(struct store *st)
{
	struct conn *c = sqlite_conn_get(st);
	return c && !sqlite3_get_autocommit(c->db);
}

int sqlite_ping(struct store *st)
{
	sqlite3_stmt *s = sqlite_stmt_get(st, S_PING);
	if (!s)
		return NO_STMT;
	int rc = sqlite_stmt_step(s);
	sqlite_stmt_done(s);
	return rc;
}

/* Reads column 0 as a JSON document. */
int sqlite_doc_read(sqlite3_stmt *s, json_t **out)
{
	const char *txt = (const char *)sqlite3_column_text(s, 0);
	json_t *j = txt ? json_loads(txt, 0, NULL) : NULL;
	if (!j)
		return STORE_HARD;
	*out = j;
	return STORE_ONE;
}

int sqlite_doc_get(struct store *st, enum stmt_id id, json_t **out, const char *a, const char *b)
{
	sqlite3_stmt *s = SQLITE_PREP(st, id, a, b);
	if (!s)
		return NO_STMT;
	int rc = sqlite_stmt_step(s);
	if (rc == STORE_ONE)
		rc = sqlite_doc_read(s, out);
	sqlite_stmt_done(s);
	return rc;
}

int sqlite_id_get(struct store *st, enum stmt_id id, char *out, const char *a, const char *b)
{
	sqlite3_stmt *s = SQLITE_PREP(st, id, a, b);
	if (!s)
		return NO_STMT;
	int rc = sqlite_stmt_step(s);
	if (rc == STORE_ONE)
		snprintf(out, GUID_LEN + 1, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite_stmt_done(s);
	return rc;
}

int sqlite_count_get(sqlite3_stmt *s, long *out)
{
	int rc = sqlite_stmt_step(s);
	if (rc == STORE_ONE) {
		*out = (long)sqlite3_column_int64(s, 0);
		rc = STORE_ONE;
	} else if (rc == STORE_NONE) {
		rc = STORE_HARD;
	}
	sqlite_stmt_done(s);
	return rc;
}

/* Collects column 0 of every row as documents into a new array. */
int sqlite_text_read(sqlite3_stmt *s, struct store_docs *out)
{
	const char *txt = (const char *)sqlite3_column_text(s, 0);
	size_t len = (size_t)sqlite3_column_bytes(s, 0);
	return store_docs_append(out, txt, len) < 0 ? STORE_HARD : STORE_ONE;
}

int sqlite_texts_collect(sqlite3_stmt *s, struct store_docs *out)
{
	int rc;
	while ((rc = sqlite_stmt_step(s)) == STORE_ONE)
		if (sqlite_text_read(s, out) != STORE_ONE)
			return STORE_HARD;
	return rc == STORE_NONE ? STORE_ONE : rc;
}

int sqlite_docs_collect(sqlite3_stmt *s, json_t **out)
{
	json_t *arr = json_array();
	int rc;
	while ((rc = sqlite_stmt_step(s)) == STORE_ONE) {
		json_t *d;
		if (sqlite_doc_read(s, &d) != STORE_ONE) {
			rc = STORE_HARD;
			break;
		}
		json_array_append_new(arr, d);
	}
	if (rc != STORE_NONE) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return STORE_ONE;
}

/* Binds v ASCII-lower-cased ("" for NULL): the name columns of data sets. */
void sqlite_bind_lower(sqlite3_stmt *s, int i, const char *v)
{
	char *lc = strdup(v ? v : "");
	if (!lc) {
		sqlite3_bind_null(s, i); /* NOT NULL column: the write fails, never a wrong row */
		return;
	}
	rows_lower_ascii(lc);
	sqlite3_bind_text(s, i, lc, -1, SQLITE_TRANSIENT);
	free(lc);
}

/* Rows that change nothing report "no such row". */
int sqlite_rc_changed(struct store *st, int rc)
{
	if (rc == STORE_ONE && sqlite3_changes(sqlite_conn_get(st)->db) == 0)
		return STORE_NONE;
	return rc;
}

int sqlite_exec_2(struct store *st, enum stmt_id id, const char *a, const char *b)
{
	return sqlite_rc_changed(st, SQLITE_RUN(st, id, a, b));
}

int sqlite_exec_3(struct store *st, enum stmt_id id, const char *a, const char *b, const char *c)
{
	return sqlite_rc_changed(st, SQLITE_RUN(st, id, a, b, c));
}

/* count + page of one-document rows, for statements bound (tenant, x). */
int sqlite_docs_page(struct store *st, json_t **out, long *out_total, enum stmt_id count,
		     enum stmt_id list, const char *tenant, const char *x, long offset, long limit)
{
	sqlite3_stmt *s = SQLITE_PREP(st, count, tenant, x);
	if (!s)
		return NO_STMT;
	int rc = sqlite_count_get(s, out_total);
	if (rc != STORE_ONE)
		return rc;
	if (!(s = SQLITE_PREP(st, list, tenant, x)))
		return NO_STMT;
	sqlite3_bind_int64(s, 3, limit);
	sqlite3_bind_int64(s, 4, offset);
	rc = sqlite_docs_collect(s, out);
	sqlite_stmt_done(s);
	return rc;
}

void sqlite_col_copy(char *out, size_t cap, sqlite3_stmt *s, int i)
{
	const char *v = (const char *)sqlite3_column_text(s, i);
	snprintf(out, cap, "%s", v ? v : "");
}

int sqlite_doc_get3(struct store *st, enum stmt_id id, json_t **out, const char *a,
		    const char *b, const char *c)
{
	sqlite3_stmt *s = SQLITE_PREP(st, id, a, b, c);
	if (!s)
		return NO_STMT;
	int rc = sqlite_stmt_step(s);
	if (rc == STORE_ONE)
		rc = sqlite_doc_read(s, out);
	sqlite_stmt_done(s);
	return rc;
}

/* The cached statement for sql (reset, no bindings), preparing it on a miss;
 * release it with sqlite_stmt_done(), never sqlite3_finalize(). */
int sqlite_stmt_cached(struct conn *c, const char *sql, sqlite3_stmt **out)
{
	for (int i = 0; i < SEARCH_CACHE; i++)
		if (c->cache[i].sql && strcmp(c->cache[i].sql, sql) == 0) {
			*out = c->cache[i].s;
			return SQLITE_OK;
		}
	sqlite3_stmt *s = NULL;
	int prc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
	if (prc != SQLITE_OK)
		return prc;
	char *copy = strdup(sql);
	if (!copy)
		abort();
	struct cached_stmt *e = NULL;
	for (int i = 0; i < SEARCH_CACHE && !e; i++)
		if (!c->cache[i].sql)
			e = &c->cache[i];
	if (!e) {
		e = &c->cache[c->cache_next++ % SEARCH_CACHE];
		sqlite3_finalize(e->s);
		free(e->sql);
	}
	e->sql = copy;
	e->s = s;
	*out = s;
	return SQLITE_OK;
}

void sqlite_close(struct store *st)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	/* the writer first: it drains its queue on its own connection, which
	 * its thread's exit frees (the key's destructor) */
	store_tx_writer_free(st->writer);
	st->writer = NULL;
	conn_free(pthread_getspecific(s->key));
	pthread_setspecific(s->key, NULL);
	pthread_key_delete(s->key);
	free(s->path);
	free(s);
}

static const struct store_ops sqlite_ops = {
#define X(ret, name, params) .name = sqlite_##name,
	STORE_OPS(X)
#undef X
};

static int migrate_one(sqlite3 *db, int version, bool log, char *err, size_t errlen);

static int migrate(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *s;
	int version = 0;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (version > SCHEMA_VERSION) {
		snprintf(err, errlen, "database schema v%d is newer than this server (v%d)", version,
			 SCHEMA_VERSION);
		return -1;
	}
	/* A migration that rebuilds an index sorts every row (the search fill's
	 * window); with the connection's temp_store=MEMORY that sort would
	 * hold the whole table in memory (944 MiB at 1M products), so the
	 * sorter spills to temporary files while migrating. */
	if (version < SCHEMA_VERSION)
		sqlite3_exec(db, "PRAGMA temp_store=FILE", NULL, NULL, NULL);
	int rc = 0;
	const bool upgrade = version > 0; /* logged; a new database is not */
	for (; version < SCHEMA_VERSION && rc == 0; version++)
		rc = migrate_one(db, version, upgrade, err, errlen);
	sqlite3_exec(db, "PRAGMA temp_store=MEMORY", NULL, NULL, NULL);
	return rc;
}

/* Moves the schema from version to version + 1 in one transaction. */
static int migrate_one(sqlite3 *db, int version, bool log, char *err, size_t errlen)
{
	int64_t t0 = clock_mono_ns();
	{
		char *msg = NULL;
		char bump[64];
		snprintf(bump, sizeof bump, "PRAGMA user_version=%d;", version + 1);
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, schema_migrations[version], NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, bump, NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(err, errlen, "migration to v%d failed: %s", version + 1,
				 msg ? msg : "unknown");
			sqlite3_free(msg);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	if (log)
		log_event(LOG_INFO, "schema migrated", LOG_INT("version", version + 1),
			  LOG_INT("ms", (clock_mono_ns() - t0) / 1000000));
	return 0;
}

int store_sqlite_open(struct store **out, const char *path, char *err, size_t errlen)
{
	struct sqlite_store *s = calloc(1, sizeof *s);
	if (!s || !(s->path = strdup(path))) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->base.ops = &sqlite_ops;
	if (sql_check(err, errlen) < 0) {
		free(s->path);
		free(s);
		return -1;
	}
	if (pthread_key_create(&s->key, conn_free) != 0) {
		free(s->path);
		free(s);
		snprintf(err, errlen, "pthread_key_create failed");
		return -1;
	}
	struct conn *c;
	if (conn_open(&c, path, err, errlen) != STORE_ONE) {
		pthread_key_delete(s->key);
		free(s->path);
		free(s);
		return -1;
	}
	pthread_setspecific(s->key, c);
	if (migrate(c->db, err, errlen) < 0) {
		sqlite_close(&s->base);
		return -1;
	}
	/* one writer with group commit (store/tx.h); its thread starts with the
	 * first write transaction */
	if (!(s->base.writer = store_tx_writer_new())) {
		snprintf(err, errlen, "out of memory");
		sqlite_close(&s->base);
		return -1;
	}
	*out = &s->base;
	return 0;
}
