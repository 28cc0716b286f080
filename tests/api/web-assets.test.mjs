// web-assets: how the server serves the embedded web app (SPEC §6,
// src/api/web.c): every page is index.html with the security headers and
// revalidation; assets live under /assets/<build>/ with year-long immutable
// caching, in the best precompressed encoding the client accepts; another
// build's asset is 404; ETags answer 304.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import { startServer } from './lib/server.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv?.stop(); });

/** GET with exact headers (fetch would decompress and hide the encoding). */
function get(p, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(`${srv.url}${p}`, { headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
  });
}

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
  + "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
  + "frame-ancestors 'none'";

function assertSecurityHeaders(res, what) {
  assert.equal(res.headers['content-security-policy'], CSP, what);
  assert.equal(res.headers['x-content-type-options'], 'nosniff', what);
  assert.equal(res.headers['referrer-policy'], 'same-origin', what);
}

async function build() {
  const page = await get('/');
  const m = /\/assets\/([0-9a-f]{12})\/app\.js/.exec(page.body.toString());
  assert.ok(m, 'index.html names the build');
  return m[1];
}

test('every page of the app is index.html with the security headers and no-cache', async () => {
  for (const p of ['/', '/sign-in', '/my', '/products/new', '/products/0b5c3d1e-1111-4222-8333-444455556666',
    '/products/not-a-guid', '/products/0b5c3d1e-1111-4222-8333-444455556666/edit']) {
    const res = await get(p);
    assert.equal(res.status, 200, p);
    assert.match(res.headers['content-type'], /^text\/html; charset=utf-8$/, p);
    assert.equal(res.headers['cache-control'], 'no-cache', p);
    assertSecurityHeaders(res, p);
    const html = res.body.toString();
    assert.match(html, /<html lang="en">/);
    assert.doesNotMatch(html, /<script>|<script(?![^>]*\bsrc=)[^>]*>|style=/, 'no inline script or style');
  }
});

test('assets are immutable, precompressed (br, gzip, identity) and identical after decoding', async () => {
  const b = await build();
  const plain = await get(`/assets/${b}/app.js`);
  assert.equal(plain.status, 200);
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal(plain.headers.vary, 'Accept-Encoding');
  assert.match(plain.headers['content-type'], /^text\/javascript/);
  assertSecurityHeaders(plain, 'asset');
  const gz = await get(`/assets/${b}/app.js`, { 'Accept-Encoding': 'gzip' });
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.deepEqual(gunzipSync(gz.body), plain.body);
  const br = await get(`/assets/${b}/app.js`, { 'Accept-Encoding': 'gzip, deflate, br' });
  assert.equal(br.headers['content-encoding'], 'br', 'brotli preferred when offered (the build has the brotli tool)');
  assert.deepEqual(brotliDecompressSync(br.body), plain.body);
  assert.ok(br.body.length < gz.body.length && gz.body.length < plain.body.length);
  const refused = await get(`/assets/${b}/app.js`, { 'Accept-Encoding': 'br;q=0, gzip;q=0' });
  assert.equal(refused.headers['content-encoding'], undefined, 'q=0 refuses an encoding');
  const css = await get(`/assets/${b}/app.css`, { 'Accept-Encoding': 'gzip' });
  assert.match(css.headers['content-type'], /^text\/css/);
});

test('an ETag match answers 304 without a body', async () => {
  const b = await build();
  const first = await get(`/assets/${b}/app.css`);
  const again = await get(`/assets/${b}/app.css`, { 'If-None-Match': first.headers.etag });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);
  const page = await get('/');
  assert.equal((await get('/', { 'If-None-Match': page.headers.etag })).status, 304);
});

test('another build, an unknown file and index.html under /assets are 404 envelopes', async () => {
  const b = await build();
  for (const p of [`/assets/000000000000/app.js`, `/assets/${b}/nope.js`, `/assets/${b}/index.html`]) {
    const res = await get(p);
    assert.equal(res.status, 404, p);
    const body = JSON.parse(res.body.toString());
    assert.equal(body.errors[0].code, 'DP-404-NOT-FOUND', p);
  }
});

test('the first load of the sign-in page transfers well under 150 KB (brotli)', async () => {
  const b = await build();
  let total = (await get('/', { 'Accept-Encoding': 'br' })).body.length;
  for (const f of ['app.js', 'app.css', 'api.js', 'dom.js', 'signin.js', 'favicon.svg']) {
    const res = await get(`/assets/${b}/${f}`, { 'Accept-Encoding': 'br' });
    assert.equal(res.status, 200, f);
    total += res.body.length;
  }
  assert.ok(total < 150 * 1024, `${total} bytes`);
});
