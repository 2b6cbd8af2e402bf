import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../lib/api.js';
import { Badge, Empty } from '../lib/components.js';
import { money, when } from '../lib/format.js';
import { html } from '../lib/html.js';

/**
 * The link from the shop's mail ends in `#v1....`: the token stays in the fragment, which the
 * browser never sends anywhere. It is kept for this tab only (a reload still works) and taken
 * out of the address bar, so a screenshot or a shared screen does not show it.
 */
function takeToken() {
  const fromLink = location.hash.replace(/^#/, '');
  if (fromLink.startsWith('v1.')) {
    sessionStorage.setItem('orderflow.account', fromLink);
    history.replaceState(null, '', location.pathname);
    return fromLink;
  }
  return sessionStorage.getItem('orderflow.account');
}

const STATUS_TEXT = {
  PENDING: 'Awaiting payment',
  PAID: 'Paid',
  APPROVED: 'Paid, being prepared',
  FULFILLED: 'Completed',
  FAILED: 'Payment failed',
  CANCELLED: 'Cancelled',
  REFUNDED: 'Refunded',
  PARTIALLY_REFUNDED: 'Partly refunded',
  DISPUTED: 'Disputed',
};

function Order({ order }) {
  return html`<article class="card order-card" aria-labelledby=${`order-${order.orderId}`}>
    <header class="order-head">
      <h2 id=${`order-${order.orderId}`}>Order ${order.number}</h2>
      <${Badge} status=${order.status} label=${STATUS_TEXT[order.status] ?? order.status} />
    </header>
    <p class="muted">Placed ${when(order.createdAt)} · ${money(order.totalCents, order.currency)}${order.refundedCents > 0 ? ` · ${money(order.refundedCents, order.currency)} refunded` : ''}</p>
    <ul class="plain">${order.items.map((i) => html`<li>${i.quantity} × ${i.name} — ${money(i.quantity * i.unitAmountCents, order.currency)}</li>`)}</ul>
    ${order.tickets.length > 0 && html`<section aria-label=${`Tickets of order ${order.number}`}>
      <h3>Tickets</h3>
      <ul class="plain">${order.tickets.map((t) => html`<li class="ticket">
        ${t.name}, seat ${t.seat}: <code class="ticket-code">${t.code}</code> ${t.status !== 'ISSUED' ? html`<${Badge} status=${t.status} label="No longer valid" />` : ''}
        ${t.qrPayload && html`<details><summary>What the door scans</summary><code class="qr-payload">${t.qrPayload}</code></details>`}
      </li>`)}</ul>
    </section>`}
    ${order.licenses.length > 0 && html`<section aria-label=${`License keys of order ${order.number}`}>
      <h3>License keys</h3>
      <ul class="plain">${order.licenses.map((l) => html`<li class="license">
        ${l.name}: ${l.key ? html`<code class="license-key">${l.key}</code> <${CopyButton} text=${l.key} />` : html`<span class="muted">key ending in ${l.keyHint}</span> <${Badge} status=${l.status} label="Revoked" />`}
      </li>`)}</ul>
    </section>`}
  </article>`;
}

function CopyButton({ text }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setDone(true);
    } catch {
      setDone(false);
    }
  };
  return html`<button type="button" class="button secondary small" onClick=${copy}>${done ? 'Copied' : 'Copy'}</button>`;
}

function Account() {
  const [state, setState] = useState({ loading: true });
  useEffect(() => {
    const token = takeToken();
    if (!token) {
      setState({ error: 'Open this page from the link in your email from the shop.' });
      return;
    }
    api('/account/api/orders', { headers: { authorization: `Bearer ${token}` } })
      .then((data) => setState({ data }))
      .catch((err) => {
        if (err instanceof ApiError && err.status === 401) sessionStorage.removeItem('orderflow.account');
        setState({ error: err.message });
      });
  }, []);
  return html`<main id="main" class="account-main">
    <h1>Your orders</h1>
    ${state.loading && html`<p class="loading">Loading your orders…</p>`}
    ${state.error && html`<p class="notice notice-error" role="alert">${state.error}</p>`}
    ${state.data && html`
      <p class="muted">Orders for <strong>${state.data.email}</strong>. This link works until ${when(state.data.expiresAt)}.</p>
      ${state.data.orders.length === 0 ? html`<${Empty}>No orders yet.<//>` : state.data.orders.map((o) => html`<${Order} key=${o.orderId} order=${o} />`)}
    `}
  </main>`;
}

// The page's own "Loading…" placeholder goes: Preact renders into an empty root.
const root = document.getElementById('root');
root.replaceChildren();
render(html`<${Account} />`, root);
