// list: the data product list of SPEC §3 (revised, issue 9), black-box over
// HTTP: every query parameter, repeatable spaceId (any) and tag (all),
// unknown parameters, trust/quality sorts with products lacking the value
// last, minTrustScore, relevance, facets (exact, and under the caller's
// visibility: a consumer never counts drafts, no tenant counts another's),
// totalRelation eq/gte with consistent links (docs/decisions.md
// "Issue 9 — the list endpoint").
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { haveSqlite } from './lib/sqlite.mjs';
import { dbSql } from './lib/db.mjs';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, bootstrap, PG_URL, removeDir } from './lib/server.mjs';
import { DP, assertError, uniqueName, computeQuality as computeQualityOf } from './lib/fixtures.mjs';

let srv;
let consumer;
let other; // a second tenant's admin key
const SP = {};
const P = {};
const DS = {};

const call = (key, p) => srv.api('GET', p, { key });
const list = (q = '', key) => call(key, `${DP}${q ? `?${q}` : ''}`);
const ok = (res) => { assert.equal(res.status, 200, res.text); return res.body; };
const ids = (b) => b.data.map((p) => p.id);
const badQuery = (res, detail) => assertError(res, 400, 'DP-400-INVALID-QUERY', detail);

async function post(p, body, key) {
  const res = await srv.api('POST', p, { body, key });
  assert.ok(res.status === 201 || res.status === 202, `${p}: ${res.text}`);
  return res.body;
}

async function product(fields, activate = false, key) {
  const p = await post(DP, { name: uniqueName('lt'), keyContacts: [{ userId: srv.admin.userId }], ...fields }, key);
  if (activate) await post(`${DP}/${p.id}/actions/activate`, { name: p.name }, key);
  return (await srv.api('GET', `${DP}/${p.id}`, { key })).body;
}

const computeQuality = (datasetId) => computeQualityOf(srv, datasetId);

/** Every page of a query: ids in order and the reported total. */
async function listAll(q = '', key) {
  const out = [];
  let b;
  for (let page = 1; ; page++) {
    b = ok(await list(`limit=100&page=${page}${q ? `&${q}` : ''}`, key));
    out.push(...b.data);
    if (page >= b.pages) break;
  }
  assert.equal(out.length, b.total);
  return out;
}

/** Facet counts computed from the listed products themselves. */
function countFacets(products) {
  const tags = new Map();
  const spaces = new Map();
  for (const p of products) {
    for (const t of p.tags) tags.set(t, (tags.get(t) || 0) + 1);
    const s = p.spaceId || 'personal';
    spaces.set(s, (spaces.get(s) || 0) + 1);
  }
  const top = (m) => [...m].map(([value, count]) => ({ value, count }))
    .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0)).slice(0, 20);
  return { tags: top(tags), spaceId: top(spaces) };
}

before(async () => {
  srv = await startServer({ args: ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0'] });
  const u = await post('/api/v1/users', { subject: `lt|c-${process.pid}`, email: `lt-c-${process.pid}@example.com`,
    name: 'consumer', assignedRoles: [{ name: 'DataProductConsumer' }] });
  consumer = (await post('/api/v1/api-keys', { description: 'c', sub: u.id })).token;
  for (const [k, type] of [['A', 'shared'], ['B', 'managed'], ['C', 'shared']]) SP[k] = await post('/api/v1/spaces', { name: uniqueName(`lt-${k}`), type });
  await post(`/api/v1/spaces/${SP.A.id}/assignments`, { assigneeId: u.id, type: 'user', roles: ['consumer'] });
  await post(`/api/v1/spaces/${SP.B.id}/assignments`, { assigneeId: u.id, type: 'user', roles: ['consumer'] });

  // three data sets of different quality, so products get different trust scores
  const dir = path.join(srv.dir, 'data', srv.admin.tenantId);
  fs.mkdirSync(dir, { recursive: true });
  const fields = [{ name: 'x', dataType: { type: 'INTEGER' } }, { name: 'y', dataType: { type: 'STRING' }, description: 'y' }];
  const files = { good: 'x,y\n1,a\n2,b\n3,c\n4,d\n', mid: 'x,y\n1,a\nz,\n3,c\n', bad: 'x,y\nq,\nz,\n,\n' };
  for (const [k, csv] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, `${k}.csv`), csv);
    DS[k] = await post('/api/v1/data-sets', { name: `lt-${k}`, technicalName: `lt_${k}`, operational: { location: `${k}.csv` }, schema: { dataFields: fields } });
    await computeQuality(DS[k].id);
  }
  DS.none = await post('/api/v1/data-sets', { name: 'lt-none', technicalName: 'lt_none' });

  // the corpus (admin-made): name, space, tags, activated, data set
  P.a1 = await product({ name: 'Orders north', spaceId: SP.A.id, tags: ['x', 'y'], datasetIds: [DS.good.id], description: 'sales' }, true);
  P.a2 = await product({ name: 'Big orders', spaceId: SP.A.id, tags: ['x'], datasetIds: [DS.mid.id] }, false);
  P.b1 = await product({ name: 'Misc', spaceId: SP.B.id, tags: ['y', 'z'], datasetIds: [DS.bad.id], description: 'all the orders' }, true);
  P.b2 = await product({ name: 'Shipments', spaceId: SP.B.id, tags: ['z'], datasetIds: [DS.none.id] }, true);
  P.c1 = await product({ name: 'Claims', spaceId: SP.C.id, tags: ['x'], datasetIds: [DS.mid.id] }, true);
  P.me = await product({ name: 'Personal notes', tags: ['x', 'p'], datasetIds: [DS.none.id] }, false);

  // another tenant with products carrying the same tags
  other = bootstrap(srv.db, `lt-other-${process.pid}`, 'other@example.com').apiKey;
  for (let i = 0; i < 3; i++) await post(DP, { name: `other ${i}`, tags: ['x', 'y', 'z'] }, other);
});

after(async () => { await srv?.stop(); });

describe('parameters', () => {
  test('unknown parameters: 400 naming every one; known ones pass', async () => {
    badQuery(await list('foo=1'), "'foo'");
    const res = await list('limit=5&bar=1&foo=2');
    badQuery(res, /'bar', 'foo'/);
    badQuery(await list('spaceid=x'), "'spaceid'"); // case matters
    ok(await list('limit=1&page=1&sort=name&activated=true&tag=x&ownerId=' + srv.admin.userId +
      `&spaceId=${SP.A.id}&minTrustScore=0&query=ord&facets=tags`));
  });

  test('bad values: 400 naming the parameter', async () => {
    for (const [q, name] of [['limit=0', 'limit'], ['limit=101', 'limit'], ['page=0', 'page'],
      ['sort=id', 'sort'], ['sort=-relevance', 'sort'], ['activated=yes', 'activated'],
      ['spaceId=nope', 'spaceId'], ['spaceId=', 'spaceId'], ['ownerId=nope', 'ownerId'], ['tag=', 'tag'],
      ['minTrustScore=101', 'minTrustScore'], ['minTrustScore=-1', 'minTrustScore'],
      ['minTrustScore=abc', 'minTrustScore'], ['minTrustScore=1e1', 'minTrustScore'], ['minTrustScore=', 'minTrustScore'],
      ['query=', 'query'], ['facets=owner', 'facets'], ['facets=', 'facets'], ['facets=tags,', 'facets'],
      ['limit=1&limit=2', 'limit'], ['facets=tags&facets=spaceId', 'facets']]) {
      badQuery(await list(q), name);
    }
    const many = Array.from({ length: 17 }, () => `spaceId=${SP.A.id}`).join('&');
    badQuery(await list(many), 'spaceId');
  });

  test('spaceId is repeatable: products in any of the spaces; personal = no space', async () => {
    const ab = new Set(ids(ok(await list(`spaceId=${SP.A.id}&spaceId=${SP.B.id}&limit=100`))));
    assert.deepEqual(ab, new Set([P.a1.id, P.a2.id, P.b1.id, P.b2.id]));
    assert.deepEqual(ids(ok(await list('spaceId=personal'))), [P.me.id]);
    const mixed = new Set(ids(ok(await list(`spaceId=personal&spaceId=${SP.C.id}`))));
    assert.deepEqual(mixed, new Set([P.me.id, P.c1.id]));
    // a consumer has no personal products of its own, and never sees the admin's
    assert.equal(ok(await list('spaceId=personal', consumer)).total, 0);
    // a space the consumer has no role in: nothing, not 404
    assert.equal(ok(await list(`spaceId=${SP.C.id}`, consumer)).total, 0);
  });

  test('tag is repeatable: every tag must match', async () => {
    assert.deepEqual(ids(ok(await list('tag=x&tag=y'))), [P.a1.id]);
    assert.deepEqual(new Set(ids(ok(await list('tag=y')))), new Set([P.a1.id, P.b1.id]));
    assert.equal(ok(await list('tag=x&tag=z')).total, 0);
  });

  test('activated, ownerId and query filter; filters AND together', async () => {
    assert.deepEqual(new Set(ids(ok(await list('activated=false')))), new Set([P.a2.id, P.me.id]));
    assert.equal(ok(await list(`ownerId=${srv.admin.userId}`)).total, 6);
    assert.equal(ok(await list('ownerId=' + '0'.repeat(8) + '-0000-4000-8000-' + '0'.repeat(12))).total, 0);
    assert.deepEqual(ids(ok(await list(`query=orders&activated=true&spaceId=${SP.A.id}`))), [P.a1.id]);
  });
});

describe('trust and quality', () => {
  test('products get trust scores and quality from their data sets (the fixture works)', () => {
    for (const k of ['a1', 'a2', 'b1', 'c1']) {
      assert.equal(typeof P[k].trustScore?.score, 'number', `${k} has a trust score`);
      assert.equal(typeof P[k].quality?.validity, 'number', `${k} has quality`);
    }
    for (const k of ['b2', 'me']) assert.equal(P[k].trustScore, undefined);
    assert.ok(P.a1.trustScore.score > P.b1.trustScore.score, 'good data scores above bad data');
  });

  for (const [sort, key] of [['trustScore', (p) => p.trustScore?.score], ['quality', (p) => (p.quality ? (p.quality.validity + p.quality.completeness) / 2 : undefined)]]) {
    test(`sort=${sort} ascending and descending: products without one last in both`, async () => {
      for (const dir of ['', '+', '-']) {
        const got = await listAll(`sort=${encodeURIComponent(dir + sort)}`);
        assert.equal(got.length, 6);
        const vals = got.map(key);
        const firstMissing = vals.findIndex((v) => v === undefined);
        assert.equal(firstMissing, 4, `${dir}${sort}: the two without a value come last: ${vals}`);
        for (let i = 1; i < 4; i++) {
          if (dir === '-') assert.ok(vals[i - 1] >= vals[i], `${dir}${sort} order ${vals}`);
          else assert.ok(vals[i - 1] <= vals[i], `${dir}${sort} order ${vals}`);
          if (vals[i - 1] === vals[i]) // ties: -updatedAt
            assert.ok(got[i - 1].updatedAt >= got[i].updatedAt, 'ties by -updatedAt');
        }
        assert.ok(got[4].updatedAt >= got[5].updatedAt, 'products without a value by -updatedAt');
      }
    });
  }

  test('minTrustScore: at least the threshold; products without a score never match', async () => {
    const all = await listAll('minTrustScore=0');
    assert.deepEqual(new Set(all.map((p) => p.id)), new Set([P.a1.id, P.a2.id, P.b1.id, P.c1.id]));
    const t = P.a2.trustScore.score; // mid
    const got = await listAll(`minTrustScore=${t}`);
    for (const p of got) assert.ok(p.trustScore.score >= t);
    assert.ok(got.some((p) => p.id === P.a2.id), 'the threshold itself matches');
    assert.ok(!got.some((p) => p.id === P.b1.id), 'a lower score does not');
    assert.equal(ok(await list('minTrustScore=100.0')).total,
      all.filter((p) => p.trustScore.score >= 100).length);
  });
});

describe('relevance', () => {
  test('only with a query; the default with a query', async () => {
    badQuery(await list('sort=relevance'), 'relevance');
    const rel = ids(ok(await list('query=orders&sort=relevance')));
    assert.deepEqual(ids(ok(await list('query=orders'))), rel, 'default sort with a query is relevance');
    // the name tier (a1, a2: the higher trust score first), then the description tier (b1)
    assert.deepEqual(rel, [P.a1.id, P.a2.id, P.b1.id]);
  });

  test('other sorts still apply with a query', async () => {
    assert.deepEqual(ids(ok(await list('query=orders&sort=name'))), [P.a2.id, P.b1.id, P.a1.id]);
  });
});

describe('facets', () => {
  test('exact counts over the whole result, top by count then value', async () => {
    const b = ok(await list('facets=tags,spaceId&limit=1'));
    assert.equal(b.data.length, 1);
    assert.deepEqual(Object.keys(b.facets).sort(), ['spaceId', 'tags']);
    assert.deepEqual(b.facets, countFacets(await listAll()));
    assert.deepEqual(b.facets.tags[0], { value: 'x', count: 4 });
    assert.ok(b.facets.spaceId.some((f) => f.value === 'personal' && f.count === 1));
  });

  test('only the facets asked for; none without the parameter', async () => {
    assert.deepEqual(Object.keys(ok(await list('facets=tags')).facets), ['tags']);
    assert.deepEqual(Object.keys(ok(await list('facets=spaceId')).facets), ['spaceId']);
    assert.equal(ok(await list()).facets, undefined);
  });

  test('filters apply to facets', async () => {
    const q = `tag=x&activated=true&facets=tags,spaceId`;
    assert.deepEqual(ok(await list(q)).facets, countFacets(await listAll('tag=x&activated=true')));
    assert.deepEqual(ok(await list('query=zzzz-nothing&facets=tags,spaceId')).facets, { tags: [], spaceId: [] });
  });

  test("a consumer's facets and totals count only what it may see (no drafts, no other spaces)", async () => {
    const b = ok(await list('facets=tags,spaceId', consumer));
    const seen = await listAll('', consumer);
    assert.deepEqual(new Set(seen.map((p) => p.id)), new Set([P.a1.id, P.b1.id, P.b2.id]));
    assert.equal(b.total, 3);
    assert.deepEqual(b.facets, countFacets(seen));
    assert.deepEqual(b.facets.tags.find((f) => f.value === 'x'), { value: 'x', count: 1 }, 'drafts and C not counted');
    assert.ok(!b.facets.spaceId.some((f) => f.value === SP.C.id || f.value === 'personal'));
  });

  test("another tenant's products are never counted, and it sees only its own", async () => {
    const b = ok(await list('facets=tags,spaceId'));
    assert.equal(b.facets.tags.find((f) => f.value === 'z').count, 2);
    const o = ok(await list('facets=tags,spaceId', other));
    assert.equal(o.total, 3);
    assert.deepEqual(o.facets, { tags: [{ value: 'x', count: 3 }, { value: 'y', count: 3 }, { value: 'z', count: 3 }],
      spaceId: [{ value: 'personal', count: 3 }] });
  });

  test('top 20 per facet', async () => {
    await product({ spaceId: SP.C.id, tags: Array.from({ length: 25 }, (_, i) => `many-${String(i).padStart(2, '0')}`) });
    const b = ok(await list('facets=tags'));
    assert.equal(b.facets.tags.length, 20);
    assert.deepEqual(b.facets, { tags: countFacets(await listAll()).tags });
  });
});

describe('totals and links', () => {
  test('totalRelation eq with exact total; links consistent', async () => {
    const b = ok(await list('limit=3&page=1&tag=x'));
    assert.equal(b.totalRelation, 'eq');
    assert.equal(b.total, 4);
    assert.equal(b.pages, 2);
    for (const rel of ['self', 'first', 'last', 'next']) assert.ok(b.links[rel], rel);
    assert.equal(b.links.prev, undefined);
    const u = new URL(b.links.next.href);
    assert.equal(u.searchParams.get('page'), '2');
    assert.equal(u.searchParams.get('limit'), '3');
    assert.deepEqual(u.searchParams.getAll('tag'), ['x']);
    assert.equal(new URL(b.links.last.href).searchParams.get('page'), '2');
    const last = ok(await srv.api('GET', u.href.replace(srv.url, '')));
    assert.equal(last.links.next, undefined);
    assert.equal(new URL(last.links.prev.href).searchParams.get('page'), '1');
    assert.equal(last.data.length, 1);
  });
});

// More than 10,000 matches: rows are copied with the sqlite3 CLI (psql on
// PostgreSQL) into the server's database while it is stopped, keeping what
// the store keeps in step (tags side table; the search index and the
// tenant's product counter by their own triggers; on PostgreSQL the
// per-field tsvectors are written here, the counter by its trigger). Each row gets its own updatedAt (a millisecond
// holds at most 2,048 products of one trust score in the search index).
// the CLI is psql on PostgreSQL
const NO_CLI = !PG_URL && !haveSqlite() && 'sqlite3 CLI not installed';
// a timestamp as the store writes it (docs: ISO 8601, milliseconds, Z)
const PG_TS = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;
/** SQL: the test id printf('%08x-0000-4000-8000-%012x', a, b) in PostgreSQL. */
const pgId = (a, b) => `lpad(to_hex(${a}), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(${b}), 12, '0')`;

describe('more than 10,000 matches', { skip: NO_CLI }, () => {
  let big;
  const N = 10050;
  before(async () => {
    big = await startServer({ keepDir: true, args: ['--rate-limit-tier1', '0'] });
    const t = await post(DP, { name: 'bulk template', tags: ['bulk'], description: 'bulk' }, undefined);
    void t;
  });
  after(async () => {
    await big?.stop();
    if (big) removeDir(big.dir);
  });

  function post(p, body) { return big.api('POST', p, { body }).then((r) => { assert.equal(r.status, 201, r.text); return r.body; }); }

  test('total 10000, totalRelation gte, no last link; next while rows follow', async () => {
    const dir = big.dir;
    const db = big.db;
    await big.stop();
    const sql = `
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${N}),
      g AS (SELECT i, printf('%08x-0000-4000-8000-%012x', i, i) AS id FROM n)
      INSERT INTO products(id, tenant_id, name, name_lc, space_id, owner_id, activated, created_at,
        updated_at, search, doc, etag, trust_score, quality)
      SELECT g.id, t.tenant_id, 'bulk ' || g.i, 'bulk ' || g.i, t.space_id, t.owner_id, g.i % 2, t.created_at,
        strftime('%Y-%m-%dT%H:%M:%fZ', t.updated_at, '-' || g.i || ' seconds'), '',
        json_set(t.doc, '$.id', g.id, '$.mainId', g.id, '$.name', 'bulk ' || g.i,
          '$.activated', json(CASE g.i % 2 WHEN 1 THEN 'true' ELSE 'false' END)), NULL, NULL, NULL
      FROM g, (SELECT * FROM products WHERE name = 'bulk template') t;
      INSERT INTO product_tags(product_id, tenant_id, tag)
        SELECT id, tenant_id, 'bulk' FROM products WHERE name LIKE 'bulk %' AND name <> 'bulk template';`;
    // the same on PostgreSQL (etag '': not read by these tests)
    const pg = `
      WITH g AS (SELECT i, ${pgId('i', 'i')} AS id FROM generate_series(1, ${N}) i)
      INSERT INTO products(id, tenant_id, name, name_lc, space_id, owner_id, activated, created_at,
        updated_at, doc, etag, trust_score, quality, ts_name, ts_tags, ts_desc, ts_body)
      SELECT g.id, t.tenant_id, 'bulk ' || g.i, 'bulk ' || g.i, t.space_id, t.owner_id, g.i % 2 = 1, t.created_at,
        to_char((t.updated_at::timestamptz - g.i * interval '1 second') AT TIME ZONE 'UTC', ${PG_TS}),
        jsonb_set(jsonb_set(jsonb_set(jsonb_set(t.doc::jsonb, '{id}', to_jsonb(g.id)), '{mainId}', to_jsonb(g.id)),
          '{name}', to_jsonb('bulk ' || g.i)), '{activated}', to_jsonb(g.i % 2 = 1))::text, '', NULL, NULL,
        dp_tsv('bulk ' || g.i), t.ts_tags, t.ts_desc, t.ts_body
      FROM g, (SELECT * FROM products WHERE name = 'bulk template') t;
      INSERT INTO product_tags(product_id, tenant_id, tag)
        SELECT id, tenant_id, 'bulk' FROM products WHERE name LIKE 'bulk %' AND name <> 'bulk template';`;
    dbSql(db, { sqlite: sql, pg });
    big = await startServer({ dir, keepDir: true, args: ['--rate-limit-tier1', '0'] });

    const b = ok(await big.api('GET', `${DP}?limit=100&facets=tags`));
    assert.equal(b.total, 10000);
    assert.equal(b.totalRelation, 'gte');
    assert.equal(b.pages, 100);
    assert.equal(b.links.last, undefined);
    assert.ok(b.links.next);
    assert.equal(b.links.prev, undefined);
    // facets are counted over at most 10,001 matches
    const bulk = b.facets.tags.find((f) => f.value === 'bulk');
    assert.ok(bulk.count >= 10000 && bulk.count <= 10001, `bulk count ${bulk.count}`);

    // past the 10,000th row, next stays while rows follow (N + 1 rows in all)
    const p100 = ok(await big.api('GET', `${DP}?limit=100&page=100`));
    assert.equal(p100.data.length, 100);
    assert.ok(p100.links.next, 'page 100 of 101 has a next');
    const p101 = ok(await big.api('GET', p100.links.next.href.replace(big.url, '')));
    assert.equal(p101.page, 101);
    assert.equal(p101.data.length, (N + 1) % 100);
    assert.equal(p101.links.next, undefined);
    assert.equal(new URL(p101.links.prev.href).searchParams.get('page'), '100');
    assert.equal(p101.totalRelation, 'gte');

    // a filter that leaves fewer matches is exact again
    const act = ok(await big.api('GET', `${DP}?activated=true&limit=1`));
    assert.equal(act.total, N / 2);
    assert.equal(act.totalRelation, 'eq');
    assert.ok(act.links.last);
    // the search index covers the copied rows, and its count stops at 10,001 too
    assert.equal(ok(await big.api('GET', `${DP}?query=bulk%2010049&limit=1`)).total, 1);
    const s = ok(await big.api('GET', `${DP}?query=bulk&limit=100&facets=tags`));
    assert.deepEqual([s.total, s.totalRelation, s.links.last, s.data.length], [10000, 'gte', undefined, 100]);
    const sb = s.facets.tags.find((f) => f.value === 'bulk');
    assert.ok(sb.count >= 10000 && sb.count <= 10001, `bulk count ${sb.count}`);
    assert.equal(ok(await big.api('GET', `${DP}?query=bulk&activated=true&limit=1`)).total, N / 2);
  });

  // Relevance reads the first 10,001 matches once and ranks them (docs/search.md
  // "One pass"); here those are all description matches, and the three name
  // matches are older than every one of them: they must still come first.
  test('relevance past the count bound: older name matches still rank first', async () => {
    const dir = big.dir;
    const db = big.db;
    await big.stop();
    const pgZid = pgId('99990 + k', 'k');
    dbSql(db, { pg: `
      UPDATE products SET doc = jsonb_set(doc::jsonb, '{description}', '"bulk zorilla"')::text,
        ts_desc = dp_tsv('bulk zorilla') WHERE name LIKE 'bulk %' AND name <> 'bulk template';
      INSERT INTO products(id, tenant_id, name, name_lc, space_id, owner_id, activated, created_at,
        updated_at, doc, etag, trust_score, quality, ts_name, ts_tags, ts_desc, ts_body)
      SELECT ${pgZid}, t.tenant_id, 'Zorilla ' || k, 'zorilla ' || k, t.space_id, t.owner_id, true,
        t.created_at, '2001-01-0' || k || 'T00:00:00.000Z',
        jsonb_set(jsonb_set(jsonb_set(t.doc::jsonb, '{id}', to_jsonb(${pgZid})), '{name}', to_jsonb('Zorilla ' || k)),
          '{description}', '"old"')::text, '', NULL, NULL,
        dp_tsv('Zorilla ' || k), t.ts_tags, dp_tsv('old'), t.ts_body
      FROM generate_series(1, 3) k, (SELECT * FROM products WHERE name = 'bulk template') t;`,
    sqlite: `
      UPDATE products SET doc = json_set(doc, '$.description', 'bulk zorilla')
        WHERE name LIKE 'bulk %' AND name <> 'bulk template';
      INSERT INTO products(id, tenant_id, name, name_lc, space_id, owner_id, activated, created_at,
        updated_at, search, doc, etag, trust_score, quality)
      SELECT printf('%08x-0000-4000-8000-%012x', 99990 + k, k), t.tenant_id, 'Zorilla ' || k, 'zorilla ' || k,
        t.space_id, t.owner_id, 1, t.created_at, '2001-01-0' || k || 'T00:00:00.000Z', '',
        json_set(t.doc, '$.id', printf('%08x-0000-4000-8000-%012x', 99990 + k, k), '$.name', 'Zorilla ' || k,
          '$.description', 'old'), NULL, NULL, NULL
      FROM (SELECT 1 AS k UNION ALL SELECT 2 UNION ALL SELECT 3),
        (SELECT * FROM products WHERE name = 'bulk template') t;` });
    big = await startServer({ dir, keepDir: true, args: ['--rate-limit-tier1', '0'] });
    const page = async (q) => ok(await big.api('GET', `${DP}?query=zorilla&${q}`));
    const p1 = await page('limit=5');
    assert.deepEqual([p1.total, p1.totalRelation], [10000, 'gte']);
    assert.deepEqual(p1.data.map((p) => p.name), ['Zorilla 3', 'Zorilla 2', 'Zorilla 1', 'bulk 1', 'bulk 2']);
    assert.deepEqual((await page('limit=5&page=2')).data.map((p) => p.name),
      ['bulk 3', 'bulk 4', 'bulk 5', 'bulk 6', 'bulk 7']);
    // the last rows: 3 + 10,050 matches, page 101 of 100 holds the last 53
    const last = await page('limit=100&page=101');
    assert.equal(last.data.length, 53);
    assert.deepEqual([last.data[0].name, last.data[52].name], ['bulk 9998', `bulk ${N}`]);
    assert.equal((await page('limit=100&page=102')).data.length, 0);
    // a sort other than relevance sees the same matches
    assert.equal((await page('limit=100&page=101&sort=-updatedAt')).data.length, 53);
  });
});

// Deep pages of the updatedAt list (schema v11): a TenantAdmin's unfiltered
// list picks its page through per-tenant blocks of ~1,024 products kept by
// triggers. A few thousand rows are copied in with the sqlite3 CLI (the
// triggers fire as for the store's own writes), many with equal updatedAt,
// then some are moved to other times and some deleted, so blocks split and
// products cross block edges; every page in both directions must equal the
// order computed here from the rows themselves.
// On PostgreSQL (no blocks: OFFSET) the same rows are made with psql; the
// rows changed and deleted are picked by the number in the name, not rowid.
describe('deep pages of the updatedAt list', { skip: NO_CLI }, () => {
  let big;
  let rows; // [{id, u}] in ascending (updatedAt, id) order
  const N = 4500;
  before(async () => {
    big = await startServer({ keepDir: true, args: ['--rate-limit-tier1', '0'] });
    const r = await big.api('POST', DP, { body: { name: 'deep template', description: 'deep' } });
    assert.equal(r.status, 201, r.text);
    await big.stop();
    const db = big.db;
    // 97 distinct times for 4,500 rows: ties go by id; ids in an order
    // unrelated to the insertion order
    const at = (e) => `strftime('%Y-%m-%dT%H:%M:%fZ', '2024-03-01', ${e})`;
    const pat = (e) => `to_char(timestamp '2024-03-01' + ${e}, ${PG_TS})`;
    const num = "substr(name, 6)::int"; // deep N
    const pg = `
      WITH g AS (SELECT i, ${pgId('(i::bigint * 2654435761) % 4294967296', 'i')} AS id,
        ${pat("(i % 97) * interval '1 second'")} AS u FROM generate_series(1, ${N}) i)
      INSERT INTO products(id, tenant_id, name, name_lc, space_id, owner_id, activated, created_at,
        updated_at, doc, etag, trust_score, quality, ts_name, ts_tags, ts_desc, ts_body)
      SELECT g.id, t.tenant_id, 'deep ' || g.i, 'deep ' || g.i, t.space_id, t.owner_id, false, t.created_at,
        g.u, jsonb_set(jsonb_set(jsonb_set(jsonb_set(t.doc::jsonb, '{id}', to_jsonb(g.id)), '{mainId}', to_jsonb(g.id)),
          '{name}', to_jsonb('deep ' || g.i)), '{updatedAt}', to_jsonb(g.u))::text, '', NULL, NULL,
        dp_tsv('deep ' || g.i), t.ts_tags, t.ts_desc, t.ts_body
      FROM g, (SELECT * FROM products WHERE name = 'deep template') t;
      UPDATE products SET updated_at = ${pat(`(${num} % 13) * interval '1 minute'`)}
        WHERE name LIKE 'deep %' AND name <> 'deep template' AND ${num} % 5 = 0;
      UPDATE products SET updated_at = ${pat(`-(${num} % 3) * interval '1 day'`)}
        WHERE name LIKE 'deep %' AND name <> 'deep template' AND ${num} % 7 = 0;
      UPDATE products SET doc = jsonb_set(doc::jsonb, '{updatedAt}', to_jsonb(updated_at))::text WHERE name LIKE 'deep %';
      DELETE FROM products WHERE name LIKE 'deep %' AND name <> 'deep template' AND ${num} % 11 = 0;`;
    dbSql(db, { pg, sqlite: `
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${N}),
      g AS (SELECT i, printf('%08x-0000-4000-8000-%012x', (i * 2654435761) % 4294967296, i) AS id,
        ${at("'+' || (i % 97) || ' seconds'")} AS u FROM n)
      INSERT INTO products(id, tenant_id, name, name_lc, space_id, owner_id, activated, created_at,
        updated_at, search, doc, etag, trust_score, quality)
      SELECT g.id, t.tenant_id, 'deep ' || g.i, 'deep ' || g.i, t.space_id, t.owner_id, 0, t.created_at,
        g.u, '', json_set(t.doc, '$.id', g.id, '$.mainId', g.id, '$.name', 'deep ' || g.i,
          '$.updatedAt', g.u), NULL, NULL, NULL
      FROM g, (SELECT * FROM products WHERE name = 'deep template') t;
      UPDATE products SET updated_at = ${at("'+' || (rowid % 13) || ' minutes'")}
        WHERE name LIKE 'deep %' AND rowid % 5 = 0;
      UPDATE products SET updated_at = ${at("'-' || (rowid % 3) || ' days'")}
        WHERE name LIKE 'deep %' AND rowid % 7 = 0;
      UPDATE products SET doc = json_set(doc, '$.updatedAt', updated_at) WHERE name LIKE 'deep %';
      DELETE FROM products WHERE name LIKE 'deep %' AND rowid % 11 = 0;` });
    rows = JSON.parse(dbSql(db, {
      sqlite: "SELECT coalesce(json_group_array(json_object('id', id, 'u', updated_at)), '[]') FROM products",
      pg: "SELECT coalesce(json_agg(json_build_object('id', id, 'u', updated_at)), '[]') FROM products",
    }));
    // SQLite compares TEXT bytewise, as PostgreSQL's COLLATE "C"; these strings are ASCII
    const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
    rows.sort((a, b) => cmp(a.u, b.u) || cmp(a.id, b.id));
    big = await startServer({ dir: big.dir, keepDir: true, args: ['--rate-limit-tier1', '0'] });
  });
  after(async () => {
    await big?.stop();
    if (big) removeDir(big.dir);
  });

  const get = async (q) => {
    const r = await big.api('GET', `${DP}?${q}`);
    assert.equal(r.status, 200, r.text);
    return r.body;
  };

  test('every page, both directions, equals the order of the rows', async () => {
    for (const [sort, want] of [['-updatedAt', [...rows].reverse()], ['updatedAt', rows]]) {
      const got = [];
      for (let page = 1; ; page++) {
        const b = await get(`sort=${sort}&limit=100&page=${page}`);
        assert.equal(b.total, rows.length);
        got.push(...b.data.map((p) => p.id));
        if (page >= b.pages) break;
      }
      assert.equal(got.length, want.length, sort);
      assert.deepEqual(got, want.map((r) => r.id), sort);
    }
  });

  test('pages of other sizes across block edges, the last page and past the end', async () => {
    const desc = [...rows].reverse().map((r) => r.id);
    for (const limit of [7, 20, 33]) {
      const last = Math.ceil(desc.length / limit);
      for (const page of [1, 2, 52, 53, 102, 147, 148, last - 1, last, last + 1, last + 50]) {
        const b = await get(`sort=-updatedAt&limit=${limit}&page=${page}`);
        assert.deepEqual(b.data.map((p) => p.id), desc.slice((page - 1) * limit, page * limit),
          `limit ${limit} page ${page}`);
      }
    }
    assert.deepEqual((await get('sort=-updatedAt&limit=100&page=1000')).data, []);
  });
});

