// readme: runs the README's curl walk-through exactly as written against a
// real server, so the documentation cannot drift from the behaviour.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './lib/server.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let srv;

before(async () => { srv = await startServer(); });
after(async () => { await srv.stop(); });

function walkthrough() {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Walk-through'));
  const m = /```sh\n([\s\S]*?)```/.exec(section);
  assert.ok(m, 'README has a ```sh block in the walk-through section');
  return m[1];
}

test('the README walk-through runs as written and ends with "done"', () => {
  const out = execFileSync('bash', ['-euo', 'pipefail', '-c', walkthrough()], {
    cwd: root,
    env: { ...process.env, BASE: srv.url, DP_DATABASE_URL: srv.db },
    encoding: 'utf8',
  });
  assert.match(out, /^product [0-9a-f-]{36}$/m);
  assert.match(out, /DP-409-ACTIVATION-INVALID/, 'step 3 shows the activation problems');
  assert.match(out, /no key contacts/);
  assert.match(out, /"total":1/, 'step 6 finds the product in the marketplace');
  assert.match(out, /^# Sales orders$/m, 'step 8 prints the Markdown documentation');
  assert.match(out, /\| order_id \| INTEGER \| Order number \|/);
  assert.match(out, /done\n$/);
});
