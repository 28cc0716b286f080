// visibility: issue 8, items 4-6, black-box over HTTP (SPEC §4 revised,
// docs/decisions.md "Issue 8 — who sees what").
//
//   4. moving an activated product needs publish rights in both spaces
//      (else `move` bypasses the publishing gate, in either direction);
//   5. drafts and deactivated products need a producing role in the space;
//      activated ones are the marketplace view (any role AND the user role
//      DataProductConsumer or DataProductCreator) — in get, export,
//      changelogs, every list, search result and total;
//   6. authorisation before validation: a caller without the right gets 403
//      (404 when it may not see the resource) before its body is judged.
//
// Fixture (built by the TenantAdmin):
//
//   user (tenant roles)            M (managed)    S (shared)      D (data)
//   consumer     DPConsumer        consumer       basicconsumer   dataconsumer
//   bare         —                 consumer       consumer        datapreview
//   creatorCons  DPCreator         consumer       —               —
//   contrib      DPCreator         contributor    —               —
//   producer     —                 —              producer        —
//   codev        DPConsumer        operator       codeveloper     operator
//   pub          —                 publisher      —               —
//
// Products (all made by the admin): in M a draft, an activated and a
// deactivated one; in S and D a draft and an activated one each.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, MISSING_ID } from './lib/server.mjs';
import { DP, assertError, uniqueName } from './lib/fixtures.mjs';

let srv;
const U = {};
const SP = {};
const P = {};
let ds;

const call = (who, method, path, body) => srv.api(method, path, { key: who.key, body });
const forbidden = (res) => assertError(res, 403, 'DP-403-FORBIDDEN');
const notFound = (res) => assertError(res, 404, 'DP-404-NOT-FOUND');

async function mkUser(label, roles) {
  const res = await srv.api('POST', '/api/v1/users', {
    body: { subject: `vis|${label}-${process.pid}`, email: `vis-${label}-${process.pid}@example.com`, name: label,
      assignedRoles: roles.map((name) => ({ name })) },
  });
  assert.equal(res.status, 201, `user ${label}: ${res.text}`);
  const key = await srv.api('POST', '/api/v1/api-keys', { body: { description: label, sub: res.body.id } });
  assert.equal(key.status, 201, key.text);
  return { id: res.body.id, key: key.body.token, label };
}

async function mkSpace(who, type) {
  const res = await call(who, 'POST', '/api/v1/spaces', { name: uniqueName(`vis-${type}`), type });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

async function assign(space, user, roles) {
  const res = await srv.api('POST', `/api/v1/spaces/${space.id}/assignments`,
    { body: { assigneeId: user.id, type: 'user', roles } });
  assert.equal(res.status, 201, res.text);
}

async function mkProduct(spaceId, by = U.admin, extra = {}) {
  const res = await call(by, 'POST', DP, {
    name: uniqueName('vis-product'), datasetIds: [ds.id], keyContacts: [{ userId: U.admin.id }],
    tags: ['vis'], description: 'visibility fixture', ...(spaceId ? { spaceId } : {}), ...extra,
  });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

async function activate(p, who = U.admin, body = {}) {
  const res = await call(who, 'POST', `${DP}/${p.id}/actions/activate`, { name: p.name, ...body });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

async function deactivate(p, who = U.admin) {
  const res = await call(who, 'POST', `${DP}/${p.id}/actions/deactivate`);
  assert.equal(res.status, 204, res.text);
}

/** The admin's view: spaceId, activated, changelog total. */
async function state(p) {
  const g = await srv.api('GET', `${DP}/${p.id}`);
  assert.equal(g.status, 200, g.text);
  const c = await srv.api('GET', `${DP}/${p.id}/changelogs?limit=1`);
  return { spaceId: g.body.spaceId, activated: g.body.activated, activatedOn: g.body.activatedOn,
    etag: g.headers.get('etag'), changes: c.body.total };
}

/** Every id a caller's list shows (all pages) and the total it reports. */
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
  assert.equal(ids.length, total, `total must count exactly what ${who.label} is shown`);
  return { ids: new Set(ids), total };
}

const VIEW = {
  get: (id) => `${DP}/${id}`,
  export: (id) => `${DP}/${id}/actions/export-documentation`,
  changelogs: (id) => `${DP}/${id}/changelogs`,
};

before(async () => {
  srv = await startServer({ args: ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0'] });
  U.admin = { id: srv.admin.userId, key: srv.key, label: 'admin' };
  const specs = {
    consumer: ['DataProductConsumer'], bare: [], creatorCons: ['DataProductCreator'],
    contrib: ['DataProductCreator'], producer: [], codev: ['DataProductConsumer'], pub: [],
  };
  for (const [label, roles] of Object.entries(specs)) U[label] = await mkUser(label, roles);
  const d = await srv.api('POST', '/api/v1/data-sets', { body: { name: 'vis', technicalName: 'vis' } });
  assert.equal(d.status, 201, d.text);
  ds = d.body;
  SP.M = await mkSpace(U.admin, 'managed');
  SP.S = await mkSpace(U.admin, 'shared');
  SP.D = await mkSpace(U.admin, 'data');
  await assign(SP.M, U.consumer, ['consumer']);
  await assign(SP.S, U.consumer, ['basicconsumer']);
  await assign(SP.D, U.consumer, ['dataconsumer']);
  await assign(SP.M, U.bare, ['consumer']);
  await assign(SP.S, U.bare, ['consumer']);
  await assign(SP.D, U.bare, ['datapreview']);
  await assign(SP.M, U.creatorCons, ['consumer']);
  await assign(SP.M, U.contrib, ['contributor']);
  await assign(SP.S, U.producer, ['producer']);
  await assign(SP.M, U.codev, ['operator']);
  await assign(SP.S, U.codev, ['codeveloper']);
  await assign(SP.D, U.codev, ['operator']);
  await assign(SP.M, U.pub, ['publisher']);

  P.Mdraft = await mkProduct(SP.M.id);
  P.Mact = await mkProduct(SP.M.id);
  await activate(P.Mact);
  P.Mdeact = await mkProduct(SP.M.id);
  await activate(P.Mdeact);
  await deactivate(P.Mdeact);
  P.Sdraft = await mkProduct(SP.S.id);
  P.Sact = await mkProduct(SP.S.id);
  await activate(P.Sact);
  P.Ddraft = await mkProduct(SP.D.id);
  P.Dact = await mkProduct(SP.D.id);
  await activate(P.Dact);
});

after(async () => { await srv?.stop(); });

// ------------------------------------------------------------ item 4: move

describe('item 4: move cannot bypass the publishing gate', () => {
  test('into S: a contributor (no publish right in S) cannot move its activated product in (403, nothing changes)', async () => {
    const sp = await mkSpace(U.contrib, 'shared'); // contrib owns it: facilitator there
    const p = await mkProduct(sp.id, U.contrib);
    // the gate itself: activating into M is refused
    forbidden(await call(U.contrib, 'POST', `${DP}/${p.id}/actions/activate`, { name: p.name, spaceId: SP.M.id }));
    await activate(p, U.contrib); // published in its own space
    const before = await state(p);
    const res = await call(U.contrib, 'POST', `${DP}/${p.id}/actions/move`, { spaceId: SP.M.id });
    const e = forbidden(res);
    assert.ok(e.detail.includes(SP.M.id), `the refusal names the target space: ${e.detail}`);
    assert.deepEqual(await state(p), before, 'the product stayed where it was');
    assert.ok(!(await listAll(U.consumer, `activated=true&spaceId=${SP.M.id}`)).ids.has(p.id),
      'it did not reach M\'s marketplace');
    // a draft still moves on create rights alone
    const draft = await mkProduct(sp.id, U.contrib);
    assert.equal((await call(U.contrib, 'POST', `${DP}/${draft.id}/actions/move`, { spaceId: SP.M.id })).status, 204);
  });

  test('out of S: a contributor cannot take an admin\'s activated product out of S (403, like deactivate)', async () => {
    const mine = await mkSpace(U.contrib, 'shared');
    const p = await mkProduct(SP.M.id);
    await activate(p);
    forbidden(await call(U.contrib, 'POST', `${DP}/${p.id}/actions/deactivate`));
    const before = await state(p);
    const e = forbidden(await call(U.contrib, 'POST', `${DP}/${p.id}/actions/move`, { spaceId: mine.id }));
    assert.ok(e.detail.includes(p.id), `the refusal names the product: ${e.detail}`);
    assert.deepEqual(await state(p), before);
    assert.ok((await listAll(U.consumer, `activated=true&spaceId=${SP.M.id}`)).ids.has(p.id), 'still in M\'s marketplace');
  });

  test('publish rights in both spaces (and delete/create rights) let an activated product move', async () => {
    const u = await mkUser(uniqueName('facboth'), ['DataProductCreator']);
    const T = await mkSpace(U.admin, 'managed');
    await assign(SP.M, u, ['facilitator']);
    await assign(T, u, ['contributor']);
    const p = await mkProduct(SP.M.id);
    await activate(p);
    // contributor in T: create but no publish right there -> 403
    forbidden(await call(u, 'POST', `${DP}/${p.id}/actions/move`, { spaceId: T.id }));
    const w = await srv.api('GET', `/api/v1/spaces/${T.id}/assignments?limit=100`);
    const mine = w.body.data.find((a) => a.assigneeId === u.id);
    assert.equal((await srv.api('DELETE', `/api/v1/spaces/${T.id}/assignments/${mine.id}`)).status, 204);
    await assign(T, u, ['facilitator']);
    assert.equal((await call(u, 'POST', `${DP}/${p.id}/actions/move`, { spaceId: T.id })).status, 204);
    assert.equal((await state(p)).spaceId, T.id);
  });
});

// ------------------------------------------------------------ item 5: views

describe('item 5: consumers see the marketplace, not drafts', () => {
  for (const [verb, path] of Object.entries(VIEW)) {
    test(`${verb}: consumer roles get 404 for draft and deactivated products`, async () => {
      const cases = [
        [U.consumer, P.Mdraft], [U.consumer, P.Mdeact], [U.consumer, P.Sdraft], [U.consumer, P.Ddraft],
        [U.creatorCons, P.Mdraft], [U.creatorCons, P.Mdeact], [U.bare, P.Mdraft], [U.bare, P.Ddraft],
      ];
      for (const [who, p] of cases) {
        const e = notFound(await call(who, 'GET', path(p.id)));
        assert.ok(!e.detail.includes(p.name), 'a 404 must not reveal the name');
      }
    });

    test(`${verb}: activated products need any role AND DataProductConsumer/Creator`, async () => {
      for (const [who, p] of [[U.consumer, P.Mact], [U.consumer, P.Sact], [U.consumer, P.Dact], [U.creatorCons, P.Mact]]) {
        assert.equal((await call(who, 'GET', path(p.id))).status, 200, `${who.label} ${verb} ${p.name}`);
      }
      // consumer roles but no data product user role: nothing at all
      for (const p of [P.Mact, P.Sact, P.Dact]) notFound(await call(U.bare, 'GET', path(p.id)));
    });

    test(`${verb}: producing roles see drafts and deactivated products`, async () => {
      const cases = [
        [U.contrib, P.Mdraft], [U.contrib, P.Mdeact], [U.pub, P.Mdraft], [U.pub, P.Mdeact],
        [U.producer, P.Sdraft], [U.codev, P.Sdraft], [U.codev, P.Mdeact], [U.codev, P.Ddraft],
        [U.producer, P.Sact], // a producing role sees activated ones too, without a user role
      ];
      for (const [who, p] of cases) {
        assert.equal((await call(who, 'GET', path(p.id))).status, 200, `${who.label} ${verb} ${p.name}`);
      }
    });
  }

  test('lists, search and totals show a consumer only the marketplace', async () => {
    const market = [P.Mact.id, P.Sact.id, P.Dact.id];
    const hidden = [P.Mdraft.id, P.Mdeact.id, P.Sdraft.id, P.Ddraft.id];
    for (const q of ['', 'query=vis-product', 'tag=vis', 'activated=false', `spaceId=${SP.M.id}`, 'sort=name']) {
      const got = await listAll(U.consumer, q);
      for (const id of hidden) assert.ok(!got.ids.has(id), `consumer ?${q} lists draft/deactivated ${id}`);
      if (!q.startsWith('activated=false') && !q.startsWith('spaceId')) {
        for (const id of market) assert.ok(got.ids.has(id), `consumer ?${q} misses activated ${id}`);
      }
    }
    assert.equal((await listAll(U.consumer, 'activated=false')).total, 0);
    // the total is the admin's count of activated products in the consumer's spaces
    let want = 0;
    for (const sp of [SP.M, SP.S, SP.D]) want += (await listAll(U.admin, `activated=true&tag=vis&spaceId=${sp.id}`)).total;
    assert.ok(want >= market.length);
    const limit1 = await call(U.consumer, 'GET', `${DP}?limit=1&tag=vis`);
    assert.equal(limit1.body.total, want, 'the total counts only the marketplace');
    assert.equal(limit1.body.pages, want);
  });

  test('lists show nothing to consumer roles without DataProductConsumer/Creator', async () => {
    const got = await listAll(U.bare);
    assert.equal(got.total, 0, `bare user sees ${[...got.ids]}`);
    assert.equal((await listAll(U.bare, 'activated=true')).total, 0);
  });

  test('lists show a producing role every product of its space', async () => {
    const got = await listAll(U.producer);
    assert.deepEqual([...got.ids].sort(), [P.Sdraft.id, P.Sact.id].sort());
    const codev = await listAll(U.codev, 'tag=vis');
    for (const p of [P.Mdraft, P.Mact, P.Mdeact, P.Sdraft, P.Sact, P.Ddraft, P.Dact]) {
      assert.ok(codev.ids.has(p.id), `operator/codeveloper misses ${p.name}`);
    }
  });

  test('deactivation takes a product out of a consumer\'s sight at once; activation brings it back', async () => {
    const p = await mkProduct(SP.M.id);
    await activate(p);
    assert.equal((await call(U.consumer, 'GET', `${DP}/${p.id}`)).status, 200);
    await deactivate(p);
    notFound(await call(U.consumer, 'GET', `${DP}/${p.id}`));
    assert.ok(!(await listAll(U.consumer)).ids.has(p.id));
    await activate(p);
    assert.ok((await listAll(U.consumer)).ids.has(p.id));
  });

  test('a consumer who cannot see a draft gets 404 (not 403) for every verb on it', async () => {
    const p = P.Mdraft;
    notFound(await call(U.creatorCons, 'PATCH', `${DP}/${p.id}`, [{ op: 'replace', path: '/description', value: 'x' }]));
    notFound(await call(U.consumer, 'POST', `${DP}/${p.id}/actions/activate`, { name: p.name }));
    notFound(await call(U.creatorCons, 'DELETE', `${DP}/${p.id}`));
    notFound(await call(U.creatorCons, 'POST', `${DP}/${p.id}/actions/compute-datasets-data-quality`));
    // on an activated product the same consumer sees it: 403
    forbidden(await call(U.creatorCons, 'PATCH', `${DP}/${P.Mact.id}`, [{ op: 'replace', path: '/description', value: 'x' }]));
    forbidden(await call(U.consumer, 'POST', `${DP}/${P.Mact.id}/actions/deactivate`));
  });
});

// ------------------------------------------------------------ item 6: order

describe('item 6: authorisation before validation', () => {
  const INVALID = { bogus: true };

  test('admin-only endpoints: a non-admin gets 403 whatever the body', async () => {
    for (const who of [U.consumer, U.contrib]) {
      forbidden(await call(who, 'POST', '/api/v1/users', INVALID));
      forbidden(await call(who, 'POST', '/api/v1/users', { subject: 'x', email: 'no-at-sign' }));
      forbidden(await call(who, 'PUT', '/api/data-governance/trust-scores/settings', INVALID));
      forbidden(await call(who, 'PUT', '/api/data-governance/trust-scores/settings', { axes: { NOPE: {} } }));
      forbidden(await call(who, 'PATCH', `/api/v1/users/${U.admin.id}`, [{ op: 'replace', path: '/secret', value: 1 }]));
      forbidden(await call(who, 'POST', '/api/v1/api-keys', { description: 5, sub: U.admin.id, expiry: 'never' }));
    }
    // unknown users are still 404 first (every user may see the tenant's users)
    notFound(await call(U.consumer, 'PATCH', `/api/v1/users/${MISSING_ID}`, INVALID));
    // an admin with the same bodies gets the 400 naming the field
    assertError(await srv.api('POST', '/api/v1/users', { body: { subject: 'x', email: 'x@example.com', bogus: 1 } }),
      400, 'DP-400-VALIDATION', 'bogus');
    assertError(await srv.api('PUT', '/api/data-governance/trust-scores/settings', { body: { axes: { NOPE: {} } } }),
      400, 'DP-400-VALIDATION', 'NOPE');
  });

  test('spaces and assignments: 403/404 before 400', async () => {
    // no DataProductCreator: may create no space at all
    forbidden(await call(U.consumer, 'POST', '/api/v1/spaces', INVALID));
    forbidden(await call(U.consumer, 'POST', '/api/v1/spaces', { name: 'bad/name', type: 'shared' }));
    // a creator may not create managed spaces, whatever else the body says
    forbidden(await call(U.contrib, 'POST', '/api/v1/spaces', { name: 'bad/name', type: 'managed', extra: 1 }));
    assertError(await call(U.contrib, 'POST', '/api/v1/spaces', { name: 'bad/name', type: 'shared' }), 400, 'DP-400-VALIDATION', 'name');
    // patch: consumer (visible, no manage right) 403; no role 404; then the facilitator's 400
    const badPatch = [{ op: 'remove', path: '/name' }];
    forbidden(await call(U.consumer, 'PATCH', `/api/v1/spaces/${SP.M.id}`, badPatch));
    notFound(await call(U.producer, 'PATCH', `/api/v1/spaces/${SP.M.id}`, badPatch));
    assertError(await srv.api('PATCH', `/api/v1/spaces/${SP.M.id}`, { body: badPatch }), 400, 'DP-400-VALIDATION');
    // an owner change needs owner rights: 403 before the value is judged
    const sp = await mkSpace(U.contrib, 'shared');
    const fac = await mkUser(uniqueName('fac'), ['DataProductCreator']);
    await assign(sp, fac, ['facilitator']);
    forbidden(await call(fac, 'PATCH', `/api/v1/spaces/${sp.id}`, [{ op: 'replace', path: '/ownerId', value: 'not-a-guid' }]));
    // assignments
    forbidden(await call(U.consumer, 'POST', `/api/v1/spaces/${SP.M.id}/assignments`, INVALID));
    notFound(await call(U.producer, 'POST', `/api/v1/spaces/${SP.M.id}/assignments`, INVALID));
  });

  test('data products: 403/404 before 400 for patch, activate, deactivate, move, create', async () => {
    const badOps = [{ op: 'remove', path: '/name' }];
    forbidden(await call(U.pub, 'PATCH', `${DP}/${P.Mdraft.id}`, badOps)); // sees it, may not edit
    forbidden(await call(U.creatorCons, 'PATCH', `${DP}/${P.Mact.id}`, badOps));
    notFound(await call(U.consumer, 'PATCH', `${DP}/${P.Mdraft.id}`, badOps)); // cannot see a draft
    notFound(await call(U.producer, 'PATCH', `${DP}/${P.Mdraft.id}`, 'not json at all'));
    forbidden(await call(U.contrib, 'POST', `${DP}/${P.Mdraft.id}/actions/activate`, { tags: 'x' }));
    forbidden(await call(U.contrib, 'POST', `${DP}/${P.Mact.id}/actions/deactivate`, { unexpected: true }));
    forbidden(await call(U.pub, 'POST', `${DP}/${P.Mdraft.id}/actions/move`, { spaceId: 12 }));
    // the target space read alone from the body: invisible 404, no rights 403
    notFound(await call(U.pub, 'POST', `${DP}/${P.Mdraft.id}/actions/activate`, { spaceId: SP.D.id, tags: 'x' }));
    // create: no DataProductCreator at all -> 403; a space without create rights -> 403; invisible -> 404
    forbidden(await call(U.consumer, 'POST', DP, INVALID));
    forbidden(await call(U.creatorCons, 'POST', DP, { spaceId: SP.M.id, name: '' }));
    notFound(await call(U.creatorCons, 'POST', DP, { spaceId: SP.S.id, name: '' }));
    // with the rights, the same bodies are 400 naming the field
    assertError(await call(U.contrib, 'PATCH', `${DP}/${P.Mdraft.id}`, badOps), 400, 'DP-400-VALIDATION');
    assertError(await call(U.contrib, 'POST', DP, { spaceId: SP.M.id, name: '' }), 400, 'DP-400-VALIDATION', 'name');
    assertError(await call(U.pub, 'POST', `${DP}/${P.Mdraft.id}/actions/activate`, { tags: 'x' }), 400, 'DP-400-VALIDATION');
  });

  test('data sets and API keys: 403/404 before 400', async () => {
    forbidden(await call(U.consumer, 'POST', '/api/v1/data-sets', { spaceId: SP.M.id, bogus: 1 }));
    notFound(await call(U.consumer, 'POST', '/api/v1/data-sets', { spaceId: (await mkSpace(U.admin, 'data')).id, bogus: 1 }));
    forbidden(await call(U.consumer, 'PUT', `/api/v1/data-sets/${ds.id}`, { bogus: 1 }));
    forbidden(await call(U.consumer, 'PATCH', `/api/v1/data-sets/${ds.id}`, [{ op: 'nope' }]));
    // another user's API key is not there for a non-admin, whatever the body
    const keys = await srv.api('GET', `/api/v1/api-keys?sub=${U.admin.id}`);
    const adminKey = keys.body.data[0].id;
    notFound(await call(U.consumer, 'PATCH', `/api/v1/api-keys/${adminKey}`, { not: 'a patch' }));
    forbidden(await call(U.consumer, 'GET', '/api/v1/api-keys?sub=not-a-guid'));
  });
});
