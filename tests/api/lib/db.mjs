// db.mjs: one SQL statement against a test server's database, whichever
// backend it runs on (lib/server.mjs: sqlite:FILE, or postgresql:// when
// DP_TEST_PG_URL is set). For the few tests that look at or edit rows the
// API does not show. Returns stdout trimmed: rows on lines, columns joined by
// '|' (both CLIs' default). Booleans differ (SQLite 1/0, PostgreSQL t/f); so
// may SQL: pass { sqlite, pg } for statements that differ.
import { execFileSync, spawn } from 'node:child_process';
import { sqlite } from './sqlite.mjs';

export const isPg = (db) => /^postgres(ql)?:/.test(db);

export function dbSql(db, statement) {
  if (isPg(db)) {
    const q = typeof statement === 'string' ? statement : statement.pg;
    return execFileSync('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', db, '-c', q],
      { encoding: 'utf8' }).trim();
  }
  const q = typeof statement === 'string' ? statement : statement.sqlite;
  return sqlite(db, q).trim();
}

/** PostgreSQL: holds tenant's write lock from another session, as another
 * instance's writer would: psql takes the advisory lock the server's write
 * transactions take (src/store/pg.c lock_tenant: pg_advisory_xact_lock(8512,
 * hashtext(tenant id))) and commits ms later. Resolves once the lock is held,
 * with `released`, a promise that settles when psql has committed and exited. */
export function holdTenantLock(db, tenantId, ms) {
  return new Promise((resolve, reject) => {
    const child = spawn('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', db], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const released = new Promise((res, rej) => {
      child.on('exit', (code) => (code === 0 ? res() : rej(new Error(`psql exited ${code}: ${err}`))));
    });
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', reject);
    released.catch(reject);
    child.stdout.on('data', (d) => {
      out += d;
      if (!out.includes('locked')) return;
      out = '';
      setTimeout(() => child.stdin.end('COMMIT;\n\\q\n'), ms);
      resolve({ released });
    });
    child.stdin.write(`BEGIN;\nSELECT pg_advisory_xact_lock(8512, hashtext('${tenantId}'));\nSELECT 'locked';\n`);
  });
}
