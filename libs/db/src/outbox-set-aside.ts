import type { SqlExecutor } from './sql-executor';
import type { SetAsideCounts } from './outbox-metrics';

/** Why the relay set a row aside. */
export type SetAsideReason = 'unpublishable' | 'attempts-exhausted';

/** A set-aside outbox row, as an operator sees it. */
export interface SetAsideOutboxRow {
  id: string;
  topic: string;
  key: string | null;
  /** Size of the stored value. */
  valueBytes: number;
  createdAt: Date;
  setAsideAt: Date;
  reason: SetAsideReason;
  /** The last publishing error. */
  error: string | null;
  attempts: number;
  /** Unpublished rows of the same key behind it, which the relay holds back until it is requeued or discarded. */
  held: number;
}

interface Row {
  id: string;
  topic: string;
  key: string | null;
  value_bytes: number;
  created_at: Date;
  set_aside_at: Date;
  set_aside_reason: SetAsideReason;
  last_error: string | null;
  attempts: number;
  held: number;
}

/** The oldest set-aside rows, `limit` of them (default 100), in publication order. */
export async function listSetAsideOutbox(sql: SqlExecutor, options: { limit?: number } = {}): Promise<SetAsideOutboxRow[]> {
  const rows = await sql.query<Row>(
    `SELECT o.id::text AS id, o.topic, o.key, length(o.value) AS value_bytes, o.created_at, o.set_aside_at,
       o.set_aside_reason, o.last_error, o.attempts,
       (SELECT count(*)::int FROM outbox later
        WHERE later.key = o.key AND later.id > o.id AND later.published_at IS NULL AND later.set_aside_at IS NULL) AS held
     FROM outbox o WHERE o.set_aside_at IS NOT NULL ORDER BY o.id LIMIT $1`,
    [options.limit ?? 100],
  );
  return rows.map((r) => ({
    id: r.id,
    topic: r.topic,
    key: r.key,
    valueBytes: r.value_bytes,
    createdAt: r.created_at,
    setAsideAt: r.set_aside_at,
    reason: r.set_aside_reason,
    error: r.last_error,
    attempts: r.attempts,
    held: r.held,
  }));
}

/**
 * Gives set-aside rows back to the relay (once what stopped them is fixed: the topic's limit
 * raised, the broker's ACLs corrected...): they are claimed again in id order, before the rows of
 * their key held behind them, with a fresh attempt budget. Returns how many were requeued; call
 * the relay's `notify()` to publish them now.
 */
export function requeueSetAsideOutbox(sql: SqlExecutor, ids: readonly string[]): Promise<number> {
  return sql.execute(
    `UPDATE outbox SET set_aside_at = NULL, set_aside_reason = NULL, charged_failures = 0
     WHERE id = ANY($1::bigint[]) AND set_aside_at IS NOT NULL`,
    [ids],
  );
}

/**
 * Deletes set-aside rows that will never be published (a message too large for any topic
 * limit), releasing the rows of their key held behind them. Returns how many were deleted.
 */
export function discardSetAsideOutbox(sql: SqlExecutor, ids: readonly string[]): Promise<number> {
  return sql.execute('DELETE FROM outbox WHERE id = ANY($1::bigint[]) AND set_aside_at IS NOT NULL', [ids]);
}

/** Rows set aside, and rows held behind them: the relay's gauges. */
export async function countSetAside(sql: SqlExecutor): Promise<SetAsideCounts> {
  const [counts] = await sql.query<{ set_aside: number; held: number }>(
    `SELECT
       (SELECT count(*)::int FROM outbox WHERE set_aside_at IS NOT NULL) AS set_aside,
       (SELECT count(*)::int FROM outbox o WHERE o.published_at IS NULL AND o.set_aside_at IS NULL AND o.key IS NOT NULL
          AND EXISTS (SELECT 1 FROM outbox s WHERE s.set_aside_at IS NOT NULL AND s.key = o.key AND s.id < o.id)) AS held`,
  );
  return { setAside: counts?.set_aside ?? 0, held: counts?.held ?? 0 };
}

/** The three levers on one database, as a service's admin routes take them (`outboxAdminRoutes`). */
export function setAsideOutboxOf(sql: SqlExecutor) {
  return {
    list: (limit: number) => listSetAsideOutbox(sql, { limit }),
    requeue: (ids: readonly string[]) => requeueSetAsideOutbox(sql, ids),
    discard: (ids: readonly string[]) => discardSetAsideOutbox(sql, ids),
  };
}
