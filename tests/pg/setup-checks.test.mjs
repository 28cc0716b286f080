// setup-checks: the PostgreSQL backend refuses a database it cannot keep its
// promises on (issue 11): one whose encoding is not UTF8 (documents are
// UTF-8 text; search folds them with normalize()). The fsync=off refusal
// needs a cluster of its own and is tested with the outage tests.
//
// Needs DP_MIGRATE_PG_URL (`make test-migrate-pg` starts a throwaway
// cluster); skipped without it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { BIN } from '../api/lib/server.mjs';

const PG = process.env.DP_MIGRATE_PG_URL;

/** PG with its database name replaced by name. */
function urlFor(name) {
  const m = /^(postgres(?:ql)?:\/\/[^/?]*)(?:\/[^?]*)?(\?.*)?$/.exec(PG);
  return `${m[1]}/${name}${m[2] || ''}`;
}
const psql = (sql) => execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', urlFor('postgres'), '-c', sql],
  { stdio: ['ignore', 'ignore', 'pipe'] });

test('a database that is not UTF8 is refused, naming the encoding and the fix', { skip: !PG && 'needs DP_MIGRATE_PG_URL' }, () => {
  const name = `dp_ascii_${randomBytes(4).toString('hex')}`;
  psql(`CREATE DATABASE ${name} ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`);
  try {
    const r = spawnSync(BIN, ['bootstrap', '--db', urlFor(name), '--tenant', 't', '--email', 'a@example.com'], { encoding: 'utf8' });
    assert.notEqual(r.status, 0, r.stdout);
    assert.match(r.stderr, /encoding SQL_ASCII; dataproducts needs UTF8/);
    // nothing was created in it
    const tables = execFileSync('psql', ['-X', '-At', urlFor(name), '-c',
      "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"], { encoding: 'utf8' }).trim();
    assert.equal(tables, '0');
  } finally {
    psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
});
