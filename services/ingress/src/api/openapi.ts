import { openApiDocument, type ApiOperation } from '@orderflow/http';
import { z } from 'zod';
import { eventIdParam, eventsQuery } from './admin.routes';

const iso = z.iso.datetime({ offset: true });
const eventParams = z.object({ id: eventIdParam });

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

/** A row of the event log, as the admin API lists it. */
export const loggedEventSchema = z.object({
  id: z.string(),
  source: z.enum(['stripe', 'wix']),
  eventId: z.string(),
  type: z.string(),
  /** The Kafka key the ingress gave it: our order ID, else the PaymentIntent's. */
  orderKey: z.string().nullable(),
  instanceId: z.string().nullable(),
  status: z.enum(['received', 'published', 'ignored', 'failed', 'quarantined']),
  /** Why it failed or is quarantined. */
  error: z.string().nullable(),
  attempts: z.number().int(),
  /** Deliveries of the same event after the first. */
  duplicates: z.number().int(),
  traceId: z.string(),
  occurredAt: iso,
  receivedAt: iso,
  updatedAt: iso,
  publishedAt: iso.nullable(),
  lastSeenAt: iso,
});

/** The two doors providers knock on (seed 001 and seed 000), and support's event log (bearer ADMIN_TOKEN). */
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
  {
    method: 'get',
    path: '/admin/events',
    operationId: 'listEvents',
    tag: 'Event log',
    security: 'adminToken',
    summary: 'The logged provider events, newest first, without their payloads',
    query: eventsQuery,
    responses: { 200: { description: 'A page; `nextCursor` fetches the next', schema: z.object({ items: z.array(loggedEventSchema), nextCursor: z.string().nullable() }) } },
    problems: [400],
  },
  {
    method: 'get',
    path: '/admin/events/:id',
    operationId: 'getEvent',
    tag: 'Event log',
    security: 'adminToken',
    summary: 'One logged event with its payload, and a quarantined event’s body as it arrived',
    params: eventParams,
    responses: {
      200: {
        description: 'The event',
        schema: loggedEventSchema.extend({
          /** JSON null for a quarantined event whose payload the log cannot hold as JSON (see `rawBody`). */
          payload: z.unknown(),
          /** A quarantined event's body (Stripe's JSON, Wix's JWT). */
          rawBody: z.string().optional(),
        }),
      },
    },
    problems: [404],
  },
  {
    method: 'post',
    path: '/admin/events/:id/replay',
    operationId: 'replayEvent',
    tag: 'Event log',
    security: 'adminToken',
    summary: 'Publishes a logged event again, with its original event ID',
    description:
      'Consumers that already handled it skip it (they deduplicate on the event ID); those that missed it catch up. A quarantined event is first read again from its stored body by today’s rules. An ignored event, or one that still cannot be published, is a 409.',
    params: eventParams,
    responses: { 200: { description: 'Durable in Kafka again', schema: z.object({ replayed: z.literal(true), id: z.string(), eventId: z.string() }) } },
    problems: [404, 409],
  },
];

export function ingressApiDocument(): Record<string, unknown> {
  return openApiDocument({
    title: 'Orderflow ingress',
    version: '1',
    description: 'Where Stripe and Wix deliver their webhooks (nothing it answers 2xx is ever lost), and support’s log of every event they delivered, with its replay.',
    operations: INGRESS_OPERATIONS,
  });
}
