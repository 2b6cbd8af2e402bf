import { apiKeyAuth, apiKeyLookup, HttpProblem, instanceOf, rawJson } from '@orderflow/http';
import { orderStatusSchema } from '@orderflow/events';
import type { Express } from 'express';
import { z } from 'zod';
import { ORDER_INCLUDE } from '../domain/order';
import type { ExternalOrderRecord, PrismaClient } from '../generated/prisma/client';
import { orderView, page } from './order-views';

export const statusQuery = z
  .object({ orderId: z.string().min(1).optional(), checkoutId: z.string().min(1).optional(), externalRef: z.string().min(1).optional() })
  .refine((q) => [q.orderId, q.checkoutId, q.externalRef].filter(Boolean).length === 1, { message: 'give exactly one of orderId, checkoutId, externalRef' });

export const listQuery = z.object({
  status: orderStatusSchema.optional(),
  cursor: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const trackBody = z.object({
  checkoutId: z.string().min(1).max(200),
  cartId: z.string().min(1).max(200).nullable().default(null),
  externalReference: z.string().min(1).max(200).nullable().default(null),
});

/**
 * Seed 000's ExternalOrderRecord as the shop sees it, without the row's own ID: a BigInt, which
 * `res.json` cannot serialize (a lookup that found a record answered 500), and meaningless
 * outside this service.
 */
function trackedView({ id: _id, ...record }: ExternalOrderRecord) {
  return record;
}

/**
 * The external API of seed 000, for a shop's own systems: order status by our order ID, the
 * provider checkout ID or the shop's external reference, and the instance's orders. Everything
 * is scoped to the API key's instance; another instance's order is a 404, indistinguishable
 * from one that does not exist.
 */
export function externalRoutes(deps: { prisma: () => PrismaClient | undefined }): (app: Express) => void {
  const prisma = () => deps.prisma()!;
  return (app) => {
    app.use('/external', apiKeyAuth(apiKeyLookup(deps.prisma)));

    app.get('/external/order/status', async (req, res) => {
      const query = statusQuery.safeParse(req.query);
      if (!query.success) throw new HttpProblem(400, { detail: z.prettifyError(query.error) });
      const instanceId = instanceOf(req);
      const { orderId, checkoutId, externalRef } = query.data;
      let id = orderId;
      if (!id) {
        // Orders first, then what the shop tracked before Wix had an order (POST /external/checkouts).
        const where = checkoutId ? { instanceId, checkoutId } : { instanceId, externalReference: externalRef };
        const order = await prisma().order.findFirst({ where, select: { id: true }, orderBy: { createdAt: 'desc' } });
        const record = order ? null : await prisma().externalOrderRecord.findFirst({ where, orderBy: { createdAt: 'desc' } });
        if (!order && !record) throw new HttpProblem(404, { detail: 'No such order' });
        if (record && !record.orderId) {
          // A tracked checkout that has no order yet answers with its record.
          res.json({ orderId: null, status: record.status, tracked: trackedView(record) });
          return;
        }
        id = order?.id ?? record!.orderId!;
      }
      const order = await prisma().order.findFirst({ where: { id, instanceId }, include: ORDER_INCLUDE });
      if (!order) throw new HttpProblem(404, { detail: 'No such order' });
      const tracked = await prisma().externalOrderRecord.findFirst({ where: { instanceId, orderId: order.id } });
      res.json({ orderId: order.id, status: order.status, order: orderView(order), tracked: tracked && trackedView(tracked) });
    });

    /**
     * seed 000's trackExternalCheckout: the shop tells us about a Wix checkout before Wix has an
     * order for it, with its own reference, so the status can be asked by that reference at once
     * and the order_created that follows completes this record instead of adding another.
     */
    app.post('/external/checkouts', rawJson({ limit: '10kb' }), async (req, res) => {
      const body = trackBody.safeParse(req.body);
      if (!body.success) throw new HttpProblem(400, { detail: z.prettifyError(body.error) });
      const instanceId = instanceOf(req);
      const existing = await prisma().externalOrderRecord.findFirst({ where: { instanceId, checkoutId: body.data.checkoutId } });
      if (existing) {
        res.status(200).json(trackedView(existing));
        return;
      }
      const record = await prisma().externalOrderRecord.create({ data: { instanceId, ...body.data, status: 'CHECKOUT_STARTED' } });
      res.status(201).json(trackedView(record));
    });

    app.get('/external/orders', async (req, res) => {
      const query = listQuery.safeParse(req.query);
      if (!query.success) throw new HttpProblem(400, { detail: z.prettifyError(query.error) });
      const { status, cursor, limit } = query.data;
      const rows = await prisma().order.findMany({
        where: { instanceId: instanceOf(req), status, ...(cursor ? { id: { lt: cursor } } : {}) },
        include: ORDER_INCLUDE,
        orderBy: { id: 'desc' },
        take: limit + 1,
      });
      const { items, nextCursor } = page(rows, limit);
      res.json({ items: items.map(orderView), nextCursor });
    });
  };
}
