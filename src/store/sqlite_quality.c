/* sqlite_quality: quality batches and computations (the job queue the
 * workers claim from), their results, trust scores and the tenant's trust
 * settings, in the SQLite backend (store.h). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include "store/rows.h"
#include "store/sqlite_int.h"
#include "util/clock.h"

const char *const sqlite_quality_sql[S__COUNT] = {
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
			" started_at = ?2, owner = ?3, lease_until = ?4"
			" WHERE id = ?1 AND status = 'REQUESTED'",
	[S_COMP_RENEW] = "UPDATE computations SET lease_until = ?4 WHERE id = ?1 AND owner = ?2"
			 " AND attempts = ?3 AND status = 'SUBMITTED'",
	[S_COMP_FINISH] = "UPDATE computations SET status = ?2, error_code = ?3, error_reason = ?4,"
			  " result = ?5, finished_at = ?6, lease_until = NULL WHERE id = ?1"
			  " AND owner = ?7 AND attempts = ?8 AND status = 'SUBMITTED'",
	/* gone: the lease expired, or another process owned it (this backend
	 * serves one process: that one has ended) */
#define COMP_GONE " status = 'SUBMITTED' AND (lease_until IS NULL OR lease_until <= ?3" \
		  " OR owner IS NOT ?4)"
	[S_COMP_REQUEUE] = "UPDATE computations SET status = 'REQUESTED', started_at = NULL,"
			   " owner = NULL, lease_until = NULL WHERE" COMP_GONE " AND attempts < ?1",
	[S_COMP_GIVEUP] = "UPDATE computations SET status = 'FAILED', error_code = 'DQ-500',"
			  " error_reason = 'interrupted ' || attempts || ' times (its server stopped"
			  " or stopped renewing its lease)', finished_at = ?2, lease_until = NULL"
			  " WHERE" COMP_GONE " AND attempts >= ?1",
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
	[S_DERIVE_MARK] = "INSERT INTO derive_stale(tenant_id, kind, id, marked_at) VALUES(?1, ?2, ?3, ?4)"
			  " ON CONFLICT(tenant_id, kind, id) DO NOTHING",
	[S_DERIVE_NEXT] = "SELECT tenant_id, marked_at, (SELECT count(*) FROM derive_stale)"
			  " FROM derive_stale ORDER BY marked_at LIMIT 1",
	[S_DERIVE_TAKE] = "SELECT kind, id FROM derive_stale WHERE tenant_id = ?1"
			  " ORDER BY marked_at, kind, id LIMIT ?2",
	[S_DERIVE_CLEAR] = "DELETE FROM derive_stale WHERE tenant_id = ?1 AND kind = ?2 AND id = ?3",
};

int sqlite_batch_insert(struct store *st, const char *tenant, const char *id,
			const char *product_id, const char *now, const char *user_id)
{
	return SQLITE_RUN(st, S_BATCH_INSERT, id, tenant, product_id, now, user_id);
}

int sqlite_computation_insert(struct store *st, const char *tenant, const char *id,
			      const char *batch_id, const char *dataset_id, const char *status,
			      const char *error_code, const char *error_reason, const char *now,
			      const char *user_id)
{
	return SQLITE_RUN(st, S_COMP_INSERT, id, tenant, batch_id, dataset_id, status, error_code,
			  error_reason, now, user_id);
}

/* A COMP_COLS row as JSON (null columns left out); COMP_COLS is in the
 * order of enum rows_computation_col. */
static json_t *comp_doc(sqlite3_stmt *s)
{
	struct rows_computation r = {
		.has_attempts = sqlite3_column_type(s, ROWS_COMP_ATTEMPTS) != SQLITE_NULL,
		.attempts = sqlite3_column_int(s, ROWS_COMP_ATTEMPTS),
	};
	for (int i = 0; i < ROWS_COMP__COUNT; i++)
		if (i != ROWS_COMP_ATTEMPTS)
			r.text[i] = (const char *)sqlite3_column_text(s, i);
	return rows_computation_doc(&r);
}

static int one_comp(struct store *st, enum stmt_id id, json_t **out, const char *a, const char *b)
{
	sqlite3_stmt *s = SQLITE_PREP(st, id, a, b);
	if (!s)
		return NO_STMT;
	int rc = sqlite_stmt_step(s);
	if (rc == STORE_ONE)
		*out = comp_doc(s);
	sqlite_stmt_done(s);
	return rc;
}

int sqlite_computation_get(struct store *st, json_t **out, const char *tenant, const char *id)
{
	return one_comp(st, S_COMP_GET, out, tenant, id);
}

int sqlite_quality_last_attempt(struct store *st, json_t **out, const char *tenant,
				const char *dataset_id)
{
	return one_comp(st, S_QUALITY_LAST, out, tenant, dataset_id);
}

int sqlite_batch_computations(struct store *st, json_t **out, const char *tenant,
			      const char *batch_id)
{
	/* a batch exists even with no computations (a product without data sets) */
	sqlite3_stmt *s = SQLITE_PREP(st, S_BATCH_EXISTS, tenant, batch_id);
	if (!s)
		return NO_STMT;
	int found = sqlite_stmt_step(s);
	sqlite_stmt_done(s);
	if (found <= 0)
		return found;
	if (!(s = SQLITE_PREP(st, S_COMP_BATCH, tenant, batch_id)))
		return NO_STMT;
	json_t *arr = json_array();
	int rc;
	while ((rc = sqlite_stmt_step(s)) == STORE_ONE)
		json_array_append_new(arr, comp_doc(s));
	sqlite_stmt_done(s);
	if (rc != STORE_NONE) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return STORE_ONE;
}

int sqlite_computation_claim(struct store *st, struct computation *out, const char *owner,
			     int64_t lease_ms, const char *now)
{
	sqlite3_stmt *s = sqlite_stmt_get(st, S_COMP_NEXT);
	if (!s)
		return NO_STMT;
	int rc = sqlite_stmt_step(s);
	if (rc == STORE_ONE) {
		snprintf(out->id, sizeof out->id, "%s", (const char *)sqlite3_column_text(s, 0));
		snprintf(out->tenant_id, sizeof out->tenant_id, "%s", (const char *)sqlite3_column_text(s, 1));
		snprintf(out->dataset_id, sizeof out->dataset_id, "%s", (const char *)sqlite3_column_text(s, 2));
		snprintf(out->requested_by, sizeof out->requested_by, "%s",
			 (const char *)sqlite3_column_text(s, 3));
		out->attempts = sqlite3_column_int(s, 4) + 1;
	}
	sqlite_stmt_done(s);
	if (rc != STORE_ONE)
		return rc;
	if (!(s = SQLITE_PREP(st, S_COMP_TAKE, out->id, now, owner)))
		return NO_STMT;
	sqlite3_bind_int64(s, 4, clock_now_ms() + lease_ms);
	return sqlite_rc_changed(st, sqlite_stmt_exec(s));
}

int sqlite_computation_renew(struct store *st, const char *id, const char *owner, int attempts,
			     int64_t lease_ms)
{
	sqlite3_stmt *s = SQLITE_PREP(st, S_COMP_RENEW, id, owner);
	if (!s)
		return NO_STMT;
	sqlite3_bind_int(s, 3, attempts);
	sqlite3_bind_int64(s, 4, clock_now_ms() + lease_ms);
	return sqlite_rc_changed(st, sqlite_stmt_exec(s));
}

int sqlite_computation_finish(struct store *st, const char *id, const char *owner, int attempts,
			      const char *status, const char *error_code,
			      const char *error_reason, json_t *result, const char *now)
{
	char *txt = result ? rows_doc_text(result) : NULL;
	sqlite3_stmt *s = SQLITE_PREP(st, S_COMP_FINISH, id, status, error_code, error_reason, txt,
				      now, owner);
	free(txt);
	if (!s)
		return NO_STMT;
	sqlite3_bind_int(s, 8, attempts);
	return sqlite_rc_changed(st, sqlite_stmt_exec(s));
}

/* Runs the requeue or give-up statement; *out_n = rows changed. */
static int recover_step(struct store *st, enum stmt_id id, long *out_n, const char *self,
			int max_attempts, const char *now)
{
	*out_n = 0;
	sqlite3_stmt *s = sqlite_stmt_get(st, id);
	if (!s)
		return NO_STMT;
	sqlite3_bind_int(s, 1, max_attempts);
	sqlite_bind_text(s, 2, now);
	sqlite3_bind_int64(s, 3, clock_now_ms());
	sqlite_bind_text(s, 4, self);
	int rc = sqlite_stmt_exec(s);
	if (rc == STORE_ONE)
		*out_n = sqlite3_changes(sqlite_conn_get(st)->db);
	return rc;
}

int sqlite_computation_recover(struct store *st, long *out_requeued, long *out_failed,
			       const char *self, int max_attempts, const char *now)
{
	*out_requeued = 0;
	int rc = recover_step(st, S_COMP_GIVEUP, out_failed, self, max_attempts, now);
	if (rc == STORE_ONE)
		rc = recover_step(st, S_COMP_REQUEUE, out_requeued, self, max_attempts, now);
	return rc;
}

/* One process, one queue: its API wakes its own workers (worker_notify). */
int sqlite_computation_listen(struct store *st, int *out_fd)
{
	(void)st;
	*out_fd = -1;
	return STORE_NONE;
}

int sqlite_computation_notices(struct store *st, int *out_n)
{
	(void)st;
	*out_n = 0;
	return STORE_NONE;
}

int sqlite_quality_latest(struct store *st, json_t **out, char *out_at, char *out_by,
			  const char *tenant, const char *dataset_id)
{
	sqlite3_stmt *s = SQLITE_PREP(st, S_QUALITY_LATEST, tenant, dataset_id);
	if (!s)
		return NO_STMT;
	int rc = sqlite_stmt_step(s);
	if (rc == STORE_ONE && (rc = sqlite_doc_read(s, out)) == STORE_ONE) {
		snprintf(out_at, ISO_TS_LEN + 1, "%s", (const char *)sqlite3_column_text(s, 1));
		snprintf(out_by, GUID_LEN + 1, "%s", (const char *)sqlite3_column_text(s, 2));
	}
	sqlite_stmt_done(s);
	return rc;
}

int sqlite_trust_get(struct store *st, json_t **out, const char *tenant, const char *dataset_id)
{
	return sqlite_doc_get(st, S_TRUST_GET, out, tenant, dataset_id);
}

int sqlite_trust_dataset_ids(struct store *st, json_t **out, const char *tenant)
{
	sqlite3_stmt *s = SQLITE_PREP(st, S_TRUST_IDS, tenant);
	if (!s)
		return NO_STMT;
	json_t *ids = json_array();
	int rc;
	while ((rc = sqlite_stmt_step(s)) == STORE_ONE)
		json_array_append_new(ids, json_string((const char *)sqlite3_column_text(s, 0)));
	sqlite_stmt_done(s);
	if (rc != STORE_NONE) {
		json_decref(ids);
		return rc;
	}
	*out = ids;
	return STORE_ONE;
}

int sqlite_trust_put(struct store *st, const char *tenant, const char *dataset_id, double score,
		     json_t *doc, const char *now)
{
	sqlite3_stmt *s = sqlite_stmt_get(st, S_TRUST_PUT);
	if (!s)
		return NO_STMT;
	char *txt = rows_doc_text(doc);
	sqlite_bind_text(s, 1, tenant);
	sqlite_bind_text(s, 2, dataset_id);
	sqlite3_bind_double(s, 3, score);
	sqlite_bind_text(s, 4, txt);
	sqlite_bind_text(s, 5, now);
	free(txt);
	return sqlite_stmt_exec(s);
}

int sqlite_settings_get(struct store *st, json_t **out, const char *tenant)
{
	return sqlite_doc_get(st, S_SETTINGS_GET, out, tenant, NULL);
}

int sqlite_settings_put(struct store *st, const char *tenant, json_t *trust_config)
{
	char *txt = rows_doc_text(trust_config);
	int rc = SQLITE_RUN(st, S_SETTINGS_PUT, tenant, txt);
	free(txt);
	return rc;
}

/* ---- stale derived values (issue 12) -------------------------------------- */

int sqlite_derive_mark(struct store *st, const char *tenant, const char *kind, const char *id,
		       int64_t now_ms)
{
	sqlite3_stmt *s = SQLITE_PREP(st, S_DERIVE_MARK, tenant, kind, id);
	if (!s)
		return NO_STMT;
	sqlite3_bind_int64(s, 4, now_ms);
	return sqlite_stmt_exec(s);
}

int sqlite_derive_next(struct store *st, char *out_tenant, long *out_pending, int64_t *out_oldest_ms)
{
	*out_pending = 0;
	*out_oldest_ms = 0;
	sqlite3_stmt *s = sqlite_stmt_get(st, S_DERIVE_NEXT);
	if (!s)
		return NO_STMT;
	int rc = sqlite_stmt_step(s);
	if (rc == STORE_ONE) {
		if (out_tenant)
			snprintf(out_tenant, GUID_LEN + 1, "%s", (const char *)sqlite3_column_text(s, 0));
		*out_oldest_ms = sqlite3_column_int64(s, 1);
		*out_pending = (long)sqlite3_column_int64(s, 2);
	}
	sqlite_stmt_done(s);
	return rc;
}

int sqlite_derive_take(struct store *st, json_t **out, const char *tenant, long limit)
{
	sqlite3_stmt *s = SQLITE_PREP(st, S_DERIVE_TAKE, tenant);
	if (!s)
		return NO_STMT;
	sqlite3_bind_int64(s, 2, limit);
	json_t *marks = json_array();
	int rc;
	while ((rc = sqlite_stmt_step(s)) == STORE_ONE)
		json_array_append_new(marks, json_pack("[s, s]", (const char *)sqlite3_column_text(s, 0),
						       (const char *)sqlite3_column_text(s, 1)));
	sqlite_stmt_done(s);
	if (rc != STORE_NONE) {
		json_decref(marks);
		return rc;
	}
	*out = marks;
	return STORE_ONE;
}

int sqlite_derive_clear(struct store *st, const char *tenant, const char *kind, const char *id)
{
	return sqlite_exec_3(st, S_DERIVE_CLEAR, tenant, kind, id);
}
