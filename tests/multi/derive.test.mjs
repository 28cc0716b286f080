// Derived values across instances (issue 12, docs/decisions.md "Issue 12 --
// derived values"): three servers on one PostgreSQL database each run a
// deriver. Writes spread over the three mark data sets stale; every deriver
// takes marks (passes over one tenant are serialised by the tenant's advisory
// lock), and once the marks are gone every stored trust score equals a
// recomputation and every product's trustScore/quality the means over its
// data sets, whichever instance wrote or derived it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startCluster } from './lib/cluster.mjs';
import { NO_LIMITS, spread } from './lib/multi.mjs';
import { DP, computeQuality, derivedSettled, uniqueName } from '../api/lib/fixtures.mjs';

const TRUST = '/api/data-governance/trust-scores/results/data-sets/actions/filter';

const near = (actual, expected, what, tol = 1e-6) =>
  assert.ok(typeof actual === 'number' && Math.abs(actual - expected) <= tol, `${what}: got ${actual}, expected ${expected}`);

let c;
before(async () => { c = await startCluster(3, { args: NO_LIMITS }); });
after(async () => { if (c) await c.stop(); });

async function passes(srv) {
  const res = await srv.api('GET', '/metrics', { key: null });
  return Number(/^dp_derive_passes_total (\d+)$/m.exec(res.text)[1]);
}

test('writes over three instances: every deriver\'s work converges to a recomputation', async (t) => {
  const [s0] = c.servers;
  // the same file in every instance's data root: any worker may profile it
  const files = ['a,b\n1,x\n2,\n3,z\n', 'a,b\n1,x\n2,y\n', 'a,b\n,\n1,\n'];
  for (const s of c.servers) {
    const dir = path.join(s.dir, 'data', c.admin.tenantId);
    fs.mkdirSync(dir, { recursive: true });
    files.forEach((f, i) => fs.writeFileSync(path.join(dir, `m${i}.csv`), f));
  }
  const ds = [];
  for (let i = 0; i < files.length; i++) {
    const name = uniqueName('multi-ds');
    const r = await s0.api('POST', '/api/v1/data-sets', { body: { name, technicalName: name, operational: { location: `m${i}.csv` } } });
    assert.equal(r.status, 201, r.text);
    ds.push(r.body.id);
  }
  for (const id of ds) await computeQuality(s0, id);
  const probes = [];
  for (const id of ds) {
    const r = await s0.api('POST', DP, { body: { name: uniqueName('probe'), datasetIds: [id] } });
    assert.equal(r.status, 201, r.text);
    probes.push(r.body.id);
  }
  const before = await Promise.all(c.servers.map(passes));
  const made = await spread(c.servers, 60, (s, i) => s.api('POST', DP, {
    body: { name: uniqueName('multi-p'), datasetIds: i % 3 === 0 ? ds : [ds[i % 3]] },
  }));
  const ids = made.map((r) => { assert.equal(r.status, 201, r.text); return r.body.id; });
  const patched = await spread(c.servers, 60, (s, i) => s.api('PATCH', `${DP}/${ids[i]}`, {
    body: [{ op: 'replace', path: '/datasetIds', value: i % 2 ? [ds[(i + 1) % 3], ds[(i + 2) % 3]] : [ds[i % 3]] }],
  }));
  for (const r of patched) assert.equal(r.status, 204, r.text);
  await derivedSettled(s0, 20000);
  const after = await Promise.all(c.servers.map(passes));
  const ran = after.map((n, i) => n - before[i]);
  t.diagnostic(`deriver passes per instance: ${ran.join(', ')}`);
  assert.ok(ran.reduce((a, b) => a + b, 0) > 0, 'the derivers ran');

  const stored = await s0.api('POST', TRUST, { body: { datasetIds: ds } });
  const fresh = await c.servers[1].api('POST', TRUST, { body: { datasetIds: ds, recomputeUsage: true } });
  const trust = Object.fromEntries(fresh.body.data.map((t) => [t.datasetId, t]));
  for (const t of stored.body.data) near(t.score, trust[t.datasetId].score, `trust of ${t.datasetId}`, 1e-9);
  const quality = {};
  for (const [i, id] of probes.entries()) quality[ds[i]] = (await c.servers[2].api('GET', `${DP}/${id}`)).body.quality;
  for (const [i, id] of [...ids, ...probes].entries()) {
    const p = (await c.servers[i % 3].api('GET', `${DP}/${id}`)).body;
    const mine = p.datasetIds;
    near(p.trustScore.score, mine.reduce((a, d) => a + trust[d].score, 0) / mine.length, `product ${id} trustScore`);
    near(p.quality.validity, mine.reduce((a, d) => a + quality[d].validity, 0) / mine.length, `product ${id} validity`, 1e-9);
  }
});
