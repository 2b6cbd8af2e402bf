import { claimEventsSql, type SqlExecutor } from '@orderflow/db';
import type { OrderSnapshot } from '@orderflow/events';
import type { Created, NotificationDraft } from '../domain/notification';

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

/** One event of a run: its ID, and the order snapshot it carries. */
export interface IntakeEvent {
  id: string;
  snapshot?: OrderSnapshot;
}

/** Writes a run (see INTAKE); returns the IDs new to this consumer and the notifications written. */
export async function writeIntake(sql: SqlExecutor, events: readonly IntakeEvent[], drafts: readonly NotificationDraft[]): Promise<{ fresh: string[]; created: Created[] }> {
  const [row] = await sql.query<{ fresh: string[]; created: Created[] }>(INTAKE, [
    JSON.stringify(events),
    JSON.stringify(drafts.map((d) => ({ ...d, itemIds: d.itemIds ?? [] }))),
  ]);
  return row;
}
