import { orderSnapshotSchema, orderStatusSchema } from '@orderflow/events';
import { openApiDocument, sharedAdminOperations, type ApiOperation } from '@orderflow/http';
import { z } from 'zod';
import { checkoutBody, checkoutStatusQuery } from './checkout.routes';
import { listQuery, statusQuery, trackBody } from './external.routes';

const iso = z.iso.datetime({ offset: true });

/** What `POST /api/checkout` answers (`CheckoutStarted`). */
export const checkoutStartedSchema = z.object({
  lockId: z.string(),
  orderId: z.string(),
  status: z.literal('AWAITING_PAYMENT'),
  expiresAt: iso,
  paymentIntentId: z.string().nullable(),
  /** For Stripe.js: confirms the PaymentIntent in the browser. */
  clientSecret: z.string().nullable(),
  checkoutSessionId: z.string().nullable(),
  /** Where to send the customer with `mode: checkout_session`. */
  checkoutUrl: z.string().nullable(),
  /** Ticket lines that found no place and wait for one. */
  waitlistedLineIds: z.array(z.string()),
});

export const checkoutStatusSchema = z.object({
  lockId: z.string(),
  cartId: z.string(),
  state: z.string(),
  phase: z.string().nullable(),
  phases: z.unknown(),
  orderId: z.string().nullable(),
  orderStatus: orderStatusSchema.nullable(),
  lockedAt: iso,
  expiresAt: iso,
  completedAt: iso.nullable(),
  error: z.string().nullable(),
});

/** An order as the shop sees it: its snapshot without the event's fields, and why fulfillment failed. */
export const orderViewSchema = orderSnapshotSchema.omit({ previousStatus: true, causedBy: true }).extend({ fulfillmentFailure: z.string().nullable() });

/** Seed 000's ExternalOrderRecord. */
export const trackedSchema = z.object({
  instanceId: z.string(),
  cartId: z.string().nullable(),
  checkoutId: z.string().nullable(),
  orderId: z.string().nullable(),
  orderNumber: z.string().nullable(),
  externalReference: z.string().nullable(),
  status: z.string(),
  createdAt: iso,
  updatedAt: iso,
});

export const orderStatusAnswerSchema = z.union([
  z.object({ orderId: z.string(), status: orderStatusSchema, order: orderViewSchema, tracked: trackedSchema.nullable() }),
  z.object({ orderId: z.null(), status: z.string(), tracked: trackedSchema }),
]);

export const ordersPageSchema = z.object({ items: z.array(orderViewSchema), nextCursor: z.string().nullable() });

const checkoutExample = {
  cartId: 'cart_1842',
  currency: 'eur',
  customer: { email: 'ada@example.com', name: 'Ada Lovelace' },
  items: [{ productId: 'gala-2026', name: 'Gala dinner', quantity: 2, unitAmountCents: 4_500, kind: 'ticket', capacityKey: 'gala-2026' }],
};

/** The shop-facing routes (seeds 000 and 002), each with the schema it validates with. */
export const ORDER_OPERATIONS: readonly ApiOperation[] = [
  {
    method: 'post',
    path: '/api/checkout',
    operationId: 'startCheckout',
    tag: 'Checkout',
    security: 'apiKey',
    summary: 'Start a checkout: lock the cart, create the order and its payment',
    description:
      'Seed 002. One checkout per cart at a time (a second answers 409 while the first holds the lock). Ticket lines take a place or join the waitlist; the order is AWAITING_PAYMENT until Stripe says it is paid.',
    body: { schema: checkoutBody, example: checkoutExample },
    responses: { 201: { description: 'The order exists and waits for its payment', schema: checkoutStartedSchema } },
    problems: [409, 422],
  },
  {
    method: 'get',
    path: '/api/checkout/status',
    operationId: 'getCheckoutStatus',
    tag: 'Checkout',
    security: 'apiKey',
    summary: 'The checkout of a cart: its lock, phases and order status',
    query: checkoutStatusQuery,
    responses: { 200: { description: 'The checkout', schema: checkoutStatusSchema } },
    problems: [400, 404],
  },
  {
    method: 'get',
    path: '/external/order/status',
    operationId: 'getExternalOrderStatus',
    tag: 'Orders',
    security: 'apiKey',
    summary: 'An order’s status by our order ID, the provider checkout ID or the shop’s reference',
    description: 'Seed 000. Give exactly one of `orderId`, `checkoutId`, `externalRef`. A tracked checkout without an order yet answers with its record and `orderId: null`.',
    query: statusQuery,
    responses: { 200: { description: 'The order (or the tracked checkout)', schema: orderStatusAnswerSchema } },
    problems: [400, 404],
  },
  {
    method: 'post',
    path: '/external/checkouts',
    operationId: 'trackExternalCheckout',
    tag: 'Orders',
    security: 'apiKey',
    summary: 'Track a Wix checkout before Wix has an order for it',
    description: 'Seed 000’s trackExternalCheckout: the order_created that follows completes this record instead of adding another. The same checkout again answers 200 with the record.',
    body: { schema: trackBody, example: { checkoutId: 'chk_7a1', cartId: 'cart_1842', externalReference: 'shop-order-1842' } },
    responses: { 201: { description: 'Tracked', schema: trackedSchema }, 200: { description: 'Already tracked', schema: trackedSchema } },
  },
  {
    method: 'get',
    path: '/external/orders',
    operationId: 'listExternalOrders',
    tag: 'Orders',
    security: 'apiKey',
    summary: 'The instance’s orders, newest first',
    query: listQuery,
    responses: { 200: { description: 'A page; `nextCursor` fetches the next', schema: ordersPageSchema } },
    problems: [400],
  },
  // The API keys and set-aside outbox rows, at the service's own /admin/order/... paths.
  ...sharedAdminOperations('order'),
];

export function orderApiDocument(): Record<string, unknown> {
  return openApiDocument({
    title: 'Orderflow order service',
    version: '1',
    description: 'Checkouts and orders for a shop’s own systems, scoped to the instance of the API key.',
    operations: ORDER_OPERATIONS,
  });
}
