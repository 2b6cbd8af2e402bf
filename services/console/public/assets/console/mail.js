import { useState } from 'preact/hooks';
import { api, ApiError, qs } from '../lib/api.js';
import { Empty, ErrorNote, JsonView, usePolling } from '../lib/components.js';
import { ago, when } from '../lib/format.js';
import { html } from '../lib/html.js';

/** New mail shows up while the page is open, as in a mail client. */
const LIVE_MS = 3_000;
const CHANNEL_LABELS = { email: 'Mail', discord: 'Discord', slack: 'Slack' };

/**
 * What Orderflow would have sent, when it has nowhere to send it (the one-machine mode): mails
 * with their QR codes, Discord embeds and Slack alerts, newest first — a Mailpit of its own.
 */
export function MailPage({ id }) {
  const [channel, setChannel] = useState('');
  const [rows, setRows] = useState(null);
  const [more, setMore] = useState(null);
  const [error, setError] = useState(null);
  const [off, setOff] = useState(false);

  const load = async () => {
    try {
      const page = await api(`/console/api/mail${qs({ channel })}`);
      setRows(page.items);
      setMore(page.nextCursor);
      setError(null);
      setOff(false);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) setOff(true);
      else setError(err);
    }
  };
  usePolling(load, LIVE_MS, true, [channel]);
  const loadMore = async () => {
    try {
      const page = await api(`/console/api/mail${qs({ channel, cursor: more })}`);
      setRows((current) => [...(current ?? []), ...page.items]);
      setMore(page.nextCursor);
    } catch (err) {
      setError(err);
    }
  };

  return html`<section aria-labelledby="mail-title">
    <h1 id="mail-title" tabindex="-1">Mail</h1>
    <p class="lead">What Orderflow would have sent: no SMTP server, Discord or Slack webhook is configured, so it is kept here instead.</p>
    ${off
      ? html`<${Empty}>No mailbox: this installation sends its mail, Discord and Slack messages for real (see <code>KEEP_UNSENT</code>).<//>`
      : html`
      <div class="toolbar">
        <label for="mail-channel">Channel</label>
        <select id="mail-channel" value=${channel} onChange=${(e) => setChannel(e.currentTarget.value)}>
          <option value="">All</option>${Object.entries(CHANNEL_LABELS).map(([value, label]) => html`<option value=${value}>${label}</option>`)}
        </select>
      </div>
      <${ErrorNote} error=${error} />
      ${rows === null ? html`<p class="loading">Loading…</p>` : rows.length === 0 ? html`<${Empty}>Nothing yet. Place an order and its mails appear here.<//>` : html`
        <div class="table-wrap">
          <table class="mail">
            <caption class="visually-hidden">Kept messages, newest first</caption>
            <thead><tr><th scope="col">When</th><th scope="col">Channel</th><th scope="col">To</th><th scope="col">Subject</th><th scope="col">Order</th></tr></thead>
            <tbody>
              ${rows.map((row) => html`<tr key=${row.id} class=${id === row.id ? 'selected' : ''} data-message-id=${row.id}>
                <td><time datetime=${row.createdAt} title=${when(row.createdAt)}>${ago(row.createdAt)}</time></td>
                <td>${CHANNEL_LABELS[row.channel] ?? row.channel}</td>
                <td>${row.recipient}</td>
                <td><a href=${`#/mail/${row.id}`}>${row.headline || '(no subject)'}</a></td>
                <td>${row.orderId ? html`<a href=${`#/orders/${encodeURIComponent(row.orderId)}`}>${row.orderId}</a>` : '—'}</td>
              </tr>`)}
            </tbody>
          </table>
        </div>
        ${more && html`<button type="button" class="button secondary" onClick=${loadMore}>Older messages</button>`}
      `}
      ${id && html`<${Message} key=${id} id=${id} />`}
    `}
  </section>`;
}

function Message({ id }) {
  const [message, setMessage] = useState(null);
  const [error, setError] = useState(null);
  const [view, setView] = useState('html');
  usePolling(
    async () => {
      try {
        setMessage(await api(`/console/api/mail/${encodeURIComponent(id)}`));
        setError(null);
      } catch (err) {
        setError(err);
      }
    },
    0,
    false,
  );
  return html`<section class="panel" aria-labelledby="message-title">
    <div class="panel-head">
      <h2 id="message-title">${message ? message.subject ?? message.headline : 'Message'}</h2>
      <a class="button secondary small" href="#/mail">Close</a>
    </div>
    <${ErrorNote} error=${error} />
    ${message && message.channel === 'email' && html`
      <dl class="facts">
        <div><dt>From</dt><dd>${message.from}</dd></div>
        <div><dt>To</dt><dd>${message.recipient}</dd></div>
        <div><dt>Kept</dt><dd>${when(message.createdAt)}</dd></div>
        <div><dt>Attachments</dt><dd>${message.attachments.length === 0 ? '—' : message.attachments.map((a) => a.filename).join(', ')}</dd></div>
      </dl>
      <div class="toolbar" role="group" aria-label="Show the mail as">
        <button type="button" class="button small ${view === 'html' ? 'primary' : 'secondary'}" aria-pressed=${view === 'html'} onClick=${() => setView('html')}>HTML</button>
        <button type="button" class="button small ${view === 'text' ? 'primary' : 'secondary'}" aria-pressed=${view === 'text'} onClick=${() => setView('text')}>Text</button>
      </div>
      ${view === 'html'
        ? html`<iframe class="mail-frame" title=${`The mail: ${message.subject}`} src=${`/console/mail/${encodeURIComponent(id)}.html`} sandbox=""></iframe>`
        : html`<pre class="mail-text">${message.text}</pre>`}
    `}
    ${message && message.channel !== 'email' && html`
      <dl class="facts">
        <div><dt>Channel</dt><dd>${CHANNEL_LABELS[message.channel] ?? message.channel}</dd></div>
        <div><dt>Kept</dt><dd>${when(message.createdAt)}</dd></div>
      </dl>
      <p class="muted">The message as it would have been posted to the ${CHANNEL_LABELS[message.channel] ?? message.channel} webhook:</p>
      <${JsonView} value=${message.message} label=${`The ${message.channel} message`} />
    `}
  </section>`;
}
