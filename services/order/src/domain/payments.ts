import type { Tx } from '@orderflow/db';
import type { Cause, LoadedOrder, NewOrder, OrderBook, PaymentRow } from './order-book';
import { takesPlaces, type Places } from './places';
import { fromCheckout, type Checkouts } from './checkouts';
import type { OrderMetrics } from '../order.metrics';

export interface PaymentRecord {
  provider: 'stripe' | 'wix' | 'manual';
  providerPaymentRef: string;
  status: 'SUCCEEDED' | 'FAILED' | 'REFUNDED' | 'PARTIALLY_REFUNDED' | 'DISPUTED';
  amountCents: number;
  currency: string;
  raw: unknown;
}

/** The payments row of `payment`, as caused by `cause`. */
export function paymentRow(payment: Omit<PaymentRecord, 'status'> & { status: PaymentRecord['status'] | 'UNMATCHED' }, cause: Cause): PaymentRow {
  return {
    provider: payment.provider,
    providerPaymentRef: payment.providerPaymentRef,
    status: payment.status,
    amountCents: payment.amountCents,
    currency: payment.currency.toLowerCase(),
    eventId: cause.eventId ?? cause.kind,
    raw: JSON.stringify(payment.raw ?? {}),
  };
}

/**
 * Whether a paid order is approved in the same step: always where no separate approval exists
 * (Stripe and checkout orders); a Wix order only on an instance that auto-approves (`'*'`: all).
 */
export function approvesWhenPaid(order: Pick<LoadedOrder, 'source' | 'instanceId'>, autoApproveInstances: readonly string[]): boolean {
  if (order.source !== 'wix') return true;
  return autoApproveInstances.includes('*') || (order.instanceId !== null && autoApproveInstances.includes(order.instanceId));
}

/** PAID and APPROVED in one update: approved when paid, with no places to take and no checkout to complete in between. */
export function paidIsApproved(order: LoadedOrder, autoApproveInstances: readonly string[]): boolean {
  return approvesWhenPaid(order, autoApproveInstances) && !takesPlaces(order) && !fromCheckout(order);
}

export interface PaymentsOptions {
  /** Wix instances whose paid orders are approved at once (seed 000's auto-approve); '*' for all. */
  autoApproveInstances: readonly string[];
}

/**
 * What happens when money moves, whichever provider reported it: the order's status, its
 * registrations and places, the checkout it closes, and a payment record. Shared by the Stripe
 * and Wix handlers and the admin's manual completion, so "paid" means one thing everywhere.
 */
export class Payments {
  constructor(
    private readonly book: OrderBook,
    private readonly places: Places,
    private readonly checkouts: Checkouts,
    private readonly metrics: OrderMetrics,
    private readonly options: PaymentsOptions,
  ) {}

  async record(tx: Tx, orderId: string | null, payment: PaymentRecord, cause: Cause): Promise<void> {
    const row = paymentRow(orderId === null ? { ...payment, status: 'UNMATCHED' } : payment, cause);
    await tx.$executeRawUnsafe(
      `INSERT INTO payments (order_id, provider, provider_payment_ref, status, amount_cents, currency, event_id, raw_payload)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)`,
      orderId,
      row.provider,
      row.providerPaymentRef,
      row.status,
      row.amountCents,
      row.currency,
      row.eventId,
      row.raw,
    );
  }

  /**
   * A new order whose payment came with it (a provider's payment for an order Orderflow did not
   * start): created, the payment recorded and `paid`. Where nothing happens between PAID and
   * APPROVED (see `paid`), all of it is one statement; otherwise the steps run one by one.
   */
  async createPaid(tx: Tx, input: NewOrder, payment: PaymentRecord, cause: Cause): Promise<LoadedOrder> {
    const order = this.book.prepare(input);
    if (this.paidIsApproved(order)) {
      return this.book.insert(tx, order, cause, { through: ['PAID', 'APPROVED'], payment: paymentRow(payment, cause) });
    }
    const created = await this.book.insert(tx, order, cause);
    await this.record(tx, created.id, payment, cause);
    return this.paid(tx, created, cause);
  }

  /** Whether the provider's payment `providerPaymentRef` is already recorded as succeeded for the order. */
  async succeeded(tx: Tx, orderId: string, providerPaymentRef: string): Promise<boolean> {
    const [row] = await tx.$queryRawUnsafe<Array<{ found: boolean }>>(
      `SELECT EXISTS (SELECT 1 FROM payments WHERE order_id = $1 AND provider_payment_ref = $2 AND status = 'SUCCEEDED') AS found`,
      orderId,
      providerPaymentRef,
    );
    return row?.found === true;
  }

  /** Money for an order we cannot find: kept, counted and visible to support, never dropped. */
  async unmatched(tx: Tx, payment: PaymentRecord, cause: Cause): Promise<void> {
    this.metrics.unmatchedPayments.inc({ provider: payment.provider, type: cause.kind });
    await this.record(tx, null, payment, cause);
    await this.book.emit(tx, {
      type: 'payment.unmatched',
      eventId: `payment.unmatched:${cause.eventId ?? payment.providerPaymentRef}`,
      orderKey: payment.providerPaymentRef,
      instanceId: null,
      traceId: cause.traceId,
      payload: {
        provider: payment.provider,
        providerPaymentRef: payment.providerPaymentRef,
        amountCents: payment.amountCents,
        currency: payment.currency.toLowerCase(),
        causeType: cause.kind,
        causeEventId: cause.eventId,
      },
    });
  }

  /**
   * PENDING (or FAILED) → PAID: registrations activated, the checkout completed, and approved at
   * once where no separate approval step exists (Stripe and checkout orders) or the instance
   * auto-approves (Wix).
   */
  async paid(tx: Tx, order: LoadedOrder, cause: Cause): Promise<LoadedOrder> {
    // No places to take and no checkout to complete: nothing happens between PAID and APPROVED,
    // so one update of the order makes both (announced as two changes, as always).
    if (this.paidIsApproved(order)) return (await this.book.advance(tx, order, ['PAID', 'APPROVED'], cause)).order;
    const { decision, order: paid } = await this.book.transition(tx, order, 'PAID', cause);
    if (decision !== 'apply') return paid;
    let current = (await this.places.activate(tx, paid)) ? (await this.book.reload(tx, paid.id))! : paid;
    await this.checkouts.completeFor(tx, current, cause);
    if (this.approvesAtOnce(current)) current = (await this.book.transition(tx, current, 'APPROVED', cause)).order;
    return current;
  }

  /** Refunded in full: registrations cancelled, places released (and the waitlist promoted). */
  async refunded(tx: Tx, order: LoadedOrder, refundedCents: number, cause: Cause): Promise<LoadedOrder> {
    const full = refundedCents >= order.totalCents;
    const { decision, order: updated } = await this.book.transition(tx, order, full ? 'REFUNDED' : 'PARTIALLY_REFUNDED', cause, {
      patch: { refundedCents },
      reason: full ? null : `partially refunded: ${refundedCents} of ${order.totalCents}`,
    });
    if (decision === 'apply' && full) await this.places.release(tx, updated, cause);
    return (await this.book.reload(tx, updated.id))!;
  }

  /** Failed or cancelled before fulfilment: the places go back and the checkout fails. */
  async ended(tx: Tx, order: LoadedOrder, to: 'FAILED' | 'CANCELLED', reason: string, cause: Cause, options: { expired?: boolean } = {}): Promise<LoadedOrder> {
    const { decision, order: updated } = await this.book.transition(tx, order, to, cause, { reason });
    if (decision !== 'apply') return updated;
    await this.places.release(tx, updated, cause);
    const current = (await this.book.reload(tx, updated.id))!;
    await this.checkouts.failFor(tx, current, reason, cause, options);
    return current;
  }

  private paidIsApproved(order: LoadedOrder): boolean {
    return paidIsApproved(order, this.options.autoApproveInstances);
  }

  private approvesAtOnce(order: LoadedOrder): boolean {
    return approvesWhenPaid(order, this.options.autoApproveInstances);
  }
}
