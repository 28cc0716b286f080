// The job queue across instances (SPEC §7: "each quality computation runs
// exactly once, and one instance's restart never steals or loses another's
// work"; docs/decisions.md "Issue 11 -- job queue across instances").
//
// Every server of a cluster reads the SAME data root (--data-root), as
// instances behind a load balancer would share a file system, so any of them
// can run any computation. A computation's row names its claim's owner (the
// instance id each server logs at start: "quality workers") and counts its
// claims (attempts); each finished run logs one "quality computation" line.
//
// A slow computation is a large CSV of narrow INTEGER columns (per-cell work
// dominates: a few seconds here). It is made once and hard-linked into each
// cluster's tenant directory. Leases are short (--job-lease-seconds 1) so
// that an expired one is taken back quickly; no timing is asserted, only
// outcomes (who ran what, how often, with which result).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCluster } from './lib/cluster.mjs';
import { dbSql } from '../api/lib/db.mjs';
import { DP, pause } from '../api/lib/fixtures.mjs';

const DQ = '/api/data-governance/data-qualities';
const NO_LIMITS = ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0'];
const SLOW_COLS = 200;
const SLOW_BYTES = 240 * 1000 * 1000;
const SMALL = 'id,amount\n1,10.5\n2,x\n3,\n';

let root;  // the data root every server of every cluster here reads
let files; // the files, linked into each cluster's tenant directory

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-jobs-'));
  files = path.join(root, '_files');
  fs.mkdirSync(files);
  fs.writeFileSync(path.join(files, 'small.csv'), SMALL);
  const line = Array(SLOW_COLS).fill('1').join(',') + '\n';
  const chunk = line.repeat(Math.ceil(1e6 / line.length));
  const fd = fs.openSync(path.join(files, 'slow.csv'), 'w');
  fs.writeSync(fd, Array.from({ length: SLOW_COLS }, (_, i) => `c${i}`).join(',') + '\n');
  for (let i = 0; i < Math.ceil(SLOW_BYTES / chunk.length); i++) fs.writeSync(fd, chunk);
  fs.closeSync(fd);
});

after(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

/** A cluster of n servers on one database and the shared data root. */
async function cluster(n, { workers = 1, lease = 1, perServer } = {}) {
  const c = await startCluster(n, {
    args: [...NO_LIMITS, '--data-root', root, '--workers', String(workers),
      '--job-lease-seconds', String(lease)],
    perServer,
  });
  const dir = path.join(root, c.admin.tenantId);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of ['small.csv', 'slow.csv']) fs.linkSync(path.join(files, f), path.join(dir, f));
  return c;
}

/** Stops what is still running; a server stopped with SIGSTOP is continued first. */
async function stopCluster(c) {
  for (const s of c.servers) if (s && s.child.exitCode === null) s.child.kill('SIGCONT');
  await c.stop();
}

async function dataSet(srv, name, file) {
  const fields = file === 'slow.csv'
    ? Array.from({ length: SLOW_COLS }, (_, i) => ({ name: `c${i}`, dataType: { type: 'INTEGER' } }))
    : [{ name: 'id', dataType: { type: 'INTEGER' } }, { name: 'amount', dataType: { type: 'DECIMAL' } }];
  const res = await srv.api('POST', '/api/v1/data-sets', {
    body: { name, technicalName: name.replace(/\W/g, '_'), operational: { location: file }, schema: { dataFields: fields } },
  });
  assert.equal(res.status, 201, res.text);
  return res.body.id;
}

async function compute(srv, datasetId) {
  const res = await srv.api('POST', `${DQ}/computations`, { body: { datasetId } });
  assert.equal(res.status, 202, res.text);
  return res.body.computationId;
}

async function waitFor(what, fn, ms = 60000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out after ${ms / 1000} s waiting for ${what}`);
    await pause(50);
  }
}

/** The computation's row: {status, attempts, owner, finished, result}. */
function row(c, id) {
  const r = dbSql(c.db, `SELECT status, attempts, coalesce(owner, ''), coalesce(finished_at, ''),`
    + ` coalesce(md5(result), '') FROM computations WHERE id = '${id}'`);
  const [status, attempts, owner, finished, result] = r.split('|');
  return { status, attempts: Number(attempts), owner, finished, result };
}

/** Finished, and its run logged (just after the commit). */
const finished = (c, id) => ['SUCCEEDED', 'FAILED'].includes(row(c, id).status)
  && runsOf(c.servers, id).length > 0;

/** The instance id a server logged at start. */
function instanceOf(srv) {
  const m = /"msg":"quality workers","instance":"([^"]+)"/.exec(srv.stderr);
  assert.ok(m, `no "quality workers" line:\n${srv.stderr}`);
  return m[1];
}

/** Every "quality computation" line (one per finished run) of one server. */
function runs(srv) {
  return srv.stderr.split('\n').filter((l) => l.includes('"msg":"quality computation"')).map((l) => JSON.parse(l));
}

/** The runs of computation id on every server: [{server, line}]. */
function runsOf(servers, id) {
  return servers.flatMap((s, i) => (s ? runs(s).filter((r) => r.computationId === id).map((line) => ({ server: i, line })) : []));
}

test('every computation runs exactly once with workers on every instance', async (t) => {
  const c = await cluster(3, { workers: 2, lease: 5 });
  try {
    const [a, b] = c.servers;
    const ids = [];
    const datasets = [];
    for (let i = 0; i < 12; i++) datasets.push(await dataSet(c.servers[i % 3], `small ${i}`, 'small.csv'));
    // one at a time through every instance ...
    for (let i = 0; i < datasets.length; i++) ids.push(await compute(c.servers[i % 3], datasets[i]));
    // ... and a batch of 6 through one
    const p = await b.api('POST', DP, { body: { name: 'jobs product', datasetIds: datasets.slice(0, 6) } });
    assert.equal(p.status, 201, p.text);
    const batch = await b.api('POST', `${DP}/${p.body.id}/actions/compute-datasets-data-quality`);
    assert.equal(batch.status, 202, batch.text);
    ids.push(...batch.body.datasetResponses.map((r) => r.computationId));
    assert.equal(new Set(ids).size, 18);

    await waitFor('every computation to finish', () => ids.every((id) => finished(c, id)));
    await pause(500); // a second run, were there one, would log too
    const instances = c.servers.map(instanceOf);
    const per = [0, 0, 0];
    for (const id of ids) {
      const r = row(c, id);
      assert.equal(r.status, 'SUCCEEDED', `${id}: ${JSON.stringify(r)}`);
      assert.equal(r.attempts, 1, `${id} was claimed once`);
      const ran = runsOf(c.servers, id);
      assert.equal(ran.length, 1, `${id} ran once: ${JSON.stringify(ran)}`);
      assert.equal(ran[0].line.instance, r.owner, 'the run is the claim\'s owner\'s');
      assert.equal(instances[ran[0].server], r.owner);
      per[ran[0].server]++;
    }
    t.diagnostic(`computations run per instance: ${per.join(', ')}`);
    const res = await a.api('GET', `${DQ}/computations/${ids[17]}`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.status, 'SUCCEEDED');
  } finally {
    await stopCluster(c);
  }
});

/** Requests the slow computation through srv and waits until some instance runs it. */
async function startSlow(c, srv) {
  const id = await compute(srv, await dataSet(srv, 'slow', 'slow.csv'));
  const r = await waitFor('the slow computation to be claimed', () => {
    const x = row(c, id);
    assert.notEqual(x.status, 'SUCCEEDED', 'the slow computation finished too soon: make SLOW_BYTES larger');
    return x.status === 'SUBMITTED' && x;
  });
  const instances = c.servers.map((s) => (s ? instanceOf(s) : null));
  const owner = instances.indexOf(r.owner);
  assert.ok(owner >= 0, `owner ${r.owner} is one of ${instances}`);
  return { id, owner };
}

test('kill -9 of the instance running a computation: another one runs it after the lease expires', async () => {
  const c = await cluster(2);
  try {
    const { id, owner } = await startSlow(c, c.servers[0]);
    const killed = c.servers[owner];
    const other = c.servers[1 - owner];
    await killed.kill9();
    c.servers[owner] = null; // stopped already
    await waitFor('the other instance to finish it', () => finished(c, id));
    const r = row(c, id);
    assert.equal(r.status, 'SUCCEEDED');
    assert.equal(r.attempts, 2, 'claimed by the killed instance, then by the other');
    assert.equal(r.owner, instanceOf(other));
    assert.equal(runs(killed).filter((x) => x.computationId === id).length, 0);
    const ran = runs(other).filter((x) => x.computationId === id);
    assert.equal(ran.length, 1);
    assert.equal(ran[0].attempt, 2);
    assert.match(other.stderr, /"msg":"recovered interrupted quality computations","requeued":1/);
    const res = await other.api('GET', `${DQ}/computations/${id}`);
    assert.deepEqual(res.body, { status: 'SUCCEEDED' });
  } finally {
    await stopCluster(c);
  }
});

test('a restart of one instance does not take the computation another is running', async () => {
  const c = await cluster(2);
  try {
    const { id, owner } = await startSlow(c, c.servers[0]);
    const runner = c.servers[owner];
    const restarted = 1 - owner;
    // a crash and a restart (the start-up recovery used to requeue every
    // running computation, the other instance's included)
    await c.servers[restarted].kill9();
    const again = await c.start(restarted);
    assert.match(again.stderr, /"msg":"quality workers"/);
    assert.equal(row(c, id).status, 'SUBMITTED',
      'the computation must still be running after the restart: make SLOW_BYTES larger');
    await waitFor('the computation to finish', () => finished(c, id));
    const r = row(c, id);
    assert.equal(r.status, 'SUCCEEDED');
    assert.equal(r.attempts, 1, 'never taken from its owner');
    assert.equal(r.owner, instanceOf(runner));
    const ran = runsOf(c.servers, id);
    assert.deepEqual(ran.map((x) => x.server), [owner]);
    // it outlived its lease (1 s) several times over: the heartbeats kept it
    assert.ok(ran[0].line.seconds > 2, `ran ${ran[0].line.seconds} s: make SLOW_BYTES larger`);
    assert.doesNotMatch(again.stderr, /recovered interrupted quality computations/);
  } finally {
    await stopCluster(c);
  }
});

/** SIGSTOP, at a moment the server holds no lock on the computation's row
 * (a heartbeat in flight would keep it until SIGCONT). */
async function stall(c, srv, id) {
  for (let i = 0; ; i++) {
    srv.child.kill('SIGSTOP');
    await pause(50);
    const free = dbSql(c.db, 'SELECT count(*) FROM (SELECT 1 FROM computations'
      + ` WHERE id = '${id}' FOR UPDATE SKIP LOCKED) s`);
    if (free === '1') return;
    assert.ok(i < 20, 'the stopped server keeps a lock on the row');
    srv.child.kill('SIGCONT');
    await pause(20);
  }
}

test('an owner that stops renewing loses the computation; its late result is discarded', async () => {
  const c = await cluster(2);
  try {
    const { id, owner } = await startSlow(c, c.servers[0]);
    const stalled = c.servers[owner];
    const other = c.servers[1 - owner];
    await stall(c, stalled, id); // alive (its connections stay open), but silent
    await waitFor('the other instance to take it over and finish it', () => finished(c, id));
    const won = row(c, id);
    assert.equal(won.status, 'SUCCEEDED');
    assert.equal(won.attempts, 2);
    assert.equal(won.owner, instanceOf(other));
    stalled.child.kill('SIGCONT');
    // the stalled run goes on, finds its claim gone and records nothing
    await waitFor('the stalled instance to give up its result',
      () => /"msg":"quality computation result discarded/.test(stalled.stderr));
    assert.match(stalled.stderr, new RegExp(`result discarded[^\\n]*"computationId":"${id}","attempt":1`));
    assert.deepEqual(row(c, id), won, 'the winner\'s result stays');
    assert.deepEqual(runsOf(c.servers, id).map((x) => x.server), [1 - owner]);
  } finally {
    await stopCluster(c);
  }
});

test('--workers 0: an API-only instance queues computations and never runs one', async () => {
  const c = await cluster(1, { perServer: (i) => ({ args: ['--workers', i === 0 ? '0' : '1'] }) });
  try {
    const api = c.servers[0];
    assert.match(api.stderr, /"msg":"quality workers","instance":"[^"]+","workers":0/);
    const id = await compute(api, await dataSet(api, 'queued', 'small.csv'));
    await pause(2000); // the poll interval is 1 s: it would have run by now
    assert.equal(row(c, id).status, 'REQUESTED', 'nobody runs it');
    const worker = await c.start(1);
    await waitFor('the worker instance to run it', () => finished(c, id));
    const r = row(c, id);
    assert.equal(r.status, 'SUCCEEDED');
    assert.equal(r.owner, instanceOf(worker));
    assert.equal(runs(api).length, 0);
    // and later work queued through the API-only instance too
    const id2 = await compute(api, await dataSet(api, 'queued 2', 'small.csv'));
    await waitFor('the second one', () => finished(c, id2));
    assert.equal(row(c, id2).owner, instanceOf(worker));
    assert.equal(runs(api).length, 0);
  } finally {
    await stopCluster(c);
  }
});
