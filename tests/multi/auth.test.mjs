// Sessions and API keys across instances (SPEC §7: "sessions work on every
// instance"): a session made on A works on B; revoking a key, disabling a
// user or removing a role on A holds on B from the very next request (no
// instance keeps credentials or roles in memory).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster } from './lib/cluster.mjs';
import { NO_LIMITS } from './lib/multi.mjs';
import { DP, assertError, makeProduct, uniqueName } from '../api/lib/fixtures.mjs';

let c;
let A;
let B;
before(async () => {
  c = await startCluster(2, { args: NO_LIMITS });
  [A, B] = c.servers;
});
after(async () => { if (c) await c.stop(); });

/** A user with tenant roles and one API key, made through A. */
async function mkUser(roles) {
  const label = uniqueName('u');
  const u = await A.api('POST', '/api/v1/users', {
    body: { subject: `sub|${label}`, email: `${label}@example.com`, assignedRoles: roles.map((name) => ({ name })) },
  });
  assert.equal(u.status, 201, u.text);
  const k = await A.api('POST', '/api/v1/api-keys', { body: { description: label, sub: u.body.id } });
  assert.equal(k.status, 201, k.text);
  return { id: u.body.id, key: k.body.token, keyId: k.body.id };
}

/** Signs in on s; returns the dp_session cookie value. */
async function signIn(s, apiKey) {
  const res = await s.api('POST', '/auth/sign-in', { key: null, headers: { Origin: s.url }, body: { apiKey } });
  assert.equal(res.status, 200, res.text);
  const m = /^dp_session=([^;]*);/.exec(res.headers.get('set-cookie') || '');
  assert.ok(m, 'a session cookie');
  return m[1];
}

const asSession = (s, cookie, method, p, o = {}) =>
  s.api(method, p, { key: null, ...o, headers: { Cookie: `dp_session=${cookie}`, ...(o.headers || {}) } });

test('a session made on A works on B, and signing out on B ends it on A', async () => {
  const u = await mkUser(['TenantAdmin']);
  const cookie = await signIn(A, u.key);
  const me = await asSession(B, cookie, 'GET', '/api/v1/users/me');
  assert.equal(me.status, 200, me.text);
  assert.equal(me.body.id, u.id);
  // an unsafe request on B with B's origin
  const p = await asSession(B, cookie, 'POST', DP, { headers: { Origin: B.url }, body: { name: uniqueName('via-session') } });
  assert.equal(p.status, 201, p.text);
  assert.equal((await asSession(A, cookie, 'GET', `${DP}/${p.body.id}`)).status, 200);
  const out = await asSession(B, cookie, 'POST', '/auth/sign-out', { headers: { Origin: B.url } });
  assert.equal(out.status, 204, out.text);
  assertError(await asSession(A, cookie, 'GET', '/api/v1/users/me'), 401, 'DP-401-UNAUTHORIZED');
});

test('an API key revoked on A is refused on B at the next request, and so is its session', async () => {
  const u = await mkUser(['DataProductConsumer']);
  const cookie = await signIn(B, u.key);
  assert.equal((await B.api('GET', '/api/v1/users/me', { key: u.key })).status, 200);
  assert.equal((await A.api('DELETE', `/api/v1/api-keys/${u.keyId}`)).status, 204);
  assertError(await B.api('GET', '/api/v1/users/me', { key: u.key }), 401, 'DP-401-UNAUTHORIZED');
  assertError(await asSession(B, cookie, 'GET', '/api/v1/users/me'), 401, 'DP-401-UNAUTHORIZED');
});

test('a user disabled on A is refused on B at the next request (key and session)', async () => {
  const u = await mkUser(['DataProductConsumer']);
  const cookie = await signIn(A, u.key);
  assert.equal((await B.api('GET', '/api/v1/users/me', { key: u.key })).status, 200);
  assert.equal((await asSession(B, cookie, 'GET', '/api/v1/users/me')).status, 200);
  const dis = await A.api('PATCH', `/api/v1/users/${u.id}`, { body: [{ op: 'replace', path: '/status', value: 'disabled' }] });
  assert.equal(dis.status, 204, dis.text);
  assertError(await B.api('GET', '/api/v1/users/me', { key: u.key }), 401, 'DP-401-UNAUTHORIZED');
  assertError(await asSession(B, cookie, 'GET', '/api/v1/users/me'), 401, 'DP-401-UNAUTHORIZED');
});

test('a role removed on A no longer grants on B at the next request (key and session)', async () => {
  const u = await mkUser(['TenantAdmin']);
  const cookie = await signIn(B, u.key);
  const body = () => ({ subject: uniqueName('s'), email: `${uniqueName('e')}@example.com` });
  assert.equal((await B.api('POST', '/api/v1/users', { key: u.key, body: body() })).status, 201);
  const res = await A.api('PATCH', `/api/v1/users/${u.id}`, {
    body: [{ op: 'replace', path: '/assignedRoles', value: [{ name: 'DataProductConsumer' }] }],
  });
  assert.equal(res.status, 204, res.text);
  assertError(await B.api('POST', '/api/v1/users', { key: u.key, body: body() }), 403, 'DP-403-FORBIDDEN');
  assertError(await asSession(B, cookie, 'POST', '/api/v1/users', { headers: { Origin: B.url }, body: body() }),
    403, 'DP-403-FORBIDDEN');
  assert.deepEqual((await asSession(B, cookie, 'GET', '/auth/session')).body.user.roles, ['DataProductConsumer']);
});
