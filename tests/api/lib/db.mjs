// db.mjs: one SQL statement against a test server's database, whichever
// backend it runs on (lib/server.mjs: sqlite:FILE, or postgresql:// when
// DP_TEST_PG_URL is set). For the few tests that look at or edit rows the
// API does not show. Returns stdout trimmed: rows on lines, columns joined by
// '|' (both CLIs' default). Booleans differ (SQLite 1/0, PostgreSQL t/f); so
// may SQL: pass { sqlite, pg } for statements that differ.
import { execFileSync } from 'node:child_process';
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
