import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from './html.js';

/** The colour family of a status, by what it means for the customer or the partner. */
export function toneOf(status) {
  const s = String(status ?? '');
  if (['FULFILLED', 'DELIVERED', 'SENT', 'SUCCEEDED', 'COMPLETED', 'published', 'ISSUED', 'ASSIGNED', 'APPROVED', 'PAID', 'closed', 'ok', 'ready', 'active', 'healthy'].includes(s)) return 'ok';
  if (['FAILED', 'failed', 'quarantined', 'DISPUTED', 'UNMATCHED', 'open', 'unreachable', 'not ready', 'unhealthy', 'error'].includes(s)) return 'bad';
  if (['REFUNDED', 'PARTIALLY_REFUNDED', 'CANCELLED', 'VOIDED', 'REVOKED', 'HELD', 'WAITING', 'PENDING', 'received', 'half-open', 'disabled', 'warning', 'degraded', 'ignored'].includes(s)) return 'warn';
  return 'info';
}

/** A status as text and colour: the text alone says it all, the colour only helps. */
export function Badge({ status, label }) {
  return html`<span class=${`badge tone-${toneOf(status)}`}>${label ?? String(status ?? '—').replace(/_/g, ' ')}</span>`;
}

/**
 * A confirmation in a native modal dialog: focus moves into it and is trapped there, Escape
 * cancels, and focus returns to the button that opened it when it closes.
 */
let dialogs = 0;

export function ConfirmDialog({ open, title, confirmLabel, danger, busy, onConfirm, onCancel, children }) {
  const ref = useRef(null);
  // Each dialog's own title ID: several can be on one page, each named by its own heading.
  const [titleId] = useState(() => `dialog-title-${++dialogs}`);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  const submit = (event) => {
    event.preventDefault();
    if (!busy) onConfirm(new FormData(event.currentTarget));
  };
  return html`<dialog ref=${ref} class="dialog" aria-labelledby=${titleId} onCancel=${(e) => { e.preventDefault(); onCancel(); }}>
    <form method="dialog" onSubmit=${submit}>
      <h2 id=${titleId}>${title}</h2>
      <div class="dialog-body">${children}</div>
      <div class="dialog-actions">
        <button type="button" class="button secondary" onClick=${onCancel}>Cancel</button>
        <button type="submit" class=${`button ${danger ? 'danger' : 'primary'}`} disabled=${busy}>${busy ? 'Working…' : confirmLabel}</button>
      </div>
    </form>
  </dialog>`;
}

/** The outcome of an action, announced to screen readers as it appears. */
export function Notice({ notice }) {
  if (!notice) return html`<div class="notice-slot" role="status" aria-live="polite"></div>`;
  return html`<div class="notice-slot" role="status" aria-live="polite"><p class=${`notice ${notice.error ? 'notice-error' : 'notice-ok'}`}>${notice.text}</p></div>`;
}

export function ErrorNote({ error }) {
  if (!error) return null;
  return html`<p class="notice notice-error" role="alert">${error.message ?? String(error)}</p>`;
}

/** Indented JSON; the server has already masked secrets. */
export function JsonView({ value, label }) {
  return html`<pre class="json" tabindex="0" aria-label=${label}><code>${JSON.stringify(value, null, 2)}</code></pre>`;
}

export function Empty({ children }) {
  return html`<p class="empty">${children}</p>`;
}

/**
 * Calls `load` now and every `intervalMs` while `enabled`, never two at once, and not while the
 * tab is hidden. Returns a function that loads again at once.
 */
export function usePolling(load, intervalMs, enabled = true, deps = []) {
  const latest = useRef(load);
  latest.current = load;
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let stopped = false;
    let running = false;
    let timer;
    const run = async () => {
      if (stopped || running) return;
      running = true;
      try {
        await latest.current();
      } finally {
        running = false;
        if (!stopped && enabled) timer = setTimeout(() => (document.hidden ? schedule() : run()), intervalMs);
      }
    };
    const schedule = () => {
      timer = setTimeout(() => (document.hidden ? schedule() : run()), intervalMs);
    };
    run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [enabled, intervalMs, tick, ...deps]);
  return () => setTick((t) => t + 1);
}
