// restart: queued and running quality computations survive a crash (issue 4:
// "a restart in the middle of a batch loses no computation"; docs/decisions.md
// "Crash recovery": at start SUBMITTED computations go back to REQUESTED, and
// after 3 interrupted attempts they become FAILED DQ-500). Issue 11 leases the
// claims: on SQLite (one process) a restart takes back every claim of the
// earlier process at once; on PostgreSQL (a queue other instances may share) a
// claim is taken back once its lease expires, so the servers here run with a
// short lease (--job-lease-seconds 2) and the test waits for the recovery.
//
// One worker (--workers 1) and several data sets over a generated CSV of some
// tens of MB make the batch take long enough to kill the server (SIGKILL, no
// cleanup) while a computation is running. The server is restarted on the same
// database and data root and must finish every computation of the batch.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { startServer, removeDir } from './lib/server.mjs';
import { dbSql, isPg } from './lib/db.mjs';
import { DP, derivedSettled } from './lib/fixtures.mjs';

const DQ = '/api/data-governance/data-qualities';
const ARGS = ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0', '--workers', '1',
  '--job-lease-seconds', '2'];
const TARGET_BYTES = 40 * 1024 * 1024;
const DATA_SETS = 4;

// One block of 8 rows, repeated. Per block (documented rules, docs/quality-types.md):
//   id INTEGER      8 valid
//   amount DECIMAL  6 valid, 1 invalid ("x"), 1 empty
//   day DATE        6 valid, 2 invalid (2024-02-30, "bad")
//   label STRING    7 valid, 1 empty (the quoted comma cell is one valid cell)
//   flag BOOLEAN    7 valid, 1 invalid ("maybe")
const BLOCK = [
  '1,10.50,2024-01-01,alpha,true',
  '2,11.25,2024-02-29,beta,false',
  '3,x,2024-02-30,gamma,yes',
  '4,,2024-03-01,,no',
  '5,13.00,2024-03-02,"quoted, text",1',
  '6,14.75,bad,delta,maybe',
  '7,15.00,2024-03-04,epsilon,0',
  '8,16.25,2024-03-05,zeta,n',
].join('\n') + '\n';
const PER_BLOCK = { valid: 8 + 6 + 6 + 7 + 7, invalid: 1 + 2 + 1, empty: 1 + 1 };
const FIELDS = [
  { name: 'id', dataType: { type: 'INTEGER' } },
  { name: 'amount', dataType: { type: 'DECIMAL' } },
  { name: 'day', dataType: { type: 'DATE' } },
  { name: 'label', dataType: { type: 'STRING' } },
  { name: 'flag', dataType: { type: 'BOOLEAN' } },
];

let dir;
let key;
let admin;
let srv; // the server currently running
let blocks;

/** One statement on the database of the server in dir (either backend). */
function sql(statement) {
  return dbSql(srv.db, statement);
}
/** Computations in the order they were made (rowid on SQLite, seq on PostgreSQL). */
const byAge = () => (isPg(srv.db) ? 'seq' : 'rowid');

async function restart() {
  srv = await startServer({ dir, keepDir: true, skipBootstrap: true, args: ARGS });
  srv.key = key;
  srv.admin = admin;
  return srv;
}

async function batchStatus(id) {
  const res = await srv.api('GET', `${DQ}/batch-computations/${id}`);
  assert.equal(res.status, 200, res.text);
  return res.body;
}

async function waitBatch(id) {
  const deadline = Date.now() + 20000;
  for (;;) {
    const b = await batchStatus(id);
    if (b.status === 'FINISHED') return b;
    if (Date.now() > deadline) assert.fail(`batch not FINISHED after 20 s: ${JSON.stringify(b)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function waitComputation(id) {
  const deadline = Date.now() + 20000;
  for (;;) {
    const res = await srv.api('GET', `${DQ}/computations/${id}`);
    assert.equal(res.status, 200, res.text);
    if (['SUCCEEDED', 'FAILED'].includes(res.body.status)) return res.body;
    if (Date.now() > deadline) assert.fail(`computation not finished after 20 s: ${res.text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-restart-'));
  srv = await startServer({ dir, keepDir: true, args: ARGS });
  key = srv.key;
  admin = srv.admin;
  const data = path.join(dir, 'data', admin.tenantId); // the tenant's directory (issue 8)
  fs.mkdirSync(data, { recursive: true });
  // the big file: header + N identical blocks, written in large chunks
  const chunk = BLOCK.repeat(2000);
  const reps = Math.ceil(TARGET_BYTES / chunk.length);
  blocks = reps * 2000;
  const fd = fs.openSync(path.join(data, 'big.csv'), 'w');
  fs.writeSync(fd, 'id,amount,day,label,flag\n');
  for (let i = 0; i < reps; i++) fs.writeSync(fd, chunk);
  fs.closeSync(fd);
  fs.writeFileSync(path.join(data, 'small.csv'), 'id,amount,day,label,flag\n' + BLOCK);
});

after(async () => {
  try {
    if (srv && srv.child.exitCode === null && srv.child.signalCode === null) await srv.stop();
  } finally {
    removeDir(dir);
  }
});

test('kill -9 in the middle of a batch: after a restart every computation SUCCEEDS with its results', async () => {
  const ids = [];
  for (let i = 0; i < DATA_SETS; i++) {
    const res = await srv.api('POST', '/api/v1/data-sets', {
      body: { name: `big ${i}`, technicalName: `big_${i}`, operational: { location: 'big.csv' }, schema: { dataFields: FIELDS } },
    });
    assert.equal(res.status, 201, res.text);
    ids.push(res.body.id);
  }
  const p = await srv.api('POST', DP, { body: { name: 'restart product', datasetIds: ids } });
  assert.equal(p.status, 201, p.text);
  const start = await srv.api('POST', `${DP}/${p.body.id}/actions/compute-datasets-data-quality`);
  assert.equal(start.status, 202, start.text);
  const batchId = start.body.batchComputationId;
  const queued = start.body.datasetResponses.map((r) => r.computationId).sort();
  assert.equal(queued.length, DATA_SETS);

  // as soon as the (single) worker has claimed one: SIGKILL
  let seen;
  const deadline = Date.now() + 20000;
  for (;;) {
    seen = await batchStatus(batchId);
    assert.equal(seen.status, 'IN_PROGRESS', `the batch finished before the kill: make the file larger (${JSON.stringify(seen)})`);
    if (seen.computationStatuses.some((s) => s.status === 'SUBMITTED')) break;
    if (Date.now() > deadline) assert.fail('no computation was claimed within 20 s');
    await new Promise((r) => setTimeout(r, 5));
  }
  await srv.kill9();

  // the crash left unfinished work behind (the point of the test)
  const rows = sql(`SELECT status || ':' || attempts FROM computations WHERE batch_id = '${batchId}' ORDER BY ${byAge()}`).split('\n');
  assert.equal(rows.length, DATA_SETS);
  const unfinished = rows.filter((r) => !r.startsWith('SUCCEEDED'));
  assert.ok(unfinished.length >= 1, `nothing left to recover: ${rows}`);
  const interrupted = rows.filter((r) => r.startsWith('SUBMITTED')).length;

  assert.ok(interrupted >= 1, `killed while a computation was running: ${rows}`);

  await restart();
  // SQLite: at start; PostgreSQL: once the killed server's lease (2 s) expired
  const recovered = /"msg":"recovered interrupted quality computations","requeued":[1-9]/;
  for (const deadline = Date.now() + 20000; !recovered.test(srv.stderr) && Date.now() < deadline;)
    await new Promise((r) => setTimeout(r, 50));
  assert.match(srv.stderr, recovered, 'the restart reports the requeued computation');
  const done = await waitBatch(batchId);
  assert.deepEqual(done.computationStatuses.map((s) => s.computationId).sort(), queued, 'the same computations, none lost or added');
  for (const s of done.computationStatuses) {
    assert.equal(s.status, 'SUCCEEDED', JSON.stringify(s));
    assert.equal(s.errorCode, undefined);
  }
  const expected = {
    valid: PER_BLOCK.valid * blocks,
    invalid: PER_BLOCK.invalid * blocks,
    empty: PER_BLOCK.empty * blocks,
    total: (PER_BLOCK.valid + PER_BLOCK.invalid + PER_BLOCK.empty) * blocks,
  };
  for (const id of ids) {
    const g = await srv.api('GET', `${DQ}/global-results?datasetId=${id}`);
    assert.equal(g.status, 200, g.text);
    const { updatedAt, ...counts } = g.body.qualities[0].quality;
    assert.deepEqual(counts, expected, `results of ${id}`);
  }
  // the product's aggregate follows the results through the deriver (issue 12)
  await derivedSettled(srv);
  const prod = await srv.api('GET', `${DP}/${p.body.id}`);
  assert.equal(prod.body.quality.validity, expected.valid / expected.total);
  assert.equal(prod.body.quality.completeness, (expected.total - expected.empty) / expected.total);
  // nothing stays claimed: the recovered row ran again (attempts 2), the others once
  const after = sql(`SELECT status || ':' || attempts FROM computations WHERE batch_id = '${batchId}' ORDER BY ${byAge()}`).split('\n');
  for (const r of after) assert.match(r, /^SUCCEEDED:[12]$/);
  assert.equal(after.filter((r) => r === 'SUCCEEDED:2').length, interrupted);
});

test('a computation interrupted 3 times is FAILED DQ-500; one interrupted twice runs a third time', async () => {
  const comps = {};
  for (const which of ['thrice', 'twice']) {
    const ds = await srv.api('POST', '/api/v1/data-sets', {
      body: { name: which, technicalName: which, operational: { location: 'small.csv' }, schema: { dataFields: FIELDS } },
    });
    assert.equal(ds.status, 201, ds.text);
    const c = await srv.api('POST', `${DQ}/computations`, { body: { datasetId: ds.body.id } });
    assert.equal(c.status, 202, c.text);
    assert.equal((await waitComputation(c.body.computationId)).status, 'SUCCEEDED');
    comps[which] = { id: c.body.computationId, ds: ds.body.id };
  }
  await srv.stop();
  // what a server killed while running them would leave behind: claimed (SUBMITTED)
  // rows, no result, after 3 and 2 claims
  const reset = "status = 'SUBMITTED', result = NULL, finished_at = NULL, error_code = NULL, error_reason = NULL";
  sql(`UPDATE computations SET ${reset}, attempts = 3 WHERE id = '${comps.thrice.id}'`);
  sql(`UPDATE computations SET ${reset}, attempts = 2 WHERE id = '${comps.twice.id}'`);

  await restart();
  assert.match(srv.stderr, /"msg":"recovered interrupted quality computations","requeued":1,"failed":1/);
  const thrice = await srv.api('GET', `${DQ}/computations/${comps.thrice.id}`);
  assert.equal(thrice.status, 200, thrice.text);
  assert.equal(thrice.body.status, 'FAILED');
  assert.equal(thrice.body.error.errorCode, 'DQ-500');
  assert.match(thrice.body.error.reason, /3/);
  const f = await srv.api('POST', `${DQ}/global-results/actions/filter`, { body: { datasetIds: [comps.thrice.ds] } });
  assert.equal(f.body.dataQualities[0].status, 'FAILED');
  assert.equal(f.body.dataQualities[0].error.errorCode, 'DQ-500');
  assert.equal('quality' in f.body.dataQualities[0], false, 'its result was never recorded');

  const twice = await waitComputation(comps.twice.id);
  assert.deepEqual(twice, { status: 'SUCCEEDED' });
  assert.equal(sql(`SELECT attempts FROM computations WHERE id = '${comps.twice.id}'`), '3');
  const g = await srv.api('GET', `${DQ}/global-results?datasetId=${comps.twice.ds}`);
  const { updatedAt, ...counts } = g.body.qualities[0].quality;
  assert.deepEqual(counts, { ...PER_BLOCK, total: PER_BLOCK.valid + PER_BLOCK.invalid + PER_BLOCK.empty });
  await srv.stop();
});
