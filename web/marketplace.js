// marketplace.js: the marketplace at `/` (SPEC §6). Consumers find the
// activated data products they may see: a search box, facets (tags, spaces)
// with counts, a sort, result cards and paging. The URL holds the whole state
// (q, tag*, space*, sort, page), so links can be shared and the back button
// works: every render reads location.search and nothing else.
//
// In-page changes (search, a facet, the sort, a page link) push one history
// entry and update the results in place, keeping keyboard focus where the
// user is; back/forward go through app.js, which calls render() again.
// Everything the server sends is shown as text (dom.js), never parsed as HTML.
import { api, ApiError, DP } from './api.js';
import { h, replace, announce, fmtDate, fmtPercent } from './dom.js';

const LIMIT = 20;
const EXCERPT = 200;
const SORTS = {
  // URL value → [label, API sort]
  relevance: ['Relevance', 'relevance'],
  name: ['Name', 'name'],
  updated: ['Recently updated', '-updatedAt'],
  trust: ['Trust score', '-trustScore'],
};
const SPACE_RE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|personal)$/;
const MAX_VALUES = 16; // the server's limit for repeated tag / spaceId
const MAX_PAGE = 1000000;
const FACET_TOP = 20; // the server returns the top 20 values of each facet

let view = null; // the mounted page: {root, els, ctx, seq}
const spaceNames = new Map(); // id → name (cached for the app's life)

// ---------------------------------------------------------------- URL state

/** The state in location.search, cleaned: {q, tags, spaces, sort, page}
 *  plus `dropped` (names of parameters that were ignored as invalid). */
export function readState(search = location.search) {
  const p = new URLSearchParams(search);
  const dropped = [];
  const q = (p.get('q') || '').trim();
  const uniq = (xs) => [...new Set(xs)];
  let tags = uniq(p.getAll('tag').map((t) => t.trim()).filter(Boolean));
  if (tags.length > MAX_VALUES) { tags = tags.slice(0, MAX_VALUES); dropped.push('tag'); }
  let spaces = uniq(p.getAll('space'));
  if (spaces.some((s) => !SPACE_RE.test(s))) { spaces = spaces.filter((s) => SPACE_RE.test(s)); dropped.push('space'); }
  if (spaces.length > MAX_VALUES) { spaces = spaces.slice(0, MAX_VALUES); dropped.push('space'); }
  let sort = p.get('sort') || '';
  if (sort && (!SORTS[sort] || (sort === 'relevance' && !q))) { dropped.push('sort'); sort = ''; }
  let page = 1;
  const rawPage = p.get('page');
  if (rawPage !== null) {
    if (/^[1-9][0-9]{0,6}$/.test(rawPage) && Number(rawPage) <= MAX_PAGE) page = Number(rawPage);
    else dropped.push('page');
  }
  return { q, tags, spaces, sort, page, dropped };
}

/** The sort in effect: the chosen one, else relevance with a query, else recently updated. */
const effectiveSort = (s) => s.sort || (s.q ? 'relevance' : 'updated');

/** The app URL for a state (defaults left out, so links stay short). */
export function urlFor(s) {
  const p = new URLSearchParams();
  if (s.q) p.set('q', s.q);
  for (const t of s.tags) p.append('tag', t);
  for (const sp of s.spaces) p.append('space', sp);
  if (s.sort && s.sort !== (s.q ? 'relevance' : 'updated')) p.set('sort', s.sort);
  if (s.page > 1) p.set('page', String(s.page));
  const qs = p.toString();
  return qs ? `/?${qs}` : '/';
}

function apiQuery(s, { spaces = true, limit = LIMIT, page = s.page, facets = 'tags,spaceId' } = {}) {
  const p = new URLSearchParams({ activated: 'true', limit: String(limit), page: String(page) });
  const sort = effectiveSort(s);
  p.set('sort', SORTS[sort][1]);
  if (s.q) p.set('query', s.q);
  for (const t of s.tags) p.append('tag', t);
  if (spaces) for (const sp of s.spaces) p.append('spaceId', sp);
  if (facets) p.set('facets', facets);
  return `${DP}?${p}`;
}

const hasFilters = (s) => s.tags.length > 0 || s.spaces.length > 0;

// ---------------------------------------------------------------- spaces

async function loadSpaceNames() {
  if (spaceNames.size) return;
  for (let page = 1; page <= 5; page++) {
    const res = await api('GET', `/api/v1/spaces?limit=100&page=${page}`);
    for (const sp of res.body?.data || []) spaceNames.set(sp.id, sp.name);
    if (!res.body?.links?.next) break;
  }
}

/** Names of spaces the list did not have (one GET each; failures stay unnamed). */
async function resolveSpaces(ids) {
  const missing = [...new Set(ids)].filter((id) => id && id !== 'personal' && !spaceNames.has(id));
  await Promise.all(missing.slice(0, 40).map(async (id) => {
    try {
      const res = await api('GET', `/api/v1/spaces/${encodeURIComponent(id)}`);
      if (res.body?.name) spaceNames.set(id, res.body.name);
    } catch { /* shown as an unnamed space */ }
  }));
}

function spaceName(id) {
  if (!id || id === 'personal') return 'Personal';
  return spaceNames.get(id) || 'Unnamed space';
}

// ---------------------------------------------------------------- formatting

const fmtInt = (n) => Number(n).toLocaleString('en');

/** The first ~200 characters of text, cut at a word where possible. */
export function excerpt(text, max = EXCERPT) {
  const s = String(text || '').replace(/\s+/g, ' ').trim();
  const chars = Array.from(s); // never split a surrogate pair
  if (chars.length <= max) return s;
  let cut = chars.slice(0, max).join('');
  const space = cut.lastIndexOf(' ');
  if (space > max * 0.6) cut = cut.slice(0, space);
  return `${cut.replace(/[\s.,;:!?-]+$/, '')}…`;
}

function countText(body) {
  const total = body.total;
  const noun = total === 1 ? 'product' : 'products';
  if (!body.data.length) return '';
  const first = (body.page - 1) * body.limit + 1;
  const last = first + body.data.length - 1;
  if (body.totalRelation === 'gte') return `${fmtInt(first)}–${fmtInt(last)} of more than ${fmtInt(total)} products`;
  if (first === 1 && last === total) return `${fmtInt(total)} ${noun}`;
  return `${fmtInt(first)}–${fmtInt(last)} of ${fmtInt(total)} ${noun}`;
}

function trustClass(score) {
  if (score >= 75) return 'trust-high';
  if (score >= 50) return 'trust-mid';
  return 'trust-low';
}

// ---------------------------------------------------------------- rendering

export async function render(main, _params, ctx) {
  if (!view || !view.root.isConnected || !main.contains(view.root)) view = mount(main);
  view.ctx = ctx;
  await load({ fromUrl: true });
}

function mount(main) {
  const input = h('input', {
    id: 'market-q', type: 'search', name: 'q', autocomplete: 'off', spellcheck: 'false',
    maxlength: '256', 'aria-describedby': 'market-q-help',
  });
  const form = h('form', { class: 'market-search', novalidate: true },
    h('label', { for: 'market-q' }, 'Search products'),
    h('div', { class: 'market-search-row' },
      input,
      h('button', { type: 'submit', class: 'primary' }, 'Search')),
    h('p', { id: 'market-q-help', class: 'help' }, 'Words or word beginnings (ord finds Orders) in names, tags, descriptions, read-mes and data set names; "quotes" for a phrase. Name matches come first.'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const s = readState();
    const q = input.value.trim();
    const sort = q ? s.sort : (s.sort === 'relevance' ? '' : s.sort);
    go({ ...s, q, sort, page: 1 }, { focus: 'results' });
  });

  const notice = h('div', { class: 'market-notice', role: 'status' });
  const filterSummary = h('span', { class: 'filter-summary' });
  const facets = h('div', { class: 'facets' });
  const details = h('details', { class: 'filter-toggle' },
    h('summary', null, 'Show filters', filterSummary),
    facets);
  const wide = window.matchMedia('(min-width: 56rem)');
  details.open = wide.matches;
  wide.addEventListener('change', () => { if (wide.matches) details.open = true; });

  const sortSelect = h('select', { id: 'market-sort', name: 'sort' });
  sortSelect.addEventListener('change', () => {
    const s = readState();
    go({ ...s, sort: sortSelect.value, page: 1 }, { focus: null });
  });
  const sortField = h('div', { class: 'field sort-field' },
    h('label', { for: 'market-sort' }, 'Sort by'),
    sortSelect);
  const count = h('p', { class: 'result-count', id: 'market-count' });
  const resultsHeading = h('h2', { id: 'market-results-heading', tabindex: '-1' }, 'Results');
  const body = h('div', { class: 'results-body' });
  const loading = h('p', { class: 'loading market-loading', hidden: true }, 'Loading products…');
  const results = h('section', { class: 'market-results', 'aria-labelledby': 'market-results-heading' },
    h('div', { class: 'results-head' },
      h('div', null, resultsHeading, count),
      sortField),
    loading,
    body);

  let filters;
  const root = h('div', { class: 'marketplace' },
    h('h1', null, 'Marketplace'),
    h('p', { class: 'lead' }, 'Find the data products published in your organisation\u2019s spaces.'),
    h('search', { class: 'market-search-wrap' }, form),
    notice,
    h('div', { class: 'market-layout' },
      filters = h('section', { class: 'market-filters', 'aria-labelledby': 'market-filters-heading' },
        h('h2', { id: 'market-filters-heading' }, 'Filters'),
        details),
      results));
  replace(main, root);
  return { root, ctx: null, seq: 0, els: { input, notice, filters, sortField, facets, details, filterSummary, sortSelect, count, resultsHeading, body, loading, results } };
}

/** Moves to state s: one history entry (none when the URL is unchanged), then loads. */
function go(s, { focus = null } = {}) {
  const url = urlFor(s);
  if (url !== location.pathname + location.search) history.pushState(null, '', url);
  return load({ focus });
}

/** Reads the URL and shows its results. */
async function load({ fromUrl = false, focus = null, notice: noticeText = '' } = {}) {
  const v = view;
  const seq = ++v.seq;
  const live = () => v === view && seq === v.seq && v.root.isConnected && (!v.ctx || v.ctx.seq());
  const { els } = v;
  const s = readState();

  if (s.dropped.length) {
    // Clean the URL of what we ignored, and say so.
    history.replaceState(null, '', urlFor(s));
    noticeText = `Part of this link was not understood (${s.dropped.join(', ')}) and was ignored.`;
  }
  replace(els.notice, noticeText ? h('p', { class: 'notice' }, noticeText) : null);

  // The controls show the state at once.
  els.input.value = s.q;
  fillSort(els.sortSelect, s);
  document.title = s.q ? `\u201c${s.q}\u201d · Marketplace · Data products` : 'Marketplace · Data products';

  // Loading: mark busy now, show words only if it takes a while (no flash).
  els.results.setAttribute('aria-busy', 'true');
  const slow = setTimeout(() => { if (live()) { els.loading.hidden = false; els.body.classList.add('is-stale'); } }, 400);

  let body;
  let spaceFacet = null;
  try {
    const spacesReady = loadSpaceNames().catch(() => {});
    const main = api('GET', apiQuery(s));
    // Spaces are "any of": their counts ignore the space filter, so that a
    // second space can be added (one small extra request while one is chosen).
    const other = s.spaces.length
      ? api('GET', apiQuery(s, { spaces: false, limit: 1, page: 1, facets: 'spaceId' })).then((r) => r.body?.facets?.spaceId || null).catch(() => null)
      : Promise.resolve(null);
    [body, spaceFacet] = await Promise.all([main.then((r) => r.body), other, spacesReady]);
    await resolveSpaces([...(body.facets?.spaceId || []).map((f) => f.value), ...(spaceFacet || []).map((f) => f.value),
      ...s.spaces, ...body.data.map((p) => p.spaceId)]);
  } catch (err) {
    clearTimeout(slow);
    if (!live()) return;
    els.results.removeAttribute('aria-busy');
    els.loading.hidden = true;
    els.body.classList.remove('is-stale');
    if (err instanceof ApiError && err.status === 400 && urlFor(s) !== '/') {
      // The server refused something in the link: show everything instead.
      history.replaceState(null, '', '/');
      return load({ focus, notice: `This link asked for something the server did not accept (${err.detail || err.message}), so all products are shown instead.` });
    }
    if (err instanceof ApiError && err.status === 401) return; // api.js goes to sign-in
    showError(els, err);
    return;
  }
  clearTimeout(slow);
  if (!live()) return;

  els.results.removeAttribute('aria-busy');
  els.loading.hidden = true;
  els.body.classList.remove('is-stale');
  // Nothing published at all: no filters or sort to offer.
  const nothing = body.total === 0 && !s.q && !hasFilters(s);
  els.filters.hidden = nothing;
  els.sortField.hidden = nothing;
  renderFacets(els, s, body.facets || {}, spaceFacet);
  renderResults(els, s, body);
  const said = body.data.length ? countText(body) : (hasFilters(s) || s.q ? 'No products match' : 'No products yet');
  if (!fromUrl) announce(said);
  if (focus === 'results') {
    els.resultsHeading.focus();
    els.resultsHeading.scrollIntoView?.({ block: 'start' });
  }
}

function fillSort(select, s) {
  const cur = effectiveSort(s);
  const keys = Object.keys(SORTS).filter((k) => k !== 'relevance' || s.q);
  // Rebuild the options only when the set changes (not under a user's arrow keys).
  if ([...select.options].map((o) => o.value).join() !== keys.join()) {
    replace(select, keys.map((k) => h('option', { value: k }, SORTS[k][0])));
  }
  select.value = cur;
}

function showError(els, err) {
  replace(els.count);
  replace(els.body,
    h('div', { class: 'card market-error', role: 'alert' },
      h('p', { class: 'error' }, 'The products could not be loaded.'),
      h('p', null, err.status === 429
        ? 'Too many requests were made in a short time. Wait a moment and try again.'
        : `The server said: ${err.message || String(err)}`),
      h('button', { type: 'button', onclick: () => load({ focus: 'results' }) }, 'Try again')));
}

// ---------------------------------------------------------------- facets

function renderFacets(els, s, facets, spaceFacet) {
  // Which checkbox had focus, so that it keeps it after the rebuild.
  const active = document.activeElement;
  const keep = active && els.facets.contains(active) && active.dataset ? { group: active.dataset.group, value: active.value } : null;

  const tagRows = mergeSelected(facets.tags || [], s.tags);
  const spaceRows = mergeSelected(spaceFacet || facets.spaceId || [], s.spaces);
  const n = s.tags.length + s.spaces.length;
  els.filterSummary.textContent = n ? ` (${n} selected)` : '';

  const group = (name, legend, rows, selected, label, empty) => {
    const id = `facet-${name}`;
    return h('fieldset', { class: 'facet' },
      h('legend', null, legend),
      rows.length
        ? h('ul', { class: 'facet-list' }, rows.map((r, i) => {
          const cbId = `${id}-${i}`;
          const cb = h('input', {
            type: 'checkbox', id: cbId, value: r.value, checked: selected.includes(r.value),
            dataset: { group: name },
          });
          cb.addEventListener('change', () => toggle(name, r.value, cb.checked));
          return h('li', null,
            cb,
            h('label', { for: cbId },
              h('span', { class: 'facet-value' }, label(r.value)),
              ' ',
              h('span', { class: 'facet-count' }, r.count === null ? '' : `(${fmtInt(r.count)})`)));
        }))
        : h('p', { class: 'help' }, empty));
  };

  replace(els.facets,
    group('tag', 'Tags', tagRows, s.tags, (v) => v, 'No tags in these results.'),
    group('space', 'Spaces', spaceRows, s.spaces, spaceName, 'No spaces in these results.'),
    n ? h('p', { class: 'clear-filters' },
      link(urlFor({ ...s, tags: [], spaces: [], page: 1 }), 'Clear all filters', 'results')) : null);

  if (keep) {
    const again = [...els.facets.querySelectorAll('input[type=checkbox]')]
      .find((c) => c.dataset.group === keep.group && c.value === keep.value);
    (again || els.resultsHeading).focus();
  }
}

/** Facet rows plus the selected values the list left out: 0 when the list
 *  is complete, unknown when it was cut at the server's top 20. */
function mergeSelected(rows, selected) {
  const out = rows.map((r) => ({ value: r.value, count: r.count }));
  const missing = rows.length < FACET_TOP ? 0 : null;
  for (const v of selected) if (!out.some((r) => r.value === v)) out.push({ value: v, count: missing });
  return out;
}

function toggle(group, value, on) {
  const s = readState();
  const key = group === 'tag' ? 'tags' : 'spaces';
  const list = s[key].filter((x) => x !== value);
  if (on) list.push(value);
  go({ ...s, [key]: list, page: 1 });
}

/** A link inside the page: a real href (open in a new tab, share), handled in place. */
function link(href, text, focus, attrs = {}) {
  return h('a', {
    href,
    ...attrs,
    onclick: (e) => {
      if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      if (href !== location.pathname + location.search) history.pushState(null, '', href);
      load({ focus });
    },
  }, text);
}

// ---------------------------------------------------------------- results

function renderResults(els, s, body) {
  replace(els.count, countText(body));
  if (!body.data.length) {
    replace(els.body, emptyState(s, body));
    return;
  }
  replace(els.body,
    h('ul', { class: 'result-list' }, body.data.map((p) => h('li', null, card(p)))),
    pagination(s, body));
}

function emptyState(s, body) {
  if (body.total > 0 && s.page > 1) {
    // A page past the end (an old link).
    const last = Math.max(1, body.pages);
    return h('div', { class: 'card empty' },
      h('p', null, `There is no page ${fmtInt(s.page)} of these results.`),
      h('p', null, link(urlFor({ ...s, page: 1 }), 'Go to the first page', 'results'),
        body.totalRelation === 'eq' ? [' or ', link(urlFor({ ...s, page: last }), `the last page (${fmtInt(last)})`, 'results')] : null,
        '.'));
  }
  if (!s.q && !hasFilters(s)) {
    const user = view?.ctx?.user;
    const creator = user?.roles?.some((r) => r === 'DataProductCreator' || r === 'TenantAdmin');
    return h('div', { class: 'card empty' },
      h('h3', { class: 'empty-title' }, 'No products yet'),
      h('p', null, 'No data products have been published to the marketplace in the spaces you can see.'),
      creator ? h('p', null, h('a', { href: '/my' }, 'Go to My products'), ' to create and activate one.') : null);
  }
  const tips = [];
  if (hasFilters(s)) tips.push(h('li', null, link(urlFor({ ...s, tags: [], spaces: [], page: 1 }), 'Clear all filters', 'results')));
  if (s.q) {
    tips.push(h('li', null, 'Check the spelling, or try fewer or shorter words.'));
    tips.push(h('li', null, link(urlFor({ q: '', tags: [], spaces: [], sort: '', page: 1 }), 'Show all products', 'results')));
  }
  return h('div', { class: 'card empty' },
    h('h3', { class: 'empty-title' }, s.q ? `No products match \u201c${s.q}\u201d` : 'No products match these filters'),
    h('p', null, 'You could:'),
    h('ul', null, tips));
}

function card(p) {
  const ts = p.trustScore && typeof p.trustScore.score === 'number' ? Math.round(p.trustScore.score) : null;
  const q = p.quality && typeof p.quality.validity === 'number' ? p.quality : null;
  const desc = excerpt(p.description);
  const item = (label, ...value) => h('div', { class: 'meta-item' }, h('dt', null, label), h('dd', null, ...value));
  return h('article', { class: 'card product-card', 'aria-labelledby': `p-${p.id}` },
    h('h3', { id: `p-${p.id}` }, h('a', { href: `/products/${encodeURIComponent(p.id)}` }, p.name)),
    desc ? h('p', { class: 'excerpt' }, desc) : h('p', { class: 'excerpt muted' }, 'No description.'),
    p.tags?.length ? h('ul', { class: 'tag-list', 'aria-label': 'Tags' }, p.tags.map((t) => h('li', { class: 'tag' }, t))) : null,
    h('dl', { class: 'product-meta' },
      item('Space', spaceName(p.spaceId)),
      item('Trust score', ts === null
        ? h('span', { class: 'muted' }, 'Not measured')
        : h('span', { class: `trust ${trustClass(ts)}` }, `${ts}`, h('span', { class: 'out-of' }, ' / 100'))),
      item('Quality', q
        ? `Validity ${fmtPercent(q.validity)}, completeness ${fmtPercent(q.completeness)}`
        : h('span', { class: 'muted' }, 'Not measured')),
      item('Updated', h('time', { datetime: p.updatedAt }, fmtDate(p.updatedAt)))));
}

function pagination(s, body) {
  const pages = Math.max(1, body.pages || 1);
  const hasNext = Boolean(body.links?.next) || s.page < pages;
  if (s.page === 1 && !hasNext) return null;
  const exact = body.totalRelation !== 'gte';
  const nums = new Set([1, s.page - 1, s.page, s.page + 1]);
  if (exact) nums.add(pages);
  const list = [...nums].filter((n) => n >= 1 && (n <= pages || n === s.page)).sort((a, b) => a - b);
  const items = [];
  items.push(h('li', null, s.page > 1
    ? link(urlFor({ ...s, page: s.page - 1 }), 'Previous', 'results', { rel: 'prev' })
    : h('span', { class: 'page-disabled', 'aria-hidden': 'true' }, 'Previous')));
  let prev = 0;
  for (const n of list) {
    if (n - prev > 1) items.push(h('li', { class: 'page-gap', 'aria-hidden': 'true' }, '…'));
    items.push(h('li', null, n === s.page
      ? link(urlFor({ ...s, page: n }), fmtInt(n), 'results', { 'aria-current': 'page', 'aria-label': `Page ${n}` })
      : link(urlFor({ ...s, page: n }), fmtInt(n), 'results', { 'aria-label': `Page ${n}` })));
    prev = n;
  }
  if (!exact && hasNext) items.push(h('li', { class: 'page-gap', 'aria-hidden': 'true' }, '…'));
  items.push(h('li', null, hasNext
    ? link(urlFor({ ...s, page: s.page + 1 }), 'Next', 'results', { rel: 'next' })
    : h('span', { class: 'page-disabled', 'aria-hidden': 'true' }, 'Next')));
  return h('nav', { class: 'pagination', 'aria-label': 'Pagination' }, h('ul', null, items));
}
