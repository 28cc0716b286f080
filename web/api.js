// api.js: the app's only way to the server. Same-origin fetch with the
// session cookie (the browser adds Origin to unsafe requests, which the
// server checks); JSON in and out; errors become ApiError carrying the
// server's envelope (code, detail) so pages can show what went wrong.

export class ApiError extends Error {
  constructor(status, body, headers) {
    const e = body?.errors?.[0];
    super(e?.detail || e?.title || `HTTP ${status}`);
    this.status = status;
    this.code = e?.code;
    this.detail = e?.detail;
    this.body = body;
    this.headers = headers;
  }
}

/** Calls the API. opts: {body (JSON-encoded), headers, raw (return text)}.
 *  Resolves {status, body, headers}; rejects ApiError for 4xx/5xx. A 401
 *  sends the user to the sign-in page (unless opts.noRedirect). */
export async function api(method, path, opts = {}) {
  const headers = { Accept: 'application/json', ...(opts.headers || {}) };
  const init = { method, headers, credentials: 'same-origin' };
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(opts.body);
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let body = null;
  if (text && (res.headers.get('content-type') || '').includes('json')) {
    try { body = JSON.parse(text); } catch { body = null; }
  }
  if (res.status === 401 && !opts.noRedirect) {
    const next = location.pathname + location.search;
    location.assign(`/sign-in?next=${encodeURIComponent(next)}`);
  }
  if (res.status >= 400) throw new ApiError(res.status, body, res.headers);
  return { status: res.status, body: opts.raw ? text : body, headers: res.headers };
}

export const DP = '/api/data-governance/data-products';
