/* pg_products: the PostgreSQL backend's products, product lists, facets,
 * search and changelogs (pg.c has the rest; docs/pg-status.md).
 *
 * Lists are generated SQL with typed parameters (prepared and cached by
 * their text, pg.c pg_run_sql; values, limits and offsets are parameters): the
 * filters and the caller's visibility (SPEC §4) as one WHERE clause for the
 * count, the page and the facets. Search (store.h SORT_RELEVANCE,
 * docs/search.md "The same results in PostgreSQL"): each term becomes a
 * tsquery ('w1' <-> 'w2':* for a bare term, no :* for a phrase) normalised
 * by dp_fold() and the dp_search configuration (lower), matched against the
 * per-field vectors; ts_all (their concatenation, GIN) narrows the rows
 * first. A term matches in a tier's fields when it matches one of them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/pg.h"
#include "store/rows.h"

/* ---- products ------------------------------------------------------------- */

int pg_product_get(struct store *st, json_t **out, const char *tenant, const char *id)
{
	return PG_GET_DOC(st, P_PRODUCT_GET, tenant, out, tenant, id);
}

int pg_product_get_access(struct store *st, struct product_access *out, const char *tenant,
			  const char *id, const char *user_id)
{
	int rc;
	memset(out, 0, sizeof *out);
	PGresult *r = PG_RUN(st, P_PRODUCT_ACCESS, tenant, &rc, tenant, id, user_id);
	if (r && !PQntuples(r))
		rc = STORE_NONE;
	else if (r) {
		const char *type = pg_val(r, 0, 2), *owner = pg_val(r, 0, 3);
		if (!(out->text = strdup(PQgetvalue(r, 0, 0))))
			rc = STORE_HARD;
		snprintf(out->etag, sizeof out->etag, "%s", PQgetvalue(r, 0, 5));
		out->in_space = pg_val(r, 0, 1) != NULL;
		snprintf(out->space_type, sizeof out->space_type, "%s", type ? type : "");
		snprintf(out->space_owner, sizeof out->space_owner, "%s", owner ? owner : "");
		snprintf(out->owner, sizeof out->owner, "%s", PQgetvalue(r, 0, 6));
		out->roles = (unsigned)pg_ll(r, 0, 4);
		out->activated = !strcmp(PQgetvalue(r, 0, 7), "t");
	}
	PQclear(r);
	return rc;
}

static int product_write(struct store *st, enum pg_stmt id, const char *tenant, json_t *doc)
{
	struct rows_product p; /* the columns, as the SQLite backend derives them (rows.c) */
	rows_product_from_doc(&p, doc);
	if (!p.text)
		abort();
	char trust[40], quality[40]; /* the list's sort keys, NULL when not computed */
	snprintf(trust, sizeof trust, "%.17g", p.trust_score);
	snprintf(quality, sizeof quality, "%.17g", p.quality);
	struct strbuf tags, ds;
	strbuf_init(&tags);
	strbuf_init(&ds);
	pg_text_array(&tags, json_object_get(doc, "tags"));
	pg_text_array(&ds, json_object_get(doc, "datasetIds"));
	int rc;
	PGresult *r = PG_RUN(st, id, tenant, &rc, p.id, tenant, p.name, p.name_lc, p.space_id,
			     p.owner_id, p.activated ? "true" : "false", p.created_at,
			     p.updated_at, p.text, p.etag, p.has_trust_score ? trust : NULL,
			     p.has_quality ? quality : NULL, tags.data, ds.data);
	if (r)
		rc = pg_ll(r, 0, 0) > 0 ? STORE_ONE : STORE_NONE;
	PQclear(r);
	rows_product_release(&p);
	strbuf_free(&tags);
	strbuf_free(&ds);
	return rc;
}

int pg_product_insert(struct store *st, const char *tenant, json_t *doc)
{
	int rc = product_write(st, P_PRODUCT_INSERT, tenant, doc);
	return rc == STORE_NONE ? STORE_HARD : rc;
}

int pg_product_update(struct store *st, const char *tenant, json_t *doc)
{
	return product_write(st, P_PRODUCT_UPDATE, tenant, doc);
}

int pg_product_delete(struct store *st, const char *tenant, const char *id)
{
	return PG_CHANGED(st, P_PRODUCT_DELETE, tenant, tenant, id);
}

/* ---- lists ------------------------------------------------------------------ */

/* Parameters of a generated statement; add() returns the new one's $n. */
struct params {
	const char **v;
	int n;
	struct strbuf own[4]; /* array literals */
	int nown;
	char num[4][40];
	int nnum;
};

static void params_init(struct params *p, int cap)
{
	memset(p, 0, sizeof *p);
	if (!(p->v = calloc((size_t)cap, sizeof *p->v)))
		abort();
}

static void params_free(struct params *p)
{
	for (int i = 0; i < p->nown; i++)
		strbuf_free(&p->own[i]);
	free(p->v);
}

static int add(struct params *p, const char *v)
{
	p->v[p->n++] = v;
	return p->n;
}

static int add_num(struct params *p, double v)
{
	snprintf(p->num[p->nnum], sizeof p->num[0], "%.17g", v);
	return add(p, p->num[p->nnum++]);
}

static int add_i64(struct params *p, long v)
{
	snprintf(p->num[p->nnum], sizeof p->num[0], "%ld", v);
	return add(p, p->num[p->nnum++]);
}

/* A text[] literal of n C strings. */
static int add_array(struct params *p, const char *const *a, int n)
{
	struct strbuf *sb = &p->own[p->nown++];
	strbuf_init(sb);
	json_t *arr = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(arr, json_string(a[i]));
	pg_text_array(sb, arr);
	json_decref(arr);
	return add(p, sb->data);
}

/* The tsquery text of one search term: 'w1' <-> 'w2':* (bare) or without :*. */
static void term_query(struct strbuf *sb, const struct search_term *t)
{
	const char *w = t->text;
	bool first = true;
	while (*w) {
		const char *end = strchr(w, ' ');
		size_t len = end ? (size_t)(end - w) : strlen(w);
		if (len) {
			strbuf_puts(sb, first ? "'" : " <-> '");
			first = false;
			for (size_t i = 0; i < len; i++) {
				if (w[i] == '\'' || w[i] == '\\')
					strbuf_putc(sb, w[i]);
				strbuf_putc(sb, w[i]);
			}
			strbuf_putc(sb, '\'');
			if (!end && !t->phrase)
				strbuf_puts(sb, ":*");
		}
		w += len + (end ? 1 : 0);
	}
}

/* True when the term is one word of ASCII letters and digits: one lexeme. */
static bool one_lexeme(const char *w)
{
	for (; *w; w++)
		if (!((*w >= 'a' && *w <= 'z') || (*w >= 'A' && *w <= 'Z') || (*w >= '0' && *w <= '9')))
			return false;
	return true;
}

static const char *const tier_cols[] = {"p.ts_name", "p.ts_tags", "p.ts_desc", "p.ts_body"};

/* (term i in the first k fields) AND ... for every term. */
static void terms_in(struct strbuf *sql, int nterms, int k)
{
	strbuf_putc(sql, '(');
	for (int i = 0; i < nterms; i++) {
		strbuf_puts(sql, i ? " AND (" : "(");
		for (int c = 0; c < k; c++)
			strbuf_printf(sql, "%s%s @@ sq.q%d", c ? " OR " : "", tier_cols[c], i);
		strbuf_putc(sql, ')');
	}
	strbuf_putc(sql, ')');
}

#define TIER_BUCKET                                                                         \
	"(CASE WHEN p.trust_score IS NULL THEN 0 ELSE least(1001, greatest(1,"              \
	" floor(p.trust_score * 10)::integer + 1)) END)"

/* "FROM products p [, (tsqueries) sq] WHERE ..." of q; false when the
 * caller can see nothing or the search has no terms. */
static bool list_from(struct strbuf *sql, struct params *p, struct strbuf *terms, const char *tenant,
		      const struct product_query *q)
{
	if (q->search && q->search->n == 0)
		return false;
	strbuf_puts(sql, " FROM products p");
	int nterms = q->search ? q->search->n : 0;
	if (nterms) {
		strbuf_puts(sql, ", (SELECT ");
		for (int i = 0; i < nterms; i++) {
			term_query(&terms[i], &q->search->t[i]);
			strbuf_printf(sql, "%sto_tsquery('dp_search', dp_fold($%d::text)) AS q%d", i ? ", " : "",
				      add(p, terms[i].data), i);
		}
		strbuf_puts(sql, ") sq");
	}
	strbuf_printf(sql, " WHERE p.tenant_id = $%d::text", add(p, tenant));
	if (!q->viewer_is_admin) {
		strbuf_printf(sql, " AND (p.space_id IN (SELECT json_array_elements_text($%d::json))",
			      add(p, q->scope_all ? q->scope_all : "[]"));
		strbuf_printf(sql, " OR (p.activated AND p.space_id IN"
				   " (SELECT json_array_elements_text($%d::json)))",
			      add(p, q->scope_activated ? q->scope_activated : "[]"));
		if (q->personal_scope == 2 || q->personal_scope == 1) /* SCOPE_ALL, SCOPE_ACTIVATED */
			strbuf_printf(sql, " OR (p.space_id IS NULL AND p.owner_id = $%d::text%s)",
				      add(p, q->viewer_id ? q->viewer_id : ""),
				      q->personal_scope == 1 ? " AND p.activated" : "");
		strbuf_putc(sql, ')');
	}
	if (q->nspace_ids > 0 && q->personal)
		strbuf_printf(sql, " AND (p.space_id = ANY($%d::text[]) OR p.space_id IS NULL)",
			      add_array(p, q->space_ids, q->nspace_ids));
	else if (q->nspace_ids > 0)
		strbuf_printf(sql, " AND p.space_id = ANY($%d::text[])",
			      add_array(p, q->space_ids, q->nspace_ids));
	else if (q->personal)
		strbuf_puts(sql, " AND p.space_id IS NULL");
	if (q->activated >= 0 && !(q->activated == 1 && q->ntags > 0))
		strbuf_printf(sql, " AND p.activated = $%d::boolean", add(p, q->activated ? "true" : "false"));
	if (q->owner_id)
		strbuf_printf(sql, " AND p.owner_id = $%d::text", add(p, q->owner_id));
	if (q->has_min_trust) /* NULL never matches */
		strbuf_printf(sql, " AND p.trust_score >= $%d::double precision", add_num(p, q->min_trust));
	if (q->ntags > 0) {
		/* the tags as filter tokens (schema v5): with activated=true their
		 * activated twins, which imply activation */
		struct strbuf *sb = &p->own[p->nown++];
		strbuf_init(sb);
		strbuf_putc(sb, '{');
		for (int i = 0; i < q->ntags; i++) {
			strbuf_printf(sb, "%s\"%c%s:", i ? "," : "", q->activated == 1 ? 'h' : 'g', tenant);
			for (const char *c = q->tags[i]; *c; c++) {
				if (*c == '"' || *c == '\\')
					strbuf_putc(sb, '\\');
				strbuf_putc(sb, *c);
			}
			strbuf_putc(sb, '"');
		}
		strbuf_putc(sb, '}');
		strbuf_printf(sql, " AND p.filters @> $%d::text[]", add(p, sb->data));
	}
	if (nterms) {
		strbuf_puts(sql, " AND p.ts_all @@ (");
		for (int i = 0; i < nterms; i++)
			strbuf_printf(sql, "%ssq.q%d", i ? " && " : "", i);
		strbuf_putc(sql, ')');
		/* a term of several words must match inside one field: ts_all
		 * concatenates the fields, so a phrase could straddle two of them.
		 * A one-word ASCII term (one lexeme) that matches ts_all matches one
		 * of the fields, and the per-field check (four more vectors per row,
		 * and a selectivity the planner cannot estimate) is left out for it;
		 * a non-ASCII word keeps it (PostgreSQL's parser might split it) */
		for (int i = 0; i < nterms; i++) {
			if (one_lexeme(q->search->t[i].text))
				continue;
			strbuf_puts(sql, " AND (");
			for (int c = 0; c < 4; c++)
				strbuf_printf(sql, "%s%s @@ sq.q%d", c ? " OR " : "", tier_cols[c], i);
			strbuf_putc(sql, ')');
		}
	}
	return true;
}

/* ORDER BY of the page (store.h, enum product_sort), over the columns of
 * the alias pre ("p." the products row, "k." the page's keys). */
static void list_order(struct strbuf *sql, const struct product_query *q, const char *pre)
{
	static const char *const col[] = {"name_lc", "created_at", "updated_at", "trust_score",
					  "quality"};
	const char *dir = q->descending ? "DESC" : "ASC";
	switch (q->sort) {
	case SORT_NAME:
	case SORT_CREATED_AT:
	case SORT_UPDATED_AT:
		strbuf_printf(sql, " ORDER BY %s%s %s, %sid %s", pre, col[q->sort], dir, pre, dir);
		break;
	case SORT_TRUST_SCORE:
	case SORT_QUALITY:
		strbuf_printf(sql, " ORDER BY %s%s %s NULLS LAST, %supdated_at DESC, %sid DESC", pre,
			      col[q->sort], dir, pre, pre);
		break;
	case SORT_RELEVANCE:
		if (q->search) { /* the exact relevance order over the products rows */
			int n = q->search->n;
			strbuf_puts(sql, " ORDER BY CASE WHEN ");
			terms_in(sql, n, 1);
			strbuf_puts(sql, " THEN 1 WHEN ");
			terms_in(sql, n, 2);
			strbuf_puts(sql, " THEN 2 WHEN ");
			terms_in(sql, n, 3);
			strbuf_puts(sql, " THEN 3 ELSE 4 END, " TIER_BUCKET " DESC, p.updated_at DESC,"
					 " p.id DESC");
		} else {
			strbuf_printf(sql, " ORDER BY %supdated_at DESC, %sid DESC", pre, pre);
		}
		break;
	}
}

/* The columns list_order(q) reads besides id: what the page's key query
 * selects, so that it can be an index-only scan of the sort's index. */
static const char *key_cols(const struct product_query *q)
{
	switch (q->sort) {
	case SORT_NAME:
		return "p.name_lc";
	case SORT_CREATED_AT:
		return "p.created_at";
	case SORT_TRUST_SCORE:
		return "p.trust_score, p.updated_at";
	case SORT_QUALITY:
		return "p.quality, p.updated_at";
	default:
		return "p.updated_at";
	}
}

/* The order facets sample in: the list's, or with a search the in-tier one. */
static void sample_order(struct strbuf *sql, const struct product_query *q)
{
	if (q->search)
		strbuf_puts(sql, " ORDER BY " TIER_BUCKET " DESC, p.updated_at DESC, p.id DESC");
	else
		list_order(sql, q, "p.");
}

struct gen {
	struct strbuf sql, from;
	struct strbuf terms[SEARCH_MAX_TERMS];
	struct params p;
};

static void gen_init(struct gen *g, const struct product_query *q)
{
	strbuf_init(&g->sql);
	strbuf_init(&g->from);
	for (int i = 0; i < SEARCH_MAX_TERMS; i++)
		strbuf_init(&g->terms[i]);
	params_init(&g->p, 10 + q->ntags + (q->search ? q->search->n : 0));
}

static void gen_free(struct gen *g)
{
	strbuf_free(&g->sql);
	strbuf_free(&g->from);
	for (int i = 0; i < SEARCH_MAX_TERMS; i++)
		strbuf_free(&g->terms[i]);
	params_free(&g->p);
}

static bool unfiltered(const struct product_query *q)
{
	return q->viewer_is_admin && !q->search && q->nspace_ids == 0 && !q->personal &&
	       q->activated < 0 && !q->owner_id && !q->has_min_trust && q->ntags == 0;
}

/* The total of q as a one-row subquery "(SELECT ...) c(n)". */
static void list_count(struct strbuf *sql, const struct gen *g, const struct product_query *q)
{
	/* a TenantAdmin's unfiltered list: the tenant's counter, exact; else
	 * counted up to count_limit + 1 */
	if (unfiltered(q)) /* its only parameter is $1, the tenant */
		strbuf_puts(sql, "(SELECT coalesce((SELECT products FROM tenant_counts"
				 " WHERE tenant_id = $1::text), 0)) c(n)");
	else if (q->count_limit > 0)
		strbuf_printf(sql, "(SELECT count(*) FROM (SELECT 1%s LIMIT %ld) x) c(n)", g->from.data,
			      q->count_limit + 1);
	else
		strbuf_printf(sql, "(SELECT count(*)%s) c(n)", g->from.data);
}

/* Rows of (total, ..., doc) with the doc in column col (NULL in the one row
 * of an empty page): the total and the page. */
static int read_page(PGresult *r, int col, struct store_docs *out, long *out_total)
{
	if (PQntuples(r) < 1)
		return STORE_HARD;
	*out_total = (long)pg_ll(r, 0, 0);
	return pg_texts(r, col, out);
}

/* sort=relevance with a search (docs/search.md "One pass"), one statement:
 * the first count_limit + 1 matches in the in-tier order (trust bucket,
 * updatedAt, id, descending), each with its tier; their number is the
 * total, and the page is read from them in (tier, in-tier) order. That is
 * exact when the pass saw every match, or when the page lies within the
 * tier-1 rows it saw (n1); otherwise (more than count_limit matches and a
 * page past them) *exact is false and the caller orders every match. */
static int search_onepass(struct store *st, struct gen *g, struct store_docs *out,
			  long *out_total,
			  bool *exact, const char *tenant, const struct product_query *q)
{
	int n = q->search->n;
	strbuf_puts(&g->sql, "WITH m AS MATERIALIZED (SELECT p.tenant_id, p.id, CASE WHEN ");
	terms_in(&g->sql, n, 1);
	strbuf_puts(&g->sql, " THEN 1 WHEN ");
	terms_in(&g->sql, n, 2);
	strbuf_puts(&g->sql, " THEN 2 WHEN ");
	terms_in(&g->sql, n, 3);
	strbuf_printf(&g->sql, " THEN 3 ELSE 4 END AS t, " TIER_BUCKET " AS b, p.updated_at AS u%s"
			       " ORDER BY b DESC, u DESC, p.id DESC",
		      g->from.data);
	if (q->count_limit > 0)
		strbuf_printf(&g->sql, " LIMIT %ld", q->count_limit + 1);
	/* in this order: the fallback of pg_product_list reuses them as $n-1, $n */
	int plimit = add_i64(&g->p, q->limit), poffset = add_i64(&g->p, q->offset);
	strbuf_printf(&g->sql, "), k AS (SELECT * FROM m ORDER BY t, b DESC, u DESC, id DESC"
			       " LIMIT $%d::bigint OFFSET $%d::bigint)"
			       " SELECT c.n, c.n1, d.doc FROM (SELECT count(*),"
			       " count(*) FILTER (WHERE t = 1) FROM m) c(n, n1)"
			       " LEFT JOIN (SELECT p.doc, row_number() OVER (ORDER BY k.t, k.b DESC,"
			       " k.u DESC, k.id DESC) AS o FROM k JOIN products p"
			       " ON p.tenant_id = k.tenant_id AND p.id = k.id) d ON true ORDER BY d.o",
		      plimit, poffset);
	int rc; /* planned per request: a cached generic plan measured slower (docs/performance.md) */
	PGresult *r = pg_run_sql_once(st, g->sql.data, tenant, g->p.n, g->p.v, &rc);
	if (r)
		rc = read_page(r, 2, out, out_total);
	*exact = rc != STORE_ONE || q->count_limit <= 0 || *out_total <= q->count_limit ||
		 q->offset + q->limit <= pg_ll(r, 0, 1);
	PQclear(r);
	return rc;
}

/* Lists and searches: the total and the page in one statement. From
 * offset DEFER_MIN_OFFSET on the page is a deferred join: its keys first
 * (ids and sort columns only, an index-only scan of the sort's index when
 * there is no filter), skipping offset of them, then the documents of
 * those limit rows. */
#define DEFER_MIN_OFFSET 100
int pg_product_list(struct store *st, struct store_docs *out, long *out_total,
		    const char *tenant, const struct product_query *q)
{
	struct gen g;
	gen_init(&g, q);
	int rc = STORE_ONE;
	store_docs_clear(out);
	if (!list_from(&g.from, &g.p, g.terms, tenant, q)) {
		*out_total = 0;
		goto out;
	}
	if (q->search && q->sort == SORT_RELEVANCE) {
		bool exact;
		rc = search_onepass(st, &g, out, out_total, &exact, tenant, q);
		if (rc != STORE_ONE || exact)
			goto out;
		/* past the bound: every match ordered (the total stays the bounded one) */
		store_docs_clear(out);
		g.sql.len = 0;
		strbuf_printf(&g.sql, "SELECT p.doc%s", g.from.data);
		list_order(&g.sql, q, "p.");
		/* the parameters of the pass: the limit and offset are its last two */
		strbuf_printf(&g.sql, " LIMIT $%d::bigint OFFSET $%d::bigint", g.p.n - 1, g.p.n);
		PGresult *r = pg_run_sql_once(st, g.sql.data, tenant, g.p.n, g.p.v, &rc);
		if (r)
			rc = pg_texts(r, 0, out);
		PQclear(r);
		goto out;
	}
	/* the first pages read their rows directly: the deferred join's second
	 * lookup per row cost more than the few rows it skips (measured) */
	const bool deferred = q->offset >= DEFER_MIN_OFFSET;
	strbuf_puts(&g.sql, "SELECT c.n, d.doc FROM ");
	list_count(&g.sql, &g, q);
	strbuf_printf(&g.sql, " LEFT JOIN (SELECT %s.doc, row_number() OVER (", deferred ? "p" : "k");
	list_order(&g.sql, q, "k.");
	strbuf_printf(&g.sql, ") AS o FROM (SELECT %sp.tenant_id, p.id, %s%s", deferred ? "" : "p.doc, ",
		      key_cols(q), g.from.data);
	list_order(&g.sql, q, "p.");
	int plimit = add_i64(&g.p, q->limit), poffset = add_i64(&g.p, q->offset);
	strbuf_printf(&g.sql, " LIMIT $%d::bigint OFFSET $%d::bigint) k%s) d ON true ORDER BY d.o",
		      plimit, poffset,
		      deferred ? " JOIN products p ON p.tenant_id = k.tenant_id AND p.id = k.id" : "");
	PGresult *r = pg_run_sql(st, g.sql.data, tenant, g.p.n, g.p.v, &rc);
	if (r)
		rc = read_page(r, 1, out, out_total);
	PQclear(r);
out:
	gen_free(&g);
	return rc;
}

int pg_product_facets(struct store *st, struct facet_count *out, int *out_n, int cap,
		      const char *tenant, const struct product_query *q, enum product_facet facet)
{
	*out_n = 0;
	struct gen g;
	gen_init(&g, q);
	int rc = STORE_ONE;
	if (!list_from(&g.from, &g.p, g.terms, tenant, q))
		goto out;
	strbuf_printf(&g.sql, "SELECT %s, count(*) AS n FROM (SELECT p.tenant_id, p.id, p.space_id%s",
		      facet == FACET_TAGS ? "t.tag" : "m.space_id", g.from.data);
	if (q->count_limit > 0) {
		sample_order(&g.sql, q);
		strbuf_printf(&g.sql, " LIMIT %ld", q->count_limit + 1);
	}
	if (facet == FACET_TAGS)
		strbuf_printf(&g.sql, ") m JOIN product_tags t ON t.tenant_id = m.tenant_id AND t.product_id = m.id"
				      " GROUP BY t.tag"
				      " ORDER BY n DESC, t.tag ASC LIMIT %d", cap);
	else
		strbuf_printf(&g.sql, ") m GROUP BY m.space_id ORDER BY n DESC, m.space_id ASC NULLS LAST"
				      " LIMIT %d", cap);
	PGresult *r = pg_run_sql(st, g.sql.data, tenant, g.p.n, g.p.v, &rc);
	for (int i = 0; r && i < PQntuples(r) && *out_n < cap; i++) {
		const char *v = pg_val(r, i, 0);
		struct facet_count *f = &out[(*out_n)++];
		if (!(f->value = v ? strdup(v) : NULL) && v)
			abort();
		f->count = (long)pg_ll(r, i, 1);
	}
	PQclear(r);
out:
	gen_free(&g);
	return rc;
}

/* ---- changelogs --------------------------------------------------------------- */

int pg_changelog_append(struct store *st, const char *tenant, const char *product_id,
			json_t *entry)
{
	char *txt = rows_doc_text(entry);
	int rc = PG_CHANGED(st, P_CHANGELOG_APPEND, tenant, rows_doc_str(entry, "id"), tenant, product_id,
			    rows_doc_str(entry, "createdAt"), txt);
	free(txt);
	return rc;
}

int pg_changelog_page(struct store *st, struct store_docs *out, long *out_total,
		      const char *tenant, const char *product_id, bool ascending, long offset,
		      long limit)
{
	int rc;
	store_docs_clear(out);
	rc = pg_get_count(PG_RUN(st, P_CHANGELOG_COUNT, tenant, &rc, tenant, product_id), &rc,
			  out_total);
	if (rc != STORE_ONE)
		return rc;
	/* entries are numbered 1..n without holes: a page is a number range */
	long n = *out_total, lo, hi;
	if (ascending) {
		lo = offset + 1;
		hi = offset + limit;
	} else {
		hi = n - offset;
		lo = n - offset - limit + 1;
	}
	PGresult *r = PG_RUN(st, ascending ? P_CHANGELOG_PAGE_ASC : P_CHANGELOG_PAGE_DESC, tenant,
			     &rc, tenant, product_id, PG_I64(lo), PG_I64(hi));
	if (r)
		rc = pg_texts(r, 0, out);
	PQclear(r);
	return rc;
}
