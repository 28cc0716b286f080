// http-probe.mjs: measures how a dataproducts binary answers each framing /
// smuggling case of issue 8 item 3 (tests/api/lib/smuggling-cases.mjs).
// Usage: cd tests && DP_BIN=... node ../scripts/http-probe.mjs
// Prints one markdown row per case: responses seen, whether the hidden
// DELETE ran, Connection: close, envelope, how the connection ended.
import { startServer } from '../tests/api/lib/server.mjs';
import { rawSend } from '../tests/api/lib/raw.mjs';
import { smugglingCases } from '../tests/api/lib/smuggling-cases.mjs';

const srv = await startServer({ args: ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0'] });
const host = new URL(srv.url).host;
const only = process.env.PROBE_ONLY;
try {
  for (const c of smugglingCases({ host, key: srv.key, dp: '/x' })) {
    if (only && !c.name.includes(only)) continue;
    const made = await srv.api('POST', '/api/data-governance/data-products', { body: { name: 'victim' }, noSchemaCheck: true });
    const dp = `/api/data-governance/data-products/${made.body.id}`;
    const cc = smugglingCases({ host, key: srv.key, dp }).find((x) => x.name === c.name);
    const r = await rawSend(srv.url, cc.bytes, { quietMs: 1500, maxMs: 35000 });
    const gone = (await srv.api('GET', dp, { noSchemaCheck: true })).status === 404;
    const desc = r.responses.map((x) => {
      const ct = (x.headers['content-type'] || [''])[0].split(';')[0];
      const env = /"errors":\[\{"code":"(DP-[^"]+)"/.exec(x.body)?.[1];
      const close = (x.headers.connection || []).some((v) => /close/i.test(v));
      return `${x.status} ${env || ct || '-'}${close ? ' +close' : ''}`;
    }).join(', ') || 'none';
    const statusLines = (r.raw.match(/HTTP\/1\.[01] \d{3}/g) || []).length;
    console.log(`| ${c.name} | ${desc}${statusLines > r.responses.length ? ` (+${statusLines - r.responses.length} extra status line)` : ''}` +
      `${cc.hidden ? (gone ? '; **hidden DELETE ran**' : '; hidden DELETE not run') : ''}${cc.pipelined ? (gone ? '; following DELETE ran as a pipelined request' : '; following DELETE not run') : ''} | ` +
      `${r.closed ? 'closed' : 'open'} after ${r.ms} ms |`);
  }
} finally {
  await srv.stop().catch((e) => console.error(String(e).slice(0, 500)));
}
