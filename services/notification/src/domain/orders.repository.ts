import type { OrderSnapshot } from '@orderflow/events';
import type { Tx } from './notification-log';

/**
 * Keeps the latest snapshot of each order seen on orders.events. Only newer replaces older (by
 * the snapshot's own updatedAt): a replayed old event must not roll the copy back.
 */
export async function saveSnapshot(tx: Tx, order: OrderSnapshot): Promise<void> {
  await tx.$executeRawUnsafe(
    `INSERT INTO orders (order_id, snapshot, updated_at) VALUES ($1, $2::jsonb, $3::timestamptz)
     ON CONFLICT (order_id) DO UPDATE SET snapshot = EXCLUDED.snapshot, updated_at = EXCLUDED.updated_at
     WHERE orders.updated_at <= EXCLUDED.updated_at`,
    order.orderId,
    JSON.stringify(order),
    order.updatedAt,
  );
}

export async function findSnapshot(tx: Tx, orderId: string): Promise<OrderSnapshot | null> {
  const row = await tx.orderSnapshot.findUnique({ where: { orderId } });
  return row ? (row.snapshot as unknown as OrderSnapshot) : null;
}
