import { z } from 'zod';

/**
 * Wix eCommerce order event payloads: the `data` of the Wix webhook envelope, with the order entity
 * already unwrapped by the ingress into `entity` (Wix nests it as a JSON string in
 * `createdEvent.entityAsJson`, `updatedEvent.currentEntityAsJson` or `actionEvent.bodyAsJson`;
 * downstream should not re-parse provider quirks). Loose, like the Stripe schemas: only the IDs
 * downstream relies on are required.
 */
export const wixOrderEntitySchema = z.looseObject({
  id: z.string().min(1),
  number: z.union([z.string(), z.number()]).optional(),
  status: z.string().optional(),
  paymentStatus: z.string().optional(),
  fulfillmentStatus: z.string().optional(),
  checkoutId: z.string().optional(),
});

export const wixOrderEventSchema = z.looseObject({
  /** The Wix event ID: the envelope's `eventId`. */
  id: z.string().min(1),
  entityFqdn: z.string().optional(),
  slug: z.string().optional(),
  entityId: z.string().min(1),
  eventTime: z.string().optional(),
  entity: wixOrderEntitySchema,
});

export const wixEventTypes = [
  'wix.ecom.v1.order_created',
  'wix.ecom.v1.order_paid',
  'wix.ecom.v1.order_approved',
  'wix.ecom.v1.order_updated',
  'wix.ecom.v1.order_canceled',
  'wix.ecom.v1.order_fulfilled',
] as const;

export type WixEventType = (typeof wixEventTypes)[number];
export type WixOrderEventPayload = z.infer<typeof wixOrderEventSchema>;
