// If-Match and changelogs across instances (SPEC §7): concurrent writers of
// one data product spread over three servers on one database get exactly one
// winner per ETag, and the product's changelog stays one entry per change,
// numbered densely (products.changelog_n, pg.c P_CHANGELOG_APPEND; the
// per-tenant advisory lock orders the read-check-write, docs/decisions.md
// "Issue 11").
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster } from './lib/cluster.mjs';
import { NO_LIMITS, sql, spread, tally } from './lib/multi.mjs';
import { DP, assertError, makeActivatableProduct, makeProduct, makeSpace } from '../api/lib/fixtures.mjs';

let c;
before(async () => { c = await startCluster(3, { args: NO_LIMITS }); });
after(async () => { if (c) await c.stop(); });

/** Every changelog entry of product id (API, oldest first), all pages. */
async function allEntries(srv, id) {
  const out = [];
  for (let page = 1; ; page++) {
    const r = await srv.api('GET', `${DP}/${id}/changelogs?limit=100&page=${page}&sort=%2BcreatedAt`);
    assert.equal(r.status, 200, r.text);
    out.push(...r.body.data);
    if (out.length >= r.body.total || !r.body.data.length) {
      assert.equal(out.length, r.body.total, 'the pages hold total entries');
      return out;
    }
  }
}

/** The stored changelog numbers of a product are exactly 1..n, n its counter. */
function assertDense(id, expected) {
  const seqs = sql(c.db, `SELECT pseq FROM changelogs WHERE product_id = '${id}' ORDER BY pseq`)
    .split('\n').filter(Boolean).map(Number);
  assert.deepEqual(seqs, Array.from({ length: expected }, (_, i) => i + 1),
    'changelog numbers are 1..n: no gap, no duplicate');
  assert.equal(Number(sql(c.db, `SELECT changelog_n FROM products WHERE id = '${id}'`)), expected);
}

test('N concurrent PATCHes with the same If-Match over three instances: one 204, the rest 412', async () => {
  const p = await makeProduct(c.servers[0], { description: 'round 0' });
  const N = 12;
  const ROUNDS = 5;
  for (let round = 1; round <= ROUNDS; round++) {
    const got = await c.servers[round % 3].api('GET', `${DP}/${p.id}`);
    const etag = got.headers.get('etag');
    const res = await spread(c.servers, N, (s, i) => s.api('PATCH', `${DP}/${p.id}`, {
      headers: { 'If-Match': etag },
      body: [{ op: 'replace', path: '/description', value: `round ${round} writer ${i}` }],
    }));
    const t = tally(res);
    assert.deepEqual(t, { 204: 1, 412: N - 1 }, `round ${round}: ${JSON.stringify(t)}`);
    for (const r of res.filter((x) => x.status === 412)) assertError(r, 412, 'DP-412-PRECONDITION-FAILED');
    const winner = res.findIndex((r) => r.status === 204);
    // every instance reads the winner's write and the same new ETag
    const reads = await Promise.all(c.servers.map((s) => s.api('GET', `${DP}/${p.id}`)));
    for (const r of reads) {
      assert.equal(r.body.description, `round ${round} writer ${winner}`);
      assert.equal(r.headers.get('etag'), reads[0].headers.get('etag'));
    }
    assert.notEqual(reads[0].headers.get('etag'), etag);
    // the losers' 412 name the current tag
    for (const r of res.filter((x) => x.status === 412)) assert.match(r.headers.get('etag') || '', /^"[0-9a-f]{32}"$/);
  }
  const entries = await allEntries(c.servers[1], p.id);
  assert.equal(entries.length, 1 + ROUNDS, 'one entry for the create, one per winning PATCH');
  assertDense(p.id, 1 + ROUNDS);
});

test('concurrent PATCH / activate / deactivate over three instances: one changelog entry per change, densely numbered', async () => {
  const managed = await makeSpace(c.servers[0], { type: 'managed' });
  const p = await makeActivatableProduct(c.servers[0], { spaceId: managed.id });
  const N = 30;
  const ROUNDS = 2;
  let changes = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const res = await spread(c.servers, N, (s, i) => {
      switch (i % 3) {
        case 0: return s.api('PATCH', `${DP}/${p.id}`, {
          body: [{ op: 'replace', path: '/description', value: `r${round} w${i}` }],
        });
        case 1: return s.api('POST', `${DP}/${p.id}/actions/activate`, { body: { name: p.name } });
        default: return s.api('POST', `${DP}/${p.id}/actions/deactivate`);
      }
    });
    for (const [i, r] of res.entries()) {
      if (i % 3 === 0) assert.equal(r.status, 204, `PATCH: ${r.text}`);
      else if (i % 3 === 1) assert.equal(r.status, 201, `activate: ${r.text}`);
      else if (r.status !== 204) assertError(r, 409, 'DP-409-PRODUCT-NOT-ACTIVATED');
    }
    // every 2xx changed something: a distinct description, an activation
    // (which always records add /activatedOn), a deactivation of an active product
    changes += res.filter((r) => r.status >= 200 && r.status < 300).length;
  }
  const entries = await allEntries(c.servers[2], p.id);
  assert.equal(entries.length, 1 + changes, `create + ${changes} changes`);
  assert.equal(new Set(entries.map((e) => e.id)).size, entries.length, 'no entry twice');
  assertDense(p.id, 1 + changes);
  // the kinds of entries match the kinds of successful requests
  const kinds = (pathName, op) => entries.filter((e) => e.changes.some((x) => x.path === pathName && x.operator === op)).length;
  assert.equal(kinds('/description', 'replace'), (N / 3) * ROUNDS);
  assert.equal(kinds('/activatedOn', 'add'), (N / 3) * ROUNDS);
});

test('PATCH, activate and deactivate mixed, all with the same If-Match, over three instances: exactly one succeeds', async () => {
  const managed = await makeSpace(c.servers[0], { type: 'managed' });
  const p = await makeActivatableProduct(c.servers[0], { spaceId: managed.id });
  const N = 12;
  for (let round = 0; round < 4; round++) {
    const got = await c.servers[round % 3].api('GET', `${DP}/${p.id}`);
    const etag = got.headers.get('etag');
    // an active product: deactivate can win; a draft: activate can win
    const res = await spread(c.servers, N, (s, i) => {
      const headers = { 'If-Match': etag };
      if (i % 2 === 0) {
        return s.api('PATCH', `${DP}/${p.id}`, { headers, body: [{ op: 'replace', path: '/description', value: `r${round} w${i}` }] });
      }
      return got.body.activated
        ? s.api('POST', `${DP}/${p.id}/actions/deactivate`, { headers })
        : s.api('POST', `${DP}/${p.id}/actions/activate`, { headers, body: { name: p.name } });
    });
    const ok = res.filter((r) => r.status >= 200 && r.status < 300);
    assert.equal(ok.length, 1, `round ${round}: ${JSON.stringify(tally(res))}`);
    for (const r of res.filter((x) => x.status === 412)) assertError(r, 412, 'DP-412-PRECONDITION-FAILED');
    assert.equal(res.length - ok.length, tally(res)[412], 'every loser is a 412');
    // make the next round start from the other activation state now and then
    if (round === 1) {
      const a = await c.servers[2].api('POST', `${DP}/${p.id}/actions/activate`, { body: { name: p.name } });
      assert.equal(a.status, 201, a.text);
    }
  }
  const n = Number(sql(c.db, `SELECT changelog_n FROM products WHERE id = '${p.id}'`));
  assert.equal(n, 1 + 4 + 1, 'create + one winner per round + the activation between rounds');
  assertDense(p.id, n);
});
