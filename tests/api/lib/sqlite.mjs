// The sqlite3 CLI for tests that edit the server's database file directly.
// Writes to products fire the search index's triggers, which call the
// store's SQL function search_terms_of(); the CLI gets it from the loadable
// extension build/dp_sqlite_ext.so (tests/tools/dp_sqlite_ext.c; the Makefile
// builds it and passes its path in DP_SQLITE_EXT).
import { execFileSync } from 'node:child_process';
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
