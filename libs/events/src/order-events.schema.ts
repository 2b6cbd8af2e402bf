import { z } from 'zod';
import { IDENTIFIER_LIMITS } from './envelope.schema';

/** Where an order came from: a checkout Orderflow started, or a provider's own order. */
export const orderSourceSchema = z.enum(['checkout', 'stripe', 'wix']);
export type OrderSource = z.infer<typeof orderSourceSchema>;

export const orderStatuses = ['PENDING', 'PAID', 'APPROVED', 'FULFILLED', 'CANCELLED', 'FAILED', 'REFUNDED', 'PARTIALLY_REFUNDED', 'DISPUTED'] as const;
export const orderStatusSchema = z.enum(orderStatuses);
export type OrderStatus = z.infer<typeof orderStatusSchema>;

export const lineKindSchema = z.enum(['ticket', 'license', 'external']);
export type LineKind = z.infer<typeof lineKindSchema>;

export const registrationStatusSchema = z.enum(['PENDING', 'ACTIVE', 'CANCELLED', 'WAITLISTED']);
export type RegistrationStatus = z.infer<typeof registrationStatusSchema>;

const cents = z.number().int().nonnegative();
const isoTimestamp = z.iso.datetime({ offset: true });

export const orderLineSchema = z.object({
  lineId: z.string().min(1),
  productId: z.string().min(1),
  name: z.string().nullable(),
  quantity: z.number().int().positive(),
  unitAmountCents: cents,
  kind: lineKindSchema,
  /** The event (or event session) a ticket admits to: the capacity it draws on. */
  capacityKey: z.string().min(1).nullable(),
});
export type OrderLine = z.infer<typeof orderLineSchema>;

export const registrationSchema = z.object({
  registrationId: z.string().min(1),
  lineId: z.string().min(1),
  capacityKey: z.string().min(1),
  status: registrationStatusSchema,
});

/**
 * What every order event carries: the order as it stands after the change, so a consumer
 * (fulfillment, notification, partner dispatch) never has to call back for it.
 */
export const orderSnapshotSchema = z.object({
  orderId: z.string().min(1),
  instanceId: z.string().min(1).nullable(),
  source: orderSourceSchema,
  status: orderStatusSchema,
  /** The status before this event's change; null for a new order. */
  previousStatus: orderStatusSchema.nullable(),
  currency: z.string().length(3),
  totalCents: cents,
  refundedCents: cents,
  customer: z.object({ email: z.string().max(IDENTIFIER_LIMITS.email).nullable(), name: z.string().nullable() }),
  lines: z.array(orderLineSchema),
  registrations: z.array(registrationSchema),
  references: z.object({
    paymentIntentId: z.string().nullable(),
    checkoutSessionId: z.string().nullable(),
    wixOrderId: z.string().nullable(),
    wixOrderNumber: z.string().nullable(),
    cartId: z.string().nullable(),
    checkoutId: z.string().nullable(),
    externalReference: z.string().nullable(),
  }),
  /** Why: a failure or cancellation reason, a refund note, 'manual' for an admin action. */
  reason: z.string().nullable(),
  /** The provider event (or admin action) that caused the change. */
  causedBy: z.string().nullable(),
  createdAt: isoTimestamp,
  updatedAt: isoTimestamp,
});
export type OrderSnapshot = z.infer<typeof orderSnapshotSchema>;

export const checkoutEventSchema = z.object({
  lockId: z.string().min(1),
  cartId: z.string().min(1),
  instanceId: z.string().min(1).nullable(),
  orderId: z.string().min(1),
  /** The phase the checkout reached (or failed in). */
  phase: z.string().min(1),
  /** checkout.failed: why, and whether the lock simply expired. */
  reason: z.string().nullable(),
  expired: z.boolean(),
  order: orderSnapshotSchema,
});
export type CheckoutEventPayload = z.infer<typeof checkoutEventSchema>;

export const registrationPromotedSchema = z.object({
  registrationId: z.string().min(1),
  capacityKey: z.string().min(1),
  /** The order the promoted registration belongs to (its key), not the refunded one. */
  order: orderSnapshotSchema,
  /** The order whose refund or cancellation freed the place. */
  freedBy: z.string().min(1),
});

export const orderEventTypes = [
  'order.created',
  'order.pending',
  'order.paid',
  'order.approved',
  'order.ready_to_fulfill',
  'order.payment_failed',
  'order.cancelled',
  'order.refunded',
  'order.disputed',
  'order.fulfilled',
] as const;
export type OrderEventType = (typeof orderEventTypes)[number];

export const checkoutEventTypes = ['checkout.started', 'checkout.completed', 'checkout.failed'] as const;
export type CheckoutEventType = (typeof checkoutEventTypes)[number];

/** A ticket as issued: its code for people, its signed QR payload for door scanners. */
export const issuedTicketSchema = z.object({
  ticketId: z.string().min(1),
  lineId: z.string().min(1),
  seat: z.number().int().nonnegative(),
  capacityKey: z.string().min(1).nullable(),
  code: z.string().min(1),
  /** On fulfillment.completed; a voided ticket carries none. */
  qrPayload: z.string().min(1).optional(),
});

/**
 * A license as issued. The key itself never travels on Kafka: consumers get a reference and
 * its last characters, and show the key through the fulfillment API.
 */
export const issuedLicenseSchema = z.object({
  licenseId: z.string().min(1),
  lineId: z.string().min(1),
  productId: z.string().min(1),
  unit: z.number().int().nonnegative(),
  keyHint: z.string(),
});

/**
 * What the fulfillment service reports about an order. The order service moves the order to
 * FULFILLED on `fulfillment.completed` and flags it on `fulfillment.failed`; the notification
 * service sends the tickets and licenses. Loose: later fields must not break older consumers.
 */
export const fulfillmentOutcomeSchema = z.looseObject({
  orderId: z.string().min(1),
  instanceId: z.string().min(1).nullable().optional(),
  customer: z.object({ email: z.string().max(IDENTIFIER_LIMITS.email).nullable(), name: z.string().nullable() }).optional(),
  /** Why it failed (fulfillment.failed), or null. */
  reason: z.string().nullable().optional(),
  /** fulfillment.failed: whether retrying (by hand, after fixing the cause) can succeed. */
  retriable: z.boolean().optional(),
  tickets: z.array(issuedTicketSchema).optional(),
  licenses: z.array(issuedLicenseSchema).optional(),
  /** Lines the provider fulfills itself (Wix `order_fulfilled`): recorded, not issued here. */
  externalLineIds: z.array(z.string()).optional(),
});
export type FulfillmentOutcome = z.infer<typeof fulfillmentOutcomeSchema>;

export const fulfillmentEventTypes = ['fulfillment.completed', 'fulfillment.failed', 'fulfillment.voided'] as const;
export type FulfillmentEventType = (typeof fulfillmentEventTypes)[number];

/**
 * Money for an order the order service could not find: kept as an unmatched payment, and
 * announced so on-call hears of it (a Slack alert) rather than finding it in a dashboard later.
 */
export const unmatchedPaymentSchema = z.object({
  provider: z.string().min(1),
  providerPaymentRef: z.string().min(1),
  amountCents: z.number().int(),
  currency: z.string().min(1),
  /** The provider event that carried it, e.g. `payment_intent.succeeded`, and its ID. */
  causeType: z.string().min(1),
  causeEventId: z.string().nullable(),
});
export type UnmatchedPayment = z.infer<typeof unmatchedPaymentSchema>;

/**
 * Webhooks refused for a bad or missing signature during one window of one ingress replica:
 * published only when there were some, at most once per window, so a flood of forged requests
 * becomes one alert per minute rather than one event each.
 */
export const signatureFailuresSchema = z.object({
  replica: z.string().min(1),
  windowStart: isoTimestamp,
  windowEnd: isoTimestamp,
  total: z.number().int().positive(),
  bySource: z.record(z.string(), z.number().int().nonnegative()),
  /** A few distinct reasons, for the alert; never the payloads. */
  reasons: z.array(z.string()).max(5),
});
export type SignatureFailures = z.infer<typeof signatureFailuresSchema>;

/** A partner subscription turned off by the dispatcher: its endpoint answered 410, or failed for days. */
export const subscriptionDisabledSchema = z.object({
  subscriptionId: z.string().min(1),
  instanceId: z.string().min(1),
  /** The endpoint's origin only: paths and queries can carry the partner's tokens. */
  endpoint: z.string().min(1),
  reason: z.string().min(1),
  failingSince: isoTimestamp.nullable(),
});
export type SubscriptionDisabled = z.infer<typeof subscriptionDisabledSchema>;
