// derive: derived values (data sets' trust scores, products' quality and
// trustScore) are no longer rewritten for every product sharing a data set
// inside the writing request's transaction (issue 12, docs/decisions.md
// "Issue 12 -- derived values"). A write recomputes its own numbers (its data
// sets' trust scores, its own product's aggregates) and marks the data sets
// stale; the deriver recomputes the sharers shortly after, from durable marks.
//
//   - a data set shared by 1,000 products: activating one more product that
//     references it rewrites no sharer in its transaction (the per-process
//     counter dp_derived_rows_total{by="request",row="product"} in /metrics
//     moves by the activated product alone); the deriver then brings every
//     sharer to the data set's new trust score. The activation latency with an
//     own data set and with the shared one is printed as a diagnostic only;
//   - after a burst of writes stops, every derived value equals a
//     recomputation from scratch (trust: recomputeUsage: true; products: the
//     means over their data sets, computed here);
//   - marks survive kill -9: with the deriver held back (--derive-delay-ms),
//     a computation's result marks its data set; the server is killed before
//     the deriver runs, restarted, and the product sharing the data set gets
//     its quality and trustScore.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, removeDir } from './lib/server.mjs';
import { DP, uniqueName, computeQuality, derivedSettled, derivePending, eventually, pause } from './lib/fixtures.mjs';

const TRUST = '/api/data-governance/trust-scores/results/data-sets/actions/filter';
const SETTINGS = '/api/data-governance/trust-scores/settings';
const DQ = '/api/data-governance/data-qualities';
const ARGS = ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0', '--threads', '4'];
// 1,000 as the issue asks; 250 on the sanitizer build, where building the
// sharers took 85 s in CI while each create still rewrote all sharers so far
// (before usage was counted on a doubling scale)
const SHARERS = Number(process.env.DP_DERIVE_SHARERS || (process.env.DP_SANITIZED ? 250 : 1000));
const AXES = ['VALIDITY', 'COMPLETENESS', 'DISCOVERABILITY', 'TIMELINESS', 'DIVERSITY', 'USAGE'];

const near = (actual, expected, what, tol = 1e-9) =>
  assert.ok(typeof actual === 'number' && Math.abs(actual - expected) <= tol, `${what}: got ${actual}, expected ${expected}`);

let srv;
let dataDir;

function writeData(dir, name, content) {
  fs.writeFileSync(path.join(dir, name), content);
}

async function mkDataSet(s, fields = {}) {
  const name = uniqueName('derive-ds');
  const res = await s.api('POST', '/api/v1/data-sets', { body: { name, technicalName: name, ...fields } });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

async function mkProduct(s, body) {
  const res = await s.api('POST', DP, { body: { name: uniqueName('derive-p'), ...body } });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

async function getProduct(s, id) {
  const res = await s.api('GET', `${DP}/${id}`);
  assert.equal(res.status, 200, res.text);
  return res.body;
}

/** Stored trust scores (plain read) or recomputed ones, by data set id. */
async function trustOf(s, ids, recompute = false) {
  const res = await s.api('POST', TRUST, { body: { datasetIds: ids, ...(recompute ? { recomputeUsage: true } : {}) } });
  assert.equal(res.status, 200, res.text);
  return Object.fromEntries(res.body.data.map((t) => [t.datasetId, t]));
}

/** dp_derived_rows_total by "by/row" from /metrics. */
async function derivedRows(s) {
  const res = await s.api('GET', '/metrics', { key: null });
  assert.equal(res.status, 200, res.text);
  const out = {};
  for (const m of res.text.matchAll(/^dp_derived_rows_total\{by="(\w+)",row="(\w+)"\} (\d+)$/gm)) out[`${m[1]}/${m[2]}`] = Number(m[3]);
  assert.ok('request/product' in out && 'deriver/product' in out, res.text);
  return out;
}

/** Runs fn over items, n at a time. */
async function inParallel(items, n, fn) {
  let next = 0;
  const out = new Array(items.length);
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  }));
  return out;
}

/** The product aggregates from its data sets' trust scores (SPEC §3: means
 *  over the data sets with results; here every data set has one). */
function expectedTrustScore(trust, ids) {
  const ts = ids.map((id) => trust[id]);
  const score = ts.reduce((s, t) => s + t.score, 0) / ts.length;
  const dims = {};
  for (const a of AXES) {
    const xs = ts.map((t) => t.axes.find((x) => x.id === a)).filter((x) => x && 'score' in x).map((x) => x.score);
    if (xs.length) dims[a] = xs.reduce((s, x) => s + x, 0) / xs.length;
  }
  return { score, applicableDatasets: ts.length, dims };
}

function assertProductMatches(p, trust, quality, what) {
  const want = expectedTrustScore(trust, p.datasetIds);
  assert.ok(p.trustScore, `${what}: no trustScore`);
  near(p.trustScore.score, want.score, `${what} trustScore.score`, 1e-6);
  assert.equal(p.trustScore.applicableDatasets, want.applicableDatasets, `${what} applicableDatasets`);
  for (const d of p.trustScore.dimensions) near(d.score, want.dims[d.id], `${what} ${d.id}`, 1e-6);
  assert.equal(p.trustScore.dimensions.length, Object.keys(want.dims).length, `${what} dimensions`);
  const v = p.datasetIds.reduce((s, id) => s + quality[id].validity, 0) / p.datasetIds.length;
  const c = p.datasetIds.reduce((s, id) => s + quality[id].completeness, 0) / p.datasetIds.length;
  near(p.quality.validity, v, `${what} quality.validity`, 1e-9);
  near(p.quality.completeness, c, `${what} quality.completeness`, 1e-9);
}

before(async () => {
  srv = await startServer({ args: ARGS });
  dataDir = path.join(srv.dir, 'data', srv.admin.tenantId);
  fs.mkdirSync(dataDir, { recursive: true });
});

after(async () => {
  await srv?.stop();
});

describe('no fan-out in the request transaction', () => {
  test(`a data set shared by ${SHARERS} products: activating one more rewrites no sharer in its transaction; the deriver brings them up`, async (t) => {
    writeData(dataDir, 'shared.csv', 'a,b\n1,x\n2,\n3,z\n');
    writeData(dataDir, 'own.csv', 'a,b\n1,x\n2,y\n');
    const shared = await mkDataSet(srv, { operational: { location: 'shared.csv' } });
    const own = await mkDataSet(srv, { operational: { location: 'own.csv' } });
    await computeQuality(srv, shared.id);
    await computeQuality(srv, own.id);
    const space = (await srv.api('POST', '/api/v1/spaces', { body: { name: uniqueName('managed'), type: 'managed' } })).body;
    const sharers = await inParallel(Array.from({ length: SHARERS }, (_, i) => i), 8,
      async () => (await mkProduct(srv, { datasetIds: [shared.id] })).id);
    const contacts = [{ userId: srv.admin.userId, role: 'owner' }];
    const x = await mkProduct(srv, { spaceId: space.id, datasetIds: [shared.id], keyContacts: contacts });
    const y = await mkProduct(srv, { spaceId: space.id, datasetIds: [own.id], keyContacts: contacts });
    await derivedSettled(srv, 20000);
    const before = (await trustOf(srv, [shared.id]))[shared.id];
    const sample = await getProduct(srv, sharers[0]);
    near(sample.trustScore.score, before.score, 'a sharer before: the shared data set\'s score');

    const m0 = await derivedRows(srv);
    const activate = async (p) => {
      const t0 = process.hrtime.bigint();
      const res = await srv.api('POST', `${DP}/${p.id}/actions/activate`, { body: { name: p.name, spaceId: space.id } });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      assert.equal(res.status, 201, res.text);
      return ms;
    };
    // each with the deriver idle (the latencies are diagnostics only)
    const ownMs = await activate(y);
    await derivedSettled(srv, 20000);
    const sharedMs = await activate(x);
    const m1 = await derivedRows(srv);
    // the two activations rewrote their own products (at most), never a sharer
    assert.ok(m1['request/product'] - m0['request/product'] <= 2,
      `request transactions rewrote ${m1['request/product'] - m0['request/product']} products`);
    t.diagnostic(`activation latency: own data set ${ownMs.toFixed(1)} ms, data set shared by ${SHARERS} products ${sharedMs.toFixed(1)} ms (diagnostic, not asserted)`);

    // the first activated user changed the data set's score: the deriver
    // rewrites every sharer to it
    await derivedSettled(srv, 20000);
    const afterTrust = (await trustOf(srv, [shared.id]))[shared.id];
    assert.notEqual(afterTrust.score, before.score, 'the activation changed the shared data set\'s trust score');
    const m2 = await derivedRows(srv);
    assert.ok(m2['deriver/product'] - m0['deriver/product'] >= SHARERS,
      `the deriver rewrote ${m2['deriver/product'] - m0['deriver/product']} products`);
    const scores = await inParallel(sharers, 8, async (id) => (await getProduct(srv, id)).trustScore.score);
    for (const [i, s] of scores.entries()) near(s, afterTrust.score, `sharer ${i}`, 1e-9);
    near((await getProduct(srv, x.id)).trustScore.score, afterTrust.score, 'the activated product');
  });
});

describe('usage on a doubling scale', () => {
  test('one more product on a shared data set rewrites its sharers only when the count reaches a power of two', async () => {
    writeData(dataDir, 'doubling.csv', 'a,b\n1,x\n2,y\n');
    const ds = await mkDataSet(srv, { operational: { location: 'doubling.csv' } });
    await computeQuality(srv, ds.id);
    // a file 3 days old against the 1-day default period: its freshness
    // decays by the millisecond, yet linking a product must not rewrite the
    // score for it (only the usage metrics are the link's business)
    const old = Date.now() / 1000 - 3 * 86400;
    fs.utimesSync(path.join(dataDir, 'doubling.csv'), old, old);
    await srv.api('POST', TRUST, { body: { datasetIds: [ds.id], recomputeUsage: true } });
    const products = [];
    for (let i = 0; i < 5; i++) products.push((await mkProduct(srv, { datasetIds: [ds.id] })).id);
    await derivedSettled(srv, 20000);
    const t5 = (await trustOf(srv, [ds.id]))[ds.id];
    const m5 = await derivedRows(srv);

    // 6 and 7 products: p2(n) stays 4, so the score and every sharer stay
    for (let i = 5; i < 7; i++) products.push((await mkProduct(srv, { datasetIds: [ds.id] })).id);
    await derivedSettled(srv, 20000);
    const t7 = (await trustOf(srv, [ds.id]))[ds.id];
    assert.equal(t7.score, t5.score, 'the score at 7 products is the one at 5');
    assert.equal(t7.updatedAt, t5.updatedAt, 'the trust score was not rewritten');
    const m7 = await derivedRows(srv);
    assert.equal(m7['deriver/product'], m5['deriver/product'], 'the deriver rewrote no sharer');
    const usage = (t) => t.axes.find((a) => a.id === 'USAGE').metrics.find((m) => m.id === 'USAGE_APPS').score;
    near(usage(t7), 100 * (1 - 1 / 5), 'USAGE_APPS at 7 products (p2 = 4)');

    // the 8th: p2 = 8, the score moves and the deriver brings the 7 sharers
    products.push((await mkProduct(srv, { datasetIds: [ds.id] })).id);
    await derivedSettled(srv, 20000);
    const t8 = (await trustOf(srv, [ds.id]))[ds.id];
    near(usage(t8), 100 * (1 - 1 / 9), 'USAGE_APPS at 8 products (p2 = 8)');
    assert.notEqual(t8.score, t7.score, 'the score moved at 8 products');
    const m8 = await derivedRows(srv);
    assert.ok(m8['deriver/product'] - m7['deriver/product'] >= 7,
      `the deriver rewrote ${m8['deriver/product'] - m7['deriver/product']} products, want the 7 sharers`);
    for (const id of products) near((await getProduct(srv, id)).trustScore.score, t8.score, `product ${id} at 8`, 1e-9);

    // back to 7 by a delete: the score and every product follow again
    const gone = products.pop();
    assert.equal((await srv.api('DELETE', `${DP}/${gone}`)).status, 204);
    await derivedSettled(srv, 20000);
    const t7b = (await trustOf(srv, [ds.id]))[ds.id];
    near(usage(t7b), usage(t7), 'USAGE_APPS back at 7 products');
    near(t7b.score, t7.score, 'the score back at 7 products (the file aged meanwhile)', 1e-3);
    for (const id of products) near((await getProduct(srv, id)).trustScore.score, t7b.score, `product ${id} back at 7`, 1e-9);
  });
});

describe('staleness converges', () => {
  test('after a burst of writes stops, every derived value equals a recomputation from scratch', async () => {
    const N_DS = 6;
    const ds = [];
    for (let i = 0; i < N_DS; i++) {
      const rows = ['a,b'];
      for (let r = 0; r <= i; r++) rows.push(`${r},${r % 2 ? '' : 'v' + r}`);
      writeData(dataDir, `conv${i}.csv`, rows.join('\n') + '\n');
      ds.push(await mkDataSet(srv, { operational: { location: `conv${i}.csv` }, ...(i % 2 ? { description: 'd' } : {}) }));
    }
    for (const d of ds) await computeQuality(srv, d.id);
    // one product per data set alone: its quality is the data set's
    const probes = [];
    for (const d of ds) probes.push(await mkProduct(srv, { datasetIds: [d.id] }));
    const ids = ds.map((d) => d.id);
    let seed = 12;
    const rnd = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
    const pick = () => {
      const k = 1 + rnd(3);
      const set = new Set();
      while (set.size < k) set.add(ids[rnd(ids.length)]);
      return [...set];
    };
    const products = await inParallel(Array.from({ length: 40 }, () => pick()), 8,
      async (dsIds) => (await mkProduct(srv, { datasetIds: dsIds })).id);
    const deleted = new Set();
    // the burst: datasetIds changes, deletions, data set edits, a settings change
    const ops = Array.from({ length: 120 }, (_, i) => i);
    await inParallel(ops, 8, async (i) => {
      const kind = i % 6;
      if (kind <= 2) {
        const id = products[rnd(products.length)];
        if (deleted.has(id)) return;
        const res = await srv.api('PATCH', `${DP}/${id}`, { body: [{ op: 'replace', path: '/datasetIds', value: pick() }] });
        assert.ok([204, 404].includes(res.status), res.text);
      } else if (kind === 3) {
        const id = products[rnd(products.length)];
        deleted.add(id);
        const res = await srv.api('DELETE', `${DP}/${id}`);
        assert.ok([204, 404].includes(res.status), res.text);
      } else if (kind === 4) {
        const d = ds[rnd(ds.length)];
        const res = await srv.api('PATCH', `/api/v1/data-sets/${d.id}`, { body: [{ op: 'add', path: '/tags', value: [`t${i}`] }] });
        assert.equal(res.status, 200, res.text);
      } else if (i === 5) {
        const res = await srv.api('PUT', SETTINGS, { body: { axes: { DIVERSITY: { enabled: true, weight: 5 } } } });
        assert.equal(res.status, 200, res.text);
      }
    });
    await derivedSettled(srv, 20000);
    assert.equal(await derivePending(srv), 0);

    // trust: the stored score is what a recomputation from scratch gives
    const stored = await trustOf(srv, ids);
    const fresh = await trustOf(srv, ids, true);
    for (const id of ids) {
      near(stored[id].score, fresh[id].score, `data set ${id} trust`, 1e-9);
      assert.deepEqual(stored[id].axes, fresh[id].axes, `data set ${id} axes`);
    }
    // products: the means over their data sets
    const quality = {};
    for (const [i, p] of probes.entries()) quality[ids[i]] = (await getProduct(srv, p.id)).quality;
    for (const id of [...products.filter((p) => !deleted.has(p)), ...probes.map((p) => p.id)]) {
      const p = await getProduct(srv, id);
      assertProductMatches(p, fresh, quality, `product ${id}`);
    }
  });
});

describe('marks are durable', () => {
  test('a mark made before kill -9 is recomputed after the restart', async () => {
    const args = ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0'];
    let s = await startServer({ args: [...args, '--derive-delay-ms', '600000'], keepDir: true });
    const { dir } = s;
    const key = s.key;
    const admin = s.admin;
    try {
      const tdir = path.join(dir, 'data', admin.tenantId);
      fs.mkdirSync(tdir, { recursive: true });
      writeData(tdir, 'k.csv', 'a,b\n1,x\n2,\n');
      const d = await mkDataSet(s, { operational: { location: 'k.csv' } });
      const p = await mkProduct(s, { datasetIds: [d.id] });
      assert.equal(p.quality, undefined, 'no result yet');
      const res = await s.api('POST', `${DQ}/computations`, { body: { datasetId: d.id } });
      assert.equal(res.status, 202, res.text);
      for (const deadline = Date.now() + 20000; ;) {
        const c = await s.api('GET', `${DQ}/computations/${res.body.computationId}`);
        if (c.body.status === 'SUCCEEDED') break;
        assert.notEqual(c.body.status, 'FAILED', c.text);
        assert.ok(Date.now() < deadline, 'computation did not finish in 20 s');
        await pause(50);
      }
      // the result is committed with its mark; the deriver is held back
      assert.ok(await derivePending(s) > 0, 'the result marked its data set');
      assert.equal((await getProduct(s, p.id)).quality, undefined, 'the product is not recomputed yet');
      await s.kill9();

      s = await startServer({ dir, keepDir: true, skipBootstrap: true, args });
      s.key = key;
      s.admin = admin;
      await eventually(async () => {
        const got = await getProduct(s, p.id);
        assert.ok(got.quality, 'quality after the restart');
        assert.ok(got.trustScore, 'trustScore after the restart');
      }, 5000);
      const trust = (await trustOf(s, [d.id]))[d.id];
      near((await getProduct(s, p.id)).trustScore.score, trust.score, 'the product\'s trustScore');
      await derivedSettled(s);
    } finally {
      await s.stop().catch(() => {});
      removeDir(dir);
    }
  });
});
