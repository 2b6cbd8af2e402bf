import type { SqlExecutor } from '@orderflow/db';
import type { Quarantine, StorableForm, VerifiedEvent } from '../domain/verified-event';
import type { PrismaClient } from '../generated/prisma/client';
import { EventLogRows } from './event-log-rows';
import { EventLogRepository, type ListFilter, type WebhookEvent, type WebhookEventWithBody } from './event-log.repository';

/** Settled: a later delivery of the same event is a duplicate. */
const SETTLED: readonly string[] = ['published', 'ignored', 'quarantined'];

/** What the database says about a delivery, decided atomically so one delivery publishes. */
export type BeginResult =
  | { kind: 'new'; row: WebhookEvent }
  | { kind: 'retry'; row: WebhookEvent }
  | { kind: 'settled'; row: WebhookEvent }
  | { kind: 'busy'; row: WebhookEvent };

/**
 * The webhook event log: one row per (source, provider event ID). The unique constraint on that
 * pair is the exactly-once authority; every state change below is a single conditional
 * statement, so concurrent deliveries (in this process or other replicas) cannot both win.
 * Each statement is in one of two repositories, by how it talks to the table: SQL in
 * `EventLogRows`, Prisma in `EventLogRepository`.
 */
export class EventLog {
  private readonly rows: EventLogRows;
  private readonly repository: EventLogRepository;

  constructor(
    prisma: PrismaClient,
    sql: SqlExecutor,
    /** A `received` row untouched this long belongs to a crashed attempt and may be taken over. */
    private readonly staleAfterMs: number,
  ) {
    this.rows = new EventLogRows(sql);
    this.repository = new EventLogRepository(prisma);
  }

  async begin(event: VerifiedEvent, traceId: string): Promise<BeginResult> {
    const inserted = await this.rows.insert(event, traceId);
    if (inserted) return { kind: 'new', row: inserted };

    const row = await this.find(event.source, event.eventId);
    if (!row) throw new Error('event row vanished after a conflicting insert');
    if (SETTLED.includes(row.status)) return { kind: 'settled', row };
    const stale = row.status === 'received' && Date.now() - row.updatedAt.getTime() > this.staleAfterMs;
    if (row.status !== 'failed' && !stale) return { kind: 'busy', row };
    if (await this.repository.takeOver(row, traceId)) return { kind: 'retry', row: await this.getOrThrow(row.id) };
    return { kind: 'busy', row };
  }

  /** See `EventLogRows.quarantine`: null when the event is logged already. */
  quarantine(event: VerifiedEvent, stored: StorableForm, rawBody: Buffer, problem: Quarantine, traceId: string): Promise<WebhookEvent | null> {
    return this.rows.quarantine(event, stored, rawBody, problem, traceId);
  }

  markQuarantined(id: bigint, error: string): Promise<void> {
    return this.repository.markQuarantined(id, error);
  }

  /** See `EventLogRows.requeue`: false when the row is no longer quarantined or its ID is taken. */
  requeue(id: bigint, event: VerifiedEvent): Promise<boolean> {
    return this.rows.requeue(id, event);
  }

  find(source: string, eventId: string): Promise<WebhookEvent | null> {
    return this.repository.find(source, eventId);
  }

  get(id: bigint): Promise<WebhookEvent | null> {
    return this.repository.get(id);
  }

  getWithBody(id: bigint): Promise<WebhookEventWithBody | null> {
    return this.repository.getWithBody(id);
  }

  markPublished(id: bigint): Promise<void> {
    return this.rows.markPublished(id);
  }

  markFailed(id: bigint, error: string): Promise<void> {
    return this.repository.markFailed(id, error);
  }

  countDuplicate(source: string, eventId: string): Promise<void> {
    return this.repository.countDuplicate(source, eventId);
  }

  markReplaying(id: bigint): Promise<void> {
    return this.repository.markReplaying(id);
  }

  list(filter: ListFilter): Promise<WebhookEvent[]> {
    return this.repository.list(filter);
  }

  ping(): Promise<void> {
    return this.repository.ping();
  }

  private async getOrThrow(id: bigint): Promise<WebhookEvent> {
    const row = await this.get(id);
    if (!row) throw new Error(`event row ${id} not found`);
    return row;
  }
}
