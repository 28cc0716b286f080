// quality: data-quality computation end to end over real CSV files (SPEC §3
// "compute-datasets-data-quality" and "quality / trustScore", SPEC §5, issue 4).
//
// Every expected number is derived in this file from the documented rules:
//   valid   = non-empty cells that parse as the declared dataType.type
//   invalid = non-empty cells that do not
//   empty   = empty cells (after trimming ASCII blanks; cells missing from a
//             short row; every row of a declared field absent from the header)
//   total   = valid + invalid + empty
//   data set validity = Σvalid / Σtotal, completeness = (Σtotal − Σempty) / Σtotal
//   (declared fields only; undeclared columns do not count)
//   product quality = mean of its data sets' values over those with results.
// The cell tables below mark each cell V (valid), I (invalid) or E (empty) by
// hand, with the rule that decides it, and the counts are tallied from them.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, bootstrap, MISSING_ID } from './lib/server.mjs';
import { DP, GUID_RE, ISO_MS_RE, assertError, uniqueName, derivedSettled } from './lib/fixtures.mjs';

const DQ = '/api/data-governance/data-qualities';
const ARGS = ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0'];

let srv;
let dataDir;
let other; // another tenant's admin on the same server

// ---------------------------------------------------------------- helpers

function writeData(name, content) {
  const file = path.join(dataDir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

async function mkDataSet(fields = {}, key) {
  const name = uniqueName('ds');
  const res = await srv.api('POST', '/api/v1/data-sets', { key, body: { name, technicalName: `${name}.csv`, ...fields } });
  assert.equal(res.status, 201, `data set: ${res.text}`);
  return res.body;
}

async function mkProduct(fields = {}, key) {
  const res = await srv.api('POST', DP, { key, body: { name: uniqueName('product'), ...fields } });
  assert.equal(res.status, 201, `product: ${res.text}`);
  return res.body;
}

async function getProduct(id) {
  const res = await srv.api('GET', `${DP}/${id}`);
  assert.equal(res.status, 200, res.text);
  return res.body;
}

const schemaOf = (cols) => ({
  dataFields: cols.map((c) => ({
    name: c.name,
    dataType: { type: c.type, ...(c.properties ? { properties: c.properties } : {}) },
    ...(c.description ? { description: c.description } : {}),
  })),
});

/** Polls the batch every 50 ms until FINISHED (gives up after 20 s). */
async function waitBatch(batchId, key) {
  const deadline = Date.now() + 20000;
  for (;;) {
    const res = await srv.api('GET', `${DQ}/batch-computations/${batchId}`, { key });
    assert.equal(res.status, 200, `batch ${batchId}: ${res.text}`);
    // and the products' aggregates, which follow through the deriver (issue 12)
    if (res.body.status === 'FINISHED') return derivedSettled(srv).then(() => res.body);
    assert.equal(res.body.status, 'IN_PROGRESS');
    if (Date.now() > deadline) assert.fail(`batch ${batchId} not FINISHED after 20 s: ${res.text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls one computation until SUCCEEDED or FAILED (gives up after 20 s). */
async function waitComputation(id, key) {
  const deadline = Date.now() + 20000;
  for (;;) {
    const res = await srv.api('GET', `${DQ}/computations/${id}`, { key });
    assert.equal(res.status, 200, `computation ${id}: ${res.text}`);
    if (res.body.status === 'SUCCEEDED' || res.body.status === 'FAILED') return derivedSettled(srv).then(() => res.body);
    assert.ok(['REQUESTED', 'SUBMITTED'].includes(res.body.status), res.text);
    if (Date.now() > deadline) assert.fail(`computation ${id} not finished after 20 s: ${res.text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs the product action and waits for its batch; returns {start, batch}. */
async function computeProduct(productId, key) {
  const start = await srv.api('POST', `${DP}/${productId}/actions/compute-datasets-data-quality`, { key });
  assert.equal(start.status, 202, `compute: ${start.text}`);
  const batch = await waitBatch(start.body.batchComputationId, key);
  return { start, batch };
}

/** Computes one data set through POST .../computations; returns the final status body. */
async function computeDataSet(datasetId) {
  const res = await srv.api('POST', `${DQ}/computations`, { body: { datasetId } });
  assert.equal(res.status, 202, `computation: ${res.text}`);
  return waitComputation(res.body.computationId);
}

/** Tallies V/I/E marks per column of a cell table. */
function tally(columns, rows) {
  const per = columns.map((c) => ({ name: c.name, type: c.type, valid: 0, invalid: 0, empty: 0, total: 0 }));
  for (const row of rows) {
    assert.equal(row.length, columns.length, 'test table: one mark per declared column');
    row.forEach(([, mark], i) => {
      const f = per[i];
      if (mark === 'V') f.valid++;
      else if (mark === 'I') f.invalid++;
      else if (mark === 'E') f.empty++;
      else throw new Error(`bad mark ${mark}`);
      f.total++;
    });
  }
  const sum = (k) => per.reduce((s, f) => s + f[k], 0);
  const valid = sum('valid'), invalid = sum('invalid'), empty = sum('empty'), total = sum('total');
  return { per, valid, invalid, empty, total, validity: valid / total, completeness: (total - empty) / total };
}

/** A CSV line from raw cell texts (none here needs quoting). */
const line = (cells) => cells.join(',');

function fieldQualityOf(body, datasetId) {
  assert.equal(body.fieldQualities.length, 1, JSON.stringify(body));
  const fq = body.fieldQualities[0];
  assert.equal(fq.datasetId, datasetId);
  return fq;
}

function assertFieldCounts(fq, expected) {
  assert.deepEqual(fq.fields.map((f) => f.name), expected.map((f) => f.name), 'declared fields, in schema order');
  for (const [i, f] of fq.fields.entries()) {
    const e = expected[i];
    const counts = { valid: e.valid, invalid: e.invalid, empty: e.empty, total: e.total };
    assert.deepEqual(f.quality.aggregated, counts, `${f.name} aggregated`);
    assert.deepEqual(f.quality.type, counts, `${f.name} type`);
    assert.deepEqual(f.quality.rules, [], `${f.name} rules`);
    assert.deepEqual(f.type, { kind: 'STANDARD', name: e.type }, `${f.name} type info`);
  }
}

const close = (a, b, what) => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} != ${b}`);

// ---------------------------------------------------------------- fixture

// The main table: six declared types and an undeclared column. Each cell is
// [text, mark]; the comment says which documented rule decides the mark.
const MAIN_COLUMNS = [
  { name: 'id', type: 'INTEGER', description: 'row number' },
  { name: 'price', type: 'DECIMAL', properties: { precision: 5, scale: 2 } },
  { name: 'day', type: 'DATE' },
  { name: 'flag', type: 'BOOLEAN' },
  { name: 'label', type: 'STRING' },
  { name: 'ts', type: 'TIMESTAMP' },
];
// INTEGER: [+-]?digits within int64. DECIMAL(5,2): no exponent, at most 2
// significant fraction digits and 3 significant integer digits. DATE:
// YYYY-MM-DD, a real calendar day, year >= 1. BOOLEAN: true/false/yes/no/t/f/
// y/n/1/0, any case. STRING: every non-empty cell. TIMESTAMP: an ISO date-time
// (T or space, optional zone) or integer epoch seconds/milliseconds in range.
// Cells are trimmed of ASCII blanks first; a blank-only cell is empty.
const MAIN_ROWS = [
  [['1', 'V'], ['12.34', 'V'], ['2024-02-29', 'V' /* leap year */], ['true', 'V'], ['alpha', 'V'], ['2024-01-01T12:00:00Z', 'V']],
  [['-42', 'V'], ['123.45', 'V'], ['2023-02-29', 'I' /* not a leap year */], ['FALSE', 'V'], ['beta', 'V'], ['2024-01-01 12:00', 'V']],
  [['+7', 'V'], ['1234.5', 'I' /* 4 integer digits > 5-2 */], ['2024-13-01', 'I'], ['yes', 'V'], ['', 'E'], ['1700000000', 'V' /* epoch s */]],
  [['3.0', 'I'], ['0.125', 'I' /* 3 fraction digits > 2 */], ['2024-1-01', 'I'], ['N', 'V'], ['  ', 'E' /* blank */], ['1700000000000', 'V' /* epoch ms */]],
  [['abc', 'I'], ['1e3', 'I' /* exponent */], ['', 'E'], ['1', 'V'], ['x y z', 'V'], ['2024-01-01T25:00:00Z', 'I' /* hour 25 */]],
  [['', 'E'], ['-1.50', 'V' /* trailing zero */], ['2024-12-31', 'V'], ['0', 'V'], ['0', 'V'], ['yesterday', 'I']],
  [['  ', 'E'], ['', 'E'], ['0000-01-01', 'I' /* year 0 */], ['2', 'I'], ['-', 'V'], ['', 'E']],
  [[' 12 ', 'V' /* trimmed */], ['.5', 'V'], ['2024-06-15T00:00', 'I'], ['maybe', 'I'], ['NULL', 'V'], ['2024-01-01T12:00:00+02:00', 'V']],
  [['9223372036854775807', 'V' /* INT64_MAX */], ['abc', 'I'], ['2000-02-29', 'V'], ['', 'E'], ['é', 'V'], ['2024-01-01', 'I' /* no time */]],
  [['9223372036854775808', 'I' /* INT64_MAX+1 */], ['007.10', 'V'], ['1900-02-29', 'I'], [' True ', 'V'], ['omega', 'V'], ['253402300800000', 'I' /* after 9999 */]],
];
const MAIN_CSV = `${[...MAIN_COLUMNS.map((c) => c.name), 'note'].join(',')}\n${
  MAIN_ROWS.map((r, i) => `${line(r.map(([t]) => t))},${i % 2 ? 'not counted' : 'zzz'}\n`).join('')}`;
const MAIN = tally(MAIN_COLUMNS, MAIN_ROWS);

// A second, all-valid but partly empty data set for product means.
const SECOND_COLUMNS = [{ name: 'k', type: 'INTEGER' }, { name: 'v', type: 'STRING' }];
const SECOND_ROWS = [
  [['1', 'V'], ['a', 'V']],
  [['2', 'V'], ['', 'E']],
  [['x', 'I'], ['c', 'V']],
  [['4', 'V'], ['', 'E']],
];
const SECOND_CSV = `k,v\n${SECOND_ROWS.map((r) => `${line(r.map(([t]) => t))}\n`).join('')}`;
const SECOND = tally(SECOND_COLUMNS, SECOND_ROWS);

before(async () => {
  srv = await startServer({ args: ARGS });
  // each tenant reads only <data-root>/<tenantId>/ (SPEC §5, issue 8)
  dataDir = path.join(srv.dir, 'data', srv.admin.tenantId);
  fs.mkdirSync(dataDir, { recursive: true });
  other = bootstrap(srv.db, 'other', 'other@example.com');
  writeData('main.csv', MAIN_CSV);
  writeData('sub/second.csv', SECOND_CSV);
});

after(async () => {
  if (srv) await srv.stop();
});

// ---------------------------------------------------------------- exact counts

describe('a CSV with known content', () => {
  let ds;
  let product;

  before(async () => {
    ds = await mkDataSet({ operational: { location: 'main.csv' }, schema: schemaOf(MAIN_COLUMNS) });
    product = await mkProduct({ datasetIds: [ds.id] });
  });

  test('the hand tally is what the table says (sanity of the fixture)', () => {
    assert.deepEqual(MAIN.per.map((f) => [f.name, f.valid, f.invalid, f.empty]), [
      ['id', 5, 3, 2], ['price', 5, 4, 1], ['day', 3, 6, 1], ['flag', 7, 2, 1], ['label', 8, 0, 2], ['ts', 5, 4, 1],
    ]);
    assert.equal(MAIN.total, 60);
  });

  test('quality is absent from the product before any computation', async () => {
    const p = await getProduct(product.id);
    assert.equal('quality' in p, false, JSON.stringify(p.quality));
    assert.equal('quality' in product, false, 'not on the 201 either');
    // global-results: the data set exists, no result yet
    const g = await srv.api('GET', `${DQ}/global-results?datasetId=${ds.id}`);
    assert.equal(g.status, 200, g.text);
    assert.deepEqual(g.body, { datasetId: ds.id, qualities: [{ connectionId: 'local-files' }] });
    // filters skip a data set that was never computed
    const f = await srv.api('POST', `${DQ}/global-results/actions/filter`, { body: { datasetIds: [ds.id] } });
    assert.equal(f.status, 200, f.text);
    assert.deepEqual(f.body, { dataQualities: [] });
    const fq = await srv.api('POST', `${DQ}/field-qualities/actions/filter`, { body: { datasets: [{ datasetId: ds.id }] } });
    assert.equal(fq.status, 200, fq.text);
    assert.deepEqual(fq.body, { fieldQualities: [] });
  });

  test('compute-datasets-data-quality: 202, Location, one REQUESTED computation, batch FINISHED/SUCCEEDED', async () => {
    const start = await srv.api('POST', `${DP}/${product.id}/actions/compute-datasets-data-quality`);
    assert.equal(start.status, 202, start.text);
    assert.deepEqual(Object.keys(start.body).sort(), ['batchComputationId', 'datasetResponses']);
    assert.match(start.body.batchComputationId, GUID_RE);
    assert.equal(start.headers.get('location'), `${DQ}/batch-computations/${start.body.batchComputationId}`);
    assert.equal(start.body.datasetResponses.length, 1);
    const r0 = start.body.datasetResponses[0];
    assert.deepEqual(Object.keys(r0).sort(), ['computationId', 'datasetId', 'status']);
    assert.match(r0.computationId, GUID_RE);
    assert.equal(r0.datasetId, ds.id);
    assert.equal(r0.status, 'REQUESTED');
    const batch = await waitBatch(start.body.batchComputationId);
    assert.deepEqual(batch, {
      batchComputationId: start.body.batchComputationId,
      status: 'FINISHED',
      computationStatuses: [{ computationId: r0.computationId, datasetId: ds.id, status: 'SUCCEEDED' }],
    });
    const c = await srv.api('GET', `${DQ}/computations/${r0.computationId}`);
    assert.equal(c.status, 200, c.text);
    assert.deepEqual(c.body, { status: 'SUCCEEDED' });
  });

  test('global-results: exact valid/invalid/empty/total over the declared fields', async () => {
    const g = await srv.api('GET', `${DQ}/global-results?datasetId=${ds.id}`);
    assert.equal(g.status, 200, g.text);
    assert.equal(g.body.datasetId, ds.id);
    assert.equal(g.body.qualities.length, 1);
    const q = g.body.qualities[0];
    assert.equal(q.connectionId, 'local-files');
    assert.match(q.quality.updatedAt, ISO_MS_RE);
    assert.deepEqual({ ...q.quality, updatedAt: undefined },
      { valid: MAIN.valid, invalid: MAIN.invalid, empty: MAIN.empty, total: MAIN.total, updatedAt: undefined });
    // connectionId narrows: the one connection, or nothing
    const same = await srv.api('GET', `${DQ}/global-results?datasetId=${ds.id}&connectionId=local-files`);
    assert.deepEqual(same.body, g.body);
    const none = await srv.api('GET', `${DQ}/global-results?datasetId=${ds.id}&connectionId=elsewhere`);
    assert.equal(none.status, 200, none.text);
    assert.deepEqual(none.body, { datasetId: ds.id, qualities: [] });
  });

  test('global-results filter: status SUCCEEDED with the same counts; unknown ids are skipped', async () => {
    const f = await srv.api('POST', `${DQ}/global-results/actions/filter`, { body: { datasetIds: [MISSING_ID, ds.id] } });
    assert.equal(f.status, 200, f.text);
    assert.equal(f.body.dataQualities.length, 1, f.text);
    const d = f.body.dataQualities[0];
    assert.deepEqual(Object.keys(d).sort(), ['connectionId', 'datasetId', 'quality', 'status']);
    assert.equal(d.connectionId, 'local-files');
    assert.equal(d.datasetId, ds.id);
    assert.equal(d.status, 'SUCCEEDED');
    const { updatedAt, ...counts } = d.quality;
    assert.match(updatedAt, ISO_MS_RE);
    assert.deepEqual(counts, { valid: MAIN.valid, invalid: MAIN.invalid, empty: MAIN.empty, total: MAIN.total });
  });

  test('field-qualities filter: exact counts per declared field; the undeclared column is not reported', async () => {
    const res = await srv.api('POST', `${DQ}/field-qualities/actions/filter`,
      { body: { datasets: [{ datasetId: ds.id }, { datasetId: MISSING_ID }] } });
    assert.equal(res.status, 200, res.text);
    const fq = fieldQualityOf(res.body, ds.id);
    assert.match(fq.computed.at, ISO_MS_RE);
    assert.deepEqual(fq.computed.by, { id: srv.admin.userId });
    assertFieldCounts(fq, MAIN.per);
  });

  test('product quality: validity = Σvalid/Σtotal, completeness = (Σtotal−Σempty)/Σtotal', async () => {
    const p = await getProduct(product.id);
    assert.deepEqual(Object.keys(p.quality).sort(), ['completeness', 'validity']);
    assert.equal(p.quality.validity, MAIN.validity); // 33/60
    assert.equal(p.quality.completeness, MAIN.completeness); // 52/60
    assert.equal(p.quality.validity, 33 / 60);
    assert.equal(p.quality.completeness, 52 / 60);
    // derived numbers: no changelog entry, updatedAt unchanged (docs/decisions.md)
    assert.equal(p.updatedAt, product.updatedAt);
    const logs = await srv.api('GET', `${DP}/${product.id}/changelogs`);
    assert.equal(logs.body.total, 1, 'only the creation entry');
  });

  test('export-documentation shows the quality and trust rows and each field with type and description', async () => {
    const p = await getProduct(product.id);
    const res = await srv.api('GET', `${DP}/${product.id}/actions/export-documentation`);
    assert.equal(res.status, 200, res.text);
    const pct = (x) => `${(x * 100).toFixed(1)}%`;
    assert.ok(res.text.includes(`| Quality | validity ${pct(MAIN.validity)}, completeness ${pct(MAIN.completeness)} |`),
      `quality row missing:\n${res.text}`);
    assert.ok(p.trustScore, 'the product has a trust score once a data set has a result');
    assert.ok(res.text.includes(`| Trust score | ${p.trustScore.score.toFixed(1)} / 100 |`), `trust row missing:\n${res.text}`);
    assert.match(res.text, /\| id \| INTEGER \| row number \|/);
    assert.match(res.text, /\| price \| DECIMAL \|/);
    const html = await srv.api('GET', `${DP}/${product.id}/actions/export-documentation?format=html`);
    assert.equal(html.status, 200);
    assert.ok(html.text.includes(`validity ${pct(MAIN.validity)}`), 'quality in the HTML too');
  });

  test('a product that never computed shows "not computed" in its export', async () => {
    const lone = await mkDataSet({ schema: schemaOf([{ name: 'a', type: 'STRING' }]) });
    const p = await mkProduct({ datasetIds: [lone.id] });
    const res = await srv.api('GET', `${DP}/${p.id}/actions/export-documentation`);
    assert.equal(res.status, 200);
    assert.match(res.text, /\| Quality \| not computed \|/);
    // docs/decisions.md "Quality/trust rows": "not computed" until a quality
    // computation exists; SPEC §3: trustScore absent when no data set has results
    assert.match(res.text, /\| Trust score \| not computed \|/);
    assert.equal('trustScore' in (await getProduct(p.id)), false, 'no trustScore before any computation');
  });
});

// ---------------------------------------------------------------- product aggregates

describe('product quality aggregates', () => {
  let a; let b; let meta; let product;

  before(async () => {
    a = await mkDataSet({ operational: { location: 'main.csv' }, schema: schemaOf(MAIN_COLUMNS) });
    b = await mkDataSet({ operational: { location: 'sub/second.csv' }, schema: schemaOf(SECOND_COLUMNS) });
    meta = await mkDataSet({ schema: schemaOf(SECOND_COLUMNS) }); // metadata-only: never has results
    product = await mkProduct({ datasetIds: [a.id, b.id, meta.id] });
  });

  test('mean of the data sets with results; a metadata-only data set fails DQ-140 at once and does not count', async () => {
    const { start, batch } = await computeProduct(product.id);
    const byDs = Object.fromEntries(start.body.datasetResponses.map((r) => [r.datasetId, r]));
    assert.deepEqual(Object.keys(byDs).sort(), [a.id, b.id, meta.id].sort());
    assert.equal(byDs[a.id].status, 'REQUESTED');
    assert.equal(byDs[b.id].status, 'REQUESTED');
    assert.equal(byDs[meta.id].status, 'FAILED', 'failed immediately, in the 202');
    assert.match(byDs[meta.id].error, /^DQ-140\b/);
    const st = Object.fromEntries(batch.computationStatuses.map((s) => [s.datasetId, s]));
    assert.equal(st[a.id].status, 'SUCCEEDED');
    assert.equal(st[b.id].status, 'SUCCEEDED');
    assert.equal(st[meta.id].status, 'FAILED');
    assert.equal(st[meta.id].errorCode, 'DQ-140');
    const c = await srv.api('GET', `${DQ}/computations/${byDs[meta.id].computationId}`);
    assert.equal(c.status, 200);
    assert.equal(c.body.status, 'FAILED');
    assert.equal(c.body.error.errorCode, 'DQ-140');

    assert.equal(SECOND.validity, 5 / 8);
    assert.equal(SECOND.completeness, 6 / 8);
    const p = await getProduct(product.id);
    close(p.quality.validity, (MAIN.validity + SECOND.validity) / 2, 'validity mean');
    close(p.quality.completeness, (MAIN.completeness + SECOND.completeness) / 2, 'completeness mean');
    // the metadata-only data set would pull the mean down if it counted as 0
    assert.ok(p.quality.validity > (MAIN.validity + SECOND.validity) / 3);
  });

  test('a data set deleted after it was added: its computation is FAILED DQ-150 in the 202', async () => {
    const gone = await mkDataSet({ operational: { location: 'main.csv' } });
    const p = await mkProduct({ datasetIds: [a.id, gone.id] });
    const del = await srv.api('POST', '/api/v1/data-sets/actions/delete', { body: { ids: [gone.id] } });
    assert.equal(del.status, 204, del.text);
    const { start, batch } = await computeProduct(p.id);
    const r = start.body.datasetResponses.find((x) => x.datasetId === gone.id);
    assert.equal(r.status, 'FAILED');
    assert.match(r.error, /^DQ-150\b/);
    const s = batch.computationStatuses.find((x) => x.datasetId === gone.id);
    assert.deepEqual([s.status, s.errorCode], ['FAILED', 'DQ-150']);
    assert.equal((await getProduct(p.id)).quality.validity, MAIN.validity, 'only the existing data set counts');
  });

  test('PATCH removing a data set updates the aggregate (no new computation)', async () => {
    const res = await srv.api('PATCH', `${DP}/${product.id}`, {
      body: [{ op: 'replace', path: '/datasetIds', value: [a.id, meta.id] }],
    });
    assert.equal(res.status, 204, res.text);
    const p = await getProduct(product.id);
    assert.equal(p.quality.validity, MAIN.validity);
    assert.equal(p.quality.completeness, MAIN.completeness);
    // and back: B's existing result counts again
    const back = await srv.api('PATCH', `${DP}/${product.id}`, {
      body: [{ op: 'replace', path: '/datasetIds', value: [b.id] }],
    });
    assert.equal(back.status, 204, back.text);
    const p2 = await getProduct(product.id);
    assert.equal(p2.quality.validity, SECOND.validity);
    assert.equal(p2.quality.completeness, SECOND.completeness);
    // a data set without results only: quality disappears
    const none = await srv.api('PATCH', `${DP}/${product.id}`, {
      body: [{ op: 'replace', path: '/datasetIds', value: [meta.id] }],
    });
    assert.equal(none.status, 204, none.text);
    const p3 = await getProduct(product.id);
    assert.equal('quality' in p3, false, JSON.stringify(p3.quality));
  });

  test('a product created over already-computed data sets carries their quality at once', async () => {
    const p = await mkProduct({ datasetIds: [a.id, b.id] });
    close(p.quality.validity, (MAIN.validity + SECOND.validity) / 2, '201 validity');
    const g = await getProduct(p.id);
    assert.deepEqual(g.quality, p.quality);
  });

  test('a product without data sets: 202 with no responses, and its batch is FINISHED', async () => {
    const p = await mkProduct();
    const start = await srv.api('POST', `${DP}/${p.id}/actions/compute-datasets-data-quality`);
    assert.equal(start.status, 202, start.text);
    assert.deepEqual(start.body.datasetResponses, []);
    const b2 = await srv.api('GET', `${DQ}/batch-computations/${start.body.batchComputationId}`);
    assert.equal(b2.status, 200, `the Location of a 202 must resolve: ${b2.text}`);
    assert.deepEqual(b2.body, { batchComputationId: start.body.batchComputationId, computationStatuses: [], status: 'FINISHED' });
  });
});

// ---------------------------------------------------------------- CSV edge cases

describe('CSV edge cases counted as documented', () => {
  test('BOM, CRLF, quoted commas/newlines/quotes, ragged rows, a declared field absent from the header', async () => {
    // BOM before the header: "id" must still match the declared field.
    // Row 2's quoted cell holds a comma, row 3's a CRLF, row 4's escaped quotes;
    // row 5 is short (amount missing -> empty), row 6 long (extra cell ignored).
    const csv = '\uFEFFid,name,amount\r\n'
      + '1,"Smith, John",10\r\n'
      + '2,"multi\r\nline",20\r\n'
      + '3,"He said ""hi""",\r\n'
      + '4,Dee\r\n'
      + '5,Eve,30,surplus\r\n';
    writeData('edge.csv', csv);
    const cols = [
      { name: 'id', type: 'INTEGER' }, { name: 'name', type: 'STRING' }, { name: 'amount', type: 'INTEGER' },
      { name: 'ghost', type: 'STRING' }, // declared, not in the header: every row empty
    ];
    const rows = [
      [['1', 'V'], ['Smith, John', 'V'], ['10', 'V'], [null, 'E']],
      [['2', 'V'], ['multi\r\nline', 'V'], ['20', 'V'], [null, 'E']],
      [['3', 'V'], ['He said "hi"', 'V'], ['', 'E'], [null, 'E']],
      [['4', 'V'], ['Dee', 'V'], [null, 'E' /* short row */], [null, 'E']],
      [['5', 'V'], ['Eve', 'V'], ['30', 'V'], [null, 'E']],
    ];
    const exp = tally(cols, rows);
    const ds = await mkDataSet({ operational: { location: 'edge.csv' }, schema: schemaOf(cols) });
    const done = await computeDataSet(ds.id);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    const res = await srv.api('POST', `${DQ}/field-qualities/actions/filter`, { body: { datasets: [{ datasetId: ds.id }] } });
    assertFieldCounts(fieldQualityOf(res.body, ds.id), exp.per);
    const g = await srv.api('GET', `${DQ}/global-results?datasetId=${ds.id}`);
    const { updatedAt, ...counts } = g.body.qualities[0].quality;
    assert.deepEqual(counts, { valid: exp.valid, invalid: exp.invalid, empty: exp.empty, total: exp.total });
    assert.deepEqual(counts, { valid: 13, invalid: 0, empty: 7, total: 20 });
  });

  test('no schema: every header column counts as STRING', async () => {
    writeData('noschema.csv', 'a,b\nx,\n,\ny,z\n');
    const ds = await mkDataSet({ operational: { location: 'noschema.csv' } });
    const done = await computeDataSet(ds.id);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    const g = await srv.api('GET', `${DQ}/global-results?datasetId=${ds.id}`);
    const { updatedAt, ...counts } = g.body.qualities[0].quality;
    assert.deepEqual(counts, { valid: 3, invalid: 0, empty: 3, total: 6 });
  });

  test('a header-only file: zero rows, zero totals, SUCCEEDED', async () => {
    writeData('header-only.csv', 'id,name\n');
    const ds = await mkDataSet({ operational: { location: 'header-only.csv' }, schema: schemaOf([{ name: 'id', type: 'INTEGER' }]) });
    const done = await computeDataSet(ds.id);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    const g = await srv.api('GET', `${DQ}/global-results?datasetId=${ds.id}`);
    const { updatedAt, ...counts } = g.body.qualities[0].quality;
    assert.deepEqual(counts, { valid: 0, invalid: 0, empty: 0, total: 0 });
  });
});

// ---------------------------------------------------------------- failures

describe('files that cannot be profiled fail cleanly with a DQ code', () => {
  /** Creates a data set at location, computes it through a product, returns the FAILED computation. */
  async function failing(location, code) {
    const ds = await mkDataSet({ operational: { location }, schema: schemaOf([{ name: 'id', type: 'INTEGER' }]) });
    const p = await mkProduct({ datasetIds: [ds.id] });
    const { start, batch } = await computeProduct(p.id);
    assert.equal(start.body.datasetResponses[0].status, 'REQUESTED', 'fails when it runs, not when queued');
    assert.equal(batch.computationStatuses.length, 1);
    assert.equal(batch.computationStatuses[0].status, 'FAILED', JSON.stringify(batch));
    assert.equal(batch.computationStatuses[0].errorCode, code, JSON.stringify(batch));
    const c = await srv.api('GET', `${DQ}/computations/${start.body.datasetResponses[0].computationId}`);
    assert.equal(c.status, 200, c.text);
    assert.equal(c.body.status, 'FAILED');
    assert.equal(c.body.error.errorCode, code);
    assert.equal(typeof c.body.error.reason, 'string');
    assert.ok(c.body.error.reason.length > 0);
    assert.match(c.body.error.executedAt, ISO_MS_RE);
    const f = await srv.api('POST', `${DQ}/global-results/actions/filter`, { body: { datasetIds: [ds.id] } });
    assert.equal(f.body.dataQualities[0].status, 'FAILED');
    assert.equal(f.body.dataQualities[0].error.errorCode, code);
    assert.equal('quality' in f.body.dataQualities[0], false);
    const prod = await getProduct(p.id);
    assert.equal('quality' in prod, false, 'a failed computation gives the product no quality');
    return { ds, p };
  }

  test('a missing file: FAILED DQ-100 in the batch status and in GET computation', async () => {
    await failing('does-not-exist.csv', 'DQ-100');
    await failing('no-such-dir/x.csv', 'DQ-100');
  });

  test('an unterminated quote: DQ-120', async () => {
    writeData('unterminated.csv', 'id,name\n1,"open\n2,b\n');
    await failing('unterminated.csv', 'DQ-120');
  });

  test('text after a closing quote: DQ-120', async () => {
    writeData('after-quote.csv', 'id,name\n1,"a"b\n');
    await failing('after-quote.csv', 'DQ-120');
  });

  test('an empty file (no header row): DQ-121', async () => {
    writeData('empty.csv', '');
    await failing('empty.csv', 'DQ-121');
  });

  test('a symlink in the data root pointing at /etc/passwd: DQ-130 at compute time', async () => {
    fs.symlinkSync('/etc/passwd', path.join(dataDir, 'passwd.csv'));
    await failing('passwd.csv', 'DQ-130');
    fs.symlinkSync('/etc', path.join(dataDir, 'etc-link'));
    await failing('etc-link/passwd', 'DQ-130');
  });

  test('a directory instead of a file: DQ-160 (docs/quality.md: only regular files are read), and the server keeps serving', async () => {
    fs.mkdirSync(path.join(dataDir, 'a-dir.csv'), { recursive: true });
    const ds = await mkDataSet({ operational: { location: 'a-dir.csv' } });
    const done = await computeDataSet(ds.id);
    assert.equal(done.status, 'FAILED');
    assert.equal(done.error.errorCode, 'DQ-160');
    assert.equal((await srv.api('GET', '/health', { key: null, noSchemaCheck: true })).status, 200);
  });

  test('a later failure keeps the last successful result (global-results, filter, product)', async () => {
    writeData('flaky.csv', 'k,v\n1,a\n2,\n');
    const ds = await mkDataSet({ operational: { location: 'flaky.csv' }, schema: schemaOf(SECOND_COLUMNS) });
    const p = await mkProduct({ datasetIds: [ds.id] });
    await computeProduct(p.id);
    const before1 = await getProduct(p.id);
    assert.equal(before1.quality.validity, 3 / 4);
    fs.rmSync(path.join(dataDir, 'flaky.csv'));
    const { batch } = await computeProduct(p.id);
    assert.equal(batch.computationStatuses[0].errorCode, 'DQ-100');
    const f = await srv.api('POST', `${DQ}/global-results/actions/filter`, { body: { datasetIds: [ds.id] } });
    const d = f.body.dataQualities[0];
    assert.equal(d.status, 'FAILED');
    assert.equal(d.error.errorCode, 'DQ-100');
    const { updatedAt, ...counts } = d.quality;
    assert.deepEqual(counts, { valid: 3, invalid: 0, empty: 1, total: 4 });
    assert.deepEqual((await getProduct(p.id)).quality, before1.quality);
  });
});

describe('locations escaping the data root are rejected when written', () => {
  const bad = ['../outside.csv', 'sub/../../outside.csv', '..', '/etc/passwd', 'a\\..\\b.csv', ''];
  for (const location of bad) {
    test(`POST data set with operational.location ${JSON.stringify(location)} -> 400 naming the field`, async () => {
      const name = uniqueName('escape');
      const res = await srv.api('POST', '/api/v1/data-sets', {
        body: { name, technicalName: name, operational: { location } },
      });
      assertError(res, 400, 'DP-400-VALIDATION', 'operational.location');
    });
  }

  test('PATCH and PUT cannot move a location out of the root either (400, data set unchanged)', async () => {
    const ds = await mkDataSet({ operational: { location: 'main.csv' } });
    const patch = await srv.api('PATCH', `/api/v1/data-sets/${ds.id}`, {
      body: [{ op: 'replace', path: '/operational/location', value: '../../etc/passwd' }],
    });
    assertError(patch, 400, 'DP-400-VALIDATION', 'operational.location');
    const put = await srv.api('PUT', `/api/v1/data-sets/${ds.id}`, {
      body: { name: ds.name, technicalName: ds.technicalName, operational: { location: '/etc/passwd' } },
    });
    assertError(put, 400, 'DP-400-VALIDATION', 'operational.location');
    const now = await srv.api('GET', `/api/v1/data-sets/${ds.id}`);
    assert.equal(now.body.operational.location, 'main.csv');
  });

  test('harmless relative forms are accepted: "./sub/second.csv", "sub//second.csv", "..x.csv"', async () => {
    writeData('..x.csv', 'k,v\n1,a\n');
    for (const location of ['./sub/second.csv', 'sub//second.csv', '..x.csv']) {
      const ds = await mkDataSet({ operational: { location }, schema: schemaOf(SECOND_COLUMNS) });
      assert.equal((await computeDataSet(ds.id)).status, 'SUCCEEDED', location);
    }
  });
});

// ---------------------------------------------------------------- single computations

describe('POST /data-qualities/computations (one data set)', () => {
  let ds;
  before(async () => {
    ds = await mkDataSet({ operational: { location: 'sub/second.csv' }, schema: schemaOf(SECOND_COLUMNS) });
  });

  test('202 {computationId}, Location, then GET status until SUCCEEDED', async () => {
    const res = await srv.api('POST', `${DQ}/computations`, { body: { datasetId: ds.id } });
    assert.equal(res.status, 202, res.text);
    assert.deepEqual(Object.keys(res.body), ['computationId']);
    assert.match(res.body.computationId, GUID_RE);
    assert.equal(res.headers.get('location'), `${DQ}/computations/${res.body.computationId}`);
    const done = await waitComputation(res.body.computationId);
    assert.deepEqual(done, { status: 'SUCCEEDED' });
    const fq = await srv.api('POST', `${DQ}/field-qualities/actions/filter`, { body: { datasets: [{ datasetId: ds.id }] } });
    assertFieldCounts(fieldQualityOf(fq.body, ds.id), SECOND.per);
  });

  test('connectionId and executionMode PULLUP are accepted', async () => {
    const res = await srv.api('POST', `${DQ}/computations`, {
      body: { datasetId: ds.id, connectionId: 'local-files', executionMode: 'PULLUP' },
    });
    assert.equal(res.status, 202, res.text);
    assert.equal((await waitComputation(res.body.computationId)).status, 'SUCCEEDED');
  });

  test('sampling options are rejected with 400 naming the option', async () => {
    for (const [extra, field] of [
      [{ executionMode: 'PUSHDOWN' }, 'executionMode'],
      [{ sampleSize: 10 }, 'sampleSize'],
      [{ sampleMethod: 'HEAD' }, 'sampleMethod'],
      [{ sampleMode: 'ABSOLUTE' }, 'sampleMode'],
      [{ sampleMethod: 'RANDOM', sampleMode: 'RELATIVE', sampleSize: 50 }, 'sample'],
    ]) {
      const res = await srv.api('POST', `${DQ}/computations`, { body: { datasetId: ds.id, ...extra } });
      assertError(res, 400, 'DP-400-VALIDATION', field);
    }
  });

  test('body errors: unknown data set 400 naming datasetId, non-GUID 400, missing body 400, unknown field 400', async () => {
    assertError(await srv.api('POST', `${DQ}/computations`, { body: { datasetId: MISSING_ID } }), 400, 'DP-400-VALIDATION', 'datasetId');
    assertError(await srv.api('POST', `${DQ}/computations`, { body: { datasetId: 'nope' } }), 400, 'DP-400-VALIDATION', 'datasetId');
    assertError(await srv.api('POST', `${DQ}/computations`, { body: {} }), 400, 'DP-400-VALIDATION', 'datasetId');
    assertError(await srv.api('POST', `${DQ}/computations`, {}), 400, 'DP-400-BAD-REQUEST');
    assertError(await srv.api('POST', `${DQ}/computations`, { body: { datasetId: ds.id, bogus: 1 } }), 400, 'DP-400-VALIDATION', 'bogus');
  });

  test('a data set without location: the computation is FAILED DQ-140 at once', async () => {
    const meta = await mkDataSet();
    const res = await srv.api('POST', `${DQ}/computations`, { body: { datasetId: meta.id } });
    assert.equal(res.status, 202, res.text);
    const c = await srv.api('GET', `${DQ}/computations/${res.body.computationId}`);
    assert.equal(c.body.status, 'FAILED');
    assert.equal(c.body.error.errorCode, 'DQ-140');
  });

  test('unknown ids: computation 404, batch 404, global-results 404 / 400', async () => {
    assertError(await srv.api('GET', `${DQ}/computations/${MISSING_ID}`), 404, 'DP-404-NOT-FOUND');
    assertError(await srv.api('GET', `${DQ}/computations/not-a-guid`), 400, 'DP-400-INVALID-ID');
    assertError(await srv.api('GET', `${DQ}/batch-computations/${MISSING_ID}`), 404, 'DP-404-NOT-FOUND');
    assertError(await srv.api('GET', `${DQ}/batch-computations/NOT-A-GUID`), 400, 'DP-400-INVALID-ID');
    assertError(await srv.api('GET', `${DQ}/global-results?datasetId=${MISSING_ID}`), 404, 'DP-404-NOT-FOUND');
    assertError(await srv.api('GET', `${DQ}/global-results`), 400, 'DP-400-INVALID-QUERY', 'datasetId');
    assertError(await srv.api('GET', `${DQ}/global-results?datasetId=xyz`), 400, 'DP-400-INVALID-QUERY', 'datasetId');
    assertError(await srv.api('POST', `${DP}/${MISSING_ID}/actions/compute-datasets-data-quality`), 404, 'DP-404-NOT-FOUND');
    assertError(await srv.api('POST', `${DP}/not-a-guid/actions/compute-datasets-data-quality`), 400, 'DP-400-INVALID-ID');
  });

  test('filter bodies are validated: 1..100 GUIDs, no unknown members', async () => {
    const gf = `${DQ}/global-results/actions/filter`;
    const ff = `${DQ}/field-qualities/actions/filter`;
    assertError(await srv.api('POST', gf, { body: { datasetIds: [] } }), 400, 'DP-400-VALIDATION', 'datasetIds');
    assertError(await srv.api('POST', gf, { body: { datasetIds: ['x'] } }), 400, 'DP-400-VALIDATION', 'datasetIds[0]');
    assertError(await srv.api('POST', gf, { body: { datasetIds: Array.from({ length: 101 }, () => MISSING_ID) } }), 400, 'DP-400-VALIDATION', 'datasetIds');
    assertError(await srv.api('POST', gf, { body: { datasetIds: [ds.id], more: true } }), 400, 'DP-400-VALIDATION', 'more');
    assertError(await srv.api('POST', gf, {}), 400, 'DP-400-BAD-REQUEST');
    assertError(await srv.api('POST', ff, { body: { datasets: [] } }), 400, 'DP-400-VALIDATION', 'datasets');
    assertError(await srv.api('POST', ff, { body: { datasets: [{ datasetId: 'x' }] } }), 400, 'DP-400-VALIDATION', 'datasets[0].datasetId');
    assertError(await srv.api('POST', ff, { body: { datasets: [ds.id] } }), 400, 'DP-400-VALIDATION', 'datasets[0]');
  });
});

// ---------------------------------------------------------------- permissions and tenancy

describe('who may compute', () => {
  const U = {};
  let space; let product; let ds;

  async function mkUser(label, roles) {
    const res = await srv.api('POST', '/api/v1/users', {
      body: { subject: `auth0|q-${label}-${process.pid}`, email: `q-${label}-${process.pid}@example.com`, name: label, assignedRoles: roles.map((name) => ({ name })) },
    });
    assert.equal(res.status, 201, res.text);
    const key = await srv.api('POST', '/api/v1/api-keys', { body: { description: label, sub: res.body.id } });
    assert.equal(key.status, 201, key.text);
    return { id: res.body.id, key: key.body.token };
  }

  async function assign(user, roles) {
    const res = await srv.api('POST', `/api/v1/spaces/${space.id}/assignments`, { body: { assigneeId: user.id, type: 'user', roles } });
    assert.equal(res.status, 201, res.text);
  }

  before(async () => {
    const sp = await srv.api('POST', '/api/v1/spaces', { body: { name: uniqueName('dq-space'), type: 'shared' } });
    assert.equal(sp.status, 201, sp.text);
    space = sp.body;
    U.producer = await mkUser('producer', ['DataProductCreator']);
    U.consumer = await mkUser('consumer', ['DataProductConsumer']);
    U.viewerCreator = await mkUser('viewer-creator', ['DataProductCreator']);
    U.outsider = await mkUser('outsider', ['DataProductCreator']);
    await assign(U.producer, ['producer']);
    await assign(U.consumer, ['consumer']);
    await assign(U.viewerCreator, ['consumer']);
    ds = await mkDataSet({ operational: { location: 'sub/second.csv' }, schema: schemaOf(SECOND_COLUMNS) });
    product = await mkProduct({ spaceId: space.id, datasetIds: [ds.id] });
  });

  test('a producer with DataProductCreator computes (202) and follows the batch', async () => {
    const { batch } = await computeProduct(product.id, U.producer.key);
    assert.equal(batch.computationStatuses[0].status, 'SUCCEEDED');
  });

  test('a consumer who can see the product gets 403; a creator with only a viewing role gets 403', async () => {
    // consumer roles see activated products only (SPEC §4 revised, issue 8): 404 on the draft
    for (const u of [U.consumer, U.viewerCreator]) {
      assertError(await srv.api('POST', `${DP}/${product.id}/actions/compute-datasets-data-quality`, { key: u.key }), 404, 'DP-404-NOT-FOUND');
    }
    const live = await mkProduct({ spaceId: space.id, datasetIds: [ds.id], keyContacts: [{ userId: srv.admin.userId }] });
    const act = await srv.api('POST', `${DP}/${live.id}/actions/activate`, { body: { name: live.name } });
    assert.equal(act.status, 201, act.text);
    assertError(await srv.api('POST', `${DP}/${live.id}/actions/compute-datasets-data-quality`, { key: U.consumer.key }), 403, 'DP-403-FORBIDDEN');
    assertError(await srv.api('POST', `${DP}/${live.id}/actions/compute-datasets-data-quality`, { key: U.viewerCreator.key }), 403, 'DP-403-FORBIDDEN');
  });

  test('a user without any role in the space gets 404; so does another tenant', async () => {
    assertError(await srv.api('POST', `${DP}/${product.id}/actions/compute-datasets-data-quality`, { key: U.outsider.key }), 404, 'DP-404-NOT-FOUND');
    assertError(await srv.api('POST', `${DP}/${product.id}/actions/compute-datasets-data-quality`, { key: other.apiKey }), 404, 'DP-404-NOT-FOUND');
  });

  test('another tenant sees none of our computations, batches or results', async () => {
    const start = await srv.api('POST', `${DP}/${product.id}/actions/compute-datasets-data-quality`);
    assert.equal(start.status, 202);
    const batch = await waitBatch(start.body.batchComputationId);
    const cid = batch.computationStatuses[0].computationId;
    const k = { key: other.apiKey };
    assertError(await srv.api('GET', `${DQ}/batch-computations/${batch.batchComputationId}`, k), 404, 'DP-404-NOT-FOUND');
    assertError(await srv.api('GET', `${DQ}/computations/${cid}`, k), 404, 'DP-404-NOT-FOUND');
    assertError(await srv.api('GET', `${DQ}/global-results?datasetId=${ds.id}`, k), 404, 'DP-404-NOT-FOUND');
    assertError(await srv.api('POST', `${DQ}/computations`, { ...k, body: { datasetId: ds.id } }), 400, 'DP-400-VALIDATION', 'datasetId');
    const f = await srv.api('POST', `${DQ}/global-results/actions/filter`, { ...k, body: { datasetIds: [ds.id] } });
    assert.equal(f.status, 200);
    assert.deepEqual(f.body, { dataQualities: [] });
    const fq = await srv.api('POST', `${DQ}/field-qualities/actions/filter`, { ...k, body: { datasets: [{ datasetId: ds.id }] } });
    assert.equal(fq.status, 200);
    assert.deepEqual(fq.body, { fieldQualities: [] });
  });

  test('POST .../computations needs DataProductCreator and edit rights on the data set (issue 8); the result is readable by every user', async () => {
    // a consumer never makes the server read a file
    assertError(await srv.api('POST', `${DQ}/computations`, { key: U.consumer.key, body: { datasetId: ds.id } }), 403, 'DP-403-FORBIDDEN', 'DataProductCreator');
    // a creator who may not edit this data set (the admin's, no space) neither
    assertError(await srv.api('POST', `${DQ}/computations`, { key: U.producer.key, body: { datasetId: ds.id } }), 403, 'DP-403-FORBIDDEN', ds.id);
    const res = await srv.api('POST', `${DQ}/computations`, { body: { datasetId: ds.id } });
    assert.equal(res.status, 202, res.text);
    assert.equal((await waitComputation(res.body.computationId, U.consumer.key)).status, 'SUCCEEDED');
  });

  test('no key: 401 on every data-qualities endpoint', async () => {
    const k = { key: null };
    assertError(await srv.api('POST', `${DQ}/computations`, { ...k, body: { datasetId: ds.id } }), 401, 'DP-401-UNAUTHORIZED');
    assertError(await srv.api('GET', `${DQ}/computations/${MISSING_ID}`, k), 401, 'DP-401-UNAUTHORIZED');
    assertError(await srv.api('GET', `${DQ}/batch-computations/${MISSING_ID}`, k), 401, 'DP-401-UNAUTHORIZED');
    assertError(await srv.api('GET', `${DQ}/global-results?datasetId=${ds.id}`, k), 401, 'DP-401-UNAUTHORIZED');
    assertError(await srv.api('POST', `${DP}/${product.id}/actions/compute-datasets-data-quality`, k), 401, 'DP-401-UNAUTHORIZED');
  });
});
