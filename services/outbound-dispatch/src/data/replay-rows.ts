import type { RawSqlClient } from '@orderflow/db';
import { initialStatusSql } from './ordering-rows';

/**
 * A stored event (again) into a subscription's deliveries under `name`, with a fresh attempt
 * budget and due now: created if it never was, else reset whatever became of it, with the status
 * a new delivery gets (on an ordered subscription, WAITING behind the earlier ones of its order).
 * Returns how many deliveries were (re)queued: 0 if the subscription is gone.
 */
export async function requeueEvent(client: RawSqlClient, subscriptionId: string, event: { id: string; orderKey: string }, name: string): Promise<number> {
  return client.$executeRawUnsafe(
    `INSERT INTO deliveries (subscription_id, event_id, event_type, order_key, status, next_attempt_at)
       SELECT s.id, $2, $3, $4, ${initialStatusSql({ orderKey: '$4', eventId: '$2' })}, now() FROM subscriptions s WHERE s.id = $1
       ON CONFLICT (subscription_id, event_id) DO UPDATE SET status = EXCLUDED.status, attempts = 0, next_attempt_at = now(), leased_until = NULL`,
    subscriptionId,
    event.id,
    name,
    event.orderKey,
  );
}
