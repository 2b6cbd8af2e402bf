import { claimEventsSql, type SqlExecutor } from '@orderflow/db';
import type { AnyEvent, OrderSnapshot } from '@orderflow/events';
import type { Logger } from '@orderflow/logging';
import type { NotificationMetrics } from '../notification.metrics';
import type { NotificationDraft } from './notification-log';
import type { NotificationPlanner } from './notification-planner';
import { loadOrderFacts } from './order-facts';

export interface EventIntakeDeps {
  sql: () => SqlExecutor;
  planner: NotificationPlanner;
  metrics: NotificationMetrics;
  logger: Logger;
  /** Events older than this notify nobody; see NOTIFY_MAX_EVENT_AGE. */
  maxEventAgeMs: number;
}

/** A notification the intake wrote. */
export interface Created {
  channel: string;
  kind: string;
}

function snapshotIn(event: AnyEvent): OrderSnapshot | null {
  if (event.type === 'registration.promoted' || event.source === 'checkout') return (event.payload as { order: OrderSnapshot }).order;
  if (event.source === 'order' && event.type.startsWith('order.')) return event.payload as OrderSnapshot;
  return null;
}

/**
 * A run of events in one statement, gated by their processed_events rows: the events new to this
 * consumer save their order snapshots and write the notifications planned for them; a redelivered
 * event writes nothing. One statement is atomic on its own, so no transaction is opened.
 *
 * - Snapshots: one row per order, the newest of the run (by the snapshot's own updatedAt, the
 *   later event on a tie), and it replaces the stored one only if that is not newer: a replayed
 *   old event never rolls the copy back.
 * - Notifications: in the events' order, so their IDs (the order a channel sends one order's
 *   notifications in) follow the events; `(dedupe_key, channel, recipient)` already taken (a
 *   replay under a new event ID) adds nothing.
 */
const INTAKE = `
WITH input AS (
  SELECT e->>'id' AS id, e->'snapshot' AS snapshot, n
  FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS x (e, n)
), fresh AS (
  ${claimEventsSql('notification', 'SELECT id FROM input')}
), latest AS (
  SELECT DISTINCT ON (snapshot->>'orderId') snapshot->>'orderId' AS order_id, snapshot, (snapshot->>'updatedAt')::timestamptz AS updated_at
  FROM input JOIN fresh ON fresh.event_id = input.id
  WHERE snapshot IS NOT NULL
  ORDER BY snapshot->>'orderId', (snapshot->>'updatedAt')::timestamptz DESC, n DESC
), saved AS (
  INSERT INTO orders (order_id, snapshot, updated_at) SELECT order_id, snapshot, updated_at FROM latest
  ON CONFLICT (order_id) DO UPDATE SET snapshot = EXCLUDED.snapshot, updated_at = EXCLUDED.updated_at
  WHERE orders.updated_at <= EXCLUDED.updated_at
), created AS (
  INSERT INTO notifications (dedupe_key, channel, recipient, kind, event_id, event_type, order_id, message, item_ids)
  SELECT d->>'dedupeKey', d->>'channel', d->>'recipient', d->>'kind', d->>'eventId', d->>'eventType', d->>'orderId', d->'message',
         ARRAY(SELECT jsonb_array_elements_text(d->'itemIds'))
  FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS x (d, n)
  WHERE d->>'eventId' IN (SELECT event_id FROM fresh)
  ORDER BY n
  ON CONFLICT (dedupe_key, channel, recipient) DO NOTHING
  RETURNING channel, kind
)
SELECT (SELECT coalesce(jsonb_agg(event_id), '[]') FROM fresh) AS fresh,
       (SELECT coalesce(jsonb_agg(jsonb_build_object('channel', channel, 'kind', kind)), '[]') FROM created) AS created`;

/** The first event of each ID: a later one in the same run is a redelivery. */
function firstOfEach(events: readonly AnyEvent[]): AnyEvent[] {
  const seen = new Set<string>();
  return events.filter((event) => {
    if (seen.has(event.eventId)) return false;
    seen.add(event.eventId);
    return true;
  });
}

/**
 * Plans a run of order, fulfillment and operations events and writes it: one query for what the
 * planner must read (only with fulfillments in the run), one statement for the writes. Events are
 * planned in order against the stored facts plus what the run's earlier events change, before it
 * is known which are new: a redelivered one is planned for nothing, as its drafts are dropped.
 */
export async function intakeEvents(deps: EventIntakeDeps, run: readonly AnyEvent[]): Promise<Created[]> {
  const events = firstOfEach(run);
  const facts = await loadOrderFacts(deps.sql(), deps.planner.ordersToLookUp(events));
  const input: Array<{ id: string; snapshot?: OrderSnapshot }> = [];
  const drafts: NotificationDraft[] = [];
  const tooOld: AnyEvent[] = [];
  const now = Date.now();
  for (const event of events) {
    const order = snapshotIn(event);
    input.push({ id: event.eventId, snapshot: order ?? undefined });
    if (order) facts.noteSnapshot(order);
    if (now - Date.parse(event.occurredAt) > deps.maxEventAgeMs) {
      tooOld.push(event);
      continue;
    }
    const planned = deps.planner.plan(event, facts);
    facts.noteDrafts(planned);
    drafts.push(...planned);
  }
  const [row] = await deps.sql().query<{ fresh: string[]; created: Created[] }>(INTAKE, [
    JSON.stringify(input),
    JSON.stringify(drafts.map((d) => ({ ...d, itemIds: d.itemIds ?? [] }))),
  ]);
  const fresh = new Set(row.fresh);
  for (const event of tooOld.filter((e) => fresh.has(e.eventId))) {
    // Debug, with a counter: a first deployment reads a whole topic's history.
    deps.metrics.tooOld.inc();
    deps.logger.debug({ eventId: event.eventId, type: event.type, occurredAt: event.occurredAt }, 'event too old to notify anyone; skipped');
  }
  return row.created;
}
