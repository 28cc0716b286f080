// producer.js: the producer pages (SPEC §6, issue 9).
//   /my                  renderMine: the caller's data products in every state
//   /products/new        renderCreate: the create form
//   /products/{id}/edit  renderEdit: the same form, saved as a JSON Patch with
//                        If-Match; a 412 is explained field by field and the
//                        typed input is kept (docs/decisions.md, "Issue 9 —
//                        producer pages").
// Every user text goes through dom.js (text nodes only). Controls appear only
// when the user may use them (roles, spaces' meta.actions, the rights
// endpoint); the server still decides, and its 4xx are shown in words, next to
// the field they name. Each field has the id `field-<name>` so other pages can
// link to it (`/products/{id}/edit#field-datasetIds`).
import { api, DP } from './api.js';
import { h, replace, announce, fmtDate } from './dom.js';
import { openDataSetDialog } from './dataset-dialog.js';

const DS_PAGE = 20;
const NAME_MAX = 256;
const DESCRIPTION_MAX = 4096;
const README_MAX = 256 * 1024;
const TAGS_MAX = 100;
const IDS_MAX = 100;
const CONTACTS_MAX = 100;

const LABELS = {
  name: 'Name', description: 'Description', spaceId: 'Space', tags: 'Tags', readMe: 'Read-me',
  datasetIds: 'Data sets', apiConsumableDatasetIds: 'API consumable data sets', keyContacts: 'Key contacts',
};
// The fields of the form, in page order (the first invalid one gets focus).
const FORM_FIELDS = ['name', 'description', 'spaceId', 'tags', 'readMe', 'datasetIds', 'apiConsumableDatasetIds', 'keyContacts'];
// What PatchDataProductRequest may replace, in the order the ops are sent.
const PATCH_FIELDS = ['name', 'description', 'readMe', 'tags', 'datasetIds', 'apiConsumableDatasetIds', 'keyContacts'];

// ------------------------------------------------------------------ shared

function mayCreate(user) {
  const roles = user?.roles || [];
  return roles.includes('DataProductCreator') || roles.includes('TenantAdmin');
}

/** Trims what the server trims (SPEC §3: ASCII blanks), nothing more. */
function trimBlanks(s) { return s.replace(/^[ \t\n\r]+|[ \t\n\r]+$/g, ''); }
function codePoints(s) { return [...s].length; }

/** "Draft" (never activated), "Activated", "Deactivated". */
export function stateOf(p) {
  if (p.activated) return 'Activated';
  return p.activatedAt ? 'Deactivated' : 'Draft';
}

/** Every item of a paged /api/v1 list, following `page` up to maxPages. */
async function listAll(path, maxPages = 10) {
  const out = [];
  for (let page = 1; page <= maxPages; page++) {
    const sep = path.includes('?') ? '&' : '?';
    const res = await api('GET', `${path}${sep}limit=100&page=${page}`);
    out.push(...(res.body?.data || []));
    if (!res.body?.links?.next) break;
  }
  return out;
}

function spaceLabel(spaces, id) {
  if (!id) return 'Personal';
  const s = spaces.get(id);
  return s ? s.name : 'A space you cannot see';
}

function userLabel(u) {
  if (!u) return 'Unknown user';
  const name = u.name || u.email || u.id;
  return u.email && u.name ? `${name} (${u.email})` : name;
}

function setTitle(t) { document.title = `${t} · Data products`; }

function errorText(err) {
  if (err?.status === 403) return 'You are not allowed to do that.';
  if (err?.status === 404) return 'It does not exist (any more), or you cannot see it.';
  if (err?.status === 429) return 'Too many requests: wait a moment and try again.';
  if (err?.status >= 500) return `The server could not do it (${err.status}). Try again later.`;
  return err?.message || String(err);
}

// ------------------------------------------------------------- My products

export async function renderMine(main, _params, ctx) {
  setTitle('My products');
  const user = ctx.user;
  const creator = mayCreate(user);
  const sp = new URLSearchParams(location.search);
  const view = sp.get('view') === 'spaces' ? 'spaces' : 'mine';
  const page = Math.max(1, Math.min(100000, parseInt(sp.get('page') || '1', 10) || 1));

  const spacesP = listAll('/api/v1/spaces', 5).catch(() => []);
  const q = new URLSearchParams({ limit: '20', page: String(page), sort: '-updatedAt' });
  if (view === 'mine') q.set('ownerId', user.id);
  else q.set('activated', 'false');
  let list;
  let loadError = null;
  try {
    list = (await api('GET', `${DP}?${q}`)).body;
  } catch (err) {
    loadError = err;
  }
  const spaceList = await spacesP;
  if (!ctx.seq()) return;
  const spaces = new Map(spaceList.map((s) => [s.id, s]));
  const producing = user.roles?.includes('TenantAdmin') || spaceList.some((s) => s.meta?.actions?.includes('create'));

  const newLink = creator && h('a', { href: '/products/new', class: 'button primary' }, 'New data product');
  const viewSelect = h('select', { id: 'my-view', name: 'view' },
    h('option', { value: 'mine', selected: view === 'mine' }, 'Created by me, in every state'),
    (producing || view === 'spaces') && h('option', { value: 'spaces', selected: view === 'spaces' }, 'Not activated, in my spaces'));
  viewSelect.addEventListener('change', () => {
    ctx.navigate(viewSelect.value === 'spaces' ? '/my?view=spaces' : '/my');
  });
  const toolbar = h('div', { class: 'producer-toolbar' },
    h('div', { class: 'field inline-field' }, h('label', { for: 'my-view' }, 'Show'), viewSelect),
    newLink);

  let body;
  if (loadError) {
    body = h('p', { class: 'error', role: 'alert' }, `Your data products could not be loaded: ${errorText(loadError)}`);
  } else if (list.total === 0 && page === 1) {
    body = emptyState(view, creator);
  } else {
    body = [productTable(list, spaces, view), pager(list, view)];
  }
  replace(main,
    h('h1', null, 'My products'),
    h('p', { class: 'lead' }, view === 'mine'
      ? 'The data products you created: drafts, activated and deactivated ones.'
      : 'Drafts and deactivated data products in the spaces where you produce, and your personal ones.'),
    producing || creator || view === 'spaces' ? toolbar : null,
    body);
}

function emptyState(view, creator) {
  return h('section', { class: 'card empty-state', 'aria-labelledby': 'empty-title' },
    h('h2', { id: 'empty-title' }, view === 'mine' ? 'You have no data products yet' : 'Nothing waiting in your spaces'),
    h('p', null, 'A data product packages data sets with what people need to find, trust and use them: a description, a read-me, tags, and key contacts to ask. It starts as a draft that only producers see; once it has data sets and a key contact, a publisher activates it and it appears in the marketplace.'),
    creator
      ? h('p', null, h('a', { href: '/products/new', class: 'button primary' }, 'New data product'))
      : h('p', null, 'Creating data products needs the DataProductCreator role. Ask a tenant administrator if you should have it; meanwhile, the ',
        h('a', { href: '/' }, 'marketplace'), ' shows the data products you can use.'));
}

function productTable(list, spaces, view) {
  const rows = list.data.map((p) => {
    const state = stateOf(p);
    return h('tr', null,
      h('th', { scope: 'row', 'data-label': 'Name' }, h('a', { href: `/products/${encodeURIComponent(p.id)}` }, p.name)),
      h('td', { 'data-label': 'State' }, h('span', { class: `badge state-${state.toLowerCase()}` }, state)),
      h('td', { 'data-label': 'Space' }, spaceLabel(spaces, p.spaceId)),
      h('td', { 'data-label': 'Updated' }, h('time', { datetime: p.updatedAt }, fmtDate(p.updatedAt))),
      h('td', { 'data-label': 'Pending changes', class: 'num' }, p.activated ? String(p.pendingChangesCount) : h('span', null, h('span', { 'aria-hidden': 'true' }, '–'), h('span', { class: 'visually-hidden' }, 'not activated'))));
  });
  const what = view === 'mine' ? 'Data products you created' : 'Not activated data products in your spaces';
  const more = list.totalRelation === 'gte' ? 'more than ' : '';
  return h('table', { class: 'product-table' },
    h('caption', null, `${what}: ${more}${list.total} in all`, list.pages > 1 ? `, page ${list.page} of ${list.pages}` : '', ', most recently updated first'),
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'State'), h('th', { scope: 'col' }, 'Space'),
      h('th', { scope: 'col' }, 'Updated'), h('th', { scope: 'col', class: 'num' }, 'Pending changes'))),
    h('tbody', null, rows));
}

function pager(list, view) {
  if (list.pages <= 1 && list.page <= 1) return null;
  const href = (n) => `/my?${new URLSearchParams({ ...(view === 'spaces' ? { view } : {}), page: String(n) })}`;
  return h('nav', { class: 'pager', 'aria-label': 'Pages' },
    list.page > 1 ? h('a', { href: href(list.page - 1), rel: 'prev' }, 'Previous page') : null,
    h('span', null, `Page ${list.page} of ${list.pages}`),
    list.links?.next ? h('a', { href: href(list.page + 1), rel: 'next' }, 'Next page') : null);
}

// ------------------------------------------------------------ the form

/** Loads what the form's pickers need: users (key contacts) and spaces. */
async function loadChoices() {
  const [users, spaces] = await Promise.all([
    listAll('/api/v1/users').catch(() => []),
    listAll('/api/v1/spaces', 5).catch(() => []),
  ]);
  return { users, spaces };
}

/**
 * Builds the product form. opts: {mode: 'create'|'edit', user, spaces,
 * users, product (edit)}. Returns {form, read(), fill(values), showErrors,
 * clearErrors, submitButton, formError, setDatasets(list)}.
 */
function productForm(opts) {
  const { mode, users } = opts;
  const userMap = new Map(users.map((u) => [u.id, u]));
  const dsInfo = new Map(); // id -> {id, name, technicalName, missing?}
  const st = { datasets: [], consumable: new Set(), contacts: [], tagsText: null, tags: null };
  const errors = {};
  for (const f of FORM_FIELDS) {
    errors[f] = h('p', { id: `err-${f}`, class: 'field-error' });
  }
  const help = (id, text) => h('p', { id, class: 'help' }, text);
  const fieldBox = (f, control, helpText) => {
    const helpId = helpText ? `help-${f}` : null;
    control.setAttribute('aria-describedby', [helpId, `err-${f}`].filter(Boolean).join(' '));
    return h('div', { class: 'field', dataset: { field: f } },
      h('label', { for: `field-${f}` }, LABELS[f], f === 'name' ? h('span', { class: 'required' }, ' (required)') : null),
      helpText ? help(helpId, helpText) : null,
      control, errors[f]);
  };

  // --- simple fields
  const name = h('input', { id: 'field-name', name: 'name', type: 'text', required: true, autocomplete: 'off', spellcheck: 'true' });
  const description = h('textarea', { id: 'field-description', name: 'description', rows: '3', class: 'short' });
  const tags = h('input', { id: 'field-tags', name: 'tags', type: 'text', autocomplete: 'off' });
  const readMe = h('textarea', { id: 'field-readMe', name: 'readMe', rows: '10', class: 'mono' });

  // --- space: a select when creating, the current space as text when editing
  let spaceControl;
  let spaceBox;
  if (mode === 'create') {
    const creatable = opts.spaces.filter((s) => s.meta?.actions?.includes('create'))
      .sort((a, b) => a.name.localeCompare(b.name));
    spaceControl = h('select', { id: 'field-spaceId', name: 'spaceId' },
      mayCreate(opts.user) ? h('option', { value: '' }, 'Personal (only you and admins)') : null,
      creatable.map((s) => h('option', { value: s.id }, `${s.name} (${s.type})`)));
    spaceBox = fieldBox('spaceId', spaceControl, 'Who can see the draft: producers of the space (or, for a personal product, only you and the tenant administrators). You can move it later.');
  } else {
    const p = opts.product;
    spaceControl = h('p', { id: 'field-spaceId', class: 'static-value', tabindex: '-1' }, spaceLabel(new Map(opts.spaces.map((s) => [s.id, s])), p.spaceId));
    spaceBox = h('div', { class: 'field', dataset: { field: 'spaceId' } },
      h('span', { class: 'label', id: 'label-spaceId' }, LABELS.spaceId),
      spaceControl,
      help('help-spaceId', 'To move the product to another space, use Move on the product page.'),
      errors.spaceId);
  }

  // --- data sets: chosen list + search
  const chosenList = h('ul', { class: 'chosen-list', id: 'chosen-datasets' });
  const chosenHeading = h('p', { class: 'sub-label', id: 'chosen-datasets-label' });
  const search = h('input', { id: 'ds-search', type: 'search', autocomplete: 'off', 'aria-describedby': 'ds-status' });
  const results = h('ul', { class: 'option-list', id: 'ds-results', 'aria-labelledby': 'ds-results-label' });
  const status = h('p', { id: 'ds-status', class: 'help', role: 'status' });
  const more = h('button', { type: 'button', class: 'hidden' }, 'Show more data sets');
  // A fresh server has no data sets: describe one here instead of leaving the form.
  const register = h('button', { type: 'button' }, 'Register a new data set');
  register.addEventListener('click', async () => {
    const spaces = (opts.spaces || []).filter((s) => s.meta?.actions?.includes('create'));
    const ds = await openDataSetDialog({ spaces });
    if (!ds) { register.focus(); return; }
    dsInfo.set(ds.id, { id: ds.id, name: ds.name, technicalName: ds.technicalName });
    toggleDataset(ds.id, true);
    await runSearch(false);
    announce(`Registered and chose ${ds.name}`);
    search.focus();
  });
  const dsFieldset = h('fieldset', { id: 'field-datasetIds', class: 'field-group', tabindex: '-1', 'aria-describedby': 'help-datasetIds err-datasetIds' },
    h('legend', null, LABELS.datasetIds),
    help('help-datasetIds', 'The data sets this product packages. Activation needs at least one.'),
    errors.datasetIds,
    chosenHeading, chosenList,
    h('div', { class: 'field' },
      h('label', { for: 'ds-search' }, 'Find data sets by name or technical name'),
      search),
    h('p', { class: 'sub-label', id: 'ds-results-label' }, 'Matching data sets'),
    status, results, more,
    h('p', { class: 'register-row' }, register));

  const consumableList = h('ul', { class: 'option-list' });
  const consumableFieldset = h('fieldset', { id: 'field-apiConsumableDatasetIds', class: 'field-group', tabindex: '-1', 'aria-describedby': 'help-apiConsumableDatasetIds err-apiConsumableDatasetIds' },
    h('legend', null, LABELS.apiConsumableDatasetIds),
    help('help-apiConsumableDatasetIds', 'Chosen data sets that consumers may also read through the API.'),
    errors.apiConsumableDatasetIds, consumableList);

  // --- key contacts: chosen list + add row
  const contactList = h('ul', { class: 'chosen-list', id: 'chosen-contacts' });
  const person = h('select', { id: 'kc-user' });
  const role = h('input', { id: 'kc-role', type: 'text', autocomplete: 'off', 'aria-describedby': 'kc-role-help' });
  const addContact = h('button', { type: 'button' }, 'Add key contact');
  const kcStatus = h('p', { class: 'field-error', id: 'kc-add-error', role: 'status' });
  const kcFieldset = h('fieldset', { id: 'field-keyContacts', class: 'field-group', tabindex: '-1', 'aria-describedby': 'help-keyContacts err-keyContacts' },
    h('legend', null, LABELS.keyContacts),
    help('help-keyContacts', 'People consumers can ask about this product, each with their role in it. Activation needs at least one.'),
    errors.keyContacts,
    contactList,
    h('div', { class: 'add-row' },
      h('div', { class: 'field' }, h('label', { for: 'kc-user' }, 'Person'), person),
      h('div', { class: 'field' }, h('label', { for: 'kc-role' }, 'Role (optional)'), role,
        h('p', { id: 'kc-role-help', class: 'help' }, 'For example: owner, data steward.')),
      h('div', { class: 'field add-button' }, addContact)),
    kcStatus);

  const formError = h('div', { id: 'form-error', class: 'form-error', role: 'alert' });
  const conflict = h('div', { id: 'conflict', class: 'conflict-box' });
  const submitButton = h('button', { type: 'submit', class: 'primary' }, mode === 'create' ? 'Create data product' : 'Save changes');
  const cancel = h('a', { href: mode === 'create' ? '/my' : `/products/${encodeURIComponent(opts.product.id)}`, class: 'button' }, 'Cancel');
  const actions = h('div', { class: 'form-actions' }, submitButton, cancel);

  const form = h('form', { class: 'card product-form', novalidate: true, 'aria-labelledby': 'page-title' },
    conflict,
    formError,
    fieldBox('name', name, `1 to ${NAME_MAX} characters; shown everywhere the product appears.`),
    fieldBox('description', description, 'One or two sentences: what the data is and what it is good for.'),
    spaceBox,
    fieldBox('tags', tags, 'Separate tags with commas, for example: finance, monthly.'),
    fieldBox('readMe', readMe, 'Markdown: how to use the data, its caveats, how it is made. Raw HTML is not rendered.'),
    dsFieldset,
    consumableFieldset,
    kcFieldset,
    actions);

  // --- rendering of the lists
  function renderDatasets() {
    chosenHeading.textContent = st.datasets.length
      ? `Chosen: ${st.datasets.length} data set${st.datasets.length === 1 ? '' : 's'}`
      : 'Chosen: none yet';
    replace(chosenList, st.datasets.map((id) => {
      const d = dsInfo.get(id) || { id, name: id, technicalName: '' };
      return h('li', null,
        h('span', { class: 'item-main' },
          h('span', { class: 'item-name' }, d.missing ? `Missing data set (${id})` : d.name),
          d.technicalName ? h('span', { class: 'item-sub' }, d.technicalName) : null),
        h('button', { type: 'button', class: 'small', onclick: () => toggleDataset(id, false, true) },
          'Remove', h('span', { class: 'visually-hidden' }, ` ${d.name}`)));
    }));
    for (const cb of results.querySelectorAll('input[type=checkbox]')) cb.checked = st.datasets.includes(cb.value);
    for (const c of [...st.consumable]) if (!st.datasets.includes(c)) st.consumable.delete(c);
    replace(consumableList, st.datasets.length === 0
      ? h('li', { class: 'help' }, 'Choose data sets first.')
      : st.datasets.map((id) => {
        const d = dsInfo.get(id) || { id, name: id };
        const cid = `api-${id}`;
        const cb = h('input', { type: 'checkbox', id: cid, value: id });
        cb.checked = st.consumable.has(id);
        cb.addEventListener('change', () => { if (cb.checked) st.consumable.add(id); else st.consumable.delete(id); });
        return h('li', null, cb, h('label', { for: cid }, d.missing ? `Missing data set (${id})` : d.name));
      }));
  }

  function toggleDataset(id, on, fromRemove) {
    const i = st.datasets.indexOf(id);
    if (on && i < 0) {
      if (st.datasets.length >= IDS_MAX) {
        status.textContent = `A product holds at most ${IDS_MAX} data sets.`;
        renderDatasets();
        return;
      }
      st.datasets.push(id);
    } else if (!on && i >= 0) {
      st.datasets.splice(i, 1);
      st.consumable.delete(id);
    }
    renderDatasets();
    if (fromRemove) {
      const d = dsInfo.get(id);
      announce(`Removed ${d ? d.name : 'the data set'}`);
      search.focus();
    }
  }

  function resultItem(d) {
    dsInfo.set(d.id, d);
    const cid = `ds-${d.id}`;
    const cb = h('input', { type: 'checkbox', id: cid, value: d.id, 'aria-describedby': d.technicalName ? `${cid}-tn` : null });
    cb.checked = st.datasets.includes(d.id);
    cb.addEventListener('change', () => toggleDataset(d.id, cb.checked));
    return h('li', null, cb,
      h('label', { for: cid }, h('span', { class: 'item-name' }, d.name)),
      d.technicalName ? h('span', { class: 'item-sub', id: `${cid}-tn` }, d.technicalName) : null);
  }

  let searchSeq = 0;
  let searchPage = 1;
  async function runSearch(append) {
    const seq = ++searchSeq;
    const text = search.value.trim();
    searchPage = append ? searchPage + 1 : 1;
    const q = new URLSearchParams({ limit: String(DS_PAGE), page: String(searchPage) });
    if (text) q.set('query', text.slice(0, 256));
    let res;
    try {
      res = (await api('GET', `/api/app/data-sets?${q}`)).body;
    } catch (err) {
      if (seq === searchSeq) status.textContent = `Data sets could not be loaded: ${errorText(err)}`;
      return;
    }
    if (seq !== searchSeq) return;
    const items = res.data.map(resultItem);
    if (append) results.append(...items);
    else replace(results, items);
    const shown = results.children.length;
    status.textContent = res.total === 0
      ? (text ? `No data set matches “${text}”.` : 'There are no data sets yet.')
      : `${res.total} data set${res.total === 1 ? '' : 's'}${text ? ` match${res.total === 1 ? 'es' : ''} “${text}”` : ''}; showing ${shown}.`;
    more.classList.toggle('hidden', !res.links?.next);
  }
  let timer = null;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => runSearch(false), 250);
  });
  search.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { // search, never submit the whole form
      e.preventDefault();
      clearTimeout(timer);
      runSearch(false);
    }
  });
  more.addEventListener('click', () => runSearch(true));

  function renderContacts() {
    replace(contactList, st.contacts.map((c, i) => {
      const u = userMap.get(c.userId);
      const label = u ? u.name || u.email : `Unknown user (${c.userId})`;
      const rid = `kc-role-${i}`;
      const r = h('input', { id: rid, type: 'text', value: c.role || '', autocomplete: 'off' });
      r.addEventListener('input', () => { c.role = r.value; });
      r.addEventListener('keydown', (e) => { if (e.key === 'Enter') e.preventDefault(); });
      return h('li', { class: 'contact' },
        h('span', { class: 'item-main' }, h('span', { class: 'item-name' }, label), u?.email && u?.name ? h('span', { class: 'item-sub' }, u.email) : null),
        h('span', { class: 'contact-role' },
          h('label', { for: rid }, 'Role', h('span', { class: 'visually-hidden' }, ` of ${label}`)), r),
        h('button', { type: 'button', class: 'small', onclick: () => removeContact(c.userId, label) },
          'Remove', h('span', { class: 'visually-hidden' }, ` ${label}`)));
    }));
    if (!st.contacts.length) contactList.append(h('li', { class: 'help' }, 'No key contact yet.'));
    const chosen = new Set(st.contacts.map((c) => c.userId));
    const avail = users.filter((u) => !chosen.has(u.id))
      .sort((a, b) => (a.name || a.email || '').localeCompare(b.name || b.email || ''));
    replace(person,
      h('option', { value: '' }, avail.length ? 'Choose a person…' : 'Everyone is already a contact'),
      avail.map((u) => h('option', { value: u.id }, `${userLabel(u)}${u.status && u.status !== 'active' ? ` — ${u.status}` : ''}`)));
  }
  function removeContact(userId, label) {
    st.contacts = st.contacts.filter((c) => c.userId !== userId);
    renderContacts();
    announce(`Removed ${label} from the key contacts`);
    person.focus();
  }
  function doAddContact() {
    kcStatus.textContent = '';
    if (!person.value) {
      kcStatus.textContent = 'Choose a person to add.';
      person.focus();
      return;
    }
    if (st.contacts.length >= CONTACTS_MAX) {
      kcStatus.textContent = `A product has at most ${CONTACTS_MAX} key contacts.`;
      return;
    }
    const u = userMap.get(person.value);
    st.contacts.push({ userId: person.value, role: trimBlanks(role.value) });
    role.value = '';
    renderContacts();
    announce(`Added ${u ? u.name || u.email : 'the person'} as a key contact`);
    person.focus();
  }
  addContact.addEventListener('click', doAddContact);
  role.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { e.preventDefault(); doAddContact(); }
  });

  // --- reading and filling
  function parseTags(text) {
    if (st.tagsText !== null && text === st.tagsText) return [...st.tags];
    const out = [];
    for (const t of text.split(',')) {
      const v = trimBlanks(t);
      if (v && !out.includes(v)) out.push(v);
    }
    return out;
  }
  function read() {
    return {
      name: trimBlanks(name.value),
      description: description.value,
      readMe: readMe.value,
      spaceId: mode === 'create' ? spaceControl.value || null : opts.product.spaceId || null,
      tags: parseTags(tags.value),
      datasetIds: [...st.datasets],
      apiConsumableDatasetIds: st.datasets.filter((id) => st.consumable.has(id)),
      keyContacts: st.contacts.map((c) => {
        const r = trimBlanks(c.role || '');
        return r ? { userId: c.userId, role: r } : { userId: c.userId };
      }),
    };
  }
  /** Puts values (a product, or read()'s shape) into the form. */
  function fill(v, only) {
    const want = (f) => !only || only.includes(f);
    if (want('name')) name.value = v.name || '';
    if (want('description')) description.value = v.description || '';
    if (want('readMe')) readMe.value = v.readMe || '';
    if (want('tags')) {
      st.tags = [...(v.tags || [])];
      st.tagsText = st.tags.join(', ');
      tags.value = st.tagsText;
    }
    if (want('datasetIds')) st.datasets = [...(v.datasetIds || [])];
    if (want('apiConsumableDatasetIds') || want('datasetIds')) st.consumable = new Set(v.apiConsumableDatasetIds || []);
    if (want('keyContacts')) st.contacts = (v.keyContacts || []).map((c) => ({ userId: c.userId, role: c.role || '' }));
    renderDatasets();
    renderContacts();
  }

  // --- errors
  const controlOf = (f) => ({
    name, description, readMe, tags, spaceId: spaceControl,
    datasetIds: dsFieldset, apiConsumableDatasetIds: consumableFieldset, keyContacts: kcFieldset,
  })[f];
  function clearErrors() {
    formError.replaceChildren();
    for (const f of FORM_FIELDS) {
      errors[f].textContent = '';
      const c = controlOf(f);
      c.removeAttribute('aria-invalid');
      c.closest('.field, .field-group')?.classList.remove('invalid');
    }
  }
  /** errs: [{field, message}] (field null: about the form). Focuses the first. */
  function showErrors(errs) {
    clearErrors();
    let first = null;
    const general = [];
    for (const e of errs) {
      if (!e.field || !FORM_FIELDS.includes(e.field)) { general.push(e.message); continue; }
      errors[e.field].textContent = e.message;
      const c = controlOf(e.field);
      if (['INPUT', 'TEXTAREA', 'SELECT'].includes(c.tagName)) c.setAttribute('aria-invalid', 'true');
      c.closest('.field, .field-group')?.classList.add('invalid');
      if (!first || FORM_FIELDS.indexOf(e.field) < FORM_FIELDS.indexOf(first)) first = e.field;
    }
    if (general.length) {
      replace(formError, h('p', null, general.join(' ')));
      if (!first) formError.setAttribute('tabindex', '-1');
    }
    if (first) {
      const c = controlOf(first);
      c.focus();
      c.scrollIntoView({ block: 'center' });
      announce(`${errs.length === 1 ? 'There is a problem' : `There are ${errs.length} problems`}: ${errs.map((e) => e.message).join(' ')}`);
    } else if (general.length) {
      formError.focus();
    }
  }

  /** The browser-side checks (the server decides; these save a round trip). */
  function validate(v) {
    const errs = [];
    const nl = codePoints(v.name);
    if (nl === 0) errs.push({ field: 'name', message: 'Enter a name.' });
    else if (nl > NAME_MAX) errs.push({ field: 'name', message: `The name is ${nl} characters long; at most ${NAME_MAX} are allowed.` });
    if (codePoints(v.description) > DESCRIPTION_MAX) errs.push({ field: 'description', message: `The description is ${codePoints(v.description)} characters long; at most ${DESCRIPTION_MAX} are allowed.` });
    if (codePoints(v.readMe) > README_MAX) errs.push({ field: 'readMe', message: `The read-me is longer than ${README_MAX} characters.` });
    if (v.tags.length > TAGS_MAX) errs.push({ field: 'tags', message: `${v.tags.length} tags; at most ${TAGS_MAX} are allowed.` });
    const long = v.tags.find((t) => codePoints(t) > 256);
    if (long) errs.push({ field: 'tags', message: `The tag “${long.slice(0, 40)}…” is longer than 256 characters.` });
    return errs;
  }

  fill(opts.product || {});
  return { form, read, fill, validate, showErrors, clearErrors, submitButton, formError, conflict, runSearch, dsInfo, userMap };
}

/** Maps a server 400 detail to the field it names ("'name' must...",
 *  "operation /0: 'tags[2]' ...", "'datasetIds[2]': data set ..."). */
export function fieldOfDetail(detail) {
  const m = /^(?:operation \/\d+: )?'([A-Za-z]+)(?:\[\d+\])?/.exec(detail || '');
  return m && FORM_FIELDS.includes(m[1]) ? m[1] : null;
}

/** A server error as [{field, message}] for showErrors. */
function serverErrors(err) {
  const detail = err.detail || err.message;
  if (err.status === 400) {
    const field = fieldOfDetail(detail);
    return [{ field, message: field ? `${LABELS[field]}: ${humanDetail(detail)}` : `The server refused the form: ${detail}` }];
  }
  if (err.status === 404 && /'spaceId'/.test(detail || '')) {
    return [{ field: 'spaceId', message: 'Space: that space does not exist any more, or you cannot see it.' }];
  }
  if (err.status === 403) {
    return [{ field: null, message: `You are not allowed to do this here (${detail || 'forbidden'}). Your roles may have changed: reload the page.` }];
  }
  return [{ field: null, message: errorText(err) }];
}

/** "operation /0: 'name' must not be empty" -> "must not be empty", keeping
 *  the index of an array item ("item 3: data set '…' does not exist"). */
function humanDetail(detail) {
  const m = /^(?:operation \/\d+: )?'[A-Za-z]+(?:\[(\d+)\])?':? ?(.*)$/.exec(detail);
  if (!m) return detail;
  return m[1] !== undefined ? `item ${Number(m[1]) + 1}: ${m[2]}` : m[2];
}

/** Focuses and highlights the field named by location.hash (#field-x). */
function focusHashField(main, seq) {
  const id = decodeURIComponent(location.hash.slice(1));
  if (!/^field-[A-Za-z]+$/.test(id)) return;
  // after app.js has moved focus to the heading (it does so once render resolves)
  setTimeout(() => {
    if (!seq()) return;
    const el = main.querySelector(`#${id}`);
    if (!el) return;
    const box = el.closest('.field, .field-group') || el;
    box.classList.add('highlight');
    el.scrollIntoView({ block: 'center' });
    el.focus({ preventScroll: true });
  }, 0);
}

function cannot(main, title, text, link) {
  setTitle(title);
  replace(main,
    h('h1', null, title),
    h('p', null, text),
    h('p', null, h('a', { href: link.href }, link.text)));
}

// ------------------------------------------------------------------ create

export async function renderCreate(main, _params, ctx) {
  const user = ctx.user;
  setTitle('New data product');
  if (!mayCreate(user)) {
    cannot(main, 'You can\u2019t create data products',
      'Creating data products needs the DataProductCreator role (and a producer, contributor or facilitator role in the space). Ask a tenant administrator if you should have it.',
      { href: '/my', text: 'Back to My products' });
    return;
  }
  const { users, spaces } = await loadChoices();
  if (!ctx.seq()) return;
  const f = productForm({ mode: 'create', user, users, spaces });
  f.form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = f.read();
    const errs = f.validate(v);
    if (errs.length) { f.showErrors(errs); return; }
    f.clearErrors();
    const body = { name: v.name };
    if (v.description) body.description = v.description;
    if (v.readMe) body.readMe = v.readMe;
    if (v.spaceId) body.spaceId = v.spaceId;
    if (v.tags.length) body.tags = v.tags;
    if (v.datasetIds.length) body.datasetIds = v.datasetIds;
    if (v.apiConsumableDatasetIds.length) body.apiConsumableDatasetIds = v.apiConsumableDatasetIds;
    if (v.keyContacts.length) body.keyContacts = v.keyContacts;
    f.submitButton.disabled = true;
    try {
      const res = await api('POST', DP, { body });
      announce(`Created ${res.body.name}`);
      ctx.navigate(`/products/${encodeURIComponent(res.body.id)}`);
    } catch (err) {
      f.submitButton.disabled = false;
      f.showErrors(serverErrors(err));
    }
  });
  replace(main,
    h('h1', { id: 'page-title' }, 'New data product'),
    h('p', { class: 'lead' }, 'It starts as a draft: only producers of its space see it until it is activated.'),
    f.form);
  f.runSearch(false);
  focusHashField(main, ctx.seq);
}

// -------------------------------------------------------------------- edit

function sameValue(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

/** A product's values in read()'s shape (what the form compares with). */
function valuesOf(p) {
  return {
    name: p.name || '',
    description: p.description || '',
    readMe: p.readMe || '',
    spaceId: p.spaceId || null,
    tags: [...(p.tags || [])],
    datasetIds: [...(p.datasetIds || [])],
    apiConsumableDatasetIds: (p.datasetIds || []).filter((id) => (p.apiConsumableDatasetIds || []).includes(id)),
    keyContacts: (p.keyContacts || []).map((c) => (c.role ? { userId: c.userId, role: c.role } : { userId: c.userId })),
  };
}

/** RFC 6902 replace ops for the fields of `now` that differ from `base`. */
export function patchOps(base, now) {
  const ops = [];
  for (const f of PATCH_FIELDS) {
    if (sameValue(base[f], now[f])) continue;
    let value = now[f];
    if ((f === 'description' || f === 'readMe') && value === '') value = null;
    ops.push({ op: 'replace', path: `/${f}`, value });
  }
  return ops;
}

async function loadDatasetNames(ids, dsInfo) {
  await Promise.all(ids.filter((id) => !dsInfo.has(id)).map(async (id) => {
    try {
      const d = (await api('GET', `/api/v1/data-sets/${encodeURIComponent(id)}`)).body;
      dsInfo.set(id, { id, name: d.name, technicalName: d.technicalName });
    } catch {
      dsInfo.set(id, { id, name: id, technicalName: '', missing: true });
    }
  }));
}

export async function renderEdit(main, params, ctx) {
  const id = params[0];
  setTitle('Edit data product');
  let product;
  let etag;
  let rights;
  try {
    const [res, r] = await Promise.all([
      api('GET', `${DP}/${encodeURIComponent(id)}`),
      api('GET', `/api/app/data-products/${encodeURIComponent(id)}/rights`),
    ]);
    product = res.body;
    etag = res.headers.get('ETag');
    rights = r.body;
  } catch (err) {
    if (!ctx.seq()) return;
    if (err.status === 404 || err.status === 400) {
      cannot(main, 'Data product not found', 'There is no such data product, or you cannot see it.', { href: '/my', text: 'Back to My products' });
      return;
    }
    throw err;
  }
  if (!ctx.seq()) return;
  const productHref = `/products/${encodeURIComponent(id)}`;
  if (!rights.edit) {
    cannot(main, 'You can\u2019t edit this product',
      `Editing “${product.name}” needs the DataProductCreator role and a producer, contributor or facilitator role in its space.`,
      { href: productHref, text: `Back to ${product.name}` });
    return;
  }
  const { users, spaces } = await loadChoices();
  if (!ctx.seq()) return;
  const f = productForm({ mode: 'edit', user: ctx.user, users, spaces, product });
  await loadDatasetNames(product.datasetIds || [], f.dsInfo);
  if (!ctx.seq()) return;
  f.fill(product);
  let base = valuesOf(product); // the version etag belongs to
  let baseProduct = product;
  const spaceMap = new Map(spaces.map((s) => [s.id, s]));

  async function explainConflict(current, mine) {
    const now = valuesOf(current);
    await loadDatasetNames([...now.datasetIds], f.dsInfo);
    const dsNames = (ids) => (ids.length ? ids.map((x) => f.dsInfo.get(x)?.name || x).join(', ') : 'none');
    const contactText = (cs) => (cs.length ? cs.map((c) => {
      const u = f.userMap.get(c.userId);
      const n = u ? u.name || u.email : c.userId;
      return c.role ? `${n} (${c.role})` : n;
    }).join(', ') : 'none');
    const show = {
      name: (v) => `“${v}”`,
      description: (v) => (v ? `“${v.length > 120 ? `${v.slice(0, 120)}…` : v}”` : 'empty'),
      readMe: (v) => (v ? `${codePoints(v)} characters long` : 'empty'),
      tags: (v) => (v.length ? v.join(', ') : 'none'),
      datasetIds: dsNames,
      apiConsumableDatasetIds: dsNames,
      keyContacts: contactText,
    };
    const items = [];
    const adopt = [];
    for (const k of PATCH_FIELDS) {
      if (sameValue(base[k], now[k])) continue; // nobody else changed it
      const yours = !sameValue(base[k], mine[k]); // you changed it too
      const label = LABELS[k];
      if (yours && !sameValue(mine[k], now[k])) {
        items.push(h('li', null, `${label} is now ${show[k](now[k])} (you have ${show[k](mine[k])}; saving keeps yours).`));
      } else {
        adopt.push(k);
        items.push(h('li', null, `${label} is now ${show[k](now[k])}${yours ? ' (the same as yours)' : ''}; the form shows it.`));
      }
    }
    if ((baseProduct.spaceId || null) !== (current.spaceId || null)) {
      items.push(h('li', null, `It was moved to ${spaceLabel(spaceMap, current.spaceId)}.`));
    }
    if (baseProduct.activated !== current.activated) {
      items.push(h('li', null, current.activated ? 'It was activated.' : 'It was deactivated.'));
    }
    if (!items.length) items.push(h('li', null, 'Nothing you can edit here changed (its quality or trust score may have been recomputed).'));
    // keep every edit of yours; take theirs where you had not changed anything
    const merged = { ...mine };
    for (const k of adopt) merged[k] = now[k];
    if (adopt.includes('datasetIds') && !adopt.includes('apiConsumableDatasetIds')) {
      merged.apiConsumableDatasetIds = mine.apiConsumableDatasetIds.filter((x) => merged.datasetIds.includes(x));
    }
    f.fill(merged, adopt.includes('datasetIds') ? [...adopt, 'apiConsumableDatasetIds'] : adopt);
    const discard = h('button', { type: 'button' }, 'Discard my changes and load the current version');
    discard.addEventListener('click', () => {
      f.fill(current);
      f.conflict.replaceChildren();
      f.clearErrors();
      announce('Your changes were discarded; the form shows the current version.');
      main.querySelector('#field-name')?.focus();
    });
    replace(f.conflict,
      h('section', { class: 'notice conflict', role: 'alert', 'aria-labelledby': 'conflict-title', tabindex: '-1' },
        h('h2', { id: 'conflict-title' }, 'Someone else changed this product while you were editing'),
        h('p', null, `${current.updatedAt ? `Changed ${fmtDate(current.updatedAt)}. ` : ''}Here is what changed. Your typed input is still in the form: review it and save again, or start over from the current version.`),
        h('ul', null, items),
        h('div', { class: 'form-actions' }, discard)));
    f.conflict.querySelector('section').focus();
  }

  f.form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = f.read();
    const errs = f.validate(v);
    if (errs.length) { f.showErrors(errs); return; }
    f.clearErrors();
    const ops = patchOps(base, v);
    if (!ops.length) {
      replace(f.formError, h('p', null, 'Nothing changed: there is nothing to save.'));
      f.formError.setAttribute('tabindex', '-1');
      f.formError.focus();
      return;
    }
    f.submitButton.disabled = true;
    try {
      await api('PATCH', `${DP}/${encodeURIComponent(id)}`, { body: ops, headers: { 'If-Match': etag } });
      announce('Changes saved');
      ctx.navigate(productHref);
    } catch (err) {
      f.submitButton.disabled = false;
      if (err.status === 412) {
        try {
          const res = await api('GET', `${DP}/${encodeURIComponent(id)}`);
          await explainConflict(res.body, v);
          base = valuesOf(res.body);
          baseProduct = res.body;
          etag = res.headers.get('ETag');
        } catch (err2) {
          f.showErrors([{ field: null, message: err2.status === 404
            ? 'This product was deleted while you were editing. Your input is still in the form (copy what you need).'
            : `Someone else changed this product, and its current version could not be loaded: ${errorText(err2)}` }]);
        }
        return;
      }
      if (err.status === 404) {
        f.showErrors([{ field: null, message: 'This product was deleted (or you lost access to it) while you were editing. Your input is still in the form (copy what you need).' }]);
        return;
      }
      f.showErrors(serverErrors(err));
    }
  });

  setTitle(`Edit ${product.name}`);
  replace(main,
    h('h1', { id: 'page-title' }, 'Edit ', h('span', { class: 'title-name' }, product.name)),
    h('p', { class: 'lead' }, h('a', { href: productHref }, 'Back to the product page'),
      product.activated ? ' · This product is activated: what you save counts as pending changes until it is activated again.' : ''),
    f.form);
  f.runSearch(false);
  focusHashField(main, ctx.seq);
}
