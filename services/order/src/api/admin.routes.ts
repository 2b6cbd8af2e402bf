import { randomUUID } from 'node:crypto';
import type { OutboxRelay } from '@orderflow/db';
import { orderStatusSchema } from '@orderflow/events';
import { adminAuth, HttpProblem, onceStarted, rawJson } from '@orderflow/http';
import type { Express, Request } from 'express';
import { z } from 'zod';
import type { OrderBook } from '../data/order-book';
import { ORDER_INCLUDE, type Cause } from '../domain/order';
import type { Prisma, PrismaClient } from '../generated/prisma/client';
import type { StripeGateway } from '../adapters/stripe.gateway';
import type { Payments } from '../use-cases/payments';
import { orderView, page } from './order-views';

export interface AdminRouteDeps {
  token: string;
  prisma: () => PrismaClient | undefined;
  book: OrderBook;
  payments: Payments;
  stripe: StripeGateway | undefined;
  relay: () => OutboxRelay | undefined;
}

const isoDate = z.iso.datetime({ offset: true }).transform((value) => new Date(value));
/** Support's filters and search box, as `GET /admin/orders` parses them. */
export const adminOrdersQuery = z.object({
  status: orderStatusSchema.optional(),
  instanceId: z.string().min(1).optional(),
  email: z.string().min(1).optional(),
  /** Support's search box: an order ID or number, an email, an external or payment reference. */
  q: z.string().trim().min(1).max(200).optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
  cursor: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export const refundBody = z.object({ amountCents: z.number().int().positive().optional(), reason: z.string().max(500).optional() }).default({});
export const capacityBody = z.object({ capacity: z.number().int().min(0).max(10_000_000), instanceId: z.string().min(1).nullable().default(null) });

/**
 * What one search box matches, exactly (every column is unique or indexed, migration 0002;
 * the email compares case-insensitively, as the `email` filter does): our order ID, the Wix order number (with or without its '#'), the
 * shop's external reference, the Stripe PaymentIntent or Checkout Session, the cart or
 * checkout, or the customer's email in any case.
 */
function searchTerms(q: string): Prisma.OrderWhereInput[] {
  return [
    { id: q },
    { wixOrderNumber: q.replace(/^#/, '') },
    { externalReference: q },
    { providerCheckoutRef: q },
    { checkoutSessionId: q },
    { wixOrderId: q },
    { cartId: q },
    { checkoutId: q },
    { customerEmail: { equals: q, mode: 'insensitive' } },
  ];
}

/**
 * Support's API (bearer ADMIN_TOKEN; seeds 001 and 003): find orders, see one with its payments,
 * registrations and full transition history, and act — complete a pending order by hand, refund
 * through Stripe, retry a failed fulfillment. Actions go through the same state machine and
 * outbox as provider events, with an admin cause in the history.
 */
export function adminRoutes(deps: AdminRouteDeps): (app: Express) => void {
  const prisma = onceStarted(deps.prisma);
  const cause = (req: Request, kind: string): Cause => ({ kind, eventId: `${kind}:${randomUUID()}`, traceId: req.requestId });

  return (app) => {
    app.use('/admin', adminAuth(deps.token));

    app.get('/admin/orders', async (req, res) => {
      const query = adminOrdersQuery.safeParse(req.query);
      if (!query.success) throw new HttpProblem(400, { detail: z.prettifyError(query.error) });
      const { status, instanceId, email, q, from, to, cursor, limit } = query.data;
      const rows = await prisma().order.findMany({
        where: {
          status,
          instanceId,
          customerEmail: email ? { equals: email, mode: 'insensitive' } : undefined,
          createdAt: from || to ? { gte: from, lt: to } : undefined,
          ...(q ? { OR: searchTerms(q) } : {}),
          ...(cursor ? { id: { lt: cursor } } : {}),
        },
        include: ORDER_INCLUDE,
        orderBy: { id: 'desc' },
        take: limit + 1,
      });
      const { items, nextCursor } = page(rows, limit);
      res.json({ items: items.map(orderView), nextCursor });
    });

    app.get('/admin/orders/:id', async (req, res) => {
      const order = await prisma().order.findUnique({
        where: { id: String(req.params.id) },
        include: { ...ORDER_INCLUDE, payments: { orderBy: { id: 'asc' } }, transitions: { orderBy: { id: 'asc' } } },
      });
      if (!order) throw new HttpProblem(404, { detail: `No order ${String(req.params.id)}` });
      res.json({
        ...orderView(order),
        payments: order.payments.map(({ id, rawPayload: _raw, ...payment }) => ({ id: String(id), ...payment })),
        history: order.transitions.map(({ id, ...transition }) => ({ id: String(id), ...transition })),
      });
    });

    /** Seed 003's customer order history (`/account`): every order of one email, newest first. */
    app.get('/admin/customers/:email/orders', async (req, res) => {
      const rows = await prisma().order.findMany({
        where: { customerEmail: { equals: String(req.params.email), mode: 'insensitive' } },
        include: ORDER_INCLUDE,
        orderBy: { createdAt: 'desc' },
        take: 200,
      });
      res.json({ items: rows.map(orderView) });
    });

    app.get('/admin/payments/unmatched', async (_req, res) => {
      const rows = await prisma().payment.findMany({ where: { status: 'UNMATCHED' }, orderBy: { id: 'desc' }, take: 200 });
      res.json({ items: rows.map(({ id, ...payment }) => ({ id: String(id), ...payment })) });
    });

    /** Manual completion: a pending order paid outside any provider (seed 003's "complete"). */
    app.post('/admin/orders/:id/complete', async (req, res) => {
      const why = cause(req, 'admin.complete');
      const order = await prisma().$transaction(async (tx) => {
        const found = await deps.book.lock(tx, String(req.params.id));
        if (!found) throw new HttpProblem(404, { detail: `No order ${String(req.params.id)}` });
        if (found.status !== 'PENDING' && found.status !== 'FAILED') throw new HttpProblem(409, { detail: `The order is ${found.status}; only a pending or failed order can be completed` });
        await deps.payments.record(tx, found.id, { provider: 'manual', providerPaymentRef: why.eventId!, status: 'SUCCEEDED', amountCents: found.totalCents, currency: found.currency, raw: { by: 'admin' } }, why);
        return deps.payments.paid(tx, found, why);
      });
      deps.relay()?.notify();
      res.json(orderView(order));
    });

    /** Asks Stripe to refund; the order becomes REFUNDED when Stripe's charge.refunded arrives. */
    app.post('/admin/orders/:id/refund', rawJson({ limit: '10kb' }), async (req, res) => {
      const body = refundBody.safeParse(req.body ?? {});
      if (!body.success) throw new HttpProblem(400, { detail: z.prettifyError(body.error) });
      const order = await prisma().order.findUnique({ where: { id: String(req.params.id) } });
      if (!order) throw new HttpProblem(404, { detail: `No order ${String(req.params.id)}` });
      if (!['PAID', 'APPROVED', 'FULFILLED', 'PARTIALLY_REFUNDED'].includes(order.status)) throw new HttpProblem(409, { detail: `The order is ${order.status}; it cannot be refunded` });
      if (!order.providerCheckoutRef) throw new HttpProblem(409, { detail: 'The order has no Stripe payment to refund' });
      if (!deps.stripe) throw new HttpProblem(503, { detail: 'Refunds need STRIPE_SECRET_KEY' });
      const left = order.totalCents - order.refundedCents;
      if (body.data.amountCents !== undefined && body.data.amountCents > left) throw new HttpProblem(400, { detail: `At most ${left} cents are left to refund` });
      try {
        // One refund per (order, amount already refunded): a double click does not refund twice.
        const refund = await deps.stripe.refund(order.providerCheckoutRef, body.data.amountCents, `refund-${order.id}-${order.refundedCents}-${body.data.amountCents ?? 'rest'}`);
        req.log.info({ orderId: order.id, refundId: refund.id, reason: body.data.reason }, 'refund requested');
        res.status(202).json({ orderId: order.id, refundId: refund.id, status: refund.status });
      } catch (err) {
        req.log.warn({ err, orderId: order.id }, 'refund failed at Stripe');
        throw new HttpProblem(502, { detail: 'Stripe did not accept the refund; nothing was refunded' });
      }
    });

    /** Publishes order.ready_to_fulfill again for an approved order whose fulfillment failed. */
    app.post('/admin/orders/:id/retry-fulfillment', async (req, res) => {
      const why = cause(req, 'admin.retry_fulfillment');
      const order = await prisma().$transaction(async (tx) => {
        const found = await deps.book.lock(tx, String(req.params.id));
        if (!found) throw new HttpProblem(404, { detail: `No order ${String(req.params.id)}` });
        if (found.status !== 'APPROVED') throw new HttpProblem(409, { detail: `The order is ${found.status}; only an approved order awaits fulfillment` });
        // A new version gives the event a new ID: consumers must not skip it as a duplicate.
        await tx.order.update({ where: { id: found.id }, data: { version: { increment: 1 }, fulfillmentFailure: null, updatedAt: new Date() } });
        await tx.orderTransition.create({ data: { orderId: found.id, fromStatus: 'APPROVED', toStatus: 'APPROVED', applied: true, cause: why.kind, eventId: why.eventId, reason: 'fulfillment retried' } });
        const current = (await deps.book.reload(tx, found.id))!;
        await deps.book.announce(tx, ['order.ready_to_fulfill'], current, 'APPROVED', why, 'fulfillment retried');
        return current;
      });
      deps.relay()?.notify();
      res.status(202).json(orderView(order));
    });

    app.put('/admin/capacities/:key', rawJson({ limit: '10kb' }), async (req, res) => {
      const body = capacityBody.safeParse(req.body);
      if (!body.success) throw new HttpProblem(400, { detail: z.prettifyError(body.error) });
      const key = String(req.params.key);
      const row = await prisma().capacity.upsert({
        where: { key },
        create: { key, capacity: body.data.capacity, instanceId: body.data.instanceId },
        update: { capacity: body.data.capacity, updatedAt: new Date() },
      });
      res.json(row);
    });
  };
}
