// qlik-compat: Qlik's own published client, @qlik/api 2.19.0, drives the
// server unmodified. Every function of `@qlik/api/data-governance/data-products`
// the server implements (all but computeDatasetsDataQualityDataProduct, a later
// issue) is called the way an application would call it, plus the `spaces`
// and `data-sets` functions used to build fixtures. Responses are checked
// against the wire types in reference/qlik-api-2.19.0/*.d.ts; errors must
// surface as thrown errors whose .status / .data carry the error envelope.
//
// The client caches GET responses per API namespace; fresh() clears a
// namespace (clearCache() schedules the clearing on a promise chain, so we
// let it run before the next read).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, MISSING_ID } from './lib/server.mjs';
import { setDefaultHostConfig } from '@qlik/api/auth';
import * as dp from '@qlik/api/data-governance/data-products';
import * as spaces from '@qlik/api/spaces';
import * as dataSets from '@qlik/api/data-sets';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const DP_PATH = '/api/data-governance/data-products';

let srv;
let hostConfig;
const fx = {}; // fixtures: spaces and data sets, created through the client

async function fresh(...mods) {
  for (const m of mods.length ? mods : [dp, spaces, dataSets]) m.clearCache();
  await new Promise((resolve) => setImmediate(resolve));
}

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
  assert.ok(e0.title.length > 0);
  assert.equal(typeof e0.detail, 'string');
  assert.ok(e0.detail.length > 0);
  assert.match(err.data.traceId, /^[0-9a-f]{32}$/);
  assert.equal(err.headers.get('x-trace-id'), err.data.traceId);
  assert.match(err.headers.get('content-type'), /^application\/json/);
  return e0;
}

function assertKeysWithin(obj, allowed, what) {
  for (const k of Object.keys(obj)) assert.ok(allowed.includes(k), `${what}: unexpected field '${k}'`);
}

const PRODUCT_FIELDS = ['activated', 'activatedAt', 'activatedOn', 'apiConsumableDatasetIds',
  'createdAt', 'createdBy', 'datasetIds', 'description', 'glossaryIds', 'id', 'keyContacts',
  'mainId', 'name', 'ownerId', 'pendingChangesCount', 'qri', 'quality', 'readMe', 'spaceId',
  'tags', 'tenantId', 'trustScore', 'updatedAt', 'updatedBy'];
const PRODUCT_REQUIRED = ['activatedOn', 'apiConsumableDatasetIds', 'createdAt', 'createdBy',
  'datasetIds', 'glossaryIds', 'id', 'keyContacts', 'name', 'ownerId', 'qri', 'tags', 'tenantId',
  'updatedAt', 'updatedBy'];

/** DataProductResponse (data-products.d.ts). */
function assertProduct(p) {
  assert.equal(typeof p, 'object');
  assertKeysWithin(p, PRODUCT_FIELDS, 'DataProductResponse');
  for (const k of PRODUCT_REQUIRED) assert.ok(k in p, `DataProductResponse.${k} is required`);
  assert.match(p.id, GUID);
  assert.equal(p.tenantId, srv.admin.tenantId);
  assert.equal(p.qri, `qri:dataproduct:${p.tenantId}:${p.id}`);
  if ('mainId' in p) assert.equal(p.mainId, p.id);
  assert.equal(typeof p.name, 'string');
  for (const k of ['ownerId', 'createdBy', 'updatedBy']) assert.match(p[k], GUID, k);
  for (const k of ['createdAt', 'updatedAt']) assert.match(p[k], ISO, k);
  assert.ok(p.updatedAt >= p.createdAt);
  for (const k of ['activatedOn', 'apiConsumableDatasetIds', 'datasetIds', 'glossaryIds', 'tags']) {
    assert.ok(Array.isArray(p[k]), `${k} is an array (never null)`);
    for (const v of p[k]) assert.equal(typeof v, 'string', `${k}[] holds strings`);
  }
  for (const k of ['datasetIds', 'glossaryIds', 'apiConsumableDatasetIds']) {
    for (const v of p[k]) assert.match(v, GUID, k);
  }
  assert.ok(Array.isArray(p.keyContacts));
  for (const c of p.keyContacts) {
    assertKeysWithin(c, ['userId', 'role'], 'KeyContact');
    assert.match(c.userId, GUID);
    if ('role' in c) assert.equal(typeof c.role, 'string');
  }
  if ('activated' in p) assert.equal(typeof p.activated, 'boolean');
  if ('activatedAt' in p) assert.match(p.activatedAt, ISO);
  if ('pendingChangesCount' in p) assert.ok(Number.isInteger(p.pendingChangesCount) && p.pendingChangesCount >= 0);
  for (const k of ['description', 'readMe']) if (k in p) assert.equal(typeof p[k], 'string', k);
  if ('spaceId' in p) assert.match(p.spaceId, GUID);
}

/** DataProductChangelogResponse for one page. */
function assertChangelogPage(body, { productId, page, limit, total, query = {} }) {
  assertKeysWithin(body, ['data', 'limit', 'links', 'page', 'pages', 'total'], 'DataProductChangelogResponse');
  assert.equal(body.page, page);
  assert.equal(body.limit, limit);
  assert.equal(body.total, total);
  const pages = Math.ceil(total / limit);
  assert.equal(body.pages, pages);
  assert.equal(body.data.length, page < pages ? limit : page === pages ? total - (pages - 1) * limit : 0);
  for (const entry of body.data) {
    assertKeysWithin(entry, ['changes', 'createdAt', 'createdBy', 'id', 'updatedAt'], 'DataProductChangelog');
    assert.match(entry.id, GUID);
    assert.match(entry.createdAt, ISO);
    assert.equal(entry.createdBy, srv.admin.userId);
    assert.ok(Array.isArray(entry.changes) && entry.changes.length > 0);
    for (const c of entry.changes) {
      assertKeysWithin(c, ['operator', 'path', 'value'], 'ChangelogOperation');
      assert.ok(['replace', 'add', 'remove'].includes(c.operator), c.operator);
      assert.ok(['/name', '/description', '/spaceId', '/datasetIds', '/glossaryIds', '/readMe',
        '/keyContacts', '/tags', '/activatedOn', '/apiConsumableDatasetIds'].includes(c.path), c.path);
    }
  }
  const expectLink = (name, p) => {
    const link = body.links[name];
    if (p === undefined) {
      assert.equal(link, undefined, `links.${name} absent on page ${page}`);
      return;
    }
    assert.ok(link && typeof link.href === 'string', `links.${name}.href present on page ${page}`);
    const u = new URL(link.href);
    assert.equal(u.origin, srv.url, `links.${name} is absolute`);
    assert.equal(u.pathname, `${DP_PATH}/${productId}/changelogs`);
    assert.equal(u.searchParams.get('page'), String(p), `links.${name} page`);
    for (const [k, v] of Object.entries(query)) assert.equal(u.searchParams.get(k), v, `links.${name} keeps ${k}`);
  };
  assertKeysWithin(body.links, ['first', 'last', 'next', 'prev', 'self'], 'Links');
  expectLink('self', page);
  expectLink('first', 1);
  expectLink('last', Math.max(pages, 1));
  expectLink('prev', page > 1 ? Math.min(page - 1, Math.max(pages, 1)) : undefined); // past the end: the last page
  expectLink('next', page < pages ? page + 1 : undefined);
}

/** Space (spaces.d.ts). */
function assertSpace(s, { name, type, description }) {
  assertKeysWithin(s, ['createdAt', 'createdBy', 'description', 'id', 'links', 'meta', 'name',
    'ownerId', 'tenantId', 'type', 'updatedAt'], 'Space');
  assert.match(s.id, GUID);
  assert.equal(s.name, name);
  assert.equal(s.type, type);
  assert.equal(s.description, description);
  assert.equal(s.tenantId, srv.admin.tenantId);
  assert.equal(s.ownerId, srv.admin.userId);
  assert.equal(s.createdBy, srv.admin.userId);
  assert.match(s.createdAt, ISO);
  assert.match(s.updatedAt, ISO);
  assertKeysWithin(s.links, ['assignments', 'self'], 'Space.links');
  assert.equal(s.links.self.href, `${srv.url}/api/v1/spaces/${s.id}`);
  assert.equal(s.links.assignments.href, `${srv.url}/api/v1/spaces/${s.id}/assignments`);
}

const DATASET_FIELDS = ['additionalSchemas', 'appTypeOverride', 'createdBy', 'createdByConnectionId',
  'createdTime', 'dataAssetInfo', 'description', 'id', 'lastModifiedBy', 'lastModifiedTime', 'name',
  'operational', 'ownerId', 'properties', 'qri', 'schema', 'secureQri', 'spaceId', 'tags',
  'technicalDescription', 'technicalName', 'tenantId', 'type', 'version'];

/** DataSet (data-sets.d.ts). */
function assertDataSet(d, body) {
  assertKeysWithin(d, DATASET_FIELDS, 'DataSet');
  assert.match(d.id, GUID);
  assert.equal(d.name, body.name);
  assert.equal(d.technicalName, body.technicalName);
  assert.equal(d.tenantId, srv.admin.tenantId);
  assert.equal(d.ownerId, srv.admin.userId);
  assert.equal(typeof d.qri, 'string');
  assert.ok(d.qri.length > 0, 'qri generated');
  assert.equal(typeof d.secureQri, 'string');
  assert.ok(d.secureQri.length > 0, 'secureQri generated');
  assertKeysWithin(d.dataAssetInfo, ['dataStoreInfo', 'id', 'name'], 'DataAssetInfo');
  assert.match(d.dataAssetInfo.id, GUID);
  if (d.dataAssetInfo.dataStoreInfo) {
    assertKeysWithin(d.dataAssetInfo.dataStoreInfo, ['id', 'name', 'type'], 'DataStoreInfo');
    assert.equal(typeof d.dataAssetInfo.dataStoreInfo.id, 'string');
  }
  assert.match(d.createdTime, ISO);
  assert.match(d.lastModifiedTime, ISO);
  assert.equal(d.createdBy, srv.admin.userId);
  assert.equal(d.lastModifiedBy, srv.admin.userId);
  assert.ok(Number.isInteger(d.version));
  for (const k of ['description', 'spaceId']) if (k in body) assert.equal(d[k], body[k], k);
  if (body.schema) assert.deepEqual(d.schema.dataFields, body.schema.dataFields);
}

/** All changelog entries of a product, oldest first, in one request. */
async function allChangelogs(id) {
  await fresh(dp);
  const res = await dp.getDataProductChangelogs(id, { limit: 100, sort: '+createdAt' });
  assert.equal(res.status, 200);
  return res.data.data;
}

async function getFresh(id) {
  await fresh(dp);
  const res = await dp.getDataProduct(id);
  assert.equal(res.status, 200);
  assertProduct(res.data);
  return res.data;
}

async function newProduct(body) {
  const res = await dp.createDataProduct(body);
  assert.equal(res.status, 201);
  assertProduct(res.data);
  return res.data;
}

const SPACE_BODIES = {
  managedA: { name: 'Sales (managed)', type: 'managed', description: 'Published sales products' },
  managedB: { name: 'Finance (managed)', type: 'managed' },
  shared: { name: 'Team sandbox', type: 'shared', description: 'Work in progress' },
};

const DATASET_BODIES = {
  orders: {
    name: 'Orders',
    technicalName: 'orders.csv',
    description: 'One row per order',
    schema: {
      dataFields: [
        { name: 'order_id', dataType: { type: 'INTEGER' }, description: 'Order number' },
        { name: 'amount', dataType: { type: 'DECIMAL' }, description: 'Total in EUR' },
        { name: 'placed_at', dataType: { type: 'TIMESTAMP' } },
      ],
    },
  },
  customers: {
    name: 'Customers',
    technicalName: 'customers.csv',
    schema: { dataFields: [{ name: 'customer_id', dataType: { type: 'STRING' }, description: 'CRM id' }] },
  },
};

before(async () => {
  srv = await startServer();
  hostConfig = { authType: 'apikey', host: srv.url, apiKey: srv.key };
  setDefaultHostConfig(hostConfig);
  fx.spaceRes = {};
  for (const [k, body] of Object.entries(SPACE_BODIES)) fx.spaceRes[k] = await spaces.createSpace(body);
  fx.space = Object.fromEntries(Object.entries(fx.spaceRes).map(([k, r]) => [k, r.data]));
  fx.datasetRes = {};
  fx.datasetRes.orders = await dataSets.createDataSet({ ...DATASET_BODIES.orders, spaceId: fx.space.shared.id });
  fx.datasetRes.customers = await dataSets.createDataSet(DATASET_BODIES.customers);
  fx.dataset = Object.fromEntries(Object.entries(fx.datasetRes).map(([k, r]) => [k, r.data]));
});

after(async () => {
  if (srv) await srv.stop();
});

// ---------------------------------------------------------------- spaces

test('spaces: createSpace returns 201 and a Space for each type', () => {
  for (const [k, body] of Object.entries(SPACE_BODIES)) {
    const res = fx.spaceRes[k];
    assert.equal(res.status, 201);
    assertSpace(res.data, body);
  }
});

test('spaces: getSpace returns the created space; unknown id is a thrown 404', async () => {
  for (const k of Object.keys(SPACE_BODIES)) {
    const res = await spaces.getSpace(fx.space[k].id);
    assert.equal(res.status, 200);
    assertSpace(res.data, SPACE_BODIES[k]);
    assert.deepEqual(res.data, fx.space[k]);
  }
  await failsWith(spaces.getSpace(MISSING_ID), 404, 'DP-404-NOT-FOUND');
  await failsWith(spaces.createSpace({ name: 'x', type: 'personal' }), 400, 'DP-400-VALIDATION');
});

test('spaces: getSpaces lists all, and next()/prev() follow links with limit=2', async () => {
  await fresh(spaces);
  const all = await spaces.getSpaces({});
  assert.equal(all.status, 200);
  assertKeysWithin(all.data, ['data', 'links', 'meta'], 'Spaces');
  assert.equal(all.data.meta.count, 3);
  const ids = Object.values(fx.space).map((s) => s.id).sort();
  assert.deepEqual(all.data.data.map((s) => s.id).sort(), ids);
  for (const s of all.data.data) {
    const key = Object.keys(fx.space).find((k) => fx.space[k].id === s.id);
    assertSpace(s, SPACE_BODIES[key]);
  }
  assert.equal(all.next, undefined);
  assert.equal(all.prev, undefined);

  const p1 = await spaces.getSpaces({ limit: 2 });
  assert.equal(p1.data.data.length, 2);
  assert.equal(p1.data.meta.count, 3);
  assertKeysWithin(p1.data.links, ['next', 'prev', 'self'], 'Spaces.links');
  assert.equal(new URL(p1.data.links.self.href).origin, srv.url);
  assert.equal(typeof p1.next, 'function', 'first page offers next()');
  assert.equal(p1.prev, undefined);
  const p2 = await p1.next();
  assert.equal(p2.status, 200);
  assert.equal(p2.data.data.length, 1);
  assert.equal(p2.next, undefined, 'last page offers no next()');
  assert.equal(typeof p2.prev, 'function');
  const seen = [...p1.data.data, ...p2.data.data].map((s) => s.id).sort();
  assert.deepEqual(seen, ids, 'the pages together hold every space once');
  await fresh(spaces);
  const back = await p2.prev();
  assert.deepEqual(back.data.data.map((s) => s.id), p1.data.data.map((s) => s.id));
});

// ---------------------------------------------------------------- data sets

test('data-sets: createDataSet returns 201 and a DataSet; getDataSet returns it', async () => {
  for (const k of Object.keys(DATASET_BODIES)) {
    const res = fx.datasetRes[k];
    assert.equal(res.status, 201);
    const body = k === 'orders' ? { ...DATASET_BODIES.orders, spaceId: fx.space.shared.id } : DATASET_BODIES[k];
    assertDataSet(res.data, body);
    const got = await dataSets.getDataSet(res.data.id, {});
    assert.equal(got.status, 200);
    assert.deepEqual(got.data, res.data);
  }
  await failsWith(dataSets.getDataSet(MISSING_ID, {}), 404, 'DP-404-NOT-FOUND');
});

test('data-sets: invalid bodies are thrown 400s naming the field', async () => {
  const e1 = await failsWith(dataSets.createDataSet({ name: 'n' }), 400, 'DP-400-VALIDATION');
  assert.match(e1.detail, /technicalName/);
  const e2 = await failsWith(dataSets.createDataSet({
    name: 'n', technicalName: 't', schema: { dataFields: [{ name: 'f', dataType: { type: 'VARCHAR' } }] },
  }), 400, 'DP-400-VALIDATION');
  assert.match(e2.detail, /dataFields\[0\]\.dataType\.type/);
});

// ---------------------------------------------------------------- create / get

test('createDataProduct: 201 with a full DataProductResponse, Location, first changelog', async () => {
  const before = new Date().toISOString();
  const body = {
    name: '  Customer 360  ',
    description: 'Everything about customers',
    readMe: '## Usage\n\nJoin on `customer_id`.',
    spaceId: fx.space.shared.id,
    tags: ['crm', 'gold'],
    datasetIds: [fx.dataset.orders.id, fx.dataset.customers.id],
    glossaryIds: [MISSING_ID],
    apiConsumableDatasetIds: [fx.dataset.customers.id],
    keyContacts: [{ userId: srv.admin.userId, role: 'steward' }],
  };
  const res = await dp.createDataProduct(body);
  assert.equal(res.status, 201);
  const p = res.data;
  assertProduct(p);
  assert.equal(res.headers.get('location'), `${DP_PATH}/${p.id}`);
  assert.equal(p.name, 'Customer 360', 'name is trimmed');
  for (const k of ['description', 'readMe', 'spaceId', 'tags', 'datasetIds', 'glossaryIds',
    'apiConsumableDatasetIds', 'keyContacts']) assert.deepEqual(p[k], body[k], k);
  assert.equal(p.ownerId, srv.admin.userId);
  assert.equal(p.createdBy, srv.admin.userId);
  assert.equal(p.updatedBy, srv.admin.userId);
  assert.ok(p.createdAt >= before.slice(0, 19));
  assert.equal(p.updatedAt, p.createdAt);
  assert.equal(p.activated, false);
  assert.deepEqual(p.activatedOn, []);
  assert.equal(p.activatedAt, undefined);
  assert.equal(p.pendingChangesCount, 0);

  const got = await dp.getDataProduct(p.id);
  assert.equal(got.status, 200);
  assert.deepEqual(got.data, p, 'getDataProduct returns what create returned');

  const log = await allChangelogs(p.id);
  assert.equal(log.length, 1, 'creation is one changelog entry');
  assert.equal(log[0].createdAt, p.createdAt);
  const byPath = Object.fromEntries(log[0].changes.map((c) => [c.path, c]));
  assert.equal(log[0].changes.length, 9, 'one add per field set');
  for (const k of ['description', 'readMe', 'spaceId', 'tags', 'datasetIds', 'glossaryIds',
    'apiConsumableDatasetIds', 'keyContacts']) {
    assert.deepEqual(byPath[`/${k}`], { operator: 'add', path: `/${k}`, value: body[k] }, k);
  }
  assert.deepEqual(byPath['/name'], { operator: 'add', path: '/name', value: 'Customer 360' });
  fx.full = p;
});

test('createDataProduct: minimal body; server-owned fields are ignored', async () => {
  const p = await newProduct({ name: 'Minimal', id: MISSING_ID, ownerId: MISSING_ID, activated: true,
    pendingChangesCount: 7, qri: 'qri:forged' });
  assert.notEqual(p.id, MISSING_ID);
  assert.equal(p.ownerId, srv.admin.userId);
  assert.equal(p.activated, false);
  assert.equal(p.pendingChangesCount, 0);
  assert.equal(p.qri, `qri:dataproduct:${srv.admin.tenantId}:${p.id}`);
  for (const k of ['tags', 'datasetIds', 'glossaryIds', 'apiConsumableDatasetIds', 'keyContacts', 'activatedOn']) {
    assert.deepEqual(p[k], [], k);
  }
  for (const k of ['description', 'readMe', 'spaceId']) assert.equal(p[k], undefined, k);
  const log = await allChangelogs(p.id);
  assert.deepEqual(log.map((e) => e.changes), [[{ operator: 'add', path: '/name', value: 'Minimal' }]]);
});

test('createDataProduct: invalid bodies are thrown 400/404 with the right code', async () => {
  let e = await failsWith(dp.createDataProduct({}), 400, 'DP-400-VALIDATION');
  assert.match(e.detail, /name/);
  e = await failsWith(dp.createDataProduct({ name: '   ' }), 400, 'DP-400-VALIDATION');
  assert.match(e.detail, /name/);
  e = await failsWith(dp.createDataProduct({ name: 'x', descripton: 'typo' }), 400, 'DP-400-VALIDATION');
  assert.match(e.detail, /unknown field 'descripton'/);
  e = await failsWith(dp.createDataProduct({ name: 'x', datasetIds: [fx.dataset.orders.id, MISSING_ID] }),
    400, 'DP-400-VALIDATION');
  assert.match(e.detail, /datasetIds\[1\]/);
  e = await failsWith(dp.createDataProduct({ name: 'x', tags: ['a', 'a'] }), 400, 'DP-400-VALIDATION');
  assert.match(e.detail, /tags/);
  e = await failsWith(dp.createDataProduct({ name: 'x', keyContacts: [{ userId: MISSING_ID }] }),
    400, 'DP-400-VALIDATION');
  assert.match(e.detail, /keyContacts\[0\]/);
  e = await failsWith(dp.createDataProduct({ name: 'x', datasetIds: [fx.dataset.orders.id],
    apiConsumableDatasetIds: [fx.dataset.customers.id] }), 400, 'DP-400-VALIDATION');
  assert.match(e.detail, /apiConsumableDatasetIds/);
  await failsWith(dp.createDataProduct({ name: 'x', spaceId: MISSING_ID }), 404, 'DP-404-NOT-FOUND');
});

test('getDataProduct: per-call options.hostConfig works; 404, 400 and 401 are thrown', async () => {
  const viaOptions = await dp.getDataProduct(fx.full.id, { hostConfig, noCache: true });
  assert.equal(viaOptions.status, 200);
  assert.deepEqual(viaOptions.data, fx.full);
  let e = await failsWith(dp.getDataProduct(MISSING_ID), 404, 'DP-404-NOT-FOUND');
  assert.match(e.detail, new RegExp(MISSING_ID));
  e = await failsWith(dp.getDataProduct('not-a-guid'), 400, 'DP-400-INVALID-ID');
  await failsWith(dp.getDataProduct(fx.full.id.toUpperCase()), 400, 'DP-400-INVALID-ID');
  const badKey = { ...hostConfig, apiKey: 'not-a-real-key' };
  await failsWith(dp.getDataProduct(fx.full.id, { hostConfig: badKey }), 401, 'DP-401-UNAUTHORIZED');
});

// ---------------------------------------------------------------- patch

test('patchDataProduct: 204; every patchable path; one changelog entry of replace ops', async () => {
  const p = await newProduct({ name: 'Patch me', description: 'old', tags: ['a'] });
  const ops = [
    { op: 'replace', path: '/name', value: '  Patched  ' },
    { op: 'replace', path: '/description', value: 'new description' },
    { op: 'replace', path: '/readMe', value: '# Notes\n\nhello' },
    { op: 'replace', path: '/tags', value: ['b', 'c'] },
    { op: 'replace', path: '/datasetIds', value: [fx.dataset.orders.id] },
    { op: 'replace', path: '/glossaryIds', value: [MISSING_ID] },
    { op: 'replace', path: '/apiConsumableDatasetIds', value: [fx.dataset.orders.id] },
    { op: 'replace', path: '/keyContacts', value: [{ userId: srv.admin.userId, role: 'owner' }] },
  ];
  const res = await dp.patchDataProduct(p.id, ops);
  assert.equal(res.status, 204);
  const q = await getFresh(p.id);
  assert.equal(q.name, 'Patched');
  assert.equal(q.description, 'new description');
  assert.equal(q.readMe, '# Notes\n\nhello');
  assert.deepEqual(q.tags, ['b', 'c']);
  assert.deepEqual(q.datasetIds, [fx.dataset.orders.id]);
  assert.deepEqual(q.glossaryIds, [MISSING_ID]);
  assert.deepEqual(q.apiConsumableDatasetIds, [fx.dataset.orders.id]);
  assert.deepEqual(q.keyContacts, [{ userId: srv.admin.userId, role: 'owner' }]);
  assert.ok(q.updatedAt >= p.updatedAt);
  assert.equal(q.createdAt, p.createdAt);
  assert.equal(q.pendingChangesCount, 0, 'not activated: no pending changes');
  let log = await allChangelogs(p.id);
  assert.equal(log.length, 2);
  assert.equal(log[1].createdAt, q.updatedAt);
  assert.deepEqual(log[1].changes, ops.map((o) => ({
    operator: 'replace', path: o.path, value: o.path === '/name' ? 'Patched' : o.value,
  })));

  // null removes description/readMe and empties arrays
  assert.equal((await dp.patchDataProduct(p.id, [
    { op: 'replace', path: '/description', value: null },
    { op: 'replace', path: '/tags', value: null },
  ])).status, 204);
  const r = await getFresh(p.id);
  assert.equal(r.description, undefined);
  assert.ok(!('description' in r));
  assert.deepEqual(r.tags, []);
  log = await allChangelogs(p.id);
  assert.equal(log.length, 3);
  assert.deepEqual(log[2].changes, [
    { operator: 'replace', path: '/description', value: null },
    { operator: 'replace', path: '/tags', value: [] },
  ]);

  // a patch that changes nothing: 204, no entry, updatedAt unchanged
  assert.equal((await dp.patchDataProduct(p.id, [{ op: 'replace', path: '/name', value: 'Patched' }])).status, 204);
  const s = await getFresh(p.id);
  assert.equal(s.updatedAt, r.updatedAt);
  assert.equal((await allChangelogs(p.id)).length, 3);
});

test('patchDataProduct: invalid patches are thrown 400s and change nothing', async () => {
  const p = await newProduct({ name: 'Atomic', tags: ['keep'] });
  const name = { op: 'replace', path: '/name', value: 'Should not stick' };
  const cases = [
    [[name, { op: 'replace', path: '/spaceId', value: fx.space.managedA.id }], /spaceId/],
    [[name, { op: 'add', path: '/tags', value: ['x'] }], /add/],
    [[name, { op: 'replace', path: '/datasetIds', value: [MISSING_ID] }], /datasetIds\[0\]/],
    [[name, { op: 'replace', path: '/apiConsumableDatasetIds', value: [fx.dataset.orders.id] }], /apiConsumableDatasetIds/],
    [[name, { op: 'replace', path: '/tags' }], /value/],
    [[{ op: 'replace', path: '/name', value: null }], /name/],
    [[], /1 to 8/],
    [Array.from({ length: 9 }, (_, i) => ({ op: 'replace', path: '/name', value: `n${i}` })), /1 to 8/],
  ];
  for (const [ops, detail] of cases) {
    const e = await failsWith(dp.patchDataProduct(p.id, ops), 400, 'DP-400-VALIDATION');
    assert.match(e.detail, detail, JSON.stringify(ops));
  }
  const after = await getFresh(p.id);
  assert.deepEqual(after, p, 'nothing changed');
  assert.equal((await allChangelogs(p.id)).length, 1);
  await failsWith(dp.patchDataProduct(MISSING_ID, [name]), 404, 'DP-404-NOT-FOUND');
  await failsWith(dp.patchDataProduct('x', [name]), 400, 'DP-400-INVALID-ID');
});

// ---------------------------------------------------------------- changelogs

test('getDataProductChangelogs: limit=2, next() until absent, prev() back (default -createdAt)', async () => {
  const p = await newProduct({ name: 'Paged v0' });
  for (let i = 1; i <= 4; i++) {
    assert.equal((await dp.patchDataProduct(p.id, [{ op: 'replace', path: '/name', value: `Paged v${i}` }])).status, 204);
  }
  await fresh(dp);
  const pages = [];
  let res = await dp.getDataProductChangelogs(p.id, { limit: 2 });
  for (;;) {
    assert.equal(res.status, 200);
    pages.push(res);
    assertChangelogPage(res.data, { productId: p.id, page: pages.length, limit: 2, total: 5, query: { limit: '2' } });
    assert.equal(typeof res.next === 'function', pages.length < 3, `next() offered on page ${pages.length}`);
    assert.equal(typeof res.prev === 'function', pages.length > 1, `prev() offered on page ${pages.length}`);
    if (!res.next) break;
    assert.ok(pages.length < 10, 'next() terminates');
    res = await res.next();
  }
  assert.equal(pages.length, 3);
  const entries = pages.flatMap((r) => r.data.data);
  assert.equal(entries.length, 5);
  assert.equal(new Set(entries.map((e) => e.id)).size, 5, 'no entry repeated across pages');
  for (let i = 1; i < entries.length; i++) assert.ok(entries[i - 1].createdAt >= entries[i].createdAt, 'newest first');
  assert.deepEqual(entries.map((e) => e.changes[0].value), ['Paged v4', 'Paged v3', 'Paged v2', 'Paged v1', 'Paged v0']);
  assert.equal(entries[4].changes[0].operator, 'add');
  assert.equal(entries[0].changes[0].operator, 'replace');

  // walk back with prev(); clear the cache so the pages are fetched again
  await fresh(dp);
  const back = [res];
  while (res.prev) {
    res = await res.prev();
    assert.equal(res.status, 200);
    back.unshift(res);
    assert.ok(back.length <= 3, 'prev() terminates');
  }
  assert.equal(back.length, 3);
  assert.equal(back[0].prev, undefined);
  for (let i = 0; i < 3; i++) {
    assertChangelogPage(back[i].data, { productId: p.id, page: i + 1, limit: 2, total: 5, query: { limit: '2' } });
    assert.deepEqual(back[i].data.data, pages[i].data.data, `page ${i + 1} is the same both ways`);
  }
});

test('getDataProductChangelogs: sort=+createdAt survives the client and the links', async () => {
  const p = await newProduct({ name: 'Asc v0' });
  for (let i = 1; i <= 2; i++) {
    await dp.patchDataProduct(p.id, [{ op: 'replace', path: '/name', value: `Asc v${i}` }]);
  }
  await fresh(dp);
  let res = await dp.getDataProductChangelogs(p.id, { limit: 2, sort: '+createdAt' });
  assertChangelogPage(res.data, { productId: p.id, page: 1, limit: 2, total: 3, query: { limit: '2', sort: '+createdAt' } });
  const values = res.data.data.map((e) => e.changes[0].value);
  res = await res.next();
  assertChangelogPage(res.data, { productId: p.id, page: 2, limit: 2, total: 3, query: { limit: '2', sort: '+createdAt' } });
  values.push(...res.data.data.map((e) => e.changes[0].value));
  assert.equal(res.next, undefined);
  assert.deepEqual(values, ['Asc v0', 'Asc v1', 'Asc v2'], 'oldest first on every page');

  const desc = await dp.getDataProductChangelogs(p.id, { sort: '-createdAt' });
  assertChangelogPage(desc.data, { productId: p.id, page: 1, limit: 20, total: 3, query: { sort: '-createdAt' } });
  assert.deepEqual(desc.data.data.map((e) => e.changes[0].value), ['Asc v2', 'Asc v1', 'Asc v0']);

  const beyond = await dp.getDataProductChangelogs(p.id, { limit: 2, page: 5 });
  assertChangelogPage(beyond.data, { productId: p.id, page: 5, limit: 2, total: 3, query: { limit: '2' } });
  assert.equal(new URL(beyond.data.links.prev.href).searchParams.get('page'), '2', 'prev past the end leads to the last page');
});

test('getDataProductChangelogs: bad query and unknown product are thrown errors', async () => {
  for (const q of [{ limit: 0 }, { limit: 101 }, { page: 0 }, { sort: 'name' }, { sort: 'createdAt desc' }]) {
    await failsWith(dp.getDataProductChangelogs(fx.full.id, q), 400, 'DP-400-INVALID-QUERY');
  }
  await failsWith(dp.getDataProductChangelogs(MISSING_ID, {}), 404, 'DP-404-NOT-FOUND');
});

// ---------------------------------------------------------------- export

test('exportDocumentationDataProduct: a Blob holding the Markdown document', async () => {
  const p = fx.full;
  const res = await dp.exportDocumentationDataProduct(p.id);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/markdown; charset=utf-8');
  assert.equal(res.headers.get('content-disposition'), 'attachment; filename="customer-360.md"');
  assert.ok(res.data instanceof Blob, 'attachment responses become a Blob');
  assert.match(res.data.type, /^text\/markdown/);
  assert.equal(typeof res.data.download, 'function', 'the client made it a DownloadableBlob');
  const md = await res.data.text();
  assert.ok(md.startsWith('# Customer 360\n\nEverything about customers\n\n## Metadata\n'), md.slice(0, 200));
  const at = (s) => {
    const i = md.indexOf(s);
    assert.ok(i >= 0, `document contains ${JSON.stringify(s)}`);
    return i;
  };
  const sections = ['## Metadata', '## Read me', '## Data sets', '### Orders', '### Customers', '## Glossary'];
  const idx = sections.map(at);
  assert.deepEqual([...idx].sort((a, b) => a - b), idx, 'sections in order');
  at(`| ID | \`${p.id}\` |`);
  at('| Field | Value |');
  const line = (label) => md.split('\n').find((l) => l.startsWith(`| ${label} |`)) || '';
  assert.match(line('Space'), new RegExp(fx.space.shared.id));
  assert.match(line('Space'), /Team sandbox/);
  assert.match(line('Key contacts'), /steward/);
  assert.match(line('Tags'), /crm, gold/);
  assert.match(line('Status'), /Draft/);
  at(`## Read me\n\n${p.readMe}\n`);
  at('- Technical name: orders.csv');
  at('One row per order');
  // field tables (an intraword '_' may or may not be escaped; both render the same)
  assert.match(md, /^\| order\\?_id \| INTEGER \| Order number \|$/m);
  assert.match(md, /^\| amount \| DECIMAL \| Total in EUR \|$/m);
  assert.match(md, /^\| placed\\?_at \| TIMESTAMP \| +\|$/m);
  assert.match(md, /^\| customer\\?_id \| STRING \| CRM id \|$/m);
  at(`## Glossary\n\n- \`${MISSING_ID}\``);
});

test('exportDocumentationDataProduct: 406 for an Accept it cannot meet; 404 for unknown id', async () => {
  const e = await failsWith(dp.exportDocumentationDataProduct(fx.full.id, { headers: { Accept: 'application/json' } }),
    406, 'DP-406-NOT-ACCEPTABLE');
  assert.match(e.detail, /text\/markdown/);
  const ok = await dp.exportDocumentationDataProduct(fx.full.id, { headers: { Accept: 'text/*' } });
  assert.equal(ok.status, 200);
  assert.ok((await ok.data.text()).startsWith('# Customer 360'));
  await failsWith(dp.exportDocumentationDataProduct(MISSING_ID), 404, 'DP-404-NOT-FOUND');
});

// ---------------------------------------------------------------- activate / deactivate

test('activateDataProduct: 409 lists every problem; bad target spaces are 400/404', async () => {
  const p = await newProduct({ name: 'Unready', spaceId: fx.space.shared.id });
  const e = await failsWith(dp.activateDataProduct(p.id, { name: 'Unready' }), 409, 'DP-409-ACTIVATION-INVALID');
  const problems = e.detail.split('; ');
  assert.equal(problems.length, 2, e.detail);
  assert.ok(problems.some((s) => /data set/i.test(s)), e.detail);
  assert.ok(problems.some((s) => /key contact/i.test(s)), e.detail);

  await dp.patchDataProduct(p.id, [
    { op: 'replace', path: '/datasetIds', value: [fx.dataset.orders.id] },
    { op: 'replace', path: '/keyContacts', value: [{ userId: srv.admin.userId }] },
  ]);
  const e2 = await failsWith(dp.activateDataProduct(p.id, { name: 'Ready', spaceId: fx.space.shared.id }),
    400, 'DP-400-VALIDATION');
  assert.match(e2.detail, /spaceId/);
  await failsWith(dp.activateDataProduct(p.id, { name: 'Ready', spaceId: MISSING_ID }), 404, 'DP-404-NOT-FOUND');
  const e3 = await failsWith(dp.activateDataProduct(p.id, {}), 400, 'DP-400-VALIDATION');
  assert.match(e3.detail, /name/);
  await failsWith(dp.activateDataProduct(MISSING_ID, { name: 'x' }), 404, 'DP-404-NOT-FOUND');
  const after = await getFresh(p.id);
  assert.equal(after.activated, false, 'failed activations change nothing');
  assert.equal(after.name, 'Unready');
  assert.equal(after.spaceId, fx.space.shared.id);
});

test('activate / patch while active / delete refused / re-activate / deactivate', async () => {
  const p = await newProduct({
    name: 'Lifecycle', description: 'draft', tags: ['draft'], spaceId: fx.space.shared.id,
    datasetIds: [fx.dataset.orders.id], keyContacts: [{ userId: srv.admin.userId, role: 'owner' }],
  });
  const before = new Date().toISOString().slice(0, 19);
  const act = await dp.activateDataProduct(p.id, {
    name: 'Lifecycle (published)', description: 'ready', tags: ['gold'], spaceId: fx.space.managedA.id,
  });
  assert.equal(act.status, 201);
  const a = act.data;
  assertProduct(a);
  assert.equal(a.activated, true);
  assert.deepEqual(a.activatedOn, [fx.space.managedA.id]);
  assert.equal(a.spaceId, fx.space.managedA.id);
  assert.equal(a.name, 'Lifecycle (published)');
  assert.equal(a.description, 'ready');
  assert.deepEqual(a.tags, ['gold']);
  assert.equal(a.pendingChangesCount, 0);
  assert.match(a.activatedAt, ISO);
  assert.ok(a.activatedAt >= before);
  assert.deepEqual(await getFresh(p.id), a, 'getDataProduct agrees with the activate response');

  let log = await allChangelogs(p.id);
  assert.equal(log.length, 2);
  const byPath = Object.fromEntries(log[1].changes.map((c) => [c.path, c]));
  assert.deepEqual(byPath, {
    '/name': { operator: 'replace', path: '/name', value: 'Lifecycle (published)' },
    '/description': { operator: 'replace', path: '/description', value: 'ready' },
    '/tags': { operator: 'replace', path: '/tags', value: ['gold'] },
    '/spaceId': { operator: 'replace', path: '/spaceId', value: fx.space.managedA.id },
    '/activatedOn': { operator: 'add', path: '/activatedOn', value: [fx.space.managedA.id] },
  });

  await dp.patchDataProduct(p.id, [
    { op: 'replace', path: '/readMe', value: 'more' },
    { op: 'replace', path: '/glossaryIds', value: [MISSING_ID] },
  ]);
  assert.equal((await getFresh(p.id)).pendingChangesCount, 2, 'pending changes counted while active');

  await failsWith(dp.deleteDataProduct(p.id), 409, 'DP-409-PRODUCT-ACTIVATED');

  const again = await dp.activateDataProduct(p.id, { name: 'Lifecycle (published)' });
  assert.equal(again.status, 201);
  assertProduct(again.data);
  assert.equal(again.data.activated, true);
  assert.equal(again.data.pendingChangesCount, 0, 're-activation publishes the pending changes');
  assert.deepEqual(again.data.activatedOn, [fx.space.managedA.id]);
  assert.equal(again.data.readMe, 'more');
  assert.ok(again.data.activatedAt >= a.activatedAt);

  const de = await dp.deactivateDataProduct(p.id);
  assert.equal(de.status, 204);
  const d = await getFresh(p.id);
  assert.equal(d.activated, false);
  assert.deepEqual(d.activatedOn, []);
  assert.equal(d.activatedAt, again.data.activatedAt, 'activatedAt keeps the last activation');
  assert.equal(d.pendingChangesCount, 0);
  log = await allChangelogs(p.id);
  assert.equal(log.length, 5);
  assert.deepEqual(log[3].changes, [{ operator: 'add', path: '/activatedOn', value: [fx.space.managedA.id] }]);
  assert.deepEqual(log[4].changes, [{ operator: 'remove', path: '/activatedOn', value: [fx.space.managedA.id] }]);

  await failsWith(dp.deactivateDataProduct(p.id), 409, 'DP-409-PRODUCT-NOT-ACTIVATED');
  await failsWith(dp.deactivateDataProduct(MISSING_ID), 404, 'DP-404-NOT-FOUND');
  assert.equal((await dp.deleteDataProduct(p.id)).status, 204, 'deletable once deactivated');
});

test('activateDataProduct without spaceId publishes where the product is ("personal" when none)', async () => {
  const p = await newProduct({ name: 'Personal', datasetIds: [fx.dataset.customers.id],
    keyContacts: [{ userId: srv.admin.userId }] });
  const res = await dp.activateDataProduct(p.id, { name: 'Personal' });
  assert.equal(res.status, 201);
  assertProduct(res.data);
  assert.deepEqual(res.data.activatedOn, ['personal']);
  assert.equal(res.data.spaceId, undefined);
  const log = await allChangelogs(p.id);
  assert.deepEqual(log[1].changes, [{ operator: 'add', path: '/activatedOn', value: ['personal'] }],
    'same name: only the activation is recorded');
});

// ---------------------------------------------------------------- move

test('moveDataProduct: 204, changelog replace /spaceId; same space is a no-op; errors', async () => {
  const p = await newProduct({ name: 'Mover', spaceId: fx.space.managedA.id });
  const res = await dp.moveDataProduct(p.id, { spaceId: fx.space.managedB.id });
  assert.equal(res.status, 204);
  const m = await getFresh(p.id);
  assert.equal(m.spaceId, fx.space.managedB.id);
  assert.ok(m.updatedAt >= p.updatedAt);
  let log = await allChangelogs(p.id);
  assert.equal(log.length, 2);
  assert.deepEqual(log[1].changes, [{ operator: 'replace', path: '/spaceId', value: fx.space.managedB.id }]);

  assert.equal((await dp.moveDataProduct(p.id, { spaceId: fx.space.managedB.id })).status, 204);
  log = await allChangelogs(p.id);
  assert.equal(log.length, 2, 'moving to the current space writes nothing');
  assert.equal((await getFresh(p.id)).updatedAt, m.updatedAt);

  await failsWith(dp.moveDataProduct(p.id, { spaceId: MISSING_ID }), 404, 'DP-404-NOT-FOUND');
  const e = await failsWith(dp.moveDataProduct(p.id, {}), 400, 'DP-400-VALIDATION');
  assert.match(e.detail, /spaceId/);
  await failsWith(dp.moveDataProduct(p.id, { spaceId: 'nope' }), 400, 'DP-400-VALIDATION');
  await failsWith(dp.moveDataProduct(MISSING_ID, { spaceId: fx.space.managedA.id }), 404, 'DP-404-NOT-FOUND');
  assert.equal((await getFresh(p.id)).spaceId, fx.space.managedB.id);
});

// ---------------------------------------------------------------- delete

test('deleteDataProduct: 204; afterwards get, changelogs, export and delete are 404', async () => {
  const p = await newProduct({ name: 'Doomed', datasetIds: [fx.dataset.orders.id] });
  await dp.getDataProduct(p.id); // cached; the DELETE must invalidate it
  await dp.getDataProductChangelogs(p.id, {});
  const res = await dp.deleteDataProduct(p.id);
  assert.equal(res.status, 204);
  await fresh(dp);
  await failsWith(dp.getDataProduct(p.id), 404, 'DP-404-NOT-FOUND');
  await failsWith(dp.getDataProductChangelogs(p.id, {}), 404, 'DP-404-NOT-FOUND');
  await failsWith(dp.exportDocumentationDataProduct(p.id), 404, 'DP-404-NOT-FOUND');
  await failsWith(dp.deleteDataProduct(p.id), 404, 'DP-404-NOT-FOUND');
  await failsWith(dp.deleteDataProduct('123'), 400, 'DP-400-INVALID-ID');
  await fresh(dataSets);
  const ds = await dataSets.getDataSet(fx.dataset.orders.id, {});
  assert.equal(ds.status, 200, 'deleting a product never touches its data sets');
});

// ---------------------------------------------------------------- generate-provider-url

test('generateProviderUrlDataProducts: thrown 404 PROVIDER-NOT-CONFIGURED for a real data set', async () => {
  const e = await failsWith(dp.generateProviderUrlDataProducts({ dataSetId: fx.dataset.orders.id }),
    404, 'DP-404-PROVIDER-NOT-CONFIGURED');
  assert.match(e.detail, /provider/i);
  await failsWith(dp.generateProviderUrlDataProducts({ dataSetId: MISSING_ID }), 404, 'DP-404-NOT-FOUND');
  const bad = await failsWith(dp.generateProviderUrlDataProducts({ dataSetId: 'not-a-guid' }), 400, 'DP-400-INVALID-QUERY');
  assert.match(bad.detail, /dataSetId/);
  const missing = await failsWith(dp.generateProviderUrlDataProducts({}), 400, 'DP-400-INVALID-QUERY');
  assert.match(missing.detail, /dataSetId/);
});

// ---------------------------------------------------------------- module surface

test('the data-products module exposes the functions exercised here', () => {
  for (const fn of ['createDataProduct', 'getDataProduct', 'patchDataProduct', 'activateDataProduct',
    'deactivateDataProduct', 'moveDataProduct', 'deleteDataProduct', 'getDataProductChangelogs',
    'exportDocumentationDataProduct', 'generateProviderUrlDataProducts', 'clearCache']) {
    assert.equal(typeof dp[fn], 'function', fn);
    assert.equal(dp.default[fn], dp[fn], `default export has ${fn}`);
  }
});

test('the client fetches product-info.json once, not before every call', async () => {
  for (let i = 0; i < 5; i++) {
    const { data } = await dp.createDataProduct({ name: `round-trip ${i}` });
    await dp.deleteDataProduct(data.id);
  }
  const fetched = srv.stderr.split('\n').filter((l) => l.includes('/resources/autogenerated/product-info.json'));
  assert.ok(fetched.length <= 1, `product-info.json requested ${fetched.length} times`);
});
