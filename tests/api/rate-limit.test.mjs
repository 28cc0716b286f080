// rate-limit: per-API-key, per-tier limits (SPEC §2 "Rate limits"). Tier 1 =
// reads, Tier 2 = writes and actions; each (key, tier) has its own budget of
// N requests per minute (GCRA, burst N). Every authenticated response of a
// limited route carries RateLimit-Limit / -Remaining / -Reset; over the limit
// the answer is 429 DP-429-RATE-LIMITED with Retry-After. The limits are tiny
// so that refilling (one request per 12 s or 20 s) cannot happen while a
// test runs; exact refill timing is covered by tests/unit/test_ratelimit.c.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, bootstrap, MISSING_ID } from './lib/server.mjs';

const SPACES = '/api/v1/spaces';
const DP = '/api/data-governance/data-products';

let seq = 0;
const spaceBody = () => ({ name: `rl-space-${process.pid}-${++seq}`, type: 'shared' });

/** The RateLimit-* headers as numbers (NaN when missing). */
function limits(res) {
  const num = (h) => {
    const v = res.headers.get(h);
    if (v === null) return NaN;
    assert.match(v, /^[0-9]+$/, `${h}: ${v}`);
    return Number(v);
  };
  return { limit: num('ratelimit-limit'), remaining: num('ratelimit-remaining'), reset: num('ratelimit-reset') };
}

function assertNoLimitHeaders(res, what) {
  for (const h of ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'retry-after']) {
    assert.equal(res.headers.get(h), null, `${what}: unexpected ${h}`);
  }
}

/** Asserts a 429 with the full envelope and headers; returns Retry-After. */
function assert429(res, tier, limit) {
  assert.equal(res.status, 429, `expected 429, got ${res.status}: ${res.text}`);
  assert.match(res.headers.get('content-type') || '', /^application\/json/);
  assert.deepEqual(Object.keys(res.body).sort(), ['errors', 'traceId']);
  assert.equal(res.body.errors.length, 1);
  const e = res.body.errors[0];
  assert.equal(e.code, 'DP-429-RATE-LIMITED');
  assert.equal(e.status, '429');
  assert.equal(e.title, 'Too many requests');
  assert.match(e.detail, new RegExp(`Tier ${tier}\\b.*\\b${limit} requests per minute`), e.detail);
  assert.equal(res.body.traceId, res.headers.get('x-trace-id'));
  const retry = res.headers.get('retry-after');
  assert.match(retry || '', /^[1-9][0-9]*$/, `Retry-After: ${retry}`);
  const l = limits(res);
  assert.equal(l.limit, limit);
  assert.equal(l.remaining, 0);
  // one request frees up every 60/limit s; the bucket is full only later
  assert.ok(Number(retry) <= Math.ceil(60 / limit), `Retry-After ${retry} > 60/${limit}`);
  assert.ok(l.reset >= Number(retry) && l.reset <= 60, `RateLimit-Reset ${l.reset}`);
  return Number(retry);
}

async function rateLimitedTotal(srv) {
  const res = await srv.api('GET', '/metrics', { key: null });
  assert.equal(res.status, 200);
  const m = /^dp_rate_limited_total (\d+)$/m.exec(res.text);
  assert.ok(m, 'dp_rate_limited_total is exported');
  return Number(m[1]);
}

describe('limits from flags: --rate-limit-tier1 5 --rate-limit-tier2 3', () => {
  let srv;
  let limited = 0; // 429s this server has sent so far

  before(async () => {
    srv = await startServer({ args: ['--rate-limit-tier1', '5', '--rate-limit-tier2', '3'] });
  });
  after(async () => { await srv?.stop(); });

  test('writes: 3 allowed with RateLimit-* counting down, the 4th gets 429', async () => {
    for (let i = 1; i <= 3; i++) {
      const res = await srv.api('POST', SPACES, { body: spaceBody() });
      assert.equal(res.status, 201, res.text);
      const l = limits(res);
      assert.equal(l.limit, 3);
      assert.equal(l.remaining, 3 - i);
      assert.ok(l.reset >= 1 && l.reset <= 60, `RateLimit-Reset ${l.reset}`);
      assert.equal(res.headers.get('retry-after'), null, 'no Retry-After on success');
    }
    assert429(await srv.api('POST', SPACES, { body: spaceBody() }), 2, 3);
    limited++;
  });

  test('the Tier 2 budget is shared by all write routes of the key', async () => {
    assert429(await srv.api('POST', '/api/v1/data-sets', { body: { name: 'd', technicalName: 'd' } }), 2, 3);
    assert429(await srv.api('POST', DP, { body: { name: 'p' } }), 2, 3);
    assert429(await srv.api('PATCH', `${DP}/${MISSING_ID}`, { body: [{ op: 'replace', path: '/name', value: 'x' }] }), 2, 3);
    assert429(await srv.api('DELETE', `${DP}/${MISSING_ID}`), 2, 3);
    limited += 4;
  });

  test('the limit is checked right after authentication: before path ids, media type and body', async () => {
    assert429(await srv.api('POST', SPACES, { raw: '{not json', headers: { 'Content-Type': 'application/json' } }), 2, 3);
    assert429(await srv.api('POST', SPACES, { raw: 'x', headers: { 'Content-Type': 'text/plain' } }), 2, 3);
    assert429(await srv.api('DELETE', `${DP}/NOT-A-GUID`), 2, 3);
    limited += 3;
  });

  test('reads have their own budget; errors after authentication count and carry the headers', async () => {
    // Tier 2 is used up, Tier 1 is untouched.
    let res = await srv.api('GET', SPACES);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.meta.count, 3, 'the refused writes created nothing');
    assert.deepEqual([limits(res).limit, limits(res).remaining], [5, 4]);

    res = await srv.api('GET', `${SPACES}/not-a-guid`);
    assert.equal(res.status, 400);
    assert.equal(res.body.errors[0].code, 'DP-400-INVALID-ID');
    assert.deepEqual([limits(res).limit, limits(res).remaining], [5, 3]);

    res = await srv.api('GET', `${SPACES}/${MISSING_ID}`);
    assert.equal(res.status, 404);
    assert.deepEqual([limits(res).limit, limits(res).remaining], [5, 2]);

    res = await srv.api('GET', DP);
    assert.equal(res.status, 200);
    assert.equal(limits(res).remaining, 1);
    res = await srv.api('GET', `${DP}/${MISSING_ID}/changelogs`);
    assert.equal(res.status, 404);
    assert.equal(limits(res).remaining, 0);

    assert429(await srv.api('GET', SPACES), 1, 5);
    assert429(await srv.api('GET', `${DP}/${MISSING_ID}`), 1, 5);
    limited += 2;
  });

  test('another API key of the same tenant has its own budgets', async () => {
    const other = bootstrap(srv.db, 'default', 'second-admin@example.com');
    assert.notEqual(other.apiKey, srv.key);
    let res = await srv.api('POST', SPACES, { body: spaceBody(), key: other.apiKey });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual([limits(res).limit, limits(res).remaining], [3, 2]);
    res = await srv.api('GET', SPACES, { key: other.apiKey });
    assert.equal(res.status, 200);
    assert.deepEqual([limits(res).limit, limits(res).remaining], [5, 4]);
    // the first key is still limited
    assert429(await srv.api('POST', SPACES, { body: spaceBody() }), 2, 3);
    limited++;
  });

  test('the budget belongs to the key, not the user: a new key of the same admin starts full', async () => {
    const again = bootstrap(srv.db, 'default', 'admin@example.com');
    assert.equal(again.userId, srv.admin.userId);
    assert.notEqual(again.apiKey, srv.key);
    const res = await srv.api('POST', SPACES, { body: spaceBody(), key: again.apiKey });
    assert.equal(res.status, 201, res.text);
    assert.equal(limits(res).remaining, 2);
  });

  test('unauthenticated requests are answered 401 without RateLimit-* and are never limited', async () => {
    for (let i = 0; i < 10; i++) {
      const res = await srv.api('GET', SPACES, { key: 'dp_not-a-real-key' });
      assert.equal(res.status, 401);
      assertNoLimitHeaders(res, '401');
    }
    const res = await srv.api('POST', SPACES, { body: spaceBody(), key: null });
    assert.equal(res.status, 401);
    assertNoLimitHeaders(res, '401 without key');
  });

  test('/health, /ready, /metrics and /api/openapi.json are never limited, even with a used-up key', async () => {
    for (const p of ['/health', '/ready', '/metrics', '/api/openapi.json']) {
      for (let i = 0; i < 12; i++) {
        const res = await srv.api('GET', p); // sends the exhausted key's Authorization header
        assert.equal(res.status, 200, `${p}: ${res.status}`);
        assertNoLimitHeaders(res, p);
      }
    }
  });

  test('/metrics counts every 429 in dp_rate_limited_total and by status', async () => {
    assert.equal(limited, 11);
    assert.equal(await rateLimitedTotal(srv), limited);
    const text = (await srv.api('GET', '/metrics')).text;
    const by429 = [...text.matchAll(/^dp_http_requests_total\{.*,status="429"\} (\d+)$/gm)]
      .reduce((n, m) => n + Number(m[1]), 0);
    assert.equal(by429, limited);
    // POST /api/v1/spaces: 1 (first test) + 2 (bad JSON, text/plain) + 1 (first key, later)
    assert.match(text, /^dp_http_requests_total\{method="POST",route="\/api\/v1\/spaces",status="429"\} 4$/m);
  });
});

describe('--rate-limit-tier2 0 is unlimited (and beats DP_RATE_LIMIT_TIER2); Tier 1 defaults to 1000', () => {
  let srv;
  before(async () => {
    srv = await startServer({ args: ['--rate-limit-tier2', '0'], env: { DP_RATE_LIMIT_TIER2: '1' } });
  });
  after(async () => { await srv?.stop(); });

  test('50 writes in a row: no 429, no RateLimit-* headers', async () => {
    for (let i = 0; i < 50; i++) {
      const res = await srv.api('POST', SPACES, { body: spaceBody() });
      assert.equal(res.status, 201, `write ${i + 1}: ${res.status} ${res.text}`);
      assertNoLimitHeaders(res, `write ${i + 1}`);
    }
    assert.equal(await rateLimitedTotal(srv), 0);
  });

  test('reads are still limited, with the default 1000 per minute', async () => {
    const res = await srv.api('GET', SPACES);
    assert.equal(res.status, 200);
    assert.deepEqual([limits(res).limit, limits(res).remaining], [1000, 999]);
  });
});

describe('limits from the environment: DP_RATE_LIMIT_TIER1=2, DP_RATE_LIMIT_TIER2=2', () => {
  let srv;
  before(async () => {
    srv = await startServer({ env: { DP_RATE_LIMIT_TIER1: '2', DP_RATE_LIMIT_TIER2: '2' } });
  });
  after(async () => { await srv?.stop(); });

  test('the third read and the third write are refused', async () => {
    for (let i = 1; i <= 2; i++) {
      const r = await srv.api('GET', SPACES);
      assert.equal(r.status, 200);
      assert.deepEqual([limits(r).limit, limits(r).remaining], [2, 2 - i]);
      const w = await srv.api('POST', SPACES, { body: spaceBody() });
      assert.equal(w.status, 201);
      assert.deepEqual([limits(w).limit, limits(w).remaining], [2, 2 - i]);
    }
    assert429(await srv.api('GET', SPACES), 1, 2);
    assert429(await srv.api('POST', SPACES, { body: spaceBody() }), 2, 2);
    assert.equal(await rateLimitedTotal(srv), 2);
  });
});
