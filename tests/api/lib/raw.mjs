// raw.mjs: byte-exact HTTP/1.1 exchanges over node:net, for what fetch
// cannot send (duplicate or malformed headers, bare LF, pipelined hidden
// requests). rawSend() writes the bytes, then collects everything the server
// sends until it closes the connection or stays quiet for `quietMs`.
import net from 'node:net';

/**
 * Splits a byte stream into HTTP responses: [{status, headers (lower-case
 * name -> array of values), head, body}]. Trailing bytes that are not a
 * complete response end up in `rest`.
 */
export function parseResponses(buf) {
  const out = [];
  let off = 0;
  for (;;) {
    const end = buf.indexOf('\r\n\r\n', off);
    if (end < 0) break;
    const head = buf.subarray(off, end).toString('latin1');
    const lines = head.split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
    if (!m) break;
    const headers = {};
    for (const line of lines.slice(1)) {
      const i = line.indexOf(':');
      const k = line.slice(0, i).toLowerCase();
      (headers[k] ||= []).push(line.slice(i + 1).trim());
    }
    const len = Number(headers['content-length']?.[0] || 0);
    if (buf.length < end + 4 + len) break;
    out.push({ status: Number(m[1]), headers, head, body: buf.subarray(end + 4, end + 4 + len).toString('utf8') });
    off = end + 4 + len;
  }
  return { responses: out, rest: buf.subarray(off).toString('latin1') };
}

/**
 * Sends `bytes` (string as latin1, or Buffer) on a fresh connection to url.
 * Resolves {responses, rest, closed, raw} once the server closed the
 * connection, or after `quietMs` without data (closed: false then).
 */
export function rawSend(url, bytes, { quietMs = 1500, maxMs = 40000 } = {}) {
  const u = new URL(url);
  return new Promise((resolve) => {
    const sock = net.connect(Number(u.port), u.hostname);
    let buf = Buffer.alloc(0);
    let quiet;
    const started = Date.now();
    const finish = (closed) => {
      clearTimeout(quiet);
      clearTimeout(cap);
      sock.destroy();
      resolve({ ...parseResponses(buf), closed, raw: buf.toString('latin1'), ms: Date.now() - started });
    };
    const arm = () => { clearTimeout(quiet); quiet = setTimeout(() => finish(false), quietMs); };
    const cap = setTimeout(() => finish(false), maxMs);
    sock.on('data', (d) => { buf = Buffer.concat([buf, d]); arm(); });
    sock.on('close', () => finish(true));
    sock.on('error', () => {});
    sock.on('connect', () => {
      sock.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
      arm();
    });
  });
}
