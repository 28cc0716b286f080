/* sqlite_datasets: data sets in the SQLite backend (store.h), with the
 * lower-cased name columns the web app's picker searches. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include "store/rows.h"
#include "store/sqlite_int.h"

const char *const sqlite_datasets_sql[S__COUNT] = {
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
	/* the counters of schema v15; no row: 0, 0 */
	[S_DATASET_USAGE] = "SELECT products, activated FROM dataset_usage"
			    " WHERE tenant_id = ?1 AND dataset_id = ?2",
};

int sqlite_dataset_insert(struct store *st, const char *tenant, json_t *doc)
{
	char *txt = rows_doc_text(doc);
	sqlite3_stmt *s = SQLITE_PREP(st, S_DATASET_INSERT, rows_doc_str(doc, "id"), tenant,
				      rows_doc_str(doc, "spaceId"), txt);
	free(txt);
	if (!s)
		return NO_STMT;
	sqlite_bind_lower(s, 5, rows_doc_str(doc, "name"));
	sqlite_bind_lower(s, 6, rows_doc_str(doc, "technicalName"));
	return sqlite_stmt_exec(s);
}

int sqlite_dataset_get(struct store *st, json_t **out, const char *tenant, const char *id)
{
	return sqlite_doc_get(st, S_DATASET_GET, out, tenant, id);
}

int sqlite_dataset_list(struct store *st, json_t **out, long *out_total, const char *tenant,
			const char *query, long offset, long limit)
{
	char *q = query ? strdup(query) : NULL;
	if (query && !q)
		return STORE_HARD;
	if (q)
		rows_lower_ascii(q);
	int rc = sqlite_docs_page(st, out, out_total, S_DATASET_COUNT, S_DATASET_LIST, tenant, q, offset, limit);
	free(q);
	return rc;
}

int sqlite_dataset_update(struct store *st, const char *tenant, json_t *doc)
{
	char *txt = rows_doc_text(doc);
	sqlite3_stmt *s = SQLITE_PREP(st, S_DATASET_UPDATE, tenant, rows_doc_str(doc, "id"),
				      rows_doc_str(doc, "spaceId"), txt);
	free(txt);
	if (!s)
		return NO_STMT;
	sqlite_bind_lower(s, 5, rows_doc_str(doc, "name"));
	sqlite_bind_lower(s, 6, rows_doc_str(doc, "technicalName"));
	return sqlite_rc_changed(st, sqlite_stmt_exec(s));
}

int sqlite_dataset_delete(struct store *st, const char *tenant, const char *id)
{
	return sqlite_exec_2(st, S_DATASET_DELETE, tenant, id);
}

int sqlite_dataset_products(struct store *st, json_t **out, long *out_activated,
			    const char *tenant, const char *dataset_id)
{
	sqlite3_stmt *s = SQLITE_PREP(st, S_DATASET_PRODUCTS, tenant, dataset_id);
	if (!s)
		return NO_STMT;
	json_t *ids = json_array();
	long activated = 0;
	int rc;
	while ((rc = sqlite_stmt_step(s)) == STORE_ONE) {
		json_array_append_new(ids, json_string((const char *)sqlite3_column_text(s, 0)));
		activated += sqlite3_column_int(s, 1) != 0;
	}
	sqlite_stmt_done(s);
	if (rc != STORE_NONE) {
		json_decref(ids);
		return rc;
	}
	*out = ids;
	*out_activated = activated;
	return STORE_ONE;
}

int sqlite_dataset_usage(struct store *st, long *out_products, long *out_activated,
			 const char *tenant, const char *dataset_id)
{
	sqlite3_stmt *s = SQLITE_PREP(st, S_DATASET_USAGE, tenant, dataset_id);
	if (!s)
		return NO_STMT;
	int rc = sqlite_stmt_step(s);
	*out_products = rc == STORE_ONE ? (long)sqlite3_column_int64(s, 0) : 0;
	*out_activated = rc == STORE_ONE ? (long)sqlite3_column_int64(s, 1) : 0;
	sqlite_stmt_done(s);
	return rc == STORE_NONE ? STORE_ONE : rc;
}
