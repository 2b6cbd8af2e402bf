import type { Tx } from '@orderflow/db';
import type { OrderBook } from '../data/order-book';
import { hasSucceededPayment, insertPayment } from '../data/payment-rows';
import { prepareOrder, type Cause, type LoadedOrder, type NewOrder } from '../domain/order';
import { approvesWhenPaid, paidIsApproved, paymentRow, type PaymentRecord } from '../domain/payments';
import type { OrderMetrics } from '../metrics';
import type { Checkouts } from './checkouts';
import type { Places } from './places';

export interface PaymentsOptions {
  /** Wix instances whose paid orders are approved at once (seed 000's auto-approve); '*' for all. */
  autoApproveInstances: readonly string[];
}

/**
 * What happens when money moves, whichever provider reported it: the order's status, its
 * registrations and places, the checkout it closes, and a payment record. Shared by the Stripe
 * and Wix use cases, the checkout and the admin's manual completion, so "paid" means one thing
 * everywhere.
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
    await insertPayment(tx, orderId, paymentRow(orderId === null ? { ...payment, status: 'UNMATCHED' } : payment, cause));
  }

  /**
   * A new order whose payment came with it (a provider's payment for an order Orderflow did not
   * start): created, the payment recorded and `paid`. Where nothing happens between PAID and
   * APPROVED (see `paid`), all of it is one statement; otherwise the steps run one by one.
   */
  async createPaid(tx: Tx, input: NewOrder, payment: PaymentRecord, cause: Cause): Promise<LoadedOrder> {
    const order = prepareOrder(input);
    if (this.paidIsApproved(order)) {
      return this.book.insert(tx, order, cause, { through: ['PAID', 'APPROVED'], payment: paymentRow(payment, cause) });
    }
    const created = await this.book.insert(tx, order, cause);
    await this.record(tx, created.id, payment, cause);
    return this.paid(tx, created, cause);
  }

  /** Whether the provider's payment `providerPaymentRef` is already recorded as succeeded for the order. */
  succeeded(tx: Tx, orderId: string, providerPaymentRef: string): Promise<boolean> {
    return hasSucceededPayment(tx, orderId, providerPaymentRef);
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

/** What the provider and fulfillment use cases change orders through. */
export interface OrderChangeDeps {
  book: OrderBook;
  payments: Payments;
}
