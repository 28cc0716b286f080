// permissions: the permission matrix of SPEC §4 as implemented in
// src/domain/permissions.c and recorded in docs/decisions.md ("Identity,
// spaces and permissions"), black-box over HTTP.
//
// One server; a fixture built by the TenantAdmin:
//
//   users (tenant roles)          M (managed)   M2 (managed)  S (shared)    D (data)
//   plain        —                 —             —             —             —
//   consumer     DPConsumer        consumer      consumer      consumer      consumer
//   plainReader  —                 consumer      —             —             —
//   creator      DPCreator         contributor   contributor   —             producer
//   roleNoCreator DPConsumer       contributor   —             —             —
//   consumerCreator DPCreator      consumer      contributor   —             —
//   creatorNoT   DPCreator         contributor   consumer      —             —
//   pub          —                 publisher     consumer      —             —
//   pubBoth      —                 publisher     publisher     —             —
//   fac          DPCreator         facilitator   —             —             —
//   owner        DPCreator         —             —             OWNER         —
//   prodS        DPCreator         —             —             producer      —
//   outsider     DPCreator         —             contributor   —             —
//
// S is created by `owner` (who holds no assignment there: the owner counts
// as facilitator); M, M2 and D by the admin. The matrix (SPEC §4 revised by
// issue 8; decisions.md "Issue 8 — who sees what"):
//   view a draft/deactivated product (get/export/changelogs/list): a
//     producing role (producer, contributor, publisher, facilitator,
//     codeveloper, operator) in the space, or owning it;
//   view an activated product: any role AND DataProductConsumer|Creator;
//   create/patch/delete: DataProductCreator AND producer|contributor|facilitator;
//   activate/deactivate: publisher|facilitator (and in the target space);
//   move S->T: edit rights in S and create rights in T (activated: publish
//     rights in both too; tests/api/visibility.test.mjs);
//   cannot see it -> 404; sees it but not the needed right -> 403;
//   personal products: owner (as facilitator) and TenantAdmins only.
// View verbs have no 403 cell. The baseline products P.* are drafts; P.Mact
// is activated in M.
//
// Every forbidden or invisible write is followed by a check that nothing
// changed (the admin's GET and the changelog total before and after).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, MISSING_ID } from './lib/server.mjs';
import { DP, assertError, uniqueName } from './lib/fixtures.mjs';

let srv;
const U = {}; // users: {id, key, label}
const SP = {}; // spaces by letter
const P = {}; // baseline products
let ds; // a data set every activatable product references

// ---------------------------------------------------------------- helpers

function call(who, method, path, body, headers) {
  return srv.api(method, path, { key: who.key, body, headers });
}

async function mkUser(label, roles) {
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
  assert.equal(key.status, 201, `key for ${label}: ${key.text}`);
  assert.equal(typeof key.body.token, 'string');
  return { id: res.body.id, key: key.body.token, label };
}

async function mkSpace(who, type, name = uniqueName(`${type}-space`)) {
  const res = await call(who, 'POST', '/api/v1/spaces', { name, type });
  assert.equal(res.status, 201, `space ${type} by ${who.label}: ${res.text}`);
  return res.body;
}

async function assign(who, space, user, roles) {
  const res = await call(who, 'POST', `/api/v1/spaces/${space.id}/assignments`,
    { assigneeId: user.id, type: 'user', roles });
  assert.equal(res.status, 201, `assign ${user.label} ${roles} in ${space.name}: ${res.text}`);
  return res.body;
}

/** A new product (activatable: one data set and the admin as key contact). */
async function mkProduct(spaceId, by = U.admin, extra = {}) {
  const body = {
    name: uniqueName('product'),
    datasetIds: [ds.id],
    keyContacts: [{ userId: U.admin.id }],
    ...(spaceId ? { spaceId } : {}),
    ...extra,
  };
  const res = await call(by, 'POST', DP, body);
  assert.equal(res.status, 201, `product by ${by.label}: ${res.text}`);
  return res.body;
}

/** The admin's view of a product: status, document, ETag, changelog total. */
async function snap(pid) {
  const g = await srv.api('GET', `${DP}/${pid}`);
  const c = await srv.api('GET', `${DP}/${pid}/changelogs?limit=1`);
  return { status: g.status, doc: g.body, etag: g.headers.get('etag'), changes: c.body?.total };
}

/** Runs fn (a request), asserts the product is byte-for-byte the same after. */
async function unchanged(pid, fn) {
  const before = await snap(pid);
  assert.equal(before.status, 200);
  const res = await fn();
  assert.deepEqual(await snap(pid), before, `product ${pid} changed after ${res.status} ${res.text}`);
  return res;
}

/** Every product id the caller's list shows, walking all pages; plus total. */
async function listAll(who, query = '') {
  const ids = [];
  let total;
  for (let page = 1; ; page++) {
    const res = await call(who, 'GET', `${DP}?limit=100&page=${page}${query ? `&${query}` : ''}`);
    assert.equal(res.status, 200, res.text);
    total = res.body.total;
    ids.push(...res.body.data.map((p) => p.id));
    if (page >= res.body.pages) break;
  }
  assert.equal(ids.length, total, 'total must count exactly the listed products');
  return { ids: new Set(ids), total };
}

/** The admin's full product listing, as {id -> spaceId|null, ownerId}. */
async function allProducts() {
  const out = new Map();
  for (let page = 1; ; page++) {
    const res = await srv.api('GET', `${DP}?limit=100&page=${page}`);
    assert.equal(res.status, 200, res.text);
    for (const p of res.body.data) out.set(p.id, { spaceId: p.spaceId ?? null, ownerId: p.ownerId, activated: p.activated });
    if (page >= res.body.pages) break;
  }
  return out;
}

/** The admin's view of a space and its assignments. */
async function spaceSnap(sid) {
  const g = await srv.api('GET', `/api/v1/spaces/${sid}`);
  const a = await srv.api('GET', `/api/v1/spaces/${sid}/assignments?limit=100`);
  return { status: g.status, doc: g.body, etag: g.headers.get('etag'), asg: a.body?.data };
}

async function spaceUnchanged(sid, fn) {
  const before = await spaceSnap(sid);
  assert.equal(before.status, 200);
  const res = await fn();
  assert.deepEqual(await spaceSnap(sid), before, `space ${sid} changed after ${res.status} ${res.text}`);
  return res;
}

const forbidden = (res) => assertError(res, 403, 'DP-403-FORBIDDEN');
const notFound = (res) => {
  const e = assertError(res, 404, 'DP-404-NOT-FOUND');
  // nothing about the resource beyond the id the caller sent
  assert.deepEqual(Object.keys(res.body).sort(), ['errors', 'traceId']);
  return e;
};

const PATCH_OPS = [{ op: 'replace', path: '/description', value: 'changed by a caller' }];
const VIEW_VERBS = {
  get: (id) => `${DP}/${id}`,
  export: (id) => `${DP}/${id}/actions/export-documentation`,
  changelogs: (id) => `${DP}/${id}/changelogs`,
};

// ---------------------------------------------------------------- fixture

before(async () => {
  srv = await startServer({ args: ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0'] });
  U.admin = { id: srv.admin.userId, key: srv.key, label: 'admin' };
  const C = 'DataProductConsumer';
  const W = 'DataProductCreator';
  const specs = {
    plain: [], consumer: [C], plainReader: [], creator: [W], roleNoCreator: [C],
    consumerCreator: [W], creatorNoT: [W], pub: [], pubBoth: [], fac: [W], owner: [W],
    prodS: [W], outsider: [W],
  };
  for (const [label, roles] of Object.entries(specs)) U[label] = await mkUser(label, roles);

  const dsRes = await srv.api('POST', '/api/v1/data-sets', { body: { name: 'orders', technicalName: 'orders' } });
  assert.equal(dsRes.status, 201, dsRes.text);
  ds = dsRes.body;

  SP.M = await mkSpace(U.admin, 'managed');
  SP.M2 = await mkSpace(U.admin, 'managed');
  SP.D = await mkSpace(U.admin, 'data');
  SP.S = await mkSpace(U.owner, 'shared'); // the owner holds no assignment
  assert.equal(SP.S.ownerId, U.owner.id);

  await assign(U.admin, SP.M, U.consumer, ['consumer']);
  await assign(U.admin, SP.M, U.plainReader, ['consumer']);
  await assign(U.admin, SP.M, U.creator, ['contributor']);
  await assign(U.admin, SP.M, U.roleNoCreator, ['contributor']);
  await assign(U.admin, SP.M, U.consumerCreator, ['consumer']);
  await assign(U.admin, SP.M, U.creatorNoT, ['contributor']);
  await assign(U.admin, SP.M, U.pub, ['publisher']);
  await assign(U.admin, SP.M, U.pubBoth, ['publisher']);
  await assign(U.admin, SP.M, U.fac, ['facilitator']);

  await assign(U.admin, SP.M2, U.consumer, ['consumer']);
  await assign(U.admin, SP.M2, U.creator, ['contributor']);
  await assign(U.admin, SP.M2, U.consumerCreator, ['contributor']);
  await assign(U.admin, SP.M2, U.creatorNoT, ['consumer']);
  await assign(U.admin, SP.M2, U.pub, ['consumer']);
  await assign(U.admin, SP.M2, U.pubBoth, ['publisher']);
  await assign(U.admin, SP.M2, U.outsider, ['contributor']);

  await assign(U.admin, SP.D, U.consumer, ['consumer']);
  await assign(U.admin, SP.D, U.creator, ['producer']);

  // the owner of S manages its assignments itself (owner = facilitator)
  await assign(U.owner, SP.S, U.consumer, ['consumer']);
  await assign(U.owner, SP.S, U.prodS, ['producer']);

  P.M = await mkProduct(SP.M.id);
  P.M2 = await mkProduct(SP.M2.id);
  P.S = await mkProduct(SP.S.id);
  P.D = await mkProduct(SP.D.id);
  P.personal = await mkProduct(null, U.creator); // creator's personal product
  P.adminPersonal = await mkProduct(null, U.admin);
  P.Mact = await mkProduct(SP.M.id);
  const act = await srv.api('POST', `${DP}/${P.Mact.id}/actions/activate`, { body: { name: P.Mact.name } });
  assert.equal(act.status, 201, act.text);
  assert.equal(P.personal.spaceId, undefined);
  assert.equal(P.personal.ownerId, U.creator.id);
});

after(async () => { await srv?.stop(); });

// ---------------------------------------------------------------- view

describe('view verbs: get, export-documentation, changelogs', () => {
  for (const [verb, path] of Object.entries(VIEW_VERBS)) {
    test(`${verb}: a producing role in the space (or owning it) shows a draft; the marketplace view an activated one`, async () => {
      const allowed = [
        [U.pub, P.M], [U.roleNoCreator, P.M],
        [U.creator, P.M], [U.fac, P.M], [U.prodS, P.S],
        [U.owner, P.S], // owner without assignment
        [U.creator, P.D], [U.outsider, P.M2],
        [U.creator, P.personal], // own personal product
        // activated: any role plus DataProductConsumer or DataProductCreator
        [U.consumer, P.Mact], [U.consumerCreator, P.Mact], [U.pub, P.Mact],
      ];
      for (const [who, p] of allowed) {
        const res = await call(who, 'GET', path(p.id));
        assert.equal(res.status, 200, `${who.label} ${verb} ${p.name}: ${res.status} ${res.text}`);
        if (verb === 'get') {
          assert.equal(res.body.id, p.id);
          assert.match(res.headers.get('etag') || '', /^"[0-9a-f]{32}"$/);
        }
        if (verb === 'export') assert.match(res.text, new RegExp(`^# ${p.name}`));
        if (verb === 'changelogs') assert.ok(res.body.total >= 1);
      }
    });

    test(`${verb}: consumer roles get 404 for a draft, never 403 (no 403 cell for views)`, async () => {
      for (const who of [U.consumer, U.plainReader, U.consumerCreator]) {
        notFound(await call(who, 'GET', path(P.M.id)));
      }
      // consumer role without DataProductConsumer/Creator: not even the marketplace
      notFound(await call(U.plainReader, 'GET', path(P.Mact.id)));
    });

    test(`${verb}: a caller with no role in the space gets 404 like a missing id`, async () => {
      const hidden = [
        [U.plain, P.M], [U.outsider, P.M], [U.prodS, P.M], [U.owner, P.M],
        [U.fac, P.S], [U.creator, P.S], [U.pub, P.S], [U.plainReader, P.S],
        [U.fac, P.M2], [U.plain, P.D], [U.pubBoth, P.D],
        // consumer roles and drafts (issue 8)
        [U.consumer, P.M], [U.consumer, P.S], [U.consumer, P.D], [U.plainReader, P.M],
        // personal products: their owner and admins only
        [U.consumer, P.personal], [U.fac, P.personal], [U.owner, P.personal], [U.creator, P.adminPersonal],
      ];
      for (const [who, p] of hidden) {
        const res = await call(who, 'GET', path(p.id));
        const e = notFound(res);
        assert.ok(!e.detail.includes(p.name), 'a 404 must not reveal the name');
      }
      const missing = await call(U.consumer, 'GET', path(MISSING_ID));
      notFound(missing);
    });

    test(`${verb}: a TenantAdmin sees every product, personal ones of others included`, async () => {
      for (const p of [P.M, P.M2, P.S, P.D, P.personal, P.adminPersonal, P.Mact]) {
        const res = await srv.api('GET', path(p.id));
        assert.equal(res.status, 200, `${verb} ${p.name}: ${res.text}`);
      }
    });
  }
});

// ---------------------------------------------------------------- list

describe('list: only visible products, totals count only them', () => {
  /** Expected ids for a caller: every product of the spaces where it holds a
   * producing role, the activated ones of `market` spaces, its personal ones. */
  async function expectedFor(who, spaceIds, market = []) {
    const all = await allProducts();
    const ids = new Set();
    for (const [id, p] of all) {
      if (p.spaceId ? spaceIds.includes(p.spaceId) || (p.activated && market.includes(p.spaceId))
        : p.ownerId === who.id) ids.add(id);
    }
    return ids;
  }

  test('each caller sees exactly the products of its spaces (and its own personal ones)', async () => {
    const cases = [
      [U.consumer, [], [SP.M.id, SP.M2.id, SP.S.id, SP.D.id]], // marketplace only
      [U.creator, [SP.M.id, SP.M2.id, SP.D.id]],
      [U.owner, [SP.S.id]],
      [U.prodS, [SP.S.id]],
      [U.outsider, [SP.M2.id]],
      [U.fac, [SP.M.id]],
      [U.consumerCreator, [SP.M2.id], [SP.M.id]],
      [U.plainReader, []], // a consumer role but no data product user role
      [U.plain, []],
    ];
    for (const [who, spaces, market] of cases) {
      const want = await expectedFor(who, spaces, market);
      const got = await listAll(who);
      assert.deepEqual([...got.ids].sort(), [...want].sort(), `list of ${who.label}`);
      assert.equal(got.total, want.size, `total of ${who.label}`);
    }
    // sanity: the fixture really has products the callers must not see
    const everything = await listAll(U.admin);
    assert.equal(everything.total, (await allProducts()).size);
    assert.ok(everything.ids.has(P.personal.id) && everything.ids.has(P.adminPersonal.id));
  });

  test('every filter combination keeps to the visible set', async () => {
    const filters = ['activated=true', 'activated=false', `spaceId=${SP.M.id}`, `spaceId=${SP.S.id}`,
      `ownerId=${U.admin.id}`, `ownerId=${U.creator.id}`, 'query=product', 'sort=name', 'sort=-createdAt'];
    const cases = [[U.plain, []], [U.outsider, [SP.M2.id]], [U.owner, [SP.S.id]], [U.fac, [SP.M.id]]];
    for (const [who, spaces] of cases) {
      const visible = await expectedFor(who, spaces);
      for (const f of filters) {
        const got = await listAll(who, f);
        for (const id of got.ids) assert.ok(visible.has(id), `${who.label} ?${f} listed invisible ${id}`);
      }
    }
  });

  test('personal products appear only in their owner\'s and the admins\' lists', async () => {
    assert.ok((await listAll(U.creator)).ids.has(P.personal.id));
    assert.ok(!(await listAll(U.creator)).ids.has(P.adminPersonal.id));
    for (const who of [U.consumer, U.fac, U.owner, U.plain]) {
      const got = await listAll(who, `ownerId=${U.creator.id}`);
      assert.ok(!got.ids.has(P.personal.id), `${who.label} must not list creator's personal product`);
    }
  });

  test('total, pages and links count only visible products (limit=1)', async () => {
    const want = await expectedFor(U.creator, [SP.M.id, SP.M2.id, SP.D.id]);
    const res = await call(U.creator, 'GET', `${DP}?limit=1`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.total, want.size);
    assert.equal(res.body.pages, want.size);
    assert.equal(res.body.data.length, 1);
    const last = await call(U.creator, 'GET', `${DP}?limit=1&page=${want.size}`);
    assert.equal(last.body.data.length, 1);
    assert.equal(last.body.links.next, undefined);
    const beyond = await call(U.creator, 'GET', `${DP}?limit=1&page=${want.size + 1}`);
    assert.equal(beyond.body.data.length, 0);
  });

  test('a spaceId filter naming an invisible space shows nothing, not an error', async () => {
    for (const [who, sid] of [[U.outsider, SP.M.id], [U.plain, SP.M.id], [U.fac, SP.S.id], [U.creator, SP.S.id]]) {
      const res = await call(who, 'GET', `${DP}?spaceId=${sid}`);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.total, 0, `${who.label} listed products of an invisible space`);
      assert.deepEqual(res.body.data, []);
    }
    const visible = await call(U.prodS, 'GET', `${DP}?spaceId=${SP.S.id}`);
    assert.ok(visible.body.data.some((p) => p.id === P.S.id));
  });
});

describe('marketplace: ?activated=true for a DataProductConsumer', () => {
  test('shows the activated products of the consumer\'s space, and stops after deactivation', async () => {
    const p = await mkProduct(SP.M.id);
    const q = `activated=true&spaceId=${SP.M.id}`;
    assert.ok(!(await listAll(U.consumer, q)).ids.has(p.id), 'not activated yet');
    const act = await srv.api('POST', `${DP}/${p.id}/actions/activate`, { body: { name: p.name } });
    assert.equal(act.status, 201, act.text);

    const shown = await listAll(U.consumer, q);
    assert.ok(shown.ids.has(p.id), 'activated product must be in the marketplace');
    const admin = await listAll(U.admin, q);
    assert.deepEqual([...shown.ids].sort(), [...admin.ids].sort(), 'consumer sees every activated product of M');
    // the consumer can open it
    assert.equal((await call(U.consumer, 'GET', `${DP}/${p.id}`)).status, 200);
    // the activated filter also works across all of the consumer's spaces
    assert.ok((await listAll(U.consumer, 'activated=true')).ids.has(p.id));
    // nobody without a role in M finds it
    for (const who of [U.plain, U.outsider, U.owner]) {
      assert.ok(!(await listAll(who, 'activated=true')).ids.has(p.id), `${who.label} found it`);
    }

    const de = await srv.api('POST', `${DP}/${p.id}/actions/deactivate`);
    assert.equal(de.status, 204, de.text);
    assert.ok(!(await listAll(U.consumer, q)).ids.has(p.id), 'deactivated product left the marketplace');
    assert.ok(!(await listAll(U.consumer, 'activated=true')).ids.has(p.id));
    // a consumer role does not show drafts: the deactivated product is gone (issue 8)
    assert.ok(!(await listAll(U.consumer, `activated=false&spaceId=${SP.M.id}`)).ids.has(p.id));
    notFound(await call(U.consumer, 'GET', `${DP}/${p.id}`));
  });
});

// ---------------------------------------------------------------- create

describe('create in a space', () => {
  async function countIn(sid) {
    const res = await srv.api('GET', `${DP}?limit=1${sid ? `&spaceId=${sid}` : ''}`);
    return res.body.total;
  }

  test('allowed: DataProductCreator with producer/contributor/facilitator or ownership; admin anywhere', async () => {
    const cases = [
      [U.creator, SP.M], [U.fac, SP.M], [U.creator, SP.D], [U.prodS, SP.S], [U.owner, SP.S],
      [U.outsider, SP.M2], [U.admin, SP.S], // admin holds no assignment in S
    ];
    for (const [who, space] of cases) {
      const res = await call(who, 'POST', DP, { name: uniqueName('allowed'), spaceId: space.id });
      assert.equal(res.status, 201, `${who.label} in ${space.type}: ${res.text}`);
      assert.equal(res.body.spaceId, space.id);
      assert.equal(res.body.ownerId, who.id);
    }
  });

  test('forbidden (403): visible space without create rights; nothing is created', async () => {
    const cases = [
      [U.consumer, SP.M], // consumer role + DataProductConsumer
      [U.plainReader, SP.M],
      [U.roleNoCreator, SP.M], // contributor but not DataProductCreator
      [U.consumerCreator, SP.M], // DataProductCreator but only consumer
      [U.pub, SP.M], [U.pubBoth, SP.M2], // publisher is not a create role
      [U.creatorNoT, SP.M2], [U.consumer, SP.S], [U.consumer, SP.D],
    ];
    for (const [who, space] of cases) {
      const before = [await countIn(space.id), await countIn()];
      const res = await call(who, 'POST', DP, { name: uniqueName('nope'), spaceId: space.id });
      forbidden(res);
      assert.deepEqual([await countIn(space.id), await countIn()], before, `${who.label} created something`);
    }
  });

  test('invisible (404): a space the caller has no role in; nothing is created', async () => {
    // (U.plain, without DataProductCreator, may create nowhere: 403 before the space is looked at)
    forbidden(await call(U.plain, 'POST', DP, { name: uniqueName('nope'), spaceId: SP.M.id }));
    const cases = [
      [U.outsider, SP.M], [U.fac, SP.S], [U.creator, SP.S], [U.prodS, SP.D],
      [U.fac, SP.M2],
    ];
    for (const [who, space] of cases) {
      const before = [await countIn(space.id), await countIn()];
      const res = await call(who, 'POST', DP, { name: uniqueName('nope'), spaceId: space.id });
      notFound(res);
      assert.deepEqual([await countIn(space.id), await countIn()], before);
    }
    notFound(await call(U.creator, 'POST', DP, { name: 'x', spaceId: MISSING_ID }));
  });

  test('personal products (no spaceId) need DataProductCreator', async () => {
    const ok = await call(U.fac, 'POST', DP, { name: uniqueName('mine') });
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.body.ownerId, U.fac.id);
    for (const who of [U.plain, U.consumer, U.pub]) {
      const before = await countIn();
      forbidden(await call(who, 'POST', DP, { name: uniqueName('nope') }));
      assert.equal(await countIn(), before);
    }
  });

  test('the permission check (403/404) comes before body validation (400)', async () => {
    // decisions.md "Issue 8 — who sees what", check order: one without the right learns no schema
    forbidden(await call(U.consumer, 'POST', DP, { spaceId: SP.M.id }));
    notFound(await call(U.outsider, 'POST', DP, { spaceId: SP.M.id }));
    forbidden(await call(U.plain, 'POST', DP, { name: 'x', bogus: 1 }));
    // with the right, the body is judged
    assertError(await call(U.creator, 'POST', DP, { spaceId: SP.M.id }), 400, 'DP-400-VALIDATION', 'name');
    assertError(await call(U.creator, 'POST', DP, { name: 'x', bogus: 1 }), 400, 'DP-400-VALIDATION', 'bogus');
  });
});

// ---------------------------------------------------------------- patch / delete

describe('patch', () => {
  test('allowed: creator roles in the space, owner as facilitator, admin, personal owner', async () => {
    const cases = [
      [U.creator, SP.M.id], [U.fac, SP.M.id], [U.creator, SP.D.id], [U.prodS, SP.S.id],
      [U.owner, SP.S.id], [U.admin, SP.S.id], [U.outsider, SP.M2.id],
    ];
    for (const [who, sid] of cases) {
      const p = await mkProduct(sid, U.admin);
      const before = await snap(p.id);
      const res = await call(who, 'PATCH', `${DP}/${p.id}`, [{ op: 'replace', path: '/description', value: `by ${who.label}` }]);
      assert.equal(res.status, 204, `${who.label}: ${res.text}`);
      const after = await snap(p.id);
      assert.equal(after.doc.description, `by ${who.label}`);
      assert.equal(after.doc.updatedBy, who.id);
      assert.equal(after.changes, before.changes + 1);
    }
    // personal: its owner and an admin
    const mine = await mkProduct(null, U.creator);
    assert.equal((await call(U.creator, 'PATCH', `${DP}/${mine.id}`, PATCH_OPS)).status, 204);
    assert.equal((await srv.api('PATCH', `${DP}/${mine.id}`, { body: [{ op: 'replace', path: '/name', value: 'admin was here' }] })).status, 204);
  });

  test('forbidden (403): visible without edit rights; nothing changes', async () => {
    const cases = [
      [U.roleNoCreator, P.M], [U.pub, P.M], [U.pubBoth, P.M2],
      // consumer roles see only activated products: 403 there (404 on drafts, below)
      [U.consumer, P.Mact], [U.consumerCreator, P.Mact],
    ];
    for (const [who, p] of cases) {
      forbidden(await unchanged(p.id, () => call(who, 'PATCH', `${DP}/${p.id}`, PATCH_OPS)));
    }
  });

  test('invisible (404): no role in the space, or someone else\'s personal product; nothing changes', async () => {
    const cases = [
      [U.plain, P.M], [U.outsider, P.M], [U.fac, P.S], [U.creator, P.S], [U.prodS, P.D],
      [U.consumer, P.personal], [U.fac, P.personal], [U.creator, P.adminPersonal],
      // consumer roles cannot see drafts (issue 8)
      [U.consumer, P.M], [U.plainReader, P.M], [U.consumerCreator, P.M], [U.creatorNoT, P.M2],
      [U.consumer, P.S], [U.consumer, P.D], [U.plainReader, P.Mact],
    ];
    for (const [who, p] of cases) {
      notFound(await unchanged(p.id, () => call(who, 'PATCH', `${DP}/${p.id}`, PATCH_OPS)));
    }
  });
});

describe('delete', () => {
  test('allowed: creator roles, owner as facilitator, admin, personal owner', async () => {
    const cases = [
      [U.creator, SP.M.id], [U.fac, SP.M.id], [U.prodS, SP.S.id], [U.owner, SP.S.id],
      [U.admin, SP.S.id], [U.creator, SP.D.id], [U.creator, null],
    ];
    for (const [who, sid] of cases) {
      const p = await mkProduct(sid, sid ? U.admin : who);
      const res = await call(who, 'DELETE', `${DP}/${p.id}`);
      assert.equal(res.status, 204, `${who.label}: ${res.text}`);
      notFound(await srv.api('GET', `${DP}/${p.id}`));
    }
  });

  test('forbidden (403) and invisible (404); the product survives unchanged', async () => {
    const p = await mkProduct(SP.M.id);
    for (const who of [U.pub, U.roleNoCreator]) {
      forbidden(await unchanged(p.id, () => call(who, 'DELETE', `${DP}/${p.id}`)));
    }
    // consumer roles cannot see a draft (issue 8): 404
    for (const who of [U.plain, U.outsider, U.owner, U.prodS, U.consumer, U.plainReader, U.consumerCreator]) {
      notFound(await unchanged(p.id, () => call(who, 'DELETE', `${DP}/${p.id}`)));
    }
    notFound(await unchanged(P.personal.id, () => call(U.consumer, 'DELETE', `${DP}/${P.personal.id}`)));
    notFound(await unchanged(P.S.id, () => call(U.consumer, 'DELETE', `${DP}/${P.S.id}`)));
    forbidden(await unchanged(P.Mact.id, () => call(U.consumer, 'DELETE', `${DP}/${P.Mact.id}`)));
  });
});

// ---------------------------------------------------------------- activate / deactivate

describe('activate and deactivate', () => {
  test('allowed: publisher or facilitator (owner included), admin, personal owner', async () => {
    const cases = [
      [U.pub, SP.M.id], // a plain user holding publisher
      [U.pubBoth, SP.M.id], [U.fac, SP.M.id], [U.owner, SP.S.id], [U.admin, SP.S.id],
      [U.pubBoth, SP.M2.id],
    ];
    for (const [who, sid] of cases) {
      const p = await mkProduct(sid);
      const act = await call(who, 'POST', `${DP}/${p.id}/actions/activate`, { name: p.name });
      assert.equal(act.status, 201, `${who.label} activate: ${act.text}`);
      assert.equal(act.body.activated, true);
      assert.deepEqual(act.body.activatedOn, [sid]);
      const de = await call(who, 'POST', `${DP}/${p.id}/actions/deactivate`);
      assert.equal(de.status, 204, `${who.label} deactivate: ${de.text}`);
      assert.equal((await snap(p.id)).doc.activated, false);
    }
    const mine = await mkProduct(null, U.creator);
    const act = await call(U.creator, 'POST', `${DP}/${mine.id}/actions/activate`, { name: mine.name });
    assert.equal(act.status, 201, act.text);
    assert.deepEqual(act.body.activatedOn, ['personal']);
    assert.equal((await call(U.creator, 'POST', `${DP}/${mine.id}/actions/deactivate`)).status, 204);
  });

  test('activate forbidden (403) for roles without publish; invisible (404); nothing changes', async () => {
    const p = await mkProduct(SP.M.id);
    for (const who of [U.creator, U.roleNoCreator, U.creatorNoT]) {
      forbidden(await unchanged(p.id, () => call(who, 'POST', `${DP}/${p.id}/actions/activate`, { name: 'x' })));
    }
    // consumer roles cannot see a draft (issue 8)
    for (const who of [U.consumer, U.plainReader]) {
      notFound(await unchanged(p.id, () => call(who, 'POST', `${DP}/${p.id}/actions/activate`, { name: 'x' })));
    }
    forbidden(await unchanged(P.S.id, () => call(U.prodS, 'POST', `${DP}/${P.S.id}/actions/activate`, { name: 'x' })));
    forbidden(await unchanged(P.D.id, () => call(U.creator, 'POST', `${DP}/${P.D.id}/actions/activate`, { name: 'x' })));
    for (const who of [U.plain, U.outsider, U.prodS]) {
      notFound(await unchanged(p.id, () => call(who, 'POST', `${DP}/${p.id}/actions/activate`, { name: 'x' })));
    }
    notFound(await unchanged(P.personal.id, () => call(U.fac, 'POST', `${DP}/${P.personal.id}/actions/activate`, { name: 'x' })));
  });

  test('deactivate forbidden (403) and invisible (404); the product stays active', async () => {
    const p = await mkProduct(SP.M.id);
    assert.equal((await srv.api('POST', `${DP}/${p.id}/actions/activate`, { body: { name: p.name } })).status, 201);
    for (const who of [U.creator, U.consumer, U.roleNoCreator, U.consumerCreator]) {
      forbidden(await unchanged(p.id, () => call(who, 'POST', `${DP}/${p.id}/actions/deactivate`)));
    }
    for (const who of [U.plain, U.outsider, U.owner]) {
      notFound(await unchanged(p.id, () => call(who, 'POST', `${DP}/${p.id}/actions/deactivate`)));
    }
    assert.equal((await call(U.pub, 'POST', `${DP}/${p.id}/actions/deactivate`)).status, 204);
  });

  test('activate into a target space needs publish rights there too', async () => {
    // pub: publisher in M, consumer in M2 -> target visible without rights -> 403
    const p = await mkProduct(SP.M.id);
    forbidden(await unchanged(p.id, () => call(U.pub, 'POST', `${DP}/${p.id}/actions/activate`, { name: p.name, spaceId: SP.M2.id })));
    // fac: facilitator in M, no role in M2 -> target invisible -> 404
    notFound(await unchanged(p.id, () => call(U.fac, 'POST', `${DP}/${p.id}/actions/activate`, { name: p.name, spaceId: SP.M2.id })));
    notFound(await unchanged(p.id, () => call(U.pub, 'POST', `${DP}/${p.id}/actions/activate`, { name: p.name, spaceId: MISSING_ID })));
    // creator: contributor in both -> no publish right in the source -> 403
    forbidden(await unchanged(p.id, () => call(U.creator, 'POST', `${DP}/${p.id}/actions/activate`, { name: p.name, spaceId: SP.M2.id })));
    // publishing into the product's own space is fine without any role elsewhere
    const own = await call(U.pub, 'POST', `${DP}/${p.id}/actions/activate`, { name: p.name, spaceId: SP.M.id });
    assert.equal(own.status, 201, own.text);
    assert.equal((await call(U.pub, 'POST', `${DP}/${p.id}/actions/deactivate`)).status, 204);
    // pubBoth: publisher in both -> 201, published to M2
    const ok = await call(U.pubBoth, 'POST', `${DP}/${p.id}/actions/activate`, { name: p.name, spaceId: SP.M2.id });
    assert.equal(ok.status, 201, ok.text);
    assert.deepEqual(ok.body.activatedOn, [SP.M2.id]);
    assert.equal(ok.body.spaceId, SP.M2.id);
  });

  test('a TenantAdmin activates into any managed space without assignments', async () => {
    const extra = await mkSpace(U.owner, 'shared');
    const p = await mkProduct(SP.S.id);
    // target must be managed: validation after the permission check passes
    assertError(await unchanged(p.id, () => srv.api('POST', `${DP}/${p.id}/actions/activate`, { body: { name: p.name, spaceId: extra.id } })),
      400, 'DP-400-VALIDATION', 'spaceId');
    const ok = await srv.api('POST', `${DP}/${p.id}/actions/activate`, { body: { name: p.name, spaceId: SP.M2.id } });
    assert.equal(ok.status, 201, ok.text);
    assert.deepEqual(ok.body.activatedOn, [SP.M2.id]);
  });
});

// ---------------------------------------------------------------- move

describe('move S -> T', () => {
  const move = (who, p, spaceId) => call(who, 'POST', `${DP}/${p.id}/actions/move`, { spaceId });

  test('allowed: edit rights in the source and create rights in the target', async () => {
    const p = await mkProduct(SP.M.id);
    const before = await snap(p.id);
    const res = await move(U.creator, p, SP.M2.id); // contributor in both
    assert.equal(res.status, 204, res.text);
    const after = await snap(p.id);
    assert.equal(after.doc.spaceId, SP.M2.id);
    assert.equal(after.changes, before.changes + 1);
    // and back, by a caller that holds contributor in M2 and contributor in M
    assert.equal((await move(U.creator, p, SP.M.id)).status, 204);
    // a personal product into a space
    const mine = await mkProduct(null, U.creator);
    assert.equal((await move(U.creator, mine, SP.M.id)).status, 204);
    assert.equal((await snap(mine.id)).doc.spaceId, SP.M.id);
  });

  test('source visible without edit rights -> 403; nothing changes', async () => {
    const p = await mkProduct(SP.M.id);
    // consumerCreator: consumer in M, contributor in M2; sees the product only once activated
    notFound(await unchanged(p.id, () => move(U.consumerCreator, p, SP.M2.id)));
    forbidden(await unchanged(P.Mact.id, () => move(U.consumerCreator, P.Mact, SP.M2.id)));
    // pubBoth: publisher in M and M2, no create role
    forbidden(await unchanged(p.id, () => move(U.pubBoth, p, SP.M2.id)));
  });

  test('source invisible -> 404; nothing changes', async () => {
    const p = await mkProduct(SP.M.id);
    // outsider: contributor in M2 only
    notFound(await unchanged(p.id, () => move(U.outsider, p, SP.M2.id)));
    notFound(await unchanged(P.personal.id, () => move(U.fac, P.personal, SP.M.id)));
  });

  test('target visible without create rights -> 403; nothing changes', async () => {
    const p = await mkProduct(SP.M.id);
    // creatorNoT: contributor in M, consumer in M2
    forbidden(await unchanged(p.id, () => move(U.creatorNoT, p, SP.M2.id)));
  });

  test('target invisible or missing -> 404; nothing changes', async () => {
    const p = await mkProduct(SP.M.id);
    // fac: facilitator in M, nothing in M2
    notFound(await unchanged(p.id, () => move(U.fac, p, SP.M2.id)));
    notFound(await unchanged(p.id, () => move(U.creator, p, SP.S.id)));
    notFound(await unchanged(p.id, () => move(U.creator, p, MISSING_ID)));
  });

  test('a TenantAdmin moves between spaces it has no assignment in', async () => {
    const p = await mkProduct(SP.S.id, U.owner);
    const res = await srv.api('POST', `${DP}/${p.id}/actions/move`, { body: { spaceId: SP.D.id } });
    assert.equal(res.status, 204, res.text);
    assert.equal((await snap(p.id)).doc.spaceId, SP.D.id);
    // the owner of S lost sight of it; the producer of D now sees it (a consumer
    // of D does not: it is a draft)
    notFound(await call(U.owner, 'GET', `${DP}/${p.id}`));
    assert.equal((await call(U.creator, 'GET', `${DP}/${p.id}`)).status, 200);
    notFound(await call(U.consumer, 'GET', `${DP}/${p.id}`));
  });
});

// ---------------------------------------------------------------- TenantAdmin

describe('TenantAdmin without assignments', () => {
  test('every verb on a product in a space owned by someone else', async () => {
    const space = await mkSpace(U.owner, 'shared'); // admin neither owns nor is assigned
    const r = await srv.api('GET', `/api/v1/spaces/${space.id}`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.meta.roles, []);
    const c = await srv.api('POST', DP, { body: { name: uniqueName('adm'), spaceId: space.id, datasetIds: [ds.id], keyContacts: [{ userId: U.admin.id }] } });
    assert.equal(c.status, 201, c.text);
    const id = c.body.id;
    for (const path of Object.values(VIEW_VERBS)) assert.equal((await srv.api('GET', path(id))).status, 200);
    assert.ok((await listAll(U.admin, `spaceId=${space.id}`)).ids.has(id));
    assert.equal((await srv.api('PATCH', `${DP}/${id}`, { body: PATCH_OPS })).status, 204);
    assert.equal((await srv.api('POST', `${DP}/${id}/actions/activate`, { body: { name: 'adm' } })).status, 201);
    assert.equal((await srv.api('POST', `${DP}/${id}/actions/deactivate`)).status, 204);
    assert.equal((await srv.api('POST', `${DP}/${id}/actions/move`, { body: { spaceId: SP.D.id } })).status, 204);
    assert.equal((await srv.api('POST', `${DP}/${id}/actions/move`, { body: { spaceId: space.id } })).status, 204);
    assert.equal((await srv.api('DELETE', `${DP}/${id}`)).status, 204);
    // and the space itself
    const a = await srv.api('POST', `/api/v1/spaces/${space.id}/assignments`, { body: { assigneeId: U.plain.id, type: 'user', roles: ['consumer'] } });
    assert.equal(a.status, 201, a.text);
    assert.equal((await srv.api('DELETE', `/api/v1/spaces/${space.id}/assignments/${a.body.id}`)).status, 204);
    const pt = await srv.api('PATCH', `/api/v1/spaces/${space.id}`, { body: [{ op: 'replace', path: '/name', value: uniqueName('renamed') }] });
    assert.equal(pt.status, 200, pt.text);
    assert.equal((await srv.api('DELETE', `/api/v1/spaces/${space.id}`)).status, 204);
  });
});

// ---------------------------------------------------------------- spaces

describe('spaces: create rules per type and tenant role', () => {
  test('TenantAdmin: any type; DataProductCreator: shared and data; others: 403', async () => {
    for (const type of ['shared', 'managed', 'data']) {
      const res = await srv.api('POST', '/api/v1/spaces', { body: { name: uniqueName(type), type } });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.ownerId, U.admin.id);
    }
    for (const type of ['shared', 'data']) {
      const res = await call(U.creator, 'POST', '/api/v1/spaces', { name: uniqueName(type), type });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.ownerId, U.creator.id, 'the creator owns the space');
      assert.deepEqual([...res.body.meta.actions].sort(), ['change_owner', 'create', 'delete', 'publish', 'read', 'update']);
    }
    const countAll = async () => (await srv.api('GET', '/api/v1/spaces?limit=1')).body.meta.count;
    const before = await countAll();
    forbidden(await call(U.creator, 'POST', '/api/v1/spaces', { name: uniqueName('m'), type: 'managed' }));
    for (const who of [U.consumer, U.plain, U.pub]) {
      for (const type of ['shared', 'managed', 'data']) {
        forbidden(await call(who, 'POST', '/api/v1/spaces', { name: uniqueName(type), type }));
      }
    }
    assert.equal(await countAll(), before, 'forbidden creates created nothing');
    assertError(await call(U.creator, 'POST', '/api/v1/spaces', { name: 'x', type: 'personal' }), 400, 'DP-400-VALIDATION', 'type');
  });
});

describe('spaces: visibility, meta.roles and meta.actions per caller', () => {
  const sorted = (a) => [...a].sort();
  const ALL = ['change_owner', 'create', 'delete', 'publish', 'read', 'update'];

  test('get: any role or ownership shows a space; otherwise 404', async () => {
    for (const [who, sp] of [[U.consumer, SP.M], [U.pub, SP.M], [U.owner, SP.S], [U.outsider, SP.M2], [U.creator, SP.D]]) {
      assert.equal((await call(who, 'GET', `/api/v1/spaces/${sp.id}`)).status, 200, `${who.label}`);
      assert.equal((await call(who, 'GET', `/api/v1/spaces/${sp.id}/assignments`)).status, 200, `${who.label} assignments`);
    }
    for (const [who, sp] of [[U.plain, SP.M], [U.outsider, SP.M], [U.fac, SP.S], [U.owner, SP.M], [U.prodS, SP.D]]) {
      notFound(await call(who, 'GET', `/api/v1/spaces/${sp.id}`));
      notFound(await call(who, 'GET', `/api/v1/spaces/${sp.id}/assignments`));
    }
  });

  test('list shows exactly the spaces a caller owns or holds a role in', async () => {
    const names = async (who, q = '') => {
      const res = await call(who, 'GET', `/api/v1/spaces?limit=100${q}`);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.meta.count, res.body.data.length);
      return new Set(res.body.data.map((s) => s.id));
    };
    assert.deepEqual(sorted(await names(U.consumer)), sorted([SP.M.id, SP.M2.id, SP.S.id, SP.D.id]));
    assert.deepEqual(sorted(await names(U.fac)), [SP.M.id]);
    assert.deepEqual(sorted(await names(U.plain)), []);
    assert.ok((await names(U.owner)).has(SP.S.id));
    assert.ok(!(await names(U.owner)).has(SP.M.id));
    assert.deepEqual(sorted(await names(U.consumer, '&type=managed')), sorted([SP.M.id, SP.M2.id]));
    assert.deepEqual(sorted(await names(U.fac, `&ownerId=${U.owner.id}`)), []);
    const all = await names(U.admin);
    for (const s of Object.values(SP)) assert.ok(all.has(s.id));
  });

  test('meta reflects the caller', async () => {
    const meta = async (who, sp) => {
      const res = await call(who, 'GET', `/api/v1/spaces/${sp.id}`);
      assert.equal(res.status, 200, res.text);
      return res.body.meta;
    };
    const cases = [
      [U.consumer, SP.M, ['consumer'], ['read']],
      [U.plainReader, SP.M, ['consumer'], ['read']],
      [U.creator, SP.M, ['contributor'], ['create', 'read']],
      [U.roleNoCreator, SP.M, ['contributor'], ['read']],
      [U.pub, SP.M, ['publisher'], ['publish', 'read']],
      [U.fac, SP.M, ['facilitator'], ['create', 'publish', 'read', 'update']],
      [U.prodS, SP.S, ['producer'], ['create', 'read']],
      [U.owner, SP.S, [], ALL], // owner: no assignment, every action
      [U.admin, SP.S, [], ALL],
      [U.admin, SP.M, [], ALL],
    ];
    for (const [who, sp, roles, actions] of cases) {
      const m = await meta(who, sp);
      assert.deepEqual(sorted(m.roles), roles, `${who.label} roles in ${sp.type}`);
      assert.deepEqual(sorted(m.actions), actions, `${who.label} actions in ${sp.type}`);
    }
    // the same caller in the list gets the same meta
    const list = await call(U.fac, 'GET', '/api/v1/spaces');
    assert.deepEqual(sorted(list.body.data.find((s) => s.id === SP.M.id).meta.actions), ['create', 'publish', 'read', 'update']);
    // assignableRoles per type
    assert.deepEqual(sorted((await meta(U.admin, SP.S)).assignableRoles),
      sorted(['consumer', 'basicconsumer', 'dataconsumer', 'producer', 'codeveloper', 'facilitator']));
    assert.deepEqual(sorted((await meta(U.admin, SP.M)).assignableRoles),
      sorted(['consumer', 'basicconsumer', 'dataconsumer', 'contributor', 'publisher', 'facilitator', 'operator']));
    assert.deepEqual(sorted((await meta(U.admin, SP.D)).assignableRoles),
      sorted(['consumer', 'dataconsumer', 'datapreview', 'producer', 'facilitator', 'operator']));
  });
});

describe('spaces: patch and assignments need facilitator', () => {
  const rename = (who, sp, value = uniqueName('renamed')) =>
    call(who, 'PATCH', `/api/v1/spaces/${sp.id}`, [{ op: 'replace', path: '/name', value }]);

  test('facilitator, owner and admin may patch name/description', async () => {
    for (const [who, sp] of [[U.fac, SP.M], [U.owner, SP.S], [U.admin, SP.S]]) {
      const name = uniqueName(`by-${who.label}`);
      const res = await rename(who, sp, name);
      assert.equal(res.status, 200, `${who.label}: ${res.text}`);
      assert.equal(res.body.name, name);
      assert.equal((await srv.api('GET', `/api/v1/spaces/${sp.id}`)).body.name, name);
    }
    const d = await call(U.fac, 'PATCH', `/api/v1/spaces/${SP.M.id}`, [{ op: 'replace', path: '/description', value: 'governed' }]);
    assert.equal(d.status, 200, d.text);
    assert.equal(d.body.description, 'governed');
  });

  test('other roles get 403, callers without a role 404; nothing changes', async () => {
    for (const who of [U.consumer, U.creator, U.pub, U.roleNoCreator]) {
      forbidden(await spaceUnchanged(SP.M.id, () => rename(who, SP.M)));
    }
    forbidden(await spaceUnchanged(SP.S.id, () => rename(U.prodS, SP.S)));
    for (const [who, sp] of [[U.plain, SP.M], [U.outsider, SP.M], [U.fac, SP.S]]) {
      notFound(await spaceUnchanged(sp.id, () => rename(who, sp)));
    }
  });

  test('assignments: facilitator/owner/admin add and remove; others 403/404; nothing changes', async () => {
    const target = await mkUser(uniqueName('assignee'), []);
    const body = { assigneeId: target.id, type: 'user', roles: ['consumer'] };
    const a = await call(U.fac, 'POST', `/api/v1/spaces/${SP.M.id}/assignments`, body);
    assert.equal(a.status, 201, a.text);
    assert.equal(a.body.assigneeId, target.id);
    assert.deepEqual(a.body.roles, ['consumer']);
    // reading an assignment: any role
    assert.equal((await call(U.consumer, 'GET', `/api/v1/spaces/${SP.M.id}/assignments/${a.body.id}`)).status, 200);
    notFound(await call(U.plain, 'GET', `/api/v1/spaces/${SP.M.id}/assignments/${a.body.id}`));
    // removing: forbidden for non-facilitators, invisible for outsiders
    for (const who of [U.consumer, U.pub, U.creator]) {
      forbidden(await spaceUnchanged(SP.M.id, () => call(who, 'DELETE', `/api/v1/spaces/${SP.M.id}/assignments/${a.body.id}`)));
    }
    notFound(await spaceUnchanged(SP.M.id, () => call(U.outsider, 'DELETE', `/api/v1/spaces/${SP.M.id}/assignments/${a.body.id}`)));
    assert.equal((await call(U.fac, 'DELETE', `/api/v1/spaces/${SP.M.id}/assignments/${a.body.id}`)).status, 204);
    // adding: same split
    for (const who of [U.consumer, U.pub, U.creator, U.pubBoth]) {
      forbidden(await spaceUnchanged(SP.M.id, () => call(who, 'POST', `/api/v1/spaces/${SP.M.id}/assignments`, body)));
    }
    forbidden(await spaceUnchanged(SP.S.id, () => call(U.prodS, 'POST', `/api/v1/spaces/${SP.S.id}/assignments`, body)));
    for (const [who, sp] of [[U.outsider, SP.M], [U.plain, SP.M], [U.fac, SP.S]]) {
      notFound(await spaceUnchanged(sp.id, () => call(who, 'POST', `/api/v1/spaces/${sp.id}/assignments`, body)));
    }
    // the owner (no assignment) and an admin may
    const o = await call(U.owner, 'POST', `/api/v1/spaces/${SP.S.id}/assignments`, body);
    assert.equal(o.status, 201, o.text);
    assert.equal((await srv.api('DELETE', `/api/v1/spaces/${SP.S.id}/assignments/${o.body.id}`)).status, 204);
  });
});

describe('spaces: check order and assignment paths', () => {
  test('space patch: the permission check (403/404) comes before body validation (400)', async () => {
    // decisions.md "Issue 8 — who sees what", check order: as for every
    // data product verb and for assignments.
    const bad = [[{ op: 'remove', path: '/name' }], [{ op: 'replace', path: '/type', value: 'data' }], { name: 'x' }];
    for (const body of bad) {
      forbidden(await spaceUnchanged(SP.M.id, () => call(U.consumer, 'PATCH', `/api/v1/spaces/${SP.M.id}`, body)));
      for (const who of [U.outsider, U.plain]) {
        notFound(await spaceUnchanged(SP.M.id, () => call(who, 'PATCH', `/api/v1/spaces/${SP.M.id}`, body)));
      }
      assertError(await spaceUnchanged(SP.M.id, () => call(U.fac, 'PATCH', `/api/v1/spaces/${SP.M.id}`, body)), 400, 'DP-400-VALIDATION');
    }
  });

  test('an assignment is reachable only under its own space', async () => {
    const list = await srv.api('GET', `/api/v1/spaces/${SP.S.id}/assignments`);
    const aid = list.body.data.find((a) => a.assigneeId === U.prodS.id).id;
    // fac manages M, not S: S's assignment through M's path is not there
    notFound(await call(U.fac, 'GET', `/api/v1/spaces/${SP.M.id}/assignments/${aid}`));
    notFound(await spaceUnchanged(SP.S.id, () => call(U.fac, 'DELETE', `/api/v1/spaces/${SP.M.id}/assignments/${aid}`)));
    notFound(await spaceUnchanged(SP.S.id, () => srv.api('DELETE', `/api/v1/spaces/${SP.M.id}/assignments/${aid}`)));
    assert.equal((await call(U.prodS, 'GET', `${DP}/${P.S.id}`)).status, 200, 'prodS keeps its access');
  });
});

describe('spaces: delete and change owner need the owner or an admin', () => {
  test('facilitator or other roles: 403; no role: 404; nothing changes', async () => {
    const sp = await mkSpace(U.owner, 'shared');
    await assign(U.owner, sp, U.fac, ['facilitator']);
    await assign(U.owner, sp, U.consumer, ['consumer']);
    for (const who of [U.fac, U.consumer]) {
      forbidden(await spaceUnchanged(sp.id, () => call(who, 'DELETE', `/api/v1/spaces/${sp.id}`)));
      forbidden(await spaceUnchanged(sp.id, () => call(who, 'PATCH', `/api/v1/spaces/${sp.id}`,
        [{ op: 'replace', path: '/ownerId', value: who.id }])));
    }
    // a facilitator's rename together with an owner change is atomic: nothing changes
    forbidden(await spaceUnchanged(sp.id, () => call(U.fac, 'PATCH', `/api/v1/spaces/${sp.id}`,
      [{ op: 'replace', path: '/name', value: 'sneaky' }, { op: 'replace', path: '/ownerId', value: U.fac.id }])));
    notFound(await spaceUnchanged(sp.id, () => call(U.plain, 'DELETE', `/api/v1/spaces/${sp.id}`)));
    notFound(await spaceUnchanged(sp.id, () => call(U.outsider, 'PATCH', `/api/v1/spaces/${sp.id}`,
      [{ op: 'replace', path: '/ownerId', value: U.outsider.id }])));
    // the owner may delete it
    assert.equal((await call(U.owner, 'DELETE', `/api/v1/spaces/${sp.id}`)).status, 204);
    notFound(await srv.api('GET', `/api/v1/spaces/${sp.id}`));
  });

  test('the owner hands the space over; the new owner gains, the old one loses, all rights', async () => {
    const sp = await mkSpace(U.owner, 'shared');
    const res = await call(U.owner, 'PATCH', `/api/v1/spaces/${sp.id}`, [{ op: 'replace', path: '/ownerId', value: U.prodS.id }]);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.ownerId, U.prodS.id);
    assert.equal((await srv.api('GET', `/api/v1/spaces/${sp.id}`)).body.ownerId, U.prodS.id);
    notFound(await call(U.owner, 'GET', `/api/v1/spaces/${sp.id}`));
    const m = await call(U.prodS, 'GET', `/api/v1/spaces/${sp.id}`);
    assert.equal(m.status, 200);
    assert.ok(m.body.meta.actions.includes('delete'));
    // an admin changes owners of spaces it does not own, and deletes them
    const back = await srv.api('PATCH', `/api/v1/spaces/${sp.id}`, { body: [{ op: 'replace', path: '/ownerId', value: U.owner.id }] });
    assert.equal(back.status, 200, back.text);
    assert.equal((await srv.api('DELETE', `/api/v1/spaces/${sp.id}`)).status, 204);
  });

  test('409 while the space holds a data product or a data set; 204 once empty', async () => {
    const sp = await mkSpace(U.admin, 'managed');
    const p = await mkProduct(sp.id);
    const e = assertError(await spaceUnchanged(sp.id, () => srv.api('DELETE', `/api/v1/spaces/${sp.id}`)), 409, 'DP-409-CONFLICT');
    assert.ok(e.detail.includes(sp.id));
    assert.equal((await srv.api('DELETE', `${DP}/${p.id}`)).status, 204);
    assert.equal((await srv.api('DELETE', `/api/v1/spaces/${sp.id}`)).status, 204);

    const dsp = await mkSpace(U.owner, 'data');
    const d = await call(U.owner, 'POST', '/api/v1/data-sets', { name: uniqueName('ds'), technicalName: 'in_space', spaceId: dsp.id });
    assert.equal(d.status, 201, d.text);
    assertError(await spaceUnchanged(dsp.id, () => call(U.owner, 'DELETE', `/api/v1/spaces/${dsp.id}`)), 409, 'DP-409-CONFLICT');
    assertError(await spaceUnchanged(dsp.id, () => srv.api('DELETE', `/api/v1/spaces/${dsp.id}`)), 409, 'DP-409-CONFLICT');
  });
});

describe('spaces: assignable roles, duplicates, and access follows assignments', () => {
  const ROLES = ['consumer', 'contributor', 'dataconsumer', 'datapreview', 'facilitator', 'operator',
    'producer', 'publisher', 'basicconsumer', 'codeveloper'];
  const ASSIGNABLE = {
    shared: ['consumer', 'basicconsumer', 'dataconsumer', 'producer', 'codeveloper', 'facilitator'],
    managed: ['consumer', 'basicconsumer', 'dataconsumer', 'contributor', 'publisher', 'facilitator', 'operator'],
    data: ['consumer', 'dataconsumer', 'datapreview', 'producer', 'facilitator', 'operator'],
  };

  test('each role is assignable exactly in the space types decisions.md lists; others 400', async () => {
    const u = await mkUser(uniqueName('roles'), []);
    for (const type of ['shared', 'managed', 'data']) {
      const sp = await mkSpace(U.admin, type);
      for (const role of ROLES) {
        const res = await srv.api('POST', `/api/v1/spaces/${sp.id}/assignments`, { body: { assigneeId: u.id, type: 'user', roles: [role] } });
        if (ASSIGNABLE[type].includes(role)) {
          assert.equal(res.status, 201, `${role} in ${type}: ${res.text}`);
          assert.equal((await srv.api('DELETE', `/api/v1/spaces/${sp.id}/assignments/${res.body.id}`)).status, 204);
        } else {
          assertError(res, 400, 'DP-400-VALIDATION', 'roles[0]');
        }
      }
      // an invalid role next to a valid one, an unknown name, none at all
      const wrong = ROLES.find((r) => !ASSIGNABLE[type].includes(r));
      for (const roles of [['consumer', wrong], ['owner'], ['TenantAdmin'], []]) {
        const res = await spaceUnchanged(sp.id, () => srv.api('POST', `/api/v1/spaces/${sp.id}/assignments`, { body: { assigneeId: u.id, type: 'user', roles } }));
        assertError(res, 400, 'DP-400-VALIDATION', 'roles');
      }
      assertError(await srv.api('POST', `/api/v1/spaces/${sp.id}/assignments`, { body: { assigneeId: u.id, type: 'group', roles: ['consumer'] } }),
        400, 'DP-400-VALIDATION', 'type');
    }
  });

  test('a second assignment of the same user in a space -> 409; the first stays', async () => {
    const sp = await mkSpace(U.admin, 'managed');
    const u = await mkUser(uniqueName('dup'), [] );
    const first = await assign(U.admin, sp, u, ['consumer']);
    for (const roles of [['consumer'], ['publisher']]) {
      const res = await spaceUnchanged(sp.id, () => srv.api('POST', `/api/v1/spaces/${sp.id}/assignments`, { body: { assigneeId: u.id, type: 'user', roles } }));
      assertError(res, 409, 'DP-409-CONFLICT');
    }
    const list = await srv.api('GET', `/api/v1/spaces/${sp.id}/assignments`);
    assert.deepEqual(list.body.data.map((a) => a.id), [first.id]);
  });

  test('removing an assignment removes access at once; adding grants it at once', async () => {
    const sp = await mkSpace(U.admin, 'managed');
    const p = await mkProduct(sp.id);
    const u = await mkUser(uniqueName('temp'), ['DataProductCreator']);
    notFound(await call(u, 'GET', `${DP}/${p.id}`));
    const a = await assign(U.admin, sp, u, ['contributor']);
    assert.equal((await call(u, 'GET', `${DP}/${p.id}`)).status, 200);
    assert.equal((await call(u, 'PATCH', `${DP}/${p.id}`, PATCH_OPS)).status, 204);
    assert.ok((await listAll(u)).ids.has(p.id));
    assert.equal((await srv.api('DELETE', `/api/v1/spaces/${sp.id}/assignments/${a.id}`)).status, 204);
    notFound(await call(u, 'GET', `${DP}/${p.id}`));
    notFound(await unchanged(p.id, () => call(u, 'PATCH', `${DP}/${p.id}`, [{ op: 'replace', path: '/name', value: 'late' }])));
    notFound(await call(u, 'GET', `/api/v1/spaces/${sp.id}`));
    assert.ok(!(await listAll(u)).ids.has(p.id));
    const spaces = await call(u, 'GET', '/api/v1/spaces');
    assert.ok(!spaces.body.data.some((s) => s.id === sp.id));
    notFound(await call(u, 'POST', DP, { name: 'after removal', spaceId: sp.id }));
  });
});
