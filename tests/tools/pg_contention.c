/* tests/tools/pg_contention.c — a manual measurement (issue 11; numbers in
 * docs/decisions.md "Issue 11 -- PostgreSQL backend"): concurrent writers of
 * one tenant on PostgreSQL, written the way the server writes (read the
 * product, change its document, write it back, append a changelog entry),
 * under three ways of keeping them correct:
 *
 *   store     the store's own write transactions through the runner
 *             (store_tx_run: READ COMMITTED + the tenant's advisory lock,
 *             up to STORE_TX_MAX_ATTEMPTS attempts), with its per-run stats;
 *   advisory  the same lock in plain libpq (READ COMMITTED,
 *             pg_advisory_xact_lock(8512, hashtext(tenant)), then
 *             SELECT / UPDATE / append), retried on 40001/40P01/55P03;
 *   rowlock   the alternative: SERIALIZABLE + SELECT ... FOR UPDATE of the
 *             product row, no advisory lock, retried on 40001/40P01 with
 *             the runner's backoff (no attempt bound: how many it needs).
 *
 * Two scenarios per method: "hot" (every writer on one product) and
 * "spread" (a product per writer, all in one tenant: the case where row
 * locks allow parallel writers and the tenant lock does not). Each prints
 * transactions per second, the attempts histogram (1, 2, 3, 4, more), the
 * runs that gave up, and the lost updates (a product's counter short of the
 * writes acknowledged on it). Changelog numbering is checked (1..n).
 *
 *   make build/tools/pg_contention
 *   build/tools/pg_contention 'postgresql://...' [WRITERS [TX_PER_WRITER]]
 * (a cluster from tests/tools/pg-cluster.sh; defaults 8 writers x 200). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libpq-fe.h>
#include "store/store.h"
#include "store/tx.h"
#include "util/clock.h"
#include "util/ids.h"

#define MAX_WRITERS 64
#define HIST 5 /* attempts 1, 2, 3, 4, more */

static struct store *S;
static const char *URL;
static int WRITERS = 8, TXS = 200;
static const char *const NOW = "2026-01-01T00:00:00.000Z";

enum method { M_STORE, M_ADVISORY, M_ROWLOCK };
static const char *const method_name[] = {"store", "advisory", "rowlock"};

struct run {
	enum method method;
	const char *tenant;
	char products[MAX_WRITERS][GUID_LEN + 1];
	bool hot;
	pthread_barrier_t start;
};

struct writer {
	struct run *run;
	int index;
	long hist[HIST];
	long gave_up, hard;
	int max_attempts;
	unsigned seed;
};

static const char *product_of(const struct writer *w)
{
	return w->run->products[w->run->hot ? 0 : w->index];
}

static void record(struct writer *w, int attempts)
{
	w->hist[attempts > HIST ? HIST - 1 : attempts - 1]++;
	if (attempts > w->max_attempts)
		w->max_attempts = attempts;
}

/* ---- store: the runner and the store's operations ----------------------- */

struct store_tx {
	const char *tenant, *product;
};

static int store_body(void *cls)
{
	const struct store_tx *t = cls;
	json_t *d = NULL;
	int rc = S->ops->product_get(S, &d, t->tenant, t->product);
	if (rc != STORE_ONE)
		return rc < 0 ? rc : STORE_HARD;
	json_object_set_new(d, "n", json_integer(json_integer_value(json_object_get(d, "n")) + 1));
	rc = S->ops->product_update(S, t->tenant, d);
	json_decref(d);
	if (rc != STORE_ONE)
		return rc < 0 ? rc : STORE_HARD;
	char id[GUID_LEN + 1];
	if (ids_guid_new(id) < 0)
		return STORE_HARD;
	json_t *e = json_pack("{s:s, s:s, s:[]}", "id", id, "createdAt", NOW, "changes");
	rc = S->ops->changelog_append(S, t->tenant, t->product, e);
	json_decref(e);
	return rc < 0 ? rc : STORE_TX_COMMIT;
}

static void store_writer(struct writer *w)
{
	struct store_tx t = {.tenant = w->run->tenant, .product = product_of(w)};
	for (int i = 0; i < TXS; i++) {
		struct store_tx_stats stats = {0};
		int rc = store_tx_run(&stats, S, true, store_body, &t);
		if (rc == STORE_TX_COMMIT)
			record(w, stats.attempts);
		else if (rc == STORE_RETRY)
			w->gave_up++;
		else
			w->hard++;
	}
}

/* ---- plain libpq: the tenant lock or row locks ---------------------------- */

static const char *const APPEND_SQL =
	"WITH n AS (UPDATE products SET changelog_n = changelog_n + 1"
	" WHERE tenant_id = $2::text AND id = $3::text RETURNING changelog_n)"
	" INSERT INTO changelogs(id, tenant_id, product_id, created_at, doc, pseq)"
	" SELECT $1::text, $2::text, $3::text, $4::text, $5::text, changelog_n FROM n";

/* 1 committed, 0 retryable failure (rolled back), -1 other failure. */
static int step_rc(PGconn *db, PGresult *r)
{
	ExecStatusType st = PQresultStatus(r);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return 1;
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	bool retry = state && (!strcmp(state, "40001") || !strcmp(state, "40P01") ||
			       !strcmp(state, "55P03"));
	if (!retry)
		fprintf(stderr, "pg_contention: %s", PQerrorMessage(db));
	return retry ? 0 : -1;
}

static int raw_once(PGconn *db, enum method m, const char *tenant, const char *product)
{
	int ok;
	PGresult *r = PQexec(db, m == M_ROWLOCK ? "BEGIN ISOLATION LEVEL SERIALIZABLE"
						: "BEGIN ISOLATION LEVEL READ COMMITTED");
	ok = step_rc(db, r);
	PQclear(r);
	if (ok <= 0)
		goto out;
	if (m == M_ADVISORY) {
		r = PQexecParams(db, "SELECT pg_advisory_xact_lock(8512, hashtext($1::text))", 1,
				 NULL, (const char *const[]){tenant}, NULL, NULL, 0);
		ok = step_rc(db, r);
		PQclear(r);
		if (ok <= 0)
			goto out;
	}
	const char *const key[] = {tenant, product};
	r = PQexecParams(db, m == M_ROWLOCK ? "SELECT doc FROM products WHERE tenant_id = $1::text"
					      " AND id = $2::text FOR UPDATE"
					    : "SELECT doc FROM products WHERE tenant_id = $1::text"
					      " AND id = $2::text",
			 2, NULL, key, NULL, NULL, 0);
	ok = step_rc(db, r);
	json_t *d = ok > 0 && PQntuples(r) == 1 ? json_loads(PQgetvalue(r, 0, 0), 0, NULL) : NULL;
	PQclear(r);
	if (ok <= 0)
		goto out;
	if (!d) {
		ok = -1;
		goto out;
	}
	json_object_set_new(d, "n", json_integer(json_integer_value(json_object_get(d, "n")) + 1));
	char *txt = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	r = PQexecParams(db, "UPDATE products SET doc = $3::text WHERE tenant_id = $1::text"
			     " AND id = $2::text", 3, NULL,
			 (const char *const[]){tenant, product, txt}, NULL, NULL, 0);
	free(txt);
	ok = step_rc(db, r);
	PQclear(r);
	if (ok <= 0)
		goto out;
	char id[GUID_LEN + 1];
	if (ids_guid_new(id) < 0) {
		ok = -1;
		goto out;
	}
	char doc[128];
	snprintf(doc, sizeof doc, "{\"id\":\"%s\",\"createdAt\":\"%s\",\"changes\":[]}", id, NOW);
	r = PQexecParams(db, APPEND_SQL, 5, NULL, (const char *const[]){id, tenant, product, NOW, doc},
			 NULL, NULL, 0);
	ok = step_rc(db, r);
	PQclear(r);
	if (ok <= 0)
		goto out;
	r = PQexec(db, "COMMIT");
	ok = step_rc(db, r);
	/* COMMIT of an aborted transaction answers ROLLBACK */
	if (ok > 0 && strcmp(PQcmdStatus(r), "COMMIT") != 0)
		ok = -1;
	PQclear(r);
	return ok;
out:
	PQclear(PQexec(db, "ROLLBACK"));
	return ok;
}

static void raw_writer(struct writer *w)
{
	PGconn *db = PQconnectdb(URL);
	if (PQstatus(db) != CONNECTION_OK) {
		fprintf(stderr, "pg_contention: %s", PQerrorMessage(db));
		w->hard += TXS;
		PQfinish(db);
		return;
	}
	for (int i = 0; i < TXS; i++) {
		for (int attempt = 1;; attempt++) {
			int ok = raw_once(db, w->run->method, w->run->tenant, product_of(w));
			if (ok > 0) {
				record(w, attempt);
				break;
			}
			if (ok < 0 || attempt >= 1000) {
				w->hard++;
				break;
			}
			/* the runner's pause: 2 ms * 2^(n-1) plus up to as much again, at most 1 s */
			int base = STORE_TX_BACKOFF_MS << (attempt - 1 < 9 ? attempt - 1 : 9);
			int ms = base + (int)(rand_r(&w->seed) % (unsigned)(base + 1));
			nanosleep(&(struct timespec){ms / 1000, (long)(ms % 1000) * 1000000L}, NULL);
		}
	}
	PQfinish(db);
}

/* ---- one run ---------------------------------------------------------------- */

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	pthread_barrier_wait(&w->run->start);
	if (w->run->method == M_STORE)
		store_writer(w);
	else
		raw_writer(w);
	return NULL;
}

static int setup_tx(void *cls)
{
	struct run *r = cls;
	int rc = S->ops->tenant_insert(S, r->tenant, r->tenant, NOW);
	for (int i = 0; rc >= 0 && i < (r->hot ? 1 : WRITERS); i++) {
		json_t *d = json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:[], s:[], s:i}", "id",
				      r->products[i], "name", "contended", "ownerId", "u", "activated", 0,
				      "createdAt", NOW, "updatedAt", NOW, "tags", "datasetIds", "n", 0);
		rc = S->ops->product_insert(S, r->tenant, d);
		json_decref(d);
	}
	return rc < 0 ? rc : STORE_TX_COMMIT;
}

/* The product's counter and its changelog (numbered 1..n?). */
static int product_state(const char *tenant, const char *product, long *out_n, bool *out_dense)
{
	json_t *d = NULL;
	struct store_docs page;
	long total = 0;
	if (S->ops->begin(S, false) != STORE_ONE)
		return -1;
	store_docs_init(&page);
	int rc = S->ops->product_get(S, &d, tenant, product);
	if (rc == STORE_ONE)
		rc = S->ops->changelog_page(S, &page, &total, tenant, product, true, 0, 100000);
	S->ops->rollback(S);
	if (rc != STORE_ONE) {
		json_decref(d);
		store_docs_free(&page);
		return -1;
	}
	*out_n = (long)json_integer_value(json_object_get(d, "n"));
	*out_dense = total == *out_n && (long)page.n == total;
	json_decref(d);
	store_docs_free(&page);
	return 0;
}

static int run_one(enum method m, bool hot)
{
	struct run r = {.method = m, .hot = hot};
	char tenant[GUID_LEN + 1];
	if (ids_guid_new(tenant) < 0)
		return -1;
	r.tenant = tenant;
	for (int i = 0; i < WRITERS; i++)
		if (ids_guid_new(r.products[i]) < 0)
			return -1;
	if (store_tx_run(NULL, S, true, setup_tx, &r) != STORE_TX_COMMIT) {
		fprintf(stderr, "pg_contention: setup failed\n");
		return -1;
	}
	pthread_barrier_init(&r.start, NULL, (unsigned)WRITERS + 1);
	struct writer w[MAX_WRITERS];
	pthread_t th[MAX_WRITERS];
	for (int i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){.run = &r, .index = i, .seed = (unsigned)time(NULL) ^ (unsigned)i * 2654435761u};
		pthread_create(&th[i], NULL, writer_main, &w[i]);
	}
	pthread_barrier_wait(&r.start);
	int64_t t0 = clock_mono_ns();
	for (int i = 0; i < WRITERS; i++)
		pthread_join(th[i], NULL);
	double secs = (double)(clock_mono_ns() - t0) / 1e9;
	pthread_barrier_destroy(&r.start);

	long hist[HIST] = {0}, gave_up = 0, hard = 0, done = 0;
	int max_attempts = 0;
	for (int i = 0; i < WRITERS; i++) {
		if (w[i].max_attempts > max_attempts)
			max_attempts = w[i].max_attempts;
		for (int k = 0; k < HIST; k++)
			hist[k] += w[i].hist[k];
		gave_up += w[i].gave_up;
		hard += w[i].hard;
	}
	for (int k = 0; k < HIST; k++)
		done += hist[k];
	/* acknowledged writes per product against its counter */
	long lost = 0;
	bool dense = true;
	for (int p = 0; p < (hot ? 1 : WRITERS); p++) {
		long acked = 0, n = 0;
		bool d = false;
		for (int i = 0; i < WRITERS; i++)
			if (hot || i == p)
				for (int k = 0; k < HIST; k++)
					acked += w[i].hist[k];
		if (product_state(tenant, r.products[p], &n, &d) < 0)
			return -1;
		lost += acked - n;
		dense = dense && d;
	}
	printf("%-6s %-8s writers=%d tx=%ld  %.2f s  %.0f tx/s  attempts 1:%ld 2:%ld 3:%ld 4:%ld >4:%ld max=%d"
	       "  gave_up=%ld hard=%ld  lost_updates=%ld  changelog_dense=%s\n",
	       hot ? "hot" : "spread", method_name[m], WRITERS, done, secs, (double)done / secs,
	       hist[0], hist[1], hist[2], hist[3], hist[4], max_attempts, gave_up, hard, lost, dense ? "yes" : "NO");
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: pg_contention postgresql://... [WRITERS [TX_PER_WRITER]]\n");
		return 2;
	}
	URL = argv[1];
	if (argc > 2)
		WRITERS = atoi(argv[2]);
	if (argc > 3)
		TXS = atoi(argv[3]);
	if (WRITERS < 1 || WRITERS > MAX_WRITERS || TXS < 1) {
		fprintf(stderr, "pg_contention: WRITERS 1..%d, TX_PER_WRITER >= 1\n", MAX_WRITERS);
		return 2;
	}
	char err[512];
	if (store_open(&S, URL, err, sizeof err) < 0) {
		fprintf(stderr, "pg_contention: %s\n", err);
		return 1;
	}
	int rc = 0;
	for (int hot = 1; hot >= 0 && rc == 0; hot--)
		for (enum method m = M_STORE; m <= M_ROWLOCK && rc == 0; m++)
			rc = run_one(m, hot);
	S->ops->close(S);
	return rc ? 1 : 0;
}
