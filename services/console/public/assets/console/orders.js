import { useState } from 'preact/hooks';
import { api, qs } from '../lib/api.js';
import { Badge, Empty, ErrorNote, usePolling } from '../lib/components.js';
import { ago, money, when } from '../lib/format.js';
import { html } from '../lib/html.js';
import { OrderActions } from './order-actions.js';

const STATUSES = [
  ['', 'All'],
  ['PENDING', 'Pending'],
  ['PAID', 'Paid'],
  ['APPROVED', 'Approved'],
  ['FULFILLED', 'Fulfilled'],
  ['FAILED', 'Failed'],
  ['REFUNDED', 'Refunded'],
  ['PARTIALLY_REFUNDED', 'Partly refunded'],
  ['DISPUTED', 'Disputed'],
  ['CANCELLED', 'Cancelled'],
];
/** The open order refreshes this often: a refund or fulfillment shows up without a reload. */
const DETAIL_REFRESH_MS = 3_000;

/** Seed 003's admin orders: by status, or found by number, email or reference. */
export function OrdersPage() {
  const [status, setStatus] = useState('');
  const [draft, setDraft] = useState('');
  const [q, setQ] = useState('');
  const [rows, setRows] = useState(null);
  const [more, setMore] = useState(null);
  const [error, setError] = useState(null);
  const load = async () => {
    try {
      const page = await api(`/console/api/orders${qs({ status, q })}`);
      setRows(page.items);
      setMore(page.nextCursor);
      setError(null);
    } catch (err) {
      setError(err);
    }
  };
  usePolling(load, 10_000, true, [status, q]);
  const loadMore = async () => {
    try {
      const page = await api(`/console/api/orders${qs({ status, q, cursor: more })}`);
      setRows((current) => [...(current ?? []), ...page.items]);
      setMore(page.nextCursor);
    } catch (err) {
      setError(err);
    }
  };

  return html`<section aria-labelledby="orders-title">
    <h1 id="orders-title" tabindex="-1">Orders</h1>
    <form class="filters" role="search" aria-label="Search orders" onSubmit=${(e) => { e.preventDefault(); setQ(draft.trim()); }}>
      <div class="field grow"><label for="order-q">Search by number, email or reference</label><input id="order-q" type="search" value=${draft} onInput=${(e) => setDraft(e.currentTarget.value)} /></div>
      <div class="field actions"><button type="submit" class="button primary">Search</button>${q && html`<button type="button" class="button secondary" onClick=${() => { setDraft(''); setQ(''); }}>Clear</button>`}</div>
    </form>
    <div class="segmented" role="group" aria-label="Status">
      ${STATUSES.map(([value, label]) => html`<button type="button" aria-pressed=${status === value} class=${status === value ? 'active' : ''} onClick=${() => setStatus(value)}>${label}</button>`)}
    </div>
    <${ErrorNote} error=${error} />
    ${rows === null ? html`<p class="loading">Loading…</p>` : rows.length === 0 ? html`<${Empty}>No orders match.<//>` : html`
      <div class="table-wrap">
        <table>
          <caption class="visually-hidden">Orders, newest first</caption>
          <thead><tr><th scope="col">Order</th><th scope="col">Customer</th><th scope="col">Total</th><th scope="col">Status</th><th scope="col">Source</th><th scope="col">Created</th></tr></thead>
          <tbody>
            ${rows.map((o) => html`<tr key=${o.orderId}>
              <td><a href=${`#/orders/${encodeURIComponent(o.orderId)}`}>${o.references?.wixOrderNumber ? `#${o.references.wixOrderNumber}` : o.orderId}</a></td>
              <td>${o.customer?.email ?? '—'}</td>
              <td>${money(o.totalCents, o.currency)}</td>
              <td><${Badge} status=${o.status} />${o.fulfillmentFailure ? html` <span class="error-text">fulfillment failed</span>` : ''}</td>
              <td>${o.source}${o.instanceId ? html` <span class="muted">(${o.instanceId})</span>` : ''}</td>
              <td><time datetime=${o.createdAt} title=${when(o.createdAt)}>${ago(o.createdAt)}</time></td>
            </tr>`)}
          </tbody>
        </table>
      </div>
      ${more && html`<button type="button" class="button secondary" onClick=${loadMore}>Older orders</button>`}
    `}
  </section>`;
}

/** One order with everything each service knows about it, in one timeline, and the actions. */
export function OrderPage({ id }) {
  const [detail, setDetail] = useState(null);
  const [error, setError] = useState(null);
  const reload = usePolling(
    async () => {
      try {
        setDetail(await api(`/console/api/orders/${encodeURIComponent(id)}`));
        setError(null);
      } catch (err) {
        setError(err);
      }
    },
    DETAIL_REFRESH_MS,
    true,
    [id],
  );
  const order = detail?.order;
  return html`<section aria-labelledby="order-title">
    <p><a href="#/orders">← All orders</a></p>
    <h1 id="order-title" tabindex="-1">Order <code>${order?.references?.wixOrderNumber ? `#${order.references.wixOrderNumber}` : id}</code></h1>
    <${ErrorNote} error=${error} />
    ${detail?.unavailable?.length > 0 && html`<p class="notice notice-warn" role="status">Not shown: ${detail.unavailable.map((u) => `${u.service} (${u.detail})`).join('; ')}</p>`}
    ${order && html`
      <dl class="facts">
        <div><dt>Status</dt><dd><${Badge} status=${order.status} /></dd></div>
        <div><dt>Total</dt><dd>${money(order.totalCents, order.currency)}${order.refundedCents > 0 ? html` <span class="muted">(${money(order.refundedCents, order.currency)} refunded)</span>` : ''}</dd></div>
        <div><dt>Customer</dt><dd>${[order.customer?.name, order.customer?.email].filter(Boolean).join(' · ') || '—'}</dd></div>
        <div><dt>Source</dt><dd>${order.source}${order.instanceId ? ` · ${order.instanceId}` : ''}</dd></div>
        <div><dt>Created</dt><dd>${when(order.createdAt)}</dd></div>
        <div><dt>Order ID</dt><dd><code>${order.orderId}</code></dd></div>
        ${Object.entries(order.references ?? {}).filter(([, v]) => v).map(([k, v]) => html`<div><dt>${k}</dt><dd><code>${v}</code></dd></div>`)}
        ${order.reason && html`<div><dt>Reason</dt><dd>${order.reason}</dd></div>`}
        ${order.fulfillmentFailure && html`<div><dt>Fulfillment</dt><dd class="error-text">${order.fulfillmentFailure}</dd></div>`}
      </dl>
      <${OrderActions} order=${order} fulfillment=${detail.fulfillment} customerLinks=${detail.customerLinks} onDone=${reload} />
      <div class="columns">
        <section aria-labelledby="timeline-title">
          <h2 id="timeline-title">Timeline</h2>
          <ol class="timeline" aria-label="Timeline">
            ${detail.timeline.map((t, i) => html`<li key=${i} class=${`tone-line-${t.tone}`}>
              <div class="timeline-when"><time datetime=${t.at}>${when(t.at)}</time> <span class="source">${t.source}</span></div>
              <div class="timeline-what">${t.title}</div>
              ${t.detail && html`<div class="timeline-detail muted">${t.detail}</div>`}
            </li>`)}
          </ol>
        </section>
        <div>
          <${Items} order=${order} />
          <${Issued} fulfillment=${detail.fulfillment} orderId=${order.orderId} />
          <${Notifications} items=${detail.notifications} onDone=${reload} />
          <${Deliveries} items=${detail.deliveries} />
        </div>
      </div>
    `}
  </section>`;
}

function Items({ order }) {
  return html`<section aria-labelledby="items-title">
    <h2 id="items-title">Items</h2>
    <ul class="plain">
      ${order.lines.map((l) => html`<li key=${l.lineId}>${l.quantity} × ${l.name ?? l.productId} <span class="muted">(${l.kind})</span> — ${money(l.quantity * l.unitAmountCents, order.currency)}</li>`)}
    </ul>
    ${order.payments?.length > 0 && html`<h3>Payments</h3><ul class="plain">${order.payments.map((p) => html`<li key=${p.id}><${Badge} status=${p.status} /> ${p.provider} ${money(p.amountCents, p.currency)} <code>${p.providerPaymentRef}</code></li>`)}</ul>`}
  </section>`;
}

function Issued({ fulfillment, orderId }) {
  const [keys, setKeys] = useState(null);
  const [error, setError] = useState(null);
  if (!fulfillment) return html`<section aria-labelledby="issued-title"><h2 id="issued-title">Tickets and licenses</h2><${Empty}>Nothing issued yet.<//></section>`;
  const reveal = async () => {
    try {
      const answer = await api(`/console/api/orders/${encodeURIComponent(orderId)}/license-keys`, { method: 'POST' });
      setKeys(new Map(answer.licenses.map((l) => [l.licenseId, l.key])));
    } catch (err) {
      setError(err);
    }
  };
  return html`<section aria-labelledby="issued-title">
    <h2 id="issued-title">Tickets and licenses <${Badge} status=${fulfillment.status} /></h2>
    ${fulfillment.lastError && html`<p class="error-text">${fulfillment.lastError}</p>`}
    ${fulfillment.tickets.length > 0 && html`<ul class="plain">${fulfillment.tickets.map((t) => html`<li key=${t.ticketId}>Ticket <code>${t.code}</code> seat ${t.seat + 1} <${Badge} status=${t.status} /></li>`)}</ul>`}
    ${fulfillment.licenses.length > 0 && html`
      <ul class="plain">${fulfillment.licenses.map((l) => html`<li key=${l.licenseId}>License ${l.productId}: <code>${keys?.get(l.licenseId) ?? l.keyHint}</code> <${Badge} status=${l.status} /></li>`)}</ul>
      ${!keys && fulfillment.licenses.some((l) => l.status === 'ASSIGNED') && html`<button type="button" class="button secondary small" onClick=${reveal}>Show license keys</button>`}
    `}
    ${fulfillment.tickets.length === 0 && fulfillment.licenses.length === 0 && html`<${Empty}>No tickets or licenses in this order.<//>`}
    <${ErrorNote} error=${error} />
  </section>`;
}

function Notifications({ items, onDone }) {
  const [notice, setNotice] = useState(null);
  const resend = async (n) => {
    try {
      await api(`/console/api/notifications/${encodeURIComponent(n.id)}/resend`, { method: 'POST' });
      setNotice(`The ${n.channel} ${n.kind} is being sent again.`);
      onDone();
    } catch (err) {
      setNotice(`Resend failed: ${err.message}`);
    }
  };
  return html`<section aria-labelledby="notifications-title">
    <h2 id="notifications-title">Notifications</h2>
    ${items.length === 0 ? html`<${Empty}>None.<//>` : html`<ul class="plain">${items.map((n) => html`<li key=${n.id}>
      <${Badge} status=${n.status} /> ${n.channel} ${n.kind} <span class="muted">${n.recipient === 'webhook' ? '' : n.recipient}</span>
      ${n.status === 'FAILED' && html` <button type="button" class="button secondary small" onClick=${() => resend(n)}>Resend</button>`}
      ${n.lastError && html`<div class="error-text">${n.lastError}</div>`}
    </li>`)}</ul>`}
    ${notice && html`<p role="status" class="muted">${notice}</p>`}
  </section>`;
}

function Deliveries({ items }) {
  return html`<section aria-labelledby="deliveries-title">
    <h2 id="deliveries-title">Partner deliveries</h2>
    ${items.length === 0 ? html`<${Empty}>None.<//>` : html`<ul class="plain">${items.map((d) => html`<li key=${d.id}>
      <${Badge} status=${d.status} /> ${d.eventType} → <span class="url">${d.url ?? 'partner'}</span> <span class="muted">(${d.attempts} attempt${d.attempts === 1 ? '' : 's'})</span>
      ${d.lastError && html`<div class="error-text">${d.lastError}</div>`}
    </li>`)}</ul>`}
    <p><a href="#/partners">Partners and failed deliveries →</a></p>
  </section>`;
}
