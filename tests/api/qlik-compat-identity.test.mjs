// qlik-compat-identity: Qlik's own client, @qlik/api 2.19.0, drives the
// identity and spaces endpoints unmodified: the `users` functions (getMyUser,
// getUsers with next()/prev(), getUser, createUser, patchUser, deleteUser),
// the `api-keys` functions (createApiKey, getApiKeys, getApiKey, patchApiKey,
// deleteApiKey) and the `spaces` functions beyond create/get (getSpaces with
// filters, patchSpace, deleteSpace, createSpaceAssignment,
// getSpaceAssignments, getSpaceAssignment, deleteSpaceAssignment).
// Responses are checked against reference/qlik-api-2.19.0/users.d.ts,
// api-keys.d.ts and spaces.d.ts; errors must surface as thrown errors whose
// .status / .data carry the error envelope.
//
// Functions the server does not implement (countUsers, filterUsers,
// inviteUsers, the api-keys config, updateSpace, updateSpaceAssignment,
// shares, getSpaceTypes) are out of scope.
//
// The client caches GET responses; every read after a write passes
// { noCache: true }. Calls as another user pass options.hostConfig.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, MISSING_ID } from './lib/server.mjs';
import { setDefaultHostConfig } from '@qlik/api/auth';
import * as users from '@qlik/api/users';
import * as apiKeys from '@qlik/api/api-keys';
import * as spaces from '@qlik/api/spaces';
import * as dp from '@qlik/api/data-governance/data-products';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const TOKEN = /^dp_[A-Za-z0-9_-]{43}$/;
const DAY = 86400000;
const NC = { noCache: true };

let srv;
let hostConfig;
let seq = 0;
const unique = (p) => `${p}-${process.pid}-${++seq}`;

/** Call options acting as the holder of `apiKey` (never cached). */
const as = (apiKey) => ({ hostConfig: { ...hostConfig, apiKey }, noCache: true });

before(async () => {
  srv = await startServer({ args: ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0'] });
  hostConfig = { authType: 'apikey', host: srv.url, apiKey: srv.key };
  setDefaultHostConfig(hostConfig);
});

after(async () => {
  if (srv) await srv.stop();
});

// ---------------------------------------------------------------- helpers

/** Awaits a call that must fail; checks status, code and the error envelope. */
async function failsWith(promise, status, code) {
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected the call to throw ${status} ${code}`);
  assert.ok(err instanceof Error, 'the client throws an Error');
  assert.equal(err.status, status, `status of: ${err.message} ${JSON.stringify(err.data)}`);
  assert.equal(typeof err.data, 'object', 'the error body is parsed JSON');
  assert.ok(Array.isArray(err.data.errors) && err.data.errors.length >= 1, 'errors[] present');
  const e0 = err.data.errors[0];
  assert.equal(e0.code, code);
  assert.equal(e0.status, String(status));
  assert.equal(typeof e0.title, 'string');
  assert.equal(typeof e0.detail, 'string');
  assert.match(err.data.traceId, /^[0-9a-f]{32}$/);
  assert.equal(err.headers.get('x-trace-id'), err.data.traceId);
  return e0;
}

function assertKeysWithin(obj, allowed, what) {
  assert.equal(typeof obj, 'object', what);
  for (const k of Object.keys(obj)) assert.ok(allowed.includes(k), `${what}: unexpected field '${k}'`);
}

function assertLink(link, what) {
  assertKeysWithin(link, ['href'], `${what} (Link)`);
  assert.equal(typeof link.href, 'string');
  assert.equal(new URL(link.href).origin, srv.url, `${what} is absolute`);
}

/** User (users.d.ts). */
function assertUser(u) {
  assertKeysWithin(u, ['assignedGroups', 'assignedRoles', 'assignedScopes', 'createdAt', 'email', 'id',
    'inviteExpiry', 'lastUpdatedAt', 'links', 'locale', 'name', 'picture', 'preferredLocale',
    'preferredZoneinfo', 'status', 'subject', 'tenantId', 'zoneinfo'], 'User');
  assert.match(u.id, GUID);
  assert.equal(u.tenantId, srv.admin.tenantId);
  assert.equal(typeof u.name, 'string');
  assert.equal(typeof u.subject, 'string');
  if ('email' in u) assert.equal(typeof u.email, 'string');
  if ('status' in u) assert.ok(['active', 'invited', 'disabled', 'deleted', 'provisioned'].includes(u.status));
  for (const k of ['createdAt', 'lastUpdatedAt']) if (k in u) assert.match(u[k], ISO);
  if ('assignedRoles' in u) {
    assert.ok(Array.isArray(u.assignedRoles));
    for (const r of u.assignedRoles) {
      assertKeysWithin(r, ['id', 'level', 'name', 'type'], 'AssignedRoles[]');
      for (const k of ['id', 'level', 'name', 'type']) assert.equal(typeof r[k], 'string', `AssignedRoles[].${k}`);
      assert.ok(['admin', 'user'].includes(r.level));
      assert.ok(['default', 'custom'].includes(r.type));
    }
  }
  if ('links' in u) {
    assertKeysWithin(u.links, ['self'], 'User.links');
    assert.equal(u.links.self.href, `${srv.url}/api/v1/users/${u.id}`);
  }
}
const roleNames = (u) => u.assignedRoles.map((r) => r.name).sort();

/** ApiKey / ApiKeyWithToken (api-keys.d.ts). */
function assertApiKey(k, withToken = false) {
  const fields = ['created', 'createdByUser', 'description', 'expiry', 'id', 'lastUpdated', 'status', 'sub', 'subType', 'tenantId'];
  assertKeysWithin(k, withToken ? [...fields, 'token'] : fields, withToken ? 'ApiKeyWithToken' : 'ApiKey');
  for (const f of ['createdByUser', 'description', 'expiry', 'id', 'status', 'sub', 'subType', 'tenantId']) {
    assert.ok(f in k, `ApiKey.${f} required`);
  }
  assert.match(k.id, GUID);
  assert.match(k.sub, GUID);
  assert.match(k.createdByUser, GUID);
  assert.equal(k.tenantId, srv.admin.tenantId);
  assert.equal(k.subType, 'user');
  assert.ok(['active', 'expired', 'revoked'].includes(k.status));
  assert.match(k.expiry, ISO);
  for (const f of ['created', 'lastUpdated']) if (f in k) assert.match(k[f], ISO);
  if (withToken) assert.match(k.token, TOKEN);
}

const ROLE_TYPES = ['consumer', 'contributor', 'dataconsumer', 'datapreview', 'facilitator', 'operator',
  'producer', 'publisher', 'basicconsumer', 'codeveloper'];
const ASSIGNABLE = {
  shared: ['basicconsumer', 'codeveloper', 'consumer', 'dataconsumer', 'facilitator', 'producer'],
  managed: ['basicconsumer', 'consumer', 'contributor', 'dataconsumer', 'facilitator', 'operator', 'publisher'],
  data: ['consumer', 'dataconsumer', 'datapreview', 'facilitator', 'operator', 'producer'],
};

/** Space (spaces.d.ts), with meta as decided: roles held, assignable roles, allowed actions. */
function assertSpace(s) {
  assertKeysWithin(s, ['createdAt', 'createdBy', 'description', 'id', 'links', 'meta', 'name', 'ownerId',
    'tenantId', 'type', 'updatedAt'], 'Space');
  assert.match(s.id, GUID);
  assert.equal(typeof s.name, 'string');
  assert.equal(s.tenantId, srv.admin.tenantId);
  assert.ok(['shared', 'managed', 'data'].includes(s.type));
  if ('ownerId' in s) assert.match(s.ownerId, GUID);
  for (const k of ['createdAt', 'updatedAt']) if (k in s) assert.match(s[k], ISO);
  assertKeysWithin(s.links, ['assignments', 'self'], 'Space.links');
  assert.equal(s.links.self.href, `${srv.url}/api/v1/spaces/${s.id}`);
  assert.equal(s.links.assignments.href, `${srv.url}/api/v1/spaces/${s.id}/assignments`);
  assertKeysWithin(s.meta, ['actions', 'assignableRoles', 'roles'], 'Space.meta');
  for (const a of s.meta.actions) {
    assert.ok(['change_owner', 'create', 'read', 'update', 'delete', 'publish', 'link_environment', 'restrict'].includes(a), a);
  }
  for (const r of [...s.meta.assignableRoles, ...s.meta.roles]) assert.ok(ROLE_TYPES.includes(r), r);
  assert.deepEqual([...s.meta.assignableRoles].sort(), ASSIGNABLE[s.type]);
}

/** Assignment (spaces.d.ts). */
function assertAssignment(a, spaceId) {
  assertKeysWithin(a, ['assigneeId', 'createdAt', 'createdBy', 'id', 'links', 'roles', 'spaceId', 'tenantId',
    'type', 'updatedAt', 'updatedBy'], 'Assignment');
  assert.match(a.id, GUID);
  assert.match(a.assigneeId, GUID);
  assert.equal(a.spaceId, spaceId);
  assert.equal(a.tenantId, srv.admin.tenantId);
  assert.equal(a.type, 'user');
  assert.ok(Array.isArray(a.roles) && a.roles.length > 0);
  for (const r of a.roles) assert.ok(ROLE_TYPES.includes(r), r);
  for (const k of ['createdAt', 'updatedAt']) if (k in a) assert.match(a[k], ISO);
  for (const k of ['createdBy', 'updatedBy']) if (k in a) assert.match(a[k], GUID);
  assertKeysWithin(a.links, ['self', 'space'], 'Assignment.links');
  assert.equal(a.links.self.href, `${srv.url}/api/v1/spaces/${spaceId}/assignments/${a.id}`);
  if (a.links.space) assert.equal(a.links.space.href, `${srv.url}/api/v1/spaces/${spaceId}`);
}

/** A user made through createUser, plus a key for it made through createApiKey. */
async function newActor(roles = ['DataProductCreator']) {
  const email = `${unique('qa')}@example.com`;
  const u = await users.createUser({ subject: `idp|${email}`, email, assignedRoles: roles.map((name) => ({ name })) });
  assert.equal(u.status, 201);
  const k = await apiKeys.createApiKey({ description: 'actor', sub: u.data.id });
  assert.equal(k.status, 201);
  return { user: u.data, key: k.data.token, keyId: k.data.id };
}

/** Follows next() from a first page; returns the pages. */
async function allPages(first) {
  const pages = [first];
  let res = first;
  while (res.next) {
    assert.ok(pages.length < 50, 'next() terminates');
    res = await res.next();
    assert.equal(res.status, 200);
    pages.push(res);
  }
  return pages;
}

// ---------------------------------------------------------------- users

describe('users', () => {
  test('getMyUser returns the caller', async () => {
    const res = await users.getMyUser();
    assert.equal(res.status, 200);
    assertUser(res.data);
    assert.equal(res.data.id, srv.admin.userId);
    assert.deepEqual(roleNames(res.data), ['TenantAdmin']);
    const { user, key } = await newActor(['DataProductConsumer']);
    const me = await users.getMyUser(as(key));
    assert.equal(me.data.id, user.id);
    assert.deepEqual(me.data, user);
  });

  test('createUser by name and by id; getUser returns it', async () => {
    const email = `${unique('created')}@example.com`;
    const res = await users.createUser({
      subject: `idp|${email}`, email, name: 'Created Through Qlik', assignedRoles: [{ name: 'DataProductCreator' }],
    });
    assert.equal(res.status, 201);
    assertUser(res.data);
    assert.equal(res.data.name, 'Created Through Qlik');
    assert.equal(res.data.email, email);
    assert.equal(res.data.subject, `idp|${email}`);
    assert.equal(res.data.status, 'active');
    assert.deepEqual(roleNames(res.data), ['DataProductCreator']);

    const byId = await users.createUser({
      subject: 'by-id', email: `${unique('byid')}@example.com`, assignedRoles: [{ id: res.data.assignedRoles[0].id }],
    });
    assert.equal(byId.status, 201);
    assert.deepEqual(roleNames(byId.data), ['DataProductCreator']);

    const got = await users.getUser(res.data.id, {}, NC);
    assert.equal(got.status, 200);
    assert.deepEqual(got.data, res.data);
    await failsWith(users.getUser(MISSING_ID, {}, NC), 404, 'DP-404-NOT-FOUND');
  });

  test('createUser errors: duplicate email 409, unknown role 400, missing subject 400, non-admin 403', async () => {
    const email = `${unique('dup')}@example.com`;
    await users.createUser({ subject: 's', email });
    await failsWith(users.createUser({ subject: 's2', email }), 409, 'DP-409-CONFLICT');
    await failsWith(users.createUser({ subject: 's', email: `${unique('r')}@example.com`, assignedRoles: [{ name: 'Overlord' }] }), 400, 'DP-400-VALIDATION');
    await failsWith(users.createUser({ email: `${unique('ns')}@example.com` }), 400, 'DP-400-VALIDATION');
    const { key } = await newActor(['DataProductCreator']);
    await failsWith(users.createUser({ subject: 's', email: `${unique('na')}@example.com` }, as(key)), 403, 'DP-403-FORBIDDEN');
  });

  test('getUsers: Users shape; next()/prev() follow the links; filter by email', async () => {
    for (let i = 0; i < 4; i++) await newActor(['DataProductConsumer']);
    const first = await users.getUsers({ limit: 2 }, NC);
    assert.equal(first.status, 200);
    assertKeysWithin(first.data, ['data', 'links', 'totalResults'], 'Users');
    assertKeysWithin(first.data.links, ['next', 'prev', 'self'], 'Users.links');
    assertLink(first.data.links.self, 'Users.links.self');
    const total = first.data.totalResults;
    assert.ok(total >= 5, `totalResults ${total}`);
    assert.equal(first.prev, undefined, 'no prev() on the first page');
    assert.equal(typeof first.next, 'function', 'next() offered');

    const pages = await allPages(first);
    assert.equal(pages.length, Math.ceil(total / 2));
    const ids = pages.flatMap((p) => p.data.data.map((u) => u.id));
    assert.equal(ids.length, total);
    assert.equal(new Set(ids).size, total, 'each user exactly once');
    for (const p of pages) for (const u of p.data.data) assertUser(u);
    assert.equal(pages.at(-1).next, undefined);

    const back = await pages[1].prev();
    assert.equal(back.status, 200);
    assert.deepEqual(back.data.data.map((u) => u.id), first.data.data.map((u) => u.id), 'prev() returns page 1');

    const target = pages.at(-1).data.data.at(-1);
    const filtered = await users.getUsers({ filter: `email eq "${target.email}"` }, NC);
    assert.deepEqual(filtered.data.data.map((u) => u.id), [target.id]);
    assert.equal(filtered.data.totalResults, 1);
    await failsWith(users.getUsers({ filter: 'name sw "a"' }, NC), 400, 'DP-400-INVALID-QUERY');
  });

  test('patchUser: /name, /assignedRoles, /status -> 204; getUser shows them; a disabled user’s key is refused', async () => {
    const { user, key } = await newActor(['DataProductConsumer']);
    let res = await users.patchUser(user.id, [
      { op: 'replace', path: '/name', value: 'Patched Through Qlik' },
      { op: 'replace', path: '/assignedRoles', value: [{ name: 'DataProductCreator' }, { name: 'DataProductConsumer' }] },
    ]);
    assert.equal(res.status, 204);
    let got = await users.getUser(user.id, {}, NC);
    assert.equal(got.data.name, 'Patched Through Qlik');
    assert.deepEqual(roleNames(got.data), ['DataProductConsumer', 'DataProductCreator']);

    res = await users.patchUser(user.id, [{ op: 'replace', path: '/status', value: 'disabled' }]);
    assert.equal(res.status, 204);
    got = await users.getUser(user.id, {}, NC);
    assert.equal(got.data.status, 'disabled');
    await failsWith(users.getMyUser(as(key)), 401, 'DP-401-UNAUTHORIZED');
    res = await users.patchUser(user.id, [{ op: 'replace', path: '/status', value: 'active' }]);
    assert.equal(res.status, 204);
    assert.equal((await users.getMyUser(as(key))).data.id, user.id);

    await failsWith(users.patchUser(user.id, [{ op: 'replace', path: '/inviteExpiry', value: 'x' }]), 400, 'DP-400-VALIDATION');
    await failsWith(users.patchUser(srv.admin.userId, [{ op: 'replace', path: '/status', value: 'disabled' }]), 409, 'DP-409-CONFLICT');
    await failsWith(users.patchUser(user.id, [{ op: 'replace', path: '/name', value: 'x' }], as(key)), 403, 'DP-403-FORBIDDEN');
    await failsWith(users.patchUser(MISSING_ID, [{ op: 'replace', path: '/name', value: 'x' }]), 404, 'DP-404-NOT-FOUND');
  });

  test('deleteUser: 204; getUser 404; its keys stop; deleting oneself is 409', async () => {
    const { user, key } = await newActor(['DataProductConsumer']);
    const res = await users.deleteUser(user.id);
    assert.equal(res.status, 204);
    await failsWith(users.getUser(user.id, {}, NC), 404, 'DP-404-NOT-FOUND');
    await failsWith(users.getMyUser(as(key)), 401, 'DP-401-UNAUTHORIZED');
    await failsWith(users.deleteUser(user.id), 404, 'DP-404-NOT-FOUND');
    await failsWith(users.deleteUser(srv.admin.userId), 409, 'DP-409-CONFLICT');
  });
});

// ---------------------------------------------------------------- api-keys

describe('api-keys', () => {
  test('createApiKey: ApiKeyWithToken; expiry honoured; the token works', async () => {
    const res = await apiKeys.createApiKey({ description: 'through qlik', expiry: 'P7D' });
    assert.equal(res.status, 201);
    assertApiKey(res.data, true);
    assert.equal(res.data.sub, srv.admin.userId);
    assert.equal(res.data.createdByUser, srv.admin.userId);
    assert.equal(res.data.description, 'through qlik');
    assert.equal(res.data.status, 'active');
    assert.equal(Date.parse(res.data.expiry) - Date.parse(res.data.created), 7 * DAY);
    const me = await users.getMyUser(as(res.data.token));
    assert.equal(me.data.id, srv.admin.userId);

    const dflt = await apiKeys.createApiKey({ description: 'default expiry' });
    assert.equal(Date.parse(dflt.data.expiry) - Date.parse(dflt.data.created), 90 * DAY);
    await failsWith(apiKeys.createApiKey({ description: 'x', expiry: 'P400D' }), 400, 'DP-400-VALIDATION');
    await failsWith(apiKeys.createApiKey({ description: 'x', subType: 'externalClient' }), 400, 'DP-400-VALIDATION');
  });

  test('createApiKey with sub: admins may, others get 403', async () => {
    const target = await newActor(['DataProductConsumer']);
    const res = await apiKeys.createApiKey({ description: 'for target', sub: target.user.id, subType: 'user' });
    assert.equal(res.status, 201);
    assertApiKey(res.data, true);
    assert.equal(res.data.sub, target.user.id);
    assert.equal(res.data.createdByUser, srv.admin.userId);
    const other = await newActor(['DataProductCreator']);
    await failsWith(apiKeys.createApiKey({ description: 'steal', sub: target.user.id }, as(other.key)), 403, 'DP-403-FORBIDDEN');
    const own = await apiKeys.createApiKey({ description: 'own' }, as(other.key));
    assert.equal(own.data.sub, other.user.id);
  });

  test('getApiKeys: ApiKeyPage without tokens; own keys only for non-admins; sub filter; next()', async () => {
    const a = await newActor(['DataProductCreator']);
    const extra = await apiKeys.createApiKey({ description: 'a2' }, as(a.key));
    const mine = await apiKeys.getApiKeys({}, as(a.key));
    assert.equal(mine.status, 200);
    assertKeysWithin(mine.data, ['data', 'links'], 'ApiKeyPage');
    assertKeysWithin(mine.data.links, ['next', 'prev', 'self'], 'ApiKeyPage.links');
    assertLink(mine.data.links.self, 'ApiKeyPage.links.self');
    assert.deepEqual(mine.data.data.map((k) => k.id).sort(), [a.keyId, extra.data.id].sort());
    for (const k of mine.data.data) {
      assertApiKey(k);
      assert.ok(!('token' in k), 'no token in a list');
    }
    await failsWith(apiKeys.getApiKeys({ sub: srv.admin.userId }, as(a.key)), 403, 'DP-403-FORBIDDEN');

    const bySub = await apiKeys.getApiKeys({ sub: a.user.id }, NC);
    assert.deepEqual(bySub.data.data.map((k) => k.id).sort(), [a.keyId, extra.data.id].sort());

    const first = await apiKeys.getApiKeys({ limit: 2 }, NC);
    assert.equal(first.data.data.length, 2);
    assert.equal(typeof first.next, 'function');
    const pages = await allPages(first);
    const ids = pages.flatMap((p) => p.data.data.map((k) => k.id));
    assert.equal(new Set(ids).size, ids.length);
    for (const id of [a.keyId, extra.data.id]) assert.ok(ids.includes(id));
    for (const p of pages) for (const k of p.data.data) assertApiKey(k);
    const back = await pages[1].prev();
    assert.deepEqual(back.data.data.map((k) => k.id), first.data.data.map((k) => k.id));
  });

  test('getApiKey / patchApiKey / deleteApiKey; other users’ keys are 404', async () => {
    const a = await newActor(['DataProductCreator']);
    const b = await newActor(['DataProductCreator']);
    const made = await apiKeys.createApiKey({ description: 'before' }, as(a.key));
    const id = made.data.id;

    let got = await apiKeys.getApiKey(id, as(a.key));
    assert.equal(got.status, 200);
    assertApiKey(got.data);
    const { token, ...rest } = made.data;
    assert.deepEqual(got.data, rest);

    const patched = await apiKeys.patchApiKey(id, [{ op: 'replace', path: '/description', value: 'after' }], as(a.key));
    assert.equal(patched.status, 204);
    got = await apiKeys.getApiKey(id, as(a.key));
    assert.equal(got.data.description, 'after');

    await failsWith(apiKeys.getApiKey(id, as(b.key)), 404, 'DP-404-NOT-FOUND');
    await failsWith(apiKeys.patchApiKey(id, [{ op: 'replace', path: '/description', value: 'b' }], as(b.key)), 404, 'DP-404-NOT-FOUND');
    await failsWith(apiKeys.deleteApiKey(id, as(b.key)), 404, 'DP-404-NOT-FOUND');
    assert.equal((await apiKeys.getApiKey(id, NC)).data.description, 'after', 'the admin sees it, unchanged');

    const del = await apiKeys.deleteApiKey(id, as(a.key));
    assert.equal(del.status, 204);
    await failsWith(users.getMyUser(as(token)), 401, 'DP-401-UNAUTHORIZED');
    await failsWith(apiKeys.getApiKey(id, NC), 404, 'DP-404-NOT-FOUND');
    await failsWith(apiKeys.deleteApiKey(id), 404, 'DP-404-NOT-FOUND');
  });
});

// ---------------------------------------------------------------- spaces

describe('spaces', () => {
  test('getSpaces: filters by type, name and ownerId; next()/prev() with limit', async () => {
    const tag = unique('flt');
    const made = {};
    for (const type of ['shared', 'managed', 'data']) {
      made[type] = (await spaces.createSpace({ name: `${tag} ${type} Space`, type })).data;
    }
    const creator = await newActor(['DataProductCreator']);
    const theirs = (await spaces.createSpace({ name: `${tag} theirs`, type: 'shared' }, as(creator.key))).data;
    assert.equal(theirs.ownerId, creator.user.id);

    const byName = await spaces.getSpaces({ name: tag }, NC);
    assert.equal(byName.status, 200);
    assertKeysWithin(byName.data, ['data', 'links', 'meta'], 'Spaces');
    assert.equal(byName.data.meta.count, 4);
    assert.deepEqual(byName.data.data.map((s) => s.id).sort(), [...Object.values(made).map((s) => s.id), theirs.id].sort());
    for (const s of byName.data.data) assertSpace(s);

    for (const type of ['shared', 'managed', 'data']) {
      const res = await spaces.getSpaces({ type, name: tag }, NC);
      const expected = [made[type].id, ...(type === 'shared' ? [theirs.id] : [])].sort();
      assert.deepEqual(res.data.data.map((s) => s.id).sort(), expected, `type=${type}`);
      for (const s of res.data.data) assert.equal(s.type, type);
    }
    const byOwner = await spaces.getSpaces({ ownerId: creator.user.id }, NC);
    assert.deepEqual(byOwner.data.data.map((s) => s.id), [theirs.id]);
    // the creator sees only the space it owns, and holds facilitator rights there
    const asCreator = await spaces.getSpaces({}, as(creator.key));
    assert.deepEqual(asCreator.data.data.map((s) => s.id), [theirs.id]);
    assertSpace(asCreator.data.data[0]);
    assert.deepEqual([...asCreator.data.data[0].meta.actions].sort(),
      ['change_owner', 'create', 'delete', 'publish', 'read', 'update']);
    await failsWith(spaces.getSpaces({ type: 'personal' }, NC), 400, 'DP-400-INVALID-QUERY');

    const first = await spaces.getSpaces({ name: tag, limit: 3 }, NC);
    assert.equal(first.data.data.length, 3);
    assert.equal(first.data.meta.count, 4);
    assert.equal(typeof first.next, 'function');
    const second = await first.next();
    assert.equal(second.data.data.length, 1);
    assert.equal(second.next, undefined);
    const back = await second.prev();
    assert.deepEqual(back.data.data.map((s) => s.id), first.data.data.map((s) => s.id));
  });

  test('patchSpace: /name, /description, /ownerId -> 200 Space', async () => {
    const s = (await spaces.createSpace({ name: unique('patch me'), type: 'shared', description: 'old' })).data;
    const res = await spaces.patchSpace(s.id, [
      { op: 'replace', path: '/name', value: 'Patched Name' },
      { op: 'replace', path: '/description', value: 'new' },
    ]);
    assert.equal(res.status, 200);
    assertSpace(res.data);
    assert.equal(res.data.name, 'Patched Name');
    assert.equal(res.data.description, 'new');
    assert.equal(res.data.id, s.id);
    const got = await spaces.getSpace(s.id, NC);
    assert.deepEqual(got.data, res.data);

    const { user, key } = await newActor(['DataProductCreator']);
    const owned = await spaces.patchSpace(s.id, [{ op: 'replace', path: '/ownerId', value: user.id }]);
    assert.equal(owned.data.ownerId, user.id);
    const seen = await spaces.getSpace(s.id, as(key));
    assert.equal(seen.data.ownerId, user.id);
    assert.ok(seen.data.meta.actions.includes('delete'), 'the new owner may delete it');

    const consumer = await newActor(['DataProductConsumer']);
    await spaces.createSpaceAssignment(s.id, { assigneeId: consumer.user.id, type: 'user', roles: ['consumer'] });
    await failsWith(spaces.patchSpace(s.id, [{ op: 'replace', path: '/name', value: 'nope' }], as(consumer.key)), 403, 'DP-403-FORBIDDEN');
    await failsWith(spaces.patchSpace(s.id, [{ op: 'replace', path: '/colour', value: 'red' }]), 400, 'DP-400-VALIDATION');
    await failsWith(spaces.patchSpace(MISSING_ID, [{ op: 'replace', path: '/name', value: 'x' }]), 404, 'DP-404-NOT-FOUND');
  });

  test('deleteSpace: 204, then 404; 409 while it holds a data product', async () => {
    const s = (await spaces.createSpace({ name: unique('del'), type: 'shared' })).data;
    const res = await spaces.deleteSpace(s.id);
    assert.equal(res.status, 204);
    await failsWith(spaces.getSpace(s.id, NC), 404, 'DP-404-NOT-FOUND');
    await failsWith(spaces.deleteSpace(s.id), 404, 'DP-404-NOT-FOUND');

    const busy = (await spaces.createSpace({ name: unique('busy'), type: 'shared' })).data;
    const p = await dp.createDataProduct({ name: unique('resident'), spaceId: busy.id });
    await failsWith(spaces.deleteSpace(busy.id), 409, 'DP-409-CONFLICT');
    assert.equal((await spaces.getSpace(busy.id, NC)).status, 200);
    await dp.deleteDataProduct(p.data.id);
    assert.equal((await spaces.deleteSpace(busy.id)).status, 204);
  });

  test('assignments: create, list with next(), get, delete; the assignee’s view follows', async () => {
    const s = (await spaces.createSpace({ name: unique('asg'), type: 'managed' })).data;
    const actors = [];
    for (let i = 0; i < 3; i++) actors.push(await newActor(['DataProductConsumer']));
    await failsWith(spaces.getSpace(s.id, as(actors[0].key)), 404, 'DP-404-NOT-FOUND');

    const created = [];
    for (const [i, a] of actors.entries()) {
      const res = await spaces.createSpaceAssignment(s.id, {
        assigneeId: a.user.id, type: 'user', roles: i === 0 ? ['consumer'] : ['publisher', 'contributor'],
      });
      assert.equal(res.status, 201);
      assertAssignment(res.data, s.id);
      assert.equal(res.data.assigneeId, a.user.id);
      created.push(res.data);
    }
    assert.deepEqual(created[0].roles, ['consumer']);
    assert.deepEqual([...created[1].roles].sort(), ['contributor', 'publisher']);

    // the consumer now sees the space, with its role and only "read"
    const view = await spaces.getSpace(s.id, as(actors[0].key));
    assertSpace(view.data);
    assert.deepEqual(view.data.meta.roles, ['consumer']);
    assert.deepEqual(view.data.meta.actions, ['read']);

    await failsWith(spaces.createSpaceAssignment(s.id, { assigneeId: actors[0].user.id, type: 'user', roles: ['publisher'] }), 409, 'DP-409-CONFLICT');
    await failsWith(spaces.createSpaceAssignment(s.id, { assigneeId: actors[0].user.id, type: 'user', roles: ['producer'] }), 400, 'DP-400-VALIDATION');
    await failsWith(spaces.createSpaceAssignment(s.id, { assigneeId: actors[0].user.id, type: 'group', roles: ['consumer'] }), 400, 'DP-400-VALIDATION');
    await failsWith(spaces.createSpaceAssignment(s.id, { assigneeId: MISSING_ID, type: 'user', roles: ['consumer'] }), 400, 'DP-400-VALIDATION');
    await failsWith(spaces.createSpaceAssignment(s.id, { assigneeId: srv.admin.userId, type: 'user', roles: ['consumer'] }, as(actors[0].key)), 403, 'DP-403-FORBIDDEN');

    const list = await spaces.getSpaceAssignments(s.id, {}, NC);
    assert.equal(list.status, 200);
    assertKeysWithin(list.data, ['data', 'links', 'meta'], 'Assignments');
    assert.equal(list.data.meta.count, 3);
    assert.deepEqual(list.data.data.map((a) => a.id).sort(), created.map((a) => a.id).sort());
    for (const a of list.data.data) assertAssignment(a, s.id);
    const first = await spaces.getSpaceAssignments(s.id, { limit: 2 }, NC);
    assert.equal(first.data.data.length, 2);
    const pages = await allPages(first);
    assert.equal(pages.length, 2);
    assert.deepEqual(pages.flatMap((p) => p.data.data.map((a) => a.id)).sort(), created.map((a) => a.id).sort());

    const one = await spaces.getSpaceAssignment(s.id, created[1].id, NC);
    assert.equal(one.status, 200);
    assert.deepEqual(one.data, created[1]);
    await failsWith(spaces.getSpaceAssignment(s.id, MISSING_ID, NC), 404, 'DP-404-NOT-FOUND');

    const del = await spaces.deleteSpaceAssignment(s.id, created[0].id);
    assert.equal(del.status, 204);
    await failsWith(spaces.getSpaceAssignment(s.id, created[0].id, NC), 404, 'DP-404-NOT-FOUND');
    await failsWith(spaces.getSpace(s.id, as(actors[0].key)), 404, 'DP-404-NOT-FOUND');
    const after = await spaces.getSpaceAssignments(s.id, {}, NC);
    assert.equal(after.data.meta.count, 2);
    await failsWith(spaces.deleteSpaceAssignment(s.id, created[0].id), 404, 'DP-404-NOT-FOUND');
  });
});
