// fairness (issue 12): writers queue fairly for the one SQLite writer
// (store/tx.h group commit), so sustained concurrent writes never wait out
// SQLite's busy timeout and never get 503 "database is busy".
//
// 10 writers against one server with 16 request threads for
// FAIRNESS_SECONDS (default 60, 20 on PostgreSQL and under the sanitizers;
// set it lower to run locally): 5 create
// products one after another, 5 PATCH a product each, one patch after
// another. Every answer must be a 2xx (no 503, nothing else); afterwards
// every acknowledged create is there with its name, and every patched
// product holds the last acknowledged value with one changelog entry per
// acknowledged patch (plus its create). And no request is overtaken more
// than OVERTAKE_MAX times by any one other writer -- sent after it and
// answered before it: with the queue a writer's later request lines up
// behind it, while SQLite's busy handler let one writer pass a starving one
// dozens of times. That is an order, not a time. p50/p99 are printed as a
// diagnostic only: no timed assertion.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, PG_URL } from './lib/server.mjs';
import { DP, changelogs, makeDataSet } from './lib/fixtures.mjs';

// the minute on the release build over SQLite (the writer queue is SQLite's);
// 20 s on PostgreSQL and under the sanitizers, which run the same suite again
const SECONDS = Number(process.env.FAIRNESS_SECONDS || (PG_URL || process.env.DP_SANITIZED ? 20 : 60));
const CREATORS = 5;
const PATCHERS = 5;
// products sharing the creators' data set before the load: each create
// recomputes its sharers in the write transaction (until issue 12's "no
// fan-out" part lands), so writes hold the lock long enough for SQLite's
// unfair busy handler to starve some writer past its 5 s timeout -- what
// the writer queue is there to prevent
// measured: at most 6 with the queue (an HTTP thread serving two
// connections delays the second request before it reaches the queue), 90
// without it, in 30 s runs
const OVERTAKE_MAX = 25;
const SHARERS = Number(process.env.FAIRNESS_SHARERS || 300);

let srv;

before(async () => {
  srv = await startServer({
    args: ['--threads', '16', '--rate-limit-tier1', '0', '--rate-limit-tier2', '0'],
  });
});

after(async () => {
  if (srv) await srv.stop();
});

function pct(sorted, p) {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

test(`${CREATORS + PATCHERS} concurrent writers for ${SECONDS} s: no 503, every 2xx is there`,
  { timeout: (SECONDS + 240) * 1000 }, async () => {
    const statuses = new Map(); // status -> count
    const samples = [];         // a non-2xx answer per status, for the message
    const latencies = [];
    const log = [];             // per writer: [{sent, answered}] in order (a global sequence)
    let seq = 0;
    const created = [];         // {id, name} acknowledged with 201
    const patched = [];         // per patcher: {id, acked, value}
    const count = (res) => {
      statuses.set(res.status, (statuses.get(res.status) || 0) + 1);
      if (res.status >= 300 && samples.length < 5) samples.push(`${res.status} ${res.text.slice(0, 200)}`);
    };
    const timed = async (w, method, path, body) => {
      const t0 = performance.now();
      const sent = seq++;
      const res = await srv.api(method, path, { body, noSchemaCheck: true });
      latencies.push(performance.now() - t0);
      (log[w] ||= []).push({ sent, answered: seq++ });
      count(res);
      return res;
    };

    const shared = await makeDataSet(srv);
    for (let i = 0; i < SHARERS; i++) {
      const res = await srv.api('POST', DP, { body: { name: `fair-sharer-${i}`, datasetIds: [shared.id] }, noSchemaCheck: true });
      assert.equal(res.status, 201, res.text);
    }
    for (let i = 0; i < PATCHERS; i++) {
      const res = await srv.api('POST', DP, { body: { name: `fair-patched-${i}`, description: 'v0' } });
      assert.equal(res.status, 201, res.text);
      patched.push({ id: res.body.id, acked: 0, value: 'v0' });
    }

    const end = Date.now() + SECONDS * 1000;
    const creator = async (w) => {
      for (let n = 0; Date.now() < end; n++) {
        const name = `fair-${w}-${n}`;
        const res = await timed(w, 'POST', DP, { name, description: 'created under load', datasetIds: [shared.id] });
        if (res.status === 201) created.push({ id: res.body.id, name });
      }
    };
    const patcher = async (p, w) => {
      for (let n = 1; Date.now() < end; n++) {
        const value = `v${n}`;
        const res = await timed(w, 'PATCH', `${DP}/${p.id}`, [{ op: 'replace', path: '/description', value }]);
        if (res.status === 204) {
          p.acked++;
          p.value = value;
        }
      }
    };
    await Promise.all([
      ...Array.from({ length: CREATORS }, (_, w) => creator(w)),
      ...patched.map((p, i) => patcher(p, CREATORS + i)),
    ]);

    latencies.sort((a, b) => a - b);
    const total = latencies.length;
    console.log(`# fairness: ${total} writes in ${SECONDS} s (${created.length} creates,`
      + ` ${patched.reduce((s, p) => s + p.acked, 0)} patches); p50 ${pct(latencies, 50).toFixed(1)} ms,`
      + ` p99 ${pct(latencies, 99).toFixed(1)} ms, max ${latencies[total - 1]?.toFixed(1)} ms;`
      + ` statuses ${JSON.stringify(Object.fromEntries(statuses))}`);

    // the most times one writer overtook one request of another
    const firstAtOrAfter = (arr, key, v) => {
      let lo = 0, hi = arr.length;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (arr[mid][key] < v) lo = mid + 1; else hi = mid; }
      return lo;
    };
    let overtaken = 0;
    let worst = '';
    for (const [w, reqs] of log.entries()) {
      for (const r of reqs || []) {
        for (const [v, other] of log.entries()) {
          if (v === w || !other) continue;
          const n = firstAtOrAfter(other, 'answered', r.answered) - firstAtOrAfter(other, 'sent', r.sent);
          if (n > overtaken) { overtaken = n; worst = `writer ${w}'s request #${r.sent} by writer ${v}`; }
        }
      }
    }
    console.log(`# fairness: at most ${overtaken} overtakes of one request by one writer (${worst})`);

    assert.equal(statuses.get(503) || 0, 0, `503 answers: ${samples.join(' | ')}`);
    const non2xx = [...statuses].filter(([s]) => s < 200 || s >= 300);
    assert.deepEqual(non2xx, [], `non-2xx answers: ${samples.join(' | ')}`);
    assert.ok(created.length > 0 && patched.every((p) => p.acked > 0), 'every writer got writes through');
    assert.ok(overtaken <= OVERTAKE_MAX, `${worst}: overtaken ${overtaken} times (the queue allows a few)`);

    // SQLite: the writes went through the group commit, whose batches
    // /metrics counts (PostgreSQL has no writer: each request commits)
    if (!PG_URL) {
      const m = (await srv.api('GET', '/metrics')).text;
      const num = (name) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(m)?.[1]);
      const bodies = num('dp_db_group_commit_batch_size_sum');
      const commits = num('dp_db_group_commit_batch_size_count');
      console.log(`# fairness: ${bodies} bodies in ${commits} group commits`);
      assert.ok(bodies >= total, `group commit bodies ${bodies} < ${total} acknowledged writes`);
      assert.ok(commits >= 1 && commits <= bodies);
      assert.equal(num('dp_db_write_queue'), 0);
    }

    // every acknowledged create is there, with its name (16 at a time)
    let next = 0;
    const missing = [];
    const check = async () => {
      while (next < created.length) {
        const c = created[next++];
        const res = await srv.api('GET', `${DP}/${c.id}`, { noSchemaCheck: true });
        if (res.status !== 200 || res.body.name !== c.name) missing.push(`${c.id} ${res.status}`);
      }
    };
    await Promise.all(Array.from({ length: 16 }, check));
    assert.deepEqual(missing.slice(0, 10), [], `${missing.length} acknowledged creates missing`);

    // every patched product: the last acknowledged value, one entry per patch
    for (const p of patched) {
      const res = await srv.api('GET', `${DP}/${p.id}`);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.description, p.value);
      assert.equal((await changelogs(srv, p.id)).total, 1 + p.acked);
    }
  });
