// producer.test.mjs: the producer pages in Chromium (SPEC §6, issue 9):
// My products (every state of the caller's products), create (every field,
// pickers, server 400s next to their field, keyboard only), edit (JSON Patch
// with If-Match, a 412 explained with the typed input kept, #field-x links),
// what consumers may not do, inert user text, axe on every state, 360 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { startServer } from '../api/lib/server.mjs';
import { makeDataSet, uniqueName } from '../api/lib/fixtures.mjs';
import { openBrowser, withShots, signIn, expectNoAxeViolations, expectNoProblems, ARTIFACTS } from './lib/browser.mjs';

const DP = '/api/data-governance/data-products';
const XSS_IMG = '<img src=x onerror="window.__xss=1">';
const XSS_SCRIPT = '<script>window.__xss=1</script>';

let srv;
let b;
const U = {}; // creator, consumer, admin: {id, key, name}
let space; // shared space: creator is producer, consumer is consumer
let pubSpace; // where the creator has no role
const DS = {}; // data sets by label

async function mkUser(label, name, roles) {
  const res = await srv.api('POST', '/api/v1/users', {
    body: { subject: `sub|${label}-${process.pid}`, email: `${label}-${process.pid}@example.com`, name,
      assignedRoles: roles.map((n) => ({ name: n })) },
  });
  assert.equal(res.status, 201, res.text);
  const key = await srv.api('POST', '/api/v1/api-keys', { body: { description: `key of ${label}`, sub: res.body.id } });
  assert.equal(key.status, 201, key.text);
  return { id: res.body.id, key: key.body.token, name, email: res.body.email };
}

async function assign(sp, user, roles) {
  const res = await srv.api('POST', `/api/v1/spaces/${sp.id}/assignments`, { body: { assigneeId: user.id, type: 'user', roles } });
  assert.equal(res.status, 201, res.text);
}

/** A product created by `who` (default the creator) through the API. */
async function product(fields = {}, who = U.creator) {
  const res = await srv.api('POST', DP, { key: who.key, body: { name: uniqueName('Product'), spaceId: space.id, ...fields } });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

async function get(id) {
  const res = await srv.api('GET', `${DP}/${id}`);
  assert.equal(res.status, 200, res.text);
  return res.body;
}

async function creatorPage(next = '/my', opts = {}) {
  const page = await b.page(opts);
  await signIn(page, srv, U.creator.key, next);
  return page;
}

/** Waits (briefly) until the element with this id has focus: focus moves
 *  right after the error text appears, so a plain read could race it. */
async function focusOn(page, id) {
  await page.waitForFunction((x) => document.activeElement?.id === x, id, { timeout: 5000 })
    .catch(async () => assert.equal(await page.evaluate(() => document.activeElement?.id), id, 'focus'));
}

async function noXss(page) {
  assert.equal(await page.evaluate(() => window.__xss), undefined, 'no user text ran as script');
}

async function noHorizontalScroll(page, where) {
  const { sw, cw } = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth }));
  assert.ok(sw <= cw, `${where}: page is ${sw}px wide in a ${cw}px viewport`);
}

/** A full-page screenshot in build/test-artifacts (looked at by people), and
 *  for a phone-sized page also its screens one by one (readable at full size). */
async function shot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `producer-${name}.png`), fullPage: true });
  const vp = page.viewportSize();
  if (vp.width > 400) return;
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  for (let y = 0, i = 1; y < height && i <= 6; y += vp.height, i++) {
    await page.screenshot({ path: path.join(ARTIFACTS, `producer-${name}-part${i}.png`), fullPage: true,
      clip: { x: 0, y, width: vp.width, height: Math.min(vp.height, height - y) } });
  }
}

const nameBox = (page) => page.getByRole('textbox', { name: 'Name (required)' });
const dsGroup = (page) => page.getByRole('group', { name: 'Data sets' });
const apiGroup = (page) => page.getByRole('group', { name: 'API consumable data sets' });
const kcGroup = (page) => page.getByRole('group', { name: 'Key contacts' });

before(async () => {
  srv = await startServer({ args: ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0'] });
  b = await openBrowser();
  U.creator = await mkUser('creator', 'Cara Creator', ['DataProductCreator']);
  U.consumer = await mkUser('consumer', 'Con Sumer', ['DataProductConsumer']);
  U.evil = await mkUser('evil', `${XSS_SCRIPT} Mallory ${XSS_IMG}`, ['DataProductConsumer']);
  U.admin = { id: srv.admin.userId, key: srv.key };
  const s = await srv.api('POST', '/api/v1/spaces', { body: { name: 'Team space', type: 'shared' } });
  space = s.body;
  const s2 = await srv.api('POST', '/api/v1/spaces', { body: { name: 'Admin only', type: 'shared' } });
  pubSpace = s2.body;
  await assign(space, U.creator, ['producer']);
  await assign(space, U.consumer, ['consumer']);
  DS.orders = await makeDataSet(srv, { name: 'Orders', technicalName: 'orders.csv', description: 'All orders' });
  DS.customers = await makeDataSet(srv, { name: 'Customers', technicalName: 'customers.parquet' });
  DS.evil = await makeDataSet(srv, { name: `Evil ${XSS_IMG}`, technicalName: `javascript:alert(1) ${XSS_SCRIPT}` });
  for (let i = 0; i < 3; i++) await makeDataSet(srv, { name: `Zeta ${i}`, technicalName: `zeta_${i}.csv` });
});

after(async () => {
  await b?.close();
  await srv?.stop();
});

test('My products, empty: explains what a data product is and offers to create one', withShots(() => b, 'producer-mine-empty', async () => {
  const page = await creatorPage('/my');
  await page.getByRole('heading', { level: 1, name: 'My products' }).waitFor();
  await page.getByRole('heading', { level: 2, name: 'You have no data products yet' }).waitFor();
  await page.getByText('A data product packages data sets').waitFor();
  assert.equal(await page.getByRole('link', { name: 'New data product' }).count(), 2, 'toolbar and empty state');
  assert.equal(await page.title(), 'My products · Data products');
  await expectNoAxeViolations(page, 'My products (empty)');
  expectNoProblems(page);
}));

test('My products lists drafts, activated and deactivated products of the user with their state in words', withShots(() => b, 'producer-mine-filled', async () => {
  const ds = DS.orders.id;
  const full = { datasetIds: [ds], keyContacts: [{ userId: U.creator.id, role: 'owner' }] };
  const draft = await product({ name: 'Alpha draft' });
  const act = await product({ name: 'Bravo activated', ...full });
  const deact = await product({ name: 'Charlie deactivated', ...full });
  const evil = await product({ name: `Evil ${XSS_SCRIPT} ${XSS_IMG}`, tags: [XSS_IMG], description: XSS_SCRIPT });
  const personal = await product({ name: 'Delta personal', spaceId: undefined });
  const notMine = await product({ name: 'Not mine' }, U.admin);
  for (const p of [act, deact]) {
    const r = await srv.api('POST', `${DP}/${p.id}/actions/activate`, { body: { name: p.name } });
    assert.equal(r.status, 201, r.text);
  }
  assert.equal((await srv.api('POST', `${DP}/${deact.id}/actions/deactivate`)).status, 204);
  assert.equal((await srv.api('PATCH', `${DP}/${act.id}`, { body: [{ op: 'replace', path: '/description', value: 'changed after activation' }] })).status, 204);

  const page = await creatorPage('/my');
  const table = page.getByRole('table', { name: /Data products you created: 5 in all/ });
  await table.waitFor();
  const row = (n) => table.getByRole('row', { name: new RegExp(`^${n}`) });
  await row('Alpha draft').getByRole('cell', { name: 'Draft', exact: true }).waitFor();
  await row('Bravo activated').getByRole('cell', { name: 'Activated', exact: true }).waitFor();
  await row('Charlie deactivated').getByRole('cell', { name: 'Deactivated', exact: true }).waitFor();
  await row('Delta personal').getByRole('cell', { name: 'Personal', exact: true }).waitFor();
  await row('Alpha draft').getByRole('cell', { name: 'Team space', exact: true }).waitFor();
  // pending changes: the activated product's one patch
  assert.equal(await row('Bravo activated').getByRole('cell').last().textContent(), '1');
  assert.equal(await table.getByRole('link', { name: 'Not mine' }).count(), 0, 'only the caller\'s products');
  for (const h of ['Name', 'State', 'Space', 'Updated', 'Pending changes']) await table.getByRole('columnheader', { name: h }).waitFor();
  // most recently updated first: patched, then deactivated, then the newest creation
  const names = await table.locator('tbody th').allTextContents();
  assert.deepEqual(names.slice(0, 3), ['Bravo activated', 'Charlie deactivated', 'Delta personal']);
  // user text is text
  const evilLink = table.getByRole('link', { name: `Evil ${XSS_SCRIPT} ${XSS_IMG}` });
  await evilLink.waitFor();
  assert.equal(await evilLink.getAttribute('href'), `/products/${evil.id}`);
  await noXss(page);
  await expectNoAxeViolations(page, 'My products (filled)');
  // the name links to the product page
  await table.getByRole('link', { name: 'Alpha draft' }).click();
  await page.waitForURL(`**/products/${draft.id}`);
  // the other view: not activated in my spaces (the admin's draft in Team space too)
  await page.goto(`${srv.url}/my?view=spaces`);
  const t2 = page.getByRole('table', { name: /Not activated data products in your spaces/ });
  await t2.getByRole('link', { name: 'Not mine' }).waitFor();
  assert.equal(await t2.getByRole('link', { name: 'Bravo activated' }).count(), 0);
  assert.equal(await page.getByLabel('Show').inputValue(), 'spaces');
  await page.getByLabel('Show').selectOption('mine');
  await page.waitForURL((u) => u.pathname === '/my' && !u.search);
  await page.getByRole('table', { name: /Data products you created/ }).waitFor();
  expectNoProblems(page);
  void notMine; void personal;
}));

test('My products pages through many products', withShots(() => b, 'producer-mine-paging', async () => {
  const u = await mkUser(`pager-${Date.now()}`, 'Pat Pager', ['DataProductCreator']);
  for (let i = 0; i < 23; i++) {
    const r = await srv.api('POST', DP, { key: u.key, body: { name: `Paged ${String(i).padStart(2, '0')}` } });
    assert.equal(r.status, 201, r.text);
  }
  const page = await b.page();
  await signIn(page, srv, u.key, '/my');
  await page.getByRole('table', { name: /23 in all, page 1 of 2/ }).waitFor();
  assert.equal(await page.locator('tbody tr').count(), 20);
  const pages = page.getByRole('navigation', { name: 'Pages' });
  await pages.getByRole('link', { name: 'Next page' }).click();
  await page.getByRole('table', { name: /page 2 of 2/ }).waitFor();
  assert.equal(await page.locator('tbody tr').count(), 3);
  assert.ok(page.url().endsWith('/my?page=2'));
  await pages.getByRole('link', { name: 'Previous page' }).waitFor();
  await page.goBack();
  await page.getByRole('table', { name: /page 1 of 2/ }).waitFor();
  expectNoProblems(page);
}));

test('create with every field (space, tags, read-me, a data set, API consumable, a key contact) lands on the product page', withShots(() => b, 'producer-create', async () => {
  const page = await creatorPage('/products/new');
  await page.getByRole('heading', { level: 1, name: 'New data product' }).waitFor();
  // the space select offers the space with create rights and personal, not the others
  const spaceSel = page.getByLabel('Space');
  const options = await spaceSel.locator('option').allTextContents();
  assert.deepEqual(options, ['Personal (only you and admins)', 'Team space (shared)']);
  await expectNoAxeViolations(page, 'create (empty)');
  await nameBox(page).fill('  Sales orders  ');
  await page.getByLabel('Description').fill('Every order, daily.');
  await spaceSel.selectOption({ label: 'Team space (shared)' });
  await page.getByLabel('Tags').fill('finance, daily, finance, ');
  await page.getByLabel('Read-me').fill('# Orders\n\nUse **with care**.');
  await dsGroup(page).getByLabel('Find data sets by name or technical name').fill('ord');
  await page.getByRole('status').filter({ hasText: '1 data set matches “ord”' }).waitFor();
  await dsGroup(page).getByRole('checkbox', { name: 'Orders' }).check();
  await dsGroup(page).getByText('Chosen: 1 data set').waitFor();
  await apiGroup(page).getByRole('checkbox', { name: 'Orders' }).check();
  await kcGroup(page).getByLabel('Person').selectOption({ label: `Con Sumer (${U.consumer.email})` });
  await kcGroup(page).getByLabel('Role (optional)').fill('data steward');
  await kcGroup(page).getByRole('button', { name: 'Add key contact' }).click();
  await kcGroup(page).getByRole('textbox', { name: 'Role of Con Sumer' }).waitFor();
  assert.equal(await kcGroup(page).getByRole('textbox', { name: 'Role of Con Sumer' }).inputValue(), 'data steward');
  await expectNoAxeViolations(page, 'create (filled)');
  await shot(page, 'create-1280');
  await page.getByRole('button', { name: 'Create data product' }).click();
  await page.waitForURL(/\/products\/[0-9a-f-]{36}$/);
  const id = page.url().split('/').pop();
  const p = await get(id);
  assert.equal(p.name, 'Sales orders');
  assert.equal(p.description, 'Every order, daily.');
  assert.equal(p.spaceId, space.id);
  assert.deepEqual(p.tags, ['finance', 'daily']);
  assert.equal(p.readMe, '# Orders\n\nUse **with care**.');
  assert.deepEqual(p.datasetIds, [DS.orders.id]);
  assert.deepEqual(p.apiConsumableDatasetIds, [DS.orders.id]);
  assert.deepEqual(p.keyContacts, [{ userId: U.consumer.id, role: 'data steward' }]);
  assert.equal(p.ownerId, U.creator.id);
  expectNoProblems(page);
}));

test('a data set registered in the dialog is created and chosen without leaving the form', withShots(() => b, 'producer-register-dataset', async () => {
  const page = await creatorPage('/products/new');
  await page.getByRole('heading', { level: 1, name: 'New data product' }).waitFor();
  await nameBox(page).fill('Uses a new data set');
  await dsGroup(page).getByRole('button', { name: 'Register a new data set' }).click();
  const dialog = page.getByRole('dialog', { name: 'Register a data set' });
  await dialog.waitFor();
  await expectNoAxeViolations(page, 'register data set dialog');
  // the server refuses a name of invisible characters: shown next to the field
  await dialog.getByLabel('Name', { exact: true }).fill('\u200b');
  await dialog.getByLabel('Technical name').fill('shipments.csv');
  await dialog.getByRole('button', { name: 'Register data set' }).click();
  await dialog.getByText("'name' must contain a visible character", { exact: false }).waitFor();
  assert.equal(await dialog.getByLabel('Name', { exact: true }).getAttribute('aria-invalid'), 'true');
  await dialog.getByLabel('Name', { exact: true }).fill(`Shipments ${XSS_IMG}`);
  await dialog.getByLabel('Description', { exact: true }).fill('Every parcel that left a warehouse.');
  await dialog.getByLabel('CSV file (optional)').fill('logistics/shipments.csv');
  await dialog.getByLabel('Name of field 1').fill('shipment_id');
  await dialog.getByLabel('Type of field 1').selectOption('INTEGER');
  await dialog.getByRole('button', { name: 'Add a field' }).click();
  await dialog.getByLabel('Name of field 2').fill('shipped_at');
  await dialog.getByLabel('Type of field 2').selectOption('DATETIME');
  await dialog.getByRole('button', { name: 'Register data set' }).click();
  await dialog.waitFor({ state: 'detached' });
  await dsGroup(page).getByText('Chosen: 1 data set').waitFor();
  await dsGroup(page).getByText(`Shipments ${XSS_IMG}`).first().waitFor();
  await noXss(page);
  await page.getByRole('button', { name: 'Create data product' }).click();
  await page.waitForURL(/\/products\/[0-9a-f-]{36}$/);
  const p = await get(page.url().split('/').pop());
  assert.equal(p.datasetIds.length, 1);
  const ds = await srv.api('GET', `/api/v1/data-sets/${p.datasetIds[0]}`);
  assert.equal(ds.body.name, `Shipments ${XSS_IMG}`);
  assert.equal(ds.body.technicalName, 'shipments.csv');
  assert.equal(ds.body.operational.location, 'logistics/shipments.csv');
  assert.deepEqual(ds.body.schema.dataFields.map((f) => [f.name, f.dataType.type]),
    [['shipment_id', 'INTEGER'], ['shipped_at', 'DATETIME']]);
  expectNoProblems(page);
}));

test('server and browser validation errors are shown next to their field, which gets focus', withShots(() => b, 'producer-create-errors', async () => {
  const page = await creatorPage('/products/new');
  await nameBox(page).waitFor();
  // empty: caught in the browser
  await page.getByRole('button', { name: 'Create data product' }).click();
  await page.getByText('Enter a name.').waitFor();
  assert.equal(await nameBox(page).getAttribute('aria-invalid'), 'true');
  await focusOn(page, 'field-name');
  // only an invisible character: the server refuses it (400 naming 'name')
  await nameBox(page).fill('\u200b');
  await page.getByRole('button', { name: 'Create data product' }).click();
  const err = page.locator('#err-name');
  await err.filter({ hasText: 'must contain a visible character' }).waitFor();
  assert.equal(await nameBox(page).getAttribute('aria-invalid'), 'true');
  assert.match(await nameBox(page).getAttribute('aria-describedby'), /err-name/);
  // the accessible description carries the message
  const desc = await page.evaluate(() => {
    const el = document.getElementById('field-name');
    return el.getAttribute('aria-describedby').split(' ').map((x) => document.getElementById(x).textContent).join(' ');
  });
  assert.match(desc, /Name: must contain a visible character/);
  await focusOn(page, 'field-name');
  await expectNoAxeViolations(page, 'create with a server validation error');
  await shot(page, 'create-errors-1280');
  // 257 characters: the same rule in the browser
  await nameBox(page).fill('x'.repeat(257));
  await page.getByRole('button', { name: 'Create data product' }).click();
  await page.getByText('The name is 257 characters long; at most 256 are allowed.').waitFor();
  // a data set deleted after it was picked: the server's 400 names datasetIds[0]
  const doomed = await makeDataSet(srv, { name: 'Doomed set', technicalName: 'doomed.csv' });
  await nameBox(page).fill('Fine name');
  await dsGroup(page).getByLabel('Find data sets by name or technical name').fill('doomed');
  await dsGroup(page).getByRole('checkbox', { name: 'Doomed set' }).check();
  assert.equal((await srv.api('POST', '/api/v1/data-sets/actions/delete', { body: { ids: [doomed.id] } })).status < 300, true);
  await page.getByRole('button', { name: 'Create data product' }).click();
  await page.locator('#err-datasetIds').filter({ hasText: 'Data sets: item 1: data set' }).waitFor();
  assert.equal(await nameBox(page).getAttribute('aria-invalid'), null, 'the name error is gone');
  await focusOn(page, 'field-datasetIds');
  await expectNoAxeViolations(page, 'create with a data set error');
  expectNoProblems(page);
}));

test('edit changes name and tags with a JSON Patch and If-Match, then shows the product', withShots(() => b, 'producer-edit', async () => {
  const p = await product({ name: 'Edit me', tags: ['old'], description: 'keep', datasetIds: [DS.customers.id] });
  const etag = (await srv.api('GET', `${DP}/${p.id}`)).headers.get('etag');
  const page = await creatorPage(`/products/${p.id}/edit`);
  await page.getByRole('heading', { level: 1, name: 'Edit Edit me' }).waitFor();
  assert.equal(await nameBox(page).inputValue(), 'Edit me');
  assert.equal(await page.getByLabel('Tags').inputValue(), 'old');
  await dsGroup(page).getByRole('button', { name: 'Remove Customers' }).waitFor();
  await expectNoAxeViolations(page, 'edit');
  await shot(page, 'edit-1280');
  const sent = [];
  page.on('request', (r) => { if (r.method() === 'PATCH') sent.push({ headers: r.headers(), body: r.postDataJSON() }); });
  await nameBox(page).fill('Edited');
  await page.getByLabel('Tags').fill('new, shiny');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.waitForURL(`**/products/${p.id}`);
  assert.equal(sent.length, 1);
  assert.equal(sent[0].headers['if-match'], etag);
  assert.deepEqual(sent[0].body, [
    { op: 'replace', path: '/name', value: 'Edited' },
    { op: 'replace', path: '/tags', value: ['new', 'shiny'] },
  ]);
  const now = await get(p.id);
  assert.equal(now.name, 'Edited');
  assert.deepEqual(now.tags, ['new', 'shiny']);
  assert.equal(now.description, 'keep');
  assert.deepEqual(now.datasetIds, [DS.customers.id]);
  // saving without a change sends nothing
  await page.goto(`${srv.url}/products/${p.id}/edit`);
  await nameBox(page).waitFor();
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByText('Nothing changed: there is nothing to save.').waitFor();
  assert.equal(sent.length, 1);
  expectNoProblems(page);
}));

test('a 412 conflict is explained field by field, the typed input is kept, and saving again succeeds', withShots(() => b, 'producer-conflict', async () => {
  const p = await product({ name: 'Shared doc', description: 'first', tags: ['a'] });
  const page = await creatorPage(`/products/${p.id}/edit`);
  await nameBox(page).waitFor();
  await nameBox(page).fill('My new name');
  await page.getByLabel('Tags').fill('a, mine');
  // meanwhile someone else changes name and description
  const other = await srv.api('PATCH', `${DP}/${p.id}`, { key: U.admin.key, body: [
    { op: 'replace', path: '/name', value: 'Their name' },
    { op: 'replace', path: '/description', value: 'theirs' },
  ] });
  assert.equal(other.status, 204, other.text);
  await page.getByRole('button', { name: 'Save changes' }).click();
  const box = page.getByRole('alert').filter({ has: page.getByRole('heading', { name: 'Someone else changed this product while you were editing' }) });
  await box.waitFor();
  await box.getByText('Name is now “Their name” (you have “My new name”; saving keeps yours).').waitFor();
  await box.getByText('Description is now “theirs”; the form shows it.').waitFor();
  assert.equal(await nameBox(page).inputValue(), 'My new name', 'typed input kept');
  assert.equal(await page.getByLabel('Tags').inputValue(), 'a, mine', 'typed input kept');
  assert.equal(await page.getByLabel('Description').inputValue(), 'theirs', 'untouched field follows theirs');
  await expectNoAxeViolations(page, 'edit with a 412 explanation');
  await shot(page, 'conflict-1280');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.waitForURL(`**/products/${p.id}`);
  const now = await get(p.id);
  assert.equal(now.name, 'My new name');
  assert.equal(now.description, 'theirs', 'their change survives');
  assert.deepEqual(now.tags, ['a', 'mine']);
  expectNoProblems(page);
}));

test('a 412 can also be resolved by discarding one\'s edits', withShots(() => b, 'producer-conflict-discard', async () => {
  const p = await product({ name: 'Discard test' });
  const page = await creatorPage(`/products/${p.id}/edit`);
  await nameBox(page).fill('Mine');
  assert.equal((await srv.api('PATCH', `${DP}/${p.id}`, { body: [{ op: 'replace', path: '/tags', value: ['x'] }] })).status, 204);
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByText('Tags is now x; the form shows it.').waitFor();
  await page.getByRole('button', { name: 'Discard my changes and load the current version' }).click();
  assert.equal(await nameBox(page).inputValue(), 'Discard test');
  assert.equal(await page.getByLabel('Tags').inputValue(), 'x');
  await focusOn(page, 'field-name');
  expectNoProblems(page);
}));

test('a #field-keyContacts link focuses and highlights that field; #field-datasetIds too', withShots(() => b, 'producer-hash', async () => {
  const p = await product({ name: 'Hash target' });
  const page = await creatorPage(`/products/${p.id}/edit#field-keyContacts`);
  await kcGroup(page).waitFor();
  await page.waitForFunction(() => document.activeElement?.id === 'field-keyContacts');
  assert.ok(await page.evaluate(() => document.getElementById('field-keyContacts').classList.contains('highlight')));
  // in-app navigation (a link from another page) works the same
  await page.evaluate((id) => {
    const a = document.createElement('a');
    a.href = `/products/${id}/edit#field-datasetIds`;
    a.textContent = 'go';
    document.body.append(a);
    a.click();
  }, p.id);
  await page.waitForFunction(() => document.activeElement?.id === 'field-datasetIds');
  expectNoProblems(page);
}));

test('a consumer sees no "New data product" and cannot edit or create', withShots(() => b, 'producer-consumer', async () => {
  const p = await product({ name: 'Published for consumers', datasetIds: [DS.orders.id], keyContacts: [{ userId: U.creator.id }] });
  assert.equal((await srv.api('POST', `${DP}/${p.id}/actions/activate`, { body: { name: p.name } })).status, 201);
  const page = await b.page();
  await signIn(page, srv, U.consumer.key, '/my');
  await page.getByRole('heading', { level: 1, name: 'My products' }).waitFor();
  await page.getByText('Creating data products needs the DataProductCreator role').waitFor();
  assert.equal(await page.getByRole('link', { name: 'New data product' }).count(), 0);
  await expectNoAxeViolations(page, 'My products (consumer)');
  await page.goto(`${srv.url}/products/${p.id}/edit`);
  await page.getByRole('heading', { level: 1, name: 'You can’t edit this product' }).waitFor();
  await page.getByText('Editing “Published for consumers” needs').waitFor();
  await page.getByRole('link', { name: 'Back to Published for consumers' }).waitFor();
  assert.equal(await page.getByRole('textbox').count(), 0, 'no form');
  await expectNoAxeViolations(page, 'edit (no rights)');
  await page.goto(`${srv.url}/products/new`);
  await page.getByRole('heading', { level: 1, name: 'You can’t create data products' }).waitFor();
  // a product it cannot see at all
  const hidden = await product({ name: 'Hidden draft' });
  await page.goto(`${srv.url}/products/${hidden.id}/edit`);
  await page.getByRole('heading', { level: 1, name: 'Data product not found' }).waitFor();
  expectNoProblems(page);
}));

test('user text in the pickers renders as text: data set and user names with <script> and <img onerror>', withShots(() => b, 'producer-xss', async () => {
  const page = await creatorPage('/products/new');
  await nameBox(page).fill(`${XSS_SCRIPT}`);
  await dsGroup(page).getByLabel('Find data sets by name or technical name').fill('evil');
  const cb = dsGroup(page).getByRole('checkbox', { name: `Evil ${XSS_IMG}` });
  await cb.check();
  await dsGroup(page).getByText(`javascript:alert(1) ${XSS_SCRIPT}`).first().waitFor();
  await apiGroup(page).getByRole('checkbox', { name: `Evil ${XSS_IMG}` }).waitFor();
  const evilOption = `${XSS_SCRIPT} Mallory ${XSS_IMG} (${U.evil.email})`;
  await kcGroup(page).getByLabel('Person').selectOption({ label: evilOption });
  await kcGroup(page).getByRole('button', { name: 'Add key contact' }).click();
  await kcGroup(page).getByText(`${XSS_SCRIPT} Mallory ${XSS_IMG}`, { exact: true }).first().waitFor();
  await noXss(page);
  assert.equal(await page.locator('main img, main script').count(), 0, 'no element made from user text');
  await page.getByRole('button', { name: 'Create data product' }).click();
  await page.waitForURL(/\/products\/[0-9a-f-]{36}$/);
  const id = page.url().split('/').pop();
  // the edit page shows the same texts, inert
  await page.goto(`${srv.url}/products/${id}/edit`);
  await page.getByRole('heading', { level: 1, name: `Edit ${XSS_SCRIPT}` }).waitFor();
  await dsGroup(page).getByText(`Evil ${XSS_IMG}`, { exact: true }).first().waitFor();
  await kcGroup(page).getByText(`${XSS_SCRIPT} Mallory ${XSS_IMG}`, { exact: true }).first().waitFor();
  await noXss(page);
  assert.equal(await page.locator('main img, main script').count(), 0);
  expectNoProblems(page);
}));

test('keyboard only: Tab through the create form, Space on checkboxes, Enter to submit', withShots(() => b, 'producer-keyboard', async () => {
  const page = await creatorPage('/products/new');
  await nameBox(page).waitFor();
  await page.getByRole('status').filter({ hasText: /data sets; showing/ }).waitFor();
  const active = () => page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName);
  async function tabTo(id, max = 40) {
    for (let i = 0; i < max; i++) {
      if (await active() === id) return;
      await page.keyboard.press('Tab');
    }
    assert.fail(`Tab never reached #${id} (at ${await active()})`);
  }
  await tabTo('field-name');
  await page.keyboard.type('Typed by keyboard');
  await page.keyboard.press('Tab');
  assert.equal(await active(), 'field-description');
  await page.keyboard.type('No mouse was used.');
  await tabTo('field-tags');
  await page.keyboard.type('keyboard, a11y');
  await tabTo('ds-search');
  await page.keyboard.type('Customers');
  await page.keyboard.press('Enter'); // searches, does not submit
  await page.getByRole('status').filter({ hasText: '1 data set matches “Customers”' }).waitFor();
  assert.ok(page.url().endsWith('/products/new'));
  await tabTo(`ds-${DS.customers.id}`);
  await page.keyboard.press('Space');
  await dsGroup(page).getByText('Chosen: 1 data set').waitFor();
  await tabTo(`api-${DS.customers.id}`);
  await page.keyboard.press('Space');
  await tabTo('kc-user');
  // a closed <select> changes with the arrow keys: pick Cara Creator
  for (let i = 0; i < 10 && !(await page.getByLabel('Person').inputValue() === U.creator.id); i++) await page.keyboard.press('ArrowDown');
  assert.equal(await page.getByLabel('Person').inputValue(), U.creator.id);
  await page.keyboard.press('Tab');
  assert.equal(await active(), 'kc-role');
  await page.keyboard.type('owner');
  await page.keyboard.press('Enter'); // adds the contact, does not submit
  await kcGroup(page).getByRole('textbox', { name: 'Role of Cara Creator' }).waitFor();
  assert.equal(await active(), 'kc-user', 'focus returns to the person picker');
  // Enter in a text field submits the form
  await page.getByLabel('Tags').focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/products\/[0-9a-f-]{36}$/);
  const p = await get(page.url().split('/').pop());
  assert.equal(p.name, 'Typed by keyboard');
  assert.deepEqual(p.tags, ['keyboard', 'a11y']);
  assert.deepEqual(p.datasetIds, [DS.customers.id]);
  assert.deepEqual(p.apiConsumableDatasetIds, [DS.customers.id]);
  assert.deepEqual(p.keyContacts, [{ userId: U.creator.id, role: 'owner' }]);
  assert.equal(p.spaceId, undefined, 'personal is the first choice');
  expectNoProblems(page);
}));

test('360 px wide: My products, create, edit and a conflict fit without horizontal scrolling', withShots(() => b, 'producer-360', async () => {
  const p = await product({ name: `A rather long product name that has to wrap on a phone ${'x'.repeat(40)}`, tags: ['t'], datasetIds: [DS.orders.id], keyContacts: [{ userId: U.creator.id, role: 'owner' }] });
  const page = await creatorPage('/my', { viewport: { width: 360, height: 800 } });
  await page.getByRole('table').waitFor();
  await noHorizontalScroll(page, 'My products');
  await shot(page, 'mine-360');
  await page.goto(`${srv.url}/products/new`);
  await page.getByRole('status').filter({ hasText: /data sets; showing/ }).waitFor();
  await noHorizontalScroll(page, 'create');
  await shot(page, 'create-360');
  await page.goto(`${srv.url}/products/${p.id}/edit`);
  await nameBox(page).waitFor();
  await nameBox(page).fill('Changed on a phone');
  assert.equal((await srv.api('PATCH', `${DP}/${p.id}`, { body: [{ op: 'replace', path: '/name', value: 'Changed elsewhere' }] })).status, 204);
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByRole('heading', { name: 'Someone else changed this product while you were editing' }).waitFor();
  await noHorizontalScroll(page, 'edit with a conflict');
  await expectNoAxeViolations(page, 'edit with a conflict at 360 px');
  await shot(page, 'conflict-360');
  expectNoProblems(page);
}));

test('page weight: bytes transferred on a first load of My products', withShots(() => b, 'producer-weight', async (t) => {
  const page = await creatorPage('/my');
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.clearBrowserCache');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  const sizes = new Map();
  const urls = new Map();
  cdp.on('Network.requestWillBeSent', (e) => urls.set(e.requestId, e.request.url));
  cdp.on('Network.loadingFinished', (e) => sizes.set(e.requestId, e.encodedDataLength));
  await page.goto(`${srv.url}/my`);
  await page.getByRole('table').waitFor();
  await page.waitForLoadState('networkidle');
  let total = 0;
  let assets = 0;
  for (const [id, n] of sizes) {
    total += n;
    if (urls.get(id)?.includes('/assets/')) assets += n;
  }
  t.diagnostic(`first load of /my: ${total} bytes transferred (${assets} in assets, ${sizes.size} responses)`);
  assert.ok(total < 150000, `${total} bytes`);
}));
