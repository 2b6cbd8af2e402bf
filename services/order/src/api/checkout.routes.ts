import { apiKeyAuth, apiKeyLookup, HttpProblem, instanceOf, onceStarted, rawJson } from '@orderflow/http';
import { IDENTIFIER_LIMITS, lineKindSchema } from '@orderflow/events';
import type { Express } from 'express';
import { z } from 'zod';
import type { PrismaClient } from '../generated/prisma/client';
import type { OrderMetrics } from '../metrics';
import type { CheckoutService } from '../use-cases/checkout.service';
import { CheckoutError } from '../use-cases/start-checkout';

const id = z.string().min(1).max(200);
/** The status query: the cart the checkout was started for. */
export const checkoutStatusQuery = z.object({ cartId: id });

export const checkoutBody = z
  .object({
    cartId: id,
    currency: z.string().regex(/^[a-zA-Z]{3}$/, { message: 'must be an ISO 4217 code' }),
    customer: z.object({ email: z.email().max(IDENTIFIER_LIMITS.email).nullable().default(null), name: z.string().max(200).nullable().default(null) }).default({ email: null, name: null }),
    items: z
      .array(
        z.object({
          productId: id,
          name: z.string().max(200).nullable().default(null),
          quantity: z.number().int().min(1).max(1_000),
          unitAmountCents: z.number().int().min(0).max(100_000_000),
          kind: lineKindSchema,
          /** The event or session a ticket admits to; required for tickets. */
          capacityKey: id.nullable().default(null),
        }),
      )
      .min(1)
      .max(100),
    mode: z.enum(['payment_intent', 'checkout_session']).default('payment_intent'),
    successUrl: z.url().optional(),
    cancelUrl: z.url().optional(),
  })
  .refine((b) => b.items.every((item) => item.kind !== 'ticket' || item.capacityKey), { message: 'ticket items need a capacityKey', path: ['items'] })
  .refine((b) => b.mode !== 'checkout_session' || (b.successUrl && b.cancelUrl), { message: 'checkout_session needs successUrl and cancelUrl', path: ['mode'] })
  .refine((b) => b.items.reduce((sum, item) => sum + item.quantity * item.unitAmountCents, 0) > 0, { message: 'the total must be above zero', path: ['items'] });

/** Seed 002's checkout API, for the shop's backend (instance API key). */
export function checkoutRoutes(deps: { prisma: () => PrismaClient | undefined; checkout: () => CheckoutService | undefined; metrics: OrderMetrics }): (app: Express) => void {
  const service = onceStarted(deps.checkout);
  return (app) => {
    app.post('/api/checkout', apiKeyAuth(apiKeyLookup(deps.prisma)), rawJson({ limit: '100kb' }), async (req, res) => {
      const body = checkoutBody.safeParse(req.body);
      if (!body.success) throw new HttpProblem(400, { detail: z.prettifyError(body.error) });
      const { items, ...request } = body.data;
      const stop = deps.metrics.checkoutDuration.startTimer();
      try {
        const started = await service().start(instanceOf(req), { ...request, lines: items }, req.requestId);
        stop({ outcome: 'started' });
        res.status(201).json(started);
      } catch (err) {
        if (!(err instanceof CheckoutError)) throw err;
        stop({ outcome: err.status === 409 ? 'conflict' : 'failed' });
        throw new HttpProblem(err.status, { detail: err.message, extensions: err.extra, ...(err.status === 503 ? { headers: { 'retry-after': '5' } } : {}) });
      }
    });

    app.get('/api/checkout/status', apiKeyAuth(apiKeyLookup(deps.prisma)), async (req, res) => {
      const query = checkoutStatusQuery.safeParse(req.query);
      if (!query.success) throw new HttpProblem(400, { detail: 'cartId is required' });
      const found = await service().status(instanceOf(req), query.data.cartId);
      if (!found) throw new HttpProblem(404, { detail: 'No checkout for this cart' });
      const { lock, orderStatus } = found;
      res.json({
        lockId: lock.id,
        cartId: lock.cartId,
        state: lock.state,
        phase: lock.phase,
        phases: lock.phases,
        orderId: lock.orderId,
        orderStatus,
        lockedAt: lock.lockedAt.toISOString(),
        expiresAt: lock.expiresAt.toISOString(),
        completedAt: lock.completedAt?.toISOString() ?? null,
        error: lock.error,
      });
    });
  };
}
