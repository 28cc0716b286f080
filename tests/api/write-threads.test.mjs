// write-threads: writes run on threads of their own (issue 12, src/http/server.c
// "write threads", docs/performance.md "Issue 12: the fan-out and write threads"). The HTTP
// thread suspends a write's connection and goes on serving; a write thread
// runs it and waits for its group COMMIT. So more writes are in flight than
// there are HTTP threads, and the ones queued together share a COMMIT.
//
// With one HTTP thread: 32 clients creating at once put several bodies in
// one COMMIT (dp_db_group_commit_batch_size above 1), every create is
// answered 201 and stored, and reads are answered while writes queue. The
// control, --write-threads 0 (writes on the HTTP thread, as before), never
// has more than one body per COMMIT: nothing else marks or writes here.
// SQLite only: on PostgreSQL every request has its own transaction.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { DP, uniqueName } from './lib/fixtures.mjs';

const PG = Boolean(process.env.DP_TEST_PG_URL);
const N = 240;
const PARALLEL = 32;
const servers = [];

after(async () => {
  for (const s of servers) await s.stop();
});

async function start(writeThreads) {
  const srv = await startServer({ args: ['--threads', '1', '--write-threads', String(writeThreads),
    '--rate-limit-tier1', '0', '--rate-limit-tier2', '0'] });
  servers.push(srv);
  return srv;
}

/** {le: count} of the group commit batch histogram, and its count. */
async function batches(srv) {
  const res = await srv.api('GET', '/metrics', { key: null });
  assert.equal(res.status, 200, res.text);
  const le = {};
  for (const m of res.text.matchAll(/^dp_db_group_commit_batch_size_bucket\{le="([^"]+)"\} (\d+)$/gm)) le[m[1]] = Number(m[2]);
  const count = Number(/^dp_db_group_commit_batch_size_count (\d+)$/m.exec(res.text)?.[1]);
  assert.ok('1' in le && Number.isFinite(count), res.text);
  return { le, count };
}

/** N creates, PARALLEL at a time; every one 201; returns the ids. */
async function createMany(srv, tag) {
  const ids = [];
  let next = 0;
  await Promise.all(Array.from({ length: PARALLEL }, async () => {
    while (next < N) {
      next++;
      const res = await srv.api('POST', DP, { body: { name: uniqueName(tag) } });
      assert.equal(res.status, 201, res.text);
      ids.push(res.body.id);
    }
  }));
  return ids;
}

describe('write threads', { skip: PG && 'group commit is SQLite only' }, () => {
  test('with one HTTP thread, concurrent writes share COMMITs and reads are answered meanwhile', async () => {
    const srv = await start(16);
    const before = await batches(srv);
    // a reader alongside: each of its GETs must be answered while the writes run
    let reads = 0;
    let writing = true;
    const reader = (async () => {
      while (writing) {
        const res = await srv.api('GET', '/api/v1/users/me');
        assert.equal(res.status, 200, res.text);
        reads++;
      }
    })();
    const ids = await createMany(srv, 'wt');
    writing = false;
    await reader;
    const after = await batches(srv);
    const commits = after.count - before.count;
    const single = after.le['1'] - before.le['1'];
    assert.ok(commits > 0, 'the creates were committed by the group commit');
    assert.ok(single < commits, `every one of ${commits} COMMITs carried one body: the writes were not in flight together`);
    assert.ok(reads > 0, 'no read was answered while the writes ran');
    // every acknowledged create is there
    assert.equal(new Set(ids).size, N);
    for (const id of ids) assert.equal((await srv.api('GET', `${DP}/${id}`)).status, 200, id);
  });

  test('control: --write-threads 0 runs writes on the HTTP thread, one body per COMMIT', async () => {
    const srv = await start(0);
    const before = await batches(srv);
    await createMany(srv, 'wt0');
    const after = await batches(srv);
    const commits = after.count - before.count;
    assert.ok(commits >= N, `${commits} COMMITs for ${N} creates`);
    assert.equal(after.le['1'] - before.le['1'], commits, 'a COMMIT carried more than one body with one HTTP thread');
  });
});
