/* sqlite: the embedded storage backend. WAL journal with synchronous=FULL so
 * an acknowledged write survives kill -9 and power loss; one connection per
 * worker thread (pthread key) with its prepared statements cached; writes use
 * BEGIN IMMEDIATE so writers queue on the lock instead of failing mid-way. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/schema.h"
#include "store/sqlite_fts.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/etag.h"
#include "util/strbuf.h"
#include "domain/paging.h"

enum stmt_id {
	S_BEGIN_R, S_BEGIN_W, S_COMMIT, S_ROLLBACK, S_PING,
	S_TENANT_FIND, S_TENANT_INSERT, S_TENANT_COUNT,
	S_USER_FIND_EMAIL, S_USER_GET, S_USER_INSERT, S_USER_UPDATE, S_USER_DELETE, S_USER_LIST,
	S_USER_COUNT,
	S_KEY_INSERT, S_KEY_LOOKUP, S_KEY_GET, S_KEY_LIST, S_KEY_COUNT, S_KEY_DESCRIBE, S_KEY_DELETE,
	S_SPACE_INSERT, S_SPACE_GET, S_SPACE_UPDATE, S_SPACE_DELETE, S_SPACE_USAGE, S_SPACE_ROLES, S_USER_SPACES,
	S_ASG_INSERT, S_ASG_GET, S_ASG_FIND, S_ASG_LIST, S_ASG_COUNT, S_ASG_DELETE,
	S_DATASET_INSERT, S_DATASET_GET, S_DATASET_UPDATE, S_DATASET_DELETE, S_DATASET_PRODUCTS,
	S_DATASET_LIST, S_DATASET_COUNT,
	S_PD_DELETE, S_PD_INSERT,
	S_BATCH_INSERT, S_BATCH_EXISTS, S_COMP_INSERT, S_COMP_GET, S_COMP_BATCH, S_COMP_NEXT, S_COMP_TAKE,
	S_COMP_FINISH, S_COMP_REQUEUE, S_COMP_GIVEUP, S_QUALITY_LATEST, S_QUALITY_LAST,
	S_TRUST_GET, S_TRUST_IDS, S_TRUST_PUT, S_SETTINGS_GET, S_SETTINGS_PUT,
	S_PRODUCT_GET, S_PRODUCT_ACCESS, S_PRODUCT_INSERT, S_PRODUCT_UPDATE, S_PRODUCT_DELETE,
	S_TAGS_DELETE, S_TAG_INSERT,
	S_CHANGELOG_INSERT, S_CHANGELOG_PAGE_ASC, S_CHANGELOG_PAGE_DESC, S_CHANGELOG_COUNT,
	S_KEY_ACTIVE,
	S_SESSION_INSERT, S_SESSION_LOOKUP, S_SESSION_TOUCH, S_SESSION_DELETE, S_SESSION_SWEEP,
	S_SESSION_COUNT,
	S__COUNT
};

static const char *const stmt_sql[S__COUNT] = {
	[S_BEGIN_R] = "BEGIN",
	[S_BEGIN_W] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_PING] = "SELECT 1",
	[S_TENANT_FIND] = "SELECT id FROM tenants WHERE name = ?1",
	[S_TENANT_INSERT] = "INSERT INTO tenants(id, name, created_at) VALUES(?1, ?2, ?3)",
	[S_TENANT_COUNT] = "SELECT count(*) FROM tenants",
	[S_USER_FIND_EMAIL] = "SELECT id FROM users WHERE tenant_id = ?1 AND email = ?2",
	[S_USER_GET] = "SELECT doc FROM users WHERE tenant_id = ?1 AND id = ?2",
	[S_USER_INSERT] = "INSERT INTO users(id, tenant_id, email, roles, status, doc)"
			  " VALUES(?1, ?2, ?3, ?4, 'active', ?5)",
	[S_USER_UPDATE] = "UPDATE users SET email = ?3, roles = ?4, status = ?5, doc = ?6"
			  " WHERE tenant_id = ?1 AND id = ?2",
	[S_USER_DELETE] = "DELETE FROM users WHERE tenant_id = ?1 AND id = ?2",
	[S_USER_LIST] = "SELECT doc FROM users WHERE tenant_id = ?1 AND (?2 IS NULL OR email = ?2)"
			" ORDER BY rowid LIMIT ?3 OFFSET ?4",
	[S_USER_COUNT] = "SELECT count(*) FROM users WHERE tenant_id = ?1 AND (?2 IS NULL OR email = ?2)",
	[S_KEY_INSERT] = "INSERT INTO api_keys(id, tenant_id, user_id, hash, created_at, expires_ms,"
			 " description, created_by) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
#define KEY_COLS "id, tenant_id, user_id, created_by, description, created_at, updated_at, expires_ms"
	[S_KEY_GET] = "SELECT " KEY_COLS " FROM api_keys WHERE tenant_id = ?1 AND id = ?2 AND revoked = 0",
	[S_KEY_LIST] = "SELECT " KEY_COLS " FROM api_keys WHERE tenant_id = ?1 AND revoked = 0"
		       " AND (?2 IS NULL OR user_id = ?2) ORDER BY created_at, id LIMIT ?3 OFFSET ?4",
	[S_KEY_COUNT] = "SELECT count(*) FROM api_keys WHERE tenant_id = ?1 AND revoked = 0"
			" AND (?2 IS NULL OR user_id = ?2)",
	[S_KEY_DESCRIBE] = "UPDATE api_keys SET description = ?3, updated_at = ?4"
			   " WHERE tenant_id = ?1 AND id = ?2 AND revoked = 0",
	[S_KEY_DELETE] = "DELETE FROM api_keys WHERE tenant_id = ?1 AND id = ?2",
	[S_KEY_ACTIVE] = "SELECT count(*) FROM api_keys WHERE tenant_id = ?1 AND user_id = ?2"
			 " AND revoked = 0 AND (expires_ms = 0 OR expires_ms > ?3)",
	[S_KEY_LOOKUP] = "SELECT k.id, k.tenant_id, k.user_id, k.expires_ms, u.roles, u.status"
			 " FROM api_keys k JOIN users u ON u.id = k.user_id"
			 " WHERE k.hash = ?1 AND k.revoked = 0",
	[S_SESSION_INSERT] = "INSERT INTO sessions(tenant_id, id_hash, user_id, key_id, created_via,"
			     " created_at, last_seen_at, expires_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)",
	[S_SESSION_LOOKUP] = "SELECT s.tenant_id, s.user_id, s.key_id, s.created_via, s.last_seen_at,"
			     " s.expires_at, u.roles, u.status, CASE WHEN s.key_id IS NULL THEN 1"
			     " WHEN k.id IS NULL OR k.revoked <> 0"
			     " OR (k.expires_ms <> 0 AND k.expires_ms <= ?2) THEN 0 ELSE 1 END"
			     " FROM sessions s JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id"
			     " LEFT JOIN api_keys k ON k.tenant_id = s.tenant_id AND k.id = s.key_id"
			     " WHERE s.id_hash = ?1",
	[S_SESSION_TOUCH] = "UPDATE sessions SET last_seen_at = ?3 WHERE tenant_id = ?1 AND id_hash = ?2",
	[S_SESSION_DELETE] = "DELETE FROM sessions WHERE tenant_id = ?1 AND id_hash = ?2",
	[S_SESSION_SWEEP] = "DELETE FROM sessions WHERE expires_at <= ?1 OR last_seen_at <= ?2",
	[S_SESSION_COUNT] = "SELECT count(*) FROM sessions WHERE expires_at > ?1 AND last_seen_at > ?2",
	[S_SPACE_INSERT] = "INSERT INTO spaces(id, tenant_id, name, type, owner_id, created_at, doc)"
			   " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_SPACE_GET] = "SELECT doc FROM spaces WHERE tenant_id = ?1 AND id = ?2",
	[S_SPACE_UPDATE] = "UPDATE spaces SET name = ?3, type = ?4, owner_id = ?5, doc = ?6"
			   " WHERE tenant_id = ?1 AND id = ?2",
	[S_SPACE_DELETE] = "DELETE FROM spaces WHERE tenant_id = ?1 AND id = ?2",
	[S_SPACE_USAGE] = "SELECT (SELECT count(*) FROM products WHERE tenant_id = ?1 AND space_id = ?2)"
			  " + (SELECT count(*) FROM datasets WHERE tenant_id = ?1 AND space_id = ?2)",
	[S_USER_SPACES] = "SELECT json_object('id', s.id, 'type', s.type, 'ownerId', s.owner_id,"
			  " 'roles', coalesce(a.roles, 0)) FROM spaces s"
			  " LEFT JOIN space_assignments a ON a.tenant_id = s.tenant_id"
			  " AND a.space_id = s.id AND a.assignee_id = ?2"
			  " WHERE s.tenant_id = ?1 AND (s.owner_id = ?2 OR a.id IS NOT NULL)",
	[S_SPACE_ROLES] = "SELECT roles FROM space_assignments WHERE tenant_id = ?1 AND space_id = ?2"
			  " AND assignee_id = ?3",
	[S_ASG_INSERT] = "INSERT INTO space_assignments(id, tenant_id, space_id, assignee_id, roles,"
			 " created_at, doc) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_ASG_GET] = "SELECT doc FROM space_assignments WHERE tenant_id = ?1 AND space_id = ?2 AND id = ?3",
	[S_ASG_FIND] = "SELECT doc FROM space_assignments WHERE tenant_id = ?1 AND space_id = ?2"
		       " AND assignee_id = ?3",
	[S_ASG_LIST] = "SELECT doc FROM space_assignments WHERE tenant_id = ?1 AND space_id = ?2"
		       " ORDER BY created_at, id LIMIT ?3 OFFSET ?4",
	[S_ASG_COUNT] = "SELECT count(*) FROM space_assignments WHERE tenant_id = ?1 AND space_id = ?2",
	[S_ASG_DELETE] = "DELETE FROM space_assignments WHERE tenant_id = ?1 AND space_id = ?2 AND id = ?3",
	[S_DATASET_INSERT] = "INSERT INTO datasets(id, tenant_id, space_id, doc, name_lc, technical_lc)"
			     " VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
	[S_DATASET_GET] = "SELECT doc FROM datasets WHERE tenant_id = ?1 AND id = ?2",
	[S_DATASET_UPDATE] = "UPDATE datasets SET space_id = ?3, doc = ?4, name_lc = ?5, technical_lc = ?6"
			     " WHERE tenant_id = ?1 AND id = ?2",
	/* the picker's list (issue 9): ?2 is the ASCII-lower-cased query or NULL */
	[S_DATASET_LIST] = "SELECT doc FROM datasets WHERE tenant_id = ?1 AND (?2 IS NULL"
			   " OR instr(name_lc, ?2) > 0 OR instr(technical_lc, ?2) > 0)"
			   " ORDER BY name_lc, id LIMIT ?3 OFFSET ?4",
	[S_DATASET_COUNT] = "SELECT count(*) FROM datasets WHERE tenant_id = ?1 AND (?2 IS NULL"
			    " OR instr(name_lc, ?2) > 0 OR instr(technical_lc, ?2) > 0)",
	[S_DATASET_DELETE] = "DELETE FROM datasets WHERE tenant_id = ?1 AND id = ?2",
	[S_DATASET_PRODUCTS] = "SELECT pd.product_id, p.activated FROM product_datasets pd"
			       " JOIN products p ON p.id = pd.product_id"
			       " WHERE pd.tenant_id = ?1 AND pd.dataset_id = ?2 ORDER BY pd.product_id",
	[S_PD_DELETE] = "DELETE FROM product_datasets WHERE product_id = ?1",
	[S_PD_INSERT] = "INSERT OR IGNORE INTO product_datasets(product_id, tenant_id, dataset_id)"
			" VALUES(?1, ?2, ?3)",
	[S_BATCH_INSERT] = "INSERT INTO quality_batches(id, tenant_id, product_id, created_at, created_by)"
			   " VALUES(?1, ?2, ?3, ?4, ?5)",
	[S_BATCH_EXISTS] = "SELECT 1 FROM quality_batches WHERE tenant_id = ?1 AND id = ?2",
	[S_COMP_INSERT] = "INSERT INTO computations(id, tenant_id, batch_id, dataset_id, status,"
			  " error_code, error_reason, requested_at, requested_by, finished_at)"
			  " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
			  " CASE WHEN ?5 = 'FAILED' THEN ?8 END)",
#define COMP_COLS "id, batch_id, dataset_id, status, attempts, error_code, error_reason," \
		  " requested_at, requested_by, started_at, finished_at"
	[S_COMP_GET] = "SELECT " COMP_COLS " FROM computations WHERE tenant_id = ?1 AND id = ?2",
	[S_COMP_BATCH] = "SELECT " COMP_COLS " FROM computations WHERE tenant_id = ?1 AND batch_id = ?2"
			 " ORDER BY requested_at, rowid",
	[S_COMP_NEXT] = "SELECT id, tenant_id, dataset_id, requested_by, attempts FROM computations"
			" WHERE status = 'REQUESTED' ORDER BY requested_at, rowid LIMIT 1",
	[S_COMP_TAKE] = "UPDATE computations SET status = 'SUBMITTED', attempts = attempts + 1,"
			" started_at = ?2 WHERE id = ?1 AND status = 'REQUESTED'",
	[S_COMP_FINISH] = "UPDATE computations SET status = ?2, error_code = ?3, error_reason = ?4,"
			  " result = ?5, finished_at = ?6 WHERE id = ?1",
	[S_COMP_REQUEUE] = "UPDATE computations SET status = 'REQUESTED', started_at = NULL"
			   " WHERE status = 'SUBMITTED' AND attempts < ?1",
	[S_COMP_GIVEUP] = "UPDATE computations SET status = 'FAILED', error_code = 'DQ-500',"
			  " error_reason = 'interrupted by server restarts ' || attempts || ' times',"
			  " finished_at = ?2 WHERE status = 'SUBMITTED' AND attempts >= ?1",
	[S_QUALITY_LATEST] = "SELECT result, finished_at, requested_by FROM computations"
			     " WHERE tenant_id = ?1 AND dataset_id = ?2 AND status = 'SUCCEEDED'"
			     " ORDER BY finished_at DESC, rowid DESC LIMIT 1",
	[S_QUALITY_LAST] = "SELECT " COMP_COLS " FROM computations WHERE tenant_id = ?1"
			   " AND dataset_id = ?2 ORDER BY requested_at DESC, rowid DESC LIMIT 1",
	[S_TRUST_GET] = "SELECT doc FROM trust_results WHERE tenant_id = ?1 AND dataset_id = ?2",
	[S_TRUST_IDS] = "SELECT dataset_id FROM trust_results WHERE tenant_id = ?1 ORDER BY dataset_id",
	[S_TRUST_PUT] = "INSERT INTO trust_results(tenant_id, dataset_id, score, previous_score, doc,"
			" updated_at) VALUES(?1, ?2, ?3, NULL, ?4, ?5)"
			" ON CONFLICT(tenant_id, dataset_id) DO UPDATE SET previous_score = score,"
			" score = excluded.score, doc = excluded.doc, updated_at = excluded.updated_at",
	[S_SETTINGS_GET] = "SELECT trust_config FROM tenant_settings WHERE tenant_id = ?1"
			   " AND trust_config IS NOT NULL",
	[S_SETTINGS_PUT] = "INSERT INTO tenant_settings(tenant_id, trust_config) VALUES(?1, ?2)"
			   " ON CONFLICT(tenant_id) DO UPDATE SET trust_config = excluded.trust_config",
	[S_PRODUCT_GET] = "SELECT doc FROM products WHERE tenant_id = ?1 AND id = ?2",
	[S_PRODUCT_ACCESS] = "SELECT p.doc, p.space_id, s.type, s.owner_id, a.roles, p.etag, p.owner_id,"
			     " p.activated"
			     " FROM products p"
			     " LEFT JOIN spaces s ON s.tenant_id = p.tenant_id AND s.id = p.space_id"
			     " LEFT JOIN space_assignments a ON a.space_id = p.space_id"
			     " AND a.assignee_id = ?3"
			     " WHERE p.tenant_id = ?1 AND p.id = ?2",
	[S_PRODUCT_INSERT] = "INSERT INTO products(id, tenant_id, name, name_lc, space_id, owner_id,"
			     " activated, created_at, updated_at, search, doc, etag, trust_score, quality)"
			     " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
	[S_PRODUCT_UPDATE] = "UPDATE products SET name = ?3, name_lc = ?4, space_id = ?5,"
			     " owner_id = ?6, activated = ?7, created_at = ?8, updated_at = ?9,"
			     " search = ?10, doc = ?11, etag = ?12, trust_score = ?13, quality = ?14"
			     " WHERE tenant_id = ?2 AND id = ?1",
	[S_PRODUCT_DELETE] = "DELETE FROM products WHERE tenant_id = ?1 AND id = ?2",
	[S_TAGS_DELETE] = "DELETE FROM product_tags WHERE product_id = ?1",
	[S_TAG_INSERT] = "INSERT INTO product_tags(product_id, tenant_id, tag) VALUES(?1, ?2, ?3)",
	/* pseq = the product's next entry number (an O(log n) index probe) */
	[S_CHANGELOG_INSERT] = "INSERT INTO changelogs(id, tenant_id, product_id, created_at, doc, pseq)"
			       " VALUES(?1, ?2, ?3, ?4, ?5, (SELECT coalesce(max(pseq), 0) + 1"
			       " FROM changelogs WHERE product_id = ?3))",
	/* pages are pseq ranges: ?3..?4 inclusive */
	[S_CHANGELOG_PAGE_ASC] = "SELECT doc FROM changelogs WHERE product_id = ?2 AND tenant_id = ?1"
				 " AND pseq BETWEEN ?3 AND ?4 ORDER BY pseq ASC",
	[S_CHANGELOG_PAGE_DESC] = "SELECT doc FROM changelogs WHERE product_id = ?2 AND tenant_id = ?1"
				  " AND pseq BETWEEN ?3 AND ?4 ORDER BY pseq DESC",
	/* entries are dense 1..n, so the count is the highest number */
	[S_CHANGELOG_COUNT] = "SELECT coalesce(max(pseq), 0) FROM changelogs WHERE product_id = ?2"
			      " AND tenant_id = ?1",
};

/* Search statements whose SQL is generated (the MATCH expression is bound,
 * so the text repeats): prepared once per connection, keyed by the text. */
#define SEARCH_CACHE 16
struct cached_stmt {
	char *sql;
	sqlite3_stmt *s;
};

struct conn {
	sqlite3 *db;
	sqlite3_stmt *stmts[S__COUNT];
	struct cached_stmt cache[SEARCH_CACHE];
	unsigned cache_next; /* round-robin victim when the cache is full */
	bool write_tx;          /* inside BEGIN IMMEDIATE */
	sqlite3_int64 changes0; /* sqlite3_total_changes at BEGIN IMMEDIATE */
};

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
static int note(sqlite3 *db, int rc)
{
	enum store_fault f = sqlite_fault_kind(rc);
	if (f != STORE_FAULT_NONE)
		store_fault_note(f, code_name(rc), db ? sqlite3_extended_errcode(db) : rc,
				 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	return rc;
}

/* Why this thread's last stmt() returned NULL: STORE_UNAVAILABLE for a
 * storage condition (cannot open, corrupt schema), else STORE_HARD. */
static _Thread_local int stmt_fail_rc = STORE_HARD;
#define NO_STMT stmt_fail_rc

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
	if (rc != SQLITE_OK && !err && sqlite_fault_kind(note(c->db, rc)) != STORE_FAULT_NONE)
		stmt_fail_rc = STORE_UNAVAILABLE; /* a worker thread's connection, at run time */
	if (rc != SQLITE_OK) {
		if (err)
			snprintf(err, errlen, "cannot open %s: %s", path,
				 c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		conn_free(c);
		return STORE_HARD;
	}
	sqlite3_busy_timeout(c->db, 5000);
	rc = sqlite3_exec(c->db,
			  "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			  " PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;",
			  NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite_fts_register(c->db); /* the search index's triggers call it */
	if (rc != SQLITE_OK && !err && sqlite_fault_kind(note(c->db, rc)) != STORE_FAULT_NONE)
		stmt_fail_rc = STORE_UNAVAILABLE;
	if (rc != SQLITE_OK) {
		if (err)
			snprintf(err, errlen, "cannot configure %s: %s", path, sqlite3_errmsg(c->db));
		conn_free(c);
		return STORE_HARD;
	}
	*out = c;
	return STORE_ONE;
}

static struct conn *conn_get(struct store *st)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	struct conn *c = pthread_getspecific(s->key);
	if (c)
		return c;
	stmt_fail_rc = STORE_HARD;
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
static int step(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		note(sqlite3_db_handle(s), rc);
	/* which constraint: only the extended code tells UNIQUE from NOT NULL */
	if (rc == SQLITE_CONSTRAINT)
		rc = sqlite3_extended_errcode(sqlite3_db_handle(s));
	return map_rc(rc);
}

/* Returns a reset statement ready for binding, or NULL. */
static sqlite3_stmt *stmt(struct store *st, enum stmt_id id)
{
	struct conn *c = conn_get(st);
	if (!c)
		return NULL;
	int prc;
	if (!c->stmts[id] &&
	    (prc = sqlite3_prepare_v3(c->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
				      &c->stmts[id], NULL)) != SQLITE_OK) {
		stmt_fail_rc = map_rc(note(c->db, prc)) == STORE_UNAVAILABLE ? STORE_UNAVAILABLE
									   : STORE_HARD;
		fprintf(stderr, "{\"level\":\"error\",\"msg\":\"prepare failed\",\"sql\":\"%d\",\"error\":\"%s\"}\n",
			(int)id, sqlite3_errmsg(c->db));
		return NULL;
	}
	return c->stmts[id];
}

static void done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

/* Runs a statement that returns no rows. */
static int exec_stmt(sqlite3_stmt *s)
{
	int rc = step(s);
	done(s);
	return rc == STORE_NONE ? STORE_ONE : rc;
}

static int simple(struct store *st, enum stmt_id id)
{
	sqlite3_stmt *s = stmt(st, id);
	return s ? exec_stmt(s) : NO_STMT;
}

static int sq_begin(struct store *st, bool write)
{
	int rc = simple(st, write ? S_BEGIN_W : S_BEGIN_R);
	struct conn *c = rc >= 0 ? conn_get(st) : NULL;
	if (c) {
		c->write_tx = write;
		c->changes0 = sqlite3_total_changes64(c->db);
	}
	return rc;
}

static int sq_commit(struct store *st)
{
	int rc = simple(st, S_COMMIT);
	struct conn *c = conn_get(st);
	/* a committed transaction that changed rows reached the disk: whatever
	 * condition an earlier write hit is over */
	if (rc >= 0 && c && c->write_tx && sqlite3_total_changes64(c->db) != c->changes0)
		store_fault_clear();
	if (c && rc >= 0)
		c->write_tx = false;
	return rc;
}

static void sq_rollback(struct store *st);

/* A write that changes nothing visible: PRAGMA user_version rewritten with
 * its own value dirties page 1, so COMMIT appends a WAL frame and syncs it,
 * and fails as any write would. Used by /ready while the storage is degraded. */
static int sq_probe_write(struct store *st)
{
	struct conn *c = conn_get(st);
	if (!c)
		return stmt_fail_rc;
	int rc = sq_begin(st, true);
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
		rc = map_rc(note(c->db, prc));
		sq_rollback(st);
		return rc == STORE_NONE || rc == STORE_ONE ? STORE_HARD : rc;
	}
	rc = simple(st, S_COMMIT);
	if (rc < 0) {
		sq_rollback(st);
		return rc;
	}
	c->write_tx = false;
	store_fault_clear();
	return STORE_ONE;
}

static void sq_rollback(struct store *st)
{
	struct conn *c = conn_get(st);
	if (c && !sqlite3_get_autocommit(c->db))
		(void)simple(st, S_ROLLBACK);
}

static bool sq_in_transaction(struct store *st)
{
	struct conn *c = conn_get(st);
	return c && !sqlite3_get_autocommit(c->db);
}

static int sq_ping(struct store *st)
{
	sqlite3_stmt *s = stmt(st, S_PING);
	if (!s)
		return NO_STMT;
	int rc = step(s);
	done(s);
	return rc;
}

/* Reads column 0 as a JSON document. */
static int read_doc(sqlite3_stmt *s, json_t **out)
{
	const char *txt = (const char *)sqlite3_column_text(s, 0);
	json_t *j = txt ? json_loads(txt, 0, NULL) : NULL;
	if (!j)
		return STORE_HARD;
	*out = j;
	return STORE_ONE;
}

static int get_doc(struct store *st, enum stmt_id id, json_t **out, const char *a, const char *b)
{
	sqlite3_stmt *s = stmt(st, id);
	if (!s)
		return NO_STMT;
	bind_text(s, 1, a);
	bind_text(s, 2, b);
	int rc = step(s);
	if (rc == STORE_ONE)
		rc = read_doc(s, out);
	done(s);
	return rc;
}

static int get_id(struct store *st, enum stmt_id id, char *out, const char *a, const char *b)
{
	sqlite3_stmt *s = stmt(st, id);
	if (!s)
		return NO_STMT;
	bind_text(s, 1, a);
	bind_text(s, 2, b);
	int rc = step(s);
	if (rc == STORE_ONE)
		snprintf(out, GUID_LEN + 1, "%s", (const char *)sqlite3_column_text(s, 0));
	done(s);
	return rc;
}

static int get_count(sqlite3_stmt *s, long *out)
{
	int rc = step(s);
	if (rc == STORE_ONE) {
		*out = (long)sqlite3_column_int64(s, 0);
		rc = STORE_ONE;
	} else if (rc == STORE_NONE) {
		rc = STORE_HARD;
	}
	done(s);
	return rc;
}

/* Collects column 0 of every row as documents into a new array. */
static int collect_docs(sqlite3_stmt *s, json_t **out)
{
	json_t *arr = json_array();
	int rc;
	while ((rc = step(s)) == STORE_ONE) {
		json_t *d;
		if (read_doc(s, &d) != STORE_ONE) {
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

/* ASCII lower-casing; see docs/decisions.md on case-insensitive search. */
static void lower_ascii(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s + 32);
}

static char *dump(json_t *doc) { return json_dumps(doc, JSON_COMPACT); }

/* Binds v ASCII-lower-cased ("" for NULL): the name columns of data sets. */
static void bind_lower(sqlite3_stmt *s, int i, const char *v)
{
	char *lc = strdup(v ? v : "");
	if (!lc) {
		sqlite3_bind_null(s, i); /* NOT NULL column: the write fails, never a wrong row */
		return;
	}
	lower_ascii(lc);
	sqlite3_bind_text(s, i, lc, -1, SQLITE_TRANSIENT);
	free(lc);
}

static const char *jstr(json_t *doc, const char *key) { return json_string_value(json_object_get(doc, key)); }

static int sq_tenant_find(struct store *st, char *out_id, const char *name)
{
	return get_id(st, S_TENANT_FIND, out_id, name, NULL);
}

static int sq_tenant_insert(struct store *st, const char *id, const char *name, const char *now)
{
	sqlite3_stmt *s = stmt(st, S_TENANT_INSERT);
	if (!s)
		return NO_STMT;
	bind_text(s, 1, id);
	bind_text(s, 2, name);
	bind_text(s, 3, now);
	return exec_stmt(s);
}

static int sq_tenant_count(struct store *st, long *out)
{
	sqlite3_stmt *s = stmt(st, S_TENANT_COUNT);
	return s ? get_count(s, out) : NO_STMT;
}

static int sq_user_find_email(struct store *st, char *out_id, const char *tenant, const char *email)
{
	return get_id(st, S_USER_FIND_EMAIL, out_id, tenant, email);
}

static int sq_user_get(struct store *st, json_t **out, const char *tenant, const char *id)
{
	return get_doc(st, S_USER_GET, out, tenant, id);
}

static int sq_user_insert(struct store *st, const char *tenant, json_t *doc, unsigned roles)
{
	sqlite3_stmt *s = stmt(st, S_USER_INSERT);
	if (!s)
		return NO_STMT;
	char *txt = dump(doc);
	bind_text(s, 1, jstr(doc, "id"));
	bind_text(s, 2, tenant);
	bind_text(s, 3, jstr(doc, "email"));
	sqlite3_bind_int(s, 4, (int)roles);
	bind_text(s, 5, txt);
	free(txt);
	return exec_stmt(s);
}

static int sq_apikey_insert(struct store *st, const char *tenant, const struct apikey_new *k)
{
	sqlite3_stmt *s = stmt(st, S_KEY_INSERT);
	if (!s)
		return NO_STMT;
	bind_text(s, 1, k->id);
	bind_text(s, 2, tenant);
	bind_text(s, 3, k->user_id);
	bind_text(s, 4, k->hash);
	bind_text(s, 5, k->now);
	sqlite3_bind_int64(s, 6, k->expires_ms);
	bind_text(s, 7, k->description ? k->description : "");
	bind_text(s, 8, k->created_by);
	return exec_stmt(s);
}

/* Rows that change nothing report "no such row". */
static int changed(struct store *st, int rc)
{
	if (rc == STORE_ONE && sqlite3_changes(conn_get(st)->db) == 0)
		return STORE_NONE;
	return rc;
}

static int exec_2(struct store *st, enum stmt_id id, const char *a, const char *b)
{
	sqlite3_stmt *s = stmt(st, id);
	if (!s)
		return NO_STMT;
	bind_text(s, 1, a);
	bind_text(s, 2, b);
	return changed(st, exec_stmt(s));
}

static int exec_3(struct store *st, enum stmt_id id, const char *a, const char *b, const char *c)
{
	sqlite3_stmt *s = stmt(st, id);
	if (!s)
		return NO_STMT;
	bind_text(s, 1, a);
	bind_text(s, 2, b);
	bind_text(s, 3, c);
	return changed(st, exec_stmt(s));
}

/* An ApiKey document (api-keys.d.ts) from a KEY_COLS row. */
static json_t *key_doc(sqlite3_stmt *s)
{
	char expiry[64];
	int64_t exp = sqlite3_column_int64(s, 7);
	/* keys made by `bootstrap` never expire; the wire type wants a date */
	clock_format_ms(expiry, exp ? exp : INT64_C(253402300799999));
	const char *updated = (const char *)sqlite3_column_text(s, 6);
	json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id",
				sqlite3_column_text(s, 0), "tenantId", sqlite3_column_text(s, 1),
				"sub", sqlite3_column_text(s, 2), "subType", "user", "createdByUser",
				sqlite3_column_text(s, 3), "description", sqlite3_column_text(s, 4),
				"created", sqlite3_column_text(s, 5), "expiry", expiry, "status",
				exp && exp <= clock_now_ms() ? "expired" : "active");
	json_object_set_new(doc, "lastUpdated",
			    json_string(updated ? updated : (const char *)sqlite3_column_text(s, 5)));
	return doc;
}

static int sq_apikey_get(struct store *st, json_t **out, const char *tenant, const char *id)
{
	sqlite3_stmt *s = stmt(st, S_KEY_GET);
	if (!s)
		return NO_STMT;
	bind_text(s, 1, tenant);
	bind_text(s, 2, id);
	int rc = step(s);
	if (rc == STORE_ONE)
		*out = key_doc(s);
	done(s);
	return rc;
}

static int sq_apikey_list(struct store *st, json_t **out, long *out_total, const char *tenant,
			  const char *user_id, long offset, long limit)
{
	sqlite3_stmt *s = stmt(st, S_KEY_COUNT);
	if (!s)
		return NO_STMT;
	bind_text(s, 1, tenant);
	bind_text(s, 2, user_id);
	int rc = get_count(s, out_total);
	if (rc != STORE_ONE)
		return rc;
	if (!(s = stmt(st, S_KEY_LIST)))
		return NO_STMT;
	bind_text(s, 1, tenant);
	bind_text(s, 2, user_id);
	sqlite3_bind_int64(s, 3, limit);
	sqlite3_bind_int64(s, 4, offset);
	json_t *arr = json_array();
	while ((rc = step(s)) == STORE_ONE)
		json_array_append_new(arr, key_doc(s));
	done(s);
	if (rc != STORE_NONE) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return STORE_ONE;
}

static int sq_apikey_describe(struct store *st, const char *tenant, const char *id,
			      const char *description, const char *now)
{
	sqlite3_stmt *s = stmt(st, S_KEY_DESCRIBE);
	if (!s)
		return NO_STMT;
	bind_text(s, 1, tenant);
	bind_text(s, 2, id);
	bind_text(s, 3, description);
	bind_text(s, 4, now);
	return changed(st, exec_stmt(s));
}

static int sq_apikey_delete(struct store *st, const char *tenant, const char *id)
{
	return exec_2(st, S_KEY_DELETE, tenant, id);
}

static int sq_apikey_count_active(struct store *st, long *out, const char *tenant,
				  const char *user_id, int64_t now_ms)
{
	sqlite3_stmt *s = stmt(st, S_KEY_ACTIVE);
	if (!s)
		return NO_STMT;
	bind_text(s, 1, tenant);
	bind_text(s, 2, user_id);
	sqlite3_bind_int64(s, 3, now_ms);
	return get_count(s, out);
}

static int sq_user_update(struct store *st, const char *tenant, json_t *doc, unsigned roles)
{
	sqlite3_stmt *s = stmt(st, S_USER_UPDATE);
	if (!s)
		return NO_STMT;
	char *txt = dump(doc);
	bind_text(s, 1, tenant);
	bind_text(s, 2, jstr(doc, "id"));
	bind_text(s, 3, jstr(doc, "email"));
	sqlite3_bind_int(s, 4, (int)roles);
	bind_text(s, 5, jstr(doc, "status"));
	bind_text(s, 6, txt);
	free(txt);
	return changed(st, exec_stmt(s));
}

static int sq_user_delete(struct store *st, const char *tenant, const char *id)
{
	return exec_2(st, S_USER_DELETE, tenant, id);
}

/* count + page of one-document rows, for statements bound (tenant, x). */
static int page_docs(struct store *st, json_t **out, long *out_total, enum stmt_id count,
		     enum stmt_id list, const char *tenant, const char *x, long offset, long limit)
{
	sqlite3_stmt *s = stmt(st, count);
	if (!s)
		return NO_STMT;
	bind_text(s, 1, tenant);
	bind_text(s, 2, x);
	int rc = get_count(s, out_total);
	if (rc != STORE_ONE)
		return rc;
	if (!(s = stmt(st, list)))
		return NO_STMT;
	bind_text(s, 1, tenant);
	bind_text(s, 2, x);
	sqlite3_bind_int64(s, 3, limit);
	sqlite3_bind_int64(s, 4, offset);
	rc = collect_docs(s, out);
	done(s);
	return rc;
}

static int sq_user_list(struct store *st, json_t **out, long *out_total, const char *tenant,
			const char *email, long offset, long limit)
{
	return page_docs(st, out, out_total, S_USER_COUNT, S_USER_LIST, tenant, email, offset, limit);
}

static int sq_apikey_lookup(struct store *st, struct apikey_row *out, const char *hash)
{
	sqlite3_stmt *s = stmt(st, S_KEY_LOOKUP);
	if (!s)
		return NO_STMT;
	bind_text(s, 1, hash);
	int rc = step(s);
	if (rc == STORE_ONE) {
		snprintf(out->id, sizeof out->id, "%s", (const char *)sqlite3_column_text(s, 0));
		snprintf(out->tenant_id, sizeof out->tenant_id, "%s", (const char *)sqlite3_column_text(s, 1));
		snprintf(out->user_id, sizeof out->user_id, "%s", (const char *)sqlite3_column_text(s, 2));
		out->expires_ms = sqlite3_column_int64(s, 3);
		out->roles = (unsigned)sqlite3_column_int(s, 4);
		const char *status = (const char *)sqlite3_column_text(s, 5);
		out->user_active = status && strcmp(status, "active") == 0;
	}
	done(s);
	return rc;
}

static int sq_session_insert(struct store *st, const char *tenant, const struct session_new *n)
{
	sqlite3_stmt *s = stmt(st, S_SESSION_INSERT);
	if (!s)
		return NO_STMT;
	bind_text(s, 1, tenant);
	bind_text(s, 2, n->id_hash);
	bind_text(s, 3, n->user_id);
	bind_text(s, 4, n->key_id);
	bind_text(s, 5, n->created_via);
	sqlite3_bind_int64(s, 6, n->now_ms);
	sqlite3_bind_int64(s, 7, n->expires_ms);
	return exec_stmt(s);
}

static void col_copy(char *out, size_t cap, sqlite3_stmt *s, int i)
{
	const char *v = (const char *)sqlite3_column_text(s, i);
	snprintf(out, cap, "%s", v ? v : "");
}

static int sq_session_lookup(struct store *st, struct session_row *out, const char *id_hash,
			     int64_t now_ms)
{
	sqlite3_stmt *s = stmt(st, S_SESSION_LOOKUP);
	if (!s)
		return NO_STMT;
	bind_text(s, 1, id_hash);
	sqlite3_bind_int64(s, 2, now_ms);
	int rc = step(s);
	if (rc == STORE_ONE) {
		col_copy(out->tenant_id, sizeof out->tenant_id, s, 0);
		col_copy(out->user_id, sizeof out->user_id, s, 1);
		col_copy(out->key_id, sizeof out->key_id, s, 2);
		col_copy(out->created_via, sizeof out->created_via, s, 3);
		out->last_seen_ms = sqlite3_column_int64(s, 4);
		out->expires_ms = sqlite3_column_int64(s, 5);
		out->roles = (unsigned)sqlite3_column_int(s, 6);
		const char *status = (const char *)sqlite3_column_text(s, 7);
		out->user_active = status && strcmp(status, "active") == 0;
		out->key_ok = sqlite3_column_int(s, 8) != 0;
	}
	done(s);
	return rc;
}

static int sq_session_touch(struct store *st, const char *tenant, const char *id_hash,
			    int64_t now_ms)
{
	sqlite3_stmt *s = stmt(st, S_SESSION_TOUCH);
	if (!s)
		return NO_STMT;
	bind_text(s, 1, tenant);
	bind_text(s, 2, id_hash);
	sqlite3_bind_int64(s, 3, now_ms);
	return changed(st, exec_stmt(s));
}

static int sq_session_delete(struct store *st, const char *tenant, const char *id_hash)
{
	return exec_2(st, S_SESSION_DELETE, tenant, id_hash);
}

static int sq_session_sweep(struct store *st, long *out_deleted, int64_t now_ms,
			    int64_t idle_before_ms)
{
	sqlite3_stmt *s = stmt(st, S_SESSION_SWEEP);
	if (!s)
		return NO_STMT;
	sqlite3_bind_int64(s, 1, now_ms);
	sqlite3_bind_int64(s, 2, idle_before_ms);
	int rc = exec_stmt(s);
	if (out_deleted)
		*out_deleted = rc == STORE_ONE ? (long)sqlite3_changes(conn_get(st)->db) : 0;
	return rc;
}

static int sq_session_count(struct store *st, long *out, int64_t now_ms, int64_t idle_before_ms)
{
	sqlite3_stmt *s = stmt(st, S_SESSION_COUNT);
	if (!s)
		return NO_STMT;
	sqlite3_bind_int64(s, 1, now_ms);
	sqlite3_bind_int64(s, 2, idle_before_ms);
	return get_count(s, out);
}

static int sq_space_insert(struct store *st, const char *tenant, json_t *doc)
{
	sqlite3_stmt *s = stmt(st, S_SPACE_INSERT);
	if (!s)
		return NO_STMT;
	char *txt = dump(doc);
	bind_text(s, 1, jstr(doc, "id"));
	bind_text(s, 2, tenant);
	bind_text(s, 3, jstr(doc, "name"));
	bind_text(s, 4, jstr(doc, "type"));
	bind_text(s, 5, jstr(doc, "ownerId"));
	bind_text(s, 6, jstr(doc, "createdAt"));
	bind_text(s, 7, txt);
	free(txt);
	return exec_stmt(s);
}

static int sq_space_get(struct store *st, json_t **out, const char *tenant, const char *id)
{
	return get_doc(st, S_SPACE_GET, out, tenant, id);
}

static int sq_space_update(struct store *st, const char *tenant, json_t *doc)
{
	sqlite3_stmt *s = stmt(st, S_SPACE_UPDATE);
	if (!s)
		return NO_STMT;
	char *txt = dump(doc);
	bind_text(s, 1, tenant);
	bind_text(s, 2, jstr(doc, "id"));
	bind_text(s, 3, jstr(doc, "name"));
	bind_text(s, 4, jstr(doc, "type"));
	bind_text(s, 5, jstr(doc, "ownerId"));
	bind_text(s, 6, txt);
	free(txt);
	return changed(st, exec_stmt(s));
}

static int sq_space_delete(struct store *st, const char *tenant, const char *id)
{
	return exec_2(st, S_SPACE_DELETE, tenant, id);
}

static int sq_space_usage(struct store *st, long *out, const char *tenant, const char *id)
{
	sqlite3_stmt *s = stmt(st, S_SPACE_USAGE);
	if (!s)
		return NO_STMT;
	bind_text(s, 1, tenant);
	bind_text(s, 2, id);
	return get_count(s, out);
}

static int sq_space_roles(struct store *st, unsigned *out, const char *tenant,
			  const char *space_id, const char *user_id)
{
	sqlite3_stmt *s = stmt(st, S_SPACE_ROLES);
	if (!s)
		return NO_STMT;
	bind_text(s, 1, tenant);
	bind_text(s, 2, space_id);
	bind_text(s, 3, user_id);
	int rc = step(s);
	*out = rc == STORE_ONE ? (unsigned)sqlite3_column_int(s, 0) : 0;
	done(s);
	return rc < 0 ? rc : STORE_ONE;
}

static int sq_user_spaces(struct store *st, json_t **out, const char *tenant, const char *user_id)
{
	sqlite3_stmt *s = stmt(st, S_USER_SPACES);
	if (!s)
		return STORE_HARD;
	bind_text(s, 1, tenant);
	bind_text(s, 2, user_id);
	int rc = collect_docs(s, out);
	done(s);
	return rc;
}

/* Spaces a non-admin may see: owned, or holding any role there. */
#define VISIBLE_SPACES(col)                                                                 \
	" AND (" col " IN (SELECT space_id FROM space_assignments WHERE tenant_id = ?1"      \
	" AND assignee_id = ?2) OR " col " IN (SELECT id FROM spaces WHERE tenant_id = ?1"    \
	" AND owner_id = ?2))"

static void space_where(struct strbuf *sql, const struct space_query *q)
{
	strbuf_puts(sql, " WHERE s.tenant_id = ?1");
	if (!q->viewer_is_admin)
		strbuf_puts(sql, VISIBLE_SPACES("s.id"));
	else
		strbuf_puts(sql, " AND (?2 IS NULL OR 1)");
	/* unused filters compare with NULL-tolerant forms so every ?N exists */
	strbuf_puts(sql, " AND (?3 IS NULL OR s.type = ?3)"
			 " AND (?4 IS NULL OR instr(lower(s.name), ?4) > 0)"
			 " AND (?5 IS NULL OR s.owner_id = ?5)");
	(void)q;
}

static void space_bind(sqlite3_stmt *s, const char *tenant, const struct space_query *q, char *name_lc)
{
	bind_text(s, 1, tenant);
	bind_text(s, 2, q->viewer_id);
	bind_text(s, 3, q->type);
	bind_text(s, 4, name_lc);
	bind_text(s, 5, q->owner_id);
}

static int sq_space_list(struct store *st, json_t **out, long *out_total, const char *tenant,
			 const struct space_query *q)
{
	struct conn *c = conn_get(st);
	if (!c)
		return STORE_HARD;
	char *name_lc = q->name ? strdup(q->name) : NULL;
	if (name_lc)
		lower_ascii(name_lc);
	struct strbuf sql;
	strbuf_init(&sql);
	strbuf_puts(&sql, "SELECT count(*) FROM spaces s");
	space_where(&sql, q);
	sqlite3_stmt *s = NULL;
	int rc = STORE_HARD;
	if (sqlite3_prepare_v2(c->db, sql.data, -1, &s, NULL) != SQLITE_OK)
		goto out;
	space_bind(s, tenant, q, name_lc);
	rc = get_count(s, out_total);
	sqlite3_finalize(s);
	s = NULL;
	if (rc != STORE_ONE)
		goto out;
	sql.len = 0;
	strbuf_puts(&sql, "SELECT s.doc FROM spaces s");
	space_where(&sql, q);
	strbuf_puts(&sql, " ORDER BY s.created_at, s.id LIMIT ?6 OFFSET ?7");
	rc = STORE_HARD;
	if (sqlite3_prepare_v2(c->db, sql.data, -1, &s, NULL) != SQLITE_OK)
		goto out;
	space_bind(s, tenant, q, name_lc);
	sqlite3_bind_int64(s, 6, q->limit);
	sqlite3_bind_int64(s, 7, q->offset);
	rc = collect_docs(s, out);
out:
	sqlite3_finalize(s);
	strbuf_free(&sql);
	free(name_lc);
	return rc;
}

static int sq_assignment_insert(struct store *st, const char *tenant, json_t *doc, unsigned roles)
{
	sqlite3_stmt *s = stmt(st, S_ASG_INSERT);
	if (!s)
		return NO_STMT;
	char *txt = dump(doc);
	bind_text(s, 1, jstr(doc, "id"));
	bind_text(s, 2, tenant);
	bind_text(s, 3, jstr(doc, "spaceId"));
	bind_text(s, 4, jstr(doc, "assigneeId"));
	sqlite3_bind_int(s, 5, (int)roles);
	bind_text(s, 6, jstr(doc, "createdAt"));
	bind_text(s, 7, txt);
	free(txt);
	return exec_stmt(s);
}

static int get_doc3(struct store *st, enum stmt_id id, json_t **out, const char *a,
		    const char *b, const char *c)
{
	sqlite3_stmt *s = stmt(st, id);
	if (!s)
		return NO_STMT;
	bind_text(s, 1, a);
	bind_text(s, 2, b);
	bind_text(s, 3, c);
	int rc = step(s);
	if (rc == STORE_ONE)
		rc = read_doc(s, out);
	done(s);
	return rc;
}

static int sq_assignment_get(struct store *st, json_t **out, const char *tenant,
			     const char *space_id, const char *id)
{
	return get_doc3(st, S_ASG_GET, out, tenant, space_id, id);
}

static int sq_assignment_find(struct store *st, json_t **out, const char *tenant,
			      const char *space_id, const char *assignee_id)
{
	return get_doc3(st, S_ASG_FIND, out, tenant, space_id, assignee_id);
}

static int sq_assignment_list(struct store *st, json_t **out, long *out_total, const char *tenant,
			      const char *space_id, long offset, long limit)
{
	return page_docs(st, out, out_total, S_ASG_COUNT, S_ASG_LIST, tenant, space_id, offset, limit);
}

static int sq_assignment_delete(struct store *st, const char *tenant, const char *space_id,
				const char *id)
{
	return exec_3(st, S_ASG_DELETE, tenant, space_id, id);
}

static int sq_dataset_insert(struct store *st, const char *tenant, json_t *doc)
{
	sqlite3_stmt *s = stmt(st, S_DATASET_INSERT);
	if (!s)
		return NO_STMT;
	char *txt = dump(doc);
	bind_text(s, 1, jstr(doc, "id"));
	bind_text(s, 2, tenant);
	bind_text(s, 3, jstr(doc, "spaceId"));
	bind_text(s, 4, txt);
	bind_lower(s, 5, jstr(doc, "name"));
	bind_lower(s, 6, jstr(doc, "technicalName"));
	free(txt);
	return exec_stmt(s);
}

static int sq_dataset_get(struct store *st, json_t **out, const char *tenant, const char *id)
{
	return get_doc(st, S_DATASET_GET, out, tenant, id);
}

static int sq_dataset_list(struct store *st, json_t **out, long *out_total, const char *tenant,
			   const char *query, long offset, long limit)
{
	char *q = query ? strdup(query) : NULL;
	if (query && !q)
		return STORE_HARD;
	if (q)
		lower_ascii(q);
	int rc = page_docs(st, out, out_total, S_DATASET_COUNT, S_DATASET_LIST, tenant, q, offset, limit);
	free(q);
	return rc;
}

static int sq_product_get(struct store *st, json_t **out, const char *tenant, const char *id)
{
	return get_doc(st, S_PRODUCT_GET, out, tenant, id);
}

static int sq_product_get_access(struct store *st, struct product_access *out, const char *tenant,
				 const char *id, const char *user_id)
{
	sqlite3_stmt *s = stmt(st, S_PRODUCT_ACCESS);
	if (!s)
		return NO_STMT;
	bind_text(s, 1, tenant);
	bind_text(s, 2, id);
	bind_text(s, 3, user_id);
	memset(out, 0, sizeof *out);
	int rc = step(s);
	if (rc == STORE_ONE) {
		const char *doc = (const char *)sqlite3_column_text(s, 0);
		const char *type = (const char *)sqlite3_column_text(s, 2);
		const char *owner = (const char *)sqlite3_column_text(s, 3);
		const char *etag = (const char *)sqlite3_column_text(s, 5);
		const char *powner = (const char *)sqlite3_column_text(s, 6);
		if (!doc || !(out->text = strdup(doc))) {
			rc = STORE_HARD;
		} else if (etag) {
			snprintf(out->etag, sizeof out->etag, "%s", etag);
		} else { /* written before v4: compute it once here */
			json_t *j = json_loads(doc, 0, NULL);
			etag_of(out->etag, j);
			json_decref(j);
		}
		out->in_space = sqlite3_column_type(s, 1) != SQLITE_NULL;
		snprintf(out->space_type, sizeof out->space_type, "%s", type ? type : "");
		snprintf(out->space_owner, sizeof out->space_owner, "%s", owner ? owner : "");
		snprintf(out->owner, sizeof out->owner, "%s", powner ? powner : "");
		out->roles = (unsigned)sqlite3_column_int(s, 4);
		out->activated = sqlite3_column_int(s, 7) != 0;
	}
	done(s);
	return rc;
}


/* Rewrites a product's rows in a side table (tags, data set refs) from the
 * string array doc[field]: delete all, insert each (product, tenant, value). */
static int write_side_rows(struct store *st, const char *tenant, json_t *doc, const char *field,
			   enum stmt_id del, enum stmt_id ins)
{
	const char *id = jstr(doc, "id");
	sqlite3_stmt *s = stmt(st, del);
	if (!s)
		return NO_STMT;
	bind_text(s, 1, id);
	int rc = exec_stmt(s);
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(doc, field), i, v) {
		if (rc != STORE_ONE)
			return rc;
		if (!(s = stmt(st, ins)))
			return NO_STMT;
		bind_text(s, 1, id);
		bind_text(s, 2, tenant);
		bind_text(s, 3, json_string_value(v));
		rc = exec_stmt(s);
	}
	return rc;
}

static int product_write(struct store *st, enum stmt_id id, const char *tenant, json_t *doc)
{
	sqlite3_stmt *s = stmt(st, id);
	if (!s)
		return NO_STMT;
	char *txt = dump(doc);
	char *name_lc = strdup(jstr(doc, "name") ? jstr(doc, "name") : "");
	if (!name_lc)
		abort();
	lower_ascii(name_lc);
	bind_text(s, 1, jstr(doc, "id"));
	bind_text(s, 2, tenant);
	bind_text(s, 3, jstr(doc, "name"));
	bind_text(s, 4, name_lc);
	bind_text(s, 5, jstr(doc, "spaceId"));
	bind_text(s, 6, jstr(doc, "ownerId"));
	sqlite3_bind_int(s, 7, json_is_true(json_object_get(doc, "activated")));
	bind_text(s, 8, jstr(doc, "createdAt"));
	bind_text(s, 9, jstr(doc, "updatedAt"));
	char etag[ETAG_LEN + 1];
	etag_of(etag, doc);
	bind_text(s, 10, ""); /* products.search: unused since v9 (search_fts) */
	bind_text(s, 11, txt);
	bind_text(s, 12, etag);
	/* sort keys of the list (schema v6), NULL when not computed */
	const json_t *ts = json_object_get(json_object_get(doc, "trustScore"), "score");
	const json_t *ql = json_object_get(doc, "quality");
	const json_t *qv = json_object_get(ql, "validity"), *qc = json_object_get(ql, "completeness");
	if (json_is_number(ts))
		sqlite3_bind_double(s, 13, json_number_value(ts));
	else
		sqlite3_bind_null(s, 13);
	if (json_is_number(qv) && json_is_number(qc))
		sqlite3_bind_double(s, 14, (json_number_value(qv) + json_number_value(qc)) / 2.0);
	else
		sqlite3_bind_null(s, 14);
	free(txt);
	free(name_lc);
	int rc = exec_stmt(s);
	if (rc == STORE_ONE) {
		struct conn *c = conn_get(st);
		if (id == S_PRODUCT_UPDATE && sqlite3_changes(c->db) == 0)
			return STORE_NONE;
		rc = write_side_rows(st, tenant, doc, "tags", S_TAGS_DELETE, S_TAG_INSERT);
		if (rc == STORE_ONE)
			rc = write_side_rows(st, tenant, doc, "datasetIds", S_PD_DELETE, S_PD_INSERT);
	}
	return rc;
}

static int sq_product_insert(struct store *st, const char *tenant, json_t *doc)
{
	return product_write(st, S_PRODUCT_INSERT, tenant, doc);
}

static int sq_product_update(struct store *st, const char *tenant, json_t *doc)
{
	return product_write(st, S_PRODUCT_UPDATE, tenant, doc);
}

static int sq_product_delete(struct store *st, const char *tenant, const char *id)
{
	sqlite3_stmt *s = stmt(st, S_PRODUCT_DELETE);
	if (!s)
		return NO_STMT;
	bind_text(s, 1, tenant);
	bind_text(s, 2, id);
	int rc = exec_stmt(s);
	if (rc == STORE_ONE && sqlite3_changes(conn_get(st)->db) == 0)
		rc = STORE_NONE;
	return rc;
}

/* Builds the WHERE clause shared by the count, the page and the facet
 * queries; binds are numbered in the order they are appended (list_bind). */
static void list_where(struct strbuf *sql, const struct product_query *q)
{
	strbuf_puts(sql, " WHERE p.tenant_id = ?1");
	/* SPEC §4 as perm_view_scope derives it for this caller (api/common.c):
	 * every product of the spaces in ?3, the activated ones of those in ?4,
	 * and the caller's own personal products (all, or only activated ones).
	 * Admins see everything. The same clause feeds the count, the page and
	 * the facets. */
	if (q->viewer_is_admin) {
		strbuf_puts(sql, " AND (?2 IS NULL OR ?3 IS NULL OR ?4 IS NULL OR 1)"); /* stable binds */
	} else {
		strbuf_puts(sql, " AND (p.space_id IN (SELECT value FROM json_each(?3))"
				 " OR (p.activated = 1 AND p.space_id IN (SELECT value FROM json_each(?4)))");
		if (q->personal_scope == 2) /* SCOPE_ALL */
			strbuf_puts(sql, " OR (p.space_id IS NULL AND p.owner_id = ?2)");
		else if (q->personal_scope == 1) /* SCOPE_ACTIVATED */
			strbuf_puts(sql, " OR (p.space_id IS NULL AND p.owner_id = ?2 AND p.activated = 1)");
		else
			strbuf_puts(sql, " OR (?2 IS NULL AND 0)");
		strbuf_puts(sql, ")");
	}
	if (q->nspace_ids > 0 || q->personal) {
		strbuf_puts(sql, " AND (");
		if (q->nspace_ids > 0) {
			strbuf_puts(sql, "p.space_id IN (");
			for (int i = 0; i < q->nspace_ids; i++)
				strbuf_puts(sql, i ? ", ?" : "?");
			strbuf_puts(sql, ")");
		}
		if (q->personal)
			strbuf_puts(sql, q->nspace_ids > 0 ? " OR p.space_id IS NULL" : "p.space_id IS NULL");
		strbuf_puts(sql, ")");
	}
	if (q->activated >= 0)
		strbuf_puts(sql, " AND p.activated = ?");
	if (q->owner_id)
		strbuf_puts(sql, " AND p.owner_id = ?");
	if (q->has_min_trust)
		strbuf_puts(sql, " AND p.trust_score >= ?"); /* NULL never matches */
	for (int i = 0; i < q->ntags; i++)
		strbuf_puts(sql, " AND EXISTS (SELECT 1 FROM product_tags t"
				 " WHERE t.product_id = p.id AND t.tag = ?)");
}

static int list_bind(sqlite3_stmt *s, const char *tenant, const struct product_query *q)
{
	int i = 1;
	bind_text(s, i++, tenant);
	bind_text(s, i++, q->viewer_id); /* ?2..?4, used only for non-admins */
	bind_text(s, i++, q->scope_all ? q->scope_all : "[]");
	bind_text(s, i++, q->scope_activated ? q->scope_activated : "[]");
	for (int k = 0; k < q->nspace_ids; k++)
		bind_text(s, i++, q->space_ids[k]);
	if (q->activated >= 0)
		sqlite3_bind_int(s, i++, q->activated);
	if (q->owner_id)
		bind_text(s, i++, q->owner_id);
	if (q->has_min_trust)
		sqlite3_bind_double(s, i++, q->min_trust);
	for (int t = 0; t < q->ntags; t++)
		bind_text(s, i++, q->tags[t]);
	return i;
}

static void list_order(struct strbuf *sql, const struct product_query *q);

/* "SELECT cols FROM products p WHERE ... [ORDER BY ...] [LIMIT n]": the
 * matches, at most count_limit + 1 of them; ordered: the first ones in the
 * list's order (facets), else any (the count). */
static void list_matches(struct strbuf *sql, const char *cols, const struct product_query *q,
			 bool ordered)
{
	strbuf_printf(sql, "SELECT %s FROM products p", cols);
	list_where(sql, q);
	if (q->count_limit > 0) {
		if (ordered)
			list_order(sql, q);
		strbuf_printf(sql, " LIMIT %ld", q->count_limit + 1);
	}
}

/* ORDER BY of the page (store.h, enum product_sort; SORT_RELEVANCE is
 * search_list's, here by updatedAt only). In SQLite NULLs sort first, so a descending
 * scan of (tenant, trust_score, updated_at, id) puts them last as it is. */
static void list_order(struct strbuf *sql, const struct product_query *q)
{
	static const char *const col[] = {"p.name_lc", "p.created_at", "p.updated_at",
					  "p.trust_score", "p.quality"};
	const char *dir = q->descending ? "DESC" : "ASC";
	switch (q->sort) {
	case SORT_NAME:
	case SORT_CREATED_AT:
	case SORT_UPDATED_AT:
		strbuf_printf(sql, " ORDER BY %s %s, p.id %s", col[q->sort], dir, dir);
		break;
	case SORT_TRUST_SCORE:
	case SORT_QUALITY:
		if (q->descending)
			strbuf_printf(sql, " ORDER BY %s DESC, p.updated_at DESC, p.id DESC",
				      col[q->sort]);
		else
			strbuf_printf(sql, " ORDER BY %s IS NULL, %s ASC, p.updated_at DESC, p.id DESC",
				      col[q->sort], col[q->sort]);
		break;
	case SORT_RELEVANCE:
		strbuf_puts(sql, " ORDER BY p.updated_at DESC, p.id DESC");
		break;
	}
}

/* ---- search (schema v9, docs/search.md) --------------------------------
 * Every list with a search runs against search_fts: the filters and the
 * caller's visibility become filter tokens in column f (schema.h), the
 * terms become phrases in the text columns, so the index alone decides
 * which products match; products and product_search are read only for the
 * rows returned (and the facets' sample). */

#define PUA "\xee\x80\x80"
#define SEARCH_PAGE_MAX (PAGING_MAX_LIMIT + 1)

/* Appends a filter token: "<U+E000><kind><id without '-'>". */
static void tok(struct strbuf *sb, char kind, const char *id)
{
	strbuf_puts(sb, "\"" PUA);
	strbuf_putc(sb, kind);
	for (const char *c = id ? id : ""; *c; c++)
		if (*c != '-' && *c != '"')
			strbuf_putc(sb, *c);
	strbuf_putc(sb, '"');
}

/* g<hex of the tag> or, for activated products only, h<tenant><hex>. */
static void tag_tok(struct strbuf *sb, const char *tag, const char *activated_in)
{
	static const char hex[] = "0123456789abcdef";
	strbuf_puts(sb, activated_in ? "\"" PUA "h" : "\"" PUA "g");
	for (const char *c = activated_in ? activated_in : ""; *c; c++)
		if (*c != '-' && *c != '"')
			strbuf_putc(sb, *c);
	for (const unsigned char *c = (const unsigned char *)tag; *c; c++) {
		strbuf_putc(sb, hex[*c >> 4]);
		strbuf_putc(sb, hex[*c & 15]);
	}
	strbuf_putc(sb, '"');
}

/* (<kind><id> OR ...) of a JSON array of space ids, appended after an " OR "
 * when *any; false when the array is empty. */
static bool space_toks(struct strbuf *sb, const char *json_ids, char kind, bool any)
{
	json_t *a = json_ids ? json_loads(json_ids, 0, NULL) : NULL;
	size_t i;
	json_t *v;
	bool some = false;
	json_array_foreach(a, i, v) {
		if (!json_is_string(v))
			continue;
		strbuf_puts(sb, some ? " OR " : any ? " OR (" : "(");
		tok(sb, kind, json_string_value(v));
		some = true;
	}
	if (some)
		strbuf_putc(sb, ')');
	json_decref(a);
	return some;
}

/* The filter part: "{f} : (...)" from q's filters and visibility (the
 * same rule as list_where). False when the caller can see nothing. With
 * activated=true every part is written with the activated twins (b, m, h;
 * schema.h), which imply activation, instead of AND a<tenant>. */
static bool search_filter(struct strbuf *sb, const char *tenant, const struct product_query *q)
{
	const bool act = q->activated == 1;
	const char *h = act ? tenant : NULL; /* tags as h<tenant><tag> */
	struct strbuf v;
	strbuf_init(&v);
	bool any = false;
	int tags_from = 0;
	if (q->viewer_is_admin && act && q->ntags > 0) {
		tag_tok(&v, q->tags[0], tenant); /* implies the tenant and activation */
		tags_from = 1;
		any = true;
	} else if (q->viewer_is_admin) {
		tok(&v, act ? 'a' : 't', tenant);
		any = true;
	} else {
		strbuf_putc(&v, '(');
		any = space_toks(&v, q->scope_all, act ? 'b' : 's', any);
		if (act) {
			any = space_toks(&v, q->scope_activated, 'b', any) || any;
		} else {
			struct strbuf part;
			strbuf_init(&part);
			if (space_toks(&part, q->scope_activated, 's', false)) {
				strbuf_puts(&v, any ? " OR (" : "(");
				tok(&v, 'a', tenant);
				strbuf_printf(&v, " AND %s)", part.data);
				any = true;
			}
			strbuf_free(&part);
		}
		if (q->personal_scope == 2 || q->personal_scope == 1) { /* SCOPE_ALL, SCOPE_ACTIVATED */
			strbuf_puts(&v, any ? " OR (" : "(");
			tok(&v, act ? 'm' : 'n', tenant);
			strbuf_puts(&v, " AND ");
			tok(&v, 'o', q->viewer_id);
			if (q->personal_scope == 1 && !act) {
				strbuf_puts(&v, " AND ");
				tok(&v, 'a', tenant);
			}
			strbuf_putc(&v, ')');
			any = true;
		}
		strbuf_putc(&v, ')');
	}
	if (!any) {
		strbuf_free(&v);
		return false;
	}
	if (q->nspace_ids > 0 || q->personal) {
		strbuf_puts(&v, " AND (");
		for (int i = 0; i < q->nspace_ids; i++) {
			if (i)
				strbuf_puts(&v, " OR ");
			tok(&v, act ? 'b' : 's', q->space_ids[i]);
		}
		if (q->personal) {
			if (q->nspace_ids)
				strbuf_puts(&v, " OR ");
			tok(&v, act ? 'm' : 'n', tenant);
		}
		strbuf_putc(&v, ')');
	}
	if (q->owner_id) {
		strbuf_puts(&v, " AND ");
		tok(&v, 'o', q->owner_id);
	}
	for (int i = tags_from; i < q->ntags; i++) {
		strbuf_puts(&v, " AND ");
		tag_tok(&v, q->tags[i], h);
	}
	strbuf_puts(sb, "({f} : (");
	if (q->activated == 0) {
		strbuf_printf(sb, "(%s) NOT ", v.data);
		tok(sb, 'a', tenant);
	} else {
		strbuf_puts(sb, v.data);
	}
	strbuf_puts(sb, "))");
	strbuf_free(&v);
	return true;
}

/* The columns of tier k (1..4): cumulative, name first. */
static const char *const tier_cols[] = {"", "{name}", "{name tags}", "{name tags description}",
					"{name tags description body}"};

/* The terms as FTS5 expressions, built once per request. A bare term is a
 * phrase whose last word is a prefix ("w w"*). FTS5 answers a prefix longer
 * than its prefix indexes (2, 3) by merging the doclists of every token it
 * covers into one buffer, for the whole index, once per MATCH (and a request
 * runs up to five): 32 ms for "customer"* at 1M products. So a prefix word
 * of >= 4 ASCII letters/digits is expanded into the exact tokens it covers,
 * read from the tenant's term list (search_terms, schema v10, kept by the
 * index's triggers; an index seek, not the fts5vocab walk of every doclist
 * that took 13 ms), and OR-ed: ("w customer" OR "w customers"), which FTS5
 * walks incrementally. When it covers more than SEARCH_EXPAND_MAX tokens,
 * or the list cannot be read, the term stays the prefix query: the same
 * matches either way (the list holds every token the tenant's products
 * have; a stale one matches nothing). */
#define SEARCH_EXPAND_MAX 32
static int cached_prepare(struct conn *c, const char *sql, sqlite3_stmt **out);
struct search_rendered {
	int n;
	char *t[SEARCH_MAX_TERMS];
	int phrases[SEARCH_MAX_TERMS]; /* how many phrases term i is (expanded: > 1) */
};

static void quoted(struct strbuf *sb, const char *text, size_t len)
{
	strbuf_putc(sb, '"');
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '"')
			strbuf_putc(sb, '"');
		strbuf_putc(sb, text[i]);
	}
}

/* Appends ("<head>tok1" OR ...) for the tokens that start with word, or
 * returns false (nothing appended) when it should stay a prefix query. */
static bool expand_prefix(struct conn *c, struct strbuf *sb, int *out_phrases, const char *tenant,
			  const char *text, const char *word)
{
	size_t wlen = strlen(word);
	if (wlen < SEARCH_TOKEN_MIN || wlen > SEARCH_TOKEN_MAX)
		return false;
	for (const char *w = word; *w; w++)
		if (!((*w >= 'a' && *w <= 'z') || (*w >= '0' && *w <= '9')))
			return false;
	sqlite3_stmt *s = NULL;
	if (cached_prepare(c, "SELECT term FROM search_terms WHERE tenant_id = ?3"
			      " AND term >= ?1 AND term < ?2 LIMIT 33", &s) != SQLITE_OK)
		return false;
	char hi[SEARCH_TOKEN_MAX + 1];
	memcpy(hi, word, wlen + 1);
	hi[wlen - 1]++; /* ASCII letters and digits: no carry */
	sqlite3_bind_text(s, 1, word, (int)wlen, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, hi, (int)wlen, SQLITE_TRANSIENT);
	bind_text(s, 3, tenant);
	struct strbuf alt;
	strbuf_init(&alt);
	int n = 0, rc;
	bool ok = true;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *term = (const char *)sqlite3_column_text(s, 0);
		int tlen = sqlite3_column_bytes(s, 0);
		if (!term || (size_t)tlen < wlen || memcmp(term, word, wlen) != 0)
			continue;
		if (++n > SEARCH_EXPAND_MAX || memchr(term, '"', (size_t)tlen)) {
			ok = false;
			break;
		}
		strbuf_puts(&alt, n == 1 ? "(" : " OR ");
		quoted(&alt, text, (size_t)(word - text));
		strbuf_append(&alt, term, (size_t)tlen);
		strbuf_putc(&alt, '"');
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ok = false;
	done(s);
	if (ok && n == 0) /* no token has this prefix: nothing matches, as the prefix */
		ok = false;
	if (ok) {
		strbuf_putc(&alt, ')');
		strbuf_puts(sb, alt.data);
		*out_phrases = n;
	}
	strbuf_free(&alt);
	return ok;
}

static void search_render(struct conn *c, const char *tenant, const struct search_terms *t,
			  struct search_rendered *r)
{
	r->n = t->n;
	for (int i = 0; i < t->n; i++) {
		struct strbuf sb;
		strbuf_init(&sb);
		const char *text = t->t[i].text;
		const char *sp = strrchr(text, ' ');
		const char *word = sp ? sp + 1 : text;
		r->phrases[i] = 1;
		if (t->t[i].phrase || !expand_prefix(c, &sb, &r->phrases[i], tenant, text, word)) {
			quoted(&sb, text, strlen(text));
			strbuf_puts(&sb, t->t[i].phrase ? "\"" : "\"*");
		}
		r->t[i] = strbuf_take(&sb);
	}
}

static void search_rendered_free(struct search_rendered *r)
{
	for (int i = 0; i < r->n; i++)
		free(r->t[i]);
	r->n = 0;
}

/* "{cols} : (\"w w\"* AND \"w\" ...)": every term within the columns. */
static void search_text(struct strbuf *sb, const struct search_rendered *t, int tier)
{
	strbuf_printf(sb, "(%s : (", tier_cols[tier]);
	for (int i = 0; i < t->n; i++) {
		if (i)
			strbuf_puts(sb, " AND ");
		strbuf_puts(sb, t->t[i]);
	}
	strbuf_puts(sb, "))");
}

/* The MATCH expression of tier (1..4), or of every match (tier 0). */
static void search_expr(struct strbuf *sb, const char *filter, const struct search_rendered *t,
			int tier)
{
	strbuf_printf(sb, "%s AND ", filter);
	if (tier <= 1) {
		search_text(sb, t, tier == 0 ? 4 : 1);
		return;
	}
	strbuf_putc(sb, '(');
	search_text(sb, t, tier);
	strbuf_puts(sb, " NOT ");
	search_text(sb, t, tier - 1);
	strbuf_putc(sb, ')');
}

/* sk bounds of minTrustScore m: rowid >= lo; rows below hi (the bucket of m
 * itself) are checked against the exact score. */
#define SEARCH_TRUST                                                                         \
	" AND (?2 IS NULL OR (search_fts.rowid >= ?2 AND (search_fts.rowid >= ?3 OR"         \
	" (SELECT p.trust_score FROM"                                                          \
	" product_search ps JOIN products p ON p.rowid = ps.pid WHERE ps.sk = search_fts.rowid)" \
	" >= ?4)))"

static void bind_trust(sqlite3_stmt *s, const struct product_query *q)
{
	if (!q->has_min_trust)
		return;
	long b = (long)(q->min_trust * 10) + 1;
	if (b > 1001)
		b = 1001;
	sqlite3_bind_int64(s, 2, (sqlite3_int64)b << 53);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)(b + 1) << 53);
	sqlite3_bind_double(s, 4, q->min_trust);
}

/* The cached statement for sql (reset, no bindings), preparing it on a miss;
 * release it with done(), never sqlite3_finalize(). */
static int cached_prepare(struct conn *c, const char *sql, sqlite3_stmt **out)
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

static int prepare_search(struct conn *c, sqlite3_stmt **s, const char *sql, const char *expr,
			  const struct product_query *q)
{
	*s = NULL;
	if (cached_prepare(c, sql, s) != SQLITE_OK) {
		note(c->db, sqlite3_errcode(c->db));
		fprintf(stderr, "{\"level\":\"error\",\"msg\":\"search prepare failed\",\"error\":\"%s\"}\n",
			sqlite3_errmsg(c->db));
		return map_rc(sqlite3_errcode(c->db)) == STORE_UNAVAILABLE ? STORE_UNAVAILABLE : STORE_HARD;
	}
	bind_text(*s, 1, expr);
	bind_trust(*s, q);
	return STORE_ONE;
}

/* done() for a statement of prepare_search (NULL allowed). */
static void search_done(sqlite3_stmt *s)
{
	if (s)
		done(s);
}

static int search_count(struct conn *c, long *out, const char *expr, const struct product_query *q)
{
	struct strbuf sql;
	strbuf_init(&sql);
	strbuf_puts(&sql, "SELECT count(*) FROM (SELECT 1 FROM search_fts WHERE search_fts MATCH ?1"
			  SEARCH_TRUST);
	if (q->count_limit > 0)
		strbuf_printf(&sql, " LIMIT %ld", q->count_limit + 1);
	strbuf_puts(&sql, ")");
	sqlite3_stmt *s = NULL;
	int rc = prepare_search(c, &s, sql.data, expr, q);
	if (rc == STORE_ONE)
		rc = get_count(s, out);
	search_done(s);
	strbuf_free(&sql);
	return rc;
}

/* The stored document of the product with search key sk. */
static int doc_by_sk(struct conn *c, sqlite3_stmt **s, json_t *arr, sqlite3_int64 sk)
{
	if (!*s && cached_prepare(c, "SELECT p.doc FROM product_search ps JOIN products p"
				     " ON p.rowid = ps.pid WHERE ps.sk = ?1", s) != SQLITE_OK)
		return STORE_HARD;
	sqlite3_reset(*s);
	sqlite3_bind_int64(*s, 1, sk);
	int rc = step(*s);
	if (rc == STORE_ONE) {
		json_t *doc = json_loads((const char *)sqlite3_column_text(*s, 0), 0, NULL);
		if (!doc)
			return STORE_HARD;
		json_array_append_new(arr, doc);
	}
	return rc < 0 ? rc : STORE_ONE;
}

/* sort=relevance: tier by tier, each in descending sk order, stopping as
 * soon as offset + limit rows were seen. */
static int search_page_relevance(struct conn *c, json_t *arr, const char *filter,
				 const struct search_rendered *terms, const struct product_query *q)
{
	long skip = q->offset, take = q->limit;
	sqlite3_stmt *docs = NULL;
	int rc = STORE_ONE;
	struct strbuf expr, sql;
	strbuf_init(&expr);
	strbuf_init(&sql);
	for (int tier = 1; tier <= 4 && take > 0 && rc == STORE_ONE; tier++) {
		expr.len = 0;
		sql.len = 0;
		search_expr(&expr, filter, terms, tier);
		strbuf_printf(&sql, "SELECT rowid FROM search_fts WHERE search_fts MATCH ?1" SEARCH_TRUST
				    " ORDER BY rowid DESC LIMIT %ld", skip + take);
		sqlite3_stmt *s = NULL;
		rc = prepare_search(c, &s, sql.data, expr.data, q);
		long seen = 0;
		int src;
		sqlite3_int64 sks[SEARCH_PAGE_MAX];
		int nsk = 0;
		while (rc == STORE_ONE && (src = step(s)) == STORE_ONE) {
			seen++;
			if (seen > skip && nsk < SEARCH_PAGE_MAX)
				sks[nsk++] = sqlite3_column_int64(s, 0);
		}
		if (rc == STORE_ONE && src < 0)
			rc = src;
		search_done(s);
		/* looked up again after each tier's prepare, which may evict it */
		search_done(docs);
		docs = NULL;
		for (int i = 0; i < nsk && rc == STORE_ONE; i++)
			rc = doc_by_sk(c, &docs, arr, sks[i]);
		take -= nsk;
		skip = seen >= skip ? 0 : skip - seen;
	}
	search_done(docs);
	strbuf_free(&expr);
	strbuf_free(&sql);
	return rc;
}

/* sort=relevance in one pass (docs/search.md "One pass"): the matches in
 * descending sk order, at most count_limit + 1 of them, each with its tier
 * from the auxiliary function search_tier (sqlite_fts.c); the pass counts
 * them (the total) and keeps each tier's first offset + limit rows. When the
 * pass saw every match, the page is those lists end to end. When it stopped
 * at the bound, a tier may have more rows below the last one seen; only if
 * the page reaches past what the pass kept of that tier is the rest read
 * with that tier's own MATCH from below that rowid. Returns STORE_NONE
 * (nothing done) when offset + limit is too deep for it. */
#define SEARCH_ONEPASS_MAX 10100
static int search_page_onepass(struct conn *c, json_t *arr, long *out_total, const char *filter,
			       const char *expr, const struct search_rendered *terms,
			       const struct product_query *q)
{
	const long need = q->offset + q->limit;
	if (need > SEARCH_ONEPASS_MAX)
		return STORE_NONE;
	sqlite3_int64 *sks[5] = {NULL};
	long cnt[5] = {0};
	for (int t = 1; t <= 4; t++)
		if (!(sks[t] = malloc((size_t)need * sizeof **sks)))
			abort();
	struct strbuf sql, counts, texpr;
	strbuf_init(&sql);
	strbuf_init(&counts);
	strbuf_init(&texpr);
	for (int i = 0; i < terms->n; i++)
		strbuf_printf(&counts, i ? ",%d" : "%d", terms->phrases[i]);
	strbuf_puts(&sql, "SELECT rowid, search_tier(search_fts, ?5) FROM search_fts"
			  " WHERE search_fts MATCH ?1" SEARCH_TRUST " ORDER BY rowid DESC");
	if (q->count_limit > 0)
		strbuf_printf(&sql, " LIMIT %ld", q->count_limit + 1);
	sqlite3_stmt *s = NULL;
	int rc = prepare_search(c, &s, sql.data, expr, q);
	long rows = 0;
	sqlite3_int64 last = 0;
	if (rc == STORE_ONE) {
		bind_text(s, 5, counts.data);
		int src;
		while ((src = step(s)) == STORE_ONE) {
			rows++;
			last = sqlite3_column_int64(s, 0);
			int t = sqlite3_column_int(s, 1);
			if (t < 1 || t > 4)
				t = 4;
			if (cnt[t] < need)
				sks[t][cnt[t]++] = last;
		}
		if (src < 0)
			rc = src;
	}
	search_done(s);
	*out_total = rows;
	const bool complete = q->count_limit <= 0 || rows <= q->count_limit;
	long skip = q->offset, take = q->limit;
	sqlite3_int64 page[SEARCH_PAGE_MAX];
	int npage = 0;
	for (int t = 1; t <= 4 && take > 0 && rc == STORE_ONE; t++) {
		if (!complete && cnt[t] < skip + take) {
			/* the rest of tier t, below the last row the pass saw */
			texpr.len = 0;
			sql.len = 0;
			search_expr(&texpr, filter, terms, t);
			strbuf_printf(&sql, "SELECT rowid FROM search_fts WHERE search_fts MATCH ?1"
					    SEARCH_TRUST " AND search_fts.rowid < ?5"
					    " ORDER BY rowid DESC LIMIT %ld", skip + take - cnt[t]);
			rc = prepare_search(c, &s, sql.data, texpr.data, q);
			if (rc == STORE_ONE) {
				sqlite3_bind_int64(s, 5, last);
				int src = STORE_ONE;
				while (cnt[t] < need && (src = step(s)) == STORE_ONE)
					sks[t][cnt[t]++] = sqlite3_column_int64(s, 0);
				if (src < 0)
					rc = src;
			}
			search_done(s);
		}
		for (long i = 0; i < cnt[t] && take > 0; i++) {
			if (skip > 0) {
				skip--;
				continue;
			}
			page[npage++] = sks[t][i];
			take--;
		}
	}
	sqlite3_stmt *docs = NULL;
	for (int i = 0; i < npage && rc == STORE_ONE; i++)
		rc = doc_by_sk(c, &docs, arr, page[i]);
	search_done(docs);
	for (int t = 1; t <= 4; t++)
		free(sks[t]);
	strbuf_free(&sql);
	strbuf_free(&counts);
	strbuf_free(&texpr);
	return rc;
}

/* Other sorts with a search: the matches' products, ordered and paged. */
static int search_page_sorted(struct conn *c, json_t **out, const char *expr,
			      const struct product_query *q)
{
	struct strbuf sql;
	strbuf_init(&sql);
	strbuf_puts(&sql, "SELECT p.doc FROM products p WHERE p.rowid IN (SELECT ps.pid FROM"
			  " search_fts CROSS JOIN product_search ps ON ps.sk = search_fts.rowid"
			  " WHERE search_fts MATCH ?1" SEARCH_TRUST ")");
	list_order(&sql, q);
	strbuf_printf(&sql, " LIMIT %ld OFFSET %ld", q->limit, q->offset);
	sqlite3_stmt *s = NULL;
	int rc = prepare_search(c, &s, sql.data, expr, q);
	if (rc == STORE_ONE)
		rc = collect_docs(s, out);
	search_done(s);
	strbuf_free(&sql);
	return rc;
}

static int search_list(struct conn *c, json_t **out, long *out_total, const char *tenant,
		       const struct product_query *q)
{
	struct strbuf filter, expr;
	strbuf_init(&filter);
	strbuf_init(&expr);
	struct search_rendered terms = {0};
	int rc = STORE_ONE;
	*out_total = 0;
	if (q->search->n == 0 || !search_filter(&filter, tenant, q)) {
		*out = json_array(); /* nothing searchable, or nothing visible */
		goto out;
	}
	search_render(c, tenant, q->search, &terms);
	search_expr(&expr, filter.data, &terms, 0);
	if (q->sort == SORT_RELEVANCE) {
		*out = json_array();
		rc = search_page_onepass(c, *out, out_total, filter.data, expr.data, &terms, q);
		if (rc != STORE_NONE) {
			if (rc != STORE_ONE) {
				json_decref(*out);
				*out = NULL;
			}
			goto out;
		}
		json_decref(*out); /* too deep for one pass: count, then tier by tier */
		*out = NULL;
		rc = STORE_ONE;
	}
	rc = search_count(c, out_total, expr.data, q);
	if (rc != STORE_ONE)
		goto out;
	if (q->sort == SORT_RELEVANCE) {
		*out = json_array();
		rc = search_page_relevance(c, *out, filter.data, &terms, q);
		if (rc != STORE_ONE) {
			json_decref(*out);
			*out = NULL;
		}
	} else {
		rc = search_page_sorted(c, out, expr.data, q);
	}
out:
	search_rendered_free(&terms);
	strbuf_free(&filter);
	strbuf_free(&expr);
	return rc;
}

/* The first count_limit + 1 matches (descending sk), as "(SELECT ... ) AS m"
 * with m.pid; the MATCH expression is ?1. */
static void search_sample(struct strbuf *sql, const struct product_query *q)
{
	strbuf_puts(sql, "(SELECT ps.pid AS pid FROM (SELECT rowid AS sk FROM search_fts"
			 " WHERE search_fts MATCH ?1" SEARCH_TRUST " ORDER BY rowid DESC");
	if (q->count_limit > 0)
		strbuf_printf(sql, " LIMIT %ld", q->count_limit + 1);
	strbuf_puts(sql, ") AS x JOIN product_search ps ON ps.sk = x.sk) AS m");
}

static bool unfiltered(const struct product_query *q)
{
	return q->viewer_is_admin && !q->search && q->nspace_ids == 0 && !q->personal &&
	       q->activated < 0 && !q->owner_id && !q->has_min_trust && q->ntags == 0;
}

/* The page of a TenantAdmin's unfiltered list by updatedAt (schema v11,
 * list_blocks): walks the tenant's blocks in the list's order, summing n,
 * to the block holding the offset, then reads from that block's edge with
 * the rest of the offset (< LIST_B_MAX). O(N/B + B) instead of O(offset);
 * the same rows as LIMIT/OFFSET over the whole index, because the blocks
 * are counted in the same transaction as the products. */
static int updated_page(struct conn *c, json_t **out, const char *tenant,
			const struct product_query *q)
{
	const char *walk = q->descending
		? "SELECT n, lo_u, lo_id FROM list_blocks WHERE tenant_id = ?1"
		  " ORDER BY lo_u DESC, lo_id DESC"
		: "SELECT n, lo_u, lo_id FROM list_blocks WHERE tenant_id = ?1"
		  " ORDER BY lo_u ASC, lo_id ASC";
	struct strbuf sql, bu, bid;
	strbuf_init(&sql);
	strbuf_init(&bu);
	strbuf_init(&bid);
	sqlite3_stmt *s = NULL;
	int rc = STORE_HARD;
	bool found = false, bound = false;
	long before = 0;
	if (sqlite3_prepare_v2(c->db, walk, -1, &s, NULL) != SQLITE_OK)
		goto out;
	bind_text(s, 1, tenant);
	while (!found && (rc = step(s)) == STORE_ONE) {
		long n = (long)sqlite3_column_int64(s, 0);
		found = before + n > q->offset;
		/* descending: the page is below the previous block's lowest key;
		 * ascending: at or above the found block's own */
		if (found ? !q->descending : q->descending) {
			bu.len = bid.len = 0;
			strbuf_puts(&bu, (const char *)sqlite3_column_text(s, 1));
			strbuf_puts(&bid, (const char *)sqlite3_column_text(s, 2));
			bound = true;
		}
		if (!found)
			before += n;
	}
	if (!found && rc != STORE_NONE)
		goto out;
	rc = STORE_HARD;
	sqlite3_finalize(s);
	s = NULL;
	if (!found) { /* past the end */
		*out = json_array();
		rc = STORE_ONE;
		goto out;
	}
	strbuf_puts(&sql, "SELECT p.doc FROM (SELECT p.rowid AS r FROM products p"
			  " WHERE p.tenant_id = ?1");
	if (bound)
		strbuf_printf(&sql, " AND (p.updated_at, p.id) %s (?2, ?3)",
			      q->descending ? "<" : ">=");
	list_order(&sql, q);
	strbuf_printf(&sql, " LIMIT %ld OFFSET %ld) AS page JOIN products p ON p.rowid = page.r",
		      q->limit, q->offset - before);
	list_order(&sql, q);
	if (sqlite3_prepare_v2(c->db, sql.data, -1, &s, NULL) != SQLITE_OK)
		goto out;
	bind_text(s, 1, tenant);
	if (bound) {
		bind_text(s, 2, bu.data);
		bind_text(s, 3, bid.data);
	}
	rc = collect_docs(s, out);
out:
	sqlite3_finalize(s);
	strbuf_free(&sql);
	strbuf_free(&bu);
	strbuf_free(&bid);
	return rc;
}

/* A list without a query but with filters or a caller's visibility
 * (docs/search.md "Lists without a query"): the total is counted in the
 * search index, whose filter tokens answer every filter and the visibility
 * without reading products rows (the products-table count walked every
 * activated product of the tenant for a consumer who sees few of them).
 * When there are at most LIST_INDEXED_MAX matches, the page is read from
 * those matches too and sorted (they are few); otherwise the matches are
 * dense enough that the walk down the sort's index finds a page quickly:
 * STORE_NONE then tells the caller to read the page that way. */
#define LIST_INDEXED_MAX 2000
static int filtered_list(struct conn *c, json_t **out, long *out_total, const char *tenant,
			 const struct product_query *q)
{
	struct strbuf filter, sql;
	strbuf_init(&filter);
	strbuf_init(&sql);
	int rc;
	*out_total = 0;
	if (!search_filter(&filter, tenant, q)) {
		*out = json_array(); /* the caller can see nothing */
		rc = STORE_ONE;
		goto out;
	}
	rc = search_count(c, out_total, filter.data, q);
	if (rc != STORE_ONE)
		goto out;
	if (*out_total > LIST_INDEXED_MAX || (q->count_limit > 0 && *out_total > q->count_limit)) {
		rc = STORE_NONE;
		goto out;
	}
	/* sort the (few) matches' keys, then read the page's documents */
	strbuf_puts(&sql, "SELECT p.doc FROM (SELECT p.rowid AS r FROM (SELECT ps.pid AS pid"
			  " FROM search_fts CROSS JOIN product_search ps ON ps.sk = search_fts.rowid"
			  " WHERE search_fts MATCH ?1" SEARCH_TRUST ") AS m"
			  " CROSS JOIN products p ON p.rowid = m.pid");
	list_order(&sql, q);
	strbuf_printf(&sql, " LIMIT %ld OFFSET %ld) AS page JOIN products p ON p.rowid = page.r",
		      q->limit, q->offset);
	list_order(&sql, q);
	sqlite3_stmt *s = NULL;
	rc = prepare_search(c, &s, sql.data, filter.data, q);
	if (rc == STORE_ONE)
		rc = collect_docs(s, out);
	search_done(s);
out:
	strbuf_free(&filter);
	strbuf_free(&sql);
	return rc;
}

static int sq_product_list(struct store *st, json_t **out, long *out_total, const char *tenant,
			   const struct product_query *q)
{
	struct conn *c = conn_get(st);
	if (!c)
		return STORE_HARD;
	if (q->search)
		return search_list(c, out, out_total, tenant, q);
	struct strbuf sql;
	strbuf_init(&sql);
	sqlite3_stmt *s = NULL;
	int rc = STORE_HARD;
	if (unfiltered(q)) {
		/* the tenant's counter (schema v9), kept by triggers: O(1) */
		strbuf_puts(&sql, "SELECT coalesce((SELECT products FROM tenant_counts"
				  " WHERE tenant_id = ?1), 0)");
		if (sqlite3_prepare_v2(c->db, sql.data, -1, &s, NULL) != SQLITE_OK)
			goto out;
		bind_text(s, 1, tenant);
		rc = get_count(s, out_total);
		sqlite3_finalize(s);
		s = NULL;
		sql.len = 0;
		if (rc != STORE_ONE)
			goto out;
		if (q->sort == SORT_UPDATED_AT) {
			rc = updated_page(c, out, tenant, q);
			goto out;
		}
	} else {
		/* filters and visibility: counted in the search index (and the page
		 * read from it when the matches are few) */
		rc = filtered_list(c, out, out_total, tenant, q);
		if (rc != STORE_NONE)
			goto out;
	}
	/* Deep pages: find the page's rows on the (tenant, sort key, id) index,
	 * which OFFSET can skip through cheaply, then read just those documents. */
	strbuf_puts(&sql, "SELECT p.doc FROM (SELECT p.rowid AS r FROM products p");
	list_where(&sql, q);
	list_order(&sql, q);
	strbuf_printf(&sql, " LIMIT %ld OFFSET %ld) AS page JOIN products p ON p.rowid = page.r",
		      q->limit, q->offset);
	list_order(&sql, q);
	rc = STORE_HARD;
	if (sqlite3_prepare_v2(c->db, sql.data, -1, &s, NULL) != SQLITE_OK)
		goto out;
	list_bind(s, tenant, q);
	rc = collect_docs(s, out);
out:
	sqlite3_finalize(s);
	strbuf_free(&sql);
	return rc;
}

static int sq_product_facets(struct store *st, struct facet_count *out, int *out_n, int cap,
			     const char *tenant, const struct product_query *q,
			     enum product_facet facet)
{
	*out_n = 0;
	struct conn *c = conn_get(st);
	if (!c)
		return STORE_HARD;
	struct strbuf sql, filter, expr;
	strbuf_init(&sql);
	strbuf_init(&filter);
	strbuf_init(&expr);
	sqlite3_stmt *s = NULL;
	bool cached = false;
	int rc = STORE_HARD;
	if (q->search || !unfiltered(q)) {
		/* a search, or filters and visibility: the index (as the count) */
		if ((q->search && q->search->n == 0) || !search_filter(&filter, tenant, q)) {
			rc = STORE_ONE;
			goto out;
		}
		if (q->search) {
			struct search_rendered terms;
			search_render(c, tenant, q->search, &terms);
			search_expr(&expr, filter.data, &terms, 0);
			search_rendered_free(&terms);
		} else {
			strbuf_puts(&expr, filter.data);
		}
		/* over the first count_limit + 1 matches in sk order */
		if (facet == FACET_TAGS) {
			strbuf_puts(&sql, "SELECT t.tag, count(*) AS n FROM ");
			search_sample(&sql, q);
			strbuf_printf(&sql, " JOIN products p ON p.rowid = m.pid JOIN product_tags t"
					    " ON t.product_id = p.id GROUP BY t.tag"
					    " ORDER BY n DESC, t.tag ASC LIMIT %d", cap);
		} else {
			strbuf_puts(&sql, "SELECT p.space_id, count(*) AS n FROM ");
			search_sample(&sql, q);
			strbuf_printf(&sql, " JOIN products p ON p.rowid = m.pid GROUP BY p.space_id"
					    " ORDER BY n DESC, p.space_id IS NULL, p.space_id ASC LIMIT %d",
				      cap);
		}
		if ((rc = prepare_search(c, &s, sql.data, expr.data, q)) != STORE_ONE)
			goto out;
		cached = true;
	} else {
		/* a TenantAdmin's whole tenant: over the first count_limit + 1 products
		 * in the list's order (the top of the list the caller pages through) */
		if (facet == FACET_TAGS) {
			strbuf_puts(&sql, "SELECT t.tag, count(*) AS n FROM (");
			list_matches(&sql, "p.id AS id", q, true);
			strbuf_printf(&sql, ") AS m JOIN product_tags t ON t.product_id = m.id"
					    " GROUP BY t.tag ORDER BY n DESC, t.tag ASC LIMIT %d", cap);
		} else {
			strbuf_puts(&sql, "SELECT m.space_id, count(*) AS n FROM (");
			list_matches(&sql, "p.space_id AS space_id", q, true);
			strbuf_printf(&sql, ") AS m GROUP BY m.space_id"
					    " ORDER BY n DESC, m.space_id IS NULL, m.space_id ASC LIMIT %d", cap);
		}
		if (sqlite3_prepare_v2(c->db, sql.data, -1, &s, NULL) != SQLITE_OK)
			goto out;
		list_bind(s, tenant, q);
	}
	while ((rc = step(s)) == STORE_ONE && *out_n < cap) {
		const char *v = (const char *)sqlite3_column_text(s, 0);
		struct facet_count *f = &out[(*out_n)++];
		f->value = v ? strdup(v) : NULL;
		if (v && !f->value)
			abort();
		f->count = (long)sqlite3_column_int64(s, 1);
	}
	if (rc == STORE_NONE)
		rc = STORE_ONE;
	if (rc < 0) {
		store_facets_free(out, *out_n);
		*out_n = 0;
	}
out:
	if (cached)
		search_done(s);
	else
		sqlite3_finalize(s);
	strbuf_free(&sql);
	strbuf_free(&filter);
	strbuf_free(&expr);
	return rc;
}

static int sq_changelog_append(struct store *st, const char *tenant, const char *product_id,
			       json_t *entry)
{
	sqlite3_stmt *s = stmt(st, S_CHANGELOG_INSERT);
	if (!s)
		return NO_STMT;
	char *txt = dump(entry);
	bind_text(s, 1, jstr(entry, "id"));
	bind_text(s, 2, tenant);
	bind_text(s, 3, product_id);
	bind_text(s, 4, jstr(entry, "createdAt"));
	bind_text(s, 5, txt);
	free(txt);
	return exec_stmt(s);
}

static int sq_changelog_page(struct store *st, json_t **out, long *out_total, const char *tenant,
			     const char *product_id, bool ascending, long offset, long limit)
{
	sqlite3_stmt *s = stmt(st, S_CHANGELOG_COUNT);
	if (!s)
		return NO_STMT;
	bind_text(s, 1, tenant);
	bind_text(s, 2, product_id);
	int rc = get_count(s, out_total);
	if (rc != STORE_ONE)
		return rc;
	/* entry numbers of the page: oldest first 1..n, newest first n..1 */
	long n = *out_total, lo, hi;
	if (ascending) {
		lo = offset + 1;
		hi = offset + limit;
	} else {
		hi = n - offset;
		lo = n - offset - limit + 1;
	}
	if (!(s = stmt(st, ascending ? S_CHANGELOG_PAGE_ASC : S_CHANGELOG_PAGE_DESC)))
		return NO_STMT;
	bind_text(s, 1, tenant);
	bind_text(s, 2, product_id);
	sqlite3_bind_int64(s, 3, lo);
	sqlite3_bind_int64(s, 4, hi);
	rc = collect_docs(s, out);
	done(s);
	return rc;
}

static int sq_dataset_update(struct store *st, const char *tenant, json_t *doc)
{
	sqlite3_stmt *s = stmt(st, S_DATASET_UPDATE);
	if (!s)
		return NO_STMT;
	char *txt = dump(doc);
	bind_text(s, 1, tenant);
	bind_text(s, 2, jstr(doc, "id"));
	bind_text(s, 3, jstr(doc, "spaceId"));
	bind_text(s, 4, txt);
	bind_lower(s, 5, jstr(doc, "name"));
	bind_lower(s, 6, jstr(doc, "technicalName"));
	free(txt);
	return changed(st, exec_stmt(s));
}

static int sq_dataset_delete(struct store *st, const char *tenant, const char *id)
{
	return exec_2(st, S_DATASET_DELETE, tenant, id);
}

static int sq_dataset_products(struct store *st, json_t **out, long *out_activated,
			       const char *tenant, const char *dataset_id)
{
	sqlite3_stmt *s = stmt(st, S_DATASET_PRODUCTS);
	if (!s)
		return NO_STMT;
	bind_text(s, 1, tenant);
	bind_text(s, 2, dataset_id);
	json_t *ids = json_array();
	long activated = 0;
	int rc;
	while ((rc = step(s)) == STORE_ONE) {
		json_array_append_new(ids, json_string((const char *)sqlite3_column_text(s, 0)));
		activated += sqlite3_column_int(s, 1) != 0;
	}
	done(s);
	if (rc != STORE_NONE) {
		json_decref(ids);
		return rc;
	}
	*out = ids;
	*out_activated = activated;
	return STORE_ONE;
}

static int sq_batch_insert(struct store *st, const char *tenant, const char *id,
			   const char *product_id, const char *now, const char *user_id)
{
	sqlite3_stmt *s = stmt(st, S_BATCH_INSERT);
	if (!s)
		return NO_STMT;
	bind_text(s, 1, id);
	bind_text(s, 2, tenant);
	bind_text(s, 3, product_id);
	bind_text(s, 4, now);
	bind_text(s, 5, user_id);
	return exec_stmt(s);
}

static int sq_computation_insert(struct store *st, const char *tenant, const char *id,
				 const char *batch_id, const char *dataset_id, const char *status,
				 const char *error_code, const char *error_reason, const char *now,
				 const char *user_id)
{
	sqlite3_stmt *s = stmt(st, S_COMP_INSERT);
	if (!s)
		return NO_STMT;
	bind_text(s, 1, id);
	bind_text(s, 2, tenant);
	bind_text(s, 3, batch_id);
	bind_text(s, 4, dataset_id);
	bind_text(s, 5, status);
	bind_text(s, 6, error_code);
	bind_text(s, 7, error_reason);
	bind_text(s, 8, now);
	bind_text(s, 9, user_id);
	return exec_stmt(s);
}

/* A COMP_COLS row as JSON (null columns left out). */
static json_t *comp_doc(sqlite3_stmt *s)
{
	static const char *const names[] = {"id", "batchId", "datasetId", "status", "attempts",
					    "errorCode", "errorReason", "requestedAt",
					    "requestedBy", "startedAt", "finishedAt"};
	json_t *doc = json_object();
	for (int i = 0; i < 11; i++) {
		if (sqlite3_column_type(s, i) == SQLITE_NULL)
			continue;
		if (i == 4)
			json_object_set_new(doc, names[i], json_integer(sqlite3_column_int(s, i)));
		else
			json_object_set_new(doc, names[i],
					    json_string((const char *)sqlite3_column_text(s, i)));
	}
	return doc;
}

static int one_comp(struct store *st, enum stmt_id id, json_t **out, const char *a, const char *b)
{
	sqlite3_stmt *s = stmt(st, id);
	if (!s)
		return NO_STMT;
	bind_text(s, 1, a);
	bind_text(s, 2, b);
	int rc = step(s);
	if (rc == STORE_ONE)
		*out = comp_doc(s);
	done(s);
	return rc;
}

static int sq_computation_get(struct store *st, json_t **out, const char *tenant, const char *id)
{
	return one_comp(st, S_COMP_GET, out, tenant, id);
}

static int sq_quality_last_attempt(struct store *st, json_t **out, const char *tenant,
				   const char *dataset_id)
{
	return one_comp(st, S_QUALITY_LAST, out, tenant, dataset_id);
}

static int sq_batch_computations(struct store *st, json_t **out, const char *tenant,
				 const char *batch_id)
{
	/* a batch exists even with no computations (a product without data sets) */
	sqlite3_stmt *s = stmt(st, S_BATCH_EXISTS);
	if (!s)
		return NO_STMT;
	bind_text(s, 1, tenant);
	bind_text(s, 2, batch_id);
	int found = step(s);
	done(s);
	if (found <= 0)
		return found;
	if (!(s = stmt(st, S_COMP_BATCH)))
		return NO_STMT;
	bind_text(s, 1, tenant);
	bind_text(s, 2, batch_id);
	json_t *arr = json_array();
	int rc;
	while ((rc = step(s)) == STORE_ONE)
		json_array_append_new(arr, comp_doc(s));
	done(s);
	if (rc != STORE_NONE) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return STORE_ONE;
}

static int sq_computation_claim(struct store *st, struct computation *out, const char *now)
{
	sqlite3_stmt *s = stmt(st, S_COMP_NEXT);
	if (!s)
		return NO_STMT;
	int rc = step(s);
	if (rc == STORE_ONE) {
		snprintf(out->id, sizeof out->id, "%s", (const char *)sqlite3_column_text(s, 0));
		snprintf(out->tenant_id, sizeof out->tenant_id, "%s", (const char *)sqlite3_column_text(s, 1));
		snprintf(out->dataset_id, sizeof out->dataset_id, "%s", (const char *)sqlite3_column_text(s, 2));
		snprintf(out->requested_by, sizeof out->requested_by, "%s",
			 (const char *)sqlite3_column_text(s, 3));
		out->attempts = sqlite3_column_int(s, 4) + 1;
	}
	done(s);
	if (rc != STORE_ONE)
		return rc;
	return exec_2(st, S_COMP_TAKE, out->id, now);
}

static int sq_computation_finish(struct store *st, const char *id, const char *status,
				 const char *error_code, const char *error_reason, json_t *result,
				 const char *now)
{
	sqlite3_stmt *s = stmt(st, S_COMP_FINISH);
	if (!s)
		return NO_STMT;
	char *txt = result ? dump(result) : NULL;
	bind_text(s, 1, id);
	bind_text(s, 2, status);
	bind_text(s, 3, error_code);
	bind_text(s, 4, error_reason);
	bind_text(s, 5, txt);
	bind_text(s, 6, now);
	free(txt);
	return changed(st, exec_stmt(s));
}

static int sq_computation_recover(struct store *st, long *out_requeued, long *out_failed,
				  int max_attempts, const char *now)
{
	sqlite3_stmt *s = stmt(st, S_COMP_GIVEUP);
	if (!s)
		return NO_STMT;
	sqlite3_bind_int(s, 1, max_attempts);
	bind_text(s, 2, now);
	int rc = exec_stmt(s);
	*out_failed = rc == STORE_ONE ? sqlite3_changes(conn_get(st)->db) : 0;
	if (rc != STORE_ONE || !(s = stmt(st, S_COMP_REQUEUE)))
		return rc == STORE_ONE ? STORE_HARD : rc;
	sqlite3_bind_int(s, 1, max_attempts);
	rc = exec_stmt(s);
	*out_requeued = rc == STORE_ONE ? sqlite3_changes(conn_get(st)->db) : 0;
	return rc;
}

static int sq_quality_latest(struct store *st, json_t **out, char *out_at, char *out_by,
			     const char *tenant, const char *dataset_id)
{
	sqlite3_stmt *s = stmt(st, S_QUALITY_LATEST);
	if (!s)
		return NO_STMT;
	bind_text(s, 1, tenant);
	bind_text(s, 2, dataset_id);
	int rc = step(s);
	if (rc == STORE_ONE && (rc = read_doc(s, out)) == STORE_ONE) {
		snprintf(out_at, ISO_TS_LEN + 1, "%s", (const char *)sqlite3_column_text(s, 1));
		snprintf(out_by, GUID_LEN + 1, "%s", (const char *)sqlite3_column_text(s, 2));
	}
	done(s);
	return rc;
}

static int sq_trust_get(struct store *st, json_t **out, const char *tenant, const char *dataset_id)
{
	return get_doc(st, S_TRUST_GET, out, tenant, dataset_id);
}

static int sq_trust_dataset_ids(struct store *st, json_t **out, const char *tenant)
{
	sqlite3_stmt *s = stmt(st, S_TRUST_IDS);
	if (!s)
		return NO_STMT;
	bind_text(s, 1, tenant);
	json_t *ids = json_array();
	int rc;
	while ((rc = step(s)) == STORE_ONE)
		json_array_append_new(ids, json_string((const char *)sqlite3_column_text(s, 0)));
	done(s);
	if (rc != STORE_NONE) {
		json_decref(ids);
		return rc;
	}
	*out = ids;
	return STORE_ONE;
}

static int sq_trust_put(struct store *st, const char *tenant, const char *dataset_id, double score,
			json_t *doc, const char *now)
{
	sqlite3_stmt *s = stmt(st, S_TRUST_PUT);
	if (!s)
		return NO_STMT;
	char *txt = dump(doc);
	bind_text(s, 1, tenant);
	bind_text(s, 2, dataset_id);
	sqlite3_bind_double(s, 3, score);
	bind_text(s, 4, txt);
	bind_text(s, 5, now);
	free(txt);
	return exec_stmt(s);
}

static int sq_settings_get(struct store *st, json_t **out, const char *tenant)
{
	return get_doc(st, S_SETTINGS_GET, out, tenant, NULL);
}

static int sq_settings_put(struct store *st, const char *tenant, json_t *trust_config)
{
	sqlite3_stmt *s = stmt(st, S_SETTINGS_PUT);
	if (!s)
		return NO_STMT;
	char *txt = dump(trust_config);
	bind_text(s, 1, tenant);
	bind_text(s, 2, txt);
	free(txt);
	return exec_stmt(s);
}

static void sq_close(struct store *st)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	conn_free(pthread_getspecific(s->key));
	pthread_setspecific(s->key, NULL);
	pthread_key_delete(s->key);
	free(s->path);
	free(s);
}

static const struct store_ops sqlite_ops = {
	.close = sq_close,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.in_transaction = sq_in_transaction,
	.ping = sq_ping,
	.probe_write = sq_probe_write,
	.apikey_count_active = sq_apikey_count_active,
	.tenant_find = sq_tenant_find,
	.tenant_insert = sq_tenant_insert,
	.tenant_count = sq_tenant_count,
	.user_find_email = sq_user_find_email,
	.user_get = sq_user_get,
	.user_insert = sq_user_insert,
	.user_update = sq_user_update,
	.user_delete = sq_user_delete,
	.user_list = sq_user_list,
	.apikey_insert = sq_apikey_insert,
	.apikey_lookup = sq_apikey_lookup,
	.apikey_get = sq_apikey_get,
	.apikey_list = sq_apikey_list,
	.apikey_describe = sq_apikey_describe,
	.apikey_delete = sq_apikey_delete,
	.session_insert = sq_session_insert,
	.session_lookup = sq_session_lookup,
	.session_touch = sq_session_touch,
	.session_delete = sq_session_delete,
	.session_sweep = sq_session_sweep,
	.session_count = sq_session_count,
	.space_insert = sq_space_insert,
	.space_get = sq_space_get,
	.space_update = sq_space_update,
	.space_delete = sq_space_delete,
	.space_usage = sq_space_usage,
	.space_list = sq_space_list,
	.space_roles = sq_space_roles,
	.user_spaces = sq_user_spaces,
	.assignment_insert = sq_assignment_insert,
	.assignment_get = sq_assignment_get,
	.assignment_find = sq_assignment_find,
	.assignment_list = sq_assignment_list,
	.assignment_delete = sq_assignment_delete,
	.dataset_insert = sq_dataset_insert,
	.dataset_get = sq_dataset_get,
	.dataset_list = sq_dataset_list,
	.dataset_update = sq_dataset_update,
	.dataset_delete = sq_dataset_delete,
	.dataset_products = sq_dataset_products,
	.batch_insert = sq_batch_insert,
	.computation_insert = sq_computation_insert,
	.computation_get = sq_computation_get,
	.batch_computations = sq_batch_computations,
	.computation_claim = sq_computation_claim,
	.computation_finish = sq_computation_finish,
	.computation_recover = sq_computation_recover,
	.quality_latest = sq_quality_latest,
	.quality_last_attempt = sq_quality_last_attempt,
	.trust_get = sq_trust_get,
	.trust_dataset_ids = sq_trust_dataset_ids,
	.trust_put = sq_trust_put,
	.settings_get = sq_settings_get,
	.settings_put = sq_settings_put,
	.product_get = sq_product_get,
	.product_get_access = sq_product_get_access,
	.product_insert = sq_product_insert,
	.product_update = sq_product_update,
	.product_delete = sq_product_delete,
	.product_list = sq_product_list,
	.product_facets = sq_product_facets,
	.changelog_append = sq_changelog_append,
	.changelog_page = sq_changelog_page,
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
		fprintf(stderr, "{\"level\":\"info\",\"msg\":\"schema migrated\",\"version\":%d,"
				"\"ms\":%lld}\n", version + 1, (long long)((clock_mono_ns() - t0) / 1000000));
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
		sq_close(&s->base);
		return -1;
	}
	*out = &s->base;
	return 0;
}
