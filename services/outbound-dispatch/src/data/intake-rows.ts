import { claimEventsSql, type SqlExecutor } from '@orderflow/db';
import { PARTNER_EVENT_ALIASES } from '@orderflow/events';
import type { Prisma } from '../generated/prisma/client';
import { initialStatusSql } from './ordering-rows';

/** The seeds' names for our events as SQL rows (alias, type): constants, never input. */
const ALIASES = Object.entries(PARTNER_EVENT_ALIASES)
  .map(([alias, type]) => `('${alias}', '${type}')`)
  .join(', ');

/**
 * Events into deliveries: each event is stored (for replays) and gets one delivery per matching
 * subscription of its instance. A whole run of events is one SQL statement, with the
 * processed-events rows as its gate, so it is atomic and a redelivered or replayed event creates
 * nothing new. Events (their `seq`, which replays follow) and deliveries
 * are numbered in the events' offset order, the order partners receive one order key's events
 * in. A disabled subscription's deliveries are created HELD: nothing is dropped while it is off;
 * an ordered subscription's delivery waits (WAITING) behind an earlier one of its order key, from
 * this run or before. Plain SQL, below Prisma: this is the hot path.
 */
const INTAKE = `
WITH input AS (
  SELECT DISTINCT ON (e->>'id') e->>'id' AS id, e->>'type' AS type, e->>'instanceId' AS instance_id,
         e->>'orderKey' AS order_key, e->'body' AS body, (e->>'occurredAt')::timestamptz AS occurred_at, n
  FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS x (e, n)
  ORDER BY e->>'id', n
), first AS (
  ${claimEventsSql('dispatch', 'SELECT id FROM input')}
), fresh AS (
  SELECT input.* FROM input JOIN first ON first.event_id = input.id
), stored AS (
  INSERT INTO events (id, type, instance_id, order_key, body, occurred_at)
  SELECT id, type, instance_id, order_key, body, occurred_at FROM fresh ORDER BY n
  ON CONFLICT (id) DO NOTHING RETURNING 1
), wanted AS (
  -- Each subscription's name for each event (deliveredName): ours when a pattern names it, its
  -- family or *; else the first seed alias it subscribed to that stands for it.
  SELECT f.*, s.id AS subscription_id,
    CASE WHEN EXISTS (SELECT 1 FROM unnest(s.event_types) AS p (pattern)
                      WHERE p.pattern = '*' OR p.pattern = f.type OR (right(p.pattern, 2) = '.*' AND starts_with(f.type, left(p.pattern, -1))))
         THEN f.type
         ELSE (SELECT p.pattern FROM unnest(s.event_types) WITH ORDINALITY AS p (pattern, i)
               JOIN (VALUES ${ALIASES}) AS a (alias, type) ON a.alias = p.pattern AND a.type = f.type ORDER BY p.i LIMIT 1)
    END AS name
  FROM fresh f JOIN subscriptions s ON s.instance_id = f.instance_id
), created AS (
  INSERT INTO deliveries (subscription_id, event_id, event_type, order_key, status, next_attempt_at)
  SELECT s.id, w.id, w.name, w.order_key,
         ${initialStatusSql({ orderKey: 'w.order_key', eventId: 'w.id', laterInRun: 'row_number() OVER (PARTITION BY s.id, w.order_key ORDER BY w.n) > 1' })}, now()
  FROM wanted w JOIN subscriptions s ON s.id = w.subscription_id WHERE w.name IS NOT NULL
  ORDER BY w.n, s.id
  ON CONFLICT (subscription_id, event_id) DO NOTHING RETURNING 1
)
SELECT (SELECT count(*) FROM created) AS created`;

/** An event as intake stores it. */
export interface IntakeRow {
  id: string;
  type: string;
  instanceId: string;
  orderKey: string;
  /** What partners receive (partnerBody). */
  body: Prisma.InputJsonValue;
  occurredAt: string;
}

/** Stores a run of events, in offset order, with their deliveries; returns how many deliveries were created. */
export async function storeWithDeliveries(sql: SqlExecutor, rows: readonly IntakeRow[]): Promise<number> {
  const [row] = await sql.query<{ created: string | number }>(INTAKE, [JSON.stringify(rows)]);
  return Number(row?.created ?? 0);
}
