// ratelimit-cost.mjs (manual, not a test): the added latency of the shared
// rate limit statement. Starts a server on DP_TEST_PG_URL twice -- reads
// unlimited (--rate-limit-tier1 0: no statement) and limited to 10^7 a minute
// (one rate_buckets upsert per request) -- and times N sequential GETs on
// one keep-alive client each, alternating rounds to spread noise.
//   cd tests && DP_TEST_PG_URL=... node tools/ratelimit-cost.mjs [N]
import { startServer } from '../api/lib/server.mjs';
import { readFileSync } from 'node:fs';

const N = Number(process.argv[2] || 2000);
const cpuOf = (pid) => { // utime + stime of pid in clock ticks
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]);
};
async function round(limit) {
  const srv = await startServer({ args: ['--rate-limit-tier1', limit, '--rate-limit-tier2', '0'] });
  try {
    for (let i = 0; i < 200; i++) await srv.api('GET', '/api/v1/spaces', { noSchemaCheck: true });
    const c0 = cpuOf(srv.child.pid);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) {
      const r = await srv.api('GET', '/api/v1/spaces', { noSchemaCheck: true });
      if (r.status !== 200) throw new Error(`${r.status} ${r.text}`);
    }
    const us = Number(process.hrtime.bigint() - t0) / 1000 / N;
    return { us, serverCpuMsPerReq: ((cpuOf(srv.child.pid) - c0) * 10) / N };
  } finally { await srv.stop(); }
}
const res = { off: [], on: [] };
for (let k = 0; k < 3; k++) {
  res.off.push(await round('0'));
  res.on.push(await round('10000000'));
}
const med = (a, f) => a.map(f).sort((x, y) => x - y)[1];
console.log(JSON.stringify({ N, off_us: med(res.off, (x) => x.us), on_us: med(res.on, (x) => x.us),
  off_server_cpu_ms: med(res.off, (x) => x.serverCpuMsPerReq), on_server_cpu_ms: med(res.on, (x) => x.serverCpuMsPerReq), rounds: res }, null, 1));
