// sessions: the web app's browser sessions (issue 9, SPEC §6) and the two
// product endpoints the app needs (rights, rendered readMe), black-box.
//
//   POST /auth/sign-in {"apiKey"} -> 200 {user} + Set-Cookie dp_session
//   POST /auth/sign-out -> 204 + deleting Set-Cookie; GET /auth/session
//   /api/* with the cookie instead of a bearer key; unsafe methods need the
//   server's Origin (403 DP-403-ORIGIN)
//   GET /api/app/data-products/{id}/rights | /readme
//
// Three servers: `srv` with defaults (sign-in limit off), `short` with tiny
// session lifetimes, a 3/minute Tier 1 limit, a sign-in limit and an https
// --public-url, and `pub` for the Secure flag only.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, bootstrap, MISSING_ID } from './lib/server.mjs';
import { dbSql, isPg } from './lib/db.mjs';
import { DP, assertError, uniqueName, makeSpace, makeDataSet, makeProduct, pause } from './lib/fixtures.mjs';

const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;
const STALE = '"00000000000000000000000000000000"';

let srv;   // defaults
let other; // a second tenant on srv: {tenantId, userId, apiKey}
const tokens = new Set(); // every session id handed out, for the log check

before(async () => {
  srv = await startServer({ args: ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0', '--sign-in-rate-limit', '0'] });
  other = bootstrap(srv.db, 'other', 'o@x.com');
});

after(async () => {
  if (srv) await srv.stop();
});

// ---------------------------------------------------------------- helpers

/** POST /auth/sign-in; origin null sends none. */
async function signIn(s, apiKey, { origin = s.url, body } = {}) {
  const headers = origin ? { Origin: origin } : {};
  return s.api('POST', '/auth/sign-in', { key: null, headers, body: body ?? { apiKey } });
}

/** The dp_session value a response sets, or undefined. */
function cookieOf(res) {
  const sc = res.headers.get('set-cookie');
  const m = sc && /^dp_session=([^;]*);/.exec(sc);
  return m ? m[1] : undefined;
}

/** Signs in and returns the session id (asserting 200). */
async function session(s, apiKey) {
  const res = await signIn(s, apiKey);
  assert.equal(res.status, 200, res.text);
  const c = cookieOf(res);
  assert.match(c, TOKEN_RE);
  tokens.add(c);
  return c;
}

/** srv.api with the cookie instead of a key; origin: true = the server's own. */
function as(s, cookie, method, p, { origin, body, headers = {} } = {}) {
  const h = { Cookie: `dp_session=${cookie}`, ...headers };
  if (origin === true) h.Origin = s.url;
  else if (origin) h.Origin = origin;
  return s.api(method, p, { key: null, headers: h, body });
}

let userSeq = 0;
/** A user with tenant roles and one API key (made by srv's admin). */
async function mkUser(s, roles, label = `u${++userSeq}`) {
  const u = await s.api('POST', '/api/v1/users', {
    body: { subject: `sub|${label}-${process.pid}`, email: `${label}-${process.pid}@example.com`, name: label,
      assignedRoles: roles.map((name) => ({ name })) },
  });
  assert.equal(u.status, 201, u.text);
  const k = await s.api('POST', '/api/v1/api-keys', { body: { description: label, sub: u.body.id } });
  assert.equal(k.status, 201, k.text);
  return { id: u.body.id, key: k.body.token, keyId: k.body.id, label };
}

const sessionRows = (s) => Number(dbSql(s.db, 'SELECT count(*) FROM sessions'));

// ---------------------------------------------------------------- sign-in

describe('sign-in', () => {
  test('sets dp_session with exactly HttpOnly, SameSite=Strict, Path=/ (no Secure on http) and answers the user', async () => {
    const res = await signIn(srv, srv.key);
    assert.equal(res.status, 200, res.text);
    const sc = res.headers.get('set-cookie');
    const [pair, ...attrs] = sc.split('; ');
    assert.match(pair, /^dp_session=[A-Za-z0-9_-]{43}$/);
    tokens.add(pair.slice('dp_session='.length));
    assert.deepEqual(attrs.sort(), ['HttpOnly', 'Max-Age=604800', 'Path=/', 'SameSite=Strict']);
    const me = await srv.api('GET', '/api/v1/users/me');
    assert.deepEqual(res.body, {
      user: { id: srv.admin.userId, name: me.body.name, email: 'admin@example.com', tenantId: srv.admin.tenantId, roles: ['TenantAdmin'] },
    });
  });

  test('two sign-ins give two different sessions', async () => {
    const a = await session(srv, srv.key);
    const b = await session(srv, srv.key);
    assert.notEqual(a, b);
  });

  test('signing in again in the same browser ends the session it replaces', async () => {
    const u = await mkUser(srv, ['DataProductConsumer']);
    const old = await session(srv, srv.key);
    const res = await srv.api('POST', '/auth/sign-in', { key: null, headers: { Origin: srv.url, Cookie: `dp_session=${old}` }, body: { apiKey: u.key } });
    assert.equal(res.status, 200, res.text);
    const fresh = cookieOf(res);
    tokens.add(fresh);
    assert.notEqual(fresh, old, 'a new id is minted, never the one the browser sent');
    assertError(await as(srv, old, 'GET', '/auth/session'), 401, 'DP-401-UNAUTHORIZED');
    assert.equal((await as(srv, fresh, 'GET', '/auth/session')).body.user.id, u.id);
    // a cookie naming no live session changes nothing
    const again = await srv.api('POST', '/auth/sign-in', { key: null, headers: { Origin: srv.url, Cookie: `dp_session=${old}` }, body: { apiKey: u.key } });
    assert.equal(again.status, 200, again.text);
    tokens.add(cookieOf(again));
  });

  test('unknown, revoked, expired keys and disabled users: the same 401, no cookie', async () => {
    const u = await mkUser(srv, ['DataProductConsumer']);
    const revoked = await mkUser(srv, ['DataProductConsumer']);
    assert.equal((await srv.api('DELETE', `/api/v1/api-keys/${revoked.keyId}`)).status, 204);
    assert.equal((await srv.api('PATCH', `/api/v1/users/${u.id}`, { body: [{ op: 'replace', path: '/status', value: 'disabled' }] })).status, 204);
    const details = new Set();
    for (const k of ['dp_nope', u.key, revoked.key, 'x'.repeat(300), '']) {
      const res = await signIn(srv, k);
      const e = assertError(res, 401, 'DP-401-UNAUTHORIZED');
      details.add(e.detail);
      assert.equal(res.headers.get('set-cookie'), null);
    }
    assert.equal(details.size, 1, 'one answer for every reason');
  });

  test('a key that expired no longer signs in', async () => {
    const u = await mkUser(srv, ['DataProductConsumer']);
    const k = await srv.api('POST', '/api/v1/api-keys', { body: { description: 'short', sub: u.id, expiry: 'PT1S' } });
    assert.equal(k.status, 201, k.text);
    await pause(1200);
    assertError(await signIn(srv, k.body.token), 401, 'DP-401-UNAUTHORIZED');
  });

  test('bad bodies are 400 and name the field', async () => {
    assertError(await signIn(srv, null, { body: {} }), 400, 'DP-400-VALIDATION', 'apiKey');
    assertError(await signIn(srv, null, { body: { apiKey: 5 } }), 400, 'DP-400-VALIDATION', 'apiKey');
    assertError(await signIn(srv, null, { body: { apiKey: srv.key, extra: 1 } }), 400, 'DP-400-VALIDATION', 'extra');
  });

  test('needs the server\'s Origin (login CSRF)', async () => {
    const before_ = sessionRows(srv);
    for (const origin of [null, 'http://evil.example', `${srv.url}.evil.example`, 'null', srv.url.replace('http:', 'https:')]) {
      const res = await signIn(srv, srv.key, { origin });
      assertError(res, 403, 'DP-403-ORIGIN');
      assert.equal(res.headers.get('set-cookie'), null);
    }
    assert.equal(sessionRows(srv), before_, 'no session was made');
  });

  test('GET /auth/session: who am I, or 401', async () => {
    const c = await session(srv, srv.key);
    const me = await as(srv, c, 'GET', '/auth/session');
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.user.id, srv.admin.userId);
    assertError(await srv.api('GET', '/auth/session', { key: null }), 401, 'DP-401-UNAUTHORIZED');
    assertError(await as(srv, 'A'.repeat(43), 'GET', '/auth/session'), 401, 'DP-401-UNAUTHORIZED');
    assertError(await as(srv, 'short', 'GET', '/auth/session'), 401, 'DP-401-UNAUTHORIZED');
  });
});

// ---------------------------------------------------------------- using the cookie

describe('the cookie on /api/', () => {
  let c;
  before(async () => { c = await session(srv, srv.key); });

  test('reads work: users/me, lists, a product', async () => {
    const me = await as(srv, c, 'GET', '/api/v1/users/me');
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.id, srv.admin.userId);
    const p = await makeProduct(srv);
    const list = await as(srv, c, 'GET', `${DP}?limit=100`);
    assert.equal(list.status, 200, list.text);
    assert.ok(list.body.data.some((x) => x.id === p.id));
    assert.equal((await as(srv, c, 'GET', '/api/v1/spaces')).status, 200);
    assert.equal((await as(srv, c, 'GET', `${DP}/${p.id}`)).status, 200);
  });

  test('POST/PATCH/DELETE without Origin or with a foreign one: 403 DP-403-ORIGIN, nothing changed', async () => {
    const name = uniqueName('csrf-space');
    for (const origin of [undefined, 'http://evil.example', 'null']) {
      assertError(await as(srv, c, 'POST', '/api/v1/spaces', { origin, body: { name, type: 'shared' } }), 403, 'DP-403-ORIGIN');
    }
    const spaces = await srv.api('GET', `/api/v1/spaces?name=${name}`);
    assert.equal(spaces.body.data.length, 0, 'no space was made');

    const p = await makeProduct(srv, { description: 'before' });
    const patch = [{ op: 'replace', path: '/description', value: 'after' }];
    for (const origin of [undefined, 'http://evil.example']) {
      assertError(await as(srv, c, 'PATCH', `${DP}/${p.id}`, { origin, body: patch }), 403, 'DP-403-ORIGIN');
      assertError(await as(srv, c, 'DELETE', `${DP}/${p.id}`, { origin }), 403, 'DP-403-ORIGIN');
    }
    const got = await srv.api('GET', `${DP}/${p.id}`);
    assert.equal(got.status, 200);
    assert.equal(got.body.description, 'before');
  });

  test('with the server\'s Origin they work', async () => {
    const made = await as(srv, c, 'POST', '/api/v1/spaces', { origin: true, body: { name: uniqueName('ok-space'), type: 'shared' } });
    assert.equal(made.status, 201, made.text);
    assert.equal(made.body.ownerId, srv.admin.userId);
    const p = await makeProduct(srv);
    assert.equal((await as(srv, c, 'PATCH', `${DP}/${p.id}`, { origin: true, body: [{ op: 'replace', path: '/description', value: 'x' }] })).status, 204);
    assert.equal((await srv.api('GET', `${DP}/${p.id}`)).body.description, 'x');
    assert.equal((await as(srv, c, 'DELETE', `${DP}/${p.id}`, { origin: true })).status, 204);
    assert.equal((await srv.api('GET', `${DP}/${p.id}`)).status, 404);
  });

  test('bearer requests are not Origin-checked; a bearer header wins over the cookie', async () => {
    const made = await srv.api('POST', '/api/v1/spaces', { body: { name: uniqueName('bearer'), type: 'shared' }, headers: { Origin: 'http://evil.example' } });
    assert.equal(made.status, 201, made.text);
    const u = await mkUser(srv, ['DataProductConsumer']);
    const both = await srv.api('GET', '/api/v1/users/me', { key: u.key, headers: { Cookie: `dp_session=${c}` } });
    assert.equal(both.body.id, u.id, 'the bearer key decides');
    assertError(await srv.api('GET', '/api/v1/users/me', { key: 'dp_wrong', headers: { Cookie: `dp_session=${c}` } }), 401, 'DP-401-UNAUTHORIZED');
  });

  test('a second dp_session cookie (planted) is refused', async () => {
    const c2 = await session(srv, srv.key);
    const res = await srv.api('GET', '/api/v1/users/me', { key: null, headers: { Cookie: `dp_session=${c}; dp_session=${c2}` } });
    assertError(res, 401, 'DP-401-UNAUTHORIZED');
  });

  test('a session of tenant A on tenant B\'s resources: 404', async () => {
    const theirs = await srv.api('POST', DP, { key: other.apiKey, body: { name: uniqueName('theirs') } });
    assert.equal(theirs.status, 201, theirs.text);
    const id = theirs.body.id;
    assertError(await as(srv, c, 'GET', `${DP}/${id}`), 404, 'DP-404-NOT-FOUND');
    assertError(await as(srv, c, 'PATCH', `${DP}/${id}`, { origin: true, body: [{ op: 'replace', path: '/description', value: 'x' }] }), 404, 'DP-404-NOT-FOUND');
    assertError(await as(srv, c, 'GET', `/api/app/data-products/${id}/rights`), 404, 'DP-404-NOT-FOUND');
    assertError(await as(srv, c, 'GET', `/api/app/data-products/${id}/readme`), 404, 'DP-404-NOT-FOUND');
    assertError(await as(srv, c, 'GET', `/api/v1/users/${other.userId}`), 404, 'DP-404-NOT-FOUND');
    // and B's own session sees it
    const cb = await session(srv, other.apiKey);
    assert.equal((await as(srv, cb, 'GET', `${DP}/${id}`)).status, 200);
  });
});

// ---------------------------------------------------------------- ending sessions

describe('sessions end', () => {
  test('sign-out: 204, clears the cookie, the old cookie is 401; again 204', async () => {
    const c = await session(srv, srv.key);
    assertError(await as(srv, c, 'POST', '/auth/sign-out'), 403, 'DP-403-ORIGIN');
    assert.equal((await as(srv, c, 'GET', '/api/v1/users/me')).status, 200, 'a refused sign-out ends nothing');
    const out = await as(srv, c, 'POST', '/auth/sign-out', { origin: true });
    assert.equal(out.status, 204);
    assert.equal(out.headers.get('set-cookie'), 'dp_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict');
    assertError(await as(srv, c, 'GET', '/api/v1/users/me'), 401, 'DP-401-UNAUTHORIZED');
    assertError(await as(srv, c, 'GET', '/auth/session'), 401, 'DP-401-UNAUTHORIZED');
    assert.equal((await as(srv, c, 'POST', '/auth/sign-out', { origin: true })).status, 204, 'idempotent');
    assert.equal((await srv.api('POST', '/auth/sign-out', { key: null, headers: { Origin: srv.url } })).status, 204, 'no cookie at all');
  });

  test('deleting the user, disabling the user or revoking the key kills the session (rows gone too)', async () => {
    const count = (userId) => Number(dbSql(srv.db, `SELECT count(*) FROM sessions WHERE user_id = '${userId}'`));
    const a = await mkUser(srv, ['DataProductConsumer']);
    const ca = await session(srv, a.key);
    assert.equal((await as(srv, ca, 'GET', '/api/v1/users/me')).status, 200);
    assert.equal(count(a.id), 1);
    assert.equal((await srv.api('DELETE', `/api/v1/users/${a.id}`)).status, 204);
    assert.equal(count(a.id), 0, 'deleted with the user');
    assertError(await as(srv, ca, 'GET', '/api/v1/users/me'), 401, 'DP-401-UNAUTHORIZED');

    const b = await mkUser(srv, ['DataProductConsumer']);
    const cb = await session(srv, b.key);
    assert.equal((await srv.api('PATCH', `/api/v1/users/${b.id}`, { body: [{ op: 'replace', path: '/status', value: 'disabled' }] })).status, 204);
    assert.equal(count(b.id), 0, 'deleted when the user is disabled');
    assertError(await as(srv, cb, 'GET', '/api/v1/users/me'), 401, 'DP-401-UNAUTHORIZED');
    // enabling the user again does not bring the session back
    assert.equal((await srv.api('PATCH', `/api/v1/users/${b.id}`, { body: [{ op: 'replace', path: '/status', value: 'active' }] })).status, 204);
    assertError(await as(srv, cb, 'GET', '/api/v1/users/me'), 401, 'DP-401-UNAUTHORIZED');

    const d = await mkUser(srv, ['DataProductConsumer']);
    const cd = await session(srv, d.key);
    const k2 = await srv.api('POST', '/api/v1/api-keys', { body: { description: 'second', sub: d.id } });
    const cd2 = await session(srv, k2.body.token);
    assert.equal((await srv.api('DELETE', `/api/v1/api-keys/${d.keyId}`)).status, 204);
    assert.equal(count(d.id), 1, 'only the revoked key\'s session is gone');
    assertError(await as(srv, cd, 'GET', '/api/v1/users/me'), 401, 'DP-401-UNAUTHORIZED');
    assert.equal((await as(srv, cd2, 'GET', '/api/v1/users/me')).status, 200, 'a session of the other key lives on');
  });

  test('a session ends when the key it was made with expires', async () => {
    const u = await mkUser(srv, ['DataProductConsumer']);
    const k = await srv.api('POST', '/api/v1/api-keys', { body: { description: 'short', sub: u.id, expiry: 'PT2S' } });
    const c = await session(srv, k.body.token);
    assert.equal((await as(srv, c, 'GET', '/api/v1/users/me')).status, 200);
    await pause(2200);
    assertError(await as(srv, c, 'GET', '/api/v1/users/me'), 401, 'DP-401-UNAUTHORIZED');
  });

  test('role changes apply to a live session at once', async () => {
    const u = await mkUser(srv, ['DataProductConsumer']);
    const c = await session(srv, u.key);
    assertError(await as(srv, c, 'POST', '/api/v1/users', { origin: true, body: { subject: 's', email: `x${process.pid}@y.z` } }), 403, 'DP-403-FORBIDDEN');
    assert.equal((await srv.api('PATCH', `/api/v1/users/${u.id}`, { body: [{ op: 'replace', path: '/assignedRoles', value: [{ name: 'TenantAdmin' }] }] })).status, 204);
    assert.deepEqual((await as(srv, c, 'GET', '/auth/session')).body.user.roles, ['TenantAdmin']);
  });
});

// ---------------------------------------------------------------- secrets

describe('secrets stay secret', () => {
  test('the database holds only SHA-256 hashes of session ids', async () => {
    const c = await session(srv, srv.key);
    const hashes = dbSql(srv.db, 'SELECT id_hash FROM sessions').split('\n');
    const h = createHash('sha256').update(c).digest('hex');
    assert.ok(hashes.includes(h), 'the hash is stored');
    const row = dbSql(srv.db, `SELECT created_via, CASE WHEN key_id IS NULL THEN 0 ELSE 1 END, tenant_id FROM sessions WHERE id_hash = '${h}'`);
    assert.equal(row, `apikey|1|${srv.admin.tenantId}`);
    // no raw id anywhere in the database files (main file, WAL, shared memory);
    // on PostgreSQL: in no column of the sessions table
    if (isPg(srv.db)) {
      const all = dbSql(srv.db, 'SELECT s::text FROM sessions s');
      for (const t of tokens) assert.ok(!all.includes(t), 'the sessions table contains a raw session id');
    }
    for (const f of readdirSync(srv.dir).filter((n) => n.startsWith('dp.db'))) {
      const bytes = readFileSync(path.join(srv.dir, f));
      for (const t of tokens) assert.equal(bytes.indexOf(t), -1, `${f} contains a raw session id`);
    }
  });

  test('session ids and API keys never appear in the log; the log line names user and auth', async () => {
    const c = await session(srv, srv.key);
    await as(srv, c, 'GET', '/api/v1/users/me', { headers: { 'X-Trace-Id': 'sess-log-check' } });
    await pause(50);
    const log = srv.stderr;
    for (const t of tokens) assert.ok(!log.includes(t), 'a session id is in the log');
    assert.ok(!log.includes(srv.key), 'an API key is in the log');
    const line = log.split('\n').find((l) => l.includes('"traceId":"sess-log-check"'));
    const j = JSON.parse(line);
    assert.equal(j.user, srv.admin.userId);
    assert.equal(j.auth, 'session');
  });

  test('/metrics reports live sessions', async () => {
    await session(srv, srv.key);
    const m = await fetch(`${srv.url}/metrics`).then((r) => r.text());
    const v = /^dp_sessions_active (\d+)$/m.exec(m);
    assert.ok(v, 'dp_sessions_active is exported');
    assert.ok(Number(v[1]) >= 1);
  });
});

// ---------------------------------------------------------------- expiry, limits, https

describe('short-lived sessions, limits and an https public URL', () => {
  let short;
  const ORIGIN = 'https://dp.example.com';
  before(async () => {
    short = await startServer({
      args: ['--session-idle-timeout', '2', '--session-max-age', '3', '--rate-limit-tier1', '3',
        '--sign-in-rate-limit', '6', '--public-url', `${ORIGIN}/`],
    });
  });
  after(async () => { if (short) await short.stop(); });

  const signInShort = (k, origin = ORIGIN) => signIn(short, k, { origin });
  async function sess() {
    const res = await signInShort(short.key);
    assert.equal(res.status, 200, res.text);
    return cookieOf(res);
  }
  const check = (c) => as(short, c, 'GET', '/auth/session');

  test('Secure is added behind an https --public-url, whose origin is the one that counts', async () => {
    const res = await signInShort(short.key);
    assert.equal(res.status, 200, res.text);
    const attrs = res.headers.get('set-cookie').split('; ').slice(1).sort();
    assert.deepEqual(attrs, ['HttpOnly', 'Max-Age=3', 'Path=/', 'SameSite=Strict', 'Secure']);
    assertError(await signInShort(short.key, short.url), 403, 'DP-403-ORIGIN');
    const c = cookieOf(res);
    assertError(await as(short, c, 'POST', '/api/v1/spaces', { origin: short.url, body: { name: 'x', type: 'shared' } }), 403, 'DP-403-ORIGIN');
    assert.equal((await as(short, c, 'POST', '/api/v1/spaces', { origin: `${ORIGIN}:443`, body: { name: uniqueName('s'), type: 'shared' } })).status, 201);
  });

  test('idle expiry: unused for longer than --session-idle-timeout, the session is gone', async () => {
    const c = await sess();
    assert.equal((await check(c)).status, 200);
    await pause(2300);
    assertError(await check(c), 401, 'DP-401-UNAUTHORIZED');
  });

  test('use keeps a session alive until --session-max-age, then it ends anyway', async () => {
    const c = await sess();
    const t0 = Date.now();
    let alive = 0;
    while (Date.now() - t0 < 2700) {
      assert.equal((await check(c)).status, 200, 'alive while used, past the idle timeout');
      alive = Date.now() - t0;
      await pause(400);
    }
    assert.ok(alive > 2000, 'used beyond the idle timeout');
    await pause(Math.max(0, 3300 - (Date.now() - t0)));
    assertError(await check(c), 401, 'DP-401-UNAUTHORIZED');
  });

  test('a session spends the rate limit of its API key', async () => {
    const c = await sess();
    for (let i = 0; i < 3; i++) {
      const r = await as(short, c, 'GET', '/api/v1/users/me');
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers.get('ratelimit-limit'), '3');
    }
    assertError(await as(short, c, 'GET', '/api/v1/users/me'), 429, 'DP-429-RATE-LIMITED');
    assertError(await short.api('GET', '/api/v1/users/me'), 429, 'DP-429-RATE-LIMITED', 'API key');
  });

  test('sign-in attempts are limited per client address, then even a right key waits', async () => {
    let limited;
    for (let i = 0; i < 10 && !limited; i++) {
      const res = await signInShort('dp_wrong');
      if (res.status === 429) limited = res;
      else assert.equal(res.status, 401);
    }
    assert.ok(limited, 'a 429 came');
    assertError(limited, 429, 'DP-429-RATE-LIMITED', 'sign-in');
    assert.match(limited.headers.get('retry-after'), /^[1-9][0-9]*$/);
    assertError(await signInShort(short.key), 429, 'DP-429-RATE-LIMITED');
  });
});

describe('secure cookie on a plain public URL', () => {
  test('http --public-url: no Secure', async () => {
    const pub = await startServer({ args: ['--public-url', 'http://dp.internal:8080'] });
    try {
      const res = await signIn(pub, pub.key, { origin: 'http://dp.internal:8080' });
      assert.equal(res.status, 200, res.text);
      assert.ok(!/Secure/.test(res.headers.get('set-cookie')));
    } finally {
      await pub.stop();
    }
  });
});

// ---------------------------------------------------------------- rights and readme

describe('rights for the UI equal what the verbs answer', () => {
  const U = {};
  let M; // a managed space owned by the admin
  let ds;
  const RIGHTS = (id) => `/api/app/data-products/${id}/rights`;

  before(async () => {
    U.admin = { id: srv.admin.userId, key: srv.key, label: 'admin' };
    U.consumer = await mkUser(srv, ['DataProductConsumer'], 'r-consumer');
    U.contributor = await mkUser(srv, ['DataProductCreator'], 'r-contributor');
    U.publisher = await mkUser(srv, ['DataProductConsumer'], 'r-publisher');
    U.both = await mkUser(srv, ['DataProductCreator'], 'r-both');
    M = await makeSpace(srv, { type: 'managed' });
    for (const [u, roles] of [[U.consumer, ['consumer']], [U.contributor, ['contributor']],
      [U.publisher, ['publisher']], [U.both, ['contributor', 'publisher']]]) {
      const a = await srv.api('POST', `/api/v1/spaces/${M.id}/assignments`, { body: { assigneeId: u.id, type: 'user', roles } });
      assert.equal(a.status, 201, a.text);
    }
    ds = await makeDataSet(srv);
  });

  async function product(activated) {
    const p = await makeProduct(srv, { spaceId: M.id, datasetIds: [ds.id], keyContacts: [{ userId: srv.admin.userId }] });
    if (activated) assert.equal((await srv.api('POST', `${DP}/${p.id}/actions/activate`, { body: { name: p.name } })).status, 201);
    return p;
  }

  /** allowed (2xx or 412 on a stale If-Match) or forbidden (403) for each verb. */
  async function verbs(who, p) {
    const call = (method, sub, body, ifMatch = true) => srv.api(method, `${DP}/${p.id}${sub}`,
      { key: who.key, body, headers: ifMatch ? { 'If-Match': STALE } : {} });
    const res = {
      edit: await call('PATCH', '', [{ op: 'replace', path: '/description', value: 'x' }]),
      delete: await call('DELETE', ''),
      activate: await call('POST', '/actions/activate', { name: p.name }),
      deactivate: await call('POST', '/actions/deactivate'),
      move: await call('POST', '/actions/move', { spaceId: M.id }),
      computeQuality: await call('POST', '/actions/compute-datasets-data-quality', undefined, false),
    };
    const out = {};
    for (const [k, r] of Object.entries(res)) {
      assert.ok(r.status === 403 || r.status === 412 || (r.status >= 200 && r.status < 300),
        `${who.label} ${k}: unexpected ${r.status} ${r.text}`);
      out[k] = r.status !== 403;
    }
    return out;
  }

  for (const activated of [false, true]) {
    test(`per role, ${activated ? 'activated' : 'draft'} product`, async () => {
      const p = await product(activated);
      const seen = [];
      for (const who of Object.values(U)) {
        const r = await srv.api('GET', RIGHTS(p.id), { key: who.key });
        const get = await srv.api('GET', `${DP}/${p.id}`, { key: who.key });
        if (get.status === 404) {
          assertError(r, 404, 'DP-404-NOT-FOUND');
          seen.push(`${who.label}:hidden`);
          continue;
        }
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(Object.keys(r.body).sort(), ['activate', 'computeQuality', 'deactivate', 'delete', 'edit', 'move']);
        assert.deepEqual(r.body, await verbs(who, p), `${who.label}: rights == verbs`);
        seen.push(`${who.label}:${Object.entries(r.body).filter(([, v]) => v).map(([k]) => k).join('+') || 'none'}`);
      }
      // the matrix really varies across roles (SPEC §4)
      const expect = activated
        ? ['admin:edit+delete+activate+deactivate+move+computeQuality', 'r-consumer:none',
          'r-contributor:edit+delete+computeQuality', 'r-publisher:activate+deactivate',
          'r-both:edit+delete+activate+deactivate+move+computeQuality']
        : ['admin:edit+delete+activate+deactivate+move+computeQuality', 'r-consumer:hidden',
          'r-contributor:edit+delete+move+computeQuality', 'r-publisher:activate+deactivate',
          'r-both:edit+delete+activate+deactivate+move+computeQuality'];
      assert.deepEqual(seen, expect);
    });
  }

  test('by cookie too; unknown product 404, bad id 400, no credentials 401', async () => {
    const p = await product(false);
    const c = await session(srv, U.publisher.key);
    const r = await as(srv, c, 'GET', RIGHTS(p.id));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.activate, true);
    assert.equal(r.body.edit, false);
    assertError(await srv.api('GET', RIGHTS(MISSING_ID)), 404, 'DP-404-NOT-FOUND');
    assertError(await srv.api('GET', RIGHTS('nope')), 400, 'DP-400-INVALID-ID');
    assertError(await srv.api('GET', RIGHTS(p.id), { key: null }), 401, 'DP-401-UNAUTHORIZED');
  });
});

describe('rendered readMe', () => {
  const README = (id) => `/api/app/data-products/${id}/readme`;

  test('Markdown with GFM extensions becomes an HTML fragment with strict headers', async () => {
    const md = '# Orders\n\nSome *text* and ~~old~~ news, see https://example.com/docs\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done\n- [ ] todo\n';
    const p = await makeProduct(srv, { readMe: md });
    const r = await srv.api('GET', README(p.id));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(r.headers.get('content-security-policy'), "default-src 'none'");
    const h = r.text;
    assert.match(h, /<h1>Orders<\/h1>/);
    assert.match(h, /<em>text<\/em>/);
    assert.match(h, /<del>old<\/del>/);
    assert.match(h, /<a href="https:\/\/example.com\/docs">/);
    assert.match(h, /<table>[\s\S]*<td>1<\/td>/);
    assert.match(h, /<input type="checkbox" checked="" disabled="" \/> done/);
    assert.doesNotMatch(h, /<html|<body|<head/i);
  });

  test('scripts, event handlers, javascript: links and raw HTML come out inert', async () => {
    const md = [
      '<script>alert(1)</script>',
      '',
      '<img src=x onerror=alert(2)>',
      '',
      '<div onclick="alert(3)">raw block</div>',
      '',
      'inline <span onmouseover="alert(4)">span</span> and <script>alert(5)</script> here',
      '',
      '[click](javascript:alert(6)) [v](vbscript:msgbox) [d](data:text/html,<script>alert(7)</script>) ![i](javascript:alert(8))',
      '',
      '<iframe src="https://evil.example"></iframe>',
      '',
      '[ok](https://example.com "t")',
    ].join('\n');
    const p = await makeProduct(srv, { readMe: md });
    const r = await srv.api('GET', README(p.id));
    assert.equal(r.status, 200, r.text);
    const h = r.text;
    for (const bad of [/<script/i, /<img[^>]*onerror/i, /<div/i, /<span/i, /<iframe/i, /\son\w+=/i,
      /href="javascript:/i, /href="vbscript:/i, /href="data:/i, /src="javascript:/i]) {
      assert.doesNotMatch(h, bad, `${bad} in ${h}`);
    }
    assert.match(h, /raw HTML omitted/);
    assert.match(h, /<a href="https:\/\/example.com" title="t">ok<\/a>/);
    assert.match(h, /<a href="">click<\/a>/);
  });

  test('no readMe: 200 and an empty body; invisible or missing: 404', async () => {
    const p = await makeProduct(srv);
    const r = await srv.api('GET', README(p.id));
    assert.equal(r.status, 200);
    assert.equal(r.text, '');
    assertError(await srv.api('GET', README(MISSING_ID)), 404, 'DP-404-NOT-FOUND');
    const consumer = await mkUser(srv, ['DataProductConsumer']);
    assertError(await srv.api('GET', README(p.id), { key: consumer.key }), 404, 'DP-404-NOT-FOUND');
  });
});
