// server.mjs: starts a real dataproducts server on a free loopback port with
// a fresh SQLite database (or a PostgreSQL one, below), and gives tests a
// small fetch-based client.
//
//   const srv = await startServer();          // bootstraps tenant "default"
//   const res = await srv.api('POST', '/api/v1/spaces', { body: {...} });
//   await srv.stop();                         // SIGTERM; asserts clean exit
//
// DP_BIN selects the binary (default ../build/dataproducts). With
// DP_SANITIZED=1 (ASan/UBSan build) stop() also fails the test when the
// sanitizers reported anything.
//
// DP_TEST_PG_URL=postgresql://USER@HOST/DB?... (a cluster the caller runs;
// `make test-api-pg` starts a throwaway one) runs the servers on PostgreSQL
// instead: each server directory gets its own database dp_<random> (created
// with psql, its name kept in DIR/pg-database so a restart on the same dir
// finds it again), dropped when stop() removes the directory. Tests that
// need SQLite itself skip with `PG_SKIP` (a reason string, or false).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSpec, checkResponse } from './openapi.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const BIN = process.env.DP_BIN || path.resolve(here, '../../../build/dataproducts');
export const SANITIZED = process.env.DP_SANITIZED === '1';

const sanitizerEnv = {
  ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0:exitcode=86',
  UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
};

export const PG_URL = process.env.DP_TEST_PG_URL || '';
/** On PostgreSQL: why a test that needs the SQLite file skips (else false). */
export const PG_SKIP = PG_URL ? 'SQLite only: edits or inspects the SQLite database file' : false;

/** PG_URL with its database name replaced by name. */
export function pgUrlFor(name) {
  // not new URL(): an empty host (unix socket in ?host=) is valid for libpq only
  const m = /^(postgres(?:ql)?:\/\/[^/?]*)(?:\/[^?]*)?(\?.*)?$/.exec(PG_URL);
  if (!m) throw new Error(`DP_TEST_PG_URL is not a postgresql:// URL: ${PG_URL}`);
  return `${m[1]}/${name}${m[2] || ''}`;
}

function psql(sql) {
  execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', pgUrlFor('postgres'), '-c', sql],
    { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** The database URL for a server directory: a SQLite file, or on
 * PostgreSQL a database of its own (created on first use). */
export function dbFor(dir) {
  if (!PG_URL) return `sqlite:${path.join(dir, 'dp.db')}`;
  const f = path.join(dir, 'pg-database');
  if (existsSync(f)) return pgUrlFor(readFileSync(f, 'utf8').trim());
  const name = `dp_${randomBytes(8).toString('hex')}`;
  psql(`CREATE DATABASE ${name}`);
  writeFileSync(f, name);
  return pgUrlFor(name);
}

/** Drops the directory's PostgreSQL database, if it has one. */
export function dropDbFor(dir) {
  const f = path.join(dir, 'pg-database');
  if (!PG_URL || !existsSync(f)) return;
  const name = readFileSync(f, 'utf8').trim();
  try { psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); } catch { /* the cluster is thrown away anyway */ }
}

/** Removes a server directory (and its PostgreSQL database). */
export function removeDir(dir) {
  dropDbFor(dir);
  rmSync(dir, { recursive: true, force: true });
}

/** Runs `dataproducts bootstrap` against db and returns its JSON output. */
export function bootstrap(db, tenant, email) {
  const out = execFileSync(BIN, ['bootstrap', '--db', db, '--tenant', tenant, '--email', email], {
    env: { ...process.env, ...sanitizerEnv },
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

/**
 * Starts a server. opts.args adds CLI flags; opts.env adds environment;
 * opts.db shares a database URL (then opts.skipBootstrap is usual).
 * Resolves once the "listening" log line names the URL.
 */
export async function startServer(opts = {}) {
  const dir = opts.dir || mkdtempSync(path.join(tmpdir(), 'dp-test-'));
  // opts.db: a database another server already uses (several instances on
  // one PostgreSQL database, tests/multi); stop() then leaves it alone
  const db = opts.db || dbFor(dir);
  const admin = opts.skipBootstrap ? null : bootstrap(db, 'default', 'admin@example.com');
  const args = ['serve', '--listen', '127.0.0.1:0', '--db', db, '--threads', '2',
    '--data-root', path.join(dir, 'data'), ...(opts.args || [])];
  const child = spawn(BIN, args, {
    env: { ...process.env, ...sanitizerEnv, ...(opts.env || {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (d) => { stdout += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${stderr}`)), 15000);
    child.stderr.on('data', (d) => {
      stderr += d;
      const m = /"msg":"listening","url":"([^"]+)"/.exec(stderr);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    exited.then(({ code }) => { clearTimeout(timer); reject(new Error(`server exited ${code}:\n${stderr}`)); });
  });

  const srv = {
    url, db, dir, child, admin,
    key: admin?.apiKey,
    get stderr() { return stderr; },
    get stdout() { return stdout; },
    /**
     * api(method, path, {body, raw, headers, key, noSchemaCheck}) -> {status, headers, body, text}
     * body is JSON-encoded; raw is sent as-is; key overrides the admin key
     * (null sends no Authorization header). Every response is checked
     * against docs/openapi.json (lib/openapi.mjs) and a mismatch rejects
     * with the reason, failing the calling test; noSchemaCheck: true skips it
     * (DP_NO_SCHEMA_CHECK=1 skips it for a whole run, only while drafting).
     */
    async api(method, p, o = {}) {
      const headers = { ...(o.headers || {}) };
      const key = o.key === undefined ? srv.key : o.key;
      if (key) headers.Authorization = `Bearer ${key}`;
      let body;
      if (o.raw !== undefined) body = o.raw;
      else if (o.body !== undefined) {
        body = JSON.stringify(o.body);
        if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
      }
      let res;
      try {
        res = await fetch(url + p, { method, headers, body });
      } catch (e) {
        // a server may close an idle keep-alive connection at any moment
        // (the header deadline does, DP_HEADER_TIMEOUT); a request that
        // raced that close never reached it, and HTTP lets a client repeat
        // an idempotent one once on a new connection, as browsers do
        if (!['GET', 'HEAD'].includes(method) || child.exitCode !== null || child.signalCode !== null) throw e;
        res = await fetch(url + p, { method, headers, body });
      }
      const text = await res.text();
      let json;
      try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
      const result = { status: res.status, headers: res.headers, body: json, text };
      if (!o.noSchemaCheck && process.env.DP_NO_SCHEMA_CHECK !== "1") {
        await loadSpec();
        // the raw text: checkResponse parses JSON bodies itself and names bad JSON
        checkResponse(method, p, res.status, res.headers.get('content-type'), text, res.headers);
      }
      return result;
    },
    /** SIGTERM, wait for exit; rejects on unclean exit or sanitizer output. */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const { code, signal } = await exited;
      if (!opts.keepDir) removeDir(dir);
      const sanitizer = /(AddressSanitizer|LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer)/.exec(stderr);
      if (sanitizer) throw new Error(`sanitizer report:\n${stderr.slice(stderr.indexOf(sanitizer[0]) - 200)}`);
      if (code !== 0) throw new Error(`server exited with code ${code} signal ${signal}:\n${stderr.slice(-3000)}`);
    },
    /** SIGKILL without cleanup checks (durability tests). */
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
  };
  return srv;
}

/** A syntactically valid GUID that names nothing. */
export const MISSING_ID = '00000000-0000-4000-8000-000000000000';
