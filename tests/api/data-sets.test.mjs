// data-sets: /api/v1/data-sets complete (issue 4, SPEC §5), black-box over
// HTTP and through @qlik/api's data-sets module: create, get, PUT (full
// replacement), JSON Patch (RFC 6902, atomic), batch delete (DELETE with a
// body and POST .../actions/delete, all or nothing), profiles, the
// operational.location rules, ETag / If-Match, permissions and tenancy as
// docs/decisions.md ("Data sets") records them.
//
// Fixture (one server):
//   users     tenant roles         space S (shared, admin's)   space T (shared, admin's)
//   alice     DataProductCreator   producer                    —
//   bob       —                    —                           —
//   carol     DataProductCreator   consumer                    consumer
//   dave      DataProductCreator   facilitator                 producer
// plus a second tenant "other" with its own admin.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, bootstrap, MISSING_ID } from './lib/server.mjs';
import { DP, GUID_RE, ISO_MS_RE, assertError, uniqueName } from './lib/fixtures.mjs';
import { setDefaultHostConfig } from '@qlik/api/auth';
import * as dataSets from '@qlik/api/data-sets';

const DS = '/api/v1/data-sets';
const SERVER_FIELDS = ['id', 'tenantId', 'createdBy', 'createdTime', 'lastModifiedBy', 'lastModifiedTime', 'version', 'ownerId'];

let srv;
let other; // {tenantId, userId, apiKey} of the second tenant's admin
const U = {}; // users {id, key, label}; U.admin is the harness admin
const SP = {}; // spaces

// ---------------------------------------------------------------- helpers

function call(who, method, p, body, headers) {
  return srv.api(method, p, { key: who.key, body, headers });
}

async function mkUser(label, roles) {
  const res = await srv.api('POST', '/api/v1/users', {
    body: { subject: `sub|${label}-${process.pid}`, email: `${label}-${process.pid}@example.com`, name: label,
      assignedRoles: roles.map((name) => ({ name })) },
  });
  assert.equal(res.status, 201, res.text);
  const key = await srv.api('POST', '/api/v1/api-keys', { body: { description: `key of ${label}`, sub: res.body.id } });
  assert.equal(key.status, 201, key.text);
  return { id: res.body.id, key: key.body.token, label };
}

async function mkSpace(name) {
  const res = await srv.api('POST', '/api/v1/spaces', { body: { name, type: 'shared' } });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

async function assign(space, user, roles) {
  const res = await srv.api('POST', `/api/v1/spaces/${space.id}/assignments`, { body: { assigneeId: user.id, type: 'user', roles } });
  assert.equal(res.status, 201, res.text);
}

/** POST a data set as `who` (default admin) and return its body; asserts 201. */
async function mkDs(fields = {}, who = U.admin) {
  const name = uniqueName('ds');
  const res = await call(who, 'POST', DS, { name, technicalName: `${name}.csv`, ...fields });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

/** The admin's view of a data set: status, document and ETag. */
async function snap(id) {
  const g = await srv.api('GET', `${DS}/${id}`);
  return { status: g.status, doc: g.body, etag: g.headers.get('etag') };
}

/** Runs fn (one request) and asserts the data set is exactly as before it. */
async function unchanged(id, fn) {
  const before = await snap(id);
  assert.equal(before.status, 200, `data set ${id} must exist before`);
  const res = await fn();
  assert.deepEqual(await snap(id), before, `data set ${id} changed after ${res.status} ${res.text}`);
  return res;
}

function patch(who, id, ops, headers) {
  return call(who, 'PATCH', `${DS}/${id}`, ops, headers);
}

/** A PUT body from a stored document: everything but the server fields. */
function editable(doc) {
  const b = { ...doc };
  for (const k of SERVER_FIELDS) delete b[k];
  return b;
}

const FULL = {
  description: 'Orders from the web shop',
  technicalDescription: 'nightly export',
  tags: ['sales', 'web'],
  type: 'DELIMETED',
  properties: { delimiter: ',' },
  operational: { location: 'shop/orders.csv', rowCount: 3, status: 'ok' },
  schema: {
    schemaName: 'orders',
    dataFields: [
      { name: 'id', dataType: { type: 'INTEGER' }, primaryKey: true, description: 'order id' },
      { name: 'amount', dataType: { type: 'DECIMAL', properties: { precision: 10, scale: 2 } }, tags: ['money'] },
      { name: 'placed', dataType: { type: 'DATE' } },
    ],
  },
};

// ---------------------------------------------------------------- fixture

before(async () => {
  srv = await startServer({ args: ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0'] });
  other = bootstrap(srv.db, 'other', 'o@other.example.com');
  U.admin = { id: srv.admin.userId, key: srv.key, label: 'admin' };
  U.alice = await mkUser('alice', ['DataProductCreator']);
  U.bob = await mkUser('bob', []);
  U.carol = await mkUser('carol', ['DataProductCreator']);
  U.dave = await mkUser('dave', ['DataProductCreator']);
  SP.S = await mkSpace(uniqueName('S'));
  SP.T = await mkSpace(uniqueName('T'));
  await assign(SP.S, U.alice, ['producer']);
  await assign(SP.S, U.carol, ['consumer']);
  await assign(SP.T, U.carol, ['consumer']);
  await assign(SP.S, U.dave, ['facilitator']);
  await assign(SP.T, U.dave, ['producer']);
  setDefaultHostConfig({ authType: 'apikey', host: srv.url, apiKey: srv.key });
});

after(async () => { await srv?.stop(); });

// ---------------------------------------------------------------- create / get

describe('create and get', () => {
  test('201 with ETag and Location; GET returns the same document and ETag', async () => {
    const res = await srv.api('POST', DS, { body: { name: 'Orders', technicalName: 'orders.csv', ...FULL } });
    assert.equal(res.status, 201, res.text);
    const d = res.body;
    assert.match(d.id, GUID_RE);
    assert.equal(res.headers.get('location'), `${DS}/${d.id}`);
    assert.match(res.headers.get('etag'), /^"[0-9a-f]{32}"$/);
    assert.equal(d.version, 1);
    assert.equal(d.ownerId, U.admin.id);
    assert.equal(d.createdBy, U.admin.id);
    assert.equal(d.lastModifiedBy, U.admin.id);
    assert.match(d.createdTime, ISO_MS_RE);
    assert.equal(d.lastModifiedTime, d.createdTime);
    assert.equal(d.qri, `qri:dataset:${d.tenantId}:${d.id}`);
    assert.deepEqual(d.operational, FULL.operational);
    const g = await srv.api('GET', `${DS}/${d.id}`);
    assert.equal(g.status, 200);
    assert.deepEqual(g.body, d);
    assert.equal(g.headers.get('etag'), res.headers.get('etag'));
  });

  test('GET: 404 for an unknown id, 400 for a non-GUID id', async () => {
    assertError(await srv.api('GET', `${DS}/${MISSING_ID}`), 404, 'DP-404-NOT-FOUND', MISSING_ID);
    assertError(await srv.api('GET', `${DS}/not-a-guid`), 400, 'DP-400-INVALID-ID', 'dataSetId');
  });
});

// ---------------------------------------------------------------- location

describe('operational.location: a relative path inside the data root', () => {
  const BAD = [
    ['/etc/passwd', 'leading'],
    ['../secret.csv', "'..'"],
    ['a/../../b.csv', "'..'"],
    ['a/..', "'..'"],
    ['..', "'..'"],
    ['a\\b.csv', '\\'],
    ['..\\x.csv', '\\'],
    ['', 'empty'],
    ['x'.repeat(1025), '1024'],
  ];
  const GOOD = ['orders.csv', 'shop/2026/orders.csv', '..hidden/x.csv', 'a/..b/c..', './x.csv', 'x'.repeat(1024), 's3://bucket/x.csv'];

  test('create: bad locations are 400 naming operational.location, and nothing is created', async () => {
    for (const [location, why] of BAD) {
      const name = uniqueName('badloc');
      const res = await srv.api('POST', DS, { body: { name, technicalName: name, operational: { location } } });
      const e = assertError(res, 400, 'DP-400-VALIDATION', 'operational.location');
      assert.ok(e.detail.includes(why), `${JSON.stringify(location)}: ${e.detail}`);
    }
    // a NUL cannot even be written: \u0000 in a JSON string is rejected by the parser
    const nul = await srv.api('POST', DS, { raw: '{"name":"n","technicalName":"t","operational":{"location":"a\\u0000.csv"}}', headers: { 'Content-Type': 'application/json' } });
    assert.equal(nul.status, 400, nul.text);
  });

  test('create: relative locations are accepted as given; null and absent mean none', async () => {
    for (const location of GOOD) {
      const d = await mkDs({ operational: { location } });
      assert.equal(d.operational.location, location);
    }
    // null inside a documented object means absent, as at the top level (no nulls on the wire)
    const n = await mkDs({ operational: { location: null, status: 'x' }, properties: { keep: null } });
    assert.deepEqual(n.operational, { status: 'x' });
    assert.deepEqual(n.properties, { keep: null }, 'free-form properties keep their values');
    const p = await patch(U.admin, n.id, [{ op: 'add', path: '/operational/location', value: 'a.csv' }, { op: 'replace', path: '/operational/location', value: null }]);
    assert.equal(p.status, 200, p.text);
    assert.deepEqual(p.body.operational, { status: 'x' });
  });

  test('PUT and PATCH apply the same rules and change nothing when they fail', async () => {
    const d = await mkDs({ operational: { location: 'ok.csv' } });
    for (const [location] of BAD) {
      assertError(await unchanged(d.id, () => srv.api('PUT', `${DS}/${d.id}`, { body: { ...editable(d), operational: { location } } })),
        400, 'DP-400-VALIDATION', 'operational.location');
      assertError(await unchanged(d.id, () => patch(U.admin, d.id, [{ op: 'replace', path: '/operational/location', value: location }])),
        400, 'DP-400-VALIDATION', 'operational.location');
      assertError(await unchanged(d.id, () => patch(U.admin, d.id, [{ op: 'add', path: '/operational', value: { location } }])),
        400, 'DP-400-VALIDATION', 'operational.location');
    }
    const res = await patch(U.admin, d.id, [{ op: 'replace', path: '/operational/location', value: 'dir/new.csv' }]);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.operational.location, 'dir/new.csv');
  });
});

// ---------------------------------------------------------------- PUT

describe('PUT /api/v1/data-sets/{id}: full replacement', () => {
  test('replaces every editable field, keeps server fields, stamps lastModified*, version + 1', async () => {
    const d = await mkDs({ ...FULL }, U.alice);
    const e0 = (await snap(d.id)).etag;
    const body = { name: 'Renamed', technicalName: 'renamed.csv', tags: ['new'], schema: { dataFields: [{ name: 'x', dataType: { type: 'STRING' } }] } };
    const res = await srv.api('PUT', `${DS}/${d.id}`, { body });
    assert.equal(res.status, 200, res.text);
    const n = res.body;
    assert.equal(n.name, 'Renamed');
    assert.equal(n.technicalName, 'renamed.csv');
    assert.deepEqual(n.tags, ['new']);
    assert.deepEqual(n.schema, body.schema);
    for (const k of ['description', 'technicalDescription', 'operational', 'properties', 'type']) assert.ok(!(k in n), `${k} must be gone`);
    for (const k of ['id', 'tenantId', 'createdBy', 'createdTime', 'ownerId']) assert.equal(n[k], d[k], k);
    assert.equal(n.ownerId, U.alice.id, 'the owner stays the creator');
    assert.equal(n.lastModifiedBy, U.admin.id);
    assert.match(n.lastModifiedTime, ISO_MS_RE);
    assert.ok(n.lastModifiedTime >= d.lastModifiedTime);
    assert.equal(n.version, 2);
    // generated fields as on create: qri/secureQri regenerated, dataAssetInfo kept
    assert.equal(n.qri, `qri:dataset:${d.tenantId}:${d.id}`);
    assert.equal(n.secureQri, n.qri);
    assert.deepEqual(n.dataAssetInfo, d.dataAssetInfo);
    const g = await srv.api('GET', `${DS}/${d.id}`);
    assert.deepEqual(g.body, n);
    assert.equal(res.headers.get('etag'), g.headers.get('etag'));
    assert.notEqual(res.headers.get('etag'), e0, 'the ETag changes with the document');
  });

  test('server fields in the body are ignored; id may be absent, null or the path id', async () => {
    const d = await mkDs();
    const sneaky = { ...editable(d), name: 'A', ownerId: U.bob.id, createdBy: U.bob.id, createdTime: '2000-01-01T00:00:00.000Z',
      lastModifiedBy: U.bob.id, lastModifiedTime: '2000-01-01T00:00:00.000Z', version: 99, tenantId: other.tenantId };
    for (const id of [undefined, null, d.id]) {
      const res = await srv.api('PUT', `${DS}/${d.id}`, { body: id === undefined ? sneaky : { ...sneaky, id, name: `n-${id}` } });
      assert.equal(res.status, 200, res.text);
      for (const k of ['id', 'tenantId', 'createdBy', 'createdTime', 'ownerId']) assert.equal(res.body[k], d[k], k);
      assert.equal(res.body.lastModifiedBy, U.admin.id);
      assert.notEqual(res.body.version, 99);
    }
    assert.equal((await srv.api('GET', `${DS}/${d.id}`)).body.version, 4);
    for (const id of [MISSING_ID, 'abc', 7, d.id.toUpperCase()]) {
      assertError(await unchanged(d.id, () => srv.api('PUT', `${DS}/${d.id}`, { body: { ...editable(d), id } })),
        400, 'DP-400-VALIDATION', "'id'");
    }
  });

  test('validated like create: 400 naming the field, nothing changes', async () => {
    const d = await mkDs({ ...FULL });
    const base = editable(d);
    const cases = [
      [{ ...base, technicalName: undefined }, 'technicalName'],
      [{ ...base, name: '   ' }, 'name'],
      [{ ...base, name: 5 }, 'name'],
      [{ ...base, descripton: 'typo' }, "unknown field 'descripton'"],
      [{ ...base, tags: ['a', 'a'] }, 'tags'],
      [{ ...base, spaceId: 'nope' }, 'spaceId'],
      [{ ...base, schema: { dataFields: [{ name: 'f', dataType: { type: 'VARCHAR' } }] } }, 'schema.dataFields[0].dataType.type'],
      [{ ...base, schema: { dataFields: [{ name: 'f', dataType: { type: 'STRING' } }, { name: 'f', dataType: { type: 'STRING' } }] } }, 'twice'],
      [{ ...base, operational: { rowCount: 'many' } }, 'operational'],
    ];
    for (const [body, needle] of cases) {
      const b = JSON.parse(JSON.stringify(body)); // drops undefined members
      assertError(await unchanged(d.id, () => srv.api('PUT', `${DS}/${d.id}`, { body: b })), 400, 'DP-400-VALIDATION', needle);
    }
    assertError(await unchanged(d.id, () => srv.api('PUT', `${DS}/${d.id}`, { body: [] })), 400, 'DP-400-VALIDATION');
    assertError(await unchanged(d.id, () => srv.api('PUT', `${DS}/${d.id}`)), 400, 'DP-400-BAD-REQUEST');
    assertError(await unchanged(d.id, () => srv.api('PUT', `${DS}/${d.id}`, { raw: '{"name":', headers: { 'Content-Type': 'application/json' } })), 400, 'DP-400-INVALID-JSON');
    // a space that does not exist is 404, as on create
    assertError(await unchanged(d.id, () => srv.api('PUT', `${DS}/${d.id}`, { body: { ...base, spaceId: MISSING_ID } })), 404, 'DP-404-NOT-FOUND', 'spaceId');
  });

  test('a PUT that changes nothing answers 200 and writes nothing (same version and ETag)', async () => {
    const d = await mkDs({ ...FULL });
    const before = await snap(d.id);
    const res = await srv.api('PUT', `${DS}/${d.id}`, { body: editable(d) });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, before.doc);
    assert.equal(res.headers.get('etag'), before.etag);
    assert.deepEqual(await snap(d.id), before);
  });

  test('404 for an unknown id; 400 for a non-GUID id', async () => {
    assertError(await srv.api('PUT', `${DS}/${MISSING_ID}`, { body: { name: 'n', technicalName: 't' } }), 404, 'DP-404-NOT-FOUND');
    assertError(await srv.api('PUT', `${DS}/x`, { body: { name: 'n', technicalName: 't' } }), 400, 'DP-400-INVALID-ID');
  });
});

// ---------------------------------------------------------------- PATCH

describe('PATCH /api/v1/data-sets/{id}: RFC 6902 JSON Patch', () => {
  test('every op kind works on the document; 200 with the data set; version + 1 per real change', async () => {
    const d = await mkDs({ ...FULL, description: 'old' });
    const ops = [
      { op: 'replace', path: '/name', value: 'Patched' },
      { op: 'add', path: '/tags/-', value: 'gold' },
      { op: 'add', path: '/tags/0', value: 'first' },
      { op: 'remove', path: '/tags/2' },
      { op: 'test', path: '/schema/dataFields/0/name', value: 'id' },
      { op: 'add', path: '/schema/dataFields/0/description', value: 'the order id' },
      { op: 'move', from: '/technicalDescription', path: '/description' },
      { op: 'copy', from: '/schema/dataFields/1/tags', path: '/schema/dataFields/2/tags' },
      { op: 'add', path: '/properties/a~1b', value: { nested: [1, 2] } },
      { op: 'remove', path: '/operational/rowCount' },
    ];
    const res = await patch(U.admin, d.id, ops, { 'Content-Type': 'application/json-patch+json' });
    assert.equal(res.status, 200, res.text);
    const n = res.body;
    assert.equal(n.name, 'Patched');
    assert.deepEqual(n.tags, ['first', 'sales', 'gold']);
    assert.equal(n.schema.dataFields[0].description, 'the order id');
    assert.equal(n.description, 'nightly export');
    assert.ok(!('technicalDescription' in n));
    assert.deepEqual(n.schema.dataFields[2].tags, ['money']);
    assert.deepEqual(n.properties, { delimiter: ',', 'a/b': { nested: [1, 2] } });
    assert.deepEqual(n.operational, { location: 'shop/orders.csv', status: 'ok' });
    assert.equal(n.version, 2);
    assert.equal(n.lastModifiedBy, U.admin.id);
    for (const k of ['id', 'tenantId', 'createdBy', 'createdTime', 'ownerId']) assert.equal(n[k], d[k], k);
    const g = await srv.api('GET', `${DS}/${d.id}`);
    assert.deepEqual(g.body, n);
    assert.equal(res.headers.get('etag'), g.headers.get('etag'));
    const again = await patch(U.admin, d.id, [{ op: 'replace', path: '/description', value: null }]);
    assert.equal(again.status, 200, again.text);
    assert.ok(!('description' in again.body), 'null removes an optional field, as on create');
    assert.equal(again.body.version, 3);
  });

  test('atomic: one failing op anywhere -> 400 naming it, nothing changes', async () => {
    const d = await mkDs({ ...FULL });
    const good = [{ op: 'replace', path: '/name', value: 'X' }, { op: 'add', path: '/tags/-', value: 't' }];
    const bad = [
      [{ op: 'remove', path: '/nope' }, "patch operation 2 (remove '/nope')"],
      [{ op: 'test', path: '/name', value: 'not the name' }, 'test failed'],
      [{ op: 'replace', path: '/missing/x', value: 1 }, 'patch operation 2'],
      [{ op: 'add', path: '/tags/9', value: 'x' }, 'past the end'],
      [{ op: 'move', from: '/nothing', path: '/x' }, "'from' '/nothing' does not exist"],
    ];
    for (const [op, needle] of bad) {
      assertError(await unchanged(d.id, () => patch(U.admin, d.id, [...good, op])), 400, 'DP-400-VALIDATION', needle);
    }
    // the result is validated like a create body, after all ops ran
    const invalid = [
      [[...good, { op: 'add', path: '/unknownField', value: 1 }], "unknown field 'unknownField'"],
      [[...good, { op: 'remove', path: '/technicalName' }], 'technicalName'],
      [[...good, { op: 'remove', path: '/name' }], 'name'],
      [[...good, { op: 'replace', path: '/schema/dataFields/0/dataType/type', value: 'NOPE' }], 'schema.dataFields[0].dataType.type'],
      [[...good, { op: 'add', path: '/schema/dataFields/-', value: { name: 'id', dataType: { type: 'STRING' } } }], 'twice'],
      [[...good, { op: 'add', path: '/tags/-', value: 'sales' }], 'tags'],
      [[...good, { op: 'replace', path: '', value: [] }], 'object'],
    ];
    for (const [ops, needle] of invalid) {
      assertError(await unchanged(d.id, () => patch(U.admin, d.id, ops)), 400, 'DP-400-VALIDATION', needle);
    }
  });

  test('server fields cannot change: 400 naming the path; tests and same-value replaces pass', async () => {
    const d = await mkDs();
    for (const f of SERVER_FIELDS) {
      const value = f === 'version' ? 7 : f.endsWith('Time') ? '2001-01-01T00:00:00.000Z' : MISSING_ID;
      for (const op of [{ op: 'replace', path: `/${f}`, value }, { op: 'remove', path: `/${f}` }]) {
        const e = assertError(await unchanged(d.id, () => patch(U.admin, d.id, [{ op: 'replace', path: '/name', value: 'x' }, op])),
          400, 'DP-400-VALIDATION', `'/${f}'`);
        assert.ok(e.detail.includes('patch operation 1'), e.detail);
      }
    }
    // copying over a server field or moving one away
    assertError(await unchanged(d.id, () => patch(U.admin, d.id, [{ op: 'copy', from: '/id', path: '/ownerId' }])), 400, 'DP-400-VALIDATION', "'/ownerId'");
    assertError(await unchanged(d.id, () => patch(U.admin, d.id, [{ op: 'move', from: '/tenantId', path: '/description' }])), 400, 'DP-400-VALIDATION', "'/tenantId'");
    // replacing the whole document drops them
    assertError(await unchanged(d.id, () => patch(U.admin, d.id, [{ op: 'replace', path: '', value: { name: 'n', technicalName: 't' } }])), 400, 'DP-400-VALIDATION', "'/id'");
    // reading them is fine, and writing the same value changes nothing
    const cur = (await srv.api('GET', `${DS}/${d.id}`)).body;
    const before = await snap(d.id);
    const res = await patch(U.admin, d.id, [
      { op: 'test', path: '/id', value: d.id }, { op: 'test', path: '/version', value: 1.0 },
      { op: 'replace', path: '/ownerId', value: cur.ownerId }, { op: 'replace', path: '/version', value: 1 },
    ]);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, before.doc, 'a patch that changes nothing writes nothing');
    assert.equal(res.headers.get('etag'), before.etag);
    assert.deepEqual(await snap(d.id), before);
    // a whole-document replace that keeps every server field is an ordinary replacement
    const whole = await patch(U.admin, d.id, [{ op: 'replace', path: '', value: { ...cur, name: 'Whole', description: 'w' } }]);
    assert.equal(whole.status, 200, whole.text);
    assert.equal(whole.body.name, 'Whole');
    assert.equal(whole.body.version, 2);
  });

  test('bad patch documents: 400, nothing changes', async () => {
    const d = await mkDs();
    const ops101 = Array.from({ length: 101 }, () => ({ op: 'test', path: '/name', value: d.name }));
    const cases = [
      [[], '1 to 100 operations'],
      [{ op: 'replace', path: '/name', value: 'x' }, '1 to 100 operations'],
      [ops101, '1 to 100 operations'],
      [[{ op: 'merge', path: '/name', value: 'x' }], "'op' must be one of"],
      [[{ op: 'replace', path: 'name', value: 'x' }], 'not a JSON Pointer'],
      [[{ op: 'replace', path: '/name' }], "'value' is required"],
      [[{ op: 'move', path: '/name' }], "'from' is required"],
      [[{ op: 'move', from: '/schema', path: '/schema/x' }], 'own child'],
      [['replace'], 'must be an object'],
    ];
    for (const [ops, needle] of cases) {
      assertError(await unchanged(d.id, () => patch(U.admin, d.id, ops)), 400, 'DP-400-VALIDATION', needle);
    }
    assertError(await unchanged(d.id, () => srv.api('PATCH', `${DS}/${d.id}`)), 400, 'DP-400-BAD-REQUEST');
    assertError(await unchanged(d.id, () => srv.api('PATCH', `${DS}/${d.id}`, { raw: '[{"op":"add","path":"/a","value":1,"op":"remove"}]', headers: { 'Content-Type': 'application/json' } })),
      400, 'DP-400-INVALID-JSON');
    assertError(await unchanged(d.id, () => srv.api('PATCH', `${DS}/${d.id}`, { raw: '[]', headers: { 'Content-Type': 'text/plain' } })),
      415, 'DP-415-UNSUPPORTED-MEDIA-TYPE');
    const ok100 = await patch(U.admin, d.id, ops101.slice(1));
    assert.equal(ok100.status, 200, '100 operations are allowed');
  });

  test('404 for an unknown id', async () => {
    assertError(await patch(U.admin, MISSING_ID, [{ op: 'replace', path: '/name', value: 'x' }]), 404, 'DP-404-NOT-FOUND');
  });
});

// ---------------------------------------------------------------- If-Match

describe('ETag and If-Match', () => {
  test('PUT, PATCH and batch delete honour If-Match: stale -> 412 with the current ETag, nothing changes', async () => {
    const d = await mkDs();
    const { etag } = await snap(d.id);
    const stale = '"00000000000000000000000000000000"';
    for (const [m, p, body] of [
      ['PUT', `${DS}/${d.id}`, { name: 'n', technicalName: 't' }],
      ['PATCH', `${DS}/${d.id}`, [{ op: 'replace', path: '/name', value: 'x' }]],
      ['DELETE', DS, { ids: [d.id] }],
      ['POST', `${DS}/actions/delete`, { ids: [d.id] }],
    ]) {
      const res = await unchanged(d.id, () => srv.api(m, p, { body, headers: { 'If-Match': stale } }));
      assertError(res, 412, 'DP-412-PRECONDITION-FAILED');
      assert.equal(res.headers.get('etag'), etag, `${m} ${p} sends the current ETag`);
    }
    const p1 = await srv.api('PATCH', `${DS}/${d.id}`, { body: [{ op: 'replace', path: '/name', value: 'one' }], headers: { 'If-Match': etag } });
    assert.equal(p1.status, 200, p1.text);
    assert.notEqual(p1.headers.get('etag'), etag);
    // the old tag is stale now
    assertError(await srv.api('PUT', `${DS}/${d.id}`, { body: { name: 'two', technicalName: 't' }, headers: { 'If-Match': etag } }), 412, 'DP-412-PRECONDITION-FAILED');
    const p2 = await srv.api('PUT', `${DS}/${d.id}`, { body: { name: 'two', technicalName: 't' }, headers: { 'If-Match': `W/${p1.headers.get('etag')}` } });
    assert.equal(p2.status, 200, p2.text);
    const p3 = await srv.api('PATCH', `${DS}/${d.id}`, { body: [{ op: 'replace', path: '/name', value: 'three' }], headers: { 'If-Match': '*' } });
    assert.equal(p3.status, 200, p3.text);
    assert.equal(p3.body.version, 4);
  });

  test('batch delete with If-Match: every data set\'s ETag must be listed', async () => {
    const a = await mkDs();
    const b = await mkDs();
    const ea = (await snap(a.id)).etag;
    const eb = (await snap(b.id)).etag;
    assertError(await unchanged(a.id, () => srv.api('DELETE', DS, { body: { ids: [a.id, b.id] }, headers: { 'If-Match': ea } })), 412, 'DP-412-PRECONDITION-FAILED');
    assert.equal((await srv.api('GET', `${DS}/${b.id}`)).status, 200);
    const res = await srv.api('DELETE', DS, { body: { ids: [a.id, b.id] }, headers: { 'If-Match': `${ea}, ${eb}` } });
    assert.equal(res.status, 204, res.text);
    assert.equal((await srv.api('GET', `${DS}/${a.id}`)).status, 404);
    assert.equal((await srv.api('GET', `${DS}/${b.id}`)).status, 404);
  });
});

// ---------------------------------------------------------------- batch delete

describe('batch delete: DELETE /api/v1/data-sets and POST /api/v1/data-sets/actions/delete', () => {
  for (const [method, p] of [['DELETE', DS], ['POST', `${DS}/actions/delete`]]) {
    test(`${method} ${p}: 204 and the data sets are gone`, async () => {
      const ids = [(await mkDs()).id, (await mkDs()).id, (await mkDs()).id];
      const res = await srv.api(method, p, { body: { ids } });
      assert.equal(res.status, 204, res.text);
      assert.equal(res.text, '');
      for (const id of ids) assertError(await srv.api('GET', `${DS}/${id}`), 404, 'DP-404-NOT-FOUND');
      // deleting again: they are gone
      assertError(await srv.api(method, p, { body: { ids: [ids[0]] } }), 404, 'DP-404-NOT-FOUND', ids[0]);
    });

    test(`${method} ${p}: bad bodies are 400 and delete nothing`, async () => {
      const d = await mkDs();
      const ids100 = Array.from({ length: 101 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
      const cases = [
        [{ ids: [] }, 'ids'],
        [{}, "'ids' is required"],
        [{ ids: [d.id, d.id] }, 'more than once'],
        [{ ids: ['nope'] }, 'ids[0]'],
        [{ ids: [d.id, d.id.toUpperCase()] }, 'ids[1]'],
        [{ ids: [d.id, 5] }, 'ids[1]'],
        [{ ids: d.id }, 'ids'],
        [{ ids: ids100 }, 'at most 100'],
        [{ ids: [d.id], force: true }, "unknown field 'force'"],
        [[d.id], 'object'],
      ];
      for (const [body, needle] of cases) {
        assertError(await unchanged(d.id, () => srv.api(method, p, { body })), 400, 'DP-400-VALIDATION', needle);
      }
      assertError(await unchanged(d.id, () => srv.api(method, p)), 400, 'DP-400-BAD-REQUEST');
    });

    test(`${method} ${p}: all or nothing - one unknown id -> 404 naming it, nothing deleted`, async () => {
      const a = await mkDs();
      const b = await mkDs();
      const e = assertError(await unchanged(a.id, () => srv.api(method, p, { body: { ids: [a.id, b.id, MISSING_ID] } })), 404, 'DP-404-NOT-FOUND');
      assert.ok(e.detail.includes(MISSING_ID) && e.detail.includes('ids[2]'), e.detail);
      assert.equal((await srv.api('GET', `${DS}/${b.id}`)).status, 200);
    });
  }

  test('100 ids at once', async () => {
    const ids = [];
    for (let i = 0; i < 100; i++) ids.push((await mkDs()).id);
    const res = await srv.api('POST', `${DS}/actions/delete`, { body: { ids } });
    assert.equal(res.status, 204, res.text);
    assert.equal((await srv.api('GET', `${DS}/${ids[99]}`)).status, 404);
  });

  test('products keep the id of a deleted data set; activation then reports it missing', async () => {
    const keep = await mkDs();
    const gone = await mkDs();
    const pres = await srv.api('POST', DP, { body: { name: uniqueName('p'), datasetIds: [keep.id, gone.id], keyContacts: [{ userId: U.admin.id }] } });
    assert.equal(pres.status, 201, pres.text);
    const before = (await srv.api('GET', `${DP}/${pres.body.id}`)).body;
    assert.equal((await srv.api('DELETE', DS, { body: { ids: [gone.id] } })).status, 204);
    const after = (await srv.api('GET', `${DP}/${pres.body.id}`)).body;
    assert.deepEqual(after.datasetIds, [keep.id, gone.id]);
    assert.equal(after.updatedAt, before.updatedAt, 'the product itself was not edited');
    const act = await srv.api('POST', `${DP}/${pres.body.id}/actions/activate`, { body: { name: 'n' } });
    const e = assertError(act, 409, 'DP-409-ACTIVATION-INVALID', gone.id);
    assert.ok(!e.detail.includes(keep.id), e.detail);
  });
});

// ---------------------------------------------------------------- profiles

describe('GET /api/v1/data-sets/{id}/profiles', () => {
  test('before any computation: 200 with an empty page', async () => {
    const d = await mkDs({ ...FULL });
    const res = await srv.api('GET', `${DS}/${d.id}/profiles`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.data, []);
    assert.equal(res.body.total, 0);
    assert.equal(res.body.page, 1);
    assert.equal(res.body.limit, 20);
    assert.equal(res.body.pages, 0);
    assert.ok(res.body.links.self.href.endsWith(`${DS}/${d.id}/profiles?page=1`), res.body.links.self.href);
    const q = await srv.api('GET', `${DS}/${d.id}/profiles?limit=5&page=2&projections=x&dataConnectionIds=a&sort=name`);
    assert.equal(q.status, 200, q.text);
    assert.equal(q.body.limit, 5);
    assert.equal(q.body.page, 2);
    assert.deepEqual(q.body.data, []);
  });

  test('bad paging values are 400; unknown or foreign ids 404', async () => {
    const d = await mkDs();
    for (const qs of ['limit=0', 'limit=101', 'limit=x', 'page=0', 'page=-1', 'page=1000001']) {
      assertError(await srv.api('GET', `${DS}/${d.id}/profiles?${qs}`), 400, 'DP-400-INVALID-QUERY', qs.split('=')[0]);
    }
    assertError(await srv.api('GET', `${DS}/${MISSING_ID}/profiles`), 404, 'DP-404-NOT-FOUND');
    assertError(await srv.api('GET', `${DS}/${d.id}/profiles`, { key: other.apiKey }), 404, 'DP-404-NOT-FOUND');
    assertError(await srv.api('GET', `${DS}/x/profiles`), 400, 'DP-400-INVALID-ID');
  });

  test('after a successful computation: one DataSetProfile built from its result', async () => {
    mkdirSync(path.join(srv.dir, 'data', srv.admin.tenantId, 'p'), { recursive: true });
    writeFileSync(path.join(srv.dir, 'data', srv.admin.tenantId, 'p', 'orders.csv'), 'id,amount,placed\n1,10.50,2026-01-02\n2,,2026-01-03\nx,3.25,nope\n');
    const d = await mkDs({ ...FULL, technicalName: 'orders_table', operational: { location: 'p/orders.csv' } });
    const q = await srv.api('POST', '/api/data-governance/data-qualities/computations', { body: { datasetId: d.id }, noSchemaCheck: true });
    assert.equal(q.status, 202, q.text);
    let status;
    for (let i = 0; i < 200; i++) {
      const c = await srv.api('GET', `/api/data-governance/data-qualities/computations/${q.body.computationId}`, { noSchemaCheck: true });
      status = c.body?.status;
      if (status === 'SUCCEEDED' || status === 'FAILED') break;
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.equal(status, 'SUCCEEDED');
    const res = await srv.api('GET', `${DS}/${d.id}/profiles`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.total, 1);
    assert.equal(res.body.pages, 1);
    assert.equal(res.body.data.length, 1);
    const [prof] = res.body.data;
    assert.equal(prof.meta.dataSetId, d.id);
    assert.equal(prof.meta.status, 'FINISHED');
    assert.equal(prof.meta.resultType, 'NORMAL');
    assert.match(prof.meta.computationEndTime, ISO_MS_RE);
    if (prof.meta.computationStartTime) assert.ok(prof.meta.computationStartTime <= prof.meta.computationEndTime);
    assert.equal(prof.profiles.length, 1);
    const [table] = prof.profiles;
    assert.equal(table.name, 'orders_table');
    assert.equal(table.numberOfRows, 3);
    assert.deepEqual(table.fieldProfiles.map((f) => f.name), ['id', 'amount', 'placed']);
    const amount = table.fieldProfiles[1];
    assert.equal(amount.nullValueCount, 1);
    // page 2 of a one-item list is empty
    const p2 = await srv.api('GET', `${DS}/${d.id}/profiles?page=2&limit=1`);
    assert.equal(p2.status, 200);
    assert.deepEqual(p2.body.data, []);
    assert.equal(p2.body.total, 1);
  });
});

// ---------------------------------------------------------------- permissions

describe('permissions (docs/decisions.md "Data sets")', () => {
  const put = (who, d, extra = {}) => call(who, 'PUT', `${DS}/${d.id}`, { ...editable(d), name: uniqueName('put'), ...extra });
  const rename = (who, d) => patch(who, d.id, [{ op: 'replace', path: '/name', value: uniqueName('patched') }]);
  const del = (who, d) => call(who, 'DELETE', DS, { ids: [d.id] });

  test('reading is tenant-wide: any user gets and profiles any data set of the tenant', async () => {
    const personal = await mkDs({}, U.alice);
    const inSpace = await mkDs({ spaceId: SP.S.id }, U.alice);
    for (const who of [U.bob, U.carol, U.dave, U.admin]) {
      for (const d of [personal, inSpace]) {
        const g = await call(who, 'GET', `${DS}/${d.id}`);
        assert.equal(g.status, 200, `${who.label}: ${g.text}`);
        assert.deepEqual(g.body, d);
        assert.equal((await call(who, 'GET', `${DS}/${d.id}/profiles`)).status, 200);
      }
    }
  });

  test('without a space: its owner or a TenantAdmin may change and delete it; others 403', async () => {
    const d = await mkDs({}, U.alice);
    for (const who of [U.bob, U.carol, U.dave]) {
      assertError(await unchanged(d.id, () => put(who, d)), 403, 'DP-403-FORBIDDEN');
      assertError(await unchanged(d.id, () => rename(who, d)), 403, 'DP-403-FORBIDDEN');
      assertError(await unchanged(d.id, () => del(who, d)), 403, 'DP-403-FORBIDDEN');
      assertError(await unchanged(d.id, () => call(who, 'POST', `${DS}/actions/delete`, { ids: [d.id] })), 403, 'DP-403-FORBIDDEN');
    }
    assert.equal((await rename(U.alice, d)).status, 200);
    const cur = (await snap(d.id)).doc;
    assert.equal((await put(U.alice, cur)).status, 200);
    assert.equal((await rename(U.admin, d)).status, 200);
    assert.equal((await snap(d.id)).doc.ownerId, U.alice.id, 'an admin edit keeps the owner');
    assert.equal((await del(U.alice, d)).status, 204);
    const d2 = await mkDs({}, U.alice);
    assert.equal((await del(U.admin, d2)).status, 204);
  });

  test('in a space: producer/contributor/facilitator there (or TenantAdmin) may change it; consumers and outsiders 403', async () => {
    const d = await mkDs({ spaceId: SP.S.id }, U.alice);
    for (const who of [U.bob, U.carol]) { // no role / consumer in S: visible, so 403 (never 404)
      assertError(await unchanged(d.id, () => put(who, d)), 403, 'DP-403-FORBIDDEN');
      assertError(await unchanged(d.id, () => rename(who, d)), 403, 'DP-403-FORBIDDEN');
      assertError(await unchanged(d.id, () => del(who, d)), 403, 'DP-403-FORBIDDEN');
    }
    assert.equal((await rename(U.alice, d)).status, 200, 'producer');
    assert.equal((await rename(U.dave, d)).status, 200, 'facilitator who does not own it');
    assert.equal((await rename(U.admin, d)).status, 200, 'TenantAdmin');
    const cur = (await snap(d.id)).doc;
    assert.equal((await put(U.dave, cur)).status, 200);
    // the creator loses the right with the role
    const asg = (await srv.api('GET', `/api/v1/spaces/${SP.S.id}/assignments?limit=100`)).body.data.find((a) => a.assigneeId === U.alice.id);
    assert.equal((await srv.api('DELETE', `/api/v1/spaces/${SP.S.id}/assignments/${asg.id}`)).status, 204);
    try {
      assertError(await unchanged(d.id, () => rename(U.alice, d)), 403, 'DP-403-FORBIDDEN');
      assertError(await unchanged(d.id, () => del(U.alice, d)), 403, 'DP-403-FORBIDDEN');
    } finally {
      await assign(SP.S, U.alice, ['producer']);
    }
    assert.equal((await del(U.dave, d)).status, 204);
  });

  test('batch delete is all or nothing across permissions: one forbidden id -> 403, nothing deleted', async () => {
    const mine = await mkDs({}, U.alice);
    const theirs = await mkDs({}, U.dave);
    const e = assertError(await unchanged(mine.id, () => call(U.alice, 'DELETE', DS, { ids: [mine.id, theirs.id] })), 403, 'DP-403-FORBIDDEN');
    assert.ok(e.detail.includes(theirs.id), e.detail);
    assert.equal((await snap(theirs.id)).status, 200);
    // existence is checked before rights: an unknown id wins over a forbidden one
    assertError(await unchanged(mine.id, () => call(U.alice, 'DELETE', DS, { ids: [theirs.id, MISSING_ID] })), 404, 'DP-404-NOT-FOUND');
  });

  test('moving between spaces needs create rights in the target: invisible 404, no role 403; leaving a space: owner or admin', async () => {
    const d = await mkDs({ spaceId: SP.S.id }, U.alice);
    const hidden = await mkSpace(uniqueName('hidden'));
    // alice: producer in S, nothing in T or hidden
    assertError(await unchanged(d.id, () => put(U.alice, d, { spaceId: hidden.id })), 404, 'DP-404-NOT-FOUND', 'spaceId');
    assertError(await unchanged(d.id, () => patch(U.alice, d.id, [{ op: 'replace', path: '/spaceId', value: hidden.id }])), 404, 'DP-404-NOT-FOUND', 'spaceId');
    // dave: facilitator in S, producer in T -> may move S -> T
    const moved = await patch(U.dave, d.id, [{ op: 'replace', path: '/spaceId', value: SP.T.id }]);
    assert.equal(moved.status, 200, moved.text);
    assert.equal(moved.body.spaceId, SP.T.id);
    // carol: consumer in T -> 403 for the move back (and any edit)
    assertError(await unchanged(d.id, () => patch(U.carol, d.id, [{ op: 'replace', path: '/spaceId', value: SP.S.id }])), 403, 'DP-403-FORBIDDEN');
    // dave (not the owner) may not take it out of every space; alice is not in T at all
    assertError(await unchanged(d.id, () => patch(U.dave, d.id, [{ op: 'remove', path: '/spaceId' }])), 403, 'DP-403-FORBIDDEN', 'spaceId');
    // back to S by dave, then the owner alice takes it out of S
    assert.equal((await patch(U.dave, d.id, [{ op: 'replace', path: '/spaceId', value: SP.S.id }])).status, 200);
    const out = await patch(U.alice, d.id, [{ op: 'remove', path: '/spaceId' }]);
    assert.equal(out.status, 200, out.text);
    assert.ok(!('spaceId' in out.body));
    // a personal data set moved into a space by its owner needs a role there
    assertError(await unchanged(d.id, () => put(U.alice, out.body, { spaceId: SP.T.id })), 404, 'DP-404-NOT-FOUND', 'spaceId');
    const into = await put(U.alice, out.body, { spaceId: SP.S.id });
    assert.equal(into.status, 200, into.text);
    assert.equal(into.body.spaceId, SP.S.id);
  });
});

// ---------------------------------------------------------------- tenancy

describe('tenancy: another tenant\'s data set is 404 for every verb', () => {
  test('GET, PUT, PATCH, profiles and both batch deletes', async () => {
    const d = await mkDs({ ...FULL });
    const key = other.apiKey;
    const reqs = [
      ['GET', `${DS}/${d.id}`],
      ['PUT', `${DS}/${d.id}`, { name: 'mine now', technicalName: 't' }],
      ['PATCH', `${DS}/${d.id}`, [{ op: 'replace', path: '/name', value: 'mine now' }]],
      ['GET', `${DS}/${d.id}/profiles`],
      ['DELETE', DS, { ids: [d.id] }],
      ['POST', `${DS}/actions/delete`, { ids: [d.id] }],
    ];
    for (const [m, p, body] of reqs) {
      const res = await unchanged(d.id, () => srv.api(m, p, { key, body }));
      assertError(res, 404, 'DP-404-NOT-FOUND');
      assert.ok(!res.text.includes(d.name), `${m} ${p} leaked the name`);
    }
    // and the other tenant's own data set is just as invisible to us
    const theirs = await srv.api('POST', DS, { key, body: { name: 'theirs', technicalName: 't' } });
    assert.equal(theirs.status, 201);
    assertError(await srv.api('DELETE', DS, { body: { ids: [d.id, theirs.body.id] } }), 404, 'DP-404-NOT-FOUND', theirs.body.id);
    assert.equal((await snap(d.id)).status, 200, 'nothing deleted');
    assert.equal((await srv.api('GET', `${DS}/${theirs.body.id}`, { key })).status, 200);
  });
});

// ---------------------------------------------------------------- @qlik/api

describe('@qlik/api data-sets functions', () => {
  test('createDataSet, getDataSet, updateDataSet, patchDataSet, getDataSetProfiles, deleteDataSets', async () => {
    const created = await dataSets.createDataSet({ name: 'via client', technicalName: 'client.csv', ...FULL });
    assert.equal(created.status, 201);
    const id = created.data.id;
    const upd = await dataSets.updateDataSet(id, { ...editable(created.data), id, description: 'updated' });
    assert.equal(upd.status, 200);
    assert.equal(upd.data.description, 'updated');
    assert.equal(upd.data.version, 2);
    const pat = await dataSets.patchDataSet(id, [{ op: 'add', path: '/tags/-', value: 'client' }, { op: 'remove', path: '/description' }]);
    assert.equal(pat.status, 200);
    assert.deepEqual(pat.data.tags, ['sales', 'web', 'client']);
    assert.ok(!('description' in pat.data));
    dataSets.clearCache();
    await new Promise((r) => setImmediate(r));
    const got = await dataSets.getDataSet(id, {});
    assert.deepEqual(got.data, pat.data);
    const prof = await dataSets.getDataSetProfiles(id, {});
    assert.equal(prof.status, 200);
    assert.deepEqual(prof.data.data, []);
    let err;
    try { await dataSets.patchDataSet(id, [{ op: 'replace', path: '/id', value: MISSING_ID }]); } catch (e) { err = e; }
    assert.equal(err?.status, 400);
    assert.equal(err.data.errors[0].code, 'DP-400-VALIDATION');
    const del = await dataSets.deleteDataSets({ ids: [id] });
    assert.equal(del.status, 204);
    err = undefined;
    try { await dataSets.deleteDataSets({ ids: [id] }); } catch (e) { err = e; }
    assert.equal(err?.status, 404);
    assertError(await srv.api('GET', `${DS}/${id}`), 404, 'DP-404-NOT-FOUND');
  });
});
