import type { CheckoutEventType } from '@orderflow/events';
import type { CheckoutLock, Prisma } from '../generated/prisma/client';
import type { OrderMetrics } from '../order.metrics';
import { snapshotOf, type Cause, type LoadedOrder, type OrderBook, type Tx } from './order-book';

/** Lock states in which a checkout is still running and the cart stays locked. */
export const ACTIVE_LOCK_STATES = ['LOCKED', 'AWAITING_PAYMENT'] as const;

export interface PhaseEntry {
  phase: string;
  at: string;
  outcome: 'ok' | 'failed' | 'rolled_back';
  detail?: string;
}

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
    const done = await this.end(tx, lock, { state: 'COMPLETED', phase: 'completed', outcome: 'ok' });
    this.metrics.checkouts.inc({ outcome: 'completed' });
    await this.announce(tx, 'checkout.completed', done, order, cause, null, false);
  }

  async failFor(tx: Tx, order: LoadedOrder, reason: string, cause: Cause, options: { expired?: boolean } = {}): Promise<void> {
    const lock = await this.activeLockOf(tx, order);
    if (!lock) return;
    const expired = options.expired ?? false;
    const failed = await this.end(tx, lock, { state: expired ? 'EXPIRED' : 'FAILED', phase: lock.phase, outcome: 'failed', detail: reason, error: reason });
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

  /** Appends a phase to the lock's record and applies `changes`. */
  async recordPhase(tx: Tx, lock: CheckoutLock, entry: PhaseEntry, changes: Prisma.CheckoutLockUpdateInput = {}): Promise<CheckoutLock> {
    const phases = [...((lock.phases as unknown as PhaseEntry[]) ?? []), entry];
    return tx.checkoutLock.update({ where: { id: lock.id }, data: { ...changes, phase: entry.phase, phases: phases as unknown as Prisma.InputJsonValue } });
  }

  private async end(
    tx: Tx,
    lock: CheckoutLock,
    end: { state: 'COMPLETED' | 'FAILED' | 'EXPIRED'; phase: string; outcome: PhaseEntry['outcome']; detail?: string; error?: string },
  ): Promise<CheckoutLock> {
    return this.recordPhase(
      tx,
      lock,
      { phase: end.phase, at: new Date().toISOString(), outcome: end.outcome, detail: end.detail ?? end.state.toLowerCase() },
      { state: end.state, completedAt: new Date(), error: end.error ?? null },
    );
  }

  /** Only our own checkout (source `checkout`) ties a lock to an order: other orders have none to look for. */
  private async activeLockOf(tx: Tx, order: LoadedOrder): Promise<CheckoutLock | null> {
    if (order.source !== 'checkout') return null;
    const orderId = order.id;
    const rows = await tx.$queryRawUnsafe<Array<{ id: string }>>(
      `SELECT id FROM checkout_locks WHERE order_id = $1 AND state IN ('LOCKED', 'AWAITING_PAYMENT') FOR UPDATE`,
      orderId,
    );
    return rows.length === 0 ? null : tx.checkoutLock.findUnique({ where: { id: rows[0].id } });
  }
}
