// dom.js: building the page without ever parsing user text as HTML.
// h('a', {href, class: 'x', onclick: fn}, 'text', child) creates elements;
// strings become text nodes (textContent), so a product called
// "<script>…" shows exactly that. No innerHTML anywhere in the app.

/** Creates an element. attrs: plain attributes, `class`, `on<event>` handlers,
 *  boolean attributes (true/false), and `dataset`. Children: strings, numbers,
 *  nodes, arrays (flattened), null/false (skipped). */
export function h(tag, attrs, ...children) {
  const svg = tag.startsWith('svg:');
  const el = svg
    ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
    : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style') throw new Error('style attributes are blocked by the CSP: use a class');
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** Replaces the children of el. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Says text to screen-reader users (polite live region). */
export function announce(text) {
  const a = document.getElementById('announcer');
  if (!a) return;
  a.textContent = '';
  setTimeout(() => { a.textContent = text; }, 50);
}

/** "2026-11-26T17:23:07.123Z" → a readable local date and time. */
export function fmtDate(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** A fraction in [0,1] as a percentage ("87 %"). */
export function fmtPercent(f) {
  return typeof f === 'number' ? `${Math.round(f * 100)} %` : '–';
}
