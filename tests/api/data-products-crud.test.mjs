// data-products-crud: create, get, patch, delete and list of
// /api/data-governance/data-products (SPEC §2-§3), black-box over HTTP.
// One server for the whole file; tests run in order and share it.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, MISSING_ID } from './lib/server.mjs';
import {
  DP, GUID_RE, ISO_MS_RE, uniqueName, makeSpace, makeDataSet, makeProduct,
  makeActivatableProduct, assertError, productTotal, changelogs, pause,
} from './lib/fixtures.mjs';

let srv;

// Every field DataProductResponse declares (data-products.d.ts).
const RESPONSE_FIELDS = new Set([
  'activated', 'activatedAt', 'activatedOn', 'apiConsumableDatasetIds', 'createdAt', 'createdBy',
  'datasetIds', 'description', 'glossaryIds', 'id', 'keyContacts', 'mainId', 'name', 'ownerId',
  'pendingChangesCount', 'qri', 'quality', 'readMe', 'spaceId', 'tags', 'tenantId', 'trustScore',
  'updatedAt', 'updatedBy',
]);
const ARRAY_FIELDS = ['activatedOn', 'apiConsumableDatasetIds', 'datasetIds', 'glossaryIds', 'keyContacts', 'tags'];

const get = async (id) => {
  const res = await srv.api('GET', `${DP}/${id}`);
  assert.equal(res.status, 200, res.text);
  return res.body;
};
const patch = (id, ops, o = {}) => srv.api('PATCH', `${DP}/${id}`, { body: ops, ...o });
const list = (qs = '') => srv.api('GET', `${DP}${qs ? `?${qs}` : ''}`);
const activate = (p, body = { name: p.name }) => srv.api('POST', `${DP}/${p.id}/actions/activate`, { body });
const deactivate = (p) => srv.api('POST', `${DP}/${p.id}/actions/deactivate`);
const guids = (n) => Array.from({ length: n }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);

/** Shape checks every product response must pass. */
function assertProductShape(p) {
  for (const k of Object.keys(p)) assert.ok(RESPONSE_FIELDS.has(k), `unexpected field '${k}'`);
  for (const k of ARRAY_FIELDS) assert.ok(Array.isArray(p[k]), `'${k}' must be an array, got ${JSON.stringify(p[k])}`);
  assert.match(p.id, GUID_RE);
  assert.equal(p.mainId, p.id);
  assert.equal(p.tenantId, srv.admin.tenantId);
  assert.equal(p.qri, `qri:dataproduct:${srv.admin.tenantId}:${p.id}`);
  assert.match(p.createdAt, ISO_MS_RE);
  assert.match(p.updatedAt, ISO_MS_RE);
  assert.equal(typeof p.name, 'string');
  assert.equal(typeof p.ownerId, 'string');
  assert.equal(typeof p.createdBy, 'string');
  assert.equal(typeof p.updatedBy, 'string');
}

before(async () => {
  // rate limits off: this file sends far more than 100 writes a minute
  srv = await startServer({ args: ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0'] });
});
after(async () => { await srv?.stop(); });

// ---------------------------------------------------------------- create
describe('create', () => {
  let space; let ds1; let ds2;
  before(async () => {
    space = await makeSpace(srv);
    ds1 = await makeDataSet(srv);
    ds2 = await makeDataSet(srv);
  });

  test('201 with every DataProductResponse field, caller as owner/creator/updater, Location header', async () => {
    const body = {
      name: 'Full product',
      description: 'all fields set',
      readMe: '# Read me\n\nsome *markdown*',
      spaceId: space.id,
      tags: ['finance', 'Q3'],
      datasetIds: [ds1.id, ds2.id],
      glossaryIds: [MISSING_ID],
      apiConsumableDatasetIds: [ds2.id],
      keyContacts: [{ userId: srv.admin.userId, role: 'steward' }],
    };
    const res = await srv.api('POST', DP, { body });
    assert.equal(res.status, 201, res.text);
    assert.match(res.headers.get('content-type'), /^application\/json/);
    const p = res.body;
    assertProductShape(p);
    assert.deepEqual(Object.keys(p).sort(), [
      'activated', 'activatedOn', 'apiConsumableDatasetIds', 'createdAt', 'createdBy', 'datasetIds',
      'description', 'glossaryIds', 'id', 'keyContacts', 'mainId', 'name', 'ownerId',
      'pendingChangesCount', 'qri', 'readMe', 'spaceId', 'tags', 'tenantId', 'updatedAt', 'updatedBy',
    ]);
    for (const k of Object.keys(body)) assert.deepEqual(p[k], body[k], `field ${k}`);
    assert.equal(p.ownerId, srv.admin.userId);
    assert.equal(p.createdBy, srv.admin.userId);
    assert.equal(p.updatedBy, srv.admin.userId);
    assert.equal(p.createdAt, p.updatedAt);
    assert.equal(p.activated, false);
    assert.deepEqual(p.activatedOn, []);
    assert.equal(p.pendingChangesCount, 0);
    const loc = res.headers.get('location');
    assert.ok(loc, 'Location header missing');
    assert.equal(new URL(loc, srv.url).pathname, `${DP}/${p.id}`);
    assert.deepEqual(await get(p.id), p);
  });

  test('minimal body: arrays are [] (never null), optional fields absent, name trimmed', async () => {
    const res = await srv.api('POST', DP, { body: { name: ' \t Minimal product \r\n ' } });
    assert.equal(res.status, 201, res.text);
    const p = res.body;
    assertProductShape(p);
    assert.equal(p.name, 'Minimal product');
    for (const k of ARRAY_FIELDS) assert.deepEqual(p[k], [], k);
    for (const k of ['description', 'readMe', 'spaceId', 'activatedAt', 'quality', 'trustScore']) {
      assert.equal(k in p, false, `'${k}' should be absent`);
    }
    assert.deepEqual(await get(p.id), p);
  });

  test('explicit nulls for optional fields are accepted and mean "not set"', async () => {
    const res = await srv.api('POST', DP, {
      body: {
        name: 'nulls', description: null, readMe: null, spaceId: null, tags: null, datasetIds: null,
        glossaryIds: null, apiConsumableDatasetIds: null, keyContacts: null,
      },
    });
    assert.equal(res.status, 201, res.text);
    assertProductShape(res.body);
    for (const k of ARRAY_FIELDS) assert.deepEqual(res.body[k], [], k);
    for (const k of ['description', 'readMe', 'spaceId']) assert.equal(k in res.body, false, k);
    const log = await changelogs(srv, res.body.id);
    assert.equal(log.total, 1);
    assert.deepEqual(log.data[0].changes, [{ operator: 'add', path: '/name', value: 'nulls' }]);
  });

  test('server-owned fields in the body are ignored', async () => {
    const res = await srv.api('POST', DP, {
      body: {
        name: 'spoofed',
        id: MISSING_ID, mainId: MISSING_ID, qri: 'qri:dataproduct:evil:x', tenantId: MISSING_ID,
        ownerId: MISSING_ID, createdBy: MISSING_ID, updatedBy: MISSING_ID,
        createdAt: '2000-01-01T00:00:00.000Z', updatedAt: '2000-01-01T00:00:00.000Z',
        activated: true, activatedAt: '2000-01-01T00:00:00.000Z', activatedOn: ['personal'],
        pendingChangesCount: 42, quality: { validity: 1 }, trustScore: { score: 1 },
      },
    });
    assert.equal(res.status, 201, res.text);
    const p = res.body;
    assertProductShape(p);
    assert.notEqual(p.id, MISSING_ID);
    assert.equal(p.ownerId, srv.admin.userId);
    assert.equal(p.createdBy, srv.admin.userId);
    assert.equal(p.updatedBy, srv.admin.userId);
    assert.notEqual(p.createdAt, '2000-01-01T00:00:00.000Z');
    assert.equal(p.activated, false);
    assert.deepEqual(p.activatedOn, []);
    assert.equal(p.pendingChangesCount, 0);
    for (const k of ['activatedAt', 'quality', 'trustScore']) assert.equal(k in p, false, k);
    const missing = await srv.api('GET', `${DP}/${MISSING_ID}`);
    assert.equal(missing.status, 404);
  });

  test('creation writes one changelog entry with an "add" per set, non-empty field', async () => {
    const p = await makeProduct(srv, {
      name: '  logged ', description: 'd', spaceId: space.id, tags: [], datasetIds: [ds1.id],
      keyContacts: [{ userId: srv.admin.userId }],
    });
    const log = await changelogs(srv, p.id);
    assert.equal(log.total, 1);
    const [entry] = log.data;
    assert.match(entry.id, GUID_RE);
    assert.equal(entry.createdAt, p.createdAt);
    assert.equal(entry.createdBy, srv.admin.userId);
    const byPath = Object.fromEntries(entry.changes.map((c) => [c.path, c]));
    assert.deepEqual(Object.keys(byPath).sort(), ['/datasetIds', '/description', '/keyContacts', '/name', '/spaceId']);
    for (const c of entry.changes) assert.equal(c.operator, 'add');
    assert.equal(byPath['/name'].value, 'logged');
    assert.deepEqual(byPath['/datasetIds'].value, [ds1.id]);
  });

  test('name of exactly 256 characters is accepted', async () => {
    const name = 'n'.repeat(256);
    const p = await makeProduct(srv, { name });
    assert.equal(p.name, name);
  });

  test('name length is measured after trimming (256 chars plus surrounding blanks is accepted)', async () => {
    const name = 'm'.repeat(256);
    const res = await srv.api('POST', DP, { body: { name: `  ${name}  ` } });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.name, name);
  });

  test('name length counts characters, not bytes (256 × "é" is accepted)', async () => {
    const name = 'é'.repeat(256);
    const p = await makeProduct(srv, { name });
    assert.equal(p.name, name);
  });

  test('a keyContact role of null is never echoed as null (KeyContact.role is an optional string)', async () => {
    // own assertions here (noSchemaCheck); the product is deleted again so a
    // violating document cannot leak into later list tests
    const res = await srv.api('POST', DP, {
      body: { name: 'null role', keyContacts: [{ userId: srv.admin.userId, role: null }] }, noSchemaCheck: true,
    });
    if (res.status === 400) {
      assertError(res, 400, 'DP-400-VALIDATION', 'role');
      return;
    }
    try {
      assert.equal(res.status, 201, res.text);
      const [kc] = res.body.keyContacts;
      assert.equal(kc.userId, srv.admin.userId);
      assert.ok(!('role' in kc) || typeof kc.role === 'string', `keyContacts[0] is ${JSON.stringify(kc)}`);
    } finally {
      if (res.body?.id) await srv.api('DELETE', `${DP}/${res.body.id}`, { noSchemaCheck: true });
    }
  });

  test('exactly 100 glossaryIds are accepted', async () => {
    const p = await makeProduct(srv, { glossaryIds: guids(100) });
    assert.equal(p.glossaryIds.length, 100);
  });

  // Each invalid request: status, code, detail naming the field, nothing created.
  const invalid = (ctx) => [
    ['missing name', { description: 'x' }, 'name'],
    ['null name', { name: null }, 'name'],
    ['empty name', { name: '' }, 'name'],
    ['whitespace-only name', { name: ' \t\r\n ' }, 'name'],
    ['name longer than 256 characters', { name: 'x'.repeat(257) }, 'name'],
    ['name of 257 characters after trimming', { name: ` ${'x'.repeat(257)} ` }, 'name'],
    ['name not a string', { name: 42 }, 'name'],
    ['name an array', { name: ['a'] }, 'name'],
    ['description not a string', { name: 'x', description: 5 }, 'description'],
    ['readMe not a string', { name: 'x', readMe: true }, 'readMe'],
    ['spaceId not a string', { name: 'x', spaceId: 7 }, 'spaceId'],
    ['spaceId not a GUID', { name: 'x', spaceId: 'my-space' }, 'spaceId'],
    ['spaceId upper-case GUID', { name: 'x', spaceId: ctx.space.id.toUpperCase() }, 'spaceId'],
    ['tags not an array', { name: 'x', tags: 'finance' }, 'tags'],
    ['tags with a number', { name: 'x', tags: ['a', 1] }, 'tags'],
    ['tags with an empty string', { name: 'x', tags: [''] }, 'tags'],
    ['tags with a duplicate', { name: 'x', tags: ['a', 'b', 'a'] }, 'tags'],
    ['datasetIds not an array', { name: 'x', datasetIds: ctx.ds1.id }, 'datasetIds'],
    ['datasetIds with a number', { name: 'x', datasetIds: [1] }, 'datasetIds'],
    ['datasetIds with a non-GUID', { name: 'x', datasetIds: ['ds-1'] }, 'datasetIds'],
    ['datasetIds with an upper-case GUID', { name: 'x', datasetIds: [ctx.ds1.id.toUpperCase()] }, 'datasetIds'],
    ['datasetIds with a duplicate', { name: 'x', datasetIds: [ctx.ds1.id, ctx.ds1.id] }, 'datasetIds'],
    ['more than 100 datasetIds', { name: 'x', datasetIds: guids(101) }, 'datasetIds'],
    ['datasetIds naming an unknown data set', { name: 'x', datasetIds: [ctx.ds1.id, MISSING_ID] }, 'datasetIds[1]'],
    ['glossaryIds not an array', { name: 'x', glossaryIds: {} }, 'glossaryIds'],
    ['glossaryIds with a non-GUID', { name: 'x', glossaryIds: ['g'] }, 'glossaryIds'],
    ['glossaryIds with an upper-case GUID', { name: 'x', glossaryIds: ['ABCDEFAB-ABCD-4ABC-8ABC-ABCDEFABCDEF'] }, 'glossaryIds'],
    ['glossaryIds with a duplicate', { name: 'x', glossaryIds: [MISSING_ID, MISSING_ID] }, 'glossaryIds'],
    ['more than 100 glossaryIds', { name: 'x', glossaryIds: guids(101) }, 'glossaryIds'],
    ['apiConsumableDatasetIds not an array', { name: 'x', datasetIds: [ctx.ds1.id], apiConsumableDatasetIds: ctx.ds1.id }, 'apiConsumableDatasetIds'],
    ['apiConsumableDatasetIds with a non-GUID', { name: 'x', apiConsumableDatasetIds: ['nope'] }, 'apiConsumableDatasetIds'],
    ['apiConsumableDatasetIds with a duplicate', { name: 'x', datasetIds: [ctx.ds1.id], apiConsumableDatasetIds: [ctx.ds1.id, ctx.ds1.id] }, 'apiConsumableDatasetIds'],
    ['apiConsumableDatasetIds not a subset of datasetIds', { name: 'x', datasetIds: [ctx.ds1.id], apiConsumableDatasetIds: [ctx.ds2.id] }, 'apiConsumableDatasetIds'],
    ['apiConsumableDatasetIds without datasetIds', { name: 'x', apiConsumableDatasetIds: [ctx.ds1.id] }, 'apiConsumableDatasetIds'],
    ['keyContacts not an array', { name: 'x', keyContacts: { userId: ctx.user } }, 'keyContacts'],
    ['keyContacts with a string item', { name: 'x', keyContacts: [ctx.user] }, 'keyContacts'],
    ['keyContacts item without userId', { name: 'x', keyContacts: [{ role: 'owner' }] }, 'userId'],
    ['keyContacts userId not a string', { name: 'x', keyContacts: [{ userId: 5 }] }, 'userId'],
    ['keyContacts userId not a GUID', { name: 'x', keyContacts: [{ userId: 'admin' }] }, 'userId'],
    ['keyContacts userId upper-case GUID', { name: 'x', keyContacts: [{ userId: ctx.user.toUpperCase() }] }, 'userId'],
    ['keyContacts role not a string', { name: 'x', keyContacts: [{ userId: ctx.user, role: 1 }] }, 'role'],
    ['keyContacts item with an unknown field', { name: 'x', keyContacts: [{ userId: ctx.user, email: 'a@b' }] }, 'email'],
    ['keyContacts with the same user twice', { name: 'x', keyContacts: [{ userId: ctx.user }, { userId: ctx.user, role: 'x' }] }, 'keyContacts'],
    ['keyContacts naming an unknown user', { name: 'x', keyContacts: [{ userId: MISSING_ID }] }, 'keyContacts[0].userId'],
    ['an unknown field', { name: 'x', colour: 'blue' }, 'colour'],
  ];
  // Filled in before the tests run (they need real ids); names must be known now.
  const names = invalid({ space: { id: MISSING_ID }, ds1: { id: MISSING_ID }, ds2: { id: MISSING_ID }, user: MISSING_ID }).map((c) => c[0]);
  names.forEach((title, i) => {
    test(`400 DP-400-VALIDATION and nothing created: ${title}`, async () => {
      const [, body, field] = invalid({ space, ds1, ds2, user: srv.admin.userId })[i];
      const before = await productTotal(srv);
      const res = await srv.api('POST', DP, { body });
      assertError(res, 400, 'DP-400-VALIDATION', field);
      assert.equal(await productTotal(srv), before);
    });
  });

  test('404 DP-404-NOT-FOUND naming spaceId for an unknown space; nothing created', async () => {
    const before = await productTotal(srv);
    const res = await srv.api('POST', DP, { body: { name: 'x', spaceId: MISSING_ID } });
    assertError(res, 404, 'DP-404-NOT-FOUND', 'spaceId');
    assert.equal(await productTotal(srv), before);
  });

  const rawCases = [
    ['malformed JSON', '{"name": "x",', 400, 'DP-400-INVALID-JSON', undefined],
    ['duplicate JSON keys', '{"name": "a", "name": "b"}', 400, 'DP-400-INVALID-JSON', 'name'],
    ['a JSON array body', '[{"name": "x"}]', 400, 'DP-400-VALIDATION', 'object'],
    ['an empty body', '', 400, 'DP-400-BAD-REQUEST', 'body'],
    ['a whitespace-only body', ' \r\n ', 400, 'DP-400-BAD-REQUEST', 'body'],
    ['nesting deeper than 32 levels', `{"name":"x","readMe":${'['.repeat(40)}${']'.repeat(40)}}`, 400, 'DP-400-INVALID-JSON', '32'],
  ];
  for (const [title, raw, status, code, detail] of rawCases) {
    test(`${status} ${code} and nothing created: ${title}`, async () => {
      const before = await productTotal(srv);
      const res = await srv.api('POST', DP, { raw, headers: { 'Content-Type': 'application/json' } });
      assertError(res, status, code, detail);
      assert.equal(await productTotal(srv), before);
    });
  }

  // A bare JSON scalar is valid JSON of the wrong shape; either 400 code is acceptable.
  for (const [title, raw] of [['a JSON string body', '"x"'], ['a JSON null body', 'null'], ['a JSON number body', '1']]) {
    test(`400 and nothing created: ${title}`, async () => {
      const before = await productTotal(srv);
      const res = await srv.api('POST', DP, { raw, headers: { 'Content-Type': 'application/json' } });
      assert.equal(res.status, 400, res.text);
      assert.ok(['DP-400-VALIDATION', 'DP-400-INVALID-JSON'].includes(res.body?.errors?.[0]?.code), res.text);
      assert.equal(await productTotal(srv), before);
    });
  }

  test('415 DP-415-UNSUPPORTED-MEDIA-TYPE for a text/plain body; nothing created', async () => {
    const before = await productTotal(srv);
    const res = await srv.api('POST', DP, { raw: '{"name":"x"}', headers: { 'Content-Type': 'text/plain' } });
    assertError(res, 415, 'DP-415-UNSUPPORTED-MEDIA-TYPE', 'text/plain');
    assert.equal(await productTotal(srv), before);
  });
});

// ---------------------------------------------------------------- get
describe('get', () => {
  let p;
  before(async () => { p = await makeProduct(srv, { description: 'to read' }); });

  test('200 with the product', async () => {
    const res = await srv.api('GET', `${DP}/${p.id}`);
    assert.equal(res.status, 200);
    assertProductShape(res.body);
    assert.deepEqual(res.body, p);
  });

  test('unknown id -> 404 DP-404-NOT-FOUND', async () => {
    assertError(await srv.api('GET', `${DP}/${MISSING_ID}`), 404, 'DP-404-NOT-FOUND');
  });

  for (const [title, id] of [
    ['not a GUID', 'not-a-guid'],
    ['an upper-case GUID', () => p.id.toUpperCase()],
    ['a GUID that is not version 4', '00000000-0000-0000-0000-000000000000'],
    ['a GUID with braces', () => `{${p.id}}`],
  ]) {
    test(`id ${title} -> 400 DP-400-INVALID-ID naming dataProductId`, async () => {
      const v = typeof id === 'function' ? id() : id;
      assertError(await srv.api('GET', `${DP}/${encodeURIComponent(v)}`), 400, 'DP-400-INVALID-ID', 'dataProductId');
    });
  }
});

// ---------------------------------------------------------------- patch
describe('patch', () => {
  let ds1; let ds2; let ds3;
  before(async () => {
    ds1 = await makeDataSet(srv);
    ds2 = await makeDataSet(srv);
    ds3 = await makeDataSet(srv);
  });

  /** Patches, asserts 204, and returns {before, after, entry} where entry is the new changelog entry. */
  async function patchOk(p, ops, headers) {
    const beforeDoc = await get(p.id);
    const beforeLog = await changelogs(srv, p.id);
    await pause(3); // so a moved updatedAt is a different millisecond
    const res = await patch(p.id, ops, headers ? { headers } : {});
    assert.equal(res.status, 204, res.text);
    assert.equal(res.text, '');
    const afterDoc = await get(p.id);
    const afterLog = await changelogs(srv, p.id);
    assert.equal(afterLog.total, beforeLog.total + 1, 'exactly one new changelog entry');
    const entry = afterLog.data[afterLog.data.length - 1];
    return { before: beforeDoc, after: afterDoc, entry };
  }

  const paths = () => [
    ['/name', ' Renamed product ', 'Renamed product'],
    ['/description', 'new description', 'new description'],
    ['/readMe', '## new read me', '## new read me'],
    ['/tags', ['a', 'b'], ['a', 'b']],
    ['/datasetIds', [ds1.id, ds3.id], [ds1.id, ds3.id]],
    ['/glossaryIds', [MISSING_ID], [MISSING_ID]],
    ['/apiConsumableDatasetIds', [ds2.id], [ds2.id]],
    ['/keyContacts', [{ userId: srv.admin.userId, role: 'owner' }], [{ userId: srv.admin.userId, role: 'owner' }]],
  ];
  for (const path of ['/name', '/description', '/readMe', '/tags', '/datasetIds', '/glossaryIds', '/apiConsumableDatasetIds', '/keyContacts']) {
    test(`replace ${path}: 204, value stored, one changelog change, updatedAt/By move`, async () => {
      const [, value, stored] = paths().find((x) => x[0] === path);
      const p = await makeProduct(srv, { datasetIds: [ds1.id, ds2.id] });
      const { before: b, after: a, entry } = await patchOk(p, [{ op: 'replace', path, value }]);
      const key = path.slice(1);
      assert.deepEqual(a[key], stored);
      assert.deepEqual(entry.changes, [{ operator: 'replace', path, value: stored }]);
      assert.equal(entry.createdBy, srv.admin.userId);
      assert.ok(a.updatedAt > b.updatedAt, `updatedAt ${a.updatedAt} should be after ${b.updatedAt}`);
      assert.match(a.updatedAt, ISO_MS_RE);
      assert.equal(entry.createdAt, a.updatedAt);
      assert.equal(a.updatedBy, srv.admin.userId);
      assert.equal(a.createdAt, b.createdAt);
      // every other field unchanged
      for (const k of Object.keys(b)) {
        if (![key, 'updatedAt', 'updatedBy'].includes(k)) assert.deepEqual(a[k], b[k], k);
      }
    });
  }

  test('null on /description and /readMe removes the field', async () => {
    const p = await makeProduct(srv, { description: 'd', readMe: 'r' });
    const { after: a, entry } = await patchOk(p, [
      { op: 'replace', path: '/description', value: null },
      { op: 'replace', path: '/readMe', value: null },
    ]);
    assert.equal('description' in a, false);
    assert.equal('readMe' in a, false);
    assert.deepEqual(entry.changes, [
      { operator: 'replace', path: '/description', value: null },
      { operator: 'replace', path: '/readMe', value: null },
    ]);
  });

  test('null on array paths makes them []', async () => {
    const p = await makeProduct(srv, {
      tags: ['t'], datasetIds: [ds1.id], glossaryIds: [MISSING_ID], apiConsumableDatasetIds: [ds1.id],
      keyContacts: [{ userId: srv.admin.userId }],
    });
    const ops = ['/tags', '/apiConsumableDatasetIds', '/datasetIds', '/glossaryIds', '/keyContacts']
      .map((path) => ({ op: 'replace', path, value: null }));
    const { after: a, entry } = await patchOk(p, ops);
    for (const k of ['tags', 'datasetIds', 'glossaryIds', 'apiConsumableDatasetIds', 'keyContacts']) assert.deepEqual(a[k], [], k);
    assert.equal(entry.changes.length, 5);
    for (const c of entry.changes) assert.equal(c.operator, 'replace');
  });

  test('/name length is measured after trimming (256 chars plus surrounding blanks is accepted)', async () => {
    const p = await makeProduct(srv);
    const name = 'p'.repeat(256);
    const res = await patch(p.id, [{ op: 'replace', path: '/name', value: `\t${name} ` }]);
    assert.equal(res.status, 204, res.text);
    assert.equal((await get(p.id)).name, name);
  });

  test('null on /name -> 400 DP-400-VALIDATION naming name; nothing changes', async () => {
    const p = await makeProduct(srv);
    const res = await patch(p.id, [{ op: 'replace', path: '/name', value: null }]);
    assertError(res, 400, 'DP-400-VALIDATION', 'name');
    assert.deepEqual(await get(p.id), p);
  });

  test('a patch whose ops change nothing -> 204, no changelog entry, same updatedAt', async () => {
    const p = await makeProduct(srv, { name: 'same', description: 'same', tags: ['x'], datasetIds: [ds1.id] });
    const logBefore = await changelogs(srv, p.id);
    await pause(3);
    const res = await patch(p.id, [
      { op: 'replace', path: '/name', value: '  same ' },
      { op: 'replace', path: '/description', value: 'same' },
      { op: 'replace', path: '/tags', value: ['x'] },
      { op: 'replace', path: '/datasetIds', value: [ds1.id] },
      { op: 'replace', path: '/readMe', value: null },
      { op: 'replace', path: '/glossaryIds', value: [] },
      { op: 'replace', path: '/keyContacts', value: null },
    ]);
    assert.equal(res.status, 204, res.text);
    assert.deepEqual(await get(p.id), p);
    assert.equal((await changelogs(srv, p.id)).total, logBefore.total);
  });

  test('only ops that really change something are recorded', async () => {
    const p = await makeProduct(srv, { description: 'keep', tags: ['x'] });
    const { entry } = await patchOk(p, [
      { op: 'replace', path: '/description', value: 'keep' },
      { op: 'replace', path: '/tags', value: ['y'] },
      { op: 'replace', path: '/readMe', value: 'new' },
    ]);
    assert.deepEqual(entry.changes, [
      { operator: 'replace', path: '/tags', value: ['y'] },
      { operator: 'replace', path: '/readMe', value: 'new' },
    ]);
  });

  test('8 ops are accepted in one request and recorded in one entry', async () => {
    const p = await makeProduct(srv);
    const { after: a, entry } = await patchOk(p, [
      { op: 'replace', path: '/name', value: 'eight' },
      { op: 'replace', path: '/description', value: 'd' },
      { op: 'replace', path: '/readMe', value: 'r' },
      { op: 'replace', path: '/tags', value: ['t'] },
      { op: 'replace', path: '/datasetIds', value: [ds1.id] },
      { op: 'replace', path: '/glossaryIds', value: [MISSING_ID] },
      { op: 'replace', path: '/apiConsumableDatasetIds', value: [ds1.id] },
      { op: 'replace', path: '/keyContacts', value: [{ userId: srv.admin.userId }] },
    ]);
    assert.equal(entry.changes.length, 8);
    assert.equal(a.name, 'eight');
    assert.deepEqual(a.apiConsumableDatasetIds, [ds1.id]);
  });

  test('application/json-patch+json is accepted', async () => {
    const p = await makeProduct(srv);
    const { after: a } = await patchOk(p, [{ op: 'replace', path: '/description', value: 'via json-patch' }],
      { 'Content-Type': 'application/json-patch+json' });
    assert.equal(a.description, 'via json-patch');
  });

  // Atomicity: seven valid changing ops, then one invalid op; nothing may change.
  const sixValid = () => [
    { op: 'replace', path: '/name', value: 'atomic renamed' },
    { op: 'replace', path: '/description', value: 'atomic d' },
    { op: 'replace', path: '/readMe', value: 'atomic r' },
    { op: 'replace', path: '/tags', value: ['atomic'] },
    { op: 'replace', path: '/glossaryIds', value: [MISSING_ID] },
    { op: 'replace', path: '/keyContacts', value: [{ userId: srv.admin.userId }] },
  ];
  const atomicCases = [
    ['last op has a wrong value type', () => [...sixValid(), { op: 'replace', path: '/apiConsumableDatasetIds', value: [] }, { op: 'replace', path: '/tags', value: 5 }], 'DP-400-VALIDATION', 'tags'],
    ['last op has a disallowed path', () => [...sixValid(), { op: 'replace', path: '/apiConsumableDatasetIds', value: [] }, { op: 'replace', path: '/id', value: MISSING_ID }], 'DP-400-VALIDATION', '/id'],
    ['last op names an unknown data set', () => [...sixValid(), { op: 'replace', path: '/apiConsumableDatasetIds', value: [] }, { op: 'replace', path: '/datasetIds', value: [ds2.id, MISSING_ID] }], 'DP-400-VALIDATION', 'datasetIds[1]'],
    ['last op names an unknown key contact', () => [...sixValid().slice(0, 5), { op: 'replace', path: '/datasetIds', value: [ds2.id] }, { op: 'replace', path: '/apiConsumableDatasetIds', value: [] }, { op: 'replace', path: '/keyContacts', value: [{ userId: MISSING_ID }] }], 'DP-400-VALIDATION', 'keyContacts[0].userId'],
    ['last op breaks apiConsumableDatasetIds ⊆ datasetIds', () => [...sixValid(), { op: 'replace', path: '/datasetIds', value: [ds2.id] }, { op: 'replace', path: '/apiConsumableDatasetIds', value: [ds3.id] }], 'DP-400-VALIDATION', 'apiConsumableDatasetIds'],
  ];
  for (const [title, ops, code, detail] of atomicCases) {
    test(`atomic: an 8-op patch whose ${title} -> 400, nothing changes`, async () => {
      const p = await makeProduct(srv, { datasetIds: [ds1.id], apiConsumableDatasetIds: [ds1.id] });
      const logBefore = await changelogs(srv, p.id);
      const o = ops();
      assert.equal(o.length, 8);
      const res = await patch(p.id, o);
      assertError(res, 400, code, detail);
      assert.deepEqual(await get(p.id), p);
      assert.equal((await changelogs(srv, p.id)).total, logBefore.total);
    });
  }

  test('replacing datasetIds so that apiConsumableDatasetIds is no longer a subset -> 400', async () => {
    const p = await makeProduct(srv, { datasetIds: [ds1.id, ds2.id], apiConsumableDatasetIds: [ds2.id] });
    const res = await patch(p.id, [{ op: 'replace', path: '/datasetIds', value: [ds1.id] }]);
    assertError(res, 400, 'DP-400-VALIDATION', 'apiConsumableDatasetIds');
    assert.deepEqual(await get(p.id), p);
  });

  const badPatches = (ds1) => [
    ['9 ops', Array.from({ length: 9 }, (_, i) => ({ op: 'replace', path: '/description', value: `d${i}` })), '8'],
    ['0 ops', [], '8'],
    ['an object instead of an array', { op: 'replace', path: '/name', value: 'x' }, 'array'],
    ['an op that is not an object', ['replace'], '/0'],
    ['op "add"', [{ op: 'add', path: '/description', value: 'x' }], 'add'],
    ['op "remove"', [{ op: 'remove', path: '/description' }], 'remove'],
    ['op "move"', [{ op: 'move', from: '/name', path: '/description' }], 'move'],
    ['op "copy"', [{ op: 'copy', from: '/name', path: '/description' }], 'copy'],
    ['op "test"', [{ op: 'test', path: '/name', value: 'x' }], 'test'],
    ['missing op', [{ path: '/name', value: 'x' }], 'op'],
    ['op not a string', [{ op: 1, path: '/name', value: 'x' }], 'op'],
    ['missing path', [{ op: 'replace', value: 'x' }], 'path'],
    ['path /id', [{ op: 'replace', path: '/id', value: MISSING_ID }], '/id'],
    ['path /spaceId', [{ op: 'replace', path: '/spaceId', value: MISSING_ID }], '/spaceId'],
    ['path /activated', [{ op: 'replace', path: '/activated', value: true }], '/activated'],
    ['path /ownerId', [{ op: 'replace', path: '/ownerId', value: MISSING_ID }], '/ownerId'],
    ['path /name/x', [{ op: 'replace', path: '/name/x', value: 'x' }], '/name/x'],
    ['path /tags/0', [{ op: 'replace', path: '/tags/0', value: 'x' }], '/tags/0'],
    ['path without leading slash', [{ op: 'replace', path: 'name', value: 'x' }], "'name'"],
    ['missing value', [{ op: 'replace', path: '/description' }], 'value'],
    ['empty name', [{ op: 'replace', path: '/name', value: '   ' }], 'name'],
    ['name too long', [{ op: 'replace', path: '/name', value: 'x'.repeat(257) }], 'name'],
    ['description not a string', [{ op: 'replace', path: '/description', value: 1 }], 'description'],
    ['tags with a duplicate', [{ op: 'replace', path: '/tags', value: ['a', 'a'] }], 'tags'],
    ['datasetIds with an upper-case GUID', [{ op: 'replace', path: '/datasetIds', value: [ds1.id.toUpperCase()] }], 'datasetIds'],
    ['more than 100 glossaryIds', [{ op: 'replace', path: '/glossaryIds', value: guids(101) }], 'glossaryIds'],
    ['apiConsumableDatasetIds with a duplicate', [{ op: 'replace', path: '/apiConsumableDatasetIds', value: [ds1.id, ds1.id] }], 'apiConsumableDatasetIds'],
    ['keyContacts not an array', [{ op: 'replace', path: '/keyContacts', value: 'x' }], 'keyContacts'],
  ];
  const badTitles = badPatches({ id: MISSING_ID }).map((c) => c[0]);
  badTitles.forEach((title, i) => {
    test(`400 DP-400-VALIDATION and nothing changes: ${title}`, async () => {
      const [, body, detail] = badPatches(ds1)[i];
      const p = await makeProduct(srv, { description: 'orig', datasetIds: [ds1.id] });
      const res = await patch(p.id, body);
      assertError(res, 400, 'DP-400-VALIDATION', detail);
      assert.deepEqual(await get(p.id), p);
      assert.equal((await changelogs(srv, p.id)).total, 1);
    });
  });

  test('malformed JSON -> 400 DP-400-INVALID-JSON', async () => {
    const p = await makeProduct(srv);
    const res = await srv.api('PATCH', `${DP}/${p.id}`, { raw: '[{"op":"replace",', headers: { 'Content-Type': 'application/json' } });
    assertError(res, 400, 'DP-400-INVALID-JSON');
    assert.deepEqual(await get(p.id), p);
  });

  test('empty body -> 400 DP-400-BAD-REQUEST', async () => {
    const p = await makeProduct(srv);
    const res = await srv.api('PATCH', `${DP}/${p.id}`, { raw: '', headers: { 'Content-Type': 'application/json' } });
    assertError(res, 400, 'DP-400-BAD-REQUEST');
  });

  test('text/plain -> 415 DP-415-UNSUPPORTED-MEDIA-TYPE; nothing changes', async () => {
    const p = await makeProduct(srv);
    const res = await srv.api('PATCH', `${DP}/${p.id}`, {
      raw: JSON.stringify([{ op: 'replace', path: '/description', value: 'x' }]),
      headers: { 'Content-Type': 'text/plain' },
    });
    assertError(res, 415, 'DP-415-UNSUPPORTED-MEDIA-TYPE');
    assert.deepEqual(await get(p.id), p);
    assert.equal((await changelogs(srv, p.id)).total, 1);
  });

  test('unknown product -> 404 DP-404-NOT-FOUND', async () => {
    const res = await patch(MISSING_ID, [{ op: 'replace', path: '/description', value: 'x' }]);
    assertError(res, 404, 'DP-404-NOT-FOUND');
  });

  test('non-GUID id -> 400 DP-400-INVALID-ID', async () => {
    const res = await patch('abc', [{ op: 'replace', path: '/description', value: 'x' }]);
    assertError(res, 400, 'DP-400-INVALID-ID', 'dataProductId');
  });
});

// ---------------------------------------------------------------- delete
describe('delete', () => {
  test('204, then GET and changelogs -> 404, list total drops by one, second DELETE -> 404', async () => {
    const p = await makeProduct(srv, { description: 'doomed' });
    const before = await productTotal(srv);
    const res = await srv.api('DELETE', `${DP}/${p.id}`);
    assert.equal(res.status, 204, res.text);
    assert.equal(res.text, '');
    assertError(await srv.api('GET', `${DP}/${p.id}`), 404, 'DP-404-NOT-FOUND');
    assertError(await srv.api('GET', `${DP}/${p.id}/changelogs`), 404, 'DP-404-NOT-FOUND');
    assert.equal(await productTotal(srv), before - 1);
    assertError(await srv.api('DELETE', `${DP}/${p.id}`), 404, 'DP-404-NOT-FOUND');
  });

  test('409 DP-409-PRODUCT-ACTIVATED while activated; deletable after deactivation', async () => {
    const p = await makeActivatableProduct(srv);
    const act = await activate(p);
    assert.equal(act.status, 201, act.text);
    const before = await productTotal(srv);
    assertError(await srv.api('DELETE', `${DP}/${p.id}`), 409, 'DP-409-PRODUCT-ACTIVATED');
    const still = await get(p.id);
    assert.equal(still.activated, true);
    assert.equal(await productTotal(srv), before);
    assert.equal((await deactivate(p)).status, 204);
    assert.equal((await srv.api('DELETE', `${DP}/${p.id}`)).status, 204);
    assertError(await srv.api('GET', `${DP}/${p.id}`), 404, 'DP-404-NOT-FOUND');
  });

  test('deleting a product never deletes its data sets', async () => {
    const ds1 = await makeDataSet(srv);
    const ds2 = await makeDataSet(srv);
    const p = await makeProduct(srv, { datasetIds: [ds1.id, ds2.id], apiConsumableDatasetIds: [ds2.id] });
    assert.equal((await srv.api('DELETE', `${DP}/${p.id}`)).status, 204);
    for (const ds of [ds1, ds2]) {
      const res = await srv.api('GET', `/api/v1/data-sets/${ds.id}`);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body, ds);
    }
    // and they can be used again
    await makeProduct(srv, { datasetIds: [ds1.id, ds2.id] });
  });

  test('unknown id -> 404; non-GUID id -> 400 DP-400-INVALID-ID', async () => {
    assertError(await srv.api('DELETE', `${DP}/${MISSING_ID}`), 404, 'DP-404-NOT-FOUND');
    assertError(await srv.api('DELETE', `${DP}/xyz`), 400, 'DP-400-INVALID-ID', 'dataProductId');
  });
});

// ---------------------------------------------------------------- list
describe('list', () => {
  /** Checks the list envelope and returns it. */
  function assertEnvelope(res) {
    assert.equal(res.status, 200, res.text);
    const b = res.body;
    assert.deepEqual(Object.keys(b).sort(), ['data', 'limit', 'links', 'page', 'pages', 'total', 'totalRelation']);
    assert.equal(b.totalRelation, 'eq');
    assert.ok(Array.isArray(b.data));
    assert.equal(b.pages, b.total === 0 ? 0 : Math.ceil(b.total / b.limit));
    for (const p of b.data) assertProductShape(p);
    return b;
  }
  /** Parses an absolute link href and checks origin and path. */
  function linkOf(b, rel) {
    const href = b.links[rel]?.href;
    assert.equal(typeof href, 'string', `links.${rel}.href missing`);
    assert.ok(href.startsWith(`${srv.url}/`), `${href} is not absolute on ${srv.url}`);
    const u = new URL(href);
    assert.equal(u.origin, new URL(srv.url).origin);
    assert.equal(u.pathname, DP);
    return u;
  }

  describe('paging', () => {
    let space; const ids = [];
    before(async () => {
      space = await makeSpace(srv);
      for (let i = 0; i < 25; i++) ids.push((await makeProduct(srv, { name: `page-${String(i).padStart(2, '0')}`, spaceId: space.id })).id);
    });

    test('defaults: limit 20, page 1, sort -updatedAt', async () => {
      const b = assertEnvelope(await list(`spaceId=${space.id}`));
      assert.equal(b.limit, 20);
      assert.equal(b.page, 1);
      assert.equal(b.total, 25);
      assert.equal(b.pages, 2);
      assert.equal(b.data.length, 20);
      for (let i = 1; i < b.data.length; i++) {
        const [x, y] = [b.data[i - 1], b.data[i]];
        assert.ok(x.updatedAt > y.updatedAt || (x.updatedAt === y.updatedAt && x.id > y.id), 'not -updatedAt order');
      }
    });

    test('limit/page walk the whole set once, with absolute links keeping the query', async () => {
      const seen = [];
      for (let page = 1; page <= 3; page++) {
        const b = assertEnvelope(await list(`spaceId=${space.id}&limit=10&sort=name&page=${page}`));
        assert.equal(b.page, page);
        assert.equal(b.limit, 10);
        assert.equal(b.total, 25);
        assert.equal(b.pages, 3);
        assert.equal(b.data.length, page < 3 ? 10 : 5);
        seen.push(...b.data.map((p) => p.id));
        for (const rel of ['self', 'first', 'last']) {
          const u = linkOf(b, rel);
          assert.equal(u.searchParams.get('spaceId'), space.id, rel);
          assert.equal(u.searchParams.get('limit'), '10', rel);
          assert.equal(u.searchParams.get('sort'), 'name', rel);
          assert.deepEqual(u.searchParams.getAll('page'), [String({ self: page, first: 1, last: 3 }[rel])], rel);
        }
        if (page === 1) assert.equal(b.links.prev, undefined, 'prev on first page');
        else assert.equal(linkOf(b, 'prev').searchParams.get('page'), String(page - 1));
        if (page === 3) assert.equal(b.links.next, undefined, 'next on last page');
        else {
          const n = linkOf(b, 'next');
          assert.equal(n.searchParams.get('page'), String(page + 1));
          assert.equal(n.searchParams.get('spaceId'), space.id);
          assert.equal(n.searchParams.get('limit'), '10');
        }
      }
      assert.equal(new Set(seen).size, 25);
      assert.deepEqual([...seen].sort(), [...ids].sort());
    });

    test('following links.next verbatim reaches every page', async () => {
      let res = await list(`spaceId=${space.id}&limit=7`);
      const seen = [];
      for (let hops = 0; ; hops++) {
        const b = assertEnvelope(res);
        seen.push(...b.data.map((p) => p.id));
        if (!b.links.next) break;
        assert.ok(hops < 10);
        const r = await fetch(b.links.next.href, { headers: { Authorization: `Bearer ${srv.key}` } });
        const text = await r.text();
        res = { status: r.status, text, body: JSON.parse(text) };
      }
      assert.equal(seen.length, 25);
      assert.equal(new Set(seen).size, 25);
    });

    test('a single page has neither prev nor next', async () => {
      const b = assertEnvelope(await list(`spaceId=${space.id}&limit=100`));
      assert.equal(b.pages, 1);
      assert.equal(b.data.length, 25);
      assert.equal(b.links.prev, undefined);
      assert.equal(b.links.next, undefined);
      assert.equal(linkOf(b, 'last').searchParams.get('page'), '1');
    });

    test('a page past the end is empty and has no next', async () => {
      const b = assertEnvelope(await list(`spaceId=${space.id}&limit=10&page=4`));
      assert.deepEqual(b.data, []);
      assert.equal(b.page, 4);
      assert.equal(b.total, 25);
      assert.equal(b.pages, 3);
      assert.equal(b.links.next, undefined);
    });

    test('an empty result: total 0, pages 0, no prev/next', async () => {
      const empty = await makeSpace(srv);
      const b = assertEnvelope(await list(`spaceId=${empty.id}`));
      assert.deepEqual(b.data, []);
      assert.equal(b.total, 0);
      assert.equal(b.pages, 0);
      assert.equal(b.links.prev, undefined);
      assert.equal(b.links.next, undefined);
    });
  });

  describe('sort', () => {
    let space; let created; // creation order
    before(async () => {
      space = await makeSpace(srv);
      created = [];
      for (const name of ['banana', 'Apple', 'cherry', 'apricot']) {
        created.push(await makeProduct(srv, { name, spaceId: space.id }));
        await pause(3);
      }
      // touch banana last so updatedAt order differs from createdAt order
      const res = await patch(created[0].id, [{ op: 'replace', path: '/description', value: 'touched' }]);
      assert.equal(res.status, 204, res.text);
    });
    const names = async (sort) => {
      const b = assertEnvelope(await list(`spaceId=${space.id}${sort === undefined ? '' : `&sort=${sort}`}`));
      assert.equal(b.total, 4);
      return b.data.map((p) => p.name);
    };

    test('name ascending (case-insensitive), with and without +', async () => {
      const asc = ['Apple', 'apricot', 'banana', 'cherry'];
      assert.deepEqual(await names('name'), asc);
      assert.deepEqual(await names('%2Bname'), asc);
    });
    test('an unencoded + (arrives as a space) still means ascending', async () => {
      assert.deepEqual(await names('+name'), ['Apple', 'apricot', 'banana', 'cherry']);
    });
    test('name descending', async () => {
      assert.deepEqual(await names('-name'), ['cherry', 'banana', 'apricot', 'Apple']);
    });
    test('createdAt ascending and descending', async () => {
      const order = ['banana', 'Apple', 'cherry', 'apricot'];
      assert.deepEqual(await names('createdAt'), order);
      assert.deepEqual(await names('%2BcreatedAt'), order);
      assert.deepEqual(await names('-createdAt'), [...order].reverse());
    });
    test('updatedAt ascending and descending; default is -updatedAt', async () => {
      const order = ['Apple', 'cherry', 'apricot', 'banana'];
      assert.deepEqual(await names('updatedAt'), order);
      assert.deepEqual(await names('%2BupdatedAt'), order);
      assert.deepEqual(await names('-updatedAt'), [...order].reverse());
      assert.deepEqual(await names(undefined), [...order].reverse());
    });
  });

  describe('filters', () => {
    let s1; let s2; let a; let b; let c; let d; let e;
    before(async () => {
      s1 = await makeSpace(srv);
      s2 = await makeSpace(srv);
      a = await makeActivatableProduct(srv, { name: 'Zq Widget name', spaceId: s1.id, tags: ['red', 'blue'] });
      b = await makeProduct(srv, { name: 'plain b', spaceId: s1.id, tags: ['red'], description: 'Mentions ZQDESCRIPTION here' });
      c = await makeProduct(srv, { name: 'plain c', spaceId: s1.id, tags: ['blue', 'Green-ZQTAG'] });
      d = await makeProduct(srv, { name: 'plain d', spaceId: s2.id, tags: ['red'] });
      e = await makeProduct(srv, { name: 'plain e', spaceId: s2.id });
      const res = await activate(a);
      assert.equal(res.status, 201, res.text);
    });
    const ids = async (qs) => {
      const body = assertEnvelope(await list(`limit=100&${qs}`));
      assert.equal(body.total, body.data.length);
      return body.data.map((p) => p.id).sort();
    };
    const sorted = (...ps) => ps.map((p) => p.id).sort();

    test('spaceId', async () => {
      assert.deepEqual(await ids(`spaceId=${s1.id}`), sorted(a, b, c));
      assert.deepEqual(await ids(`spaceId=${s2.id}`), sorted(d, e));
      assert.deepEqual(await ids(`spaceId=${MISSING_ID}`), []);
    });

    test('activated=true / activated=false', async () => {
      assert.deepEqual(await ids(`spaceId=${s1.id}&activated=true`), sorted(a));
      assert.deepEqual(await ids(`spaceId=${s1.id}&activated=false`), sorted(b, c));
      const all = assertEnvelope(await list('limit=100&activated=true'));
      assert.ok(all.data.some((p) => p.id === a.id));
      for (const p of all.data) assert.equal(p.activated, true);
      const off = assertEnvelope(await list('limit=100&activated=false'));
      for (const p of off.data) assert.equal(p.activated, false);
    });

    test('tag (repeated tags must all match)', async () => {
      assert.deepEqual(await ids(`spaceId=${s1.id}&tag=red`), sorted(a, b));
      assert.deepEqual(await ids('tag=red'), sorted(a, b, d));
      assert.deepEqual(await ids('tag=red&tag=blue'), sorted(a));
      assert.deepEqual(await ids('tag=blue&tag=red'), sorted(a));
      assert.deepEqual(await ids('tag=red&tag=Green-ZQTAG'), []);
      assert.deepEqual(await ids('tag=Green-ZQTAG'), sorted(c));
    });

    test('ownerId', async () => {
      const total = await productTotal(srv);
      assert.equal(await productTotal(srv, `ownerId=${srv.admin.userId}`), total);
      assert.equal(await productTotal(srv, `ownerId=${MISSING_ID}`), 0);
      assert.deepEqual(await ids(`spaceId=${s2.id}&ownerId=${srv.admin.userId}`), sorted(d, e));
    });

    test('query: case-insensitive words and word prefixes over name, description and tags', async () => {
      assert.deepEqual(await ids('query=widget'), sorted(a));
      assert.deepEqual(await ids('query=WIDGET%20NAME'), sorted(a));
      assert.deepEqual(await ids('query=zqdescription'), sorted(b));
      assert.deepEqual(await ids('query=zqtag'), sorted(c));
      assert.deepEqual(await ids('query=ZQ'), sorted(a, b, c));
      assert.deepEqual(await ids(`query=zq&spaceId=${s1.id}&activated=false`), sorted(b, c));
      assert.deepEqual(await ids('query=no-such-text-anywhere'), []);
    });

    test('query: a phrase never spans two fields', async () => {
      // a: name 'Zq Widget name', tags red, blue. Words match anywhere (AND), but the
      // phrase "name red" would need the name's last word and the first tag together
      assert.deepEqual(await ids('query=zq%20name%20red'), sorted(a));
      assert.deepEqual(await ids('query=%22name%20red%22'), []);
      assert.deepEqual(await ids('query=%22widget%20name%22'), sorted(a));
    });

    test('tag and query filters follow patches', async () => {
      const p = await makeProduct(srv, { spaceId: s2.id, tags: ['before-tag'], description: 'before text' });
      const res = await patch(p.id, [
        { op: 'replace', path: '/tags', value: ['after-tag'] },
        { op: 'replace', path: '/description', value: 'after text' },
      ]);
      assert.equal(res.status, 204, res.text);
      assert.deepEqual(await ids('tag=before-tag'), []);
      assert.deepEqual(await ids('tag=after-tag'), [p.id]);
      assert.deepEqual(await ids('query=before%20text'), []);
      assert.deepEqual(await ids('query=AFTER%20TEXT'), [p.id]);
      assert.deepEqual(await ids('query=after-TAG'), [p.id]);
    });

    test('filters combine and keep paging consistent', async () => {
      const body = assertEnvelope(await list(`spaceId=${s1.id}&tag=blue&limit=1&page=2&sort=name`));
      assert.equal(body.total, 2);
      assert.equal(body.pages, 2);
      assert.equal(body.data.length, 1);
      assert.equal(body.data[0].id, a.id); // 'plain c' < 'zq widget name'
      const prev = linkOf(body, 'prev');
      assert.equal(prev.searchParams.get('tag'), 'blue');
      assert.equal(prev.searchParams.get('spaceId'), s1.id);
      assert.equal(prev.searchParams.get('page'), '1');
    });
  });

  const badQueries = [
    ['limit=0', 'limit'], ['limit=101', 'limit'], ['limit=abc', 'limit'], ['limit=', 'limit'],
    ['limit=-1', 'limit'], ['limit=1.5', 'limit'], ['limit=10abc', 'limit'],
    ['page=0', 'page'], ['page=-1', 'page'], ['page=abc', 'page'], ['page=1000001', 'page'],
    ['sort=bogus', 'sort'], ['sort=-bogus', 'sort'], ['sort=id', 'sort'], ['sort=name,createdAt', 'sort'], ['sort=', 'sort'],
    ['activated=yes', 'activated'], ['activated=TRUE', 'activated'], ['activated=1', 'activated'], ['activated=', 'activated'],
    ['spaceId=not-a-guid', 'spaceId'], ['spaceId=ABCDEFAB-ABCD-4ABC-8ABC-ABCDEFABCDEF', 'spaceId'], ['spaceId=', 'spaceId'],
    ['ownerId=me', 'ownerId'], ['tag=', 'tag'], ['tag=a&tag=', 'tag'],
    [Array.from({ length: 17 }, (_, i) => `tag=t${i}`).join('&'), 'tag'],
    ['query=', 'query'], [`query=${'q'.repeat(257)}`, 'query'],
  ];
  for (const [qs, param] of badQueries) {
    test(`?${qs.length > 60 ? `${qs.slice(0, 57)}...` : qs} -> 400 DP-400-INVALID-QUERY naming '${param}'`, async () => {
      assertError(await list(qs), 400, 'DP-400-INVALID-QUERY', `'${param}'`);
    });
  }

  test('exactly 16 tags and a 256-byte query are accepted', async () => {
    const tags = Array.from({ length: 16 }, (_, i) => `tag=t${i}`).join('&');
    assert.equal((await list(tags)).status, 200);
    assert.equal((await list(`query=${'q'.repeat(256)}`)).status, 200);
  });
});

// ---------------------------------------------------------------- pendingChangesCount
describe('pendingChangesCount', () => {
  let p;
  test('0 on create', async () => {
    p = await makeActivatableProduct(srv, { description: 'pending' });
    assert.equal(p.pendingChangesCount, 0);
    assert.equal((await get(p.id)).pendingChangesCount, 0);
  });

  test('patches before activation do not count (product not activated)', async () => {
    assert.equal((await patch(p.id, [{ op: 'replace', path: '/readMe', value: 'draft' }])).status, 204);
    assert.equal((await get(p.id)).pendingChangesCount, 0);
  });

  test('0 after activation', async () => {
    const res = await activate(p);
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.activated, true);
    assert.equal(res.body.pendingChangesCount, 0);
    assert.equal((await get(p.id)).pendingChangesCount, 0);
  });

  test('after two patches on an activated product it equals the number of changes', async () => {
    let res = await patch(p.id, [
      { op: 'replace', path: '/description', value: 'pending 2' },
      { op: 'replace', path: '/tags', value: ['x'] },
      { op: 'replace', path: '/readMe', value: 'draft' }, // unchanged: not a change
    ]);
    assert.equal(res.status, 204, res.text);
    assert.equal((await get(p.id)).pendingChangesCount, 2);
    res = await patch(p.id, [{ op: 'replace', path: '/glossaryIds', value: [MISSING_ID] }]);
    assert.equal(res.status, 204, res.text);
    assert.equal((await get(p.id)).pendingChangesCount, 3);
  });

  test('a no-op patch and a failed patch do not count', async () => {
    assert.equal((await patch(p.id, [{ op: 'replace', path: '/description', value: 'pending 2' }])).status, 204);
    assert.equal((await patch(p.id, [{ op: 'replace', path: '/tags', value: ['y'] }, { op: 'replace', path: '/name', value: null }])).status, 400);
    assert.equal((await get(p.id)).pendingChangesCount, 3);
  });

  test('list responses carry the same count', async () => {
    const b = (await list(`limit=100&activated=true`)).body;
    assert.equal(b.data.find((x) => x.id === p.id)?.pendingChangesCount, 3);
  });

  test('re-activation resets it to 0', async () => {
    const res = await activate(p, { name: p.name });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.pendingChangesCount, 0);
    assert.equal((await patch(p.id, [{ op: 'replace', path: '/description', value: 'pending 3' }])).status, 204);
    assert.equal((await get(p.id)).pendingChangesCount, 1);
  });

  test('0 after deactivation, and patches while deactivated do not count', async () => {
    assert.equal((await deactivate(p)).status, 204);
    const d = await get(p.id);
    assert.equal(d.activated, false);
    assert.equal(d.pendingChangesCount, 0);
    assert.equal((await patch(p.id, [{ op: 'replace', path: '/description', value: 'after' }])).status, 204);
    assert.equal((await get(p.id)).pendingChangesCount, 0);
  });
});
