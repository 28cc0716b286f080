/* sqlite_identity: tenants, users, API keys and browser sessions in the
 * SQLite backend (store.h). A key's or session's lookup reads what the
 * authentication decision needs in one query. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/rows.h"
#include "store/sqlite_int.h"
#include "util/clock.h"

const char *const sqlite_identity_sql[S__COUNT] = {
	[S_TENANT_FIND] = "SELECT id FROM tenants WHERE name = ?1",
	[S_TENANT_INSERT] = "INSERT INTO tenants(id, name, created_at) VALUES(?1, ?2, ?3)",
	[S_TENANT_COUNT] = "SELECT count(*) FROM tenants",
	/* one row even for a tenant without a counter row (max() of nothing) */
	[S_TENANT_USAGE] = "SELECT coalesce(max(products), 0), coalesce(max(datasets), 0),"
			   " coalesce(max(spaces), 0), coalesce(max(users), 0)"
			   " FROM tenant_counts WHERE tenant_id = ?1",
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
			     " OR (k.expires_ms <> 0 AND k.expires_ms <= ?2) THEN 0 ELSE 1 END,"
			     " coalesce(k.expires_ms, 0)"
			     " FROM sessions s JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id"
			     " LEFT JOIN api_keys k ON k.tenant_id = s.tenant_id AND k.id = s.key_id"
			     " WHERE s.id_hash = ?1",
	[S_SESSION_TOUCH] = "UPDATE sessions SET last_seen_at = ?3 WHERE tenant_id = ?1 AND id_hash = ?2",
	[S_SESSION_DELETE] = "DELETE FROM sessions WHERE tenant_id = ?1 AND id_hash = ?2",
	[S_SESSION_SWEEP] = "DELETE FROM sessions WHERE expires_at <= ?1 OR last_seen_at <= ?2",
	[S_SESSION_COUNT] = "SELECT count(*) FROM sessions WHERE expires_at > ?1 AND last_seen_at > ?2",
};

int sqlite_tenant_find(struct store *st, char *out_id, const char *name)
{
	return sqlite_id_get(st, S_TENANT_FIND, out_id, name, NULL);
}

int sqlite_tenant_insert(struct store *st, const char *id, const char *name, const char *now)
{
	return SQLITE_RUN(st, S_TENANT_INSERT, id, name, now);
}

int sqlite_tenant_count(struct store *st, long *out)
{
	sqlite3_stmt *s = sqlite_stmt_get(st, S_TENANT_COUNT);
	return s ? sqlite_count_get(s, out) : NO_STMT;
}

int sqlite_tenant_usage(struct store *st, struct tenant_usage *out, const char *tenant)
{
	sqlite3_stmt *s = SQLITE_PREP(st, S_TENANT_USAGE, tenant);
	if (!s)
		return NO_STMT;
	int rc = sqlite_stmt_step(s);
	if (rc == STORE_ONE) {
		out->products = (long)sqlite3_column_int64(s, 0);
		out->datasets = (long)sqlite3_column_int64(s, 1);
		out->spaces = (long)sqlite3_column_int64(s, 2);
		out->users = (long)sqlite3_column_int64(s, 3);
	} else if (rc == STORE_NONE) {
		rc = STORE_HARD; /* an aggregate always has its row */
	}
	sqlite_stmt_done(s);
	return rc;
}

int sqlite_user_find_email(struct store *st, char *out_id, const char *tenant, const char *email)
{
	return sqlite_id_get(st, S_USER_FIND_EMAIL, out_id, tenant, email);
}

int sqlite_user_get(struct store *st, json_t **out, const char *tenant, const char *id)
{
	return sqlite_doc_get(st, S_USER_GET, out, tenant, id);
}

int sqlite_user_insert(struct store *st, const char *tenant, json_t *doc, unsigned roles)
{
	sqlite3_stmt *s = sqlite_stmt_get(st, S_USER_INSERT);
	if (!s)
		return NO_STMT;
	char *txt = rows_doc_text(doc);
	sqlite_bind_text(s, 1, rows_doc_str(doc, "id"));
	sqlite_bind_text(s, 2, tenant);
	sqlite_bind_text(s, 3, rows_doc_str(doc, "email"));
	sqlite3_bind_int(s, 4, (int)roles);
	sqlite_bind_text(s, 5, txt);
	free(txt);
	return sqlite_stmt_exec(s);
}

int sqlite_apikey_insert(struct store *st, const char *tenant, const struct apikey_new *k)
{
	sqlite3_stmt *s = sqlite_stmt_get(st, S_KEY_INSERT);
	if (!s)
		return NO_STMT;
	sqlite_bind_text(s, 1, k->id);
	sqlite_bind_text(s, 2, tenant);
	sqlite_bind_text(s, 3, k->user_id);
	sqlite_bind_text(s, 4, k->hash);
	sqlite_bind_text(s, 5, k->now);
	sqlite3_bind_int64(s, 6, k->expires_ms);
	sqlite_bind_text(s, 7, k->description ? k->description : "");
	sqlite_bind_text(s, 8, k->created_by);
	return sqlite_stmt_exec(s);
}

/* An ApiKey document (api-keys.d.ts) from a KEY_COLS row. */
static json_t *key_doc(sqlite3_stmt *s)
{
	const struct rows_apikey k = {
		.id = (const char *)sqlite3_column_text(s, 0),
		.tenant_id = (const char *)sqlite3_column_text(s, 1),
		.user_id = (const char *)sqlite3_column_text(s, 2),
		.created_by = (const char *)sqlite3_column_text(s, 3),
		.description = (const char *)sqlite3_column_text(s, 4),
		.created_at = (const char *)sqlite3_column_text(s, 5),
		.updated_at = (const char *)sqlite3_column_text(s, 6),
		.expires_ms = sqlite3_column_int64(s, 7),
	};
	return rows_apikey_doc(&k, clock_now_ms());
}

int sqlite_apikey_get(struct store *st, json_t **out, const char *tenant, const char *id)
{
	sqlite3_stmt *s = SQLITE_PREP(st, S_KEY_GET, tenant, id);
	if (!s)
		return NO_STMT;
	int rc = sqlite_stmt_step(s);
	if (rc == STORE_ONE)
		*out = key_doc(s);
	sqlite_stmt_done(s);
	return rc;
}

int sqlite_apikey_list(struct store *st, json_t **out, long *out_total, const char *tenant,
		       const char *user_id, long offset, long limit)
{
	sqlite3_stmt *s = SQLITE_PREP(st, S_KEY_COUNT, tenant, user_id);
	if (!s)
		return NO_STMT;
	int rc = sqlite_count_get(s, out_total);
	if (rc != STORE_ONE)
		return rc;
	if (!(s = SQLITE_PREP(st, S_KEY_LIST, tenant, user_id)))
		return NO_STMT;
	sqlite3_bind_int64(s, 3, limit);
	sqlite3_bind_int64(s, 4, offset);
	json_t *arr = json_array();
	while ((rc = sqlite_stmt_step(s)) == STORE_ONE)
		json_array_append_new(arr, key_doc(s));
	sqlite_stmt_done(s);
	if (rc != STORE_NONE) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return STORE_ONE;
}

int sqlite_apikey_describe(struct store *st, const char *tenant, const char *id,
			   const char *description, const char *now)
{
	return sqlite_rc_changed(st, SQLITE_RUN(st, S_KEY_DESCRIBE, tenant, id, description, now));
}

int sqlite_apikey_delete(struct store *st, const char *tenant, const char *id)
{
	return store_identity_wrote(st, sqlite_exec_2(st, S_KEY_DELETE, tenant, id));
}

int sqlite_apikey_count_active(struct store *st, long *out, const char *tenant,
			       const char *user_id, int64_t now_ms)
{
	sqlite3_stmt *s = SQLITE_PREP(st, S_KEY_ACTIVE, tenant, user_id);
	if (!s)
		return NO_STMT;
	sqlite3_bind_int64(s, 3, now_ms);
	return sqlite_count_get(s, out);
}

int sqlite_user_update(struct store *st, const char *tenant, json_t *doc, unsigned roles)
{
	sqlite3_stmt *s = sqlite_stmt_get(st, S_USER_UPDATE);
	if (!s)
		return NO_STMT;
	char *txt = rows_doc_text(doc);
	sqlite_bind_text(s, 1, tenant);
	sqlite_bind_text(s, 2, rows_doc_str(doc, "id"));
	sqlite_bind_text(s, 3, rows_doc_str(doc, "email"));
	sqlite3_bind_int(s, 4, (int)roles);
	sqlite_bind_text(s, 5, rows_doc_str(doc, "status"));
	sqlite_bind_text(s, 6, txt);
	free(txt);
	return store_identity_wrote(st, sqlite_rc_changed(st, sqlite_stmt_exec(s)));
}

int sqlite_user_delete(struct store *st, const char *tenant, const char *id)
{
	return store_identity_wrote(st, sqlite_exec_2(st, S_USER_DELETE, tenant, id));
}

int sqlite_user_list(struct store *st, json_t **out, long *out_total, const char *tenant,
		     const char *email, long offset, long limit)
{
	return sqlite_docs_page(st, out, out_total, S_USER_COUNT, S_USER_LIST, tenant, email, offset, limit);
}

int sqlite_apikey_lookup(struct store *st, struct apikey_row *out, const char *hash)
{
	sqlite3_stmt *s = SQLITE_PREP(st, S_KEY_LOOKUP, hash);
	if (!s)
		return NO_STMT;
	int rc = sqlite_stmt_step(s);
	if (rc == STORE_ONE) {
		snprintf(out->id, sizeof out->id, "%s", (const char *)sqlite3_column_text(s, 0));
		snprintf(out->tenant_id, sizeof out->tenant_id, "%s", (const char *)sqlite3_column_text(s, 1));
		snprintf(out->user_id, sizeof out->user_id, "%s", (const char *)sqlite3_column_text(s, 2));
		out->expires_ms = sqlite3_column_int64(s, 3);
		out->roles = (unsigned)sqlite3_column_int(s, 4);
		const char *status = (const char *)sqlite3_column_text(s, 5);
		out->user_active = status && strcmp(status, "active") == 0;
	}
	sqlite_stmt_done(s);
	return rc;
}

int sqlite_session_insert(struct store *st, const char *tenant, const struct session_new *n)
{
	sqlite3_stmt *s = SQLITE_PREP(st, S_SESSION_INSERT, tenant, n->id_hash, n->user_id,
				      n->key_id, n->created_via);
	if (!s)
		return NO_STMT;
	sqlite3_bind_int64(s, 6, n->now_ms);
	sqlite3_bind_int64(s, 7, n->expires_ms);
	return sqlite_stmt_exec(s);
}

int sqlite_session_lookup(struct store *st, struct session_row *out, const char *id_hash,
			  int64_t now_ms)
{
	sqlite3_stmt *s = SQLITE_PREP(st, S_SESSION_LOOKUP, id_hash);
	if (!s)
		return NO_STMT;
	sqlite3_bind_int64(s, 2, now_ms);
	int rc = sqlite_stmt_step(s);
	if (rc == STORE_ONE) {
		sqlite_col_copy(out->tenant_id, sizeof out->tenant_id, s, 0);
		sqlite_col_copy(out->user_id, sizeof out->user_id, s, 1);
		sqlite_col_copy(out->key_id, sizeof out->key_id, s, 2);
		sqlite_col_copy(out->created_via, sizeof out->created_via, s, 3);
		out->last_seen_ms = sqlite3_column_int64(s, 4);
		out->expires_ms = sqlite3_column_int64(s, 5);
		out->roles = (unsigned)sqlite3_column_int(s, 6);
		const char *status = (const char *)sqlite3_column_text(s, 7);
		out->user_active = status && strcmp(status, "active") == 0;
		out->key_ok = sqlite3_column_int(s, 8) != 0;
		out->key_expires_ms = sqlite3_column_int64(s, 9);
	}
	sqlite_stmt_done(s);
	return rc;
}

int sqlite_session_touch(struct store *st, const char *tenant, const char *id_hash,
			 int64_t now_ms)
{
	sqlite3_stmt *s = SQLITE_PREP(st, S_SESSION_TOUCH, tenant, id_hash);
	if (!s)
		return NO_STMT;
	sqlite3_bind_int64(s, 3, now_ms);
	return sqlite_rc_changed(st, sqlite_stmt_exec(s));
}

int sqlite_session_delete(struct store *st, const char *tenant, const char *id_hash)
{
	return store_identity_wrote(st, sqlite_exec_2(st, S_SESSION_DELETE, tenant, id_hash));
}

int sqlite_session_sweep(struct store *st, long *out_deleted, int64_t now_ms,
			 int64_t idle_before_ms)
{
	sqlite3_stmt *s = sqlite_stmt_get(st, S_SESSION_SWEEP);
	if (!s)
		return NO_STMT;
	sqlite3_bind_int64(s, 1, now_ms);
	sqlite3_bind_int64(s, 2, idle_before_ms);
	int rc = sqlite_stmt_exec(s);
	if (out_deleted)
		*out_deleted = rc == STORE_ONE ? (long)sqlite3_changes(sqlite_conn_get(st)->db) : 0;
	return rc;
}

int sqlite_session_count(struct store *st, long *out, int64_t now_ms, int64_t idle_before_ms)
{
	sqlite3_stmt *s = sqlite_stmt_get(st, S_SESSION_COUNT);
	if (!s)
		return NO_STMT;
	sqlite3_bind_int64(s, 1, now_ms);
	sqlite3_bind_int64(s, 2, idle_before_ms);
	return sqlite_count_get(s, out);
}
