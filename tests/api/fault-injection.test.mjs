// fault-injection: with DP_FAULT_INJECT making one storage call fail, every
// write answers 500 with the error envelope and leaves no trace — the write
// and its changelog entry are one transaction (SPEC §3), also on failure.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, removeDir } from './lib/server.mjs';

const DP = '/api/data-governance/data-products';
const SETTINGS = '/api/data-governance/trust-scores/settings';
const dir = mkdtempSync(path.join(tmpdir(), 'dp-fault-'));
let key;
let userId;
let product; // an activatable draft product created before faults are on
let dataset; // its data set

/** Starts a server on the shared dir with the given store calls failing. */
async function faulty(calls) {
  const srv = await startServer({ dir, keepDir: true, skipBootstrap: true, env: { DP_FAULT_INJECT: calls } });
  srv.key = key;
  return srv;
}

before(async () => {
  const srv = await startServer({ dir, keepDir: true });
  key = srv.key;
  userId = srv.admin.userId;
  const ds = await srv.api('POST', '/api/v1/data-sets', { body: { name: 'D', technicalName: 'd.csv' } });
  dataset = ds.body;
  const p = await srv.api('POST', DP, {
    body: { name: 'Stable', datasetIds: [ds.body.id], keyContacts: [{ userId }] },
  });
  assert.equal(p.status, 201);
  product = p.body;
  await srv.stop();
});

after(() => removeDir(dir));

async function assertUnchanged(srv) {
  const now = await srv.api('GET', `${DP}/${product.id}`);
  assert.equal(now.status, 200);
  assert.deepEqual(now.body, product);
  const log = await srv.api('GET', `${DP}/${product.id}/changelogs`);
  assert.equal(log.body.total, 1, 'only the creation entry');
  const list = await srv.api('GET', DP);
  assert.equal(list.body.total, 1, 'no other product appeared');
}

function assertInternal(res) {
  assert.equal(res.status, 500);
  assert.equal(res.body.errors[0].code, 'DP-500-INTERNAL');
  assert.equal(res.body.traceId, res.headers.get('x-trace-id'));
}

test('a failing changelog write rolls back create, patch, activate and move', async () => {
  const srv = await faulty('changelog_append');
  try {
    const space = await srv.api('POST', '/api/v1/spaces', { body: { name: 'S', type: 'managed' } });
    assert.equal(space.status, 201, 'writes without changelog still work');
    assertInternal(await srv.api('POST', DP, { body: { name: 'Never' } }));
    assertInternal(await srv.api('PATCH', `${DP}/${product.id}`, {
      body: [{ op: 'replace', path: '/name', value: 'Changed' }],
    }));
    assertInternal(await srv.api('POST', `${DP}/${product.id}/actions/activate`, { body: { name: 'Stable' } }));
    assertInternal(await srv.api('POST', `${DP}/${product.id}/actions/move`, { body: { spaceId: space.body.id } }));
    await assertUnchanged(srv);
  } finally {
    await srv.stop();
  }
});

test('a failing commit loses the write and answers 500', async () => {
  const srv = await faulty('commit');
  try {
    assertInternal(await srv.api('PATCH', `${DP}/${product.id}`, {
      body: [{ op: 'replace', path: '/description', value: 'x' }],
    }));
    assertInternal(await srv.api('POST', DP, { body: { name: 'Never' } }));
    await assertUnchanged(srv);
  } finally {
    await srv.stop();
  }
});

test('a failing product write leaves the changelog untouched', async () => {
  const srv = await faulty('product_update,product_delete');
  try {
    assertInternal(await srv.api('PATCH', `${DP}/${product.id}`, {
      body: [{ op: 'replace', path: '/tags', value: ['t'] }],
    }));
    assertInternal(await srv.api('DELETE', `${DP}/${product.id}`));
    await assertUnchanged(srv);
  } finally {
    await srv.stop();
  }
});

test('a failing read answers 500, not 404', async () => {
  const srv = await faulty('product_get');
  try {
    assertInternal(await srv.api('GET', `${DP}/${product.id}`));
  } finally {
    await srv.stop();
  }
});

test('any store operation can be made to fail: spaces, data sets, settings, changelogs', async () => {
  // none of these was injectable before the operation list (store_ops.h)
  const srv = await faulty('space_insert,space_list,dataset_insert,dataset_update,settings_put,changelog_page');
  let settings;
  try {
    settings = (await srv.api('GET', SETTINGS)).body;
    assertInternal(await srv.api('POST', '/api/v1/spaces', { body: { name: 'Never', type: 'managed' } }));
    assertInternal(await srv.api('GET', '/api/v1/spaces'));
    assertInternal(await srv.api('POST', '/api/v1/data-sets', { body: { name: 'Never', technicalName: 'n.csv' } }));
    assertInternal(await srv.api('PATCH', `/api/v1/data-sets/${dataset.id}`, {
      body: [{ op: 'replace', path: '/name', value: 'Changed' }],
      headers: { 'Content-Type': 'application/json-patch+json' },
    }));
    const axes = Object.fromEntries(Object.keys(settings.axes).map((a) => [a, { enabled: true, weight: 1 }]));
    axes.USAGE.enabled = false;
    assertInternal(await srv.api('PUT', SETTINGS, { body: { axes } }));
    assertInternal(await srv.api('GET', `${DP}/${product.id}/changelogs`));
    // the reads the faults leave alone show nothing changed
    assert.deepEqual((await srv.api('GET', `/api/v1/data-sets/${dataset.id}`)).body, dataset);
    assert.deepEqual((await srv.api('GET', SETTINGS)).body, settings);
  } finally {
    await srv.stop();
  }
  const clean = await faulty('');
  try {
    const spaces = await clean.api('GET', '/api/v1/spaces');
    assert.equal(spaces.status, 200);
    assert.ok(!spaces.body.data.some((s) => s.name === 'Never'), 'no space was created');
    const sets = await clean.api('GET', '/api/app/data-sets');
    assert.equal(sets.status, 200);
    assert.ok(!sets.body.data.some((d) => d.name === 'Never'), 'no data set was created');
    await assertUnchanged(clean);
  } finally {
    await clean.stop();
  }
});

test('an unknown fault name stops the server from starting', async () => {
  await assert.rejects(faulty('nonsense'), /unknown store call 'nonsense'/);
});
