import { z } from 'zod';

/** Who produced an event: a provider (ingress) or one of our own bounded contexts. */
export const eventSourceSchema = z.enum(['stripe', 'wix', 'ingress', 'checkout', 'order', 'fulfillment', 'notification', 'dispatch']);
export type EventSource = z.infer<typeof eventSourceSchema>;

const isoTimestamp = z.iso.datetime({ offset: true });

/**
 * The longest identifiers an event may carry, in characters. A provider's identifiers (event IDs,
 * order references, tenant IDs) are refused by the ingress past `providerId`, generous for every
 * provider (Stripe's IDs are under 255 characters; Wix uses UUIDs); event IDs we derive from them
 * (`order.paid:<order>:<version>`, `payment.unmatched:<source>:<event>`) stay under `eventId`.
 * Small enough that a key is cheap to hash, index and log: a signed Stripe event whose
 * `metadata.orderId` was 200,000 characters once froze the pipeline (issue 21).
 */
export const IDENTIFIER_LIMITS = { providerId: 255, eventId: 400, type: 128, orderKey: 255, instanceId: 255, traceId: 128, email: 254 } as const;

/**
 * A customer's mail address as a provider gave it, if it can be one: at most 254 characters (the
 * longest a mail path allows), with an @ between a local part and a domain, no spaces or control
 * characters. Anything else is null: the order goes on without an address rather than carry one
 * no mail could reach (or a 200,000-character one into every table and index downstream).
 */
export function mailAddressOf(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const address = value.trim();
  return address.length <= IDENTIFIER_LIMITS.email && /^[^\s@\x00-\x1f]+@[^\s@\x00-\x1f]+$/.test(address) ? address : null;
}

/**
 * The envelope every event on Kafka travels in; `payload` is validated separately against the
 * catalog entry of `type` (see `catalog.ts`).
 *
 * - `eventId`: for ingress events the provider's own event ID (Stripe `evt_…`, Wix event `id`), so
 *   a provider retry or an admin replay carries the same ID. Downstream consumers use it as their
 *   idempotency key; never generate a fresh ID when republishing.
 * - `orderKey`: the Kafka message key. All events of one order share it, so they land on one
 *   partition and are consumed in the order they were published.
 * - `instanceId`: the tenant (Wix site instance); null when the provider has no tenant notion.
 */
export const envelopeSchema = z.object({
  eventId: z.string().min(1).max(IDENTIFIER_LIMITS.eventId),
  type: z.string().min(1).max(IDENTIFIER_LIMITS.type),
  version: z.number().int().positive(),
  source: eventSourceSchema,
  orderKey: z.string().min(1).max(IDENTIFIER_LIMITS.orderKey),
  instanceId: z.string().min(1).max(IDENTIFIER_LIMITS.instanceId).nullable(),
  occurredAt: isoTimestamp,
  receivedAt: isoTimestamp,
  traceId: z.string().min(1).max(IDENTIFIER_LIMITS.traceId),
  payload: z.unknown(),
});

export type Envelope<TType extends string = string, TPayload = unknown> = Omit<z.infer<typeof envelopeSchema>, 'type' | 'payload'> & {
  type: TType;
  payload: TPayload;
};
