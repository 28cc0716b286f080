// durability under load (issue 12): the group commit acknowledges a write
// only once the COMMIT that carried it is durable (synchronous=FULL), so
// SIGKILL at any moment loses nothing acknowledged.
//
// DURABILITY_CYCLES (default 20) times: start the server on the same
// directory, run 16 concurrent writers (8 creating products, 8 PATCHing a
// product each, one request after another), SIGKILL the server after a
// random 150-900 ms -- in every other cycle at the first acknowledgement
// after that moment, from the code that receives it, which is when an
// acknowledgement that ran ahead of its COMMIT would be lost -- restart
// it, and check: every create answered 201 is
// there with its name and its one changelog entry; every patched product
// holds the last acknowledged value or the one in flight at the kill (which
// may or may not have committed, never anything older), and its changelog
// matches it: one entry per applied patch plus the create, the newest
// entry's value being the product's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, removeDir } from './lib/server.mjs';
import { DP } from './lib/fixtures.mjs';

const CYCLES = Number(process.env.DURABILITY_CYCLES || 20);
const CREATORS = 8;
const PATCHERS = 8;
const ARGS = ['--threads', '16', '--rate-limit-tier1', '0', '--rate-limit-tier2', '0'];

let srv;
let dir;
let key;

before(async () => {
  srv = await startServer({ keepDir: true, args: ARGS });
  dir = srv.dir;
  key = srv.key;
});

after(async () => {
  try {
    await srv?.stop();
  } finally {
    if (dir) removeDir(dir);
  }
});

async function restart() {
  await srv.kill9();
  srv = await startServer({ dir, keepDir: true, skipBootstrap: true, args: ARGS });
  srv.key = key;
}

const api = (method, path, body) => srv.api(method, path, { body, noSchemaCheck: true });

test(`${CREATORS + PATCHERS} writers, SIGKILL at random moments, ${CYCLES} cycles: nothing acknowledged is lost`,
  { timeout: 600000 }, async () => {
    // per patcher: its product, the number of patches known applied (the
    // value is `v${applied}`), and the number of the patch in flight
    const patched = [];
    for (let i = 0; i < PATCHERS; i++) {
      const res = await api('POST', DP, { name: `load-patched-${i}`, description: 'v0' });
      assert.equal(res.status, 201, res.text);
      patched.push({ id: res.body.id, applied: 0 });
    }
    let createdTotal = 0;
    let patchesTotal = 0;
    let unknown = 0; // requests cut by the kill: outcome unknown, not checked
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const created = [];
      let killed = false;
      let armed = false; // kill at the next acknowledgement
      const onAck = () => {
        if (!armed) return;
        armed = false;
        killed = true;
        srv.child.kill('SIGKILL');
      };
      const creator = async (w) => {
        for (let n = 0; !killed; n++) {
          const name = `load-${cycle}-${w}-${n}`;
          let res;
          try {
            res = await api('POST', DP, { name });
          } catch {
            unknown++;
            return; // the server is gone
          }
          if (res.status === 201) {
            created.push({ id: res.body.id, name });
            onAck();
          }
          else if (!killed) assert.fail(`create answered ${res.status}: ${res.text}`);
        }
      };
      const patcher = async (p) => {
        while (!killed) {
          const n = p.applied + 1;
          p.inFlight = n;
          let res;
          try {
            res = await api('PATCH', `${DP}/${p.id}`, [{ op: 'replace', path: '/description', value: `v${n}` }]);
          } catch {
            unknown++;
            return; // p.inFlight may or may not have committed
          }
          if (res.status === 204) {
            p.applied = n;
            p.inFlight = 0;
            patchesTotal++;
            onAck();
          } else if (!killed) {
            assert.fail(`patch answered ${res.status}: ${res.text}`);
          }
        }
      };
      const writers = Promise.all([
        ...Array.from({ length: CREATORS }, (_, w) => creator(w)),
        ...patched.map((p) => patcher(p)),
      ]);
      await new Promise((r) => setTimeout(r, 150 + Math.floor(Math.random() * 750)));
      if (cycle % 2) {
        armed = true;
        for (let i = 0; i < 500 && !killed; i++) await new Promise((r) => setTimeout(r, 2));
      }
      killed = true;
      await restart(); // SIGKILL while the writers are writing
      await writers;
      createdTotal += created.length;

      // every acknowledged create, with its name and its one entry
      for (const c of created) {
        const res = await api('GET', `${DP}/${c.id}`);
        assert.equal(res.status, 200, `cycle ${cycle}: acknowledged create ${c.id} lost: ${res.text}`);
        assert.equal(res.body.name, c.name);
        const log = await api('GET', `${DP}/${c.id}/changelogs?limit=1`);
        assert.equal(log.body.total, 1, `cycle ${cycle}: ${c.id}'s changelog`);
      }
      // every patched product: the acknowledged value or the one in flight,
      // and a changelog that matches it
      for (const p of patched) {
        const res = await api('GET', `${DP}/${p.id}`);
        assert.equal(res.status, 200, res.text);
        const n = Number(res.body.description.slice(1));
        const allowed = p.inFlight ? [p.applied, p.inFlight] : [p.applied];
        assert.ok(allowed.includes(n),
          `cycle ${cycle}: product ${p.id} holds v${n}, acknowledged v${p.applied}${p.inFlight ? `, in flight v${p.inFlight}` : ''}`);
        const log = await api('GET', `${DP}/${p.id}/changelogs?limit=1&sort=-createdAt`);
        assert.equal(log.status, 200, log.text);
        assert.equal(log.body.total, 1 + n, `cycle ${cycle}: ${p.id}'s changelog entries`);
        if (n > 0) {
          assert.deepEqual(log.body.data[0].changes, [{ operator: 'replace', path: '/description', value: `v${n}` }],
            `cycle ${cycle}: ${p.id}'s newest entry`);
        }
        p.applied = n;
        p.inFlight = 0;
      }
    }
    console.log(`# durability-load: ${CYCLES} kills, ${createdTotal} acknowledged creates and`
      + ` ${patchesTotal} acknowledged patches all kept; ${unknown} requests cut by the kill`);
  });
