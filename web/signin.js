// signin.js: the sign-in page. An API key (the one `make run` prints, or
// one made in the API) becomes a browser session: POST /auth/sign-in sets
// an HttpOnly cookie the page itself never sees.
import { api } from './api.js';
import { h, replace } from './dom.js';
import { setUser } from './app.js';

export async function render(main, _params, ctx) {
  document.title = 'Sign in · Data products';
  const next = safeNext(new URLSearchParams(location.search).get('next'));
  const error = h('p', { id: 'sign-in-error', class: 'error', role: 'alert' });
  const input = h('input', {
    id: 'api-key', name: 'apiKey', type: 'password', autocomplete: 'current-password',
    required: true, spellcheck: 'false', 'aria-describedby': 'api-key-help sign-in-error',
  });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h('form', { class: 'card sign-in', novalidate: true },
    h('div', { class: 'field' },
      h('label', { for: 'api-key' }, 'API key'),
      input,
      h('p', { id: 'api-key-help', class: 'help' },
        'Paste the API key you were given (the server prints the first one when it starts). It is sent once to create a browser session and is not stored in the browser.')),
    error,
    button);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    const apiKey = input.value.trim();
    if (!apiKey) {
      error.textContent = 'Enter your API key.';
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    button.disabled = true;
    try {
      const res = await api('POST', '/auth/sign-in', { body: { apiKey }, noRedirect: true });
      setUser(res.body.user);
      input.value = '';
      ctx.navigate(next, { replace: true });
    } catch (err) {
      input.setAttribute('aria-invalid', 'true');
      error.textContent = err.status === 401
        ? 'That API key was not accepted. Check that you copied all of it, and that it has not expired or been revoked.'
        : `Sign-in failed: ${err.message}`;
      input.focus();
    } finally {
      button.disabled = false;
    }
  });
  replace(main,
    h('h1', null, 'Sign in'),
    h('p', { class: 'lead' }, 'Find, trust and use your organisation\u2019s data products.'),
    form);
}

/** Only paths of this app: never an absolute or protocol-relative URL.
 *  Judged as the browser will read it: URL parsing drops tabs and newlines
 *  ("/\t/evil" is "//evil") and resolves dot segments ("/.//evil"), so the
 *  parsed URL must be this origin and its path must not start with "//". */
function safeNext(next) {
  if (!next || !next.startsWith('/')) return '/';
  let u;
  try { u = new URL(next, location.origin); } catch { return '/'; }
  const path = u.pathname + u.search + u.hash;
  return u.origin === location.origin && !path.startsWith('//') ? path : '/';
}
