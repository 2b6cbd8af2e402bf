import { HttpProblem, rawJson } from '@orderflow/http';
import type { Express, Request, RequestHandler } from 'express';
import { z } from 'zod';
import { redactPayload, redactUrl } from '../redact';
import { query, segment, type AdminClient } from '../upstream/admin-client';

const deliveriesQuery = z.object({
  status: z.enum(['PENDING', 'WAITING', 'DELIVERED', 'FAILED', 'HELD']).optional(),
  subscriptionId: z.string().min(1).max(200).optional(),
  instanceId: z.string().min(1).max(200).optional(),
  cursor: z.string().regex(/^\d{1,18}$/).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const replayBody = z.object({ from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }), eventType: z.string().trim().min(1).max(200).optional() });
const activeBody = z.object({ active: z.boolean() });
const subscriptionId = z.string().min(1).max(200);
const deliveryId = z.string().regex(/^\d{1,18}$/, { message: 'must be a delivery ID' });
const withUrl = z.looseObject({ url: z.string().nullable().optional() });

export interface PartnerRouteDeps {
  admin: AdminClient;
  guard: RequestHandler[];
}

/** A subscription or delivery for the browser: its URL's credentials masked, secret-named fields redacted. */
function shown(row: unknown): unknown {
  const parsed = withUrl.parse(row);
  return { ...(redactPayload(parsed) as object), url: parsed.url ? redactUrl(parsed.url) : null };
}

function param<T>(schema: z.ZodType<T>, req: Request, name: string): T {
  const parsed = schema.safeParse(req.params[name]);
  if (!parsed.success) throw new HttpProblem(400, { detail: z.prettifyError(parsed.error) });
  return parsed.data;
}

/** Partners: subscriptions per instance with success rate and breaker, deliveries and their attempts, and the levers. */
export function partnersRoutes(deps: PartnerRouteDeps): (app: Express) => void {
  return (app) => {
    app.get('/console/api/partners', ...deps.guard, async (_req, res) => {
      const answer = z.object({ items: z.array(z.unknown()) }).parse(await deps.admin.get('dispatch', '/admin/subscriptions'));
      res.json({ items: answer.items.map(shown) });
    });

    app.get('/console/api/partners/deliveries', ...deps.guard, async (req, res) => {
      const parsed = deliveriesQuery.safeParse(req.query);
      if (!parsed.success) throw new HttpProblem(400, { detail: z.prettifyError(parsed.error) });
      const answer = z.object({ items: z.array(z.unknown()), nextCursor: z.string().nullable() }).parse(await deps.admin.get('dispatch', `/admin/deliveries${query(parsed.data)}`));
      res.json({ items: answer.items.map(shown), nextCursor: answer.nextCursor });
    });

    app.get('/console/api/partners/deliveries/:id', ...deps.guard, async (req, res) => {
      const id = param(deliveryId, req, 'id');
      res.json(redactPayload(await deps.admin.get('dispatch', `/admin/deliveries/${segment(id)}`)));
    });

    app.post('/console/api/partners/deliveries/:id/resend', ...deps.guard, async (req, res) => {
      const id = param(deliveryId, req, 'id');
      const result = await deps.admin.post('dispatch', `/admin/deliveries/${segment(id)}/resend`);
      req.log.info({ deliveryId: id }, 'partner delivery resent from the console');
      res.status(202).json(result);
    });

    app.post('/console/api/partners/:id/replay', ...deps.guard, rawJson({ limit: '10kb' }), async (req, res) => {
      const id = param(subscriptionId, req, 'id');
      const body = replayBody.safeParse(req.body);
      if (!body.success) throw new HttpProblem(400, { detail: z.prettifyError(body.error) });
      const result = await deps.admin.post('dispatch', `/admin/subscriptions/${segment(id)}/replay`, body.data);
      req.log.info({ subscriptionId: id, from: body.data.from, to: body.data.to }, 'partner replay from the console');
      res.status(202).json(result);
    });

    app.post('/console/api/partners/:id/active', ...deps.guard, rawJson({ limit: '10kb' }), async (req, res) => {
      const id = param(subscriptionId, req, 'id');
      const body = activeBody.safeParse(req.body);
      if (!body.success) throw new HttpProblem(400, { detail: z.prettifyError(body.error) });
      const result = await deps.admin.post('dispatch', `/admin/subscriptions/${segment(id)}/active`, { active: body.data.active, ...(body.data.active ? {} : { reason: 'disabled from the console' }) });
      res.json(shown(result));
    });
  };
}
