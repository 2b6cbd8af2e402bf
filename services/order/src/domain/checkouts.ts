import type { Tx } from '@orderflow/db';
import type { CheckoutEventType } from '@orderflow/events';
import type { CheckoutLock, Prisma } from '../generated/prisma/client';
import type { OrderMetrics } from '../order.metrics';
import { snapshotOf, type Cause, type LoadedOrder, type OrderBook } from './order-book';

/** Lock states in which a checkout is still running and the cart stays locked. */
export const ACTIVE_LOCK_STATES = ['LOCKED', 'AWAITING_PAYMENT'] as const;

export interface PhaseEntry {
  phase: string;
  at: string;
  outcome: 'ok' | 'failed' | 'rolled_back';
  detail?: string;
}

/** Whether the order came from our checkout, the only orders with a checkout lock to complete or fail. */
export function fromCheckout(order: LoadedOrder): boolean {
  return order.source === 'checkout';
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

  /** Appends a phase to the lock's record and applies `changes` (the checkout's own steps, in a Prisma transaction). */
  async recordPhase(tx: Prisma.TransactionClient, lock: CheckoutLock, entry: PhaseEntry, changes: Prisma.CheckoutLockUpdateInput = {}): Promise<CheckoutLock> {
    const phases = [...((lock.phases as unknown as PhaseEntry[]) ?? []), entry];
    return tx.checkoutLock.update({ where: { id: lock.id }, data: { ...changes, phase: entry.phase, phases: phases as unknown as Prisma.InputJsonValue } });
  }

  /** The lock's last phase: its end state, the time, and the phase appended to its record, in one statement. */
  private async end(
    tx: Tx,
    lock: CheckoutLock,
    end: { state: 'COMPLETED' | 'FAILED' | 'EXPIRED'; phase: string; outcome: PhaseEntry['outcome']; detail?: string; error?: string },
  ): Promise<CheckoutLock> {
    const at = new Date();
    const entry: PhaseEntry = { phase: end.phase, at: at.toISOString(), outcome: end.outcome, detail: end.detail ?? end.state.toLowerCase() };
    const [ended] = await tx.$queryRawUnsafe<CheckoutLock[]>(
      `UPDATE checkout_locks SET state = $2, completed_at = $3::timestamptz, error = $4, phase = $5, phases = phases || $6::jsonb
       WHERE id = $1 RETURNING ${LOCK_COLUMNS}`,
      lock.id,
      end.state,
      at.toISOString(),
      end.error ?? null,
      entry.phase,
      JSON.stringify([entry]),
    );
    if (!ended) throw new Error(`checkout lock ${lock.id} vanished while locked`);
    return ended;
  }

  /** Only our own checkout (source `checkout`) ties a lock to an order: other orders have none to look for. */
  private async activeLockOf(tx: Tx, order: LoadedOrder): Promise<CheckoutLock | null> {
    if (!fromCheckout(order)) return null;
    const [lock] = await tx.$queryRawUnsafe<CheckoutLock[]>(
      `SELECT ${LOCK_COLUMNS} FROM checkout_locks WHERE order_id = $1 AND state IN ('LOCKED', 'AWAITING_PAYMENT') FOR UPDATE`,
      order.id,
    );
    return lock ?? null;
  }
}

/** A checkout lock's columns under the client's field names. */
const LOCK_COLUMNS = `id, instance_id AS "instanceId", cart_id AS "cartId", order_id AS "orderId", state, phase, phases,
  payment_intent_id AS "paymentIntentId", checkout_session_id AS "checkoutSessionId", error, locked_at AS "lockedAt",
  expires_at AS "expiresAt", completed_at AS "completedAt"`;
