// browser.mjs: headless Chromium (Debian's /usr/bin/chromium) driven by
// playwright-core, against a real server from ../api/lib/server.mjs.
//
//   const b = await openBrowser(t);          // one browser per test file
//   const page = await b.page();              // a fresh context (no cookies)
//   await signIn(page, srv, key);             // through the sign-in form
//   await expectNoAxeViolations(page, 'marketplace');
//   await b.close();
//
// Elements are found the way people find them: by role, label and text
// (getByRole / getByLabel / getByText), never by CSS class. When a test
// fails, onFailure() keeps a screenshot of every open page under
// build/test-artifacts/. CHROMIUM overrides the executable.
import { chromium } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = path.resolve(here, '../../../build/test-artifacts');
const EXECUTABLE = process.env.CHROMIUM || '/usr/bin/chromium';

// The flags this machine needs: no sandbox as root, and no background
// traffic (the network is closed; Chromium would otherwise retry for ever).
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage'];

export async function openBrowser() {
  const browser = await chromium.launch({ executablePath: EXECUTABLE, headless: true, args: ARGS });
  const pages = new Set();
  return {
    browser,
    /** A new context + page; opts go to newContext (e.g. viewport). Console
     *  errors and CSP violations are collected in page.problems. */
    async page(opts = {}) {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...opts });
      const page = await ctx.newPage();
      page.problems = [];
      // HTTP error statuses the app handles (a 401 probe, a 409 shown to the
      // user) are logged by Chromium as "Failed to load resource": not a fault.
      page.on('console', (m) => {
        if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) page.problems.push(m.text());
      });
      page.on('pageerror', (e) => page.problems.push(String(e)));
      pages.add(page);
      return page;
    },
    /** Screenshots of every open page, named after the test. */
    async onFailure(name) {
      mkdirSync(ARTIFACTS, { recursive: true });
      let i = 0;
      for (const p of pages) {
        if (p.isClosed()) continue;
        const file = path.join(ARTIFACTS, `${name.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 80)}-${i++}.png`);
        await p.screenshot({ path: file, fullPage: true }).catch(() => {});
      }
    },
    async close() { await browser.close(); },
  };
}

/** Wraps node:test's test() so a failure leaves screenshots behind. */
export function withShots(b, name, fn) {
  return async (t) => {
    try {
      await fn(t);
    } catch (err) {
      await b().onFailure(name);
      throw err;
    }
  };
}

/** Signs in through the form, as a person would. */
export async function signIn(page, srv, key, next = '/') {
  await page.goto(`${srv.url}/sign-in?next=${encodeURIComponent(next)}`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
}

/** Runs axe-core (WCAG 2.0/2.1/2.2 A and AA rules) and fails on any violation. */
export async function expectNoAxeViolations(page, where) {
  const res = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'])
    .analyze();
  const v = res.violations.map((x) => `${x.id} (${x.impact}): ${x.help} — ${x.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
  assert.deepEqual(v, [], `axe violations on ${where}`);
  return res;
}

/** Fails when the page logged errors (script errors, uncaught exceptions, CSP violations). */
export function expectNoProblems(page) {
  assert.deepEqual(page.problems, [], 'console errors on the page');
}
