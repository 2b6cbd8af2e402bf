export { Topics, deadLetterTopic, isDeadLetterTopic, type TopicName } from './topics';
export { envelopeSchema, eventSourceSchema, IDENTIFIER_LIMITS, mailAddressOf, type Envelope, type EventSource } from './envelope.schema';
export { stripeEventSchema, stripeEventTypes, type StripeEventType, type StripeEventPayload } from './stripe-events.schema';
export {
  wixOrderEventSchema,
  wixOrderEntitySchema,
  wixEventTypes,
  type WixEventType,
  type WixOrderEventPayload,
} from './wix-events.schema';
export {
  eventCatalog,
  isEventType,
  topicOf,
  type AnyEvent,
  type Catalog,
  type CatalogEntry,
  type EventCatalog,
  type EventOf,
  type EventType,
} from './catalog';
export { EventValidationError } from './event-validation.error';
export { encodeEvent, decodeEvent, newEvent, EventHeaders, type DecodeResult, type EncodedEvent, type NewEventInput, type RawMessage } from './codec';
export {
  orderSnapshotSchema,
  orderStatusSchema,
  orderStatuses,
  orderSourceSchema,
  orderLineSchema,
  lineKindSchema,
  registrationStatusSchema,
  checkoutEventSchema,
  registrationPromotedSchema,
  unmatchedPaymentSchema,
  signatureFailuresSchema,
  subscriptionDisabledSchema,
  fulfillmentOutcomeSchema,
  issuedTicketSchema,
  issuedLicenseSchema,
  orderEventTypes,
  checkoutEventTypes,
  fulfillmentEventTypes,
  type OrderSnapshot,
  type OrderStatus,
  type OrderSource,
  type OrderLine,
  type LineKind,
  type RegistrationStatus,
  type CheckoutEventPayload,
  type OrderEventType,
  type CheckoutEventType,
  type FulfillmentEventType,
  type FulfillmentOutcome,
  type UnmatchedPayment,
  type SignatureFailures,
  type SubscriptionDisabled,
} from './order-events.schema';
export { deliveredName, isKnownPattern, isPartnerEvent, PARTNER_EVENT_ALIASES, PARTNER_EVENT_TYPES, type PartnerEventAlias } from './partner-events';
