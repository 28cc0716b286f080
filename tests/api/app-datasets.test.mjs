// app-datasets: GET /api/app/data-sets, the web app's data set picker
// (issue 9). Every user of a tenant reads the tenant's data sets (and no
// other tenant's), sorted by name case-insensitively, paged like every list,
// with `query` a case-insensitive substring of name or technicalName; bad
// parameters are 400 naming them. Every response is checked against
// docs/openapi.json by the harness.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, bootstrap } from './lib/server.mjs';
import { assertError, makeDataSet, makeSpace } from './lib/fixtures.mjs';

const LIST = '/api/app/data-sets';
let srv;
let other; // a second tenant's admin
let consumer; // a plain DataProductConsumer with no space at all
const mine = {}; // name -> data set of tenant "default"

async function mkUser(label, roles) {
  const res = await srv.api('POST', '/api/v1/users', {
    body: { subject: `sub|${label}-${process.pid}`, email: `${label}-${process.pid}@example.com`, name: label,
      assignedRoles: roles.map((name) => ({ name })) },
  });
  assert.equal(res.status, 201, res.text);
  const key = await srv.api('POST', '/api/v1/api-keys', { body: { description: `key of ${label}`, sub: res.body.id } });
  assert.equal(key.status, 201, key.text);
  return { id: res.body.id, key: key.body.token };
}

before(async () => {
  srv = await startServer({ args: ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0'] });
  const o = bootstrap(srv.db, 'other', 'o@x.com');
  other = { key: o.apiKey };
  consumer = await mkUser('consumer', ['DataProductConsumer']);
  const space = await makeSpace(srv, { name: 'Sales space' });
  // names chosen so that case-insensitive order differs from byte order
  for (const [name, technicalName, extra] of [
    ['banana orders', 'fruit_b.csv', {}],
    ['Apple sales', 'fruit_a.csv', { description: 'kiwi in the description only', spaceId: space.id }],
    ['cherry', 'ORDERS_2024.parquet', {}],
    ['Date <script>window.__xss=1</script>', 'date.csv', {}],
    ['elderberry', 'e.csv', {}],
  ]) mine[name] = await makeDataSet(srv, { name, technicalName, ...extra });
  // the other tenant: names that match the same queries
  for (const name of ['Apple other tenant', 'orders other tenant', 'zzz other']) {
    const res = await srv.api('POST', '/api/v1/data-sets', { key: other.key, body: { name, technicalName: `${name}.csv` } });
    assert.equal(res.status, 201, res.text);
  }
});

after(async () => { await srv?.stop(); });

const names = (res) => res.body.data.map((d) => d.name);

test('lists the tenant\'s data sets by name, case-insensitively, with the picker\'s fields only', async () => {
  const res = await srv.api('GET', LIST);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(names(res), ['Apple sales', 'banana orders', 'cherry', 'Date <script>window.__xss=1</script>', 'elderberry']);
  assert.equal(res.body.total, 5);
  assert.equal(res.body.page, 1);
  assert.equal(res.body.limit, 20);
  assert.equal(res.body.pages, 1);
  const apple = res.body.data[0];
  assert.deepEqual(apple, {
    id: mine['Apple sales'].id, name: 'Apple sales', technicalName: 'fruit_a.csv',
    description: 'kiwi in the description only', spaceId: mine['Apple sales'].spaceId,
  });
  assert.deepEqual(Object.keys(res.body.data[1]).sort(), ['id', 'name', 'technicalName']);
  assert.match(res.body.links.self.href, /^http:\/\/127\.0\.0\.1:\d+\/api\/app\/data-sets\?page=1$/);
});

test('another tenant\'s data sets never appear, whatever the query, and it sees only its own', async () => {
  for (const q of ['', '?query=other', '?query=apple', '?query=orders', '?limit=100']) {
    const res = await srv.api('GET', LIST + q);
    assert.equal(res.status, 200, res.text);
    for (const n of names(res)) assert.ok(!n.includes('other'), `${q}: ${n}`);
  }
  const theirs = await srv.api('GET', LIST, { key: other.key });
  assert.deepEqual(names(theirs), ['Apple other tenant', 'orders other tenant', 'zzz other']);
  assert.equal(theirs.body.total, 3);
});

test('every user of the tenant reads them all: a consumer without any space too', async () => {
  const res = await srv.api('GET', LIST, { key: consumer.key });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.total, 5);
  assert.ok(names(res).includes('Apple sales'), 'a data set in a space the consumer has no role in');
});

test('query: a case-insensitive substring of name or technicalName, not of the description', async () => {
  assert.deepEqual(names(await srv.api('GET', `${LIST}?query=ORDERS`)), ['banana orders', 'cherry']);
  assert.deepEqual(names(await srv.api('GET', `${LIST}?query=Fruit_`)), ['Apple sales', 'banana orders']);
  assert.deepEqual(names(await srv.api('GET', `${LIST}?query=an`)), ['banana orders']);
  assert.deepEqual(names(await srv.api('GET', `${LIST}?query=kiwi`)), []);
  assert.deepEqual(names(await srv.api('GET', `${LIST}?query=${encodeURIComponent('<script>')}`)), ['Date <script>window.__xss=1</script>']);
  assert.deepEqual(names(await srv.api('GET', `${LIST}?query=${encodeURIComponent("%'_")}`)), [], 'no LIKE wildcards');
  const res = await srv.api('GET', `${LIST}?query=orders&limit=1`);
  assert.equal(res.body.total, 2);
  assert.equal(res.body.pages, 2);
  assert.match(res.body.links.next.href, /\?query=orders&limit=1&page=2$/);
});

test('paging: limit and page, links at the ends, a page past the end is empty', async () => {
  const p1 = await srv.api('GET', `${LIST}?limit=2`);
  assert.deepEqual(names(p1), ['Apple sales', 'banana orders']);
  assert.equal(p1.body.pages, 3);
  assert.equal(p1.body.links.prev, undefined);
  assert.match(p1.body.links.next.href, /limit=2&page=2$/);
  assert.match(p1.body.links.last.href, /limit=2&page=3$/);
  const p3 = await srv.api('GET', `${LIST}?limit=2&page=3`);
  assert.deepEqual(names(p3), ['elderberry']);
  assert.equal(p3.body.links.next, undefined);
  const past = await srv.api('GET', `${LIST}?limit=2&page=9`);
  assert.deepEqual(past.body.data, []);
  assert.equal(past.body.total, 5);
  const all = await srv.api('GET', `${LIST}?limit=100`);
  assert.equal(all.body.data.length, 5);
});

test('a renamed data set moves in the order and is found by its new name; a deleted one is gone', async () => {
  const ds = await makeDataSet(srv, { name: 'zebra', technicalName: 'z.csv' });
  let res = await srv.api('GET', `${LIST}?query=aardvark`);
  assert.deepEqual(names(res), []);
  const patched = await srv.api('PATCH', `/api/v1/data-sets/${ds.id}`, {
    body: [{ op: 'replace', path: '/name', value: 'AARDVARK' }, { op: 'replace', path: '/technicalName', value: 'renamed.csv' }],
  });
  assert.equal(patched.status, 200, patched.text);
  res = await srv.api('GET', `${LIST}?query=aardvark`);
  assert.deepEqual(names(res), ['AARDVARK']);
  assert.deepEqual(names(await srv.api('GET', `${LIST}?query=renamed`)), ['AARDVARK']);
  assert.deepEqual(names(await srv.api('GET', `${LIST}?query=z.csv`)), []);
  assert.equal(names(await srv.api('GET', LIST))[0], 'AARDVARK');
  const put = await srv.api('PUT', `/api/v1/data-sets/${ds.id}`, { body: { name: 'yak', technicalName: 'y.csv' } });
  assert.equal(put.status, 200, put.text);
  assert.deepEqual(names(await srv.api('GET', `${LIST}?query=YAK`)), ['yak']);
  const del = await srv.api('POST', '/api/v1/data-sets/actions/delete', { body: { ids: [ds.id] } });
  assert.ok(del.status < 300, del.text);
  assert.deepEqual(names(await srv.api('GET', `${LIST}?query=yak`)), []);
});

test('bad parameters are 400 naming them; no key is 401', async () => {
  for (const [q, detail] of [
    ['limit=0', "'limit'"], ['limit=101', "'limit'"], ['limit=x', "'limit'"], ['page=0', "'page'"],
    ['page=1000001', "'page'"], ['query=', "'query'"], [`query=${'a'.repeat(257)}`, "'query'"],
    ['query=%1F', "'query'"], ['sort=name', "'sort'"], ['foo=1&bar=2', "'bar', 'foo'"],
    ['limit=1&limit=2', "'limit'"],
  ]) {
    assertError(await srv.api('GET', `${LIST}?${q}`), 400, 'DP-400-INVALID-QUERY', detail);
  }
  assert.equal((await srv.api('GET', `${LIST}?query=${'a'.repeat(256)}`)).status, 200);
  assertError(await srv.api('GET', LIST, { key: null }), 401, 'DP-401-UNAUTHORIZED');
});
