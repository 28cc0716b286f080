// product.test.mjs: the product page (/products/{id}, SPEC §6, issue 9) in
// Chromium against a real server. Seeds through the API: a product with a
// hostile readMe/description/tags, key contacts, two data sets (one backed
// by a CSV under the tenant's data directory, one with no file), computed
// quality and trust scores, a provider URL template for one data store type.
// Then: every section shows its content; user text stays inert; the chart
// has an accessible name with the values; the changelog pages; export
// downloads; compute quality shows progress then a result; activate (its
// 409 problems next to what they concern), deactivate, move, delete; a
// consumer sees no actions; an outsider gets "not found" for a draft; a
// stale ETag is explained; axe on every state; 360 px without sideways
// scrolling. DP_SHOTS=1 keeps 1280/360 px screenshots in build/test-artifacts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer } from '../api/lib/server.mjs';
import { DP, uniqueName } from '../api/lib/fixtures.mjs';
import {
  openBrowser, withShots, signIn, expectNoAxeViolations, expectNoProblems, ARTIFACTS,
} from './lib/browser.mjs';

const DQ = '/api/data-governance/data-qualities';
const SHOTS = process.env.DP_SHOTS === '1';

let srv;
let b;
const U = {}; // users: {id, key, name}
const S = {}; // spaces
const P = {}; // products
const D = {}; // data sets

async function ok(method, p, body, key, expect) {
  const res = await srv.api(method, p, { body, key });
  const want = expect ?? (method === 'POST' ? [200, 201, 202] : [200, 204]);
  assert.ok([].concat(want).includes(res.status), `${method} ${p}: ${res.status} ${res.text}`);
  return res;
}

async function mkUser(name, roles) {
  const u = await ok('POST', '/api/v1/users', {
    subject: `auth0|${name}-${process.pid}`, email: `${name.toLowerCase()}-${process.pid}@example.com`,
    name, assignedRoles: roles.map((r) => ({ name: r })),
  });
  const k = await ok('POST', '/api/v1/api-keys', { description: `key of ${name}`, sub: u.body.id });
  return { id: u.body.id, key: k.body.token, name };
}

async function mkSpace(type, name) {
  return (await ok('POST', '/api/v1/spaces', { name: name || uniqueName(`${type}-space`), type })).body;
}

async function assign(space, user, roles) {
  await ok('POST', `/api/v1/spaces/${space.id}/assignments`, { assigneeId: user.id, type: 'user', roles });
}

async function mkProduct(fields) {
  return (await ok('POST', DP, { name: uniqueName('product'), ...fields })).body;
}

async function etagOf(id) {
  const res = await ok('GET', `${DP}/${id}`);
  return res.headers.get('etag');
}

async function patch(id, ops) {
  const res = await srv.api('PATCH', `${DP}/${id}`, { body: ops, headers: { 'If-Match': await etagOf(id) } });
  assert.equal(res.status, 204, res.text);
}

async function computeAndWait(id) {
  const start = await ok('POST', `${DP}/${id}/actions/compute-datasets-data-quality`);
  for (let i = 0; i < 400; i++) {
    const r = await ok('GET', `${DQ}/batch-computations/${start.body.batchComputationId}`);
    if (r.body.status === 'FINISHED') return r.body;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error('batch did not finish');
}

const HOSTILE_README = [
  '# Orders handbook',
  '',
  'Daily orders, see [the wiki](https://wiki.example.com/orders) and [x](javascript:window.__xss=1).',
  '',
  '## Columns',
  '',
  '| Column | Meaning |',
  '|:-------|--------:|',
  '| id | row number |',
  '| amount | in EUR |',
  '',
  '<script>window.__xss=1</script>',
  '',
  '<img src=x onerror="window.__xss=1">',
  '',
  '<div onclick="window.__xss=1"><b>raw html block</b></div>',
  '',
  '- [x] documented',
  '- [ ] reviewed',
  '',
  'Plain <span onmouseover="window.__xss=1">inline</span> end.',
].join('\n');
const HOSTILE_DESCRIPTION = 'Orders <b>bold</b> <script>window.__xss=1</script> <img src=x onerror="window.__xss=1">';
const HOSTILE_TAG = '<img src=x onerror=window.__xss=1>';
const CSV = 'id,amount,day\n1,12.5,2024-01-01\n2,,2024-01-02\n3,abc,2024-01-03\n4,7,\n';
// id: 4 valid; amount: 2 valid, 1 invalid, 1 empty; day: 3 valid, 1 empty
// -> validity 9/12 = 75 %, completeness 10/12 = 83 %

before(async () => {
  const cfgDir = fs.mkdtempSync(path.join((await import('node:os')).tmpdir(), 'dp-web-product-'));
  const config = path.join(cfgDir, 'config.json');
  fs.writeFileSync(config, JSON.stringify({ providerUrlTemplates: { snowflake: 'https://provider.example.com/open?table={technicalName}' } }));
  srv = await startServer({ args: ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0', '--config', config] });
  U.admin = { id: srv.admin.userId, key: srv.key, name: (await ok('GET', '/api/v1/users/me')).body.name };
  const dataDir = path.join(srv.dir, 'data', srv.admin.tenantId);
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'x.csv'), CSV);

  U.steward = await mkUser('Sam Steward', ['DataProductCreator']);
  U.consumer = await mkUser('Cora Consumer', ['DataProductConsumer']);
  U.outsider = await mkUser('Olaf Outsider', ['DataProductCreator']);

  S.shared = await mkSpace('shared', 'Sales shared');
  S.managed = await mkSpace('managed', 'Sales managed');
  S.other = await mkSpace('shared', 'Finance shared');
  await assign(S.shared, U.consumer, ['consumer']);
  await assign(S.managed, U.consumer, ['consumer']);

  D.orders = (await ok('POST', '/api/v1/data-sets', {
    name: 'Orders table', technicalName: 'orders_csv', description: 'One row per <i>order</i>.',
    operational: { location: 'x.csv' },
    dataAssetInfo: { id: 'asset-1', dataStoreInfo: { id: 'store-1', type: 'snowflake' } },
    schema: {
      dataFields: [
        { name: 'id', dataType: { type: 'INTEGER' }, description: 'Row number' },
        { name: 'amount', dataType: { type: 'DECIMAL' }, description: 'Amount in <b>EUR</b>' },
        { name: 'day', dataType: { type: 'DATE' } },
      ],
    },
  })).body;
  D.customers = (await ok('POST', '/api/v1/data-sets', {
    name: 'Customers table', technicalName: 'customers', description: 'Who ordered.',
    schema: { dataFields: [{ name: 'customer_id', dataType: { type: 'STRING' }, description: 'Customer key' }] },
  })).body;

  P.main = await mkProduct({
    name: 'Orders <i>2024</i>',
    spaceId: S.shared.id,
    description: HOSTILE_DESCRIPTION,
    tags: ['sales', HOSTILE_TAG],
    readMe: HOSTILE_README,
    datasetIds: [D.orders.id, D.customers.id],
    keyContacts: [{ userId: U.admin.id, role: 'owner' }, { userId: U.steward.id, role: 'data steward' }],
  });
  await patch(P.main.id, [{ op: 'replace', path: '/name', value: 'Orders <i>2025</i>' }]);
  await computeAndWait(P.main.id);
  // trust scores are stored for both data sets
  await ok('POST', '/api/data-governance/trust-scores/results/data-sets/actions/filter', { datasetIds: [D.orders.id, D.customers.id] });
});

after(async () => {
  await b?.close();
  await srv?.stop();
});

before(async () => { b = await openBrowser(); });

/** A signed-in page at /products/{id}, loaded (h1 visible). */
async function open(id, who = U.admin, opts = {}) {
  const page = await b.page(opts);
  await signIn(page, srv, who.key, `/products/${id}`);
  // the sign-in page's own h1 stays until the product page replaces it
  await page.waitForFunction(() => { const t = document.querySelector('main h1')?.textContent; return t && t !== 'Sign in'; });
  return page;
}

async function shot(page, name) {
  if (!SHOTS) return;
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `product-${name}.png`), fullPage: true });
  // and in screen-sized pieces, to look at in detail
  const { width, height } = await page.evaluate(() => ({ width: document.documentElement.clientWidth, height: document.documentElement.scrollHeight }));
  const step = width < 600 ? 800 : 1000;
  for (let y = 0, i = 0; y < height; y += step, i++) {
    await page.screenshot({ path: path.join(ARTIFACTS, `product-${name}-part${i}.png`), fullPage: true, clip: { x: 0, y, width, height: Math.min(step, height - y) } });
  }
}

async function noSidewaysScroll(page, where) {
  const { sw, cw } = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth }));
  assert.ok(sw <= cw, `${where}: page scrolls sideways (${sw} > ${cw})`);
}

test('every section shows its content', withShots(() => b, 'product-sections', async () => {
  const page = await open(P.main.id);
  const main = page.getByRole('main');
  await assert.doesNotReject(page.getByRole('heading', { level: 1, name: 'Orders <i>2025</i>' }).waitFor());
  assert.equal(await page.title(), 'Orders <i>2025</i> · Data products');
  await main.getByText('Status: Draft', { exact: true }).waitFor();
  await main.getByText('Sales shared').first().waitFor();
  await main.getByText(U.admin.name).first().waitFor();
  const tags = page.getByRole('list', { name: 'Tags' });
  assert.deepEqual(await tags.getByRole('listitem').allTextContents(), ['sales', HOSTILE_TAG]);
  await main.getByText(HOSTILE_DESCRIPTION).first().waitFor();

  // readMe: headings shifted under the section's h2, table, link, task list
  const readme = page.getByRole('region', { name: 'ReadMe', exact: true });
  await readme.getByRole('heading', { level: 3, name: 'Orders handbook' }).waitFor();
  await readme.getByRole('heading', { level: 4, name: 'Columns' }).waitFor();
  const table = readme.getByRole('table');
  assert.deepEqual(await table.getByRole('columnheader').allTextContents(), ['Column', 'Meaning']);
  await table.getByRole('cell', { name: 'in EUR' }).waitFor();
  assert.equal(await readme.getByRole('link', { name: 'the wiki' }).getAttribute('href'), 'https://wiki.example.com/orders');
  await readme.getByText('(done)').waitFor({ state: 'attached' });

  // key contacts with names and roles
  const contacts = page.getByRole('region', { name: 'Key contacts' });
  assert.deepEqual(await contacts.getByRole('listitem').allTextContents(),
    [`${U.admin.name} — owner`, 'Sam Steward — data steward']);

  // data sets: name, description, technical name, fields, quality, trust
  const sets = page.getByRole('region', { name: 'Data sets (2)' });
  const orders = sets.getByRole('article', { name: 'Orders table' });
  await orders.getByText('One row per <i>order</i>.').waitFor();
  await orders.getByText('orders_csv').waitFor();
  const fields = orders.getByRole('table', { name: 'Fields of Orders table' });
  assert.deepEqual(await fields.getByRole('rowheader').allTextContents(), ['id', 'amount', 'day']);
  await fields.getByRole('cell', { name: 'Amount in <b>EUR</b>' }).waitFor();
  await fields.getByRole('cell', { name: 'DECIMAL' }).waitFor();
  await orders.getByText('Validity 75 %, completeness 83 %').waitFor();
  const trust = (await ok('POST', '/api/data-governance/trust-scores/results/data-sets/actions/filter', { datasetIds: [D.orders.id] })).body.data[0];
  await orders.getByText(`${Math.round(trust.score)} out of 100`).waitFor();
  const customers = sets.getByRole('article', { name: 'Customers table' });
  await customers.getByText('Not computed yet.').first().waitFor();
  await customers.getByText('The latest computation failed: the data set has no location (DQ-140).').waitFor();

  // trust score of the product
  const p = (await ok('GET', `${DP}/${P.main.id}`)).body;
  const tr = page.getByRole('region', { name: 'Trust score' });
  await tr.getByText(`${Math.round(p.trustScore.score)} out of 100`).waitFor();
  await tr.getByText('Validity', { exact: true }).first().waitFor({ state: 'attached' });

  // export and changelog are there
  await page.getByRole('link', { name: 'Download as Markdown' }).waitFor();
  await page.getByRole('link', { name: 'Download as HTML' }).waitFor();
  await page.getByRole('region', { name: 'Changelog' }).getByRole('listitem').first().waitFor();

  // an admin may do everything; a draft offers Activate, not Deactivate
  const actions = page.getByRole('group', { name: 'Product actions' });
  assert.equal(await actions.getByRole('link', { name: 'Edit' }).getAttribute('href'), `/products/${P.main.id}/edit`);
  for (const name of ['Activate', 'Move', 'Compute quality', 'Delete']) await actions.getByRole('button', { name }).waitFor();
  assert.equal(await actions.getByRole('button', { name: 'Deactivate' }).count(), 0);

  await expectNoAxeViolations(page, 'product page');
  expectNoProblems(page);
  await shot(page, '1280');
}));

test('user text is inert: scripts, handlers, javascript: links and raw HTML never run', withShots(() => b, 'product-xss', async () => {
  const page = await open(P.main.id);
  await page.getByRole('region', { name: 'ReadMe', exact: true }).getByRole('heading', { level: 3 }).waitFor();
  // give any image error handler a chance to fire
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  // the literal text is visible where a user typed it as text
  await page.getByRole('paragraph').filter({ hasText: HOSTILE_DESCRIPTION }).first().waitFor();
  await page.getByRole('list', { name: 'Tags' }).getByText(HOSTILE_TAG, { exact: true }).waitFor();
  await page.getByRole('article', { name: 'Orders table' }).getByText('Amount in <b>EUR</b>').waitFor();
  // nothing executable came out of the readMe
  const readme = page.getByRole('region', { name: 'ReadMe', exact: true });
  const found = await readme.evaluate((el) => ({
    scripts: el.querySelectorAll('script, iframe, object, embed, img, style').length,
    handlers: [...el.querySelectorAll('*')].filter((n) => [...n.attributes].some((a) => /^on/i.test(a.name) || a.name === 'style')).length,
    hrefs: [...el.querySelectorAll('a')].map((a) => a.getAttribute('href')),
    text: el.textContent,
  }));
  assert.deepEqual(found.scripts, 0);
  assert.deepEqual(found.handlers, 0);
  assert.deepEqual(found.hrefs, ['https://wiki.example.com/orders'], 'the javascript: link is not a link');
  assert.match(found.text, /and x\./, 'the javascript: link keeps its text');
  assert.doesNotMatch(found.text, /raw html block/, 'raw HTML blocks are omitted by the server');
  assert.equal(await page.evaluate(() => document.querySelectorAll('main script, main img').length), 0);
  expectNoProblems(page);
  await page.close();
}));

test('the side cards look alike: the marketplace\'s trust badge style stays on its cards', withShots(() => b, 'product-card-style', async () => {
  // market.css once styled every ".trust" (a badge: currentColor border, no
  // padding), and the product page's "card trust" section lost its card look
  const page = await open(P.main.id);
  const style = (name) => page.getByRole('region', { name, exact: true }).evaluate((el) => {
    const c = getComputedStyle(el);
    return { padding: c.padding, border: c.border, radius: c.borderRadius };
  });
  await page.getByRole('region', { name: 'Trust score', exact: true }).waitFor();
  assert.deepEqual(await style('Trust score'), await style('Key contacts'));
  expectNoProblems(page);
  await page.close();
}));

test('the trust chart has an accessible name with every value', withShots(() => b, 'product-chart', async () => {
  const page = await open(P.main.id);
  const p = (await ok('GET', `${DP}/${P.main.id}`)).body;
  const chart = page.getByRole('region', { name: 'Trust score' }).getByRole('img', { name: /^Trust score by axis/ });
  const label = await chart.getAttribute('aria-label');
  const dims = new Map(p.trustScore.dimensions.map((d) => [d.id, d]));
  for (const [id, name] of [['VALIDITY', 'Validity'], ['COMPLETENESS', 'Completeness'], ['DISCOVERABILITY', 'Discoverability'],
    ['TIMELINESS', 'Timeliness'], ['DIVERSITY', 'Diversity'], ['USAGE', 'Usage']]) {
    const d = dims.get(id);
    const expected = typeof d?.score === 'number' ? `${name} ${Math.round(d.score)} of 100` : `${name} not applicable`;
    assert.ok(label.includes(expected), `${expected} in ${label}`);
  }
  // the same numbers as a table
  const table = page.getByRole('table', { name: 'Trust score by axis (out of 100)' });
  assert.equal(await table.getByRole('row').count(), 7);
  const v = dims.get('VALIDITY');
  assert.equal(await table.getByRole('row', { name: /^Validity/ }).getByRole('cell').textContent(), `${Math.round(v.score)} of 100`);
  // per data set, in a disclosure
  const orders = page.getByRole('article', { name: 'Orders table' });
  await orders.getByText('Trust score by axis').click();
  await orders.getByRole('img', { name: /^Trust score of Orders table by axis, out of 100: Validity 75 of 100/ }).waitFor();
  await expectNoAxeViolations(page, 'product page, data set axes open');
}));

test('the changelog is a timeline, newest first, with older pages on demand', withShots(() => b, 'product-changelog', async () => {
  const q = await mkProduct({ name: 'Busy product', spaceId: S.shared.id, tags: ['a'] });
  for (let i = 1; i <= 22; i++) await patch(q.id, [{ op: 'replace', path: '/description', value: `version ${i}` }]);
  await patch(q.id, [{ op: 'replace', path: '/tags', value: ['a', 'b'] }]);
  await patch(q.id, [{ op: 'replace', path: '/name', value: 'Busy product renamed' }]);
  const page = await open(q.id);
  const log = page.getByRole('list', { name: 'Changelog' });
  const entries = log.locator('xpath=./li');
  assert.equal(await entries.count(), 20);
  const first = entries.first();
  // the previous name is on the next page: until it is loaded, only the new one is said
  await first.getByText('Changed name to “Busy product renamed”').waitFor();
  await first.getByText(`by ${U.admin.name}`).waitFor();
  await entries.nth(1).getByText('Changed tags to a, b').waitFor();
  await entries.nth(2).getByText('Changed description from “version 21” to “version 22”').waitFor();
  await page.getByRole('button', { name: 'Show older changes' }).click();
  await page.waitForFunction(() => document.querySelectorAll('ol.timeline > li').length === 25);
  await first.getByText('Changed name from “Busy product” to “Busy product renamed”').waitFor();
  await entries.nth(1).getByText('Added tags: b').waitFor();
  const oldest = entries.last();
  await oldest.getByText('Set name to “Busy product”').waitFor();
  await oldest.getByText('Added tags: a').waitFor();
  await oldest.getByText('Created in Sales shared').waitFor();
  // the first older entry has focus; the button is gone (no more pages)
  assert.equal(await entries.nth(20).evaluate((el) => el === document.activeElement), true);
  assert.equal(await page.getByRole('button', { name: 'Show older changes' }).count(), 0);
  await expectNoAxeViolations(page, 'changelog, all pages');
  expectNoProblems(page);
  await page.close();
}));

test('export links download Markdown and HTML', withShots(() => b, 'product-export', async () => {
  const page = await open(P.main.id);
  for (const [name, ext, type] of [['Download as Markdown', '.md', 'text/markdown'], ['Download as HTML', '.html', 'text/html']]) {
    const link = page.getByRole('link', { name });
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    assert.ok(download.suggestedFilename().endsWith(ext), download.suggestedFilename());
    const body = fs.readFileSync(await download.path(), 'utf8');
    assert.ok(body.includes('Orders'), `${name}: the document`);
    const href = await link.getAttribute('href');
    const headers = await page.evaluate(async (u) => {
      const r = await fetch(u);
      return { status: r.status, type: r.headers.get('content-type'), disposition: r.headers.get('content-disposition') };
    }, href);
    assert.equal(headers.status, 200);
    assert.ok(headers.type.startsWith(type), headers.type);
    assert.match(headers.disposition, new RegExp(`^attachment; filename=".+\\${ext}"$`));
  }
  assert.ok(page.url().endsWith(`/products/${P.main.id}`), 'still on the product page');
  expectNoProblems(page);
  await page.close();
}));

test('provider links: open the provider, or say none is configured', withShots(() => b, 'product-provider', async () => {
  const page = await open(P.main.id);
  const orders = page.getByRole('article', { name: 'Orders table' });
  // opened with noopener: a page of the context, not a popup of this page
  const [popup] = await Promise.all([
    page.context().waitForEvent('page'),
    orders.getByRole('button', { name: 'Open in provider: Orders table' }).click(),
  ]);
  const link = orders.getByRole('link', { name: 'Provider link for Orders table' });
  assert.equal(await link.getAttribute('href'), 'https://provider.example.com/open?table=orders_csv');
  assert.equal(await popup.evaluate(() => window.opener), null, 'opened without an opener');
  await popup.close();
  const customers = page.getByRole('article', { name: 'Customers table' });
  await customers.getByRole('button', { name: 'Open in provider: Customers table' }).click();
  await customers.getByText('No provider link configured for this data set.').waitFor();
  assert.equal(await customers.getByRole('alert').count(), 0, 'not an error');
  expectNoProblems(page);
  await page.close();
}));

test('compute quality shows progress, then the result', withShots(() => b, 'product-compute', async () => {
  const ds = (await ok('POST', '/api/v1/data-sets', {
    name: 'Fresh set', technicalName: 'fresh', operational: { location: 'x.csv' },
    schema: { dataFields: [{ name: 'id', dataType: { type: 'INTEGER' } }, { name: 'amount', dataType: { type: 'DECIMAL' } }] },
  })).body;
  const q = await mkProduct({ name: 'Fresh product', spaceId: S.shared.id, datasetIds: [ds.id, D.customers.id] });
  const page = await open(q.id);
  const fresh = page.getByRole('article', { name: 'Fresh set' });
  await fresh.getByText('Not computed yet.').first().waitFor();
  // every text the status region shows, in order
  await page.evaluate(() => {
    window.__seen = [];
    const region = [...document.querySelectorAll('[role="status"]')].find((e) => e.classList.contains('progress'));
    new MutationObserver(() => { window.__seen.push(region.textContent); })
      .observe(region, { childList: true, subtree: true, characterData: true });
  });
  await page.getByRole('button', { name: 'Compute quality' }).click();
  const status = page.getByRole('status').filter({ hasText: 'Quality computed' });
  await status.waitFor({ timeout: 15000 });
  assert.equal(await status.textContent(),
    'Quality computed: 1 of 2 data sets succeeded. Failed: Customers table (the data set has no location).');
  const seen = await page.evaluate(() => window.__seen);
  assert.ok(seen.some((s) => /^(Starting the quality computation|Computing quality: \d of 2 data sets done)/.test(s)), seen.join(' | '));
  // the quality and trust score refreshed in place
  // id: 4 valid of 4; amount: 2 valid, 1 invalid, 1 empty -> validity 6/8, completeness 7/8
  await fresh.getByText('Validity 75 %, completeness 88 %').waitFor();
  await page.getByRole('region', { name: 'Trust score' }).getByRole('img', { name: /^Trust score by axis/ }).waitFor();
  await expectNoAxeViolations(page, 'after computing quality');
  await shot(page, 'computed');
  expectNoProblems(page);
  await page.close();
}));

test('activate with problems shows each next to what it concerns, with a link to the edit page', withShots(() => b, 'product-activate-409', async () => {
  const q = await mkProduct({ name: 'Not ready', spaceId: S.shared.id });
  const page = await open(q.id);
  await page.getByRole('button', { name: 'Activate' }).click();
  const dialog = page.getByRole('dialog', { name: 'Activate “Not ready”' });
  await dialog.waitFor();
  assert.equal(await dialog.getByLabel('Name').evaluate((el) => el === document.activeElement), true, 'focus moves into the dialog');
  await expectNoAxeViolations(page, 'activate dialog');
  await dialog.getByRole('button', { name: 'Activate' }).click();
  const item = dialog.getByRole('listitem').filter({ hasText: 'Key contacts:' });
  await item.getByText('the data product has no key contacts').waitFor();
  const link = item.getByRole('link', { name: 'Fix key contacts on the edit page' });
  assert.equal(await link.getAttribute('href'), `/products/${q.id}/edit#field-keyContacts`);
  const sets = dialog.getByRole('listitem').filter({ hasText: 'Data sets:' });
  await sets.getByText('the data product has no data sets (datasetIds is empty)').waitFor();
  assert.equal(await sets.getByRole('link', { name: 'Fix data sets on the edit page' }).getAttribute('href'),
    `/products/${q.id}/edit#field-datasetIds`);
  await dialog.getByText('The product cannot be activated yet (2 problems):').waitFor();
  await shot(page, 'activate-problems');
  // a name problem sits next to the name field
  await dialog.getByLabel('Name').fill('');
  await dialog.getByRole('button', { name: 'Activate' }).click();
  await dialog.getByText('Enter a name.').waitFor();
  assert.equal(await dialog.getByLabel('Name').getAttribute('aria-invalid'), 'true');
  assert.match(await dialog.getByLabel('Name').evaluate((el) => el.getAttribute('aria-describedby')), /-err$/);
  await expectNoAxeViolations(page, 'activate dialog with problems');
  // Escape closes it and focus returns to the button
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  assert.equal(await page.getByRole('button', { name: 'Activate' }).evaluate((el) => el === document.activeElement), true);
  expectNoProblems(page);
  await page.close();
}));

test('activate, then deactivate, by keyboard', withShots(() => b, 'product-activate', async () => {
  const q = await mkProduct({
    name: 'Ready product', spaceId: S.shared.id, datasetIds: [D.orders.id],
    keyContacts: [{ userId: U.admin.id, role: 'owner' }],
  });
  const page = await open(q.id);
  await page.getByRole('button', { name: 'Activate' }).focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Activate “Ready product”' });
  await dialog.getByLabel('Description').fill('Now public');
  await dialog.getByLabel('Tags').fill('gold, sales');
  const options = await dialog.getByLabel('Publish in').locator('option').allTextContents();
  assert.deepEqual(options, ['Where it is now (Sales shared)', 'Sales managed'], 'managed spaces with publish rights');
  await dialog.getByLabel('Publish in').selectOption({ label: 'Sales managed' });
  await dialog.getByRole('button', { name: 'Activate' }).click();
  await page.getByText('Activated “Ready product”.').waitFor();
  assert.equal(await page.getByText('Activated “Ready product”.').evaluate((el) => el === document.activeElement), true);
  const main = page.getByRole('main');
  await main.getByText('Activated', { exact: true }).first().waitFor();
  await main.getByText('Now public').first().waitFor();
  await page.getByRole('list', { name: 'Changelog' }).locator(':scope > li').first().getByText('Activated in Sales managed').waitFor();
  const p = (await ok('GET', `${DP}/${q.id}`)).body;
  assert.equal(p.activated, true);
  assert.equal(p.spaceId, S.managed.id);
  assert.deepEqual(p.tags, ['gold', 'sales']);
  // activated: no Delete, a hint instead; Deactivate is offered
  const actions = page.getByRole('group', { name: 'Product actions' });
  assert.equal(await actions.getByRole('button', { name: 'Delete' }).count(), 0);
  await actions.getByText('To delete this product, deactivate it first.').waitFor();
  await expectNoAxeViolations(page, 'activated product');

  await actions.getByRole('button', { name: 'Deactivate' }).click();
  const confirm = page.getByRole('dialog', { name: 'Deactivate “Ready product”?' });
  await expectNoAxeViolations(page, 'deactivate dialog');
  await confirm.getByRole('button', { name: 'Deactivate' }).click();
  await page.getByText('Deactivated “Ready product”.').waitFor();
  await main.getByText('Deactivated', { exact: true }).first().waitFor();
  assert.equal((await ok('GET', `${DP}/${q.id}`)).body.activated, false);
  await page.getByRole('list', { name: 'Changelog' }).locator(':scope > li').first().getByText('Deactivated').waitFor();
  expectNoProblems(page);
  await page.close();
}));

test('move to another space', withShots(() => b, 'product-move', async () => {
  const q = await mkProduct({ name: 'Mover', spaceId: S.shared.id });
  const page = await open(q.id);
  await page.getByRole('button', { name: 'Move' }).click();
  const dialog = page.getByRole('dialog', { name: 'Move “Mover”' });
  await dialog.getByText('It is now in Sales shared.').waitFor();
  await expectNoAxeViolations(page, 'move dialog');
  await dialog.getByLabel('Move to').selectOption({ label: 'Finance shared (shared)' });
  await dialog.getByRole('button', { name: 'Move' }).click();
  await page.getByText('Moved “Mover” to Finance shared.').waitFor();
  assert.equal((await ok('GET', `${DP}/${q.id}`)).body.spaceId, S.other.id);
  await page.getByRole('list', { name: 'Changelog' }).locator(':scope > li').first()
    .getByText('Moved from Sales shared to Finance shared').waitFor();
  expectNoProblems(page);
  await page.close();
}));

test('a change made meanwhile (412) reloads the product and says so', withShots(() => b, 'product-412', async () => {
  const q = await mkProduct({ name: 'Contended', spaceId: S.shared.id });
  const page = await open(q.id);
  await patch(q.id, [{ op: 'replace', path: '/name', value: 'Contended, renamed elsewhere' }]);
  await page.getByRole('button', { name: 'Move' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Move to').selectOption({ label: 'Finance shared (shared)' });
  await dialog.getByRole('button', { name: 'Move' }).click();
  await page.getByText('Someone else changed this product while you were looking at it', { exact: false }).waitFor();
  await page.getByRole('heading', { level: 1, name: 'Contended, renamed elsewhere' }).waitFor();
  assert.equal((await ok('GET', `${DP}/${q.id}`)).body.spaceId, S.shared.id, 'nothing moved');
  expectNoProblems(page);
  await page.close();
}));

test('delete asks for confirmation naming the product, then lands on /my', withShots(() => b, 'product-delete', async () => {
  const q = await mkProduct({ name: 'Doomed', spaceId: S.shared.id });
  const page = await open(q.id);
  await page.getByRole('button', { name: 'Delete' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete “Doomed”?' });
  await dialog.waitFor();
  await expectNoAxeViolations(page, 'delete dialog');
  // Cancel keeps it
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'detached' });
  assert.equal((await srv.api('GET', `${DP}/${q.id}`)).status, 200);
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog', { name: 'Delete “Doomed”?' }).getByRole('button', { name: 'Delete' }).click();
  await page.waitForURL((u) => u.pathname === '/my');
  assert.equal((await srv.api('GET', `${DP}/${q.id}`)).status, 404);
  expectNoProblems(page);
  await page.close();
}));

test('a consumer sees an activated product without any action', withShots(() => b, 'product-consumer', async () => {
  const q = await mkProduct({
    name: 'Public orders', spaceId: S.shared.id, datasetIds: [D.orders.id],
    keyContacts: [{ userId: U.steward.id, role: 'steward' }],
  });
  await ok('POST', `${DP}/${q.id}/actions/activate`, { name: 'Public orders', spaceId: S.managed.id }, undefined, 201);
  const page = await open(q.id, U.consumer);
  await page.getByRole('heading', { level: 1, name: 'Public orders' }).waitFor();
  await page.getByRole('region', { name: 'Key contacts' }).getByText('Sam Steward').waitFor();
  assert.equal(await page.getByRole('group', { name: 'Product actions' }).count(), 0);
  for (const name of ['Activate', 'Deactivate', 'Move', 'Compute quality', 'Delete']) {
    assert.equal(await page.getByRole('button', { name, exact: true }).count(), 0, name);
  }
  assert.equal(await page.getByRole('link', { name: 'Edit', exact: true }).count(), 0);
  await page.getByRole('link', { name: 'Download as Markdown' }).waitFor();
  await expectNoAxeViolations(page, 'consumer view');
  expectNoProblems(page);
  await page.close();
}));

test('a user without rights gets "Product not found" for a draft', withShots(() => b, 'product-not-found', async () => {
  const page = await open(P.main.id, U.outsider);
  await page.getByRole('heading', { level: 1, name: 'Product not found' }).waitFor();
  assert.equal(await page.getByText('Orders').count(), 0, 'nothing of the product shows');
  await expectNoAxeViolations(page, 'not found');
  expectNoProblems(page);
  // and a malformed id is not found either, without a stack trace
  await page.goto(`${srv.url}/products/not-a-guid`);
  await page.getByRole('heading', { level: 1, name: 'Product not found' }).waitFor();
  expectNoProblems(page);
  await page.close();
}));

test('360 px wide: one column, no sideways scrolling, dialogs fit', withShots(() => b, 'product-360', async () => {
  const page = await open(P.main.id, U.admin, { viewport: { width: 360, height: 800 } });
  await page.getByRole('region', { name: 'ReadMe', exact: true }).getByRole('table').waitFor();
  await noSidewaysScroll(page, 'product page');
  await expectNoAxeViolations(page, 'product page at 360 px');
  await shot(page, '360');
  await page.getByRole('button', { name: 'Activate' }).click();
  await page.getByRole('dialog').waitFor();
  await noSidewaysScroll(page, 'activate dialog');
  const box = await page.getByRole('dialog').boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= 360, `dialog fits: ${JSON.stringify(box)}`);
  await shot(page, '360-dialog');
  expectNoProblems(page);
  await page.close();
}));

test('page weight of a first visit (brotli, as transferred)', withShots(() => b, 'product-weight', async (t) => {
  const page = await b.page();
  await signIn(page, srv, U.admin.key, '/');
  // a fresh context already has the app cached from sign-in; measure a new one
  const fresh = await b.page();
  const ctx = fresh.context();
  await ctx.addCookies((await page.context().cookies()));
  const cdp = await ctx.newCDPSession(fresh);
  await cdp.send('Network.enable');
  const sizes = new Map();
  const urls = new Map();
  cdp.on('Network.responseReceived', (e) => urls.set(e.requestId, `${e.response.url} ${e.response.headers['content-encoding'] || e.response.headers['Content-Encoding'] || ''}`));
  cdp.on('Network.loadingFinished', (e) => sizes.set(e.requestId, e.encodedDataLength));
  await fresh.goto(`${srv.url}/products/${P.main.id}`);
  await fresh.getByRole('region', { name: 'Changelog' }).getByRole('listitem').first().waitFor();
  await fresh.waitForLoadState('networkidle');
  let assets = 0;
  let total = 0;
  for (const [id, n] of sizes) {
    total += n;
    if (/\/assets\//.test(urls.get(id) || '')) assets += n;
  }
  t.diagnostic(`first load of /products/{id}: ${sizes.size} responses, ${total} bytes transferred (static assets ${assets} bytes)`);
  assert.ok(assets < 60000, `assets ${assets} bytes`);
  await fresh.close();
  await page.close();
}));
