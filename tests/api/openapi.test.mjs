// openapi: docs/openapi.json is a valid OpenAPI 3.1 document, the server
// serves exactly it, it lists exactly the routes of src/api/routes.c and the
// error codes of src/http/errors.c, and real responses pass the contract
// check that lib/server.mjs applies to every srv.api() call. The checker
// itself is exercised on hand-made bad responses so it cannot silently pass.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import SwaggerParser from '@apidevtools/swagger-parser';
import * as qlikDataProducts from '@qlik/api/data-governance/data-products';
import * as qlikSpaces from '@qlik/api/spaces';
import * as qlikDataSets from '@qlik/api/data-sets';
import { startServer, MISSING_ID } from './lib/server.mjs';
import { loadSpec, checkResponse, matchTemplates, SPEC_PATH } from './lib/openapi.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DP = '/api/data-governance/data-products';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Rows of the routing table: {method, pattern, handler, tier, auth}. */
function parseRoutes() {
  const src = readFileSync(path.join(root, 'src/api/routes.c'), 'utf8');
  const macros = {};
  for (const m of src.matchAll(/^#define\s+(\w+)\s+"([^"]*)"\s*$/gm)) macros[m[1]] = m[2];
  const expand = (expr) => [...expr.matchAll(/"([^"]*)"|(\w+)/g)].map(([, lit, name]) => {
    if (lit !== undefined) return lit;
    assert.ok(name in macros, `routes.c: unknown macro ${name}`);
    return macros[name];
  }).join('');
  const rowRe = /\{\s*"([A-Z]+)"\s*,\s*((?:"[^"]*"|\w+)(?:\s+(?:"[^"]*"|\w+))*)\s*,\s*(\w+)\s*,\s*(TIER_\w+)\s*,\s*(true|false)\s*\}/g;
  const rows = [...src.matchAll(rowRe)].map(([, method, expr, handler, tier, auth]) => ({
    method, pattern: expand(expr), handler, tier, auth: auth === 'true',
  }));
  const rowLines = src.split('\n').filter((l) => /^\s*\{\s*"[A-Z]+"/.test(l)).length;
  assert.equal(rows.length, rowLines, 'every routing-table row of routes.c was parsed');
  assert.ok(rows.length >= 20, `routes.c has ${rows.length} routes`);
  // The web app's pages and assets (src/api/web.c) are not API operations:
  // tests/api/web-assets.test.mjs and tests/web cover them.
  return rows.filter((r) => !r.handler.startsWith('web_'));
}

/** Error table of errors.c: [{code, status}]. */
function parseErrors() {
  const src = readFileSync(path.join(root, 'src/http/errors.c'), 'utf8');
  const rows = [...src.matchAll(/\[(ERR_\w+)\]\s*=\s*\{\s*"([^"]+)"\s*,\s*(\d{3})\s*,/g)]
    .map(([, id, code, status]) => ({ id, code, status: Number(status) }));
  const entries = (src.match(/^\s*\[ERR_\w+\]\s*=/gm) || []).length;
  assert.equal(rows.length, entries, 'every row of the errors.c table was parsed');
  assert.ok(rows.length >= 20);
  return rows;
}

function operations(spec) {
  const out = [];
  for (const [p, item] of Object.entries(spec.paths)) {
    for (const m of METHODS) if (item[m]) out.push({ path: p, method: m.toUpperCase(), op: item[m] });
  }
  return out;
}

/** The set of codes a (dereferenced) error response admits. */
function responseCodes(response) {
  const schema = response.content['application/json'].schema;
  return schema.allOf[1].properties.errors.items.properties.code.enum;
}

describe('the document', () => {
  let spec;
  let raw;
  before(async () => {
    spec = await loadSpec();
    raw = JSON.parse(readFileSync(SPEC_PATH, 'utf8'));
  });

  test('is a valid OpenAPI 3.1.0 document (SwaggerParser.validate)', async () => {
    const api = await SwaggerParser.validate(SPEC_PATH);
    assert.equal(api.openapi, '3.1.0');
    assert.ok(api.info.description.length > 500, 'top-level description explains the service');
    assert.deepEqual(raw.security, [{ bearerAuth: [] }]);
    assert.deepEqual(raw.components.securitySchemes.bearerAuth,
      { ...raw.components.securitySchemes.bearerAuth, type: 'http', scheme: 'bearer', bearerFormat: 'API key' });
  });

  test('lists exactly the routes of src/api/routes.c, with their tier and auth', () => {
    const routes = parseRoutes();
    const inC = routes.map((r) => `${r.method} ${r.pattern}`).sort();
    const inDoc = operations(spec).map((o) => `${o.method} ${o.path}`).sort();
    assert.deepEqual(inDoc, inC, 'document operations == routing table');
    for (const r of routes) {
      const op = spec.paths[r.pattern][r.method.toLowerCase()];
      const tier = { TIER_1: 1, TIER_2: 2, TIER_NONE: undefined }[r.tier];
      assert.equal(op['x-rate-limit-tier'], tier, `${r.method} ${r.pattern}: x-rate-limit-tier`);
      const secured = op.security === undefined ? spec.security : op.security;
      assert.equal(secured.length > 0, r.auth, `${r.method} ${r.pattern}: security matches auth=${r.auth}`);
    }
  });

  test('every operation has a unique operationId; Qlik operations use @qlik/api names', () => {
    const ops = operations(spec);
    const ids = ops.map((o) => o.op.operationId);
    assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
    const qlik = { ...qlikDataProducts, ...qlikSpaces, ...qlikDataSets };
    const expected = {
      [`POST ${DP}`]: 'createDataProduct',
      [`GET ${DP}/{dataProductId}`]: 'getDataProduct',
      [`PATCH ${DP}/{dataProductId}`]: 'patchDataProduct',
      [`DELETE ${DP}/{dataProductId}`]: 'deleteDataProduct',
      [`POST ${DP}/{dataProductId}/actions/activate`]: 'activateDataProduct',
      [`POST ${DP}/{dataProductId}/actions/deactivate`]: 'deactivateDataProduct',
      [`POST ${DP}/{dataProductId}/actions/move`]: 'moveDataProduct',
      [`GET ${DP}/{dataProductId}/actions/export-documentation`]: 'exportDocumentationDataProduct',
      [`GET ${DP}/{dataProductId}/changelogs`]: 'getDataProductChangelogs',
      [`POST ${DP}/actions/generate-provider-url`]: 'generateProviderUrlDataProducts',
      'GET /api/v1/spaces': 'getSpaces',
      'POST /api/v1/spaces': 'createSpace',
      'GET /api/v1/spaces/{spaceId}': 'getSpace',
      'POST /api/v1/data-sets': 'createDataSet',
      'GET /api/v1/data-sets/{dataSetId}': 'getDataSet',
    };
    for (const [key, id] of Object.entries(expected)) {
      assert.equal(typeof qlik[id], 'function', `@qlik/api exports ${id}`);
      const [m, p] = key.split(' ');
      assert.equal(spec.paths[p][m.toLowerCase()].operationId, id, key);
    }
  });

  test('the ErrorCode enum is exactly the code table of src/http/errors.c, each code documented', () => {
    const table = parseErrors();
    const enumCodes = spec.components.schemas.ErrorResponse.properties.errors.items.properties.code.enum;
    assert.deepEqual([...enumCodes].sort(), table.map((r) => r.code).sort());
    const desc = raw.components.schemas.ErrorCode['x-enum-descriptions'];
    assert.deepEqual(Object.keys(desc).sort(), table.map((r) => r.code).sort());
    for (const { code, status } of table) {
      assert.match(desc[code], new RegExp(`^HTTP ${status}\\. .{20,}`), `${code} description`);
      assert.ok(spec.info.description.includes(`| \`${code}\` | ${status} |`), `${code} is in the description table`);
      assert.match(code, new RegExp(`^DP-${status}-`), `${code} names its status`);
    }
  });

  test('every operation documents the statuses the dispatcher can send, and X-Trace-Id everywhere', () => {
    const routes = parseRoutes();
    const codes = new Set(parseErrors().map((r) => r.code));
    for (const r of routes) {
      const where = `${r.method} ${r.pattern}`;
      const op = spec.paths[r.pattern][r.method.toLowerCase()];
      const st = Object.keys(op.responses);
      for (const s of ['405', '413', '415', '500']) assert.ok(st.includes(s), `${where} documents ${s}`);
      if (r.auth) for (const s of ['401', '503']) assert.ok(st.includes(s), `${where} documents ${s}`);
      // the sign-in endpoints judge a key or session themselves (issue 9)
      else if (!r.pattern.startsWith('/auth/')) assert.ok(!st.includes('401'), `${where} needs no auth, documents no 401`);
      if (r.pattern.includes('{')) {
        assert.ok(responseCodes(op.responses['400']).includes('DP-400-INVALID-ID'), `${where} documents 400 INVALID-ID`);
      }
      assert.ok(st.some((s) => /^2/.test(s)), `${where} documents a success`);
      for (const [s, resp] of Object.entries(op.responses)) {
        assert.equal(resp.headers?.['X-Trace-Id']?.required, true, `${where} ${s} has X-Trace-Id`);
        if (Number(s) >= 400) {
          for (const c of responseCodes(resp)) {
            assert.ok(codes.has(c), `${where} ${s}: ${c} is a code of errors.c`);
            assert.ok(c.startsWith(`DP-${s}-`), `${where} ${s}: ${c} belongs to status ${s}`);
          }
        }
      }
      if (r.method === 'POST' && st.includes('201') && r.handler.endsWith('create')) {
        assert.equal(op.responses['201'].headers.Location?.required, true, `${where} 201 has Location`);
      }
    }
    assert.equal(spec.paths[`${DP}/{dataProductId}/actions/export-documentation`].get.responses['200']
      .headers['Content-Disposition'].required, true);
  });

  test('DataProductResponse follows data-products.d.ts', () => {
    const s = spec.components.schemas.DataProductResponse;
    assert.equal(s.additionalProperties, false);
    assert.deepEqual(Object.keys(s.properties).sort(), ['activated', 'activatedAt', 'activatedOn',
      'apiConsumableDatasetIds', 'createdAt', 'createdBy', 'datasetIds', 'description', 'glossaryIds', 'id',
      'keyContacts', 'mainId', 'name', 'ownerId', 'pendingChangesCount', 'qri', 'quality', 'readMe', 'spaceId',
      'tags', 'tenantId', 'trustScore', 'updatedAt', 'updatedBy']);
    // every field the .d.ts marks non-optional is required
    for (const f of ['activatedOn', 'apiConsumableDatasetIds', 'createdAt', 'createdBy', 'datasetIds',
      'glossaryIds', 'id', 'keyContacts', 'name', 'ownerId', 'qri', 'tags', 'tenantId', 'updatedAt', 'updatedBy']) {
      assert.ok(s.required.includes(f), `${f} is required`);
    }
    for (const f of ['quality', 'trustScore', 'description', 'readMe', 'spaceId', 'activatedAt']) {
      assert.ok(!s.required.includes(f), `${f} is optional`);
    }
    assert.equal(s.properties.pendingChangesCount.type, 'integer');
  });
});

describe('live responses', () => {
  let srv;
  before(async () => { srv = await startServer(); await loadSpec(); });
  after(async () => { await srv.stop(); });

  /** srv.api() already checks; checking again here states it explicitly. */
  async function call(method, p, o) {
    const res = await srv.api(method, p, o);
    checkResponse(method, p, res.status, res.headers.get('content-type'), res.text, res.headers);
    return res;
  }

  test('GET /api/openapi.json serves exactly docs/openapi.json', async () => {
    const res = await call('GET', '/api/openapi.json', { key: null });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^application\/json/);
    const file = readFileSync(SPEC_PATH, 'utf8');
    assert.deepEqual(res.body, JSON.parse(file));
    assert.equal(res.text, file, 'byte for byte (rebuild with `make` after editing docs/openapi.json)');
  });

  test('a data product lifecycle passes the contract check at every step', async () => {
    const space = await call('POST', '/api/v1/spaces', { body: { name: 'oa managed', type: 'managed', description: 'd' } });
    assert.equal(space.status, 201, space.text);
    assert.equal((await call('GET', `/api/v1/spaces/${space.body.id}`)).status, 200);
    assert.equal((await call('GET', '/api/v1/spaces?limit=1')).status, 200);
    const ds = await call('POST', '/api/v1/data-sets', {
      body: {
        name: 'oa ds', technicalName: 'oa_ds', spaceId: space.body.id, tags: ['t'],
        schema: { dataFields: [{ name: 'id', dataType: { type: 'INTEGER' } }] },
        operational: { location: 'x.csv' }, properties: { any: { thing: 1 } },
      },
    });
    assert.equal(ds.status, 201, ds.text);
    assert.equal((await call('GET', `/api/v1/data-sets/${ds.body.id}`)).status, 200);
    const p = await call('POST', DP, {
      body: {
        name: 'oa product', description: 'desc', readMe: '# hi', spaceId: space.body.id, tags: ['a', 'b'],
        datasetIds: [ds.body.id], apiConsumableDatasetIds: [ds.body.id],
        keyContacts: [{ userId: srv.admin.userId, role: 'owner' }],
      },
    });
    assert.equal(p.status, 201, p.text);
    const id = p.body.id;
    assert.equal((await call('GET', `${DP}/${id}`)).status, 200);
    assert.equal((await call('PATCH', `${DP}/${id}`, {
      body: [{ op: 'replace', path: '/description', value: null }, { op: 'replace', path: '/tags', value: ['c'] }],
    })).status, 204);
    const act = await call('POST', `${DP}/${id}/actions/activate`, { body: { name: 'oa product', spaceId: space.body.id } });
    assert.equal(act.status, 201, act.text);
    assert.equal((await call('PATCH', `${DP}/${id}`, { body: [{ op: 'replace', path: '/readMe', value: 'x' }] })).status, 204);
    const got = await call('GET', `${DP}/${id}`);
    assert.equal(got.body.pendingChangesCount, 1);
    assert.equal((await call('POST', `${DP}/${id}/actions/deactivate`)).status, 204);
    const other = await call('POST', '/api/v1/spaces', { body: { name: 'oa shared', type: 'shared' } });
    assert.equal((await call('POST', `${DP}/${id}/actions/move`, { body: { spaceId: other.body.id } })).status, 204);
    const list = await call('GET', `${DP}?limit=1&sort=name&tag=c`);
    assert.equal(list.status, 200, list.text);
    assert.equal(list.body.total, 1);
    const logs = await call('GET', `${DP}/${id}/changelogs?limit=2&page=2&sort=%2BcreatedAt`);
    assert.equal(logs.status, 200, logs.text);
    assert.ok(logs.body.links.prev && logs.body.links.next, 'a middle page has prev and next');
    const md = await call('GET', `${DP}/${id}/actions/export-documentation`);
    assert.equal(md.status, 200);
    const html = await call('GET', `${DP}/${id}/actions/export-documentation?format=html`);
    assert.equal(html.status, 200);
    assert.equal((await call('DELETE', `${DP}/${id}`)).status, 204);
  });

  test('error responses pass the contract check', async () => {
    // 415/406 need a product the caller can see: a missing one is 404 first
    // (decisions.md "Issue 8 — who sees what", check order)
    const made = await call('POST', DP, { body: { name: 'oa errors' } });
    assert.equal(made.status, 201, made.text);
    const pid = made.body.id;
    const cases = [
      ['GET', `${DP}/${MISSING_ID}`, {}, 404],
      ['GET', `${DP}/not-a-guid`, {}, 400],
      ['GET', `${DP}?limit=0`, {}, 400],
      ['GET', DP, { key: null }, 401],
      ['POST', DP, {}, 400],
      ['POST', DP, { raw: '{"name":', headers: { 'Content-Type': 'application/json' } }, 400],
      ['POST', DP, { raw: 'name=x', headers: { 'Content-Type': 'text/plain' } }, 415],
      ['POST', `${DP}/${MISSING_ID}/actions/deactivate`, {}, 404],
      ['GET', `${DP}/${MISSING_ID}/actions/export-documentation?format=pdf`, {}, 404],
      ['GET', `${DP}/${pid}/actions/export-documentation?format=pdf`, {}, 415],
      ['GET', `${DP}/${pid}/actions/export-documentation`, { headers: { Accept: 'application/json' } }, 406],
      ['POST', `${DP}/actions/generate-provider-url`, {}, 400],
      ['POST', `${DP}/actions/generate-provider-url?dataSetId=${MISSING_ID}`, {}, 404],
      ['GET', '/api/no/such/thing', {}, 404],
      ['GET', '/nope', { key: null }, 404],
      ['PUT', `${DP}/${MISSING_ID}`, {}, 405],
      ['DELETE', '/health', { key: null }, 405],
      ['HEAD', '/health', { key: null }, 405],
      ['OPTIONS', `${DP}/${MISSING_ID}/changelogs`, {}, 405],
      ['POST', '/api/v1/spaces', { raw: 'x'.repeat(1024 * 1024 + 1), headers: { 'Content-Type': 'application/json' } }, 413],
      ['POST', '/no/such/path', { raw: 'x'.repeat(1024 * 1024 + 1), headers: { 'Content-Type': 'application/json' } }, 413],
    ];
    for (const [method, p, o, status] of cases) {
      const res = await call(method, p, o);
      assert.equal(res.status, status, `${method} ${p}: ${res.text}`);
    }
  });

  test('srv.api() rejects a response the document does not allow; noSchemaCheck skips the check', async () => {
    const spec = await loadSpec();
    const responses = spec.paths['/health'].get.responses;
    const saved = responses['200'];
    delete responses['200'];
    try {
      await assert.rejects(srv.api('GET', '/health', { key: null }),
        /OpenAPI contract violation: GET \/health -> 200: status 200 is not documented for getHealth/);
      const res = await srv.api('GET', '/health', { key: null, noSchemaCheck: true });
      assert.equal(res.status, 200);
    } finally {
      responses['200'] = saved;
    }
    assert.equal((await srv.api('GET', '/health', { key: null })).status, 200);
  });
});

describe('checkResponse rejects what the document forbids', () => {
  const product = {
    id: MISSING_ID, mainId: MISSING_ID, qri: `qri:dataproduct:${MISSING_ID}:${MISSING_ID}`, tenantId: MISSING_ID,
    ownerId: MISSING_ID, activated: false, createdAt: '2026-01-02T03:04:05.678Z', createdBy: MISSING_ID,
    updatedAt: '2026-01-02T03:04:05.678Z', updatedBy: MISSING_ID, activatedOn: [], pendingChangesCount: 0,
    name: 'n', tags: [], datasetIds: [], glossaryIds: [], apiConsumableDatasetIds: [], keyContacts: [],
  };
  const trace = 'abc123';
  const hdrs = (extra = {}) => new Headers({ 'X-Trace-Id': trace, ...extra });
  const err = (code, status) => ({ errors: [{ code, title: 't', detail: 'd', status: String(status) }], traceId: trace });
  const GET_P = `${DP}/${MISSING_ID}`;
  before(async () => { await loadSpec(); });

  test('a conforming product passes', () => {
    checkResponse('GET', `${GET_P}?x=1`, 200, 'application/json', product,
      hdrs({ ETag: '"0123456789abcdef0123456789abcdef"' }));
    checkResponse('GET', GET_P, 200, 'application/json; charset=utf-8', JSON.stringify(product));
  });

  const bad = [
    ['a stray field', () => checkResponse('GET', GET_P, 200, 'application/json', { ...product, extra: 1 }), /must NOT have additional properties 'extra'/],
    ['a missing required field', () => { const { tags, ...p } = product; checkResponse('GET', GET_P, 200, 'application/json', p); }, /must have required property 'tags'/],
    ['null where an array is required', () => checkResponse('GET', GET_P, 200, 'application/json', { ...product, datasetIds: null }), /\/datasetIds must be array/],
    ['a non-integer pendingChangesCount', () => checkResponse('GET', GET_P, 200, 'application/json', { ...product, pendingChangesCount: 1.5 }), /pendingChangesCount must be integer/],
    ['a timestamp without milliseconds', () => checkResponse('GET', GET_P, 200, 'application/json', { ...product, createdAt: '2026-01-02T03:04:05Z' }), /\/createdAt must match pattern/],
    ['an undocumented status', () => checkResponse('GET', GET_P, 409, 'application/json', err('DP-409-CONFLICT', 409)), /status 409 is not documented for getDataProduct/],
    ['an undocumented method answering 200', () => checkResponse('PUT', GET_P, 200, 'application/json', product), /is not in the document.*expected 405 or 413/],
    ['an undocumented path answering 200', () => checkResponse('GET', '/api/nothing', 200, 'application/json', {}), /undocumented path.*expected 404 or 413/],
    ['a 404 on an unknown path with a wrong code', () => checkResponse('GET', '/api/nothing', 404, 'application/json', err('DP-404-NOT-FOUND', 404)), /DP-404-NOT-FOUND where DP-404-ROUTE-NOT-FOUND/],
    ['a 404 on an unknown path that is not an envelope', () => checkResponse('GET', '/api/nothing', 404, 'application/json', { message: 'nope' }), /does not match ErrorResponse/],
    ['an undocumented Content-Type', () => checkResponse('GET', GET_P, 200, 'text/plain', 'x'), /Content-Type 'text\/plain' is not documented/],
    ['a body on a 204', () => checkResponse('DELETE', GET_P, 204, 'application/json', '{}'), /documents no body/],
    ['invalid JSON', () => checkResponse('GET', GET_P, 200, 'application/json', '{"id":'), /body is not valid JSON/],
    ['an error code of another status', () => checkResponse('GET', GET_P, 404, 'application/json', err('DP-404-ROUTE-NOT-FOUND', 404)), /errors\/0\/code must be equal to one of the allowed values/],
    ['an error code not in the enum', () => checkResponse('GET', GET_P, 400, 'application/json', err('DP-400-NOPE', 400)), /code must be equal to one of the allowed values/],
    ['errors[].status differing from the HTTP status', () => checkResponse('GET', GET_P, 404, 'application/json', err('DP-404-NOT-FOUND', 400)), /errors\[\]\.status is "400", HTTP status is 404/],
    ['a traceId differing from X-Trace-Id', () => checkResponse('GET', GET_P, 404, 'application/json', err('DP-404-NOT-FOUND', 404), hdrs({ 'X-Trace-Id': 'other' })), /traceId "abc123" differs from X-Trace-Id "other"/],
    ['a missing X-Trace-Id', () => checkResponse('GET', GET_P, 200, 'application/json', product, new Headers()), /required response header 'X-Trace-Id' is missing/],
    ['a 201 without Location', () => checkResponse('POST', DP, 201, 'application/json', product, hdrs()), /required response header 'Location' is missing/],
    ['a 405 with a wrong Allow', () => checkResponse('PUT', GET_P, 405, 'application/json', err('DP-405-METHOD-NOT-ALLOWED', 405), hdrs({ Allow: 'GET' })), /Allow 'GET' but the document lists GET, DELETE, PATCH/],
    ['an export without Content-Disposition', () => checkResponse('GET', `${GET_P}/actions/export-documentation`, 200, 'text/markdown; charset=utf-8', '# x', hdrs()), /'Content-Disposition' is missing/],
  ];
  for (const [name, fn, re] of bad) {
    test(`throws for ${name}`, () => {
      assert.throws(fn, (e) => {
        assert.match(e.message, /^OpenAPI contract violation: /);
        assert.match(e.message, re);
        return true;
      });
    });
  }

  test('concrete paths match the most literal template', () => {
    assert.deepEqual(matchTemplates(`${DP}/actions/generate-provider-url?dataSetId=x`).map((t) => t.template),
      [`${DP}/actions/generate-provider-url`]);
    assert.deepEqual(matchTemplates(`${DP}/abc`).map((t) => t.template), [`${DP}/{dataProductId}`]);
    assert.deepEqual(matchTemplates(`${DP}/`), []);
  });
});
