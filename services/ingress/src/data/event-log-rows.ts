import { StatementBatcher, type SqlExecutor } from '@orderflow/db';
import type { Quarantine, StorableForm, VerifiedEvent } from '../domain/verified-event';
import type { EventStatus, WebhookEvent } from './event-log.repository';

/** webhook_events columns under the model's field names, so a RETURNING row reads like a WebhookEvent. */
const ROW_COLUMNS = [
  'id',
  'source',
  'event_id AS "eventId"',
  'type',
  'order_key AS "orderKey"',
  'instance_id AS "instanceId"',
  'status',
  'payload',
  'error',
  'attempts',
  'duplicates',
  'trace_id AS "traceId"',
  'occurred_at AS "occurredAt"',
  'received_at AS "receivedAt"',
  'updated_at AS "updatedAt"',
  'published_at AS "publishedAt"',
  'last_seen_at AS "lastSeenAt"',
].join(', ');

/** The columns a new row is inserted with, in order. */
const INSERT_COLUMNS = ['source', 'event_id', 'type', 'order_key', 'instance_id', 'status', 'payload', 'attempts', 'trace_id', 'occurred_at'];

type NewRow = [source: string, eventId: string, type: string, orderKey: string | null, instanceId: string | null, status: EventStatus, payload: string, attempts: number, traceId: string, occurredAt: Date];

/** pg hands int8 back as a string (PGlite as a number); the model's id is a bigint. */
function fromSql(row: Omit<WebhookEvent, 'id'> & { id: string | number | bigint }): WebhookEvent {
  return { ...row, id: BigInt(row.id) };
}

/**
 * The event log's statements in plain SQL: a new event's row and its published mark (the hot
 * path, batched across concurrent webhooks), a quarantined event's row with its raw body, and a
 * replay's requeue. The rest of the log is Prisma, in event-log.repository.ts.
 */
export class EventLogRows {
  /** New rows of concurrent webhooks, inserted together: one statement and one commit per batch. */
  private readonly inserts: StatementBatcher<NewRow, WebhookEvent | null>;
  /** Acknowledged events, marked published together. */
  private readonly publishes: StatementBatcher<bigint, void>;

  constructor(private readonly sql: SqlExecutor) {
    this.inserts = new StatementBatcher({ runBatch: (rows) => this.insertNew(rows) });
    this.publishes = new StatementBatcher({
      runBatch: async (ids) => {
        await this.sql.query(
          `UPDATE webhook_events SET status = 'published', error = NULL, published_at = now(), updated_at = now() WHERE id = ANY($1::bigint[])`,
          [ids.map(String)],
        );
        return ids.map(() => undefined);
      },
    });
  }

  /**
   * Logs a verified event, `received` if it is to be published, else `ignored`. Null when its
   * (source, event ID) is logged already.
   */
  insert(event: VerifiedEvent, traceId: string): Promise<WebhookEvent | null> {
    const status: EventStatus = event.publishable ? 'received' : 'ignored';
    return this.inserts.run([
      event.source,
      event.eventId,
      event.type,
      event.orderKey,
      event.instanceId,
      status,
      JSON.stringify(event.payload),
      event.publishable ? 1 : 0,
      traceId,
      event.occurredAt,
    ]);
  }

  /**
   * Logs an authentic event that cannot be published, in the form the log can hold (`stored`,
   * from `storableForm`), with the body as it arrived. Null when that event is logged already (a
   * redelivery).
   */
  async quarantine(event: VerifiedEvent, stored: StorableForm, rawBody: Buffer, problem: Quarantine, traceId: string): Promise<WebhookEvent | null> {
    const [row] = await this.sql.query<Parameters<typeof fromSql>[0]>(
      `INSERT INTO webhook_events (source, event_id, type, order_key, instance_id, status, payload, error, raw_body, attempts, trace_id, occurred_at)
       VALUES ($1, $2, $3, $4, $5, 'quarantined', $6::jsonb, $7, $8, 0, $9, $10)
       ON CONFLICT (source, event_id) DO NOTHING
       RETURNING ${ROW_COLUMNS}`,
      [event.source, stored.eventId, stored.type, stored.orderKey, stored.instanceId, JSON.stringify(stored.payload), problem.detail, rawBody, traceId, event.occurredAt],
    );
    return row ? fromSql(row) : null;
  }

  /**
   * A quarantined event that today's rules read as publishable (`event`): logged as it would
   * have been on arrival, `received` again, for the replay to publish. False when the row is no
   * longer quarantined, or another row already holds the event's ID.
   */
  async requeue(id: bigint, event: VerifiedEvent): Promise<boolean> {
    const taken = await this.sql.query<{ id: string }>(
      `UPDATE webhook_events SET event_id = $2, type = $3, order_key = $4, instance_id = $5, payload = $6::jsonb,
         status = 'received', error = NULL, raw_body = NULL, attempts = attempts + 1, updated_at = now()
       WHERE id = $1 AND status = 'quarantined'
         AND NOT EXISTS (SELECT 1 FROM webhook_events other WHERE other.source = $7 AND other.event_id = $2 AND other.id <> $1)
       RETURNING id::text AS id`,
      [String(id), event.eventId, event.type, event.orderKey, event.instanceId, JSON.stringify(event.payload), event.source],
    );
    return taken.length === 1;
  }

  markPublished(id: bigint): Promise<void> {
    return this.publishes.run(id);
  }

  /**
   * Inserts the rows that are new and returns each one (null where the (source, event_id) is
   * already logged). Plain SQL below Prisma: this is the hot path, and the ORM's per-statement
   * work cost more CPU than the statement (bench/ingress-webhooks.mjs, profiled). The whole row
   * comes back from the insert: no second round trip to read it.
   */
  private async insertNew(rows: readonly NewRow[]): Promise<(WebhookEvent | null)[]> {
    const width = INSERT_COLUMNS.length;
    const values = rows.map((_, r) => `(${INSERT_COLUMNS.map((column, c) => `$${r * width + c + 1}${column === 'payload' ? '::jsonb' : ''}`).join(', ')})`);
    const inserted = await this.sql.query<Parameters<typeof fromSql>[0]>(
      `INSERT INTO webhook_events (${INSERT_COLUMNS.join(', ')}) VALUES ${values.join(', ')}
       ON CONFLICT (source, event_id) DO NOTHING
       RETURNING ${ROW_COLUMNS}`,
      rows.flat(),
    );
    // RETURNING has no promised order, and leaves out the rows that conflicted.
    const byKey = new Map(inserted.map((row) => [`${row.source}\u0000${row.eventId}`, fromSql(row)]));
    return rows.map(([source, eventId]) => byKey.get(`${source}\u0000${eventId}`) ?? null);
  }
}
