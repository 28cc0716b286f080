// quota-cost.mjs (manual, not a test): the added latency of the tenant quota
// check (issue 12: one tenant_counts row read inside the create's write
// transaction). Starts a server with every quota off (--quota-* 0: no read)
// and with the defaults, and times N sequential creates of data products and
// of data sets on one keep-alive client each, alternating rounds to spread
// noise. On SQLite by default; DP_TEST_PG_URL=... runs it on PostgreSQL.
//   cd tests && [DP_TEST_PG_URL=...] node tools/quota-cost.mjs [N]
import { startServer } from '../api/lib/server.mjs';
import { readFileSync } from 'node:fs';

const N = Number(process.argv[2] || 1000);
const OFF = ['--quota-products', '0', '--quota-data-sets', '0', '--quota-spaces', '0', '--quota-users', '0'];
const cpuOf = (pid) => { // utime + stime of pid in clock ticks
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]);
};
const creates = {
  product: (i) => ['/api/data-governance/data-products', { name: `p${i}` }],
  dataset: (i) => ['/api/v1/data-sets', { name: `d${i}`, technicalName: `d${i}.csv` }],
};
async function round(args) {
  const srv = await startServer({ args: ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0', ...args] });
  const out = {};
  try {
    for (const [kind, make] of Object.entries(creates)) {
      for (let i = 0; i < 100; i++) {
        const [p, body] = make(`w${i}`);
        await srv.api('POST', p, { body, noSchemaCheck: true });
      }
      const c0 = cpuOf(srv.child.pid);
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < N; i++) {
        const [p, body] = make(i);
        const r = await srv.api('POST', p, { body, noSchemaCheck: true });
        if (r.status !== 201) throw new Error(`${r.status} ${r.text}`);
      }
      out[kind] = { us: Number(process.hrtime.bigint() - t0) / 1000 / N,
        serverCpuUs: ((cpuOf(srv.child.pid) - c0) * 10000) / N };
    }
    return out;
  } finally { await srv.stop(); }
}
const res = { off: [], on: [] };
for (let k = 0; k < 3; k++) {
  res.off.push(await round(OFF));
  res.on.push(await round([]));
}
const med = (a, f) => a.map(f).sort((x, y) => x - y)[1];
const summary = {};
for (const kind of Object.keys(creates)) {
  summary[kind] = { off_us: med(res.off, (x) => x[kind].us), on_us: med(res.on, (x) => x[kind].us),
    off_server_cpu_us: med(res.off, (x) => x[kind].serverCpuUs), on_server_cpu_us: med(res.on, (x) => x[kind].serverCpuUs) };
}
console.log(JSON.stringify({ N, backend: process.env.DP_TEST_PG_URL ? 'postgresql' : 'sqlite', summary }, null, 1));
