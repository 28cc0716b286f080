// data-root: where quality computations may read files (issue 8, SPEC §5
// revised, docs/decisions.md "Issue 8 — tenant files and the database file").
//
//   - each tenant reads only <data-root>/<tenantId>/: another tenant's file is
//     "no file" (DQ-100), the same code as a file that does not exist;
//   - a symlink out of the tenant's directory is DQ-130 whether or not its
//     target exists (the code reveals nothing about files outside);
//   - only users who may edit the data set and hold DataProductCreator (or
//     TenantAdmin) point a data set at a file or start a computation;
//   - a FIFO, a directory, the database (hard link) and its -wal are never
//     read (DQ-160) and never block the worker; the database keeps its locks,
//     so acknowledged writes survive another process opening the database;
//   - serve refuses a data root containing the database;
//   - a file over --quality-max-bytes fails DQ-170.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { startServer, bootstrap, BIN, PG_SKIP, removeDir } from './lib/server.mjs';
import { DP, assertError, uniqueName } from './lib/fixtures.mjs';

const DQ = '/api/data-governance/data-qualities';
const ARGS = ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0'];
const SECRET = 'id,secret\n1,tenant-a-password-1\n2,tenant-a-password-2\n';
const PLAIN = 'id,name\n1,alpha\n2,beta\n';

/** Writes <data-root>/<sub>/<name> (sub = a tenant id, or '' for the root). */
function put(srv, sub, name, content) {
  const file = path.join(srv.dir, 'data', sub, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

function tenantDir(srv, tenantId) {
  const d = path.join(srv.dir, 'data', tenantId);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

async function mkDataSet(srv, location, key) {
  const name = uniqueName('ds');
  const res = await srv.api('POST', '/api/v1/data-sets', {
    key,
    body: { name, technicalName: `${name}.csv`, ...(location ? { operational: { location } } : {}) },
  });
  assert.equal(res.status, 201, `data set: ${res.text}`);
  return res.body;
}

/** POST computations, then poll until SUCCEEDED/FAILED (10 s at most). */
async function compute(srv, datasetId, key) {
  const start = await srv.api('POST', `${DQ}/computations`, { key, body: { datasetId } });
  assert.equal(start.status, 202, `compute: ${start.text}`);
  const id = start.body.computationId;
  const deadline = Date.now() + 10000;
  for (;;) {
    const res = await srv.api('GET', `${DQ}/computations/${id}`, { key });
    assert.equal(res.status, 200, res.text);
    if (res.body.status === 'SUCCEEDED' || res.body.status === 'FAILED') return res.body;
    if (Date.now() > deadline) assert.fail(`computation of ${datasetId} not finished after 10 s (worker blocked?): ${res.text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function mkUser(srv, label, roles) {
  const res = await srv.api('POST', '/api/v1/users', {
    body: {
      subject: `auth0|${label}-${process.pid}`,
      email: `${label}-${process.pid}@example.com`,
      name: label,
      assignedRoles: roles.map((name) => ({ name })),
    },
  });
  assert.equal(res.status, 201, `user ${label}: ${res.text}`);
  const key = await srv.api('POST', '/api/v1/api-keys', { body: { description: `key of ${label}`, sub: res.body.id } });
  assert.equal(key.status, 201, key.text);
  return { id: res.body.id, key: key.body.token };
}

// ----------------------------------------------------------------- tenants

describe('each tenant reads only its own directory', () => {
  let srv;
  let a; // tenant "default"
  let b; // tenant "other"

  before(async () => {
    srv = await startServer({ args: ARGS });
    a = srv.admin;
    b = bootstrap(srv.db, 'other', 'other@example.com');
    // A's upload, in A's directory; the old shared layout put it at the
    // root, so it is there too: neither copy may reach tenant B
    put(srv, a.tenantId, 'secret.csv', SECRET);
    put(srv, '', 'secret.csv', SECRET);
    tenantDir(srv, b.tenantId);
  });

  after(async () => {
    if (srv) await srv.stop();
  });

  test("tenant B pointing at tenant A's file gets DQ-100 and no values in /profiles", async () => {
    const ds = await mkDataSet(srv, 'secret.csv', b.apiKey);
    const done = await compute(srv, ds.id, b.apiKey);
    assert.equal(done.status, 'FAILED', JSON.stringify(done));
    assert.equal(done.error.errorCode, 'DQ-100');
    const prof = await srv.api('GET', `/api/v1/data-sets/${ds.id}/profiles`, { key: b.apiKey });
    assert.equal(prof.status, 200, prof.text);
    assert.deepEqual(prof.body.data, []);
    assert.ok(!prof.text.includes('tenant-a-password'), prof.text);
  });

  test('the code for an existing file of A equals the code for no file at all', async () => {
    const ds = await mkDataSet(srv, 'no-such-file.csv', b.apiKey);
    const done = await compute(srv, ds.id, b.apiKey);
    assert.equal(done.error.errorCode, 'DQ-100');
  });

  test('tenant A still reads its own file (from <data-root>/<tenantId>/)', async () => {
    const ds = await mkDataSet(srv, 'secret.csv', a.apiKey);
    const done = await compute(srv, ds.id, a.apiKey);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    const prof = await srv.api('GET', `/api/v1/data-sets/${ds.id}/profiles`, { key: a.apiKey });
    assert.equal(prof.body.data[0].profiles[0].numberOfRows, 2);
  });

  test("a symlink out of B's directory is DQ-130 whether or not its target exists", async () => {
    const dir = tenantDir(srv, b.tenantId);
    fs.symlinkSync(path.join(srv.dir, 'data', a.tenantId, 'secret.csv'), path.join(dir, 'abs-existing.csv'));
    fs.symlinkSync(path.join(srv.dir, 'data', a.tenantId, 'nothing.csv'), path.join(dir, 'abs-missing.csv'));
    fs.symlinkSync(`../${a.tenantId}/secret.csv`, path.join(dir, 'rel-existing.csv'));
    fs.symlinkSync(`../${a.tenantId}/nothing.csv`, path.join(dir, 'rel-missing.csv'));
    const codes = {};
    for (const loc of ['abs-existing.csv', 'abs-missing.csv', 'rel-existing.csv', 'rel-missing.csv']) {
      const ds = await mkDataSet(srv, loc, b.apiKey);
      const done = await compute(srv, ds.id, b.apiKey);
      codes[loc] = `${done.status} ${done.error?.errorCode}`;
    }
    assert.deepEqual(codes, {
      'abs-existing.csv': 'FAILED DQ-130',
      'abs-missing.csv': 'FAILED DQ-130',
      'rel-existing.csv': 'FAILED DQ-130',
      'rel-missing.csv': 'FAILED DQ-130',
    });
  });

  test('a symlink that stays inside the tenant directory is followed', async () => {
    const dir = tenantDir(srv, b.tenantId);
    fs.writeFileSync(path.join(dir, 'real.csv'), PLAIN);
    fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
    fs.symlinkSync('../real.csv', path.join(dir, 'sub', 'alias.csv'));
    const ds = await mkDataSet(srv, 'sub/alias.csv', b.apiKey);
    const done = await compute(srv, ds.id, b.apiKey);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
  });
});

// ----------------------------------------------------------------- rights

describe('who may point a data set at a file and start a computation', () => {
  let srv;
  let consumer; // DataProductConsumer only
  let creator; // DataProductCreator
  let ds; // the admin's data set (no space) with a readable file

  before(async () => {
    srv = await startServer({ args: ARGS });
    put(srv, srv.admin.tenantId, 'f.csv', PLAIN);
    put(srv, '', 'f.csv', PLAIN); // the old layout, so the test means the same on an old server
    consumer = await mkUser(srv, 'consumer', ['DataProductConsumer']);
    creator = await mkUser(srv, 'creator', ['DataProductCreator']);
    ds = await mkDataSet(srv, 'f.csv');
  });

  after(async () => {
    if (srv) await srv.stop();
  });

  test('a consumer cannot start a computation: 403, nothing queued', async () => {
    const res = await srv.api('POST', `${DQ}/computations`, { key: consumer.key, body: { datasetId: ds.id } });
    assertError(res, 403, 'DP-403-FORBIDDEN', 'DataProductCreator');
    // authorisation before body validation
    const bad = await srv.api('POST', `${DQ}/computations`, { key: consumer.key, body: { nope: 1 } });
    assertError(bad, 403, 'DP-403-FORBIDDEN');
    const f = await srv.api('POST', `${DQ}/global-results/actions/filter`, { body: { datasetIds: [ds.id] } });
    assert.deepEqual(f.body, { dataQualities: [] }, 'no computation was recorded');
  });

  test("a creator cannot compute another user's data set (no space, not the owner): 403", async () => {
    const res = await srv.api('POST', `${DQ}/computations`, { key: creator.key, body: { datasetId: ds.id } });
    assertError(res, 403, 'DP-403-FORBIDDEN', ds.id);
  });

  test('a consumer cannot point a data set at a file (create, PUT, PATCH): 403 naming operational.location', async () => {
    const name = uniqueName('ds');
    const res = await srv.api('POST', '/api/v1/data-sets', {
      key: consumer.key,
      body: { name, technicalName: 'x.csv', operational: { location: 'f.csv' } },
    });
    assertError(res, 403, 'DP-403-FORBIDDEN', 'operational.location');
    // metadata-only is fine, and so is editing it without a location
    const own = await mkDataSet(srv, null, consumer.key);
    const patch = await srv.api('PATCH', `/api/v1/data-sets/${own.id}`, {
      key: consumer.key, body: [{ op: 'add', path: '/operational', value: { location: 'f.csv' } }],
    });
    assertError(patch, 403, 'DP-403-FORBIDDEN', 'operational.location');
    const put2 = await srv.api('PUT', `/api/v1/data-sets/${own.id}`, {
      key: consumer.key, body: { name: own.name, technicalName: own.technicalName, operational: { location: 'f.csv' } },
    });
    assertError(put2, 403, 'DP-403-FORBIDDEN', 'operational.location');
    const desc = await srv.api('PATCH', `/api/v1/data-sets/${own.id}`, {
      key: consumer.key, body: [{ op: 'add', path: '/description', value: 'still mine' }],
    });
    assert.equal(desc.status, 200, desc.text);
  });

  test('a creator computes its own data set; the admin computes any', async () => {
    const mine = await mkDataSet(srv, 'f.csv', creator.key);
    assert.equal((await compute(srv, mine.id, creator.key)).status, 'SUCCEEDED');
    assert.equal((await compute(srv, ds.id)).status, 'SUCCEEDED');
  });

  test("the product action needs edit rights on the product: a consumer is refused", async () => {
    const p = await srv.api('POST', DP, { body: { name: uniqueName('product'), datasetIds: [ds.id] } });
    assert.equal(p.status, 201, p.text);
    const res = await srv.api('POST', `${DP}/${p.body.id}/actions/compute-datasets-data-quality`, { key: consumer.key });
    assert.ok([403, 404].includes(res.status), res.text);
  });
});

// ----------------------------------------------------------------- special files and the database

describe('only regular files, never the database, never a blocked worker', () => {
  let srv;
  let dir;
  let tenant;

  before(async () => {
    srv = await startServer({ args: ARGS, keepDir: true });
    tenant = srv.admin.tenantId;
    dir = tenantDir(srv, tenant);
    fs.mkdirSync(path.join(srv.dir, 'data'), { recursive: true });
  });

  after(async () => {
    if (srv && srv.child.exitCode === null && srv.child.signalCode === null) await srv.stop();
    removeDir(srv.dir);
  });

  test('a FIFO is DQ-160 at once, and a normal file computed afterwards still finishes', async () => {
    execFileSync('mkfifo', [path.join(dir, 'pipe.csv')]);
    execFileSync('mkfifo', [path.join(srv.dir, 'data', 'pipe.csv')]); // the old layout's place
    const ds = await mkDataSet(srv, 'pipe.csv');
    const done = await compute(srv, ds.id);
    assert.deepEqual([done.status, done.error?.errorCode], ['FAILED', 'DQ-160']);
    put(srv, tenant, 'after-fifo.csv', PLAIN);
    put(srv, '', 'after-fifo.csv', PLAIN);
    const ok = await compute(srv, (await mkDataSet(srv, 'after-fifo.csv')).id);
    assert.equal(ok.status, 'SUCCEEDED', JSON.stringify(ok));
  });

  test('a directory is DQ-160', async () => {
    fs.mkdirSync(path.join(dir, 'a-dir.csv'));
    const done = await compute(srv, (await mkDataSet(srv, 'a-dir.csv')).id);
    assert.deepEqual([done.status, done.error?.errorCode], ['FAILED', 'DQ-160']);
  });

  test('a symlink to the database is DQ-130; a hard link to it or to its -wal is DQ-160; no write is lost', { skip: PG_SKIP }, async () => {
    const dbFile = srv.db.slice('sqlite:'.length);
    assert.ok(fs.existsSync(`${dbFile}-wal`), 'the server runs in WAL mode');
    fs.symlinkSync(dbFile, path.join(dir, 'db-symlink.csv'));
    fs.linkSync(dbFile, path.join(dir, 'db-link.csv'));
    fs.linkSync(`${dbFile}-wal`, path.join(dir, 'wal-link.csv'));
    // the old layout's places, so an old server reads the same inodes
    fs.linkSync(dbFile, path.join(srv.dir, 'data', 'db-link.csv'));
    fs.linkSync(`${dbFile}-wal`, path.join(srv.dir, 'data', 'wal-link.csv'));
    const got = {};
    for (const loc of ['db-symlink.csv', 'db-link.csv', 'wal-link.csv']) {
      const done = await compute(srv, (await mkDataSet(srv, loc)).id);
      got[loc] = `${done.status} ${done.error?.errorCode}`;
    }
    // acknowledged writes, another process opening and closing the database
    // (the documented `bootstrap` while the server runs), more writes
    const ids = [];
    for (let i = 0; i < 10; i++) ids.push((await mkDataSet(srv, null)).id);
    bootstrap(srv.db, 'default', 'admin@example.com');
    for (let i = 0; i < 10; i++) ids.push((await mkDataSet(srv, null)).id);
    assert.ok(fs.existsSync(`${dbFile}-wal`), 'the live -wal was deleted under the server');
    await srv.kill9();
    const again = await startServer({ args: ARGS, dir: srv.dir, skipBootstrap: true, keepDir: true });
    try {
      let found = 0;
      for (const id of ids) {
        const r = await again.api('GET', `/api/v1/data-sets/${id}`, { key: srv.key });
        if (r.status === 200) found++;
      }
      assert.equal(found, ids.length, `${ids.length - found} of ${ids.length} acknowledged writes lost`);
    } finally {
      await again.stop();
    }
    assert.deepEqual(got, {
      'db-symlink.csv': 'FAILED DQ-130',
      'db-link.csv': 'FAILED DQ-160',
      'wal-link.csv': 'FAILED DQ-160',
    });
  });
});

// ----------------------------------------------------------------- start-up and budgets

describe('serve refuses a data root that contains the database', () => {
  test('--data-root = the database directory: exit 2 with a message naming both', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-root-'));
    try {
      const db = `sqlite:${path.join(dir, 'var', 'dp.db')}`;
      bootstrap(db, 'default', 'admin@example.com');
      for (const root of [path.join(dir, 'var'), dir]) {
        const r = spawnSync(BIN, ['serve', '--listen', '127.0.0.1:0', '--db', db, '--data-root', root],
          { encoding: 'utf8', timeout: 5000 });
        assert.equal(r.status, 2, `serve with --data-root ${root} must refuse: ${r.stderr}`);
        assert.match(r.stderr, /database .* is inside --data-root/);
        assert.doesNotMatch(r.stderr, /"msg":"listening"/);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('budgets', () => {
  let srv;

  before(async () => {
    srv = await startServer({ args: [...ARGS, '--quality-max-bytes', '1000'] });
  });

  after(async () => {
    if (srv) await srv.stop();
  });

  test('a file over --quality-max-bytes is FAILED DQ-170; one within it succeeds', async () => {
    const big = `id,name\n${'1,abcdefgh\n'.repeat(200)}`; // 2008 bytes
    put(srv, srv.admin.tenantId, 'big.csv', big);
    put(srv, srv.admin.tenantId, 'small.csv', PLAIN);
    const done = await compute(srv, (await mkDataSet(srv, 'big.csv')).id);
    assert.deepEqual([done.status, done.error?.errorCode], ['FAILED', 'DQ-170']);
    assert.match(done.error.reason, /1000/);
    const ok = await compute(srv, (await mkDataSet(srv, 'small.csv')).id);
    assert.equal(ok.status, 'SUCCEEDED', JSON.stringify(ok));
  });

  test('budgets must be positive integers', () => {
    for (const [flag, value] of [['--quality-max-bytes', '0'], ['--quality-max-seconds', '0'], ['--quality-max-seconds', 'x']]) {
      const r = spawnSync(BIN, ['serve', '--listen', '127.0.0.1:0', flag, value], { encoding: 'utf8', timeout: 5000 });
      assert.equal(r.status, 2, `${flag} ${value}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(flag));
    }
  });
});
