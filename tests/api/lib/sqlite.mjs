// The sqlite3 CLI for tests that edit the server's database file directly.
// Writes to products fire the search index's triggers, which call the
// store's SQL function search_terms_of(); the CLI gets it from the loadable
// extension build/dp_sqlite_ext.so (tests/tools/dp_sqlite_ext.c; the Makefile
// builds it and passes its path in DP_SQLITE_EXT).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const EXT = process.env.DP_SQLITE_EXT ||
  fileURLToPath(new URL('../../../build/dp_sqlite_ext.so', import.meta.url));

/** True when the sqlite3 CLI and the extension are both there. */
export function haveSqlite() {
  try { execFileSync('sqlite3', ['-version'], { stdio: 'ignore' }); } catch { return false; }
  return existsSync(EXT);
}

/** Runs SQL (one or more statements) on the database file; returns stdout.
 * flags: more sqlite3 options (e.g. ['-json']). */
export function sqlite(file, sql, flags = []) {
  return execFileSync('sqlite3', ['-cmd', '.timeout 5000', '-cmd', `.load ${EXT.replace(/\.so$/, '')}`,
    ...flags, file.replace(/^sqlite:/, ''), sql], { encoding: 'utf8', maxBuffer: 1 << 26 });
}

/** Holds the database's write lock from another process, as a second
 * writer would: the sqlite3 CLI runs BEGIN IMMEDIATE and commits ms later.
 * Resolves once the lock is held, with `released`, a promise that settles
 * when the CLI has committed and exited. Needs only the CLI (no extension). */
export function holdWriteLock(file, ms) {
  return new Promise((resolve, reject) => {
    const child = spawn('sqlite3', [file.replace(/^sqlite:/, '')], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const released = new Promise((res, rej) => {
      child.on('exit', (code) => (code === 0 ? res() : rej(new Error(`sqlite3 exited ${code}: ${err}`))));
    });
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', reject);
    child.stdout.on('data', (d) => {
      out += d;
      if (!out.includes('locked')) return;
      out = '';
      setTimeout(() => child.stdin.end('COMMIT;\n.quit\n'), ms);
      resolve({ released });
    });
    child.stdin.write(".timeout 5000\nBEGIN IMMEDIATE;\nSELECT 'locked';\n");
  });
}
