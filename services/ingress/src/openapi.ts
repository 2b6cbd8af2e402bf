import { openApiDocument, type ApiOperation } from '@orderflow/http';
import { z } from 'zod';

/** What the ingress answers a verified webhook. */
export const webhookAnswerSchema = z.object({
  received: z.literal(true),
  /** The provider's event ID as logged (a digest, `sha256:…`, for a quarantined event whose ID is too long). */
  eventId: z.string(),
  outcome: z.enum(['published', 'duplicate', 'ignored', 'quarantined']),
  /** Why a quarantined event cannot be published. */
  reason: z.string().optional(),
});

/** A Stripe Event as Stripe posts it; the ingress reads `id`, `type`, `created` and `data.object`. */
const stripeEventSchema = z.looseObject({
  id: z.string().min(1),
  object: z.literal('event'),
  type: z.string().min(1),
  created: z.number().int(),
  data: z.looseObject({ object: z.looseObject({}) }),
});

const ANSWERS = {
  200: {
    description:
      'Durable in Kafka (`published`), already accepted (`duplicate`), a type Orderflow does not forward (`ignored`), or authentic but never publishable (`quarantined`, with a `reason`; kept for a replay from the console). Only a 503 asks the provider to retry.',
    schema: webhookAnswerSchema,
  },
};

/** The two doors providers knock on (seed 001 and seed 000). */
export const INGRESS_OPERATIONS: readonly ApiOperation[] = [
  {
    method: 'post',
    path: '/api/webhooks/stripe',
    operationId: 'receiveStripeWebhook',
    tag: 'Webhooks',
    security: 'stripeSignature',
    summary: 'Stripe webhooks: verified, deduplicated, durable in Kafka before the answer',
    description:
      'Register this URL in the Stripe Dashboard. Forwarded: payment_intent.succeeded, payment_intent.payment_failed, charge.refunded, charge.dispute.created, checkout.session.completed, checkout.session.expired. A refused signature is a 401; past `RATE_LIMIT_POINTS` refusals from one address, a 429.',
    body: { schema: stripeEventSchema },
    responses: ANSWERS,
    problems: [400, 429],
  },
  {
    method: 'post',
    path: '/api/webhooks/wix',
    operationId: 'receiveWixWebhook',
    tag: 'Webhooks',
    security: 'wixJwt',
    summary: 'Wix eCommerce order webhooks: the body is Wix’s RS256 JWT',
    description: 'Mounted when `WIX_PUBLIC_KEY` is set. Forwarded: wix.ecom.v1.order_created, _paid, _approved, _updated, _canceled, _fulfilled.',
    body: { schema: z.string().min(1), contentType: 'text/plain' },
    responses: ANSWERS,
    problems: [400, 429],
  },
];

export function ingressApiDocument(): Record<string, unknown> {
  return openApiDocument({
    title: 'Orderflow ingress',
    version: '1',
    description: 'Where Stripe and Wix deliver their webhooks. Nothing it answers 2xx is ever lost.',
    operations: INGRESS_OPERATIONS,
  });
}
