// spliced-reads: the product list and changelog pages are written from the
// documents' stored JSON text without parsing it (issue 12, reads;
// src/store/docs.h). Odd content -- astral and combining Unicode, U+2028,
// quotes, backslashes, control characters, "</script>", a large readMe --
// must come out as valid JSON equal to what is stored: each listed product
// equals GET by id and its stored row, each changelog entry its stored row,
// and the stored text appears in the response byte for byte.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dbSql } from './lib/db.mjs';
import { startServer } from './lib/server.mjs';
import { DP, uniqueName } from './lib/fixtures.mjs';

let srv;
const TAG = `odd-${process.pid}`;
const ODD = [
  'emoji 😀🧪 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  'e\u0301 combining, \u00e9 precomposed, 中文, עברית',
  'quotes "double" \'single\' and back\\slash \\\\ \\u0041 not an escape',
  'controls \u0001\u0002\t\n\r\b\f\u001f end',
  'separators \u2028 \u2029 and </script><!-- -->',
];
const BIG = 'x🧪\n"\\'.repeat(40000); // ~360 kB stored, under the 256 Ki-character limit
const products = [];

const ok = (res) => { assert.equal(res.status, 200, res.text); return res; };
const storedRows = (sql) => dbSql(srv.db, sql).split('\n').filter(Boolean);

async function create(fields) {
  const res = await srv.api('POST', DP, { body: { name: uniqueName('odd'), tags: [TAG], ...fields } });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

before(async () => {
  srv = await startServer({ args: ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0'] });
  for (const [i, s] of ODD.entries()) {
    products.push(await create({ name: `odd ${i} ${s.replace(/[\u0000-\u001f]/g, '')}`.slice(0, 200),
      description: s, tags: [TAG, `t-${s.slice(0, 12)}`] }));
  }
  products.push(await create({ description: 'big', readMe: BIG }));
  // changelog entries carrying the odd values (each PATCH records its changes)
  const p = products[0];
  for (const s of ODD) {
    const res = await srv.api('PATCH', `${DP}/${p.id}`, {
      body: [{ op: 'replace', path: '/description', value: s }, { op: 'replace', path: '/readMe', value: `${s}\n${s}` }],
    });
    assert.equal(res.status, 204, res.text);
  }
  const res = await srv.api('PATCH', `${DP}/${p.id}`, { body: [{ op: 'replace', path: '/readMe', value: BIG }] });
  assert.equal(res.status, 204, res.text);
});

after(async () => { await srv?.stop(); });

test('a list of products with odd content is valid JSON equal to GET by id and to the stored documents', async () => {
  const res = ok(await srv.api('GET', `${DP}?tag=${encodeURIComponent(TAG)}&limit=100&sort=name`));
  assert.ok(res.body, `not JSON: ${res.text.slice(0, 200)}`);
  assert.equal(res.body.total, products.length);
  assert.equal(res.body.data.length, products.length);
  for (const item of res.body.data) {
    const one = ok(await srv.api('GET', `${DP}/${item.id}`));
    assert.deepEqual(item, one.body);
    const [stored] = storedRows(`SELECT doc FROM products WHERE id = '${item.id}'`);
    assert.deepEqual(item, JSON.parse(stored));
    // spliced: the stored text itself, byte for byte (and so GET by id's body)
    assert.ok(res.text.includes(stored), `stored text of ${item.id} not in the list response`);
    assert.ok(res.text.includes(one.text));
  }
  const big = res.body.data.find((p) => p.description === 'big');
  assert.equal(big.readMe, BIG);
  for (const s of ODD) assert.ok(res.body.data.some((p) => p.description === s || p.description === ODD[ODD.length - 1]));
});

test('a search and a filtered list with odd content are valid JSON too', async () => {
  for (const q of [`query=${encodeURIComponent('odd')}&tag=${encodeURIComponent(TAG)}&limit=100`,
    `query=${encodeURIComponent('odd')}&tag=${encodeURIComponent(TAG)}&sort=-createdAt&limit=2&page=2`,
    `tag=${encodeURIComponent(TAG)}&activated=false&limit=3&facets=tags`]) {
    const res = ok(await srv.api('GET', `${DP}?${q}`));
    assert.ok(res.body && Array.isArray(res.body.data), `${q}: not JSON: ${res.text.slice(0, 200)}`);
    assert.ok(res.body.data.length > 0, q);
    for (const item of res.body.data) {
      const [stored] = storedRows(`SELECT doc FROM products WHERE id = '${item.id}'`);
      assert.deepEqual(item, JSON.parse(stored));
    }
  }
});

test('changelog pages with odd content are valid JSON equal to the stored entries, both orders', async () => {
  const p = products[0];
  const stored = storedRows(`SELECT doc FROM changelogs WHERE product_id = '${p.id}' ORDER BY pseq`);
  assert.equal(stored.length, ODD.length + 2); // the create, one per PATCH
  const asc = ok(await srv.api('GET', `${DP}/${p.id}/changelogs?limit=100&sort=%2BcreatedAt`));
  assert.ok(asc.body, `not JSON: ${asc.text.slice(0, 200)}`);
  assert.equal(asc.body.total, stored.length);
  assert.deepEqual(asc.body.data, stored.map((t) => JSON.parse(t)));
  for (const t of stored) assert.ok(asc.text.includes(t), 'a stored entry is not in the page byte for byte');
  // newest first, in pages of 3
  const desc = [];
  for (let page = 1; ; page++) {
    const res = ok(await srv.api('GET', `${DP}/${p.id}/changelogs?limit=3&page=${page}`));
    assert.ok(res.body, `page ${page}: not JSON`);
    desc.push(...res.body.data);
    if (page >= res.body.pages) break;
  }
  assert.deepEqual(desc, stored.map((t) => JSON.parse(t)).reverse());
  const values = JSON.stringify(asc.body.data);
  for (const s of ODD) assert.ok(values.includes(JSON.stringify(s)), `changelog lost ${JSON.stringify(s)}`);
  assert.ok(values.includes(JSON.stringify(BIG)));
  // an empty page past the end is still a valid envelope
  const past = ok(await srv.api('GET', `${DP}/${p.id}/changelogs?limit=100&page=5`));
  assert.deepEqual(past.body.data, []);
});
