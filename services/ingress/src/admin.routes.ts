import { IDENTIFIER_LIMITS } from '@orderflow/events';
import { adminAuth, HttpProblem } from '@orderflow/http';
import type { BatchingProducer } from '@orderflow/kafka';
import type { Express } from 'express';
import { z } from 'zod';

import { envelopeOf } from './envelope';
import type { EventLogRepository, WebhookEvent } from './event-log.repository';
import { DEADLINE_PASSED, withDeadline } from './with-deadline';

export interface AdminRouteDeps {
  token: string;
  log: () => EventLogRepository | undefined;
  producer: BatchingProducer;
  publishDeadlineMs: number;
}

const MAX_PAGE = 200;
const isoDate = z.iso.datetime({ offset: true }).transform((value) => new Date(value));
const listQuery = z.object({
  status: z.enum(['received', 'published', 'ignored', 'failed']).optional(),
  source: z.enum(['stripe', 'wix']).optional(),
  type: z.string().min(1).optional(),
  /** An order's events: the Kafka key the ingress gave them (our order ID, else the PaymentIntent's). */
  orderKey: z.string().min(1).max(IDENTIFIER_LIMITS.orderKey).optional(),
  /** The provider's event ID (`evt_...`, a Wix event ID). */
  eventId: z.string().min(1).max(IDENTIFIER_LIMITS.providerId).optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(50),
  cursor: z.string().regex(/^\d+$/).transform(BigInt).optional(),
});
const idParam = z.string().regex(/^\d{1,18}$/).transform(BigInt);

/** Rows as JSON: bigint ids as strings; the payload only on the single-event view. */
function present(row: WebhookEvent, withPayload: boolean): Record<string, unknown> {
  const { payload, id, ...rest } = row;
  return { id: String(id), ...rest, ...(withPayload ? { payload } : {}) };
}

export function adminRoutes(deps: AdminRouteDeps): (app: Express) => void {
  const repository = (): EventLogRepository => {
    const log = deps.log();
    if (!log) throw new HttpProblem(503, { detail: 'Starting up', headers: { 'retry-after': '1' } });
    return log;
  };
  const find = async (raw: string): Promise<WebhookEvent> => {
    const id = idParam.safeParse(raw);
    const row = id.success ? await repository().get(id.data) : null;
    if (!row) throw new HttpProblem(404, { detail: `No event ${raw}` });
    return row;
  };

  return (app) => {
    app.use('/admin', adminAuth(deps.token));

    app.get('/admin/events', async (req, res) => {
      const query = listQuery.safeParse(req.query);
      if (!query.success) throw new HttpProblem(400, { detail: z.prettifyError(query.error) });
      const { cursor, limit, ...filter } = query.data;
      // One extra row tells whether another page exists without a count query.
      const rows = await repository().list({ ...filter, before: cursor, limit: limit + 1 });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      res.json({ items: page.map((row) => present(row, false)), nextCursor: rows.length > limit && last ? String(last.id) : null });
    });

    app.get('/admin/events/:id', async (req, res) => {
      res.json(present(await find(req.params.id), true));
    });

    /**
     * Republishes a logged event with its original provider event ID, so consumers that already
     * handled it skip it (they deduplicate on eventId) and those that missed it catch up.
     */
    app.post('/admin/events/:id/replay', async (req, res) => {
      const row = await find(req.params.id);
      if (row.status === 'ignored') throw new HttpProblem(409, { detail: 'Ignored events are not publishable' });
      const log = repository();
      await log.markReplaying(row.id);
      const sent = deps.producer.sendEvent(envelopeOf(row, req.requestId)).then(
        () => true as const,
        (err: unknown) => err,
      );
      const outcome = await withDeadline(sent, deps.publishDeadlineMs);
      if (outcome !== true) {
        req.log.warn({ err: outcome === DEADLINE_PASSED ? 'deadline passed' : outcome, eventId: row.eventId }, 'replay not published');
        throw new HttpProblem(503, { detail: 'Kafka did not acknowledge the replay; retry later', headers: { 'retry-after': '5' } });
      }
      await log.markPublished(row.id);
      res.status(200).json({ replayed: true, id: String(row.id), eventId: row.eventId });
    });
  };
}
