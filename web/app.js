// app.js: the web app's entry (SPEC §6). A small client-side router over
// the History API: every page of the app is served as index.html, and this
// module picks the page module by path, checks the browser session first
// (GET /auth/session), renders the navigation, and moves focus to the new
// page's heading so keyboard and screen-reader users know where they are.
import { api } from './api.js';
import { h, replace } from './dom.js';

const routes = [
  { path: /^\/$/, load: () => import('./marketplace.js'), nav: 'market' },
  { path: /^\/sign-in$/, load: () => import('./signin.js'), public: true },
  { path: /^\/my$/, load: () => import('./producer.js').then((m) => ({ render: m.renderMine })), nav: 'my' },
  { path: /^\/products\/new$/, load: () => import('./producer.js').then((m) => ({ render: m.renderCreate })), nav: 'my' },
  { path: /^\/products\/([^/]+)\/edit$/, load: () => import('./producer.js').then((m) => ({ render: m.renderEdit })), nav: 'my' },
  { path: /^\/products\/([^/]+)$/, load: () => import('./product.js'), nav: 'market' },
];

const state = { user: null, checked: false };

/** The signed-in user ({id, name, email, tenantId, roles}) or null. */
export function currentUser() { return state.user; }
export function setUser(u) { state.user = u; state.checked = true; }

async function whoAmI() {
  if (state.checked) return state.user;
  try {
    const res = await api('GET', '/auth/session', { noRedirect: true });
    state.user = res.body.user;
  } catch {
    state.user = null;
  }
  state.checked = true;
  return state.user;
}

function renderNav(active) {
  const links = document.getElementById('nav-links');
  if (!links) return;
  const u = state.user;
  const item = (href, text, key) => h('li', null, h('a', { href, 'aria-current': active === key ? 'page' : false }, text));
  replace(links,
    u && item('/', 'Marketplace', 'market'),
    u && item('/my', 'My products', 'my'),
    u && h('li', { class: 'nav-user' }, h('span', { class: 'user-name' }, u.name || u.email)),
    u && h('li', null, h('button', { type: 'button', class: 'link-button', onclick: signOut }, 'Sign out')),
  );
}

async function signOut() {
  try { await api('POST', '/auth/sign-out', { noRedirect: true }); } catch { /* signed out anyway */ }
  state.user = null;
  navigate('/sign-in');
}

/** Goes to path (pushing history unless replace) and renders it. */
export function navigate(path, { replace: rep = false } = {}) {
  if (rep) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  return render();
}

let renderSeq = 0;
async function render() {
  const seq = ++renderSeq;
  const main = document.getElementById('main');
  const path = location.pathname;
  const route = routes.find((r) => r.path.test(path));
  if (!route) {
    renderNav(null);
    document.title = 'Not found · Data products';
    replace(main, h('h1', null, 'Page not found'), h('p', null, h('a', { href: '/' }, 'Go to the marketplace')));
    focusHeading(main);
    return;
  }
  if (!route.public) {
    const user = await whoAmI();
    if (!user) {
      location.replace(`/sign-in?next=${encodeURIComponent(path + location.search)}`);
      return;
    }
  }
  const params = path.match(route.path).slice(1).map(decodeURIComponent);
  const mod = await route.load();
  if (seq !== renderSeq) return;
  renderNav(route.nav);
  try {
    await mod.render(main, params, { user: state.user, navigate, seq: () => seq === renderSeq });
  } catch (err) {
    replace(main, h('h1', null, 'Something went wrong'), h('p', { role: 'alert' }, err.message || String(err)));
  }
  if (seq === renderSeq) focusHeading(main);
}

let first = true;
function focusHeading(main) {
  if (first) { first = false; return; } // the first load keeps the browser's own focus
  const target = main.querySelector('h1') || main;
  if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
  target.focus();
}

// Same-origin links navigate inside the app (no full reload).
document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target.closest('a');
  if (!a || a.target || a.hasAttribute('download')) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/assets/')) return;
  e.preventDefault();
  navigate(url.pathname + url.search + url.hash);
});
window.addEventListener('popstate', () => render());

render();
