// First start and migrations when instances start together (SPEC §7): on an
// EMPTY database, servers (and `bootstrap` commands) started at the same time
// make the schema once (pg.c migrate: under pg_advisory_xact_lock(8511, 1))
// and one tenant (main.c first_run -> bootstrap_tenant, whose transaction
// takes the tenant directory's lock), and every one of them serves. Races are
// probabilistic, so each case runs a few rounds on a fresh database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, dbFor, removeDir, BIN } from '../api/lib/server.mjs';
import { NO_LIMITS, sql } from './lib/multi.mjs';
import { DP, uniqueName } from '../api/lib/fixtures.mjs';

const ROUNDS = 3;

/** The schema and tenant state of db: one schema_version row at the newest
 * version, exactly one tenant with one TenantAdmin user. */
function assertOneOfEach(db) {
  assert.equal(sql(db, 'SELECT count(*) FROM schema_version'), '1', 'one schema_version row');
  const version = Number(sql(db, 'SELECT version FROM schema_version'));
  assert.ok(version >= 1, `schema version ${version}`);
  assert.equal(sql(db, 'SELECT count(*) FROM tenants'), '1', 'one tenant');
  assert.equal(sql(db, 'SELECT count(*) FROM users'), '1', 'one admin user');
  return version;
}

/** A fresh, empty database of the cluster; returns {dir, db}. */
function emptyDb() {
  const dir = mkdtempSync(path.join(tmpdir(), 'dp-multi-first-'));
  return { dir, db: dbFor(dir) };
}

test('three servers started together on an empty database: one schema, one tenant, all serve', async () => {
  const versions = new Set();
  for (let round = 0; round < ROUNDS; round++) {
    const { dir, db } = emptyDb();
    let servers = [];
    try {
      const started = await Promise.allSettled([0, 1, 2].map(() => startServer({ db, skipBootstrap: true, args: NO_LIMITS })));
      servers = started.filter((s) => s.status === 'fulfilled').map((s) => s.value);
      for (const s of started) assert.equal(s.status, 'fulfilled', `round ${round}: ${s.reason}`);
      versions.add(assertOneOfEach(db));
      // each first start that bootstrapped printed a key (one or more of
      // them: a later one finds the tenant and its admin and adds a key)
      const keys = servers.map((s) => /"apiKey":"([^"]+)"/.exec(s.stderr)?.[1]).filter(Boolean);
      assert.ok(keys.length >= 1, 'a first start printed the admin key');
      const tenants = new Set(servers.map((s) => /"tenantId":"([^"]+)"/.exec(s.stderr)?.[1]).filter(Boolean));
      assert.equal(tenants.size, 1, 'every key printed is of the same tenant');
      for (const key of keys) {
        for (const s of servers) {
          const r = await s.api('POST', DP, { key, body: { name: uniqueName('first') } });
          assert.equal(r.status, 201, r.text);
          assert.equal((await s.api('GET', '/api/v1/users/me', { key })).status, 200);
        }
      }
      assert.equal(Number(sql(db, 'SELECT count(*) FROM products')), keys.length * servers.length);
    } finally {
      for (const s of servers) await s.stop();
      removeDir(dir);
    }
  }
  assert.equal(versions.size, 1);
});

/** Runs `dataproducts bootstrap` without waiting; resolves {code, stdout, stderr}. */
function bootstrapAsync(db, tenant, email) {
  return new Promise((resolve) => {
    execFile(BIN, ['bootstrap', '--db', db, '--tenant', tenant, '--email', email], { encoding: 'utf8' },
      (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stdout, stderr }));
  });
}

test('four `bootstrap` commands at once on an empty database: one schema, one tenant and admin, four working keys', async () => {
  for (let round = 0; round < ROUNDS; round++) {
    const { dir, db } = emptyDb();
    let srv;
    try {
      const runs = await Promise.all([0, 1, 2, 3].map(() => bootstrapAsync(db, 'acme', 'admin@acme.example')));
      for (const r of runs) assert.equal(r.code, 0, `round ${round}: ${r.stderr}`);
      const outs = runs.map((r) => JSON.parse(r.stdout));
      assert.equal(new Set(outs.map((o) => o.tenantId)).size, 1, 'one tenant');
      assert.equal(new Set(outs.map((o) => o.userId)).size, 1, 'one admin');
      assert.equal(new Set(outs.map((o) => o.apiKey)).size, 4, 'a new key each');
      assertOneOfEach(db);
      srv = await startServer({ db, skipBootstrap: true, args: NO_LIMITS });
      for (const o of outs) {
        const me = await srv.api('GET', '/api/v1/users/me', { key: o.apiKey });
        assert.equal(me.status, 200, me.text);
        assert.equal(me.body.id, outs[0].userId);
      }
    } finally {
      if (srv) await srv.stop();
      removeDir(dir);
    }
  }
});

test('three `migrate` commands at once into one empty database: one copies, the others refuse and write nothing', async () => {
  const src = mkdtempSync(path.join(tmpdir(), 'dp-multi-src-'));
  try {
    const from = `sqlite:${path.join(src, 'dp.db')}`;
    const boot = await bootstrapAsync(from, 'moved', 'admin@moved.example');
    assert.equal(boot.code, 0, boot.stderr);
    for (let round = 0; round < ROUNDS; round++) {
      const { dir, db } = emptyDb();
      try {
        const runs = await Promise.all([0, 1, 2].map(() => new Promise((resolve) => {
          execFile(BIN, ['migrate', '--from', from, '--to', db], { encoding: 'utf8' },
            (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stdout, stderr }));
        })));
        const ok = runs.filter((r) => r.code === 0);
        assert.equal(ok.length, 1, `round ${round}: one copy succeeds: ${runs.map((r) => r.stderr).join('\n')}`);
        assert.match(ok[0].stdout, /counts and per-tenant SHA-256 of every table equal/);
        for (const r of runs.filter((x) => x.code !== 0)) {
          assert.equal(r.code, 1);
          assert.match(r.stderr, /refused/, r.stderr);
          assert.doesNotMatch(r.stderr, /partly written|FAILED/, 'a loser does not call the good copy broken');
        }
        assert.equal(sql(db, "SELECT count(*) FROM tenants WHERE name = 'moved'"), '1');
        assert.equal(sql(db, 'SELECT count(*) FROM schema_version'), '1');
      } finally {
        removeDir(dir);
      }
    }
  } finally {
    removeDir(src);
  }
});
