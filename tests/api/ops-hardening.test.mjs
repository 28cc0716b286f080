// ops-hardening (issue 8, items 9 and 10): storage conditions are visible
// (503 + Retry-After, a log line naming the SQLite code, /ready, metrics)
// and smaller hardening: repeated query parameters, invisible names, the
// database file mode, API keys per user, and the Host header.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import { startServer, BIN, PG_URL, PG_SKIP } from './lib/server.mjs';

const DP = '/api/data-governance/data-products';

/** Polls until fn() is truthy (log lines arrive asynchronously). */
async function eventually(fn, what) {
  for (let i = 0; i < 100; i++) {
    if (fn()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`timed out waiting for ${what}`);
}

function storageLogLines(srv) {
  return srv.stderr.split('\n').filter((l) => l.includes('"msg":"storage unavailable"')).map((l) => JSON.parse(l));
}

function metric(text, kind) {
  const m = new RegExp(`^dp_db_errors_total\\{kind="${kind}"\\} (\\d+)$`, 'm').exec(text);
  assert.ok(m, `dp_db_errors_total{kind="${kind}"} is exported`);
  return Number(m[1]);
}

describe('storage conditions (DP_FAULT_INJECT=disk:FLAG)', {
  skip: PG_URL ? 'SQLite only: the disk: faults are a SQLite VFS shim' : false,
}, () => {
  let srv;
  let flag;
  before(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dp-disk-'));
    flag = path.join(dir, 'disk-fault');
    srv = await startServer({ dir, env: { DP_FAULT_INJECT: `disk:${flag}` } });
  });
  after(async () => {
    rmSync(flag, { force: true });
    await srv.stop();
  });

  test('disk full: 503 DP-503-STORAGE-UNAVAILABLE + Retry-After, nothing changes, SQLITE_FULL is logged, /ready is 503 until a write succeeds', async () => {
    const before1 = await srv.api('POST', DP, { body: { name: 'Before' } });
    assert.equal(before1.status, 201);
    assert.equal((await srv.api('GET', '/ready')).status, 200);

    writeFileSync(flag, 'full\n');
    const res = await srv.api('POST', DP, { body: { name: 'Lost' } });
    assert.equal(res.status, 503, res.text);
    assert.equal(res.body.errors[0].code, 'DP-503-STORAGE-UNAVAILABLE');
    assert.match(res.body.errors[0].detail, /disk full/);
    assert.equal(res.headers.get('retry-after'), '30');
    const patch = await srv.api('PATCH', `${DP}/${before1.body.id}`, { body: [{ op: 'replace', path: '/name', value: 'X' }] });
    assert.equal(patch.status, 503);

    await eventually(() => storageLogLines(srv).some((l) => l.code === 'SQLITE_FULL'), 'the SQLITE_FULL log line');
    const line = storageLogLines(srv).find((l) => l.code === 'SQLITE_FULL');
    assert.equal(line.level, 'error');
    assert.equal(line.kind, 'full');
    assert.equal(line.error, 'database or disk is full');

    const ready = await srv.api('GET', '/ready');
    assert.equal(ready.status, 503);
    assert.equal(ready.body.errors[0].code, 'DP-503-STORAGE-UNAVAILABLE');
    assert.match(ready.body.errors[0].detail, /SQLITE_FULL/);
    assert.ok(ready.headers.get('retry-after'));

    // reads still work; nothing of the failed writes is visible
    const list = await srv.api('GET', DP);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.data.map((p) => p.name), ['Before']);

    const metrics = await srv.api('GET', '/metrics');
    assert.ok(metric(metrics.text, 'full') >= 2, 'both 503s counted as kind="full"');

    // room again: /ready's probe write succeeds by itself, writes work
    rmSync(flag);
    assert.equal((await srv.api('GET', '/ready')).status, 200);
    assert.equal((await srv.api('POST', DP, { body: { name: 'After' } })).status, 201);
    await eventually(() => srv.stderr.includes('"msg":"storage writable again"'), 'the recovery log line');
  });

  test('read-only database: 503 naming it, SQLITE_READONLY logged; writes work again once the condition is gone', async () => {
    writeFileSync(flag, 'readonly\n');
    const res = await srv.api('POST', '/api/v1/spaces', { body: { name: 'RO', type: 'shared' } });
    assert.equal(res.status, 503, res.text);
    assert.equal(res.body.errors[0].code, 'DP-503-STORAGE-UNAVAILABLE');
    assert.match(res.body.errors[0].detail, /read-only/);
    await eventually(() => storageLogLines(srv).some((l) => l.code === 'SQLITE_READONLY'), 'the SQLITE_READONLY log line');
    assert.equal((await srv.api('GET', '/ready')).status, 503);
    const metrics = await srv.api('GET', '/metrics');
    assert.ok(metric(metrics.text, 'readonly') >= 1);
    rmSync(flag);
    assert.equal((await srv.api('POST', '/api/v1/spaces', { body: { name: 'RW', type: 'shared' } })).status, 201);
    assert.equal((await srv.api('GET', '/ready')).status, 200);
  });

  test('I/O error: 503 with SQLITE_IOERR logged', async () => {
    writeFileSync(flag, 'ioerr\n');
    const res = await srv.api('POST', DP, { body: { name: 'Io' } });
    assert.equal(res.status, 503, res.text);
    assert.equal(res.body.errors[0].code, 'DP-503-STORAGE-UNAVAILABLE');
    await eventually(() => storageLogLines(srv).some((l) => l.code === 'SQLITE_IOERR'), 'the SQLITE_IOERR log line');
    rmSync(flag);
    assert.equal((await srv.api('GET', '/ready')).status, 200);
  });
});

test('the database file and its -wal/-shm files are created 0600', { skip: PG_SKIP }, async () => {
  const srv = await startServer({ skipBootstrap: true });
  try {
    const db = srv.db.replace(/^sqlite:/, '');
    await eventually(() => existsSync(`${db}-wal`) && existsSync(`${db}-shm`), 'the WAL files');
    for (const f of [db, `${db}-wal`, `${db}-shm`]) {
      assert.equal((statSync(f).mode & 0o777).toString(8), '600', `${path.basename(f)} mode`);
    }
  } finally {
    await srv.stop();
  }
});

describe('with one server', () => {
  let srv;
  before(async () => { srv = await startServer(); });
  after(async () => { await srv.stop(); });

  test('a name made only of invisible characters is 400 naming the field, on every resource; nothing is created', async () => {
    const invisible = ['\u200b', '\u00a0\u3000', '\u200c\u200d\u2060\ufeff', ' \u180e ', '\u2800'];
    for (const name of invisible) {
      const cases = [
        ['POST', DP, { name }, 'name'],
        ['POST', '/api/v1/spaces', { name, type: 'shared' }, 'name'],
        ['POST', '/api/v1/data-sets', { name, technicalName: 't.csv' }, 'name'],
        ['POST', '/api/v1/data-sets', { name: 'D', technicalName: name }, 'technicalName'],
        ['POST', '/api/v1/users', { name, email: `u${invisible.indexOf(name)}@example.com`, subject: 's' }, 'name'],
      ];
      for (const [method, p, body, field] of cases) {
        const res = await srv.api(method, p, { body });
        assert.equal(res.status, 400, `${method} ${p} ${JSON.stringify(body)}: ${res.text}`);
        assert.equal(res.body.errors[0].code, 'DP-400-VALIDATION');
        assert.match(res.body.errors[0].detail, new RegExp(`'${field}'`));
      }
    }
    const p = await srv.api('POST', DP, { body: { name: 'Visible' } });
    assert.equal(p.status, 201);
    const patch = await srv.api('PATCH', `${DP}/${p.body.id}`, { body: [{ op: 'replace', path: '/name', value: '\u200b\u200b' }] });
    assert.equal(patch.status, 400, patch.text);
    assert.match(patch.body.errors[0].detail, /name/);
    assert.equal((await srv.api('GET', `${DP}/${p.body.id}`)).body.name, 'Visible');
    const list = await srv.api('GET', DP);
    assert.equal(list.body.total, 1, 'no product with an invisible name');
    const me = (await srv.api('GET', '/api/v1/users/me')).body;
    const up = await srv.api('PATCH', `/api/v1/users/${me.id}`, { body: [{ op: 'replace', path: '/name', value: '\u200b' }] });
    assert.equal(up.status, 400, up.text);
    assert.match(up.body.errors[0].detail, /'name'/);
    // a visible character among invisible ones is a name
    assert.equal((await srv.api('POST', DP, { body: { name: '\u200bA' } })).status, 201);
  });

  test('a query parameter sent twice is 400 naming it unless the route repeats it (tag, spaceId)', async () => {
    const sid = '00000000-0000-4000-8000-000000000001';
    const cases = [
      [`${DP}?limit=1&limit=1000`, 'limit'],
      [`${DP}?page=1&page=x`, 'page'],
      [`${DP}?sort=name&sort=bogus`, 'sort'],
      [`${DP}?activated=true&activated=maybe`, 'activated'],
      [`${DP}?ownerId=${sid}&ownerId=not-a-guid`, 'ownerId'],
      [`${DP}?query=a&query=b`, 'query'],
      [`${DP}?tag=a&limit=5&tag=b&limit=5`, 'limit'],
      ['/api/v1/users?limit=1&limit=2', 'limit'],
      ['/api/v1/api-keys?sub=x&limit=2&sub=y', 'sub'],
      ['/api/v1/spaces?type=shared&type=managed', 'type'],
    ];
    for (const [url, name] of cases) {
      const res = await srv.api('GET', url);
      assert.equal(res.status, 400, `${url}: ${res.text}`);
      assert.equal(res.body.errors[0].code, 'DP-400-INVALID-QUERY');
      assert.match(res.body.errors[0].detail, new RegExp(`'${name}' must not be repeated`), url);
    }
    // spaceId is repeatable too since issue 9 (any of the spaces)
    assert.equal((await srv.api('GET', `${DP}?spaceId=${sid}&spaceId=${sid}`)).status, 200);
    const tagged = await srv.api('POST', DP, { body: { name: 'Tagged', tags: ['a', 'b'] } });
    assert.equal(tagged.status, 201);
    const both = await srv.api('GET', `${DP}?tag=a&tag=b`);
    assert.equal(both.status, 200, both.text);
    assert.deepEqual(both.body.data.map((p) => p.name), ['Tagged']);
    assert.equal((await srv.api('GET', `${DP}?tag=a&tag=zzz`)).body.total, 0, 'every tag must match');
  });
});

test('API keys per user are capped (DP_MAX_KEYS_PER_USER / --max-keys-per-user): one more is 403 DP-403-TOO-MANY-KEYS and creates nothing', async () => {
  const srv = await startServer({ env: { DP_MAX_KEYS_PER_USER: '3' } });
  try {
    const keys = '/api/v1/api-keys';
    // the bootstrap key is the admin's first
    const a = await srv.api('POST', keys, { body: { description: 'a' } });
    const b = await srv.api('POST', keys, { body: { description: 'b' } });
    assert.equal(a.status, 201);
    assert.equal(b.status, 201);
    const over = await srv.api('POST', keys, { body: { description: 'c' } });
    assert.equal(over.status, 403, over.text);
    assert.equal(over.body.errors[0].code, 'DP-403-TOO-MANY-KEYS');
    assert.match(over.body.errors[0].detail, /'sub'.*3 active API keys/);
    assert.equal((await srv.api('GET', keys)).body.data.length, 3, 'nothing was created');

    // the cap is per user: the admin can still make keys for another user
    const u = await srv.api('POST', '/api/v1/users', {
      body: { subject: 'k@example.com', email: 'k@example.com', assignedRoles: [{ name: 'DataProductConsumer' }] },
    });
    assert.equal(u.status, 201, u.text);
    for (let i = 0; i < 3; i++) {
      assert.equal((await srv.api('POST', keys, { body: { description: `u${i}`, sub: u.body.id } })).status, 201);
    }
    const userOver = await srv.api('POST', keys, { body: { description: 'u3', sub: u.body.id } });
    assert.equal(userOver.status, 403);
    assert.equal(userOver.body.errors[0].code, 'DP-403-TOO-MANY-KEYS');

    // deleting (revoking) one frees a slot
    assert.equal((await srv.api('DELETE', `${keys}/${a.body.id}`)).status, 204);
    assert.equal((await srv.api('POST', keys, { body: { description: 'c' } })).status, 201);
  } finally {
    await srv.stop();
  }
});

/** GET with an explicit Host header (fetch cannot set one). */
function getWithHost(srv, p, host) {
  const u = new URL(srv.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: p, method: 'GET',
      headers: { Host: host, Authorization: `Bearer ${srv.key}` } }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, text, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('--allowed-hosts (DP_ALLOWED_HOSTS): another Host is 400 DP-400-HOST-NOT-ALLOWED; listed ones build the links', async () => {
  const srv = await startServer({ env: { DP_ALLOWED_HOSTS: 'dp.example.com, 127.0.0.1' } });
  try {
    const evil = await getWithHost(srv, DP, 'evil.example');
    assert.equal(evil.status, 400, evil.text);
    assert.equal(evil.body.errors[0].code, 'DP-400-HOST-NOT-ALLOWED');
    assert.match(evil.body.errors[0].detail, /'Host'.*evil\.example/);
    const suffix = await getWithHost(srv, DP, 'dp.example.com.evil.example');
    assert.equal(suffix.status, 400, 'no suffix match');

    const ok = await getWithHost(srv, DP, 'DP.example.com:8443');
    assert.equal(ok.status, 200, ok.text);
    assert.match(ok.body.links.self.href, /^http:\/\/DP\.example\.com:8443\//);
    assert.equal((await getWithHost(srv, DP, new URL(srv.url).host)).status, 200, 'the listen address is listed');
    // operational endpoints answer probes addressed by IP or any name
    assert.equal((await getWithHost(srv, '/health', 'evil.example')).status, 200);
  } finally {
    await srv.stop();
  }
});

test('--allowed-hosts with a malformed entry stops the server from starting', () => {
  const r = spawnSync(BIN, ['serve', '--listen', '127.0.0.1:0', '--allowed-hosts', 'good.example, bad host'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--allowed-hosts .*expected a comma-separated list/);
});

test('--workers 0 on SQLite is refused: nothing else would ever run the computations', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dp-w0-'));
  try {
    const r = spawnSync(BIN, ['serve', '--listen', '127.0.0.1:0', '--workers', '0', '--db', `sqlite:${path.join(dir, 'dp.db')}`], { encoding: 'utf8', timeout: 10000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--workers 0 \(an API-only instance\) needs a PostgreSQL database/);
    assert.equal(existsSync(path.join(dir, 'dp.db')), false, 'no database was created');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
