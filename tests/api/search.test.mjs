// search: the marketplace search of SPEC §3 (revised, issue 10), black-box over
// HTTP with small corpora whose expected order is obvious: words and word
// prefixes, phrases, AND of terms, case and accent folding, the four tiers
// (name > tags > description > readMe and data set names) and the order inside
// a tier (trust score, then -updatedAt), visibility in results, facets and
// totals, minTrustScore, sorts, unknown parameters, and search syntax in user
// input treated as text (docs/search.md).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer } from './lib/server.mjs';
import { DP, assertError, computeQuality as computeQualityOf } from './lib/fixtures.mjs';

let srv;
let consumer;
const SP = {};
const DS = {};
const P = {};

const list = (q, key) => srv.api('GET', `${DP}?${q}`, { key });
const ok = (res) => { assert.equal(res.status, 200, res.text); return res.body; };
const names = async (q, key) => ok(await list(`limit=100&${q}`, key)).data.map((p) => p.name);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function post(p, body, key) {
  const res = await srv.api('POST', p, { body, key });
  assert.ok(res.status === 201 || res.status === 202, `${p}: ${res.text}`);
  return res.body;
}

async function product(fields, activate = true) {
  const p = await post(DP, { keyContacts: [{ userId: srv.admin.userId }], datasetIds: [DS.plain.id],
    spaceId: SP.pub.id, ...fields });
  if (activate) await post(`${DP}/${p.id}/actions/activate`, { name: p.name, description: p.description, tags: p.tags });
  await sleep(3); // distinct updatedAt milliseconds
  return p;
}

const computeQuality = (datasetId) => computeQualityOf(srv, datasetId);

before(async () => {
  srv = await startServer({ args: ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0'] });
  const u = await post('/api/v1/users', { subject: `st|c-${process.pid}`, email: `st-c-${process.pid}@example.com`,
    name: 'consumer', assignedRoles: [{ name: 'DataProductConsumer' }] });
  consumer = (await post('/api/v1/api-keys', { description: 'c', sub: u.id })).token;
  SP.pub = await post('/api/v1/spaces', { name: 'st-pub', type: 'shared' });
  SP.hidden = await post('/api/v1/spaces', { name: 'st-hidden', type: 'shared' });
  await post(`/api/v1/spaces/${SP.pub.id}/assignments`, { assigneeId: u.id, type: 'user', roles: ['consumer'] });

  // data sets: one plain, one whose name is searchable, two of different quality
  const dir = path.join(srv.dir, 'data', srv.admin.tenantId);
  fs.mkdirSync(dir, { recursive: true });
  const fields = [{ name: 'x', dataType: { type: 'INTEGER' } }];
  DS.plain = await post('/api/v1/data-sets', { name: 'st plain', technicalName: 'st_plain' });
  DS.named = await post('/api/v1/data-sets', { name: 'Telemetry warehouse', technicalName: 'st_named' });
  for (const [k, csv] of Object.entries({ good: 'x\n1\n2\n3\n', bad: 'x\nq\nz\n\n' })) {
    fs.writeFileSync(path.join(dir, `${k}.csv`), csv);
    DS[k] = await post('/api/v1/data-sets', { name: `st ${k}`, technicalName: `st_${k}`,
      operational: { location: `${k}.csv` }, schema: { dataFields: fields } });
    await computeQuality(DS[k].id);
  }

  // tiers: "zebra" in each field of one product
  P.body = await product({ name: 'Tier four', readMe: '# About\nA zebra lives here.' });
  P.desc = await product({ name: 'Tier three', description: 'Stripes like a zebra' });
  P.tags = await product({ name: 'Tier two', tags: ['Zebra'] });
  P.name = await product({ name: 'Zebra crossings' });
  P.ds = await product({ name: 'Data set tier', datasetIds: [DS.named.id] });
  // words, prefixes, phrases, accents
  P.cafe = await product({ name: 'Café orders', description: 'Daily net revenue by region' });
  P.ord = await product({ name: 'ORDERS backlog', description: 'revenue net of returns' });
  P.ecom = await product({ name: 'E-commerce funnel' });
  P.ueber = await product({ name: 'Übersicht Straße' });
  // ties inside the name tier: the higher trust score first, then the newer
  P.tOld = await product({ name: 'Kiwi old', datasetIds: [DS.good.id] });
  P.tLow = await product({ name: 'Kiwi low', datasetIds: [DS.bad.id] });
  P.tNew = await product({ name: 'Kiwi new', datasetIds: [DS.good.id] });
  P.tNone = await product({ name: 'Kiwi unscored' });
  // visibility: a draft in the consumer's space, a product in a space it has no role in
  P.draft = await product({ name: 'Secret draft mongoose', tags: ['mongoose'] }, false);
  P.hidden = await product({ name: 'Hidden mongoose', tags: ['mongoose'], spaceId: SP.hidden.id });
  P.seen = await product({ name: 'Public mongoose', tags: ['mongoose', 'seen'] });
});

after(async () => { await srv?.stop(); });

describe('matching', () => {
  test('a word matches whole words and word prefixes, case-insensitively', async () => {
    assert.deepEqual(new Set(await names('query=orders')), new Set(['ORDERS backlog', 'Café orders']));
    assert.deepEqual(new Set(await names('query=ORD')), new Set(['ORDERS backlog', 'Café orders']));
    assert.deepEqual(await names('query=rders'), [], 'not a substring inside a word');
  });

  test('every term must match (AND), in any field', async () => {
    assert.deepEqual(await names('query=orders%20daily'), ['Café orders']);
    assert.deepEqual(await names('query=backlog%20returns'), ['ORDERS backlog']);
    assert.deepEqual(await names('query=orders%20nowhere'), []);
  });

  test('a quoted phrase needs its words together, in order', async () => {
    assert.deepEqual(new Set(await names('query=net%20revenue')), new Set(['Café orders', 'ORDERS backlog']));
    assert.deepEqual(await names('query=%22net%20revenue%22'), ['Café orders']);
    assert.deepEqual(await names('query=%22revenue%20net%22'), ['ORDERS backlog']);
    assert.deepEqual(await names('query=%22net%20rev%22'), [], 'phrase words are whole words');
  });

  test('accents and case fold both ways', async () => {
    assert.deepEqual(await names('query=cafe'), ['Café orders']);
    assert.deepEqual(await names('query=CAFÉ'), ['Café orders']);
    assert.deepEqual(await names('query=ubersicht'), ['Übersicht Straße']);
    assert.deepEqual(await names(`query=${encodeURIComponent('übersicht')}`), ['Übersicht Straße']);
  });

  // remove_diacritics 2 (docs/search.md): marks go, letters without a
  // decomposition stay (PostgreSQL's unaccent folded ß to ss, schema v2 not)
  test('a letter without a decomposition is not folded: straße, not strasse', async () => {
    assert.deepEqual(await names(`query=${encodeURIComponent('straße')}`), ['Übersicht Straße']);
    assert.deepEqual(await names(`query=${encodeURIComponent('STRASSE')}`), []);
    assert.deepEqual(await names('query=strasse'), []);
  });

  test('punctuation splits words; a bare term of several words matches them together', async () => {
    assert.deepEqual(await names('query=e-comm'), ['E-commerce funnel']);
    assert.deepEqual(await names('query=commerce'), ['E-commerce funnel']);
  });

  test('data set names and the readMe are searched', async () => {
    assert.deepEqual(await names('query=telemetry'), ['Data set tier']);
    assert.deepEqual(await names('query=lives'), ['Tier four']);
  });

  test('renaming a data set re-indexes the products using it', async () => {
    const res = await srv.api('PATCH', `/api/v1/data-sets/${DS.named.id}`, {
      body: [{ op: 'replace', path: '/name', value: 'Satellite warehouse' }],
      headers: { 'Content-Type': 'application/json-patch+json' } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(await names('query=telemetry'), []);
    assert.deepEqual(await names('query=satellite'), ['Data set tier']);
  });

  test('search syntax in the input is text: never an error, never an injection', async () => {
    for (const q of ['"', '""', '*', 'ord*', 'NEAR(orders backlog)', '-orders', 'name:orders', '{name}:orders',
      '(orders OR zebra)', 'orders AND', 'NOT orders', '^orders', 'orders"', '\'; DROP TABLE products; --',
      'a"b"c', ':', '\u00e9\u0301', '\uE000torders', 'x'.repeat(256)]) {
      const res = await list(`query=${encodeURIComponent(q)}`);
      assert.equal(res.status, 200, `${q}: ${res.text}`);
    }
    assert.deepEqual(new Set(await names('query=ord*')), new Set(['ORDERS backlog', 'Café orders']));
    assert.deepEqual(new Set(await names('query=-orders')), new Set(['ORDERS backlog', 'Café orders']));
    assert.deepEqual(await names('query=name%3Aorders'), [], '"name" and "orders" both needed');
    assert.deepEqual(await names('query=(orders%20OR%20zebra)'), [], 'OR is a word here');
    assert.deepEqual(await names('query=NEAR(orders%20backlog)'), [], 'NEAR is a word here');
    // nothing searchable: no matches (not everything)
    const b = ok(await list('query=%22%20*%20-%20%22&facets=tags'));
    assert.deepEqual([b.total, b.totalRelation, b.data, b.facets.tags], [0, 'eq', [], []]);
  });
});

describe('relevance', () => {
  test('name > tags > description > readMe and data set names', async () => {
    assert.deepEqual(await names('query=zebra'), ['Zebra crossings', 'Tier two', 'Tier three', 'Tier four']);
    const p2 = ok(await list('query=zebra&sort=relevance&limit=2&page=2'));
    assert.deepEqual(p2.data.map((p) => p.name), ['Tier three', 'Tier four']);
  });

  test('inside a tier: the higher trust score first, then the newer, products without a score last', async () => {
    const got = ok(await list('query=kiwi&limit=100')).data;
    assert.ok(got[0].trustScore.score > got[2].trustScore.score, 'fixture: good > bad');
    assert.deepEqual(got.map((p) => p.name), ['Kiwi new', 'Kiwi old', 'Kiwi low', 'Kiwi unscored']);
  });

  test('a product matching several terms is ranked by the field holding all of them', async () => {
    // "tier zebra": all in the name only for none; name + tags for "Tier two"
    assert.deepEqual(await names('query=tier%20zebra'), ['Tier two', 'Tier three', 'Tier four']);
  });

  test('pages walk the tiers without gaps or repeats', async () => {
    const all = await names('query=tier');
    const paged = [];
    for (let page = 1; page <= 4; page++) paged.push(...ok(await list(`query=tier&limit=1&page=${page}`)).data.map((p) => p.name));
    assert.deepEqual(paged, all);
    assert.equal(all.length, 4); // 'Data set tier' (name) first, then by trust/updatedAt
  });

  test('other sorts apply to the matches', async () => {
    assert.deepEqual(await names('query=kiwi&sort=name'), ['Kiwi low', 'Kiwi new', 'Kiwi old', 'Kiwi unscored']);
    assert.deepEqual(await names('query=kiwi&sort=-name'), ['Kiwi unscored', 'Kiwi old', 'Kiwi new', 'Kiwi low']);
    const t = await names('query=kiwi&sort=-trustScore');
    assert.equal(t[3], 'Kiwi unscored');
    assert.equal(t[2], 'Kiwi low');
  });
});

describe('filters, facets and visibility', () => {
  test('minTrustScore with a query: at least the threshold, unscored never', async () => {
    const good = ok(await list('query=kiwi&limit=1')).data[0].trustScore.score;
    assert.deepEqual(new Set(await names(`query=kiwi&minTrustScore=${good}`)), new Set(['Kiwi new', 'Kiwi old']));
    assert.deepEqual(new Set(await names('query=kiwi&minTrustScore=0')), new Set(['Kiwi new', 'Kiwi old', 'Kiwi low']));
    assert.deepEqual(await names('query=kiwi&minTrustScore=100'), []);
  });

  test('tag, space and activated filters combine with a query', async () => {
    assert.deepEqual(await names('query=mongoose&tag=seen'), ['Public mongoose']);
    assert.deepEqual(await names(`query=mongoose&spaceId=${SP.hidden.id}`), ['Hidden mongoose']);
    assert.deepEqual(await names('query=mongoose&activated=false'), ['Secret draft mongoose']);
    assert.deepEqual(new Set(await names('query=mongoose&activated=true')), new Set(['Public mongoose', 'Hidden mongoose']));
  });

  test('facets count the matches', async () => {
    const b = ok(await list('query=mongoose&facets=tags,spaceId'));
    assert.equal(b.total, 3);
    assert.deepEqual(b.facets.tags, [{ value: 'mongoose', count: 3 }, { value: 'seen', count: 1 }]);
    assert.deepEqual(b.facets.spaceId, [{ value: SP.pub.id, count: 2 }, { value: SP.hidden.id, count: 1 }]
      .sort((x, y) => y.count - x.count || (x.value < y.value ? -1 : 1)));
  });

  test('a consumer never sees a draft or another space in results, facets or totals', async () => {
    const b = ok(await list('query=mongoose&facets=tags,spaceId', consumer));
    assert.deepEqual(b.data.map((p) => p.name), ['Public mongoose']);
    assert.equal(b.total, 1);
    assert.deepEqual(b.facets.tags, [{ value: 'mongoose', count: 1 }, { value: 'seen', count: 1 }]);
    assert.deepEqual(b.facets.spaceId, [{ value: SP.pub.id, count: 1 }]);
    assert.equal(ok(await list('query=secret', consumer)).total, 0);
    assert.equal(ok(await list('query=secret&activated=false', consumer)).total, 0);
    assert.equal(ok(await list('query=hidden', consumer)).total, 0);
  });

  test('writes are searchable at once: rename, deactivate, delete', async () => {
    const p = await product({ name: 'Ocelot feed' });
    assert.deepEqual(await names('query=ocelot', consumer), ['Ocelot feed']);
    let res = await srv.api('POST', `${DP}/${p.id}/actions/deactivate`, {});
    assert.equal(res.status, 204, res.text);
    assert.deepEqual(await names('query=ocelot', consumer), []);
    res = await srv.api('PATCH', `${DP}/${p.id}`, { body: [{ op: 'replace', path: '/name', value: 'Lynx feed' }] });
    assert.equal(res.status, 204, res.text);
    assert.deepEqual(await names('query=ocelot'), []);
    assert.deepEqual(await names('query=lynx'), ['Lynx feed']);
    res = await srv.api('DELETE', `${DP}/${p.id}`);
    assert.equal(res.status, 204, res.text);
    assert.deepEqual(await names('query=lynx'), []);
  });

  test('activated=true is the activated part of the same search, for every caller and filter', async () => {
    // activated=true is answered with other filter tokens than activated=any
    // (the activated twins, docs/search.md): the two must agree on every row.
    const u = await post('/api/v1/users', { subject: `st|p-${process.pid}`, email: `st-p-${process.pid}@example.com`,
      name: 'creator', assignedRoles: [{ name: 'DataProductCreator' }, { name: 'DataProductConsumer' }] });
    const creator = (await post('/api/v1/api-keys', { description: 'p', sub: u.id })).token;
    await post(`/api/v1/spaces/${SP.pub.id}/assignments`, { assigneeId: u.id, type: 'user', roles: ['producer'] });
    const make = async (fields, activate, key) => {
      const p = await post(DP, { keyContacts: [{ userId: srv.admin.userId }], datasetIds: [DS.plain.id], ...fields }, key);
      if (activate) await post(`${DP}/${p.id}/actions/activate`, { name: p.name, description: p.description, tags: p.tags }, key);
    };
    const m = ['Marsupial'];
    await make({ name: 'Wombat pub on tagged', spaceId: SP.pub.id, tags: m }, true);
    await make({ name: 'Wombat pub on', spaceId: SP.pub.id }, true);
    await make({ name: 'Wombat pub off tagged', spaceId: SP.pub.id, tags: m }, false);
    await make({ name: 'Wombat hidden on tagged', spaceId: SP.hidden.id, tags: m }, true);
    await make({ name: 'Wombat hidden off', spaceId: SP.hidden.id }, false);
    await make({ name: 'Wombat admin personal on', tags: m }, true);
    await make({ name: 'Wombat admin personal off', tags: m }, false);
    await make({ name: 'Wombat creator personal on', tags: m }, true, creator);
    await make({ name: 'Wombat creator personal off' }, false, creator);
    const filters = ['', 'tag=marsupial', 'tag=Marsupial', `spaceId=${SP.pub.id}`, `spaceId=${SP.hidden.id}`,
      'spaceId=personal', `spaceId=${SP.pub.id}&spaceId=personal&tag=Marsupial`,
      `ownerId=${u.id}`, `ownerId=${u.id}&tag=Marsupial&spaceId=personal`];
    let seen = 0;
    for (const [who, key] of [['admin', undefined], ['consumer', consumer], ['creator', creator]]) {
      for (const f of filters) {
        const all = ok(await list(`limit=100&query=wombat&${f}`, key));
        const want = all.data.filter((p) => p.activated).map((p) => p.name).sort();
        const on = ok(await list(`limit=100&query=wombat&activated=true&${f}`, key));
        assert.deepEqual(on.data.map((p) => p.name).sort(), want, `${who} ${f}`);
        assert.equal(on.total, want.length, `${who} ${f}`);
        const off = ok(await list(`limit=100&query=wombat&activated=false&${f}`, key));
        assert.deepEqual(off.data.map((p) => p.name).sort(),
          all.data.filter((p) => !p.activated).map((p) => p.name).sort(), `${who} ${f}`);
        seen += want.length;
      }
    }
    assert.ok(seen > 10); // the corpus is visible at all
    assert.deepEqual((await names('query=wombat&activated=true&tag=Marsupial')).sort(),
      ['Wombat admin personal on', 'Wombat creator personal on', 'Wombat hidden on tagged', 'Wombat pub on tagged']);
  });

  test('unknown parameters are 400 with a query too', async () => {
    assertError(await list('query=kiwi&q=kiwi'), 400, 'DP-400-INVALID-QUERY', "'q'");
    assertError(await list('query=kiwi&sort=-relevance'), 400, 'DP-400-INVALID-QUERY', "'sort'");
  });
});

describe('long prefixes (expanded into the words they cover, docs/search.md)', () => {
  test('a prefix covering more than 32 words finds every one; a new word is found at once', async () => {
    const want = [];
    for (let i = 0; i < 34; i++) {
      await product({ name: `Quokka${i}` });
      want.push(`Quokka${i}`);
    }
    const sorted = (a) => [...a].sort();
    // 34 words: beyond the expansion cap, the prefix query answers
    assert.deepEqual(sorted(await names('query=quokka')), sorted(want));
    assert.equal(ok(await list('query=quokka&limit=1')).total, 34);
    // 11 words (quokka1, quokka10..19): expanded; every tier and the total agree
    const ones = want.filter((n) => n.startsWith('Quokka1'));
    assert.deepEqual(sorted(await names('query=quokka1')), sorted(ones));
    assert.equal(ok(await list('query=quokka1&limit=1')).total, 11);
    assert.deepEqual(sorted(await names('query=quokka1', consumer)), sorted(ones));
    // a word written after the last search is in the term list of the next one
    await product({ name: 'Quokka1zz' });
    assert.deepEqual(sorted(await names('query=quokka1')), sorted([...ones, 'Quokka1zz']));
    assert.deepEqual(await names('query=quokka1z'), ['Quokka1zz']);
    // a quoted word is a whole word, never a prefix
    assert.deepEqual(await names('query="quokka1zz"'), ['Quokka1zz']);
  });
});
