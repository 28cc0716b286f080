// logging: the server's log (stderr) is JSON lines from util/log.c (issue 12):
// every line carries ts (RFC 3339 UTC, ms), level and msg; awkward request
// paths stay valid JSON; lines are written by a background thread, and a
// SIGTERM'd server still writes every line, down to its last request and
// "stopped", before it exits (docs/operations.md, "Logs").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';

const TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Resolves once the child's stderr has ended (every byte read). */
function stderrEnded(srv) {
  const s = srv.child.stderr;
  if (s.readableEnded) return Promise.resolve();
  return new Promise((resolve) => s.once('end', resolve));
}

/** The log lines that are JSON (the first-start block for a human is not). */
function jsonLines(text) {
  return text.split('\n').filter((l) => l.startsWith('{')).map((l) => {
    try { return JSON.parse(l); } catch (e) { throw new Error(`not a JSON log line: ${l}`); }
  });
}

test('a slow stderr blocks no request; a SIGTERM\'d server still writes every line, its last request and "stopped" included', async () => {
  const srv = await startServer({ args: ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0'] });
  let stopped = false;
  try {
    // nobody reads the server's stderr for now: once the pipe (and
    // node's own buffer) is full, the log writer is blocked and the lines
    // wait in the server's buffer; requests must go on regardless
    srv.child.stderr.pause();
    const N = 1500; // ~300 KB of request lines: more than the pipe holds
    for (let i = 0; i < N; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, N - i) }, (_, k) =>
        srv.api('GET', '/health', { headers: { 'X-Trace-Id': `burst-${i + k}` } })));
    }
    // a path with quotes, a backslash, a control character and bytes that
    // are not UTF-8 once percent-decoded: the line must stay valid JSON
    const odd = await srv.api('GET', '/api/v1/spaces/%22%5C%01%ff%fe', { headers: { 'X-Trace-Id': 'odd-path' }, noSchemaCheck: true });
    assert.ok(odd.status >= 400);
    const last = await srv.api('GET', '/health', { headers: { 'X-Trace-Id': 'the-last-request' } });
    assert.equal(last.status, 200);
    // the signal while the writer is still blocked; reading resumes only
    // later, so only a shutdown that drains the buffer writes it all
    srv.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    const ended = stderrEnded(srv);
    srv.child.stderr.resume();
    await srv.stop();
    stopped = true;
    await ended;
    const lines = jsonLines(srv.stderr);
    for (const l of lines) {
      assert.match(l.ts, TS, `ts on every line: ${JSON.stringify(l)}`);
      assert.ok(['info', 'warn', 'error'].includes(l.level), JSON.stringify(l));
      assert.equal(typeof l.msg, 'string');
    }
    const requests = lines.filter((l) => l.msg === 'request');
    for (let i = 0; i < N; i++) {
      assert.ok(requests.some((l) => l.traceId === `burst-${i}`), `the line of request burst-${i}`);
    }
    const oddLine = requests.find((l) => l.traceId === 'odd-path');
    assert.ok(oddLine, 'the odd path has its line');
    assert.ok(oddLine.path.startsWith('/api/v1/spaces/'), oddLine.path);
    const lastLine = requests.find((l) => l.traceId === 'the-last-request');
    assert.ok(lastLine, 'the last request before SIGTERM is in the log');
    assert.equal(lastLine.status, 200);
    assert.equal(lastLine.path, '/health');
    assert.ok(lines.some((l) => l.msg === 'shutting down' && l.signal === 15));
    assert.equal(lines.at(-1).msg, 'stopped', 'the last line written is "stopped"');
    assert.ok(!lines.some((l) => /log lines dropped/.test(l.msg)), 'nothing dropped');
  } finally {
    if (!stopped) await srv.stop();
  }
});

test('/metrics exports the dropped-line counter', async () => {
  const srv = await startServer();
  try {
    const res = await srv.api('GET', '/metrics', { noSchemaCheck: true });
    assert.equal(res.status, 200);
    assert.match(res.text, /^# TYPE dp_log_dropped_total counter$/m);
    assert.match(res.text, /^dp_log_dropped_total 0$/m);
  } finally {
    await srv.stop();
  }
});
