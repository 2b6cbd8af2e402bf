import { openApiDocument, sharedAdminOperations, type ApiOperation } from '@orderflow/http';
import { z } from 'zod';
import { addKeysBody, fulfillmentQuery, fulfillmentsQuery } from './admin.routes';
import { verifyBody } from './customer.routes';

const iso = z.iso.datetime({ offset: true });

/** An order's fulfillment as `fulfillmentView` answers it to the shop (keys shown in full). */
export const fulfillmentViewSchema = z.object({
  orderId: z.string(),
  status: z.enum(['PENDING', 'COMPLETED', 'FAILED', 'VOIDED']),
  lastError: z.string().nullable(),
  tickets: z.array(
    z.object({
      ticketId: z.string(),
      lineId: z.string(),
      seat: z.number().int(),
      capacityKey: z.string(),
      code: z.string(),
      status: z.enum(['ISSUED', 'VOIDED']),
      issuedAt: iso,
      voidedAt: iso.nullable(),
      /** What the ticket's QR code holds while it is issued: `POST /api/tickets/verify` checks it at the door. */
      qrPayload: z.string().nullable(),
    }),
  ),
  licenses: z.array(
    z.object({
      licenseId: z.string(),
      lineId: z.string(),
      productId: z.string(),
      unit: z.number().int().nullable(),
      status: z.enum(['AVAILABLE', 'ASSIGNED', 'REVOKED']),
      /** The key, while it is the customer's; null once revoked. */
      key: z.string().nullable(),
      keyHint: z.string(),
      assignedAt: iso.nullable(),
      revokedAt: iso.nullable(),
    }),
  ),
});

/** What the door check answers: valid with the ticket, or why not. */
export const ticketCheckSchema = z.union([
  z.object({ valid: z.literal(true), ticketId: z.string(), orderId: z.string(), capacityKey: z.string(), seat: z.number().int(), code: z.string() }),
  z.object({ valid: z.literal(false), reason: z.literal('voided'), ticketId: z.string(), voidedAt: iso.nullable() }),
  z.object({ valid: z.literal(false), reason: z.enum(['not an authentic ticket', 'not a ticket of this shop']) }),
]);

/** A product's license pool, keys counted by status. */
export const licensePoolSchema = z.object({ productId: z.string(), available: z.number().int(), assigned: z.number().int(), revoked: z.number().int() });

/** A fulfillment job as support's list shows it. */
export const fulfillmentJobSchema = z.object({
  orderId: z.string(),
  instanceId: z.string(),
  status: fulfillmentViewSchema.shape.status,
  attempts: z.number().int(),
  /** How many times support started it again. */
  round: z.number().int(),
  lastError: z.string().nullable(),
  retriable: z.boolean(),
  nextAttemptAt: iso,
  updatedAt: iso,
});

const orderParams = z.object({ orderId: z.string() });

/** The shop-facing routes (seeds 001 and 003), each with the schema it validates with, and support's (bearer ADMIN_TOKEN). */
export const FULFILLMENT_OPERATIONS: readonly ApiOperation[] = [
  {
    method: 'get',
    path: '/api/orders/:orderId/fulfillment',
    operationId: 'getOrderFulfillment',
    tag: 'Fulfillment',
    security: 'apiKey',
    summary: 'An order’s tickets (with their QR payloads) and license keys',
    description: 'For the customer’s account page: license keys in full while they are the customer’s. Another instance’s order is a 404.',
    params: z.object({ orderId: z.string() }),
    responses: { 200: { description: 'The fulfillment', schema: fulfillmentViewSchema } },
    problems: [404],
  },
  {
    method: 'post',
    path: '/api/tickets/verify',
    operationId: 'verifyTicket',
    tag: 'Tickets',
    security: 'apiKey',
    summary: 'The door check: is a scanned QR payload an issued ticket of this shop?',
    description: 'A forged payload, another shop’s ticket or a voided one (refunded) answers `valid: false` with the reason; never an error.',
    body: { schema: verifyBody, example: { payload: 'eyJ0aWNrZXRJZCI6InRrdF8xIn0.c2lnbmF0dXJl' } },
    responses: { 200: { description: 'The verdict', schema: ticketCheckSchema } },
  },
  {
    method: 'post',
    path: '/admin/license-pools/:productId/keys',
    operationId: 'addLicenseKeys',
    tag: 'License pools',
    security: 'adminToken',
    summary: 'Adds keys to a product’s pool; a key already in it is skipped, never stored twice',
    description: 'Keys are stored encrypted (`LICENSE_KEY_SECRET`); only their hint is shown again.',
    params: z.object({ productId: z.string() }),
    body: { schema: addKeysBody, example: { keys: ['AAAA-BBBB-CCCC-DDDD', 'EEEE-FFFF-GGGG-HHHH'] } },
    responses: { 201: { description: 'The pool after the addition', schema: z.object({ productId: z.string(), added: z.number().int(), duplicates: z.number().int(), available: z.number().int() }) } },
  },
  {
    method: 'get',
    path: '/admin/license-pools',
    operationId: 'listLicensePools',
    tag: 'License pools',
    security: 'adminToken',
    summary: 'Every product’s pool: keys available, assigned and revoked',
    responses: { 200: { description: 'The pools, by product', schema: z.object({ items: z.array(licensePoolSchema) }) } },
  },
  {
    method: 'get',
    path: '/admin/fulfillments',
    operationId: 'listFulfillments',
    tag: 'Fulfillments',
    security: 'adminToken',
    summary: 'Fulfillments in one status (the failed ones unless asked), most recently changed first',
    query: fulfillmentsQuery,
    responses: { 200: { description: 'The fulfillments', schema: z.object({ items: z.array(fulfillmentJobSchema) }) } },
    problems: [400],
  },
  {
    method: 'get',
    path: '/admin/fulfillments/:orderId',
    operationId: 'getFulfillment',
    tag: 'Fulfillments',
    security: 'adminToken',
    summary: 'An order’s fulfillment for support: the job, its tickets and licenses',
    description: 'License keys are hints (`key: null`) unless `reveal=keys` asks for them; every reveal is logged, without the keys.',
    params: orderParams,
    query: fulfillmentQuery,
    responses: {
      200: {
        description: 'The fulfillment',
        schema: fulfillmentViewSchema.extend({
          instanceId: z.string(),
          attempts: z.number().int(),
          round: z.number().int(),
          retriable: z.boolean(),
          createdAt: iso,
          updatedAt: iso,
          completedAt: iso.nullable(),
          voidedAt: iso.nullable(),
        }),
      },
    },
    problems: [400, 404],
  },
  {
    method: 'post',
    path: '/admin/fulfillments/:orderId/retry',
    operationId: 'retryFulfillment',
    tag: 'Fulfillments',
    security: 'adminToken',
    summary: 'Starts a failed fulfillment again from its snapshot (after keys were added, say)',
    params: orderParams,
    responses: { 202: { description: 'Due again', schema: z.object({ orderId: z.string(), status: z.literal('PENDING') }) } },
    problems: [404, 409],
  },
  // The API keys and set-aside outbox rows, at the service's own /admin/fulfillment/... paths.
  ...sharedAdminOperations('fulfillment'),
];

export function fulfillmentApiDocument(): Record<string, unknown> {
  return openApiDocument({
    title: 'Orderflow fulfillment service',
    version: '1',
    description: 'An order’s tickets and license keys, and the door check of a ticket, scoped to the instance of the API key; support’s license pools and fulfillments.',
    operations: FULFILLMENT_OPERATIONS,
  });
}
