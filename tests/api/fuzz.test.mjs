// fuzz: a deterministic (seeded) stream of mutated requests against every
// route. Whatever arrives, the server answers < 500 with a well-formed error
// envelope or a success, and keeps serving. Under the ASan/UBSan build the
// harness additionally fails on any sanitizer report.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';

const SEED = Number(process.env.DP_FUZZ_SEED || 20261126);
const COUNT = Number(process.env.DP_FUZZ_COUNT || 600);

function rng(seed) {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
}

let srv;
let ids;
before(async () => {
  srv = await startServer();
  const space = await srv.api('POST', '/api/v1/spaces', { body: { name: 'F', type: 'managed' } });
  const ds = await srv.api('POST', '/api/v1/data-sets', { body: { name: 'D', technicalName: 't' } });
  const p = await srv.api('POST', '/api/data-governance/data-products', {
    body: { name: 'P', spaceId: space.body.id, datasetIds: [ds.body.id], keyContacts: [{ userId: srv.admin.userId }] },
  });
  ids = { space: space.body.id, ds: ds.body.id, product: p.body.id, user: srv.admin.userId };
});
after(async () => { await srv.stop(); });

test(`${COUNT} mutated requests never get a 5xx or kill the server (seed ${SEED})`, async () => {
  const r = rng(SEED);
  const pick = (a) => a[Math.floor(r() * a.length)];
  const DP = '/api/data-governance/data-products';
  const paths = () => [
    DP, `${DP}/${ids.product}`, `${DP}/${ids.product}/actions/activate`,
    `${DP}/${ids.product}/actions/deactivate`, `${DP}/${ids.product}/actions/move`,
    `${DP}/${ids.product}/changelogs`, `${DP}/${ids.product}/actions/export-documentation`,
    `${DP}/actions/generate-provider-url`, '/api/v1/spaces', `/api/v1/spaces/${ids.space}`,
    '/api/v1/data-sets', `/api/v1/data-sets/${ids.ds}`, `${DP}/${ids.product.toUpperCase()}`,
    `${DP}/%00`, `${DP}/..%2F..`, `${DP}//`, `/api/${'a'.repeat(3000)}`,
  ];
  const scalars = () => [null, true, false, 0, -1, 1e308, 2 ** 53 + 1, '', ' ', 'x'.repeat(5000),
    '\u0000', '\ud83d\ude00', '<script>', ids.ds, ids.user, ids.space, 'ABC', [], {}];
  const keys = ['name', 'description', 'readMe', 'spaceId', 'tags', 'datasetIds', 'glossaryIds',
    'apiConsumableDatasetIds', 'keyContacts', 'op', 'path', 'value', 'type', 'technicalName',
    'schema', 'userId', 'role', '__proto__', 'constructor', ''];
  const value = (depth) => {
    const k = r();
    if (depth > 3 || k < 0.5) return pick(scalars());
    if (k < 0.75) return Array.from({ length: Math.floor(r() * 4) }, () => value(depth + 1));
    const o = {};
    for (let i = Math.floor(r() * 5); i > 0; i--) o[pick(keys)] = value(depth + 1);
    return o;
  };
  const patchOps = () => Array.from({ length: Math.floor(r() * 10) }, () => ({
    op: pick(['replace', 'add', 'remove', 'test', 'move', 42]),
    path: pick(['/name', '/description', '/tags', '/keyContacts', '/datasetIds', '/x', '', '/name/0']),
    value: value(1),
  }));
  const queries = ['', '?limit=0', '?limit=abc', '?page=-1', '?sort=%2Bname', '?sort=-bogus',
    '?activated=maybe', '?tag=&tag=a', '?query=%25%5F', '?spaceId=nope', '?format=html',
    '?format=pdf', '?dataSetId=' + ids.ds, '?limit=100&page=999999999999', '?page=1000000'];
  const methods = ['GET', 'POST', 'PATCH', 'DELETE', 'PUT', 'OPTIONS'];
  const ctypes = ['application/json', 'application/json-patch+json', 'text/plain', undefined,
    'application/json; charset=utf-8'];
  const counts = {};
  for (let i = 0; i < COUNT; i++) {
    const method = pick(methods);
    const path = pick(paths()) + pick(queries);
    let raw;
    const shape = r();
    if (method === 'GET' || method === 'DELETE' || shape < 0.1) raw = undefined;
    else if (shape < 0.45) raw = JSON.stringify(value(0));
    else if (shape < 0.7) raw = JSON.stringify(patchOps());
    else if (shape < 0.85) raw = JSON.stringify(value(0)).slice(0, Math.floor(r() * 40)); // truncated
    else raw = '['.repeat(Math.floor(r() * 100)) + ']'.repeat(Math.floor(r() * 100));
    const ct = pick(ctypes);
    const res = await srv.api(method, path, {
      raw, headers: ct && raw !== undefined ? { 'Content-Type': ct } : {},
      noSchemaCheck: true,
    });
    counts[res.status] = (counts[res.status] || 0) + 1;
    assert.ok(res.status < 500, `${method} ${path} ${raw?.slice(0, 200)} -> ${res.status} ${res.text.slice(0, 300)}`);
    if (res.status >= 400) {
      assert.ok(Array.isArray(res.body?.errors), `${method} ${path}: error envelope expected`);
      assert.equal(res.body.errors[0].status, String(res.status));
      assert.equal(res.body.traceId, res.headers.get('x-trace-id'));
    }
  }
  const health = await srv.api('GET', '/health', { key: null });
  assert.equal(health.status, 200);
  assert.ok(Object.keys(counts).length > 3, `varied outcomes: ${JSON.stringify(counts)}`);
});
