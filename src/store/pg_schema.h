/* pg_schema: the PostgreSQL backend's migrations (its own list; the same
 * tables and columns as schema.h where they mean the same). Entry i moves
 * the schema from version i to i + 1 (table schema_version), run under a
 * global advisory lock so instances starting together migrate once.
 *
 * Conventions: every key and every column a list sorts or compares by
 * bytes is text COLLATE "C" (the database's own collation may be anything);
 * documents are text, sent back byte for byte (jsonb would reorder keys);
 * insertion order is an identity column; booleans are boolean. Search
 * (docs/search.md "The same results in PostgreSQL"): one tsvector per
 * field (name, tags, description, body = readMe and the data sets' names)
 * built by dp_tsv() (dp_fold(), then the dp_search configuration: simple),
 * and their concatenation ts_all under a GIN index. */
#ifndef DP_PG_SCHEMA_H
#define DP_PG_SCHEMA_H

#define PG_C " COLLATE \"C\""
#define PG_ID "text" PG_C

/* tenant_counts.<T> follows the rows of table T (the column has the
 * table's name) */
#define PG_TENANT_COUNT_TRIGGER(T) \
	"CREATE FUNCTION dp_" T "_count() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN"      \
	" IF TG_OP = 'INSERT' THEN INSERT INTO tenant_counts(tenant_id, products, " T ")"  \
	" VALUES(NEW.tenant_id, 0, 1) ON CONFLICT(tenant_id) DO UPDATE"                   \
	" SET " T " = tenant_counts." T " + 1;"                                            \
	" ELSE UPDATE tenant_counts SET " T " = " T " - 1 WHERE tenant_id = OLD.tenant_id;" \
	" END IF; RETURN NULL; END$$;"                                                     \
	"CREATE TRIGGER " T "_count AFTER INSERT OR DELETE ON " T " FOR EACH ROW"          \
	" EXECUTE FUNCTION dp_" T "_count();"

static const char *const pg_migrations[] = {
	/* v1: everything of SQLite's v11 that PostgreSQL needs */
	"CREATE EXTENSION IF NOT EXISTS unaccent;"
	"CREATE TEXT SEARCH CONFIGURATION dp_search (COPY = pg_catalog.simple);"
	"ALTER TEXT SEARCH CONFIGURATION dp_search ALTER MAPPING FOR asciiword, word, numword,"
	" asciihword, hword, numhword, hword_asciipart, hword_part, hword_numpart"
	" WITH unaccent, simple;"
	/* ASCII punctuation and spaces separate words, as SQLite's unicode61 */
	"CREATE FUNCTION dp_tsv(t text) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS"
	" $$SELECT to_tsvector('dp_search'::regconfig, regexp_replace(coalesce(t, ''),"
	" '[\\x01-\\x2f\\x3a-\\x40\\x5b-\\x60\\x7b-\\x7f]+', ' ', 'g'))$$;"
	"CREATE TABLE tenants(id " PG_ID " PRIMARY KEY, name " PG_ID " NOT NULL UNIQUE,"
	" created_at text NOT NULL);"
	"CREATE TABLE users(seq bigint GENERATED ALWAYS AS IDENTITY, id " PG_ID " PRIMARY KEY,"
	" tenant_id " PG_ID " NOT NULL REFERENCES tenants(id), email " PG_ID " NOT NULL,"
	" roles integer NOT NULL, status text NOT NULL DEFAULT 'active', doc text NOT NULL,"
	" UNIQUE(tenant_id, email));"
	"CREATE INDEX users_tenant ON users(tenant_id, seq);"
	"CREATE TABLE api_keys(id " PG_ID " PRIMARY KEY, tenant_id " PG_ID " NOT NULL,"
	" user_id " PG_ID " NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	" hash " PG_ID " NOT NULL UNIQUE, created_at " PG_ID " NOT NULL,"
	" expires_ms bigint NOT NULL DEFAULT 0, revoked boolean NOT NULL DEFAULT false,"
	" description text NOT NULL DEFAULT '', created_by text NOT NULL DEFAULT '',"
	" updated_at text);"
	"CREATE INDEX api_keys_user ON api_keys(tenant_id, user_id, created_at, id);"
	"CREATE TABLE sessions(tenant_id " PG_ID " NOT NULL, id_hash " PG_ID " NOT NULL,"
	" user_id " PG_ID " NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	" key_id " PG_ID " REFERENCES api_keys(id) ON DELETE CASCADE,"
	" created_via text NOT NULL, created_at bigint NOT NULL, last_seen_at bigint NOT NULL,"
	" expires_at bigint NOT NULL, PRIMARY KEY(tenant_id, id_hash));"
	"CREATE UNIQUE INDEX sessions_hash ON sessions(id_hash);"
	"CREATE INDEX sessions_user ON sessions(tenant_id, user_id);"
	"CREATE INDEX sessions_key ON sessions(key_id);"
	"CREATE INDEX sessions_expires ON sessions(expires_at);"
	"CREATE INDEX sessions_seen ON sessions(last_seen_at);"
	"CREATE FUNCTION dp_users_disable_sessions() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN"
	" DELETE FROM sessions WHERE tenant_id = NEW.tenant_id AND user_id = NEW.id;"
	" RETURN NULL; END$$;"
	"CREATE TRIGGER users_disable_sessions AFTER UPDATE OF status ON users FOR EACH ROW"
	" WHEN (NEW.status <> 'active') EXECUTE FUNCTION dp_users_disable_sessions();"
	"CREATE FUNCTION dp_api_keys_revoke_sessions() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN"
	" DELETE FROM sessions WHERE key_id = NEW.id; RETURN NULL; END$$;"
	"CREATE TRIGGER api_keys_revoke_sessions AFTER UPDATE OF revoked ON api_keys FOR EACH ROW"
	" WHEN (NEW.revoked) EXECUTE FUNCTION dp_api_keys_revoke_sessions();"
	"CREATE TABLE spaces(id " PG_ID " PRIMARY KEY, tenant_id " PG_ID " NOT NULL,"
	" name text NOT NULL, type text NOT NULL, owner_id " PG_ID ","
	" created_at " PG_ID " NOT NULL, doc text NOT NULL);"
	"CREATE INDEX spaces_tenant ON spaces(tenant_id, created_at, id);"
	"CREATE TABLE space_assignments(id " PG_ID " PRIMARY KEY, tenant_id " PG_ID " NOT NULL,"
	" space_id " PG_ID " NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,"
	" assignee_id " PG_ID " NOT NULL, roles integer NOT NULL, created_at " PG_ID " NOT NULL,"
	" doc text NOT NULL, UNIQUE(space_id, assignee_id));"
	"CREATE INDEX space_assignments_assignee ON space_assignments(tenant_id, assignee_id);"
	"CREATE FUNCTION dp_users_delete_assignments() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN"
	" DELETE FROM space_assignments WHERE assignee_id = OLD.id; RETURN NULL; END$$;"
	"CREATE TRIGGER users_delete_assignments AFTER DELETE ON users FOR EACH ROW"
	" EXECUTE FUNCTION dp_users_delete_assignments();"
	"CREATE TABLE datasets(id " PG_ID " PRIMARY KEY, tenant_id " PG_ID " NOT NULL,"
	" space_id " PG_ID ", doc text NOT NULL, name_lc " PG_ID " NOT NULL DEFAULT '',"
	" technical_lc " PG_ID " NOT NULL DEFAULT '');"
	"CREATE INDEX datasets_space ON datasets(tenant_id, space_id);"
	"CREATE INDEX datasets_name ON datasets(tenant_id, name_lc, id);"
	/* changelog_n: the number of the product's latest changelog entry,
	 * incremented by the append in the same transaction */
	"CREATE TABLE products(id " PG_ID " PRIMARY KEY, tenant_id " PG_ID " NOT NULL,"
	" name text NOT NULL, name_lc " PG_ID " NOT NULL, space_id " PG_ID ","
	" owner_id " PG_ID " NOT NULL, activated boolean NOT NULL,"
	" created_at " PG_ID " NOT NULL, updated_at " PG_ID " NOT NULL, doc text NOT NULL,"
	" etag text NOT NULL, trust_score double precision, quality double precision,"
	" changelog_n bigint NOT NULL DEFAULT 0,"
	" ts_name tsvector NOT NULL, ts_tags tsvector NOT NULL, ts_desc tsvector NOT NULL,"
	" ts_body tsvector NOT NULL,"
	" ts_all tsvector GENERATED ALWAYS AS (ts_name || ts_tags || ts_desc || ts_body) STORED);"
	"CREATE INDEX products_updated ON products(tenant_id, updated_at, id);"
	"CREATE INDEX products_created ON products(tenant_id, created_at, id);"
	"CREATE INDEX products_name ON products(tenant_id, name_lc, id);"
	"CREATE INDEX products_activated ON products(tenant_id, activated, updated_at, id);"
	"CREATE INDEX products_space ON products(tenant_id, space_id);"
	"CREATE INDEX products_trust ON products(tenant_id, trust_score, updated_at, id);"
	"CREATE INDEX products_quality ON products(tenant_id, quality, updated_at, id);"
	"CREATE INDEX products_search ON products USING gin(ts_all);"
	/* the tenant's product count, kept in the writing transaction: the
	 * unfiltered admin list's exact total in O(1) */
	"CREATE TABLE tenant_counts(tenant_id " PG_ID " PRIMARY KEY, products bigint NOT NULL);"
	"CREATE FUNCTION dp_products_count() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN"
	" IF TG_OP = 'INSERT' THEN INSERT INTO tenant_counts(tenant_id, products)"
	" VALUES(NEW.tenant_id, 1) ON CONFLICT(tenant_id) DO UPDATE"
	" SET products = tenant_counts.products + 1;"
	" ELSE UPDATE tenant_counts SET products = products - 1 WHERE tenant_id = OLD.tenant_id;"
	" END IF; RETURN NULL; END$$;"
	"CREATE TRIGGER products_count AFTER INSERT OR DELETE ON products FOR EACH ROW"
	" EXECUTE FUNCTION dp_products_count();"
	"CREATE TABLE product_tags(product_id " PG_ID " NOT NULL REFERENCES products(id)"
	" ON DELETE CASCADE, tenant_id " PG_ID " NOT NULL, tag " PG_ID " NOT NULL,"
	" PRIMARY KEY(product_id, tag));"
	"CREATE INDEX product_tags_tag ON product_tags(tenant_id, tag);"
	"CREATE TABLE product_datasets(product_id " PG_ID " NOT NULL REFERENCES products(id)"
	" ON DELETE CASCADE, tenant_id " PG_ID " NOT NULL, dataset_id " PG_ID " NOT NULL,"
	" PRIMARY KEY(product_id, dataset_id));"
	"CREATE INDEX product_datasets_dataset ON product_datasets(tenant_id, dataset_id);"
	"CREATE TABLE changelogs(seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	" id " PG_ID " NOT NULL UNIQUE, tenant_id " PG_ID " NOT NULL,"
	" product_id " PG_ID " NOT NULL REFERENCES products(id) ON DELETE CASCADE,"
	" created_at text NOT NULL, doc text NOT NULL, pseq bigint NOT NULL,"
	" UNIQUE(product_id, pseq));"
	"CREATE TABLE quality_batches(id " PG_ID " PRIMARY KEY, tenant_id " PG_ID " NOT NULL,"
	" product_id " PG_ID ", created_at text NOT NULL, created_by text NOT NULL);"
	"CREATE TABLE computations(seq bigint GENERATED ALWAYS AS IDENTITY,"
	" id " PG_ID " PRIMARY KEY, tenant_id " PG_ID " NOT NULL, batch_id " PG_ID ","
	" dataset_id " PG_ID " NOT NULL, status text NOT NULL, attempts integer NOT NULL DEFAULT 0,"
	" error_code text, error_reason text, requested_at " PG_ID " NOT NULL,"
	" requested_by text NOT NULL, started_at text, finished_at " PG_ID ", result text);"
	"CREATE INDEX computations_queue ON computations(status, requested_at, seq);"
	"CREATE INDEX computations_batch ON computations(batch_id);"
	"CREATE INDEX computations_dataset ON computations(tenant_id, dataset_id, status, finished_at);"
	"CREATE TABLE trust_results(tenant_id " PG_ID " NOT NULL, dataset_id " PG_ID " NOT NULL,"
	" score double precision NOT NULL, previous_score double precision, doc text NOT NULL,"
	" updated_at text NOT NULL, PRIMARY KEY(tenant_id, dataset_id));"
	"CREATE TABLE tenant_settings(tenant_id " PG_ID " PRIMARY KEY, trust_config text);",
	/* v2: diacritics folded as SQLite's unicode61 remove_diacritics 2 does
	 * (docs/search.md "Known differences"): a Latin letter's canonical
	 * decomposition loses its combining marks (é -> e, Ṩ -> S); letters
	 * without one (ø ß æ œ ł đ þ, ligatures) and Greek or Cyrillic letters
	 * stay as they are. unaccent folded those too (Straße matched
	 * "strasse", Smørrebrød "smorrebrod", which SQLite does not). The same
	 * dp_fold() is applied to query terms (pg_products.c). Every product's
	 * vectors are rebuilt with it. */
	"CREATE FUNCTION dp_fold(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS"
	" $$SELECT regexp_replace(normalize(t, NFD), '([A-Za-z])[\\u0300-\\u036f]+', '\\1', 'g')$$;"
	"ALTER TEXT SEARCH CONFIGURATION dp_search ALTER MAPPING FOR asciiword, word, numword,"
	" asciihword, hword, numhword, hword_asciipart, hword_part, hword_numpart WITH simple;"
	"CREATE OR REPLACE FUNCTION dp_tsv(t text) RETURNS tsvector LANGUAGE sql IMMUTABLE"
	" PARALLEL SAFE AS $$SELECT to_tsvector('dp_search'::regconfig,"
	" regexp_replace(dp_fold(coalesce(t, '')),"
	" '[\\x01-\\x2f\\x3a-\\x40\\x5b-\\x60\\x7b-\\x7f]+', ' ', 'g'))$$;"
	"UPDATE products p SET ts_name = dp_tsv(p.name),"
	" ts_tags = dp_tsv(coalesce((SELECT string_agg(x, ' ') FROM"
	" json_array_elements_text(p.doc::json->'tags') x), '')),"
	" ts_desc = dp_tsv(p.doc::json->>'description'),"
	" ts_body = dp_tsv(coalesce(p.doc::json->>'readMe', '') || ' ' || coalesce((SELECT"
	" string_agg(d.doc::json->>'name', ' ') FROM product_datasets pd JOIN datasets d"
	" ON d.tenant_id = pd.tenant_id AND d.id = pd.dataset_id WHERE pd.product_id = p.id), ''));",
	/* v3: shared rate limit buckets (store.h rate_take): UNLOGGED (no WAL:
	 * cheap to update on every request; after a crash of the database the
	 * table is empty, i.e. every bucket full), fillfactor 50 and no index
	 * but the key so that updates stay HOT. bucket: 1 and 2 the API key
	 * tiers, 3 sign-in attempts per client address. */
	"CREATE UNLOGGED TABLE rate_buckets(key " PG_ID " NOT NULL, bucket integer NOT NULL,"
	" tat_us bigint NOT NULL, seen_us bigint NOT NULL, allowed boolean NOT NULL,"
	" PRIMARY KEY(key, bucket)) WITH (fillfactor = 50);",
	/* v4: the job queue across instances (docs/decisions.md "Issue 11 -- job
	 * queue across instances"): a claimed computation's owner (the
	 * instance id) and the end of its lease on the database's clock; rows
	 * claimed before have neither, so the next recovery takes them back.
	 * A computation that becomes REQUESTED (inserted, or taken back)
	 * notifies channel dp_jobs when its transaction commits, which wakes
	 * the workers of every instance (pg.c computation_listen); PostgreSQL
	 * folds the notices of one transaction into one. */
	"ALTER TABLE computations ADD COLUMN owner text, ADD COLUMN lease_until timestamptz;"
	"CREATE FUNCTION dp_jobs_notify() RETURNS trigger LANGUAGE plpgsql AS"
	" $$BEGIN PERFORM pg_notify('dp_jobs', ''); RETURN NULL; END$$;"
	"CREATE TRIGGER computations_notify AFTER INSERT OR UPDATE OF status ON computations"
	" FOR EACH ROW WHEN (NEW.status = 'REQUESTED') EXECUTE FUNCTION dp_jobs_notify();",
	/* v5 (issue 11, list and search performance; docs/search.md "Filter
	 * tokens on PostgreSQL"): the tag filter as tokens in a GIN index
	 * instead of a probe of product_tags per row. filters holds, per tag of
	 * the document, 'g' || tenant_id || ':' || tag and, when the product is
	 * activated, its activated twin 'h' || tenant_id || ':' || tag (what SQLite's
	 * search index keeps as g<hex> and h<tenant><hex>): a tenant's
	 * activated=true&tag=x is then one posting list, and a search ANDs it
	 * with the words' inside the index. Generated from the row (tenant ids
	 * are GUIDs, without ':'), so every writer, migrate's INSERT included,
	 * keeps it. Rewrites the products table (the migration's time is
	 * measured in docs/performance.md). */
	"CREATE FUNCTION dp_filters(tenant text, activated boolean, doc text) RETURNS text[]"
	" LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$SELECT coalesce(array_agg(k || tenant || ':' || (e #>> '{}')"
	" ORDER BY k, e #>> '{}'), '{}') FROM json_array_elements(CASE json_typeof(doc::json->'tags')"
	" WHEN 'array' THEN doc::json->'tags' ELSE '[]'::json END) e,"
	" unnest(CASE WHEN activated THEN ARRAY['g', 'h'] ELSE ARRAY['g'] END) k"
	" WHERE json_typeof(e) = 'string'$$;"
	"ALTER TABLE products ADD COLUMN filters text[] GENERATED ALWAYS AS"
	" (dp_filters(tenant_id, activated, doc)) STORED;"
	/* one GIN over the words and the tokens (replacing v1's over the
	 * words alone): a search with a tag is one index scan that intersects
	 * the posting lists inside GIN, where two indexes built two bitmaps and
	 * ANDed them (measured: 29 % less PostgreSQL CPU per search at 100k); it
	 * serves conditions on either column alone as well */
	"CREATE INDEX products_search_filters ON products USING gin(ts_all, filters);"
	"DROP INDEX products_search;",
	/* v6: issue 12, tenant quotas (docs/decisions.md "Issue 12 -- quotas"):
	 * tenant_counts counts data sets, spaces and users too, kept by
	 * triggers in the writing transaction as the product count is, so a
	 * create checks its tenant's quota with one indexed row read under the
	 * tenant's advisory lock (an index-only count(*) of a tenant's data
	 * sets measured 3.6 ms at 110k rows and 33 ms at 990k) */
	"ALTER TABLE tenant_counts ADD COLUMN datasets bigint NOT NULL DEFAULT 0,"
	" ADD COLUMN spaces bigint NOT NULL DEFAULT 0, ADD COLUMN users bigint NOT NULL DEFAULT 0;"
	"INSERT INTO tenant_counts(tenant_id, products) SELECT tenant_id, 0 FROM datasets"
	" UNION SELECT tenant_id, 0 FROM spaces UNION SELECT tenant_id, 0 FROM users"
	" ON CONFLICT(tenant_id) DO NOTHING;"
	"UPDATE tenant_counts c SET"
	" datasets = (SELECT count(*) FROM datasets x WHERE x.tenant_id = c.tenant_id),"
	" spaces = (SELECT count(*) FROM spaces x WHERE x.tenant_id = c.tenant_id),"
	" users = (SELECT count(*) FROM users x WHERE x.tenant_id = c.tenant_id);"
	PG_TENANT_COUNT_TRIGGER("datasets") PG_TENANT_COUNT_TRIGGER("spaces")
	PG_TENANT_COUNT_TRIGGER("users"),
	/* v7: stale derived values (schema.h v14; docs/decisions.md "Issue 12
	 * -- derived values"). Marked and cleared under the tenant's advisory
	 * lock like every tenant-scoped write, so a mark and the deriver's pass
	 * over the same tenant never interleave. */
	"CREATE TABLE derive_stale(tenant_id " PG_ID " NOT NULL, kind " PG_ID " NOT NULL,"
	" id " PG_ID " NOT NULL, marked_at bigint NOT NULL, PRIMARY KEY(tenant_id, kind, id));"
	"CREATE INDEX derive_stale_age ON derive_stale(marked_at);",
	/* v8: data set usage in O(1) (schema.h v15; docs/decisions.md "Issue 12
	 * -- derived values"). Each link row carries its product's activated
	 * flag: a product write is one statement whose link changes and row
	 * change reach the AFTER triggers only at its end, in no set order, all
	 * seeing the final rows; with the flag on the link, each trigger counts
	 * from its own row (OLD/NEW) and the sum is exact in any order. The
	 * same for a product delete, whose links go by the foreign key's
	 * cascade after the product row. migrate's COPY fires the triggers:
	 * data sets are copied first (their rows made at 0), then products,
	 * then the links with their flag, each counted once. */
	"ALTER TABLE product_datasets ADD COLUMN activated boolean NOT NULL DEFAULT false;"
	"UPDATE product_datasets pd SET activated = true FROM products p"
	" WHERE p.id = pd.product_id AND p.activated;"
	"CREATE TABLE dataset_usage(tenant_id " PG_ID " NOT NULL, dataset_id " PG_ID " NOT NULL,"
	" products bigint NOT NULL, activated bigint NOT NULL, PRIMARY KEY(tenant_id, dataset_id));"
	"INSERT INTO dataset_usage(tenant_id, dataset_id, products, activated)"
	" SELECT d.tenant_id, d.id, count(pd.product_id), count(pd.product_id) FILTER (WHERE pd.activated)"
	" FROM datasets d LEFT JOIN product_datasets pd ON pd.tenant_id = d.tenant_id"
	" AND pd.dataset_id = d.id GROUP BY d.tenant_id, d.id;"
	"CREATE FUNCTION dp_datasets_usage() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN"
	" IF TG_OP = 'INSERT' THEN INSERT INTO dataset_usage(tenant_id, dataset_id, products, activated)"
	" SELECT NEW.tenant_id, NEW.id, count(*), count(*) FILTER (WHERE activated)"
	" FROM product_datasets WHERE tenant_id = NEW.tenant_id AND dataset_id = NEW.id"
	" ON CONFLICT(tenant_id, dataset_id) DO UPDATE SET products = EXCLUDED.products,"
	" activated = EXCLUDED.activated;"
	" ELSE DELETE FROM dataset_usage WHERE tenant_id = OLD.tenant_id AND dataset_id = OLD.id;"
	" END IF; RETURN NULL; END$$;"
	"CREATE TRIGGER datasets_usage AFTER INSERT OR DELETE ON datasets FOR EACH ROW"
	" EXECUTE FUNCTION dp_datasets_usage();"
	"CREATE FUNCTION dp_product_datasets_usage() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN"
	" IF TG_OP = 'INSERT' THEN UPDATE dataset_usage SET products = products + 1,"
	" activated = activated + NEW.activated::int"
	" WHERE tenant_id = NEW.tenant_id AND dataset_id = NEW.dataset_id;"
	" ELSIF TG_OP = 'DELETE' THEN UPDATE dataset_usage SET products = products - 1,"
	" activated = activated - OLD.activated::int"
	" WHERE tenant_id = OLD.tenant_id AND dataset_id = OLD.dataset_id;"
	" ELSE UPDATE dataset_usage SET activated = activated + NEW.activated::int - OLD.activated::int"
	" WHERE tenant_id = NEW.tenant_id AND dataset_id = NEW.dataset_id;"
	" END IF; RETURN NULL; END$$;"
	"CREATE TRIGGER product_datasets_usage AFTER INSERT OR DELETE ON product_datasets"
	" FOR EACH ROW EXECUTE FUNCTION dp_product_datasets_usage();"
	"CREATE TRIGGER product_datasets_usage_au AFTER UPDATE OF activated ON product_datasets"
	" FOR EACH ROW WHEN (OLD.activated IS DISTINCT FROM NEW.activated)"
	" EXECUTE FUNCTION dp_product_datasets_usage();"
	"CREATE FUNCTION dp_products_usage() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN"
	" UPDATE product_datasets SET activated = NEW.activated WHERE product_id = NEW.id"
	" AND activated IS DISTINCT FROM NEW.activated; RETURN NULL; END$$;"
	"CREATE TRIGGER products_usage AFTER UPDATE OF activated ON products FOR EACH ROW"
	" WHEN (OLD.activated IS DISTINCT FROM NEW.activated) EXECUTE FUNCTION dp_products_usage();",
};

#define PG_SCHEMA_VERSION ((int)(sizeof pg_migrations / sizeof pg_migrations[0]))

#endif
