/* pg: the PostgreSQL backend (issue 11 step 2; docs/pg-status.md). libpq,
 * one connection per thread (pthread key, as the SQLite backend), opened on
 * first use and reset when it broke; statements prepared per connection on
 * first use with typed $n parameters, text results. Write transactions are
 * READ COMMITTED and take the tenant's transaction-level advisory lock
 * before their first tenant-scoped statement, so writers of one tenant run
 * one after the other across every instance (docs/decisions.md); read
 * transactions are REPEATABLE READ (one snapshot). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/pg.h"
#include "store/pg_schema.h"
#include "store/rows.h"
#include "util/clock.h"
#include "util/log.h"

/* Advisory lock keys (two int4 form): class 8511 global (1 = migrations,
 * 2 = the tenant directory), class 8512 per tenant (hashtext of its id). */
#define LOCK_GLOBAL "8511"
#define LOCK_TENANT "8512"

#define KEY_COLS "id, tenant_id, user_id, created_by, description, created_at, updated_at, expires_ms"
#define COMP_COLS "id, batch_id, dataset_id, status, attempts, error_code, error_reason," \
		  " requested_at, requested_by, started_at, finished_at"

const char *const pg_stmt_sql[P__COUNT] = {
	[P_LOCK_TENANT] = "SELECT pg_advisory_xact_lock(" LOCK_TENANT ", hashtext($1::text))",
	/* GCRA on the database clock (docs/decisions.md "Issue 11 — rate
	 * limits across instances"): $3 the interval T, $4 the capacity N*T, in
	 * microseconds; tat_us is the bucket's theoretical arrival time and
	 * seen_us the clock of this statement (excluded.seen_us = now). Allowed
	 * when max(tat, now) + T - now <= N*T; then tat = max(tat, now) + T; a
	 * limited request leaves tat alone. One statement, one round trip. */
	[P_RATE_TAKE] = "INSERT INTO rate_buckets AS b(key, bucket, tat_us, seen_us, allowed)"
			" SELECT $1::text, $2::integer, n.us + $3::bigint, n.us, true FROM (SELECT"
			" (extract(epoch FROM clock_timestamp()) * 1000000)::bigint AS us) n"
			" ON CONFLICT (key, bucket) DO UPDATE SET"
			" allowed = greatest(b.tat_us, excluded.seen_us) + $3::bigint - excluded.seen_us"
			" <= $4::bigint,"
			" tat_us = CASE WHEN greatest(b.tat_us, excluded.seen_us) + $3::bigint"
			" - excluded.seen_us <= $4::bigint THEN greatest(b.tat_us, excluded.seen_us)"
			" + $3::bigint ELSE b.tat_us END,"
			" seen_us = excluded.seen_us"
			" RETURNING allowed, tat_us - seen_us",
	/* buckets that have refilled (tat in the past) carry no information */
	[P_RATE_SWEEP] = "DELETE FROM rate_buckets WHERE tat_us"
			 " < (extract(epoch FROM clock_timestamp()) * 1000000)::bigint",
	[P_TENANT_FIND] = "SELECT id FROM tenants WHERE name = $1::text",
	[P_TENANT_INSERT] = "INSERT INTO tenants(id, name, created_at) VALUES($1::text, $2::text, $3::text)",
	[P_TENANT_COUNT] = "SELECT count(*) FROM tenants",
	/* one row even for a tenant without a counter row (max() of nothing) */
	[P_TENANT_USAGE] = "SELECT coalesce(max(products), 0), coalesce(max(datasets), 0),"
			   " coalesce(max(spaces), 0), coalesce(max(users), 0)"
			   " FROM tenant_counts WHERE tenant_id = $1::text",
	[P_USER_FIND_EMAIL] = "SELECT id FROM users WHERE tenant_id = $1::text AND email = $2::text",
	[P_USER_GET] = "SELECT doc FROM users WHERE tenant_id = $1::text AND id = $2::text",
	[P_USER_INSERT] = "INSERT INTO users(id, tenant_id, email, roles, status, doc)"
			  " VALUES($1::text, $2::text, $3::text, $4::integer, 'active', $5::text)",
	[P_USER_UPDATE] = "UPDATE users SET email = $3::text, roles = $4::integer, status = $5::text,"
			  " doc = $6::text WHERE tenant_id = $1::text AND id = $2::text",
	[P_USER_DELETE] = "DELETE FROM users WHERE tenant_id = $1::text AND id = $2::text",
	[P_USER_LIST] = "SELECT doc FROM users WHERE tenant_id = $1::text"
			" AND ($2::text IS NULL OR email = $2::text) ORDER BY seq LIMIT $3::bigint OFFSET $4::bigint",
	[P_USER_COUNT] = "SELECT count(*) FROM users WHERE tenant_id = $1::text"
			 " AND ($2::text IS NULL OR email = $2::text)",
	[P_KEY_INSERT] = "INSERT INTO api_keys(id, tenant_id, user_id, hash, created_at, expires_ms,"
			 " description, created_by) VALUES($1::text, $2::text, $3::text, $4::text,"
			 " $5::text, $6::bigint, $7::text, $8::text)",
	[P_KEY_GET] = "SELECT " KEY_COLS " FROM api_keys WHERE tenant_id = $1::text AND id = $2::text"
		      " AND NOT revoked",
	[P_KEY_LIST] = "SELECT " KEY_COLS " FROM api_keys WHERE tenant_id = $1::text AND NOT revoked"
		       " AND ($2::text IS NULL OR user_id = $2::text) ORDER BY created_at, id"
		       " LIMIT $3::bigint OFFSET $4::bigint",
	[P_KEY_COUNT] = "SELECT count(*) FROM api_keys WHERE tenant_id = $1::text AND NOT revoked"
			" AND ($2::text IS NULL OR user_id = $2::text)",
	[P_KEY_DESCRIBE] = "UPDATE api_keys SET description = $3::text, updated_at = $4::text"
			   " WHERE tenant_id = $1::text AND id = $2::text AND NOT revoked",
	[P_KEY_DELETE] = "DELETE FROM api_keys WHERE tenant_id = $1::text AND id = $2::text",
	[P_KEY_ACTIVE] = "SELECT count(*) FROM api_keys WHERE tenant_id = $1::text AND user_id = $2::text"
			 " AND NOT revoked AND (expires_ms = 0 OR expires_ms > $3::bigint)",
	[P_KEY_LOOKUP] = "SELECT k.id, k.tenant_id, k.user_id, k.expires_ms, u.roles, u.status"
			 " FROM api_keys k JOIN users u ON u.tenant_id = k.tenant_id AND u.id = k.user_id"
			 " WHERE k.hash = $1::text AND NOT k.revoked",
	[P_SESSION_INSERT] = "INSERT INTO sessions(tenant_id, id_hash, user_id, key_id, created_via,"
			     " created_at, last_seen_at, expires_at) VALUES($1::text, $2::text, $3::text,"
			     " $4::text, $5::text, $6::bigint, $6::bigint, $7::bigint)",
	[P_SESSION_LOOKUP] = "SELECT s.tenant_id, s.user_id, s.key_id, s.created_via, s.last_seen_at,"
			     " s.expires_at, u.roles, u.status, CASE WHEN s.key_id IS NULL THEN 1"
			     " WHEN k.id IS NULL OR k.revoked"
			     " OR (k.expires_ms <> 0 AND k.expires_ms <= $2::bigint) THEN 0 ELSE 1 END,"
			     " coalesce(k.expires_ms, 0)"
			     " FROM sessions s JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id"
			     " LEFT JOIN api_keys k ON k.tenant_id = s.tenant_id AND k.id = s.key_id"
			     " WHERE s.id_hash = $1::text",
	[P_SESSION_TOUCH] = "UPDATE sessions SET last_seen_at = $3::bigint WHERE tenant_id = $1::text"
			    " AND id_hash = $2::text",
	[P_SESSION_DELETE] = "DELETE FROM sessions WHERE tenant_id = $1::text AND id_hash = $2::text",
	[P_SESSION_SWEEP] = "DELETE FROM sessions WHERE expires_at <= $1::bigint OR last_seen_at <= $2::bigint",
	[P_SESSION_COUNT] = "SELECT count(*) FROM sessions WHERE expires_at > $1::bigint"
			    " AND last_seen_at > $2::bigint",
	[P_SPACE_INSERT] = "INSERT INTO spaces(id, tenant_id, name, type, owner_id, created_at, doc)"
			   " VALUES($1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text)",
	[P_SPACE_GET] = "SELECT doc FROM spaces WHERE tenant_id = $1::text AND id = $2::text",
	[P_SPACE_UPDATE] = "UPDATE spaces SET name = $3::text, type = $4::text, owner_id = $5::text,"
			   " doc = $6::text WHERE tenant_id = $1::text AND id = $2::text",
	[P_SPACE_DELETE] = "DELETE FROM spaces WHERE tenant_id = $1::text AND id = $2::text",
	[P_SPACE_USAGE] = "SELECT (SELECT count(*) FROM products WHERE tenant_id = $1::text"
			  " AND space_id = $2::text) + (SELECT count(*) FROM datasets"
			  " WHERE tenant_id = $1::text AND space_id = $2::text)",
	[P_USER_SPACES] = "SELECT json_build_object('id', s.id, 'type', s.type, 'ownerId', s.owner_id,"
			  " 'roles', coalesce(a.roles, 0))::text FROM spaces s"
			  " LEFT JOIN space_assignments a ON a.tenant_id = s.tenant_id"
			  " AND a.space_id = s.id AND a.assignee_id = $2::text"
			  " WHERE s.tenant_id = $1::text AND (s.owner_id = $2::text OR a.id IS NOT NULL)",
	[P_SPACE_ROLES] = "SELECT roles FROM space_assignments WHERE tenant_id = $1::text"
			  " AND space_id = $2::text AND assignee_id = $3::text",
	[P_ASG_INSERT] = "INSERT INTO space_assignments(id, tenant_id, space_id, assignee_id, roles,"
			 " created_at, doc) VALUES($1::text, $2::text, $3::text, $4::text, $5::integer,"
			 " $6::text, $7::text)",
	[P_ASG_GET] = "SELECT doc FROM space_assignments WHERE tenant_id = $1::text"
		      " AND space_id = $2::text AND id = $3::text",
	[P_ASG_FIND] = "SELECT doc FROM space_assignments WHERE tenant_id = $1::text"
		       " AND space_id = $2::text AND assignee_id = $3::text",
	[P_ASG_LIST] = "SELECT doc FROM space_assignments WHERE tenant_id = $1::text"
		       " AND space_id = $2::text ORDER BY created_at, id LIMIT $3::bigint OFFSET $4::bigint",
	[P_ASG_COUNT] = "SELECT count(*) FROM space_assignments WHERE tenant_id = $1::text"
			" AND space_id = $2::text",
	[P_ASG_DELETE] = "DELETE FROM space_assignments WHERE tenant_id = $1::text"
			 " AND space_id = $2::text AND id = $3::text",
	[P_DATASET_INSERT] = "INSERT INTO datasets(id, tenant_id, space_id, doc, name_lc, technical_lc)"
			     " VALUES($1::text, $2::text, $3::text, $4::text, $5::text, $6::text)",
	[P_DATASET_GET] = "SELECT doc FROM datasets WHERE tenant_id = $1::text AND id = $2::text",
	[P_DATASET_UPDATE] = "UPDATE datasets SET space_id = $3::text, doc = $4::text,"
			     " name_lc = $5::text, technical_lc = $6::text"
			     " WHERE tenant_id = $1::text AND id = $2::text"
			     " RETURNING (SELECT d.doc::json->>'name' FROM datasets d"
			     " WHERE d.tenant_id = $1::text AND d.id = $2::text)"
			     " IS DISTINCT FROM ($4::text)::json->>'name'",
	/* a renamed data set: the body vector of the products naming it */
	[P_DATASET_REINDEX] = "UPDATE products p SET ts_body = dp_tsv(coalesce(p.doc::json->>'readMe', '')"
			      " || ' ' || coalesce((SELECT string_agg(d.doc::json->>'name', ' ')"
			      " FROM product_datasets pd JOIN datasets d ON d.tenant_id = pd.tenant_id"
			      " AND d.id = pd.dataset_id WHERE pd.tenant_id = p.tenant_id"
			      " AND pd.product_id = p.id), ''))"
			      " WHERE p.tenant_id = $1::text AND p.id IN (SELECT product_id"
			      " FROM product_datasets WHERE tenant_id = $1::text AND dataset_id = $2::text)",
	[P_DATASET_LIST] = "SELECT doc FROM datasets WHERE tenant_id = $1::text AND ($2::text IS NULL"
			   " OR strpos(name_lc, $2::text) > 0 OR strpos(technical_lc, $2::text) > 0)"
			   " ORDER BY name_lc, id LIMIT $3::bigint OFFSET $4::bigint",
	[P_DATASET_COUNT] = "SELECT count(*) FROM datasets WHERE tenant_id = $1::text AND ($2::text IS NULL"
			    " OR strpos(name_lc, $2::text) > 0 OR strpos(technical_lc, $2::text) > 0)",
	[P_DATASET_DELETE] = "DELETE FROM datasets WHERE tenant_id = $1::text AND id = $2::text",
	[P_DATASET_PRODUCTS] = "SELECT pd.product_id, p.activated FROM product_datasets pd"
			       " JOIN products p ON p.tenant_id = pd.tenant_id AND p.id = pd.product_id"
			       " WHERE pd.tenant_id = $1::text AND pd.dataset_id = $2::text"
			       " ORDER BY pd.product_id",
	/* the counters of schema v8 (pg_schema.h); no row: 0, 0 */
	[P_DATASET_USAGE] = "SELECT products, activated FROM dataset_usage"
			    " WHERE tenant_id = $1::text AND dataset_id = $2::text",
	[P_BATCH_INSERT] = "INSERT INTO quality_batches(id, tenant_id, product_id, created_at, created_by)"
			   " VALUES($1::text, $2::text, $3::text, $4::text, $5::text)",
	[P_BATCH_EXISTS] = "SELECT 1 FROM quality_batches WHERE tenant_id = $1::text AND id = $2::text",
	[P_COMP_INSERT] = "INSERT INTO computations(id, tenant_id, batch_id, dataset_id, status,"
			  " error_code, error_reason, requested_at, requested_by, finished_at)"
			  " VALUES($1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text,"
			  " $8::text, $9::text, CASE WHEN $5::text = 'FAILED' THEN $8::text END)",
	[P_COMP_GET] = "SELECT " COMP_COLS " FROM computations WHERE tenant_id = $1::text AND id = $2::text",
	[P_COMP_BATCH] = "SELECT " COMP_COLS " FROM computations WHERE tenant_id = $1::text"
			 " AND batch_id = $2::text ORDER BY requested_at, seq",
	/* the oldest queued computation no other transaction is taking; the
	 * lease on the database's clock, the one clock every instance shares */
#define PG_LEASE(ms) "now() + " ms " * interval '1 millisecond'"
	[P_COMP_CLAIM] = "UPDATE computations SET status = 'SUBMITTED', attempts = attempts + 1,"
			 " started_at = $1::text, owner = $2::text, lease_until = "
			 PG_LEASE("$3::bigint") " WHERE id = (SELECT id FROM computations"
			 " WHERE status = 'REQUESTED' ORDER BY requested_at, seq LIMIT 1"
			 " FOR UPDATE SKIP LOCKED)"
			 " RETURNING id, tenant_id, dataset_id, requested_by, attempts",
	[P_COMP_RENEW] = "UPDATE computations SET lease_until = " PG_LEASE("$4::bigint")
			 " WHERE id = $1::text AND owner = $2::text AND attempts = $3::integer"
			 " AND status = 'SUBMITTED'",
	[P_COMP_FINISH] = "UPDATE computations SET status = $2::text, error_code = $3::text,"
			  " error_reason = $4::text, result = $5::text, finished_at = $6::text,"
			  " lease_until = NULL WHERE id = $1::text AND owner = $7::text"
			  " AND attempts = $8::integer AND status = 'SUBMITTED'",
	/* only an expired lease (the owner may be alive on another machine);
	 * rows another transaction holds (a heartbeat, a finish, another
	 * instance's recovery) are skipped, never waited for */
#define COMP_GONE(more) " id IN (SELECT id FROM computations WHERE status = 'SUBMITTED'" \
	" AND (lease_until IS NULL OR lease_until <= now()) AND " more " FOR UPDATE SKIP LOCKED)"
	[P_COMP_REQUEUE] = "UPDATE computations SET status = 'REQUESTED', started_at = NULL,"
			   " owner = NULL, lease_until = NULL WHERE"
			   COMP_GONE("attempts < $1::integer"),
	[P_COMP_GIVEUP] = "UPDATE computations SET status = 'FAILED', error_code = 'DQ-500',"
			  " error_reason = 'interrupted ' || attempts || ' times (its server stopped"
			  " or stopped renewing its lease)', finished_at = $2::text, lease_until = NULL"
			  " WHERE" COMP_GONE("attempts >= $1::integer"),
	[P_QUALITY_LATEST] = "SELECT result, finished_at, requested_by FROM computations"
			     " WHERE tenant_id = $1::text AND dataset_id = $2::text AND status = 'SUCCEEDED'"
			     " ORDER BY finished_at DESC, seq DESC LIMIT 1",
	[P_QUALITY_LAST] = "SELECT " COMP_COLS " FROM computations WHERE tenant_id = $1::text"
			   " AND dataset_id = $2::text ORDER BY requested_at DESC, seq DESC LIMIT 1",
	[P_TRUST_GET] = "SELECT doc FROM trust_results WHERE tenant_id = $1::text AND dataset_id = $2::text",
	[P_TRUST_IDS] = "SELECT dataset_id FROM trust_results WHERE tenant_id = $1::text ORDER BY dataset_id",
	[P_TRUST_PUT] = "INSERT INTO trust_results(tenant_id, dataset_id, score, previous_score, doc,"
			" updated_at) VALUES($1::text, $2::text, $3::double precision, NULL, $4::text, $5::text)"
			" ON CONFLICT(tenant_id, dataset_id) DO UPDATE SET previous_score = trust_results.score,"
			" score = excluded.score, doc = excluded.doc, updated_at = excluded.updated_at",
	[P_SETTINGS_GET] = "SELECT trust_config FROM tenant_settings WHERE tenant_id = $1::text"
			   " AND trust_config IS NOT NULL",
	[P_SETTINGS_PUT] = "INSERT INTO tenant_settings(tenant_id, trust_config) VALUES($1::text, $2::text)"
			   " ON CONFLICT(tenant_id) DO UPDATE SET trust_config = excluded.trust_config",
	/* stale derived values (issue 12): marked and taken under the tenant's
	 * advisory lock (pg_run's tenant), so a pass never races a mark */
	[P_DERIVE_MARK] = "INSERT INTO derive_stale(tenant_id, kind, id, marked_at)"
			  " VALUES($1::text, $2::text, $3::text, $4::bigint)"
			  " ON CONFLICT(tenant_id, kind, id) DO NOTHING",
	[P_DERIVE_NEXT] = "SELECT tenant_id, marked_at, (SELECT count(*) FROM derive_stale)"
			  " FROM derive_stale ORDER BY marked_at LIMIT 1",
	[P_DERIVE_TAKE] = "SELECT kind, id FROM derive_stale WHERE tenant_id = $1::text"
			  " ORDER BY marked_at, kind, id LIMIT $2::bigint",
	[P_DERIVE_CLEAR] = "DELETE FROM derive_stale WHERE tenant_id = $1::text AND kind = $2::text"
			   " AND id = $3::text",
	[P_PRODUCT_GET] = "SELECT doc FROM products WHERE tenant_id = $1::text AND id = $2::text",
	[P_PRODUCT_ACCESS] = "SELECT p.doc, p.space_id, s.type, s.owner_id, a.roles, p.etag, p.owner_id,"
			     " p.activated FROM products p"
			     " LEFT JOIN spaces s ON s.tenant_id = p.tenant_id AND s.id = p.space_id"
			     " LEFT JOIN space_assignments a ON a.tenant_id = p.tenant_id AND a.space_id = p.space_id"
			     " AND a.assignee_id = $3::text"
			     " WHERE p.tenant_id = $1::text AND p.id = $2::text",
	/* the row, its tags and data set references in one statement: rows that
	 * stay are left alone, so the CTEs touch disjoint rows. $14 tags and
	 * $15 data set ids as text[]. */
#define PRODUCT_SIDE                                                                        \
	", dt AS (DELETE FROM product_tags WHERE product_id = $1::text"                     \
	" AND tenant_id IN (SELECT tenant_id FROM w) AND tag <> ALL($14::text[]))"          \
	", it AS (INSERT INTO product_tags(product_id, tenant_id, tag)"                     \
	" SELECT DISTINCT w.id, w.tenant_id, t FROM w, unnest($14::text[]) t"               \
	" ON CONFLICT DO NOTHING)"                                                          \
	", dd AS (DELETE FROM product_datasets WHERE product_id = $1::text"                 \
	" AND tenant_id IN (SELECT tenant_id FROM w) AND dataset_id <> ALL($15::text[]))"   \
	", id_ AS (INSERT INTO product_datasets(product_id, tenant_id, dataset_id, activated)" \
	" SELECT DISTINCT w.id, w.tenant_id, d, w.activated FROM w, unnest($15::text[]) d"  \
	" ON CONFLICT DO NOTHING)"                                                          \
	" SELECT count(*) FROM w"
#define PRODUCT_TS                                                                          \
	"dp_tsv($3::text), dp_tsv(array_to_string($14::text[], ' ')),"                      \
	" dp_tsv(($10::text)::json->>'description'),"                                        \
	" dp_tsv(coalesce(($10::text)::json->>'readMe', '') || ' ' || coalesce((SELECT"     \
	" string_agg(d.doc::json->>'name', ' ') FROM datasets d WHERE d.tenant_id = $2::text" \
	" AND d.id = ANY($15::text[])), ''))"
	[P_PRODUCT_INSERT] = "WITH w AS (INSERT INTO products(id, tenant_id, name, name_lc, space_id,"
			     " owner_id, activated, created_at, updated_at, doc, etag, trust_score,"
			     " quality, ts_name, ts_tags, ts_desc, ts_body) VALUES($1::text, $2::text,"
			     " $3::text, $4::text, $5::text, $6::text, $7::boolean, $8::text, $9::text,"
			     " $10::text, $11::text, $12::double precision, $13::double precision, "
			     PRODUCT_TS ") RETURNING id, tenant_id, activated)" PRODUCT_SIDE,
	[P_PRODUCT_UPDATE] = "WITH w AS (UPDATE products SET name = $3::text, name_lc = $4::text,"
			     " space_id = $5::text, owner_id = $6::text, activated = $7::boolean,"
			     " created_at = $8::text, updated_at = $9::text, doc = $10::text,"
			     " etag = $11::text, trust_score = $12::double precision,"
			     " quality = $13::double precision, (ts_name, ts_tags, ts_desc, ts_body) = ROW("
			     PRODUCT_TS ") WHERE tenant_id = $2::text AND id = $1::text"
			     " RETURNING id, tenant_id, activated)" PRODUCT_SIDE,
	[P_PRODUCT_DELETE] = "DELETE FROM products WHERE tenant_id = $1::text AND id = $2::text",
	/* the next number from the product's counter, in the same statement
	 * (the row lock orders concurrent appends); no row of this tenant: none */
	[P_CHANGELOG_APPEND] = "WITH n AS (UPDATE products SET changelog_n = changelog_n + 1"
			       " WHERE tenant_id = $2::text AND id = $3::text RETURNING changelog_n)"
			       " INSERT INTO changelogs(id, tenant_id, product_id, created_at, doc, pseq)"
			       " SELECT $1::text, $2::text, $3::text, $4::text, $5::text, changelog_n FROM n",
	[P_CHANGELOG_PAGE_ASC] = "SELECT doc FROM changelogs WHERE product_id = $2::text"
				 " AND tenant_id = $1::text AND pseq BETWEEN $3::bigint AND $4::bigint"
				 " ORDER BY pseq ASC",
	[P_CHANGELOG_PAGE_DESC] = "SELECT doc FROM changelogs WHERE product_id = $2::text"
				  " AND tenant_id = $1::text AND pseq BETWEEN $3::bigint AND $4::bigint"
				  " ORDER BY pseq DESC",
	[P_CHANGELOG_COUNT] = "SELECT coalesce((SELECT changelog_n FROM products WHERE tenant_id = $1::text"
			      " AND id = $2::text), 0)",
};

/* ---- connections ------------------------------------------------------- */

#define MAX_LOCKS 4

/* Generated statements (lists, searches) prepared on this connection, by
 * their SQL text (the values are parameters), least recently used evicted:
 * the SQLite backend's statement cache. Named g<serial> so that a name is
 * never reused, even when the DEALLOCATE of an evicted one failed. */
#define SQL_CACHE 32

struct sql_slot {
	char *sql; /* NULL: free */
	unsigned long serial;
	unsigned long used;
};

struct pgconn {
	PGconn *db;
	bool prepared[P__COUNT];
	struct sql_slot cache[SQL_CACHE];
	unsigned long serial, tick;
	bool tx_open;  /* between a BEGIN that succeeded and COMMIT/ROLLBACK */
	bool write_tx;
	/* tenants whose advisory lock this transaction holds */
	char locked[MAX_LOCKS][GUID_LEN + 1];
	int nlocked;
	bool lock_overflow; /* more tenants than MAX_LOCKS: lock again each time (harmless) */
};

struct pg_store {
	struct store base;
	char *url;
	pthread_key_t key;
	int64_t next_rate_sweep_ms; /* monotonic; atomic: the caller that moves it sweeps */
	pthread_mutex_t listen_mu;
	PGconn *listener; /* computation_listen's connection; NULL: none */
};

static void quiet_notices(void *arg, const char *message) { (void)arg, (void)message; }

static void cache_clear(struct pgconn *c)
{
	for (int i = 0; i < SQL_CACHE; i++)
		free(c->cache[i].sql);
}

static void conn_free(void *p)
{
	struct pgconn *c = p;
	if (!c)
		return;
	cache_clear(c);
	PQfinish(c->db);
	free(c);
}

static void log_error(const char *what, const char *state, const char *msg)
{
	log_event(LOG_ERROR, what, LOG_STR("sqlstate", state ? state : ""),
		  LOG_STR("error", msg ? msg : ""));
}

/* How long a statement waits for a lock (the tenant's advisory lock, a row
 * lock) before it fails with 55P03, which the runner retries (STORE_RETRY):
 * SQLite's busy timeout, so a writer stuck behind another answers 503 after
 * STORE_TX_MAX_ATTEMPTS waits instead of hanging. Applied when the session
 * has none: a lock_timeout set in the URL (options=-c lock_timeout=...) or
 * for the role or database wins. */
#define PG_LOCK_TIMEOUT "5s"

static bool ok_result(PGresult *r)
{
	ExecStatusType t = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	return t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK;
}

/* Connects; err NULL at run time (the fault is noted instead). */
static PGconn *connect_db(const char *url, char *err, size_t errlen)
{
	/* a database host that does not answer must not hold a request for
	 * libpq's default (forever): connect_timeout 5 s unless the URL sets
	 * one (expand_dbname: the URL's own settings come later and win) */
	static const char *const keys[] = {"connect_timeout", "dbname", NULL};
	const char *vals[] = {"5", url, NULL};
	PGconn *db = PQconnectdbParams(keys, vals, 1);
	if (!db || PQstatus(db) != CONNECTION_OK) {
		const char *msg = db ? PQerrorMessage(db) : "out of memory";
		if (err)
			snprintf(err, errlen, "cannot connect to PostgreSQL: %s", msg);
		else
			store_fault_note(STORE_FAULT_CANTOPEN, "PG_CONNECTION", 0, msg);
		PQfinish(db);
		return NULL;
	}
	PQsetNoticeProcessor(db, quiet_notices, NULL);
	/* one round trip: an acknowledged write must survive a crash of the
	 * database (SPEC §7), so a session whose server, role or database says
	 * synchronous_commit=off turns it back on (local, remote_write, on and
	 * remote_apply all wait for the local flush); UTF-8 text; and a bound
	 * on lock waits (SQLite's busy timeout) unless the URL, role or
	 * database set one */
	PGresult *r = PQexec(db, "SELECT set_config('synchronous_commit', 'on', false)"
				 " WHERE current_setting('synchronous_commit') = 'off';"
				 " SET client_encoding TO 'UTF8';"
				 " SELECT set_config('lock_timeout', '" PG_LOCK_TIMEOUT "', false)"
				 " WHERE current_setting('lock_timeout') = '0'");
	if (!ok_result(r)) {
		const char *msg = PQerrorMessage(db);
		if (err)
			snprintf(err, errlen, "cannot set up the PostgreSQL session: %s", msg);
		else
			store_fault_note(STORE_FAULT_CANTOPEN, "PG_CONNECTION", 0, msg);
		PQclear(r);
		PQfinish(db);
		return NULL;
	}
	PQclear(r);
	return db;
}

/* The calling thread's connection, opened or reset when needed; NULL with
 * *rc set when the database cannot be reached. */
static struct pgconn *conn_get(struct store *st, int *rc)
{
	struct pg_store *s = (struct pg_store *)st;
	struct pgconn *c = pthread_getspecific(s->key);
	if (c && c->db && PQstatus(c->db) == CONNECTION_OK)
		return c;
	if (c && c->tx_open) {
		/* the connection broke inside a transaction: a fresh session would
		 * run the rest of it outside any transaction; the transaction is
		 * lost, so it may be run again (rollback clears tx_open, and the
		 * next begin reconnects) */
		*rc = STORE_RETRY;
		return NULL;
	}
	if (!c) {
		if (!(c = calloc(1, sizeof *c))) {
			*rc = STORE_HARD;
			return NULL;
		}
		pthread_setspecific(s->key, c);
	}
	/* new, or broken: a fresh session has no prepared statements */
	cache_clear(c);
	PQfinish(c->db);
	memset(c, 0, sizeof *c);
	if (!(c->db = connect_db(s->url, NULL, 0))) {
		*rc = STORE_UNAVAILABLE;
		return NULL;
	}
	return c;
}

static bool in_tx(const struct pgconn *c)
{
	return c && c->db && PQtransactionStatus(c->db) != PQTRANS_IDLE;
}

/* The store_rc of a failed result (r may be NULL: no result at all). */
static int fail_rc(struct pgconn *c, PGresult *r, bool committing)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(c->db);
	if (PQstatus(c->db) != CONNECTION_OK || !state || !strncmp(state, "08", 2) ||
	    !strncmp(state, "57P", 3)) {
		/* the connection is gone: a transaction in flight is lost (retry it),
		 * a COMMIT's outcome is unknown (never retried), a lone statement
		 * meets an unavailable database */
		bool was_tx = c->tx_open || c->write_tx || c->nlocked;
		c->write_tx = false, c->nlocked = 0;
		if (committing) {
			/* 503, never retried: the client is told the outcome is unknown */
			store_fault_note_commit_unknown(msg);
			return STORE_UNAVAILABLE;
		}
		store_fault_note(STORE_FAULT_CANTOPEN, "PG_CONNECTION", 0, msg);
		return was_tx ? STORE_RETRY : STORE_UNAVAILABLE;
	}
	if (!strcmp(state, "23505"))
		return PG_CONFLICT;
	if (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03"))
		return STORE_RETRY;
	static const struct {
		const char *state;
		enum store_fault f;
	} faults[] = {{"53100", STORE_FAULT_FULL}, {"25006", STORE_FAULT_READONLY},
		      {"58030", STORE_FAULT_IOERR}, {"XX001", STORE_FAULT_CORRUPT},
		      {"XX002", STORE_FAULT_CORRUPT}};
	for (size_t i = 0; i < sizeof faults / sizeof *faults; i++)
		if (!strcmp(state, faults[i].state)) {
			store_fault_note(faults[i].f, state, 0, msg);
			return STORE_UNAVAILABLE;
		}
	if (strncmp(state, "23", 2) != 0) /* constraint violations are the caller's answer */
		log_error("PostgreSQL statement failed", state, msg);
	return STORE_HARD;
}

static PGresult *run_prepared(struct pgconn *c, enum pg_stmt id, int n, const char *const *v,
			      int *rc)
{
	char name[16];
	snprintf(name, sizeof name, "dp%d", (int)id);
	if (!c->prepared[id]) {
		PGresult *p = PQprepare(c->db, name, pg_stmt_sql[id], 0, NULL);
		if (!ok_result(p)) {
			*rc = fail_rc(c, p, false);
			PQclear(p);
			return NULL;
		}
		PQclear(p);
		c->prepared[id] = true;
	}
	PGresult *r = PQexecPrepared(c->db, name, n, v, NULL, NULL, 0);
	if (!ok_result(r)) {
		*rc = fail_rc(c, r, false);
		PQclear(r);
		return NULL;
	}
	*rc = STORE_ONE;
	return r;
}

/* Inside a write transaction: the tenant's advisory lock, once. */
static int lock_tenant(struct pgconn *c, const char *tenant)
{
	if (!c->write_tx || !tenant)
		return STORE_ONE;
	for (int i = 0; i < c->nlocked; i++)
		if (!strcmp(c->locked[i], tenant))
			return STORE_ONE;
	int rc;
	PGresult *r = run_prepared(c, P_LOCK_TENANT, 1, (const char *const[]){tenant}, &rc);
	PQclear(r);
	if (rc == STORE_ONE && c->nlocked < MAX_LOCKS)
		snprintf(c->locked[c->nlocked++], GUID_LEN + 1, "%s", tenant);
	return rc;
}

PGresult *pg_run(struct store *st, enum pg_stmt id, const char *tenant, int n,
		 const char *const *v, int *rc)
{
	struct pgconn *c = conn_get(st, rc);
	if (!c)
		return NULL;
	if (!c->tx_open)
		store_tx_note(); /* a lone statement: its own transaction */
	if ((*rc = lock_tenant(c, tenant)) != STORE_ONE)
		return NULL;
	return run_prepared(c, id, n, v, rc);
}

PGresult *pg_run_sql_once(struct store *st, const char *sql, const char *tenant, int n,
			  const char *const *v, int *rc)
{
	struct pgconn *c = conn_get(st, rc);
	if (!c)
		return NULL;
	if (!c->tx_open)
		store_tx_note(); /* a lone statement: its own transaction */
	if ((*rc = lock_tenant(c, tenant)) != STORE_ONE)
		return NULL;
	PGresult *r = PQexecParams(c->db, sql, n, NULL, v, NULL, NULL, 0);
	if (!ok_result(r)) {
		*rc = fail_rc(c, r, false);
		PQclear(r);
		return NULL;
	}
	*rc = STORE_ONE;
	return r;
}

PGresult *pg_run_sql(struct store *st, const char *sql, const char *tenant, int n,
		     const char *const *v, int *rc)
{
	struct pgconn *c = conn_get(st, rc);
	if (!c)
		return NULL;
	if (!c->tx_open)
		store_tx_note(); /* a lone statement: its own transaction */
	if ((*rc = lock_tenant(c, tenant)) != STORE_ONE)
		return NULL;
	struct sql_slot *slot = NULL, *victim = &c->cache[0];
	for (int i = 0; i < SQL_CACHE && !slot; i++) {
		struct sql_slot *e = &c->cache[i];
		if (e->sql && !strcmp(e->sql, sql))
			slot = e;
		else if (!e->sql || (victim->sql && e->used < victim->used))
			victim = e;
	}
	char name[32];
	if (!slot) {
		if (victim->sql) { /* its server-side statement goes too */
			snprintf(name, sizeof name, "DEALLOCATE g%lu", victim->serial);
			PQclear(PQexec(c->db, name));
			free(victim->sql);
			victim->sql = NULL;
		}
		snprintf(name, sizeof name, "g%lu", ++c->serial);
		PGresult *p = PQprepare(c->db, name, sql, 0, NULL);
		if (!ok_result(p)) {
			*rc = fail_rc(c, p, false);
			PQclear(p);
			return NULL;
		}
		PQclear(p);
		if (!(victim->sql = strdup(sql)))
			abort();
		victim->serial = c->serial;
		slot = victim;
	}
	slot->used = ++c->tick;
	snprintf(name, sizeof name, "g%lu", slot->serial);
	PGresult *r = PQexecPrepared(c->db, name, n, v, NULL, NULL, 0);
	if (!ok_result(r)) {
		*rc = fail_rc(c, r, false);
		PQclear(r);
		return NULL;
	}
	*rc = STORE_ONE;
	return r;
}

/* ---- result helpers ------------------------------------------------------ */

const char *pg_val(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

long long pg_ll(const PGresult *r, int row, int col)
{
	const char *v = pg_val(r, row, col);
	return v ? strtoll(v, NULL, 10) : 0;
}

const char *pg_i64(char buf[24], long long v)
{
	snprintf(buf, 24, "%lld", v);
	return buf;
}

static const char *pg_dbl(char buf[40], double v)
{
	snprintf(buf, 40, "%.17g", v);
	return buf;
}
#define PG_DBL(v) pg_dbl((char[40]){0}, (v))

int pg_docs(PGresult *r, json_t **out)
{
	json_t *arr = json_array();
	for (int i = 0; i < PQntuples(r); i++) {
		const char *t = pg_val(r, i, 0);
		json_t *d = t ? json_loads(t, 0, NULL) : NULL;
		if (!d) {
			json_decref(arr);
			return STORE_HARD;
		}
		json_array_append_new(arr, d);
	}
	*out = arr;
	return STORE_ONE;
}

int pg_texts(PGresult *r, int col, struct store_docs *out)
{
	for (int i = 0; i < PQntuples(r); i++) {
		if (PQgetisnull(r, i, col))
			continue;
		if (store_docs_append(out, PQgetvalue(r, i, col), (size_t)PQgetlength(r, i, col)) < 0)
			return STORE_HARD;
	}
	return STORE_ONE;
}

void pg_text_array(struct strbuf *sb, const json_t *arr)
{
	strbuf_putc(sb, '{');
	size_t i;
	json_t *v;
	bool first = true;
	json_array_foreach(arr, i, v) {
		const char *s = json_string_value(v);
		if (!s)
			continue;
		strbuf_puts(sb, first ? "\"" : ",\"");
		first = false;
		for (; *s; s++) {
			if (*s == '"' || *s == '\\')
				strbuf_putc(sb, '\\');
			strbuf_putc(sb, *s);
		}
		strbuf_putc(sb, '"');
	}
	strbuf_putc(sb, '}');
}

int pg_changed(struct store *st, enum pg_stmt id, const char *tenant, int n, const char *const *v)
{
	int rc;
	PGresult *r = pg_run(st, id, tenant, n, v, &rc);
	if (r)
		rc = atoll(PQcmdTuples(r)) > 0 ? STORE_ONE : STORE_NONE;
	PQclear(r);
	return rc;
}

int pg_get_doc(struct store *st, enum pg_stmt id, const char *tenant, json_t **out, int n,
	       const char *const *v)
{
	int rc;
	PGresult *r = pg_run(st, id, tenant, n, v, &rc);
	if (r) {
		const char *t = PQntuples(r) ? pg_val(r, 0, 0) : NULL;
		if (!PQntuples(r))
			rc = STORE_NONE;
		else if (!t || !(*out = json_loads(t, 0, NULL)))
			rc = STORE_HARD;
	}
	PQclear(r);
	return rc;
}

int pg_get_count(PGresult *r, const int *rcp, long *out)
{
	int rc = *rcp;
	if (r && PQntuples(r) == 1)
		*out = (long)pg_ll(r, 0, 0);
	else if (r)
		rc = STORE_HARD;
	PQclear(r);
	return rc;
}

static int get_id(struct store *st, enum pg_stmt id, const char *tenant, char *out, int n,
		  const char *const *v)
{
	int rc;
	PGresult *r = pg_run(st, id, tenant, n, v, &rc);
	if (r) {
		if (PQntuples(r) && pg_val(r, 0, 0))
			snprintf(out, GUID_LEN + 1, "%s", pg_val(r, 0, 0));
		else
			rc = STORE_NONE;
	}
	PQclear(r);
	return rc;
}

static int exec_ok(struct store *st, enum pg_stmt id, const char *tenant, int n,
		   const char *const *v)
{
	int rc;
	PQclear(pg_run(st, id, tenant, n, v, &rc));
	return rc;
}
#define EXEC_OK(st, id, tenant, ...)                                                       \
	exec_ok((st), (id), (tenant), PG_NARGS(__VA_ARGS__), (const char *const[]){__VA_ARGS__})

/* count + page of one-document rows, for statements bound (tenant, x[, limit, offset]). */
static int page_docs(struct store *st, json_t **out, long *out_total, enum pg_stmt count,
		     enum pg_stmt list, const char *tenant, const char *x, long offset, long limit)
{
	int rc;
	rc = pg_get_count(PG_RUN(st, count, tenant, &rc, tenant, x), &rc, out_total);
	if (rc != STORE_ONE)
		return rc;
	PGresult *r = PG_RUN(st, list, tenant, &rc, tenant, x, PG_I64(limit), PG_I64(offset));
	if (r)
		rc = pg_docs(r, out);
	PQclear(r);
	return rc;
}


/* ---- transactions --------------------------------------------------------- */

static int simple_exec(struct pgconn *c, const char *sql, bool committing)
{
	PGresult *r = PQexec(c->db, sql);
	int rc = ok_result(r) ? STORE_ONE : fail_rc(c, r, committing);
	/* COMMIT of a transaction a statement aborted answers ROLLBACK */
	if (rc == STORE_ONE && committing && !strcmp(PQcmdStatus(r), "ROLLBACK"))
		rc = STORE_HARD;
	PQclear(r);
	return rc;
}

int pg_begin(struct store *st, bool write)
{
	int rc;
	store_tx_note();
	struct pgconn *c = conn_get(st, &rc);
	if (!c)
		return rc;
	rc = simple_exec(c, write ? "BEGIN ISOLATION LEVEL READ COMMITTED"
				  : "BEGIN ISOLATION LEVEL REPEATABLE READ", false);
	if (rc == STORE_ONE) {
		c->tx_open = true;
		c->write_tx = write;
		c->nlocked = 0;
	} else if (rc == STORE_UNAVAILABLE && PQstatus(c->db) != CONNECTION_OK) {
		/* a connection that had broken while idle (server restart, network):
		 * nothing is open, and the next begin reconnects, so the runner may
		 * try again; a database that stays down answers 503 from conn_get */
		rc = STORE_RETRY;
	}
	return rc;
}

int pg_commit(struct store *st)
{
	int rc;
	struct pgconn *c = conn_get(st, &rc);
	if (!c) {
		/* the connection broke: the outcome is unknown (503, never retried) */
		store_fault_note_commit_unknown("connection lost before COMMIT");
		store_identity_end(true);
		return STORE_UNAVAILABLE;
	}
	bool wrote = c->write_tx;
	rc = simple_exec(c, "COMMIT", true);
	store_identity_end(true);
	c->tx_open = false;
	c->write_tx = false;
	c->nlocked = 0;
	if (rc == STORE_ONE && wrote)
		store_fault_clear();
	return rc;
}

void pg_rollback(struct store *st)
{
	store_identity_end(false);
	struct pg_store *s = (struct pg_store *)st;
	struct pgconn *c = pthread_getspecific(s->key);
	if (!c)
		return;
	if (c->db && PQstatus(c->db) == CONNECTION_OK && in_tx(c))
		(void)simple_exec(c, "ROLLBACK", false);
	c->tx_open = false;
	c->write_tx = false;
	c->nlocked = 0;
}

/* Savepoints "sp<depth>" (store.h). PostgreSQL's own group commit batches
 * concurrent COMMITs, so the store has no writer and nothing here is used
 * by the runner; the operation keeps the backends interchangeable. A
 * rollback forgets the tenant locks noted since the transaction began: a
 * lock taken inside the undone savepoint is released with it, and taking
 * one again is harmless. */
int pg_savepoint(struct store *st, enum store_savepoint what, int depth)
{
	struct pg_store *s = (struct pg_store *)st;
	struct pgconn *c = pthread_getspecific(s->key);
	if (!c || !c->db || !c->tx_open || depth < 0)
		return STORE_HARD;
	char sql[96];
	if (!store_savepoint_sql(sql, sizeof sql, what, depth))
		return STORE_HARD;
	if (what == STORE_SP_ROLLBACK)
		c->nlocked = 0;
	int rc = simple_exec(c, sql, false);
	return rc == STORE_CONFLICT ? STORE_HARD : rc;
}

bool pg_in_transaction(struct store *st)
{
	struct pg_store *s = (struct pg_store *)st;
	const struct pgconn *c = pthread_getspecific(s->key);
	return c && (c->tx_open || (PQstatus(c->db) == CONNECTION_OK && in_tx(c)));
}

/* A lone statement (no transaction open) failed because the thread's
 * connection had broken while idle -- the database restarted, or the
 * network dropped it, since its last use: nothing ran, so one more try on
 * a fresh connection (conn_get reconnects) tells whether the database is
 * reachable *now*. A database that is down fails that try at once. */
static bool stale_conn(struct store *st, int rc)
{
	struct pg_store *s = (struct pg_store *)st;
	const struct pgconn *c = pthread_getspecific(s->key);
	return (rc == STORE_UNAVAILABLE || rc == STORE_RETRY) && c && !c->tx_open && c->db &&
	       PQstatus(c->db) != CONNECTION_OK;
}

int pg_ping(struct store *st)
{
	int rc = STORE_HARD;
	for (int attempt = 0; attempt < 2; attempt++) {
		struct pgconn *c = conn_get(st, &rc);
		if (c)
			rc = simple_exec(c, "SELECT 1", false);
		if (rc >= 0 || !stale_conn(st, rc))
			break;
	}
	return rc;
}

int pg_probe_write(struct store *st)
{
	int rc = STORE_HARD;
	for (int attempt = 0; attempt < 2; attempt++) {
		/* a BEGIN on a connection that broke while idle answers STORE_RETRY */
		if ((rc = pg_begin(st, true)) == STORE_ONE || !stale_conn(st, rc))
			break;
	}
	if (rc != STORE_ONE)
		return rc == STORE_RETRY ? STORE_UNAVAILABLE : rc;
	struct pgconn *c = conn_get(st, &rc);
	if (!c)
		return rc;
	rc = simple_exec(c, "UPDATE schema_version SET version = version", false);
	if (rc != STORE_ONE) {
		pg_rollback(st);
		return rc;
	}
	rc = pg_commit(st);
	if (rc == STORE_ONE)
		store_fault_clear();
	return rc;
}

/* ---- shared rate limits (store.h rate_take) --------------------------------- */

#define RATE_SWEEP_MS 60000

int pg_rate_take(struct store *st, struct store_rate *out, const char *key, int bucket,
		 long per_min)
{
	struct pg_store *s = (struct pg_store *)st;
	memset(out, 0, sizeof *out);
	const struct pgconn *cur = pthread_getspecific(s->key);
	if (!key || per_min <= 0 || (cur && cur->tx_open))
		return STORE_HARD; /* never part of a request's transaction */
	int64_t t = 60000000 / per_min;
	if (t < 1)
		t = 1;
	out->interval_us = t;
	out->cap_us = t * per_min;
	int rc = STORE_HARD;
	PGresult *r = NULL;
	for (int attempt = 0; attempt < 2 && !r; attempt++) {
		r = PG_RUN(st, P_RATE_TAKE, NULL, &rc, key, PG_I64(bucket), PG_I64(t),
			   PG_I64(out->cap_us));
		if (!r && !stale_conn(st, rc))
			break;
	}
	if (!r)
		return rc;
	if (PQntuples(r) != 1 || !pg_val(r, 0, 0)) {
		PQclear(r);
		return STORE_HARD;
	}
	out->limited = strcmp(pg_val(r, 0, 0), "t") != 0;
	out->level_us = pg_ll(r, 0, 1);
	PQclear(r);

	/* expired buckets: at most once a minute per process, by whichever
	 * request moves the mark (the first call of a process sweeps) */
	int64_t now = clock_mono_ns() / 1000000;
	int64_t due = __atomic_load_n(&s->next_rate_sweep_ms, __ATOMIC_RELAXED);
	if (now >= due && __atomic_compare_exchange_n(&s->next_rate_sweep_ms, &due,
						      now + RATE_SWEEP_MS, false, __ATOMIC_RELAXED,
						      __ATOMIC_RELAXED)) {
		int src;
		PQclear(pg_run(st, P_RATE_SWEEP, NULL, 0, NULL, &src));
	}
	return STORE_ONE;
}

/* ---- tenants, users, API keys, sessions --------------------------------- */

/* The tenant directory's key in the lock table ("" is never a tenant id). */
#define DIRECTORY ""

int pg_tenant_find(struct store *st, char *out_id, const char *name)
{
	return get_id(st, P_TENANT_FIND, DIRECTORY, out_id, 1, (const char *const[]){name});
}

int pg_tenant_insert(struct store *st, const char *id, const char *name, const char *now)
{
	return EXEC_OK(st, P_TENANT_INSERT, DIRECTORY, id, name, now);
}

int pg_tenant_count(struct store *st, long *out)
{
	int rc;
	PGresult *r = pg_run(st, P_TENANT_COUNT, DIRECTORY, 0, NULL, &rc);
	return pg_get_count(r, &rc, out);
}

int pg_tenant_usage(struct store *st, struct tenant_usage *out, const char *tenant)
{
	int rc;
	/* with the tenant: inside a write transaction its advisory lock first */
	PGresult *r = PG_RUN(st, P_TENANT_USAGE, tenant, &rc, tenant);
	if (!r)
		return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return STORE_HARD;
	}
	out->products = (long)pg_ll(r, 0, 0);
	out->datasets = (long)pg_ll(r, 0, 1);
	out->spaces = (long)pg_ll(r, 0, 2);
	out->users = (long)pg_ll(r, 0, 3);
	PQclear(r);
	return STORE_ONE;
}

int pg_user_find_email(struct store *st, char *out_id, const char *tenant, const char *email)
{
	return get_id(st, P_USER_FIND_EMAIL, tenant, out_id, 2, (const char *const[]){tenant, email});
}

int pg_user_get(struct store *st, json_t **out, const char *tenant, const char *id)
{
	return PG_GET_DOC(st, P_USER_GET, tenant, out, tenant, id);
}

int pg_user_insert(struct store *st, const char *tenant, json_t *doc, unsigned roles)
{
	char *txt = rows_doc_text(doc);
	int rc = EXEC_OK(st, P_USER_INSERT, tenant, rows_doc_str(doc, "id"), tenant, rows_doc_str(doc, "email"),
			 PG_I64(roles), txt);
	free(txt);
	return rc;
}

int pg_user_update(struct store *st, const char *tenant, json_t *doc, unsigned roles)
{
	char *txt = rows_doc_text(doc);
	int rc = PG_CHANGED(st, P_USER_UPDATE, tenant, tenant, rows_doc_str(doc, "id"), rows_doc_str(doc, "email"),
			    PG_I64(roles), rows_doc_str(doc, "status"), txt);
	free(txt);
	return store_identity_wrote(st, rc);
}

int pg_user_delete(struct store *st, const char *tenant, const char *id)
{
	return store_identity_wrote(st, PG_CHANGED(st, P_USER_DELETE, tenant, tenant, id));
}

int pg_user_list(struct store *st, json_t **out, long *out_total, const char *tenant,
			const char *email, long offset, long limit)
{
	return page_docs(st, out, out_total, P_USER_COUNT, P_USER_LIST, tenant, email, offset, limit);
}

int pg_apikey_insert(struct store *st, const char *tenant, const struct apikey_new *k)
{
	return EXEC_OK(st, P_KEY_INSERT, tenant, k->id, tenant, k->user_id, k->hash, k->now,
		       PG_I64(k->expires_ms), k->description ? k->description : "", k->created_by);
}

int pg_apikey_lookup(struct store *st, struct apikey_row *out, const char *hash)
{
	int rc;
	PGresult *r = PG_RUN(st, P_KEY_LOOKUP, NULL, &rc, hash);
	if (r && !PQntuples(r))
		rc = STORE_NONE;
	else if (r) {
		snprintf(out->id, sizeof out->id, "%s", PQgetvalue(r, 0, 0));
		snprintf(out->tenant_id, sizeof out->tenant_id, "%s", PQgetvalue(r, 0, 1));
		snprintf(out->user_id, sizeof out->user_id, "%s", PQgetvalue(r, 0, 2));
		out->expires_ms = pg_ll(r, 0, 3);
		out->roles = (unsigned)pg_ll(r, 0, 4);
		out->user_active = !strcmp(PQgetvalue(r, 0, 5), "active");
	}
	PQclear(r);
	return rc;
}

/* An ApiKey document (rows.c, as the SQLite backend makes it) from a KEY_COLS row. */
static json_t *key_doc(const PGresult *r, int i)
{
	const struct rows_apikey k = {
		.id = PQgetvalue(r, i, 0), .tenant_id = PQgetvalue(r, i, 1),
		.user_id = PQgetvalue(r, i, 2), .created_by = PQgetvalue(r, i, 3),
		.description = PQgetvalue(r, i, 4), .created_at = PQgetvalue(r, i, 5),
		.updated_at = pg_val(r, i, 6), .expires_ms = pg_ll(r, i, 7)};
	return rows_apikey_doc(&k, clock_now_ms());
}

int pg_apikey_get(struct store *st, json_t **out, const char *tenant, const char *id)
{
	int rc;
	PGresult *r = PG_RUN(st, P_KEY_GET, tenant, &rc, tenant, id);
	if (r)
		rc = PQntuples(r) ? (*out = key_doc(r, 0), STORE_ONE) : STORE_NONE;
	PQclear(r);
	return rc;
}

int pg_apikey_list(struct store *st, json_t **out, long *out_total, const char *tenant,
			  const char *user_id, long offset, long limit)
{
	int rc;
	rc = pg_get_count(PG_RUN(st, P_KEY_COUNT, tenant, &rc, tenant, user_id), &rc, out_total);
	if (rc != STORE_ONE)
		return rc;
	PGresult *r = PG_RUN(st, P_KEY_LIST, tenant, &rc, tenant, user_id, PG_I64(limit),
			     PG_I64(offset));
	if (r) {
		json_t *arr = json_array();
		for (int i = 0; i < PQntuples(r); i++)
			json_array_append_new(arr, key_doc(r, i));
		*out = arr;
	}
	PQclear(r);
	return rc;
}

int pg_apikey_describe(struct store *st, const char *tenant, const char *id,
			      const char *description, const char *now)
{
	return PG_CHANGED(st, P_KEY_DESCRIBE, tenant, tenant, id, description, now);
}

int pg_apikey_delete(struct store *st, const char *tenant, const char *id)
{
	return store_identity_wrote(st, PG_CHANGED(st, P_KEY_DELETE, tenant, tenant, id));
}

int pg_apikey_count_active(struct store *st, long *out, const char *tenant,
				  const char *user_id, int64_t now_ms)
{
	int rc;
	PGresult *r = PG_RUN(st, P_KEY_ACTIVE, tenant, &rc, tenant, user_id, PG_I64(now_ms));
	return pg_get_count(r, &rc, out);
}

int pg_session_insert(struct store *st, const char *tenant, const struct session_new *n)
{
	return EXEC_OK(st, P_SESSION_INSERT, tenant, tenant, n->id_hash, n->user_id, n->key_id,
		       n->created_via, PG_I64(n->now_ms), PG_I64(n->expires_ms));
}

static void col_copy(char *out, size_t cap, const PGresult *r, int col)
{
	const char *v = pg_val(r, 0, col);
	snprintf(out, cap, "%s", v ? v : "");
}

int pg_session_lookup(struct store *st, struct session_row *out, const char *id_hash,
			     int64_t now_ms)
{
	int rc;
	PGresult *r = PG_RUN(st, P_SESSION_LOOKUP, NULL, &rc, id_hash, PG_I64(now_ms));
	if (r && !PQntuples(r))
		rc = STORE_NONE;
	else if (r) {
		col_copy(out->tenant_id, sizeof out->tenant_id, r, 0);
		col_copy(out->user_id, sizeof out->user_id, r, 1);
		col_copy(out->key_id, sizeof out->key_id, r, 2);
		col_copy(out->created_via, sizeof out->created_via, r, 3);
		out->last_seen_ms = pg_ll(r, 0, 4);
		out->expires_ms = pg_ll(r, 0, 5);
		out->roles = (unsigned)pg_ll(r, 0, 6);
		out->user_active = !strcmp(PQgetvalue(r, 0, 7), "active");
		out->key_ok = pg_ll(r, 0, 8) != 0;
		out->key_expires_ms = pg_ll(r, 0, 9);
	}
	PQclear(r);
	return rc;
}

int pg_session_touch(struct store *st, const char *tenant, const char *id_hash,
			    int64_t now_ms)
{
	return PG_CHANGED(st, P_SESSION_TOUCH, tenant, tenant, id_hash, PG_I64(now_ms));
}

int pg_session_delete(struct store *st, const char *tenant, const char *id_hash)
{
	return store_identity_wrote(st, PG_CHANGED(st, P_SESSION_DELETE, tenant, tenant, id_hash));
}

int pg_session_sweep(struct store *st, long *out_deleted, int64_t now_ms,
			    int64_t idle_before_ms)
{
	int rc;
	PGresult *r = PG_RUN(st, P_SESSION_SWEEP, NULL, &rc, PG_I64(now_ms), PG_I64(idle_before_ms));
	if (out_deleted)
		*out_deleted = r ? atol(PQcmdTuples(r)) : 0;
	PQclear(r);
	return rc;
}

int pg_session_count(struct store *st, long *out, int64_t now_ms, int64_t idle_before_ms)
{
	int rc;
	PGresult *r = PG_RUN(st, P_SESSION_COUNT, NULL, &rc, PG_I64(now_ms), PG_I64(idle_before_ms));
	return pg_get_count(r, &rc, out);
}

/* ---- spaces and assignments ---------------------------------------------- */

int pg_space_insert(struct store *st, const char *tenant, json_t *doc)
{
	char *txt = rows_doc_text(doc);
	int rc = EXEC_OK(st, P_SPACE_INSERT, tenant, rows_doc_str(doc, "id"), tenant, rows_doc_str(doc, "name"),
			 rows_doc_str(doc, "type"), rows_doc_str(doc, "ownerId"), rows_doc_str(doc, "createdAt"), txt);
	free(txt);
	return rc;
}

int pg_space_get(struct store *st, json_t **out, const char *tenant, const char *id)
{
	return PG_GET_DOC(st, P_SPACE_GET, tenant, out, tenant, id);
}

int pg_space_update(struct store *st, const char *tenant, json_t *doc)
{
	char *txt = rows_doc_text(doc);
	int rc = PG_CHANGED(st, P_SPACE_UPDATE, tenant, tenant, rows_doc_str(doc, "id"), rows_doc_str(doc, "name"),
			    rows_doc_str(doc, "type"), rows_doc_str(doc, "ownerId"), txt);
	free(txt);
	return rc;
}

int pg_space_delete(struct store *st, const char *tenant, const char *id)
{
	return PG_CHANGED(st, P_SPACE_DELETE, tenant, tenant, id);
}

int pg_space_usage(struct store *st, long *out, const char *tenant, const char *id)
{
	int rc;
	PGresult *r = PG_RUN(st, P_SPACE_USAGE, tenant, &rc, tenant, id);
	return pg_get_count(r, &rc, out);
}

int pg_space_roles(struct store *st, unsigned *out, const char *tenant,
			  const char *space_id, const char *user_id)
{
	int rc;
	PGresult *r = PG_RUN(st, P_SPACE_ROLES, tenant, &rc, tenant, space_id, user_id);
	*out = r && PQntuples(r) ? (unsigned)pg_ll(r, 0, 0) : 0;
	PQclear(r);
	return rc;
}

int pg_user_spaces(struct store *st, json_t **out, const char *tenant, const char *user_id)
{
	int rc;
	PGresult *r = PG_RUN(st, P_USER_SPACES, tenant, &rc, tenant, user_id);
	if (r)
		rc = pg_docs(r, out);
	PQclear(r);
	return rc;
}

int pg_space_list(struct store *st, json_t **out, long *out_total, const char *tenant,
			 const struct space_query *q)
{
	char *name_lc = q->name ? strdup(q->name) : NULL;
	if (name_lc)
		rows_lower_ascii(name_lc);
	struct strbuf where, sql;
	strbuf_init(&where);
	strbuf_init(&sql);
	strbuf_puts(&where, " FROM spaces s WHERE s.tenant_id = $1::text");
	if (!q->viewer_is_admin)
		strbuf_puts(&where, " AND (s.owner_id = $2::text OR s.id IN (SELECT space_id"
				    " FROM space_assignments WHERE tenant_id = $1::text"
				    " AND assignee_id = $2::text))");
	else
		strbuf_puts(&where, " AND ($2::text IS NULL OR true)");
	/* ASCII case-insensitive substring: lower() under "C" folds ASCII only */
	strbuf_puts(&where, " AND ($3::text IS NULL OR s.type = $3::text)"
			    " AND ($4::text IS NULL OR strpos(lower(s.name COLLATE \"C\"), $4::text) > 0)"
			    " AND ($5::text IS NULL OR s.owner_id = $5::text)");
	const char *v[] = {tenant, q->viewer_id, q->type, name_lc, q->owner_id,
			   PG_I64(q->limit), PG_I64(q->offset)};
	int rc;
	strbuf_printf(&sql, "SELECT count(*)%s", where.data);
	rc = pg_get_count(pg_run_sql(st, sql.data, tenant, 5, v, &rc), &rc, out_total);
	if (rc == STORE_ONE) {
		sql.len = 0;
		strbuf_printf(&sql, "SELECT s.doc%s ORDER BY s.created_at, s.id"
				    " LIMIT $6::bigint OFFSET $7::bigint", where.data);
		PGresult *r = pg_run_sql(st, sql.data, tenant, 7, v, &rc);
		if (r)
			rc = pg_docs(r, out);
		PQclear(r);
	}
	strbuf_free(&where);
	strbuf_free(&sql);
	free(name_lc);
	return rc;
}

int pg_assignment_insert(struct store *st, const char *tenant, json_t *doc, unsigned roles)
{
	char *txt = rows_doc_text(doc);
	int rc = EXEC_OK(st, P_ASG_INSERT, tenant, rows_doc_str(doc, "id"), tenant, rows_doc_str(doc, "spaceId"),
			 rows_doc_str(doc, "assigneeId"), PG_I64(roles), rows_doc_str(doc, "createdAt"), txt);
	free(txt);
	return rc;
}

int pg_assignment_get(struct store *st, json_t **out, const char *tenant,
			     const char *space_id, const char *id)
{
	return PG_GET_DOC(st, P_ASG_GET, tenant, out, tenant, space_id, id);
}

int pg_assignment_find(struct store *st, json_t **out, const char *tenant,
			      const char *space_id, const char *assignee_id)
{
	return PG_GET_DOC(st, P_ASG_FIND, tenant, out, tenant, space_id, assignee_id);
}

int pg_assignment_list(struct store *st, json_t **out, long *out_total, const char *tenant,
			      const char *space_id, long offset, long limit)
{
	return page_docs(st, out, out_total, P_ASG_COUNT, P_ASG_LIST, tenant, space_id, offset, limit);
}

int pg_assignment_delete(struct store *st, const char *tenant, const char *space_id,
				const char *id)
{
	return PG_CHANGED(st, P_ASG_DELETE, tenant, tenant, space_id, id);
}

/* ---- data sets ------------------------------------------------------------ */

static char *lower_dup(const char *v)
{
	char *lc = strdup(v ? v : "");
	if (!lc)
		abort();
	rows_lower_ascii(lc);
	return lc;
}

int pg_dataset_insert(struct store *st, const char *tenant, json_t *doc)
{
	char *txt = rows_doc_text(doc), *n = lower_dup(rows_doc_str(doc, "name")), *t = lower_dup(rows_doc_str(doc, "technicalName"));
	int rc = EXEC_OK(st, P_DATASET_INSERT, tenant, rows_doc_str(doc, "id"), tenant, rows_doc_str(doc, "spaceId"),
			 txt, n, t);
	free(txt), free(n), free(t);
	return rc;
}

int pg_dataset_get(struct store *st, json_t **out, const char *tenant, const char *id)
{
	return PG_GET_DOC(st, P_DATASET_GET, tenant, out, tenant, id);
}

int pg_dataset_update(struct store *st, const char *tenant, json_t *doc)
{
	char *txt = rows_doc_text(doc), *n = lower_dup(rows_doc_str(doc, "name")), *t = lower_dup(rows_doc_str(doc, "technicalName"));
	int rc;
	PGresult *r = PG_RUN(st, P_DATASET_UPDATE, tenant, &rc, tenant, rows_doc_str(doc, "id"),
			     rows_doc_str(doc, "spaceId"), txt, n, t);
	free(txt), free(n), free(t);
	if (r && !PQntuples(r))
		rc = STORE_NONE;
	bool renamed = r && PQntuples(r) && !strcmp(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	/* the search index holds the names of a product's data sets */
	if (rc == STORE_ONE && renamed)
		rc = EXEC_OK(st, P_DATASET_REINDEX, tenant, tenant, rows_doc_str(doc, "id"));
	return rc;
}

int pg_dataset_delete(struct store *st, const char *tenant, const char *id)
{
	return PG_CHANGED(st, P_DATASET_DELETE, tenant, tenant, id);
}

int pg_dataset_list(struct store *st, json_t **out, long *out_total, const char *tenant,
			   const char *query, long offset, long limit)
{
	char *q = query ? lower_dup(query) : NULL;
	int rc = page_docs(st, out, out_total, P_DATASET_COUNT, P_DATASET_LIST, tenant, q, offset, limit);
	free(q);
	return rc;
}

int pg_dataset_products(struct store *st, json_t **out, long *out_activated,
			       const char *tenant, const char *dataset_id)
{
	int rc;
	PGresult *r = PG_RUN(st, P_DATASET_PRODUCTS, tenant, &rc, tenant, dataset_id);
	if (r) {
		json_t *ids = json_array();
		long activated = 0;
		for (int i = 0; i < PQntuples(r); i++) {
			json_array_append_new(ids, json_string(PQgetvalue(r, i, 0)));
			activated += !strcmp(PQgetvalue(r, i, 1), "t");
		}
		*out = ids;
		*out_activated = activated;
	}
	PQclear(r);
	return rc;
}

int pg_dataset_usage(struct store *st, long *out_products, long *out_activated,
		     const char *tenant, const char *dataset_id)
{
	int rc;
	PGresult *r = PG_RUN(st, P_DATASET_USAGE, tenant, &rc, tenant, dataset_id);
	if (r) {
		bool found = PQntuples(r) > 0;
		*out_products = found ? (long)pg_ll(r, 0, 0) : 0;
		*out_activated = found ? (long)pg_ll(r, 0, 1) : 0;
	}
	PQclear(r);
	return rc;
}

/* ---- quality computations, trust, settings --------------------------------- */

int pg_batch_insert(struct store *st, const char *tenant, const char *id,
			   const char *product_id, const char *now, const char *user_id)
{
	return EXEC_OK(st, P_BATCH_INSERT, tenant, id, tenant, product_id, now, user_id);
}

int pg_computation_insert(struct store *st, const char *tenant, const char *id,
				 const char *batch_id, const char *dataset_id, const char *status,
				 const char *error_code, const char *error_reason, const char *now,
				 const char *user_id)
{
	return EXEC_OK(st, P_COMP_INSERT, tenant, id, tenant, batch_id, dataset_id, status,
		       error_code, error_reason, now, user_id);
}

/* A COMP_COLS row as JSON (rows.c; null columns left out). */
static json_t *comp_doc(const PGresult *r, int row)
{
	struct rows_computation c = {.has_attempts = !PQgetisnull(r, row, ROWS_COMP_ATTEMPTS),
				     .attempts = (int)pg_ll(r, row, ROWS_COMP_ATTEMPTS)};
	for (int i = 0; i < ROWS_COMP__COUNT; i++)
		if (i != ROWS_COMP_ATTEMPTS)
			c.text[i] = pg_val(r, row, i);
	return rows_computation_doc(&c);
}

static int one_comp(struct store *st, enum pg_stmt id, json_t **out, const char *tenant,
		    const char *b)
{
	int rc;
	PGresult *r = PG_RUN(st, id, tenant, &rc, tenant, b);
	if (r)
		rc = PQntuples(r) ? (*out = comp_doc(r, 0), STORE_ONE) : STORE_NONE;
	PQclear(r);
	return rc;
}

int pg_computation_get(struct store *st, json_t **out, const char *tenant, const char *id)
{
	return one_comp(st, P_COMP_GET, out, tenant, id);
}

int pg_quality_last_attempt(struct store *st, json_t **out, const char *tenant,
				   const char *dataset_id)
{
	return one_comp(st, P_QUALITY_LAST, out, tenant, dataset_id);
}

int pg_batch_computations(struct store *st, json_t **out, const char *tenant,
				 const char *batch_id)
{
	int rc;
	PGresult *r = PG_RUN(st, P_BATCH_EXISTS, tenant, &rc, tenant, batch_id);
	if (r && !PQntuples(r))
		rc = STORE_NONE;
	PQclear(r);
	if (rc != STORE_ONE)
		return rc;
	r = PG_RUN(st, P_COMP_BATCH, tenant, &rc, tenant, batch_id);
	if (r) {
		json_t *arr = json_array();
		for (int i = 0; i < PQntuples(r); i++)
			json_array_append_new(arr, comp_doc(r, i));
		*out = arr;
	}
	PQclear(r);
	return rc;
}

int pg_computation_claim(struct store *st, struct computation *out, const char *owner,
			 int64_t lease_ms, const char *now)
{
	int rc;
	PGresult *r = PG_RUN(st, P_COMP_CLAIM, NULL, &rc, now, owner, PG_I64(lease_ms));
	if (r && !PQntuples(r))
		rc = STORE_NONE;
	else if (r) {
		snprintf(out->id, sizeof out->id, "%s", PQgetvalue(r, 0, 0));
		snprintf(out->tenant_id, sizeof out->tenant_id, "%s", PQgetvalue(r, 0, 1));
		snprintf(out->dataset_id, sizeof out->dataset_id, "%s", PQgetvalue(r, 0, 2));
		snprintf(out->requested_by, sizeof out->requested_by, "%s", PQgetvalue(r, 0, 3));
		out->attempts = (int)pg_ll(r, 0, 4);
	}
	PQclear(r);
	return rc;
}

int pg_computation_renew(struct store *st, const char *id, const char *owner, int attempts,
			 int64_t lease_ms)
{
	return PG_CHANGED(st, P_COMP_RENEW, NULL, id, owner, PG_I64(attempts), PG_I64(lease_ms));
}

int pg_computation_finish(struct store *st, const char *id, const char *owner, int attempts,
			  const char *status, const char *error_code, const char *error_reason,
			  json_t *result, const char *now)
{
	char *txt = result ? rows_doc_text(result) : NULL;
	int rc = PG_CHANGED(st, P_COMP_FINISH, NULL, id, status, error_code, error_reason, txt, now,
			    owner, PG_I64(attempts));
	free(txt);
	return rc;
}

int pg_computation_recover(struct store *st, long *out_requeued, long *out_failed,
			   const char *self, int max_attempts, const char *now)
{
	(void)self; /* another instance's unexpired lease is never taken */
	int rc;
	*out_requeued = 0;
	PGresult *r = PG_RUN(st, P_COMP_GIVEUP, NULL, &rc, PG_I64(max_attempts), now);
	*out_failed = r ? atol(PQcmdTuples(r)) : 0;
	PQclear(r);
	if (rc != STORE_ONE)
		return rc;
	r = PG_RUN(st, P_COMP_REQUEUE, NULL, &rc, PG_I64(max_attempts));
	*out_requeued = r ? atol(PQcmdTuples(r)) : 0;
	PQclear(r);
	return rc;
}

/* The listener: a connection of its own (not a thread's), LISTENing on
 * dp_jobs, which schema v4's trigger notifies when a computation becomes
 * REQUESTED. Used by one thread at a time (the worker pool's keeper); the
 * mutex only orders it against pg_close. */
int pg_computation_listen(struct store *st, int *out_fd)
{
	struct pg_store *s = (struct pg_store *)st;
	*out_fd = -1;
	pthread_mutex_lock(&s->listen_mu);
	PQfinish(s->listener);
	s->listener = connect_db(s->url, NULL, 0);
	int rc = s->listener ? STORE_ONE : STORE_UNAVAILABLE;
	if (s->listener) {
		PGresult *r = PQexec(s->listener, "LISTEN dp_jobs");
		if (!ok_result(r) || PQsocket(s->listener) < 0) {
			log_error("LISTEN failed", r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL,
				  PQerrorMessage(s->listener));
			PQfinish(s->listener);
			s->listener = NULL;
			rc = STORE_UNAVAILABLE;
		} else {
			*out_fd = PQsocket(s->listener);
		}
		PQclear(r);
	}
	pthread_mutex_unlock(&s->listen_mu);
	return rc;
}

int pg_computation_notices(struct store *st, int *out_n)
{
	struct pg_store *s = (struct pg_store *)st;
	*out_n = 0;
	pthread_mutex_lock(&s->listen_mu);
	int rc = STORE_UNAVAILABLE;
	if (s->listener && PQconsumeInput(s->listener) && PQstatus(s->listener) == CONNECTION_OK) {
		PGnotify *n;
		while ((n = PQnotifies(s->listener))) {
			(*out_n)++;
			PQfreemem(n);
		}
		rc = STORE_ONE;
	} else if (s->listener) {
		/* the connection broke: the caller listens again */
		PQfinish(s->listener);
		s->listener = NULL;
	}
	pthread_mutex_unlock(&s->listen_mu);
	return rc;
}

int pg_quality_latest(struct store *st, json_t **out, char *out_at, char *out_by,
			     const char *tenant, const char *dataset_id)
{
	int rc;
	PGresult *r = PG_RUN(st, P_QUALITY_LATEST, tenant, &rc, tenant, dataset_id);
	if (r && !PQntuples(r))
		rc = STORE_NONE;
	else if (r) {
		const char *t = pg_val(r, 0, 0);
		if (!t || !(*out = json_loads(t, 0, NULL))) {
			rc = STORE_HARD;
		} else {
			snprintf(out_at, ISO_TS_LEN + 1, "%s", PQgetvalue(r, 0, 1));
			snprintf(out_by, GUID_LEN + 1, "%s", PQgetvalue(r, 0, 2));
		}
	}
	PQclear(r);
	return rc;
}

int pg_trust_get(struct store *st, json_t **out, const char *tenant, const char *dataset_id)
{
	return PG_GET_DOC(st, P_TRUST_GET, tenant, out, tenant, dataset_id);
}

int pg_trust_dataset_ids(struct store *st, json_t **out, const char *tenant)
{
	int rc;
	PGresult *r = PG_RUN(st, P_TRUST_IDS, tenant, &rc, tenant);
	if (r) {
		json_t *ids = json_array();
		for (int i = 0; i < PQntuples(r); i++)
			json_array_append_new(ids, json_string(PQgetvalue(r, i, 0)));
		*out = ids;
	}
	PQclear(r);
	return rc;
}

int pg_trust_put(struct store *st, const char *tenant, const char *dataset_id, double score,
			json_t *doc, const char *now)
{
	char *txt = rows_doc_text(doc);
	int rc = EXEC_OK(st, P_TRUST_PUT, tenant, tenant, dataset_id, PG_DBL(score), txt, now);
	free(txt);
	return rc;
}

int pg_settings_get(struct store *st, json_t **out, const char *tenant)
{
	return PG_GET_DOC(st, P_SETTINGS_GET, tenant, out, tenant);
}

int pg_settings_put(struct store *st, const char *tenant, json_t *trust_config)
{
	char *txt = rows_doc_text(trust_config);
	int rc = EXEC_OK(st, P_SETTINGS_PUT, tenant, tenant, txt);
	free(txt);
	return rc;
}

/* ---- stale derived values (issue 12) -------------------------------------- */

int pg_derive_mark(struct store *st, const char *tenant, const char *kind, const char *id,
		   int64_t now_ms)
{
	return EXEC_OK(st, P_DERIVE_MARK, tenant, tenant, kind, id, PG_I64(now_ms));
}

int pg_derive_next(struct store *st, char *out_tenant, long *out_pending, int64_t *out_oldest_ms)
{
	int rc;
	*out_pending = 0;
	*out_oldest_ms = 0;
	PGresult *r = pg_run(st, P_DERIVE_NEXT, NULL, 0, NULL, &rc);
	if (r) {
		rc = PQntuples(r) ? STORE_ONE : STORE_NONE;
		if (rc == STORE_ONE) {
			if (out_tenant)
				snprintf(out_tenant, GUID_LEN + 1, "%s", PQgetvalue(r, 0, 0));
			*out_oldest_ms = pg_ll(r, 0, 1);
			*out_pending = (long)pg_ll(r, 0, 2);
		}
	}
	PQclear(r);
	return rc;
}

int pg_derive_take(struct store *st, json_t **out, const char *tenant, long limit)
{
	int rc;
	PGresult *r = PG_RUN(st, P_DERIVE_TAKE, tenant, &rc, tenant, PG_I64(limit));
	if (r) {
		json_t *marks = json_array();
		for (int i = 0; i < PQntuples(r); i++)
			json_array_append_new(marks, json_pack("[s, s]", PQgetvalue(r, i, 0),
							       PQgetvalue(r, i, 1)));
		*out = marks;
	}
	PQclear(r);
	return rc;
}

int pg_derive_clear(struct store *st, const char *tenant, const char *kind, const char *id)
{
	return PG_CHANGED(st, P_DERIVE_CLEAR, tenant, tenant, kind, id);
}

/* ---- open, migrate, close ------------------------------------------------- */

void pg_close(struct store *st)
{
	struct pg_store *s = (struct pg_store *)st;
	conn_free(pthread_getspecific(s->key));
	pthread_setspecific(s->key, NULL);
	pthread_key_delete(s->key);
	PQfinish(s->listener);
	pthread_mutex_destroy(&s->listen_mu);
	free(s->url);
	free(s);
}

static const struct store_ops pg_ops = {
#define X(ret, name, params) .name = pg_##name,
	STORE_OPS(X)
#undef X
};

/* PQexec of sql; false with err filled on failure. */
static bool setup_exec(PGconn *db, const char *sql, PGresult **out, char *err, size_t errlen,
		       const char *what)
{
	PGresult *r = PQexec(db, sql);
	if (!ok_result(r)) {
		snprintf(err, errlen, "%s: %s", what, r ? PQresultErrorMessage(r) : PQerrorMessage(db));
		PQclear(r);
		return false;
	}
	if (out)
		*out = r;
	else
		PQclear(r);
	return true;
}

/* Durability (SPEC §7): an acknowledged write must survive a crash. */
static int check_durable(PGconn *db, char *err, size_t errlen)
{
	PGresult *r;
	if (!setup_exec(db, "SHOW fsync", &r, err, errlen, "cannot read fsync"))
		return -1;
	bool off = PQntuples(r) == 1 && !strcmp(PQgetvalue(r, 0, 0), "off");
	PQclear(r);
	if (off) {
		snprintf(err, errlen, "the PostgreSQL server runs with fsync=off: acknowledged writes"
				      " would not survive a crash; refusing to start");
		return -1;
	}
	/* documents are UTF-8 text and search folds them with normalize(),
	 * which needs a UTF-8 database */
	if (!setup_exec(db, "SELECT pg_encoding_to_char(encoding), datctype FROM pg_database"
			    " WHERE datname = current_database()", &r, err, errlen,
			"cannot read the database encoding"))
		return -1;
	char enc[32] = "", ctype[64] = "";
	if (PQntuples(r) == 1) {
		snprintf(enc, sizeof enc, "%s", PQgetvalue(r, 0, 0));
		snprintf(ctype, sizeof ctype, "%s", PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	if (strcmp(enc, "UTF8") != 0) {
		snprintf(err, errlen, "the PostgreSQL database has encoding %s; dataproducts needs"
				      " UTF8 (CREATE DATABASE ... ENCODING 'UTF8' TEMPLATE template0)",
			 enc[0] ? enc : "(unknown)");
		return -1;
	}
	if (!strcasestr(ctype, "utf-8") && !strcasestr(ctype, "utf8"))
		log_event(LOG_WARN, "the database's LC_CTYPE is not UTF-8: search matches non-ASCII"
				    " letters case-sensitively", LOG_STR("lcCtype", ctype));
	return 0;
}

/* Brings the schema to PG_SCHEMA_VERSION under the global advisory lock,
 * so instances starting together migrate once (the others wait, then see
 * the new version). */
static int migrate(PGconn *db, char *err, size_t errlen)
{
	PGresult *r = NULL;
	/* no lock_timeout here: an instance waits for another's migrations,
	 * however long they take */
	if (!setup_exec(db, "BEGIN; SET LOCAL lock_timeout = 0;"
			    " SELECT pg_advisory_xact_lock(" LOCK_GLOBAL ", 1);"
			    " CREATE TABLE IF NOT EXISTS schema_version(version integer NOT NULL);"
			    " INSERT INTO schema_version SELECT 0"
			    " WHERE NOT EXISTS (SELECT 1 FROM schema_version);"
			    " SELECT version FROM schema_version", &r, err, errlen, "schema_version"))
		goto fail;
	int version = PQntuples(r) == 1 ? atoi(PQgetvalue(r, 0, 0)) : -1;
	PQclear(r);
	if (version < 0 || version > PG_SCHEMA_VERSION) {
		snprintf(err, errlen, "database schema v%d is newer than this server (v%d)", version,
			 PG_SCHEMA_VERSION);
		goto fail;
	}
	const int from = version; /* 0: a new database, made, not "migrated" */
	for (; version < PG_SCHEMA_VERSION; version++) {
		int64_t t0 = clock_mono_ns();
		char what[64], bump[80];
		snprintf(what, sizeof what, "migration to v%d failed", version + 1);
		snprintf(bump, sizeof bump, "UPDATE schema_version SET version = %d", version + 1);
		if (!setup_exec(db, pg_migrations[version], NULL, err, errlen, what) ||
		    !setup_exec(db, bump, NULL, err, errlen, what))
			goto fail;
		if (from > 0)
			log_event(LOG_INFO, "schema migrated", LOG_INT("version", version + 1),
				  LOG_INT("ms", (clock_mono_ns() - t0) / 1000000));
	}
	if (!setup_exec(db, "COMMIT", NULL, err, errlen, "migration commit"))
		goto fail;
	return 0;
fail:
	PQclear(PQexec(db, "ROLLBACK"));
	return -1;
}

int store_pg_open(struct store **out, const char *url, char *err, size_t errlen)
{
	struct pg_store *s = calloc(1, sizeof *s);
	if (!s || !(s->url = strdup(url))) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->base.ops = &pg_ops;
	if (pthread_key_create(&s->key, conn_free) != 0) {
		free(s->url);
		free(s);
		snprintf(err, errlen, "pthread_key_create failed");
		return -1;
	}
	pthread_mutex_init(&s->listen_mu, NULL);
	PGconn *db = connect_db(url, err, errlen);
	if (!db || check_durable(db, err, errlen) < 0 || migrate(db, err, errlen) < 0) {
		PQfinish(db);
		pg_close(&s->base);
		return -1;
	}
	struct pgconn *c = calloc(1, sizeof *c);
	if (!c) {
		PQfinish(db);
		pg_close(&s->base);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->db = db;
	pthread_setspecific(s->key, c);
	*out = &s->base;
	return 0;
}
