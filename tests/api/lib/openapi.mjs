// openapi.mjs: checks real server responses against docs/openapi.json.
//
//   import { loadSpec, checkResponse } from './lib/openapi.mjs';
//   const spec = await loadSpec();            // dereferenced document, cached
//   checkResponse('GET', '/api/v1/spaces?limit=5', 200, 'application/json', body, headers);
//
// checkResponse throws an Error naming the operation, the status and every
// mismatch when:
//   - the method + path is not in the document (any path may also answer
//     400 DP-400-MALFORMED-REQUEST and 408 DP-408-REQUEST-TIMEOUT: the HTTP
//     layer refuses those before routing). Exception: a path the
//     document does not know may answer 404 (and a known path with an
//     undocumented method 405), and any path 413, with an ErrorResponse
//     envelope of the matching code: that is what the dispatcher sends
//     before routing/authentication (src/http/server.c);
//   - the status is not documented for the operation;
//   - the Content-Type is not one the response documents, or a body is sent
//     where none is documented (204);
//   - the body fails the response schema (Ajv 2020-12, all errors);
//   - with `headers` (a fetch Headers or a plain object): a header the
//     response marks `required` is missing or fails its schema, an error
//     body's traceId differs from X-Trace-Id, or a 405's Allow header does
//     not list exactly the methods the document has for the path.
// Error bodies must also carry errors[].status equal to the HTTP status.
// Query strings are ignored; HEAD responses are checked without a body. Call `await loadSpec()` once before the first
// checkResponse (srv.api() does it for you).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SPEC_PATH = path.resolve(here, '../../../docs/openapi.json');

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

let specPromise = null;
let spec = null; // the resolved document once loadSpec() has finished
let templates = []; // [{ template, segments, item }]
const validators = new Map(); // schema object -> compiled Ajv function

const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv);

/** The dereferenced OpenAPI document (loaded once, then cached). */
export function loadSpec() {
  if (!specPromise) {
    specPromise = SwaggerParser.dereference(SPEC_PATH).then((doc) => {
      spec = doc;
      templates = Object.entries(doc.paths || {}).map(([template, item]) => ({
        template, item, segments: template.split('/'),
      }));
      return doc;
    });
    specPromise.catch(() => { specPromise = null; });
  }
  return specPromise;
}

/** Strips query string and fragment. */
function pathOnly(p) {
  const i = p.search(/[?#]/);
  return i < 0 ? p : p.slice(0, i);
}

function segmentMatches(tpl, seg) {
  if (tpl.length >= 2 && tpl.startsWith('{') && tpl.endsWith('}')) return seg.length > 0;
  return tpl === seg;
}

/**
 * Templates of the document matching a concrete path, most literal first
 * (OpenAPI: concrete paths win over templated ones).
 */
export function matchTemplates(concretePath) {
  if (!spec) throw new Error('openapi.mjs: call `await loadSpec()` before matching paths');
  const segs = pathOnly(concretePath).split('/');
  const literal = (t) => t.segments.filter((s) => !s.startsWith('{')).length;
  return templates
    .filter((t) => t.segments.length === segs.length && t.segments.every((s, i) => segmentMatches(s, segs[i])))
    .sort((a, b) => literal(b) - literal(a));
}

function validatorFor(schema) {
  let v = validators.get(schema);
  if (!v) {
    v = ajv.compile(schema);
    validators.set(schema, v);
  }
  return v;
}

function describeErrors(errors) {
  return (errors || []).map((e) => {
    const where = e.instancePath || '(root)';
    let extra = '';
    if (e.keyword === 'additionalProperties') extra = ` '${e.params.additionalProperty}'`;
    else if (e.keyword === 'enum') extra = ` ${JSON.stringify(e.params.allowedValues)}`;
    return `${where} ${e.message}${extra}`;
  }).join('; ');
}

function excerpt(body) {
  const s = typeof body === 'string' ? body : JSON.stringify(body);
  if (s === undefined) return '(no body)';
  return s.length > 600 ? `${s.slice(0, 600)}...` : s;
}

function mediaType(ct) {
  return (ct || '').split(';')[0].trim().toLowerCase();
}

function isJsonType(mt) {
  return mt === 'application/json' || /^application\/[a-z0-9.+-]*\+json$/.test(mt);
}

function getHeader(headers, name) {
  if (!headers) return undefined;
  if (typeof headers.get === 'function') return headers.get(name) ?? undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : headers[key];
}

function isEmptyBody(body) {
  return body === undefined || body === null || body === '';
}

/** The response object for status: exact code first, then "4XX", then "default". */
function responseFor(operation, status) {
  const r = operation.responses || {};
  return r[String(status)] || r[`${String(status)[0]}XX`] || r.default;
}

/**
 * Checks one response against the document; throws an Error describing every
 * mismatch. body is the parsed JSON value or the raw text (a string for a
 * JSON Content-Type is parsed here). headers is optional.
 */
export function checkResponse(method, concretePath, status, contentType, body, headers) {
  if (!spec) throw new Error('openapi.mjs: call `await loadSpec()` before checkResponse()');
  const m = String(method).toLowerCase();
  const p = pathOnly(concretePath);
  const where = `${String(method).toUpperCase()} ${p} -> ${status}`;
  const fail = (msg) => {
    const err = new Error(`OpenAPI contract violation: ${where}: ${msg}\n  body: ${excerpt(body)}`);
    err.code = 'ERR_OPENAPI_MISMATCH';
    throw err;
  };

  const matches = matchTemplates(p);
  // Refusals of the HTTP layer itself, before routing (src/http/server.c):
  // ambiguous framing (400) and overdue requests (408), for any path.
  const early = { 400: 'DP-400-MALFORMED-REQUEST', 408: 'DP-408-REQUEST-TIMEOUT' }[status];
  if (early && mediaType(contentType) === 'application/json' && typeof body === 'string' && body.includes(`"${early}"`)) {
    const label = `HTTP-layer refusal ${status}`;
    let parsed;
    try { parsed = JSON.parse(body); } catch { fail(`${label}: body is not valid JSON`); }
    const v = validatorFor(spec.components.schemas.ErrorResponse);
    if (!v(parsed)) fail(`${label}: body does not match ErrorResponse: ${describeErrors(v.errors)}`);
    if (parsed.errors.some((e) => e.code !== early)) fail(`${label}: error code other than ${early}`);
    checkErrorEnvelope(parsed, status, headers, fail, label);
    return;
  }
  const hit = matches.find((t) => t.item[m]);
  let operation;
  let label;
  let schema;
  let response;
  if (hit) {
    operation = hit.item[m];
    label = `${operation.operationId || m} (${m.toUpperCase()} ${hit.template})`;
    response = responseFor(operation, status);
    if (!response) {
      fail(`status ${status} is not documented for ${label}; documented: ${Object.keys(operation.responses || {}).join(', ')}`);
    }
  } else {
    // Not in the document: only what the dispatcher sends before routing.
    const allowed = matches.length ? { 405: 'DP-405-METHOD-NOT-ALLOWED', 413: 'DP-413-PAYLOAD-TOO-LARGE' }
      : { 404: 'DP-404-ROUTE-NOT-FOUND', 413: 'DP-413-PAYLOAD-TOO-LARGE' };
    label = matches.length ? `undocumented method on ${matches.map((t) => t.template).join(' | ')}`
      : 'undocumented path';
    if (!allowed[status]) {
      fail(`${label}: ${m.toUpperCase()} ${p} is not in the document, and status ${status} is not one the `
        + `dispatcher sends for it (expected ${Object.keys(allowed).join(' or ')} with an ErrorResponse)`);
    }
    if (mediaType(contentType) !== 'application/json') fail(`${label}: Content-Type '${contentType}' is not application/json`);
    if (m === 'head') { // HTTP sends no body with HEAD
      if (status === 405 && headers) checkAllow(matches, headers, fail, label);
      return;
    }
    let parsed = body;
    if (typeof body === 'string') {
      try { parsed = JSON.parse(body); } catch { fail(`${label}: body is not valid JSON`); }
    }
    const v = validatorFor(spec.components.schemas.ErrorResponse);
    if (!v(parsed)) fail(`${label}: body does not match ErrorResponse: ${describeErrors(v.errors)}`);
    const bad = parsed.errors.find((e) => e.code !== allowed[status]);
    if (bad) fail(`${label}: error code ${bad.code} where ${allowed[status]} is expected`);
    checkErrorEnvelope(parsed, status, headers, fail, label);
    if (status === 405 && headers) checkAllow(matches, headers, fail, label);
    return;
  }

  // Documented operation and status.
  const content = response.content || {};
  const types = Object.keys(content);
  const mt = mediaType(contentType);
  if (types.length === 0) {
    if (!isEmptyBody(body)) fail(`${label}: status ${status} documents no body, but one was sent (Content-Type '${contentType}')`);
  } else {
    const key = types.find((t) => t.toLowerCase() === mt)
      || types.find((t) => t.endsWith('/*') && mt.startsWith(t.slice(0, -1)))
      || types.find((t) => t === '*/*');
    if (!key) fail(`${label}: Content-Type '${contentType}' is not documented for status ${status}; documented: ${types.join(', ')}`);
    schema = m === 'head' ? undefined : content[key].schema; // HTTP sends no body with HEAD
    let value = body;
    if (m === 'head') {
      if (!isEmptyBody(body)) fail(`${label}: a HEAD response carries a body`);
    } else if (isJsonType(mt)) {
      if (isEmptyBody(body)) fail(`${label}: empty body where ${key} is documented`);
      if (typeof body === 'string') {
        try { value = JSON.parse(body); } catch { fail(`${label}: body is not valid JSON`); }
      }
    } else if (value === undefined || value === null) {
      value = '';
    }
    if (schema) {
      const v = validatorFor(schema);
      if (!v(value)) fail(`${label}: ${key} body does not match the status ${status} schema: ${describeErrors(v.errors)}`);
    }
    if (status >= 400 && isJsonType(mt) && m !== 'head') checkErrorEnvelope(value, status, headers, fail, label);
  }
  if (headers) {
    for (const [name, h] of Object.entries(response.headers || {})) {
      const val = getHeader(headers, name);
      if (val === undefined) {
        if (h.required) fail(`${label}: required response header '${name}' is missing`);
        continue;
      }
      if (h.schema) {
        const v = validatorFor(h.schema);
        if (!v(val)) fail(`${label}: header '${name}: ${val}' does not match its schema: ${describeErrors(v.errors)}`);
      }
    }
    if (status === 405) checkAllow(matches, headers, fail, label);
  }
}

/** errors[].status equals the HTTP status; traceId equals X-Trace-Id. */
function checkErrorEnvelope(value, status, headers, fail, label) {
  if (!value || !Array.isArray(value.errors)) return;
  for (const e of value.errors) {
    if (e && e.status !== String(status)) fail(`${label}: errors[].status is ${JSON.stringify(e.status)}, HTTP status is ${status}`);
  }
  const trace = getHeader(headers, 'x-trace-id');
  if (headers && value.traceId !== trace) fail(`${label}: traceId ${JSON.stringify(value.traceId)} differs from X-Trace-Id ${JSON.stringify(trace)}`);
}

/** Allow lists exactly the methods the document has for the matching path(s). */
function checkAllow(matches, headers, fail, label) {
  const allow = getHeader(headers, 'allow');
  if (allow === undefined) fail(`${label}: 405 without an Allow header`);
  const expected = new Set(matches.flatMap((t) => METHODS.filter((x) => t.item[x]).map((x) => x.toUpperCase())));
  const got = new Set(allow.split(',').map((s) => s.trim()).filter(Boolean));
  const same = got.size === expected.size && [...got].every((x) => expected.has(x));
  if (!same) fail(`${label}: Allow '${allow}' but the document lists ${[...expected].join(', ')}`);
}
