import { orderSnapshotSchema, orderStatusSchema } from '@orderflow/events';
import { openApiDocument, sharedAdminOperations, type ApiOperation } from '@orderflow/http';
import { z } from 'zod';
import { adminOrdersQuery, capacityBody, refundBody } from './admin.routes';
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

/** A payment as support sees it (its provider payload only on the unmatched list). */
export const paymentSchema = z.object({
  id: z.string(),
  /** Null for an unmatched payment: money for an order we cannot find. */
  orderId: z.string().nullable(),
  provider: z.string(),
  providerPaymentRef: z.string(),
  status: z.enum(['SUCCEEDED', 'FAILED', 'REFUNDED', 'PARTIALLY_REFUNDED', 'DISPUTED', 'UNMATCHED']),
  amountCents: z.number().int(),
  currency: z.string(),
  eventId: z.string(),
  createdAt: iso,
});

/** One step of an order's history, applied or refused by the state machine. */
export const transitionSchema = z.object({
  id: z.string(),
  orderId: z.string(),
  fromStatus: orderStatusSchema.nullable(),
  toStatus: orderStatusSchema,
  /** false: refused by the state machine (recorded, never applied). */
  applied: z.boolean(),
  cause: z.string(),
  eventId: z.string().nullable(),
  reason: z.string().nullable(),
  at: iso,
});

const checkStatus = z.object({ status: z.enum(['ok', 'warning', 'error']), count: z.number().int().optional(), message: z.string() });
/** Seed 002's checkout health. */
export const checkoutHealthSchema = z.object({ status: z.enum(['healthy', 'degraded', 'unhealthy']), checks: z.record(z.string(), checkStatus), timestamp: iso });

const orderParams = z.object({ id: z.string() });

const checkoutExample = {
  cartId: 'cart_1842',
  currency: 'eur',
  customer: { email: 'ada@example.com', name: 'Ada Lovelace' },
  items: [{ productId: 'gala-2026', name: 'Gala dinner', quantity: 2, unitAmountCents: 4_500, kind: 'ticket', capacityKey: 'gala-2026' }],
};

/** The shop-facing routes (seeds 000 and 002) and support's (bearer ADMIN_TOKEN; seeds 001 and 003), each with the schema it validates with. */
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
  {
    method: 'get',
    path: '/health/checkout',
    operationId: 'getCheckoutHealth',
    tag: 'Checkout',
    security: 'none',
    summary: 'Seed 002’s checkout health: expired locks the sweeper has not ended, stuck checkouts, the database',
    responses: {
      200: { description: 'Healthy, or degraded (a check warns)', schema: checkoutHealthSchema },
      503: { description: 'The database does not answer', schema: checkoutHealthSchema },
    },
  },
  {
    method: 'get',
    path: '/admin/orders',
    operationId: 'listAdminOrders',
    tag: 'Support',
    security: 'adminToken',
    summary: 'Every instance’s orders, newest first, filtered or found from one search box',
    description: '`q` matches exactly one of: our order ID, the Wix order number (with or without `#`), the shop’s external reference, the Stripe PaymentIntent or Checkout Session, the cart or checkout, the customer’s email in any case.',
    query: adminOrdersQuery,
    responses: { 200: { description: 'A page; `nextCursor` fetches the next', schema: ordersPageSchema } },
    problems: [400],
  },
  {
    method: 'get',
    path: '/admin/orders/:id',
    operationId: 'getAdminOrder',
    tag: 'Support',
    security: 'adminToken',
    summary: 'One order with its payments and its whole transition history',
    params: orderParams,
    responses: { 200: { description: 'The order', schema: orderViewSchema.extend({ payments: z.array(paymentSchema), history: z.array(transitionSchema) }) } },
    problems: [404],
  },
  {
    method: 'get',
    path: '/admin/customers/:email/orders',
    operationId: 'listCustomerOrders',
    tag: 'Support',
    security: 'adminToken',
    summary: 'Seed 003’s order history of one customer: every order of an email (any case), newest first, at most 200',
    params: z.object({ email: z.string() }),
    responses: { 200: { description: 'The orders', schema: z.object({ items: z.array(orderViewSchema) }) } },
  },
  {
    method: 'get',
    path: '/admin/payments/unmatched',
    operationId: 'listUnmatchedPayments',
    tag: 'Support',
    security: 'adminToken',
    summary: 'Money received for no order we know, newest first, with the provider’s payload',
    responses: { 200: { description: 'The payments', schema: z.object({ items: z.array(paymentSchema.extend({ rawPayload: z.unknown() })) }) } },
  },
  {
    method: 'post',
    path: '/admin/orders/:id/complete',
    operationId: 'completeOrder',
    tag: 'Support',
    security: 'adminToken',
    summary: 'Completes a pending or failed order paid outside any provider, through the state machine',
    params: orderParams,
    responses: { 200: { description: 'The order, paid and approved', schema: orderViewSchema } },
    problems: [404, 409],
  },
  {
    method: 'post',
    path: '/admin/orders/:id/refund',
    operationId: 'refundOrder',
    tag: 'Support',
    security: 'adminToken',
    summary: 'Asks Stripe to refund all that is left, or `amountCents` of it',
    description: 'The order becomes REFUNDED (or PARTIALLY_REFUNDED) when Stripe’s charge.refunded arrives. One refund per order and amount already refunded: a double click does not refund twice.',
    params: orderParams,
    body: { schema: refundBody, example: { amountCents: 4_500, reason: 'customer cannot attend' } },
    responses: { 202: { description: 'Stripe took the refund', schema: z.object({ orderId: z.string(), refundId: z.string(), status: z.string() }) } },
    problems: [404, 409, 502],
  },
  {
    method: 'post',
    path: '/admin/orders/:id/retry-fulfillment',
    operationId: 'retryOrderFulfillment',
    tag: 'Support',
    security: 'adminToken',
    summary: 'Publishes order.ready_to_fulfill again for an approved order whose fulfillment failed',
    params: orderParams,
    responses: { 202: { description: 'Sent to fulfillment again', schema: orderViewSchema } },
    problems: [404, 409],
  },
  {
    method: 'put',
    path: '/admin/capacities/:key',
    operationId: 'setCapacity',
    tag: 'Support',
    security: 'adminToken',
    summary: 'Sets how many places a capacity key (an event, a session) has',
    params: z.object({ key: z.string() }),
    body: { schema: capacityBody, example: { capacity: 120, instanceId: 'shop-1' } },
    responses: { 200: { description: 'The capacity', schema: z.object({ key: z.string(), instanceId: z.string().nullable(), capacity: z.number().int(), reserved: z.number().int(), updatedAt: iso }) } },
    problems: [400],
  },
  // The API keys and set-aside outbox rows, at the service's own /admin/order/... paths.
  ...sharedAdminOperations('order'),
];

export function orderApiDocument(): Record<string, unknown> {
  return openApiDocument({
    title: 'Orderflow order service',
    version: '1',
    description: 'Checkouts and orders for a shop’s own systems, scoped to the instance of the API key; support’s view of every instance’s orders and payments, and its levers.',
    operations: ORDER_OPERATIONS,
  });
}
