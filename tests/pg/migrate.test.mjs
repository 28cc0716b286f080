// migrate: `dataproducts migrate --from sqlite:PATH --to postgresql://...`
// round trip (issue 11). A SQLite deployment is seeded over HTTP (three
// tenants: spaces, data sets with a CSV each, products with tags, read-mes
// and data sets, changelogs from PATCHes and an activation, API keys, a
// quality computation, trust results and settings), the GET responses are
// recorded, the server is stopped, migrate copies it into an empty
// PostgreSQL database, a server started on PostgreSQL answers every GET
// with the same status and bytes, an API key made before the move still
// works, a write continues the changelog numbering, and a second migrate
// into the same database is refused.
//
// Needs DP_MIGRATE_PG_URL, an empty PostgreSQL database (`make
// test-migrate-pg` starts a throwaway cluster with tests/tools/pg-cluster.sh);
// skipped without it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, bootstrap, startServer } from '../api/lib/server.mjs';
import { DP, computeQuality, uniqueName } from '../api/lib/fixtures.mjs';

const PG = process.env.DP_MIGRATE_PG_URL;
const ARGS = ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0', '--workers', '1'];
const TRUST = '/api/data-governance/trust-scores/results/data-sets/actions/filter';
const SETTINGS = '/api/data-governance/trust-scores/settings';

function migrate(from) {
  return spawnSync(BIN, ['migrate', '--from', from, '--to', PG, '--batch', '7'], { encoding: 'utf8' });
}

/** Seeds one tenant through as (a client with the tenant admin's key);
 *  returns the GET paths whose answers must survive the move. */
async function seed(as, dataDir, n) {
  const ok = async (method, p, body, status) => {
    const res = await as.api(method, p, { body });
    assert.equal(res.status, status, `${method} ${p}: ${res.status} ${res.text}`);
    return res.body;
  };
  const space = await ok('POST', '/api/v1/spaces', { name: uniqueName(`space ${n}`), type: 'shared' }, 201);
  const datasets = [];
  for (let i = 0; i < 2; i++) {
    const name = uniqueName(`Ventes café ${n}`);
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(path.join(dataDir, `${name}.csv`), 'id,amount,city\n1,10.5,Zürich\n2,,Köln\n3,7,Paris\n');
    datasets.push(await ok('POST', '/api/v1/data-sets', { name, technicalName: `${name}.csv`, spaceId: space.id,
      operational: { location: `${name}.csv` } }, 201));
  }
  const products = [];
  products.push(await ok('POST', DP, {
    name: uniqueName(`Café sales ${n}`),
    description: 'Umsätze — “quoted”, tab\there',
    readMe: '# Read me\n\nLine two: ünïcödé and emoji 🚀\n',
    tags: ['finance', 'Übersicht', 'z-last'],
    spaceId: space.id,
    datasetIds: datasets.map((d) => d.id),
    keyContacts: [{ userId: as.admin.userId, role: 'owner' }],
  }, 201));
  products.push(await ok('POST', DP, { name: uniqueName(`personal ${n}`), datasetIds: [datasets[0].id],
    keyContacts: [{ userId: as.admin.userId, role: 'owner' }] }, 201));
  for (let i = 0; i < 3; i++) products.push(await ok('POST', DP, { name: uniqueName(`plain ${n}`), tags: [`t${i}`] }, 201));
  // changelogs: several PATCHes and an activation
  for (let i = 0; i < 4; i++) {
    await ok('PATCH', `${DP}/${products[0].id}`, [{ op: 'replace', path: '/description', value: `version ${i} ✓` }], 204);
  }
  await ok('POST', `${DP}/${products[1].id}/actions/activate`, { name: products[1].name }, 201);
  await ok('PATCH', `${DP}/${products[2].id}`, [{ op: 'replace', path: '/tags', value: ['t2', 'added'] }], 204);
  const key = await ok('POST', '/api/v1/api-keys', { description: uniqueName('kept key') }, 201);
  await computeQuality(as, datasets[0].id);
  await ok('POST', TRUST, { datasetIds: datasets.map((d) => d.id), recomputeUsage: true }, 200);
  if (n === 1) await ok('PUT', SETTINGS, { axes: { DIVERSITY: { enabled: false } } }, 200);

  const gets = [
    `${DP}?limit=100`, `${DP}?limit=2&page=2`, `${DP}?limit=100&sort=name`, `${DP}?limit=100&sort=-createdAt`,
    `${DP}?limit=100&query=caf`, `${DP}?limit=100&query=%C3%BCbersicht`, `${DP}?limit=100&activated=true`,
    `${DP}?limit=100&tag=finance`, `${DP}?limit=100&sort=-trustScore&facets=tags,spaceId`,
    '/api/app/data-sets?limit=100', '/api/app/data-sets?limit=100&query=caf', '/api/v1/spaces?limit=100',
    `/api/v1/spaces/${space.id}`, `/api/v1/spaces/${space.id}/assignments?limit=100`,
    '/api/v1/api-keys?limit=100', '/api/v1/users?limit=100', '/api/v1/users/me', SETTINGS,
  ];
  for (const p of products) gets.push(`${DP}/${p.id}`, `${DP}/${p.id}/changelogs?limit=100`,
    `${DP}/${p.id}/changelogs?limit=2&sort=%2BcreatedAt`);
  for (const d of datasets) gets.push(`/api/v1/data-sets/${d.id}`);
  return { gets, key, products, datasets };
}

/** status, ETag and body bytes of every GET, in order (links name the
 *  server's own address, which differs: replaced by "SERVER") */
async function record(srv, tenants) {
  const out = [];
  const norm = (text) => text.split(srv.url).join('SERVER');
  for (const t of tenants) {
    for (const p of t.seeded.gets) {
      const res = await srv.api('GET', p, { key: t.key });
      assert.equal(res.status, 200, `${t.name} GET ${p}: ${res.text}`);
      out.push({ tenant: t.name, path: p, status: res.status, etag: res.headers.get('etag'), text: norm(res.text) });
    }
    const trust = await srv.api('POST', TRUST, { key: t.key, body: { datasetIds: t.seeded.datasets.map((d) => d.id) } });
    assert.equal(trust.status, 200, trust.text);
    out.push({ tenant: t.name, path: 'POST trust filter', status: trust.status, text: norm(trust.text) });
  }
  return out;
}

test('migrate: a seeded SQLite deployment moved to PostgreSQL answers the same', { skip: !PG && 'DP_MIGRATE_PG_URL not set (make test-migrate-pg)', timeout: 180000 }, async () => {
  const src = await startServer({ keepDir: true, args: ARGS });
  const dir = src.dir;
  const dataDir = path.join(dir, 'data');
  const tenants = [{ name: 'default', key: src.key, admin: src.admin }];
  for (const name of ['acme', 'globex']) {
    const b = bootstrap(src.db, name, `admin@${name}.example`);
    tenants.push({ name, key: b.apiKey, admin: b });
  }
  let before;
  try {
    for (const [i, t] of tenants.entries()) {
      const as = { admin: t.admin, api: (m, p, o = {}) => src.api(m, p, { key: t.key, ...o }) };
      t.seeded = await seed(as, path.join(dataDir, t.admin.tenantId), i);
    }
    before = await record(src, tenants);
  } finally {
    await src.stop();
  }

  const r = migrate(src.db);
  assert.equal(r.status, 0, `migrate failed:\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /migrated \d+ rows of 3 tenants in [\d.]+ s/);
  assert.match(r.stdout, /^changelogs +(\d+) +\1 +\1$/m);
  assert.match(r.stdout, /^products +15 +15 +15$/m);
  // the usage counters (PostgreSQL v8) were counted by their triggers during
  // the copy: every data set's row equals its links, and some are activated
  const wrongUsage = psql(`SELECT count(*) FROM datasets d LEFT JOIN dataset_usage u
      ON u.tenant_id = d.tenant_id AND u.dataset_id = d.id
    CROSS JOIN LATERAL (SELECT count(*) AS n, count(*) FILTER (WHERE p.activated) AS a
      FROM product_datasets pd JOIN products p ON p.id = pd.product_id
      WHERE pd.tenant_id = d.tenant_id AND pd.dataset_id = d.id) j
    WHERE u.products IS DISTINCT FROM j.n OR u.activated IS DISTINCT FROM j.a`);
  assert.equal(wrongUsage, '0', 'data sets whose dataset_usage row differs from their links');
  assert.ok(Number(psql('SELECT sum(activated) FROM dataset_usage')) > 0, 'no activated link was copied');

  const dst = await startServer({ dir, skipBootstrap: true, args: ['--db', PG, ...ARGS] });
  try {
    assert.match(dst.stderr, /"db":"postgresql:/);
    assert.doesNotMatch(dst.stderr, /first start/, 'the migrated database has its tenants');
    const after = await record(dst, tenants);
    assert.equal(after.length, before.length);
    for (let i = 0; i < before.length; i++) {
      assert.deepEqual(after[i], before[i], `${before[i].tenant} GET ${before[i].path} differs after the move`);
    }
    // a key made before the move still works (not only the bootstrap ones)
    for (const t of tenants) {
      const me = await dst.api('GET', '/api/v1/users/me', { key: t.seeded.key.token });
      assert.equal(me.status, 200, me.text);
      assert.equal(me.body.id, t.admin.userId);
    }
    // writes continue: the next changelog entry follows the copied ones
    const t = tenants[1];
    const p = t.seeded.products[0];
    const res = await dst.api('PATCH', `${DP}/${p.id}`, { key: t.key, body: [{ op: 'replace', path: '/description', value: 'after the move' }] });
    assert.equal(res.status, 204, res.text);
    const log = await dst.api('GET', `${DP}/${p.id}/changelogs?limit=100`, { key: t.key });
    assert.equal(log.status, 200, log.text);
    const old = JSON.parse(before.find((b) => b.tenant === t.name && b.path === `${DP}/${p.id}/changelogs?limit=100`).text);
    assert.equal(log.body.total ?? log.body.data.length, (old.total ?? old.data.length) + 1);
    const made = await dst.api('POST', DP, { key: t.key, body: { name: uniqueName('new after the move') } });
    assert.equal(made.status, 201, made.text);
  } finally {
    await dst.stop();
  }

  // a missing source is an error, not an empty deployment
  const missing = migrate(`sqlite:${path.join(dir, 'missing.db')}`);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /No such file/);
  // a second migrate into the same database is refused (the first source
  // went with stop(), which removed its directory: a new one)
  const d2 = fs.mkdtempSync(path.join(path.dirname(dir), 'dp-mig-'));
  try {
    bootstrap(`sqlite:${path.join(d2, 'dp.db')}`, 'other', 'o@example.com');
    const refused = migrate(`sqlite:${path.join(d2, 'dp.db')}`);
    assert.equal(refused.status, 1, refused.stderr);
    assert.match(refused.stderr, /refused: the target database is not empty \(3 tenants\)/);
  } finally {
    fs.rmSync(d2, { recursive: true, force: true });
  }
});

/** PG's URL naming database db instead (a URL like postgresql://dp@/dp?host=...
 *  has no host part, which new URL() refuses) */
const pgUrl = (db) => PG.replace(/^(postgres(?:ql)?:\/\/[^/]*\/)[^?]*/, `$1${db}`);

/** psql on the cluster of PG, database db (default: PG's own) */
function psql(sql, db) {
  const r = spawnSync('psql', [db ? pgUrl(db) : PG, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { encoding: 'utf8' });
  assert.equal(r.status, 0, `psql ${sql}: ${r.stderr}`);
  return r.stdout.trim();
}

// The copy sends rows without waiting for each (COPY, and a pipeline for
// products): a row the target rejects in the middle of a table must still
// stop the run with its error, exit 1 and not hang, on both paths.
test('migrate: a row rejected midway (COPY or pipeline) fails the run with the error', { skip: !PG && 'DP_MIGRATE_PG_URL not set (make test-migrate-pg)', timeout: 180000 }, async () => {
  const src = await startServer({ keepDir: true, args: ARGS });
  let bad;
  try {
    for (let i = 0; i < 20; i++) {
      const res = await src.api('POST', DP, { body: { name: i === 10 ? 'reject me' : uniqueName(`row ${i}`) } });
      assert.equal(res.status, 201, res.text);
      if (i === 10) bad = res.body.id;
    }
  } finally {
    await src.stop();
  }
  try {
    for (const [table, when] of [['products', "NEW.name = 'reject me'"], ['changelogs', `NEW.product_id = '${bad}'`]]) {
      const db = `dp_mig_fail_${table}`;
      psql(`DROP DATABASE IF EXISTS ${db}`);
      psql(`CREATE DATABASE ${db}`);
      const url = pgUrl(db);
      // the schema (a first migrate), emptied, with a trigger that rejects one row
      const first = spawnSync(BIN, ['migrate', '--from', src.db, '--to', url], { encoding: 'utf8' });
      assert.equal(first.status, 0, first.stderr);
      psql(`DO $$ DECLARE t text; BEGIN
          FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_version'
          LOOP EXECUTE format('TRUNCATE %I CASCADE', t); END LOOP; END $$;
        CREATE FUNCTION reject() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
          RAISE EXCEPTION 'row rejected by the test'; END $$;
        CREATE TRIGGER reject BEFORE INSERT ON ${table} FOR EACH ROW WHEN (${when}) EXECUTE FUNCTION reject();`, db);
      const r = spawnSync(BIN, ['migrate', '--from', src.db, '--to', url, '--batch', '7'],
        { encoding: 'utf8', timeout: 60000 });
      assert.equal(r.error, undefined, `migrate did not finish: ${r.error}`);
      assert.equal(r.status, 1, `${table}: ${r.stdout}\n${r.stderr}`);
      assert.match(r.stderr, /row rejected by the test/, table);
      assert.match(r.stderr, new RegExp(`FAILED while copying ${table}`));
      assert.doesNotMatch(r.stdout, /migrated \d+ rows/);
      // the transactions before the rejected row are in, the rejected one is not
      const n = Number(psql(`SELECT count(*) FROM ${table}`, db));
      assert.ok(n > 0 && n < 20, `${table}: ${n} rows`);
      psql(`DROP DATABASE ${db}`);
    }
  } finally {
    fs.rmSync(src.dir, { recursive: true, force: true });
  }
});
