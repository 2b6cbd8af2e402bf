import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, setCsrfToken, SIGNED_OUT } from '../lib/api.js';
import { html } from '../lib/html.js';
import { ApiReferencePage } from './api-reference.js';
import { EventsPage } from './events.js';
import { HealthPage } from './health.js';
import { MailPage } from './mail.js';
import { OrderPage, OrdersPage } from './orders.js';
import { PartnersPage } from './partners.js';

const PAGES = [
  { path: 'events', label: 'Webhook events' },
  { path: 'orders', label: 'Orders' },
  { path: 'partners', label: 'Partners' },
  { path: 'health', label: 'Health' },
  { path: 'mail', label: 'Mail' },
  { path: 'api', label: 'API' },
];

/** `#/orders/ord_1` → ['orders', 'ord_1']; the events page when the hash names nothing known. */
function routeOf(hash) {
  const [page, ...rest] = hash.replace(/^#\/?/, '').split('/');
  if (!PAGES.some((p) => p.path === page)) return { page: 'events', id: null };
  return { page, id: rest.length > 0 && rest[0] ? decodeURIComponent(rest.join('/')) : null };
}

function useRoute() {
  const [route, setRoute] = useState(() => routeOf(location.hash));
  useEffect(() => {
    const onHash = () => setRoute(routeOf(location.hash));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  return route;
}

function SignIn({ onSignedIn }) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const input = useRef(null);
  useEffect(() => input.current?.focus(), []);
  const submit = async (event) => {
    event.preventDefault();
    const token = new FormData(event.currentTarget).get('token');
    setBusy(true);
    setError(null);
    try {
      const session = await api('/console/api/session', { method: 'POST', body: { token } });
      onSignedIn(session);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'That is not the admin token.' : err.message);
      input.current?.select();
    } finally {
      setBusy(false);
    }
  };
  return html`<main id="main" class="sign-in">
    <h1>Orderflow console</h1>
    <p>Sign in with the admin token of this installation (<code>ADMIN_TOKEN</code>).</p>
    <form onSubmit=${submit} class="card">
      <label for="token">Admin token</label>
      <input id="token" name="token" type="password" autocomplete="current-password" required ref=${input} aria-describedby=${error ? 'sign-in-error' : undefined} />
      <button type="submit" class="button primary" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button>
      ${error && html`<p id="sign-in-error" class="notice notice-error" role="alert">${error}</p>`}
    </form>
  </main>`;
}

function Layout({ route, onSignOut, children }) {
  const heading = useRef(null);
  return html`<div class="layout">
    <header class="topbar">
      <a class="brand" href="#/events">Orderflow console</a>
      <nav aria-label="Console">
        <ul>
          ${PAGES.map((p) => html`<li><a href=${`#/${p.path}`} aria-current=${route.page === p.path ? 'page' : undefined}>${p.label}</a></li>`)}
        </ul>
      </nav>
      <button type="button" class="button secondary small" onClick=${onSignOut}>Sign out</button>
    </header>
    <main id="main" ref=${heading}>${children}</main>
  </div>`;
}

function App() {
  const [state, setState] = useState('checking');
  const route = useRoute();
  useEffect(() => {
    api('/console/api/session')
      .then((session) => {
        setCsrfToken(session.csrfToken);
        setState('signed-in');
      })
      .catch(() => setState('signed-out'));
    const signedOut = () => setState('signed-out');
    addEventListener(SIGNED_OUT, signedOut);
    return () => removeEventListener(SIGNED_OUT, signedOut);
  }, []);
  // Each new page announces itself: its heading takes the focus, as a page load would.
  useEffect(() => {
    if (state !== 'signed-in') return;
    const title = PAGES.find((p) => p.path === route.page)?.label ?? 'Console';
    document.title = `${route.id ?? title} · Orderflow console`;
    requestAnimationFrame(() => document.querySelector('main h1')?.focus());
  }, [route.page, route.id, state]);

  if (state === 'checking') return html`<p class="loading">Loading the console…</p>`;
  if (state === 'signed-out') {
    return html`<${SignIn}
      onSignedIn=${(session) => {
        setCsrfToken(session.csrfToken);
        setState('signed-in');
      }}
    />`;
  }
  const signOut = async () => {
    try {
      await api('/console/api/session', { method: 'DELETE' });
    } finally {
      setCsrfToken(null);
      setState('signed-out');
    }
  };
  let page;
  if (route.page === 'orders' && route.id) page = html`<${OrderPage} id=${route.id} />`;
  else if (route.page === 'orders') page = html`<${OrdersPage} />`;
  else if (route.page === 'partners') page = html`<${PartnersPage} />`;
  else if (route.page === 'health') page = html`<${HealthPage} />`;
  else if (route.page === 'mail') page = html`<${MailPage} id=${route.id} />`;
  else if (route.page === 'api') page = html`<${ApiReferencePage} />`;
  else page = html`<${EventsPage} />`;
  return html`<${Layout} route=${route} onSignOut=${signOut}>${page}<//>`;
}

// The page's own "Loading…" placeholder goes: Preact renders into an empty root.
const root = document.getElementById('root');
root.replaceChildren();
render(html`<${App} />`, root);
