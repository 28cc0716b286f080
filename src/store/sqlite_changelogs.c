/* sqlite_changelogs: a product's changelog in the SQLite backend
 * (store.h): entries numbered densely per product (pseq), so a page is a
 * range of numbers and the count is the highest one. */
#include <sqlite3.h>
#include <stdlib.h>
#include "store/rows.h"
#include "store/sqlite_int.h"

const char *const sqlite_changelogs_sql[S__COUNT] = {
	/* pseq = the product's next entry number (an O(log n) index probe);
	 * nothing is inserted unless the product is the tenant's (store.h:
	 * another tenant's product is STORE_NONE, as on every operation) */
	[S_CHANGELOG_INSERT] = "INSERT INTO changelogs(id, tenant_id, product_id, created_at, doc, pseq)"
			       " SELECT ?1, ?2, ?3, ?4, ?5, (SELECT coalesce(max(pseq), 0) + 1"
			       " FROM changelogs WHERE product_id = ?3)"
			       " WHERE EXISTS (SELECT 1 FROM products WHERE id = ?3 AND tenant_id = ?2)",
	/* pages are pseq ranges: ?3..?4 inclusive */
	[S_CHANGELOG_PAGE_ASC] = "SELECT doc FROM changelogs WHERE product_id = ?2 AND tenant_id = ?1"
				 " AND pseq BETWEEN ?3 AND ?4 ORDER BY pseq ASC",
	[S_CHANGELOG_PAGE_DESC] = "SELECT doc FROM changelogs WHERE product_id = ?2 AND tenant_id = ?1"
				  " AND pseq BETWEEN ?3 AND ?4 ORDER BY pseq DESC",
	/* entries are dense 1..n, so the count is the highest number */
	[S_CHANGELOG_COUNT] = "SELECT coalesce(max(pseq), 0) FROM changelogs WHERE product_id = ?2"
			      " AND tenant_id = ?1",
};

int sqlite_changelog_append(struct store *st, const char *tenant, const char *product_id,
			    json_t *entry)
{
	char *txt = rows_doc_text(entry);
	int rc = SQLITE_RUN(st, S_CHANGELOG_INSERT, rows_doc_str(entry, "id"), tenant, product_id,
			    rows_doc_str(entry, "createdAt"), txt);
	free(txt);
	return sqlite_rc_changed(st, rc);
}

int sqlite_changelog_page(struct store *st, struct store_docs *out, long *out_total,
			  const char *tenant, const char *product_id, bool ascending, long offset,
			  long limit)
{
	store_docs_clear(out);
	sqlite3_stmt *s = SQLITE_PREP(st, S_CHANGELOG_COUNT, tenant, product_id);
	if (!s)
		return NO_STMT;
	int rc = sqlite_count_get(s, out_total);
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
	if (!(s = SQLITE_PREP(st, ascending ? S_CHANGELOG_PAGE_ASC : S_CHANGELOG_PAGE_DESC, tenant,
			      product_id)))
		return NO_STMT;
	sqlite3_bind_int64(s, 3, lo);
	sqlite3_bind_int64(s, 4, hi);
	rc = sqlite_texts_collect(s, out);
	sqlite_stmt_done(s);
	return rc;
}
