// dataset-dialog.js: "Register a data set" — a modal form that creates a
// data set (POST /api/v1/data-sets) so a producer can package it into a
// product without leaving the app (a fresh server has none). It describes
// the data: names, an optional space, the CSV file the quality computation
// reads (a path inside the organisation's data directory on the server),
// and the fields with their types. Resolves with the created data set, or
// null when cancelled.
import { api } from './api.js';
import { h } from './dom.js';

const TYPES = ['STRING', 'INTEGER', 'DOUBLE', 'DECIMAL', 'BOOLEAN', 'DATE', 'TIME', 'DATETIME', 'TIMESTAMP', 'BINARY'];
let seq = 0;

/** spaces: [{id, name}] the user may create in (optional choice). */
export function openDataSetDialog({ spaces = [] } = {}) {
  const n = ++seq;
  const id = (s) => `ds${n}-${s}`;
  return new Promise((resolve) => {
    const err = h('p', { class: 'error', role: 'alert', id: id('error') });
    const fieldErr = (name) => h('p', { class: 'error field-error', id: id(`${name}-error`) });
    const errs = { name: fieldErr('name'), technicalName: fieldErr('technicalName'), location: fieldErr('location'), fields: fieldErr('fields') };
    const input = (name, label, attrs = {}, help = null) => {
      const el = h('input', { id: id(name), name, type: 'text', ...attrs,
        'aria-describedby': [help && id(`${name}-help`), id(`${name}-error`)].filter(Boolean).join(' ') });
      return { el, box: h('div', { class: 'field' }, h('label', { for: id(name) }, label), el,
        help && h('p', { class: 'help', id: id(`${name}-help`) }, help), errs[name] || fieldErr(name)) };
    };
    const name = input('name', 'Name', { required: true, maxlength: 256 });
    const technical = input('technicalName', 'Technical name', { required: true, maxlength: 1024 },
      'How the data is called where it lives, e.g. a table or file name.');
    const description = h('textarea', { id: id('description'), name: 'description', rows: 3 });
    const location = input('location', 'CSV file (optional)', { placeholder: 'sales/orders.csv' },
      'A path inside your organisation\u2019s data directory on the server. Quality is computed from this file.');
    const space = h('select', { id: id('space'), name: 'spaceId' },
      h('option', { value: '' }, 'No space (only you and admins see it)'),
      spaces.map((s) => h('option', { value: s.id }, s.name)));

    const rows = h('tbody');
    const addRow = (f = { name: '', type: 'STRING', description: '' }) => {
      const k = rows.children.length + 1;
      const typeSel = h('select', { 'aria-label': `Type of field ${k}` }, TYPES.map((t) => h('option', { value: t, selected: t === f.type }, t)));
      const tr = h('tr', null,
        h('td', null, h('input', { type: 'text', 'aria-label': `Name of field ${k}`, value: f.name, class: 'f-name' })),
        h('td', null, typeSel),
        h('td', null, h('input', { type: 'text', 'aria-label': `Description of field ${k}`, value: f.description, class: 'f-desc' })),
        h('td', null, h('button', { type: 'button', class: 'link-button', onclick: () => { tr.remove(); } }, `Remove field ${k}`)));
      rows.appendChild(tr);
      return tr;
    };
    addRow();
    const fieldsTable = h('table', { class: 'fields-editor' },
      h('caption', null, 'Fields'),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Type'),
        h('th', { scope: 'col' }, 'Description'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
      rows);

    const submit = h('button', { type: 'submit', class: 'primary' }, 'Register data set');
    const cancel = h('button', { type: 'button', onclick: () => close(null) }, 'Cancel');
    const form = h('form', { method: 'dialog', novalidate: true },
      h('h2', { id: id('title') }, 'Register a data set'),
      err,
      name.box, technical.box,
      h('div', { class: 'field' }, h('label', { for: id('description') }, 'Description'), description),
      spaces.length ? h('div', { class: 'field' }, h('label', { for: id('space') }, 'Space'), space) : null,
      location.box,
      h('div', { class: 'table-scroll' }, fieldsTable),
      errs.fields,
      h('p', null, h('button', { type: 'button', onclick: () => addRow().querySelector('input').focus() }, 'Add a field')),
      h('div', { class: 'dialog-buttons' }, submit, cancel));
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': id('title') }, form);
    document.body.appendChild(dialog);

    let done = false;
    function close(value) {
      if (done) return;
      done = true;
      dialog.close();
      dialog.remove();
      resolve(value);
    }
    dialog.addEventListener('cancel', (e) => { e.preventDefault(); close(null); });

    function showError(detail, field) {
      for (const e of Object.values(errs)) e.textContent = '';
      for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
      // The server's detail names the field: 'name', 'technicalName', 'operational.location', 'schema'...
      const target = field === 'name' ? ['name', name.el]
        : field === 'technicalName' ? ['technicalName', technical.el]
        : /'technicalName'/.test(detail) ? ['technicalName', technical.el]
        : /'name'/.test(detail) ? ['name', name.el]
        : /location/.test(detail) ? ['location', location.el]
        : /schema|dataFields|dataType/.test(detail) ? ['fields', rows.querySelector('input')]
        : null;
      if (target) {
        errs[target[0]].textContent = detail;
        target[1]?.setAttribute('aria-invalid', 'true');
        target[1]?.focus();
      } else {
        err.textContent = detail;
      }
    }

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const body = { name: name.el.value, technicalName: technical.el.value };
      if (!body.name.trim()) return showError('Enter a name for the data set.', 'name');
      if (!body.technicalName.trim()) return showError('Enter the technical name: how the data is called where it lives, such as a table or file name.', 'technicalName');
      if (description.value.trim()) body.description = description.value;
      if (space.value) body.spaceId = space.value;
      if (location.el.value.trim()) body.operational = { location: location.el.value.trim() };
      const dataFields = [...rows.children].map((tr) => ({
        name: tr.querySelector('.f-name').value.trim(),
        dataType: { type: tr.querySelector('select').value },
        description: tr.querySelector('.f-desc').value.trim(),
      })).filter((f) => f.name).map((f) => (f.description ? f : { name: f.name, dataType: f.dataType }));
      if (dataFields.length) body.schema = { dataFields };
      submit.disabled = true;
      try {
        const res = await api('POST', '/api/v1/data-sets', { body });
        close(res.body);
      } catch (ex) {
        showError(ex.detail || ex.message);
      } finally {
        submit.disabled = false;
      }
    });

    dialog.showModal();
    name.el.focus();
  });
}

