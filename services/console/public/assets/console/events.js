import { useRef, useState } from 'preact/hooks';
import { api, qs } from '../lib/api.js';
import { Badge, ConfirmDialog, Empty, ErrorNote, JsonView, Notice, usePolling } from '../lib/components.js';
import { ago, isoFromLocal, when } from '../lib/format.js';
import { html } from '../lib/html.js';

const EMPTY_FILTER = { source: '', status: '', type: '', from: '', to: '', q: '' };
/** How often the list refreshes while "Live" is on: fresh enough to watch a webhook arrive. */
const LIVE_MS = 3_000;

/** Seed 001's webhook dashboard: newest first, live, filtered; a payload viewer; replay. */
export function EventsPage() {
  const [draft, setDraft] = useState(EMPTY_FILTER);
  const [filter, setFilter] = useState(EMPTY_FILTER);
  const [live, setLive] = useState(true);
  const [rows, setRows] = useState(null);
  const [more, setMore] = useState(null);
  const [error, setError] = useState(null);
  const [openId, setOpenId] = useState(null);

  const params = () => ({ source: filter.source, status: filter.status, type: filter.type, from: isoFromLocal(filter.from), to: isoFromLocal(filter.to), q: filter.q });
  const load = async () => {
    try {
      const page = await api(`/console/api/events${qs(params())}`);
      setRows(page.items);
      setMore(page.nextCursor);
      setError(null);
    } catch (err) {
      setError(err);
    }
  };
  const reload = usePolling(load, LIVE_MS, live, [filter]);
  const loadMore = async () => {
    try {
      const page = await api(`/console/api/events${qs({ ...params(), cursor: more })}`);
      setRows((current) => [...(current ?? []), ...page.items]);
      setMore(page.nextCursor);
    } catch (err) {
      setError(err);
    }
  };
  const field = (name) => ({ value: draft[name], onInput: (e) => setDraft({ ...draft, [name]: e.currentTarget.value }) });

  return html`<section aria-labelledby="events-title">
    <h1 id="events-title" tabindex="-1">Webhook events</h1>
    <p class="lead">Every Stripe and Wix webhook the ingress verified, newest first.</p>
    <form class="filters" role="search" aria-label="Filter webhook events" onSubmit=${(e) => { e.preventDefault(); setFilter(draft); }}>
      <div class="field"><label for="ev-q">Order or event ID</label><input id="ev-q" type="search" ...${field('q')} /></div>
      <div class="field"><label for="ev-source">Source</label>
        <select id="ev-source" ...${field('source')}><option value="">All</option><option value="stripe">Stripe</option><option value="wix">Wix</option></select></div>
      <div class="field"><label for="ev-status">Status</label>
        <select id="ev-status" ...${field('status')}><option value="">All</option>${['received', 'published', 'ignored', 'failed', 'quarantined'].map((s) => html`<option value=${s}>${s}</option>`)}</select></div>
      <div class="field"><label for="ev-type">Type</label><input id="ev-type" placeholder="payment_intent.succeeded" ...${field('type')} /></div>
      <div class="field"><label for="ev-from">From</label><input id="ev-from" type="datetime-local" ...${field('from')} /></div>
      <div class="field"><label for="ev-to">To</label><input id="ev-to" type="datetime-local" ...${field('to')} /></div>
      <div class="field actions">
        <button type="submit" class="button primary">Apply</button>
        <button type="button" class="button secondary" onClick=${() => { setDraft(EMPTY_FILTER); setFilter(EMPTY_FILTER); }}>Clear</button>
      </div>
    </form>
    <div class="toolbar">
      <label class="checkbox"><input type="checkbox" checked=${live} onChange=${(e) => setLive(e.currentTarget.checked)} /> Live (refreshes every ${LIVE_MS / 1000} s)</label>
      <button type="button" class="button secondary small" onClick=${reload}>Refresh now</button>
    </div>
    <${ErrorNote} error=${error} />
    ${rows === null ? html`<p class="loading">Loading…</p>` : rows.length === 0 ? html`<${Empty}>No webhook events match.<//>` : html`
      <div class="table-wrap">
        <table class="events">
          <caption class="visually-hidden">Webhook events, newest first</caption>
          <thead><tr><th scope="col">Received</th><th scope="col">Source</th><th scope="col">Type</th><th scope="col">Status</th><th scope="col">Order</th><th scope="col">Event</th><th scope="col">Error</th><th scope="col"><span class="visually-hidden">Payload</span></th></tr></thead>
          <tbody>
            ${rows.map((row) => html`<tr key=${row.id} class=${openId === row.id ? 'selected' : ''} data-event-id=${row.eventId}>
              <td><time datetime=${row.receivedAt} title=${when(row.receivedAt)}>${ago(row.receivedAt)}</time></td>
              <td>${row.source}</td>
              <td><code>${row.type}</code></td>
              <td><${Badge} status=${row.status} />${row.duplicates > 0 ? html` <span class="muted">+${row.duplicates} duplicate${row.duplicates === 1 ? '' : 's'}</span>` : ''}</td>
              <td>${row.orderKey ? html`<a href=${`#/orders/${encodeURIComponent(row.orderKey)}`}>${row.orderKey}</a>` : '—'}</td>
              <td><code>${row.eventId}</code></td>
              <td class="error-text">${row.error ?? ''}</td>
              <td><button type="button" class="button secondary small" aria-label=${`View payload of ${row.eventId}`} aria-expanded=${openId === row.id} onClick=${() => setOpenId(openId === row.id ? null : row.id)}>${openId === row.id ? 'Hide' : 'Payload'}</button></td>
            </tr>`)}
          </tbody>
        </table>
      </div>
      ${more && html`<button type="button" class="button secondary" onClick=${loadMore}>Older events</button>`}
    `}
    ${openId && html`<${EventDetail} key=${openId} id=${openId} onClose=${() => setOpenId(null)} onReplayed=${reload} />`}
  </section>`;
}

function EventDetail({ id, onClose, onReplayed }) {
  const [event, setEvent] = useState(null);
  const [error, setError] = useState(null);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState(null);
  const heading = useRef(null);
  usePolling(
    async () => {
      try {
        setEvent(await api(`/console/api/events/${encodeURIComponent(id)}`));
        setError(null);
        requestAnimationFrame(() => heading.current?.focus());
      } catch (err) {
        setError(err);
      }
    },
    0,
    false,
  );
  const replay = async () => {
    setBusy(true);
    try {
      const result = await api(`/console/api/events/${encodeURIComponent(id)}/replay`, { method: 'POST' });
      setNotice({ text: `Replayed ${result.eventId}: published again with its original event ID.` });
      onReplayed();
    } catch (err) {
      setNotice({ error: true, text: `Replay failed: ${err.message}` });
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };
  return html`<section class="panel" aria-labelledby="event-title">
    <div class="panel-head">
      <h2 id="event-title" tabindex="-1" ref=${heading}>${event ? html`Event <code>${event.eventId}</code>` : 'Event'}</h2>
      <button type="button" class="button secondary small" onClick=${onClose}>Close</button>
    </div>
    <${ErrorNote} error=${error} />
    ${event && html`
      <dl class="facts">
        <div><dt>Status</dt><dd><${Badge} status=${event.status} /></dd></div>
        <div><dt>Type</dt><dd><code>${event.type}</code></dd></div>
        <div><dt>Received</dt><dd>${when(event.receivedAt)}</dd></div>
        <div><dt>Published</dt><dd>${when(event.publishedAt)}</dd></div>
        <div><dt>Attempts</dt><dd>${event.attempts}</dd></div>
        <div><dt>Duplicates</dt><dd>${event.duplicates}</dd></div>
        <div><dt>Instance</dt><dd>${event.instanceId ?? '—'}</dd></div>
        ${event.error && html`<div><dt>Error</dt><dd class="error-text">${event.error}</dd></div>`}
      </dl>
      <div class="actions-row">
        <button type="button" class="button primary" disabled=${event.status === 'ignored'} onClick=${() => setConfirming(true)}>Replay…</button>
        ${event.status === 'ignored' && html`<span class="muted">Ignored types are not published, so there is nothing to replay.</span>`}
      </div>
      <${Notice} notice=${notice} />
      <h3>Payload</h3>
      <p class="muted">Secrets (client secrets, keys, signatures) are masked.</p>
      <${JsonView} value=${event.payload} label=${`Payload of ${event.eventId}`} />
      ${event.rawBody !== undefined && html`
        <h3>Body as received</h3>
        <p class="muted">Quarantined: authentic, but it could not be published as it came (see Error). Replay reads this body again with today's rules.</p>
        <${JsonView} value=${event.rawBody} label=${`Body of ${event.eventId} as received`} />
      `}
      <${ConfirmDialog} open=${confirming} title="Replay this webhook?" confirmLabel="Replay" busy=${busy} onConfirm=${replay} onCancel=${() => setConfirming(false)}>
        <p>The ingress publishes <code>${event.eventId}</code> again with its original ID. Services that already handled it skip it; any that missed it catch up.</p>
      <//>
    `}
  </section>`;
}
