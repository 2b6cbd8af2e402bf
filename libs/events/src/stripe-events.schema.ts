import { z } from 'zod';

/**
 * Stripe event payloads: the Stripe `Event` object as the ingress verified it. Validated loosely
 * (unknown fields pass through untouched) and only for what downstream needs: the event ID and
 * type, when it was created, and the object's ID and metadata, where the checkout put our order ID.
 * Stripe adds fields often; failing on them would dead-letter real payments.
 */
const stripeObjectSchema = z.looseObject({
  id: z.string().min(1),
  object: z.string().optional(),
  // Checkout Sessions may carry null metadata; PaymentIntents, Charges and Disputes always have one.
  metadata: z.record(z.string(), z.string()).nullable(),
});

export function stripeEventSchema<const T extends string>(type: T) {
  return z.looseObject({
    id: z.string().min(1),
    object: z.literal('event').optional(),
    type: z.literal(type),
    created: z.number().int().nonnegative(),
    livemode: z.boolean().optional(),
    data: z.looseObject({ object: stripeObjectSchema }),
  });
}

export const stripeEventTypes = [
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'charge.refunded',
  'charge.dispute.created',
  'checkout.session.completed',
  'checkout.session.expired',
] as const;

export type StripeEventType = (typeof stripeEventTypes)[number];
export type StripeEventPayload = z.infer<ReturnType<typeof stripeEventSchema<StripeEventType>>>;
