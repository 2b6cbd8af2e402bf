import { claimEventsSql, type SqlExecutor } from '@orderflow/db';
import type { AnyEvent } from '@orderflow/events';
import { WEBHOOK_FAILURE_THRESHOLD } from '../domain/webhook-activity';
import type { PrismaTx } from './notifications.repository';

const day = (at: Date | string) => new Date(at).toISOString().slice(0, 10);

async function count(tx: PrismaTx, date: string, event: AnyEvent, column: 'received' | 'retried' | 'failed'): Promise<void> {
  // The column name is one of three literals, never input.
  await tx.$executeRawUnsafe(
    `INSERT INTO webhook_activity (day, source, type, ${column}) VALUES ($1::date, $2, $3, 1)
     ON CONFLICT (day, source, type) DO UPDATE SET ${column} = webhook_activity.${column} + 1`,
    date,
    event.source,
    event.type,
  );
}

/** A message on an ingress topic, and where it sits (topic, partition, offset): it is counted once per position. */
export interface IngressMessage {
  position: string;
  event: AnyEvent;
}

/**
 * The run's messages in one statement: each position is claimed in processed_events, and only
 * the claimed ones count. A provider event ID seen before is a retry: the ingress publishes each
 * ID once, so a second one is an admin replay or a publish whose acknowledgement was lost (within
 * the run too: the first message of an ID is the delivery, the later ones retries). A first
 * delivery counts on the day the ingress received it; a retry on the day it happened (`$2`, now),
 * since a replay keeps the original envelope.
 */
const RECORD_INGRESS = `
WITH input AS (
  SELECT m->>'position' AS position, m->>'source' AS source, m->>'eventId' AS event_id, m->>'type' AS type, (m->>'receivedDay')::date AS received_day, n
  FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS x (m, n)
), fresh AS (
  ${claimEventsSql('notification.activity', 'SELECT position FROM input')}
), messages AS (
  SELECT input.* FROM input JOIN fresh ON fresh.event_id = input.position
), first AS (
  INSERT INTO ingress_events (source, event_id)
  SELECT DISTINCT ON (source, event_id) source, event_id FROM messages ORDER BY source, event_id, n
  ON CONFLICT DO NOTHING RETURNING source, event_id
), counted AS (
  SELECT m.source, m.type, m.received_day,
         f.event_id IS NOT NULL AND m.n = min(m.n) OVER (PARTITION BY m.source, m.event_id) AS delivery
  FROM messages m LEFT JOIN first f ON f.source = m.source AND f.event_id = m.event_id
)
INSERT INTO webhook_activity (day, source, type, received, retried)
SELECT CASE WHEN delivery THEN received_day ELSE $2::date END, source, type, count(*) FILTER (WHERE delivery), count(*) FILTER (WHERE NOT delivery)
FROM counted GROUP BY 1, source, type
ON CONFLICT (day, source, type) DO UPDATE
SET received = webhook_activity.received + EXCLUDED.received, retried = webhook_activity.retried + EXCLUDED.retried`;

/** Counts a run of ingress messages, each once however often it is delivered. */
export async function recordIngress(sql: SqlExecutor, messages: readonly IngressMessage[], now = new Date()): Promise<void> {
  const input = messages.map(({ position, event }) => ({ position, source: event.source, eventId: event.eventId, type: event.type, receivedDay: day(event.receivedAt) }));
  await sql.query(RECORD_INGRESS, [JSON.stringify(input), day(now)]);
}

/** A dead-lettered provider event: failed on its failure's day, and remembered for the alert rule. */
export async function recordWebhookFailure(tx: PrismaTx, event: AnyEvent, failedAt: Date): Promise<void> {
  await count(tx, day(failedAt), event, 'failed');
  await tx.$executeRawUnsafe('INSERT INTO webhook_failures (source, type, event_id, failed_at) VALUES ($1, $2, $3, $4::timestamptz)', event.source, event.type, event.eventId, failedAt.toISOString());
}

/**
 * Whether the failure at `failedAt` makes it more than the threshold within the hour before it,
 * and no alert was raised in that hour: then it records the alert as raised and returns the
 * counts. At most one alert an hour however many failures follow. The alert_state row lock makes
 * concurrent partitions (and replicas) take turns, so two of them cannot both raise it.
 */
export async function webhookFailuresToAlert(tx: PrismaTx, failedAt: Date): Promise<{ count: number; bySource: Array<{ source: string; count: number }> } | null> {
  await tx.$executeRawUnsafe(`INSERT INTO alert_state (name) VALUES ('webhook-failures') ON CONFLICT DO NOTHING`);
  const [state] = await tx.$queryRawUnsafe<Array<{ last_raised_at: Date | null }>>(`SELECT last_raised_at FROM alert_state WHERE name = 'webhook-failures' FOR UPDATE`);
  const hourBefore = new Date(failedAt.getTime() - 3_600_000);
  if (state?.last_raised_at && new Date(state.last_raised_at) > hourBefore) return null;
  const bySource = await tx.$queryRawUnsafe<Array<{ source: string; count: number }>>(
    `SELECT source, count(*)::int AS count FROM webhook_failures WHERE failed_at > $1::timestamptz AND failed_at <= $2::timestamptz GROUP BY source ORDER BY source`,
    hourBefore.toISOString(),
    failedAt.toISOString(),
  );
  const total = bySource.reduce((sum, s) => sum + Number(s.count), 0);
  if (total <= WEBHOOK_FAILURE_THRESHOLD) return null;
  await tx.$executeRawUnsafe(`UPDATE alert_state SET last_raised_at = $1::timestamptz WHERE name = 'webhook-failures'`, failedAt.toISOString());
  return { count: total, bySource: bySource.map((s) => ({ source: s.source, count: Number(s.count) })) };
}
