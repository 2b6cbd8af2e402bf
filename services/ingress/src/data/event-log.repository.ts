import { Prisma, type PrismaClient, type WebhookEvent as WebhookEventWithBody } from '../generated/prisma/client';

export type EventStatus = 'received' | 'published' | 'ignored' | 'failed' | 'quarantined';
/** A logged event. Its raw body (kept for quarantined events only) is read alone, by `getWithBody`. */
export type WebhookEvent = Omit<WebhookEventWithBody, 'rawBody'>;
export type { WebhookEventWithBody };
/** Every query but `getWithBody` leaves the raw body (up to the 1 MB body limit) in the database. */
const withoutBody = { rawBody: true } as const;

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

/**
 * The event log's statements through Prisma: the reads, and the changes of one row's state off
 * the hot path. The inserts, the published marks and the requeue are SQL, in event-log-rows.ts.
 */
export class EventLogRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Takes over a failed (or abandoned) attempt at `row`, as it was read; `attempts` as a version
   * makes it one winner. False when another delivery changed the row first.
   */
  async takeOver(row: WebhookEvent, traceId: string): Promise<boolean> {
    const taken = await this.prisma.webhookEvent.updateMany({
      where: { id: row.id, status: row.status, attempts: row.attempts },
      data: { status: 'received', attempts: { increment: 1 }, error: null, updatedAt: new Date(), lastSeenAt: new Date(), traceId },
    });
    return taken.count === 1;
  }

  /** A received event Kafka can never take (too large): settled as quarantined, not failed. */
  async markQuarantined(id: bigint, error: string): Promise<void> {
    await this.prisma.webhookEvent.updateMany({ where: { id, status: 'received' }, data: { status: 'quarantined', error, updatedAt: new Date() } });
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
}
