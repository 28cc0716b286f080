// http-layer: conventions every endpoint shares (SPEC §1, §2): auth, the
// unauthenticated operational endpoints, routing errors, body limits and
// media types, JSON nesting, trace ids, the error envelope, the CLI, and
// concurrency / graceful shutdown.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { rmSync } from 'node:fs';
import { startServer, bootstrap, BIN, MISSING_ID, removeDir } from './lib/server.mjs';

const DP = '/api/data-governance/data-products';
const NO_LIMITS = ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0'];
const MiB = 1024 * 1024;
const TRACE = /^[0-9a-f]{32}$/;

const cliEnv = {
  ...process.env,
  ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0:exitcode=86',
  UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
};

let srv;

/** Asserts the SPEC §2 error envelope and returns the error object. */
function assertError(res, status, code, detail) {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${res.text}`);
  assertEnvelope(res);
  const e = res.body.errors[0];
  assert.equal(e.code, code, res.text);
  if (detail) assert.match(e.detail, detail);
  return e;
}

/** Any 4xx/5xx: exactly the documented envelope, traceId = X-Trace-Id. */
function assertEnvelope(res) {
  assert.ok(res.status >= 400, `status ${res.status}`);
  assert.match(res.headers.get('content-type') || '', /^application\/json/, `content-type for ${res.status}`);
  assert.ok(res.body && typeof res.body === 'object', `JSON error body: ${res.text}`);
  assert.deepEqual(Object.keys(res.body).sort(), ['errors', 'traceId']);
  assert.ok(Array.isArray(res.body.errors) && res.body.errors.length === 1, res.text);
  const e = res.body.errors[0];
  assert.deepEqual(Object.keys(e).sort(), ['code', 'detail', 'status', 'title']);
  for (const k of ['code', 'detail', 'status', 'title']) {
    assert.equal(typeof e[k], 'string', `${k} is a string`);
    assert.ok(e[k].length > 0, `${k} is not empty`);
  }
  assert.match(e.code, new RegExp(`^DP-${res.status}-[A-Z-]+$`));
  assert.equal(e.status, String(res.status));
  assert.equal(res.body.traceId, res.headers.get('x-trace-id'));
  assert.match(res.body.traceId, /^[A-Za-z0-9-]{1,32}$/);
}

/** A JSON document nested `depth` levels deep ({"name":"x","readMe":[[...]]}). */
function nested(depth) {
  return `{"name":"nested","readMe":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
}

/**
 * A raw HTTP/1.1 exchange over a socket, for what fetch cannot do.
 * Resolves `interim` when a "100 Continue" arrives and `done` with the final
 * {status, headers, body}.
 */
function rawExchange(url, head) {
  const u = new URL(url);
  const sock = net.connect(Number(u.port), u.hostname);
  let buf = Buffer.alloc(0);
  let onInterim;
  const interim = new Promise((r) => { onInterim = r; });
  const done = new Promise((resolve, reject) => {
    sock.on('error', reject);
    sock.on('close', () => reject(new Error(`connection closed; received: ${buf.toString('latin1').slice(0, 300)}`)));
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const headText = buf.subarray(0, end).toString('latin1');
        const status = Number(headText.split(' ')[1]);
        if (status === 100) {
          buf = buf.subarray(end + 4);
          onInterim();
          continue;
        }
        const headers = {};
        for (const line of headText.split('\r\n').slice(1)) {
          const i = line.indexOf(':');
          headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
        }
        const len = Number(headers['content-length'] || 0);
        if (buf.length < end + 4 + len) return;
        const body = buf.subarray(end + 4, end + 4 + len).toString('utf8');
        sock.removeAllListeners('close');
        sock.destroy();
        resolve({ status, headers, body });
        return;
      }
    });
  });
  sock.on('connect', () => sock.write(head));
  return { sock, interim, done };
}

/**
 * A keep-alive raw connection: next() resolves with the next complete
 * response ({status, body}) or {status: 'closed'} when the server hangs up.
 */
function keepAlive(url) {
  const u = new URL(url);
  const sock = net.connect(Number(u.port), u.hostname);
  let buf = Buffer.alloc(0);
  let closed = false;
  let wake = null;
  sock.on('data', (d) => { buf = Buffer.concat([buf, d]); wake?.(); });
  sock.on('close', () => { closed = true; wake?.(); });
  sock.on('error', () => {});
  const next = async () => {
    for (;;) {
      const end = buf.indexOf('\r\n\r\n');
      if (end >= 0) {
        const head = buf.subarray(0, end).toString('latin1');
        const m = /\r\ncontent-length: *(\d+)/i.exec(head);
        const len = m ? Number(m[1]) : 0;
        if (buf.length >= end + 4 + len) {
          const body = buf.subarray(end + 4, end + 4 + len).toString('utf8');
          buf = buf.subarray(end + 4 + len);
          return { status: Number(head.split(' ')[1]), body, head };
        }
      }
      if (closed) return { status: 'closed', body: buf.toString('latin1') };
      await new Promise((r) => { wake = r; });
    }
  };
  return { sock, next, ready: new Promise((r) => sock.on('connect', r)) };
}

/** Resolves once the server logged that it took the signal (bounded). */
async function shuttingDown(s) {
  for (let i = 0; i < 1000 && !s.stderr.includes('"msg":"shutting down"'); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.ok(s.stderr.includes('"msg":"shutting down"'), 'the server logs "shutting down" after SIGTERM');
}

before(async () => {
  srv = await startServer({ args: NO_LIMITS });
});

after(async () => {
  await srv?.stop();
});

// -------------------------------------------------------------------- auth

describe('authentication', () => {
  const routes = [
    ['GET', DP],
    ['POST', DP, { name: 'x' }],
    ['GET', `${DP}/${MISSING_ID}`],
    ['PATCH', `${DP}/${MISSING_ID}`, [{ op: 'replace', path: '/name', value: 'x' }]],
    ['DELETE', `${DP}/${MISSING_ID}`],
    ['POST', `${DP}/${MISSING_ID}/actions/activate`, { name: 'x' }],
    ['GET', `${DP}/${MISSING_ID}/changelogs`],
    ['GET', `${DP}/${MISSING_ID}/actions/export-documentation`],
    ['POST', `${DP}/actions/generate-provider-url?dataSetId=${MISSING_ID}`],
    ['GET', '/api/v1/spaces'],
    ['POST', '/api/v1/spaces', { name: 's', type: 'shared' }],
    ['POST', '/api/v1/data-sets', { name: 'd', technicalName: 'd' }],
    ['GET', `/api/v1/data-sets/${MISSING_ID}`],
  ];
  const variants = [
    ['no Authorization header', {}],
    ['wrong scheme (Basic)', { Authorization: 'Basic YWRtaW46YWRtaW4=' }],
    ['Bearer with no key', { Authorization: 'Bearer ' }],
    ['unknown key', { Authorization: 'Bearer dp_0000000000000000000000000000000000000000000000000000' }],
    ['key without scheme', null], // filled in with the real key below
    ['very long key', { Authorization: `Bearer ${'k'.repeat(5000)}` }],
  ];

  for (const [label, hdrs] of variants) {
    test(`401 DP-401-UNAUTHORIZED: ${label}`, async () => {
      const headers = hdrs ?? { Authorization: srv.key };
      for (const [method, path, body] of routes) {
        const res = await srv.api(method, path, { key: null, headers, body });
        assertError(res, 401, 'DP-401-UNAUTHORIZED');
      }
    });
  }

  test('401 comes before id validation and writes nothing', async () => {
    assertError(await srv.api('GET', `${DP}/not-a-guid`, { key: null }), 401, 'DP-401-UNAUTHORIZED');
    const before = await srv.api('GET', `${DP}?limit=100`);
    assert.equal(before.status, 200);
    assertError(await srv.api('POST', DP, { key: 'wrong', body: { name: 'sneaky' } }), 401, 'DP-401-UNAUTHORIZED');
    const afterRes = await srv.api('GET', `${DP}?limit=100`);
    assert.equal(afterRes.body.total, before.body.total);
  });

  test('the scheme name is case-insensitive and the real key works', async () => {
    const res = await srv.api('GET', DP, { key: null, headers: { Authorization: `bearer ${srv.key}` } });
    assert.equal(res.status, 200, res.text);
    assert.equal((await srv.api('GET', DP)).status, 200);
  });
});

// ------------------------------------------------------------- operations

describe('operational endpoints need no auth', () => {
  test('/health', async () => {
    const res = await srv.api('GET', '/health', { key: null });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'ok' });
  });

  test('/ready', async () => {
    const res = await srv.api('GET', '/ready', { key: null });
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type'), /^application\/json/);
  });

  test('/api/openapi.json', async () => {
    const res = await srv.api('GET', '/api/openapi.json', { key: null });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^application\/json/);
    assert.match(res.body.openapi, /^3\.1\./);
    assert.ok(res.body.paths[DP], 'documents the data products path');
  });

  test('they also work with an invalid key', async () => {
    for (const p of ['/health', '/ready', '/metrics', '/api/openapi.json']) {
      const res = await srv.api('GET', p, { key: 'garbage' });
      assert.equal(res.status, 200, `${p}: ${res.status}`);
    }
  });

  test('/metrics: Prometheus text with request counters by route and a latency histogram', async () => {
    // traffic on a templated route, an error status and an unmatched path
    assert.equal((await srv.api('GET', `${DP}/${MISSING_ID}`)).status, 404);
    assert.equal((await srv.api('GET', '/no/such/path')).status, 404);
    assert.equal((await srv.api('GET', '/health')).status, 200);
    const res = await srv.api('GET', '/metrics', { key: null });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/plain/);
    const text = res.text;
    assert.match(text, /^# TYPE dp_http_requests_total counter$/m);
    assert.match(text, /^# TYPE dp_http_request_duration_seconds histogram$/m);
    const series = (name) => text.split('\n').filter((l) => l.startsWith(`${name}{`));
    const value = (line) => Number(line.slice(line.lastIndexOf(' ') + 1));
    const labels = (line) => Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const reqs = series('dp_http_requests_total').map((l) => ({ ...labels(l), v: value(l) }));
    const find = (method, route, status) => reqs.find((r) => r.method === method && r.route === route && r.status === status);
    assert.ok(find('GET', '/health', '200')?.v >= 1, 'GET /health 200 counted');
    assert.ok(find('GET', `${DP}/{dataProductId}`, '404')?.v >= 1,
      `templated route label, not the raw path:\n${series('dp_http_requests_total').join('\n')}`);
    assert.ok(!text.includes(MISSING_ID), 'raw ids never become label values');
    assert.ok(reqs.some((r) => r.status === '404' && r.route !== `${DP}/{dataProductId}`),
      'unmatched paths are counted too');
    assert.ok(!text.includes('/no/such/path'), 'unmatched raw paths never become label values');
    // histogram: cumulative buckets ending in +Inf = _count, and a _sum
    const buckets = series('dp_http_request_duration_seconds_bucket')
      .map((l) => ({ ...labels(l), v: value(l) }))
      .filter((b) => b.method === 'GET' && b.route === '/health');
    assert.ok(buckets.length >= 2, 'buckets for GET /health');
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i].v >= buckets[i - 1].v, 'cumulative');
    assert.equal(buckets.at(-1).le, '+Inf');
    const count = series('dp_http_request_duration_seconds_count').find((l) => l.includes('route="/health"'));
    const sum = series('dp_http_request_duration_seconds_sum').find((l) => l.includes('route="/health"'));
    assert.ok(count && sum, 'count and sum series');
    assert.equal(value(count), buckets.at(-1).v);
    assert.ok(value(sum) >= 0);
    // every sample line parses
    for (const line of text.split('\n')) {
      if (!line || line.startsWith('#')) continue;
      assert.match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_]\w*="([^"\\\n]|\\.)*",?)*\})? [0-9.eE+-]+$/,
        `sample: ${line}`);
    }
  });

  test('/metrics counters grow with traffic', async () => {
    const count = async () => {
      const t = (await srv.api('GET', '/metrics')).text;
      const line = t.split('\n').find((l) => l.startsWith('dp_http_requests_total{') && l.includes('route="/ready"') && l.includes('status="200"'));
      return line ? Number(line.split(' ').at(-1)) : 0;
    };
    const before = await count();
    for (let i = 0; i < 3; i++) assert.equal((await srv.api('GET', '/ready')).status, 200);
    assert.equal(await count(), before + 3);
  });
});

// ----------------------------------------------------------------- routing

describe('routing errors', () => {
  test('unknown path -> 404 DP-404-ROUTE-NOT-FOUND', async () => {
    for (const p of ['/nope', '/api', '/api/v1/nothing', `${DP}/${MISSING_ID}/nothing`, `${DP}/${MISSING_ID}/actions/fly`,
      `${DP}/`, '/health/extra']) {
      assertError(await srv.api('GET', p), 404, 'DP-404-ROUTE-NOT-FOUND');
    }
  });

  test('wrong method -> 405 DP-405-METHOD-NOT-ALLOWED with the right Allow header', async () => {
    const cases = [
      ['DELETE', DP, ['GET', 'POST']],
      ['PUT', `${DP}/${MISSING_ID}`, ['DELETE', 'GET', 'PATCH']],
      ['GET', `${DP}/${MISSING_ID}/actions/activate`, ['POST']],
      ['DELETE', `${DP}/${MISSING_ID}/actions/deactivate`, ['POST']],
      ['POST', `${DP}/${MISSING_ID}/changelogs`, ['GET']],
      ['POST', `${DP}/${MISSING_ID}/actions/export-documentation`, ['GET']],
      ['POST', '/health', ['GET']],
      ['DELETE', '/metrics', ['GET']],
      ['PATCH', '/api/v1/spaces', ['GET', 'POST']],
    ];
    for (const [method, path, allowed] of cases) {
      const res = await srv.api(method, path);
      assertError(res, 405, 'DP-405-METHOD-NOT-ALLOWED');
      const allow = (res.headers.get('allow') || '').split(/\s*,\s*/).filter(Boolean).sort();
      assert.deepEqual(allow, allowed, `${method} ${path}: Allow ${res.headers.get('allow')}`);
    }
  });

  test('405 is answered without credentials too (no resource is touched)', async () => {
    const res = await srv.api('PUT', DP, { key: null });
    assert.ok(res.status === 405 || res.status === 401, res.text);
    assertEnvelope(res);
  });
});

// ------------------------------------------------------------------- bodies

describe('request bodies', () => {
  test('body over 1 MiB with Content-Length -> 413, nothing created', async () => {
    const before = (await srv.api('GET', `${DP}?limit=1`)).body.total;
    const big = JSON.stringify({ name: 'big', description: 'x'.repeat(MiB) });
    assert.ok(Buffer.byteLength(big) > MiB);
    const res = await srv.api('POST', DP, { raw: big, headers: { 'Content-Type': 'application/json' } });
    assertError(res, 413, 'DP-413-PAYLOAD-TOO-LARGE');
    assert.equal((await srv.api('GET', `${DP}?limit=1`)).body.total, before);
  });

  test('the 413 reaches the client even when the body is several MiB (no connection reset)', async () => {
    // A server that answers before reading the body must still drain it (or
    // the close resets the connection and the client never sees the 413).
    const big = JSON.stringify({ name: 'big', description: 'x'.repeat(4 * MiB) });
    for (let i = 0; i < 5; i++) {
      let res;
      try {
        res = await srv.api('POST', DP, { raw: big, headers: { 'Content-Type': 'application/json' } });
      } catch (e) {
        assert.fail(`attempt ${i}: request failed instead of answering 413: ${e.cause?.code || e.cause?.message || e.message}`);
      }
      assertError(res, 413, 'DP-413-PAYLOAD-TOO-LARGE');
    }
    assert.equal((await srv.api('GET', '/health')).status, 200);
  });

  test('exactly 1 MiB is not too large (it reaches validation)', async () => {
    const prefix = '{"name":"limit","description":"';
    const suffix = '"}';
    const body = prefix + 'y'.repeat(MiB - prefix.length - suffix.length) + suffix;
    assert.equal(Buffer.byteLength(body), MiB);
    const res = await srv.api('POST', DP, { raw: body, headers: { 'Content-Type': 'application/json' } });
    assertError(res, 400, 'DP-400-VALIDATION', /description/);
  });

  test('1 MiB + 1 byte -> 413', async () => {
    const prefix = '{"name":"limit","description":"';
    const body = prefix + 'y'.repeat(MiB + 1 - prefix.length - 2) + '"}';
    assert.equal(Buffer.byteLength(body), MiB + 1);
    const res = await srv.api('POST', DP, { raw: body, headers: { 'Content-Type': 'application/json' } });
    assertError(res, 413, 'DP-413-PAYLOAD-TOO-LARGE');
  });

  test('chunked body over 1 MiB -> 413, nothing created', async () => {
    const before = (await srv.api('GET', `${DP}?limit=1`)).body.total;
    const chunk = new TextEncoder().encode('z'.repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream({
      start(c) { c.enqueue(new TextEncoder().encode('{"name":"chunked","description":"')); },
      pull(c) {
        if (sent >= MiB + 128 * 1024) {
          c.enqueue(new TextEncoder().encode('"}'));
          c.close();
          return;
        }
        sent += chunk.length;
        c.enqueue(chunk);
      },
    });
    const res = await fetch(srv.url + DP, {
      method: 'POST',
      headers: { Authorization: `Bearer ${srv.key}`, 'Content-Type': 'application/json' },
      body: stream,
      duplex: 'half',
    });
    const text = await res.text();
    const wrapped = { status: res.status, headers: res.headers, text, body: JSON.parse(text) };
    assertError(wrapped, 413, 'DP-413-PAYLOAD-TOO-LARGE');
    assert.equal((await srv.api('GET', `${DP}?limit=1`)).body.total, before);
  });

  test('a small chunked body is accepted', async () => {
    const enc = new TextEncoder();
    const parts = ['{"name":', '"chunked ', 'small"}'];
    const stream = new ReadableStream({
      pull(c) { if (parts.length) c.enqueue(enc.encode(parts.shift())); else c.close(); },
    });
    const res = await fetch(srv.url + DP, {
      method: 'POST',
      headers: { Authorization: `Bearer ${srv.key}`, 'Content-Type': 'application/json' },
      body: stream,
      duplex: 'half',
    });
    assert.equal(res.status, 201, await res.clone().text());
    assert.equal((await res.json()).name, 'chunked small');
  });

  test('non-JSON Content-Type with a body -> 415', async () => {
    for (const ct of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'application/jsonx']) {
      const res = await srv.api('POST', DP, { raw: '{"name":"plain"}', headers: { 'Content-Type': ct } });
      assertError(res, 415, 'DP-415-UNSUPPORTED-MEDIA-TYPE');
    }
    // fetch labels a string body text/plain when no type is given
    const res = await srv.api('POST', DP, { raw: '{"name":"plain"}' });
    assertError(res, 415, 'DP-415-UNSUPPORTED-MEDIA-TYPE');
    const list = await srv.api('GET', `${DP}?query=plain`);
    assert.equal(list.body.total, 0, 'nothing was created');
  });

  test('application/json with parameters is accepted', async () => {
    for (const ct of ['application/json; charset=utf-8', 'Application/JSON', 'application/json;charset=UTF-8']) {
      const res = await srv.api('POST', DP, { raw: '{"name":"ct ok"}', headers: { 'Content-Type': ct } });
      assert.equal(res.status, 201, `${ct}: ${res.text}`);
    }
  });

  test('nesting: 33 levels -> 400 DP-400-INVALID-JSON; 30 and 32 levels get past parsing', async () => {
    const deep = await srv.api('POST', DP, { raw: nested(33), headers: { 'Content-Type': 'application/json' } });
    assertError(deep, 400, 'DP-400-INVALID-JSON');
    for (const depth of [30, 32]) {
      const res = await srv.api('POST', DP, { raw: nested(depth), headers: { 'Content-Type': 'application/json' } });
      assertError(res, 400, 'DP-400-VALIDATION', /readMe/);
    }
    // far deeper must not crash the server either
    const huge = await srv.api('POST', DP, { raw: nested(100000), headers: { 'Content-Type': 'application/json' } });
    assertError(huge, 400, 'DP-400-INVALID-JSON');
    // brackets inside strings do not count
    const inString = JSON.stringify({ name: '['.repeat(40) });
    assert.equal((await srv.api('POST', DP, { raw: inString, headers: { 'Content-Type': 'application/json' } })).status, 201);
  });

  test('malformed JSON and duplicate keys -> 400 DP-400-INVALID-JSON', async () => {
    for (const raw of ['{', '{"name":}', '{"name":"a",}', '{"name":"a"} x', '\u00ff', '{"name":"a","name":"b"}']) {
      const res = await srv.api('POST', DP, { raw, headers: { 'Content-Type': 'application/json' } });
      assertError(res, 400, 'DP-400-INVALID-JSON');
    }
  });
});

// ---------------------------------------------------------------- trace ids

describe('trace ids', () => {
  test('every response carries X-Trace-Id; errors repeat it as traceId', async () => {
    const ids = new Set();
    const responses = [
      await srv.api('GET', '/health', { key: null }),
      await srv.api('GET', DP),
      await srv.api('POST', DP, { body: { name: 'traced' } }),
      await srv.api('GET', '/metrics'),
      await srv.api('GET', '/nope'),
      await srv.api('GET', DP, { key: null }),
      await srv.api('DELETE', DP),
      await srv.api('GET', `${DP}/${MISSING_ID}`),
    ];
    const created = responses[2].body;
    responses.push(await srv.api('PATCH', `${DP}/${created.id}`, { body: [{ op: 'replace', path: '/name', value: 'traced 2' }] }));
    responses.push(await srv.api('DELETE', `${DP}/${created.id}`));
    for (const res of responses) {
      const t = res.headers.get('x-trace-id');
      assert.match(t || '', TRACE, `X-Trace-Id on ${res.status}`);
      ids.add(t);
      if (res.status >= 400) assertEnvelope(res);
    }
    assert.equal(responses.at(-2).status, 204);
    assert.equal(responses.at(-1).status, 204);
    assert.equal(ids.size, responses.length, 'a fresh trace id per request');
  });

  test('a valid incoming X-Trace-Id is echoed, also into the error body and the log', async () => {
    const mine = 'abc-123-XYZ-trace';
    const ok = await srv.api('GET', '/health', { headers: { 'X-Trace-Id': mine } });
    assert.equal(ok.headers.get('x-trace-id'), mine);
    const err = await srv.api('GET', `${DP}/${MISSING_ID}`, { headers: { 'X-Trace-Id': mine } });
    assert.equal(err.status, 404);
    assert.equal(err.headers.get('x-trace-id'), mine);
    assert.equal(err.body.traceId, mine);
    const max = 'f'.repeat(32);
    assert.equal((await srv.api('GET', '/health', { headers: { 'X-Trace-Id': max } })).headers.get('x-trace-id'), max);
    // the log is written by a background thread (util/log.c): the line
    // may reach stderr just after the response
    const find = () => srv.stderr.split('\n').find((l) => l.includes(`"traceId":"${mine}"`) && l.includes(`/${MISSING_ID}`));
    for (let i = 0; i < 200 && !find(); i++) await new Promise((r) => setTimeout(r, 10));
    const line = find();
    assert.ok(line, 'the log line for the request names the trace id');
    const entry = JSON.parse(line);
    assert.equal(entry.status, 404);
    // SPEC §8: time, client address, method, route, status, error code, duration, traceId, user
    assert.match(entry.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.match(entry.client, /^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/);
    assert.equal(entry.method, 'GET');
    assert.equal(entry.route, `${DP}/{dataProductId}`);
    assert.equal(entry.code, err.body.errors[0].code);
    assert.equal(typeof entry.durationMs, 'number');
    assert.match(entry.user, /^[0-9a-f-]{36}$/);
  });

  test('an invalid incoming X-Trace-Id is replaced', async () => {
    for (const bad of ['has space', 'a'.repeat(33), 'semi;colon', '"quoted"', '<x>']) {
      const res = await srv.api('GET', '/health', { headers: { 'X-Trace-Id': bad } });
      assert.match(res.headers.get('x-trace-id'), TRACE, `replaced ${bad}`);
    }
  });
});

// --------------------------------------------------------------------- CLI

describe('command line', () => {
  const run = (args) => spawnSync(BIN, args, { env: cliEnv, encoding: 'utf8', timeout: 15000 });

  test('serve --help exits 0 and names every SPEC §1 flag', () => {
    const r = run(['serve', '--help']);
    assert.equal(r.status, 0, r.stderr);
    for (const flag of ['--listen', '--db', '--threads', '--data-root', '--public-url',
      '--rate-limit-tier1', '--rate-limit-tier2', '--config']) {
      assert.ok(r.stdout.includes(flag), `serve --help mentions ${flag}`);
    }
    for (const env of ['DP_LISTEN', 'DP_DATABASE_URL', 'DP_THREADS', 'DP_RATE_LIMIT_TIER1', 'DP_RATE_LIMIT_TIER2']) {
      assert.ok(r.stdout.includes(env), `serve --help mentions ${env}`);
    }
  });

  test('bootstrap --help exits 0 and names every SPEC §1 flag', () => {
    const r = run(['bootstrap', '--help']);
    assert.equal(r.status, 0, r.stderr);
    for (const flag of ['--db', '--tenant', '--email']) assert.ok(r.stdout.includes(flag), `mentions ${flag}`);
  });

  test('unknown flags and commands exit non-zero with a message', () => {
    for (const args of [['serve', '--bogus'], ['bootstrap', '--bogus', 'x'], ['frobnicate'], [],
      ['serve', '--threads', 'many'], ['serve', '--listen']]) {
      const r = run(args);
      assert.notEqual(r.status, 0, `${args.join(' ')} exits non-zero`);
      assert.equal(r.signal, null, `${args.join(' ')} is not killed by a signal`);
      assert.ok(r.stderr.length > 0, `${args.join(' ')} says why`);
    }
  });

  test('bootstrap twice with the same tenant: same tenant and admin, a new key; both keys work', async () => {
    const a = bootstrap(srv.db, 'second', 'boss@example.com');
    const b = bootstrap(srv.db, 'second', 'boss@example.com');
    for (const out of [a, b]) {
      assert.deepEqual(Object.keys(out).sort(), ['apiKey', 'tenantId', 'userId']);
      assert.match(out.tenantId, /^[0-9a-f-]{36}$/);
      assert.match(out.userId, /^[0-9a-f-]{36}$/);
      assert.ok(out.apiKey.length >= 43, 'key carries at least 256 bits');
    }
    assert.equal(b.tenantId, a.tenantId);
    assert.equal(b.userId, a.userId);
    assert.notEqual(b.apiKey, a.apiKey);
    assert.notEqual(a.tenantId, srv.admin.tenantId);
    for (const key of [a.apiKey, b.apiKey, srv.key]) {
      assert.equal((await srv.api('GET', '/api/v1/spaces', { key })).status, 200);
    }
    // the new tenant sees none of the default tenant's products
    const mine = await srv.api('POST', DP, { body: { name: 'tenant one only' } });
    assert.equal(mine.status, 201);
    assertError(await srv.api('GET', `${DP}/${mine.body.id}`, { key: a.apiKey }), 404, 'DP-404-NOT-FOUND');
    assert.equal((await srv.api('GET', DP, { key: b.apiKey })).body.total, 0);
  });

  test('bootstrap without --tenant/--email fails', () => {
    const r = run(['bootstrap', '--db', srv.db]);
    assert.notEqual(r.status, 0);
    assert.equal(r.stdout.trim(), '', 'no key printed');
  });
});

// -------------------------------------------------------------- concurrency

describe('concurrency and shutdown', () => {
  test('50 concurrent requests all succeed', async () => {
    const before = (await srv.api('GET', `${DP}?limit=1`)).body.total;
    const jobs = [];
    for (let i = 0; i < 50; i++) {
      if (i % 3 === 0) jobs.push(srv.api('POST', DP, { body: { name: `concurrent ${i}`, tags: ['concurrent'] } }));
      else if (i % 3 === 1) jobs.push(srv.api('GET', `${DP}?limit=5`));
      else jobs.push(srv.api('GET', '/health', { key: null }));
    }
    const results = await Promise.all(jobs);
    for (const [i, r] of results.entries()) {
      assert.ok(r.status === 200 || r.status === 201, `request ${i}: ${r.status} ${r.text}`);
    }
    const created = results.filter((r) => r.status === 201).map((r) => r.body.id);
    assert.equal(created.length, 17);
    assert.equal(new Set(created).size, 17);
    const after = await srv.api('GET', `${DP}?tag=concurrent&limit=100`);
    assert.equal(after.body.total, 17);
    assert.equal((await srv.api('GET', `${DP}?limit=1`)).body.total, before + 17);
  });

  test('SIGTERM lets requests the server has taken in finish (20 list requests) and exits cleanly', { timeout: 60000 }, async () => {
    const s = await startServer({ args: NO_LIMITS });
    let exited = false;
    try {
      for (let i = 0; i < 30; i++) {
        assert.equal((await s.api('POST', DP, { body: { name: `p${i}`, description: 'slow list' } })).status, 201);
      }
      // Each request sends its headers and holds back a 2-byte body behind
      // "Expect: 100-continue"; the interim 100 response proves the server
      // has taken the request in. Only then comes SIGTERM.
      const u = new URL(s.url);
      const head = `GET ${DP}?limit=100&query=slow HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: Bearer ${s.key}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n';
      const reqs = Array.from({ length: 20 }, () => rawExchange(s.url, head));
      await Promise.all(reqs.map((r) => r.interim));
      s.child.kill('SIGTERM');
      await shuttingDown(s);
      for (const r of reqs) r.sock.write('{}');
      const results = await Promise.all(reqs.map((r) => r.done));
      for (const res of results) {
        assert.equal(res.status, 200, res.body);
        const b = JSON.parse(res.body);
        assert.equal(b.total, 30);
        assert.equal(b.data.length, 30);
      }
      exited = true;
      await s.stop(); // exit code 0, no sanitizer report
    } finally {
      if (!exited) { await s.kill9(); removeDir(s.dir); }
    }
  });

  test('SIGTERM: 20 list requests already sent on open connections are all answered', { timeout: 60000 }, async () => {
    const s = await startServer({ args: NO_LIMITS });
    let exited = false;
    try {
      for (let i = 0; i < 30; i++) {
        assert.equal((await s.api('POST', DP, { body: { name: `p${i}`, description: 'slow list' } })).status, 201);
      }
      // 20 keep-alive connections the server has certainly accepted (each
      // answered one /health), then one list request on each, then SIGTERM
      // right away: the requests are in flight and must all get their 200.
      const u = new URL(s.url);
      const conns = Array.from({ length: 20 }, () => keepAlive(s.url));
      await Promise.all(conns.map((c) => c.ready));
      for (const c of conns) c.sock.write(`GET /health HTTP/1.1\r\nHost: ${u.host}\r\n\r\n`);
      for (const c of conns) assert.equal((await c.next()).status, 200);
      for (const c of conns) {
        c.sock.write(`GET ${DP}?limit=100&query=slow HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: Bearer ${s.key}\r\n\r\n`);
      }
      s.child.kill('SIGTERM');
      const results = await Promise.all(conns.map((c) => c.next()));
      for (const c of conns) c.sock.destroy();
      results.forEach((res, i) => {
        assert.equal(res.status, 200, `request ${i}: ${res.status}`);
        assert.equal(JSON.parse(res.body).total, 30);
      });
      exited = true;
      await s.stop();
    } finally {
      if (!exited) { await s.kill9(); removeDir(s.dir); }
    }
  });

  test('SIGTERM lets in-flight writes commit', { timeout: 60000 }, async () => {
    const s = await startServer({ args: NO_LIMITS, keepDir: true });
    let s2;
    try {
      const u = new URL(s.url);
      const bodies = Array.from({ length: 10 }, (_, i) => JSON.stringify({ name: `in flight ${i}` }));
      const reqs = bodies.map((b) => rawExchange(s.url,
        `POST ${DP} HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: Bearer ${s.key}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(b)}\r\nExpect: 100-continue\r\n\r\n`));
      await Promise.all(reqs.map((r) => r.interim));
      s.child.kill('SIGTERM');
      await shuttingDown(s);
      reqs.forEach((r, i) => r.sock.write(bodies[i]));
      const results = await Promise.all(reqs.map((r) => r.done));
      const ids = results.map((res) => {
        assert.equal(res.status, 201, res.body);
        return JSON.parse(res.body).id;
      });
      await s.stop();
      s2 = await startServer({ dir: s.dir, skipBootstrap: true, args: NO_LIMITS });
      s2.key = s.key;
      for (const id of ids) assert.equal((await s2.api('GET', `${DP}/${id}`)).status, 200);
    } finally {
      if (s2) await s2.stop();
      else {
        await s.kill9();
        removeDir(s.dir);
      }
    }
  });
  test('SIGTERM under keep-alive load: every committed write is answered, answers after SIGTERM say Connection: close', { timeout: 60000 }, async () => {
    const s = await startServer({ args: NO_LIMITS, keepDir: true });
    let s2;
    try {
      const u = new URL(s.url);
      const conns = Array.from({ length: 40 }, () => keepAlive(s.url));
      await Promise.all(conns.map((c) => c.ready));
      let signalled = false;
      let ok201 = 0;
      const lateWithoutClose = [];
      // Each connection POSTs back to back until the server closes it or
      // announces Connection: close.
      const loops = conns.map(async (c, ci) => {
        for (let i = 0; ; i++) {
          const body = JSON.stringify({ name: `load ${ci}-${i}` });
          const sentAfterSignal = signalled;
          c.sock.write(`POST ${DP} HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: Bearer ${s.key}\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
          const res = await c.next();
          if (res.status === 'closed') return;
          assert.equal(res.status, 201, res.body);
          ok201++;
          const closing = /\r\nconnection: *close/i.test(res.head);
          if (sentAfterSignal && !closing) lateWithoutClose.push(`${ci}-${i}`);
          if (closing) return;
        }
      });
      while (ok201 < 80) await new Promise((r) => setTimeout(r, 5));
      s.child.kill('SIGTERM');
      await shuttingDown(s);
      signalled = true;
      await Promise.all(loops);
      for (const c of conns) c.sock.destroy();
      await s.stop();
      s2 = await startServer({ dir: s.dir, skipBootstrap: true, args: NO_LIMITS });
      s2.key = s.key;
      const rows = (await s2.api('GET', `${DP}?query=load&limit=1`)).body.total;
      assert.equal(rows, ok201, `rows written (${rows}) = 201 answers received (${ok201}): no committed write went unanswered`);
      assert.deepEqual(lateWithoutClose, [], 'requests sent after SIGTERM are answered with Connection: close');
    } finally {
      if (s2) await s2.stop();
      else { await s.kill9(); removeDir(s.dir); }
    }
  });
});

// ---------------------------------------------------------------- deadlines

describe('request deadlines (slowloris)', () => {
  /** Opens a connection that sends `head`, then one byte of `drip` every `ms`. */
  function trickle(url, head, drip, ms) {
    const u = new URL(url);
    const sock = net.connect(Number(u.port), u.hostname);
    let buf = '';
    let timer;
    const closed = new Promise((resolve) => {
      sock.on('close', () => { clearInterval(timer); resolve(true); });
      sock.on('error', () => {});
    });
    sock.on('data', (d) => { buf += d.toString('latin1'); });
    sock.on('connect', () => {
      sock.write(head);
      let i = 0;
      timer = setInterval(() => { if (!sock.destroyed) sock.write(drip[i++ % drip.length]); }, ms);
    });
    return { sock, closed, received: () => buf };
  }
  const within = (p, ms) => Promise.race([p, new Promise((r) => setTimeout(() => r(false), ms))]);

  test('a header block trickled a byte at a time is cut at the header deadline; others are served', { timeout: 30000 }, async () => {
    // env, not flags: the baseline binary ignores them, so the test fails there
    const s = await startServer({ args: NO_LIMITS, env: { DP_HEADER_TIMEOUT: '1', DP_BODY_TIMEOUT: '1' } });
    try {
      const u = new URL(s.url);
      const slow = trickle(s.url, `GET /health HTTP/1.1\r\nHost: ${u.host}\r\nX-Slow: `, 'abcdefgh', 150);
      for (let i = 0; i < 5; i++) assert.equal((await s.api('GET', '/health')).status, 200, 'a normal client is served');
      // each byte resets the 30 s idle timeout; only the 1 s head deadline ends it
      assert.equal(await within(slow.closed, 8000), true, 'the trickling connection was closed');
      assert.ok(!/HTTP\/1\.1 200/.test(slow.received()), 'the trickled request was never served');
      assert.equal((await s.api('GET', '/health')).status, 200);
    } finally {
      await s.stop();
    }
  });

  test('a body trickled a byte at a time gets 408 DP-408-REQUEST-TIMEOUT at the body deadline', { timeout: 30000 }, async () => {
    const s = await startServer({ args: NO_LIMITS, env: { DP_HEADER_TIMEOUT: '1', DP_BODY_TIMEOUT: '1' } });
    try {
      const u = new URL(s.url);
      const slow = trickle(s.url, `POST ${DP} HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: Bearer ${s.key}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name":"', 'x', 150);
      assert.equal((await s.api('GET', '/health')).status, 200, 'a normal client is served');
      assert.equal(await within(slow.closed, 8000), true, 'the trickling connection was closed');
      const got = slow.received();
      assert.match(got, /^HTTP\/1\.1 408 /, got);
      assert.match(got, /\r\nConnection: close\r\n/i);
      const body = JSON.parse(got.slice(got.indexOf('\r\n\r\n') + 4));
      assert.equal(body.errors[0].code, 'DP-408-REQUEST-TIMEOUT');
      assert.equal(body.errors[0].status, '408');
      assert.equal((await s.api('GET', `${DP}?limit=1`)).body.total, 0, 'nothing was created');
    } finally {
      await s.stop();
    }
  });

  test('a keep-alive connection between requests is not cut by the body deadline and serves its next request', { timeout: 30000 }, async () => {
    const s = await startServer({ args: NO_LIMITS, env: { DP_HEADER_TIMEOUT: '3', DP_BODY_TIMEOUT: '1' } });
    try {
      const u = new URL(s.url);
      const c = keepAlive(s.url);
      await c.ready;
      for (let i = 0; i < 3; i++) {
        c.sock.write(`GET /health HTTP/1.1\r\nHost: ${u.host}\r\n\r\n`);
        assert.equal((await c.next()).status, 200);
        await new Promise((r) => setTimeout(r, 1500)); // idle longer than the body timeout
      }
      c.sock.destroy();
    } finally {
      await s.stop();
    }
  });
});
