// qlik-compat-quality: @qlik/api 2.19.0, unmodified, drives the issue-4
// surface: data-products computeDatasetsDataQualityDataProduct and
// generateProviderUrlDataProducts (200 with a configured template), every
// function of data-governance/data-qualities, and trust-scores
// filterDatasetsTrustScore. Responses are checked against the wire types of
// reference/qlik-api-2.19.0/{data-products,data-qualities,trust-scores}.d.ts;
// errors must surface as thrown errors carrying the envelope.
//
// GET responses are cached by the client: polling passes { noCache: true }.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, MISSING_ID } from './lib/server.mjs';
import { derivedSettled } from './lib/fixtures.mjs';
import { setDefaultHostConfig } from '@qlik/api/auth';
import * as dp from '@qlik/api/data-governance/data-products';
import * as dq from '@qlik/api/data-governance/data-qualities';
import * as ts from '@qlik/api/data-governance/trust-scores';
import * as dataSets from '@qlik/api/data-sets';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ARGS = ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0'];
const NO_CACHE = { noCache: true };

// data-qualities.d.ts unions
const EXECUTION_STATUS = ['PROFILE_REQUESTED', 'PROFILE_FAILED', 'REQUESTED', 'SUBMITTED', 'SUCCEEDED', 'FAILED'];
const ERROR_CODES = ['DQ-100', 'DQ-110', 'DQ-120', 'DQ-121', 'DQ-130', 'DQ-140', 'DQ-150', 'DQ-200', 'DQ-300',
  'DQ-310', 'DQ-320', 'DQ-400', 'DQ-500', 'DQ-160', 'DQ-330', 'DQ-170', 'DQ-171'];
// trust-scores.d.ts unions
const AXIS_IDS = ['VALIDITY', 'COMPLETENESS', 'USAGE', 'DISCOVERABILITY', 'ACCURACY', 'DIVERSITY', 'TIMELINESS'];
const METRIC_IDS = ['VALIDITY_QUALITY', 'COMPLETENESS_QUALITY', 'USAGE_APPS', 'USAGE_APP_VIEWS',
  'DISCOVERABILITY_DESCRIPTION', 'DISCOVERABILITY_TAGS', 'DISCOVERABILITY_ACTIVATED',
  'DISCOVERABILITY_FIELD_DESCRIPTION', 'DISCOVERABILITY_FIELD_TAGS', 'ACCURACY_QUALITY', 'DIVERSITY_SOURCE',
  'DIVERSITY_VOLUME', 'DIVERSITY_EVENNESS', 'TIMELINESS_FRESHNESS'];

let srv;
const fx = {};

function keysWithin(obj, allowed, what) {
  assert.equal(typeof obj, 'object', what);
  assert.notEqual(obj, null, what);
  for (const k of Object.keys(obj)) assert.ok(allowed.includes(k), `${what}: unexpected field '${k}'`);
}
function required(obj, keys, what) {
  for (const k of keys) assert.ok(k in obj, `${what}.${k} is required`);
}

async function failsWith(promise, status, code) {
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected the call to throw ${status} ${code}`);
  assert.ok(err instanceof Error);
  assert.equal(err.status, status, `status of: ${err.message} ${JSON.stringify(err.data)}`);
  assert.ok(Array.isArray(err.data?.errors) && err.data.errors.length >= 1, 'errors[] present');
  const e0 = err.data.errors[0];
  assert.equal(e0.code, code, JSON.stringify(err.data));
  assert.equal(e0.status, String(status));
  assert.equal(typeof e0.title, 'string');
  assert.equal(typeof e0.detail, 'string');
  assert.equal(err.headers.get('x-trace-id'), err.data.traceId);
  return e0;
}

// ---------------------------------------------------------------- shapes

/** AggregatedQualityMetrics / SchemaTypeQuality */
function assertCounts(c, what) {
  keysWithin(c, ['empty', 'invalid', 'total', 'valid'], what);
  required(c, ['empty', 'invalid', 'total', 'valid'], what);
  for (const k of ['empty', 'invalid', 'total', 'valid']) assert.ok(Number.isInteger(c[k]) && c[k] >= 0, `${what}.${k}`);
  assert.equal(c.total, c.valid + c.invalid + c.empty, `${what}: total = valid + invalid + empty`);
}

/** QualityGlobalResultsResponse */
function assertGlobalQuality(q, what) {
  keysWithin(q, ['empty', 'invalid', 'total', 'updatedAt', 'valid'], what);
  required(q, ['empty', 'invalid', 'total', 'updatedAt', 'valid'], what);
  assert.match(q.updatedAt, ISO);
  const { updatedAt, ...counts } = q;
  assertCounts(counts, what);
}

/** ExecutionError */
function assertExecutionError(e, what) {
  keysWithin(e, ['errorCode', 'executedAt', 'reason'], what);
  assert.equal(typeof e.errorCode, 'string');
  if ('executedAt' in e) assert.match(e.executedAt, ISO);
  if ('reason' in e) assert.equal(typeof e.reason, 'string');
}

/** TrustScoreResponse */
function assertTrust(t, datasetId) {
  keysWithin(t, ['axes', 'datasetId', 'previousScore', 'score', 'updatedAt'], 'TrustScoreResponse');
  required(t, ['axes', 'datasetId', 'score', 'updatedAt'], 'TrustScoreResponse');
  assert.equal(t.datasetId, datasetId);
  assert.match(t.updatedAt, ISO);
  assert.ok(t.score >= 0 && t.score <= 100, 'GenericScore in [0, 100]');
  assert.ok(Array.isArray(t.axes));
  for (const a of t.axes) {
    keysWithin(a, ['applicable', 'enabled', 'id', 'metrics', 'previousScore', 'score', 'weight'], 'AxisResponse');
    required(a, ['id', 'metrics', 'weight'], 'AxisResponse');
    assert.ok(AXIS_IDS.includes(a.id), a.id);
    assert.equal(typeof a.weight, 'number');
    if ('applicable' in a) assert.equal(typeof a.applicable, 'boolean');
    if ('enabled' in a) assert.equal(typeof a.enabled, 'boolean');
    if (a.enabled === false) assert.equal(a.weight, 0, 'disabled axes weigh 0');
    if ('score' in a) assert.ok(a.score >= 0 && a.score <= 100);
    for (const m of a.metrics) {
      keysWithin(m, ['id', 'score', 'weight'], 'MetricResponse');
      required(m, ['id', 'weight'], 'MetricResponse');
      assert.ok(METRIC_IDS.includes(m.id), m.id);
      if ('score' in m) assert.ok(m.score >= 0 && m.score <= 100);
    }
  }
}

// ---------------------------------------------------------------- fixture

// k INTEGER: 1 valid, "x" invalid, 3 valid, "" empty; v STRING: a, "", c, d
const CSV = 'k,v\n1,a\nx,\n3,c\n,d\n';
const EXPECTED = { valid: 5, invalid: 1, empty: 2, total: 8 };
const FIELDS = [{ name: 'k', dataType: { type: 'INTEGER' } }, { name: 'v', dataType: { type: 'STRING' } }];

before(async () => {
  const configDir = fs.mkdtempSync(path.join((await import('node:os')).tmpdir(), 'dp-qc-'));
  fx.configDir = configDir;
  const config = path.join(configDir, 'config.json');
  fs.writeFileSync(config, JSON.stringify({
    providerUrlTemplates: { databricks: 'https://{properties.workspaceHost}/explore/data/{properties.catalog}/{properties.schema}/{tableName}' },
  }));
  srv = await startServer({ args: [...ARGS, '--config', config] });
  fs.mkdirSync(path.join(srv.dir, 'data', srv.admin.tenantId), { recursive: true });
  fs.writeFileSync(path.join(srv.dir, 'data', srv.admin.tenantId, 'kv.csv'), CSV);
  setDefaultHostConfig({ authType: 'apikey', host: srv.url, apiKey: srv.key });
  fx.good = (await dataSets.createDataSet({ name: 'kv', technicalName: 'kv.csv', description: 'kv', operational: { location: 'kv.csv' }, schema: { dataFields: FIELDS } })).data;
  fx.missing = (await dataSets.createDataSet({ name: 'gone', technicalName: 'gone.csv', operational: { location: 'gone.csv' }, schema: { dataFields: FIELDS } })).data;
  fx.meta = (await dataSets.createDataSet({ name: 'meta', technicalName: 'meta' })).data;
  fx.product = (await dp.createDataProduct({ name: 'quality via client', datasetIds: [fx.good.id, fx.missing.id, fx.meta.id] })).data;
});

after(async () => {
  try {
    if (srv) await srv.stop();
  } finally {
    fs.rmSync(fx.configDir, { recursive: true, force: true });
  }
});

/** getDataQualitiesBatchComputation until FINISHED (50 ms polls, 20 s). */
async function untilFinished(batchId) {
  const deadline = Date.now() + 20000;
  for (;;) {
    const res = await dq.getDataQualitiesBatchComputation(batchId, NO_CACHE);
    assert.equal(res.status, 200);
    // and the products' aggregates, which follow through the deriver (issue 12)
    if (res.data.status === 'FINISHED') return derivedSettled(srv).then(() => res);
    assert.equal(res.data.status, 'IN_PROGRESS');
    if (Date.now() > deadline) assert.fail(`batch not finished: ${JSON.stringify(res.data)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function untilDone(computationId) {
  const deadline = Date.now() + 20000;
  for (;;) {
    const res = await dq.getDataQualityComputation(computationId, NO_CACHE);
    assert.equal(res.status, 200);
    keysWithin(res.data, ['status', 'error'], 'ComputationStatusResponse (+ error when FAILED, docs/decisions.md)');
    assert.ok(EXECUTION_STATUS.includes(res.data.status), res.data.status);
    if (['SUCCEEDED', 'FAILED'].includes(res.data.status)) return derivedSettled(srv).then(() => res);
    if (Date.now() > deadline) assert.fail('computation did not finish');
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ---------------------------------------------------------------- data-products

test('computeDatasetsDataQualityDataProduct: 202 DatasetsComputationResponse; the batch finishes', async () => {
  const res = await dp.computeDatasetsDataQualityDataProduct(fx.product.id);
  assert.equal(res.status, 202);
  keysWithin(res.data, ['batchComputationId', 'datasetResponses'], 'DatasetsComputationResponse');
  required(res.data, ['batchComputationId', 'datasetResponses'], 'DatasetsComputationResponse');
  assert.match(res.data.batchComputationId, GUID);
  assert.equal(res.data.datasetResponses.length, 3);
  for (const r of res.data.datasetResponses) {
    keysWithin(r, ['computationId', 'datasetId', 'error', 'status'], 'ComputationResponse');
    required(r, ['computationId', 'datasetId', 'status'], 'ComputationResponse');
    assert.match(r.computationId, GUID);
    assert.ok(['REQUESTED', 'FAILED'].includes(r.status), 'data-products.d.ts ExecutionStatus');
    if ('error' in r) assert.equal(typeof r.error, 'string');
  }
  const byDs = Object.fromEntries(res.data.datasetResponses.map((r) => [r.datasetId, r]));
  assert.equal(byDs[fx.meta.id].status, 'FAILED');
  assert.match(byDs[fx.meta.id].error, /DQ-140/);
  fx.batchId = res.data.batchComputationId;
  fx.byDs = byDs;

  const done = await untilFinished(fx.batchId);
  keysWithin(done.data, ['batchComputationId', 'computationStatuses', 'status'], 'BatchComputationStatusResponse');
  required(done.data, ['batchComputationId', 'computationStatuses', 'status'], 'BatchComputationStatusResponse');
  assert.equal(done.data.batchComputationId, fx.batchId);
  const st = {};
  for (const s of done.data.computationStatuses) {
    keysWithin(s, ['computationId', 'datasetId', 'errorCode', 'status'], 'BatchComputationDatasetStatusResponse');
    required(s, ['computationId', 'datasetId', 'status'], 'BatchComputationDatasetStatusResponse');
    assert.ok(EXECUTION_STATUS.includes(s.status));
    if ('errorCode' in s) assert.ok(ERROR_CODES.includes(s.errorCode), s.errorCode);
    st[s.datasetId] = s;
  }
  assert.equal(st[fx.good.id].status, 'SUCCEEDED');
  assert.deepEqual([st[fx.missing.id].status, st[fx.missing.id].errorCode], ['FAILED', 'DQ-100']);
  assert.deepEqual([st[fx.meta.id].status, st[fx.meta.id].errorCode], ['FAILED', 'DQ-140']);

  dp.clearCache();
  const p = (await dp.getDataProduct(fx.product.id, NO_CACHE)).data;
  assert.deepEqual(Object.keys(p.quality).sort(), ['completeness', 'validity'], 'Quality');
  assert.equal(p.quality.validity, EXPECTED.valid / EXPECTED.total);
  assert.equal(p.quality.completeness, (EXPECTED.total - EXPECTED.empty) / EXPECTED.total);
  keysWithin(p.trustScore, ['applicableDatasets', 'dimensions', 'previousScore', 'score'], 'TrustScore');
  required(p.trustScore, ['applicableDatasets', 'score'], 'TrustScore');
  for (const d of p.trustScore.dimensions ?? []) {
    keysWithin(d, ['applicableDatasets', 'id', 'previousScore', 'score'], 'TrustScoreDimension');
    required(d, ['applicableDatasets', 'id'], 'TrustScoreDimension');
  }
});

test('computeDatasetsDataQualityDataProduct: unknown product is a thrown 404', async () => {
  await failsWith(dp.computeDatasetsDataQualityDataProduct(MISSING_ID), 404, 'DP-404-NOT-FOUND');
});

test('generateProviderUrlDataProducts: 200 {url} with the configured template; thrown 404 when a value is missing', async () => {
  const ds = (await dataSets.createDataSet({
    name: 'lake table',
    technicalName: 'lake_table',
    properties: { workspaceHost: 'adb-1.azuredatabricks.net', catalog: 'main', schema: 'sales data' },
    operational: { tableConnectionInfo: { tableName: 'orders' } },
    dataAssetInfo: { id: 'asset-1', dataStoreInfo: { id: 'store-1', type: 'Databricks' } },
  })).data;
  const res = await dp.generateProviderUrlDataProducts({ dataSetId: ds.id });
  assert.equal(res.status, 200);
  keysWithin(res.data, ['url'], 'GenerateProviderUrlResponse');
  assert.equal(res.data.url, 'https://adb-1.azuredatabricks.net/explore/data/main/sales%20data/orders');
  const partial = (await dataSets.createDataSet({
    name: 'no table', technicalName: 'no_table',
    properties: { workspaceHost: 'h', catalog: 'c', schema: 's' },
    dataAssetInfo: { id: 'asset-2', dataStoreInfo: { id: 'store-2', type: 'databricks' } },
  })).data;
  const e = await failsWith(dp.generateProviderUrlDataProducts({ dataSetId: partial.id }), 404, 'DP-404-PROVIDER-NOT-CONFIGURED');
  assert.match(e.detail, /\{tableName\}/);
  await failsWith(dp.generateProviderUrlDataProducts({ dataSetId: fx.good.id }), 404, 'DP-404-PROVIDER-NOT-CONFIGURED');
});

// ---------------------------------------------------------------- data-qualities

test('createDataQualityComputation (202 ComputationResponse) and getDataQualityComputation until SUCCEEDED', async () => {
  const res = await dq.createDataQualityComputation({ datasetId: fx.good.id, connectionId: 'local-files', executionMode: 'PULLUP' });
  assert.equal(res.status, 202);
  keysWithin(res.data, ['computationId'], 'ComputationResponse');
  assert.match(res.data.computationId, GUID);
  const done = await untilDone(res.data.computationId);
  assert.deepEqual(done.data, { status: 'SUCCEEDED' });
});

test('getDataQualityComputation of a failed computation: FAILED (+ ExecutionError)', async () => {
  const res = await dq.getDataQualityComputation(fx.byDs[fx.missing.id].computationId, NO_CACHE);
  assert.equal(res.status, 200);
  assert.equal(res.data.status, 'FAILED');
  assertExecutionError(res.data.error, 'error');
  assert.equal(res.data.error.errorCode, 'DQ-100');
});

test('createDataQualityComputation / getDataQualityComputation errors are thrown with the envelope', async () => {
  await failsWith(dq.createDataQualityComputation({ datasetId: MISSING_ID }), 400, 'DP-400-VALIDATION');
  await failsWith(dq.createDataQualityComputation({ datasetId: fx.good.id, sampleMethod: 'HEAD', sampleSize: 10 }), 400, 'DP-400-VALIDATION');
  await failsWith(dq.createDataQualityComputation({ datasetId: fx.good.id, executionMode: 'PUSHDOWN' }), 400, 'DP-400-VALIDATION');
  await failsWith(dq.getDataQualityComputation(MISSING_ID), 404, 'DP-404-NOT-FOUND');
  await failsWith(dq.getDataQualitiesBatchComputation(MISSING_ID), 404, 'DP-404-NOT-FOUND');
});

test('getDataQualityGlobalResults: DatasetQualityGlobalResultsResponse with the exact counts', async () => {
  const res = await dq.getDataQualityGlobalResults({ datasetId: fx.good.id }, NO_CACHE);
  assert.equal(res.status, 200);
  keysWithin(res.data, ['datasetId', 'qualities'], 'DatasetQualityGlobalResultsResponse');
  assert.equal(res.data.datasetId, fx.good.id);
  assert.equal(res.data.qualities.length, 1);
  const q = res.data.qualities[0];
  keysWithin(q, ['connectionId', 'quality'], 'QualitiesGlobalResultsResponse');
  assert.equal(typeof q.connectionId, 'string');
  assertGlobalQuality(q.quality, 'quality');
  const { updatedAt, ...counts } = q.quality;
  assert.deepEqual(counts, EXPECTED);
  const withConn = await dq.getDataQualityGlobalResults({ datasetId: fx.good.id, connectionId: q.connectionId }, NO_CACHE);
  assert.deepEqual(withConn.data, res.data);
  await failsWith(dq.getDataQualityGlobalResults({ datasetId: MISSING_ID }, NO_CACHE), 404, 'DP-404-NOT-FOUND');
});

test('filterDataQualitiesGlobalResults: QualitiesAndErrorsResponse per computed data set, errors included', async () => {
  const res = await dq.filterDataQualitiesGlobalResults({ datasetIds: [fx.good.id, fx.missing.id, fx.meta.id, MISSING_ID] });
  assert.equal(res.status, 200);
  keysWithin(res.data, ['dataQualities'], 'DataQualityByDatasetIdResponse');
  const by = {};
  for (const d of res.data.dataQualities) {
    keysWithin(d, ['connectionId', 'datasetId', 'error', 'quality', 'status'], 'QualitiesAndErrorsResponse');
    required(d, ['connectionId', 'datasetId', 'status'], 'QualitiesAndErrorsResponse');
    assert.ok(EXECUTION_STATUS.includes(d.status));
    if (d.quality) assertGlobalQuality(d.quality, 'quality');
    if (d.error) assertExecutionError(d.error, 'error');
    by[d.datasetId] = d;
  }
  assert.deepEqual(Object.keys(by).sort(), [fx.good.id, fx.missing.id, fx.meta.id].sort(), 'the unknown id is skipped');
  assert.equal(by[fx.good.id].status, 'SUCCEEDED');
  const { updatedAt, ...counts } = by[fx.good.id].quality;
  assert.deepEqual(counts, EXPECTED);
  assert.equal(by[fx.missing.id].status, 'FAILED');
  assert.equal(by[fx.missing.id].error.errorCode, 'DQ-100');
  assert.equal(by[fx.meta.id].error.errorCode, 'DQ-140');
  await failsWith(dq.filterDataQualitiesGlobalResults({ datasetIds: [] }), 400, 'DP-400-VALIDATION');
});

test('filterDataQualitiesFieldQualities: FieldQualitiesFilterResponse with per-field counts', async () => {
  const res = await dq.filterDataQualitiesFieldQualities({ datasets: [{ datasetId: fx.good.id }, { datasetId: fx.missing.id }] });
  assert.equal(res.status, 200);
  keysWithin(res.data, ['fieldQualities'], 'FieldQualitiesFilterResponse');
  assert.equal(res.data.fieldQualities.length, 1, 'only data sets with results');
  const r = res.data.fieldQualities[0];
  keysWithin(r, ['computed', 'datasetId', 'fields'], 'DatasetFieldQualityResult');
  keysWithin(r.computed, ['at', 'by'], 'ComputedInformation');
  assert.match(r.computed.at, ISO);
  keysWithin(r.computed.by, ['id'], 'ComputedUserInformation');
  assert.equal(r.computed.by.id, srv.admin.userId);
  assert.equal(r.datasetId, fx.good.id);
  const expected = { k: { valid: 2, invalid: 1, empty: 1, total: 4 }, v: { valid: 3, invalid: 0, empty: 1, total: 4 } };
  assert.deepEqual(r.fields.map((f) => f.name), ['k', 'v']);
  for (const f of r.fields) {
    keysWithin(f, ['name', 'quality', 'type'], 'FieldQuality');
    keysWithin(f.quality, ['aggregated', 'rules', 'type'], 'Quality');
    assertCounts(f.quality.aggregated, 'aggregated');
    assertCounts(f.quality.type, 'type');
    assert.ok(Array.isArray(f.quality.rules));
    keysWithin(f.type, ['kind', 'name', 'precision', 'semanticTypeId'], 'FieldInformation');
    assert.ok(['STANDARD', 'SEMANTIC'].includes(f.type.kind));
    assert.deepEqual(f.quality.aggregated, expected[f.name], f.name);
  }
  assert.deepEqual(r.fields.map((f) => f.type.name), ['INTEGER', 'STRING']);
  await failsWith(dq.filterDataQualitiesFieldQualities({ datasets: [{ datasetId: 'bad' }] }), 400, 'DP-400-VALIDATION');
});

// ---------------------------------------------------------------- trust-scores

test('filterDatasetsTrustScore: TrustScoreResultListResponse; unknown ids omitted', async () => {
  const res = await ts.filterDatasetsTrustScore({ datasetIds: [fx.good.id, MISSING_ID], recomputeUsage: true });
  assert.equal(res.status, 200);
  keysWithin(res.data, ['data'], 'TrustScoreResultListResponse');
  assert.equal(res.data.data.length, 1);
  assertTrust(res.data.data[0], fx.good.id);
  const axes = Object.fromEntries(res.data.data[0].axes.map((a) => [a.id, a]));
  assert.equal(axes.VALIDITY.score, (EXPECTED.valid / EXPECTED.total) * 100);
  assert.equal(axes.COMPLETENESS.score, ((EXPECTED.total - EXPECTED.empty) / EXPECTED.total) * 100);
  await failsWith(ts.filterDatasetsTrustScore({ datasetIds: [] }), 400, 'DP-400-VALIDATION');
});

test('the modules expose the functions exercised here', () => {
  for (const fn of ['computeDatasetsDataQualityDataProduct', 'generateProviderUrlDataProducts']) assert.equal(typeof dp[fn], 'function', fn);
  for (const fn of ['createDataQualityComputation', 'getDataQualityComputation', 'getDataQualitiesBatchComputation',
    'getDataQualityGlobalResults', 'filterDataQualitiesGlobalResults', 'filterDataQualitiesFieldQualities']) {
    assert.equal(typeof dq[fn], 'function', fn);
    assert.equal(dq.default[fn], dq[fn]);
  }
  assert.equal(typeof ts.filterDatasetsTrustScore, 'function');
});
