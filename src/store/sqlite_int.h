/* sqlite_int: what the SQLite backend's files share and nothing outside
 * src/store/sqlite*.c may include (SQLite's own sqliteInt.h plays this part).
 * The connection (one per worker thread, struct conn), the statement ids and
 * the helpers that prepare, bind, step and read them, the search functions
 * the product list calls, and every store operation's definition, which
 * sqlite.c gathers into the store_ops table. Status values are store.h's
 * enum store_rc throughout. */
#ifndef DP_SQLITE_INT_H
#define DP_SQLITE_INT_H
#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include "store/store.h"
#include "store/store_ops.h"
#include "util/strbuf.h"

/* Every prepared statement of the backend, by file; its SQL is in that
 * file's table (sqlite_<file>_sql, below), prepared once per connection. */
enum stmt_id {
	/* sqlite.c */
	S_BEGIN_R, S_BEGIN_W, S_COMMIT, S_ROLLBACK, S_PING,
	/* sqlite_identity.c */
	S_TENANT_FIND, S_TENANT_INSERT, S_TENANT_COUNT, S_TENANT_USAGE,
	S_USER_FIND_EMAIL, S_USER_GET, S_USER_INSERT, S_USER_UPDATE, S_USER_DELETE, S_USER_LIST,
	S_USER_COUNT,
	S_KEY_INSERT, S_KEY_LOOKUP, S_KEY_GET, S_KEY_LIST, S_KEY_COUNT, S_KEY_DESCRIBE, S_KEY_DELETE,
	S_KEY_ACTIVE,
	S_SESSION_INSERT, S_SESSION_LOOKUP, S_SESSION_TOUCH, S_SESSION_DELETE, S_SESSION_SWEEP,
	S_SESSION_COUNT,
	/* sqlite_spaces.c */
	S_SPACE_INSERT, S_SPACE_GET, S_SPACE_UPDATE, S_SPACE_DELETE, S_SPACE_USAGE, S_SPACE_ROLES, S_USER_SPACES,
	S_ASG_INSERT, S_ASG_GET, S_ASG_FIND, S_ASG_LIST, S_ASG_COUNT, S_ASG_DELETE,
	/* sqlite_datasets.c */
	S_DATASET_INSERT, S_DATASET_GET, S_DATASET_UPDATE, S_DATASET_DELETE, S_DATASET_PRODUCTS,
	S_DATASET_USAGE,
	S_DATASET_LIST, S_DATASET_COUNT,
	/* sqlite_quality.c */
	S_BATCH_INSERT, S_BATCH_EXISTS, S_COMP_INSERT, S_COMP_GET, S_COMP_BATCH, S_COMP_NEXT, S_COMP_TAKE,
	S_COMP_RENEW, S_COMP_FINISH, S_COMP_REQUEUE, S_COMP_GIVEUP, S_QUALITY_LATEST, S_QUALITY_LAST,
	S_TRUST_GET, S_TRUST_IDS, S_TRUST_PUT, S_SETTINGS_GET, S_SETTINGS_PUT,
	S_DERIVE_MARK, S_DERIVE_NEXT, S_DERIVE_TAKE, S_DERIVE_CLEAR,
	/* sqlite_products.c */
	S_PRODUCT_GET, S_PRODUCT_ACCESS, S_PRODUCT_INSERT, S_PRODUCT_UPDATE, S_PRODUCT_DELETE,
	S_TAGS_DELETE, S_TAG_INSERT, S_PD_DELETE, S_PD_INSERT,
	/* sqlite_changelogs.c */
	S_CHANGELOG_INSERT, S_CHANGELOG_PAGE_ASC, S_CHANGELOG_PAGE_DESC, S_CHANGELOG_COUNT,
	S__COUNT
};

/* The SQL of the statements each file runs, indexed by stmt_id (NULL for
 * the others); sqlite.c looks a statement's text up in these. */
extern const char *const sqlite_identity_sql[S__COUNT];
extern const char *const sqlite_spaces_sql[S__COUNT];
extern const char *const sqlite_datasets_sql[S__COUNT];
extern const char *const sqlite_quality_sql[S__COUNT];
extern const char *const sqlite_products_sql[S__COUNT];
extern const char *const sqlite_changelogs_sql[S__COUNT];

/* Search statements whose SQL is generated (the MATCH expression is bound,
 * so the text repeats): prepared once per connection, keyed by the text. */
#define SEARCH_CACHE 16
struct cached_stmt {
	char *sql;
	sqlite3_stmt *s;
};

/* One worker thread's connection (sqlite_conn_get). */
struct conn {
	sqlite3 *db;
	sqlite3_stmt *stmts[S__COUNT];
	struct cached_stmt cache[SEARCH_CACHE];
	unsigned cache_next; /* round-robin victim when the cache is full */
	bool write_tx;          /* inside BEGIN IMMEDIATE */
	sqlite3_int64 changes0; /* sqlite3_total_changes at BEGIN IMMEDIATE */
};

/* ---- sqlite.c: connections, statements, status mapping ---------------- */

/* The storage conditions of store.h, by SQLite primary result code. */
enum store_fault sqlite_fault_kind(int rc);
/* Notes rc when it is a storage condition (db may be NULL); returns it. */
int sqlite_rc_note(sqlite3 *db, int rc);
/* The calling thread's connection, opened on first use; NULL when it
 * cannot be opened (sqlite_stmt_fail_rc says why). */
struct conn *sqlite_conn_get(struct store *st);

/* Why this thread's last sqlite_stmt_get() returned NULL: STORE_UNAVAILABLE
 * for a storage condition (cannot open, corrupt schema), else STORE_HARD. */
extern _Thread_local int sqlite_stmt_fail_rc;
#define NO_STMT sqlite_stmt_fail_rc

/* The connection's statement id, reset and ready for binding, or NULL.
 * Owned by the connection: release with sqlite_stmt_done(). */
sqlite3_stmt *sqlite_stmt_get(struct store *st, enum stmt_id id);
/* The cached statement for generated sql (reset, no bindings), preparing it
 * on a miss; release it with sqlite_stmt_done(), never sqlite3_finalize(). */
int sqlite_stmt_cached(struct conn *c, const char *sql, sqlite3_stmt **out);
/* sqlite3_step with storage conditions noted (logged, /ready degraded):
 * STORE_ONE for a row, STORE_NONE when done, else the error's store_rc. */
int sqlite_stmt_step(sqlite3_stmt *s);
/* Resets s and clears its bindings. */
void sqlite_stmt_done(sqlite3_stmt *s);
/* Runs a statement that returns no rows (and releases it): STORE_ONE. */
int sqlite_stmt_exec(sqlite3_stmt *s);
/* Binds v, or NULL when v is NULL. */
void sqlite_bind_text(sqlite3_stmt *s, int i, const char *v);
/* Binds v ASCII-lower-cased ("" for NULL): the name columns of data sets. */
void sqlite_bind_lower(sqlite3_stmt *s, int i, const char *v);
/* Statement id (sqlite_stmt_get) with the n strings v bound as its
 * parameters 1..n (sqlite_bind_text: NULL binds SQL NULL); NULL when it
 * cannot be prepared (then return NO_STMT, as after sqlite_stmt_get). */
sqlite3_stmt *sqlite_prep_texts(struct store *st, enum stmt_id id, int n, const char *const *v);
/* The same, run as a statement that returns no rows: sqlite_stmt_exec's
 * result, or NO_STMT. */
int sqlite_run_texts(struct store *st, enum stmt_id id, int n, const char *const *v);
/* The string arguments' count, as pg.h's PG_NARGS (at least one). */
#define SQLITE_NARGS(...) ((int)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)))
#define SQLITE_PREP(st, id, ...)                                                           \
	sqlite_prep_texts((st), (id), SQLITE_NARGS(__VA_ARGS__), (const char *const[]){__VA_ARGS__})
#define SQLITE_RUN(st, id, ...)                                                            \
	sqlite_run_texts((st), (id), SQLITE_NARGS(__VA_ARGS__), (const char *const[]){__VA_ARGS__})

/* An UPDATE/DELETE's rc, STORE_NONE when it changed no row. */
int sqlite_rc_changed(struct store *st, int rc);
/* Runs statement id bound (a, b) / (a, b, c): sqlite_rc_changed's result. */
int sqlite_exec_2(struct store *st, enum stmt_id id, const char *a, const char *b);
int sqlite_exec_3(struct store *st, enum stmt_id id, const char *a, const char *b, const char *c);

/* Reads column 0 as a JSON document into *out (the caller's). */
int sqlite_doc_read(sqlite3_stmt *s, json_t **out);
/* The document of statement id's first row, bound (a, b) / (a, b, c). */
int sqlite_doc_get(struct store *st, enum stmt_id id, json_t **out, const char *a, const char *b);
int sqlite_doc_get3(struct store *st, enum stmt_id id, json_t **out, const char *a,
		    const char *b, const char *c);
/* Column 0 of the first row as an id (out: GUID_LEN + 1 bytes). */
int sqlite_id_get(struct store *st, enum stmt_id id, char *out, const char *a, const char *b);
/* Steps a count query (and releases it): *out = column 0 of its row. */
int sqlite_count_get(sqlite3_stmt *s, long *out);
/* Collects column 0 of every row as documents into a new array. */
int sqlite_docs_collect(sqlite3_stmt *s, json_t **out);
/* Appends column 0 of every row to out as stored text (store/docs.h). */
int sqlite_texts_collect(sqlite3_stmt *s, struct store_docs *out);
/* Appends column 0 of the current row to out (STORE_HARD if it is not a
 * stored document). */
int sqlite_text_read(sqlite3_stmt *s, struct store_docs *out);
/* count + page of one-document rows, for statements bound (tenant, x):
 * count's row is the total, list's ?3 and ?4 the limit and offset. */
int sqlite_docs_page(struct store *st, json_t **out, long *out_total, enum stmt_id count,
		     enum stmt_id list, const char *tenant, const char *x, long offset, long limit);
/* Copies text column i into out ("" for NULL). */
void sqlite_col_copy(char *out, size_t cap, sqlite3_stmt *s, int i);

/* ---- sqlite_search.c: the product list through the search index -------- */

/* The search terms as FTS5 expressions, built once per request. */
struct search_rendered {
	int n;
	char *t[SEARCH_MAX_TERMS];
	int phrases[SEARCH_MAX_TERMS]; /* how many phrases term i is (expanded: > 1) */
};

/* The filter part of a MATCH expression, "({f} : (...))", from q's filters
 * and visibility (the same rule as the products table's WHERE); false when
 * the caller can see nothing. */
bool sqlite_search_filter(struct strbuf *sb, const char *tenant, const struct product_query *q);
void sqlite_search_render(struct conn *c, const char *tenant, const struct search_terms *t,
			  struct search_rendered *r);
void sqlite_search_rendered_free(struct search_rendered *r);
/* The MATCH expression of tier (1..4), or of every match (tier 0). */
void sqlite_search_expr(struct strbuf *sb, const char *filter, const struct search_rendered *t,
			int tier);
/* The first count_limit + 1 matches (descending sk), as "(SELECT ... ) AS m"
 * with m.pid; the MATCH expression is ?1. */
void sqlite_search_sample(struct strbuf *sql, const struct product_query *q);
/* A cached statement for sql with the MATCH expression and q's trust bounds
 * bound; release with sqlite_search_done(). */
int sqlite_search_prepare(struct conn *c, sqlite3_stmt **s, const char *sql, const char *expr,
			  const struct product_query *q);
void sqlite_search_done(sqlite3_stmt *s);
/* product_list with a search (store.h). */
int sqlite_search_list(struct conn *c, struct store_docs *out, long *out_total, const char *tenant,
		       const struct product_query *q);
/* product_list with filters but no search: counted in the index; the page
 * too when the matches are few, else STORE_NONE (read it from products). */
int sqlite_search_filtered(struct conn *c, struct store_docs *out, long *out_total,
			   const char *tenant,
			   const struct product_query *q);

/* ---- sqlite_products.c ---------------------------------------------------- */

/* ORDER BY of the product list's page for q's sort (store.h). */
void sqlite_list_order(struct strbuf *sql, const struct product_query *q);

/* ---- the store operations (store.h, struct store_ops) -------------------- */

/* int sqlite_<op>(...) for every operation of store_ops.h, defined in the
 * resource files: sqlite.c (close, begin, commit, rollback, in_transaction,
 * ping, probe_write, rate_take), sqlite_identity.c (tenant_*, user_* but user_spaces,
 * apikey_*, session_*), sqlite_spaces.c (space_*, user_spaces,
 * assignment_*), sqlite_datasets.c (dataset_*), sqlite_quality.c (batch_*,
 * computation_*, quality_*, trust_*, settings_*), sqlite_products.c
 * (product_*), sqlite_changelogs.c (changelog_*). */
#define X(ret, name, params) ret sqlite_##name params;
STORE_OPS(X)
#undef X

#endif
