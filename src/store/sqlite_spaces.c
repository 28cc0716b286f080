/* sqlite_spaces: spaces, their member assignments and the spaces a user
 * can reach, in the SQLite backend (store.h). */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include "store/rows.h"
#include "store/sqlite_int.h"
#include "util/strbuf.h"

const char *const sqlite_spaces_sql[S__COUNT] = {
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
};

int sqlite_space_insert(struct store *st, const char *tenant, json_t *doc)
{
	char *txt = rows_doc_text(doc);
	int rc = SQLITE_RUN(st, S_SPACE_INSERT, rows_doc_str(doc, "id"), tenant,
			    rows_doc_str(doc, "name"), rows_doc_str(doc, "type"),
			    rows_doc_str(doc, "ownerId"), rows_doc_str(doc, "createdAt"), txt);
	free(txt);
	return rc;
}

int sqlite_space_get(struct store *st, json_t **out, const char *tenant, const char *id)
{
	return sqlite_doc_get(st, S_SPACE_GET, out, tenant, id);
}

int sqlite_space_update(struct store *st, const char *tenant, json_t *doc)
{
	char *txt = rows_doc_text(doc);
	int rc = SQLITE_RUN(st, S_SPACE_UPDATE, tenant, rows_doc_str(doc, "id"),
			    rows_doc_str(doc, "name"), rows_doc_str(doc, "type"),
			    rows_doc_str(doc, "ownerId"), txt);
	free(txt);
	return sqlite_rc_changed(st, rc);
}

int sqlite_space_delete(struct store *st, const char *tenant, const char *id)
{
	return sqlite_exec_2(st, S_SPACE_DELETE, tenant, id);
}

int sqlite_space_usage(struct store *st, long *out, const char *tenant, const char *id)
{
	sqlite3_stmt *s = SQLITE_PREP(st, S_SPACE_USAGE, tenant, id);
	return s ? sqlite_count_get(s, out) : NO_STMT;
}

int sqlite_space_roles(struct store *st, unsigned *out, const char *tenant,
		       const char *space_id, const char *user_id)
{
	sqlite3_stmt *s = SQLITE_PREP(st, S_SPACE_ROLES, tenant, space_id, user_id);
	if (!s)
		return NO_STMT;
	int rc = sqlite_stmt_step(s);
	*out = rc == STORE_ONE ? (unsigned)sqlite3_column_int(s, 0) : 0;
	sqlite_stmt_done(s);
	return rc < 0 ? rc : STORE_ONE;
}

int sqlite_user_spaces(struct store *st, json_t **out, const char *tenant, const char *user_id)
{
	sqlite3_stmt *s = SQLITE_PREP(st, S_USER_SPACES, tenant, user_id);
	if (!s)
		return STORE_HARD;
	int rc = sqlite_docs_collect(s, out);
	sqlite_stmt_done(s);
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
	sqlite_bind_text(s, 1, tenant);
	sqlite_bind_text(s, 2, q->viewer_id);
	sqlite_bind_text(s, 3, q->type);
	sqlite_bind_text(s, 4, name_lc);
	sqlite_bind_text(s, 5, q->owner_id);
}

int sqlite_space_list(struct store *st, json_t **out, long *out_total, const char *tenant,
		      const struct space_query *q)
{
	struct conn *c = sqlite_conn_get(st);
	if (!c)
		return STORE_HARD;
	char *name_lc = q->name ? strdup(q->name) : NULL;
	if (name_lc)
		rows_lower_ascii(name_lc);
	struct strbuf sql;
	strbuf_init(&sql);
	strbuf_puts(&sql, "SELECT count(*) FROM spaces s");
	space_where(&sql, q);
	sqlite3_stmt *s = NULL;
	int rc = STORE_HARD;
	if (sqlite3_prepare_v2(c->db, sql.data, -1, &s, NULL) != SQLITE_OK)
		goto out;
	space_bind(s, tenant, q, name_lc);
	rc = sqlite_count_get(s, out_total);
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
	rc = sqlite_docs_collect(s, out);
out:
	sqlite3_finalize(s);
	strbuf_free(&sql);
	free(name_lc);
	return rc;
}

int sqlite_assignment_insert(struct store *st, const char *tenant, json_t *doc, unsigned roles)
{
	sqlite3_stmt *s = sqlite_stmt_get(st, S_ASG_INSERT);
	if (!s)
		return NO_STMT;
	char *txt = rows_doc_text(doc);
	sqlite_bind_text(s, 1, rows_doc_str(doc, "id"));
	sqlite_bind_text(s, 2, tenant);
	sqlite_bind_text(s, 3, rows_doc_str(doc, "spaceId"));
	sqlite_bind_text(s, 4, rows_doc_str(doc, "assigneeId"));
	sqlite3_bind_int(s, 5, (int)roles);
	sqlite_bind_text(s, 6, rows_doc_str(doc, "createdAt"));
	sqlite_bind_text(s, 7, txt);
	free(txt);
	return sqlite_stmt_exec(s);
}

int sqlite_assignment_get(struct store *st, json_t **out, const char *tenant,
			  const char *space_id, const char *id)
{
	return sqlite_doc_get3(st, S_ASG_GET, out, tenant, space_id, id);
}

int sqlite_assignment_find(struct store *st, json_t **out, const char *tenant,
			   const char *space_id, const char *assignee_id)
{
	return sqlite_doc_get3(st, S_ASG_FIND, out, tenant, space_id, assignee_id);
}

int sqlite_assignment_list(struct store *st, json_t **out, long *out_total, const char *tenant,
			   const char *space_id, long offset, long limit)
{
	return sqlite_docs_page(st, out, out_total, S_ASG_COUNT, S_ASG_LIST, tenant, space_id, offset, limit);
}

int sqlite_assignment_delete(struct store *st, const char *tenant, const char *space_id,
			     const char *id)
{
	return sqlite_exec_3(st, S_ASG_DELETE, tenant, space_id, id);
}
