// signin.test.mjs: the sign-in page in Chromium — loads under the strict
// CSP without a console error, has no axe violations, works by keyboard,
// and explains a wrong key in words.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../api/lib/server.mjs';
import { openBrowser, withShots, expectNoAxeViolations, expectNoProblems } from './lib/browser.mjs';

let srv;
let b;
before(async () => {
  srv = await startServer();
  b = await openBrowser();
});
after(async () => {
  await b?.close();
  await srv?.stop();
});

test('an unsigned visitor of / lands on the sign-in page', withShots(() => b, 'signin-redirect', async () => {
  const page = await b.page();
  await page.goto(`${srv.url}/`);
  await page.waitForURL(/\/sign-in\?next=%2F$/);
  await assert.doesNotReject(page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor());
  await expectNoAxeViolations(page, 'sign-in');
  expectNoProblems(page);
}));

test('a wrong key is explained and the page stays usable by keyboard', withShots(() => b, 'signin-wrong-key', async () => {
  const page = await b.page();
  await page.goto(`${srv.url}/sign-in`);
  await page.keyboard.press('Tab'); // skip link
  await page.keyboard.press('Tab'); // brand
  await page.getByLabel('API key').focus();
  await page.keyboard.type('not-a-key');
  await page.keyboard.press('Enter');
  const alert = page.getByRole('alert');
  await assert.doesNotReject(alert.getByText('That API key was not accepted', { exact: false }).waitFor());
  assert.equal(await page.getByLabel('API key').getAttribute('aria-invalid'), 'true');
  assert.ok(page.url().endsWith('/sign-in'), 'still on the sign-in page');
  await expectNoAxeViolations(page, 'sign-in with an error');
}));
