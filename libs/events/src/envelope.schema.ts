import { z } from 'zod';

/** Who produced an event: a provider (ingress) or one of our own bounded contexts. */
export const eventSourceSchema = z.enum(['stripe', 'wix', 'ingress', 'checkout', 'order', 'fulfillment', 'notification', 'dispatch']);
export type EventSource = z.infer<typeof eventSourceSchema>;

const isoTimestamp = z.iso.datetime({ offset: true });

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
  eventId: z.string().min(1),
  type: z.string().min(1),
  version: z.number().int().positive(),
  source: eventSourceSchema,
  orderKey: z.string().min(1),
  instanceId: z.string().min(1).nullable(),
  occurredAt: isoTimestamp,
  receivedAt: isoTimestamp,
  traceId: z.string().min(1),
  payload: z.unknown(),
});

export type Envelope<TType extends string = string, TPayload = unknown> = Omit<z.infer<typeof envelopeSchema>, 'type' | 'payload'> & {
  type: TType;
  payload: TPayload;
};
