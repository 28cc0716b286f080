// principal-cache: the authenticated-principal cache (issue 12,
// docs/decisions.md "Issue 12 -- principal cache"). A bearer key's lookup
// is cached; every change that ends or narrows what a key may do is
// refused on the very next request on this server, even when the key was
// used a moment before (a warm cache: each test uses the key several times
// first). Cross-instance bounds are in tests/multi/auth.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { assertError, uniqueName, pause } from './lib/fixtures.mjs';

const USERS = '/api/v1/users';
const KEYS = '/api/v1/api-keys';

let srv;

before(async () => {
  srv = await startServer({ args: ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0'] });
});

after(async () => {
  if (srv) await srv.stop();
});

async function actor(roles) {
  const email = `${uniqueName('pc')}@example.com`;
  const u = await srv.api('POST', USERS, {
    body: { subject: `idp|${email}`, email, assignedRoles: roles.map((name) => ({ name })) },
  });
  assert.equal(u.status, 201, u.text);
  const k = await srv.api('POST', KEYS, { body: { description: 'pc', sub: u.body.id } });
  assert.equal(k.status, 201, k.text);
  return { user: u.body, key: k.body.token, keyId: k.body.id };
}

/** A few requests with key: the cache holds it afterwards. */
async function warm(key, userId) {
  for (let i = 0; i < 3; i++) {
    const res = await srv.api('GET', `${USERS}/me`, { key });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.id, userId);
  }
}

const refused = async (key) => assertError(await srv.api('GET', `${USERS}/me`, { key }), 401, 'DP-401-UNAUTHORIZED');

test('a revoked key (warm) is refused on the very next request; the owner’s other key is not', async () => {
  const a = await actor(['DataProductConsumer']);
  const other = await srv.api('POST', KEYS, { body: { description: 'other', sub: a.user.id } });
  await warm(a.key, a.user.id);
  await warm(other.body.token, a.user.id);
  assert.equal((await srv.api('DELETE', `${KEYS}/${a.keyId}`)).status, 204);
  await refused(a.key);
  await refused(a.key);
  await warm(other.body.token, a.user.id);
});

test('a key revoking itself (warm) is refused on its very next request', async () => {
  const a = await actor(['DataProductConsumer']);
  await warm(a.key, a.user.id);
  assert.equal((await srv.api('DELETE', `${KEYS}/${a.keyId}`, { key: a.key })).status, 204);
  await refused(a.key);
});

test('a disabled user’s warm key is refused on the very next request, and works again once re-enabled', async () => {
  const a = await actor(['DataProductCreator']);
  await warm(a.key, a.user.id);
  const patch = (status) =>
    srv.api('PATCH', `${USERS}/${a.user.id}`, { body: [{ op: 'replace', path: '/status', value: status }] });
  assert.equal((await patch('disabled')).status, 204);
  await refused(a.key);
  assert.equal((await patch('active')).status, 204);
  await warm(a.key, a.user.id);
});

test('a removed role is gone on the very next request (403), an added one there at once', async () => {
  const a = await actor(['TenantAdmin']);
  const list = () => srv.api('GET', `${USERS}?limit=1`, { key: a.key });
  const create = () =>
    srv.api('POST', USERS, { key: a.key, body: { subject: 's', email: `${uniqueName('pcr')}@example.com` } });
  for (let i = 0; i < 3; i++) assert.equal((await create()).status, 201);
  const setRoles = (roles) =>
    srv.api('PATCH', `${USERS}/${a.user.id}`, {
      body: [{ op: 'replace', path: '/assignedRoles', value: roles.map((name) => ({ name })) }],
    });
  assert.equal((await setRoles(['DataProductConsumer'])).status, 204);
  assertError(await create(), 403, 'DP-403-FORBIDDEN');
  assert.deepEqual((await srv.api('GET', `${USERS}/me`, { key: a.key })).body.assignedRoles.map((r) => r.name), ['DataProductConsumer']);
  assert.equal((await setRoles(['TenantAdmin'])).status, 204);
  assert.equal((await create()).status, 201);
  assert.equal((await list()).status, 200);
});

test('a deleted user’s warm key is refused on the very next request', async () => {
  const a = await actor(['DataProductConsumer']);
  await warm(a.key, a.user.id);
  assert.equal((await srv.api('DELETE', `${USERS}/${a.user.id}`)).status, 204);
  await refused(a.key);
});

test('a warm key is refused the moment it expires (expiry is checked on every request, not cached)', async () => {
  const a = await actor(['DataProductConsumer']);
  const k = await srv.api('POST', KEYS, { body: { description: 'short', sub: a.user.id, expiry: 'PT2S' } });
  assert.equal(k.status, 201, k.text);
  const expiresAt = Date.parse(k.body.expiry);
  assert.ok(Number.isFinite(expiresAt), k.text);
  // first used (so cached) 300 ms before the expiry: the entry is well
  // inside its TTL when the key is next used, just after the expiry
  while (Date.now() < expiresAt - 300) await pause(10);
  assert.equal((await srv.api('GET', `${USERS}/me`, { key: k.body.token })).status, 200);
  assert.equal((await srv.api('GET', `${USERS}/me`, { key: k.body.token })).status, 200);
  while (Date.now() <= expiresAt + 20) await pause(10);
  await refused(k.body.token);
});

test('unknown keys are refused every time and do not disturb a cached key', async () => {
  const a = await actor(['DataProductConsumer']);
  await warm(a.key, a.user.id);
  for (let i = 0; i < 20; i++) {
    const unknown = `dp_${'x'.repeat(40)}${String(i).padStart(3, '0')}`;
    await refused(unknown);
    await refused(unknown); // asked again: nothing about it was kept
  }
  await warm(a.key, a.user.id);
});

// ---------------------------------------------------------------- sessions (the cookie)

async function signIn(apiKey) {
  const res = await srv.api('POST', '/auth/sign-in', { key: null, headers: { Origin: srv.url }, body: { apiKey } });
  assert.equal(res.status, 200, res.text);
  const m = /^dp_session=([^;]*);/.exec(res.headers.get('set-cookie') || '');
  assert.ok(m, 'a session cookie');
  return m[1];
}

const asSession = (cookie, method, p, o = {}) =>
  srv.api(method, p, { key: null, ...o, headers: { Cookie: `dp_session=${cookie}`, Origin: srv.url, ...(o.headers || {}) } });

async function warmSession(cookie, userId) {
  for (let i = 0; i < 3; i++) {
    const res = await asSession(cookie, 'GET', `${USERS}/me`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.id, userId);
  }
}

const sessionRefused = async (cookie) =>
  assertError(await asSession(cookie, 'GET', `${USERS}/me`), 401, 'DP-401-UNAUTHORIZED');

test('session: signing out ends a warm session on the very next request', async () => {
  const a = await actor(['DataProductConsumer']);
  const cookie = await signIn(a.key);
  await warmSession(cookie, a.user.id);
  assert.equal((await asSession(cookie, 'POST', '/auth/sign-out')).status, 204);
  await sessionRefused(cookie);
});

test('session: revoking its key, disabling or deleting its user end a warm session on the very next request', async () => {
  const a = await actor(['DataProductConsumer']);
  let cookie = await signIn(a.key);
  await warmSession(cookie, a.user.id);
  assert.equal((await srv.api('DELETE', `${KEYS}/${a.keyId}`)).status, 204);
  await sessionRefused(cookie);

  const b = await actor(['DataProductConsumer']);
  cookie = await signIn(b.key);
  await warmSession(cookie, b.user.id);
  const dis = await srv.api('PATCH', `${USERS}/${b.user.id}`, { body: [{ op: 'replace', path: '/status', value: 'disabled' }] });
  assert.equal(dis.status, 204, dis.text);
  await sessionRefused(cookie);

  const c = await actor(['DataProductConsumer']);
  cookie = await signIn(c.key);
  await warmSession(cookie, c.user.id);
  assert.equal((await srv.api('DELETE', `${USERS}/${c.user.id}`)).status, 204);
  await sessionRefused(cookie);
});

test('session: a removed role is gone on the very next request of a warm session', async () => {
  const a = await actor(['TenantAdmin']);
  const cookie = await signIn(a.key);
  const create = () =>
    asSession(cookie, 'POST', USERS, { body: { subject: 's', email: `${uniqueName('pcs')}@example.com` } });
  for (let i = 0; i < 3; i++) assert.equal((await create()).status, 201);
  const res = await srv.api('PATCH', `${USERS}/${a.user.id}`, {
    body: [{ op: 'replace', path: '/assignedRoles', value: [{ name: 'DataProductConsumer' }] }],
  });
  assert.equal(res.status, 204, res.text);
  assertError(await create(), 403, 'DP-403-FORBIDDEN');
});

test('session: a warm session ends the moment its key expires (checked on every request)', async () => {
  const a = await actor(['DataProductConsumer']);
  const k = await srv.api('POST', KEYS, { body: { description: 'short', sub: a.user.id, expiry: 'PT3S' } });
  assert.equal(k.status, 201, k.text);
  const expiresAt = Date.parse(k.body.expiry);
  const cookie = await signIn(k.body.token);
  while (Date.now() < expiresAt - 300) await pause(10);
  await warmSession(cookie, a.user.id);
  while (Date.now() <= expiresAt + 20) await pause(10);
  await sessionRefused(cookie);
});

// ---------------------------------------------------------------- /metrics

async function cacheMetrics() {
  const res = await srv.api('GET', '/metrics', { key: null });
  assert.equal(res.status, 200);
  const num = (re) => {
    const m = re.exec(res.text);
    assert.ok(m, `${re} in /metrics`);
    return Number(m[1]);
  };
  return {
    hit: num(/^dp_principal_cache_lookups_total\{result="hit"\} (\d+)$/m),
    miss: num(/^dp_principal_cache_lookups_total\{result="miss"\} (\d+)$/m),
    entries: num(/^dp_principal_cache_entries (\d+)$/m),
  };
}

test('/metrics: a new key misses once, then hits; unknown keys only miss and are not held', async () => {
  const a = await actor(['DataProductConsumer']);
  const before = await cacheMetrics();
  await warm(a.key, a.user.id); // 3 requests: 1 miss, then hits (2 unless 1 s passed meanwhile)
  const after = await cacheMetrics();
  assert.equal(after.miss - before.miss + after.hit - before.hit, 3);
  assert.ok(after.hit - before.hit >= 1, 'hits');
  assert.equal(after.entries, before.entries + 1);
  for (let i = 0; i < 5; i++) await refused(`dp_${'y'.repeat(40)}${i}`);
  const last = await cacheMetrics();
  assert.equal(last.miss - after.miss, 5);
  assert.equal(last.hit, after.hit);
  assert.equal(last.entries, after.entries);
});
