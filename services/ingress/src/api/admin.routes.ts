import { IDENTIFIER_LIMITS } from '@orderflow/events';
import { adminAuth, HttpProblem, onceStarted } from '@orderflow/http';
import type { BatchingProducer } from '@orderflow/kafka';
import type { Express } from 'express';
import { z } from 'zod';

import { envelopeOf } from '../use-cases/envelope';
import type { EventLog } from '../data/event-log';
import type { WebhookEvent } from '../data/event-log.repository';
import { stripeEventOf } from '../domain/stripe.verifier';
import { PayloadError, quarantineReason, type VerifiedEvent } from '../domain/verified-event';
import { unpublishable } from '../use-cases/receive-webhook';
import { DEADLINE_PASSED, withDeadline } from '../use-cases/with-deadline';
import type { WixVerifier } from '../domain/wix.verifier';

export interface AdminRouteDeps {
  token: string;
  log: () => EventLog | undefined;
  producer: BatchingProducer;
  publishDeadlineMs: number;
  /** Reads a quarantined Wix event's stored token again; undefined without WIX_PUBLIC_KEY. */
  wix: () => WixVerifier | undefined;
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

/**
 * A quarantined event read again from its stored body by today's rules, or why it still cannot
 * be published (a 409: nothing a retry of the request would change).
 */
function reread(row: WebhookEvent, rawBody: Uint8Array, wix: WixVerifier | undefined): VerifiedEvent {
  const text = Buffer.from(rawBody).toString('utf8');
  let event: VerifiedEvent;
  try {
    if (row.source === 'stripe') {
      event = stripeEventOf(JSON.parse(text) as unknown);
    } else {
      if (!wix) throw new HttpProblem(409, { detail: 'Wix events cannot be read without WIX_PUBLIC_KEY' });
      event = wix.reread(text);
    }
  } catch (err) {
    if (err instanceof PayloadError || err instanceof SyntaxError) throw new HttpProblem(409, { detail: `Still cannot be published: ${err.message}` });
    throw err;
  }
  const problem = quarantineReason(event);
  if (problem) throw new HttpProblem(409, { detail: `Still cannot be published: ${problem.detail}` });
  if (!event.publishable) throw new HttpProblem(409, { detail: `Events of type ${event.type} are not published` });
  return event;
}

export function adminRoutes(deps: AdminRouteDeps): (app: Express) => void {
  const repository = onceStarted(deps.log);
  const find = async (raw: string): Promise<WebhookEvent> => {
    const id = eventIdParam.safeParse(raw);
    const row = id.success ? await repository().get(id.data) : null;
    if (!row) throw new HttpProblem(404, { detail: `No event ${raw}` });
    return row;
  };

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

    /**
     * Republishes a logged event with its original provider event ID, so consumers that already
     * handled it skip it (they deduplicate on eventId) and those that missed it catch up. A
     * quarantined event is first read again from its stored body by today's rules (409 while
     * they still refuse it); Kafka refusing it as too large again keeps it quarantined (409).
     */
    app.post('/admin/events/:id/replay', async (req, res) => {
      let row = await find(req.params.id);
      if (row.status === 'ignored') throw new HttpProblem(409, { detail: 'Ignored events are not publishable' });
      const log = repository();
      const rawBody = row.status === 'quarantined' ? (await log.getWithBody(row.id))?.rawBody : null;
      if (rawBody) {
        if (!(await log.requeue(row.id, reread(row, rawBody, deps.wix())))) {
          throw new HttpProblem(409, { detail: 'The event changed meanwhile, or another logged event has its ID' });
        }
        row = await find(req.params.id);
      }
      await log.markReplaying(row.id);
      const sent = deps.producer.sendEvent(envelopeOf(row, req.requestId)).then(
        () => true as const,
        (err: unknown) => err,
      );
      const outcome = await withDeadline(sent, deps.publishDeadlineMs);
      const refused = outcome === true || outcome === DEADLINE_PASSED ? null : unpublishable(outcome);
      if (refused) {
        await log.markQuarantined(row.id, refused.detail);
        throw new HttpProblem(409, { detail: `Still cannot be published: ${refused.detail}` });
      }
      if (outcome !== true) {
        req.log.warn({ err: outcome === DEADLINE_PASSED ? 'deadline passed' : outcome, eventId: row.eventId }, 'replay not published');
        throw new HttpProblem(503, { detail: 'Kafka did not acknowledge the replay; retry later', headers: { 'retry-after': '5' } });
      }
      await log.markPublished(row.id);
      res.status(200).json({ replayed: true, id: String(row.id), eventId: row.eventId });
    });
  };
}
