// outage: a server on PostgreSQL through database outages and crashes (SPEC
// §7, issue 11). Each test runs on a throwaway cluster of this file's own
// (tests/tools/pg-cluster.sh), which it kills:
//
// - the database goes down (SIGKILL to the postmaster and every backend)
//   while two clients write: writes answer 503 with the error envelope and
//   Retry-After -- never 500, never a hang, never a crash -- and /ready says
//   503; the cluster comes back (crash recovery) and the same server
//   process answers 201 again within seconds and /ready 200. Every write
//   acknowledged before the crash is there (fsync on; the cluster's default
//   synchronous_commit=off is overridden by the server's sessions).
// - the database restarts (fast shutdown) under writes: 503s at most, then
//   201 again from the same process.
// - the database dies while a write's COMMIT runs: 503 saying that the
//   outcome is unknown (it may have been applied), never 500.
// - the server is SIGKILLed while two clients write: a new server on the
//   same database finds every acknowledged write.
// - a cluster running with fsync=off: serve refuses to start, naming it.
//
// Run by `make test-migrate-pg` (node --test pg/); needs PostgreSQL 15
// (PG_BIN), not DP_TEST_PG_URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, BIN } from '../api/lib/server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLUSTER = path.resolve(here, '../tools/pg-cluster.sh');
const ARGS = ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0', '--workers', '1'];
const SPACES = '/api/v1/spaces';
const HANG_MS = 10000; // no answer may take longer than this
const RECOVER_MS = 15000; // the server answers 2xx again this soon after the database is back

function cluster(cmd, dir, env = {}) {
  return execFileSync(CLUSTER, [cmd, dir], { encoding: 'utf8', env: { ...process.env, ...env } }).trim();
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, cond, ms) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** One request with a deadline; {status, body, retryAfter, ms} (status 0: no answer). */
async function call(srv, method, p, body) {
  const t0 = Date.now();
  try {
    const res = await fetch(srv.url + p, {
      method,
      headers: { Authorization: `Bearer ${srv.key}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(HANG_MS + 5000),
    });
    const text = await res.text();
    let json;
    try { json = JSON.parse(text); } catch { json = undefined; }
    return { status: res.status, body: json, text, retryAfter: res.headers.get('retry-after'), ms: Date.now() - t0, t: t0 };
  } catch (e) {
    return { status: 0, error: String(e), ms: Date.now() - t0, t: t0 };
  }
}

/** n clients creating spaces one after another until stop(). */
function writers(srv, n, tag) {
  const w = { results: [], acked: new Map(), stopped: false };
  let seq = 0;
  const loop = async () => {
    while (!w.stopped) {
      const name = `${tag}-${++seq}`;
      const r = await call(srv, 'POST', SPACES, { name, type: 'shared' });
      r.name = name;
      w.results.push(r);
      if (r.status === 201) w.acked.set(r.body.id, name);
      await sleep(r.status === 201 ? 5 : 25);
    }
  };
  const loops = Array.from({ length: n }, loop);
  w.stop = async () => { w.stopped = true; await Promise.all(loops); };
  w.since = (t) => w.results.filter((r) => r.t >= t);
  return w;
}

function assert503(r, what) {
  assert.equal(r.status, 503, `${what}: ${r.status} ${r.text || r.error}`);
  assert.deepEqual(Object.keys(r.body || {}).sort(), ['errors', 'traceId'], `${what}: ${r.text}`);
  assert.match(r.body.errors[0].code, /^DP-503-/, what);
  assert.equal(r.body.errors[0].status, '503', what);
  assert.match(r.retryAfter || '', /^[1-9][0-9]*$/, `${what}: Retry-After ${r.retryAfter}`);
}

/** Every acknowledged space is there, with its name. */
async function assertAllPresent(srv, acked) {
  for (const [id, name] of acked) {
    const r = await call(srv, 'GET', `${SPACES}/${id}`);
    assert.equal(r.status, 200, `acknowledged space ${name} (${id}) is missing: ${r.status} ${r.text}`);
    assert.equal(r.body.name, name);
  }
}

let dir;
let url;
let adminKey; // of the tenant the first test bootstraps

before(() => {
  dir = mkdtempSync('/tmp/dp-outage-');
  // fsync on, but asynchronous commit by default, with the WAL writer
  // flushing only every 10 s: a crash then loses the last commits unless the
  // server's own sessions turn synchronous_commit back on (pg.c connect_db)
  url = cluster('start', dir, { PG_EXTRA_OPTS: '-c synchronous_commit=off -c wal_writer_delay=10000ms' });
});

after(() => {
  if (dir) cluster('stop', dir);
});

test('database down during writes: 503 + envelope + Retry-After, /ready 503; back up: 201 and /ready 200 without a restart; no acknowledged write lost', async () => {
  const srv = await startServer({ db: url, args: ARGS });
  adminKey = srv.key;
  let w;
  try {
    w = writers(srv, 2, 'outage');
    await until('10 acknowledged writes', () => w.acked.size >= 10, 10000);
    const ackedBefore = new Map(w.acked);

    cluster('kill', dir);
    const downAt = Date.now();
    await until('a 503 after the crash', () => w.since(downAt).some((r) => r.status === 503), HANG_MS);
    await sleep(1000);
    const ready = await call(srv, 'GET', '/ready');
    assert503(ready, '/ready while the database is down');
    const health = await call(srv, 'GET', '/health');
    assert.equal(health.status, 200, 'the process itself is alive');

    cluster('restart', dir);
    const upAt = Date.now();
    await until('a 201 after the database is back', () => w.since(upAt).some((r) => r.status === 201), RECOVER_MS);
    const recoveredMs = Date.now() - upAt;
    await until('/ready 200', async () => (await call(srv, 'GET', '/ready')).status === 200, 5000);
    await sleep(300);
    await w.stop();

    const during = w.since(downAt).filter((r) => r.t < upAt);
    assert.ok(during.length > 0, 'requests were made during the outage');
    for (const r of w.results) {
      assert.ok(r.ms < HANG_MS, `a request took ${r.ms} ms`);
      if (r.status !== 201) assert503(r, `write ${r.name}`);
    }
    assert.equal(srv.child.exitCode, null, 'the server is still running');
    const n503 = w.results.filter((r) => r.status === 503).length;
    console.log(`# ${w.results.length} writes: ${w.acked.size} acknowledged, ${n503} 503;` +
      ` back ${recoveredMs} ms after the database restarted`);

    // kill -9 of the postmaster (fsync on): every acknowledged write survived
    assert.ok(ackedBefore.size >= 10);
    await assertAllPresent(srv, w.acked);
  } finally {
    if (w && !w.stopped) await w.stop();
    await srv.stop();
  }
});

test('database restarted (fast shutdown) under writes: only 201 and 503, then 201 again without a restart', async () => {
  const srv = await startServer({ db: url, args: ARGS, skipBootstrap: true });
  srv.key = adminKey;
  let w;
  try {
    w = writers(srv, 2, 'restart');
    await until('5 acknowledged writes', () => w.acked.size >= 5, 10000);
    cluster('halt', dir);
    const downAt = Date.now();
    await sleep(500);
    cluster('restart', dir);
    const upAt = Date.now();
    await until('a 201 after the restart', () => w.since(upAt).some((r) => r.status === 201), RECOVER_MS);
    await w.stop();
    assert.ok(w.since(downAt).length > 0);
    for (const r of w.results) {
      assert.ok(r.ms < HANG_MS, `a request took ${r.ms} ms`);
      if (r.status !== 201) assert503(r, `write ${r.name}`);
    }
    await assertAllPresent(srv, w.acked);
  } finally {
    if (w && !w.stopped) await w.stop();
    await srv.stop();
  }
});

test('database down during a COMMIT: 503 saying the outcome is unknown, never 500', async () => {
  // a deferred constraint trigger makes the COMMIT of one space slow; the
  // database dies while it runs
  execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', url, '-c',
    'CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS'
    + ' $$BEGIN PERFORM pg_sleep(3); RETURN NULL; END$$;'
    + ' CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON spaces DEFERRABLE INITIALLY DEFERRED'
    + " FOR EACH ROW WHEN (NEW.name = 'slow commit') EXECUTE FUNCTION slow_commit()"]);
  const srv = await startServer({ db: url, args: ARGS, skipBootstrap: true });
  srv.key = adminKey;
  try {
    const pending = call(srv, 'POST', SPACES, { name: 'slow commit', type: 'shared' });
    await until('the COMMIT to be running', () => {
      const out = execFileSync('psql', ['-X', '-A', '-t', url, '-c',
        "SELECT count(*) FROM pg_stat_activity WHERE query = 'COMMIT' AND state = 'active'"], { encoding: 'utf8' });
      return out.trim() === '1';
    }, 5000);
    cluster('kill', dir);
    const r = await pending;
    assert503(r, 'a write whose COMMIT lost its connection');
    assert.match(r.body.errors[0].detail, /may or may not have been applied/);
    cluster('restart', dir);
    const ok = await call(srv, 'POST', SPACES, { name: 'after the commit loss', type: 'shared' });
    assert.equal(ok.status, 201, ok.text);
  } finally {
    await srv.stop();
  }
});

test('server SIGKILLed during writes: every acknowledged write is there after a restart', async () => {
  let srv = await startServer({ db: url, args: ARGS, skipBootstrap: true });
  // the admin key of the first test's bootstrap: make a fresh one here
  const key = JSON.parse(execFileSync(BIN, ['bootstrap', '--db', url, '--tenant', 'kill9', '--email', 'k@example.com'],
    { encoding: 'utf8' })).apiKey;
  srv.key = key;
  let w;
  try {
    w = writers(srv, 2, 'kill9');
    await until('20 acknowledged writes', () => w.acked.size >= 20, 10000);
    await srv.kill9();
    await w.stop();
    srv = await startServer({ db: url, args: ARGS, skipBootstrap: true });
    srv.key = key;
    await assertAllPresent(srv, w.acked);
    // and it takes writes again
    const r = await call(srv, 'POST', SPACES, { name: 'after kill9', type: 'shared' });
    assert.equal(r.status, 201, r.text);
  } finally {
    if (w && !w.stopped) await w.stop();
    await srv.stop();
  }
});

test('a PostgreSQL server with fsync=off: serve refuses to start, naming it', () => {
  const d = mkdtempSync('/tmp/dp-nofsync-');
  try {
    const u = cluster('start', d, { PG_EXTRA_OPTS: '-c fsync=off' });
    const t0 = Date.now();
    const r = spawnSync(BIN, ['serve', '--listen', '127.0.0.1:0', '--db', u, '--data-root', path.join(d, 'root')],
      { encoding: 'utf8', timeout: 20000 });
    // a server that started would run until the timeout's SIGTERM (and exit 0)
    assert.ok(Date.now() - t0 < 15000, `serve kept running: ${r.stderr}`);
    assert.notEqual(r.status, 0, `serve exited ${r.status} ${r.signal}: ${r.stderr}`);
    assert.match(r.stderr, /fsync=off/);
    assert.match(r.stderr, /refusing to start/);
  } finally {
    cluster('stop', d);
    rmSync(d, { recursive: true, force: true });
  }
});
