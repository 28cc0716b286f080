/* sqlite_fts: the search index's SQL functions (docs/search.md).
 * search_tier() ranks the rows of a search in one pass. search_terms_of()
 * is the tokenizer half of the index's term list (schema v10, table
 * search_terms, "Prefix expansion"): FTS5 can list the terms of an index
 * only by walking every term's whole doclist (fts5vocab), ~13 ms for
 * "customer" at 1M products; so the triggers that index a product also
 * record the tokens that prefix expansion can use, tokenized here by the
 * index's own tokenizer so that the list names exactly the tokens FTS5
 * stored. */
#include "store/sqlite_fts.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct term {
	char s[SEARCH_TOKEN_MAX];
	int n;
};

struct terms {
	struct term *v;
	size_t n, cap;
	bool oom;
};

struct tokenizer {
	fts5_tokenizer api;
	Fts5Tokenizer *t;
};

static int on_token(void *ctx, int flags, const char *tok, int len, int start, int end)
{
	(void)flags;
	(void)start;
	(void)end;
	struct terms *ts = ctx;
	if (len < SEARCH_TOKEN_MIN || len > SEARCH_TOKEN_MAX)
		return SQLITE_OK;
	for (int i = 0; i < len; i++)
		if (!((tok[i] >= 'a' && tok[i] <= 'z') || (tok[i] >= '0' && tok[i] <= '9')))
			return SQLITE_OK;
	if (ts->n == ts->cap) {
		size_t cap = ts->cap ? ts->cap * 2 : 64;
		struct term *v = realloc(ts->v, cap * sizeof *v);
		if (!v) {
			ts->oom = true;
			return SQLITE_NOMEM;
		}
		ts->v = v;
		ts->cap = cap;
	}
	memcpy(ts->v[ts->n].s, tok, (size_t)len);
	ts->v[ts->n++].n = len;
	return SQLITE_OK;
}

static int term_cmp(const void *a, const void *b)
{
	const struct term *x = a, *y = b;
	int c = memcmp(x->s, y->s, (size_t)(x->n < y->n ? x->n : y->n));
	return c ? c : x->n - y->n;
}

static void terms_of(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct tokenizer *tk = sqlite3_user_data(ctx);
	struct terms ts = {0};
	for (int i = 0; i < argc; i++) {
		const char *text = (const char *)sqlite3_value_text(argv[i]);
		int len = sqlite3_value_bytes(argv[i]);
		if (!text || len == 0)
			continue;
		int rc = tk->api.xTokenize(tk->t, &ts, FTS5_TOKENIZE_DOCUMENT, text, len, on_token);
		if (rc != SQLITE_OK) {
			free(ts.v);
			if (ts.oom || rc == SQLITE_NOMEM)
				sqlite3_result_error_nomem(ctx);
			else
				sqlite3_result_error_code(ctx, rc);
			return;
		}
	}
	if (ts.n > 1)
		qsort(ts.v, ts.n, sizeof *ts.v, term_cmp);
	/* ["t1","t2",...]: the tokens are [a-z0-9], nothing to escape */
	size_t cap = 3, out = 0;
	for (size_t i = 0; i < ts.n; i++)
		cap += (size_t)ts.v[i].n + 3;
	char *json = sqlite3_malloc64(cap);
	if (!json) {
		free(ts.v);
		sqlite3_result_error_nomem(ctx);
		return;
	}
	json[out++] = '[';
	for (size_t i = 0; i < ts.n; i++) {
		if (i > 0 && term_cmp(&ts.v[i], &ts.v[i - 1]) == 0)
			continue;
		if (out > 1)
			json[out++] = ',';
		json[out++] = '"';
		memcpy(json + out, ts.v[i].s, (size_t)ts.v[i].n);
		out += (size_t)ts.v[i].n;
		json[out++] = '"';
	}
	json[out++] = ']';
	free(ts.v);
	sqlite3_result_text64(ctx, json, out, sqlite3_free, SQLITE_UTF8);
}

static void tokenizer_free(void *p)
{
	struct tokenizer *tk = p;
	if (tk && tk->t)
		tk->api.xDelete(tk->t);
	free(tk);
}

static fts5_api *fts5_api_of(sqlite3 *db)
{
	fts5_api *api = NULL;
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &s, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_pointer(s, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(s);
	sqlite3_finalize(s);
	return api;
}

/* search_tier(search_fts, counts): the relevance tier (1..4) of the current
 * row of a MATCH whose last phrases are the query's terms, term i being
 * the OR of counts[i] phrases (a prefix expanded into its tokens; counts
 * is "1,3,1"), after the filter tokens' phrases. A term's column is the
 * first column (0 name, 1 tags, 2 description, 3 body) where one of its
 * phrases occurs; the row's tier is 1 + the largest of these: tier k means
 * every term occurs within the first k columns (docs/search.md). */
static void tier_fn(const Fts5ExtensionApi *x, Fts5Context *fts, sqlite3_context *ctx, int nval,
		    sqlite3_value **val)
{
	const char *counts = nval == 1 ? (const char *)sqlite3_value_text(val[0]) : NULL;
	if (!counts) {
		sqlite3_result_error(ctx, "search_tier: expected (search_fts, counts)", -1);
		return;
	}
	int n[64], nterms = 0, sum = 0;
	for (const char *c = counts; *c && nterms < 64;) {
		int v = 0;
		while (*c >= '0' && *c <= '9')
			v = v * 10 + (*c++ - '0');
		n[nterms++] = v;
		sum += v;
		if (*c == ',')
			c++;
		else
			break;
	}
	int phrase = x->xPhraseCount(fts) - sum, tier = 1;
	if (phrase < 0) {
		sqlite3_result_error(ctx, "search_tier: more term phrases than phrases", -1);
		return;
	}
	for (int t = 0; t < nterms; t++) {
		int best = 3; /* body, when no phrase of the term is seen in a text column */
		for (int k = 0; k < n[t]; k++, phrase++) {
			Fts5PhraseIter it;
			int col = -1;
			if (x->xPhraseFirstColumn(fts, phrase, &it, &col) != SQLITE_OK) {
				sqlite3_result_error(ctx, "search_tier: cannot read a phrase", -1);
				return;
			}
			if (col >= 0 && col < best) /* columns come in ascending order */
				best = col;
		}
		if (best + 1 > tier)
			tier = best + 1;
	}
	sqlite3_result_int(ctx, tier);
}

int sqlite_fts_register(sqlite3 *db)
{
	fts5_api *api = fts5_api_of(db);
	if (!api)
		return SQLITE_ERROR;
	int frc = api->xCreateFunction(api, "search_tier", NULL, tier_fn, NULL);
	if (frc != SQLITE_OK)
		return frc;
	struct tokenizer *tk = calloc(1, sizeof *tk);
	if (!tk)
		return SQLITE_NOMEM;
	void *uctx = NULL;
	/* the arguments of search_fts's tokenize= option (schema.h) */
	const char *args[] = {"remove_diacritics", "2"};
	int rc = api->xFindTokenizer(api, "unicode61", &uctx, &tk->api);
	if (rc == SQLITE_OK)
		rc = tk->api.xCreate(uctx, args, 2, &tk->t);
	if (rc != SQLITE_OK) {
		free(tk);
		return rc;
	}
	return sqlite3_create_function_v2(db, "search_terms_of", -1,
					  SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, tk,
					  terms_of, NULL, NULL, tokenizer_free);
}
