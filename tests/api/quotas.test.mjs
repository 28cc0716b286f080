// quotas: tenant quotas (issue 12, docs/decisions.md "Issue 12 -- quotas").
// A server with small quotas: the create one past a quota is 409
// DP-409-QUOTA-EXCEEDED naming the quota and its flag, writes nothing (no
// row, no changelog entry), and comes after authorisation and validation;
// deleting one frees a slot; another tenant has quotas of its own; API
// keys per user are capped as before. Runs on SQLite and, under
// `make test-api-pg`, on PostgreSQL.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, bootstrap, BIN } from './lib/server.mjs';

const DP = '/api/data-governance/data-products';
const DS = '/api/v1/data-sets';
const SPACES = '/api/v1/spaces';
const USERS = '/api/v1/users';
const KEYS = '/api/v1/api-keys';
const QUOTA = 'DP-409-QUOTA-EXCEEDED';

let srv;
let other; // a second tenant's admin: {tenantId, userId, apiKey}

/** One number from the server's database (SQLite file or PostgreSQL). */
function dbCount(sql) {
  const out = srv.db.startsWith('sqlite:')
    ? execFileSync('sqlite3', [srv.db.slice('sqlite:'.length), sql], { encoding: 'utf8' })
    : execFileSync('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', srv.db, '-c', sql], { encoding: 'utf8' });
  return Number(out.trim());
}

function assertQuota(res, what, limit, flag) {
  assert.equal(res.status, 409, res.text);
  assert.equal(res.body.errors.length, 1);
  const e = res.body.errors[0];
  assert.equal(e.code, QUOTA);
  assert.equal(e.status, '409');
  assert.equal(e.title, 'Tenant quota reached');
  assert.equal(e.detail, `tenant quota reached: at most ${limit} ${what} (${flag}); delete one first`);
  assert.equal(res.body.traceId, res.headers.get('x-trace-id'));
}

async function mkUser(label, roles, key) {
  const res = await srv.api('POST', USERS, {
    key,
    body: { subject: `sub|${label}`, email: `${label}@example.com`, name: label, assignedRoles: roles.map((name) => ({ name })) },
  });
  return res;
}

before(async () => {
  srv = await startServer({
    args: ['--quota-products', '3', '--quota-data-sets', '2', '--quota-spaces', '2', '--quota-users', '3',
      '--max-keys-per-user', '2', '--rate-limit-tier2', '0'],
  });
  other = bootstrap(srv.db, 'other', 'admin@other.example.com');
});
after(async () => { await srv?.stop(); });

describe('tenant quotas', () => {
  let consumer; // {id, key}: DataProductConsumer, may create no product

  test('users: the admin and two more fill --quota-users 3; the fourth is 409 and not stored', async () => {
    const c = await mkUser('consumer', ['DataProductConsumer']);
    assert.equal(c.status, 201, c.text);
    const key = await srv.api('POST', KEYS, { body: { description: 'consumer', sub: c.body.id } });
    assert.equal(key.status, 201, key.text);
    consumer = { id: c.body.id, key: key.body.token };
    const spare = await mkUser('spare', ['DataProductConsumer']);
    assert.equal(spare.status, 201, spare.text);

    // a non-admin is refused for its rights, not told about the quota
    assert.equal((await mkUser('sneaky', [], consumer.key)).status, 403);
    // an invalid body is a 400 even at the limit
    const bad = await srv.api('POST', USERS, { body: { subject: 's', email: 'no-at-sign' } });
    assert.equal(bad.status, 400, bad.text);
    // a taken email is its own 409 (the state check before the quota)
    const dup = await mkUser('spare', ['DataProductConsumer']);
    assert.equal(dup.body.errors[0].code, 'DP-409-CONFLICT', dup.text);

    const over = await mkUser('fourth', []);
    assertQuota(over, 'users', 3, '--quota-users');
    const list = await srv.api('GET', `${USERS}?limit=100`);
    assert.equal(list.body.data.length, 3, 'nothing was created');
    assert.ok(!list.body.data.some((u) => u.email === 'fourth@example.com'));

    // deleting one frees its slot
    assert.equal((await srv.api('DELETE', `${USERS}/${spare.body.id}`)).status, 204);
    const again = await mkUser('fourth', []);
    assert.equal(again.status, 201, again.text);
  });

  test('data products: the 4th create past --quota-products 3 is 409 with the envelope, no row, no changelog entry', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) {
      const res = await srv.api('POST', DP, { body: { name: `Product ${i}` } });
      assert.equal(res.status, 201, res.text);
      ids.push(res.body.id);
    }
    const changelogs = dbCount(`SELECT count(*) FROM changelogs WHERE tenant_id = '${srv.admin.tenantId}'`);
    assert.ok(changelogs >= 3, 'each create wrote its changelog entry');

    const over = await srv.api('POST', DP, { body: { name: 'Product 3', description: 'one too many' } });
    assertQuota(over, 'data products', 3, '--quota-products');
    assert.equal(dbCount(`SELECT count(*) FROM changelogs WHERE tenant_id = '${srv.admin.tenantId}'`), changelogs, 'no changelog entry was written');
    assert.equal(dbCount(`SELECT count(*) FROM products WHERE tenant_id = '${srv.admin.tenantId}'`), 3, 'no product row was written');
    assert.equal((await srv.api('GET', DP)).body.total, 3);

    // authorisation first: a consumer learns nothing about the quota
    const denied = await srv.api('POST', DP, { key: consumer.key, body: { name: 'Nope' } });
    assert.equal(denied.status, 403, denied.text);
    assert.equal(denied.body.errors[0].code, 'DP-403-FORBIDDEN');
    // then validation: a bad body is a 400 at the limit too
    const invalid = await srv.api('POST', DP, { body: { name: '' } });
    assert.equal(invalid.status, 400, invalid.text);
    const unknownDs = await srv.api('POST', DP, { body: { name: 'Refs', datasetIds: ['00000000-0000-4000-8000-000000000000'] } });
    assert.equal(unknownDs.status, 400, unknownDs.text);

    // deleting one frees a slot, exactly one
    assert.equal((await srv.api('DELETE', `${DP}/${ids[0]}`)).status, 204);
    const refill = await srv.api('POST', DP, { body: { name: 'Product 4' } });
    assert.equal(refill.status, 201, refill.text);
    assertQuota(await srv.api('POST', DP, { body: { name: 'Product 5' } }), 'data products', 3, '--quota-products');
  });

  test('another tenant is not affected by this tenant\'s full quotas, and has its own', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await srv.api('POST', DP, { key: other.apiKey, body: { name: `Other ${i}` } });
      assert.equal(res.status, 201, res.text);
    }
    assertQuota(await srv.api('POST', DP, { key: other.apiKey, body: { name: 'Other 3' } }),
      'data products', 3, '--quota-products');
    const sp = await srv.api('POST', SPACES, { key: other.apiKey, body: { name: 'Other space', type: 'shared' } });
    assert.equal(sp.status, 201, sp.text);
    const ds = await srv.api('POST', DS, { key: other.apiKey, body: { name: 'Other ds', technicalName: 'o.csv' } });
    assert.equal(ds.status, 201, ds.text);
  });

  test('data sets: past --quota-data-sets 2 is 409 and not stored; a batch delete frees slots', async () => {
    const ids = [];
    for (let i = 0; i < 2; i++) {
      const res = await srv.api('POST', DS, { body: { name: `ds ${i}`, technicalName: `ds${i}.csv` } });
      assert.equal(res.status, 201, res.text);
      ids.push(res.body.id);
    }
    const bad = await srv.api('POST', DS, { body: { name: 'no technical name' } });
    assert.equal(bad.status, 400, bad.text);
    const over = await srv.api('POST', DS, { body: { name: 'ds 2', technicalName: 'ds2.csv' } });
    assertQuota(over, 'data sets', 2, '--quota-data-sets');
    assert.equal(dbCount(`SELECT count(*) FROM datasets WHERE tenant_id = '${srv.admin.tenantId}'`), 2, 'nothing was created');
    const del = await srv.api('POST', `${DS}/actions/delete`, { body: { ids: [ids[0]] } });
    assert.ok(del.status === 200 || del.status === 204, del.text);
    assert.equal((await srv.api('POST', DS, { body: { name: 'ds 2', technicalName: 'ds2.csv' } })).status, 201);
  });

  test('spaces: past --quota-spaces 2 is 409 after the type is authorised and the body judged', async () => {
    const made = [];
    for (let i = 0; i < 2; i++) {
      const res = await srv.api('POST', SPACES, { body: { name: `space ${i}`, type: 'shared' } });
      assert.equal(res.status, 201, res.text);
      made.push(res.body.id);
    }
    const denied = await srv.api('POST', SPACES, { key: consumer.key, body: { name: 'c', type: 'shared' } });
    assert.equal(denied.status, 403, denied.text);
    const bad = await srv.api('POST', SPACES, { body: { name: 'x', type: 'nope' } });
    assert.equal(bad.status, 400, bad.text);
    assertQuota(await srv.api('POST', SPACES, { body: { name: 'space 2', type: 'shared' } }),
      'spaces', 2, '--quota-spaces');
    assert.equal((await srv.api('GET', `${SPACES}?limit=100`)).body.data.length, 2, 'nothing was created');
    assert.equal((await srv.api('DELETE', `${SPACES}/${made[1]}`)).status, 204);
    assert.equal((await srv.api('POST', SPACES, { body: { name: 'space 2', type: 'shared' } })).status, 201);
  });

  test('API keys per user: --max-keys-per-user 2 caps each user (403 DP-403-TOO-MANY-KEYS), not the tenant', async () => {
    // the admin holds its bootstrap key
    assert.equal((await srv.api('POST', KEYS, { body: { description: 'second' } })).status, 201);
    const over = await srv.api('POST', KEYS, { body: { description: 'third' } });
    assert.equal(over.status, 403, over.text);
    assert.equal(over.body.errors[0].code, 'DP-403-TOO-MANY-KEYS');
    // the consumer holds one: one more is fine, then it is full too
    assert.equal((await srv.api('POST', KEYS, { key: consumer.key, body: { description: 'mine' } })).status, 201);
    assert.equal((await srv.api('POST', KEYS, { key: consumer.key, body: { description: 'more' } })).status, 403);
    // the other tenant's admin is not affected
    assert.equal((await srv.api('POST', KEYS, { key: other.apiKey, body: { description: 'x' } })).status, 201);
  });
});

test('quota flags: 0 = unlimited is accepted, a negative or non-numeric one is refused at start', () => {
  for (const bad of [['--quota-products', '-1'], ['--quota-spaces', 'many'], ['--quota-users', '1000000001']]) {
    const r = spawnSync(BIN, ['serve', '--listen', '127.0.0.1:0', '--db', 'sqlite:/nonexistent/x.db', ...bad], { encoding: 'utf8' });
    assert.notEqual(r.status, 0, `${bad.join(' ')} must be refused`);
    assert.match(r.stderr, new RegExp(`${bad[0]} ${bad[1]}: expected an integer in 0\\.\\.1000000000`));
  }
  const help = execFileSync(BIN, ['serve', '--help'], { encoding: 'utf8' });
  for (const flag of ['--quota-products', '--quota-data-sets', '--quota-spaces', '--quota-users']) assert.match(help, new RegExp(flag));
});

test('quotas from the environment (DP_QUOTA_*) and the config file (quota*), the flag winning over both', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dp-quota-cfg-'));
  const file = path.join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ quotaProducts: 1, quotaDataSets: 1 }));
  const s = await startServer({ args: ['--config', file, '--quota-data-sets', '2'], env: { DP_QUOTA_SPACES: '1' } });
  try {
    assert.equal((await s.api('POST', DP, { body: { name: 'one' } })).status, 201);
    assertQuota(await s.api('POST', DP, { body: { name: 'two' } }), 'data products', 1, '--quota-products');
    assert.equal((await s.api('POST', SPACES, { body: { name: 'one', type: 'shared' } })).status, 201);
    assertQuota(await s.api('POST', SPACES, { body: { name: 'two', type: 'shared' } }), 'spaces', 1, '--quota-spaces');
    for (const n of ['a', 'b']) assert.equal((await s.api('POST', DS, { body: { name: n, technicalName: `${n}.csv` } })).status, 201);
    assertQuota(await s.api('POST', DS, { body: { name: 'c', technicalName: 'c.csv' } }), 'data sets', 2, '--quota-data-sets');
  } finally {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
