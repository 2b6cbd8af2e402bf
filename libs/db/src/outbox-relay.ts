import type { Registry } from 'prom-client';
import { backoffDelay } from '@orderflow/resilience';
import type { Database } from './database';
import type { DbLogger } from './logger';
import type { OutboxRecord } from './outbox';
import { OutboxMetrics } from './outbox-metrics';
import { countSetAside, type SetAsideReason } from './outbox-set-aside';
import type { SqlExecutor } from './sql-executor';

/**
 * What became of one record given to `publish`: the shape of @orderflow/kafka's `sendEach`
 * answer (declared here so this lib does not depend on the Kafka one).
 */
export type PublishOutcome =
  /** Durable downstream: marked published. */
  | { status: 'sent' }
  /** Can never be published as it is (over the producer's size or key limit): set aside at once. */
  | { status: 'refused'; error: Error }
  /** Not published this time: retried with backoff, and set aside after `maxAttempts` such failures. */
  | { status: 'failed'; error: Error }
  /** Not attempted: an earlier record of its key was refused. Left as it is (held behind that row). */
  | { status: 'held' };

export interface OutboxRelayOptions {
  db: Database;
  /**
   * Makes `messages` durable downstream (the Kafka bus's producer, acks=all) and resolves, once
   * each has an outcome, with one outcome per message in the given order (`sendEach`), or with
   * nothing when every one is durable. Rejecting fails the whole batch: retried, never set aside.
   * Must keep the given order per key.
   */
  publish: (messages: OutboxRecord[]) => Promise<void | readonly PublishOutcome[]>;
  /**
   * A row is set aside once this many of its attempts failed while other rows of the same batch
   * were published. Default 10. Failures while nothing goes out (Kafka down or unreachable) do
   * not count: an outage must not set aside the whole backlog. Between attempts the relay backs
   * off, so ten such failures span at least 51 s of backoff (0.1 + 0.2 + ... + 25.6 s), plus, for
   * a retriable broker answer, kafkajs's own ~10 s of retries inside each failed produce: longer
   * than a partition leader's election, which is what a healthy cluster failing one partition
   * usually is. Much more would let a row failing for a reason of its own hold its key, and slow
   * every batch with backoff, for long. (A lone row failing while nothing else is enqueued is not
   * charged; it is retried, with backoff, until neighbours come.)
   */
  maxAttempts?: number;
  /** Where the set-aside counter and gauges are registered: the service's registry. */
  registry?: Registry;
  logger: DbLogger;
  /** Rows per claim. Default 100. */
  batchSize?: number;
  /** Idle poll period; `notify()` cuts it short. Default 1,000 ms. */
  pollIntervalMs?: number;
  /** Backoff after a failed publish: doubles from `initialMs` up to `maxMs`. Default 100 ms to 30 s. */
  backoff?: { initialMs?: number; maxMs?: number };
  /**
   * Published rows are kept this long, a record of what went out for as long as Kafka's default
   * retention (7 days) keeps the messages themselves, then deleted. Default 7 days.
   */
  keepPublishedMs?: number;
  /** How often the relay deletes published rows past `keepPublishedMs`. Default 10 minutes. */
  pruneIntervalMs?: number;
}

export interface OutboxRelay {
  /** Polls now instead of waiting for the next poll, e.g. right after a commit that enqueued. */
  notify(): void;
  /** Stops polling, lets the batch in flight finish, and resolves once the relay is idle. */
  stop(): Promise<void>;
}

/**
 * Claims the oldest unpublished rows. On Postgres, in a transaction held while publishing,
 * `FOR UPDATE SKIP LOCKED` lets several relays share the table without publishing a row
 * twice at the same time. SKIP LOCKED alone would break per-key order (relay B could take
 * a key's row 150 while relay A still holds its row 50), so a row is `deferred` while an
 * earlier unpublished row with the same key is outside this batch; it goes out in a later
 * batch, after that row. Keyless rows carry no ordering promise.
 *
 * Set-aside rows are not claimed, and neither are the later rows of their key: the key is
 * held. Consumers rely on a key's events arriving in order (an order's payment after its
 * creation, its fulfillment after its payment), and an event published after a later one
 * (the set-aside row requeued) would be applied out of order, silently. A held key is loud
 * instead: the alert fires and the held rows are counted, for an operator to requeue the row
 * (after raising the limit, say) or discard it, which releases the key. Other keys flow on.
 */
const CLAIM = `
WITH batch AS (
  SELECT id FROM outbox o
  WHERE published_at IS NULL AND set_aside_at IS NULL
    AND (key IS NULL OR NOT EXISTS (
      SELECT 1 FROM outbox aside WHERE aside.set_aside_at IS NOT NULL AND aside.key = o.key AND aside.id < o.id
    ))
  ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
)
SELECT o.id::text AS id, o.topic, o.key, o.value, o.headers, o.created_at, o.attempts,
  o.key IS NOT NULL AND EXISTS (
    SELECT 1 FROM outbox earlier
    WHERE earlier.key = o.key AND earlier.published_at IS NULL AND earlier.set_aside_at IS NULL AND earlier.id < o.id
      AND earlier.id NOT IN (SELECT id FROM batch)
  ) AS deferred
FROM outbox o JOIN batch b ON b.id = o.id
ORDER BY o.id`;

/** A refused row: set aside now, its error kept. */
const SET_ASIDE_REFUSED = `
UPDATE outbox SET attempts = attempts + 1, last_error = e.error, set_aside_at = now(), set_aside_reason = 'unpublishable'
FROM unnest($1::bigint[], $2::text[]) AS e(id, error)
WHERE outbox.id = e.id`;

/**
 * A failed row: one more attempt, charged ($3 = 1) when other rows of the batch went out, and
 * set aside when the charged attempts reach $4.
 */
const RECORD_FAILED = `
UPDATE outbox SET attempts = attempts + 1, last_error = e.error, charged_failures = charged_failures + $3,
  set_aside_at = CASE WHEN charged_failures + $3 >= $4 THEN now() END,
  set_aside_reason = CASE WHEN charged_failures + $3 >= $4 THEN 'attempts-exhausted' END
FROM unnest($1::bigint[], $2::text[]) AS e(id, error)
WHERE outbox.id = e.id
RETURNING outbox.id::text AS id, outbox.set_aside_at IS NOT NULL AS set_aside`;


/**
 * Deletes, among the $2 oldest rows, those published more than $1 ms ago. Only the front of the
 * primary key is read, never the rows kept behind it: ids grow with time, so once the front is
 * recent (or not yet published) nothing older waits further on. The ids go in as an array, so
 * the delete finds them by the key; `id IN (subquery)` was planned as a scan of the whole table
 * (300,000 rows: 46 ms a statement, against 1.8 ms this way).
 */
const PRUNE = `
WITH gone AS (
  DELETE FROM outbox WHERE id = ANY (ARRAY(
    SELECT id FROM (SELECT id, published_at FROM outbox ORDER BY id LIMIT $2) AS front
    WHERE published_at < now() - $1::float8 * interval '1 millisecond'
  )) RETURNING 1
)
SELECT count(*)::int AS deleted FROM gone`;

/** Rows per prune statement: a short transaction, however much has piled up. */
const PRUNE_BATCH = 1_000;

/**
 * How soon to look again when rows were deferred behind another relay's batch: that relay
 * is publishing right now, so its rows are usually done within a broker round trip.
 */
const DEFERRED_RETRY_MS = 50;

interface BatchOutcome {
  claimed: number;
  published: number;
  deferred: number;
  setAside: SetAside[];
  /** Set when some rows failed and are to be retried: the relay backs off. */
  failure?: PublishFailed;
}

interface SetAside {
  id: string;
  topic: string;
  key: string | null;
  reason: SetAsideReason;
  error: string;
}

const SENT: PublishOutcome = { status: 'sent' };

interface ClaimedRow {
  id: string;
  topic: string;
  key: string | null;
  value: Uint8Array;
  headers: Record<string, string> | null;
  created_at: Date;
  attempts: number;
  deferred: boolean;
}

// PGlite has one connection in one process: a second relay there could only double-publish.
const pgliteRelays = new WeakSet<Database>();

export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { db, publish, logger } = options;
  const batchSize = options.batchSize ?? 100;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const initialBackoffMs = options.backoff?.initialMs ?? 100;
  const maxBackoffMs = options.backoff?.maxMs ?? 30_000;
  const keepPublishedMs = options.keepPublishedMs ?? 7 * 24 * 3_600_000;
  const pruneIntervalMs = options.pruneIntervalMs ?? 600_000;
  const maxAttempts = options.maxAttempts ?? 10;
  const metrics = options.registry ? new OutboxMetrics(options.registry, () => countSetAside(db.sql)) : undefined;
  if (db.kind === 'pglite') {
    if (pgliteRelays.has(db)) throw new Error('an outbox relay is already running on this PGlite database');
    pgliteRelays.add(db);
  }

  let stopping = false;
  let notified = false;
  let wakeIdle: (() => void) | undefined;
  let wakeBackoff: (() => void) | undefined;

  const pause = (ms: number, kind: 'idle' | 'backoff') =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (kind === 'idle') wakeIdle = undefined;
        else wakeBackoff = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      if (kind === 'idle') wakeIdle = done;
      else wakeBackoff = done;
    });

  // One batch: claim, publish, mark.
  const relayBatch = async (): Promise<BatchOutcome> => {
    // A publish failure is returned, not thrown, so the transaction commits the attempt count.
    const attempt = async (sql: SqlExecutor): Promise<BatchOutcome | PublishFailed> => {
      const claimed = await sql.query<ClaimedRow>(CLAIM, [batchSize]);
      const rows = claimed.filter((row) => !row.deferred);
      const outcome: BatchOutcome = { claimed: claimed.length, published: 0, deferred: claimed.length - rows.length, setAside: [] };
      if (rows.length === 0) return outcome;
      let outcomes: readonly PublishOutcome[];
      try {
        outcomes = (await publish(rows.map(toRecord))) ?? rows.map(() => SENT);
        if (outcomes.length !== rows.length) throw new Error(`publish gave ${outcomes.length} outcomes for ${rows.length} messages`);
      } catch (err) {
        // Nothing went out, so nothing tells a row at fault from an outage: no row is charged.
        const message = errorMessage(err);
        const ids = rows.map((row) => row.id);
        await sql.query('UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::bigint[])', [ids, message]);
        return new PublishFailed(ids.length, message);
      }
      return recordOutcomes(sql, rows, outcomes, outcome);
    };
    // On PGlite a transaction would block every other query of the service while Kafka
    // answers; with a single relay (enforced above) nothing else claims rows anyway.
    const outcome = await (db.kind === 'postgres' ? db.sql.transaction(attempt) : attempt(db.sql));
    if (outcome instanceof PublishFailed) throw outcome;
    reportSetAside(outcome.setAside);
    if (outcome.failure) throw outcome.failure;
    return outcome;
  };

  /** Marks each row as its outcome says: published, set aside, or one more failed attempt. */
  const recordOutcomes = async (sql: SqlExecutor, rows: ClaimedRow[], outcomes: readonly PublishOutcome[], outcome: BatchOutcome) => {
    const sent: string[] = [];
    const refused: { row: ClaimedRow; error: string }[] = [];
    const failed: { row: ClaimedRow; error: string }[] = [];
    rows.forEach((row, i) => {
      const result = outcomes[i] as PublishOutcome;
      if (result.status === 'sent') sent.push(row.id);
      else if (result.status === 'refused') refused.push({ row, error: errorMessage(result.error) });
      else if (result.status === 'failed') failed.push({ row, error: errorMessage(result.error) });
    });
    if (sent.length > 0) {
      await sql.query('UPDATE outbox SET published_at = now(), last_error = NULL WHERE id = ANY($1::bigint[])', [sent]);
    }
    outcome.published = sent.length;
    if (refused.length > 0) {
      await sql.query(SET_ASIDE_REFUSED, [refused.map((r) => r.row.id), refused.map((r) => r.error)]);
      for (const { row, error } of refused) outcome.setAside.push({ id: row.id, topic: row.topic, key: row.key, reason: 'unpublishable', error });
    }
    if (failed.length > 0) {
      const charge = sent.length > 0 ? 1 : 0;
      const marked = await sql.query<{ id: string; set_aside: boolean }>(RECORD_FAILED, [failed.map((f) => f.row.id), failed.map((f) => f.error), charge, maxAttempts]);
      const asideIds = new Set(marked.filter((m) => m.set_aside).map((m) => m.id));
      for (const { row, error } of failed) {
        if (asideIds.has(row.id)) outcome.setAside.push({ id: row.id, topic: row.topic, key: row.key, reason: 'attempts-exhausted', error });
      }
      outcome.failure = new PublishFailed(failed.length, failed[0]?.error ?? '');
    }
    return outcome;
  };

  const reportSetAside = (rows: SetAside[]) => {
    for (const row of rows) {
      logger.error(
        { outboxId: row.id, topic: row.topic, key: row.key, reason: row.reason, error: row.error },
        'outbox row set aside: it will not be published, nor the later rows of its key, until it is requeued or discarded',
      );
      metrics?.setAside.inc({ reason: row.reason });
    }
  };

  // Due at start: a relay that was down a while has the most to delete.
  let nextPruneAt = 0;
  /** One prune statement when one is due; true when it deleted rows, so the next front may hold more. */
  const pruneIfDue = async (): Promise<boolean> => {
    if (Date.now() < nextPruneAt) return false;
    try {
      const [{ deleted }] = await db.sql.query<{ deleted: number }>(PRUNE, [keepPublishedMs, PRUNE_BATCH]);
      if (deleted > 0) return true;
    } catch (err) {
      // Publishing goes on; the rows wait for the next round.
      logger.warn({ error: errorMessage(err) }, 'deleting published outbox rows failed');
    }
    nextPruneAt = Date.now() + pruneIntervalMs;
    return false;
  };

  const loop = async () => {
    let failures = 0;
    while (!stopping) {
      notified = false;
      try {
        const outcome = await relayBatch();
        failures = 0;
        const morePrunable = await pruneIfDue();
        // A full batch means more are probably waiting: go again without pausing.
        if (outcome.claimed === batchSize && outcome.published + outcome.setAside.length > 0) continue;
        if (outcome.deferred > 0) {
          if (!stopping) await pause(Math.min(DEFERRED_RETRY_MS, pollIntervalMs), 'idle');
          continue;
        }
        if (morePrunable) continue;
      } catch (err) {
        failures += 1;
        const delayMs = backoffDelay(failures, { initialMs: initialBackoffMs, maxMs: maxBackoffMs, jitter: 'none' });
        const fields = { failures, retryInMs: delayMs, error: errorMessage(err) };
        logger.warn(fields, err instanceof PublishFailed ? 'outbox publish failed' : 'outbox relay query failed');
        if (!stopping) await pause(delayMs, 'backoff');
        continue;
      }
      if (!stopping && !notified) await pause(pollIntervalMs, 'idle');
    }
  };

  const running = loop().finally(() => {
    pgliteRelays.delete(db);
    metrics?.detach();
  });

  return {
    notify() {
      notified = true;
      wakeIdle?.();
    },
    async stop() {
      stopping = true;
      wakeIdle?.();
      wakeBackoff?.();
      await running;
    },
  };
}

class PublishFailed extends Error {
  constructor(count: number, cause: string) {
    super(`publishing ${count} outbox messages failed: ${cause}`);
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function toRecord(row: ClaimedRow): OutboxRecord {
  return {
    id: row.id,
    topic: row.topic,
    key: row.key,
    // pg gives a Buffer, PGlite a plain Uint8Array.
    value: Buffer.isBuffer(row.value) ? row.value : Buffer.from(row.value),
    headers: row.headers ?? {},
    createdAt: row.created_at,
    attempts: row.attempts,
  };
}
