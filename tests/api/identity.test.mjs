// identity: users (/api/v1/users) and API keys (/api/v1/api-keys) as SPEC §4
// and docs/decisions.md "Identity, spaces and permissions" describe them,
// driven over plain HTTP. One server for the whole file; every test makes
// its own users and keys so the tests do not depend on each other's order.
//
// Wire shapes: reference/qlik-api-2.19.0/users.d.ts (User, Users) and
// api-keys.d.ts (ApiKey, ApiKeyWithToken, ApiKeyPage).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, bootstrap, MISSING_ID } from './lib/server.mjs';
import { GUID_RE, ISO_MS_RE, assertError, uniqueName, makeSpace, pause } from './lib/fixtures.mjs';

const USERS = '/api/v1/users';
const KEYS = '/api/v1/api-keys';
const DAY = 86400000;
const TOKEN_RE = /^dp_[A-Za-z0-9_-]{43}$/;

let srv;
let other; // a second tenant's admin on the same server: {tenantId, userId, apiKey}

before(async () => {
  srv = await startServer({ args: ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0'] });
  other = bootstrap(srv.db, 'other', 'o@x.com');
});

after(async () => {
  if (srv) await srv.stop();
});

// ---------------------------------------------------------------- helpers

const USER_FIELDS = ['assignedGroups', 'assignedRoles', 'assignedScopes', 'createdAt', 'email', 'id',
  'inviteExpiry', 'lastUpdatedAt', 'links', 'locale', 'name', 'picture', 'preferredLocale',
  'preferredZoneinfo', 'status', 'subject', 'tenantId', 'zoneinfo'];
const KEY_FIELDS = ['created', 'createdByUser', 'description', 'expiry', 'id', 'lastUpdated',
  'status', 'sub', 'subType', 'tenantId'];

function assertKeysWithin(obj, allowed, what) {
  for (const k of Object.keys(obj)) assert.ok(allowed.includes(k), `${what}: unexpected field '${k}'`);
}

/** User (users.d.ts). */
function assertUser(u, tenantId = srv.admin.tenantId) {
  assertKeysWithin(u, USER_FIELDS, 'User');
  for (const k of ['id', 'name', 'subject', 'tenantId']) assert.ok(k in u, `User.${k} is required`);
  assert.match(u.id, GUID_RE);
  assert.equal(u.tenantId, tenantId);
  assert.equal(typeof u.name, 'string');
  assert.equal(typeof u.subject, 'string');
  if ('email' in u) assert.equal(typeof u.email, 'string');
  if ('status' in u) assert.ok(['active', 'invited', 'disabled', 'deleted', 'provisioned'].includes(u.status), u.status);
  for (const k of ['createdAt', 'lastUpdatedAt']) if (k in u) assert.match(u[k], ISO_MS_RE, k);
  assert.ok(Array.isArray(u.assignedRoles), 'assignedRoles is an array');
  for (const r of u.assignedRoles) {
    assertKeysWithin(r, ['id', 'level', 'name', 'type'], 'AssignedRoles[]');
    assert.equal(typeof r.id, 'string');
    assert.ok(['TenantAdmin', 'DataProductConsumer', 'DataProductCreator'].includes(r.name), r.name);
    assert.equal(r.level, r.name === 'TenantAdmin' ? 'admin' : 'user');
    assert.ok(['default', 'custom'].includes(r.type));
  }
  if ('links' in u) assert.equal(u.links.self.href, `${srv.url}${USERS}/${u.id}`);
}

const roleNames = (u) => u.assignedRoles.map((r) => r.name).sort();

/** ApiKey (api-keys.d.ts); withToken: ApiKeyWithToken. */
function assertKey(k, { withToken = false, tenantId = srv.admin.tenantId } = {}) {
  assertKeysWithin(k, withToken ? [...KEY_FIELDS, 'token'] : KEY_FIELDS, withToken ? 'ApiKeyWithToken' : 'ApiKey');
  for (const f of ['createdByUser', 'description', 'expiry', 'id', 'status', 'sub', 'subType', 'tenantId']) {
    assert.ok(f in k, `ApiKey.${f} is required`);
  }
  assert.match(k.id, GUID_RE);
  assert.equal(k.tenantId, tenantId);
  assert.match(k.sub, GUID_RE);
  assert.match(k.createdByUser, GUID_RE);
  assert.equal(k.subType, 'user');
  assert.equal(typeof k.description, 'string');
  assert.match(k.expiry, ISO_MS_RE);
  assert.ok(['active', 'expired', 'revoked'].includes(k.status), k.status);
  for (const f of ['created', 'lastUpdated']) if (f in k) assert.match(k[f], ISO_MS_RE, f);
  if (withToken) assert.match(k.token, TOKEN_RE);
  else assert.ok(!('token' in k), 'an ApiKey never carries its token');
}

/** A new user of the default tenant (as admin); roles by name. */
async function makeUser(roles = ['DataProductCreator'], fields = {}) {
  const email = `${uniqueName('user')}@example.com`;
  const res = await srv.api('POST', USERS, {
    body: { subject: `idp|${email}`, email, assignedRoles: roles.map((name) => ({ name })), ...fields },
  });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

/** A new API key (as admin unless opts.key); returns ApiKeyWithToken. */
async function makeKey(body = {}, opts = {}) {
  const res = await srv.api('POST', KEYS, { body: { description: uniqueName('key'), ...body }, key: opts.key });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

/** A user plus a key for it: {user, key (token), keyId}. */
async function actor(roles = ['DataProductCreator']) {
  const user = await makeUser(roles);
  const k = await makeKey({ sub: user.id });
  return { user, key: k.token, keyId: k.id };
}

async function whoAmI(key) {
  return srv.api('GET', `${USERS}/me`, { key });
}

async function assert401(key) {
  const res = await whoAmI(key);
  assertError(res, 401, 'DP-401-UNAUTHORIZED');
}

async function assertWorks(key, userId) {
  const res = await whoAmI(key);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.id, userId);
}

/** Every page of a list, following links.next; returns all data items. */
async function walk(firstPath, key) {
  const all = [];
  let path = firstPath;
  for (let guard = 0; path && guard < 200; guard++) {
    const res = await srv.api('GET', path, { key });
    assert.equal(res.status, 200, res.text);
    all.push(...res.body.data);
    const next = res.body.links.next?.href;
    if (next) {
      const u = new URL(next);
      assert.equal(u.origin, srv.url, 'links are absolute');
      path = u.pathname + u.search;
    } else path = null;
  }
  return all;
}

// ---------------------------------------------------------------- users: read

test('users: /users/me returns the caller as a User with an ETag', async () => {
  const res = await whoAmI();
  assert.equal(res.status, 200, res.text);
  assertUser(res.body);
  assert.equal(res.body.id, srv.admin.userId);
  assert.equal(res.body.email, 'admin@example.com');
  assert.equal(res.body.status, 'active');
  assert.deepEqual(roleNames(res.body), ['TenantAdmin']);
  assert.match(res.headers.get('etag') || '', /^"[0-9a-f]{32}"$/);

  const { user, key } = await actor(['DataProductConsumer']);
  const me = await whoAmI(key);
  assert.equal(me.status, 200);
  assertUser(me.body);
  assert.equal(me.body.id, user.id);
  assert.deepEqual(me.body, user, '/users/me is the same document as the created user');
  assert.deepEqual(roleNames(me.body), ['DataProductConsumer']);

  assertError(await whoAmI(null), 401, 'DP-401-UNAUTHORIZED');
  assertError(await whoAmI('dp_not-a-real-key'), 401, 'DP-401-UNAUTHORIZED');
});

test('users: get by id (any user of the tenant may read); unknown 404; bad id 400', async () => {
  const u = await makeUser(['DataProductConsumer'], { name: 'Reader Target' });
  const { key } = await actor(['DataProductConsumer']);
  for (const k of [undefined, key]) {
    const res = await srv.api('GET', `${USERS}/${u.id}`, { key: k });
    assert.equal(res.status, 200, res.text);
    assertUser(res.body);
    assert.deepEqual(res.body, u);
    assert.match(res.headers.get('etag') || '', /^"[0-9a-f]{32}"$/);
  }
  assertError(await srv.api('GET', `${USERS}/${MISSING_ID}`), 404, 'DP-404-NOT-FOUND');
  assertError(await srv.api('GET', `${USERS}/not-a-guid`), 400, 'DP-400-INVALID-ID');
  // another tenant's user is indistinguishable from a missing one
  assertError(await srv.api('GET', `${USERS}/${other.userId}`), 404, 'DP-404-NOT-FOUND');
  assertError(await srv.api('GET', `${USERS}/${u.id}`, { key: other.apiKey }), 404, 'DP-404-NOT-FOUND');
});

test('users: list pages with limit and follows links.next; totalResults counts the tenant', async () => {
  const made = [];
  for (let i = 0; i < 5; i++) made.push(await makeUser(['DataProductConsumer']));
  const first = await srv.api('GET', `${USERS}?limit=2`);
  assert.equal(first.status, 200, first.text);
  assertKeysWithin(first.body, ['data', 'links', 'totalResults'], 'Users');
  assert.equal(first.body.data.length, 2);
  for (const u of first.body.data) assertUser(u);
  const total = first.body.totalResults;
  assert.ok(Number.isInteger(total) && total >= 6, `totalResults ${total}`);
  assertKeysWithin(first.body.links, ['next', 'prev', 'self'], 'Users.links');
  const self = new URL(first.body.links.self.href);
  assert.equal(self.origin, srv.url);
  assert.equal(self.pathname, USERS);
  assert.equal(self.searchParams.get('limit'), '2');
  assert.equal(first.body.links.prev, undefined, 'no prev on the first page');
  const next = new URL(first.body.links.next.href);
  assert.equal(next.pathname, USERS);
  assert.equal(next.searchParams.get('limit'), '2', 'next keeps the query');
  assert.equal(next.searchParams.get('page'), '2');

  const page2 = await srv.api('GET', `${USERS}?limit=2&page=2`);
  assert.equal(page2.status, 200);
  assert.equal(new URL(page2.body.links.prev.href).searchParams.get('page'), '1');

  const all = await walk(`${USERS}?limit=2`);
  assert.equal(all.length, total, 'walking next covers every user once');
  const ids = all.map((u) => u.id);
  assert.equal(new Set(ids).size, ids.length, 'no user appears twice');
  for (const u of [...made, { id: srv.admin.userId }]) assert.ok(ids.includes(u.id), `${u.id} listed`);
  assert.ok(!ids.includes(other.userId), 'another tenant’s users are not listed');

  // the default page holds up to 20
  const dflt = await srv.api('GET', USERS);
  assert.equal(dflt.body.data.length, Math.min(total, 20));
  // the list is readable by every user of the tenant
  const { key } = await actor(['DataProductConsumer']);
  const asUser = await srv.api('GET', `${USERS}?limit=1`, { key });
  assert.equal(asUser.status, 200, asUser.text);
  assert.equal(asUser.body.totalResults, total + 1);

  for (const q of ['limit=0', 'limit=101', 'limit=x', 'page=0', 'page=-1']) {
    assertError(await srv.api('GET', `${USERS}?${q}`), 400, 'DP-400-INVALID-QUERY');
  }
});

test('users: filter by email in both forms; no match is empty; bad filters are 400', async () => {
  const u = await makeUser(['DataProductConsumer']);
  const scim = await srv.api('GET', `${USERS}?filter=${encodeURIComponent(`email eq "${u.email}"`)}`);
  assert.equal(scim.status, 200, scim.text);
  assert.deepEqual(scim.body.data.map((x) => x.id), [u.id]);
  assert.equal(scim.body.totalResults, 1);
  assertUser(scim.body.data[0]);

  const plain = await srv.api('GET', `${USERS}?email=${encodeURIComponent(u.email)}`);
  assert.equal(plain.status, 200, plain.text);
  assert.deepEqual(plain.body.data.map((x) => x.id), [u.id]);

  const admin = await srv.api('GET', `${USERS}?email=admin%40example.com`);
  assert.deepEqual(admin.body.data.map((x) => x.id), [srv.admin.userId]);

  for (const q of [`email=nobody%40example.com`, `filter=${encodeURIComponent('email eq "nobody@example.com"')}`,
    'email=o%40x.com' /* another tenant's admin */]) {
    const none = await srv.api('GET', `${USERS}?${q}`);
    assert.equal(none.status, 200, none.text);
    assert.deepEqual(none.body.data, [], q);
    assert.equal(none.body.totalResults, 0, q);
  }

  for (const f of ['name eq "x"', 'email eq x@example.com', 'email co "x"', 'email eq "x', 'garbage', '']) {
    const res = await srv.api('GET', `${USERS}?filter=${encodeURIComponent(f)}`);
    assertError(res, 400, 'DP-400-INVALID-QUERY', 'filter');
  }
});

test('users: a truncated email filter (`email eq "`, no closing quote) is 400, not a wildcard', async () => {
  const open = await srv.api('GET', `${USERS}?filter=${encodeURIComponent('email eq "')}`);
  assertError(open, 400, 'DP-400-INVALID-QUERY', 'filter');
});

test('users: an empty address (`email eq ""`) matches nobody (or is refused), never the whole tenant', async () => {
  const empty = await srv.api('GET', `${USERS}?filter=${encodeURIComponent('email eq ""')}`);
  if (empty.status === 200) assert.deepEqual(empty.body.data, [], 'email eq "" matches no user');
  else assertError(empty, 400, 'DP-400-INVALID-QUERY');
});

// ---------------------------------------------------------------- users: create

test('users: create by TenantAdmin, roles by name; 201 + Location + ETag; readable afterwards', async () => {
  const email = `${uniqueName('new')}@example.com`;
  const res = await srv.api('POST', USERS, {
    body: { subject: `idp|${email}`, email, name: 'New Person', assignedRoles: [{ name: 'DataProductCreator' }, { name: 'DataProductConsumer' }] },
  });
  assert.equal(res.status, 201, res.text);
  assertUser(res.body);
  assert.equal(res.body.email, email);
  assert.equal(res.body.subject, `idp|${email}`);
  assert.equal(res.body.name, 'New Person');
  assert.equal(res.body.status, 'active');
  assert.deepEqual(roleNames(res.body), ['DataProductConsumer', 'DataProductCreator']);
  assert.equal(res.headers.get('location'), `${USERS}/${res.body.id}`);
  const etag = res.headers.get('etag');
  assert.match(etag || '', /^"[0-9a-f]{32}"$/);

  const got = await srv.api('GET', `${USERS}/${res.body.id}`);
  assert.equal(got.status, 200);
  assert.deepEqual(got.body, res.body);
  assert.equal(got.headers.get('etag'), etag, 'the 201 ETag is the stored document’s');

  // name defaults to something non-empty; roles default to none
  const bare = await srv.api('POST', USERS, { body: { subject: 's-bare', email: `${uniqueName('bare')}@example.com` } });
  assert.equal(bare.status, 201, bare.text);
  assertUser(bare.body);
  assert.ok(bare.body.name.length > 0);
  assert.deepEqual(bare.body.assignedRoles, []);
});

test('users: assignedRoles by id; the created user holds the role', async () => {
  const me = await whoAmI();
  const adminRoleId = me.body.assignedRoles.find((r) => r.name === 'TenantAdmin').id;
  const consumer = await makeUser(['DataProductConsumer']);
  const consumerRoleId = consumer.assignedRoles[0].id;

  const u = await makeUser([], { assignedRoles: [{ id: consumerRoleId }] });
  assert.deepEqual(roleNames(u), ['DataProductConsumer']);
  const a = await makeUser([], { assignedRoles: [{ id: adminRoleId }] });
  assert.deepEqual(roleNames(a), ['TenantAdmin']);
  // the new admin really is one: it can create users
  const k = await makeKey({ sub: a.id });
  const made = await srv.api('POST', USERS, { key: k.token, body: { subject: 'x', email: `${uniqueName('by-admin2')}@example.com` } });
  assert.equal(made.status, 201, made.text);
});

test('users: create is TenantAdmin only (403 for creators and consumers; nothing created)', async () => {
  for (const roles of [['DataProductCreator'], ['DataProductConsumer'], ['DataProductCreator', 'DataProductConsumer']]) {
    const { key } = await actor(roles);
    const email = `${uniqueName('forbidden')}@example.com`;
    const res = await srv.api('POST', USERS, { key, body: { subject: 'x', email, assignedRoles: [{ name: 'TenantAdmin' }] } });
    assertError(res, 403, 'DP-403-FORBIDDEN');
    const find = await srv.api('GET', `${USERS}?email=${encodeURIComponent(email)}`);
    assert.equal(find.body.totalResults, 0, 'nothing created');
  }
});

test('users: create validation — missing subject/email, bad email, unknown role, unknown field, bad JSON', async () => {
  const email = () => `${uniqueName('v')}@example.com`;
  const cases = [
    [{ email: email() }, 'subject'],
    [{ subject: 's' }, 'email'],
    [{ subject: '', email: email() }, 'subject'],
    [{ subject: 's', email: '' }, 'email'],
    [{ subject: 's', email: 'not-an-address' }, 'email'],
    [{ subject: 7, email: email() }, 'subject'],
    [{ subject: 's', email: email(), assignedRoles: [{ name: 'Wizard' }] }, 'assignedRoles[0]'],
    [{ subject: 's', email: email(), assignedRoles: [{ name: 'DataProductConsumer' }, { id: MISSING_ID }] }, 'assignedRoles[1]'],
    [{ subject: 's', email: email(), assignedRoles: [{}] }, 'assignedRoles[0]'],
    [{ subject: 's', email: email(), assignedRoles: 'TenantAdmin' }, 'assignedRoles'],
    [{ subject: 's', email: email(), favouriteColour: 'blue' }, "unknown field 'favouriteColour'"],
    [{ subject: 's', email: email(), tenantId: other.tenantId }, 'tenantId'],
  ];
  const before = (await srv.api('GET', `${USERS}?limit=1`)).body.totalResults;
  for (const [body, detail] of cases) {
    const res = await srv.api('POST', USERS, { body });
    assertError(res, 400, 'DP-400-VALIDATION', detail);
  }
  assertError(await srv.api('POST', USERS, { raw: '{"subject":', headers: { 'Content-Type': 'application/json' } }), 400, 'DP-400-INVALID-JSON');
  assertError(await srv.api('POST', USERS, {}), 400, 'DP-400-BAD-REQUEST');
  const after = (await srv.api('GET', `${USERS}?limit=1`)).body.totalResults;
  assert.equal(after, before, 'no user created by a rejected request');
});

test('users: duplicate email is 409 DP-409-CONFLICT (per tenant)', async () => {
  const u = await makeUser(['DataProductConsumer']);
  const dup = await srv.api('POST', USERS, { body: { subject: 'another-subject', email: u.email } });
  assertError(dup, 409, 'DP-409-CONFLICT', u.email);
  const find = await srv.api('GET', `${USERS}?email=${encodeURIComponent(u.email)}`);
  assert.equal(find.body.totalResults, 1);
  // the same address is free in another tenant
  const elsewhere = await srv.api('POST', USERS, { key: other.apiKey, body: { subject: 'x', email: u.email } });
  assert.equal(elsewhere.status, 201, elsewhere.text);
  assertUser(elsewhere.body, other.tenantId);
  // and the bootstrap admin's address is taken in its tenant
  assertError(await srv.api('POST', USERS, { body: { subject: 'x', email: 'admin@example.com' } }), 409, 'DP-409-CONFLICT');
});

// ---------------------------------------------------------------- users: patch

test('users: patch /name, /status, /assignedRoles (204; GET shows the change)', async () => {
  const u = await makeUser(['DataProductConsumer']);
  const patch = (ops, key) => srv.api('PATCH', `${USERS}/${u.id}`, { body: ops, key });

  let res = await patch([{ op: 'replace', path: '/name', value: 'Renamed Person' }]);
  assert.equal(res.status, 204, res.text);
  assert.equal(res.text, '');
  let got = await srv.api('GET', `${USERS}/${u.id}`);
  assert.equal(got.body.name, 'Renamed Person');
  assert.equal(got.body.email, u.email, 'email untouched');
  assert.ok(got.body.lastUpdatedAt >= u.lastUpdatedAt);

  res = await patch([{ op: 'replace', path: '/assignedRoles', value: [{ name: 'DataProductCreator' }, { name: 'DataProductConsumer' }] }]);
  assert.equal(res.status, 204, res.text);
  got = await srv.api('GET', `${USERS}/${u.id}`);
  assert.deepEqual(roleNames(got.body), ['DataProductConsumer', 'DataProductCreator']);
  assertUser(got.body);

  res = await patch([
    { op: 'replace', path: '/status', value: 'disabled' },
    { op: 'replace', path: '/name', value: 'Two Ops' },
  ]);
  assert.equal(res.status, 204, res.text);
  got = await srv.api('GET', `${USERS}/${u.id}`);
  assert.equal(got.body.status, 'disabled');
  assert.equal(got.body.name, 'Two Ops');
  res = await patch([{ op: 'replace', path: '/status', value: 'active' }]);
  assert.equal(res.status, 204, res.text);
  got = await srv.api('GET', `${USERS}/${u.id}`);
  assert.equal(got.body.status, 'active');

  // application/json-patch+json is accepted too
  res = await srv.api('PATCH', `${USERS}/${u.id}`, {
    raw: JSON.stringify([{ op: 'replace', path: '/name', value: 'Via json-patch' }]),
    headers: { 'Content-Type': 'application/json-patch+json' },
  });
  assert.equal(res.status, 204, res.text);
  assert.equal((await srv.api('GET', `${USERS}/${u.id}`)).body.name, 'Via json-patch');
});

test('users: role changes apply to the user’s very next request', async () => {
  const { user, key } = await actor(['DataProductConsumer']);
  const tryCreate = () => srv.api('POST', USERS, { key, body: { subject: 's', email: `${uniqueName('rc')}@example.com` } });
  assertError(await tryCreate(), 403, 'DP-403-FORBIDDEN');
  let res = await srv.api('PATCH', `${USERS}/${user.id}`, { body: [{ op: 'replace', path: '/assignedRoles', value: [{ name: 'TenantAdmin' }] }] });
  assert.equal(res.status, 204, res.text);
  assert.equal((await tryCreate()).status, 201);
  res = await srv.api('PATCH', `${USERS}/${user.id}`, { body: [{ op: 'replace', path: '/assignedRoles', value: [] }] });
  assert.equal(res.status, 204, res.text);
  assertError(await tryCreate(), 403, 'DP-403-FORBIDDEN');
  assert.deepEqual((await whoAmI(key)).body.assignedRoles, []);
});

test('users: invalid patches are 400 and change nothing; non-admins 403; unknown user 404', async () => {
  const u = await makeUser(['DataProductConsumer'], { name: 'Stable Name' });
  const cases = [
    [{ op: 'replace', path: '/email', value: 'x@example.com' }, 'path'],
    [{ op: 'replace', path: '/status', value: 'deleted' }, 'status'],
    [{ op: 'replace', path: '/status', value: 'invited' }, 'status'],
    [{ op: 'replace', path: '/name', value: '' }, 'name'],
    [{ op: 'replace', path: '/name', value: 42 }, 'name'],
    [{ op: 'replace', path: '/assignedRoles', value: [{ name: 'Wizard' }] }, 'unknown role'],
    [{ op: 'replace', path: '/assignedRoles', value: 'TenantAdmin' }, 'operation /1'],
    [{ op: 'remove', path: '/name' }, 'replace'],
  ];
  for (const [op, detail] of cases) {
    // a valid op first: the patch is atomic, so it must not apply either
    const res = await srv.api('PATCH', `${USERS}/${u.id}`, { body: [{ op: 'replace', path: '/name', value: 'Changed' }, op] });
    assertError(res, 400, 'DP-400-VALIDATION', detail);
  }
  assertError(await srv.api('PATCH', `${USERS}/${u.id}`, { body: [] }), 400, 'DP-400-VALIDATION');
  assertError(await srv.api('PATCH', `${USERS}/${u.id}`, { body: { op: 'replace', path: '/name', value: 'x' } }), 400, 'DP-400-VALIDATION');
  const got = await srv.api('GET', `${USERS}/${u.id}`);
  assert.deepEqual(got.body, u, 'nothing changed');

  const { key } = await actor(['DataProductCreator']);
  assertError(await srv.api('PATCH', `${USERS}/${u.id}`, { key, body: [{ op: 'replace', path: '/name', value: 'Hijack' }] }), 403, 'DP-403-FORBIDDEN');
  assertError(await srv.api('DELETE', `${USERS}/${u.id}`, { key }), 403, 'DP-403-FORBIDDEN');
  assert.deepEqual((await srv.api('GET', `${USERS}/${u.id}`)).body, u);

  assertError(await srv.api('PATCH', `${USERS}/${MISSING_ID}`, { body: [{ op: 'replace', path: '/name', value: 'x' }] }), 404, 'DP-404-NOT-FOUND');
  assertError(await srv.api('PATCH', `${USERS}/${other.userId}`, { body: [{ op: 'replace', path: '/name', value: 'x' }] }), 404, 'DP-404-NOT-FOUND');
  assertError(await srv.api('PATCH', `${USERS}/NOT-A-GUID`, { body: [{ op: 'replace', path: '/name', value: 'x' }] }), 400, 'DP-400-INVALID-ID');
});

test('users: an admin cannot disable itself, drop its own TenantAdmin role or delete itself (409)', async () => {
  const self = `${USERS}/${srv.admin.userId}`;
  const before = (await whoAmI()).body;
  assertError(await srv.api('PATCH', self, { body: [{ op: 'replace', path: '/status', value: 'disabled' }] }), 409, 'DP-409-CONFLICT');
  assertError(await srv.api('PATCH', self, { body: [{ op: 'replace', path: '/assignedRoles', value: [{ name: 'DataProductCreator' }] }] }), 409, 'DP-409-CONFLICT');
  assertError(await srv.api('PATCH', self, { body: [{ op: 'replace', path: '/assignedRoles', value: [] }] }), 409, 'DP-409-CONFLICT');
  assertError(await srv.api('PATCH', self, {
    body: [{ op: 'replace', path: '/name', value: 'Should Not Stick' }, { op: 'replace', path: '/status', value: 'disabled' }],
  }), 409, 'DP-409-CONFLICT');
  assertError(await srv.api('DELETE', self), 409, 'DP-409-CONFLICT');
  const after = await whoAmI();
  assert.equal(after.status, 200, 'the admin still works');
  assert.deepEqual(after.body, before, 'nothing changed');

  // keeping TenantAdmin while adding roles, and renaming oneself, are fine
  let res = await srv.api('PATCH', self, { body: [{ op: 'replace', path: '/assignedRoles', value: [{ name: 'TenantAdmin' }, { name: 'DataProductCreator' }] }] });
  assert.equal(res.status, 204, res.text);
  res = await srv.api('PATCH', self, { body: [{ op: 'replace', path: '/status', value: 'active' }] });
  assert.equal(res.status, 204, res.text);
  assert.deepEqual(roleNames((await whoAmI()).body), ['DataProductCreator', 'TenantAdmin']);
  // only oneself is protected: a peer admin's role may be dropped
  const peer = await makeUser(['TenantAdmin']);
  res = await srv.api('PATCH', `${USERS}/${peer.id}`, { body: [{ op: 'replace', path: '/assignedRoles', value: [] }] });
  assert.equal(res.status, 204, res.text);
});

// ---------------------------------------------------------------- users: disable / delete

test('users: disabling a user makes its keys 401 at once; re-enabling restores them', async () => {
  const { user, key } = await actor(['DataProductCreator']);
  const second = await makeKey({ sub: user.id });
  await assertWorks(key, user.id);
  let res = await srv.api('PATCH', `${USERS}/${user.id}`, { body: [{ op: 'replace', path: '/status', value: 'disabled' }] });
  assert.equal(res.status, 204, res.text);
  await assert401(key);
  await assert401(second.token);
  assertError(await srv.api('GET', KEYS, { key }), 401, 'DP-401-UNAUTHORIZED');
  // the keys still exist: only the user's status stops them
  const keyDoc = await srv.api('GET', `${KEYS}/${second.id}`);
  assert.equal(keyDoc.status, 200);

  res = await srv.api('PATCH', `${USERS}/${user.id}`, { body: [{ op: 'replace', path: '/status', value: 'active' }] });
  assert.equal(res.status, 204, res.text);
  await assertWorks(key, user.id);
  await assertWorks(second.token, user.id);
});

test('users: delete -> 204, then 404; its keys are 401 on the very next request; its space assignments disappear', async () => {
  const { user, key, keyId } = await actor(['DataProductCreator']);
  const space = await makeSpace(srv, { type: 'shared' });
  const asg = await srv.api('POST', `/api/v1/spaces/${space.id}/assignments`, {
    body: { assigneeId: user.id, type: 'user', roles: ['producer'] },
  });
  assert.equal(asg.status, 201, asg.text);
  const asgPath = `/api/v1/spaces/${space.id}/assignments/${asg.body.id}`;
  assert.equal((await srv.api('GET', asgPath)).status, 200);
  await assertWorks(key, user.id);

  const del = await srv.api('DELETE', `${USERS}/${user.id}`);
  assert.equal(del.status, 204, del.text);
  assert.equal(del.text, '');
  await assert401(key);
  assertError(await srv.api('GET', `${USERS}/${user.id}`), 404, 'DP-404-NOT-FOUND');
  assertError(await srv.api('DELETE', `${USERS}/${user.id}`), 404, 'DP-404-NOT-FOUND');
  assertError(await srv.api('PATCH', `${USERS}/${user.id}`, { body: [{ op: 'replace', path: '/name', value: 'x' }] }), 404, 'DP-404-NOT-FOUND');
  assertError(await srv.api('GET', `${KEYS}/${keyId}`), 404, 'DP-404-NOT-FOUND');
  const keys = await srv.api('GET', `${KEYS}?sub=${user.id}`);
  assert.equal(keys.status, 200);
  assert.deepEqual(keys.body.data, [], 'the user’s keys are gone');

  assertError(await srv.api('GET', asgPath), 404, 'DP-404-NOT-FOUND');
  const list = await srv.api('GET', `/api/v1/spaces/${space.id}/assignments`);
  assert.equal(list.status, 200);
  assert.ok(!list.body.data.some((a) => a.assigneeId === user.id), 'assignment removed');
  assert.equal(list.body.meta.count, 0);
  const users = await srv.api('GET', `${USERS}?email=${encodeURIComponent(user.email)}`);
  assert.equal(users.body.totalResults, 0);
  // the address is free again
  const again = await srv.api('POST', USERS, { body: { subject: 'again', email: user.email } });
  assert.equal(again.status, 201, again.text);
  assert.notEqual(again.body.id, user.id);
  // and the old key does not come back with the address
  await assert401(key);
});

test('users: delete of another tenant’s user is 404 and it keeps working', async () => {
  assertError(await srv.api('DELETE', `${USERS}/${other.userId}`), 404, 'DP-404-NOT-FOUND');
  await assertWorks(other.apiKey, other.userId);
  assertError(await srv.api('DELETE', `${USERS}/${MISSING_ID}`), 404, 'DP-404-NOT-FOUND');
  assertError(await srv.api('DELETE', `${USERS}/xyz`), 400, 'DP-400-INVALID-ID');
});

// ---------------------------------------------------------------- API keys: create

test('api-keys: a user creates its own key; token shown once (dp_ + 43 chars); ApiKeyWithToken', async () => {
  const { user, key } = await actor(['DataProductConsumer']);
  const res = await srv.api('POST', KEYS, { key, body: { description: 'my laptop' } });
  assert.equal(res.status, 201, res.text);
  const k = res.body;
  assertKey(k, { withToken: true });
  assert.match(k.token, TOKEN_RE);
  assert.equal(k.sub, user.id);
  assert.equal(k.createdByUser, user.id);
  assert.equal(k.description, 'my laptop');
  assert.equal(k.status, 'active');
  assert.match(k.created, ISO_MS_RE);
  assert.equal(Date.parse(k.expiry) - Date.parse(k.created), 90 * DAY, 'default expiry P90D');
  await assertWorks(k.token, user.id);

  const got = await srv.api('GET', `${KEYS}/${k.id}`, { key });
  assert.equal(got.status, 200, got.text);
  assertKey(got.body);
  const { token, ...withoutToken } = k;
  assert.deepEqual(got.body, withoutToken, 'GET is the same key minus the token');
  assert.ok(!got.text.includes(token), 'the token is never shown again');

  // two keys never share a token
  const k2 = await makeKey({}, { key });
  assert.notEqual(k2.token, k.token);
  assert.notEqual(k2.id, k.id);
});

test('api-keys: expiry formats set expiry = created + duration', async () => {
  const cases = {
    P7D: 7 * DAY, PT1H: 3600000, P1W: 7 * DAY, PT30M: 1800000, PT90S: 90000,
    P1DT12H: 1.5 * DAY, P365D: 365 * DAY, P1Y: 365 * DAY, PT1S: 1000,
  };
  for (const [expiry, ms] of Object.entries(cases)) {
    const k = await makeKey({ expiry });
    assertKey(k, { withToken: true });
    assert.equal(Date.parse(k.expiry) - Date.parse(k.created), ms, `expiry ${expiry}`);
    const got = await srv.api('GET', `${KEYS}/${k.id}`);
    assert.equal(got.body.expiry, k.expiry);
  }
  const dflt = await makeKey({});
  assert.equal(Date.parse(dflt.expiry) - Date.parse(dflt.created), 90 * DAY);
  const nul = await makeKey({ expiry: null });
  assert.equal(Date.parse(nul.expiry) - Date.parse(nul.created), 90 * DAY, 'null expiry means the default');
});

test('api-keys: bad expiry, too long expiry, bad subType and unknown fields are 400; nothing created', async () => {
  const before = await walk(`${KEYS}?sub=${srv.admin.userId}&limit=100`);
  for (const expiry of ['', '7D', 'P', 'PT', 'P1DT', 'P1.5D', 'P-1D', '-P1D', 'P0D', 'PT0S', 'p7d', 'P7d',
    'PT1H1M1H', 'PT1M1H', 'P1D1Y', 'P1W1D', 'P 7D', '7', 'forever', 'P366D', 'P1Y1D', 'P2Y', 'PT8761H', 'P53W']) {
    const res = await srv.api('POST', KEYS, { body: { description: 'bad', expiry } });
    assertError(res, 400, 'DP-400-VALIDATION', 'expiry');
  }
  assertError(await srv.api('POST', KEYS, { body: { description: 'bad', expiry: 7 } }), 400, 'DP-400-VALIDATION', 'expiry');
  assertError(await srv.api('POST', KEYS, { body: { description: 'bad', subType: 'externalClient' } }), 400, 'DP-400-VALIDATION', 'subType');
  assertError(await srv.api('POST', KEYS, { body: { description: 'bad', colour: 'red' } }), 400, 'DP-400-VALIDATION', "unknown field 'colour'");
  assertError(await srv.api('POST', KEYS, { body: { expiry: 'P1D' } }), 400, 'DP-400-VALIDATION', 'description');
  assertError(await srv.api('POST', KEYS, { body: { description: 'bad', sub: 'not-a-guid' } }), 400, 'DP-400-VALIDATION', 'sub');
  assertError(await srv.api('POST', KEYS, { body: { description: 'bad', sub: MISSING_ID } }), 400, 'DP-400-VALIDATION', 'sub');
  // another tenant's user is the same as a missing one
  const cross = await srv.api('POST', KEYS, { body: { description: 'bad', sub: other.userId } });
  assertError(cross, 400, 'DP-400-VALIDATION', 'sub');
  assertError(await srv.api('POST', KEYS, {}), 400, 'DP-400-BAD-REQUEST');
  const after = await walk(`${KEYS}?sub=${srv.admin.userId}&limit=100`);
  assert.equal(after.length, before.length, 'no key created');
});

test('api-keys: subType "user" is accepted and the only one', async () => {
  const k = await makeKey({ subType: 'user' });
  assertKey(k, { withToken: true });
});

test('api-keys: a key made with expiry PT1S works at first and is 401 once it has passed', async () => {
  const { user } = await actor(['DataProductConsumer']);
  const k = await makeKey({ sub: user.id, expiry: 'PT1S' });
  await assertWorks(k.token, user.id);
  await pause(1500);
  await assert401(k.token);
  const got = await srv.api('GET', `${KEYS}/${k.id}`);
  assert.equal(got.status, 200);
  assert.equal(got.body.status, 'expired');
});

test('api-keys: the bootstrap key never expires (9999-12-31T23:59:59.999Z)', async () => {
  const keys = await walk(`${KEYS}?sub=${srv.admin.userId}&limit=100`);
  const boot = keys.filter((k) => k.expiry === '9999-12-31T23:59:59.999Z');
  assert.equal(boot.length, 1, 'exactly the bootstrap key');
  assert.equal(boot[0].status, 'active');
  assertKey(boot[0]);
});

// ---------------------------------------------------------------- API keys: who sees and makes what

test('api-keys: admin creates a key for another user with sub; a non-admin gets 403 for that', async () => {
  const target = await makeUser(['DataProductConsumer']);
  const res = await srv.api('POST', KEYS, { body: { description: 'for target', sub: target.id, subType: 'user' } });
  assert.equal(res.status, 201, res.text);
  assertKey(res.body, { withToken: true });
  assert.equal(res.body.sub, target.id);
  assert.equal(res.body.createdByUser, srv.admin.userId);
  await assertWorks(res.body.token, target.id);

  const { user, key } = await actor(['DataProductCreator']);
  const forbidden = await srv.api('POST', KEYS, { key, body: { description: 'steal', sub: target.id } });
  assertError(forbidden, 403, 'DP-403-FORBIDDEN');
  // naming oneself is fine
  const own = await srv.api('POST', KEYS, { key, body: { description: 'mine', sub: user.id } });
  assert.equal(own.status, 201, own.text);
  assert.equal(own.body.sub, user.id);
  const targetKeys = await srv.api('GET', `${KEYS}?sub=${target.id}`);
  assert.deepEqual(targetKeys.body.data.map((k) => k.id), [res.body.id], 'the 403 created nothing');
});

test('api-keys: list never contains a token; non-admins see only their own; ?sub=other is 403', async () => {
  const a = await actor(['DataProductCreator']);
  const b = await actor(['DataProductCreator']);
  const a2 = await makeKey({ description: 'a second' }, { key: a.key });
  const b2 = await makeKey({ description: 'b second' }, { key: b.key });

  const listA = await srv.api('GET', KEYS, { key: a.key });
  assert.equal(listA.status, 200, listA.text);
  assertKeysWithin(listA.body, ['data', 'links'], 'ApiKeyPage');
  assert.equal(listA.body.links.self.href.startsWith(`${srv.url}${KEYS}`), true);
  assert.deepEqual(listA.body.data.map((k) => k.id).sort(), [a.keyId, a2.id].sort());
  for (const k of listA.body.data) {
    assertKey(k);
    assert.equal(k.sub, a.user.id);
  }
  assert.ok(!listA.text.includes('"token"'), 'no token field in a list');
  assert.ok(!listA.text.includes(a2.token) && !listA.text.includes(a.key), 'no token value in a list');

  const own = await srv.api('GET', `${KEYS}?sub=${a.user.id}`, { key: a.key });
  assert.equal(own.status, 200);
  assert.equal(own.body.data.length, 2);
  assertError(await srv.api('GET', `${KEYS}?sub=${b.user.id}`, { key: a.key }), 403, 'DP-403-FORBIDDEN');
  assertError(await srv.api('GET', `${KEYS}?sub=${srv.admin.userId}`, { key: a.key }), 403, 'DP-403-FORBIDDEN');
  // not one's own: 403 before the value is judged (decisions.md "Issue 8 — who sees what")
  assertError(await srv.api('GET', `${KEYS}?sub=nope`, { key: a.key }), 403, 'DP-403-FORBIDDEN');
  assertError(await srv.api('GET', `${KEYS}?sub=nope`), 400, 'DP-400-INVALID-QUERY');

  // the admin sees everyone's, and ?sub= filters
  const all = await walk(`${KEYS}?limit=3`);
  const ids = all.map((k) => k.id);
  assert.equal(new Set(ids).size, ids.length, 'paging repeats no key');
  for (const id of [a.keyId, a2.id, b.keyId, b2.id]) assert.ok(ids.includes(id), `${id} in the admin's list`);
  assert.ok(all.some((k) => k.sub === srv.admin.userId));
  for (const k of all) assertKey(k);
  const onlyB = await srv.api('GET', `${KEYS}?sub=${b.user.id}`);
  assert.deepEqual(onlyB.body.data.map((k) => k.id).sort(), [b.keyId, b2.id].sort());
  const raw = await srv.api('GET', `${KEYS}?limit=100`);
  assert.ok(!raw.text.includes('"token"'));
  // another tenant's admin sees none of these
  const foreign = await walk(`${KEYS}?limit=100`, other.apiKey);
  for (const k of foreign) assert.equal(k.tenantId, other.tenantId);
  assert.ok(!foreign.some((k) => ids.includes(k.id)));

  for (const q of ['limit=0', 'limit=101', 'page=0']) {
    assertError(await srv.api('GET', `${KEYS}?${q}`), 400, 'DP-400-INVALID-QUERY');
  }
});

test('api-keys: get / patch description / delete own key; other users’ keys are 404 for non-admins', async () => {
  const a = await actor(['DataProductCreator']);
  const b = await actor(['DataProductCreator']);
  const mine = await makeKey({ description: 'before' }, { key: a.key });
  const path = `${KEYS}/${mine.id}`;

  let res = await srv.api('GET', path, { key: a.key });
  assert.equal(res.status, 200, res.text);
  assertKey(res.body);
  assert.match(res.headers.get('etag') || '', /^"[0-9a-f]{32}"$/);

  res = await srv.api('PATCH', path, { key: a.key, body: [{ op: 'replace', path: '/description', value: 'after' }] });
  assert.equal(res.status, 204, res.text);
  res = await srv.api('GET', path, { key: a.key });
  assert.equal(res.body.description, 'after');
  assert.ok(res.body.lastUpdated >= res.body.created);
  assert.equal(res.body.expiry, mine.expiry, 'patch leaves expiry alone');
  await assertWorks(mine.token, a.user.id);

  for (const body of [
    [{ op: 'replace', path: '/expiry', value: 'P1D' }],
    [{ op: 'add', path: '/description', value: 'x' }],
    [{ op: 'replace', path: '/description', value: 5 }],
    [{ op: 'replace', path: '/description' }],
    [{ op: 'replace', path: '/description', value: 'x'.repeat(1025) }],
    { op: 'replace', path: '/description', value: 'x' },
    [],
  ]) {
    assertError(await srv.api('PATCH', path, { key: a.key, body }), 400, 'DP-400-VALIDATION');
  }
  assert.equal((await srv.api('GET', path, { key: a.key })).body.description, 'after');

  // B cannot see, change or delete A's key: 404, and nothing happens
  assertError(await srv.api('GET', path, { key: b.key }), 404, 'DP-404-NOT-FOUND');
  assertError(await srv.api('PATCH', path, { key: b.key, body: [{ op: 'replace', path: '/description', value: 'B was here' }] }), 404, 'DP-404-NOT-FOUND');
  assertError(await srv.api('DELETE', path, { key: b.key }), 404, 'DP-404-NOT-FOUND');
  assertError(await srv.api('GET', `${KEYS}/${srv.admin.userId}`, { key: b.key }), 404, 'DP-404-NOT-FOUND');
  res = await srv.api('GET', path, { key: a.key });
  assert.equal(res.body.description, 'after');
  await assertWorks(mine.token, a.user.id);
  // another tenant's admin: 404 too
  assertError(await srv.api('GET', path, { key: other.apiKey }), 404, 'DP-404-NOT-FOUND');
  assertError(await srv.api('DELETE', path, { key: other.apiKey }), 404, 'DP-404-NOT-FOUND');
  // the tenant's admin may read and change it
  res = await srv.api('GET', path);
  assert.equal(res.status, 200);
  assert.equal(res.body.sub, a.user.id);
  res = await srv.api('PATCH', path, { body: [{ op: 'replace', path: '/description', value: 'by admin' }] });
  assert.equal(res.status, 204, res.text);

  // delete own: 204; the key is 401 on the next request; its id is 404 afterwards
  res = await srv.api('DELETE', path, { key: a.key });
  assert.equal(res.status, 204, res.text);
  await assert401(mine.token);
  assertError(await srv.api('GET', path, { key: a.key }), 404, 'DP-404-NOT-FOUND');
  assertError(await srv.api('GET', path), 404, 'DP-404-NOT-FOUND');
  assertError(await srv.api('DELETE', path, { key: a.key }), 404, 'DP-404-NOT-FOUND');
  assertError(await srv.api('PATCH', path, { key: a.key, body: [{ op: 'replace', path: '/description', value: 'x' }] }), 404, 'DP-404-NOT-FOUND');
  assert.ok(!(await srv.api('GET', KEYS, { key: a.key })).body.data.some((k) => k.id === mine.id));
  await assertWorks(a.key, a.user.id); // A's other key is unaffected

  assertError(await srv.api('GET', `${KEYS}/${MISSING_ID}`), 404, 'DP-404-NOT-FOUND');
  assertError(await srv.api('GET', `${KEYS}/abc`), 400, 'DP-400-INVALID-ID');
});

test('api-keys: a key may delete itself; the admin revoking a user’s key stops it at once', async () => {
  const a = await actor(['DataProductConsumer']);
  const res = await srv.api('DELETE', `${KEYS}/${a.keyId}`, { key: a.key });
  assert.equal(res.status, 204, res.text);
  await assert401(a.key);

  const b = await actor(['DataProductConsumer']);
  await assertWorks(b.key, b.user.id);
  const del = await srv.api('DELETE', `${KEYS}/${b.keyId}`);
  assert.equal(del.status, 204, del.text);
  await assert401(b.key);
  assertError(await srv.api('GET', `${KEYS}/${b.keyId}`), 404, 'DP-404-NOT-FOUND');
});
