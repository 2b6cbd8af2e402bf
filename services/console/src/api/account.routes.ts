import { HttpProblem } from '@orderflow/http';
import type { Express } from 'express';
import { z } from 'zod';
import { verifyCustomerLink } from '../customer-link';
import type { AttemptLimiter } from '../session/attempt-limiter';
import { segment, type AdminClient } from '../upstream/admin-client';

const lineSchema = z.looseObject({ lineId: z.string(), productId: z.string(), name: z.string().nullable(), quantity: z.number(), unitAmountCents: z.number(), kind: z.string() });
const orderSchema = z.looseObject({
  orderId: z.string(),
  instanceId: z.string().nullable(),
  status: z.string(),
  currency: z.string(),
  totalCents: z.number(),
  refundedCents: z.number(),
  lines: z.array(lineSchema),
  references: z.looseObject({ wixOrderNumber: z.string().nullable() }),
  createdAt: z.string(),
});
const fulfillmentSchema = z.looseObject({
  status: z.string(),
  tickets: z.array(z.looseObject({ lineId: z.string(), seat: z.number(), code: z.string(), status: z.string(), qrPayload: z.string().nullable() })),
  licenses: z.array(z.looseObject({ lineId: z.string(), productId: z.string(), status: z.string(), key: z.string().nullable(), keyHint: z.string() })),
});

/** Orders whose fulfillment may have issued something the customer holds (or held). */
const FULFILLABLE = new Set(['APPROVED', 'FULFILLED', 'PARTIALLY_REFUNDED', 'REFUNDED', 'DISPUTED', 'CANCELLED']);
/** The newest orders shown with their tickets and keys; older ones list without them. */
const WITH_ITEMS = 50;

export interface AccountRouteDeps {
  admin: AdminClient;
  /** Unset: the history is not offered (503). */
  secret: string | undefined;
  limiter: AttemptLimiter;
}

/**
 * Seed 003's customer order history. The customer's signed link (from a mail) is the only
 * credential: it names one email and one shop, and the answer holds that email's orders at that
 * shop and nothing else — no other customer's, no other instance's. Completed orders come with
 * their tickets (codes and QR payloads) and license keys, fetched from fulfillment; revoked keys
 * and voided tickets are shown as such, never in full.
 */
export function accountRoutes(deps: AccountRouteDeps): (app: Express) => void {
  return (app) => {
    app.get('/account/api/orders', async (req, res) => {
      res.set({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
      if (!deps.secret) throw new HttpProblem(503, { detail: 'The order history is not available here' });
      const client = req.ip ?? 'unknown';
      const wait = deps.limiter.blockedFor(client);
      if (wait > 0) throw new HttpProblem(429, { detail: 'Too many invalid links; try again later', headers: { 'retry-after': String(Math.ceil(wait / 1000)) } });
      const token = /^Bearer (.+)$/i.exec(req.get('authorization') ?? '')?.[1] ?? '';
      const check = verifyCustomerLink(deps.secret, token);
      if (!check.ok) {
        // An expired link is an honest customer with an old mail; anything else counts as a guess.
        if (check.reason !== 'expired') deps.limiter.fail(client);
        throw new HttpProblem(401, {
          title: check.reason === 'expired' ? 'Link expired' : 'Invalid link',
          detail: check.reason === 'expired' ? 'This link has expired. Open the link in your most recent email from the shop.' : 'This link is not valid. Open the link in your email from the shop.',
          extensions: { reason: check.reason },
        });
      }
      const { email, instanceId, expiresAt } = check.claims;
      const answer = z.object({ items: z.array(orderSchema) }).parse(await deps.admin.get('order', `/admin/customers/${segment(email)}/orders`));
      // The order service matches the email across instances; the link is for one shop.
      const orders = answer.items.filter((o) => o.instanceId === instanceId);
      const items = await Promise.all(
        orders.map(async (order, index) => {
          const fulfillment = index < WITH_ITEMS && FULFILLABLE.has(order.status) ? await fulfillmentOf(deps.admin, order.orderId) : null;
          const names = new Map(order.lines.map((l) => [l.lineId, l.name ?? l.productId]));
          return {
            orderId: order.orderId,
            number: order.references.wixOrderNumber ? `#${order.references.wixOrderNumber}` : order.orderId,
            status: order.status,
            createdAt: order.createdAt,
            currency: order.currency,
            totalCents: order.totalCents,
            refundedCents: order.refundedCents,
            items: order.lines.map((l) => ({ name: l.name ?? l.productId, quantity: l.quantity, unitAmountCents: l.unitAmountCents })),
            tickets: (fulfillment?.tickets ?? []).map((t) => ({ name: names.get(t.lineId) ?? 'Ticket', seat: t.seat + 1, code: t.code, status: t.status, qrPayload: t.status === 'ISSUED' ? t.qrPayload : null })),
            licenses: (fulfillment?.licenses ?? []).map((l) => ({ name: names.get(l.lineId) ?? l.productId, status: l.status, key: l.status === 'ASSIGNED' ? l.key : null, keyHint: l.keyHint })),
          };
        }),
      );
      res.json({ email, expiresAt: new Date(expiresAt * 1000).toISOString(), orders: items });
    });
  };
}

async function fulfillmentOf(admin: AdminClient, orderId: string): Promise<z.infer<typeof fulfillmentSchema> | null> {
  const answer = await admin.raw('fulfillment', `/admin/orders/${segment(orderId)}/fulfillment?reveal=keys`);
  if (answer.status === 404) return null;
  if (answer.status !== 200) throw new HttpProblem(502, { detail: 'Your tickets and keys cannot be shown right now; try again in a minute' });
  return fulfillmentSchema.parse(JSON.parse(answer.text));
}
