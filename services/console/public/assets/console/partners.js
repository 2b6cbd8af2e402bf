import { useState } from 'preact/hooks';
import { api, qs } from '../lib/api.js';
import { Badge, ConfirmDialog, Empty, ErrorNote, Notice, usePolling } from '../lib/components.js';
import { ago, isoFromLocal, localFromIso, percent, when } from '../lib/format.js';
import { html } from '../lib/html.js';

const REFRESH_MS = 5_000;
/** A resent delivery is watched this often until it is delivered or fails again. */
const WATCH_MS = 1_000;

/** Partners: subscriptions per instance, their health, failed deliveries and the levers. */
export function PartnersPage() {
  const [subs, setSubs] = useState(null);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState(null);
  const [replaying, setReplaying] = useState(null);
  const [switching, setSwitching] = useState(null);
  const [busy, setBusy] = useState(false);
  const reload = usePolling(async () => {
    try {
      setSubs((await api('/console/api/partners')).items);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, REFRESH_MS);

  const act = async (work) => {
    setBusy(true);
    try {
      setNotice({ text: await work() });
      reload();
    } catch (err) {
      setNotice({ error: true, text: err.message });
    } finally {
      setBusy(false);
      setReplaying(null);
      setSwitching(null);
    }
  };
  const replay = (form) => act(async () => {
    const from = isoFromLocal(form.get('from'));
    const to = isoFromLocal(form.get('to'));
    if (!from || !to) throw new Error('Give both ends of the time range.');
    const result = await api(`/console/api/partners/${encodeURIComponent(replaying.id)}/replay`, { method: 'POST', body: { from, to } });
    return `${result.replayed} deliver${result.replayed === 1 ? 'y' : 'ies'} queued again for ${replaying.url}.`;
  });
  const toggle = () => act(async () => {
    const updated = await api(`/console/api/partners/${encodeURIComponent(switching.id)}/active`, { method: 'POST', body: { active: !switching.active } });
    return updated.active ? `${updated.url} is enabled; what was held goes out now.` : `${updated.url} is disabled; its deliveries are held.`;
  });
  const now = Date.now();

  return html`<section aria-labelledby="partners-title">
    <h1 id="partners-title" tabindex="-1">Partners</h1>
    <p class="lead">Signed webhooks to partners, per instance. Success rate and latency over the last 24 hours.</p>
    <${ErrorNote} error=${error} />
    <${Notice} notice=${notice} />
    ${subs === null ? html`<p class="loading">Loading…</p>` : subs.length === 0 ? html`<${Empty}>No partner subscriptions yet.<//>` : html`
      <div class="table-wrap">
        <table>
          <caption class="visually-hidden">Partner subscriptions</caption>
          <thead><tr><th scope="col">Instance</th><th scope="col">Endpoint</th><th scope="col">Events</th><th scope="col">State</th><th scope="col">Breaker</th><th scope="col">Success (24 h)</th><th scope="col">Backlog</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            ${subs.map((s) => html`<tr key=${s.id}>
              <td>${s.instanceId}</td>
              <td><span class="url">${s.url}</span>${s.description ? html`<div class="muted">${s.description}</div>` : ''}</td>
              <td>${s.eventTypes.join(', ')}${s.ordered ? html` <span class="muted">(ordered)</span>` : ''}</td>
              <td><${Badge} status=${s.active ? 'active' : 'disabled'} />${s.disabledReason ? html`<div class="muted">${s.disabledReason}</div>` : ''}</td>
              <td><${Badge} status=${s.breaker} /></td>
              <td>${percent(s.last24h.successRate)} <span class="muted">of ${s.last24h.attempts}${s.last24h.avgLatencyMs !== null ? `, ${s.last24h.avgLatencyMs} ms avg` : ''}</span></td>
              <td>${s.deliveries.failed} failed, ${s.deliveries.pending} pending${s.deliveries.waiting ? `, ${s.deliveries.waiting} waiting in order` : ''}${s.deliveries.held ? `, ${s.deliveries.held} held` : ''}</td>
              <td class="row-actions">
                <button type="button" class="button secondary small" onClick=${() => setReplaying(s)} aria-label=${`Replay a time range to ${s.url}`}>Replay…</button>
                <button type="button" class=${`button small ${s.active ? 'danger' : 'primary'}`} onClick=${() => setSwitching(s)} aria-label=${`${s.active ? 'Disable' : 'Enable'} ${s.url}`}>${s.active ? 'Disable…' : 'Enable…'}</button>
              </td>
            </tr>`)}
          </tbody>
        </table>
      </div>
    `}
    <${Deliveries} />
    <${ConfirmDialog} open=${Boolean(replaying)} title="Replay a time range?" confirmLabel="Replay" busy=${busy} onConfirm=${replay} onCancel=${() => setReplaying(null)}>
      <p>Every event of ${replaying?.instanceId ?? ''} this subscription matches, within the range, is delivered to <span class="url">${replaying?.url ?? ''}</span> again, with its original ID.</p>
      <label for="replay-from">From</label><input id="replay-from" name="from" type="datetime-local" required value=${localFromIso(new Date(now - 3_600_000).toISOString())} />
      <label for="replay-to">To</label><input id="replay-to" name="to" type="datetime-local" required value=${localFromIso(new Date(now + 60_000).toISOString())} />
    <//>
    <${ConfirmDialog} open=${Boolean(switching)} title=${switching?.active ? 'Disable this subscription?' : 'Enable this subscription?'} confirmLabel=${switching?.active ? 'Disable' : 'Enable'} danger=${switching?.active} busy=${busy} onConfirm=${toggle} onCancel=${() => setSwitching(null)}>
      <p>${switching?.active ? 'Nothing is lost: deliveries are held until it is enabled again.' : 'Held deliveries go out now, in order, with their original IDs.'}</p>
    <//>
  </section>`;
}

/** Deliveries by status (failed first), each with its attempts; a resend is watched until it settles. */
function Deliveries() {
  const [status, setStatus] = useState('FAILED');
  const [rows, setRows] = useState(null);
  const [error, setError] = useState(null);
  const [watched, setWatched] = useState({});
  const [notice, setNotice] = useState(null);
  usePolling(async () => {
    try {
      setRows((await api(`/console/api/partners/deliveries${qs({ status })}`)).items);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, REFRESH_MS, true, [status]);
  const pending = Object.values(watched).filter((d) => d.status === 'PENDING');
  usePolling(async () => {
    for (const d of pending) {
      try {
        const detail = await api(`/console/api/partners/deliveries/${encodeURIComponent(d.id)}`);
        // The detail lists every attempt, oldest first; rows show the latest first.
        const fresh = { ...detail, attempts: detail.attempts.length, attemptLog: [...detail.attempts].reverse() };
        setWatched((w) => ({ ...w, [d.id]: { ...w[d.id], ...fresh } }));
        if (fresh.status !== 'PENDING') setNotice({ error: fresh.status !== 'DELIVERED', text: `Delivery ${d.id} (${d.eventType}): ${fresh.status.toLowerCase()}.` });
      } catch {
        // The next poll tries again.
      }
    }
  }, WATCH_MS, pending.length > 0, [pending.length]);

  const resend = async (d) => {
    try {
      await api(`/console/api/partners/deliveries/${encodeURIComponent(d.id)}/resend`, { method: 'POST' });
      setWatched((w) => ({ ...w, [d.id]: { ...d, status: 'PENDING' } }));
      setNotice({ text: `Delivery ${d.id} resent; waiting for the partner's answer…` });
    } catch (err) {
      setNotice({ error: true, text: `Resend failed: ${err.message}` });
    }
  };
  // A resent row stays in view with its live status, whatever the filter now says.
  const shown = [...(rows ?? []).map((d) => (watched[d.id] ? { ...d, ...watched[d.id] } : d)), ...Object.values(watched).filter((w) => !(rows ?? []).some((d) => d.id === w.id))];

  return html`<section aria-labelledby="deliveries-title">
    <h2 id="deliveries-title">Deliveries</h2>
    <div class="toolbar">
      <label for="delivery-status">Show</label>
      <select id="delivery-status" value=${status} onChange=${(e) => setStatus(e.currentTarget.value)}>
        ${[['FAILED', 'Failed'], ['PENDING', 'Pending'], ['WAITING', 'Waiting in order'], ['HELD', 'Held'], ['DELIVERED', 'Delivered'], ['', 'All']].map(([v, l]) => html`<option value=${v}>${l}</option>`)}
      </select>
    </div>
    <${ErrorNote} error=${error} />
    <${Notice} notice=${notice} />
    ${rows === null ? html`<p class="loading">Loading…</p>` : shown.length === 0 ? html`<${Empty}>No deliveries here.<//>` : html`
      <div class="table-wrap">
        <table class="deliveries">
          <caption class="visually-hidden">Partner deliveries</caption>
          <thead><tr><th scope="col">Event</th><th scope="col">Order</th><th scope="col">Endpoint</th><th scope="col">Status</th><th scope="col">Attempts (latest first)</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            ${shown.map((d) => html`<tr key=${d.id} data-delivery-id=${d.id}>
              <td><code>${d.eventType}</code><div class="muted"><time datetime=${d.createdAt} title=${when(d.createdAt)}>${ago(d.createdAt)}</time></div></td>
              <td><a href=${`#/orders/${encodeURIComponent(d.orderKey)}`}>${d.orderKey}</a></td>
              <td><span class="url">${d.url ?? '—'}</span><div class="muted">${d.instanceId ?? ''}</div></td>
              <td><${Badge} status=${d.status} /></td>
              <td>${(d.attemptLog ?? []).length === 0 ? '—' : html`<ul class="attempts">${d.attemptLog.slice(0, 5).map((a) => html`<li key=${a.id}>
                <${Badge} status=${a.statusCode >= 200 && a.statusCode < 300 ? 'DELIVERED' : 'FAILED'} label=${a.statusCode ?? 'no answer'} /> ${a.latencyMs} ms <span class="muted">${ago(a.at)}</span>
                ${(a.response || a.error) && html`<div class="excerpt"><code>${(a.response || a.error).slice(0, 200)}</code></div>`}
              </li>`)}</ul>`}</td>
              <td>${!['PENDING', 'WAITING'].includes(d.status) && html`<button type="button" class="button secondary small" onClick=${() => resend(d)} aria-label=${`Resend delivery ${d.id}`}>Resend</button>`}</td>
            </tr>`)}
          </tbody>
        </table>
      </div>
    `}
  </section>`;
}
