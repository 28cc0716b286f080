/* sqlite_search: the product list's queries against the search index
 * search_fts (schema v9+, docs/search.md): filter tokens from the filters
 * and the caller's visibility, prefix expansion of the search terms,
 * relevance in one pass, and the counts. The index's tokenizer and the
 * auxiliary function search_tier are in sqlite_fts.c. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "domain/paging.h"
#include "store/sqlite_fts.h"
#include "store/sqlite_int.h"
#include "util/strbuf.h"
#include "util/log.h"

/* ---- search (schema v9, docs/search.md) --------------------------------
 * Every list with a search runs against search_fts: the filters and the
 * caller's visibility become filter tokens in column f (schema.h), the
 * terms become phrases in the text columns, so the index alone decides
 * which products match; products and product_search are read only for the
 * rows returned (and the facets' sample). */

#define PUA "\xee\x80\x80"
#define SEARCH_PAGE_MAX (PAGING_MAX_LIMIT + 1)

/* Appends a filter token: "<U+E000><kind><id without '-'>". */
static void tok(struct strbuf *sb, char kind, const char *id)
{
	strbuf_puts(sb, "\"" PUA);
	strbuf_putc(sb, kind);
	for (const char *c = id ? id : ""; *c; c++)
		if (*c != '-' && *c != '"')
			strbuf_putc(sb, *c);
	strbuf_putc(sb, '"');
}

/* g<hex of the tag> or, for activated products only, h<tenant><hex>. */
static void tag_tok(struct strbuf *sb, const char *tag, const char *activated_in)
{
	static const char hex[] = "0123456789abcdef";
	strbuf_puts(sb, activated_in ? "\"" PUA "h" : "\"" PUA "g");
	for (const char *c = activated_in ? activated_in : ""; *c; c++)
		if (*c != '-' && *c != '"')
			strbuf_putc(sb, *c);
	for (const unsigned char *c = (const unsigned char *)tag; *c; c++) {
		strbuf_putc(sb, hex[*c >> 4]);
		strbuf_putc(sb, hex[*c & 15]);
	}
	strbuf_putc(sb, '"');
}

/* (<kind><id> OR ...) of a JSON array of space ids, appended after an " OR "
 * when *any; false when the array is empty. */
static bool space_toks(struct strbuf *sb, const char *json_ids, char kind, bool any)
{
	json_t *a = json_ids ? json_loads(json_ids, 0, NULL) : NULL;
	size_t i;
	json_t *v;
	bool some = false;
	json_array_foreach(a, i, v) {
		if (!json_is_string(v))
			continue;
		strbuf_puts(sb, some ? " OR " : any ? " OR (" : "(");
		tok(sb, kind, json_string_value(v));
		some = true;
	}
	if (some)
		strbuf_putc(sb, ')');
	json_decref(a);
	return some;
}

/* The filter part: "{f} : (...)" from q's filters and visibility (the
 * same rule as list_where). False when the caller can see nothing. With
 * activated=true every part is written with the activated twins (b, m, h;
 * schema.h), which imply activation, instead of AND a<tenant>. */
bool sqlite_search_filter(struct strbuf *sb, const char *tenant, const struct product_query *q)
{
	const bool act = q->activated == 1;
	const char *h = act ? tenant : NULL; /* tags as h<tenant><tag> */
	struct strbuf v;
	strbuf_init(&v);
	bool any = false;
	int tags_from = 0;
	if (q->viewer_is_admin && act && q->ntags > 0) {
		tag_tok(&v, q->tags[0], tenant); /* implies the tenant and activation */
		tags_from = 1;
		any = true;
	} else if (q->viewer_is_admin) {
		tok(&v, act ? 'a' : 't', tenant);
		any = true;
	} else {
		strbuf_putc(&v, '(');
		any = space_toks(&v, q->scope_all, act ? 'b' : 's', any);
		if (act) {
			any = space_toks(&v, q->scope_activated, 'b', any) || any;
		} else {
			struct strbuf part;
			strbuf_init(&part);
			if (space_toks(&part, q->scope_activated, 's', false)) {
				strbuf_puts(&v, any ? " OR (" : "(");
				tok(&v, 'a', tenant);
				strbuf_printf(&v, " AND %s)", part.data);
				any = true;
			}
			strbuf_free(&part);
		}
		if (q->personal_scope == 2 || q->personal_scope == 1) { /* SCOPE_ALL, SCOPE_ACTIVATED */
			strbuf_puts(&v, any ? " OR (" : "(");
			tok(&v, act ? 'm' : 'n', tenant);
			strbuf_puts(&v, " AND ");
			tok(&v, 'o', q->viewer_id);
			if (q->personal_scope == 1 && !act) {
				strbuf_puts(&v, " AND ");
				tok(&v, 'a', tenant);
			}
			strbuf_putc(&v, ')');
			any = true;
		}
		strbuf_putc(&v, ')');
	}
	if (!any) {
		strbuf_free(&v);
		return false;
	}
	if (q->nspace_ids > 0 || q->personal) {
		strbuf_puts(&v, " AND (");
		for (int i = 0; i < q->nspace_ids; i++) {
			if (i)
				strbuf_puts(&v, " OR ");
			tok(&v, act ? 'b' : 's', q->space_ids[i]);
		}
		if (q->personal) {
			if (q->nspace_ids)
				strbuf_puts(&v, " OR ");
			tok(&v, act ? 'm' : 'n', tenant);
		}
		strbuf_putc(&v, ')');
	}
	if (q->owner_id) {
		strbuf_puts(&v, " AND ");
		tok(&v, 'o', q->owner_id);
	}
	for (int i = tags_from; i < q->ntags; i++) {
		strbuf_puts(&v, " AND ");
		tag_tok(&v, q->tags[i], h);
	}
	strbuf_puts(sb, "({f} : (");
	if (q->activated == 0) {
		strbuf_printf(sb, "(%s) NOT ", v.data);
		tok(sb, 'a', tenant);
	} else {
		strbuf_puts(sb, v.data);
	}
	strbuf_puts(sb, "))");
	strbuf_free(&v);
	return true;
}

/* The columns of tier k (1..4): cumulative, name first. */
static const char *const tier_cols[] = {"", "{name}", "{name tags}", "{name tags description}",
					"{name tags description body}"};

/* The terms as FTS5 expressions, built once per request. A bare term is a
 * phrase whose last word is a prefix ("w w"*). FTS5 answers a prefix longer
 * than its prefix indexes (2, 3) by merging the doclists of every token it
 * covers into one buffer, for the whole index, once per MATCH (and a request
 * runs up to five): 32 ms for "customer"* at 1M products. So a prefix word
 * of >= 4 ASCII letters/digits is expanded into the exact tokens it covers,
 * read from the tenant's term list (search_terms, schema v10, kept by the
 * index's triggers; an index seek, not the fts5vocab walk of every doclist
 * that took 13 ms), and OR-ed: ("w customer" OR "w customers"), which FTS5
 * walks incrementally. When it covers more than SEARCH_EXPAND_MAX tokens,
 * or the list cannot be read, the term stays the prefix query: the same
 * matches either way (the list holds every token the tenant's products
 * have; a stale one matches nothing). */
#define SEARCH_EXPAND_MAX 32

static void quoted(struct strbuf *sb, const char *text, size_t len)
{
	strbuf_putc(sb, '"');
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '"')
			strbuf_putc(sb, '"');
		strbuf_putc(sb, text[i]);
	}
}

/* Appends ("<head>tok1" OR ...) for the tokens that start with word, or
 * returns false (nothing appended) when it should stay a prefix query. */
static bool expand_prefix(struct conn *c, struct strbuf *sb, int *out_phrases, const char *tenant,
			  const char *text, const char *word)
{
	size_t wlen = strlen(word);
	if (wlen < SEARCH_TOKEN_MIN || wlen > SEARCH_TOKEN_MAX)
		return false;
	for (const char *w = word; *w; w++)
		if (!((*w >= 'a' && *w <= 'z') || (*w >= '0' && *w <= '9')))
			return false;
	sqlite3_stmt *s = NULL;
	if (sqlite_stmt_cached(c, "SELECT term FROM search_terms WHERE tenant_id = ?3"
			      " AND term >= ?1 AND term < ?2 LIMIT 33", &s) != SQLITE_OK)
		return false;
	char hi[SEARCH_TOKEN_MAX + 1];
	memcpy(hi, word, wlen + 1);
	hi[wlen - 1]++; /* ASCII letters and digits: no carry */
	sqlite3_bind_text(s, 1, word, (int)wlen, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, hi, (int)wlen, SQLITE_TRANSIENT);
	sqlite_bind_text(s, 3, tenant);
	struct strbuf alt;
	strbuf_init(&alt);
	int n = 0, rc;
	bool ok = true;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *term = (const char *)sqlite3_column_text(s, 0);
		int tlen = sqlite3_column_bytes(s, 0);
		if (!term || (size_t)tlen < wlen || memcmp(term, word, wlen) != 0)
			continue;
		if (++n > SEARCH_EXPAND_MAX || memchr(term, '"', (size_t)tlen)) {
			ok = false;
			break;
		}
		strbuf_puts(&alt, n == 1 ? "(" : " OR ");
		quoted(&alt, text, (size_t)(word - text));
		strbuf_append(&alt, term, (size_t)tlen);
		strbuf_putc(&alt, '"');
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ok = false;
	sqlite_stmt_done(s);
	if (ok && n == 0) /* no token has this prefix: nothing matches, as the prefix */
		ok = false;
	if (ok) {
		strbuf_putc(&alt, ')');
		strbuf_puts(sb, alt.data);
		*out_phrases = n;
	}
	strbuf_free(&alt);
	return ok;
}

void sqlite_search_render(struct conn *c, const char *tenant, const struct search_terms *t,
			  struct search_rendered *r)
{
	r->n = t->n;
	for (int i = 0; i < t->n; i++) {
		struct strbuf sb;
		strbuf_init(&sb);
		const char *text = t->t[i].text;
		const char *sp = strrchr(text, ' ');
		const char *word = sp ? sp + 1 : text;
		r->phrases[i] = 1;
		if (t->t[i].phrase || !expand_prefix(c, &sb, &r->phrases[i], tenant, text, word)) {
			quoted(&sb, text, strlen(text));
			strbuf_puts(&sb, t->t[i].phrase ? "\"" : "\"*");
		}
		r->t[i] = strbuf_take(&sb);
	}
}

void sqlite_search_rendered_free(struct search_rendered *r)
{
	for (int i = 0; i < r->n; i++)
		free(r->t[i]);
	r->n = 0;
}

/* "{cols} : (\"w w\"* AND \"w\" ...)": every term within the columns. */
static void search_text(struct strbuf *sb, const struct search_rendered *t, int tier)
{
	strbuf_printf(sb, "(%s : (", tier_cols[tier]);
	for (int i = 0; i < t->n; i++) {
		if (i)
			strbuf_puts(sb, " AND ");
		strbuf_puts(sb, t->t[i]);
	}
	strbuf_puts(sb, "))");
}

/* The MATCH expression of tier (1..4), or of every match (tier 0). */
void sqlite_search_expr(struct strbuf *sb, const char *filter, const struct search_rendered *t,
			int tier)
{
	strbuf_printf(sb, "%s AND ", filter);
	if (tier <= 1) {
		search_text(sb, t, tier == 0 ? 4 : 1);
		return;
	}
	strbuf_putc(sb, '(');
	search_text(sb, t, tier);
	strbuf_puts(sb, " NOT ");
	search_text(sb, t, tier - 1);
	strbuf_putc(sb, ')');
}

/* sk bounds of minTrustScore m: rowid >= lo; rows below hi (the bucket of m
 * itself) are checked against the exact score. */
#define SEARCH_TRUST                                                                         \
	" AND (?2 IS NULL OR (search_fts.rowid >= ?2 AND (search_fts.rowid >= ?3 OR"         \
	" (SELECT p.trust_score FROM"                                                          \
	" product_search ps JOIN products p ON p.rowid = ps.pid WHERE ps.sk = search_fts.rowid)" \
	" >= ?4)))"

static void bind_trust(sqlite3_stmt *s, const struct product_query *q)
{
	if (!q->has_min_trust)
		return;
	long b = (long)(q->min_trust * 10) + 1;
	if (b > 1001)
		b = 1001;
	sqlite3_bind_int64(s, 2, (sqlite3_int64)b << 53);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)(b + 1) << 53);
	sqlite3_bind_double(s, 4, q->min_trust);
}

int sqlite_search_prepare(struct conn *c, sqlite3_stmt **s, const char *sql, const char *expr,
			  const struct product_query *q)
{
	*s = NULL;
	if (sqlite_stmt_cached(c, sql, s) != SQLITE_OK) {
		sqlite_rc_note(c->db, sqlite3_errcode(c->db));
		log_event(LOG_ERROR, "search prepare failed", LOG_STR("error", sqlite3_errmsg(c->db)));
		/* a storage condition is what map_rc calls STORE_UNAVAILABLE */
		return sqlite_fault_kind(sqlite3_errcode(c->db)) != STORE_FAULT_NONE
			       ? STORE_UNAVAILABLE
			       : STORE_HARD;
	}
	sqlite_bind_text(*s, 1, expr);
	bind_trust(*s, q);
	return STORE_ONE;
}

/* sqlite_stmt_done() for a statement of sqlite_search_prepare (NULL allowed). */
void sqlite_search_done(sqlite3_stmt *s)
{
	if (s)
		sqlite_stmt_done(s);
}

static int search_count(struct conn *c, long *out, const char *expr, const struct product_query *q)
{
	struct strbuf sql;
	strbuf_init(&sql);
	strbuf_puts(&sql, "SELECT count(*) FROM (SELECT 1 FROM search_fts WHERE search_fts MATCH ?1"
			  SEARCH_TRUST);
	if (q->count_limit > 0)
		strbuf_printf(&sql, " LIMIT %ld", q->count_limit + 1);
	strbuf_puts(&sql, ")");
	sqlite3_stmt *s = NULL;
	int rc = sqlite_search_prepare(c, &s, sql.data, expr, q);
	if (rc == STORE_ONE)
		rc = sqlite_count_get(s, out);
	sqlite_search_done(s);
	strbuf_free(&sql);
	return rc;
}

/* The stored document of the product with search key sk. */
static int doc_by_sk(struct conn *c, sqlite3_stmt **s, struct store_docs *out, sqlite3_int64 sk)
{
	if (!*s && sqlite_stmt_cached(c, "SELECT p.doc FROM product_search ps JOIN products p"
				     " ON p.rowid = ps.pid WHERE ps.sk = ?1", s) != SQLITE_OK)
		return STORE_HARD;
	sqlite3_reset(*s);
	sqlite3_bind_int64(*s, 1, sk);
	int rc = sqlite_stmt_step(*s);
	if (rc == STORE_ONE && sqlite_text_read(*s, out) != STORE_ONE)
		return STORE_HARD;
	return rc < 0 ? rc : STORE_ONE;
}

/* sort=relevance: tier by tier, each in descending sk order, stopping as
 * soon as offset + limit rows were seen. */
static int search_page_relevance(struct conn *c, struct store_docs *arr, const char *filter,
				 const struct search_rendered *terms, const struct product_query *q)
{
	long skip = q->offset, take = q->limit;
	sqlite3_stmt *docs = NULL;
	int rc = STORE_ONE;
	struct strbuf expr, sql;
	strbuf_init(&expr);
	strbuf_init(&sql);
	for (int tier = 1; tier <= 4 && take > 0 && rc == STORE_ONE; tier++) {
		expr.len = 0;
		sql.len = 0;
		sqlite_search_expr(&expr, filter, terms, tier);
		strbuf_printf(&sql, "SELECT rowid FROM search_fts WHERE search_fts MATCH ?1" SEARCH_TRUST
				    " ORDER BY rowid DESC LIMIT %ld", skip + take);
		sqlite3_stmt *s = NULL;
		rc = sqlite_search_prepare(c, &s, sql.data, expr.data, q);
		long seen = 0;
		int src;
		sqlite3_int64 sks[SEARCH_PAGE_MAX];
		int nsk = 0;
		while (rc == STORE_ONE && (src = sqlite_stmt_step(s)) == STORE_ONE) {
			seen++;
			if (seen > skip && nsk < SEARCH_PAGE_MAX)
				sks[nsk++] = sqlite3_column_int64(s, 0);
		}
		if (rc == STORE_ONE && src < 0)
			rc = src;
		sqlite_search_done(s);
		/* looked up again after each tier's prepare, which may evict it */
		sqlite_search_done(docs);
		docs = NULL;
		for (int i = 0; i < nsk && rc == STORE_ONE; i++)
			rc = doc_by_sk(c, &docs, arr, sks[i]);
		take -= nsk;
		skip = seen >= skip ? 0 : skip - seen;
	}
	sqlite_search_done(docs);
	strbuf_free(&expr);
	strbuf_free(&sql);
	return rc;
}

/* sort=relevance in one pass (docs/search.md "One pass"): the matches in
 * descending sk order, at most count_limit + 1 of them, each with its tier
 * from the auxiliary function search_tier (sqlite_fts.c); the pass counts
 * them (the total) and keeps each tier's first offset + limit rows. When the
 * pass saw every match, the page is those lists end to end. When it stopped
 * at the bound, a tier may have more rows below the last one seen; only if
 * the page reaches past what the pass kept of that tier is the rest read
 * with that tier's own MATCH from below that rowid. Returns STORE_NONE
 * (nothing done) when offset + limit is too deep for it. */
#define SEARCH_ONEPASS_MAX 10100
static int search_page_onepass(struct conn *c, struct store_docs *arr, long *out_total,
			       const char *filter,
			       const char *expr, const struct search_rendered *terms,
			       const struct product_query *q)
{
	const long need = q->offset + q->limit;
	if (need > SEARCH_ONEPASS_MAX)
		return STORE_NONE;
	sqlite3_int64 *sks[5] = {NULL};
	long cnt[5] = {0};
	for (int t = 1; t <= 4; t++)
		if (!(sks[t] = malloc((size_t)need * sizeof **sks)))
			abort();
	struct strbuf sql, counts, texpr;
	strbuf_init(&sql);
	strbuf_init(&counts);
	strbuf_init(&texpr);
	for (int i = 0; i < terms->n; i++)
		strbuf_printf(&counts, i ? ",%d" : "%d", terms->phrases[i]);
	strbuf_puts(&sql, "SELECT rowid, search_tier(search_fts, ?5) FROM search_fts"
			  " WHERE search_fts MATCH ?1" SEARCH_TRUST " ORDER BY rowid DESC");
	if (q->count_limit > 0)
		strbuf_printf(&sql, " LIMIT %ld", q->count_limit + 1);
	sqlite3_stmt *s = NULL;
	int rc = sqlite_search_prepare(c, &s, sql.data, expr, q);
	long rows = 0;
	sqlite3_int64 last = 0;
	if (rc == STORE_ONE) {
		sqlite_bind_text(s, 5, counts.data);
		int src;
		while ((src = sqlite_stmt_step(s)) == STORE_ONE) {
			rows++;
			last = sqlite3_column_int64(s, 0);
			int t = sqlite3_column_int(s, 1);
			if (t < 1 || t > 4)
				t = 4;
			if (cnt[t] < need)
				sks[t][cnt[t]++] = last;
		}
		if (src < 0)
			rc = src;
	}
	sqlite_search_done(s);
	*out_total = rows;
	const bool complete = q->count_limit <= 0 || rows <= q->count_limit;
	long skip = q->offset, take = q->limit;
	sqlite3_int64 page[SEARCH_PAGE_MAX];
	int npage = 0;
	for (int t = 1; t <= 4 && take > 0 && rc == STORE_ONE; t++) {
		if (!complete && cnt[t] < skip + take) {
			/* the rest of tier t, below the last row the pass saw */
			texpr.len = 0;
			sql.len = 0;
			sqlite_search_expr(&texpr, filter, terms, t);
			strbuf_printf(&sql, "SELECT rowid FROM search_fts WHERE search_fts MATCH ?1"
					    SEARCH_TRUST " AND search_fts.rowid < ?5"
					    " ORDER BY rowid DESC LIMIT %ld", skip + take - cnt[t]);
			rc = sqlite_search_prepare(c, &s, sql.data, texpr.data, q);
			if (rc == STORE_ONE) {
				sqlite3_bind_int64(s, 5, last);
				int src = STORE_ONE;
				while (cnt[t] < need && (src = sqlite_stmt_step(s)) == STORE_ONE)
					sks[t][cnt[t]++] = sqlite3_column_int64(s, 0);
				if (src < 0)
					rc = src;
			}
			sqlite_search_done(s);
		}
		for (long i = 0; i < cnt[t] && take > 0; i++) {
			if (skip > 0) {
				skip--;
				continue;
			}
			page[npage++] = sks[t][i];
			take--;
		}
	}
	sqlite3_stmt *docs = NULL;
	for (int i = 0; i < npage && rc == STORE_ONE; i++)
		rc = doc_by_sk(c, &docs, arr, page[i]);
	sqlite_search_done(docs);
	for (int t = 1; t <= 4; t++)
		free(sks[t]);
	strbuf_free(&sql);
	strbuf_free(&counts);
	strbuf_free(&texpr);
	return rc;
}

/* Other sorts with a search: the matches' products, ordered and paged. */
static int search_page_sorted(struct conn *c, struct store_docs *out, const char *expr,
			      const struct product_query *q)
{
	struct strbuf sql;
	strbuf_init(&sql);
	strbuf_puts(&sql, "SELECT p.doc FROM products p WHERE p.rowid IN (SELECT ps.pid FROM"
			  " search_fts CROSS JOIN product_search ps ON ps.sk = search_fts.rowid"
			  " WHERE search_fts MATCH ?1" SEARCH_TRUST ")");
	sqlite_list_order(&sql, q);
	strbuf_printf(&sql, " LIMIT %ld OFFSET %ld", q->limit, q->offset);
	sqlite3_stmt *s = NULL;
	int rc = sqlite_search_prepare(c, &s, sql.data, expr, q);
	if (rc == STORE_ONE)
		rc = sqlite_texts_collect(s, out);
	sqlite_search_done(s);
	strbuf_free(&sql);
	return rc;
}

int sqlite_search_list(struct conn *c, struct store_docs *out, long *out_total,
		       const char *tenant, const struct product_query *q)
{
	struct strbuf filter, expr;
	strbuf_init(&filter);
	strbuf_init(&expr);
	struct search_rendered terms = {0};
	int rc = STORE_ONE;
	*out_total = 0;
	if (q->search->n == 0 || !sqlite_search_filter(&filter, tenant, q))
		goto out; /* nothing searchable, or nothing visible: no rows */
	sqlite_search_render(c, tenant, q->search, &terms);
	sqlite_search_expr(&expr, filter.data, &terms, 0);
	if (q->sort == SORT_RELEVANCE) {
		rc = search_page_onepass(c, out, out_total, filter.data, expr.data, &terms, q);
		if (rc != STORE_NONE)
			goto out;
		store_docs_clear(out); /* too deep for one pass: count, then tier by tier */
		rc = STORE_ONE;
	}
	rc = search_count(c, out_total, expr.data, q);
	if (rc != STORE_ONE)
		goto out;
	if (q->sort == SORT_RELEVANCE) {
		rc = search_page_relevance(c, out, filter.data, &terms, q);
	} else {
		rc = search_page_sorted(c, out, expr.data, q);
	}
out:
	sqlite_search_rendered_free(&terms);
	strbuf_free(&filter);
	strbuf_free(&expr);
	return rc;
}

/* The first count_limit + 1 matches (descending sk), as "(SELECT ... ) AS m"
 * with m.pid; the MATCH expression is ?1. */
void sqlite_search_sample(struct strbuf *sql, const struct product_query *q)
{
	strbuf_puts(sql, "(SELECT ps.pid AS pid FROM (SELECT rowid AS sk FROM search_fts"
			 " WHERE search_fts MATCH ?1" SEARCH_TRUST " ORDER BY rowid DESC");
	if (q->count_limit > 0)
		strbuf_printf(sql, " LIMIT %ld", q->count_limit + 1);
	strbuf_puts(sql, ") AS x JOIN product_search ps ON ps.sk = x.sk) AS m");
}

/* A list without a query but with filters or a caller's visibility
 * (docs/search.md "Lists without a query"): the total is counted in the
 * search index, whose filter tokens answer every filter and the visibility
 * without reading products rows (the products-table count walked every
 * activated product of the tenant for a consumer who sees few of them).
 * When there are at most LIST_INDEXED_MAX matches, the page is read from
 * those matches too and sorted (they are few); otherwise the matches are
 * dense enough that the walk down the sort's index finds a page quickly:
 * STORE_NONE then tells the caller to read the page that way. */
#define LIST_INDEXED_MAX 2000
int sqlite_search_filtered(struct conn *c, struct store_docs *out, long *out_total,
			   const char *tenant, const struct product_query *q)
{
	struct strbuf filter, sql;
	strbuf_init(&filter);
	strbuf_init(&sql);
	int rc;
	*out_total = 0;
	if (!sqlite_search_filter(&filter, tenant, q)) {
		rc = STORE_ONE; /* the caller can see nothing: no rows */
		goto out;
	}
	rc = search_count(c, out_total, filter.data, q);
	if (rc != STORE_ONE)
		goto out;
	if (*out_total > LIST_INDEXED_MAX || (q->count_limit > 0 && *out_total > q->count_limit)) {
		rc = STORE_NONE;
		goto out;
	}
	/* sort the (few) matches' keys, then read the page's documents */
	strbuf_puts(&sql, "SELECT p.doc FROM (SELECT p.rowid AS r FROM (SELECT ps.pid AS pid"
			  " FROM search_fts CROSS JOIN product_search ps ON ps.sk = search_fts.rowid"
			  " WHERE search_fts MATCH ?1" SEARCH_TRUST ") AS m"
			  " CROSS JOIN products p ON p.rowid = m.pid");
	sqlite_list_order(&sql, q);
	strbuf_printf(&sql, " LIMIT %ld OFFSET %ld) AS page JOIN products p ON p.rowid = page.r",
		      q->limit, q->offset);
	sqlite_list_order(&sql, q);
	sqlite3_stmt *s = NULL;
	rc = sqlite_search_prepare(c, &s, sql.data, filter.data, q);
	if (rc == STORE_ONE)
		rc = sqlite_texts_collect(s, out);
	sqlite_search_done(s);
out:
	strbuf_free(&filter);
	strbuf_free(&sql);
	return rc;
}
