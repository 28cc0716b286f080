// data-products-actions: activate, deactivate, move, changelogs,
// export-documentation and generate-provider-url (SPEC §3), black-box over HTTP.
//
// Two activation problems (a data set that no longer exists, and
// apiConsumableDatasetIds that are not a subset of datasetIds) cannot be
// produced through the API yet (no data set deletion; create and patch
// reject the subset violation). Those tests put the product into that state
// by editing the SQLite file with the sqlite3 CLI and are skipped when the
// CLI is not installed.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { haveSqlite } from './lib/sqlite.mjs';
import { dbSql } from './lib/db.mjs';
import { startServer, MISSING_ID } from './lib/server.mjs';

const DP = '/api/data-governance/data-products';
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

let srv;
let managed; // a managed space
let managed2; // another managed space
let shared; // a shared space
let ds; // a data set with fields
let ds2; // a second data set

// the sqlite3 CLI, or psql on PostgreSQL (DP_TEST_PG_URL)
const HAVE_SQLITE = process.env.DP_TEST_PG_URL ? true : haveSqlite();

/** Runs one SQL statement against the running server's database file. */
function sql(statement) {
  return dbSql(srv.db, statement);
}

/** Sets a product's stored datasetIds behind the API's back (either backend). */
function setDatasetIds(id, ids) {
  const json = JSON.stringify(ids);
  sql({
    sqlite: `UPDATE products SET doc = json_set(doc, '$.datasetIds', json('${json}')) WHERE id = '${id}'`,
    pg: `UPDATE products SET doc = jsonb_set(doc::jsonb, '{datasetIds}', '${json}'::jsonb)::text WHERE id = '${id}'`,
  });
}

function assertError(res, status, code, detail) {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${res.text}`);
  assert.match(res.headers.get('content-type') || '', /^application\/json/);
  assert.ok(Array.isArray(res.body?.errors) && res.body.errors.length >= 1, res.text);
  const e = res.body.errors[0];
  assert.equal(e.code, code, res.text);
  assert.equal(e.status, String(status));
  assert.equal(typeof e.title, 'string');
  assert.equal(typeof e.detail, 'string');
  if (detail) assert.match(e.detail, detail);
  assert.equal(res.body.traceId, res.headers.get('x-trace-id'));
  return e;
}

async function mkSpace(type, name = `${type} space ${Math.random().toString(36).slice(2)}`) {
  const res = await srv.api('POST', '/api/v1/spaces', { body: { name, type } });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

async function mkDataset(name, fields) {
  const body = {
    name,
    technicalName: name.toLowerCase().replace(/\W+/g, '_'),
    description: `The ${name} data set`,
  };
  if (fields) body.schema = { dataFields: fields };
  const res = await srv.api('POST', '/api/v1/data-sets', { body });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

async function mkProduct(body) {
  const res = await srv.api('POST', DP, { body: { name: 'Product', ...body } });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

/** A product that satisfies every activation rule. */
function activatable(extra = {}) {
  return mkProduct({
    datasetIds: [ds.id],
    keyContacts: [{ userId: srv.admin.userId, role: 'Data owner' }],
    ...extra,
  });
}

async function getProduct(id) {
  const res = await srv.api('GET', `${DP}/${id}`);
  assert.equal(res.status, 200, res.text);
  return res.body;
}

/** All changelog entries, newest first. */
async function changelog(id) {
  const res = await srv.api('GET', `${DP}/${id}/changelogs?limit=100`);
  assert.equal(res.status, 200, res.text);
  return res.body.data;
}

before(async () => {
  srv = await startServer({ args: ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0'] });
  managed = await mkSpace('managed');
  managed2 = await mkSpace('managed');
  shared = await mkSpace('shared');
  ds = await mkDataset('Orders', [
    { name: 'order_id', dataType: { type: 'INTEGER' }, description: 'Order number' },
    { name: 'amount', dataType: { type: 'DOUBLE' }, description: 'Amount in EUR' },
  ]);
  ds2 = await mkDataset('Customers', [{ name: 'customer_id', dataType: { type: 'STRING' } }]);
});

after(async () => {
  await srv?.stop();
});

// ---------------------------------------------------------------- activate

describe('activate', () => {
  test('201 with the activated product', async () => {
    const p = await activatable({ spaceId: managed.id, description: 'd', tags: ['t1'] });
    const before = Date.now();
    const res = await srv.api('POST', `${DP}/${p.id}/actions/activate`, {
      body: { name: p.name, spaceId: managed.id },
    });
    assert.equal(res.status, 201, res.text);
    assert.match(res.headers.get('content-type'), /^application\/json/);
    const a = res.body;
    assert.equal(a.id, p.id);
    assert.equal(a.activated, true);
    assert.match(a.activatedAt, ISO_MS);
    assert.ok(Date.parse(a.activatedAt) >= before - 1000 && Date.parse(a.activatedAt) <= Date.now() + 1000);
    assert.deepEqual(a.activatedOn, [managed.id]);
    assert.equal(a.pendingChangesCount, 0);
    assert.equal(a.spaceId, managed.id);
    assert.equal(a.name, p.name);
    assert.equal(a.description, 'd');
    assert.deepEqual(a.tags, ['t1']);
    assert.deepEqual(a.datasetIds, [ds.id]);
    assert.equal(a.createdAt, p.createdAt);
    // GET agrees with the 201 body
    assert.deepEqual(await getProduct(p.id), a);
  });

  test('activatedOn is ["personal"] for a product without a space', async () => {
    const p = await activatable();
    assert.equal(p.spaceId, undefined);
    const res = await srv.api('POST', `${DP}/${p.id}/actions/activate`, { body: { name: p.name } });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.body.activatedOn, ['personal']);
    assert.equal(res.body.spaceId, undefined);
    const entry = (await changelog(p.id))[0];
    assert.deepEqual(entry.changes, [{ operator: 'add', path: '/activatedOn', value: ['personal'] }]);
  });

  test('activating into a managed space moves the product there', async () => {
    const p = await activatable({ spaceId: shared.id });
    const res = await srv.api('POST', `${DP}/${p.id}/actions/activate`, {
      body: { name: p.name, spaceId: managed.id },
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.spaceId, managed.id);
    assert.deepEqual(res.body.activatedOn, [managed.id]);
    const entry = (await changelog(p.id))[0];
    assert.deepEqual(entry.changes, [
      { operator: 'replace', path: '/spaceId', value: managed.id },
      { operator: 'add', path: '/activatedOn', value: [managed.id] },
    ]);
  });

  test('name, description and tags from the body replace the product\'s, with changelog replace ops', async () => {
    const p = await activatable({ name: 'Old name', description: 'old', tags: ['a'], spaceId: managed.id });
    const res = await srv.api('POST', `${DP}/${p.id}/actions/activate`, {
      body: { name: '  New name  ', description: 'new description', tags: ['b', 'c'] },
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.name, 'New name');
    assert.equal(res.body.description, 'new description');
    assert.deepEqual(res.body.tags, ['b', 'c']);
    assert.deepEqual(res.body.activatedOn, [managed.id]);
    const entries = await changelog(p.id);
    assert.equal(entries.length, 2);
    const changes = entries[0].changes;
    const byPath = Object.fromEntries(changes.map((c) => [c.path, c]));
    assert.deepEqual(byPath['/name'], { operator: 'replace', path: '/name', value: 'New name' });
    assert.deepEqual(byPath['/description'], { operator: 'replace', path: '/description', value: 'new description' });
    assert.deepEqual(byPath['/tags'], { operator: 'replace', path: '/tags', value: ['b', 'c'] });
    assert.deepEqual(byPath['/activatedOn'], { operator: 'add', path: '/activatedOn', value: [managed.id] });
    assert.equal(changes.length, 4, JSON.stringify(changes));
    assert.equal(entries[0].createdBy, srv.admin.userId);
    assert.match(entries[0].createdAt, ISO_MS);
  });

  test('unchanged name/description/tags write no replace op', async () => {
    const p = await activatable({ name: 'Same', description: 'same', tags: ['x'] });
    const res = await srv.api('POST', `${DP}/${p.id}/actions/activate`, {
      body: { name: 'Same', description: 'same', tags: ['x'] },
    });
    assert.equal(res.status, 201, res.text);
    const entry = (await changelog(p.id))[0];
    assert.deepEqual(entry.changes, [{ operator: 'add', path: '/activatedOn', value: ['personal'] }]);
  });

  test('re-activating an active product is allowed (201) and resets pendingChangesCount', async () => {
    const p = await activatable({ spaceId: managed.id });
    const first = await srv.api('POST', `${DP}/${p.id}/actions/activate`, { body: { name: p.name } });
    assert.equal(first.status, 201, first.text);
    const patch = await srv.api('PATCH', `${DP}/${p.id}`, {
      body: [{ op: 'replace', path: '/description', value: 'changed' },
        { op: 'replace', path: '/tags', value: ['n'] }],
    });
    assert.equal(patch.status, 204, patch.text);
    assert.equal((await getProduct(p.id)).pendingChangesCount, 2);
    const again = await srv.api('POST', `${DP}/${p.id}/actions/activate`, { body: { name: 'Renamed' } });
    assert.equal(again.status, 201, again.text);
    assert.equal(again.body.activated, true);
    assert.equal(again.body.name, 'Renamed');
    assert.equal(again.body.pendingChangesCount, 0);
    assert.deepEqual(again.body.activatedOn, [managed.id]);
    assert.ok(Date.parse(again.body.activatedAt) >= Date.parse(first.body.activatedAt));
    const entries = await changelog(p.id);
    assert.equal(entries.length, 4); // create, activate, patch, re-activate
    assert.deepEqual(entries[0].changes, [
      { operator: 'replace', path: '/name', value: 'Renamed' },
      { operator: 'add', path: '/activatedOn', value: [managed.id] },
    ]);
  });

  test('target space must exist (404) and be managed (400); nothing changes', async () => {
    const p = await activatable({ spaceId: managed.id });
    const missing = await srv.api('POST', `${DP}/${p.id}/actions/activate`, {
      body: { name: 'X', spaceId: MISSING_ID },
    });
    assertError(missing, 404, 'DP-404-NOT-FOUND', /spaceId|space/);
    const sharedRes = await srv.api('POST', `${DP}/${p.id}/actions/activate`, {
      body: { name: 'X', spaceId: shared.id },
    });
    assertError(sharedRes, 400, 'DP-400-VALIDATION', /spaceId/);
    const data = await mkSpace('data');
    const dataRes = await srv.api('POST', `${DP}/${p.id}/actions/activate`, {
      body: { name: 'X', spaceId: data.id },
    });
    assertError(dataRes, 400, 'DP-400-VALIDATION', /spaceId/);
    const now = await getProduct(p.id);
    assert.deepEqual(now, p);
    assert.equal((await changelog(p.id)).length, 1);
  });

  test('body validation: missing name, empty name, unknown field, wrong types, bad spaceId, no body', async () => {
    const p = await activatable();
    const url = `${DP}/${p.id}/actions/activate`;
    assertError(await srv.api('POST', url, { body: {} }), 400, 'DP-400-VALIDATION', /name/);
    assertError(await srv.api('POST', url, { body: { description: 'd' } }), 400, 'DP-400-VALIDATION', /name/);
    assertError(await srv.api('POST', url, { body: { name: '   ' } }), 400, 'DP-400-VALIDATION', /name/);
    assertError(await srv.api('POST', url, { body: { name: 'n', bogus: 1 } }), 400, 'DP-400-VALIDATION',
      /unknown field 'bogus'/);
    assertError(await srv.api('POST', url, { body: { name: 'n', datasetIds: [] } }), 400, 'DP-400-VALIDATION',
      /unknown field 'datasetIds'/);
    assertError(await srv.api('POST', url, { body: { name: 5 } }), 400, 'DP-400-VALIDATION', /name/);
    assertError(await srv.api('POST', url, { body: { name: 'n', tags: 'x' } }), 400, 'DP-400-VALIDATION', /tags/);
    assertError(await srv.api('POST', url, { body: { name: 'n', tags: ['x', 'x'] } }), 400, 'DP-400-VALIDATION', /tags/);
    assertError(await srv.api('POST', url, { body: { name: 'n', spaceId: 'not-a-guid' } }), 400,
      'DP-400-VALIDATION', /spaceId/);
    assertError(await srv.api('POST', url, { body: ['name'] }), 400, 'DP-400-VALIDATION');
    assertError(await srv.api('POST', url, {}), 400, 'DP-400-BAD-REQUEST');
    assertError(await srv.api('POST', url, { raw: '{"name":', headers: { 'Content-Type': 'application/json' } }),
      400, 'DP-400-INVALID-JSON');
    assert.deepEqual(await getProduct(p.id), p);
    assert.equal((await changelog(p.id)).length, 1);
  });

  test('unknown product 404, non-GUID id 400', async () => {
    assertError(await srv.api('POST', `${DP}/${MISSING_ID}/actions/activate`, { body: { name: 'n' } }),
      404, 'DP-404-NOT-FOUND');
    assertError(await srv.api('POST', `${DP}/not-a-guid/actions/activate`, { body: { name: 'n' } }),
      400, 'DP-400-INVALID-ID', /dataProductId/);
  });

  describe('invalid configuration -> 409 DP-409-ACTIVATION-INVALID listing every problem', () => {
    const problems = (res) => assertError(res, 409, 'DP-409-ACTIVATION-INVALID').detail.split('; ');

    async function expectUnchanged(p) {
      const now = await getProduct(p.id);
      assert.equal(now.activated, false);
      assert.deepEqual(now.activatedOn, []);
      assert.equal(now.activatedAt, undefined);
      assert.equal((await changelog(p.id)).length, 1);
    }

    test('no data sets (alone)', async () => {
      const p = await mkProduct({ keyContacts: [{ userId: srv.admin.userId }] });
      const res = await srv.api('POST', `${DP}/${p.id}/actions/activate`, { body: { name: 'n' } });
      const list = problems(res);
      assert.equal(list.length, 1, res.body.errors[0].detail);
      assert.match(list[0], /data ?sets?|datasetIds/i);
      await expectUnchanged(p);
    });

    test('no key contacts (alone)', async () => {
      const p = await mkProduct({ datasetIds: [ds.id] });
      const res = await srv.api('POST', `${DP}/${p.id}/actions/activate`, { body: { name: 'n' } });
      const list = problems(res);
      assert.equal(list.length, 1, res.body.errors[0].detail);
      assert.match(list[0], /key ?contacts?/i);
      await expectUnchanged(p);
    });

    test('a data set that no longer exists (alone)', { skip: !HAVE_SQLITE && 'sqlite3 CLI not installed' }, async () => {
      const gone = await mkDataset('Soon gone');
      const p = await activatable({ datasetIds: [ds.id, gone.id] });
      sql(`DELETE FROM datasets WHERE id = '${gone.id}'`);
      assertError(await srv.api('GET', `/api/v1/data-sets/${gone.id}`), 404, 'DP-404-NOT-FOUND');
      const res = await srv.api('POST', `${DP}/${p.id}/actions/activate`, { body: { name: 'n' } });
      const list = problems(res);
      assert.equal(list.length, 1, res.body.errors[0].detail);
      assert.ok(list[0].includes(gone.id), list[0]);
      assert.ok(!res.body.errors[0].detail.includes(ds.id), 'only the missing data set is named');
      await expectUnchanged(p);
    });

    test('apiConsumableDatasetIds not a subset of datasetIds (alone)', { skip: !HAVE_SQLITE && 'sqlite3 CLI not installed' }, async () => {
      const p = await activatable({ datasetIds: [ds.id, ds2.id], apiConsumableDatasetIds: [ds2.id] });
      setDatasetIds(p.id, [ds.id]);
      const res = await srv.api('POST', `${DP}/${p.id}/actions/activate`, { body: { name: 'n' } });
      const list = problems(res);
      assert.equal(list.length, 1, res.body.errors[0].detail);
      assert.match(list[0], /apiConsumableDatasetIds/);
      assert.ok(list[0].includes(ds2.id), list[0]);
    });

    test('no data sets + not a subset + no key contacts, all in one detail', { skip: !HAVE_SQLITE && 'sqlite3 CLI not installed' }, async () => {
      const p = await mkProduct({ datasetIds: [ds2.id], apiConsumableDatasetIds: [ds2.id] });
      setDatasetIds(p.id, []);
      const res = await srv.api('POST', `${DP}/${p.id}/actions/activate`, { body: { name: 'n' } });
      const list = problems(res);
      assert.equal(list.length, 3, res.body.errors[0].detail);
      assert.ok(list.some((s) => /no data sets|datasetIds is empty/i.test(s)), res.text);
      assert.ok(list.some((s) => /apiConsumableDatasetIds/.test(s)), res.text);
      assert.ok(list.some((s) => /key contacts?/i.test(s)), res.text);
    });

    test('missing data set + not a subset + no key contacts, all in one detail', { skip: !HAVE_SQLITE && 'sqlite3 CLI not installed' }, async () => {
      const gone = await mkDataset('Gone too');
      const p = await mkProduct({ datasetIds: [gone.id, ds2.id], apiConsumableDatasetIds: [ds2.id] });
      sql(`DELETE FROM datasets WHERE id = '${gone.id}'`);
      setDatasetIds(p.id, [gone.id]);
      const res = await srv.api('POST', `${DP}/${p.id}/actions/activate`, { body: { name: 'n' } });
      const list = problems(res);
      assert.equal(list.length, 3, res.body.errors[0].detail);
      assert.ok(list.some((s) => s.includes(gone.id)), res.text);
      assert.ok(list.some((s) => /apiConsumableDatasetIds/.test(s)), res.text);
      assert.ok(list.some((s) => /key contacts?/i.test(s)), res.text);
    });

    test('API-only: no data sets + no key contacts in one detail', async () => {
      const p = await mkProduct({ description: 'nothing attached' });
      const res = await srv.api('POST', `${DP}/${p.id}/actions/activate`, { body: { name: 'n' } });
      const list = problems(res);
      assert.equal(list.length, 2, res.body.errors[0].detail);
      assert.ok(list.some((s) => /data ?sets?|datasetIds/i.test(s)), res.text);
      assert.ok(list.some((s) => /key contacts?/i.test(s)), res.text);
      await expectUnchanged(p);
    });

    test('validation of the target space comes with the body, not the configuration', async () => {
      // an invalid configuration plus a shared target: either error is acceptable,
      // but the product must not change
      const p = await mkProduct({});
      const res = await srv.api('POST', `${DP}/${p.id}/actions/activate`, { body: { name: 'n', spaceId: shared.id } });
      assert.ok(res.status === 400 || res.status === 409, res.text);
      await expectUnchanged(p);
    });
  });
});

// -------------------------------------------------------------- deactivate

describe('deactivate', () => {
  test('409 when the product is not activated', async () => {
    const p = await activatable();
    assertError(await srv.api('POST', `${DP}/${p.id}/actions/deactivate`), 409, 'DP-409-PRODUCT-NOT-ACTIVATED');
    assert.equal((await changelog(p.id)).length, 1);
  });

  test('204; activated=false, activatedOn=[], activatedAt kept; changelog remove /activatedOn', async () => {
    const p = await activatable({ spaceId: managed.id });
    const act = await srv.api('POST', `${DP}/${p.id}/actions/activate`, { body: { name: p.name } });
    assert.equal(act.status, 201, act.text);
    const res = await srv.api('POST', `${DP}/${p.id}/actions/deactivate`);
    assert.equal(res.status, 204, res.text);
    assert.equal(res.text, '');
    const now = await getProduct(p.id);
    assert.equal(now.activated, false);
    assert.deepEqual(now.activatedOn, []);
    assert.equal(now.activatedAt, act.body.activatedAt);
    assert.equal(now.pendingChangesCount, 0);
    assert.equal(now.spaceId, managed.id);
    const entries = await changelog(p.id);
    assert.equal(entries.length, 3);
    assert.deepEqual(entries[0].changes, [{ operator: 'remove', path: '/activatedOn', value: [managed.id] }]);
    // and a second deactivation is a conflict again
    assertError(await srv.api('POST', `${DP}/${p.id}/actions/deactivate`), 409, 'DP-409-PRODUCT-NOT-ACTIVATED');
    assert.equal((await changelog(p.id)).length, 3);
  });

  test('an empty JSON object body is accepted', async () => {
    const p = await activatable();
    assert.equal((await srv.api('POST', `${DP}/${p.id}/actions/activate`, { body: { name: p.name } })).status, 201);
    const res = await srv.api('POST', `${DP}/${p.id}/actions/deactivate`, { body: {} });
    assert.equal(res.status, 204, res.text);
    assert.equal((await getProduct(p.id)).activated, false);
  });

  test('a non-empty body other than {} is rejected with 400 and changes nothing', async () => {
    const p = await activatable();
    const act = await srv.api('POST', `${DP}/${p.id}/actions/activate`, { body: { name: p.name } });
    assert.equal(act.status, 201);
    const url = `${DP}/${p.id}/actions/deactivate`;
    assertError(await srv.api('POST', url, { body: { reason: 'x' } }), 400, 'DP-400-VALIDATION');
    assertError(await srv.api('POST', url, { body: [] }), 400, 'DP-400-VALIDATION');
    for (const scalar of [null, 'x', 0]) {
      // a top-level scalar is either "not JSON we accept" or "not an empty object": 400 both ways
      const res = await srv.api('POST', url, { body: scalar });
      assert.equal(res.status, 400, res.text);
      assert.ok(['DP-400-VALIDATION', 'DP-400-INVALID-JSON'].includes(res.body.errors[0].code), res.text);
    }
    assertError(await srv.api('POST', url, { raw: '{', headers: { 'Content-Type': 'application/json' } }),
      400, 'DP-400-INVALID-JSON');
    const now = await getProduct(p.id);
    assert.equal(now.activated, true);
    assert.deepEqual(now, act.body);
  });

  test('unknown product 404', async () => {
    assertError(await srv.api('POST', `${DP}/${MISSING_ID}/actions/deactivate`), 404, 'DP-404-NOT-FOUND');
  });
});

// -------------------------------------------------------------------- move

describe('move', () => {
  test('to another space: 204 and changelog replace /spaceId', async () => {
    const p = await mkProduct({ spaceId: managed.id });
    const res = await srv.api('POST', `${DP}/${p.id}/actions/move`, { body: { spaceId: shared.id } });
    assert.equal(res.status, 204, res.text);
    assert.equal(res.text, '');
    const now = await getProduct(p.id);
    assert.equal(now.spaceId, shared.id);
    assert.ok(Date.parse(now.updatedAt) >= Date.parse(p.updatedAt));
    const entries = await changelog(p.id);
    assert.equal(entries.length, 2);
    assert.deepEqual(entries[0].changes, [{ operator: 'replace', path: '/spaceId', value: shared.id }]);
    assert.equal(entries[0].createdBy, srv.admin.userId);
  });

  test('a personal product can be moved into a space', async () => {
    const p = await mkProduct({});
    const res = await srv.api('POST', `${DP}/${p.id}/actions/move`, { body: { spaceId: managed2.id } });
    assert.equal(res.status, 204, res.text);
    assert.equal((await getProduct(p.id)).spaceId, managed2.id);
    assert.deepEqual((await changelog(p.id))[0].changes,
      [{ operator: 'replace', path: '/spaceId', value: managed2.id }]);
  });

  test('to the same space: 204, no changelog entry, updatedAt unchanged', async () => {
    const p = await mkProduct({ spaceId: managed.id });
    const res = await srv.api('POST', `${DP}/${p.id}/actions/move`, { body: { spaceId: managed.id } });
    assert.equal(res.status, 204, res.text);
    const now = await getProduct(p.id);
    assert.deepEqual(now, p);
    assert.equal((await changelog(p.id)).length, 1);
  });

  test('unknown target space 404; nothing changes', async () => {
    const p = await mkProduct({ spaceId: managed.id });
    assertError(await srv.api('POST', `${DP}/${p.id}/actions/move`, { body: { spaceId: MISSING_ID } }),
      404, 'DP-404-NOT-FOUND', /space/);
    assert.deepEqual(await getProduct(p.id), p);
    assert.equal((await changelog(p.id)).length, 1);
  });

  test('missing or invalid spaceId 400', async () => {
    const p = await mkProduct({ spaceId: managed.id });
    const url = `${DP}/${p.id}/actions/move`;
    assertError(await srv.api('POST', url, { body: {} }), 400, 'DP-400-VALIDATION', /spaceId/);
    assertError(await srv.api('POST', url, { body: { spaceId: null } }), 400, 'DP-400-VALIDATION', /spaceId/);
    assertError(await srv.api('POST', url, { body: { spaceId: 'abc' } }), 400, 'DP-400-VALIDATION', /spaceId/);
    assertError(await srv.api('POST', url, { body: { spaceId: managed.id.toUpperCase() } }), 400,
      'DP-400-VALIDATION', /spaceId/);
    assertError(await srv.api('POST', url, { body: { spaceId: 42 } }), 400, 'DP-400-VALIDATION', /spaceId/);
    assertError(await srv.api('POST', url, { body: { spaceId: shared.id, extra: 1 } }), 400,
      'DP-400-VALIDATION', /unknown field 'extra'/);
    assertError(await srv.api('POST', url, {}), 400, 'DP-400-BAD-REQUEST');
    assert.deepEqual(await getProduct(p.id), p);
  });

  test('unknown product 404', async () => {
    assertError(await srv.api('POST', `${DP}/${MISSING_ID}/actions/move`, { body: { spaceId: managed.id } }),
      404, 'DP-404-NOT-FOUND');
  });
});

// -------------------------------------------------------------- changelogs

describe('changelogs', () => {
  const N = 6; // patches -> N + 1 entries
  let p;
  let all; // newest first

  before(async () => {
    p = await mkProduct({ name: 'Changelog product', tags: ['c'] });
    for (let i = 1; i <= N; i++) {
      const res = await srv.api('PATCH', `${DP}/${p.id}`, {
        body: [{ op: 'replace', path: '/description', value: `revision ${i}` }],
      });
      assert.equal(res.status, 204, res.text);
    }
    all = await changelog(p.id);
  });

  test('create + N patches -> N+1 entries, newest first by default', async () => {
    const res = await srv.api('GET', `${DP}/${p.id}/changelogs`);
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type'), /^application\/json/);
    const b = res.body;
    assert.equal(b.total, N + 1);
    assert.equal(b.page, 1);
    assert.equal(b.limit, 20);
    assert.equal(b.pages, 1);
    assert.equal(b.data.length, N + 1);
    // newest first: the last patch, ..., the creation
    assert.deepEqual(b.data[0].changes, [{ operator: 'replace', path: '/description', value: `revision ${N}` }]);
    const last = b.data[N];
    assert.deepEqual(last.changes, [
      { operator: 'add', path: '/name', value: 'Changelog product' },
      { operator: 'add', path: '/tags', value: ['c'] },
    ]);
    for (let i = 0; i < N; i++) {
      assert.deepEqual(b.data[i].changes, [{ operator: 'replace', path: '/description', value: `revision ${N - i}` }]);
      assert.ok(b.data[i].createdAt >= b.data[i + 1].createdAt);
    }
    for (const e of b.data) {
      assert.match(e.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.match(e.createdAt, ISO_MS);
      assert.equal(e.createdBy, srv.admin.userId);
    }
    assert.equal(new Set(b.data.map((e) => e.id)).size, N + 1);
    assert.equal(b.links.prev, undefined);
    assert.equal(b.links.next, undefined);
  });

  test('sort=-createdAt is the default; sort=+createdAt is oldest first', async () => {
    const desc = await srv.api('GET', `${DP}/${p.id}/changelogs?sort=-createdAt`);
    assert.equal(desc.status, 200, desc.text);
    assert.deepEqual(desc.body.data.map((e) => e.id), all.map((e) => e.id));
    const asc = await srv.api('GET', `${DP}/${p.id}/changelogs?sort=%2BcreatedAt`);
    assert.equal(asc.status, 200, asc.text);
    assert.deepEqual(asc.body.data.map((e) => e.id), all.map((e) => e.id).reverse());
    assert.deepEqual(asc.body.data[0].changes.map((c) => c.operator), ['add', 'add']);
  });

  test('invalid sort, limit and page -> 400 DP-400-INVALID-QUERY', async () => {
    const base = `${DP}/${p.id}/changelogs`;
    for (const q of ['sort=bogus', 'sort=createdAt', 'sort=-name', 'sort=%2Bname', 'sort=',
      'limit=0', 'limit=101', 'limit=-1', 'limit=abc', 'limit=', 'limit=1.5',
      'page=0', 'page=-1', 'page=x', 'page=', 'page=1000001']) {
      const res = await srv.api('GET', `${base}?${q}`);
      const e = assertError(res, 400, 'DP-400-INVALID-QUERY');
      const name = q.split('=')[0];
      assert.ok(e.detail.includes(name), `detail for ${q} names '${name}': ${e.detail}`);
    }
  });

  test('limit 1 and 100 are accepted', async () => {
    const one = await srv.api('GET', `${DP}/${p.id}/changelogs?limit=1`);
    assert.equal(one.status, 200, one.text);
    assert.equal(one.body.data.length, 1);
    assert.equal(one.body.pages, N + 1);
    const hundred = await srv.api('GET', `${DP}/${p.id}/changelogs?limit=100`);
    assert.equal(hundred.status, 200, hundred.text);
    assert.equal(hundred.body.data.length, N + 1);
  });

  test('paging envelope: absolute links with the full query, pages = ceil(total/limit), prev/next absent at the ends', async () => {
    const limit = 3;
    const pages = Math.ceil((N + 1) / limit);
    const path = `${DP}/${p.id}/changelogs`;
    for (let page = 1; page <= pages; page++) {
      const res = await srv.api('GET', `${path}?limit=${limit}&sort=-createdAt&page=${page}`);
      assert.equal(res.status, 200, res.text);
      const b = res.body;
      assert.equal(b.page, page);
      assert.equal(b.limit, limit);
      assert.equal(b.total, N + 1);
      assert.equal(b.pages, pages);
      assert.deepEqual(b.data.map((e) => e.id), all.slice((page - 1) * limit, page * limit).map((e) => e.id));
      for (const [rel, href] of Object.entries(b.links).map(([k, v]) => [k, v.href])) {
        const u = new URL(href);
        assert.equal(u.origin, srv.url, `${rel} is absolute on the server's origin: ${href}`);
        assert.equal(u.pathname, path);
        assert.equal(u.searchParams.get('limit'), String(limit), `${rel} keeps limit: ${href}`);
        assert.equal(u.searchParams.get('sort'), '-createdAt', `${rel} keeps sort: ${href}`);
        assert.equal(u.searchParams.getAll('page').length, 1, `${rel} has one page: ${href}`);
      }
      const pageOf = (rel) => Number(new URL(b.links[rel].href).searchParams.get('page'));
      assert.equal(pageOf('self'), page);
      assert.equal(pageOf('first'), 1);
      assert.equal(pageOf('last'), pages);
      if (page === 1) assert.equal(b.links.prev, undefined);
      else assert.equal(pageOf('prev'), page - 1);
      if (page === pages) assert.equal(b.links.next, undefined);
      else assert.equal(pageOf('next'), page + 1);
    }
  });

  test('ascending sort survives in the links (+ encoded)', async () => {
    const res = await srv.api('GET', `${DP}/${p.id}/changelogs?sort=%2BcreatedAt&limit=2`);
    assert.equal(res.status, 200, res.text);
    const next = new URL(res.body.links.next.href);
    assert.equal(next.searchParams.get('sort'), '+createdAt');
    const page2 = await fetch(res.body.links.next.href, { headers: { Authorization: `Bearer ${srv.key}` } });
    assert.equal(page2.status, 200);
    const b2 = await page2.json();
    assert.deepEqual(b2.data.map((e) => e.id), all.map((e) => e.id).reverse().slice(2, 4));
  });

  test('following next hrefs verbatim walks every entry exactly once', async () => {
    for (const [limit, sort, expected] of [[2, '', all], [1, '&sort=%2BcreatedAt', [...all].reverse()],
      [4, '&sort=-createdAt', all]]) {
      let href = `${srv.url}${DP}/${p.id}/changelogs?limit=${limit}${sort}`;
      const seen = [];
      let hops = 0;
      while (href) {
        assert.ok(++hops <= N + 2, 'the walk ends');
        const res = await fetch(href, { headers: { Authorization: `Bearer ${srv.key}` } });
        assert.equal(res.status, 200, href);
        const b = await res.json();
        seen.push(...b.data.map((e) => e.id));
        href = b.links.next?.href;
      }
      assert.deepEqual(seen, expected.map((e) => e.id), `limit=${limit}${sort}`);
      assert.equal(hops, Math.ceil((N + 1) / limit));
    }
  });

  test('a page past the end is empty and still well-formed', async () => {
    const res = await srv.api('GET', `${DP}/${p.id}/changelogs?limit=5&page=9`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.data, []);
    assert.equal(res.body.total, N + 1);
    assert.equal(res.body.pages, 2);
    assert.equal(res.body.links.next, undefined);
  });

  test('unknown product 404, non-GUID id 400', async () => {
    assertError(await srv.api('GET', `${DP}/${MISSING_ID}/changelogs`), 404, 'DP-404-NOT-FOUND');
    assertError(await srv.api('GET', `${DP}/NOT-A-GUID/changelogs`), 400, 'DP-400-INVALID-ID');
  });
});

// ---------------------------------------------------- export-documentation

/** Number of table-cell separators (| not preceded by a backslash) in a line. */
function unescapedPipes(line) {
  let n = 0;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\\') { i++; continue; }
    if (line[i] === '|') n++;
  }
  return n;
}

/** Every table in the Markdown: its rows all have the header row's cell count. */
function assertTablesIntact(md) {
  const lines = md.split('\n');
  let header = null;
  for (const line of lines) {
    if (line.startsWith('|')) {
      const n = unescapedPipes(line);
      if (header === null) header = n;
      else assert.equal(n, header, `table row has ${n} separators, header has ${header}: ${line}`);
    } else {
      header = null;
    }
  }
}

describe('export-documentation', () => {
  const readMe = '## Usage\n\nJoin **orders** with customers.\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n';
  const glossaryId = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
  let p;
  let space;

  before(async () => {
    space = await mkSpace('managed', 'Finance space');
    p = await mkProduct({
      name: 'Sales Insights 2025',
      description: 'Everything about sales.',
      readMe,
      spaceId: space.id,
      tags: ['sales', 'finance'],
      datasetIds: [ds.id, ds2.id],
      glossaryIds: [glossaryId],
      keyContacts: [{ userId: srv.admin.userId, role: 'Steward' }],
    });
  });

  const url = (id, q = '') => `${DP}/${id}/actions/export-documentation${q}`;

  test('200 text/markdown with the documented sections', async () => {
    const res = await srv.api('GET', url(p.id));
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type'), /^text\/markdown(;\s*charset=utf-8)?$/i);
    assert.equal(res.headers.get('content-disposition'), 'attachment; filename="sales-insights-2025.md"');
    const md = res.text;
    assert.ok(md.startsWith('# Sales Insights 2025\n'), md.slice(0, 80));
    assert.ok(md.includes('\nEverything about sales.\n'), 'description');
    // metadata table
    assert.match(md, /\n## Metadata\n/);
    assert.match(md, new RegExp(`\\| ID \\| \`${p.id}\` \\|`));
    assert.ok(md.includes('Finance space'), 'space name');
    assert.ok(md.includes(space.id), 'space id');
    assert.ok(md.includes('Steward'), 'key contact role');
    assert.match(md, /\| Tags \| sales, finance \|/);
    assert.match(md, /\| Status \| Draft \|/);
    // readMe verbatim
    assert.match(md, /\n## Read me\n/);
    assert.ok(md.includes(readMe), 'readMe is exported verbatim');
    // data sets with field tables
    assert.match(md, /\n## Data sets\n/);
    assert.match(md, /\n### Orders\n/);
    assert.match(md, /\n### Customers\n/);
    assert.ok(md.includes('The Orders data set'), 'data set description');
    assert.ok(md.includes('orders'), 'technical name');
    assert.match(md, /\| Field \| Type \| Description \|/);
    assert.match(md, /\| order\\?_id \| INTEGER \| Order number \|/);
    assert.match(md, /\| amount \| DOUBLE \| Amount in EUR \|/);
    assert.match(md, /\| customer\\?_id \| STRING \|/);
    // glossary ids
    assert.match(md, /\n## Glossary\n/);
    assert.ok(md.slice(md.indexOf('## Glossary')).includes(glossaryId), 'glossary id listed');
    // section order
    const order = ['# Sales', '## Metadata', '## Read me', '## Data sets', '## Glossary'].map((h) => md.indexOf(h));
    assert.deepEqual([...order].sort((a, b) => a - b), order);
    assertTablesIntact(md);
  });

  test('owner and key contacts are shown with user names and roles', async () => {
    const res = await srv.api('GET', url(p.id));
    assert.equal(res.status, 200, res.text);
    // bootstrap names the admin after the local part of its email (admin@example.com)
    assert.match(res.text, /\n\| Owner \| admin \|\n/);
    assert.match(res.text, /\n\| Key contacts \| admin \\?\(Steward\\?\) \|\n/);
  });

  test('activation state shows in the metadata', async () => {
    const q = await activatable({ name: 'Active doc', spaceId: managed.id });
    assert.equal((await srv.api('POST', `${DP}/${q.id}/actions/activate`, { body: { name: 'Active doc' } })).status, 201);
    const res = await srv.api('GET', url(q.id));
    assert.equal(res.status, 200, res.text);
    assert.match(res.text, /\| Status \| Activated \|/);
    assert.ok(res.text.includes(managed.id));
  });

  test('Markdown-special characters in user text are escaped: tables stay intact', async () => {
    const sp = await mkSpace('shared', 'p [q](r) _s_ ~t~ & `u`'); // | and * are not legal in space names
    const weird = await mkProduct({
      name: 'a | b *c*',
      description: '# not a heading | _x_',
      spaceId: sp.id,
      tags: ['x | y', '<b>t</b>'],
      keyContacts: [{ userId: srv.admin.userId, role: 'r | s' }],
      datasetIds: [ds.id],
    });
    const res = await srv.api('GET', url(weird.id));
    assert.equal(res.status, 200, res.text);
    const md = res.text;
    const heading = md.split('\n')[0];
    assert.ok(heading.startsWith('# '), heading);
    assert.ok(!/[^\\]\|/.test(heading.slice(2)), `unescaped | in heading: ${heading}`);
    assert.ok(!/(^|[^\\])\*/.test(heading.slice(2)), `unescaped * in heading: ${heading}`);
    assert.ok(!md.includes('\n# not a heading'), 'description cannot start a heading');
    assertTablesIntact(md);
    assert.match(res.headers.get('content-disposition'), /^attachment; filename="a-b-c\.md"$/);
    // rendered, the heading shows the literal text and the table has two columns per row
    const html = await srv.api('GET', url(weird.id, '?format=html'));
    assert.equal(html.status, 200, html.text);
    assert.match(html.text, /<h1>a \| b \*c\*<\/h1>/);
    const table = html.text.slice(html.text.indexOf('<table>'), html.text.indexOf('</table>'));
    for (const row of table.split('<tr>').slice(1)) {
      const cells = (row.match(/<t[dh][ >]/g) || []).length;
      assert.equal(cells, 2, `metadata row with ${cells} cells: ${row}`);
    }
    assert.ok(!html.text.includes('<b>t</b>'), 'raw HTML in a tag is not passed through');
  });

  test('Accept header rules', async () => {
    for (const accept of [undefined, '*/*', 'text/*', 'text/markdown', 'application/json, text/markdown',
      'text/markdown; charset=utf-8', 'text/html;q=0.5, */*;q=0.1', 'TEXT/MARKDOWN']) {
      const headers = accept === undefined ? {} : { Accept: accept };
      const res = await srv.api('GET', url(p.id), { headers });
      assert.equal(res.status, 200, `Accept: ${accept} -> ${res.status} ${res.text.slice(0, 200)}`);
      assert.match(res.headers.get('content-type'), /^text\/markdown/);
    }
    for (const accept of ['application/json', 'text/markdown;q=0', 'text/html', 'image/*',
      'application/*', 'text/markdown;q=0, application/json']) {
      const res = await srv.api('GET', url(p.id), { headers: { Accept: accept } });
      assertError(res, 406, 'DP-406-NOT-ACCEPTABLE');
    }
  });

  test('format=markdown is the default; format=html renders HTML', async () => {
    const md = await srv.api('GET', url(p.id, '?format=markdown'));
    assert.equal(md.status, 200);
    assert.match(md.headers.get('content-type'), /^text\/markdown/);
    const res = await srv.api('GET', url(p.id, '?format=html'));
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type'), /^text\/html(;\s*charset=utf-8)?$/i);
    assert.equal(res.headers.get('content-disposition'), 'attachment; filename="sales-insights-2025.html"');
    assert.match(res.text, /<h1>Sales Insights 2025<\/h1>/);
    assert.match(res.text, /<h2>Metadata<\/h2>/);
    assert.match(res.text, /<strong>orders<\/strong>/);
    assert.match(res.text, /<table>/);
    // Accept applies to the html type
    assert.equal((await srv.api('GET', url(p.id, '?format=html'), { headers: { Accept: 'text/html' } })).status, 200);
    assert.equal((await srv.api('GET', url(p.id, '?format=html'), { headers: { Accept: 'text/*' } })).status, 200);
    assertError(await srv.api('GET', url(p.id, '?format=html'), { headers: { Accept: 'text/markdown' } }),
      406, 'DP-406-NOT-ACCEPTABLE');
  });

  test('HTML export never passes raw HTML from the readMe through', async () => {
    const evil = await mkProduct({
      name: 'Evil',
      readMe: 'Hello <script>alert(1)</script>\n\n<script>\nalert(2)\n</script>\n\n<img src=x onerror=alert(3)>\n\n<SCRIPT>alert(4)</SCRIPT>\n',
    });
    const res = await srv.api('GET', url(evil.id, '?format=html'));
    assert.equal(res.status, 200, res.text);
    assert.ok(!/<script/i.test(res.text), res.text);
    assert.ok(!/<img/i.test(res.text), res.text);
    // the Markdown export keeps the readMe verbatim
    const md = await srv.api('GET', url(evil.id));
    assert.ok(md.text.includes('<script>alert(1)</script>'));
  });

  test('any other format -> 415 DP-415-UNSUPPORTED-FORMAT', async () => {
    for (const f of ['pdf', 'HTML', 'json', '']) {
      assertError(await srv.api('GET', url(p.id, `?format=${f}`)), 415, 'DP-415-UNSUPPORTED-FORMAT');
    }
  });

  test('a product without optional content still exports', async () => {
    const bare = await mkProduct({ name: '!!!' });
    const res = await srv.api('GET', url(bare.id));
    assert.equal(res.status, 200, res.text);
    assert.match(res.text, /^# \\?!\\?!\\?!\n/);
    assert.match(res.headers.get('content-disposition'), /^attachment; filename="[a-z0-9-]+\.md"$/);
    assert.match(res.text, /## Read me/);
    assert.match(res.text, /## Data sets/);
    assert.match(res.text, /## Glossary/);
  });

  test('unknown product 404, non-GUID id 400', async () => {
    assertError(await srv.api('GET', url(MISSING_ID)), 404, 'DP-404-NOT-FOUND');
    assertError(await srv.api('GET', url('nope')), 400, 'DP-400-INVALID-ID');
  });
});

// --------------------------------------------------- generate-provider-url

describe('generate-provider-url', () => {
  const url = `${DP}/actions/generate-provider-url`;

  test('missing or non-GUID dataSetId -> 400 DP-400-INVALID-QUERY', async () => {
    for (const q of ['', '?dataSetId=', '?dataSetId=abc', `?dataSetId=${ds.id.toUpperCase()}`,
      `?dataSetId=${ds.id}x`]) {
      assertError(await srv.api('POST', url + q), 400, 'DP-400-INVALID-QUERY', /dataSetId/);
    }
  });

  test('unknown data set -> 404 DP-404-NOT-FOUND', async () => {
    assertError(await srv.api('POST', `${url}?dataSetId=${MISSING_ID}`), 404, 'DP-404-NOT-FOUND');
  });

  test('existing data set without a configured provider -> 404 DP-404-PROVIDER-NOT-CONFIGURED', async () => {
    const e = assertError(await srv.api('POST', `${url}?dataSetId=${ds.id}`), 404, 'DP-404-PROVIDER-NOT-CONFIGURED');
    assert.ok(e.detail.length > 0);
  });

  test('GET -> 405 with Allow: POST', async () => {
    const res = await srv.api('GET', `${url}?dataSetId=${ds.id}`);
    assertError(res, 405, 'DP-405-METHOD-NOT-ALLOWED');
    assert.deepEqual(res.headers.get('allow').split(/,\s*/), ['POST']);
  });

  test('requires authentication', async () => {
    assertError(await srv.api('POST', `${url}?dataSetId=${ds.id}`, { key: null }), 401, 'DP-401-UNAUTHORIZED');
  });
});
