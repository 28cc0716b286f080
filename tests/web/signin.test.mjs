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

test('sign in with the key, then sign out: the old cookie no longer works', withShots(() => b, 'signin-signout', async () => {
  const page = await b.page();
  await page.goto(`${srv.url}/sign-in?next=%2Fmy`);
  await page.getByLabel('API key').fill(srv.key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/my$/);
  const nav = page.getByRole('navigation', { name: 'Main' });
  await assert.doesNotReject(nav.getByRole('button', { name: 'Sign out' }).waitFor());
  await assert.doesNotReject(nav.getByRole('link', { name: 'My products' }).waitFor());
  const [cookie] = (await page.context().cookies()).filter((c) => c.name === 'dp_session');
  assert.ok(cookie, 'a session cookie was set');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.equal(await page.evaluate(() => document.cookie), '', 'the page cannot read the cookie');
  const before = await fetch(`${srv.url}/api/v1/users/me`, { headers: { Cookie: `dp_session=${cookie.value}` } });
  assert.equal(before.status, 200);

  await nav.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/sign-in$/);
  const after = await fetch(`${srv.url}/api/v1/users/me`, { headers: { Cookie: `dp_session=${cookie.value}` } });
  assert.equal(after.status, 401, 'the session is gone on the server, not only in the browser');
  await page.goto(`${srv.url}/my`);
  await page.waitForURL(/\/sign-in\?next=%2Fmy$/);
  expectNoProblems(page);
}));

test('next= never leaves the app, however it is spelled, and sign-in still lands somewhere', withShots(() => b, 'signin-next', async () => {
  // tabs and newlines vanish when a URL is parsed ("/\t/evil" is "//evil"),
  // backslashes are slashes, dot segments resolve: all of them end on "/"
  const cases = [
    ['//evil.example/', '/'], ['/\\evil.example/', '/'], ['/\t/evil.example/', '/'], ['/\n/evil.example', '/'],
    ['/\r/evil.example', '/'], ['/./\\evil.example', '/'], ['/.//evil.example', '/'], ['/x/../..//evil.example', '/'],
    ['javascript:alert(1)', '/'], ['https://evil.example/', '/'], ['\\/evil.example', '/'], [' //evil.example', '/'],
    ['/my?view=spaces', '/my?view=spaces'],
  ];
  for (const [next, want] of cases) {
    const page = await b.page();
    await page.goto(`${srv.url}/sign-in?next=${encodeURIComponent(next)}`);
    await page.getByLabel('API key').fill(srv.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Sign out' }).waitFor();
    const u = new URL(page.url());
    assert.equal(u.origin, srv.url, `next=${JSON.stringify(next)} stays on this origin`);
    assert.equal(u.pathname + u.search, want, `next=${JSON.stringify(next)}`);
    expectNoProblems(page);
    await page.context().close();
  }
}));
