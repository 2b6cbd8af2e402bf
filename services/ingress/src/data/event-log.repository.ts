import { Prisma, type PrismaClient, type WebhookEvent as WebhookEventWithBody } from '../generated/prisma/client';
import { StatementBatcher, type SqlExecutor } from '@orderflow/db';
import type { Quarantine, StorableForm, VerifiedEvent } from '../domain/verified-event';

export type EventStatus = 'received' | 'published' | 'ignored' | 'failed' | 'quarantined';
/** A logged event. Its raw body (kept for quarantined events only) is read alone, by `getWithBody`. */
export type WebhookEvent = Omit<WebhookEventWithBody, 'rawBody'>;
export type { WebhookEventWithBody };
/** Every query but `getWithBody` leaves the raw body (up to the 1 MB body limit) in the database. */
const withoutBody = { rawBody: true } as const;

/** Settled: a later delivery of the same event is a duplicate. */
const SETTLED: readonly string[] = ['published', 'ignored', 'quarantined'];

/** What the database says about a delivery, decided atomically so one delivery publishes. */
export type BeginResult =
  | { kind: 'new'; row: WebhookEvent }
  | { kind: 'retry'; row: WebhookEvent }
  | { kind: 'settled'; row: WebhookEvent }
  | { kind: 'busy'; row: WebhookEvent };

export interface ListFilter {
  status?: EventStatus;
  source?: string;
  type?: string;
  orderKey?: string;
  eventId?: string;
  from?: Date;
  to?: Date;
  /** Rows with an id below this (the previous page's last id). */
  before?: bigint;
  limit: number;
}

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
 * The webhook event log: one row per (source, provider event ID). The unique constraint on that
 * pair is the exactly-once authority; every state change below is a single conditional
 * statement, so concurrent deliveries (in this process or other replicas) cannot both win.
 */
export class EventLogRepository {
  /** New rows of concurrent webhooks, inserted together: one statement and one commit per batch. */
  private readonly inserts: StatementBatcher<NewRow, WebhookEvent | null>;
  /** Acknowledged events, marked published together. */
  private readonly publishes: StatementBatcher<bigint, void>;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly sql: SqlExecutor,
    /** A `received` row untouched this long belongs to a crashed attempt and may be taken over. */
    private readonly staleAfterMs: number,
  ) {
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

  async begin(event: VerifiedEvent, traceId: string): Promise<BeginResult> {
    const status: EventStatus = event.publishable ? 'received' : 'ignored';
    const inserted = await this.inserts.run([
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
    if (inserted) return { kind: 'new', row: inserted };

    const row = await this.find(event.source, event.eventId);
    if (!row) throw new Error('event row vanished after a conflicting insert');
    if (SETTLED.includes(row.status)) return { kind: 'settled', row };
    const stale = row.status === 'received' && Date.now() - row.updatedAt.getTime() > this.staleAfterMs;
    if (row.status !== 'failed' && !stale) return { kind: 'busy', row };
    // Take over a failed (or abandoned) attempt; `attempts` as a version makes it one winner.
    const taken = await this.prisma.webhookEvent.updateMany({
      where: { id: row.id, status: row.status, attempts: row.attempts },
      data: { status: 'received', attempts: { increment: 1 }, error: null, updatedAt: new Date(), lastSeenAt: new Date(), traceId },
    });
    if (taken.count === 1) return { kind: 'retry', row: await this.getOrThrow(row.id) };
    return { kind: 'busy', row };
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

  /** A received event Kafka can never take (too large): settled as quarantined, not failed. */
  async markQuarantined(id: bigint, error: string): Promise<void> {
    await this.prisma.webhookEvent.updateMany({ where: { id, status: 'received' }, data: { status: 'quarantined', error, updatedAt: new Date() } });
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

  find(source: string, eventId: string): Promise<WebhookEvent | null> {
    return this.prisma.webhookEvent.findUnique({ where: { source_eventId: { source, eventId } }, omit: withoutBody });
  }

  get(id: bigint): Promise<WebhookEvent | null> {
    return this.prisma.webhookEvent.findUnique({ where: { id }, omit: withoutBody });
  }

  getWithBody(id: bigint): Promise<WebhookEventWithBody | null> {
    return this.prisma.webhookEvent.findUnique({ where: { id } });
  }

  markPublished(id: bigint): Promise<void> {
    return this.publishes.run(id);
  }

  /** Only a row still `received`: a late acknowledgement may already have marked it published. */
  async markFailed(id: bigint, error: string): Promise<void> {
    await this.prisma.webhookEvent.updateMany({ where: { id, status: 'received' }, data: { status: 'failed', error, updatedAt: new Date() } });
  }

  /** A repeated delivery: counted on the original row, never a second row. */
  async countDuplicate(source: string, eventId: string): Promise<void> {
    await this.prisma.webhookEvent.updateMany({
      where: { source, eventId },
      data: { duplicates: { increment: 1 }, lastSeenAt: new Date() },
    });
  }

  /** For a replay: one more attempt, whatever the row's state. */
  async markReplaying(id: bigint): Promise<void> {
    await this.prisma.webhookEvent.update({ where: { id }, data: { attempts: { increment: 1 }, updatedAt: new Date() } });
  }

  list(filter: ListFilter): Promise<WebhookEvent[]> {
    const where: Prisma.WebhookEventWhereInput = {
      status: filter.status,
      source: filter.source,
      type: filter.type,
      orderKey: filter.orderKey,
      // With every source named, an event ID lookup probes the (source, event_id) unique index.
      ...(filter.eventId !== undefined ? { eventId: filter.eventId, source: filter.source ?? { in: ['stripe', 'wix'] } } : {}),
      receivedAt: filter.from || filter.to ? { gte: filter.from, lt: filter.to } : undefined,
      id: filter.before !== undefined ? { lt: filter.before } : undefined,
    };
    // Newest first by id: ids only grow, so an id cursor is stable while rows keep arriving.
    return this.prisma.webhookEvent.findMany({ where, orderBy: { id: 'desc' }, take: filter.limit, omit: withoutBody });
  }

  async ping(): Promise<void> {
    await this.prisma.$queryRaw`SELECT 1`;
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

  private async getOrThrow(id: bigint): Promise<WebhookEvent> {
    const row = await this.get(id);
    if (!row) throw new Error(`event row ${id} not found`);
    return row;
  }
}
