// smoke: the server starts, answers /health, and shuts down cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';

test('server starts, serves /health and stops cleanly on SIGTERM', async () => {
  const srv = await startServer();
  try {
    const res = await srv.api('GET', '/health', { key: null });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'ok' });
    assert.match(res.headers.get('x-trace-id'), /^[0-9a-f]{32}$/);
  } finally {
    await srv.stop();
  }
});
