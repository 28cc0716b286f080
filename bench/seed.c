/* seed: fills a dataproducts database with one tenant's benchmark data,
 * through the store vtable (src/store/store.h) and the domain constructors
 * (product_new, product_activate, dataset_new, changelog_entry_new), so the
 * stored rows are exactly what the server itself would write. Not a test;
 * bench/run.sh drives it after the real `bootstrap` made the tenant.
 *
 *   seed --db URL --tenant-id ID --user-id ID --out DIR [--products N]
 *        [--big-changelog M] [--batch B] [--seed S]
 *
 * For N products (default 10000) it writes: 6 spaces, max(N/10, 10) data
 * sets, and every product with 1-5 tags from a skewed vocabulary of 60,
 * 1-3 data sets, key contacts, a read-me on some, about 30 % activated, and
 * 1-5 changelog entries (creation, description/tag edits, activation) with
 * timestamps spread over the last two years. One more product ("the big
 * one") gets M changelog entries (default 100000). Rows are written in
 * transactions of B products (default 10000) or B changelog entries.
 *
 * Bulk-load measures, on the seeding connection only (reached through
 * sqlite3_auto_extension, which runs on every connection the store opens;
 * the store itself has no bulk mode): a 1 GiB page cache; synchronous=OFF
 * while rows are written (about 18 % less time; FULL again before the last
 * transaction and the closing checkpoint, so the finished file is flushed;
 * the server's own connections stay FULL); and full-text indexes that
 * triggers keep on products are built once at the end instead of row by
 * row (fts_suspend below).
 *
 * Files written to DIR for the wrk scripts:
 *   product_ids.txt   the N product ids (not the big one), one a line
 *   big_product.txt   the id of the product with M changelog entries
 *   dataset_ids.txt   up to 1000 data set ids (for create bodies)
 *   tags.txt          the tag vocabulary
 *   words.txt         search words that occur in names and descriptions
 *   seed.json         counts and timings
 * Content is a deterministic function of --seed (ids included). */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "domain/dataset.h"
#include "domain/product.h"
#include "store/schema.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/ids.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *const domains[] = {
	"Retail", "Finance", "Marketing", "Supply Chain", "Logistics", "Healthcare",
	"Insurance", "Manufacturing", "Energy", "Telecom", "Human Resources", "Procurement",
	"Customer Service", "E-commerce", "Banking", "Pharma",
};
static const char *const subjects[] = {
	"Customer", "Order", "Invoice", "Shipment", "Inventory", "Claims", "Payments",
	"Revenue", "Churn", "Campaign", "Supplier", "Employee", "Product", "Pricing",
	"Forecast", "Risk", "Fraud", "Sensor", "Contract", "Ledger", "Returns", "Loyalty",
	"Web Traffic", "Warehouse",
};
static const char *const kinds[] = {
	"Analytics", "Dashboard", "Feed", "Snapshot", "Mart", "Metrics",
	"Report", "Model", "Events", "History", "Master Data", "Summary",
};
static const char *const freqs[] = {"hourly", "daily", "weekly", "monthly", "in near real time"};
static const char *const sources[] = {"SAP", "Salesforce", "Snowflake", "PostgreSQL", "Kafka",
				      "S3", "Oracle", "BigQuery", "Databricks", "Workday"};
/* Ordered from most to least used: tags are drawn with a skew. */
static const char *const tags[] = {
	"finance", "sales", "customer", "kpi", "daily", "pii", "gdpr", "certified", "gold",
	"reporting", "marketing", "orders", "curated", "weekly", "silver", "emea", "global",
	"inventory", "risk", "compliance", "americas", "apac", "monthly", "forecast", "ml",
	"self-service", "internal", "logistics", "product", "revenue", "bronze", "raw",
	"streaming", "batch", "snapshot", "master-data", "reference", "audit", "hr", "sox",
	"cost", "external", "partner", "sensitive", "public", "realtime", "quality-checked",
	"ecommerce", "retail", "healthcare", "insurance", "energy", "telecom", "manufacturing",
	"supply-chain", "archive", "draft", "experimental", "deprecated", "marketing-ops",
};
/* Lower-case words that occur in names or descriptions (query=...). */
static const char *const words[] = {
	"customer", "order", "invoice", "shipment", "inventory", "claims", "payments",
	"revenue", "churn", "campaign", "supplier", "employee", "pricing", "forecast",
	"risk", "fraud", "sensor", "contract", "ledger", "returns", "loyalty", "warehouse",
	"retail", "finance", "marketing", "logistics", "healthcare", "insurance",
	"manufacturing", "energy", "telecom", "banking", "pharma", "analytics", "dashboard",
	"snapshot", "metrics", "report", "history", "daily", "weekly", "salesforce",
	"snowflake", "kafka", "oracle",
};
static const struct {
	const char *name, *type;
} space_defs[] = {
	{"Finance", "managed"},        {"Sales", "managed"},   {"Marketing", "shared"},
	{"Operations", "shared"},      {"Supply Chain", "data"}, {"Research", "managed"},
};
#define NSPACES NELEM(space_defs)

static uint64_t rng_state;

static uint64_t rnd(void) /* splitmix64 */
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static unsigned rnd_below(unsigned n) { return (unsigned)(rnd() % n); }

static double rnd_unit(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }

/* A lower-case v4 GUID from the generator (deterministic for a seed). */
static void guid(char out[GUID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	uint64_t a = rnd(), c = rnd();
	memcpy(b, &a, 8);
	memcpy(b + 8, &c, 8);
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	char *p = out;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[b[i] >> 4];
		*p++ = hex[b[i] & 15];
	}
	*p = '\0';
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "seed: %s failed (store rc %d)\n", what, rc);
	exit(1);
}

static void check(const char *what, int rc)
{
	if (rc < 0)
		die(what, rc);
}

struct seeder {
	struct store *st;
	const char *tenant;
	const char *user;
	char spaces[NSPACES][GUID_LEN + 1];
	char (*datasets)[GUID_LEN + 1];
	long ndatasets;
	long changelogs;
	long activated;
	long tag_rows;
};

/* Starts a write transaction. */
static void begin(struct seeder *s) { check("begin", s->st->ops->begin(s->st, true)); }
static void commit(struct seeder *s) { check("commit", s->st->ops->commit(s->st)); }

static void append_entry(struct seeder *s, const char *product_id, int64_t at_ms, json_t *changes)
{
	char id[GUID_LEN + 1], now[ISO_TS_LEN + 1];
	guid(id);
	clock_format_ms(now, at_ms);
	struct product_actor who = {s->tenant, s->user, now};
	json_t *entry = changelog_entry_new(id, &who, changes);
	check("changelog_append", s->st->ops->changelog_append(s->st, s->tenant, product_id, entry));
	json_decref(entry);
	s->changelogs++;
}

static void seed_spaces(struct seeder *s, int64_t at_ms)
{
	char now[ISO_TS_LEN + 1];
	clock_format_ms(now, at_ms);
	begin(s);
	for (size_t i = 0; i < NSPACES; i++) {
		guid(s->spaces[i]);
		char desc[128];
		snprintf(desc, sizeof desc, "Data products of the %s team", space_defs[i].name);
		json_t *sp = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id",
				       s->spaces[i], "name", space_defs[i].name, "type",
				       space_defs[i].type, "tenantId", s->tenant, "ownerId", s->user,
				       "createdBy", s->user, "createdAt", now, "updatedAt", now,
				       "description", desc);
		check("space_insert", s->st->ops->space_insert(s->st, s->tenant, sp));
		json_decref(sp);
	}
	commit(s);
}

static void seed_datasets(struct seeder *s, long n, long batch, int64_t from_ms, int64_t span_ms)
{
	static const char *const types[] = {"STRING", "INTEGER", "DECIMAL", "DATE", "TIMESTAMP",
					    "BOOLEAN", "DOUBLE"};
	s->datasets = calloc((size_t)n, sizeof *s->datasets);
	if (!s->datasets)
		die("calloc", 0);
	s->ndatasets = n;
	for (long i = 0; i < n; i++) {
		if (i % batch == 0)
			begin(s);
		char now[ISO_TS_LEN + 1], asset[GUID_LEN + 1], store_id[GUID_LEN + 1];
		char name[128], tech[128], desc[256];
		guid(s->datasets[i]);
		guid(asset);
		guid(store_id);
		clock_format_ms(now, from_ms + (int64_t)(rnd_unit() * (double)span_ms));
		const char *subj = subjects[rnd_below(NELEM(subjects))];
		const char *src = sources[rnd_below(NELEM(sources))];
		snprintf(name, sizeof name, "%s %s %ld", src, subj, i + 1);
		snprintf(tech, sizeof tech, "%s_%ld.parquet", subj, i + 1);
		for (char *p = tech; *p; p++)
			if (*p == ' ')
				*p = '_';
		snprintf(desc, sizeof desc, "%s records extracted %s from %s", subj,
			 freqs[rnd_below(NELEM(freqs))], src);
		json_t *fields = json_array();
		unsigned nf = 3 + rnd_below(4);
		for (unsigned f = 0; f < nf; f++) {
			char fname[32];
			snprintf(fname, sizeof fname, "field_%u", f + 1);
			json_array_append_new(fields, json_pack("{s:s, s:{s:s}}", "name", fname,
								"dataType", "type",
								types[rnd_below(NELEM(types))]));
		}
		json_t *body = json_pack("{s:s, s:s, s:s, s:s, s:{s:o}}", "name", name, "technicalName",
					 tech, "description", desc, "spaceId",
					 s->spaces[rnd_below(NSPACES)], "schema", "dataFields", fields);
		json_t *doc = dataset_new(body, s->datasets[i], s->tenant, s->user, now, asset, store_id);
		check("dataset_insert", s->st->ops->dataset_insert(s->st, s->tenant, doc));
		json_decref(doc);
		json_decref(body);
		if (i % batch == batch - 1 || i == n - 1)
			commit(s);
	}
}

/* 1..5 distinct tags, the first ones of the vocabulary more often. */
static json_t *pick_tags(void)
{
	json_t *arr = json_array();
	unsigned n = 1 + rnd_below(5);
	while (json_array_size(arr) < n) {
		double u = rnd_unit();
		const char *t = tags[(size_t)(u * u * (double)NELEM(tags))];
		size_t i;
		json_t *v;
		bool dup = false;
		json_array_foreach(arr, i, v) if (!strcmp(json_string_value(v), t)) dup = true;
		if (!dup)
			json_array_append_new(arr, json_string(t));
	}
	return arr;
}

static void lower(char *p)
{
	for (; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
}

static void describe(char *out, size_t cap, const char *domain, const char *subj, unsigned rev)
{
	char d[64], su[64];
	snprintf(d, sizeof d, "%s", domain);
	snprintf(su, sizeof su, "%s", subj);
	lower(d);
	lower(su);
	snprintf(out, cap,
		 "Curated %s data for %s teams, refreshed %s from %s. Owned by the %s domain;"
		 " revision %u.",
		 su, d, freqs[rnd_below(NELEM(freqs))], sources[rnd_below(NELEM(sources))], d, rev);
}

/* One product with 1..5 changelog entries; returns its id in out_id. */
static void seed_product(struct seeder *s, long i, int64_t created_ms, int64_t now_ms,
			 char out_id[GUID_LEN + 1])
{
	const char *domain = domains[rnd_below(NELEM(domains))];
	const char *subj = subjects[rnd_below(NELEM(subjects))];
	const char *kind = kinds[rnd_below(NELEM(kinds))];
	char name[160], desc[320], id[GUID_LEN + 1], now[ISO_TS_LEN + 1];
	snprintf(name, sizeof name, "%s %s %s %ld", domain, subj, kind, i + 1);
	describe(desc, sizeof desc, domain, subj, 1);
	guid(id);
	memcpy(out_id, id, GUID_LEN + 1);

	bool activate = rnd_below(100) < 30;
	json_t *body = json_pack("{s:s, s:s, s:o}", "name", name, "description", desc, "tags",
				 pick_tags());
	if (rnd_below(100) < 85)
		json_object_set_new(body, "spaceId", json_string(s->spaces[rnd_below(NSPACES)]));
	json_t *ds = json_array();
	unsigned nds = 1 + rnd_below(3);
	for (unsigned k = 0; k < nds; k++) {
		json_t *d = json_string(s->datasets[rnd_below((unsigned)s->ndatasets)]);
		size_t j;
		json_t *v;
		bool dup = false;
		json_array_foreach(ds, j, v) if (json_equal(v, d)) dup = true;
		if (dup)
			json_decref(d);
		else
			json_array_append_new(ds, d);
	}
	if (rnd_below(100) < 30)
		json_object_set_new(body, "apiConsumableDatasetIds",
				    json_pack("[O]", json_array_get(ds, 0)));
	json_object_set_new(body, "datasetIds", ds);
	if (activate || rnd_below(100) < 60)
		json_object_set_new(body, "keyContacts",
				    json_pack("[{s:s, s:s}]", "userId", s->user, "role", "Data steward"));
	if (rnd_below(100) < 30) {
		char readme[512];
		snprintf(readme, sizeof readme,
			 "# %s\n\nThis product bundles the %s data sets used by the %s team.\n\n"
			 "## Usage\n\nQuery it through the listed data sets; refreshes are announced"
			 " in the team channel.\n",
			 name, subj, domain);
		json_object_set_new(body, "readMe", json_string(readme));
	}

	clock_format_ms(now, created_ms);
	struct product_actor who = {s->tenant, s->user, now};
	json_t *changes = NULL;
	json_t *doc = product_new(body, id, &who, &changes);
	json_decref(body);
	unsigned nentries = 1 + rnd_below(5);
	/* later entries at increasing times between creation and now */
	int64_t gap = (now_ms - created_ms) / (int64_t)(nentries + 1);
	int64_t t = created_ms;
	json_t *later[5] = {0};
	int64_t later_at[5] = {0};
	for (unsigned e = 1; e < nentries; e++) {
		t += 1000 + (int64_t)(rnd_unit() * (double)(gap > 1000 ? gap : 1000));
		if (t > now_ms)
			t = now_ms;
		char at[ISO_TS_LEN + 1];
		clock_format_ms(at, t);
		struct product_actor w = {s->tenant, s->user, at};
		json_t *ch;
		if (activate && e == nentries - 1) {
			json_t *ab = json_pack("{s:s}", "name", name);
			ch = product_activate(doc, ab, NULL, &w);
			json_decref(ab);
		} else {
			ch = json_array();
			if (rnd_below(2)) {
				char nd[320];
				describe(nd, sizeof nd, domain, subj, e + 1);
				json_t *v = json_string(nd);
				changelog_add_change(ch, "replace", "/description", v);
				json_object_set_new(doc, "description", v);
			} else {
				json_t *v = pick_tags();
				changelog_add_change(ch, "replace", "/tags", v);
				json_object_set_new(doc, "tags", v);
			}
			product_touch(doc, &w, json_array_size(ch));
		}
		later[e] = ch;
		later_at[e] = t;
	}
	if (activate && nentries == 1) {
		/* activated products always carry their activation entry */
		t += 1000;
		char at[ISO_TS_LEN + 1];
		clock_format_ms(at, t);
		struct product_actor w = {s->tenant, s->user, at};
		json_t *ab = json_pack("{s:s}", "name", name);
		later[1] = product_activate(doc, ab, NULL, &w);
		later_at[1] = t;
		json_decref(ab);
		nentries = 2;
	}
	if (json_is_true(json_object_get(doc, "activated")))
		s->activated++;
	s->tag_rows += (long)json_array_size(json_object_get(doc, "tags"));
	check("product_insert", s->st->ops->product_insert(s->st, s->tenant, doc));
	append_entry(s, id, created_ms, changes);
	for (unsigned e = 1; e < nentries; e++)
		append_entry(s, id, later_at[e], later[e]);
	json_decref(doc);
}

/* The product with m changelog entries (description edits, 1 min apart). */
static void seed_big(struct seeder *s, long m, long batch, int64_t now_ms, char out_id[GUID_LEN + 1])
{
	char id[GUID_LEN + 1], now[ISO_TS_LEN + 1], desc[128];
	int64_t created = now_ms - (m + 10) * INT64_C(60000);
	guid(id);
	memcpy(out_id, id, GUID_LEN + 1);
	clock_format_ms(now, created);
	struct product_actor who = {s->tenant, s->user, now};
	json_t *body = json_pack("{s:s, s:s, s:[s, s], s:[s], s:[{s:s}]}", "name",
				 "Global Order Ledger (audit trail)", "description", "Revision 0",
				 "tags", "finance", "audit", "datasetIds", s->datasets[0],
				 "keyContacts", "userId", s->user);
	json_object_set_new(body, "spaceId", json_string(s->spaces[0]));
	json_t *changes = NULL;
	json_t *doc = product_new(body, id, &who, &changes);
	json_decref(body);
	begin(s);
	/* final state first: the product row is written once, then its history */
	int64_t last = created + m * INT64_C(60000);
	clock_format_ms(now, last);
	snprintf(desc, sizeof desc, "Revision %ld", m - 1);
	json_object_set_new(doc, "description", json_string(desc));
	product_touch(doc, &(struct product_actor){s->tenant, s->user, now}, 0);
	check("product_insert", s->st->ops->product_insert(s->st, s->tenant, doc));
	json_decref(doc);
	s->tag_rows += 2;
	append_entry(s, id, created, changes);
	for (long k = 1; k < m; k++) {
		if (k % batch == 0) {
			commit(s);
			begin(s);
		}
		snprintf(desc, sizeof desc, "Revision %ld", k);
		json_t *ch = json_array();
		json_t *v = json_string(desc);
		changelog_add_change(ch, "replace", "/description", v);
		json_decref(v);
		append_entry(s, id, created + k * INT64_C(60000), ch);
	}
	commit(s);
}

static FILE *open_out(const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "seed: cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return f;
}

static void close_out(FILE *f)
{
	if (fclose(f) != 0) {
		fprintf(stderr, "seed: write failed: %s\n", strerror(errno));
		exit(1);
	}
}

static double secs_since(int64_t t0) { return (double)(clock_mono_ns() - t0) / 1e9; }

/* The store's connection (the last one opened; the seeder has one thread). */
static sqlite3 *store_db;

/* Every connection the store opens gets a 1 GiB page cache: random GUID
 * keys make index inserts touch pages all over each index. */
static int big_cache(sqlite3 *db, const char **err, const void *api)
{
	(void)err;
	(void)api;
	sqlite3_exec(db, "PRAGMA cache_size=-1048576", NULL, NULL, NULL);
	store_db = db;
	return SQLITE_OK;
}

static void exec_sql(const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(store_db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "seed: %s: %s\n", sql, msg ? msg : "?");
		exit(1);
	}
}

/* The search index kept by triggers on products (schema v9: search_fts,
 * product_search) is built once after the load, as the migration that
 * introduced it does (SEARCH_FILL), instead of row by row: the triggers are
 * dropped here and fts_restore() fills the index and re-creates the
 * triggers from their own saved SQL, in one transaction. */
static json_t *fts_suspend(void)
{
	json_t *saved = json_array();
	sqlite3_stmt *q;
	const char *sql = "SELECT name, sql FROM sqlite_schema WHERE type = 'trigger'"
			  " AND tbl_name = 'products' AND name LIKE 'products_search_%'";
	if (!store_db || sqlite3_prepare_v2(store_db, sql, -1, &q, NULL) != SQLITE_OK) {
		fprintf(stderr, "seed: cannot read the schema: %s\n",
			store_db ? sqlite3_errmsg(store_db) : "no connection");
		exit(1);
	}
	while (sqlite3_step(q) == SQLITE_ROW)
		json_array_append_new(saved, json_pack("{s:s, s:s}", "name", sqlite3_column_text(q, 0),
						       "sql", sqlite3_column_text(q, 1)));
	sqlite3_finalize(q);
	size_t i;
	json_t *e;
	exec_sql("BEGIN IMMEDIATE");
	json_array_foreach(saved, i, e) {
		char drop[256];
		snprintf(drop, sizeof drop, "DROP TRIGGER \"%s\"", json_string_value(json_object_get(e, "name")));
		exec_sql(drop);
	}
	exec_sql("COMMIT");
	return saved;
}

static void fts_restore(json_t *saved)
{
	size_t i;
	json_t *e;
	exec_sql("BEGIN IMMEDIATE");
	if (json_array_size(saved) > 0)
		exec_sql(SEARCH_FILL);
	json_array_foreach(saved, i, e)
		exec_sql(json_string_value(json_object_get(e, "sql")));
	exec_sql("COMMIT");
	json_decref(saved);
}

static void usage(void)
{
	fprintf(stderr, "usage: seed --db URL --tenant-id ID --user-id ID --out DIR [--products N]\n"
			"            [--big-changelog M] [--batch B] [--seed S]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *db = NULL, *tenant = NULL, *user = NULL, *out = NULL;
	long n = 10000, big = 100000, batch = 10000;
	unsigned long long seed = 5;
	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		const char *k = argv[i], *v = argv[++i];
		if (!strcmp(k, "--db"))
			db = v;
		else if (!strcmp(k, "--tenant-id"))
			tenant = v;
		else if (!strcmp(k, "--user-id"))
			user = v;
		else if (!strcmp(k, "--out"))
			out = v;
		else if (!strcmp(k, "--products"))
			n = strtol(v, NULL, 10);
		else if (!strcmp(k, "--big-changelog"))
			big = strtol(v, NULL, 10);
		else if (!strcmp(k, "--batch"))
			batch = strtol(v, NULL, 10);
		else if (!strcmp(k, "--seed"))
			seed = strtoull(v, NULL, 10);
		else
			usage();
	}
	if (!db || !tenant || !user || !out || n < 1 || big < 1 || batch < 1 ||
	    !ids_guid_valid(tenant) || !ids_guid_valid(user))
		usage();
	rng_state = seed;
	sqlite3_auto_extension((void (*)(void))big_cache);
	char err[512];
	struct store *st;
	if (store_open(&st, db, err, sizeof err) < 0) {
		fprintf(stderr, "seed: %s\n", err);
		return 1;
	}
	struct seeder s = {.st = st, .tenant = tenant, .user = user};
	int64_t t0 = clock_mono_ns();
	json_t *fts = fts_suspend();
	/* the store has no bulk-load mode; this connection only, and FULL again
	 * (so the close's checkpoint flushes everything) before it ends */
	exec_sql("PRAGMA synchronous=OFF");
	int64_t now_ms = clock_now_ms() - INT64_C(3600000); /* an hour ago: new writes sort first */
	int64_t span = INT64_C(2) * 365 * 86400000;       /* history spans two years */
	int64_t from = now_ms - span;

	seed_spaces(&s, from - 86400000);
	long nds = n / 10 < 10 ? 10 : n / 10;
	seed_datasets(&s, nds, batch, from - 86400000, span / 4);
	double t_ds = secs_since(t0);

	FILE *ids = open_out(out, "product_ids.txt");
	char id[GUID_LEN + 1];
	for (long i = 0; i < n; i++) {
		if (i % batch == 0)
			begin(&s);
		int64_t created = from + (int64_t)(((double)i + rnd_unit()) * (double)span / (double)n / 2.0);
		seed_product(&s, i, created, now_ms, id);
		fprintf(ids, "%s\n", id);
		if (i % batch == batch - 1 || i == n - 1) {
			commit(&s);
			if ((i + 1) % (batch * 10) == 0)
				fprintf(stderr, "seed: %ld products, %.1f s\n", i + 1, secs_since(t0));
		}
	}
	close_out(ids);
	double t_products = secs_since(t0);
	long small_changelogs = s.changelogs;

	seed_big(&s, big, batch, now_ms, id);
	FILE *f = open_out(out, "big_product.txt");
	fprintf(f, "%s\n", id);
	close_out(f);
	double t_rows = secs_since(t0);
	exec_sql("PRAGMA synchronous=FULL");
	fts_restore(fts);
	double t_all = secs_since(t0);

	f = open_out(out, "dataset_ids.txt");
	for (long i = 0; i < nds && i < 1000; i++)
		fprintf(f, "%s\n", s.datasets[i]);
	close_out(f);
	f = open_out(out, "tags.txt");
	for (size_t i = 0; i < NELEM(tags); i++)
		fprintf(f, "%s\n", tags[i]);
	close_out(f);
	f = open_out(out, "words.txt");
	for (size_t i = 0; i < NELEM(words); i++)
		fprintf(f, "%s\n", words[i]);
	close_out(f);
	f = open_out(out, "seed.json");
	fprintf(f,
		"{\"products\":%ld,\"activated\":%ld,\"datasets\":%ld,\"spaces\":%zu,\"tagRows\":%ld,"
		"\"changelogs\":%ld,\"bigChangelog\":%ld,\"seconds\":{\"datasets\":%.2f,"
		"\"products\":%.2f,\"rows\":%.2f,\"total\":%.2f}}\n",
		n + 1, s.activated, nds, NSPACES, s.tag_rows, s.changelogs, big, t_ds, t_products,
		t_rows, t_all);
	close_out(f);
	fprintf(stderr,
		"seed: %ld products (%ld activated) with %ld changelog entries, %ld data sets,"
		" and 1 product with %ld entries in %.1f s\n",
		n, s.activated, small_changelogs, nds, big, t_all);
	free(s.datasets);
	st->ops->close(st);
	return 0;
}
