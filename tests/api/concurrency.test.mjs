// concurrency: ETag / If-Match (optimistic concurrency, SPEC §2 and
// docs/decisions.md "Optimistic concurrency"), black-box over HTTP.
//
// - ETag (strong, "<32 hex>") on GET of a data product, space, assignment,
//   user and API key, and on the 201 of data product create and activate;
//   it changes when the resource changes and not otherwise.
// - If-Match on every PATCH, DELETE and data product action: the current tag,
//   `*`, a list holding the current tag, or the weak form of it -> proceeds;
//   a stale tag -> 412 DP-412-PRECONDITION-FAILED with the current ETag, and
//   nothing changes.
// - N concurrent PATCHes carrying the same If-Match: exactly one wins.
// - N concurrent creates of the same unique name (a user's email, a space
//   assignment's assignee): one 201, the rest the resource's own 409 with
//   the error envelope, never a 500 (the transaction runner, store/tx.h,
//   and STORE_CONFLICT: docs/decisions.md "Issue 11 -- transaction runner").
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, PG_URL } from './lib/server.mjs';
import { holdWriteLock } from './lib/sqlite.mjs';
import { dbSql, holdTenantLock } from './lib/db.mjs';
import { execFileSync } from 'node:child_process';
import {
  DP, assertError, changelogs, makeActivatableProduct, makeProduct, makeSpace, pause, uniqueName,
} from './lib/fixtures.mjs';

const ETAG_RE = /^"[0-9a-f]{32}"$/;

/** True when the sqlite3 CLI is installed (the lock test needs only it). */
function haveCli() {
  try { execFileSync('sqlite3', ['-version'], { stdio: 'ignore' }); return true; } catch { return false; }
}
const STALE = '"00000000000000000000000000000000"';

let srv;
let managedA; // managed spaces: activation targets and move targets
let managedB;

before(async () => {
  srv = await startServer({ args: ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0'] });
  managedA = await makeSpace(srv, { type: 'managed' });
  managedB = await makeSpace(srv, { type: 'managed' });
});

after(async () => {
  if (srv) await srv.stop();
});

/** GET path; asserts 200 and a well-formed ETag; returns {etag, body}. */
async function fetchTagged(path) {
  const res = await srv.api('GET', path);
  assert.equal(res.status, 200, `GET ${path}: ${res.text}`);
  const etag = res.headers.get('etag');
  assert.match(etag || '', ETAG_RE, `ETag of GET ${path}`);
  return { etag, body: res.body };
}

/** Asserts a 412 whose ETag header is `current`. */
function assert412(res, current) {
  assertError(res, 412, 'DP-412-PRECONDITION-FAILED');
  assert.equal(res.headers.get('etag'), current, 'the 412 carries the current ETag');
}

const rename = (name) => [{ op: 'replace', path: '/name', value: name }];
const productPath = (id) => `${DP}/${id}`;

async function newUser(roles = ['DataProductConsumer']) {
  const email = `${uniqueName('cc')}@example.com`;
  const res = await srv.api('POST', '/api/v1/users', { body: { subject: email, email, assignedRoles: roles.map((name) => ({ name })) } });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

async function newKey() {
  const res = await srv.api('POST', '/api/v1/api-keys', { body: { description: uniqueName('cc-key') } });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

async function newAssignment(space, user, roles = ['consumer']) {
  const res = await srv.api('POST', `/api/v1/spaces/${space.id}/assignments`, {
    body: { assigneeId: user.id, type: 'user', roles },
  });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

// ---------------------------------------------------------------- ETag

describe('ETag', () => {
  test('GET of a product, space, assignment, user and API key carries a strong ETag, stable across reads', async () => {
    const p = await makeProduct(srv, { description: 'etag' });
    const space = await makeSpace(srv);
    const user = await newUser();
    const asg = await newAssignment(space, user);
    const key = await newKey();
    const paths = [
      productPath(p.id),
      `/api/v1/spaces/${space.id}`,
      `/api/v1/spaces/${space.id}/assignments/${asg.id}`,
      `/api/v1/users/${user.id}`,
      `/api/v1/users/me`,
      `/api/v1/api-keys/${key.id}`,
    ];
    const tags = [];
    for (const path of paths) {
      const a = await fetchTagged(path);
      const b = await fetchTagged(path);
      assert.equal(b.etag, a.etag, `ETag of ${path} is stable while nothing changes`);
      assert.ok(!a.etag.startsWith('W/'), 'a strong tag');
      tags.push(a.etag);
    }
    assert.equal(new Set(tags).size, tags.length, 'different resources have different tags');
  });

  test('the 201 of create and of activate carries the ETag a GET then returns', async () => {
    const res = await srv.api('POST', DP, {
      body: { name: uniqueName('tagged'), keyContacts: [{ userId: srv.admin.userId }] },
    });
    assert.equal(res.status, 201, res.text);
    const created = res.headers.get('etag');
    assert.match(created || '', ETAG_RE);
    assert.equal((await fetchTagged(productPath(res.body.id))).etag, created);

    const p = await makeActivatableProduct(srv);
    const act = await srv.api('POST', `${productPath(p.id)}/actions/activate`, { body: { name: p.name, spaceId: managedA.id } });
    assert.equal(act.status, 201, act.text);
    const activated = act.headers.get('etag');
    assert.match(activated || '', ETAG_RE);
    const now = await fetchTagged(productPath(p.id));
    assert.equal(now.etag, activated);
    assert.deepEqual(now.body, act.body);
  });

  test('the ETag changes with every change and stays the same after a no-op patch or move', async () => {
    const p = await makeActivatableProduct(srv, { spaceId: managedA.id, description: 'one' });
    const path = productPath(p.id);
    const seen = [(await fetchTagged(path)).etag];
    const step = async (what, method, suffix, body, status) => {
      const res = await srv.api(method, path + suffix, { body });
      assert.equal(res.status, status, `${what}: ${res.text}`);
      const { etag } = await fetchTagged(path);
      assert.ok(!seen.includes(etag), `${what} gives a new ETag`);
      seen.push(etag);
    };
    await step('patch', 'PATCH', '', [{ op: 'replace', path: '/description', value: 'two' }], 204);
    await step('activate', 'POST', '/actions/activate', { name: p.name }, 201);
    await step('patch while active', 'PATCH', '', [{ op: 'replace', path: '/tags', value: ['x'] }], 204);
    await step('deactivate', 'POST', '/actions/deactivate', undefined, 204);
    await step('move', 'POST', '/actions/move', { spaceId: managedB.id }, 204);

    const last = seen.at(-1);
    const entries = (await changelogs(srv, p.id)).total;
    let res = await srv.api('PATCH', path, { body: [{ op: 'replace', path: '/description', value: 'two' }] });
    assert.equal(res.status, 204, res.text);
    assert.equal((await fetchTagged(path)).etag, last, 'a patch that changes nothing keeps the ETag');
    res = await srv.api('POST', `${path}/actions/move`, { body: { spaceId: managedB.id } });
    assert.equal(res.status, 204, res.text);
    assert.equal((await fetchTagged(path)).etag, last, 'a move to the same space keeps the ETag');
    assert.equal((await changelogs(srv, p.id)).total, entries);
  });

  test('the ETag of a space, user and API key changes when they change', async () => {
    const space = await makeSpace(srv);
    const user = await newUser();
    const key = await newKey();
    const cases = [
      [`/api/v1/spaces/${space.id}`, [{ op: 'replace', path: '/description', value: 'changed' }], 200],
      [`/api/v1/users/${user.id}`, [{ op: 'replace', path: '/name', value: 'Changed Name' }], 204],
      [`/api/v1/api-keys/${key.id}`, [{ op: 'replace', path: '/description', value: 'changed' }], 204],
    ];
    for (const [path, ops, status] of cases) {
      const before = await fetchTagged(path);
      const res = await srv.api('PATCH', path, { body: ops });
      assert.equal(res.status, status, `${path}: ${res.text}`);
      const after = await fetchTagged(path);
      assert.notEqual(after.etag, before.etag, `${path}: new ETag after a change`);
    }
  });

  test('a space PATCH answers with the new ETag', async () => {
    const space = await makeSpace(srv);
    const path = `/api/v1/spaces/${space.id}`;
    const res = await srv.api('PATCH', path, { body: rename(uniqueName('renamed')) });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('etag'), (await fetchTagged(path)).etag);
  });
});

// ---------------------------------------------------------------- If-Match on data products

describe('If-Match on data products', () => {
  test('PATCH: current, *, a list holding it and its weak form succeed; stale is 412 and changes nothing', async () => {
    const p = await makeProduct(srv, { description: 'v0' });
    const path = productPath(p.id);
    const patchWith = (ifMatch, value) => srv.api('PATCH', path, {
      body: [{ op: 'replace', path: '/description', value }], headers: { 'If-Match': ifMatch },
    });

    let cur = await fetchTagged(path);
    let res = await patchWith(cur.etag, 'v1');
    assert.equal(res.status, 204, res.text);
    assert.equal((await fetchTagged(path)).body.description, 'v1');

    // the old tag is now stale
    const before = await fetchTagged(path);
    const entries = (await changelogs(srv, p.id)).total;
    for (const stale of [cur.etag, STALE, `W/${cur.etag}`, `${STALE}, "abc"`, '"not-even-hex"']) {
      res = await patchWith(stale, 'never');
      assert412(res, before.etag);
    }
    const after = await fetchTagged(path);
    assert.deepEqual(after.body, before.body, 'nothing changed');
    assert.equal(after.etag, before.etag);
    assert.equal((await changelogs(srv, p.id)).total, entries, 'no changelog entry');

    res = await patchWith('*', 'v2');
    assert.equal(res.status, 204, res.text);
    cur = await fetchTagged(path);
    assert.equal(cur.body.description, 'v2');
    res = await patchWith(`${STALE}, ${cur.etag}, "ffffffffffffffffffffffffffffffff"`, 'v3');
    assert.equal(res.status, 204, res.text);
    cur = await fetchTagged(path);
    assert.equal(cur.body.description, 'v3');
    res = await patchWith(`W/${cur.etag}`, 'v4');
    assert.equal(res.status, 204, 'a weak tag compares by value');
    cur = await fetchTagged(path);
    res = await patchWith(`${STALE},${cur.etag}`, 'v5');
    assert.equal(res.status, 204, 'a list without spaces');
    assert.equal((await fetchTagged(path)).body.description, 'v5');
    assert.equal((await changelogs(srv, p.id)).total, entries + 4);
  });

  test('DELETE: stale is 412 and the product stays; current deletes it', async () => {
    const p = await makeProduct(srv);
    const path = productPath(p.id);
    const { etag, body } = await fetchTagged(path);
    await srv.api('PATCH', path, { body: [{ op: 'replace', path: '/description', value: 'moved on' }] });
    const now = await fetchTagged(path);
    assert412(await srv.api('DELETE', path, { headers: { 'If-Match': etag } }), now.etag);
    assert.equal((await fetchTagged(path)).etag, now.etag, 'still there, unchanged');
    assert.notDeepEqual(now.body, body);
    const res = await srv.api('DELETE', path, { headers: { 'If-Match': now.etag } });
    assert.equal(res.status, 204, res.text);
    assertError(await srv.api('GET', path), 404, 'DP-404-NOT-FOUND');

    const q = await makeProduct(srv);
    const star = await srv.api('DELETE', productPath(q.id), { headers: { 'If-Match': '*' } });
    assert.equal(star.status, 204, star.text);
  });

  test('activate: stale is 412 (not activated, no changelog); current and * succeed', async () => {
    const p = await makeActivatableProduct(srv, { spaceId: managedA.id });
    const path = productPath(p.id);
    const cur = await fetchTagged(path);
    const entries = (await changelogs(srv, p.id)).total;
    const activate = (ifMatch) => srv.api('POST', `${path}/actions/activate`, { body: { name: p.name }, headers: { 'If-Match': ifMatch } });

    assert412(await activate(STALE), cur.etag);
    const after = await fetchTagged(path);
    assert.deepEqual(after.body, cur.body);
    assert.notEqual(after.body.activated, true);
    assert.equal((await changelogs(srv, p.id)).total, entries);

    let res = await activate(cur.etag);
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.activated, true);
    const activated = res.headers.get('etag');
    assert412(await activate(cur.etag), activated);
    res = await activate('*');
    assert.equal(res.status, 201, 're-activation with *');
    res = await activate(`${STALE}, ${res.headers.get('etag')}`);
    assert.equal(res.status, 201, 're-activation with a list holding the current tag');
  });

  test('deactivate: stale is 412 (still activated); current and * succeed', async () => {
    const p = await makeActivatableProduct(srv, { spaceId: managedA.id });
    const path = productPath(p.id);
    const act = await srv.api('POST', `${path}/actions/activate`, { body: { name: p.name } });
    assert.equal(act.status, 201, act.text);
    const cur = await fetchTagged(path);
    const entries = (await changelogs(srv, p.id)).total;
    const deactivate = (ifMatch) => srv.api('POST', `${path}/actions/deactivate`, { headers: { 'If-Match': ifMatch } });

    assert412(await deactivate(STALE), cur.etag);
    assert412(await deactivate(`W/${STALE}`), cur.etag);
    const after = await fetchTagged(path);
    assert.equal(after.body.activated, true, 'still activated');
    assert.deepEqual(after.body, cur.body);
    assert.equal((await changelogs(srv, p.id)).total, entries);

    let res = await deactivate(cur.etag);
    assert.equal(res.status, 204, res.text);
    assert.equal((await fetchTagged(path)).body.activated, false);

    // once more through * and through a list
    await srv.api('POST', `${path}/actions/activate`, { body: { name: p.name } });
    res = await deactivate('*');
    assert.equal(res.status, 204, res.text);
    const again = await srv.api('POST', `${path}/actions/activate`, { body: { name: p.name } });
    res = await deactivate(`"abc", ${again.headers.get('etag')}`);
    assert.equal(res.status, 204, res.text);
  });

  test('move: stale is 412 (space unchanged); current and * succeed', async () => {
    const p = await makeProduct(srv, { spaceId: managedA.id });
    const path = productPath(p.id);
    const cur = await fetchTagged(path);
    const move = (spaceId, ifMatch) => srv.api('POST', `${path}/actions/move`, { body: { spaceId }, headers: { 'If-Match': ifMatch } });

    assert412(await move(managedB.id, STALE), cur.etag);
    assert.equal((await fetchTagged(path)).body.spaceId, managedA.id, 'not moved');
    assert.equal((await changelogs(srv, p.id)).total, 1, 'only the create entry');

    let res = await move(managedB.id, cur.etag);
    assert.equal(res.status, 204, res.text);
    const moved = await fetchTagged(path);
    assert.equal(moved.body.spaceId, managedB.id);
    assert412(await move(managedA.id, cur.etag), moved.etag);
    assert.equal((await fetchTagged(path)).body.spaceId, managedB.id);
    res = await move(managedA.id, '*');
    assert.equal(res.status, 204, res.text);
    const back = await fetchTagged(path);
    assert.equal(back.body.spaceId, managedA.id);
    res = await move(managedB.id, `${STALE}, W/${back.etag}`);
    assert.equal(res.status, 204, res.text);
    assert.equal((await fetchTagged(path)).body.spaceId, managedB.id);
  });
});

// ---------------------------------------------------------------- If-Match on spaces, assignments, users, keys

describe('If-Match on spaces, assignments, users and API keys', () => {
  /**
   * For a resource at `path`: a stale PATCH is 412 and changes nothing; the
   * current tag, `*` and a list holding the current tag each let a PATCH through.
   * `ops(i)` gives the i-th distinct patch; `okStatus` is the PATCH success status.
   */
  async function patchCycle(path, ops, okStatus) {
    const cur = await fetchTagged(path);
    assert412(await srv.api('PATCH', path, { body: ops(0), headers: { 'If-Match': STALE } }), cur.etag);
    const same = await fetchTagged(path);
    assert.deepEqual(same.body, cur.body, `${path}: nothing changed by the stale PATCH`);
    assert.equal(same.etag, cur.etag);

    let res = await srv.api('PATCH', path, { body: ops(1), headers: { 'If-Match': cur.etag } });
    assert.equal(res.status, okStatus, `${path} current tag: ${res.text}`);
    const next = await fetchTagged(path);
    assert.notEqual(next.etag, cur.etag);
    assert412(await srv.api('PATCH', path, { body: ops(2), headers: { 'If-Match': cur.etag } }), next.etag);
    res = await srv.api('PATCH', path, { body: ops(3), headers: { 'If-Match': '*' } });
    assert.equal(res.status, okStatus, `${path} *: ${res.text}`);
    const third = await fetchTagged(path);
    res = await srv.api('PATCH', path, { body: ops(4), headers: { 'If-Match': `${STALE}, ${third.etag}` } });
    assert.equal(res.status, okStatus, `${path} list: ${res.text}`);
  }

  /** A stale DELETE is 412 and the resource stays; the current tag deletes it. */
  async function deleteCycle(path) {
    const cur = await fetchTagged(path);
    assert412(await srv.api('DELETE', path, { headers: { 'If-Match': STALE } }), cur.etag);
    assert.equal((await fetchTagged(path)).etag, cur.etag, `${path} still there`);
    const res = await srv.api('DELETE', path, { headers: { 'If-Match': `W/${STALE}, ${cur.etag}` } });
    assert.equal(res.status, 204, `${path}: ${res.text}`);
    assertError(await srv.api('GET', path), 404, 'DP-404-NOT-FOUND');
  }

  test('space PATCH and DELETE', async () => {
    const space = await makeSpace(srv, { description: 'start' });
    const path = `/api/v1/spaces/${space.id}`;
    await patchCycle(path, (i) => [{ op: 'replace', path: '/description', value: `d${i}` }], 200);
    assert.equal((await fetchTagged(path)).body.description, 'd4');
    await deleteCycle(path);
    const other = await makeSpace(srv);
    const res = await srv.api('DELETE', `/api/v1/spaces/${other.id}`, { headers: { 'If-Match': '*' } });
    assert.equal(res.status, 204, res.text);
  });

  test('assignment DELETE', async () => {
    const space = await makeSpace(srv);
    const user = await newUser();
    const asg = await newAssignment(space, user);
    await deleteCycle(`/api/v1/spaces/${space.id}/assignments/${asg.id}`);
  });

  test('user PATCH and DELETE', async () => {
    const user = await newUser();
    const path = `/api/v1/users/${user.id}`;
    await patchCycle(path, (i) => [{ op: 'replace', path: '/name', value: `Name ${i}` }], 204);
    assert.equal((await fetchTagged(path)).body.name, 'Name 4');
    await deleteCycle(path);
  });

  test('API key PATCH and DELETE (the key keeps working after a stale DELETE)', async () => {
    const key = await newKey();
    const path = `/api/v1/api-keys/${key.id}`;
    await patchCycle(path, (i) => [{ op: 'replace', path: '/description', value: `k${i}` }], 204);
    assert.equal((await fetchTagged(path)).body.description, 'k4');
    const cur = await fetchTagged(path);
    assert412(await srv.api('DELETE', path, { headers: { 'If-Match': STALE } }), cur.etag);
    assert.equal((await srv.api('GET', '/api/v1/users/me', { key: key.token })).status, 200, 'not revoked');
    await deleteCycle(path);
    assertError(await srv.api('GET', '/api/v1/users/me', { key: key.token }), 401, 'DP-401-UNAUTHORIZED');
  });
});

// ---------------------------------------------------------------- the race

describe('concurrent writers', () => {
  test('10 concurrent PATCHes with the same If-Match: exactly one 204, nine 412, one changelog entry', async () => {
    const N = 10;
    const p = await makeProduct(srv, { description: 'race start' });
    const path = productPath(p.id);
    const start = await fetchTagged(path);
    const entries = (await changelogs(srv, p.id)).total;

    const results = await Promise.all(Array.from({ length: N }, (_, i) => srv.api('PATCH', path, {
      body: [{ op: 'replace', path: '/description', value: `writer ${i}` }],
      headers: { 'If-Match': start.etag },
    })));
    const statuses = results.map((r) => r.status);
    const winners = statuses.map((s, i) => (s === 204 ? i : -1)).filter((i) => i >= 0);
    assert.equal(winners.length, 1, `exactly one winner: ${statuses.join(',')}`);
    assert.equal(statuses.filter((s) => s === 412).length, N - 1, `the rest are 412: ${statuses.join(',')}`);

    const end = await fetchTagged(path);
    assert.equal(end.body.description, `writer ${winners[0]}`, 'the winner’s value is stored');
    for (const r of results) if (r.status === 412) assert412(r, end.etag);
    const log = await changelogs(srv, p.id);
    assert.equal(log.total, entries + 1, 'exactly one new changelog entry');
    assert.deepEqual(log.data.at(-1).changes, [{ operator: 'replace', path: '/description', value: `writer ${winners[0]}` }]);
  });

  test('the race holds for a space PATCH and a user PATCH too', async () => {
    const N = 10;
    const space = await makeSpace(srv);
    const user = await newUser();
    for (const [path, op, ok] of [
      [`/api/v1/spaces/${space.id}`, (i) => [{ op: 'replace', path: '/description', value: `s${i}` }], 200],
      [`/api/v1/users/${user.id}`, (i) => [{ op: 'replace', path: '/name', value: `User ${i}` }], 204],
    ]) {
      const start = await fetchTagged(path);
      const results = await Promise.all(Array.from({ length: N }, (_, i) => srv.api('PATCH', path, {
        body: op(i), headers: { 'If-Match': start.etag },
      })));
      const statuses = results.map((r) => r.status);
      assert.equal(statuses.filter((s) => s === ok).length, 1, `${path}: ${statuses.join(',')}`);
      assert.equal(statuses.filter((s) => s === 412).length, N - 1, `${path}: ${statuses.join(',')}`);
    }
  });
});

describe('uniqueness races', () => {
  const N = 16;

  /** Asserts one 201 and N-1 409s carrying `detail`; returns the winner. */
  function oneWinner(results, detail) {
    const statuses = results.map((r) => r.status);
    assert.ok(statuses.every((s) => s === 201 || s === 409), `only 201 and 409: ${statuses.join(',')}`);
    assert.equal(statuses.filter((s) => s === 201).length, 1, `exactly one 201: ${statuses.join(',')}`);
    for (const r of results) if (r.status === 409) assertError(r, 409, 'DP-409-CONFLICT', detail);
    return results.find((r) => r.status === 201).body;
  }

  test(`${N} concurrent creates of a user with one email: one 201, the rest 409, never 500`, async () => {
    const email = `${uniqueName('race')}@example.com`;
    const results = await Promise.all(Array.from({ length: N }, (_, i) => srv.api('POST', '/api/v1/users', {
      body: { email, name: `Racer ${i}`, subject: `race-${i}` },
    })));
    const won = oneWinner(results, `a user with email '${email}' already exists`);
    const list = await srv.api('GET', `/api/v1/users?email=${encodeURIComponent(email)}`);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.data.map((u) => u.id), [won.id], 'exactly one user stored');
  });

  test(`${N} concurrent assignments of one user in one space: one 201, the rest 409, never 500`, async () => {
    const space = await makeSpace(srv, { type: 'managed' });
    const user = await newUser();
    const path = `/api/v1/spaces/${space.id}/assignments`;
    const results = await Promise.all(Array.from({ length: N }, () => srv.api('POST', path, {
      body: { assigneeId: user.id, type: 'user', roles: ['consumer'] },
    })));
    const won = oneWinner(results, `user '${user.id}' already has an assignment '`);
    for (const r of results) if (r.status === 409) assert.ok(r.body.errors[0].detail.includes(won.id), r.text);
    const list = await srv.api('GET', path);
    assert.equal(list.status, 200);
    assert.equal(list.body.data.filter((a) => a.assigneeId === user.id).length, 1, 'exactly one assignment stored');
  });
});

// A write that meets another writer's lock waits the store's busy timeout
// (5 s on SQLite), and the transaction runner then runs it again instead of
// answering 503 (store/tx.h, docs/decisions.md "Issue 11 -- transaction
// runner"). The other writer here is the sqlite3 CLI holding BEGIN
// IMMEDIATE for longer than one busy timeout.
describe('a write blocked by another writer', {
  skip: (PG_URL && 'SQLite only: holds the SQLite write lock with the sqlite3 CLI') || (!haveCli() && 'sqlite3 CLI not installed'),
}, () => {
  const HOLD_MS = 6500; // > the 5 s busy timeout: the first attempt gives up

  test('PATCH is retried by the runner and succeeds once the lock is released', async () => {
    const p = await makeProduct(srv, { name: uniqueName('locked') });
    const lock = await holdWriteLock(srv.db, HOLD_MS);
    const t0 = Date.now();
    const res = await srv.api('PATCH', `${DP}/${p.id}`, {
      body: [{ op: 'replace', path: '/description', value: 'written after the lock' }],
    });
    const waited = Date.now() - t0;
    await lock.released;
    assert.equal(res.status, 204, res.text);
    assert.ok(waited >= 5000, `the first attempt waited out the busy timeout (${waited} ms)`);
    const now = await srv.api('GET', `${DP}/${p.id}`);
    assert.equal(now.body.description, 'written after the lock');
    const log = await changelogs(srv, p.id);
    assert.equal(log.data.length, 2, 'one entry for the create, one for the PATCH (written once)');
  });
});

// The same on PostgreSQL: the other writer is a psql session holding the
// tenant's advisory lock (another instance's write transaction). A statement
// waits at most lock_timeout (5 s unless the URL, role or database sets one:
// src/store/pg.c PG_LOCK_TIMEOUT) and fails with 55P03, which the runner
// retries; a lock held past every attempt answers 503 with Retry-After
// instead of holding the request forever (docs/decisions.md "Issue 11").
describe('a write blocked by another writer (PostgreSQL)', {
  skip: !PG_URL && 'PostgreSQL only (DP_TEST_PG_URL): holds the tenant lock with psql',
}, () => {
  test('PATCH waits out one lock_timeout, is retried and succeeds once the lock is released', async () => {
    const p = await makeProduct(srv, { name: uniqueName('pg-locked') });
    const lock = await holdTenantLock(srv.db, srv.admin.tenantId, 8000);
    const t0 = Date.now();
    const pending = srv.api('PATCH', `${DP}/${p.id}`, {
      body: [{ op: 'replace', path: '/description', value: 'written after the lock' }],
    });
    // 6 s in, the lock still held: the server's statement waiting for it
    // began after the first 5 s lock_timeout (a retry), not at the start
    await pause(6000);
    let ages = [];
    for (let i = 0; i < 20 && ages.length !== 1; i++) {
      ages = dbSql(srv.db, "SELECT (extract(epoch FROM now() - query_start) * 1000)::int FROM pg_stat_activity"
        + " WHERE wait_event_type = 'Lock' AND query LIKE '%pg_advisory_xact_lock%'"
        + " AND pid <> pg_backend_pid()").split('\n').filter(Boolean).map(Number);
      if (ages.length !== 1) await pause(50);
    }
    assert.equal(ages.length, 1, 'one server statement waits for the lock');
    assert.ok(ages[0] < 4500, `the waiting statement is a retry, not the first attempt (waiting ${ages[0]} ms)`);
    const res = await pending;
    const waited = Date.now() - t0;
    await lock.released;
    assert.equal(res.status, 204, res.text);
    assert.ok(waited >= 5000, `the write waited for the lock (${waited} ms)`);
    assert.equal((await srv.api('GET', `${DP}/${p.id}`)).body.description, 'written after the lock');
    assert.equal((await changelogs(srv, p.id)).data.length, 2, 'one entry for the create, one for the PATCH (written once)');
  });

  test('a lock held past every attempt: 503 with Retry-After and the envelope, nothing written', async () => {
    // a second instance on the same database whose URL sets a short lock_timeout
    const sep = srv.db.includes('?') ? '&' : '?';
    const short = await startServer({ db: `${srv.db}${sep}options=-c%20lock_timeout%3D200`, skipBootstrap: true });
    short.key = srv.key;
    try {
      const p = await makeProduct(srv, { name: uniqueName('pg-stuck'), description: 'before' });
      const lock = await holdTenantLock(srv.db, srv.admin.tenantId, 4000);
      const res = await short.api('PATCH', `${DP}/${p.id}`, {
        body: [{ op: 'replace', path: '/description', value: 'never written' }],
      });
      const done = Date.now();
      await lock.released;
      assertError(res, 503, 'DP-503-UNAVAILABLE');
      assert.equal(res.headers.get('retry-after'), '1');
      assert.ok(Date.now() - done >= 1000, 'the answer came while the lock was still held');
      assert.equal((await srv.api('GET', `${DP}/${p.id}`)).body.description, 'before');
      assert.equal((await changelogs(srv, p.id)).data.length, 1, 'nothing was written');
      // the instance is fine once the lock is gone
      const again = await short.api('PATCH', `${DP}/${p.id}`, {
        body: [{ op: 'replace', path: '/description', value: 'after' }],
      });
      assert.equal(again.status, 204, again.text);
    } finally {
      await short.stop();
    }
  });
});
