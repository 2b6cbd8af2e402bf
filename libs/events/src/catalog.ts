import type { z } from 'zod';
import type { Envelope, EventSource } from './envelope.schema';
import { stripeEventSchema, type StripeEventType } from './stripe-events.schema';
import {
  checkoutEventSchema,
  fulfillmentOutcomeSchema,
  orderSnapshotSchema,
  registrationPromotedSchema,
  unmatchedPaymentSchema,
  signatureFailuresSchema,
  subscriptionDisabledSchema,
  type CheckoutEventType,
  type FulfillmentEventType,
  type OrderEventType,
} from './order-events.schema';
import { Topics, type TopicName } from './topics';
import { wixOrderEventSchema, type WixEventType } from './wix-events.schema';

/** Where an event type is published, at which version, by whom, and what its payload must look like. */
export interface CatalogEntry {
  readonly topic: TopicName;
  readonly version: number;
  readonly source: EventSource;
  readonly payload: z.ZodType;
}

export type EventCatalog = Readonly<Record<string, CatalogEntry>>;

function stripe<const T extends StripeEventType>(type: T) {
  return { topic: Topics.stripeIngress, version: 1, source: 'stripe', payload: stripeEventSchema(type) } as const;
}

function wix() {
  return { topic: Topics.wixIngress, version: 1, source: 'wix', payload: wixOrderEventSchema } as const;
}

function order<const P extends z.ZodType>(payload: P) {
  return { topic: Topics.orders, version: 1, source: 'order', payload } as const;
}

function checkout() {
  return { topic: Topics.orders, version: 1, source: 'checkout', payload: checkoutEventSchema } as const;
}

function fulfillment() {
  return { topic: Topics.fulfillment, version: 1, source: 'fulfillment', payload: fulfillmentOutcomeSchema } as const;
}

/**
 * The one place an event type is declared. Producers and consumers both validate against it.
 * Later issues add order, fulfillment and notification events here (a new entry, nothing else);
 * `satisfies` keeps every entry's literal types while checking it is a valid entry.
 *
 * Changing a payload incompatibly means a new `version` and a new entry type, never editing a
 * schema that consumers already depend on.
 */
export const eventCatalog = {
  'payment_intent.succeeded': stripe('payment_intent.succeeded'),
  'payment_intent.payment_failed': stripe('payment_intent.payment_failed'),
  'charge.refunded': stripe('charge.refunded'),
  'charge.dispute.created': stripe('charge.dispute.created'),
  'checkout.session.completed': stripe('checkout.session.completed'),
  'checkout.session.expired': stripe('checkout.session.expired'),
  'wix.ecom.v1.order_created': wix(),
  'wix.ecom.v1.order_paid': wix(),
  'wix.ecom.v1.order_approved': wix(),
  'wix.ecom.v1.order_updated': wix(),
  'wix.ecom.v1.order_canceled': wix(),
  'wix.ecom.v1.order_fulfilled': wix(),
  // The order service's domain events: every one carries the order snapshot after the change.
  'order.created': order(orderSnapshotSchema),
  'order.pending': order(orderSnapshotSchema),
  'order.paid': order(orderSnapshotSchema),
  'order.approved': order(orderSnapshotSchema),
  'order.ready_to_fulfill': order(orderSnapshotSchema),
  'order.payment_failed': order(orderSnapshotSchema),
  'order.cancelled': order(orderSnapshotSchema),
  'order.refunded': order(orderSnapshotSchema),
  'order.disputed': order(orderSnapshotSchema),
  'order.fulfilled': order(orderSnapshotSchema),
  'registration.promoted': order(registrationPromotedSchema),
  'payment.unmatched': order(unmatchedPaymentSchema),
  'ingress.signature_failures': { topic: Topics.operations, version: 1, source: 'ingress', payload: signatureFailuresSchema },
  'subscription.disabled': { topic: Topics.operations, version: 1, source: 'dispatch', payload: subscriptionDisabledSchema },
  'checkout.started': checkout(),
  'checkout.completed': checkout(),
  'checkout.failed': checkout(),
  'fulfillment.completed': fulfillment(),
  'fulfillment.failed': fulfillment(),
  'fulfillment.voided': fulfillment(),
} as const satisfies EventCatalog &
  Record<StripeEventType | WixEventType | OrderEventType | CheckoutEventType | FulfillmentEventType | 'registration.promoted' | 'payment.unmatched' | 'ingress.signature_failures' | 'subscription.disabled', CatalogEntry>;

export type Catalog = typeof eventCatalog;
export type EventType = keyof Catalog;

/** A fully typed event of one catalog type. */
export type EventOf<T extends EventType> = Envelope<T, z.infer<Catalog[T]['payload']>>;

/** Any catalog event; narrow on `type`. */
export type AnyEvent = { [T in EventType]: EventOf<T> }[EventType];

export function isEventType(type: string): type is EventType {
  return Object.prototype.hasOwnProperty.call(eventCatalog, type);
}

/** The topic an event type is published to. */
export function topicOf(type: EventType): TopicName {
  return eventCatalog[type].topic;
}
