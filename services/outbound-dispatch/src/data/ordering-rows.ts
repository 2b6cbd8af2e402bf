import type { SqlExecutor } from '@orderflow/db';

/**
 * Ordered subscriptions keep one delivery per order key at the head (PENDING, or HELD while the
 * subscription is off); the key's later deliveries wait behind it as WAITING, in id order. The
 * claim then never has to look past a delivery it cannot send.
 *
 * The status a new (or replayed) delivery gets, as SQL over `s` (its subscription) and the SQL
 * expressions for its order key and event ID: WAITING behind anything else of that key not yet
 * finished, or behind an earlier event of the same run (`laterInRun`).
 */
export const initialStatusSql = (sql: { orderKey: string; eventId: string; laterInRun?: string }) => `CASE
  WHEN s.ordered AND (${sql.laterInRun ?? 'false'} OR EXISTS (
    SELECT 1 FROM deliveries e WHERE e.subscription_id = s.id AND e.order_key = ${sql.orderKey} AND e.event_id <> ${sql.eventId}
      AND e.status IN ('PENDING', 'WAITING', 'HELD')))
  THEN 'WAITING' WHEN s.active THEN 'PENDING' ELSE 'HELD' END`;

/**
 * Moves the first WAITING delivery of an order key to the head once nothing of that key is
 * PENDING or HELD: as the tail of a statement (after its `WITH ...,` CTEs), for the keys `keys`
 * selects (all keys without it), ignoring the deliveries `ending` selects, which that statement
 * itself ends (its snapshot still sees them PENDING). Two promotions of the same key pick the
 * same row, and the second finds it no longer WAITING. Returns the promoted deliveries' IDs and
 * subscriptions.
 */
export const promotionSql = (scope: { keys?: string; ending?: string } = {}) => `firsts AS (
  SELECT DISTINCT ON (subscription_id, order_key) id, subscription_id, order_key FROM deliveries
  WHERE status = 'WAITING' ${scope.keys ? `AND (subscription_id, order_key) IN (${scope.keys})` : ''}
  ORDER BY subscription_id, order_key, id)
UPDATE deliveries w SET status = CASE WHEN s.active THEN 'PENDING' ELSE 'HELD' END
FROM firsts f JOIN subscriptions s ON s.id = f.subscription_id
WHERE w.id = f.id AND w.status = 'WAITING' ${scope.ending ? `AND w.id NOT IN (${scope.ending})` : ''}
  AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.subscription_id = f.subscription_id AND e.order_key = f.order_key
                  AND e.status IN ('PENDING', 'HELD') ${scope.ending ? `AND e.id NOT IN (${scope.ending})` : ''})
RETURNING w.id, w.subscription_id AS "subscriptionId"`;

/**
 * Promotes (see promotionSql) for the keys of `finished`, deliveries that ended in an earlier
 * statement, or for every key. The second form is the sweep that repairs a race no statement
 * can see: a delivery created while its head was ending, by a statement that still saw the head.
 */
export async function promoteWaiting(sql: SqlExecutor, finished?: readonly bigint[]): Promise<number> {
  const keys = finished ? 'SELECT subscription_id, order_key FROM deliveries WHERE id = ANY($1::bigint[])' : undefined;
  const rows = await sql.query<{ id: string }>(`WITH ${promotionSql({ keys })}`, finished ? [finished.map(String)] : []);
  return rows.length;
}
