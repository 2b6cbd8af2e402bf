import type { Tx } from '@orderflow/db';
import type { PhaseEntry } from '../domain/checkouts';
import type { CheckoutLock } from '../generated/prisma/client';

/**
 * Checkout locks in SQL: what the consumers' transactions do to them (plain SQL, see the
 * service's README), and the two statements Prisma's query builder cannot say (a conditional
 * upsert, a `SKIP LOCKED` claim). Prisma's side is checkout-locks.repository.ts.
 */

/** A checkout lock's columns under the client's field names. */
const LOCK_COLUMNS = `id, instance_id AS "instanceId", cart_id AS "cartId", order_id AS "orderId", state, phase, phases,
  payment_intent_id AS "paymentIntentId", checkout_session_id AS "checkoutSessionId", error, locked_at AS "lockedAt",
  expires_at AS "expiresAt", completed_at AS "completedAt"`;

/** The order's running checkout's lock, locked (`FOR UPDATE`); null when it has none. */
export async function activeLockOf(tx: Tx, orderId: string): Promise<CheckoutLock | null> {
  const [lock] = await tx.$queryRawUnsafe<CheckoutLock[]>(
    `SELECT ${LOCK_COLUMNS} FROM checkout_locks WHERE order_id = $1 AND state IN ('LOCKED', 'AWAITING_PAYMENT') FOR UPDATE`,
    orderId,
  );
  return lock ?? null;
}

/** The lock's last phase: its end state, the time, and `entry` appended to its record, in one statement. */
export async function endLock(
  tx: Tx,
  lock: CheckoutLock,
  end: { state: 'COMPLETED' | 'FAILED' | 'EXPIRED'; at: Date; entry: PhaseEntry; error: string | null },
): Promise<CheckoutLock> {
  const [ended] = await tx.$queryRawUnsafe<CheckoutLock[]>(
    `UPDATE checkout_locks SET state = $2, completed_at = $3::timestamptz, error = $4, phase = $5, phases = phases || $6::jsonb
     WHERE id = $1 RETURNING ${LOCK_COLUMNS}`,
    lock.id,
    end.state,
    end.at.toISOString(),
    end.error,
    end.entry.phase,
    JSON.stringify([end.entry]),
  );
  if (!ended) throw new Error(`checkout lock ${lock.id} vanished while locked`);
  return ended;
}

/**
 * The cart's lock, taken as `id` unless a checkout of the cart is running (LOCKED or
 * AWAITING_PAYMENT): one conditional upsert. Returns whether it was taken.
 */
export async function takeCartLock(tx: Tx, lock: { id: string; instanceId: string; cartId: string; first: PhaseEntry; expiresAt: Date }): Promise<boolean> {
  const taken = await tx.$queryRawUnsafe<Array<{ id: string }>>(
    `INSERT INTO checkout_locks (id, instance_id, cart_id, state, phase, phases, expires_at)
     VALUES ($1, $2, $3, 'LOCKED', 'lock', $4::jsonb, $5)
     ON CONFLICT (instance_id, cart_id) DO UPDATE SET
       id = EXCLUDED.id, state = 'LOCKED', phase = 'lock', phases = EXCLUDED.phases, order_id = NULL,
       payment_intent_id = NULL, checkout_session_id = NULL, error = NULL, locked_at = now(),
       expires_at = EXCLUDED.expires_at, completed_at = NULL
     WHERE checkout_locks.state NOT IN ('LOCKED', 'AWAITING_PAYMENT')
     RETURNING id`,
    lock.id,
    lock.instanceId,
    lock.cartId,
    JSON.stringify([lock.first]),
    lock.expiresAt,
  );
  return taken.length === 1;
}

/**
 * Locks the checkout lock `lockId` if it is still running and has expired, skipping one another
 * transaction holds (another sweeper, or a payment completing it): whether this one may end it.
 */
export async function claimExpiredLock(tx: Tx, lockId: string): Promise<boolean> {
  const rows = await tx.$queryRawUnsafe<unknown[]>(
    `SELECT id FROM checkout_locks WHERE id = $1 AND state IN ('LOCKED', 'AWAITING_PAYMENT') AND expires_at < now() FOR UPDATE SKIP LOCKED`,
    lockId,
  );
  return rows.length > 0;
}
