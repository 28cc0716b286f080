// product.js: the product page, /products/{id} (SPEC §6, issue 9).
//
// Shows what a consumer needs to trust and use a data product: name,
// status, description, tags, the readMe (server-rendered by cmark-gfm in
// safe mode, then rebuilt here from an allowlist: nothing from a user is
// ever parsed into this document as HTML), key contacts, data sets with
// their fields, quality and trust score, the product's trust score as a bar
// chart of its axes, the changelog as a timeline, documentation export and
// provider links. Producers also get the actions the rights endpoint allows
// and the product's state admits: Edit, Activate, Deactivate, Move,
// Compute quality, Delete. Every change sends the ETag of the version shown
// (If-Match); a 412 reloads the page and says why.
import { api, DP } from './api.js';
import { h, replace, announce, fmtDate, fmtPercent } from './dom.js';
import { barChart, chartTable } from './chart.js';

const DQ = '/api/data-governance/data-qualities';
const APP = '/api/app/data-products';
const AXES = ['VALIDITY', 'COMPLETENESS', 'DISCOVERABILITY', 'TIMELINESS', 'DIVERSITY', 'USAGE'];
const AXIS_LABELS = {
  VALIDITY: 'Validity', COMPLETENESS: 'Completeness', DISCOVERABILITY: 'Discoverability',
  TIMELINESS: 'Timeliness', DIVERSITY: 'Diversity', USAGE: 'Usage',
};
const FIELD_LABELS = {
  name: 'Name', description: 'Description', tags: 'Tags', spaceId: 'Space', datasetIds: 'Data sets',
  glossaryIds: 'Glossaries', readMe: 'ReadMe', keyContacts: 'Key contacts', activatedOn: 'Activation',
  apiConsumableDatasetIds: 'API-consumable data sets',
};
// Why a quality computation failed (docs/quality.md codes), in words.
const DQ_ERRORS = {
  'DQ-100': 'no file at the data set\u2019s location',
  'DQ-110': 'the file cannot be read',
  'DQ-120': 'the file is not valid CSV',
  'DQ-121': 'the file is empty',
  'DQ-130': 'the location is outside the data directory',
  'DQ-140': 'the data set has no location',
  'DQ-150': 'the data set no longer exists',
  'DQ-160': 'the location is not a regular file',
  'DQ-170': 'the file is too large',
  'DQ-171': 'the computation took too long',
  'DQ-500': 'an internal error',
};
const POLL_MS = 1000;

const enc = encodeURIComponent;
let uidSeq = 0;
const uid = (p) => `${p}-${++uidSeq}`;

export async function render(main, params, ctx) {
  const page = new ProductPage(main, params[0], ctx);
  await page.load();
}

/** A path of this origin from an absolute `links.*.href` (or null). */
function samePath(href) {
  if (!href) return null;
  try {
    const u = new URL(href, location.href);
    return u.pathname + u.search;
  } catch {
    return null;
  }
}

function statusOf(p) {
  if (p.activated) return { text: 'Activated', cls: 'ok' };
  if (p.activatedAt) return { text: 'Deactivated', cls: 'muted' };
  return { text: 'Draft', cls: 'warn' };
}

/** validity/completeness of global-results counts, or null. */
function qualityOf(q) {
  if (!q || !q.total) return null;
  return { validity: q.valid / q.total, completeness: (q.total - q.empty) / q.total, updatedAt: q.updatedAt };
}

function quote(s, max = 120) {
  const t = String(s ?? '');
  return `\u201c${t.length > max ? `${t.slice(0, max)}\u2026` : t}\u201d`;
}

class ProductPage {
  constructor(main, id, ctx) {
    this.main = main;
    this.id = id;
    this.ctx = ctx;
    this.users = new Map(); // id -> name (or null while unknown)
    this.spaces = new Map(); // id -> space
    this.datasets = new Map(); // id -> data set, or {missing: true}
    this.qualities = new Map(); // datasetId -> QualitiesAndErrorsResponse
    this.trust = new Map(); // datasetId -> TrustScoreResponse
    this.changelog = { entries: [], next: null, total: 0 };
    this.progress = h('div', { class: 'progress', role: 'status' });
    this.busy = false;
  }

  alive() { return this.ctx.seq(); }

  // ------------------------------------------------------------ loading

  /** Loads everything and renders. notice: {text, kind} shown on top. */
  async load(notice) {
    let res;
    try {
      res = await api('GET', `${DP}/${enc(this.id)}`);
    } catch (err) {
      if (err.status === 404 || err.status === 400) return this.renderNotFound();
      throw err;
    }
    this.product = res.body;
    this.etag = res.headers.get('etag');
    const p = this.product;
    const [rights, readme] = await Promise.all([
      api('GET', `${APP}/${enc(this.id)}/rights`).then((r) => r.body, () => ({})),
      api('GET', `${APP}/${enc(this.id)}/readme`, { raw: true, headers: { Accept: 'text/html' } })
        .then((r) => r.body, () => null),
      this.loadSpaces(),
      this.loadChangelog(`${DP}/${enc(this.id)}/changelogs?limit=20&sort=-createdAt`, true),
      this.loadDatasets(p.datasetIds),
      this.loadQuality(p.datasetIds),
    ]);
    this.rights = rights || {};
    this.readme = readme;
    await this.resolveNames();
    if (!this.alive()) return;
    this.renderAll(notice);
  }

  async loadSpaces() {
    let path = '/api/v1/spaces?limit=100';
    for (let i = 0; path && i < 10; i++) {
      let r;
      try { r = await api('GET', path); } catch { return; }
      for (const s of r.body.data || []) this.spaces.set(s.id, s);
      path = samePath(r.body.links?.next?.href);
    }
  }

  async loadChangelog(path, reset) {
    const r = await api('GET', path);
    if (reset) this.changelog.entries = [];
    this.changelog.entries.push(...(r.body.data || []));
    this.changelog.next = samePath(r.body.links?.next?.href);
    this.changelog.total = r.body.total ?? this.changelog.entries.length;
  }

  async loadDatasets(ids) {
    await Promise.all(ids.filter((d) => !this.datasets.has(d)).map(async (d) => {
      try {
        const r = await api('GET', `/api/v1/data-sets/${enc(d)}`);
        this.datasets.set(d, r.body);
      } catch {
        this.datasets.set(d, { id: d, missing: true });
      }
    }));
  }

  /** Per data set: the latest quality result and trust score. */
  async loadQuality(ids) {
    if (!ids.length) return;
    const [q, t] = await Promise.all([
      api('POST', `${DQ}/global-results/actions/filter`, { body: { datasetIds: ids } }).catch(() => null),
      api('POST', '/api/data-governance/trust-scores/results/data-sets/actions/filter', { body: { datasetIds: ids } })
        .catch(() => null),
    ]);
    this.qualities.clear();
    for (const x of q?.body?.dataQualities || []) this.qualities.set(x.datasetId, x);
    this.trust.clear();
    for (const x of t?.body?.data || []) this.trust.set(x.datasetId, x);
  }

  /** Names of every user and space the page mentions (owner, contacts, changelog). */
  async resolveNames() {
    const p = this.product;
    const users = new Set([p.ownerId, p.updatedBy, ...p.keyContacts.map((k) => k.userId)]);
    const spaces = new Set([p.spaceId, ...p.activatedOn]);
    const datasets = new Set();
    for (const e of this.changelog.entries) {
      users.add(e.createdBy);
      for (const c of e.changes || []) {
        if (c.path === '/keyContacts' && Array.isArray(c.value)) c.value.forEach((k) => users.add(k?.userId));
        if (c.path === '/spaceId' && typeof c.value === 'string') spaces.add(c.value);
        if (c.path === '/activatedOn' && Array.isArray(c.value)) c.value.forEach((s) => spaces.add(s));
        if ((c.path === '/datasetIds' || c.path === '/apiConsumableDatasetIds') && Array.isArray(c.value)) {
          c.value.slice(0, 100).forEach((d) => datasets.add(d));
        }
      }
    }
    await Promise.all([
      ...[...users].filter((u) => typeof u === 'string' && !this.users.has(u)).map(async (u) => {
        this.users.set(u, null);
        try {
          const r = await api('GET', `/api/v1/users/${enc(u)}`);
          this.users.set(u, r.body.name || r.body.email || null);
        } catch { /* shown as its id */ }
      }),
      ...[...spaces].filter((s) => typeof s === 'string' && s !== 'personal' && !this.spaces.has(s)).map(async (s) => {
        try {
          const r = await api('GET', `/api/v1/spaces/${enc(s)}`);
          this.spaces.set(s, r.body);
        } catch { /* shown as its id */ }
      }),
      this.loadDatasets([...datasets].filter((d) => typeof d === 'string').slice(0, 100)),
    ]);
  }

  userName(id) { return this.users.get(id) || id || 'unknown user'; }

  spaceName(id) {
    if (!id || id === 'personal') return 'the personal area';
    return this.spaces.get(id)?.name || id;
  }

  datasetName(id) {
    const d = this.datasets.get(id);
    return d && !d.missing ? d.name : id;
  }

  // ------------------------------------------------------------ rendering

  renderNotFound() {
    if (!this.alive()) return;
    document.title = 'Product not found \u00b7 Data products';
    replace(this.main,
      h('h1', null, 'Product not found'),
      h('p', null, 'There is no data product at this address, or you do not have access to it. It may have been deleted, or it may be a draft in a space where you have no producing role.'),
      h('p', null, h('a', { href: '/' }, 'Go to the marketplace')));
  }

  /** Renders the whole page; keeps the focused control focused if it still exists. */
  renderAll(notice) {
    const p = this.product;
    const focusKey = document.activeElement?.dataset?.key;
    document.title = `${p.name} \u00b7 Data products`;
    this.notice = h('div', { class: `notice${notice?.kind === 'warn' ? ' warn' : ''}`, tabindex: '-1' },
      notice?.text || null);
    if (!notice) this.notice.classList.add('empty');
    // an open dialog survives a re-render (e.g. a computation finishing meanwhile)
    const dialogs = [...this.main.querySelectorAll(':scope > dialog')];
    for (const c of [...this.main.childNodes]) if (!dialogs.includes(c)) c.remove();
    this.main.prepend(
      this.renderHeader(),
      this.notice,
      this.progress,
      h('div', { class: 'product-layout' },
        h('div', { class: 'product-aside' },
          this.renderTrust(),
          this.renderContacts(),
          this.renderExport()),
        h('div', { class: 'product-main' },
          this.renderReadme(),
          this.renderDatasets(),
          this.renderChangelog())));
    if (dialogs.some((d) => d.open)) return;
    if (focusKey) this.main.querySelector(`[data-key="${CSS.escape(focusKey)}"]`)?.focus();
    if (notice?.focus) this.notice.focus();
    else if (notice?.text) announce(notice.text);
  }

  renderHeader() {
    const p = this.product;
    const st = statusOf(p);
    const tags = p.tags.length
      ? h('ul', { class: 'tag-list', 'aria-label': 'Tags' }, p.tags.map((t) => h('li', { class: 'tag' }, t)))
      : null;
    return h('div', { class: 'product-header' },
      h('p', { class: 'breadcrumb' }, h('a', { href: '/' }, 'Marketplace')),
      h('h1', null, p.name),
      h('p', { class: 'status-line' },
        h('span', { class: `badge ${st.cls}` }, h('span', { class: 'visually-hidden' }, 'Status: '), st.text),
        p.activated && p.pendingChangesCount > 0
          ? h('span', { class: 'pending' }, `${p.pendingChangesCount} change${p.pendingChangesCount === 1 ? '' : 's'} since activation`)
          : null),
      h('dl', { class: 'meta' },
        h('div', null, h('dt', null, 'Space'), h('dd', null, p.spaceId ? this.spaceName(p.spaceId) : 'Personal area')),
        h('div', null, h('dt', null, 'Owner'), h('dd', null, this.userName(p.ownerId))),
        h('div', null, h('dt', null, 'Updated'), h('dd', null, h('time', { datetime: p.updatedAt }, fmtDate(p.updatedAt)))),
        p.activatedAt && h('div', null, h('dt', null, p.activated ? 'Activated' : 'Last activated'),
          h('dd', null, h('time', { datetime: p.activatedAt }, fmtDate(p.activatedAt))))),
      tags,
      p.description ? h('p', { class: 'description' }, p.description) : h('p', { class: 'description muted' }, 'No description.'),
      this.renderActions());
  }

  renderActions() {
    const p = this.product;
    const r = this.rights;
    const btn = (key, text, onclick, cls) => h('button', { type: 'button', class: cls, dataset: { key }, onclick }, text);
    const items = [
      r.edit && h('a', { class: 'button', href: `/products/${enc(this.id)}/edit` }, 'Edit'),
      r.activate && (!p.activated || p.pendingChangesCount > 0)
        && btn('activate', p.activated ? 'Publish changes' : 'Activate', (e) => this.openActivate(e.currentTarget), 'primary'),
      r.deactivate && p.activated && btn('deactivate', 'Deactivate', (e) => this.openDeactivate(e.currentTarget)),
      r.move && btn('move', 'Move', (e) => this.openMove(e.currentTarget)),
      r.computeQuality && p.datasetIds.length > 0
        && btn('compute', 'Compute quality', (e) => this.computeQuality(e.currentTarget)),
      r.delete && !p.activated && btn('delete', 'Delete', (e) => this.openDelete(e.currentTarget), 'danger-outline'),
    ].filter(Boolean);
    if (!items.length) return null;
    return h('div', { class: 'actions', role: 'group', 'aria-label': 'Product actions' },
      items,
      r.delete && p.activated && h('p', { class: 'help' }, 'To delete this product, deactivate it first.'));
  }

  renderReadme() {
    const body = this.readme ? safeHtml(this.readme) : null;
    const has = body && body.childNodes.length > 0;
    return h('section', { class: 'card readme', 'aria-labelledby': 'readme-h' },
      h('h2', { id: 'readme-h' }, 'ReadMe'),
      has ? h('div', { class: 'markdown' }, body) : h('p', { class: 'muted' }, this.readme === null ? 'The readMe could not be loaded.' : 'No readMe yet.'));
  }

  renderTrust() {
    const p = this.product;
    const ts = p.trustScore;
    const q = p.quality;
    const dims = new Map((ts?.dimensions || []).map((d) => [d.id, d]));
    const ids = [...AXES, ...[...dims.keys()].filter((k) => !AXES.includes(k))];
    const items = ids.map((a) => ({ label: AXIS_LABELS[a] || a, value: dims.get(a)?.score }));
    return h('section', { class: 'card trust', 'aria-labelledby': 'trust-h' },
      h('h2', { id: 'trust-h' }, 'Trust score'),
      ts
        ? [
          h('p', { class: 'score' }, h('span', { class: 'score-value' }, String(Math.round(ts.score))),
            h('span', { class: 'score-max' }, ' out of 100')),
          h('p', { class: 'help' }, `Mean over ${ts.applicableDatasets} data set${ts.applicableDatasets === 1 ? '' : 's'} with a score.`),
          h('h3', null, 'By axis'),
          barChart(items, { name: 'Trust score by axis, out of 100', max: 100 }),
          chartTable(items, { caption: 'Trust score by axis (out of 100)', hidden: true }),
        ]
        : h('p', { class: 'muted' }, 'Not computed yet: the trust score appears once the quality of the data sets has been computed.'),
      h('h3', null, 'Quality'),
      q
        ? h('dl', { class: 'meta compact' },
          h('div', null, h('dt', null, 'Validity'), h('dd', null, fmtPercent(q.validity))),
          h('div', null, h('dt', null, 'Completeness'), h('dd', null, fmtPercent(q.completeness))))
        : h('p', { class: 'muted' }, 'Not computed yet.'));
  }

  renderContacts() {
    const kc = this.product.keyContacts;
    return h('section', { class: 'card contacts', 'aria-labelledby': 'contacts-h' },
      h('h2', { id: 'contacts-h' }, 'Key contacts'),
      kc.length
        ? h('ul', { class: 'plain-list' }, kc.map((k) => h('li', null,
          h('span', { class: 'contact-name' }, this.userName(k.userId)),
          k.role ? h('span', { class: 'contact-role' }, ` \u2014 ${k.role}`) : null)))
        : h('p', { class: 'muted' }, 'No key contacts yet.'));
  }

  renderExport() {
    const base = `${DP}/${enc(this.id)}/actions/export-documentation?format=`;
    return h('section', { class: 'card export', 'aria-labelledby': 'export-h' },
      h('h2', { id: 'export-h' }, 'Export documentation'),
      h('ul', { class: 'plain-list link-list' },
        h('li', null, h('a', { href: `${base}markdown`, download: true }, 'Download as Markdown')),
        h('li', null, h('a', { href: `${base}html`, download: true }, 'Download as HTML'))));
  }

  renderDatasets() {
    const ids = this.product.datasetIds;
    return h('section', { class: 'datasets', 'aria-labelledby': 'datasets-h' },
      h('h2', { id: 'datasets-h' }, `Data sets (${ids.length})`),
      ids.length ? ids.map((d) => this.renderDataset(d)) : h('p', { class: 'muted' }, 'This product has no data sets yet.'));
  }

  renderDataset(id) {
    const ds = this.datasets.get(id) || { id, missing: true };
    if (ds.missing) {
      return h('article', { class: 'card dataset' },
        h('h3', null, `Data set ${id}`),
        h('p', { class: 'muted' }, 'This data set no longer exists or cannot be read.'));
    }
    const qr = this.qualities.get(id);
    const q = qualityOf(qr?.quality);
    const t = this.trust.get(id);
    const fields = ds.schema?.dataFields || [];
    const capId = uid('fields');
    const qualityText = [];
    if (q) {
      qualityText.push(h('span', null, `Validity ${fmtPercent(q.validity)}, completeness ${fmtPercent(q.completeness)}`),
        h('span', { class: 'muted' }, ` (computed ${fmtDate(q.updatedAt)})`));
    } else if (qr?.quality && qr.quality.total === 0) {
      qualityText.push('No cells to measure (the file has no rows).');
    } else {
      qualityText.push('Not computed yet.');
    }
    if (qr?.status === 'FAILED' && qr.error) {
      qualityText.push(h('span', { class: 'problem' },
        ` The latest computation failed: ${DQ_ERRORS[qr.error.errorCode] || qr.error.errorCode} (${qr.error.errorCode}).`));
    }
    const axes = t ? t.axes.map((a) => ({ label: AXIS_LABELS[a.id] || a.id, value: a.score })) : [];
    return h('article', { class: 'card dataset', 'aria-labelledby': `ds-${id}` },
      h('h3', { id: `ds-${id}` }, ds.name),
      ds.description ? h('p', { class: 'description' }, ds.description) : null,
      h('dl', { class: 'meta' },
        h('div', null, h('dt', null, 'Technical name'), h('dd', null, h('code', null, ds.technicalName))),
        h('div', null, h('dt', null, 'Quality'), h('dd', null, qualityText)),
        h('div', null, h('dt', null, 'Trust score'), h('dd', null, t ? `${Math.round(t.score)} out of 100` : 'Not computed yet.'))),
      t && h('details', { class: 'axes' },
        h('summary', null, 'Trust score by axis'),
        barChart(axes, { name: `Trust score of ${ds.name} by axis, out of 100`, max: 100 }),
        chartTable(axes, { caption: `Trust score of ${ds.name} by axis (out of 100)`, hidden: true })),
      fields.length
        ? h('div', { class: 'table-wrap', role: 'region', 'aria-labelledby': capId, tabindex: '0' },
          h('table', { class: 'fields' },
            h('caption', { id: capId }, `Fields of ${ds.name}`),
            h('thead', null, h('tr', null,
              h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col' }, 'Description'))),
            h('tbody', null, fields.map((f) => h('tr', null,
              h('th', { scope: 'row' }, f.name),
              h('td', null, f.dataType?.type || ''),
              h('td', null, f.description || ''))))))
        : h('p', { class: 'muted' }, 'No fields described.'),
      this.renderProvider(ds));
  }

  renderProvider(ds) {
    const box = h('div', { class: 'provider' });
    // the visible text starts the accessible name (WCAG 2.5.3), the data set tells them apart
    const button = h('button', { type: 'button', dataset: { key: `provider-${ds.id}` }, 'aria-label': `Open in provider: ${ds.name}` },
      'Open in provider');
    let pending = false;
    button.addEventListener('click', async () => {
      if (pending) return;
      pending = true;
      try {
        const r = await api('POST', `${DP}/actions/generate-provider-url?dataSetId=${enc(ds.id)}`);
        const url = r.body?.url;
        if (!/^https?:\/\//i.test(url || '')) throw new Error('the provider link is not an http(s) address');
        window.open(url, '_blank', 'noopener,noreferrer');
        replace(box, button, h('p', { class: 'help' }, 'Opened in a new tab: ',
          h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, `Provider link for ${ds.name}`)));
      } catch (err) {
        if (err.code === 'DP-404-PROVIDER-NOT-CONFIGURED') {
          replace(box, h('p', { class: 'muted', tabindex: '-1' }, 'No provider link configured for this data set.'));
          box.firstChild.focus();
        } else {
          replace(box, button, h('p', { class: 'error', role: 'alert' }, `The provider link could not be made: ${err.message}`));
        }
      } finally {
        pending = false;
      }
    });
    box.append(button);
    return box;
  }

  renderChangelog() {
    const list = h('ol', { class: 'timeline', 'aria-labelledby': 'changelog-h' });
    this.fillChangelog(list);
    const more = this.changelog.next
      ? h('button', { type: 'button', dataset: { key: 'older' }, onclick: (e) => this.showOlder(e.currentTarget, list) }, 'Show older changes')
      : null;
    return h('section', { class: 'changelog', 'aria-labelledby': 'changelog-h' },
      h('h2', { id: 'changelog-h' }, 'Changelog'),
      this.changelog.entries.length ? list : h('p', { class: 'muted' }, 'No changes recorded.'),
      more);
  }

  fillChangelog(list) {
    const entries = this.changelog.entries;
    replace(list, entries.map((e, i) => h('li', { class: 'timeline-entry', tabindex: '-1', dataset: { entry: String(i) } },
      h('p', { class: 'when' },
        h('time', { datetime: e.createdAt }, fmtDate(e.createdAt)),
        h('span', { class: 'who' }, ` by ${this.userName(e.createdBy)}`)),
      h('ul', { class: 'changes' }, (e.changes || []).map((c) => h('li', null, this.describe(c, entries, i)))))));
  }

  async showOlder(button, list) {
    const from = this.changelog.entries.length;
    button.disabled = true;
    try {
      await this.loadChangelog(this.changelog.next);
      await this.resolveNames();
      if (!this.alive()) return;
      this.fillChangelog(list);
      if (!this.changelog.next) button.remove();
      list.querySelector(`[data-entry="${from}"]`)?.focus();
      announce(`${this.changelog.entries.length - from} older change entries shown.`);
    } catch (err) {
      this.say(`Older changes could not be loaded: ${err.message}`, 'warn');
    } finally {
      button.disabled = false;
    }
  }

  /** The value `path` had before entry i, from the older entries loaded. */
  previous(entries, i, path) {
    for (let j = i + 1; j < entries.length; j++) {
      const c = (entries[j].changes || []).find((x) => x.path === path && x.operator !== 'remove');
      if (c) return { value: c.value };
    }
    return null;
  }

  /** One change as a sentence. */
  describe(c, entries, i) {
    const field = (c.path || '').replace(/^\//, '');
    const label = FIELD_LABELS[field] || field;
    const v = c.value;
    const list = (arr, fn) => (arr.length ? arr.map(fn).join(', ') : 'none');
    const contacts = (arr) => list(arr, (k) => `${this.userName(k?.userId)}${k?.role ? ` (${k.role})` : ''}`);
    const prev = c.operator === 'replace' ? this.previous(entries, i, c.path) : null;
    switch (c.path) {
      case '/activatedOn':
        if (c.operator === 'remove') return 'Deactivated';
        return `Activated in ${list(Array.isArray(v) ? v : [v], (s) => this.spaceName(s))}`;
      case '/spaceId':
        if (c.operator === 'add') return `Created in ${this.spaceName(v)}`;
        return prev ? `Moved from ${this.spaceName(prev.value)} to ${this.spaceName(v)}` : `Moved to ${this.spaceName(v)}`;
      case '/name':
      case '/description':
        if (c.operator === 'add') return `Set ${label.toLowerCase()} to ${quote(v)}`;
        if (v === null || v === '') return `Cleared the ${label.toLowerCase()}`;
        return prev && typeof prev.value === 'string'
          ? `Changed ${label.toLowerCase()} from ${quote(prev.value)} to ${quote(v)}`
          : `Changed ${label.toLowerCase()} to ${quote(v)}`;
      case '/readMe':
        if (v === null || v === '') return 'Cleared the readMe';
        return c.operator === 'add' ? 'Wrote the readMe' : 'Changed the readMe';
      case '/tags':
      case '/datasetIds':
      case '/apiConsumableDatasetIds':
      case '/glossaryIds': {
        const arr = Array.isArray(v) ? v : [];
        const name = c.path === '/tags' || c.path === '/glossaryIds' ? (x) => x : (x) => this.datasetName(x);
        if (c.operator === 'add') return `Added ${label.toLowerCase()}: ${list(arr, name)}`;
        if (prev && Array.isArray(prev.value)) {
          const added = arr.filter((x) => !prev.value.includes(x));
          const removed = prev.value.filter((x) => !arr.includes(x));
          const parts = [];
          if (added.length) parts.push(`Added ${label.toLowerCase()}: ${list(added, name)}`);
          if (removed.length) parts.push(`Removed ${label.toLowerCase()}: ${list(removed, name)}`);
          if (parts.length) return parts.join('; ');
        }
        return `Changed ${label.toLowerCase()} to ${list(arr, name)}`;
      }
      case '/keyContacts': {
        const arr = Array.isArray(v) ? v : [];
        return c.operator === 'add' ? `Added key contacts: ${contacts(arr)}` : `Changed key contacts to ${contacts(arr)}`;
      }
      default: {
        const verb = c.operator === 'add' ? 'Set' : c.operator === 'remove' ? 'Removed' : 'Changed';
        return `${verb} ${label || 'the product'}`;
      }
    }
  }

  // ------------------------------------------------------------ actions

  /** A visible + announced message on top of the page. */
  say(text, kind) {
    if (!this.notice) return;
    this.notice.className = `notice${kind === 'warn' ? ' warn' : ''}`;
    this.notice.textContent = text;
    announce(text);
  }

  /** Reloads the page and shows text in the notice (focused). */
  async reload(text, kind = 'ok') {
    await this.load({ text, kind, focus: true });
  }

  /** Reads an action's error: 412 reloads; otherwise a sentence. */
  explain(err, verb) {
    if (err.status === 403) return `You are not allowed to ${verb} this product. ${err.detail || ''}`.trim();
    if (err.status === 404) return 'This product no longer exists, or you can no longer see it.';
    if (err.status === 429) return 'Too many requests just now: wait a moment and try again.';
    return `Could not ${verb} the product: ${err.detail || err.message}`;
  }

  async stale() {
    await this.reload('Someone else changed this product while you were looking at it. The page now shows the latest version: check it and try again.', 'warn');
  }

  ifMatch() { return this.etag ? { 'If-Match': this.etag } : {}; }

  openActivate(opener) {
    const p = this.product;
    const targets = [...this.spaces.values()]
      .filter((s) => s.type === 'managed' && s.meta?.actions?.includes('publish'))
      .sort((a, b) => a.name.localeCompare(b.name));
    const f = {
      name: field('text', 'Name', { value: p.name, required: true, autocomplete: 'off' }),
      description: field('textarea', 'Description', { value: p.description || '' }),
      tags: field('text', 'Tags', { value: p.tags.join(', '), help: 'Separate tags with commas.', autocomplete: 'off' }),
      spaceId: field('select', 'Publish in', {
        help: 'Activating in a managed space moves the product there.',
        options: [
          { value: '', text: p.spaceId ? `Where it is now (${this.spaceName(p.spaceId)})` : 'Where it is now (personal area)' },
          ...targets.filter((s) => s.id !== p.spaceId).map((s) => ({ value: s.id, text: s.name })),
        ],
      }),
    };
    const elsewhere = h('div', { class: 'problems', role: 'alert' });
    const verb = p.activated ? 'publish' : 'activate';
    openDialog({
      opener,
      title: p.activated ? `Publish changes to \u201c${p.name}\u201d` : `Activate \u201c${p.name}\u201d`,
      intro: 'Activating makes the product visible in the marketplace to everyone with a role in its space.',
      fields: Object.values(f).map((x) => x.wrap),
      extra: elsewhere,
      submit: p.activated ? 'Publish changes' : 'Activate',
      onSubmit: async (dlg) => {
        Object.values(f).forEach((x) => x.setError(''));
        replace(elsewhere);
        const tags = [...new Set(f.tags.input.value.split(',').map((t) => t.trim()).filter(Boolean))];
        const body = { name: f.name.input.value.trim(), description: f.description.input.value, tags };
        if (f.spaceId.input.value) body.spaceId = f.spaceId.input.value;
        if (!body.name) {
          f.name.setError('Enter a name.');
          f.name.input.focus();
          return false;
        }
        try {
          await api('POST', `${DP}/${enc(this.id)}/actions/activate`, { body, headers: this.ifMatch() });
        } catch (err) {
          if (err.status === 412) { dlg.close(); await this.stale(); return true; }
          if (err.code === 'DP-409-ACTIVATION-INVALID') {
            this.showActivationProblems(err.detail || '', f, elsewhere);
            return false;
          }
          const m = /^'(name|description|tags|spaceId)(?:\[\d+\])?'/.exec(err.detail || '');
          if (err.status === 400 && m) {
            f[m[1]].setError(err.detail);
            f[m[1]].input.focus();
            return false;
          }
          dlg.setError(this.explain(err, verb));
          return false;
        }
        dlg.close();
        await this.reload(p.activated ? `Published the changes to \u201c${body.name}\u201d.` : `Activated \u201c${body.name}\u201d.`);
        return true;
      },
    });
  }

  /** Splits the 409's detail into problems, each next to its field; those
   *  about fields of the edit page are listed with a link there. */
  showActivationProblems(detail, f, elsewhere) {
    const problems = detail.split('; ').map((s) => s.trim()).filter(Boolean);
    const onEdit = [];
    for (const text of problems) {
      let key;
      if (/key contact/i.test(text) || /keyContacts/.test(text)) key = 'keyContacts';
      else if (/apiConsumableDatasetIds/.test(text)) key = 'apiConsumableDatasetIds';
      else if (/datasetIds|data set/i.test(text)) key = 'datasetIds';
      else if (/^'?(name|description|tags|spaceId)\b/.test(text)) key = /^'?(\w+)/.exec(text)[1];
      if (key && f[key]) f[key].setError(text);
      else onEdit.push({ key, text });
    }
    if (onEdit.length) {
      replace(elsewhere,
        h('p', { class: 'error' }, `The product cannot be activated yet (${problems.length} problem${problems.length === 1 ? '' : 's'}):`),
        h('ul', null, onEdit.map(({ key, text }) => h('li', null,
          h('strong', null, `${FIELD_LABELS[key] || 'Product'}: `), text,
          key && this.rights.edit
            ? [' ', h('a', { href: `/products/${enc(this.id)}/edit#field-${key}` }, `Fix ${(FIELD_LABELS[key] || 'this').toLowerCase()} on the edit page`)]
            : null))));
    }
    const first = Object.values(f).find((x) => x.invalid());
    if (first) first.input.focus();
    else elsewhere.querySelector('a')?.focus();
  }

  openDeactivate(opener) {
    const p = this.product;
    openDialog({
      opener,
      title: `Deactivate \u201c${p.name}\u201d?`,
      intro: 'Consumers will no longer find it in the marketplace. You can activate it again later.',
      submit: 'Deactivate',
      danger: true,
      onSubmit: async (dlg) => {
        try {
          await api('POST', `${DP}/${enc(this.id)}/actions/deactivate`, { headers: this.ifMatch() });
        } catch (err) {
          if (err.status === 412) { dlg.close(); await this.stale(); return true; }
          if (err.code === 'DP-409-NOT-ACTIVATED' || err.status === 409) {
            dlg.close();
            await this.reload('This product was already deactivated.', 'warn');
            return true;
          }
          dlg.setError(this.explain(err, 'deactivate'));
          return false;
        }
        dlg.close();
        await this.reload(`Deactivated \u201c${p.name}\u201d.`);
        return true;
      },
    });
  }

  openMove(opener) {
    const p = this.product;
    const targets = [...this.spaces.values()]
      .filter((s) => s.id !== p.spaceId && s.meta?.actions?.includes('create'))
      .sort((a, b) => a.name.localeCompare(b.name));
    const sel = targets.length
      ? field('select', 'Move to', { options: targets.map((s) => ({ value: s.id, text: `${s.name} (${s.type})` })), required: true })
      : null;
    openDialog({
      opener,
      title: `Move \u201c${p.name}\u201d`,
      intro: `It is now in ${p.spaceId ? this.spaceName(p.spaceId) : 'the personal area'}.${p.activated ? ' An activated product needs publish rights in both spaces.' : ''}`,
      fields: sel ? [sel.wrap] : [h('p', null, 'There is no other space where you may create data products.')],
      submit: sel ? 'Move' : null,
      onSubmit: async (dlg) => {
        const spaceId = sel.input.value;
        try {
          await api('POST', `${DP}/${enc(this.id)}/actions/move`, { body: { spaceId }, headers: this.ifMatch() });
        } catch (err) {
          if (err.status === 412) { dlg.close(); await this.stale(); return true; }
          if (err.status === 403 || err.status === 404) {
            sel.setError(err.status === 403 ? `You may not move it there: ${err.detail || ''}` : err.detail || err.message);
            sel.input.focus();
            return false;
          }
          dlg.setError(this.explain(err, 'move'));
          return false;
        }
        dlg.close();
        await this.reload(`Moved \u201c${p.name}\u201d to ${this.spaceName(spaceId)}.`);
        return true;
      },
    });
  }

  openDelete(opener) {
    const p = this.product;
    openDialog({
      opener,
      title: `Delete \u201c${p.name}\u201d?`,
      intro: 'The product and its changelog are deleted for good. Its data sets are not touched.',
      submit: 'Delete',
      danger: true,
      onSubmit: async (dlg) => {
        try {
          await api('DELETE', `${DP}/${enc(this.id)}`, { headers: this.ifMatch() });
        } catch (err) {
          if (err.status === 412) { dlg.close(); await this.stale(); return true; }
          if (err.status === 409) {
            dlg.setError('This product is activated: deactivate it first, then delete it.');
            return false;
          }
          dlg.setError(this.explain(err, 'delete'));
          return false;
        }
        dlg.close();
        announce(`Deleted \u201c${p.name}\u201d.`);
        this.ctx.navigate('/my');
        return true;
      },
    });
  }

  async computeQuality(button) {
    if (this.busy) return;
    this.busy = true;
    button.setAttribute('aria-disabled', 'true');
    const derivedBefore = derived(this.product);
    const bar = h('progress', { max: '1', value: '0', 'aria-hidden': 'true' });
    const text = h('span', null, 'Starting the quality computation\u2026');
    replace(this.progress, text, bar);
    this.progress.classList.add('active');
    try {
      const start = await api('POST', `${DP}/${enc(this.id)}/actions/compute-datasets-data-quality`);
      const batchId = start.body.batchComputationId;
      const n = start.body.datasetResponses?.length || 0;
      bar.max = Math.max(1, n);
      let batch = null;
      for (;;) {
        if (!this.alive()) return;
        const r = await api('GET', `${DQ}/batch-computations/${enc(batchId)}`);
        batch = r.body;
        const statuses = batch.computationStatuses || [];
        const done = statuses.filter((s) => s.status === 'SUCCEEDED' || s.status === 'FAILED').length;
        bar.max = Math.max(1, statuses.length);
        bar.value = done;
        if (batch.status === 'FINISHED' || batch.status === 'FAILED') break;
        text.textContent = `Computing quality: ${done} of ${statuses.length} data set${statuses.length === 1 ? '' : 's'} done\u2026`;
        await new Promise((res) => setTimeout(res, POLL_MS));
      }
      const statuses = batch.computationStatuses || [];
      const failed = statuses.filter((s) => s.status === 'FAILED');
      const ok = statuses.length - failed.length;
      let msg = `Quality computed: ${ok} of ${statuses.length} data set${statuses.length === 1 ? '' : 's'} succeeded.`;
      if (failed.length) {
        msg += ` Failed: ${failed.map((s) => `${this.datasetName(s.datasetId)} (${DQ_ERRORS[s.errorCode] || s.errorCode || 'unknown error'})`).join(', ')}.`;
      }
      await this.refreshQuality(ok > 0 ? derivedBefore : null);
      if (!this.alive()) return;
      replace(this.progress, h('span', null, msg));
      this.progress.classList.toggle('warn', failed.length > 0);
    } catch (err) {
      if (!this.alive()) return;
      replace(this.progress, h('span', { class: 'error' }, this.explain(err, 'compute the quality of')));
    } finally {
      this.busy = false;
      button.removeAttribute('aria-disabled');
    }
  }

  /** After a computation: the product's quality/trust and each data set's.
   *  The server recomputes a product's numbers shortly after a computation
   *  finishes (docs/decisions.md "Issue 12 -- derived values"): given the
   *  numbers from before, it reads the product again until they move, for
   *  at most DERIVED_WAIT_MS (they may also come out the same). */
  async refreshQuality(before = null) {
    let r = await api('GET', `${DP}/${enc(this.id)}`);
    for (const end = Date.now() + DERIVED_WAIT_MS; before !== null && derived(r.body) === before && Date.now() < end;) {
      await new Promise((res) => setTimeout(res, 250));
      if (!this.alive()) return;
      r = await api('GET', `${DP}/${enc(this.id)}`);
    }
    this.product = r.body;
    this.etag = r.headers.get('etag');
    await this.loadQuality(this.product.datasetIds);
    if (!this.alive()) return;
    const text = this.notice?.textContent;
    this.renderAll(text ? { text, kind: this.notice.classList.contains('warn') ? 'warn' : 'ok' } : undefined);
  }
}

/** How long the page waits for a product's derived numbers after a computation. */
const DERIVED_WAIT_MS = 10000;
/** A product's derived numbers, comparable as one string. */
const derived = (p) => JSON.stringify([p?.quality ?? null, p?.trustScore ?? null]);

// ---------------------------------------------------------------- forms and dialogs

/** A labelled control with help and an error line tied by aria-describedby. */
function field(kind, label, opts = {}) {
  const id = uid('f');
  const helpId = `${id}-help`;
  const errId = `${id}-err`;
  let input;
  if (kind === 'textarea') input = h('textarea', { id, name: id, rows: '4' });
  else if (kind === 'select') {
    input = h('select', { id, name: id, required: opts.required },
      (opts.options || []).map((o) => h('option', { value: o.value }, o.text)));
  } else input = h('input', { id, name: id, type: kind, required: opts.required, autocomplete: opts.autocomplete });
  if (opts.value !== undefined && kind !== 'select') input.value = opts.value;
  const err = h('p', { id: errId, class: 'error field-error' });
  const help = opts.help ? h('p', { id: helpId, class: 'help' }, opts.help) : null;
  input.setAttribute('aria-describedby', [help && helpId, errId].filter(Boolean).join(' '));
  const wrap = h('div', { class: 'field' }, h('label', { for: id }, label), help, input, err);
  return {
    input,
    wrap,
    invalid: () => input.getAttribute('aria-invalid') === 'true',
    setError(text) {
      err.textContent = text;
      if (text) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    },
  };
}

/**
 * A modal <dialog> with a form. onSubmit(dlg) runs on submit; it returns
 * true once it closed the dialog itself. Escape and Cancel close it; focus
 * returns to the opener (when it is still on the page).
 */
function openDialog({ opener, title, intro, fields = [], extra, submit, danger, onSubmit }) {
  const titleId = uid('dlg');
  const error = h('p', { class: 'error', role: 'alert' });
  const submitBtn = submit ? h('button', { type: 'submit', class: danger ? 'danger' : 'primary' }, submit) : null;
  const cancel = h('button', { type: 'button' }, submit ? 'Cancel' : 'Close');
  const form = h('form', { novalidate: true },
    intro ? h('p', null, intro) : null,
    fields, extra, error,
    h('div', { class: 'dialog-buttons' }, submitBtn, cancel));
  const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId },
    h('h2', { id: titleId }, title), form);
  const dlg = {
    close() { if (dialog.open) dialog.close(); },
    setError(text) { error.textContent = text; },
  };
  let pending = false;
  cancel.addEventListener('click', () => dlg.close());
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (opener && opener.isConnected) opener.focus();
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!submitBtn || pending) return;
    error.textContent = '';
    pending = true;
    submitBtn.setAttribute('aria-disabled', 'true');
    try {
      await onSubmit(dlg);
    } catch (err) {
      error.textContent = err.message || String(err);
    } finally {
      pending = false;
      submitBtn.removeAttribute('aria-disabled');
    }
  });
  (document.getElementById('main') || document.body).append(dialog);
  dialog.showModal();
  const first = form.querySelector('input, textarea, select') || cancel;
  first.focus();
  return dlg;
}

// ---------------------------------------------------------------- readMe

// What a readMe may contain after cmark-gfm (safe mode) rendered it: plain
// content elements only. Anything else is dropped with its content (DROP) or
// replaced by its children (everything not listed).
const KEEP = new Set(['p', 'br', 'hr', 'blockquote', 'pre', 'code', 'em', 'strong', 'b', 'i', 'del', 's',
  'sub', 'sup', 'ul', 'ol', 'li', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'a', 'kbd', 'abbr',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'dl', 'dt', 'dd']);
const DROP = new Set(['script', 'style', 'iframe', 'object', 'embed', 'frame', 'frameset', 'template',
  'noscript', 'svg', 'math', 'form', 'input', 'button', 'select', 'textarea', 'link', 'meta', 'base',
  'audio', 'video', 'source', 'track', 'canvas', 'applet', 'title', 'head', 'dialog', 'portal']);

/** Only http(s), mailto, in-page (#...) and relative URLs; never javascript:, data:, etc. */
export function safeHref(raw) {
  const href = (raw || '').trim();
  if (!href) return null;
  if (/^(https?:|mailto:)/i.test(href)) return href;
  if (/^[a-z][a-z0-9+.-]*:/i.test(href)) return null; // any other scheme
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\\]/.test(href) || href.startsWith('//')) return null; // obfuscated or protocol-relative
  return href;
}

/**
 * The server's readMe HTML as a DocumentFragment of fresh nodes: parsed in an
 * inert document (DOMParser: no script runs, nothing loads), then rebuilt
 * from the allowlist above with text copied as text. Headings shift so the
 * readMe's top level is h3 (the section's heading is h2).
 */
export function safeHtml(html) {
  const doc = new DOMParser().parseFromString(`<!doctype html><body>${html}`, 'text/html');
  let top = 7;
  doc.body.querySelectorAll('h1,h2,h3,h4,h5,h6').forEach((x) => { top = Math.min(top, Number(x.tagName[1])); });
  const shift = top <= 6 ? 3 - top : 0;
  const out = document.createDocumentFragment();
  const copy = (src, dst) => {
    for (const n of src.childNodes) {
      if (n.nodeType === Node.TEXT_NODE) { dst.append(document.createTextNode(n.data)); continue; }
      if (n.nodeType !== Node.ELEMENT_NODE) continue; // comments (cmark's "raw HTML omitted"), etc.
      const tag = n.localName;
      if (DROP.has(tag)) {
        if (tag === 'input' && n.getAttribute('type') === 'checkbox') {
          dst.append(n.hasAttribute('checked') ? '\u2611 ' : '\u2610 ',
            h('span', { class: 'visually-hidden' }, n.hasAttribute('checked') ? '(done) ' : '(to do) '));
        }
        continue;
      }
      if (tag === 'img') {
        const src2 = safeHref(n.getAttribute('src'));
        const alt = n.getAttribute('alt') || 'image';
        dst.append(src2 && /^https?:/i.test(src2)
          ? h('a', { href: src2, rel: 'noopener noreferrer' }, `[image: ${alt}]`)
          : `[image: ${alt}]`);
        continue;
      }
      if (!KEEP.has(tag)) { copy(n, dst); continue; }
      let el;
      if (/^h[1-6]$/.test(tag)) el = document.createElement(`h${Math.min(6, Number(tag[1]) + shift)}`);
      else if (tag === 'a') {
        const href = safeHref(n.getAttribute('href'));
        if (!href) { copy(n, dst); continue; } // an emptied javascript: link: its text only
        el = h('a', { href });
        if (/^https?:/i.test(href)) el.rel = 'noopener noreferrer';
      } else el = document.createElement(tag);
      if ((tag === 'th' || tag === 'td') && /^(left|center|right)$/.test(n.getAttribute('align') || '')) {
        el.className = `align-${n.getAttribute('align')}`;
      }
      if (tag === 'ol' && /^\d{1,9}$/.test(n.getAttribute('start') || '')) el.setAttribute('start', n.getAttribute('start'));
      if (tag === 'th' && n.parentNode?.parentNode?.localName === 'thead') el.setAttribute('scope', 'col');
      copy(n, el);
      if (tag === 'table') {
        dst.append(h('div', { class: 'table-wrap', role: 'region', tabindex: '0', 'aria-label': 'Table from the readMe' }, el));
      } else dst.append(el);
    }
  };
  copy(doc.body, out);
  return out;
}
