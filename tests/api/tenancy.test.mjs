// tenancy: SPEC §2 "a resource of another tenant is indistinguishable from a
// missing one (404), for every verb", black-box over HTTP with two tenants on
// one server ("default" from the harness, "other" from `bootstrap`).
//
// The id-bearing routes are read from src/api/routes.c, so a route added
// later is swept automatically (and a new path parameter name fails the
// test until the sweep knows which resource it names).
//
// Each tenant gets the same world: a DataProductCreator and a plain user
// (with keys), a data set, a managed and a shared space, an assignment,
// a draft product, an activated product and a personal product. Then, in
// both directions, every route with an id is called with the other tenant's
// ids (404 DP-404-NOT-FOUND for a TenantAdmin, never 403, never data), bodies
// naming the other tenant's ids are rejected exactly like a missing id, lists
// never show the other tenant's items, and the other tenant's data is
// byte-for-byte unchanged afterwards.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, bootstrap, MISSING_ID } from './lib/server.mjs';
import { DP, assertError, uniqueName } from './lib/fixtures.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

let srv;
const T = {}; // T.a, T.b: worlds

// ---------------------------------------------------------------- routes.c

/** [{method, path}] of src/api/routes.c, with string concatenation resolved. */
function parseRoutes() {
  const src = readFileSync(path.resolve(here, '../../src/api/routes.c'), 'utf8');
  const macros = {};
  for (const m of src.matchAll(/#define\s+(\w+)\s+"([^"]*)"/g)) macros[m[1]] = m[2];
  const routes = [];
  for (const m of src.matchAll(/\{\s*"([A-Z]+)"\s*,\s*((?:(?:\w+|"[^"]*")\s*)+),\s*(\w+)\s*,/g)) {
    if (m[3].startsWith('web_')) continue; // the web app's pages: no tenant data
    const parts = m[2].match(/"[^"]*"|\w+/g);
    const p = parts.map((t) => (t.startsWith('"') ? t.slice(1, -1) : macros[t])).join('');
    assert.ok(!p.includes('undefined'), `cannot resolve route path ${m[2]}`);
    routes.push({ method: m[1], path: p });
  }
  return routes;
}

const ROUTES = parseRoutes();
const ID_ROUTES = ROUTES.filter((r) => r.path.includes('{'));

// ---------------------------------------------------------------- helpers

function call(who, method, p, body) {
  return srv.api(method, p, { key: who.key, body });
}

async function ok(res, status, what) {
  assert.equal(res.status, status, `${what}: ${res.status} ${res.text}`);
  return res.body;
}

/** Builds one tenant's world with its admin {id, key, tenantId}. */
async function buildWorld(admin, tag) {
  const w = { admin, tag };
  const mkUser = async (label, roles) => {
    const u = await ok(await call(admin, 'POST', '/api/v1/users', {
      subject: `sub-${tag}-${label}`, email: `${label}@${tag}.example.com`, name: `${label} of ${tag}`,
      assignedRoles: roles.map((name) => ({ name })),
    }), 201, `user ${label}`);
    const k = await ok(await call(admin, 'POST', '/api/v1/api-keys', { description: `${tag} ${label}`, sub: u.id }), 201, 'key');
    return { id: u.id, key: k.token, keyId: k.id, email: u.email, label: `${tag}.${label}` };
  };
  w.creator = await mkUser('creator', ['DataProductCreator']);
  w.plain = await mkUser('plain', []);
  w.ds = await ok(await call(admin, 'POST', '/api/v1/data-sets', { name: `ds-${tag}`, technicalName: `ds_${tag}` }), 201, 'data set');
  w.M = await ok(await call(admin, 'POST', '/api/v1/spaces', { name: `managed-${tag}-unique`, type: 'managed' }), 201, 'space');
  w.S = await ok(await call(w.creator, 'POST', '/api/v1/spaces', { name: `shared-${tag}-unique`, type: 'shared' }), 201, 'space');
  w.asg = await ok(await call(admin, 'POST', `/api/v1/spaces/${w.M.id}/assignments`,
    { assigneeId: w.creator.id, type: 'user', roles: ['contributor', 'publisher'] }), 201, 'assignment');
  const prod = (extra) => call(admin, 'POST', DP, {
    name: `${tag}-product-${uniqueName('p')}`, tags: [`tag-${tag}`], description: `secret of ${tag}`,
    datasetIds: [w.ds.id], keyContacts: [{ userId: w.creator.id }], ...extra,
  });
  w.p = await ok(await prod({ spaceId: w.M.id }), 201, 'product');
  w.pAct = await ok(await prod({ spaceId: w.M.id }), 201, 'product');
  await ok(await call(admin, 'POST', `${DP}/${w.pAct.id}/actions/activate`, { name: w.pAct.name }), 201, 'activate');
  w.pShared = await ok(await call(w.creator, 'POST', DP, { name: `${tag}-shared-product`, spaceId: w.S.id }), 201, 'product');
  w.personal = await ok(await call(w.creator, 'POST', DP, { name: `${tag}-personal` }), 201, 'personal product');
  // a quality batch (its data set has no file: the computation fails at once)
  const batch = await ok(await call(admin, 'POST', `${DP}/${w.p.id}/actions/compute-datasets-data-quality`),
    202, 'compute quality');
  w.batchId = batch.batchComputationId;
  w.computationId = batch.datasetResponses[0].computationId;
  // the ids each path parameter name stands for
  w.ids = {
    batchComputationId: w.batchId,
    computationId: w.computationId,
    dataProductId: w.p.id,
    spaceId: w.M.id,
    assignmentId: w.asg.id,
    userId: w.creator.id,
    apiKeyId: w.creator.keyId,
    dataSetId: w.ds.id,
  };
  w.productIds = [w.p.id, w.pAct.id, w.pShared.id, w.personal.id];
  return w;
}

/** Every page of a list route (data arrays), as the given caller. */
async function listAll(who, p) {
  const items = [];
  for (let page = 1; page < 1000; page++) {
    const sep = p.includes('?') ? '&' : '?';
    const res = await call(who, 'GET', `${p}${sep}limit=100&page=${page}`);
    assert.equal(res.status, 200, `${p}: ${res.text}`);
    items.push(...res.body.data);
    if (!res.body.links?.next) break;
  }
  return items;
}

/** Everything a tenant's admin can read about its tenant. */
async function tenantSnapshot(w) {
  const a = w.admin;
  const snap = {};
  snap.products = await listAll(a, DP);
  snap.productDocs = {};
  for (const p of snap.products) {
    const g = await call(a, 'GET', `${DP}/${p.id}`);
    const c = await call(a, 'GET', `${DP}/${p.id}/changelogs?limit=100`);
    snap.productDocs[p.id] = { doc: g.body, etag: g.headers.get('etag'), changelogs: c.body.data };
  }
  snap.spaces = await listAll(a, '/api/v1/spaces');
  snap.assignments = {};
  for (const s of snap.spaces) snap.assignments[s.id] = await listAll(a, `/api/v1/spaces/${s.id}/assignments`);
  snap.users = await listAll(a, '/api/v1/users');
  snap.keys = await listAll(a, '/api/v1/api-keys');
  snap.ds = (await call(a, 'GET', `/api/v1/data-sets/${w.ds.id}`)).body;
  return snap;
}

/** A valid body for a route, using the caller's own ids where one is needed. */
function bodyFor(method, tpl, own) {
  const k = `${method} ${tpl}`;
  const table = {
    [`PATCH ${DP}/{dataProductId}`]: [{ op: 'replace', path: '/name', value: 'taken over' }],
    [`POST ${DP}/{dataProductId}/actions/activate`]: { name: 'taken over' },
    [`POST ${DP}/{dataProductId}/actions/move`]: { spaceId: own.M.id },
    'PATCH /api/v1/spaces/{spaceId}': [{ op: 'replace', path: '/name', value: 'taken over' }],
    'POST /api/v1/spaces/{spaceId}/assignments': { assigneeId: own.plain.id, type: 'user', roles: ['consumer'] },
    'PATCH /api/v1/users/{userId}': [{ op: 'replace', path: '/name', value: 'taken over' }],
    'PATCH /api/v1/api-keys/{apiKeyId}': [{ op: 'replace', path: '/description', value: 'taken over' }],
    'PUT /api/v1/data-sets/{dataSetId}': { name: 'taken over', technicalName: 't' },
    'PATCH /api/v1/data-sets/{dataSetId}': [{ op: 'replace', path: '/name', value: 'taken over' }],
  };
  return table[k];
}

/** Fills a route template: each parameter from `pick(name)`. */
function fill(tpl, pick) {
  return tpl.replace(/\{(\w+)\}/g, (_, name) => {
    const v = pick(name);
    assert.ok(v, `the sweep does not know which resource {${name}} names (route ${tpl})`);
    return v;
  });
}

/** The caller's requests with the other world's ids, for every id route. */
function sweepRequests(own, other) {
  const reqs = [];
  for (const r of ID_ROUTES) {
    const names = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    // all ids foreign, and (for nested routes) each single id foreign with the rest own
    const variants = [names.map(() => true)];
    if (names.length > 1) names.forEach((_, i) => variants.push(names.map((__, j) => i === j)));
    for (const foreign of variants) {
      let i = 0;
      const p = fill(r.path, (name) => (foreign[i++] ? other.ids[name] : own.ids[name]));
      let j = 0;
      const missing = fill(r.path, (name) => (foreign[j++] ? MISSING_ID : own.ids[name]));
      reqs.push({ method: r.method, tpl: r.path, path: p, missing, body: bodyFor(r.method, r.path, own),
        mixed: foreign.includes(false) });
    }
  }
  // ids in query strings
  reqs.push({ method: 'POST', tpl: 'generate-provider-url', path: `${DP}/actions/generate-provider-url?dataSetId=${other.ds.id}`,
    missing: `${DP}/actions/generate-provider-url?dataSetId=${MISSING_ID}` });
  // every product of the other tenant (activated, shared, personal) through every product route
  for (const pid of other.productIds.slice(1)) {
    for (const r of ID_ROUTES.filter((x) => x.path.startsWith(`${DP}/{`))) {
      reqs.push({ method: r.method, tpl: r.path, path: r.path.replace('{dataProductId}', pid),
        missing: r.path.replace('{dataProductId}', MISSING_ID), body: bodyFor(r.method, r.path, own) });
    }
  }
  // the other tenant's shared space and its users' keys
  for (const r of ID_ROUTES.filter((x) => x.path === '/api/v1/spaces/{spaceId}' || x.path === '/api/v1/spaces/{spaceId}/assignments')) {
    reqs.push({ method: r.method, tpl: r.path, path: r.path.replace('{spaceId}', other.S.id),
      missing: r.path.replace('{spaceId}', MISSING_ID), body: bodyFor(r.method, r.path, own) });
  }
  for (const u of [other.plain, { id: other.admin.id }]) {
    for (const r of ID_ROUTES.filter((x) => x.path === '/api/v1/users/{userId}')) {
      reqs.push({ method: r.method, tpl: r.path, path: r.path.replace('{userId}', u.id),
        missing: r.path.replace('{userId}', MISSING_ID), body: bodyFor(r.method, r.path, own) });
    }
  }
  for (const r of ID_ROUTES.filter((x) => x.path === '/api/v1/api-keys/{apiKeyId}')) {
    reqs.push({ method: r.method, tpl: r.path, path: r.path.replace('{apiKeyId}', other.plain.keyId),
      missing: r.path.replace('{apiKeyId}', MISSING_ID), body: bodyFor(r.method, r.path, own) });
  }
  return reqs;
}

/** Asserts a 404 that carries nothing of the other tenant. */
function assertForeign404(res, other, what) {
  const e = assertError(res, 404, 'DP-404-NOT-FOUND');
  assert.deepEqual(Object.keys(res.body).sort(), ['errors', 'traceId'], what);
  for (const secret of [other.p.name, other.M.name, other.creator.email, other.ds.name, `secret of ${other.tag}`]) {
    assert.ok(!res.text.includes(secret), `${what} leaked ${secret}`);
  }
  return e;
}

function sameError(res, ref, what) {
  assert.equal(res.status, ref.status, `${what}: ${res.status} ${res.text} vs missing-id ${ref.status} ${ref.text}`);
  assert.equal(res.body?.errors?.[0]?.code, ref.body?.errors?.[0]?.code, what);
}

// ---------------------------------------------------------------- fixture

let snapA;
let snapB;

before(async () => {
  srv = await startServer({ args: ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0'] });
  const other = bootstrap(srv.db, 'other', 'o@x.com');
  const me = await srv.api('GET', '/api/v1/users/me');
  T.a = await buildWorld({ id: srv.admin.userId, key: srv.key, tenantId: me.body.tenantId, email: 'admin@example.com', label: 'a.admin' }, 'alpha');
  T.b = await buildWorld({ id: other.userId, key: other.apiKey, tenantId: other.tenantId, email: 'o@x.com', label: 'b.admin' }, 'bravo');
  assert.notEqual(T.a.admin.tenantId, T.b.admin.tenantId);
  snapA = await tenantSnapshot(T.a);
  snapB = await tenantSnapshot(T.b);
});

after(async () => { await srv?.stop(); });

// ---------------------------------------------------------------- tests

test('routes.c is parsed: every id-bearing route is in the sweep', () => {
  assert.ok(ROUTES.length >= 30, `only ${ROUTES.length} routes parsed`);
  const names = new Set(ID_ROUTES.flatMap((r) => [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])));
  assert.deepEqual([...names].sort(), ['apiKeyId', 'assignmentId', 'batchComputationId', 'computationId',
    'dataProductId', 'dataSetId', 'spaceId', 'userId']);
  for (const must of [`GET ${DP}/{dataProductId}`, `POST ${DP}/{dataProductId}/actions/move`,
    'DELETE /api/v1/spaces/{spaceId}/assignments/{assignmentId}', 'PATCH /api/v1/users/{userId}',
    'DELETE /api/v1/api-keys/{apiKeyId}', 'GET /api/v1/data-sets/{dataSetId}']) {
    assert.ok(ID_ROUTES.some((r) => `${r.method} ${r.path}` === must), `missing ${must}`);
  }
});

for (const [from, to] of [['a', 'b'], ['b', 'a']]) {
  describe(`tenant ${from} -> tenant ${to}`, () => {
    test('a TenantAdmin gets 404 on every id route with the other tenant\'s ids, for every verb', async () => {
      const own = T[from];
      const other = T[to];
      const seen = new Set();
      const wrong = [];
      for (const r of sweepRequests(own, other)) {
        const what = `${r.method} ${r.path}`;
        const res = await call(own.admin, r.method, r.path, r.body);
        try { assertForeign404(res, other, what); } catch (e) { wrong.push(`${what} -> ${res.status} ${res.text}`); }
        seen.add(`${r.method} ${r.tpl}`);
      }
      assert.deepEqual(wrong, []);
      for (const r of ID_ROUTES) assert.ok(seen.has(`${r.method} ${r.path}`), `route not swept: ${r.method} ${r.path}`);
    });

    test('a non-admin also gets 404 (never 403, never 2xx) on every id route with the other tenant\'s ids', async () => {
      // SPEC §2: another tenant's resource is indistinguishable from a missing
      // one (404), for every verb. Users are readable by every user of a tenant,
      // so a 404 before the role check reveals nothing. Paths that also name one
      // of the caller's own resources answer exactly as for a missing id.
      const own = T[from];
      const other = T[to];
      const wrong = [];
      for (const who of [own.creator, own.plain]) {
        for (const r of sweepRequests(own, other)) {
          const what = `${who.label} ${r.method} ${r.path}`;
          const res = await call(who, r.method, r.path, r.body);
          assert.ok(res.status >= 400, `${what}: ${res.status} ${res.text}`);
          if (r.mixed) {
            // an own space in the path may already refuse the verb (e.g. removing
            // an assignment needs facilitator there): exactly as for a missing id
            sameError(res, await call(who, r.method, r.missing, r.body), what);
            if (res.status === 404) assertForeign404(res, other, what);
            continue;
          }
          try { assertForeign404(res, other, what); } catch (e) { wrong.push(`${what} -> ${res.status} ${res.body?.errors?.[0]?.code}`); }
        }
      }
      assert.deepEqual(wrong, []);
    });

    test('bodies naming the other tenant\'s ids are rejected like missing ids', async () => {
      const own = T[from];
      const other = T[to];
      const p = own.p;
      const pid = p.id;
      const before = await call(own.admin, 'GET', `${DP}/${pid}`);
      const cases = [
        // [caller, method, path, body(id), expected status, detail fragment]
        [own.admin, 'POST', DP, (id) => ({ name: 'x', datasetIds: [id] }), other.ds.id, 400, 'datasetIds[0]'],
        [own.creator, 'POST', DP, (id) => ({ name: 'x', spaceId: own.M.id, datasetIds: [own.ds.id, id] }), other.ds.id, 400, 'datasetIds[1]'],
        [own.admin, 'POST', DP, (id) => ({ name: 'x', keyContacts: [{ userId: id }] }), other.creator.id, 400, 'keyContacts[0].userId'],
        [own.admin, 'POST', DP, (id) => ({ name: 'x', keyContacts: [{ userId: id }] }), other.admin.id, 400, 'keyContacts[0].userId'],
        [own.admin, 'POST', DP, (id) => ({ name: 'x', spaceId: id }), other.M.id, 404, 'spaceId'],
        [own.creator, 'POST', DP, (id) => ({ name: 'x', spaceId: id }), other.S.id, 404, 'spaceId'],
        [own.admin, 'PATCH', `${DP}/${pid}`, (id) => [{ op: 'replace', path: '/datasetIds', value: [id] }], other.ds.id, 400, 'datasetIds[0]'],
        [own.creator, 'PATCH', `${DP}/${pid}`, (id) => [{ op: 'replace', path: '/keyContacts', value: [{ userId: id }] }], other.plain.id, 400, 'keyContacts[0].userId'],
        [own.admin, 'POST', `${DP}/${pid}/actions/move`, (id) => ({ spaceId: id }), other.M.id, 404, 'spaceId'],
        [own.creator, 'POST', `${DP}/${pid}/actions/move`, (id) => ({ spaceId: id }), other.S.id, 404, 'spaceId'],
        [own.admin, 'POST', `${DP}/${pid}/actions/activate`, (id) => ({ name: 'x', spaceId: id }), other.M.id, 404, 'spaceId'],
        [own.creator, 'POST', `${DP}/${pid}/actions/activate`, (id) => ({ name: 'x', spaceId: id }), other.M.id, 404, 'spaceId'],
        [own.admin, 'POST', `/api/v1/spaces/${own.M.id}/assignments`, (id) => ({ assigneeId: id, type: 'user', roles: ['consumer'] }), other.plain.id, 400, 'assigneeId'],
        [own.admin, 'POST', `/api/v1/spaces/${own.M.id}/assignments`, (id) => ({ assigneeId: id, type: 'user', roles: ['consumer'] }), other.admin.id, 400, 'assigneeId'],
        [own.creator, 'POST', `/api/v1/spaces/${own.S.id}/assignments`, (id) => ({ assigneeId: id, type: 'user', roles: ['consumer'] }), other.plain.id, 400, 'assigneeId'],
        [own.admin, 'POST', '/api/v1/api-keys', (id) => ({ description: 'x', sub: id }), other.plain.id, 400, 'sub'],
        [own.admin, 'PATCH', `/api/v1/spaces/${own.M.id}`, (id) => [{ op: 'replace', path: '/ownerId', value: id }], other.admin.id, 400, 'value'],
        [own.creator, 'PATCH', `/api/v1/spaces/${own.S.id}`, (id) => [{ op: 'replace', path: '/ownerId', value: id }], other.creator.id, 400, 'value'],
        [own.admin, 'POST', '/api/v1/data-sets', (id) => ({ name: 'x', technicalName: 'x', spaceId: id }), other.M.id, 404, 'spaceId'],
        [own.admin, 'POST', '/api/v1/users', (id) => ({ subject: 'x', email: 'x@x.com', tenantId: id }), other.admin.tenantId, 400, 'tenantId'],
      ];
      const countProducts = async () => (await call(own.admin, 'GET', `${DP}?limit=1`)).body.total;
      const nProducts = await countProducts();
      for (const [who, method, p2, body, foreignId, status, detail] of cases) {
        const what = `${who.label} ${method} ${p2} ${JSON.stringify(body(foreignId))}`;
        const res = await call(who, method, p2, body(foreignId));
        const code = status === 404 ? 'DP-404-NOT-FOUND' : 'DP-400-VALIDATION';
        assertError(res, status, code, detail);
        assert.ok(!res.text.includes(`secret of ${other.tag}`), what);
        // exactly like an id that names nothing (tenantId has no "missing" twin)
        if (foreignId !== other.admin.tenantId) sameError(res, await call(who, method, p2, body(MISSING_ID)), what);
      }
      // a non-admin naming another tenant's user as sub: as for a missing user (403: not yours)
      const sub = await call(own.creator, 'POST', '/api/v1/api-keys', { description: 'x', sub: other.plain.id });
      sameError(sub, await call(own.creator, 'POST', '/api/v1/api-keys', { description: 'x', sub: MISSING_ID }), 'non-admin sub');
      assert.ok(sub.status === 403 || sub.status === 404 || sub.status === 400, sub.text);
      // nothing of ours changed either
      const afterP = await call(own.admin, 'GET', `${DP}/${pid}`);
      assert.deepEqual(afterP.body, before.body);
      assert.equal(await countProducts(), nProducts);
      assert.equal((await call(own.admin, 'GET', `/api/v1/spaces/${own.M.id}`)).body.ownerId, own.M.ownerId);
      assert.equal((await call(own.admin, 'GET', `/api/v1/spaces/${own.S.id}`)).body.ownerId, own.creator.id);
    });

    test('lists never show the other tenant\'s items, even with filters naming them', async () => {
      const own = T[from];
      const other = T[to];
      for (const who of [own.admin, own.creator, own.plain]) {
        const lbl = who.label;
        // products
        const all = await listAll(who, DP);
        for (const p of all) assert.ok(!other.productIds.includes(p.id), `${lbl} lists ${p.id}`);
        for (const q of [`spaceId=${other.M.id}`, `spaceId=${other.S.id}`, `ownerId=${other.admin.id}`,
          `ownerId=${other.creator.id}`, `tag=tag-${other.tag}`, `query=${other.tag}`, `query=secret%20of%20${other.tag}`,
          'activated=true', `activated=true&spaceId=${other.M.id}`]) {
          const res = await call(who, 'GET', `${DP}?${q}`);
          assert.equal(res.status, 200, res.text);
          assert.ok(!res.body.data.some((p) => other.productIds.includes(p.id)), `${lbl} ${q}`);
          if (!q.startsWith('activated=true') || q.includes('spaceId')) assert.equal(res.body.total, 0, `${lbl} ${q}: ${res.text}`);
        }
        // spaces
        const otherSpaces = [other.M.id, other.S.id];
        for (const q of ['', `?ownerId=${other.admin.id}`, `?ownerId=${other.creator.id}`, `?name=${other.tag}`,
          '?type=managed', '?type=shared']) {
          const res = await call(who, 'GET', `/api/v1/spaces${q}`);
          assert.equal(res.status, 200, res.text);
          assert.ok(!res.body.data.some((s) => otherSpaces.includes(s.id) || s.tenantId === other.admin.tenantId), `${lbl} spaces${q}`);
          if (q.includes('ownerId') || q.includes('name')) assert.equal(res.body.meta.count, 0, `${lbl} spaces${q}`);
        }
        // users
        const users = await listAll(who, '/api/v1/users');
        assert.ok(users.every((u) => u.tenantId === own.admin.tenantId), `${lbl} users`);
        for (const q of [`email=${encodeURIComponent(other.creator.email)}`,
          `filter=${encodeURIComponent(`email eq "${other.creator.email}"`)}`,
          `filter=${encodeURIComponent(`email eq "${other.admin.email}"`)}`]) {
          const res = await call(who, 'GET', `/api/v1/users?${q}`);
          assert.equal(res.status, 200, res.text);
          assert.deepEqual(res.body.data, [], `${lbl} users?${q}`);
          assert.equal(res.body.totalResults, 0);
        }
        // api keys
        const keys = await listAll(who, '/api/v1/api-keys');
        const otherKeys = [other.creator.keyId, other.plain.keyId];
        assert.ok(!keys.some((k) => otherKeys.includes(k.id) || k.tenantId === other.admin.tenantId), `${lbl} keys`);
      }
      // an admin filtering keys by another tenant's user: empty, like a missing user
      for (const sub of [other.creator.id, other.admin.id]) {
        const res = await call(own.admin, 'GET', `/api/v1/api-keys?sub=${sub}`);
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(res.body.data, []);
      }
      // assignments of another tenant's space: not found (also in the sweep)
      assertForeign404(await call(own.admin, 'GET', `/api/v1/spaces/${other.M.id}/assignments`), other, 'assignments');
    });

    test(`afterwards tenant ${to}'s data is unchanged and its keys still work`, async () => {
      const other = T[to];
      assert.deepEqual(await tenantSnapshot(other), to === 'a' ? snapA : snapB);
      for (const who of [other.admin, other.creator, other.plain]) {
        const me = await call(who, 'GET', '/api/v1/users/me');
        assert.equal(me.status, 200, me.text);
        assert.equal(me.body.tenantId, other.admin.tenantId);
      }
    });
  });
}

test('an API key only ever acts in its own tenant', async () => {
  for (const [x, y] of [['a', 'b'], ['b', 'a']]) {
    const me = await call(T[x].creator, 'GET', '/api/v1/users/me');
    assert.equal(me.body.tenantId, T[x].admin.tenantId);
    assert.notEqual(me.body.tenantId, T[y].admin.tenantId);
    // creating things lands in the caller's tenant only
    const sp = await call(T[x].admin, 'POST', '/api/v1/spaces', { name: uniqueName('iso'), type: 'shared' });
    assert.equal(sp.status, 201, sp.text);
    assert.equal(sp.body.tenantId, T[x].admin.tenantId);
    assertError(await call(T[y].admin, 'GET', `/api/v1/spaces/${sp.body.id}`), 404, 'DP-404-NOT-FOUND');
    assert.equal((await call(T[x].admin, 'DELETE', `/api/v1/spaces/${sp.body.id}`)).status, 204);
  }
});
