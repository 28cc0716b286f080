// durability: whatever the server acknowledged (201/204) survives a SIGKILL.
// Each step writes, kills the server with SIGKILL right after the answer,
// starts a new server on the same directory and reuses the old API key.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { startServer, MISSING_ID, removeDir } from './lib/server.mjs';

const DP = '/api/data-governance/data-products';
const ARGS = ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0'];

let srv;
let dir;
let key;
let userId;

// state acknowledged so far
let space;
let target;
let dataset;
let product; // the last full product body the server returned (or we derived)
let entries = 0; // changelog entries of product

async function restart() {
  await srv.kill9();
  srv = await startServer({ dir, keepDir: true, skipBootstrap: true, args: ARGS });
  srv.key = key;
}

async function get(path) {
  const res = await srv.api('GET', path);
  assert.equal(res.status, 200, `${path}: ${res.text}`);
  return res.body;
}

async function changelog(id) {
  return (await get(`${DP}/${id}/changelogs?limit=100`)).data;
}

function withoutLinks(o) {
  const { links, ...rest } = o;
  return rest;
}

before(async () => {
  srv = await startServer({ keepDir: true, args: ARGS });
  dir = srv.dir;
  key = srv.key;
  userId = srv.admin.userId;
});

after(async () => {
  try {
    await srv?.stop();
  } finally {
    if (dir) removeDir(dir);
  }
});

test('the API key and the tenant survive a restart', async () => {
  await restart();
  assert.equal((await srv.api('GET', DP)).status, 200);
  assert.equal((await srv.api('GET', DP, { key: 'not-the-key' })).status, 401);
});

test('after a 201 create: space, data set, product and its changelog entry survive SIGKILL', async () => {
  let res = await srv.api('POST', '/api/v1/spaces', { body: { name: 'Durable space', type: 'managed' } });
  assert.equal(res.status, 201, res.text);
  space = res.body;
  res = await srv.api('POST', '/api/v1/spaces', { body: { name: 'Second space', type: 'shared' } });
  assert.equal(res.status, 201, res.text);
  target = res.body;
  res = await srv.api('POST', '/api/v1/data-sets', {
    body: { name: 'Durable data', technicalName: 'durable_data', schema: { dataFields: [{ name: 'a', dataType: { type: 'STRING' } }] } },
  });
  assert.equal(res.status, 201, res.text);
  dataset = res.body;
  res = await srv.api('POST', DP, {
    body: {
      name: 'Durable product',
      description: 'kept',
      readMe: '# read me\n',
      spaceId: space.id,
      tags: ['d1', 'd2'],
      datasetIds: [dataset.id],
      keyContacts: [{ userId, role: 'owner' }],
    },
  });
  assert.equal(res.status, 201, res.text);
  product = res.body;
  entries = 1;

  await restart();

  assert.deepEqual(withoutLinks(await get(`/api/v1/spaces/${space.id}`)), withoutLinks(space));
  assert.deepEqual(await get(`/api/v1/data-sets/${dataset.id}`), dataset);
  assert.deepEqual(await get(`${DP}/${product.id}`), product);
  const log = await changelog(product.id);
  assert.equal(log.length, 1);
  assert.deepEqual(log[0].changes.map((c) => `${c.operator} ${c.path}`), [
    'add /name', 'add /description', 'add /readMe', 'add /spaceId', 'add /tags', 'add /datasetIds', 'add /keyContacts',
  ]);
  assert.equal(log[0].createdAt, product.createdAt);
  const list = await get(`${DP}?tag=d1`);
  assert.deepEqual(list.data.map((p) => p.id), [product.id], 'tag index survives too');
});

test('after a 204 patch: the new values and the patch entry survive SIGKILL', async () => {
  const res = await srv.api('PATCH', `${DP}/${product.id}`, {
    body: [
      { op: 'replace', path: '/name', value: 'Durable product v2' },
      { op: 'replace', path: '/tags', value: ['d3'] },
      { op: 'replace', path: '/readMe', value: null },
    ],
  });
  assert.equal(res.status, 204, res.text);
  const acknowledged = await get(`${DP}/${product.id}`);
  entries++;

  await restart();

  const now = await get(`${DP}/${product.id}`);
  assert.deepEqual(now, acknowledged);
  assert.equal(now.name, 'Durable product v2');
  assert.deepEqual(now.tags, ['d3']);
  assert.equal(now.readMe, undefined);
  const log = await changelog(product.id);
  assert.equal(log.length, entries);
  assert.deepEqual(log[0].changes, [
    { operator: 'replace', path: '/name', value: 'Durable product v2' },
    { operator: 'replace', path: '/tags', value: ['d3'] },
    { operator: 'replace', path: '/readMe', value: null },
  ]);
  assert.equal((await get(`${DP}?tag=d3`)).total, 1);
  assert.equal((await get(`${DP}?tag=d1`)).total, 0);
  product = now;
});

test('after a 201 activate: the activation and its entry survive SIGKILL', async () => {
  const res = await srv.api('POST', `${DP}/${product.id}/actions/activate`, {
    body: { name: 'Durable product v3', description: 'published' },
  });
  assert.equal(res.status, 201, res.text);
  const acknowledged = res.body;
  entries++;

  await restart();

  const now = await get(`${DP}/${product.id}`);
  assert.deepEqual(now, acknowledged);
  assert.equal(now.activated, true);
  assert.deepEqual(now.activatedOn, [space.id]);
  assert.equal(now.pendingChangesCount, 0);
  const log = await changelog(product.id);
  assert.equal(log.length, entries);
  assert.deepEqual(log[0].changes, [
    { operator: 'replace', path: '/name', value: 'Durable product v3' },
    { operator: 'replace', path: '/description', value: 'published' },
    { operator: 'add', path: '/activatedOn', value: [space.id] },
  ]);
  assert.equal((await get(`${DP}?activated=true`)).total, 1);
  product = now;
});

test('after a 204 patch of an activated product: pendingChangesCount survives', async () => {
  const res = await srv.api('PATCH', `${DP}/${product.id}`, {
    body: [{ op: 'replace', path: '/description', value: 'pending' }],
  });
  assert.equal(res.status, 204, res.text);
  entries++;
  await restart();
  const now = await get(`${DP}/${product.id}`);
  assert.equal(now.pendingChangesCount, 1);
  assert.equal(now.description, 'pending');
  assert.equal((await changelog(product.id)).length, entries);
  product = now;
});

test('after 204 deactivate and 204 move: both survive SIGKILL', async () => {
  let res = await srv.api('POST', `${DP}/${product.id}/actions/deactivate`);
  assert.equal(res.status, 204, res.text);
  res = await srv.api('POST', `${DP}/${product.id}/actions/move`, { body: { spaceId: target.id } });
  assert.equal(res.status, 204, res.text);
  const acknowledged = await get(`${DP}/${product.id}`);
  entries += 2;

  await restart();

  const now = await get(`${DP}/${product.id}`);
  assert.deepEqual(now, acknowledged);
  assert.equal(now.activated, false);
  assert.deepEqual(now.activatedOn, []);
  assert.equal(now.activatedAt, product.activatedAt);
  assert.equal(now.spaceId, target.id);
  const log = await changelog(product.id);
  assert.equal(log.length, entries);
  assert.deepEqual(log[0].changes, [{ operator: 'replace', path: '/spaceId', value: target.id }]);
  assert.deepEqual(log[1].changes, [{ operator: 'remove', path: '/activatedOn', value: [space.id] }]);
  assert.equal((await get(`${DP}?spaceId=${target.id}`)).total, 1);
  product = now;
});

test('a burst of concurrently acknowledged creates all survive SIGKILL', async () => {
  const results = await Promise.all(Array.from({ length: 25 }, (_, i) =>
    srv.api('POST', DP, { body: { name: `burst ${i}`, tags: ['burst'], spaceId: space.id } })));
  const created = results.map((r) => {
    assert.equal(r.status, 201, r.text);
    return r.body;
  });

  await restart();

  for (const p of created) {
    assert.deepEqual(await get(`${DP}/${p.id}`), p);
    assert.equal((await changelog(p.id)).length, 1);
  }
  assert.equal((await get(`${DP}?tag=burst&limit=100`)).total, 25);
});

test('after a 204 delete: the product and its changelog stay gone after SIGKILL', async () => {
  const res = await srv.api('DELETE', `${DP}/${product.id}`);
  assert.equal(res.status, 204, res.text);

  await restart();

  assert.equal((await srv.api('GET', `${DP}/${product.id}`)).status, 404);
  assert.equal((await srv.api('GET', `${DP}/${product.id}/changelogs`)).status, 404);
  assert.equal((await srv.api('GET', `${DP}/${MISSING_ID}`)).status, 404);
  // the data set is untouched by the delete
  assert.deepEqual(await get(`/api/v1/data-sets/${dataset.id}`), dataset);
});

test('a request rejected with 4xx left nothing behind after SIGKILL', async () => {
  const before = (await get(`${DP}?limit=1`)).total;
  const bad = await srv.api('POST', DP, { body: { name: 'half', datasetIds: [MISSING_ID] } });
  assert.equal(bad.status, 400, bad.text);
  await restart();
  assert.equal((await get(`${DP}?limit=1`)).total, before);
  assert.equal((await get(`${DP}?query=half`)).total, 0);
});
