// Several instances on one PostgreSQL database behave as one server (SPEC §7):
// a write acknowledged by one instance is what every other instance reads.
import test from 'node:test';
import assert from 'node:assert/strict';
import { startCluster } from './lib/cluster.mjs';
import { DP, makeSpace, makeProduct } from '../api/lib/fixtures.mjs';

test('a write on A is read on B and C', async () => {
  const c = await startCluster(3);
  try {
    const [a, b, cc] = c.servers;
    const sp = await makeSpace(a, { name: 'Finance' });
    for (const s of [b, cc]) {
      const r = await s.api('GET', `/api/v1/spaces/${sp.id}`);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.name, 'Finance');
    }
    const p = await makeProduct(b, { spaceId: sp.id });
    const ra = await a.api('GET', `${DP}/${p.id}`);
    const rc = await cc.api('GET', `${DP}/${p.id}`);
    assert.equal(ra.status, 200, ra.text);
    assert.equal(ra.text, rc.text);
    assert.equal(ra.headers.get('etag'), rc.headers.get('etag'));
    const del = await cc.api('DELETE', `${DP}/${p.id}`);
    assert.equal(del.status, 204, del.text);
    assert.equal((await a.api('GET', `${DP}/${p.id}`)).status, 404);
  } finally {
    await c.stop();
  }
});
