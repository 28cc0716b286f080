// producer.js: placeholder until the producer pages are built (issue 9, in progress).
import { h, replace } from './dom.js';

function page(main, title) {
  document.title = `${title} · Data products`;
  replace(main, h('h1', null, title));
}
export async function renderMine(main) { page(main, 'My products'); }
export async function renderCreate(main) { page(main, 'New data product'); }
export async function renderEdit(main) { page(main, 'Edit data product'); }
