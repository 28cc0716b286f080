/* migrate: copies a SQLite deployment into an empty PostgreSQL database
 * (issue 11), then verifies the copy.
 *
 * How: both stores are opened through store_open first, so the SQLite file
 * is at the current schema (as `serve` would leave it) and the PostgreSQL
 * database has the backend's schema (pg_schema.h) and passes its checks
 * (fsync on); a target that has any tenant is refused, and so is one that
 * another migrate is copying into (advisory lock 8511/3, held for the run). The rows are then
 * copied table by table, below the store interface: the SQLite file is read
 * in one read transaction (one consistent snapshot, streamed row by row with
 * sqlite3_step) and written on one libpq connection in transactions of
 * --batch rows, with no round trip per row (for a remote target): COPY FROM
 * STDIN for every table but products, whose search vectors the server
 * computes, so they go through a prepared INSERT sent in pipeline mode
 * (results read once per segment of rows). Documents and
 * every other text column go across as the bytes SQLite holds (documents
 * are served byte for byte); identity columns (users.seq, changelogs.seq,
 * computations.seq) keep SQLite's rowids, so list orders and changelog
 * numbering (pseq) stay as they were, and the sequences are moved past
 * them. Columns only PostgreSQL has are derived as its backend derives them:
 * the search vectors (the same expressions as pg.c's PRODUCT_TS),
 * products.changelog_n (the product's last pseq) and, for rows written
 * before SQLite's v4, the ETag (etag_of, as rows.c). SQLite-only tables
 * (search_fts, product_search, search_terms, list_blocks) are indexes that
 * PostgreSQL keeps otherwise; tenant_counts and dataset_usage are kept by
 * their triggers (COPY fires them; a link row carries its product's
 * activated flag, so it counts right however the rows arrive).
 *
 * Verification, in the same SQLite snapshot: per table, the row counts are
 * equal; per tenant and table, a SHA-256 over every copied column of every
 * row in key order (text byte for byte, booleans as 0/1, doubles as their
 * binary value) is equal on both sides. Memory stays bounded: rows are
 * streamed on both sides (PostgreSQL reads in single-row mode). */
#include "migrate.h"
#include <errno.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "store/store.h"
#include "util/clock.h"
#include "util/etag.h"
#include "util/strbuf.h"
#include "util/log.h"

#define MAX_COLS 20

/* One table. types, one letter per copied column: t text or integer (as
 * SQLite renders it), b boolean, d double, E the ETag (computed from the
 * column before it, the document, when SQLite has none: rows before v4). */
struct table {
	const char *name;
	const char *src;     /* the SQLite SELECT list, in the order of cols */
	const char *cols;    /* the PostgreSQL columns written */
	const char *types;   /* per column of cols */
	const char *insert;  /* the INSERT for tables with derived columns; the
			      * others are written with COPY (which writes identity
			      * columns as given, like OVERRIDING SYSTEM VALUE) */
	/* verification: the tenant column, the key order, and the columns
	 * hashed on each side (same number and meaning; vtypes as types) */
	const char *tenant_col, *key, *vsrc, *vdst, *vtypes;
};

/* PRODUCT_TS of pg.c, with the tags and data set ids read from the document */
#define DOC_ARRAY(a) "CASE json_typeof(($10::text)::json->'" a "') WHEN 'array' THEN" \
	" ($10::text)::json->'" a "' ELSE '[]'::json END"
static const char products_insert[] =
	"INSERT INTO products(id, tenant_id, name, name_lc, space_id, owner_id, activated,"
	" created_at, updated_at, doc, etag, trust_score, quality, changelog_n, ts_name, ts_tags,"
	" ts_desc, ts_body) VALUES($1::text, $2::text, $3::text, $4::text, $5::text, $6::text,"
	" $7::boolean, $8::text, $9::text, $10::text, $11::text, $12::double precision,"
	" $13::double precision, $14::bigint, dp_tsv($3::text),"
	" dp_tsv(coalesce((SELECT string_agg(e #>> '{}', ' ' ORDER BY n) FROM json_array_elements("
	DOC_ARRAY("tags") ") WITH ORDINALITY AS x(e, n) WHERE json_typeof(e) = 'string'), '')),"
	" dp_tsv(($10::text)::json->>'description'),"
	" dp_tsv(coalesce(($10::text)::json->>'readMe', '') || ' ' || coalesce((SELECT"
	" string_agg(d.doc::json->>'name', ' ') FROM datasets d WHERE d.tenant_id = $2::text"
	" AND d.id IN (SELECT e #>> '{}' FROM json_array_elements(" DOC_ARRAY("datasetIds") ") e"
	" WHERE json_typeof(e) = 'string')), '')))";

/* In the order of the foreign keys (and products after datasets: their
 * search vectors name the data sets). */
static const struct table tables[] = {
	{"tenants", "id, name, created_at", "id, name, created_at", "ttt", NULL,
	 "id", "id", "id, name, created_at", "id, name, created_at", "ttt"},
	{"users", "rowid, id, tenant_id, email, roles, status, doc",
	 "seq, id, tenant_id, email, roles, status, doc", "ttttttt", NULL, "tenant_id", "id",
	 "rowid, id, email, roles, status, doc", "seq, id, email, roles, status, doc", "tttttt"},
	{"api_keys",
	 "id, tenant_id, user_id, hash, created_at, expires_ms, revoked, description, created_by,"
	 " updated_at",
	 "id, tenant_id, user_id, hash, created_at, expires_ms, revoked, description, created_by,"
	 " updated_at",
	 "ttttttbttt", NULL, "tenant_id", "id",
	 "id, user_id, hash, created_at, expires_ms, revoked, description, created_by, updated_at",
	 "id, user_id, hash, created_at, expires_ms, revoked, description, created_by, updated_at",
	 "tttttbttt"},
	{"spaces", "id, tenant_id, name, type, owner_id, created_at, doc",
	 "id, tenant_id, name, type, owner_id, created_at, doc", "ttttttt", NULL,
	 "tenant_id", "id", "id, name, type, owner_id, created_at, doc",
	 "id, name, type, owner_id, created_at, doc", "tttttt"},
	{"space_assignments", "id, tenant_id, space_id, assignee_id, roles, created_at, doc",
	 "id, tenant_id, space_id, assignee_id, roles, created_at, doc", "ttttttt", NULL,
	 "tenant_id", "id", "id, space_id, assignee_id, roles, created_at, doc",
	 "id, space_id, assignee_id, roles, created_at, doc", "tttttt"},
	{"sessions",
	 "tenant_id, id_hash, user_id, key_id, created_via, created_at, last_seen_at, expires_at",
	 "tenant_id, id_hash, user_id, key_id, created_via, created_at, last_seen_at, expires_at",
	 "tttttttt", NULL, "tenant_id", "id_hash",
	 "id_hash, user_id, key_id, created_via, created_at, last_seen_at, expires_at",
	 "id_hash, user_id, key_id, created_via, created_at, last_seen_at, expires_at", "ttttttt"},
	{"datasets", "id, tenant_id, space_id, doc, name_lc, technical_lc",
	 "id, tenant_id, space_id, doc, name_lc, technical_lc", "tttttt", NULL, "tenant_id",
	 "id", "id, space_id, doc, name_lc, technical_lc", "id, space_id, doc, name_lc, technical_lc",
	 "ttttt"},
	{"products",
	 "id, tenant_id, name, name_lc, space_id, owner_id, activated, created_at, updated_at, doc,"
	 " etag, trust_score, quality, (SELECT coalesce(max(c.pseq), 0) FROM changelogs c"
	 " WHERE c.product_id = products.id)",
	 NULL, "ttttttbtttEddt", products_insert, "tenant_id", "id",
	 "id, name, name_lc, space_id, owner_id, activated, created_at, updated_at, doc,"
	 " trust_score, quality",
	 "id, name, name_lc, space_id, owner_id, activated, created_at, updated_at, doc,"
	 " trust_score, quality",
	 "tttttbtttdd"},
	{"product_tags", "product_id, tenant_id, tag", "product_id, tenant_id, tag", "ttt", NULL, "tenant_id", "product_id, tag", "product_id, tag", "product_id, tag", "tt"},
	{"product_datasets", "product_id, tenant_id, dataset_id, activated",
	 "product_id, tenant_id, dataset_id, activated", "tttb", NULL, "tenant_id",
	 "product_id, dataset_id", "product_id, dataset_id, activated",
	 "product_id, dataset_id, activated", "ttb"},
	{"changelogs", "seq, id, tenant_id, product_id, created_at, doc, pseq",
	 "seq, id, tenant_id, product_id, created_at, doc, pseq", "ttttttt", NULL,
	 "tenant_id", "product_id, pseq", "seq, id, product_id, created_at, doc, pseq",
	 "seq, id, product_id, created_at, doc, pseq", "tttttt"},
	{"quality_batches", "id, tenant_id, product_id, created_at, created_by",
	 "id, tenant_id, product_id, created_at, created_by", "ttttt", NULL, "tenant_id", "id",
	 "id, product_id, created_at, created_by", "id, product_id, created_at, created_by", "tttt"},
	{"computations",
	 "rowid, id, tenant_id, batch_id, dataset_id, status, attempts, error_code, error_reason,"
	 " requested_at, requested_by, started_at, finished_at, result",
	 "seq, id, tenant_id, batch_id, dataset_id, status, attempts, error_code, error_reason,"
	 " requested_at, requested_by, started_at, finished_at, result",
	 "tttttttttttttt", NULL, "tenant_id", "id",
	 "rowid, id, batch_id, dataset_id, status, attempts, error_code, error_reason,"
	 " requested_at, requested_by, started_at, finished_at, result",
	 "seq, id, batch_id, dataset_id, status, attempts, error_code, error_reason,"
	 " requested_at, requested_by, started_at, finished_at, result",
	 "ttttttttttttt"},
	{"trust_results", "tenant_id, dataset_id, score, previous_score, doc, updated_at",
	 "tenant_id, dataset_id, score, previous_score, doc, updated_at", "ttddtt", NULL,
	 "tenant_id", "dataset_id", "dataset_id, score, previous_score, doc, updated_at",
	 "dataset_id, score, previous_score, doc, updated_at", "tddtt"},
	{"tenant_settings", "tenant_id, trust_config", "tenant_id, trust_config", "tt", NULL,
	 "tenant_id", "tenant_id", "trust_config", "trust_config", "t"},
};
#define NTABLES ((int)(sizeof tables / sizeof tables[0]))

/* identity columns whose sequences move past the copied values */
static const char *const identities[][2] = {
	{"users", "seq"}, {"changelogs", "seq"}, {"computations", "seq"}};

struct run {
	sqlite3 *src;
	PGconn *dst;
	long batch;
	long copied[NTABLES];
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: dataproducts migrate --from sqlite:PATH --to postgresql://... [--batch N]\n\n"
		"Copies a SQLite deployment (every tenant: users, API keys, sessions, spaces and\n"
		"assignments, data sets, products and their changelogs, quality computations, trust\n"
		"results and settings) into an empty PostgreSQL database, then verifies it: the row\n"
		"count of every table, and a SHA-256 per tenant and table over every copied column\n"
		"(documents byte for byte). Prints a summary; exit 0 only when both agree.\n\n"
		"Stop the server on the SQLite file first (writes made during the copy are not\n"
		"copied). The target must have no tenant: a database that `serve` has started on\n"
		"already has one (\"default\"); create a fresh database for the copy. The SQLite\n"
		"file is first brought to the current schema, as `serve` would.\n\n"
		"Options:\n"
		"  --from sqlite:PATH       the SQLite database to copy (read, not changed)\n"
		"  --to postgresql://...    the PostgreSQL database (also postgres://); the schema\n"
		"                           is created when missing\n"
		"  --batch N                rows per target transaction (default 1000)\n"
		"  -h, --help               this help\n\n"
		"See docs/deployment.md, \"Moving from SQLite to PostgreSQL\".\n");
}

/* ---- copying ------------------------------------------------------------ */

static int pg_cmd(PGconn *db, const char *sql)
{
	PGresult *r = PQexec(db, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
	if (!ok)
		fprintf(stderr, "dataproducts: migrate: %s: %s", sql, PQerrorMessage(db));
	PQclear(r);
	return ok ? 0 : -1;
}

/* The values of one SQLite row as PostgreSQL text (v[i] NULL for NULL);
 * num and etag hold the ones computed here. -1 when a document does not
 * parse (for the ETag of a row before v4). */
static int row_values(const struct table *t, sqlite3_stmt *s, int n, const char **v,
		      char num[][32], char *etag)
{
	for (int i = 0; i < n; i++) {
		bool null = sqlite3_column_type(s, i) == SQLITE_NULL;
		v[i] = NULL;
		if (null && t->types[i] != 'E')
			continue;
		if (t->types[i] == 't' || (t->types[i] == 'E' && !null)) {
			v[i] = (const char *)sqlite3_column_text(s, i);
		} else if (t->types[i] == 'b') {
			v[i] = sqlite3_column_int64(s, i) ? "true" : "false";
		} else if (t->types[i] == 'd') {
			snprintf(num[i], sizeof num[i], "%.17g", sqlite3_column_double(s, i));
			v[i] = num[i];
		} else if (t->types[i] == 'E' && !v[i]) {
			json_t *doc = v[i - 1] ? json_loads(v[i - 1], 0, NULL) : NULL;
			if (!doc) {
				fprintf(stderr, "dataproducts: migrate: %s row %s: the document does not"
						" parse\n", t->name, v[0] ? v[0] : "?");
				return -1;
			}
			etag_of(etag, doc);
			json_decref(doc);
			v[i] = etag;
		}
	}
	return 0;
}

/* One row in COPY's text format: tab-separated, \N for NULL, backslash,
 * tab, newline and carriage return escaped; every other byte as it is. */
static void copy_line(struct strbuf *sb, int n, const char *const *v)
{
	for (int i = 0; i < n; i++) {
		if (i)
			strbuf_putc(sb, '\t');
		if (!v[i]) {
			strbuf_append(sb, "\\N", 2);
			continue;
		}
		const char *p = v[i], *run = p;
		for (; *p; p++) {
			const char *esc = *p == '\\' ? "\\\\" : *p == '\t' ? "\\t" : *p == '\n' ? "\\n"
					  : *p == '\r' ? "\\r" : NULL;
			if (!esc)
				continue;
			strbuf_append(sb, run, (size_t)(p - run));
			strbuf_append(sb, esc, 2);
			run = p + 1;
		}
		strbuf_append(sb, run, (size_t)(p - run));
	}
	strbuf_putc(sb, '\n');
}

/* Ends the COPY under way: sends its end (or, with why, aborts it so the
 * server rolls the statement back) and reads its result. */
static int copy_end(struct run *m, const struct table *t, const char *why)
{
	int rc = 0;
	if (PQputCopyEnd(m->dst, why) != 1) {
		fprintf(stderr, "dataproducts: migrate: writing %s: %s", t->name, PQerrorMessage(m->dst));
		rc = -1;
	}
	PGresult *r;
	while ((r = PQgetResult(m->dst))) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			if (!why)
				fprintf(stderr, "dataproducts: migrate: writing %s: %s", t->name,
					PQresultErrorMessage(r));
			rc = -1;
		}
		PQclear(r);
	}
	return why ? -1 : rc;
}

/* The rows of s into a table without derived columns: COPY FROM STDIN, one
 * COPY (and so one transaction) per --batch rows, the data sent in chunks of
 * about 256 KiB. No round trip per row. */
static int copy_rows(struct run *m, int ti, sqlite3_stmt *s)
{
	const struct table *t = &tables[ti];
	int n = (int)strlen(t->types), step;
	char sql[1024];
	snprintf(sql, sizeof sql, "COPY %s(%s) FROM STDIN", t->name, t->cols);
	struct strbuf sb;
	strbuf_init(&sb);
	long in_copy = 0;
	int rc = 0;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *v[MAX_COLS];
		char num[MAX_COLS][32], etag[ETAG_LEN + 1];
		if (row_values(t, s, n, v, num, etag) < 0) {
			rc = -1;
			break;
		}
		if (in_copy == 0) {
			PGresult *r = PQexec(m->dst, sql);
			int ok = PQresultStatus(r) == PGRES_COPY_IN;
			if (!ok)
				fprintf(stderr, "dataproducts: migrate: %s: %s", sql, PQerrorMessage(m->dst));
			PQclear(r);
			if (!ok) {
				rc = -1;
				break;
			}
		}
		copy_line(&sb, n, v);
		in_copy++;
		bool end = in_copy >= m->batch;
		if (sb.len >= 256 * 1024 || end) {
			if (PQputCopyData(m->dst, sb.data, (int)sb.len) != 1) {
				fprintf(stderr, "dataproducts: migrate: writing %s: %s", t->name,
					PQerrorMessage(m->dst));
				rc = -1;
				break;
			}
			sb.len = 0;
		}
		if (end) {
			if (copy_end(m, t, NULL) < 0) {
				in_copy = 0;
				rc = -1;
				break;
			}
			m->copied[ti] += in_copy;
			in_copy = 0;
		}
	}
	if (rc == 0 && step != SQLITE_DONE) {
		fprintf(stderr, "dataproducts: migrate: reading %s: %s\n", t->name,
			sqlite3_errmsg(m->src));
		rc = -1;
	}
	if (in_copy > 0) {
		if (rc == 0 && sb.len > 0 && PQputCopyData(m->dst, sb.data, (int)sb.len) != 1) {
			fprintf(stderr, "dataproducts: migrate: writing %s: %s", t->name,
				PQerrorMessage(m->dst));
			rc = -1;
		}
		if (copy_end(m, t, rc < 0 ? "migrate failed" : NULL) < 0)
			rc = -1;
		else
			m->copied[ti] += in_copy;
	}
	strbuf_free(&sb);
	return rc;
}

/* Reads the results of one pipeline segment, up to and including its sync
 * point. Returns -1 (after printing the first error) when a statement
 * failed: the server skipped the rest of the segment. */
static int pipeline_drain(struct run *m, const struct table *t)
{
	int rc = 0, nulls = 0;
	for (;;) {
		PGresult *r = PQgetResult(m->dst);
		if (!r) {
			/* a NULL ends each statement's results; two in a row: nothing
			 * more will come (the connection is gone) */
			if (++nulls > 1 || PQstatus(m->dst) == CONNECTION_BAD) {
				if (rc == 0)
					fprintf(stderr, "dataproducts: migrate: writing %s: %s", t->name,
						PQerrorMessage(m->dst));
				return -1;
			}
			continue;
		}
		nulls = 0;
		ExecStatusType st = PQresultStatus(r);
		if (st == PGRES_PIPELINE_SYNC) {
			PQclear(r);
			return rc;
		}
		if (st == PGRES_FATAL_ERROR || st == PGRES_NONFATAL_ERROR) {
			if (rc == 0)
				fprintf(stderr, "dataproducts: migrate: writing %s: %s", t->name,
					PQresultErrorMessage(r));
			rc = -1;
		} else if (st == PGRES_PIPELINE_ABORTED) {
			rc = -1;
		}
		PQclear(r);
	}
}

static int pipeline_send(struct run *m, const char *sql)
{
	if (PQsendQueryParams(m->dst, sql, 0, NULL, NULL, NULL, NULL, 0) == 1)
		return 0;
	fprintf(stderr, "dataproducts: migrate: %s: %s", sql, PQerrorMessage(m->dst));
	return -1;
}

/* The rows of s through a prepared INSERT with derived columns (products:
 * the search vectors are computed by the server), in libpq pipeline mode:
 * the INSERTs (and BEGIN/COMMIT every --batch rows) are sent without
 * waiting, and their results read at a sync point every PIPE_ROWS rows, so
 * the client waits once per segment, not once per row. Segments stay small
 * enough that the results the server writes back fit the socket buffers
 * while the client is still sending (no deadlock on a blocking connection). */
#define PIPE_ROWS 500
static int insert_rows(struct run *m, int ti, sqlite3_stmt *s, const char *stmt)
{
	const struct table *t = &tables[ti];
	int n = (int)strlen(t->types), step, rc = 0;
	if (PQenterPipelineMode(m->dst) != 1) {
		fprintf(stderr, "dataproducts: migrate: pipeline mode: %s", PQerrorMessage(m->dst));
		return -1;
	}
	long in_tx = 0, in_seg = 0, seg_rows = 0;
	bool open_tx = false;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *v[MAX_COLS];
		char num[MAX_COLS][32], etag[ETAG_LEN + 1];
		if (row_values(t, s, n, v, num, etag) < 0) {
			rc = -1;
			break;
		}
		if (in_tx == 0) {
			if (pipeline_send(m, "BEGIN") < 0) {
				rc = -1;
				break;
			}
			open_tx = true;
		}
		if (PQsendQueryPrepared(m->dst, stmt, n, v, NULL, NULL, 0) != 1) {
			fprintf(stderr, "dataproducts: migrate: writing %s: %s", t->name,
				PQerrorMessage(m->dst));
			rc = -1;
			break;
		}
		in_seg++;
		if (++in_tx >= m->batch) {
			if (pipeline_send(m, "COMMIT") < 0) {
				rc = -1;
				break;
			}
			open_tx = false;
			in_tx = 0;
			seg_rows += in_seg; /* committed once the segment's sync is read */
			in_seg = 0;
		}
		if (in_seg + seg_rows >= PIPE_ROWS) {
			if (PQpipelineSync(m->dst) != 1 || pipeline_drain(m, t) < 0) {
				rc = -1;
				break;
			}
			m->copied[ti] += seg_rows + in_seg;
			seg_rows = in_seg = 0;
		}
	}
	if (rc == 0 && step != SQLITE_DONE) {
		fprintf(stderr, "dataproducts: migrate: reading %s: %s\n", t->name,
			sqlite3_errmsg(m->src));
		rc = -1;
	}
	if (rc == 0 && open_tx && pipeline_send(m, "COMMIT") < 0)
		rc = -1;
	if (rc == 0) {
		if (PQpipelineSync(m->dst) != 1 || pipeline_drain(m, t) < 0)
			rc = -1;
		else
			m->copied[ti] += seg_rows + in_seg;
	} else if (PQpipelineStatus(m->dst) != PQ_PIPELINE_OFF) {
		/* read what was sent, so that the connection can leave pipeline
		 * mode; the open transaction is rolled back below */
		if (PQpipelineSync(m->dst) == 1)
			pipeline_drain(m, t);
	}
	if (PQstatus(m->dst) == CONNECTION_BAD)
		return -1;
	if (PQexitPipelineMode(m->dst) != 1) {
		fprintf(stderr, "dataproducts: migrate: leaving pipeline mode: %s",
			PQerrorMessage(m->dst));
		return -1;
	}
	if (rc < 0)
		pg_cmd(m->dst, "ROLLBACK");
	return rc;
}

static int copy_table(struct run *m, int ti)
{
	const struct table *t = &tables[ti];
	char sql[4096];
	snprintf(sql, sizeof sql, "SELECT %s FROM %s ORDER BY rowid", t->src, t->name);
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(m->src, sql, -1, &s, NULL) != SQLITE_OK) {
		fprintf(stderr, "dataproducts: migrate: reading %s: %s\n", t->name,
			sqlite3_errmsg(m->src));
		return -1;
	}
	if (!t->insert) {
		int rc = copy_rows(m, ti, s);
		sqlite3_finalize(s);
		return rc;
	}
	char stmt[64];
	snprintf(stmt, sizeof stmt, "migrate_%s", t->name);
	PGresult *r = PQprepare(m->dst, stmt, t->insert, (int)strlen(t->types), NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "dataproducts: migrate: preparing the insert into %s: %s", t->name,
			PQerrorMessage(m->dst));
		PQclear(r);
		sqlite3_finalize(s);
		return -1;
	}
	PQclear(r);
	int rc = insert_rows(m, ti, s, stmt);
	sqlite3_finalize(s);
	return rc;
}

/* ---- verifying ----------------------------------------------------------- */

/* One value into the digest: absent (NULL) or present with its length, so
 * that no two different rows hash alike. */
static void hash_value(EVP_MD_CTX *h, char type, const char *text, size_t len, bool is_null,
		       double d, long long b)
{
	unsigned char tag = is_null ? 0 : 1;
	EVP_DigestUpdate(h, &tag, 1);
	if (is_null)
		return;
	if (type == 'd') {
		EVP_DigestUpdate(h, &d, sizeof d);
	} else if (type == 'b') {
		unsigned char c = b ? 1 : 0;
		EVP_DigestUpdate(h, &c, 1);
	} else {
		unsigned long long l = len;
		EVP_DigestUpdate(h, &l, sizeof l);
		EVP_DigestUpdate(h, text, len);
	}
}

static void verify_sql(char *out, size_t cap, const struct table *t, const char *cols)
{
	snprintf(out, cap, "SELECT %s FROM %s WHERE %s = $1 ORDER BY %s", cols, t->name,
		 t->tenant_col, t->key);
}

static int digest_src(struct run *m, const struct table *t, const char *tenant,
		      unsigned char *md, long *rows)
{
	char sql[2048];
	verify_sql(sql, sizeof sql, t, t->vsrc);
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(m->src, sql, -1, &s, NULL) != SQLITE_OK) {
		fprintf(stderr, "dataproducts: migrate: verifying %s: %s\n", t->name,
			sqlite3_errmsg(m->src));
		return -1;
	}
	sqlite3_bind_text(s, 1, tenant, -1, SQLITE_STATIC);
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	EVP_DigestInit_ex(h, EVP_sha256(), NULL);
	int n = (int)strlen(t->vtypes), step;
	*rows = 0;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		for (int i = 0; i < n; i++) {
			char ty = t->vtypes[i];
			bool null = sqlite3_column_type(s, i) == SQLITE_NULL;
			const char *txt = NULL;
			size_t len = 0;
			double d = 0;
			long long b = 0;
			if (null)
				;
			else if (ty == 'd')
				d = sqlite3_column_double(s, i);
			else if (ty == 'b')
				b = sqlite3_column_int64(s, i);
			else {
				txt = (const char *)sqlite3_column_text(s, i);
				len = (size_t)sqlite3_column_bytes(s, i);
			}
			hash_value(h, ty, txt, len, null, d, b);
		}
		++*rows;
	}
	EVP_DigestFinal_ex(h, md, NULL);
	EVP_MD_CTX_free(h);
	int rc = step == SQLITE_DONE ? 0 : -1;
	if (rc < 0)
		fprintf(stderr, "dataproducts: migrate: verifying %s: %s\n", t->name,
			sqlite3_errmsg(m->src));
	sqlite3_finalize(s);
	return rc;
}

static int digest_dst(struct run *m, const struct table *t, const char *tenant,
		      unsigned char *md, long *rows)
{
	char sql[2048];
	verify_sql(sql, sizeof sql, t, t->vdst);
	const char *v[1] = {tenant};
	if (!PQsendQueryParams(m->dst, sql, 1, NULL, v, NULL, NULL, 0) ||
	    !PQsetSingleRowMode(m->dst)) {
		fprintf(stderr, "dataproducts: migrate: verifying %s: %s", t->name,
			PQerrorMessage(m->dst));
		return -1;
	}
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	EVP_DigestInit_ex(h, EVP_sha256(), NULL);
	int n = (int)strlen(t->vtypes), rc = 0;
	*rows = 0;
	PGresult *r;
	while ((r = PQgetResult(m->dst))) {
		ExecStatusType st = PQresultStatus(r);
		if (st == PGRES_SINGLE_TUPLE) {
			for (int i = 0; i < n; i++) {
				bool null = PQgetisnull(r, 0, i);
				const char *txt = PQgetvalue(r, 0, i);
				hash_value(h, t->vtypes[i], txt, (size_t)PQgetlength(r, 0, i), null,
					   null ? 0 : strtod(txt, NULL), !null && txt[0] == 't');
			}
			++*rows;
		} else if (st != PGRES_TUPLES_OK) {
			fprintf(stderr, "dataproducts: migrate: verifying %s: %s", t->name,
				PQresultErrorMessage(r));
			rc = -1;
		}
		PQclear(r);
	}
	EVP_DigestFinal_ex(h, md, NULL);
	EVP_MD_CTX_free(h);
	return rc;
}

static int count_src(struct run *m, const char *table, long *out)
{
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
	sqlite3_stmt *s = NULL;
	int rc = -1;
	if (sqlite3_prepare_v2(m->src, sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW) {
		*out = (long)sqlite3_column_int64(s, 0);
		rc = 0;
	}
	sqlite3_finalize(s);
	return rc;
}

static int count_dst(struct run *m, const char *table, long *out)
{
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
	PGresult *r = PQexec(m->dst, sql);
	int rc = -1;
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		*out = strtol(PQgetvalue(r, 0, 0), NULL, 10);
		rc = 0;
	}
	PQclear(r);
	return rc;
}

/* Counts per table, then digests per tenant and table. Returns the number
 * of differences (0: verified), -1 on an error. */
static int verify(struct run *m, long *ntenants)
{
	int bad = 0;
	printf("%-18s %10s %10s %10s\n", "table", "sqlite", "copied", "postgresql");
	for (int ti = 0; ti < NTABLES; ti++) {
		long a = -1, b = -1;
		if (count_src(m, tables[ti].name, &a) < 0 || count_dst(m, tables[ti].name, &b) < 0) {
			fprintf(stderr, "dataproducts: migrate: counting %s failed\n", tables[ti].name);
			return -1;
		}
		printf("%-18s %10ld %10ld %10ld%s\n", tables[ti].name, a, m->copied[ti], b,
		       a == b ? "" : "  MISMATCH");
		bad += a != b;
	}
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(m->src, "SELECT id, name FROM tenants ORDER BY id", -1, &s, NULL) !=
	    SQLITE_OK)
		return -1;
	*ntenants = 0;
	int rc = 0, step;
	while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *tenant = (const char *)sqlite3_column_text(s, 0);
		const char *name = (const char *)sqlite3_column_text(s, 1);
		int tenant_bad = 0;
		for (int ti = 0; ti < NTABLES; ti++) {
			unsigned char ma[EVP_MAX_MD_SIZE], mb[EVP_MAX_MD_SIZE];
			long ra = 0, rb = 0;
			if (digest_src(m, &tables[ti], tenant, ma, &ra) < 0 ||
			    digest_dst(m, &tables[ti], tenant, mb, &rb) < 0) {
				rc = -1;
				break;
			}
			if (ra != rb || memcmp(ma, mb, 32)) {
				fprintf(stderr, "dataproducts: migrate: tenant %s (%s), table %s:"
						" content differs (%ld rows in SQLite, %ld in PostgreSQL)\n",
					name, tenant, tables[ti].name, ra, rb);
				tenant_bad++;
			}
		}
		bad += tenant_bad;
		++*ntenants;
	}
	sqlite3_finalize(s);
	return rc < 0 ? -1 : bad;
}

/* ---- the command ----------------------------------------------------------- */

static int check_target_empty(const char *to)
{
	char err[512];
	struct store *st;
	if (store_open(&st, to, err, sizeof err) < 0) {
		fprintf(stderr, "dataproducts: migrate: target: %s\n", err);
		return -1;
	}
	long n = -1;
	int rc = st->ops->tenant_count(st, &n);
	st->ops->close(st);
	if (rc < 0) {
		fprintf(stderr, "dataproducts: migrate: target: cannot count its tenants\n");
		return -1;
	}
	if (n > 0) {
		fprintf(stderr,
			"dataproducts: migrate: refused: the target database is not empty (%ld"
			" tenant%s).\n  Copy into a new, empty database (CREATE DATABASE ...); a"
			" database that `serve` or `bootstrap`\n  has run on has a tenant already.\n",
			n, n == 1 ? "" : "s");
		return 1;
	}
	return 0;
}

/* Takes the target's migrate lock and checks, under it, that the target
 * is still empty; 0, or 1 (refused, said why) / -1 (error). */
static int claim_target(PGconn *db)
{
	PGresult *r = PQexec(db, "SELECT pg_try_advisory_lock(8511, 3),"
				 " (SELECT count(*) FROM tenants)");
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		fprintf(stderr, "dataproducts: migrate: target: %s", PQerrorMessage(db));
		PQclear(r);
		return -1;
	}
	bool locked = !strcmp(PQgetvalue(r, 0, 0), "t");
	long n = atol(PQgetvalue(r, 0, 1));
	PQclear(r);
	if (!locked) {
		fprintf(stderr, "dataproducts: migrate: refused: another migrate is copying into the"
				" target database now.\n  Nothing was written by this one; check the"
				" other one's result.\n");
		return 1;
	}
	if (n > 0) {
		fprintf(stderr, "dataproducts: migrate: refused: the target database is not empty (%ld"
				" tenant%s): another migrate has copied into it. Nothing was written by"
				" this one.\n", n, n == 1 ? "" : "s");
		return 1;
	}
	return 0;
}

int migrate_main(int argc, char **argv)
{
	const char *from = NULL, *to = NULL, *batch = "1000";
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		}
		const char **dst = !strcmp(argv[i], "--from")	 ? &from
				   : !strcmp(argv[i], "--to")	 ? &to
				   : !strcmp(argv[i], "--batch") ? &batch
								 : NULL;
		if (!dst || i + 1 >= argc) {
			fprintf(stderr, "dataproducts: migrate: %s '%s' (see migrate --help)\n",
				dst ? "missing value for" : "unknown option", argv[i]);
			return 2;
		}
		*dst = argv[++i];
	}
	if (!from || !to) {
		fprintf(stderr, "dataproducts: migrate: --from sqlite:PATH and --to postgresql://..."
				" are both required (see migrate --help)\n");
		return 2;
	}
	if (strncmp(from, "sqlite:", 7) || !from[7]) {
		fprintf(stderr, "dataproducts: migrate: --from must be sqlite:PATH, not '%s'\n", from);
		return 2;
	}
	if (strncmp(to, "postgresql://", 13) && strncmp(to, "postgres://", 11)) {
		fprintf(stderr, "dataproducts: migrate: --to must be a postgresql:// URL\n");
		return 2;
	}
	char *end = NULL;
	errno = 0;
	long nbatch = strtol(batch, &end, 10);
	if (errno || !end || *end || nbatch < 1 || nbatch > 1000000) {
		fprintf(stderr, "dataproducts: migrate: --batch must be 1..1000000, not '%s'\n", batch);
		return 2;
	}
	const char *path = from + 7;
	struct stat sb;
	if (stat(path, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		fprintf(stderr, "dataproducts: migrate: --from %s: %s\n", path,
			errno ? strerror(errno) : "not a regular file");
		return 1;
	}
	int64_t t0 = clock_mono_ns();

	/* the source at the current schema, as serve would open it */
	char err[512];
	struct store *st;
	if (store_open(&st, from, err, sizeof err) < 0) {
		fprintf(stderr, "dataproducts: migrate: source: %s\n", err);
		return 1;
	}
	st->ops->close(st);
	int rc = check_target_empty(to);
	if (rc != 0)
		return 1;

	struct run m = {.batch = nbatch};
	if (sqlite3_open_v2(path, &m.src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "dataproducts: migrate: cannot open %s: %s\n", path,
			sqlite3_errmsg(m.src));
		sqlite3_close(m.src);
		return 1;
	}
	sqlite3_busy_timeout(m.src, 5000);
	m.dst = PQconnectdb(to);
	if (PQstatus(m.dst) != CONNECTION_OK) {
		fprintf(stderr, "dataproducts: migrate: cannot connect to PostgreSQL: %s",
			PQerrorMessage(m.dst));
		rc = 1;
		goto out;
	}
	/* one copy at a time: two migrate commands into one empty target would
	 * both pass check_target_empty, and the loser would fail midway and call a
	 * good copy "partly written". The lock (class 8511 key 3, pg.c's global
	 * class) is the session's until PQfinish; emptiness is checked again
	 * under it (a copy that finished in between has left a tenant). */
	rc = claim_target(m.dst);
	if (rc != 0) {
		rc = 1;
		goto out;
	}
	/* one snapshot of the source for the copy and the verification */
	if (sqlite3_exec(m.src, "BEGIN; SELECT count(*) FROM tenants;", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		fprintf(stderr, "dataproducts: migrate: reading %s: %s\n", path,
			sqlite3_errmsg(m.src));
		rc = 1;
		goto out;
	}
	/* the tenants go first: a second run (or a server started on the
	 * target) sees a non-empty database from the first batch on */
	for (int ti = 0; ti < NTABLES; ti++) {
		int64_t t1 = clock_mono_ns();
		if (copy_table(&m, ti) < 0) {
			fprintf(stderr,
				"dataproducts: migrate: FAILED while copying %s; the target is partly"
				" written.\n  Drop and recreate the target database before running"
				" migrate again.\n",
				tables[ti].name);
			rc = 1;
			goto out;
		}
		log_event(LOG_INFO, "copied", LOG_STR("table", tables[ti].name),
			  LOG_INT("rows", m.copied[ti]),
			  LOG_NUM("seconds", (double)(clock_mono_ns() - t1) / 1e9, 3));
	}
	for (size_t i = 0; i < sizeof identities / sizeof identities[0]; i++) {
		char sql[256];
		snprintf(sql, sizeof sql,
			 "SELECT setval(pg_get_serial_sequence('%s', '%s'), coalesce(max(%s), 0) + 1,"
			 " false) FROM %s",
			 identities[i][0], identities[i][1], identities[i][1], identities[i][0]);
		if (pg_cmd(m.dst, sql) < 0) {
			rc = 1;
			goto out;
		}
	}
	double copy_s = (double)(clock_mono_ns() - t0) / 1e9;
	long ntenants = 0;
	int bad = verify(&m, &ntenants);
	double all_s = (double)(clock_mono_ns() - t0) / 1e9;
	if (bad != 0) {
		fprintf(stderr, "dataproducts: migrate: verification FAILED (%s); the target is not"
				" a faithful copy: do not use it.\n",
			bad < 0 ? "an error while reading" : "differences above");
		rc = 1;
		goto out;
	}
	long total = 0;
	for (int ti = 0; ti < NTABLES; ti++)
		total += m.copied[ti];
	printf("migrated %ld rows of %ld tenant%s in %.2f s (copy %.2f s, verify %.2f s);"
	       " counts and per-tenant SHA-256 of every table equal\n",
	       total, ntenants, ntenants == 1 ? "" : "s", all_s, copy_s, all_s - copy_s);
	rc = 0;
out:
	sqlite3_exec(m.src, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(m.src);
	PQfinish(m.dst);
	return rc;
}
