import { openApiDocument, sharedAdminOperations, type ApiOperation } from '@orderflow/http';
import { z } from 'zod';
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

/** The shop-facing routes (seeds 001 and 003), each with the schema it validates with. */
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
  // The API keys and set-aside outbox rows, at the service's own /admin/fulfillment/... paths.
  ...sharedAdminOperations('fulfillment'),
];

export function fulfillmentApiDocument(): Record<string, unknown> {
  return openApiDocument({
    title: 'Orderflow fulfillment service',
    version: '1',
    description: 'An order’s tickets and license keys, and the door check of a ticket, scoped to the instance of the API key.',
    operations: FULFILLMENT_OPERATIONS,
  });
}
