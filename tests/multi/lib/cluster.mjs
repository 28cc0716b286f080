// cluster.mjs: several dataproducts servers on one PostgreSQL database (SPEC
// §7), for the multi-instance suite. Needs DP_TEST_PG_URL (`make
// test-multi-pg` starts a throwaway cluster).
//
//   const c = await startCluster(3);        // bootstraps tenant "default" once
//   await c.servers[0].api('POST', ...);     // each server has the admin key
//   await c.stop();                          // stops every server, drops the db
//
// opts.args / opts.env apply to every server; opts.perServer(i) returns
// extra {args, env} for server i. c.start(i) starts another instance on the
// same database (after a kill9, say).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, dbFor, removeDir, bootstrap, PG_URL } from '../../api/lib/server.mjs';

export { PG_URL };

export async function startCluster(n, opts = {}) {
  if (!PG_URL) throw new Error('the multi-instance suite needs DP_TEST_PG_URL (make test-multi-pg)');
  const dir = mkdtempSync(path.join(tmpdir(), 'dp-multi-'));
  const db = dbFor(dir);
  const admin = opts.skipBootstrap ? null : bootstrap(db, 'default', 'admin@example.com');
  const c = {
    db, dir, admin, servers: [],
    async start(i = c.servers.length) {
      const extra = opts.perServer ? opts.perServer(i) : {};
      const srv = await startServer({
        db, skipBootstrap: true,
        args: [...(opts.args || []), ...(extra.args || [])],
        env: { ...(opts.env || {}), ...(extra.env || {}) },
      });
      srv.key = admin?.apiKey;
      if (admin) srv.admin = admin;
      c.servers[i] = srv;
      return srv;
    },
    async stop() {
      const errs = [];
      for (const s of c.servers) {
        if (!s) continue;
        try { await s.stop(); } catch (e) { errs.push(e); }
      }
      removeDir(dir);
      if (errs.length) throw errs[0];
    },
  };
  for (let i = 0; i < n; i++) await c.start(i);
  return c;
}
