// usage-cost: activation latency with an own data set vs. one shared by N
// products (issue 12, docs/decisions.md "Issue 12 -- derived values": the
// usage count read in the write's transaction). Ad-hoc, not a test: starts a
// server (DP_BIN, SQLite unless DP_TEST_PG_URL), shares one data set with
// DP_SHARERS products (default 1000), then activates ROUNDS (default 12)
// products of each kind alternately, each with the deriver idle, and prints
// the medians. Run from tests/: DP_BIN=... node tools/usage-cost.mjs
import fs from 'node:fs';
import path from 'node:path';
import { startServer } from '../api/lib/server.mjs';
import { DP, uniqueName, computeQuality, derivedSettled } from '../api/lib/fixtures.mjs';

const SHARERS = Number(process.env.DP_SHARERS || 1000);
const ROUNDS = Number(process.env.ROUNDS || 12);
const srv = await startServer({ args: ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0', '--threads', '4'] });
try {
  const dir = path.join(srv.dir, 'data', srv.admin.tenantId);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'x.csv'), 'a,b\n1,x\n2,\n3,z\n');
  const ok = (res, st = 201) => { if (res.status !== st) throw new Error(res.text); return res.body; };
  const ds = async () => { const n = uniqueName('u'); return ok(await srv.api('POST', '/api/v1/data-sets', { body: { name: n, technicalName: n, operational: { location: 'x.csv' } } })); };
  const mk = async (body) => ok(await srv.api('POST', DP, { body: { name: uniqueName('p'), ...body } }));
  const shared = await ds();
  await computeQuality(srv, shared.id);
  for (let i = 0; i < SHARERS; i += 8) await Promise.all(Array.from({ length: Math.min(8, SHARERS - i) }, () => mk({ datasetIds: [shared.id] })));
  const space = ok(await srv.api('POST', '/api/v1/spaces', { body: { name: uniqueName('s'), type: 'managed' } }));
  const contacts = [{ userId: srv.admin.userId, role: 'owner' }];
  const own = [], sh = [];
  for (let i = 0; i < ROUNDS; i++) {
    const d = await ds();
    await computeQuality(srv, d.id);
    own.push(await mk({ spaceId: space.id, datasetIds: [d.id], keyContacts: contacts }));
    sh.push(await mk({ spaceId: space.id, datasetIds: [shared.id], keyContacts: contacts }));
  }
  await derivedSettled(srv, 60000);
  const act = async (p) => {
    const t0 = process.hrtime.bigint();
    ok(await srv.api('POST', `${DP}/${p.id}/actions/activate`, { body: { name: p.name, spaceId: space.id } }));
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    await derivedSettled(srv, 60000);
    return ms;
  };
  const a = [], b = [];
  for (let i = 0; i < ROUNDS; i++) { a.push(await act(own[i])); b.push(await act(sh[i])); }
  const med = (xs) => { const s = [...xs].sort((x, y) => x - y); return (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2; };
  console.log(`activation median of ${ROUNDS}: own data set ${med(a).toFixed(2)} ms, shared by ${SHARERS} ${med(b).toFixed(2)} ms`);
} finally {
  await srv.stop();
}
