import { useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { Badge, Empty, ErrorNote, usePolling } from '../lib/components.js';
import { when } from '../lib/format.js';
import { html } from '../lib/html.js';
import { HealthCharts } from './health-charts.js';

const REFRESH_MS = 10_000;

function count(n, cap) {
  if (n === null || n === undefined) return html`<span class="muted">unknown</span>`;
  return n >= cap ? `${cap}+` : String(n);
}

/** Is the system well: readiness, consumer lag, dead letters, checkouts, and what waits for a human. */
export function HealthPage() {
  const [health, setHealth] = useState(null);
  const [error, setError] = useState(null);
  usePolling(async () => {
    try {
      setHealth(await api('/console/api/health'));
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, REFRESH_MS);
  const checkout = health?.checkout;
  return html`<section aria-labelledby="health-title">
    <h1 id="health-title" tabindex="-1">Health</h1>
    <${ErrorNote} error=${error} />
    ${!health ? html`<p class="loading">Loading…</p>` : html`
      <p class="muted">Checked ${when(health.checkedAt)}; refreshes every ${REFRESH_MS / 1000} s.</p>
      <div class="cards">
        <div class="card stat"><div class="stat-value">${count(health.backlog.failedFulfillments, health.backlog.cap)}</div><div>failed fulfillments</div><a href="#/orders">Orders →</a></div>
        <div class="card stat"><div class="stat-value">${count(health.backlog.failedDeliveries, health.backlog.cap)}</div><div>failed partner deliveries</div><a href="#/partners">Partners →</a></div>
        <div class="card stat"><div class="stat-value">${count(health.backlog.failedNotifications, health.backlog.cap)}</div><div>failed notifications</div></div>
        <div class="card stat"><div class="stat-value">${count(health.backlog.unmatchedPayments, health.backlog.cap)}</div><div>unmatched payments</div></div>
      </div>
      <h2>The last hour</h2>
      <p class="muted">From the services' own metrics, sampled by the console; a console restart starts the hour again.</p>
      <${HealthCharts} />
      <h2>Services</h2>
      <div class="table-wrap"><table>
        <caption class="visually-hidden">Readiness of each service</caption>
        <thead><tr><th scope="col">Service</th><th scope="col">Ready</th><th scope="col">Checks</th></tr></thead>
        <tbody>${health.services.map((s) => html`<tr key=${s.service}><td>${s.service}</td><td><${Badge} status=${s.ready ? 'ready' : 'not ready'} /></td><td>${s.checks.map((c) => html`<span class="check"><${Badge} status=${c.status} label=${`${c.name}: ${c.status}`} /></span>`)}</td></tr>`)}</tbody>
      </table></div>
      <h2>Checkouts</h2>
      ${!checkout?.reachable ? html`<p class="notice notice-error">The order service's checkout health did not answer.</p>` : html`
        <dl class="facts">
          <div><dt>Status</dt><dd><${Badge} status=${checkout.status} /></dd></div>
          ${Object.entries(checkout.checks ?? {}).map(([name, c]) => html`<div><dt>${name.replace(/_/g, ' ')}</dt><dd><${Badge} status=${c.status} /> ${c.count ?? ''} <span class="muted">${c.message}</span></dd></div>`)}
        </dl>`}
      <h2>Consumer lag</h2>
      ${health.consumers.length === 0 ? html`<${Empty}>No consumer metrics yet.<//>` : html`<div class="table-wrap"><table>
        <caption class="visually-hidden">Consumer lag by group and topic</caption>
        <thead><tr><th scope="col">Service</th><th scope="col">Group</th><th scope="col">Topic</th><th scope="col">Lag (messages)</th><th scope="col">Paused partitions</th></tr></thead>
        <tbody>${health.consumers.map((c) => html`<tr key=${`${c.service}-${c.group}-${c.topic}`}><td>${c.service}</td><td>${c.group}</td><td><code>${c.topic}</code></td><td class=${c.lag > 0 ? 'warn-text' : ''}>${c.lag}</td><td>${c.pausedPartitions}</td></tr>`)}</tbody>
      </table></div>`}
      <h2>Dead letters</h2>
      <p class="muted">Messages sent to a dead-letter topic since each service started, by reason.</p>
      ${health.deadLetters.length === 0 ? html`<${Empty}>None.<//>` : html`<div class="table-wrap"><table>
        <caption class="visually-hidden">Dead letters by reason</caption>
        <thead><tr><th scope="col">Service</th><th scope="col">Group</th><th scope="col">Topic</th><th scope="col">Reason</th><th scope="col">Count</th></tr></thead>
        <tbody>${health.deadLetters.map((d) => html`<tr key=${`${d.service}-${d.group}-${d.topic}-${d.reason}`}><td>${d.service}</td><td>${d.group}</td><td><code>${d.topic}</code></td><td>${d.reason}</td><td class="error-text">${d.count}</td></tr>`)}</tbody>
      </table></div>`}
    `}
  </section>`;
}
