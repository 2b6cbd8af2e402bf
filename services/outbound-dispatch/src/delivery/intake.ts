import type { SqlExecutor } from '@orderflow/db';
import type { AnyEvent } from '@orderflow/events';
import type { EventHandler } from '@orderflow/kafka';
import type { Prisma } from '../generated/prisma/client';

/** Which of our events partners may subscribe to (docs/WEBHOOKS.md lists them with examples). */
export function isPartnerEvent(type: string): boolean {
  return /^(order|checkout|registration|fulfillment)\./.test(type);
}

/** `order.paid` matches `order.paid`, `order.*` and `*`. */
export function matches(patterns: readonly string[], type: string): boolean {
  return patterns.some((p) => p === '*' || p === type || (p.endsWith('.*') && type.startsWith(p.slice(0, -1))));
}

/** What a partner receives: the type, when it happened, and the event's payload as `data`. */
export function partnerBody(event: AnyEvent): Prisma.InputJsonValue {
  return { type: event.type, timestamp: event.occurredAt, data: event.payload as Prisma.InputJsonValue };
}

/**
 * The orders and fulfillment topics into deliveries: the event is stored (for replays) and gets
 * one delivery per matching subscription of its instance. All of it is one SQL statement, with
 * the processed-events row as its gate, so it is atomic and a redelivered or replayed event
 * creates nothing new. A disabled subscription's deliveries are created HELD: nothing is dropped
 * while it is off. Plain SQL, below Prisma: this runs once per event on the hot path.
 */
const INTAKE = `
WITH first AS (
  INSERT INTO processed_events (consumer, event_id) VALUES ('dispatch', $1) ON CONFLICT DO NOTHING RETURNING 1
), stored AS (
  INSERT INTO events (id, type, instance_id, order_key, body, occurred_at)
  SELECT $1, $2, $3, $4, $5::jsonb, $6 WHERE EXISTS (SELECT 1 FROM first)
  ON CONFLICT (id) DO NOTHING RETURNING 1
), created AS (
  INSERT INTO deliveries (subscription_id, event_id, event_type, order_key, status, next_attempt_at)
  SELECT s.id, $1, $2, $4, CASE WHEN s.active THEN 'PENDING' ELSE 'HELD' END, now()
  FROM subscriptions s
  WHERE EXISTS (SELECT 1 FROM first) AND s.instance_id = $3
    AND EXISTS (SELECT 1 FROM unnest(s.event_types) AS p (pattern)
                WHERE p.pattern = '*' OR p.pattern = $2 OR (right(p.pattern, 2) = '.*' AND starts_with($2, left(p.pattern, -1))))
  ON CONFLICT (subscription_id, event_id) DO NOTHING RETURNING 1
)
SELECT (SELECT count(*) FROM created) AS created`;

export function intakeHandler(deps: { sql: () => SqlExecutor; deliveriesDue: () => void }): EventHandler {
  return async (event) => {
    if (!isPartnerEvent(event.type) || !event.instanceId) return;
    const [row] = await deps.sql().query<{ created: string | number }>(INTAKE, [
      event.eventId,
      event.type,
      event.instanceId,
      event.orderKey,
      JSON.stringify(partnerBody(event)),
      new Date(event.occurredAt),
    ]);
    if (Number(row?.created ?? 0) > 0) deps.deliveriesDue();
  };
}
