/* sqlite_products: data products in the SQLite backend (store.h): the
 * product row with its sort keys and side tables (tags, data set refs), the
 * permission read of the hot path, and the product list and its facets.
 * Lists with a search or with filters are answered from the search index
 * (sqlite_search.c); the rest walk the products table's indexes. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/rows.h"
#include "store/sqlite_int.h"
#include "util/etag.h"
#include "util/strbuf.h"

const char *const sqlite_products_sql[S__COUNT] = {
	[S_PD_DELETE] = "DELETE FROM product_datasets WHERE product_id = ?1",
	/* with the product's activated flag (schema v15: dataset_usage) */
	[S_PD_INSERT] = "INSERT OR IGNORE INTO product_datasets(product_id, tenant_id, dataset_id,"
			" activated) SELECT ?1, ?2, ?3, activated <> 0 FROM products WHERE id = ?1",
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
};

int sqlite_product_get(struct store *st, json_t **out, const char *tenant, const char *id)
{
	return sqlite_doc_get(st, S_PRODUCT_GET, out, tenant, id);
}

int sqlite_product_get_access(struct store *st, struct product_access *out, const char *tenant,
			      const char *id, const char *user_id)
{
	sqlite3_stmt *s = SQLITE_PREP(st, S_PRODUCT_ACCESS, tenant, id, user_id);
	if (!s)
		return NO_STMT;
	memset(out, 0, sizeof *out);
	int rc = sqlite_stmt_step(s);
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
	sqlite_stmt_done(s);
	return rc;
}

/* Rewrites a product's rows in a side table (tags, data set refs) from the
 * string array doc[field]: delete all, insert each (product, tenant, value). */
static int write_side_rows(struct store *st, const char *tenant, json_t *doc, const char *field,
			   enum stmt_id del, enum stmt_id ins)
{
	const char *id = rows_doc_str(doc, "id");
	int rc = SQLITE_RUN(st, del, id);
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(doc, field), i, v) {
		if (rc != STORE_ONE)
			return rc;
		rc = SQLITE_RUN(st, ins, id, tenant, json_string_value(v));
	}
	return rc;
}

static int product_write(struct store *st, enum stmt_id id, const char *tenant, json_t *doc)
{
	sqlite3_stmt *s = sqlite_stmt_get(st, id);
	if (!s)
		return NO_STMT;
	struct rows_product r;
	rows_product_from_doc(&r, doc);
	sqlite_bind_text(s, 1, r.id);
	sqlite_bind_text(s, 2, tenant);
	sqlite_bind_text(s, 3, r.name);
	sqlite_bind_text(s, 4, r.name_lc);
	sqlite_bind_text(s, 5, r.space_id);
	sqlite_bind_text(s, 6, r.owner_id);
	sqlite3_bind_int(s, 7, r.activated);
	sqlite_bind_text(s, 8, r.created_at);
	sqlite_bind_text(s, 9, r.updated_at);
	sqlite_bind_text(s, 10, ""); /* products.search: unused since v9 (search_fts) */
	sqlite_bind_text(s, 11, r.text);
	sqlite_bind_text(s, 12, r.etag);
	/* sort keys of the list (schema v6), NULL when not computed */
	if (r.has_trust_score)
		sqlite3_bind_double(s, 13, r.trust_score);
	else
		sqlite3_bind_null(s, 13);
	if (r.has_quality)
		sqlite3_bind_double(s, 14, r.quality);
	else
		sqlite3_bind_null(s, 14);
	rows_product_release(&r);
	int rc = sqlite_stmt_exec(s);
	if (rc == STORE_ONE) {
		struct conn *c = sqlite_conn_get(st);
		if (id == S_PRODUCT_UPDATE && sqlite3_changes(c->db) == 0)
			return STORE_NONE;
		rc = write_side_rows(st, tenant, doc, "tags", S_TAGS_DELETE, S_TAG_INSERT);
		if (rc == STORE_ONE)
			rc = write_side_rows(st, tenant, doc, "datasetIds", S_PD_DELETE, S_PD_INSERT);
	}
	return rc;
}

int sqlite_product_insert(struct store *st, const char *tenant, json_t *doc)
{
	return product_write(st, S_PRODUCT_INSERT, tenant, doc);
}

int sqlite_product_update(struct store *st, const char *tenant, json_t *doc)
{
	return product_write(st, S_PRODUCT_UPDATE, tenant, doc);
}

int sqlite_product_delete(struct store *st, const char *tenant, const char *id)
{
	int rc = SQLITE_RUN(st, S_PRODUCT_DELETE, tenant, id);
	if (rc == STORE_ONE && sqlite3_changes(sqlite_conn_get(st)->db) == 0)
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
	sqlite_bind_text(s, i++, tenant);
	sqlite_bind_text(s, i++, q->viewer_id); /* ?2..?4, used only for non-admins */
	sqlite_bind_text(s, i++, q->scope_all ? q->scope_all : "[]");
	sqlite_bind_text(s, i++, q->scope_activated ? q->scope_activated : "[]");
	for (int k = 0; k < q->nspace_ids; k++)
		sqlite_bind_text(s, i++, q->space_ids[k]);
	if (q->activated >= 0)
		sqlite3_bind_int(s, i++, q->activated);
	if (q->owner_id)
		sqlite_bind_text(s, i++, q->owner_id);
	if (q->has_min_trust)
		sqlite3_bind_double(s, i++, q->min_trust);
	for (int t = 0; t < q->ntags; t++)
		sqlite_bind_text(s, i++, q->tags[t]);
	return i;
}

void sqlite_list_order(struct strbuf *sql, const struct product_query *q);

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
			sqlite_list_order(sql, q);
		strbuf_printf(sql, " LIMIT %ld", q->count_limit + 1);
	}
}

/* ORDER BY of the page (store.h, enum product_sort; SORT_RELEVANCE is
 * sqlite_search_list's, here by updatedAt only). In SQLite NULLs sort first, so a descending
 * scan of (tenant, trust_score, updated_at, id) puts them last as it is. */
void sqlite_list_order(struct strbuf *sql, const struct product_query *q)
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
static int updated_page(struct conn *c, struct store_docs *out, const char *tenant,
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
	sqlite_bind_text(s, 1, tenant);
	while (!found && (rc = sqlite_stmt_step(s)) == STORE_ONE) {
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
		rc = STORE_ONE;
		goto out;
	}
	strbuf_puts(&sql, "SELECT p.doc FROM (SELECT p.rowid AS r FROM products p"
			  " WHERE p.tenant_id = ?1");
	if (bound)
		strbuf_printf(&sql, " AND (p.updated_at, p.id) %s (?2, ?3)",
			      q->descending ? "<" : ">=");
	sqlite_list_order(&sql, q);
	strbuf_printf(&sql, " LIMIT %ld OFFSET %ld) AS page JOIN products p ON p.rowid = page.r",
		      q->limit, q->offset - before);
	sqlite_list_order(&sql, q);
	if (sqlite3_prepare_v2(c->db, sql.data, -1, &s, NULL) != SQLITE_OK)
		goto out;
	sqlite_bind_text(s, 1, tenant);
	if (bound) {
		sqlite_bind_text(s, 2, bu.data);
		sqlite_bind_text(s, 3, bid.data);
	}
	rc = sqlite_texts_collect(s, out);
out:
	sqlite3_finalize(s);
	strbuf_free(&sql);
	strbuf_free(&bu);
	strbuf_free(&bid);
	return rc;
}

int sqlite_product_list(struct store *st, struct store_docs *out, long *out_total,
			const char *tenant, const struct product_query *q)
{
	store_docs_clear(out);
	struct conn *c = sqlite_conn_get(st);
	if (!c)
		return STORE_HARD;
	if (q->search)
		return sqlite_search_list(c, out, out_total, tenant, q);
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
		sqlite_bind_text(s, 1, tenant);
		rc = sqlite_count_get(s, out_total);
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
		rc = sqlite_search_filtered(c, out, out_total, tenant, q);
		if (rc != STORE_NONE)
			goto out;
	}
	/* Deep pages: find the page's rows on the (tenant, sort key, id) index,
	 * which OFFSET can skip through cheaply, then read just those documents. */
	strbuf_puts(&sql, "SELECT p.doc FROM (SELECT p.rowid AS r FROM products p");
	list_where(&sql, q);
	sqlite_list_order(&sql, q);
	strbuf_printf(&sql, " LIMIT %ld OFFSET %ld) AS page JOIN products p ON p.rowid = page.r",
		      q->limit, q->offset);
	sqlite_list_order(&sql, q);
	rc = STORE_HARD;
	if (sqlite3_prepare_v2(c->db, sql.data, -1, &s, NULL) != SQLITE_OK)
		goto out;
	list_bind(s, tenant, q);
	rc = sqlite_texts_collect(s, out);
out:
	sqlite3_finalize(s);
	strbuf_free(&sql);
	return rc;
}

int sqlite_product_facets(struct store *st, struct facet_count *out, int *out_n, int cap,
			  const char *tenant, const struct product_query *q,
			  enum product_facet facet)
{
	*out_n = 0;
	struct conn *c = sqlite_conn_get(st);
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
		if ((q->search && q->search->n == 0) || !sqlite_search_filter(&filter, tenant, q)) {
			rc = STORE_ONE;
			goto out;
		}
		if (q->search) {
			struct search_rendered terms;
			sqlite_search_render(c, tenant, q->search, &terms);
			sqlite_search_expr(&expr, filter.data, &terms, 0);
			sqlite_search_rendered_free(&terms);
		} else {
			strbuf_puts(&expr, filter.data);
		}
		/* over the first count_limit + 1 matches in sk order */
		if (facet == FACET_TAGS) {
			strbuf_puts(&sql, "SELECT t.tag, count(*) AS n FROM ");
			sqlite_search_sample(&sql, q);
			strbuf_printf(&sql, " JOIN products p ON p.rowid = m.pid JOIN product_tags t"
					    " ON t.product_id = p.id GROUP BY t.tag"
					    " ORDER BY n DESC, t.tag ASC LIMIT %d", cap);
		} else {
			strbuf_puts(&sql, "SELECT p.space_id, count(*) AS n FROM ");
			sqlite_search_sample(&sql, q);
			strbuf_printf(&sql, " JOIN products p ON p.rowid = m.pid GROUP BY p.space_id"
					    " ORDER BY n DESC, p.space_id IS NULL, p.space_id ASC LIMIT %d",
				      cap);
		}
		if ((rc = sqlite_search_prepare(c, &s, sql.data, expr.data, q)) != STORE_ONE)
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
	while ((rc = sqlite_stmt_step(s)) == STORE_ONE && *out_n < cap) {
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
		sqlite_search_done(s);
	else
		sqlite3_finalize(s);
	strbuf_free(&sql);
	strbuf_free(&filter);
	strbuf_free(&expr);
	return rc;
}
