// marketplace.js: placeholder until the page is built (issue 9, in progress).
import { h, replace } from './dom.js';

export async function render(main) {
  document.title = 'Data products';
  replace(main, h('h1', null, 'Data products'));
}
