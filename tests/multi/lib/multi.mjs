// multi.mjs: helpers of the multi-instance suite (tests/multi): SQL on the
// cluster's database, and spreading concurrent requests over instances.
import { execFileSync } from 'node:child_process';

/** Rate limits off: the suite sends bursts and counts answers. */
export const NO_LIMITS = ['--rate-limit-tier1', '0', '--rate-limit-tier2', '0', '--sign-in-rate-limit', '0'];

/** Runs one SQL statement on db (a postgresql:// URL) with psql; returns
 * the unaligned, tuples-only output, trimmed (rows joined by '\n'). */
export function sql(db, statement) {
  return execFileSync('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', db, '-c', statement],
    { encoding: 'utf8' }).trim();
}

/** Sends n requests at once, request i to servers[i % servers.length]:
 * make(srv, i) returns srv.api(...)'s promise. Resolves with the responses
 * in order of i. */
export function spread(servers, n, make) {
  return Promise.all(Array.from({ length: n }, (_, i) => make(servers[i % servers.length], i)));
}

/** {status: count} of responses. */
export function tally(responses) {
  const t = {};
  for (const r of responses) t[r.status] = (t[r.status] || 0) + 1;
  return t;
}
