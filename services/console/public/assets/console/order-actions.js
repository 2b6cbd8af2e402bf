import { useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { ConfirmDialog, Notice } from '../lib/components.js';
import { money, when } from '../lib/format.js';
import { html } from '../lib/html.js';

const REFUNDABLE = ['PAID', 'APPROVED', 'FULFILLED', 'PARTIALLY_REFUNDED'];

/**
 * Seed 003's actions — complete a pending order, refund, retry a failed fulfillment — each
 * behind a confirmation, with the outcome announced. Buttons show only where the order's state
 * allows the action; the services refuse it anyway if that changed meanwhile.
 */
export function OrderActions({ order, fulfillment, customerLinks, onDone }) {
  const [open, setOpen] = useState(null);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState(null);
  const base = `/console/api/orders/${encodeURIComponent(order.orderId)}`;
  const left = order.totalCents - order.refundedCents;

  const run = async (action) => {
    setBusy(true);
    try {
      setNotice({ text: await action() });
      onDone();
    } catch (err) {
      setNotice({ error: true, text: err.message });
    } finally {
      setBusy(false);
      setOpen(null);
    }
  };
  const complete = () => run(async () => {
    const updated = await api(`${base}/complete`, { method: 'POST' });
    return `Marked as paid by hand: the order is now ${updated.status}.`;
  });
  const refund = (form) => run(async () => {
    const raw = String(form.get('amount') ?? '').trim();
    const body = { reason: String(form.get('reason') ?? '').trim() || undefined };
    if (raw) {
      const amount = Math.round(Number(raw.replace(',', '.')) * 100);
      if (!Number.isFinite(amount) || amount <= 0) throw new Error('The amount must be a positive number, or empty for the whole rest.');
      body.amountCents = amount;
    }
    const result = await api(`${base}/refund`, { method: 'POST', body });
    return `Refund ${result.refundId} requested at Stripe (${result.status}). The order changes when Stripe confirms it.`;
  });
  const retry = () => run(async () => {
    await api(`${base}/retry-fulfillment`, { method: 'POST' });
    return 'Fulfillment retried: tickets and licenses are being issued again.';
  });
  const link = () => run(async () => {
    const result = await api(`${base}/customer-link`, { method: 'POST' });
    try {
      await navigator.clipboard.writeText(result.url);
      return `A customer link valid until ${when(result.expiresAt)} is on your clipboard.`;
    } catch {
      return `Customer link (valid until ${when(result.expiresAt)}): ${result.url}`;
    }
  });

  const canComplete = ['PENDING', 'FAILED'].includes(order.status);
  const canRefund = REFUNDABLE.includes(order.status) && left > 0;
  const canRetry = order.status === 'APPROVED' && (Boolean(order.fulfillmentFailure) || fulfillment?.status === 'FAILED');

  return html`<div class="actions" role="group" aria-label="Order actions">
    <div class="actions-row">
      ${canComplete && html`<button type="button" class="button primary" onClick=${() => setOpen('complete')}>Complete payment…</button>`}
      ${canRefund && html`<button type="button" class="button danger" onClick=${() => setOpen('refund')}>Refund…</button>`}
      ${canRetry && html`<button type="button" class="button primary" onClick=${() => setOpen('retry')}>Retry fulfillment…</button>`}
      ${customerLinks && order.customer?.email && html`<button type="button" class="button secondary" onClick=${link} disabled=${busy}>Copy customer link</button>`}
    </div>
    <${Notice} notice=${notice} />
    <${ConfirmDialog} open=${open === 'complete'} title="Complete this order by hand?" confirmLabel="Mark as paid" busy=${busy} onConfirm=${complete} onCancel=${() => setOpen(null)}>
      <p>Records a manual payment of ${money(order.totalCents, order.currency)} and moves the order on to fulfillment. Do this only when the money arrived outside Stripe and Wix.</p>
    <//>
    <${ConfirmDialog} open=${open === 'refund'} title="Refund this order?" confirmLabel="Refund" danger busy=${busy} onConfirm=${refund} onCancel=${() => setOpen(null)}>
      <p>Stripe refunds the customer; tickets are voided and licenses revoked when Stripe confirms. ${money(left, order.currency)} can be refunded.</p>
      <label for="refund-amount">Amount (${order.currency.toUpperCase()}; empty refunds ${money(left, order.currency)})</label>
      <input id="refund-amount" name="amount" inputmode="decimal" autocomplete="off" />
      <label for="refund-reason">Reason (optional)</label>
      <input id="refund-reason" name="reason" maxlength="500" autocomplete="off" />
    <//>
    <${ConfirmDialog} open=${open === 'retry'} title="Retry the fulfillment?" confirmLabel="Retry" busy=${busy} onConfirm=${retry} onCancel=${() => setOpen(null)}>
      <p>The order is sent to fulfillment again. Only what is missing is issued: nothing is issued twice.</p>
      ${order.fulfillmentFailure && html`<p>Last failure: <span class="error-text">${order.fulfillmentFailure}</span></p>`}
    <//>
  </div>`;
}
