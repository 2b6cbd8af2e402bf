import { IDENTIFIER_LIMITS } from '@orderflow/events';
import { adminAuth, HttpProblem, onceStarted } from '@orderflow/http';
import type { Express } from 'express';
import { z } from 'zod';

import type { EventLog } from '../data/event-log';
import type { WebhookEvent } from '../data/event-log.repository';
import { replayEvent, type ReplayDeps } from '../use-cases/replay-event';

export interface AdminRouteDeps extends Omit<ReplayDeps, 'log'> {
  token: string;
  /** Undefined until the service has started (then the routes answer 503). */
  log: () => EventLog | undefined;
}

const MAX_PAGE = 200;
const isoDate = z.iso.datetime({ offset: true }).transform((value) => new Date(value));
/** The event log's filters and page, as `GET /admin/events` parses them. */
export const eventsQuery = z.object({
  status: z.enum(['received', 'published', 'ignored', 'failed', 'quarantined']).optional(),
  source: z.enum(['stripe', 'wix']).optional(),
  type: z.string().min(1).optional(),
  /** An order's events: the Kafka key the ingress gave them (our order ID, else the PaymentIntent's). */
  orderKey: z.string().min(1).max(IDENTIFIER_LIMITS.orderKey).optional(),
  /** The provider's event ID (`evt_...`, a Wix event ID). */
  eventId: z.string().min(1).max(IDENTIFIER_LIMITS.providerId).optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(50),
  cursor: z.string().regex(/^\d{1,18}$/, { message: 'must be a row ID from a previous page' }).transform(BigInt).optional(),
});
/** A logged event's row ID. */
export const eventIdParam = z.string().regex(/^\d{1,18}$/).transform(BigInt);

/** Rows as JSON: bigint ids as strings; the payload (and a quarantined event's body) only on the single-event view. */
function present(row: WebhookEvent, detail?: { rawBody: Uint8Array | null }): Record<string, unknown> {
  const { payload, id, ...rest } = row;
  if (!detail) return { id: String(id), ...rest };
  const body = detail.rawBody ? { rawBody: Buffer.from(detail.rawBody).toString('utf8') } : {};
  return { id: String(id), ...rest, payload, ...body };
}

export function adminRoutes(deps: AdminRouteDeps): (app: Express) => void {
  const repository = onceStarted(deps.log);
  const find = async (raw: string): Promise<WebhookEvent> => {
    const id = eventIdParam.safeParse(raw);
    const row = id.success ? await repository().get(id.data) : null;
    if (!row) throw new HttpProblem(404, { detail: `No event ${raw}` });
    return row;
  };
  const replay: ReplayDeps = { ...deps, log: repository };

  return (app) => {
    app.use('/admin', adminAuth(deps.token));

    app.get('/admin/events', async (req, res) => {
      const query = eventsQuery.safeParse(req.query);
      if (!query.success) throw new HttpProblem(400, { detail: z.prettifyError(query.error) });
      const { cursor, limit, ...filter } = query.data;
      // One extra row tells whether another page exists without a count query.
      const rows = await repository().list({ ...filter, before: cursor, limit: limit + 1 });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      res.json({ items: page.map((row) => present(row)), nextCursor: rows.length > limit && last ? String(last.id) : null });
    });

    app.get('/admin/events/:id', async (req, res) => {
      const row = await find(req.params.id);
      const rawBody = row.status === 'quarantined' ? ((await repository().getWithBody(row.id))?.rawBody ?? null) : null;
      res.json(present(row, { rawBody }));
    });

    /** See replay-event.ts: a 409 for what a retry of the request would not change. */
    app.post('/admin/events/:id/replay', async (req, res) => {
      const result = await replayEvent(replay, () => find(req.params.id), req.requestId, req.log);
      if (result.outcome === 'refused') throw new HttpProblem(409, { detail: result.detail });
      if (result.outcome === 'unavailable') {
        throw new HttpProblem(503, { detail: 'Kafka did not acknowledge the replay; retry later', headers: { 'retry-after': '5' } });
      }
      res.status(200).json({ replayed: true, id: String(result.row.id), eventId: result.row.eventId });
    });
  };
}
