import { eventCatalog, PARTNER_EVENT_ALIASES, PARTNER_EVENT_TYPES } from '@orderflow/events';
import { openApiDocument, sharedAdminOperations, type ApiOperation, type ApiWebhook } from '@orderflow/http';
import { z } from 'zod';
import { activeBody, adminDeliveriesQuery, adminDeliveryId, subscriptionsQuery } from './admin.routes';
import { createBody, deliveriesQuery, patchBody, replayBody } from './subscriptions.routes';

const iso = z.iso.datetime({ offset: true });
const subscriptionId = z.object({ id: z.string().min(1).describe('A subscription ID (`sub_…`)') });
const deliveryId = z.object({ deliveryId: z.string().regex(/^\d{1,18}$/).describe('A delivery ID') });

export const subscriptionSchema = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string().nullable(),
  eventTypes: z.array(z.string()),
  /** The same list, under the seeds' name for it. */
  events: z.array(z.string()),
  ordered: z.boolean(),
  active: z.boolean(),
  disabledReason: z.string().nullable(),
  createdAt: iso,
  updatedAt: iso,
});

export const deliverySchema = z.object({
  id: z.string(),
  subscriptionId: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  orderKey: z.string(),
  status: z.enum(['PENDING', 'WAITING', 'DELIVERED', 'FAILED', 'HELD']),
  attempts: z.number().int(),
  nextAttemptAt: iso,
  lastStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
  createdAt: iso,
  deliveredAt: iso.nullable(),
});

const attemptSchema = z.object({ id: z.string(), at: iso, statusCode: z.number().int().nullable(), latencyMs: z.number().int(), response: z.string().nullable(), error: z.string().nullable() });

/** A subscription as support sees it: its instance, breaker, backlog and last day's success. */
export const supportSubscriptionSchema = subscriptionSchema.extend({
  instanceId: z.string(),
  failingSince: iso.nullable(),
  breaker: z.enum(['closed', 'open', 'half-open']),
  deliveries: z.object({ pending: z.number().int(), waiting: z.number().int(), delivered: z.number().int(), failed: z.number().int(), held: z.number().int() }),
  /** Of the attempts in the last 24 hours, the share the partner answered 2xx; null with none. */
  last24h: z.object({ attempts: z.number().int(), succeeded: z.number().int(), successRate: z.number().nullable(), avgLatencyMs: z.number().int().nullable() }),
});

const TAG = 'Partner webhooks';
const SUPPORT_TAG = 'Support';
const EXAMPLE_URL = 'https://partner.example.com/orderflow';

/** The partner API (seeds 000 and 004) and support's (bearer ADMIN_TOKEN), each route with the schema it validates with. */
export const DISPATCH_OPERATIONS: readonly ApiOperation[] = [
  {
    method: 'post',
    path: '/external/webhooks',
    operationId: 'createSubscription',
    tag: TAG,
    security: 'apiKey',
    summary: 'Register an endpoint for events; the answer holds its signing secret, once',
    description: 'Send the events as `events` (the seeds’ name) or `eventTypes`. `ordered: true` delivers one order’s events in the order they happened. The URL must be public HTTPS (or an allowed host).',
    body: { schema: createBody, example: { url: EXAMPLE_URL, events: ['order.paid', 'order.refunded'], active: true } },
    responses: { 201: { description: 'Registered; `secret` (whsec_…) is shown only here', schema: subscriptionSchema.extend({ secret: z.string() }) } },
    problems: [422],
  },
  {
    method: 'get',
    path: '/external/webhooks',
    operationId: 'listSubscriptions',
    tag: TAG,
    security: 'apiKey',
    summary: 'The instance’s subscriptions',
    responses: { 200: { description: 'Oldest first', schema: z.object({ items: z.array(subscriptionSchema) }) } },
  },
  {
    method: 'get',
    path: '/external/webhooks/:id',
    operationId: 'getSubscription',
    tag: TAG,
    security: 'apiKey',
    summary: 'One subscription',
    params: subscriptionId,
    responses: { 200: { description: 'The subscription', schema: subscriptionSchema } },
    problems: [404],
  },
  {
    method: 'patch',
    path: '/external/webhooks/:id',
    operationId: 'updateSubscription',
    tag: TAG,
    security: 'apiKey',
    summary: 'Change its URL, events, ordering, or switch it off and on',
    description: '`active: true` re-enables a disabled subscription and delivers what it missed while off, in order, with the original IDs.',
    params: subscriptionId,
    body: { schema: patchBody, example: { active: false } },
    responses: { 200: { description: 'As it is now', schema: subscriptionSchema } },
    problems: [404, 422],
  },
  {
    method: 'delete',
    path: '/external/webhooks/:id',
    operationId: 'deleteSubscription',
    tag: TAG,
    security: 'apiKey',
    summary: 'Unregister it, with its deliveries',
    params: subscriptionId,
    responses: { 204: { description: 'Gone' } },
    problems: [404],
  },
  {
    method: 'post',
    path: '/external/webhooks/:id/rotate-secret',
    operationId: 'rotateSubscriptionSecret',
    tag: TAG,
    security: 'apiKey',
    summary: 'A new signing secret; the old one keeps signing beside it for 24 hours',
    params: subscriptionId,
    responses: { 200: { description: 'The new secret, shown once', schema: z.object({ id: z.string(), secret: z.string(), previousSecretExpiresAt: iso }) } },
    problems: [404],
  },
  {
    method: 'post',
    path: '/external/webhooks/:id/test',
    operationId: 'testSubscription',
    tag: TAG,
    security: 'apiKey',
    summary: 'Send a signed `webhook.test` event through the normal delivery path',
    params: subscriptionId,
    responses: { 202: { description: 'Queued', schema: z.object({ eventId: z.string() }) } },
    problems: [404],
  },
  {
    method: 'get',
    path: '/external/webhooks/:id/deliveries',
    operationId: 'listDeliveries',
    tag: TAG,
    security: 'apiKey',
    summary: 'The subscription’s deliveries, newest first',
    params: subscriptionId,
    query: deliveriesQuery,
    responses: { 200: { description: 'A page; `nextCursor` fetches the next', schema: z.object({ items: z.array(deliverySchema), nextCursor: z.string().nullable() }) } },
    problems: [400, 404],
  },
  {
    method: 'post',
    path: '/external/webhooks/:id/replay',
    operationId: 'replayDeliveries',
    tag: TAG,
    security: 'apiKey',
    summary: 'Deliver again (or for the first time) everything of a time range or type, with the original IDs',
    params: subscriptionId,
    body: { schema: replayBody, example: { from: '2026-11-22T00:00:00Z', to: '2026-11-23T00:00:00Z' } },
    responses: { 202: { description: 'How many deliveries were queued', schema: z.object({ replayed: z.number().int() }) } },
    problems: [404],
  },
  {
    method: 'get',
    path: '/external/deliveries/:deliveryId',
    operationId: 'getDelivery',
    tag: TAG,
    security: 'apiKey',
    summary: 'One delivery with every attempt: status, latency, the start of your answer',
    params: deliveryId,
    responses: { 200: { description: 'The delivery', schema: deliverySchema.extend({ attempts: z.array(attemptSchema) }) } },
    problems: [404],
  },
  {
    method: 'post',
    path: '/external/deliveries/:deliveryId/resend',
    operationId: 'resendDelivery',
    tag: TAG,
    security: 'apiKey',
    summary: 'Send one delivery again, with a fresh attempt budget',
    params: deliveryId,
    responses: { 202: { description: 'Queued', schema: z.object({ id: z.string(), status: z.literal('PENDING') }) } },
    problems: [404],
  },
  {
    method: 'get',
    path: '/admin/subscriptions',
    operationId: 'listAllSubscriptions',
    tag: SUPPORT_TAG,
    security: 'adminToken',
    summary: 'Every instance’s subscriptions with their breaker, backlog and last day’s success rate and latency',
    query: subscriptionsQuery,
    responses: { 200: { description: 'By instance, oldest first', schema: z.object({ items: z.array(supportSubscriptionSchema) }) } },
    problems: [400],
  },
  {
    method: 'post',
    path: '/admin/subscriptions/:id/active',
    operationId: 'setSubscriptionActive',
    tag: SUPPORT_TAG,
    security: 'adminToken',
    summary: 'Enables a subscription (releasing what was held) or disables it (holding what is pending)',
    params: subscriptionId,
    body: { schema: activeBody, example: { active: false, reason: 'partner asked for a pause' } },
    responses: { 200: { description: 'The subscription', schema: subscriptionSchema.extend({ instanceId: z.string() }) } },
    problems: [404],
  },
  {
    method: 'post',
    path: '/admin/subscriptions/:id/replay',
    operationId: 'replaySubscription',
    tag: SUPPORT_TAG,
    security: 'adminToken',
    summary: 'Delivers again everything of a time range or type to one subscription, with the original IDs',
    params: subscriptionId,
    body: { schema: replayBody, example: { from: '2026-11-22T00:00:00Z', to: '2026-11-23T00:00:00Z' } },
    responses: { 202: { description: 'How many deliveries were queued', schema: z.object({ subscriptionId: z.string(), replayed: z.number().int() }) } },
    problems: [404],
  },
  {
    method: 'get',
    path: '/admin/deliveries',
    operationId: 'listAllDeliveries',
    tag: SUPPORT_TAG,
    security: 'adminToken',
    summary: 'Deliveries across instances, newest first, each with its latest attempts',
    query: adminDeliveriesQuery,
    responses: {
      200: {
        description: 'A page; `nextCursor` fetches the next',
        schema: z.object({ items: z.array(deliverySchema.extend({ instanceId: z.string().nullable(), url: z.string().nullable(), attemptLog: z.array(attemptSchema) })), nextCursor: z.string().nullable() }),
      },
    },
    problems: [400],
  },
  {
    method: 'get',
    path: '/admin/deliveries/:id',
    operationId: 'getAnyDelivery',
    tag: SUPPORT_TAG,
    security: 'adminToken',
    summary: 'One delivery of any instance with every attempt',
    params: z.object({ id: adminDeliveryId }),
    responses: { 200: { description: 'The delivery', schema: deliverySchema.extend({ attempts: z.array(attemptSchema) }) } },
    problems: [400, 404],
  },
  {
    method: 'post',
    path: '/admin/deliveries/:id/resend',
    operationId: 'resendAnyDelivery',
    tag: SUPPORT_TAG,
    security: 'adminToken',
    summary: 'Sends one delivery of any instance again, with a fresh attempt budget',
    params: z.object({ id: adminDeliveryId }),
    responses: { 202: { description: 'Queued', schema: z.object({ id: z.string(), status: z.literal('PENDING') }) } },
    problems: [400, 404],
  },
  // The API keys and set-aside outbox rows, at the service's own /admin/dispatch/... paths.
  ...sharedAdminOperations('dispatch'),
];

/** What an endpoint receives for `type` (delivered under `name`, ours or a seed's alias). */
function delivered(name: string, type: (typeof PARTNER_EVENT_TYPES)[number]): ApiWebhook {
  const alias = name !== type;
  return {
    name,
    summary: alias ? `${type}, under the name ${name} (seeds 003/004)` : type,
    description: 'Signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`); `webhook-id` is the same on every retry and replay. docs/WEBHOOKS.md says how to verify.',
    schema: z.object({ type: z.literal(name), timestamp: iso, data: eventCatalog[type].payload }),
  };
}

export const DISPATCH_WEBHOOKS: readonly ApiWebhook[] = [
  ...PARTNER_EVENT_TYPES.map((type) => delivered(type, type)),
  ...Object.entries(PARTNER_EVENT_ALIASES).map(([alias, type]) => delivered(alias, type)),
];

export function dispatchApiDocument(): Record<string, unknown> {
  return openApiDocument({
    title: 'Orderflow partner webhooks',
    version: '1',
    description: 'Register endpoints for a shop’s events and follow their deliveries, with the shop’s API key. `webhooks` lists what your endpoint receives. The Support routes (the installation’s admin token) see every instance’s.',
    operations: DISPATCH_OPERATIONS,
    webhooks: DISPATCH_WEBHOOKS,
  });
}
