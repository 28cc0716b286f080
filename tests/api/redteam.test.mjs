// redteam: attacks on the issue 8 fixes that once got through, black-box
// over HTTP. Each test names what it attacks; the fix is in the commit that
// added the test.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer } from './lib/server.mjs';
import { assertError } from './lib/fixtures.mjs';

describe('API key create when the key cannot be stored', () => {
  test('the failure is a 5xx with no token, and the write lock is released (later writes succeed)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dp-rt-key-'));
    try {
      // tenant and admin key made by a clean server, then a server whose
      // apikey_insert fails (as on a corrupt index or out of memory)
      const setup = await startServer({ dir, keepDir: true });
      const key = setup.key;
      await setup.stop();
      const srv = await startServer({ dir, keepDir: true, skipBootstrap: true,
        env: { DP_FAULT_INJECT: 'apikey_insert' } });
      srv.key = key;
      try {
        const res = await srv.api('POST', '/api/v1/api-keys', { body: { description: 'k' } });
        assertError(res, 500, 'DP-500-INTERNAL', 'storage error');
        assert.equal(res.body.token, undefined);
        // the transaction was rolled back: writes on every worker thread go
        // through at once (a leaked BEGIN IMMEDIATE holds the write lock:
        // the other thread waits out the busy timeout and answers 503)
        const t0 = Date.now();
        for (let round = 0; round < 3; round++) {
          const all = await Promise.all([0, 1, 2, 3].map((i) => srv.api('POST', '/api/v1/spaces',
            { body: { name: `after-${round}-${i}`, type: 'shared' } })));
          for (const sp of all) assert.equal(sp.status, 201, sp.text);
        }
        assert.ok(Date.now() - t0 < 4000, 'writes did not wait for a lock');
      } finally {
        await srv.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
