/* schema: versioned SQLite migrations (a PostgreSQL backend keeps its own
 * list with the same tables and columns). Entry i moves the
 * schema from version i to i+1 (PRAGMA user_version). Queries stay
 * portable: TEXT/INTEGER columns, no SQLite-only functions. */
#ifndef DP_SCHEMA_H
#define DP_SCHEMA_H

/* Search index (schema v9, issue 10; docs/search.md). One FTS5 table,
 * contentless, whose rowid is the product's search key `sk` (kept with the
 * data set names it was indexed with in product_search), so a tier query
 * that reads rowids in descending order yields the static in-tier order
 * trust score, then updatedAt, without sorting:
 *   sk = bucket << 53 | ms << 11 | n
 * bucket = 0 without a trust score, else floor(score * 10) + 1 (1..1001);
 * ms = updatedAt in ms since 2000-01-01 (42 bits, to 2139); n (0..2047)
 * tells apart products with the same bucket and millisecond.
 *
 * Columns: name, tags, description, body (readMe and the names of the
 * product's data sets) and f, the filter tokens: U+E000 (private use, which
 * the query parser never lets through) then a letter and a hex id:
 *   t<tenant> every product, a<tenant> activated ones, n<tenant> personal
 *   ones (no space), s<space>, o<owner>, g<hex of the tag's UTF-8 bytes>;
 *   and since v10 the activated twins, only on activated products:
 *   b<space>, m<tenant> (personal), h<tenant><hex of a tag>. A marketplace
 *   search (activated=true) intersects these smaller doclists instead of
 *   a<tenant> with the general ones (2-4x less doclist walked at 1M).
 * search_terms (v10) lists per tenant the tokens of 4..64 [a-z0-9] that
 * the text columns hold, for prefix expansion (sqlite_fts.c); it is never
 * pruned (a stale term expands to a token that matches nothing).
 * Triggers keep it in the writing transaction. The column texts are pure
 * functions of the products row and product_search.dsnames, so the
 * 'delete' of the old row always names exactly what was indexed. */
#define SEARCH_PUA "\xee\x80\x80"
#define SEARCH_HEXID(c) "replace(" c ", '-', '')"
#define SEARCH_TEXT(R, DS) \
	R ".name, coalesce((SELECT group_concat(value, ' ') FROM json_each(" R ".doc, '$.tags')), ''),"   \
	" coalesce(json_extract(" R ".doc, '$.description'), ''),"                                        \
	" coalesce(json_extract(" R ".doc, '$.readMe'), '') || ' ' || " DS
#define SEARCH_ACTIVE(R, TOK) " || CASE WHEN " R ".activated THEN " TOK " ELSE '' END"
#define SEARCH_F(R) \
	" '" SEARCH_PUA "t' || " SEARCH_HEXID(R ".tenant_id")                                             \
	SEARCH_ACTIVE(R, "' " SEARCH_PUA "a' || " SEARCH_HEXID(R ".tenant_id"))                           \
	" || CASE WHEN " R ".space_id IS NULL THEN ' " SEARCH_PUA "n' || " SEARCH_HEXID(R ".tenant_id")  \
	SEARCH_ACTIVE(R, "' " SEARCH_PUA "m' || " SEARCH_HEXID(R ".tenant_id"))                           \
	" ELSE ' " SEARCH_PUA "s' || " SEARCH_HEXID(R ".space_id")                                        \
	SEARCH_ACTIVE(R, "' " SEARCH_PUA "b' || " SEARCH_HEXID(R ".space_id")) " END"                     \
	" || ' " SEARCH_PUA "o' || " SEARCH_HEXID(R ".owner_id")                                          \
	" || coalesce((SELECT group_concat(' " SEARCH_PUA "g' || lower(hex(value))"                        \
	SEARCH_ACTIVE(R, "' " SEARCH_PUA "h' || " SEARCH_HEXID(R ".tenant_id") " || lower(hex(value))")   \
	", '') FROM json_each(" R ".doc, '$.tags')), '')"
#define SEARCH_COLS(R, DS) SEARCH_TEXT(R, DS) "," SEARCH_F(R)
/* the names of the row's data sets, space-separated */
#define SEARCH_DSNAMES(R) \
	"coalesce((SELECT group_concat(json_extract(d.doc, '$.name'), ' ')"                \
	" FROM json_each(" R ".doc, '$.datasetIds') j CROSS JOIN datasets d ON d.id = j.value" \
	" AND d.tenant_id = " R ".tenant_id), '')"
/* sk without n */
#define SEARCH_BASE(R) \
	"((CASE WHEN " R ".trust_score IS NULL THEN 0 ELSE"                                       \
	" min(1001, max(1, CAST(" R ".trust_score * 10 AS INTEGER) + 1)) END) << 53)"              \
	" | (max(0, min(4398046511103, coalesce((unixepoch(" R ".updated_at) - 946684800) * 1000"  \
	" + CAST(substr(" R ".updated_at, 21, 3) AS INTEGER), 0))) << 11)"
#define SEARCH_INDEX_NEW \
	" INSERT INTO product_search(sk, pid, dsnames)"                                             \
	" SELECT coalesce((SELECT max(sk) + 1 FROM product_search WHERE sk >= b AND sk < b + 2048), b),"  \
	" new.rowid, " SEARCH_DSNAMES("new") " FROM (SELECT " SEARCH_BASE("new") " AS b);"          \
	" INSERT INTO search_fts(rowid, name, tags, description, body, f)"                          \
	" SELECT ps.sk, " SEARCH_COLS("new", "ps.dsnames") " FROM product_search ps WHERE ps.pid = new.rowid;" \
	" INSERT OR IGNORE INTO search_terms(tenant_id, term) SELECT new.tenant_id, j.value"      \
	" FROM product_search ps, json_each(search_terms_of(" SEARCH_TEXT("new", "ps.dsnames") ")) j" \
	" WHERE ps.pid = new.rowid;"
#define SEARCH_UNINDEX_OLD \
	" INSERT INTO search_fts(search_fts, rowid, name, tags, description, body, f)"             \
	" SELECT 'delete', ps.sk, " SEARCH_COLS("old", "ps.dsnames")                                \
	" FROM product_search ps WHERE ps.pid = old.rowid;"                                         \
	" DELETE FROM product_search WHERE pid = old.rowid;"
#define SEARCH_TRIGGERS \
	"CREATE TRIGGER products_search_ai AFTER INSERT ON products BEGIN" SEARCH_INDEX_NEW " END;"  \
	"CREATE TRIGGER products_search_ad AFTER DELETE ON products BEGIN" SEARCH_UNINDEX_OLD " END;" \
	"CREATE TRIGGER products_search_au AFTER UPDATE ON products BEGIN" SEARCH_UNINDEX_OLD       \
	SEARCH_INDEX_NEW " END;"
/* Indexes every product; product_search and search_fts must be empty (the
 * v9 migration; bench/seed.c after a bulk load with the triggers dropped).
 * n is the row's rank among products with the same sk base. */
#define SEARCH_FILL \
	"INSERT INTO product_search(sk, pid, dsnames)"                                              \
	" SELECT b + row_number() OVER (PARTITION BY b ORDER BY r) - 1, r, ds FROM"                 \
	" (SELECT p.rowid AS r, " SEARCH_BASE("p") " AS b, " SEARCH_DSNAMES("p") " AS ds"            \
	" FROM products p);"                  \
	"INSERT INTO search_fts(rowid, name, tags, description, body, f)"                           \
	" SELECT ps.sk, " SEARCH_COLS("p", "ps.dsnames")                                             \
	" FROM products p CROSS JOIN product_search ps ON ps.pid = p.rowid;"                          \
	"INSERT OR IGNORE INTO search_terms(tenant_id, term) SELECT p.tenant_id, j.value"            \
	" FROM products p CROSS JOIN product_search ps ON ps.pid = p.rowid,"                         \
	" json_each(search_terms_of(" SEARCH_TEXT("p", "ps.dsnames") ")) j;"

/* Deep pages of the product list (schema v11, issue 10; docs/search.md).
 * list_blocks cuts each tenant's products, in (updated_at, id) order, into
 * blocks of consecutive products: a row is the lowest key of its block and
 * how many products the block holds, so the block holding offset K of the
 * unfiltered updatedAt list is found by summing n, and the page is read
 * from that block's edge with an OFFSET below LIST_B_MAX. The base block
 * ('', '') sorts before every key and exists while the tenant has products.
 *
 * Bounds, kept by triggers in the writing transaction: a block splits at
 * its median when it exceeds LIST_B_MAX (2B), a block other than the base
 * merges into its predecessor when it drops below LIST_B_MIN (B/4), so a
 * tenant of N products has at most 1 + 4N/B blocks whatever the history of
 * updates (an update moves a product to the newest block). B = 1024 is
 * about sqrt(N) at 1M: the page pick walks ~N/B rows of list_blocks and
 * skips < 2B index entries, both ~0.1 ms there; a split costs an OFFSET of
 * B index entries once per >= B writes to a block. */
#define LIST_B 1024
#define LIST_B_MAX 2048      /* 2B */
#define LIST_B_MIN 256       /* B/4 */
#define LIST_B_FILL_MAX 1280 /* B + B/4: the fill's last block may take the tail */
_Static_assert(LIST_B_MAX == 2 * LIST_B && LIST_B_MIN == LIST_B / 4 &&
	       LIST_B_FILL_MAX == LIST_B + LIST_B_MIN, "list_blocks bounds");
#define LIST_STR_(x) #x
#define LIST_STR(x) LIST_STR_(x)
/* the key of the block holding (U, I) of tenant T: the greatest lo <= it */
#define LIST_BLOCK_AT(T, U, I) \
	"(SELECT lo_u, lo_id FROM list_blocks WHERE tenant_id = " T                \
	" AND (lo_u, lo_id) <= (" U ", " I ") ORDER BY lo_u DESC, lo_id DESC LIMIT 1)"
#define LIST_BLOCK_ADD(R, D) \
	" UPDATE list_blocks SET n = n " D " WHERE tenant_id = " R ".tenant_id"     \
	" AND (lo_u, lo_id) = " LIST_BLOCK_AT(R ".tenant_id", R ".updated_at", R ".id")
#define LIST_BLOCK_BASE(R) \
	" INSERT INTO list_blocks(tenant_id, lo_u, lo_id, n)"                      \
	" VALUES(" R ".tenant_id, '', '', 0) ON CONFLICT DO NOTHING;"
/* an updated product changes block (only then is anything counted: the +1
 * goes first, so a split it causes never cuts the old product's block,
 * whose count still includes the product, and every cut is exact) */
#define LIST_BLOCK_MOVED \
	" AND (new.tenant_id IS NOT old.tenant_id OR "                              \
	LIST_BLOCK_AT("new.tenant_id", "new.updated_at", "new.id") " <> "          \
	LIST_BLOCK_AT("old.tenant_id", "old.updated_at", "old.id") ")"
/* Cuts every tenant's products into blocks of B, the tail below B/4
 * joined to the block before it. A recursive walk down products_updated:
 * each step is one seek and an OFFSET of B index entries from the last
 * block's lowest key, so the pass is O(N) in index order and holds one row
 * per tenant (a row_number() window would buffer the whole partition: 124
 * MiB at 1M). list_blocks must be empty (the v11 migration; the unit
 * test). Reads tenant_counts. */
#define LIST_BLOCKS_FILL \
	"INSERT INTO list_blocks(tenant_id, lo_u, lo_id, n)"                       \
	" WITH RECURSIVE b(t, u, id, r) AS (SELECT tenant_id, '', '', 0"           \
	" FROM tenant_counts WHERE products > 0"                                    \
	" UNION ALL SELECT b.t, p.updated_at, p.id, b.r + " LIST_STR(LIST_B)        \
	" FROM b JOIN products p ON p.id = (SELECT q.id FROM products q"           \
	" WHERE q.tenant_id = b.t AND (q.updated_at, q.id) >= (b.u, b.id)"          \
	" ORDER BY q.updated_at, q.id LIMIT 1 OFFSET " LIST_STR(LIST_B) "))"       \
	" SELECT b.t, b.u, b.id, CASE WHEN c.products - b.r < " LIST_STR(LIST_B_FILL_MAX) \
	" THEN c.products - b.r ELSE " LIST_STR(LIST_B) " END"                      \
	" FROM b JOIN tenant_counts c ON c.tenant_id = b.t"                         \
	" WHERE b.r = 0 OR c.products - b.r >= " LIST_STR(LIST_B_MIN) ";"
#define LIST_BLOCKS_TRIGGERS \
	/* the median: OFFSET n/2 inside the block, from its lowest key */          \
	"CREATE TRIGGER list_blocks_split AFTER UPDATE OF n ON list_blocks"        \
	" WHEN new.n > " LIST_STR(LIST_B_MAX) " BEGIN"                              \
	" INSERT INTO list_blocks(tenant_id, lo_u, lo_id, n)"                      \
	" SELECT tenant_id, updated_at, id, new.n - new.n / 2 FROM products"       \
	" WHERE tenant_id = new.tenant_id AND (updated_at, id) >= (new.lo_u, new.lo_id)" \
	" ORDER BY updated_at, id LIMIT 1 OFFSET new.n / 2;"                        \
	" UPDATE list_blocks SET n = new.n / 2 WHERE tenant_id = new.tenant_id"     \
	" AND lo_u = new.lo_u AND lo_id = new.lo_id; END;"                          \
	/* deleted first, so a split of the grown predecessor never meets it */     \
	"CREATE TRIGGER list_blocks_merge AFTER UPDATE OF n ON list_blocks"        \
	" WHEN new.n < " LIST_STR(LIST_B_MIN) " AND (new.lo_u <> '' OR new.lo_id <> '') BEGIN" \
	" DELETE FROM list_blocks WHERE tenant_id = new.tenant_id"                  \
	" AND lo_u = new.lo_u AND lo_id = new.lo_id;"                               \
	" UPDATE list_blocks SET n = n + new.n WHERE tenant_id = new.tenant_id"     \
	" AND (lo_u, lo_id) = (SELECT lo_u, lo_id FROM list_blocks"                 \
	" WHERE tenant_id = new.tenant_id AND (lo_u, lo_id) < (new.lo_u, new.lo_id)" \
	" ORDER BY lo_u DESC, lo_id DESC LIMIT 1); END;"                            \
	"CREATE TRIGGER products_blocks_ai AFTER INSERT ON products BEGIN"         \
	LIST_BLOCK_BASE("new") LIST_BLOCK_ADD("new", "+ 1") "; END;"               \
	"CREATE TRIGGER products_blocks_ad AFTER DELETE ON products BEGIN"         \
	LIST_BLOCK_ADD("old", "- 1") "; END;"                                      \
	"CREATE TRIGGER products_blocks_au AFTER UPDATE OF tenant_id, updated_at, id ON products" \
	" WHEN new.tenant_id IS NOT old.tenant_id OR new.updated_at IS NOT old.updated_at" \
	" OR new.id IS NOT old.id BEGIN" LIST_BLOCK_BASE("new")                     \
	LIST_BLOCK_ADD("new", "+ 1") LIST_BLOCK_MOVED ";"                           \
	LIST_BLOCK_ADD("old", "- 1") LIST_BLOCK_MOVED "; END;"

/* tenant_counts.<T> follows the rows of table T (the column has the
 * table's name) */
#define TENANT_COUNT_TRIGGERS(T) \
	"CREATE TRIGGER " T "_count_ai AFTER INSERT ON " T " BEGIN"                      \
	" INSERT INTO tenant_counts(tenant_id, products, " T ") VALUES(new.tenant_id, 0, 1)" \
	" ON CONFLICT(tenant_id) DO UPDATE SET " T " = " T " + 1; END;"                  \
	"CREATE TRIGGER " T "_count_ad AFTER DELETE ON " T " BEGIN"                      \
	" UPDATE tenant_counts SET " T " = " T " - 1 WHERE tenant_id = old.tenant_id; END;"

/* dataset_usage (v15): filled from the links of every data set; the
 * triggers that keep it. Reads and writes only the data set's row and
 * the written link rows (one indexed range of the product's links when its
 * activated flag changes). */
#define DATASET_USAGE_FILL \
	"INSERT INTO dataset_usage(tenant_id, dataset_id, products, activated)"               \
	" SELECT d.tenant_id, d.id, count(pd.product_id), coalesce(sum(pd.activated), 0)"     \
	" FROM datasets d LEFT JOIN product_datasets pd ON pd.tenant_id = d.tenant_id"        \
	" AND pd.dataset_id = d.id GROUP BY d.tenant_id, d.id;"
#define DATASET_USAGE_TRIGGERS \
	"CREATE TRIGGER datasets_usage_ai AFTER INSERT ON datasets BEGIN"                      \
	" INSERT OR REPLACE INTO dataset_usage(tenant_id, dataset_id, products, activated)"   \
	" SELECT new.tenant_id, new.id, count(*), coalesce(sum(activated), 0)"               \
	" FROM product_datasets WHERE tenant_id = new.tenant_id AND dataset_id = new.id; END;" \
	"CREATE TRIGGER datasets_usage_ad AFTER DELETE ON datasets BEGIN"                      \
	" DELETE FROM dataset_usage WHERE tenant_id = old.tenant_id AND dataset_id = old.id; END;" \
	"CREATE TRIGGER product_datasets_usage_ai AFTER INSERT ON product_datasets BEGIN"      \
	" UPDATE dataset_usage SET products = products + 1, activated = activated + new.activated" \
	" WHERE tenant_id = new.tenant_id AND dataset_id = new.dataset_id; END;"               \
	"CREATE TRIGGER product_datasets_usage_ad AFTER DELETE ON product_datasets BEGIN"      \
	" UPDATE dataset_usage SET products = products - 1, activated = activated - old.activated" \
	" WHERE tenant_id = old.tenant_id AND dataset_id = old.dataset_id; END;"               \
	"CREATE TRIGGER product_datasets_usage_au AFTER UPDATE OF activated ON product_datasets" \
	" WHEN new.activated IS NOT old.activated BEGIN"                                       \
	" UPDATE dataset_usage SET activated = activated + new.activated - old.activated"     \
	" WHERE tenant_id = new.tenant_id AND dataset_id = new.dataset_id; END;"               \
	"CREATE TRIGGER products_usage_au AFTER UPDATE OF activated ON products"               \
	" WHEN (new.activated <> 0) IS NOT (old.activated <> 0) BEGIN"                         \
	" UPDATE product_datasets SET activated = (new.activated <> 0)"                        \
	" WHERE product_id = new.id AND activated IS NOT (new.activated <> 0); END;"

static const char *const schema_migrations[] = {
	/* v1: tenants, identity, spaces, data sets, products, changelogs */
	"CREATE TABLE tenants(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	" created_at TEXT NOT NULL);"
	"CREATE TABLE users(id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id),"
	" email TEXT NOT NULL, roles INTEGER NOT NULL, status TEXT NOT NULL DEFAULT 'active',"
	" doc TEXT NOT NULL, UNIQUE(tenant_id, email));"
	"CREATE TABLE api_keys(id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL,"
	" user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	" hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL,"
	" expires_ms INTEGER NOT NULL DEFAULT 0, revoked INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE spaces(id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, name TEXT NOT NULL,"
	" type TEXT NOT NULL, owner_id TEXT, created_at TEXT NOT NULL, doc TEXT NOT NULL);"
	"CREATE INDEX spaces_tenant ON spaces(tenant_id, created_at);"
	"CREATE TABLE datasets(id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, space_id TEXT,"
	" doc TEXT NOT NULL);"
	"CREATE INDEX datasets_tenant ON datasets(tenant_id);"
	"CREATE TABLE products(id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, name TEXT NOT NULL,"
	" name_lc TEXT NOT NULL, space_id TEXT, owner_id TEXT NOT NULL,"
	" activated INTEGER NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,"
	" search TEXT NOT NULL, doc TEXT NOT NULL);"
	"CREATE INDEX products_updated ON products(tenant_id, updated_at, id);"
	"CREATE INDEX products_created ON products(tenant_id, created_at, id);"
	"CREATE INDEX products_name ON products(tenant_id, name_lc, id);"
	"CREATE INDEX products_activated ON products(tenant_id, activated, updated_at, id);"
	"CREATE TABLE product_tags(product_id TEXT NOT NULL REFERENCES products(id)"
	" ON DELETE CASCADE, tenant_id TEXT NOT NULL, tag TEXT NOT NULL,"
	" PRIMARY KEY(product_id, tag));"
	"CREATE INDEX product_tags_tag ON product_tags(tenant_id, tag);"
	"CREATE TABLE changelogs(seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,"
	" tenant_id TEXT NOT NULL, product_id TEXT NOT NULL REFERENCES products(id)"
	" ON DELETE CASCADE, created_at TEXT NOT NULL, doc TEXT NOT NULL);"
	"CREATE INDEX changelogs_product ON changelogs(product_id, seq);",
	/* v2: API key metadata, space role assignments */
	"ALTER TABLE api_keys ADD COLUMN description TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE api_keys ADD COLUMN created_by TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE api_keys ADD COLUMN updated_at TEXT;"
	"CREATE INDEX api_keys_user ON api_keys(tenant_id, user_id, created_at);"
	"CREATE TABLE space_assignments(id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL,"
	" space_id TEXT NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,"
	" assignee_id TEXT NOT NULL, roles INTEGER NOT NULL, created_at TEXT NOT NULL,"
	" doc TEXT NOT NULL, UNIQUE(space_id, assignee_id));"
	"CREATE INDEX space_assignments_assignee ON space_assignments(tenant_id, assignee_id);"
	"CREATE INDEX products_space ON products(tenant_id, space_id);"
	"CREATE INDEX datasets_space ON datasets(tenant_id, space_id);"
	"CREATE TRIGGER users_delete_assignments AFTER DELETE ON users BEGIN"
	" DELETE FROM space_assignments WHERE assignee_id = OLD.id; END;",
	/* v3: quality computations, trust results, tenant settings, and an index of
	 * which products reference which data sets (for aggregates and usage) */
	"CREATE TABLE product_datasets(product_id TEXT NOT NULL REFERENCES products(id)"
	" ON DELETE CASCADE, tenant_id TEXT NOT NULL, dataset_id TEXT NOT NULL,"
	" PRIMARY KEY(product_id, dataset_id));"
	"CREATE INDEX product_datasets_dataset ON product_datasets(tenant_id, dataset_id);"
	"INSERT INTO product_datasets(product_id, tenant_id, dataset_id)"
	" SELECT p.id, p.tenant_id, j.value FROM products p, json_each(p.doc, '$.datasetIds') j;"
	"CREATE TABLE quality_batches(id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL,"
	" product_id TEXT, created_at TEXT NOT NULL, created_by TEXT NOT NULL);"
	"CREATE TABLE computations(id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL,"
	" batch_id TEXT, dataset_id TEXT NOT NULL, status TEXT NOT NULL,"
	" attempts INTEGER NOT NULL DEFAULT 0, error_code TEXT, error_reason TEXT,"
	" requested_at TEXT NOT NULL, requested_by TEXT NOT NULL, started_at TEXT,"
	" finished_at TEXT, result TEXT);"
	"CREATE INDEX computations_queue ON computations(status, requested_at);"
	"CREATE INDEX computations_batch ON computations(batch_id);"
	"CREATE INDEX computations_dataset ON computations(tenant_id, dataset_id, status, finished_at);"
	"CREATE TABLE trust_results(tenant_id TEXT NOT NULL, dataset_id TEXT NOT NULL,"
	" score REAL NOT NULL, previous_score REAL, doc TEXT NOT NULL, updated_at TEXT NOT NULL,"
	" PRIMARY KEY(tenant_id, dataset_id));"
	"CREATE TABLE tenant_settings(tenant_id TEXT PRIMARY KEY, trust_config TEXT);",
	/* v4: a dense per-product entry number, so a changelog page is an index
	 * range instead of COUNT + OFFSET (entries are only ever deleted together
	 * with their product, so the numbering never has holes) */
	"ALTER TABLE changelogs ADD COLUMN pseq INTEGER;"
	"UPDATE changelogs SET pseq = x.n FROM (SELECT seq AS s, row_number() OVER"
	" (PARTITION BY product_id ORDER BY seq) AS n FROM changelogs) AS x"
	" WHERE x.s = changelogs.seq;"
	"CREATE UNIQUE INDEX changelogs_pseq ON changelogs(product_id, pseq);"
	/* the ETag, computed when a product is written, so a read needs no
	 * parse and re-serialisation (NULL for rows written before v4) */
	"ALTER TABLE products ADD COLUMN etag TEXT;",
	/* v5: marketplace search. A case-sensitive trigram index (the text and
	 * the query are both ASCII-lower-cased, as docs/decisions.md promises,
	 * so FTS and the short-query scan agree) over the search column (name,
	 * description, tags, lower-cased, joined by U+001F), kept in step by
	 * triggers inside the writing transaction. A trigram phrase match is a
	 * substring match, so `query` keeps its meaning without a scan. */
	"CREATE VIRTUAL TABLE products_fts USING fts5(search, content='products',"
	" content_rowid='rowid', tokenize='trigram case_sensitive 1');"
	"CREATE TRIGGER products_fts_ai AFTER INSERT ON products BEGIN"
	" INSERT INTO products_fts(rowid, search) VALUES(new.rowid, new.search); END;"
	"CREATE TRIGGER products_fts_ad AFTER DELETE ON products BEGIN"
	" INSERT INTO products_fts(products_fts, rowid, search) VALUES('delete', old.rowid, old.search);"
	" END;"
	"CREATE TRIGGER products_fts_au AFTER UPDATE OF search ON products BEGIN"
	" INSERT INTO products_fts(products_fts, rowid, search) VALUES('delete', old.rowid, old.search);"
	" INSERT INTO products_fts(rowid, search) VALUES(new.rowid, new.search); END;"
	"INSERT INTO products_fts(products_fts) VALUES('rebuild');",
	/* v6: list sorts and filters on trust and quality (issue 9). Both are
	 * copies of the document's aggregates, NULL when it has none:
	 * trust_score = trustScore.score (0..100), quality = the mean of
	 * quality.validity and quality.completeness. The indexes serve the
	 * descending sort (best first, NULLs last) as a backward scan and
	 * minTrustScore as a range. */
	"ALTER TABLE products ADD COLUMN trust_score REAL;"
	"ALTER TABLE products ADD COLUMN quality REAL;"
	"UPDATE products SET trust_score = json_extract(doc, '$.trustScore.score'),"
	" quality = (json_extract(doc, '$.quality.validity')"
	" + json_extract(doc, '$.quality.completeness')) / 2.0;"
	"CREATE INDEX products_trust ON products(tenant_id, trust_score, updated_at, id);"
	"CREATE INDEX products_quality ON products(tenant_id, quality, updated_at, id);",
	/* v7: browser sessions (issue 9, SPEC §6). Keyed by tenant first like
	 * every table (Citus); looked up by the SHA-256 of the cookie value only
	 * (sessions_hash), as API keys are. Times are epoch milliseconds. A
	 * session dies with its user and with the API key it was created with
	 * (the foreign keys cascade, inside the deleting transaction), and when
	 * the user is disabled or the key revoked (triggers, same transaction);
	 * lookups check all of it again, and expiry, before trusting a row. */
	"CREATE TABLE sessions(tenant_id TEXT NOT NULL, id_hash TEXT NOT NULL,"
	" user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	" key_id TEXT REFERENCES api_keys(id) ON DELETE CASCADE,"
	" created_via TEXT NOT NULL, created_at INTEGER NOT NULL,"
	" last_seen_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
	" PRIMARY KEY(tenant_id, id_hash));"
	"CREATE UNIQUE INDEX sessions_hash ON sessions(id_hash);"
	"CREATE INDEX sessions_user ON sessions(tenant_id, user_id);"
	"CREATE INDEX sessions_key ON sessions(key_id);"
	"CREATE INDEX sessions_expires ON sessions(expires_at);"
	"CREATE INDEX sessions_seen ON sessions(last_seen_at);"
	"CREATE TRIGGER users_disable_sessions AFTER UPDATE OF status ON users"
	" WHEN NEW.status <> 'active' BEGIN"
	" DELETE FROM sessions WHERE tenant_id = NEW.tenant_id AND user_id = NEW.id; END;"
	"CREATE TRIGGER api_keys_revoke_sessions AFTER UPDATE OF revoked ON api_keys"
	" WHEN NEW.revoked <> 0 BEGIN DELETE FROM sessions WHERE key_id = NEW.id; END;",
	/* v8: the data set picker of the web app (issue 9): name and
	 * technicalName ASCII-lower-cased (as the product list's name_lc), so
	 * the tenant's data sets list by name from an index and `query` is a
	 * case-insensitive substring of either */
	"ALTER TABLE datasets ADD COLUMN name_lc TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE datasets ADD COLUMN technical_lc TEXT NOT NULL DEFAULT '';"
	"UPDATE datasets SET name_lc = lower(coalesce(json_extract(doc, '$.name'), '')),"
	" technical_lc = lower(coalesce(json_extract(doc, '$.technicalName'), ''));"
	"CREATE INDEX datasets_name ON datasets(tenant_id, name_lc, id);",
	/* v9: marketplace search (issue 10, docs/search.md): word/prefix/phrase
	 * matching with case and accent folding, tenant/visibility/tag/space
	 * filters answered inside the index, and a per-tenant product counter
	 * kept in the writing transaction (O(1) unfiltered counts). The v5
	 * trigram index goes; products.search is no longer read. */
	"DROP TRIGGER products_fts_ai; DROP TRIGGER products_fts_ad; DROP TRIGGER products_fts_au;"
	"DROP TABLE products_fts;"
	"CREATE TABLE product_search(sk INTEGER PRIMARY KEY, pid INTEGER NOT NULL UNIQUE,"
	" dsnames TEXT NOT NULL);"
	"CREATE VIRTUAL TABLE search_fts USING fts5(name, tags, description, body, f,"
	" content='', columnsize=0, detail=full, prefix='2 3',"
	" tokenize='unicode61 remove_diacritics 2');"
	/* v9 filled the index and created its triggers here; v10 (below) rebuilds
	 * both, so a database older than v9 builds the index once, in v10 */
	"CREATE TRIGGER datasets_search_au AFTER UPDATE OF doc ON datasets"
	" WHEN json_extract(old.doc, '$.name') IS NOT json_extract(new.doc, '$.name') BEGIN"
	" UPDATE products SET name = name WHERE tenant_id = new.tenant_id AND id IN"
	" (SELECT product_id FROM product_datasets WHERE tenant_id = new.tenant_id"
	" AND dataset_id = new.id); END;"
	"CREATE TABLE tenant_counts(tenant_id TEXT PRIMARY KEY, products INTEGER NOT NULL)"
	" WITHOUT ROWID;"
	"INSERT INTO tenant_counts(tenant_id, products)"
	" SELECT tenant_id, count(*) FROM products GROUP BY tenant_id;"
	"CREATE TRIGGER products_count_ai AFTER INSERT ON products BEGIN"
	" INSERT INTO tenant_counts(tenant_id, products) VALUES(new.tenant_id, 1)"
	" ON CONFLICT(tenant_id) DO UPDATE SET products = products + 1; END;"
	"CREATE TRIGGER products_count_ad AFTER DELETE ON products BEGIN"
	" UPDATE tenant_counts SET products = products - 1 WHERE tenant_id = old.tenant_id; END;",
	/* v10: the index rebuilt with the activated twins of the filter tokens
	 * (b, m, h) and the term list search_terms (docs/search.md). */
	"DROP TRIGGER IF EXISTS products_search_ai; DROP TRIGGER IF EXISTS products_search_ad;"
	" DROP TRIGGER IF EXISTS products_search_au;"
	"DELETE FROM product_search;"
	"DROP TABLE search_fts;"
	"CREATE VIRTUAL TABLE search_fts USING fts5(name, tags, description, body, f,"
	" content='', columnsize=0, detail=full, prefix='2 3',"
	" tokenize='unicode61 remove_diacritics 2');"
	"CREATE TABLE search_terms(tenant_id TEXT NOT NULL, term TEXT NOT NULL,"
	" PRIMARY KEY(tenant_id, term)) WITHOUT ROWID;"
	SEARCH_FILL
	SEARCH_TRIGGERS,
	/* v11: deep pages of the unfiltered updatedAt list in O(N/B + B)
	 * instead of O(offset) (list_blocks above; docs/search.md) */
	"CREATE TABLE list_blocks(tenant_id TEXT NOT NULL, lo_u TEXT NOT NULL,"
	" lo_id TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY(tenant_id, lo_u, lo_id))"
	" WITHOUT ROWID;"
	LIST_BLOCKS_FILL
	LIST_BLOCKS_TRIGGERS,
	/* v12: leases on claimed computations (issue 11, docs/decisions.md "job
	 * queue across instances"): the claiming instance's id and the end of
	 * its lease in ms since the epoch (this process's clock). Rows claimed
	 * before have neither: their owner is an earlier process, so the next
	 * recovery takes them back, as the start-up recovery of v11 did. */
	("ALTER TABLE computations ADD COLUMN owner TEXT;"
	 " ALTER TABLE computations ADD COLUMN lease_until INTEGER;"),
	/* v13: issue 12, tenant quotas (docs/decisions.md "Issue 12 -- quotas"): tenant_counts
	 * counts data sets, spaces and users too, kept by triggers in the
	 * writing transaction as v9's product count is, so a create checks its
	 * tenant's quota with one indexed row read (an indexed count(*) of a
	 * tenant's data sets measured 3.8 ms at 110k rows and 72 ms at 990k) */
	"ALTER TABLE tenant_counts ADD COLUMN datasets INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE tenant_counts ADD COLUMN spaces INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE tenant_counts ADD COLUMN users INTEGER NOT NULL DEFAULT 0;"
	"INSERT OR IGNORE INTO tenant_counts(tenant_id, products) SELECT tenant_id, 0 FROM datasets"
	" UNION SELECT tenant_id, 0 FROM spaces UNION SELECT tenant_id, 0 FROM users;"
	"UPDATE tenant_counts SET"
	" datasets = (SELECT count(*) FROM datasets x WHERE x.tenant_id = tenant_counts.tenant_id),"
	" spaces = (SELECT count(*) FROM spaces x WHERE x.tenant_id = tenant_counts.tenant_id),"
	" users = (SELECT count(*) FROM users x WHERE x.tenant_id = tenant_counts.tenant_id);"
	TENANT_COUNT_TRIGGERS("datasets") TENANT_COUNT_TRIGGERS("spaces")
	TENANT_COUNT_TRIGGERS("users"),
	/* v14: stale derived values (issue 12, docs/decisions.md "Issue 12 --
	 * derived values"): a write marks what its change makes stale, in its
	 * own transaction; the deriver (src/jobs/deriver.c) recomputes and
	 * deletes the marks in one transaction. kind 'tenant' (every trust
	 * score), 'trust' (a data set's trust score, then its products),
	 * 'dataset' (the products using it), 'product' (its quality and
	 * trustScore): quality/aggregate.h; marked_at in ms since the epoch, kept from
	 * the first mark (the primary key folds repeated marks into one). */
	"CREATE TABLE derive_stale(tenant_id TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL,"
	" marked_at INTEGER NOT NULL, PRIMARY KEY(tenant_id, kind, id)) WITHOUT ROWID;"
	"CREATE INDEX derive_stale_age ON derive_stale(marked_at);",
	/* v15: data set usage in O(1) (issue 12, docs/decisions.md "Issue 12 --
	 * derived values"): dataset_usage holds, per existing data set, how many
	 * products reference it and how many of those are activated, kept by
	 * triggers in the writing transaction. Each link row carries a copy of
	 * its product's activated flag (product_datasets.activated, 0/1, set by
	 * the insert and followed by products_usage_au), so a link counts with
	 * the flag it was counted with whatever the order in which a statement's
	 * changes reach the triggers (PostgreSQL's one-statement product write,
	 * a product delete's cascade that runs after the product row is gone).
	 * A data set's row is made when it is created (counting links already
	 * there: a dangling reference from before) and dropped when it is
	 * deleted; a link to a data set that does not exist counts nowhere. */
	"ALTER TABLE product_datasets ADD COLUMN activated INTEGER NOT NULL DEFAULT 0;"
	"UPDATE product_datasets SET activated = coalesce((SELECT p.activated <> 0 FROM products p"
	" WHERE p.id = product_datasets.product_id), 0);"
	"CREATE TABLE dataset_usage(tenant_id TEXT NOT NULL, dataset_id TEXT NOT NULL,"
	" products INTEGER NOT NULL, activated INTEGER NOT NULL,"
	" PRIMARY KEY(tenant_id, dataset_id)) WITHOUT ROWID;"
	DATASET_USAGE_FILL
	DATASET_USAGE_TRIGGERS,
};

#define SCHEMA_VERSION ((int)(sizeof schema_migrations / sizeof schema_migrations[0]))

#endif
