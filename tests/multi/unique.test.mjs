// Uniqueness races across instances (SPEC §7; docs/decisions.md "Issue 11 --
// transaction runner"): the rules a client can race are a user's email in a
// tenant and one assignment per assignee in a space (space, data set and
// product names are not unique). Concurrent creates of the same unique value
// on three servers on one database: exactly one 201, the rest the resource's
// own 409 with the error envelope, never a 500; the database holds one row.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster } from './lib/cluster.mjs';
import { NO_LIMITS, sql, spread, tally } from './lib/multi.mjs';
import { assertError, makeSpace, uniqueName } from '../api/lib/fixtures.mjs';

let c;
before(async () => { c = await startCluster(3, { args: NO_LIMITS }); });
after(async () => { if (c) await c.stop(); });

const N = 12;
const ROUNDS = 4;

test('concurrent creates of one user email over three instances: one 201, the rest 409', async () => {
  for (let round = 0; round < ROUNDS; round++) {
    const email = `${uniqueName('race')}@example.com`;
    const res = await spread(c.servers, N, (s) => s.api('POST', '/api/v1/users', {
      body: { subject: email, email, assignedRoles: [{ name: 'DataProductConsumer' }] },
    }));
    assert.deepEqual(tally(res), { 201: 1, 409: N - 1 }, `round ${round}`);
    for (const r of res.filter((x) => x.status === 409)) {
      assertError(r, 409, 'DP-409-CONFLICT', email);
    }
    assert.equal(sql(c.db, `SELECT count(*) FROM users WHERE email = '${email}'`), '1');
    const id = res.find((r) => r.status === 201).body.id;
    for (const s of c.servers) assert.equal((await s.api('GET', `/api/v1/users/${id}`)).status, 200);
  }
});

test('concurrent assignments of one user to one space over three instances: one 201, the rest 409', async () => {
  const space = await makeSpace(c.servers[0]);
  for (let round = 0; round < ROUNDS; round++) {
    const email = `${uniqueName('asg')}@example.com`;
    const u = await c.servers[1].api('POST', '/api/v1/users', {
      body: { subject: email, email, assignedRoles: [{ name: 'DataProductConsumer' }] },
    });
    assert.equal(u.status, 201, u.text);
    const res = await spread(c.servers, N, (s, i) => s.api('POST', `/api/v1/spaces/${space.id}/assignments`, {
      body: { assigneeId: u.body.id, type: 'user', roles: [i % 2 ? 'consumer' : 'producer'] },
    }));
    assert.deepEqual(tally(res), { 201: 1, 409: N - 1 }, `round ${round}`);
    for (const r of res.filter((x) => x.status === 409)) assertError(r, 409, 'DP-409-CONFLICT', u.body.id);
    assert.equal(sql(c.db, `SELECT count(*) FROM space_assignments WHERE space_id = '${space.id}'`
      + ` AND assignee_id = '${u.body.id}'`), '1');
  }
});
