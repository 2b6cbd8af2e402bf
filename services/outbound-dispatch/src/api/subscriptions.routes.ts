import { randomUUID } from 'node:crypto';
import { apiKeyAuth, apiKeyLookup, HttpProblem, instanceOf, rawJson } from '@orderflow/http';
import type { Express, Request } from 'express';
import { isKnownPattern, PARTNER_EVENT_ALIASES, PARTNER_EVENT_TYPES } from '@orderflow/events';
import { z } from 'zod';
import type { PrismaClient, Subscription } from '../generated/prisma/client';
import { newSecret } from '../adapters/signer';
import { UnsafeDestinationError, type OutboundPolicy } from '../adapters/url-safety';
import type { Dispatcher } from '../use-cases/dispatcher';
import { replay } from '../use-cases/replay';
import { resendDelivery } from '../use-cases/resend-delivery';
import { updateSubscription } from '../use-cases/update-subscription';

const KNOWN = [...PARTNER_EVENT_TYPES, ...Object.keys(PARTNER_EVENT_ALIASES)].join(', ');
/** An event we send (docs/WEBHOOKS.md), a seed's name for one, a family like `order.*`, or `*`. */
const eventPattern = z.string().max(100).refine(isKnownPattern, { message: `not an event we send; one of ${KNOWN}, a family like order.*, or *` });
const eventList = z.array(eventPattern).min(1).max(50);
/**
 * The event filters go by two names: `eventTypes`, this API's own, and `events`, as seeds 000
 * and 004 (the shops' own integrations) send them. Either is taken, or both when they are the
 * same list; the answer carries both.
 */
const eventFields = { eventTypes: eventList.optional(), events: eventList.optional() };
export const createBody = z
  .object({
    url: z.string().min(1).max(2_000),
    ...eventFields,
    description: z.string().max(500).nullable().default(null),
    ordered: z.boolean().default(false),
    /** false registers it disabled: what matches is held until it is enabled. */
    active: z.boolean().default(true),
  })
  .superRefine(oneEventList(true))
  .transform(({ events, eventTypes, ...rest }) => ({ ...rest, eventTypes: (eventTypes ?? events)! }));
export const patchBody = z
  .object({
    url: z.string().min(1).max(2_000).optional(),
    ...eventFields,
    description: z.string().max(500).nullable().optional(),
    ordered: z.boolean().optional(),
    /** true re-enables a disabled subscription and releases what it missed while disabled. */
    active: z.boolean().optional(),
  })
  .superRefine(oneEventList(false))
  .transform(({ events, eventTypes, ...rest }) => ({ ...rest, ...(eventTypes || events ? { eventTypes: (eventTypes ?? events)! } : {}) }));

function oneEventList(required: boolean) {
  return (body: { eventTypes?: string[]; events?: string[] }, ctx: z.RefinementCtx): void => {
    const { eventTypes, events } = body;
    if (eventTypes && events && JSON.stringify(eventTypes) !== JSON.stringify(events)) {
      ctx.addIssue({ code: 'custom', path: ['events'], message: '`events` and `eventTypes` are two names for the same list and differ here: send one of them' });
    } else if (required && !eventTypes && !events) {
      ctx.addIssue({ code: 'custom', path: ['events'], message: 'the event types to receive are required, as `events` (or `eventTypes`): a list like ["order.paid", "order.*"] or ["*"]' });
    }
  };
}
const isoDate = z.iso.datetime({ offset: true }).transform((value) => new Date(value));
export const deliveriesQuery = z.object({
  status: z.enum(['PENDING', 'DELIVERED', 'FAILED', 'HELD']).optional(),
  eventType: z.string().min(1).optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
  cursor: z.string().regex(/^\d{1,18}$/, { message: 'must be a row ID from a previous page' }).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export const replayBody = z.object({ from: isoDate.optional(), to: isoDate.optional(), eventType: z.string().min(1).optional() }).default({});

const DISABLED_BY_INSTANCE = 'disabled by the instance';

/** How long the old secret keeps signing after a rotation. */
const ROTATION_GRACE_MS = 24 * 3_600_000;

export function view(s: Subscription) {
  return {
    id: s.id,
    url: s.url,
    description: s.description,
    eventTypes: s.eventTypes,
    events: s.eventTypes,
    ordered: s.ordered,
    active: s.active,
    disabledReason: s.disabledReason,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}

/**
 * Partner subscriptions (seed 000's ExternalWebhook) and their deliveries, per instance API key:
 * one instance never sees or triggers another's subscriptions (404, as for none).
 */
export function subscriptionRoutes(deps: { prisma: () => PrismaClient | undefined; policy: OutboundPolicy; dispatcher: () => Dispatcher | undefined }): (app: Express) => void {
  const prisma = () => deps.prisma()!;
  const safeUrl = (raw: string): string => {
    try {
      return deps.policy.check(raw).toString();
    } catch (err) {
      if (err instanceof UnsafeDestinationError) throw new HttpProblem(422, { detail: err.message });
      throw err;
    }
  };
  const owned = async (req: Request): Promise<Subscription> => {
    const subscription = await prisma().subscription.findUnique({ where: { id: String(req.params.id) } });
    if (!subscription || subscription.instanceId !== instanceOf(req)) throw new HttpProblem(404, { detail: 'No such subscription' });
    return subscription;
  };
  const due = () => deps.dispatcher()?.notify();

  return (app) => {
    app.use('/external/webhooks', apiKeyAuth(apiKeyLookup(deps.prisma)));
    app.use('/external/deliveries', apiKeyAuth(apiKeyLookup(deps.prisma)));

    app.post('/external/webhooks', rawJson({ limit: '20kb' }), async (req, res) => {
      const body = createBody.safeParse(req.body);
      if (!body.success) throw new HttpProblem(400, { detail: z.prettifyError(body.error) });
      const secret = newSecret();
      const created = await prisma().subscription.create({
        data: { id: `sub_${randomUUID()}`, instanceId: instanceOf(req), ...body.data, url: safeUrl(body.data.url), secret, disabledReason: body.data.active ? null : DISABLED_BY_INSTANCE },
      });
      // The secret is shown once, here; afterwards only rotation gives a new one.
      res.status(201).json({ ...view(created), secret });
    });

    app.get('/external/webhooks', async (req, res) => {
      const rows = await prisma().subscription.findMany({ where: { instanceId: instanceOf(req) }, orderBy: { createdAt: 'asc' } });
      res.json({ items: rows.map(view) });
    });

    app.get('/external/webhooks/:id', async (req, res) => {
      res.json(view(await owned(req)));
    });

    app.patch('/external/webhooks/:id', rawJson({ limit: '20kb' }), async (req, res) => {
      const current = await owned(req);
      const body = patchBody.safeParse(req.body);
      if (!body.success) throw new HttpProblem(400, { detail: z.prettifyError(body.error) });
      const { url, ...rest } = body.data;
      const { updated, released } = await updateSubscription(prisma(), current, { ...rest, ...(url ? { url: safeUrl(url) } : {}) }, DISABLED_BY_INSTANCE);
      if (released) due();
      res.json(view(updated));
    });

    app.delete('/external/webhooks/:id', async (req, res) => {
      const current = await owned(req);
      await prisma().$transaction(async (tx) => {
        // Locked first: a delivery being sent right now has its attempt recorded before this
        // goes on, or after it and then not at all, never between the deletes below.
        await tx.$executeRaw`SELECT 1 FROM subscriptions WHERE id = ${current.id} FOR UPDATE`;
        await tx.$executeRaw`SELECT 1 FROM deliveries WHERE subscription_id = ${current.id} FOR UPDATE`;
        await tx.deliveryAttempt.deleteMany({ where: { delivery: { subscriptionId: current.id } } });
        await tx.delivery.deleteMany({ where: { subscriptionId: current.id } });
        await tx.subscription.delete({ where: { id: current.id } });
      });
      res.status(204).end();
    });

    /** A new secret; the old one keeps signing alongside it for 24 h, so partners can switch. */
    app.post('/external/webhooks/:id/rotate-secret', async (req, res) => {
      const current = await owned(req);
      const secret = newSecret();
      await prisma().subscription.update({
        where: { id: current.id },
        data: { secret, previousSecret: current.secret, previousExpiresAt: new Date(Date.now() + ROTATION_GRACE_MS), updatedAt: new Date() },
      });
      res.json({ id: current.id, secret, previousSecretExpiresAt: new Date(Date.now() + ROTATION_GRACE_MS).toISOString() });
    });

    /** A `webhook.test` ping through the normal delivery path (signed, retried, logged). */
    app.post('/external/webhooks/:id/test', async (req, res) => {
      const current = await owned(req);
      const eventId = `msg_test_${randomUUID()}`;
      const occurredAt = new Date();
      await prisma().$transaction([
        prisma().event.create({
          data: { id: eventId, type: 'webhook.test', instanceId: current.instanceId, orderKey: eventId, occurredAt, body: { type: 'webhook.test', timestamp: occurredAt.toISOString(), data: { subscriptionId: current.id } } },
        }),
        prisma().delivery.create({ data: { subscriptionId: current.id, eventId, eventType: 'webhook.test', orderKey: eventId, status: current.active ? 'PENDING' : 'HELD', nextAttemptAt: occurredAt } }),
      ]);
      due();
      res.status(202).json({ eventId });
    });

    app.get('/external/webhooks/:id/deliveries', async (req, res) => {
      const current = await owned(req);
      const query = deliveriesQuery.safeParse(req.query);
      if (!query.success) throw new HttpProblem(400, { detail: z.prettifyError(query.error) });
      const { status, eventType, from, to, cursor, limit } = query.data;
      const rows = await prisma().delivery.findMany({
        where: { subscriptionId: current.id, status, eventType, createdAt: from || to ? { gte: from, lt: to } : undefined, ...(cursor ? { id: { lt: BigInt(cursor) } } : {}) },
        orderBy: { id: 'desc' },
        take: limit + 1,
      });
      const items = rows.slice(0, limit);
      res.json({ items: items.map(deliveryView), nextCursor: rows.length > limit ? String(items[items.length - 1].id) : null });
    });

    /**
     * Everything the subscription could have received in a time range or of a type, delivered
     * again (or for the first time, for events from before it existed) with the original IDs.
     */
    app.post('/external/webhooks/:id/replay', rawJson({ limit: '10kb' }), async (req, res) => {
      const current = await owned(req);
      const body = replayBody.safeParse(req.body ?? {});
      if (!body.success) throw new HttpProblem(400, { detail: z.prettifyError(body.error) });
      const replayed = await replay(prisma(), current, body.data);
      due();
      res.status(202).json({ replayed });
    });

    app.get('/external/deliveries/:deliveryId', async (req, res) => {
      const delivery = await findOwnedDelivery(req);
      const attempts = await prisma().deliveryAttempt.findMany({ where: { deliveryId: delivery.id }, orderBy: { id: 'asc' } });
      res.json({ ...deliveryView(delivery), attempts: attempts.map(({ id, deliveryId: _d, at, ...a }) => ({ id: String(id), at: at.toISOString(), ...a })) });
    });

    app.post('/external/deliveries/:deliveryId/resend', async (req, res) => {
      const delivery = await findOwnedDelivery(req);
      await resendDelivery(prisma(), delivery.id);
      due();
      res.status(202).json({ id: String(delivery.id), status: 'PENDING' });
    });
  };

  async function findOwnedDelivery(req: Request) {
    const raw = String(req.params.deliveryId);
    const delivery = /^\d{1,18}$/.test(raw) ? await prisma().delivery.findUnique({ where: { id: BigInt(raw) } }) : null;
    const subscription = delivery ? await prisma().subscription.findUnique({ where: { id: delivery.subscriptionId } }) : null;
    if (!delivery || !subscription || subscription.instanceId !== instanceOf(req)) throw new HttpProblem(404, { detail: 'No such delivery' });
    return delivery;
  }
}

export function deliveryView(d: { id: bigint; subscriptionId: string; eventId: string; eventType: string; orderKey: string; status: string; attempts: number; nextAttemptAt: Date; lastStatus: number | null; lastError: string | null; createdAt: Date; deliveredAt: Date | null }) {
  return {
    id: String(d.id),
    subscriptionId: d.subscriptionId,
    eventId: d.eventId,
    eventType: d.eventType,
    orderKey: d.orderKey,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.nextAttemptAt.toISOString(),
    lastStatus: d.lastStatus,
    lastError: d.lastError,
    createdAt: d.createdAt.toISOString(),
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
  };
}
