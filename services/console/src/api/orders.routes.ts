import { HttpProblem, rawJson } from '@orderflow/http';
import type { Express, Request, RequestHandler } from 'express';
import { z } from 'zod';
import { signCustomerLink } from '../customer-link';
import { redactPayload, redactUrl } from '../redact';
import { query, segment, type AdminClient, type ServiceName } from '../upstream/admin-client';
import { deliverySchema, fulfillmentSchema, notificationSchema, orderDetailSchema, timelineOf, webhookSchema } from './order-timeline';

const ORDER_STATUSES = ['PENDING', 'PAID', 'APPROVED', 'FULFILLED', 'FAILED', 'CANCELLED', 'REFUNDED', 'PARTIALLY_REFUNDED', 'DISPUTED'] as const;
const listQuery = z.object({
  status: z.enum(ORDER_STATUSES).optional(),
  q: z.string().trim().min(1).max(200).optional(),
  cursor: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const orderId = z.string().min(1).max(200);
const refundBody = z.object({ amountCents: z.number().int().positive().optional(), reason: z.string().trim().max(500).optional() }).default({});
const notificationId = z.string().regex(/^\d{1,18}$/, { message: 'must be a notification ID' });
/** Support sends a customer a fresh link; a week is plenty to open it. */
const SUPPORT_LINK_TTL_MS = 7 * 24 * 3_600_000;

export interface OrderRouteDeps {
  admin: AdminClient;
  guard: RequestHandler[];
  customerLinkSecret: string | undefined;
}

function idOf(req: Request): string {
  const parsed = orderId.safeParse(req.params.id);
  if (!parsed.success) throw new HttpProblem(400, { detail: 'Not an order ID' });
  return parsed.data;
}

/**
 * Seed 003's admin orders: filter by status, search, and one order with everything every
 * service knows about it, in one timeline; complete, refund, retry a failed fulfillment. Each
 * part of the page comes from another service: one that does not answer leaves its part empty
 * and is named in `unavailable`, and the rest of the page still shows.
 */
export function ordersRoutes(deps: OrderRouteDeps): (app: Express) => void {
  const part = async <T>(service: ServiceName, load: () => Promise<T>, fallback: T, unavailable: Array<{ service: string; detail: string }>): Promise<T> => {
    try {
      return await load();
    } catch (err) {
      unavailable.push({ service, detail: err instanceof HttpProblem ? (err.detail ?? err.title) : 'did not answer as expected' });
      return fallback;
    }
  };

  return (app) => {
    app.get('/console/api/orders', ...deps.guard, async (req, res) => {
      const parsed = listQuery.safeParse(req.query);
      if (!parsed.success) throw new HttpProblem(400, { detail: z.prettifyError(parsed.error) });
      res.json(await deps.admin.get('order', `/admin/orders${query(parsed.data)}`));
    });

    app.get('/console/api/orders/:id', ...deps.guard, async (req, res) => {
      const id = idOf(req);
      const order = orderDetailSchema.parse(await deps.admin.get('order', `/admin/orders/${segment(id)}`));
      const unavailable: Array<{ service: string; detail: string }> = [];
      const [webhooks, fulfillment, notifications, deliveries] = await Promise.all([
        part('ingress', async () => z.object({ items: z.array(webhookSchema) }).parse(await deps.admin.get('ingress', `/admin/events${query({ orderKey: id, limit: 200 })}`)).items, [], unavailable),
        part(
          'fulfillment',
          async () => {
            const answer = await deps.admin.raw('fulfillment', `/admin/orders/${segment(id)}/fulfillment`);
            if (answer.status === 404) return null;
            if (answer.status !== 200) throw new HttpProblem(502, { detail: `The fulfillment service failed (${answer.status})` });
            return fulfillmentSchema.parse(JSON.parse(answer.text));
          },
          null,
          unavailable,
        ),
        part('notification', async () => z.object({ items: z.array(notificationSchema) }).parse(await deps.admin.get('notification', `/admin/notifications${query({ orderId: id, limit: 200 })}`)).items, [], unavailable),
        part('dispatch', async () => z.object({ items: z.array(deliverySchema) }).parse(await deps.admin.get('dispatch', `/admin/deliveries${query({ orderKey: id, limit: 200 })}`)).items, [], unavailable),
      ]);
      res.json({
        order: redactPayload(order),
        // The door scans the QR payload: whoever holds it gets in, so support sees the code only.
        fulfillment: fulfillment && { ...fulfillment, tickets: fulfillment.tickets.map(({ qrPayload: _qr, ...ticket }) => ticket) },
        webhooks: redactPayload(webhooks),
        notifications: redactPayload(notifications),
        deliveries: deliveries.map((d) => ({ ...(redactPayload(d) as object), url: d.url ? redactUrl(d.url) : null })),
        timeline: timelineOf({ order, webhooks, fulfillment, notifications, deliveries }),
        unavailable,
        customerLinks: Boolean(deps.customerLinkSecret),
      });
    });

    app.post('/console/api/orders/:id/complete', ...deps.guard, async (req, res) => {
      const id = idOf(req);
      const order = await deps.admin.post('order', `/admin/orders/${segment(id)}/complete`);
      req.log.info({ orderId: id }, 'order completed by hand from the console');
      res.json(order);
    });

    app.post('/console/api/orders/:id/refund', ...deps.guard, rawJson({ limit: '10kb' }), async (req, res) => {
      const id = idOf(req);
      const body = refundBody.safeParse(req.body ?? {});
      if (!body.success) throw new HttpProblem(400, { detail: z.prettifyError(body.error) });
      const refund = await deps.admin.post('order', `/admin/orders/${segment(id)}/refund`, body.data);
      req.log.info({ orderId: id, amountCents: body.data.amountCents ?? 'rest' }, 'refund requested from the console');
      res.status(202).json(refund);
    });

    app.post('/console/api/orders/:id/retry-fulfillment', ...deps.guard, async (req, res) => {
      const id = idOf(req);
      const order = await deps.admin.post('order', `/admin/orders/${segment(id)}/retry-fulfillment`);
      req.log.info({ orderId: id }, 'fulfillment retried from the console');
      res.status(202).json(order);
    });

    /** License keys in full, on an explicit request (POST: it is an act, and it is logged). */
    app.post('/console/api/orders/:id/license-keys', ...deps.guard, async (req, res) => {
      const id = idOf(req);
      const view = fulfillmentSchema.parse(await deps.admin.get('fulfillment', `/admin/orders/${segment(id)}/fulfillment${query({ reveal: 'keys' })}`));
      req.log.info({ orderId: id }, 'license keys shown in the console');
      res.set('cache-control', 'no-store').json({ licenses: view.licenses });
    });

    /** A fresh history link for the order's customer, for support to send when the mail is lost. */
    app.post('/console/api/orders/:id/customer-link', ...deps.guard, async (req, res) => {
      if (!deps.customerLinkSecret) throw new HttpProblem(409, { detail: 'Customer links need CUSTOMER_LINK_SECRET' });
      const id = idOf(req);
      const order = z.looseObject({ instanceId: z.string().nullable(), customer: z.object({ email: z.string().nullable() }) }).parse(await deps.admin.get('order', `/admin/orders/${segment(id)}`));
      const email = order.customer.email?.trim().toLowerCase();
      if (!email) throw new HttpProblem(409, { detail: 'The order has no customer email' });
      const expiresAt = Math.floor((Date.now() + SUPPORT_LINK_TTL_MS) / 1000);
      const token = signCustomerLink(deps.customerLinkSecret, { email, instanceId: order.instanceId, expiresAt });
      req.log.info({ orderId: id }, 'customer history link made in the console');
      res.set('cache-control', 'no-store').json({ url: `${req.protocol}://${req.host}/account#${token}`, expiresAt: new Date(expiresAt * 1000).toISOString() });
    });

    app.post('/console/api/notifications/:id/resend', ...deps.guard, async (req, res) => {
      const id = notificationId.safeParse(req.params.id);
      if (!id.success) throw new HttpProblem(400, { detail: z.prettifyError(id.error) });
      res.status(202).json(await deps.admin.post('notification', `/admin/notifications/${segment(id.data)}/resend`));
    });
  };
}
