import type { Tx } from '@orderflow/db';
import type { CheckoutEventType } from '@orderflow/events';
import { activeLockOf, endLock } from '../data/checkout-lock-rows';
import type { OrderBook } from '../data/order-book';
import { fromCheckout, type PhaseEntry } from '../domain/checkouts';
import { snapshotOf, type Cause, type LoadedOrder } from '../domain/order';
import type { CheckoutLock } from '../generated/prisma/client';
import type { OrderMetrics } from '../metrics';

/**
 * The checkout locks' side of order changes: a paid order completes its checkout, a failed one
 * fails it. Each end is announced once (checkout.completed / checkout.failed), because only
 * the change out of an active state announces.
 */
export class Checkouts {
  constructor(
    private readonly book: OrderBook,
    private readonly metrics: OrderMetrics,
  ) {}

  async completeFor(tx: Tx, order: LoadedOrder, cause: Cause): Promise<void> {
    const lock = await this.activeLockOf(tx, order);
    if (!lock) return;
    const done = await endCheckout(tx, lock, { state: 'COMPLETED', phase: 'completed', outcome: 'ok' });
    this.metrics.checkouts.inc({ outcome: 'completed' });
    await this.announce(tx, 'checkout.completed', done, order, cause, null, false);
  }

  async failFor(tx: Tx, order: LoadedOrder, reason: string, cause: Cause, options: { expired?: boolean } = {}): Promise<void> {
    const lock = await this.activeLockOf(tx, order);
    if (!lock) return;
    const expired = options.expired ?? false;
    const failed = await endCheckout(tx, lock, { state: expired ? 'EXPIRED' : 'FAILED', phase: lock.phase, outcome: 'failed', detail: reason, error: reason });
    this.metrics.checkouts.inc({ outcome: expired ? 'expired' : 'failed' });
    await this.announce(tx, 'checkout.failed', failed, order, cause, reason, expired);
  }

  async announce(tx: Tx, type: CheckoutEventType, lock: CheckoutLock, order: LoadedOrder, cause: Cause, reason: string | null, expired: boolean): Promise<void> {
    await this.book.emit(tx, {
      type,
      eventId: `${type}:${lock.id}`,
      orderKey: order.id,
      instanceId: order.instanceId,
      traceId: cause.traceId,
      payload: { lockId: lock.id, cartId: lock.cartId, instanceId: lock.instanceId, orderId: order.id, phase: lock.phase, reason, expired, order: snapshotOf(order, null, cause) },
    });
  }

  /** Only our own checkout (source `checkout`) ties a lock to an order: other orders have none to look for. */
  private async activeLockOf(tx: Tx, order: LoadedOrder): Promise<CheckoutLock | null> {
    return fromCheckout(order) ? activeLockOf(tx, order.id) : null;
  }
}

/** The lock's last phase: its end state, the time, and the phase appended to its record. */
function endCheckout(
  tx: Tx,
  lock: CheckoutLock,
  how: { state: 'COMPLETED' | 'FAILED' | 'EXPIRED'; phase: string; outcome: PhaseEntry['outcome']; detail?: string; error?: string },
): Promise<CheckoutLock> {
  const at = new Date();
  const entry: PhaseEntry = { phase: how.phase, at: at.toISOString(), outcome: how.outcome, detail: how.detail ?? how.state.toLowerCase() };
  return endLock(tx, lock, { state: how.state, at, entry, error: how.error ?? null });
}
