import type { Tx } from '@orderflow/db';
import type { FulfillmentOutcome } from '@orderflow/events';

/**
 * License keys in SQL: a pool's keys added, taken, listed per line and revoked (counts and reads
 * for the APIs: license-keys.repository.ts). IDs are read as text: int8 reads differ between drivers.
 */

type Licenses = NonNullable<FulfillmentOutcome['licenses']>;

/** A key added to a product's pool, stored encrypted; 0 when the pool has it already (same hash). */
export async function addKey(tx: Tx, productId: string, key: { ciphertext: string; hash: string; hint: string }): Promise<number> {
  return tx.$executeRawUnsafe(
    `INSERT INTO license_keys (product_id, ciphertext, key_hash, key_hint, status) VALUES ($1, $2, $3, $4, 'AVAILABLE') ON CONFLICT (product_id, key_hash) DO NOTHING`,
    productId,
    key.ciphertext,
    key.hash,
    key.hint,
  );
}

/** The units of a line that hold a key already. */
export async function heldUnits(tx: Tx, lineId: string): Promise<Set<number>> {
  return new Set((await tx.$queryRawUnsafe<Array<{ unit: number }>>('SELECT unit FROM license_keys WHERE line_id = $1', lineId)).map((k) => k.unit));
}

/** Assigns the pool's oldest free key to a unit of the line; false when the pool has none left. */
export async function takeKey(tx: Tx, productId: string, to: { orderId: string; instanceId: string | null; lineId: string; unit: number }): Promise<boolean> {
  // SKIP LOCKED lets concurrent fulfillments take different keys.
  const taken = await tx.$queryRawUnsafe<Array<{ id: bigint }>>(
    `UPDATE license_keys SET status = 'ASSIGNED', order_id = $2, instance_id = $3, line_id = $4, unit = $5, assigned_at = now()
         WHERE id = (SELECT id FROM license_keys WHERE product_id = $1 AND status = 'AVAILABLE' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
         RETURNING id`,
    productId,
    to.orderId,
    to.instanceId,
    to.lineId,
    to.unit,
  );
  return taken.length > 0;
}

/** The license keys of line $1, by unit, as an outcome lists them. */
const LICENSES_OF_LINE = `
SELECT id::text AS "licenseId", line_id AS "lineId", product_id AS "productId", coalesce(unit, 0) AS unit, key_hint AS "keyHint"
FROM license_keys WHERE line_id = $1 ORDER BY unit`;

export async function licensesOfLine(tx: Tx, lineId: string): Promise<Licenses> {
  return tx.$queryRawUnsafe<Licenses>(LICENSES_OF_LINE, lineId);
}

/** Revokes the assigned license keys of order $1 (they never go back to the pool); returns them by ID. */
const REVOKE_LICENSES = `
WITH revoked AS (
  UPDATE license_keys SET status = 'REVOKED', revoked_at = now() WHERE order_id = $1 AND status = 'ASSIGNED'
  RETURNING id, line_id, product_id, unit, key_hint)
SELECT id::text AS "licenseId", coalesce(line_id, '') AS "lineId", product_id AS "productId", coalesce(unit, 0) AS unit, key_hint AS "keyHint"
FROM revoked ORDER BY id`;

export async function revokeLicenses(tx: Tx, orderId: string): Promise<Licenses> {
  return tx.$queryRawUnsafe<Licenses>(REVOKE_LICENSES, orderId);
}
