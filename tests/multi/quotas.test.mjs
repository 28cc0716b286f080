// Tenant quotas across instances (issue 12, docs/decisions.md "Issue 12 --
// quotas"): the quota is read under the tenant's advisory lock inside the
// write transaction, so creates racing for the last free slots on three
// servers on one database get exactly as many 201s as there are slots, the
// rest 409 DP-409-QUOTA-EXCEEDED with the envelope, never a 500; the
// database then holds exactly the quota (and, for products, one changelog
// entry each). The same for a user's active API keys (403
// DP-403-TOO-MANY-KEYS, counted under the same lock).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster } from './lib/cluster.mjs';
import { NO_LIMITS, sql, spread, tally } from './lib/multi.mjs';
import { assertError, uniqueName } from '../api/lib/fixtures.mjs';

const LIMIT = 6;
const N = 12;
let c;
before(async () => {
  c = await startCluster(3, {
    args: [...NO_LIMITS, '--quota-products', String(LIMIT), '--quota-data-sets', String(LIMIT),
      '--quota-spaces', String(LIMIT), '--quota-users', String(LIMIT), '--max-keys-per-user', String(LIMIT)],
  });
});
after(async () => { if (c) await c.stop(); });

const tenantOf = () => c.admin.tenantId;

/** Fills the quota to LIMIT - free with create(server, i), then races N
 * creates over the three servers for the `free` open slots, `rounds`
 * times with 1..3 slots freed by remove(id) between rounds. */
async function race(kind, create, remove, table, flag, opts = {}) {
  const ids = [];
  const countSql = opts.countSql || `SELECT count(*) FROM ${table} WHERE tenant_id = '${tenantOf()}'`;
  const [status, code, detail] = opts.refusal || [409, 'DP-409-QUOTA-EXCEEDED', `at most ${LIMIT} ${kind} (${flag})`];
  const have = Number(sql(c.db, countSql));
  for (let i = have; i < LIMIT - 1; i++) {
    const r = await create(c.servers[i % 3], i);
    assert.equal(r.status, 201, r.text);
    ids.push(r.body.id);
  }
  for (const free of [1, 2, 3, 1]) {
    // free slots: LIMIT - count; make it exactly `free`
    let count = Number(sql(c.db, countSql));
    while (LIMIT - count < free) {
      const r = await remove(c.servers[count % 3], ids.shift());
      assert.ok(r.status === 204 || r.status === 200, r.text);
      count -= 1;
    }
    const res = await spread(c.servers, N, (s, i) => create(s, i));
    assert.deepEqual(tally(res), { 201: free, [status]: N - free }, `${kind}: ${free} free slot(s)`);
    for (const r of res.filter((x) => x.status === status)) assertError(r, status, code, detail);
    for (const r of res.filter((x) => x.status === 201)) ids.push(r.body.id);
    assert.equal(sql(c.db, countSql), String(LIMIT), `${kind}: the database holds exactly the quota`);
  }
}

test('data products: creates racing for the last free slots over three instances get exactly that many 201s', async () => {
  await race('data products',
    (s) => s.api('POST', '/api/data-governance/data-products', { body: { name: uniqueName('p') } }),
    (s, id) => s.api('DELETE', `/api/data-governance/data-products/${id}`),
    'products', '--quota-products');
  // every product has its creation entry, no refused create left one behind
  assert.equal(sql(c.db, `SELECT count(*) FROM changelogs WHERE tenant_id = '${tenantOf()}'`), String(LIMIT));
  assert.equal(sql(c.db, `SELECT products FROM tenant_counts WHERE tenant_id = '${tenantOf()}'`), String(LIMIT));
});

test('data sets: the same race, the same exact count', async () => {
  await race('data sets',
    (s) => { const n = uniqueName('ds'); return s.api('POST', '/api/v1/data-sets', { body: { name: n, technicalName: `${n}.csv` } }); },
    (s, id) => s.api('POST', '/api/v1/data-sets/actions/delete', { body: { ids: [id] } }),
    'datasets', '--quota-data-sets');
});

test('spaces: the same race, the same exact count', async () => {
  await race('spaces',
    (s) => s.api('POST', '/api/v1/spaces', { body: { name: uniqueName('sp'), type: 'shared' } }),
    (s, id) => s.api('DELETE', `/api/v1/spaces/${id}`),
    'spaces', '--quota-spaces');
});

test('users: the same race, the same exact count', async () => {
  await race('users',
    (s) => { const e = `${uniqueName('u')}@example.com`; return s.api('POST', '/api/v1/users', { body: { subject: e, email: e, assignedRoles: [{ name: 'DataProductConsumer' }] } }); },
    (s, id) => s.api('DELETE', `/api/v1/users/${id}`),
    'users', '--quota-users');
});

test('API keys of one user: the same race against --max-keys-per-user (403 DP-403-TOO-MANY-KEYS)', async () => {
  const user = c.admin.userId;
  await race('API keys',
    (s) => s.api('POST', '/api/v1/api-keys', { body: { description: uniqueName('k') } }),
    (s, id) => s.api('DELETE', `/api/v1/api-keys/${id}`),
    'api_keys', '--max-keys-per-user', {
      countSql: `SELECT count(*) FROM api_keys WHERE user_id = '${user}' AND NOT revoked`,
      refusal: [403, 'DP-403-TOO-MANY-KEYS', `already holds ${LIMIT} active API keys`],
    });
});
