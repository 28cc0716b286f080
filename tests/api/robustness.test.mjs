// robustness: hostile bytes in paths, keys and bodies get a 4xx envelope and
// never take the server down (regression: a %FF path used to abort()).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

async function alive() {
  const res = await srv.api('GET', '/health', { key: null });
  assert.equal(res.status, 200, 'server still serves');
}

test('a path that decodes to invalid UTF-8 gets a 404 envelope', async () => {
  const res = await srv.api('GET', '/api/%FF%C3%28');
  assert.equal(res.status, 404);
  assert.equal(res.body.errors[0].code, 'DP-404-ROUTE-NOT-FOUND');
  await alive();
});

test('an id segment with invalid UTF-8 is a 400 invalid id', async () => {
  const res = await srv.api('GET', '/api/data-governance/data-products/%FF%FE');
  assert.equal(res.status, 400);
  assert.equal(res.body.errors[0].code, 'DP-400-INVALID-ID');
  await alive();
});

test('a body that is not UTF-8 is rejected as invalid JSON', async () => {
  const raw = Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]);
  const res = await srv.api('POST', '/api/data-governance/data-products', {
    raw, headers: { 'Content-Type': 'application/json' },
  });
  assert.equal(res.status, 400);
  assert.equal(res.body.errors[0].code, 'DP-400-INVALID-JSON');
  await alive();
});

test('a long multi-byte unknown field name is quoted without breaking UTF-8', async () => {
  const res = await srv.api('POST', '/api/data-governance/data-products', {
    body: { name: 'x', ['é'.repeat(100)]: 1 },
  });
  assert.equal(res.status, 400);
  assert.equal(res.body.errors[0].code, 'DP-400-VALIDATION');
  assert.match(res.body.errors[0].detail, /unknown field 'é+/);
  assert.ok(!res.text.includes('\uFFFD'), 'no replacement characters: the JSON was valid UTF-8');
  await alive();
});

test('NUL and control characters in a query value are handled', async () => {
  const res = await srv.api('GET', '/api/data-governance/data-products?query=%00%01%1F');
  assert.ok([200, 400].includes(res.status));
  await alive();
});

test('an Authorization header with hostile bytes is a plain 401', async () => {
  const res = await srv.api('GET', '/api/data-governance/data-products', {
    key: null, headers: { Authorization: `Bearer ${'\u00ff'.repeat(300)}` },
  });
  assert.equal(res.status, 401);
  await alive();
});

test('search: quotes and FTS syntax in `query` are literal text; 1-2 character queries work', async () => {
  const DP = '/api/data-governance/data-products';
  const made = await srv.api('POST', DP, { body: { name: 'He said "hi" AND NEAR(x) *', description: 'ab' } });
  assert.equal(made.status, 201);
  for (const [q, found] of [['"hi"', true], ['said "h', true], ['AND NEAR(', true], ['ab', true], ['a', true],
    ['"nope"', false], ['NEAR(y)', false]]) {
    const res = await srv.api('GET', `${DP}?query=${encodeURIComponent(q)}`);
    assert.equal(res.status, 200, `${q}: ${res.text}`);
    assert.equal(res.body.data.some((p) => p.id === made.body.id), found, `query ${q}`);
  }
  await alive();
});
