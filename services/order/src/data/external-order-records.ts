import type { Tx } from '@orderflow/db';

/** seed 000's ExternalOrderRecord in SQL: one per (instance, order), its status kept current. */

/** What a record says about its order. */
export interface TrackedOrder {
  instanceId: string;
  orderId: string;
  cartId: string | null;
  checkoutId: string | null;
  orderNumber: string | null;
  externalReference: string | null;
  status: string;
  updatedAt: Date;
}

/** A checkout the shop tracked before its order existed (POST /external/checkouts), still without an order. */
export async function pendingRecordOf(
  tx: Tx,
  instanceId: string,
  checkoutId: string,
): Promise<{ id: string; cartId: string | null; externalReference: string | null } | null> {
  const [pending] = await tx.$queryRawUnsafe<Array<{ id: string; cartId: string | null; externalReference: string | null }>>(
    `SELECT id::text AS id, cart_id AS "cartId", external_reference AS "externalReference" FROM external_order_records
     WHERE instance_id = $1 AND checkout_id = $2 AND order_id IS NULL ORDER BY id LIMIT 1`,
    instanceId,
    checkoutId,
  );
  return pending ?? null;
}

/** The pending record `id` now tracks the order. */
export async function completeRecord(tx: Tx, id: string, tracked: TrackedOrder): Promise<void> {
  await tx.$executeRawUnsafe(
    `UPDATE external_order_records SET order_id = $2, cart_id = $3, checkout_id = $4, order_number = $5, external_reference = $6, status = $7,
       updated_at = $8::timestamptz
     WHERE id = $1::bigint`,
    id,
    ...recordValues(tracked),
  );
}

/** The order's record, inserted or brought up to date. */
export async function upsertRecord(tx: Tx, tracked: TrackedOrder): Promise<void> {
  await tx.$executeRawUnsafe(
    `INSERT INTO external_order_records (instance_id, order_id, cart_id, checkout_id, order_number, external_reference, status, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::timestamptz)
     ON CONFLICT (instance_id, order_id) DO UPDATE SET cart_id = EXCLUDED.cart_id, checkout_id = EXCLUDED.checkout_id,
       order_number = EXCLUDED.order_number, external_reference = EXCLUDED.external_reference, status = EXCLUDED.status,
       updated_at = EXCLUDED.updated_at`,
    tracked.instanceId,
    ...recordValues(tracked),
  );
}

/** What both statements write, as $2..$8: the order and what the record says about it. */
function recordValues(tracked: TrackedOrder): unknown[] {
  return [tracked.orderId, tracked.cartId, tracked.checkoutId, tracked.orderNumber, tracked.externalReference, tracked.status, tracked.updatedAt.toISOString()];
}
