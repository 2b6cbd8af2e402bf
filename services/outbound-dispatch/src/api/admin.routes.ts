import { adminAuth, HttpProblem, onceStarted, rawJson } from '@orderflow/http';
import type { Express } from 'express';
import { z } from 'zod';
import type { DeliveryAttempt, PrismaClient, Subscription } from '../generated/prisma/client';
import type { Dispatcher } from '../use-cases/dispatcher';
import { replay } from '../use-cases/replay';
import { resendDelivery } from '../use-cases/resend-delivery';
import { updateSubscription } from '../use-cases/update-subscription';
import { deliveryView, replayBody, view } from './subscriptions.routes';

export const subscriptionsQuery = z.object({ instanceId: z.string().min(1).optional() });
/** Support's delivery filters across instances, as `GET /admin/deliveries` parses them. */
export const adminDeliveriesQuery = z.object({
  status: z.enum(['PENDING', 'WAITING', 'DELIVERED', 'FAILED', 'HELD']).optional(),
  subscriptionId: z.string().min(1).optional(),
  instanceId: z.string().min(1).optional(),
  orderKey: z.string().min(1).optional(),
  cursor: z.string().regex(/^\d{1,18}$/).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export const activeBody = z.object({ active: z.boolean(), reason: z.string().trim().min(1).max(200).optional() });
export const adminDeliveryId = z.string().regex(/^\d{1,18}$/, { message: 'must be a delivery ID' }).transform(BigInt);

/** Attempts shown with each delivery of a list: enough to see a pattern, not a log. */
const ATTEMPTS_IN_LIST = 5;
/** The window of the success rate: recent enough to show today's trouble. */
const RATE_WINDOW_MS = 24 * 3_600_000;

export interface AdminRouteDeps {
  token: string;
  prisma: () => PrismaClient | undefined;
  dispatcher: () => Dispatcher | undefined;
}

function attemptView({ id, deliveryId: _delivery, at, ...attempt }: DeliveryAttempt) {
  return { id: String(id), at: at.toISOString(), ...attempt };
}

/**
 * Support's view of partner webhooks across every instance (bearer ADMIN_TOKEN): subscriptions
 * with their success rate, breaker and backlog, deliveries with their attempts (status, latency,
 * the start of the answer), and the shop's own levers — resend, replay a time range, enable or
 * disable. Secrets never leave the service: neither API shows a subscription's signing secret.
 */
export function adminRoutes(deps: AdminRouteDeps): (app: Express) => void {
  const prisma = onceStarted(deps.prisma);
  const parse = <T>(schema: z.ZodType<T>, input: unknown): T => {
    const result = schema.safeParse(input);
    if (!result.success) throw new HttpProblem(400, { detail: z.prettifyError(result.error) });
    return result.data;
  };
  const subscription = async (id: string): Promise<Subscription> => {
    const found = await prisma().subscription.findUnique({ where: { id } });
    if (!found) throw new HttpProblem(404, { detail: `No subscription ${id}` });
    return found;
  };
  const due = () => deps.dispatcher()?.notify();

  return (app) => {
    app.use('/admin', adminAuth(deps.token));

    app.get('/admin/subscriptions', async (req, res) => {
      const { instanceId } = parse(subscriptionsQuery, req.query);
      const rows = await prisma().subscription.findMany({ where: { instanceId }, orderBy: [{ instanceId: 'asc' }, { createdAt: 'asc' }] });
      const ids = rows.map((r) => r.id);
      const since = new Date(Date.now() - RATE_WINDOW_MS);
      const [counts, rates] = await Promise.all([
        prisma().$queryRawUnsafe<Array<{ subscription_id: string; status: string; n: bigint | number }>>(
          `SELECT subscription_id, status, count(*) AS n FROM deliveries WHERE subscription_id = ANY($1::text[]) GROUP BY 1, 2`,
          ids,
        ),
        prisma().$queryRawUnsafe<Array<{ subscription_id: string; attempts: bigint | number; ok: bigint | number; latency: number | null }>>(
          `SELECT d.subscription_id, count(*) AS attempts, count(*) FILTER (WHERE a.status_code BETWEEN 200 AND 299) AS ok, avg(a.latency_ms)::float8 AS latency
           FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id
           WHERE d.subscription_id = ANY($1::text[]) AND a.at >= $2 GROUP BY 1`,
          ids,
          since,
        ),
      ]);
      res.json({
        items: rows.map((row) => {
          const byStatus = Object.fromEntries(['PENDING', 'WAITING', 'DELIVERED', 'FAILED', 'HELD'].map((s) => [s, Number(counts.find((c) => c.subscription_id === row.id && c.status === s)?.n ?? 0)]));
          const rate = rates.find((r) => r.subscription_id === row.id);
          const attempts = Number(rate?.attempts ?? 0);
          return {
            ...view(row),
            instanceId: row.instanceId,
            failingSince: row.failingSince?.toISOString() ?? null,
            breaker: deps.dispatcher()?.breakerState(row.id) ?? 'closed',
            deliveries: { pending: byStatus.PENDING, waiting: byStatus.WAITING, delivered: byStatus.DELIVERED, failed: byStatus.FAILED, held: byStatus.HELD },
            // Of the attempts in the window, the share the partner answered 2xx; null with none.
            last24h: { attempts, succeeded: Number(rate?.ok ?? 0), successRate: attempts === 0 ? null : Number(rate?.ok ?? 0) / attempts, avgLatencyMs: rate?.latency == null ? null : Math.round(rate.latency) },
          };
        }),
      });
    });

    /** Enables (releasing what was held) or disables (holding what is pending) a subscription. */
    app.post('/admin/subscriptions/:id/active', rawJson({ limit: '10kb' }), async (req, res) => {
      const body = parse(activeBody, req.body);
      const current = await subscription(String(req.params.id));
      const { updated, released } = await updateSubscription(prisma(), current, { active: body.active }, body.reason ?? 'disabled by support');
      if (released) due();
      req.log.info({ subscriptionId: current.id, instanceId: current.instanceId, active: body.active }, 'subscription switched by support');
      res.json({ ...view(updated), instanceId: updated.instanceId });
    });

    app.post('/admin/subscriptions/:id/replay', rawJson({ limit: '10kb' }), async (req, res) => {
      const range = parse(replayBody, req.body ?? {});
      if (range.from && range.to && range.from >= range.to) throw new HttpProblem(400, { detail: '`from` must be before `to`' });
      const current = await subscription(String(req.params.id));
      const replayed = await replay(prisma(), current, range);
      due();
      res.status(202).json({ subscriptionId: current.id, replayed });
    });

    /** Newest first; each with its latest attempts, so a failing partner's answers are on one page. */
    app.get('/admin/deliveries', async (req, res) => {
      const { status, subscriptionId, instanceId, orderKey, cursor, limit } = parse(adminDeliveriesQuery, req.query);
      // Deliveries name their subscription only, so an instance is the set of its subscriptions.
      const ofInstance = instanceId
        ? (await prisma().subscription.findMany({ where: { instanceId, ...(subscriptionId ? { id: subscriptionId } : {}) }, select: { id: true } })).map((s) => s.id)
        : undefined;
      const rows = await prisma().delivery.findMany({
        where: { status, orderKey, subscriptionId: ofInstance ? { in: ofInstance } : subscriptionId, ...(cursor ? { id: { lt: BigInt(cursor) } } : {}) },
        orderBy: { id: 'desc' },
        take: limit + 1,
        include: { attemptLog: { orderBy: { id: 'desc' }, take: ATTEMPTS_IN_LIST } },
      });
      const page = rows.slice(0, limit);
      const subscriptions = await prisma().subscription.findMany({ where: { id: { in: [...new Set(page.map((d) => d.subscriptionId))] } }, select: { id: true, instanceId: true, url: true } });
      const byId = new Map(subscriptions.map((s) => [s.id, s]));
      res.json({
        items: page.map(({ attemptLog, ...d }) => ({
          ...deliveryView(d),
          instanceId: byId.get(d.subscriptionId)?.instanceId ?? null,
          url: byId.get(d.subscriptionId)?.url ?? null,
          attemptLog: attemptLog.map(attemptView),
        })),
        nextCursor: rows.length > limit ? String(page[page.length - 1].id) : null,
      });
    });

    app.get('/admin/deliveries/:id', async (req, res) => {
      const id = parse(adminDeliveryId, req.params.id);
      const delivery = await prisma().delivery.findUnique({ where: { id }, include: { attemptLog: { orderBy: { id: 'asc' } } } });
      if (!delivery) throw new HttpProblem(404, { detail: `No delivery ${String(id)}` });
      const { attemptLog, ...rest } = delivery;
      res.json({ ...deliveryView(rest), attempts: attemptLog.map(attemptView) });
    });

    app.post('/admin/deliveries/:id/resend', async (req, res) => {
      const id = parse(adminDeliveryId, req.params.id);
      const delivery = await prisma().delivery.findUnique({ where: { id } });
      if (!delivery) throw new HttpProblem(404, { detail: `No delivery ${String(id)}` });
      await resendDelivery(prisma(), delivery.id);
      due();
      req.log.info({ deliveryId: String(id), subscriptionId: delivery.subscriptionId }, 'delivery resent by support');
      res.status(202).json({ id: String(id), status: 'PENDING' });
    });
  };
}
