// ratelimit: rate limits hold per key across the cluster (SPEC §7). With
// three instances on one PostgreSQL database and a budget of N requests per
// minute, requests spread round-robin over the instances get N answers in
// total, then 429 with the error envelope and Retry-After on every
// instance; the same holds for sign-in attempts per client address. The
// budgets live in the database (rate_buckets, store.h rate_take), which
// sweeps buckets that have refilled; when the bucket cannot be read each
// instance falls back to its own in-process limit. Limits are tiny, so no bucket refills
// while a test runs (one request per 10 s or more).
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startCluster } from './lib/cluster.mjs';

const SPACES = '/api/v1/spaces';

function psql(db, sql) {
  return execFileSync('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', db, '-c', sql],
    { encoding: 'utf8' }).trim();
}

function assert429(res, limit, what) {
  assert.equal(res.status, 429, `${what}: expected 429, got ${res.status}: ${res.text}`);
  assert.deepEqual(Object.keys(res.body).sort(), ['errors', 'traceId']);
  assert.equal(res.body.errors[0].code, 'DP-429-RATE-LIMITED');
  assert.equal(res.body.errors[0].status, '429');
  const retry = res.headers.get('retry-after');
  assert.match(retry || '', /^[1-9][0-9]*$/, `${what}: Retry-After ${retry}`);
  assert.ok(Number(retry) <= Math.ceil(60 / limit), `${what}: Retry-After ${retry} > 60/${limit}`);
  assert.equal(res.headers.get('ratelimit-limit'), String(limit));
  assert.equal(res.headers.get('ratelimit-remaining'), '0');
}

test('N reads a minute per key: N allowed over three instances in all, then 429 on each', async () => {
  const N = 6;
  const c = await startCluster(3, { args: ['--rate-limit-tier1', String(N), '--rate-limit-tier2', '0'] });
  try {
    // a stale bucket (refilled long ago) of a key nobody uses: swept by the
    // first instance that counts a request
    psql(c.db, "INSERT INTO rate_buckets VALUES ('stale-key', 1, 1, 1, true)");
    const remaining = [];
    for (let i = 0; i < N; i++) {
      const s = c.servers[i % 3];
      const res = await s.api('GET', SPACES);
      assert.equal(res.status, 200, `request ${i + 1} on instance ${i % 3}: ${res.text}`);
      assert.equal(res.headers.get('ratelimit-limit'), String(N));
      remaining.push(Number(res.headers.get('ratelimit-remaining')));
    }
    // one budget: it counts down across the instances
    assert.deepEqual(remaining, [5, 4, 3, 2, 1, 0]);
    for (let i = 0; i < 6; i++) assert429(await c.servers[i % 3].api('GET', SPACES), N, `instance ${i % 3}`);
    // writes have their own budget (unlimited here): still answered
    const w = await c.servers[1].api('POST', SPACES, { body: { name: 'after the reads', type: 'shared' } });
    assert.equal(w.status, 201, w.text);
    // the stale bucket is gone; the key's reads are one bucket for all instances
    assert.equal(psql(c.db, "SELECT count(*) FROM rate_buckets WHERE key = 'stale-key'"), '0');
    assert.equal(psql(c.db, 'SELECT count(*) FROM rate_buckets WHERE bucket = 1'), '1');
  } finally {
    await c.stop();
  }
});

test('a concurrent burst over three instances: exactly N of 3N requests are allowed', async () => {
  const N = 10;
  const c = await startCluster(3, { args: ['--rate-limit-tier1', String(N), '--rate-limit-tier2', '0'] });
  try {
    const all = await Promise.all(Array.from({ length: 3 * N },
      (_, i) => c.servers[i % 3].api('GET', SPACES)));
    const ok = all.filter((r) => r.status === 200).length;
    const limited = all.filter((r) => r.status === 429);
    assert.equal(ok, N, `statuses: ${all.map((r) => r.status)}`);
    assert.equal(limited.length, 2 * N);
    for (const r of limited) assert429(r, N, 'burst');
  } finally {
    await c.stop();
  }
});

test('when the shared bucket cannot be read, the instance limits by itself (neither open nor closed)', async () => {
  const N = 3;
  // rate_take fails on every call (the fault injector): as if the statement met a broken database
  const c = await startCluster(2, {
    args: ['--rate-limit-tier1', String(N), '--rate-limit-tier2', '0'],
    env: { DP_FAULT_INJECT: 'rate_take' },
  });
  try {
    for (const [i, s] of c.servers.entries()) {
      for (let k = 0; k < N; k++) assert.equal((await s.api('GET', SPACES)).status, 200, `instance ${i}`);
      assert429(await s.api('GET', SPACES), N, `instance ${i}, in-process`);
    }
  } finally {
    await c.stop();
  }
});

test('sign-in attempts per client address hold across instances', async () => {
  const N = 4;
  const c = await startCluster(2, { args: ['--sign-in-rate-limit', String(N)] });
  try {
    const statuses = [];
    for (let i = 0; i < N; i++) {
      const res = await c.servers[i % 2].api('POST', '/auth/sign-in',
        { key: null, body: { apiKey: 'not-a-key' }, headers: { Origin: c.servers[i % 2].url } });
      statuses.push(res.status);
    }
    assert.ok(!statuses.includes(429), `within the budget: ${statuses}`);
    for (let i = 0; i < 2; i++) {
      const res = await c.servers[i].api('POST', '/auth/sign-in',
        { key: null, body: { apiKey: 'not-a-key' }, headers: { Origin: c.servers[i].url } });
      assert.equal(res.status, 429, `instance ${i}: ${res.text}`);
      assert.equal(res.body.errors[0].code, 'DP-429-RATE-LIMITED');
      assert.match(res.headers.get('retry-after') || '', /^[1-9][0-9]*$/);
    }
  } finally {
    await c.stop();
  }
});
