import { HttpProblem } from '@orderflow/http';
import type { Express, RequestHandler } from 'express';
import { z } from 'zod';
import { redactPayload, redactString } from '../redact';
import { query, segment, type AdminClient } from '../upstream/admin-client';

const listQuery = z.object({
  source: z.enum(['stripe', 'wix']).optional(),
  status: z.enum(['received', 'published', 'ignored', 'failed', 'quarantined']).optional(),
  type: z.string().trim().min(1).max(200).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  /** An order ID or a provider event ID: both are looked up. */
  q: z.string().trim().min(1).max(200).optional(),
  cursor: z.string().regex(/^\d{1,18}$/).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const eventRow = z.looseObject({ id: z.string(), error: z.string().nullable().optional() });
const page = z.object({ items: z.array(eventRow), nextCursor: z.string().nullable() });
const id = z.string().regex(/^\d{1,18}$/, { message: 'must be an event log ID' });

export interface RouteDeps {
  admin: AdminClient;
  guard: RequestHandler[];
}

/** Error texts can quote a provider's answer; secret-shaped strings are masked in them too. */
function listed(row: z.infer<typeof eventRow>) {
  return { ...row, error: row.error ? redactString(row.error) : (row.error ?? null) };
}

/**
 * A quarantined event's body as support may see it: parsed, so secret-named fields are masked
 * like the payload's; a body that is not JSON (a Wix token, a broken document) is only sized.
 */
function bodyForSupport(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return `[${Buffer.byteLength(text)} bytes, not JSON: not shown here; the ingress admin API has it]`;
  }
}

/** Seed 001's webhook dashboard: the ingress's event log, an event's payload (redacted), replay. */
export function eventsRoutes(deps: RouteDeps): (app: Express) => void {
  return (app) => {
    app.get('/console/api/events', ...deps.guard, async (req, res) => {
      const parsed = listQuery.safeParse(req.query);
      if (!parsed.success) throw new HttpProblem(400, { detail: z.prettifyError(parsed.error) });
      const { q, ...filter } = parsed.data;
      if (!q) {
        const answer = page.parse(await deps.admin.get('ingress', `/admin/events${query(filter)}`));
        res.json({ items: answer.items.map(listed), nextCursor: answer.nextCursor });
        return;
      }
      // One box for "this order's webhooks" and "this provider event": both lookups, merged.
      const [byOrder, byEvent] = await Promise.all([
        deps.admin.get('ingress', `/admin/events${query({ ...filter, orderKey: q })}`),
        deps.admin.get('ingress', `/admin/events${query({ ...filter, eventId: q })}`),
      ]);
      const rows = new Map<string, z.infer<typeof eventRow>>();
      for (const row of [...page.parse(byOrder).items, ...page.parse(byEvent).items]) rows.set(row.id, row);
      const items = [...rows.values()].sort((a, b) => Number(BigInt(b.id) - BigInt(a.id))).map(listed);
      res.json({ items, nextCursor: null });
    });

    app.get('/console/api/events/:id', ...deps.guard, async (req, res) => {
      const eventId = id.safeParse(req.params.id);
      if (!eventId.success) throw new HttpProblem(400, { detail: z.prettifyError(eventId.error) });
      const { rawBody, ...event } = z.looseObject({ rawBody: z.string().optional() }).parse(await deps.admin.get('ingress', `/admin/events/${segment(eventId.data)}`));
      res.json(redactPayload(rawBody === undefined ? event : { ...event, rawBody: bodyForSupport(rawBody) }));
    });

    app.post('/console/api/events/:id/replay', ...deps.guard, async (req, res) => {
      const eventId = id.safeParse(req.params.id);
      if (!eventId.success) throw new HttpProblem(400, { detail: z.prettifyError(eventId.error) });
      const result = await deps.admin.post('ingress', `/admin/events/${segment(eventId.data)}/replay`);
      req.log.info({ eventLogId: eventId.data }, 'webhook event replayed from the console');
      res.json(result);
    });
  };
}
