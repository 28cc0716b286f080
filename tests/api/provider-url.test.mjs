// provider-url: generate-provider-url with URL templates from the config file
// (SPEC §3 "generate-provider-url", issue 4, docs/provider-urls.md).
//
//   POST /api/data-governance/data-products/actions/generate-provider-url?dataSetId=
//   200 {"url"}: the template for the data set's dataAssetInfo.dataStoreInfo.type
//   (case-insensitive) with every {placeholder} filled and percent-encoded
//   (RFC 3986 unreserved characters kept); 404 DP-404-PROVIDER-NOT-CONFIGURED
//   when no template applies or a value is missing (detail names it); a
//   template with an unknown placeholder or unbalanced braces stops the server
//   from starting.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, bootstrap, MISSING_ID } from './lib/server.mjs';
import { assertError, uniqueName } from './lib/fixtures.mjs';

const URL_PATH = '/api/data-governance/data-products/actions/generate-provider-url';
const ARGS = ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0'];

const TEMPLATES = {
  // a mixed-case key: data store types match case-insensitively
  Snowflake: 'https://app.snowflake.com/{properties.organization}/{properties.account}/#/data/databases/{properties.database}/schemas/{properties.schema}/table/{tableName}',
  postgresql: 'https://{properties.adminHost}/browser/?database={properties.database}&port={properties.port}&ratio={properties.ratio}&table={tableName}',
  file: 'https://files.example.com/view?id={id}&name={name}&tn={technicalName}&qri={qri}&tenant={tenantId}&space={spaceId}&loc={location}&owner={tableOwner}&store={dataStoreName}&type={dataStoreType}',
};

let srv;
let tmp;
let other;
let space;

/** RFC 3986 percent-encoding, unreserved characters (ALPHA DIGIT - . _ ~) kept, upper-case hex. */
function pct(value) {
  let out = '';
  for (const b of Buffer.from(String(value), 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

async function mkDataSet(fields, key) {
  const name = fields.name ?? uniqueName('pds');
  const res = await srv.api('POST', '/api/v1/data-sets', { key, body: { technicalName: name, ...fields, name } });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

const store = (type, name) => ({ id: uniqueName('asset'), dataStoreInfo: { id: uniqueName('store'), ...(type !== undefined ? { type } : {}), ...(name ? { name } : {}) } });

function providerUrl(dataSetId, key) {
  return srv.api('POST', `${URL_PATH}?dataSetId=${dataSetId}`, { key });
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-provider-'));
  const config = path.join(tmp, 'config.json');
  fs.writeFileSync(config, JSON.stringify({ providerUrlTemplates: TEMPLATES }));
  srv = await startServer({ args: [...ARGS, '--config', config] });
  other = bootstrap(srv.db, 'other', 'other@example.com');
  const sp = await srv.api('POST', '/api/v1/spaces', { body: { name: uniqueName('psp'), type: 'shared' } });
  assert.equal(sp.status, 201, sp.text);
  space = sp.body;
});

after(async () => {
  try {
    if (srv) await srv.stop();
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

const SNOW_PROPS = { organization: 'acme org', account: 'xy12345', database: 'SALES/DB', schema: 'PUBLIC' };

test('200: the Snowflake template filled from the data set, each value percent-encoded', async () => {
  const ds = await mkDataSet({
    properties: SNOW_PROPS,
    operational: { tableConnectionInfo: { tableName: 'ORDERS 2024?#&' } },
    dataAssetInfo: store('snowflake'),
  });
  const res = await providerUrl(ds.id);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(Object.keys(res.body), ['url']);
  assert.equal(res.body.url,
    `https://app.snowflake.com/acme%20org/xy12345/#/data/databases/SALES%2FDB/schemas/PUBLIC/table/ORDERS%202024%3F%23%26`);
  assert.match(res.headers.get('content-type'), /^application\/json/);
});

test('the data store type matches case-insensitively (SNOWFLAKE, SnowFlake)', async () => {
  for (const type of ['SNOWFLAKE', 'SnowFlake']) {
    const ds = await mkDataSet({ properties: SNOW_PROPS, operational: { tableConnectionInfo: { tableName: 'T' } }, dataAssetInfo: store(type) });
    const res = await providerUrl(ds.id);
    assert.equal(res.status, 200, `${type}: ${res.text}`);
    assert.equal(res.body.url, 'https://app.snowflake.com/acme%20org/xy12345/#/data/databases/SALES%2FDB/schemas/PUBLIC/table/T');
  }
});

test('numbers from properties; non-ASCII and reserved characters encoded byte by byte', async () => {
  const ds = await mkDataSet({
    properties: { adminHost: 'pg.example.com', database: 'Zürich € db', port: 5432, ratio: 1.5 },
    operational: { tableConnectionInfo: { tableName: 'a+b=c;d' } },
    dataAssetInfo: store('PostgreSQL'),
  });
  const res = await providerUrl(ds.id);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.url,
    `https://pg.example.com/browser/?database=${pct('Zürich € db')}&port=5432&ratio=1.5&table=${pct('a+b=c;d')}`);
  assert.ok(res.body.url.includes('Z%C3%BCrich%20%E2%82%AC%20db'));
  assert.ok(res.body.url.includes('a%2Bb%3Dc%3Bd'));
});

test('every documented placeholder; a value that looks like a placeholder is not expanded again', async () => {
  const name = `Sales {id} & Co/${uniqueName('n')}`;
  const ds = await mkDataSet({
    name,
    technicalName: 'sales_tbl~v1',
    spaceId: space.id,
    operational: { location: 'dir/sales data.csv', tableOwner: 'ops team' },
    dataAssetInfo: store('file', 'Local files'),
  });
  const res = await providerUrl(ds.id);
  assert.equal(res.status, 200, res.text);
  const expected = 'https://files.example.com/view?'
    + `id=${pct(ds.id)}&name=${pct(name)}&tn=sales_tbl~v1&qri=${pct(ds.qri)}&tenant=${pct(srv.admin.tenantId)}`
    + `&space=${pct(space.id)}&loc=dir%2Fsales%20data.csv&owner=ops%20team&store=Local%20files&type=file`;
  assert.equal(res.body.url, expected);
  assert.ok(res.body.url.includes('%7Bid%7D'), 'the braces in the name are data');
});

test('a value the template needs is missing: 404 DP-404-PROVIDER-NOT-CONFIGURED naming the placeholder', async () => {
  const noTable = await mkDataSet({ properties: SNOW_PROPS, dataAssetInfo: store('snowflake') });
  assertError(await providerUrl(noTable.id), 404, 'DP-404-PROVIDER-NOT-CONFIGURED', '{tableName}');
  const noSchema = await mkDataSet({
    properties: { organization: 'o', account: 'a', database: 'd' },
    operational: { tableConnectionInfo: { tableName: 'T' } },
    dataAssetInfo: store('snowflake'),
  });
  assertError(await providerUrl(noSchema.id), 404, 'DP-404-PROVIDER-NOT-CONFIGURED', '{properties.schema}');
  const emptyValue = await mkDataSet({
    properties: { ...SNOW_PROPS, schema: '' },
    operational: { tableConnectionInfo: { tableName: 'T' } },
    dataAssetInfo: store('snowflake'),
  });
  assertError(await providerUrl(emptyValue.id), 404, 'DP-404-PROVIDER-NOT-CONFIGURED', '{properties.schema}');
  const objectValue = await mkDataSet({
    properties: { ...SNOW_PROPS, schema: { nested: true } },
    operational: { tableConnectionInfo: { tableName: 'T' } },
    dataAssetInfo: store('snowflake'),
  });
  assertError(await providerUrl(objectValue.id), 404, 'DP-404-PROVIDER-NOT-CONFIGURED', '{properties.schema}');
  const noSpace = await mkDataSet({ operational: { location: 'x.csv', tableOwner: 'o' }, dataAssetInfo: store('file', 'n') });
  assertError(await providerUrl(noSpace.id), 404, 'DP-404-PROVIDER-NOT-CONFIGURED', '{spaceId}');
});

test('no template for the type, or no type at all: 404 DP-404-PROVIDER-NOT-CONFIGURED', async () => {
  const oracle = await mkDataSet({ properties: SNOW_PROPS, dataAssetInfo: store('oracle') });
  assertError(await providerUrl(oracle.id), 404, 'DP-404-PROVIDER-NOT-CONFIGURED', 'oracle');
  const untyped = await mkDataSet({ dataAssetInfo: store(undefined) });
  assertError(await providerUrl(untyped.id), 404, 'DP-404-PROVIDER-NOT-CONFIGURED');
  const bare = await mkDataSet({});
  assertError(await providerUrl(bare.id), 404, 'DP-404-PROVIDER-NOT-CONFIGURED');
});

test('the request: dataSetId required and a GUID (400), unknown or another tenant\'s data set 404, no key 401', async () => {
  assertError(await srv.api('POST', URL_PATH), 400, 'DP-400-INVALID-QUERY', 'dataSetId');
  assertError(await providerUrl('not-a-guid'), 400, 'DP-400-INVALID-QUERY', 'dataSetId');
  assertError(await providerUrl(MISSING_ID), 404, 'DP-404-NOT-FOUND');
  const theirs = await mkDataSet({ properties: SNOW_PROPS, operational: { tableConnectionInfo: { tableName: 'T' } }, dataAssetInfo: store('snowflake') }, other.apiKey);
  assert.equal((await providerUrl(theirs.id, other.apiKey)).status, 200, 'the other tenant gets its URL');
  assertError(await providerUrl(theirs.id), 404, 'DP-404-NOT-FOUND');
  assertError(await providerUrl(theirs.id, null), 401, 'DP-401-UNAUTHORIZED');
});

// ---------------------------------------------------------------- refusing to start

async function refuses(templates, expectedMessage) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-badconf-'));
  try {
    const config = path.join(dir, 'config.json');
    fs.writeFileSync(config, JSON.stringify(templates === undefined ? {} : { providerUrlTemplates: templates }));
    let err;
    try {
      const s = await startServer({ dir, keepDir: true, args: [...ARGS, '--config', config] });
      await s.stop();
    } catch (e) {
      err = e;
    }
    assert.ok(err, `the server started with ${JSON.stringify(templates)}`);
    assert.match(err.message, /server exited/);
    assert.match(err.message, expectedMessage);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('a template with an unknown placeholder makes the server refuse to start, naming it', async () => {
  await refuses({ snowflake: 'https://x.example.com/{tableName}/{bogus}' }, /unknown placeholder \{bogus\}/);
  await refuses({ ok: 'https://x/{id}', typo: 'https://x/{properties.}' }, /unknown placeholder/);
});

test('unbalanced braces or a non-string template also stop the server', async () => {
  await refuses({ a: 'https://x.example.com/{id' }, /providerUrlTemplates\.a/);
  await refuses({ a: 'https://x.example.com/id}' }, /providerUrlTemplates\.a/);
  await refuses({ a: 42 }, /providerUrlTemplates/);
  await refuses(['https://x/{id}'], /providerUrlTemplates/);
});
