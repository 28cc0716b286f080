// marketplace.test.mjs: the marketplace at `/` (SPEC §6) in Chromium —
// search, facets with counts, sorts, paging with the URL as the state (back
// button, shared links), what a consumer may see, user text shown as text,
// axe on every state, 360 px wide, keyboard only, and the first-load weight.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer } from '../api/lib/server.mjs';
import { DP, computeQuality as computeQualityOf } from '../api/lib/fixtures.mjs';
import { openBrowser, withShots, signIn, expectNoAxeViolations, expectNoProblems, ARTIFACTS } from './lib/browser.mjs';

let srv;
let b;
const SP = {};
const DS = {};
const XSS = {
  name: '<script>window.__xss=1</script> Evil',
  description: 'Curated <img src=x onerror=window.__xss=1> and a javascript:window.__xss=1 link',
  tags: ['<b onmouseover=window.__xss=1>bold</b>', 'javascript:window.__xss=1'],
};
let consumerKey;

before(async () => {
  srv = await startServer({ args: ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0'] });
  b = await openBrowser();
});
after(async () => {
  await b?.close();
  await srv?.stop();
});

async function post(p, body) {
  const res = await srv.api('POST', p, { body });
  assert.ok(res.status === 201 || res.status === 202 || res.status === 204, `${p}: ${res.status} ${res.text}`);
  return res.body;
}

const computeQuality = (datasetId) => computeQualityOf(srv, datasetId);

// 25 activated products in three spaces, three of them with trust scores
// (good > mid > bad data), plus drafts and a deactivated product that the
// marketplace must never show.
const CORPUS = {
  Finance: ['Ledger entries', 'Invoices', 'Payments', 'Budget plan', 'Cash flow', 'Revenue orders', 'Tax filings',
    'Expense claims', 'Payroll', 'Assets register'],
  Sales: ['Orders north', 'Orders south', 'Customer accounts', 'Leads', 'Quotes', 'Sales targets', 'Pipeline', 'Returns orders'],
  Operations: ['Shipments', 'Warehouse stock', 'Suppliers', 'Fleet', 'Maintenance log', 'Orders backlog'],
};
const GOLD = ['Ledger entries', 'Invoices', 'Orders north', 'Shipments'];
const TRUST = { 'Ledger entries': 'good', 'Orders north': 'mid', Shipments: 'bad' };
const SECRET = ['Draft secret finance', 'Draft secret sales', 'Retired secret'];

let seeding;
function seeded() {
  seeding ||= (async () => {
    const dir = path.join(srv.dir, 'data', srv.admin.tenantId);
    fs.mkdirSync(dir, { recursive: true });
    const fields = [{ name: 'x', dataType: { type: 'INTEGER' } }, { name: 'y', dataType: { type: 'STRING' }, description: 'y' }];
    const files = { good: 'x,y\n1,a\n2,b\n3,c\n4,d\n', mid: 'x,y\n1,a\nz,\n3,c\n', bad: 'x,y\nq,\nz,\n,\n' };
    for (const [k, csv] of Object.entries(files)) {
      fs.writeFileSync(path.join(dir, `${k}.csv`), csv);
      DS[k] = await post('/api/v1/data-sets', { name: `mk-${k}`, technicalName: `mk_${k}`, operational: { location: `${k}.csv` }, schema: { dataFields: fields } });
      await computeQuality(DS[k].id);
    }
    DS.none = await post('/api/v1/data-sets', { name: 'mk-none', technicalName: 'mk_none' });
    for (const name of Object.keys(CORPUS)) SP[name] = await post('/api/v1/spaces', { name, type: 'shared' });
    const make = async (fields, activate) => {
      const p = await post(DP, { keyContacts: [{ userId: srv.admin.userId, role: 'owner' }], datasetIds: [DS.none.id], ...fields });
      if (activate) await post(`${DP}/${p.id}/actions/activate`, { name: p.name, description: p.description, tags: p.tags });
      return p;
    };
    for (const [space, names] of Object.entries(CORPUS)) {
      for (const name of names) {
        const tags = [space.toLowerCase()];
        if (/orders/i.test(name)) tags.push('orders');
        if (GOLD.includes(name)) tags.push('gold');
        await make({
          name, spaceId: SP[space].id, tags, description: `Curated ${space.toLowerCase()} data: ${name.toLowerCase()}. ${'Lorem ipsum dolor sit amet. '.repeat(12)}`,
          ...(TRUST[name] ? { datasetIds: [DS[TRUST[name]].id] } : {}),
        }, true);
      }
    }
    await make({ ...XSS, spaceId: SP.Operations.id }, true);
    await make({ name: SECRET[0], spaceId: SP.Finance.id, tags: ['finance', 'secret'], description: 'Curated but a draft' }, false);
    await make({ name: SECRET[1], spaceId: SP.Sales.id, tags: ['sales', 'secret'], description: 'Curated but a draft' }, false);
    const retired = await make({ name: SECRET[2], spaceId: SP.Finance.id, tags: ['finance', 'secret'], description: 'Curated, retired' }, true);
    await post(`${DP}/${retired.id}/actions/deactivate`);

    // a consumer with the consumer role in Finance only
    const u = await post('/api/v1/users', { subject: 'mk|consumer', email: 'mk-consumer@example.com', name: 'Casey Consumer',
      assignedRoles: [{ name: 'DataProductConsumer' }] });
    consumerKey = (await post('/api/v1/api-keys', { description: 'mk', sub: u.id })).token;
    await post(`/api/v1/spaces/${SP.Finance.id}/assignments`, { assigneeId: u.id, type: 'user', roles: ['consumer'] });
  })();
  return seeding;
}

const results = (page) => page.getByRole('region', { name: 'Results' });
const cardNames = (page) => results(page).getByRole('heading', { level: 3 }).allTextContents();
// Inside <main> only: the live region (#announcer, outside main) keeps the
// last announced count, which would match at once and race the new results.
const waitText = (page, text) => page.getByRole('main').getByText(text, { exact: true }).first().waitFor();
const search = (page) => page.getByRole('search');

async function adminPage(url = '/', opts) {
  const page = await b.page(opts);
  await signIn(page, srv, srv.key, url);
  await page.getByRole('heading', { level: 1, name: 'Marketplace' }).waitFor();
  return page;
}

async function shot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `market-${name}.png`) });
  await page.screenshot({ path: path.join(ARTIFACTS, `market-${name}-full.png`), fullPage: true });
}

test('an empty marketplace says so, without axe violations', withShots(() => b, 'market-empty', async () => {
  const page = await adminPage();
  await waitText(page, 'No products yet');
  assert.equal(await page.title(), 'Marketplace · Data products');
  await assert.doesNotReject(search(page).getByLabel('Search products').waitFor());
  await assert.doesNotReject(page.getByRole('link', { name: 'Go to My products' }).waitFor());
  await expectNoAxeViolations(page, 'empty marketplace');
  await shot(page, 'empty-1280');
  expectNoProblems(page);
}));

test('results: cards with name link, excerpt, tags, space, trust and quality; only activated products', withShots(() => b, 'market-results', async () => {
  await seeded();
  const page = await adminPage();
  await waitText(page, '1–20 of 25 products');
  const names = await cardNames(page);
  assert.equal(names.length, 20);
  for (const s of SECRET) assert.equal(await page.getByText(s).count(), 0, `${s} is not in the marketplace`);
  // the card of a product with a trust score
  const card = results(page).getByRole('article', { name: 'Orders north' });
  await assert.doesNotReject(card.getByRole('link', { name: 'Orders north' }).waitFor());
  assert.match(await card.getByRole('link').getAttribute('href'), /^\/products\/[0-9a-f-]{36}$/);
  const text = await card.textContent();
  assert.match(text, /Curated sales data: orders north\./);
  assert.ok(text.includes('…'), 'the description is cut to an excerpt');
  assert.ok(!text.includes('Lorem ipsum dolor sit amet. '.repeat(8)), 'the excerpt is short');
  assert.match(text, /Space:?\s*Sales/);
  assert.match(text, /Trust score:?\s*\d{1,3} \/ 100/);
  assert.match(text, /Quality:?\s*Validity \d+ %, completeness \d+ %/);
  await assert.doesNotReject(card.getByRole('list', { name: 'Tags' }).getByText('gold', { exact: true }).waitFor());
  // a product without measurements says so in words
  const plain = results(page).getByRole('article', { name: 'Revenue orders' });
  assert.match(await plain.textContent(), /Trust score:?\s*Not measured/);
  await expectNoAxeViolations(page, 'marketplace with results');
  await shot(page, 'results-1280');
  expectNoProblems(page);
}));

test('search narrows the results; sort relevance appears with a query', withShots(() => b, 'market-search', async () => {
  await seeded();
  const page = await adminPage();
  await waitText(page, '1–20 of 25 products');
  const sort = page.getByLabel('Sort by');
  assert.equal(await sort.inputValue(), 'updated');
  assert.equal(await sort.locator('option', { hasText: 'Relevance' }).count(), 0, 'no relevance without a query');
  await search(page).getByLabel('Search products').fill('orders');
  await search(page).getByRole('button', { name: 'Search' }).click();
  await waitText(page, '5 products');
  assert.deepEqual((await cardNames(page)).sort(), ['Orders backlog', 'Orders north', 'Orders south', 'Returns orders', 'Revenue orders']);
  assert.equal(new URL(page.url()).search, '?q=orders');
  assert.equal(await sort.inputValue(), 'relevance');
  assert.equal(await page.title(), '\u201corders\u201d · Marketplace · Data products');
  // relevance (issue 10, docs/search.md): all five match in the name, the first tier; inside
  // it the order is trust score then updatedAt, which tests/api/search.test.mjs pins down
  assert.ok((await cardNames(page)).every((n) => /\borders\b/i.test(n)));
  // no matches: suggestions, axe clean
  await search(page).getByLabel('Search products').fill('zebra unicorn');
  await search(page).getByRole('button', { name: 'Search' }).click();
  await waitText(page, 'No products match \u201czebra unicorn\u201d');
  await assert.doesNotReject(results(page).getByRole('link', { name: 'Show all products' }).waitFor());
  await expectNoAxeViolations(page, 'no matches');
  await shot(page, 'no-matches-1280');
  await results(page).getByRole('link', { name: 'Show all products' }).click();
  await waitText(page, '1–20 of 25 products');
  assert.equal(await search(page).getByLabel('Search products').inputValue(), '');
  expectNoProblems(page);
}));

test('tag and space facets filter and show counts; clear all', withShots(() => b, 'market-facets', async () => {
  await seeded();
  const page = await adminPage();
  await waitText(page, '1–20 of 25 products');
  const tags = page.getByRole('group', { name: 'Tags' });
  const spaces = page.getByRole('group', { name: 'Spaces' });
  await assert.doesNotReject(tags.getByLabel('gold (4)', { exact: true }).waitFor());
  await assert.doesNotReject(tags.getByLabel('finance (10)', { exact: true }).waitFor());
  await assert.doesNotReject(spaces.getByLabel('Finance (10)', { exact: true }).waitFor());
  await assert.doesNotReject(spaces.getByLabel('Sales (8)', { exact: true }).waitFor());
  await assert.doesNotReject(spaces.getByLabel('Operations (7)', { exact: true }).waitFor());
  assert.equal(await tags.getByLabel(/^secret/).count(), 0, 'drafts are not counted');

  await tags.getByLabel('gold (4)', { exact: true }).check();
  await waitText(page, '4 products');
  assert.deepEqual((await cardNames(page)).sort(), [...GOLD].sort());
  assert.equal(new URL(page.url()).search, '?tag=gold');
  // the space counts now count gold products
  await assert.doesNotReject(spaces.getByLabel('Finance (2)', { exact: true }).waitFor());
  // focus stays on the checkbox the user toggled
  assert.equal(await page.evaluate(() => document.activeElement?.closest('label, li')?.textContent), 'gold (4)');

  await spaces.getByLabel('Sales (1)', { exact: true }).check();
  await waitText(page, '1 product');
  assert.deepEqual(await cardNames(page), ['Orders north']);
  assert.equal(new URL(page.url()).searchParams.getAll('space').length, 1);
  // spaces are "any of": the other spaces keep their counts and can be added
  await spaces.getByLabel('Finance (2)', { exact: true }).check();
  await waitText(page, '3 products');
  assert.deepEqual((await cardNames(page)).sort(), ['Invoices', 'Ledger entries', 'Orders north']);
  // tags are "all of"
  await tags.getByLabel(/^finance \(/).check();
  await waitText(page, '2 products');
  assert.match(page.url(), /tag=gold&tag=finance/);
  await expectNoAxeViolations(page, 'facets selected');
  await shot(page, 'facets-1280');

  await page.getByRole('link', { name: 'Clear all filters' }).first().click();
  await waitText(page, '1–20 of 25 products');
  assert.equal(new URL(page.url()).search, '');
  assert.equal(await tags.getByRole('checkbox', { checked: true }).count(), 0);
  expectNoProblems(page);
}));

test('sort by name and by trust score (unmeasured products last)', withShots(() => b, 'market-sort', async () => {
  await seeded();
  const page = await adminPage();
  await waitText(page, '1–20 of 25 products');
  await page.getByLabel('Sort by').focus();
  await page.getByLabel('Sort by').selectOption({ label: 'Name' });
  await page.waitForURL((u) => u.search === '?sort=name');
  const api = await srv.api('GET', `${DP}?activated=true&sort=name&limit=20`);
  await page.waitForFunction((first) => document.querySelector('main h3')?.textContent === first, api.body.data[0].name);
  assert.deepEqual(await cardNames(page), api.body.data.map((p) => p.name));
  const byName = (await cardNames(page)).filter((n) => /^[A-Z]/.test(n));
  assert.deepEqual(byName, [...byName].sort(), 'alphabetical');
  assert.equal(await page.getByLabel('Sort by').evaluate((el) => el === document.activeElement), true, 'focus stays on the select');

  await page.getByLabel('Sort by').selectOption({ label: 'Trust score' });
  await page.waitForURL((u) => u.search === '?sort=trust');
  await page.waitForFunction(() => document.querySelector('main h3')?.textContent === 'Ledger entries');
  assert.deepEqual((await cardNames(page)).slice(0, 3), ['Ledger entries', 'Orders north', 'Shipments']);
  const fourth = results(page).getByRole('article').nth(3);
  assert.match(await fourth.textContent(), /Trust score:?\s*Not measured/);
  expectNoProblems(page);
}));

test('paging: page 2, then back restores page 1 and the search; forward again', withShots(() => b, 'market-paging', async () => {
  await seeded();
  const page = await adminPage();
  await waitText(page, '1–20 of 25 products');
  await search(page).getByLabel('Search products').fill('curated');
  await search(page).getByLabel('Search products').press('Enter');
  await page.waitForURL((u) => u.search === '?q=curated');
  // "1–20 of 25" is also what the list said before the search: wait for the
  // search's own answer (relevance order) before reading the cards.
  const apiPage = async (n) => (await srv.api('GET', `${DP}?activated=true&query=curated&sort=relevance&limit=20&page=${n}`)).body.data.map((p) => p.name);
  const want1 = await apiPage(1);
  for (let i = 0; i < 100 && JSON.stringify(await cardNames(page)) !== JSON.stringify(want1); i++) await page.waitForTimeout(50);
  await waitText(page, '1–20 of 25 products');
  const first = await cardNames(page);
  assert.deepEqual(first, want1);
  const nav = page.getByRole('navigation', { name: 'Pagination' });
  assert.equal(await nav.getByRole('link', { name: 'Page 1' }).getAttribute('aria-current'), 'page');
  await nav.getByRole('link', { name: 'Next' }).click();
  await waitText(page, '21–25 of 25 products');
  assert.equal(new URL(page.url()).search, '?q=curated&page=2');
  assert.equal(await nav.getByRole('link', { name: 'Page 2' }).getAttribute('aria-current'), 'page');
  const second = await cardNames(page);
  assert.deepEqual(second, await apiPage(2));
  assert.equal(second.length, 5);
  assert.equal(second.filter((n) => first.includes(n)).length, 0, 'page 2 holds other products');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Results', 'focus moves to the results');

  await page.goBack();
  await waitText(page, '1–20 of 25 products');
  assert.equal(new URL(page.url()).search, '?q=curated');
  assert.equal(await search(page).getByLabel('Search products').inputValue(), 'curated');
  assert.deepEqual(await cardNames(page), first);
  await page.goBack();
  await page.waitForURL((u) => u.search === '');
  await page.waitForFunction(() => document.querySelector('#market-q')?.value === '');
  await page.goForward();
  await page.goForward();
  await waitText(page, '21–25 of 25 products');
  assert.deepEqual(await cardNames(page), second);
  assert.equal(await search(page).getByLabel('Search products').inputValue(), 'curated');
  await page.getByRole('navigation', { name: 'Pagination' }).getByRole('link', { name: 'Previous' }).click();
  await waitText(page, '1–20 of 25 products');
  expectNoProblems(page);
}));

test('a shared link opens in a new context in the same state', withShots(() => b, 'market-shared', async () => {
  await seeded();
  const url = `/?q=orders&tag=orders&space=${SP.Sales.id}&sort=name`;
  const page = await adminPage(url);
  await waitText(page, '3 products');
  assert.deepEqual(await cardNames(page), ['Orders north', 'Orders south', 'Returns orders']);
  assert.equal(await search(page).getByLabel('Search products').inputValue(), 'orders');
  assert.equal(await page.getByLabel('Sort by').inputValue(), 'name');
  assert.equal(await page.getByRole('group', { name: 'Tags' }).getByLabel(/^orders/).isChecked(), true);
  assert.equal(await page.getByRole('group', { name: 'Spaces' }).getByLabel(/^Sales/).isChecked(), true);
  assert.equal(await page.getByRole('group', { name: 'Spaces' }).getByLabel(/^Finance/).isChecked(), false);
  assert.equal(new URL(page.url()).pathname + new URL(page.url()).search, url);
  expectNoProblems(page);
}));

test('a bad link falls back with a readable notice', withShots(() => b, 'market-bad-url', async () => {
  await seeded();
  // values the page itself rejects: dropped from the URL, said in words
  const page = await adminPage('/?sort=bogus&page=abc&tag=gold');
  await waitText(page, '4 products');
  await assert.doesNotReject(page.getByText('Part of this link was not understood (sort, page) and was ignored.').waitFor());
  assert.equal(new URL(page.url()).search, '?tag=gold');
  // a value the server refuses (a query over 256 bytes): 400 → all products and a notice
  await page.goto(`${srv.url}/?q=${'x'.repeat(300)}`);
  await waitText(page, '1–20 of 25 products');
  await assert.doesNotReject(page.getByText(/the server did not accept \(query parameter 'query'/).waitFor());
  assert.equal(new URL(page.url()).search, '');
  await expectNoAxeViolations(page, 'notice after a bad link');
  // a page past the end
  await page.goto(`${srv.url}/?page=9`);
  await waitText(page, 'There is no page 9 of these results.');
  await page.getByRole('link', { name: 'Go to the first page' }).click();
  await waitText(page, '1–20 of 25 products');
  expectNoProblems(page);
}));

test('a slow answer shows a loading state; a failed one says so and can be retried', withShots(() => b, 'market-loading-error', async () => {
  await seeded();
  const page = await adminPage();
  await waitText(page, '1–20 of 25 products');
  const products = (u) => u.pathname === DP;
  // slow: old results stay (dimmed) and "Loading products…" appears after a moment
  let release;
  const gate = new Promise((r) => { release = r; });
  await page.route(products, async (route) => { await gate; await route.continue(); });
  await page.getByLabel('Sort by').selectOption({ label: 'Name' });
  await waitText(page, 'Loading products…');
  assert.equal(await results(page).getAttribute('aria-busy'), 'true');
  assert.equal((await cardNames(page)).length, 20, 'the old results stay while loading');
  release();
  await page.waitForFunction(() => !document.querySelector('[aria-busy]'));
  assert.equal(await page.getByText('Loading products…').isVisible(), false);
  await page.unroute(products);
  // failing: a readable alert with a retry
  await page.route(products, (route) => route.fulfill({
    status: 503, contentType: 'application/json',
    body: JSON.stringify({ errors: [{ code: 'DP-503-UNAVAILABLE', title: 'Unavailable', detail: 'the database is busy', status: '503' }], traceId: 'x' }),
  }));
  await page.getByLabel('Sort by').selectOption({ label: 'Trust score' });
  const alert = page.getByRole('alert');
  await assert.doesNotReject(alert.getByText('The products could not be loaded.').waitFor());
  await assert.doesNotReject(alert.getByText('The server said: the database is busy').waitFor());
  await expectNoAxeViolations(page, 'load error');
  await page.unroute(products);
  await alert.getByRole('button', { name: 'Try again' }).click();
  await page.waitForFunction(() => document.querySelector('main h3')?.textContent === 'Ledger entries');
  assert.equal(await page.getByRole('alert').count(), 0);
  // Chromium logs the 503 itself; nothing else went wrong
  assert.deepEqual(page.problems.filter((p) => !/503/.test(p)), []);
}));

test('a consumer sees only the activated products of its space, never drafts', withShots(() => b, 'market-consumer', async () => {
  await seeded();
  const page = await b.page();
  await signIn(page, srv, consumerKey, '/');
  await waitText(page, '10 products');
  const names = await cardNames(page);
  assert.deepEqual(names.sort(), [...CORPUS.Finance].sort());
  for (const s of SECRET) assert.equal(await page.getByText(s).count(), 0, `${s} never appears`);
  const spaces = page.getByRole('group', { name: 'Spaces' });
  assert.equal(await spaces.getByRole('checkbox').count(), 1);
  await assert.doesNotReject(spaces.getByLabel('Finance (10)', { exact: true }).waitFor());
  assert.equal(await page.getByRole('group', { name: 'Tags' }).getByLabel(/^secret/).count(), 0);
  // searching for a draft's name finds nothing
  await search(page).getByLabel('Search products').fill('secret');
  await search(page).getByRole('button', { name: 'Search' }).click();
  await waitText(page, 'No products match \u201csecret\u201d');
  // no "create" hint for a consumer
  await page.goto(`${srv.url}/?q=nothing-like-this`);
  await waitText(page, 'No products match \u201cnothing-like-this\u201d');
  assert.equal(await page.getByRole('link', { name: 'Go to My products' }).count(), 0);
  await expectNoAxeViolations(page, 'consumer marketplace');
  expectNoProblems(page);
}));

test('names, descriptions and tags with HTML or script show as text and never run', withShots(() => b, 'market-xss', async () => {
  await seeded();
  const page = await adminPage(`/?space=${SP.Operations.id}&sort=name`);
  await waitText(page, '7 products');
  const card = results(page).getByRole('article', { name: XSS.name });
  await assert.doesNotReject(card.getByRole('link', { name: XSS.name, exact: true }).waitFor());
  const text = await card.textContent();
  assert.ok(text.includes('<img src=x onerror=window.__xss=1>'), 'the description is literal text');
  for (const t of XSS.tags) {
    await assert.doesNotReject(card.getByRole('list', { name: 'Tags' }).getByText(t, { exact: true }).waitFor());
    await assert.doesNotReject(page.getByRole('group', { name: 'Tags' }).getByLabel(`${t} (1)`, { exact: true }).waitFor());
  }
  // nothing of it became markup
  assert.equal(await results(page).locator('img, script, b').count(), 0);
  assert.match(await card.getByRole('link').getAttribute('href'), /^\/products\/[0-9a-f-]{36}$/);
  // hovering and clicking around does not run anything either
  await card.hover();
  await page.getByRole('group', { name: 'Tags' }).getByLabel(`${XSS.tags[0]} (1)`, { exact: true }).check();
  await waitText(page, '1 product');
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  expectNoProblems(page);
}));

test('360 px wide: no horizontal scroll, filters fold away and open', withShots(() => b, 'market-360', async () => {
  await seeded();
  const page = await adminPage('/', { viewport: { width: 360, height: 800 } });
  await waitText(page, '1–20 of 25 products');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), 'no horizontal scroll');
  // the facet boxes are folded away behind a disclosure
  assert.equal(await page.getByRole('group', { name: 'Tags' }).isVisible(), false);
  await shot(page, 'results-360');
  await page.getByText('Show filters').click();
  await page.getByRole('group', { name: 'Tags' }).getByLabel('gold (4)', { exact: true }).check();
  await waitText(page, '4 products');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), 'no horizontal scroll with filters open');
  await shot(page, 'facets-360');
  await expectNoAxeViolations(page, 'marketplace at 360 px');
  await page.goto(`${srv.url}/?space=${SP.Operations.id}&sort=name`);
  await waitText(page, '7 products');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), 'no horizontal scroll with long names');
  expectNoProblems(page);
}));

test('keyboard only: type a search, Enter, Tab to a result, Enter opens it', withShots(() => b, 'market-keyboard', async () => {
  await seeded();
  const page = await adminPage();
  await waitText(page, '1–20 of 25 products');
  // Tab from the top of the page to the search box
  let tabs = 0;
  while (!(await page.evaluate(() => document.activeElement?.id === 'market-q'))) {
    await page.keyboard.press('Tab');
    assert.ok(++tabs < 15, 'the search box is reachable by Tab');
  }
  await page.keyboard.type('payroll');
  await page.keyboard.press('Enter');
  await waitText(page, '1 product');
  tabs = 0;
  while ((await page.evaluate(() => document.activeElement?.textContent)) !== 'Payroll') {
    await page.keyboard.press('Tab');
    assert.ok(++tabs < 10, 'the result link is reachable by Tab');
  }
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/products\/[0-9a-f-]{36}$/);
  expectNoProblems(page);
}));

test('first load of / signed in weighs at most 150 KB on the wire', withShots(() => b, 'market-weight', async (t) => {
  await seeded();
  const page = await b.page();
  await signIn(page, srv, srv.key, '/my'); // the session cookie, without loading / yet
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  const sizes = new Map();
  const urls = new Map();
  cdp.on('Network.responseReceived', (e) => urls.set(e.requestId, `${e.response.url} ${e.response.headers['content-encoding'] || e.response.headers['Content-Encoding'] || 'identity'}`));
  cdp.on('Network.loadingFinished', (e) => sizes.set(e.requestId, e.encodedDataLength));
  await page.goto(`${srv.url}/`);
  await waitText(page, '1–20 of 25 products');
  await page.waitForLoadState('networkidle');
  let total = 0;
  for (const [id, n] of sizes) {
    total += n;
    t.diagnostic(`${n} B ${urls.get(id) || id}`);
  }
  t.diagnostic(`first load of / (signed in, 25 products): ${total} bytes over ${sizes.size} requests`);
  assert.ok(total <= 150 * 1024, `first load ${total} B`);
}));
