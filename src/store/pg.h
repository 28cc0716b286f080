/* pg: internals shared by the PostgreSQL backend's files (pg.c: connection,
 * transactions, errors, migrations and the per-resource operations;
 * pg_products.c: products, lists, facets, search, changelogs). Not a public
 * interface: store.h is. docs/pg-status.md says what is done. */
#ifndef DP_STORE_PG_H
#define DP_STORE_PG_H
#include <libpq-fe.h>
#include <stdbool.h>
#include "store/store.h"
#include "store/store_ops.h"
#include "util/strbuf.h"

/* Status mapping of a failed statement (pg.c fail_rc), for store/tx.c's
 * runner: a unique violation (23505) is a conflict (the runner reruns the
 * body once, whose own check then sees the winner); a serialization failure
 * (40001), a deadlock (40P01), a lock not available (55P03) and a connection
 * lost inside a transaction or while idle before BEGIN are STORE_RETRY (the
 * whole transaction runs again); a connection lost during COMMIT is
 * STORE_HARD (the outcome is unknown: never retried). */
#define PG_CONFLICT STORE_CONFLICT

/* Prepared statements, one PQprepare per connection on first use. */
enum pg_stmt {
	P_LOCK_TENANT, P_RATE_TAKE, P_RATE_SWEEP,
	P_TENANT_FIND, P_TENANT_INSERT, P_TENANT_COUNT, P_TENANT_USAGE,
	P_USER_FIND_EMAIL, P_USER_GET, P_USER_INSERT, P_USER_UPDATE, P_USER_DELETE, P_USER_LIST,
	P_USER_COUNT,
	P_KEY_INSERT, P_KEY_LOOKUP, P_KEY_GET, P_KEY_LIST, P_KEY_COUNT, P_KEY_DESCRIBE, P_KEY_DELETE,
	P_KEY_ACTIVE,
	P_SESSION_INSERT, P_SESSION_LOOKUP, P_SESSION_TOUCH, P_SESSION_DELETE, P_SESSION_SWEEP,
	P_SESSION_COUNT,
	P_SPACE_INSERT, P_SPACE_GET, P_SPACE_UPDATE, P_SPACE_DELETE, P_SPACE_USAGE, P_SPACE_ROLES,
	P_USER_SPACES,
	P_ASG_INSERT, P_ASG_GET, P_ASG_FIND, P_ASG_LIST, P_ASG_COUNT, P_ASG_DELETE,
	P_DATASET_INSERT, P_DATASET_GET, P_DATASET_UPDATE, P_DATASET_REINDEX, P_DATASET_DELETE,
	P_DATASET_PRODUCTS, P_DATASET_USAGE, P_DATASET_LIST, P_DATASET_COUNT,
	P_BATCH_INSERT, P_BATCH_EXISTS, P_COMP_INSERT, P_COMP_GET, P_COMP_BATCH, P_COMP_CLAIM,
	P_COMP_RENEW, P_COMP_FINISH, P_COMP_REQUEUE, P_COMP_GIVEUP, P_QUALITY_LATEST, P_QUALITY_LAST,
	P_TRUST_GET, P_TRUST_IDS, P_TRUST_PUT, P_SETTINGS_GET, P_SETTINGS_PUT,
	P_DERIVE_MARK, P_DERIVE_NEXT, P_DERIVE_TAKE, P_DERIVE_CLEAR,
	P_PRODUCT_GET, P_PRODUCT_ACCESS, P_PRODUCT_INSERT, P_PRODUCT_UPDATE, P_PRODUCT_DELETE,
	P_CHANGELOG_APPEND, P_CHANGELOG_PAGE_ASC, P_CHANGELOG_PAGE_DESC, P_CHANGELOG_COUNT,
	P__COUNT
};

extern const char *const pg_stmt_sql[P__COUNT];

/* Runs prepared statement id with n text parameters (NULL = SQL NULL).
 * tenant: the tenant the call works on (NULL: none): inside a write
 * transaction its advisory lock is taken first (docs/decisions.md).
 * Returns the result (PQclear it) with *rc = STORE_ONE, or NULL with *rc
 * the failure (STORE_RETRY / STORE_UNAVAILABLE / STORE_HARD / PG_CONFLICT). */
PGresult *pg_run(struct store *st, enum pg_stmt id, const char *tenant, int n,
		 const char *const *v, int *rc);
/* The same for generated SQL: prepared on first use and kept in a per-
 * connection cache keyed by the SQL text (pg.c SQL_CACHE), so the text
 * should hold no values: limits and offsets are parameters too. */
PGresult *pg_run_sql(struct store *st, const char *sql, const char *tenant, int n,
		     const char *const *v, int *rc);
/* The same, planned for these values and not kept (PQexecParams): for
 * statements whose best plan depends on the values (a search's words), where
 * a prepared statement's generic plan measured slower. */
PGresult *pg_run_sql_once(struct store *st, const char *sql, const char *tenant, int n,
			  const char *const *v, int *rc);

#define PG_NARGS(...) ((int)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)))
#define PG_RUN(st, id, tenant, rcp, ...)                                                   \
	pg_run((st), (id), (tenant), PG_NARGS(__VA_ARGS__), (const char *const[]){__VA_ARGS__}, (rcp))

/* Helpers over a result. */
const char *pg_val(const PGresult *r, int row, int col); /* NULL for SQL NULL */
long long pg_ll(const PGresult *r, int row, int col);    /* 0 for NULL */
/* Rows 0..n of column 0 parsed as JSON into a new array. */
int pg_docs(PGresult *r, json_t **out);
/* Rows 0..n of column col appended to out as stored text (store/docs.h);
 * SQL NULLs are skipped (the one row of an empty page's LEFT JOIN). */
int pg_texts(PGresult *r, int col, struct store_docs *out);
/* "{\"a\",\"b\"}": a text[] literal of the strings of a JSON array. */
void pg_text_array(struct strbuf *sb, const json_t *arr);
/* Integer parameter text. */
const char *pg_i64(char buf[24], long long v);
#define PG_I64(v) pg_i64((char[24]){0}, (v))
/* Runs id, STORE_ONE when it changed a row, STORE_NONE when none. */
int pg_changed(struct store *st, enum pg_stmt id, const char *tenant, int n, const char *const *v);
#define PG_CHANGED(st, id, tenant, ...)                                                    \
	pg_changed((st), (id), (tenant), PG_NARGS(__VA_ARGS__), (const char *const[]){__VA_ARGS__})
/* Runs id and reads column 0 of its one row as a document (STORE_NONE: no row). */
int pg_get_doc(struct store *st, enum pg_stmt id, const char *tenant, json_t **out, int n,
	       const char *const *v);
#define PG_GET_DOC(st, id, tenant, out, ...)                                               \
	pg_get_doc((st), (id), (tenant), (out), PG_NARGS(__VA_ARGS__),                      \
		   (const char *const[]){__VA_ARGS__})
/* Reads column 0 of the one row as a count. */
int pg_get_count(PGresult *r, const int *rc, long *out);

/* ---- the store operations (store.h, struct store_ops) -------------------- */

/* int pg_<op>(...) for every operation of store_ops.h, as the SQLite backend
 * declares its own (sqlite_int.h), so that an operation added to the list
 * does not build until both backends define it: pg.c defines the
 * transaction calls and every resource but products, pg_products.c
 * (product_*, changelog_*); pg.c gathers them into the store_ops table. */
#define X(ret, name, params) ret pg_##name params;
STORE_OPS(X)
#undef X

#endif
