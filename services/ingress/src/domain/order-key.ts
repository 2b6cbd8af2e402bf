/**
 * The Kafka key of a Stripe event: the order it belongs to, so every event of one order lands
 * on one partition, in order. Preference: our own `metadata.orderId` (set by the checkout), then
 * the Checkout Session's `client_reference_id`, then the PaymentIntent ID, which every payment
 * event of one purchase shares (a Charge or Dispute points at it with `payment_intent`).
 */
export function stripeOrderKey(object: Record<string, unknown>): string | null {
  const metadata = object.metadata;
  if (isRecord(metadata) && nonEmpty(metadata.orderId)) return metadata.orderId;
  if (nonEmpty(object.client_reference_id)) return object.client_reference_id;
  if (object.object === 'payment_intent' && nonEmpty(object.id)) return object.id;
  const paymentIntent = idOf(object.payment_intent);
  if (paymentIntent) return paymentIntent;
  // A charge without a PaymentIntent (legacy Charges API) or a dispute on one: the charge.
  const charge = object.object === 'charge' ? idOf(object.id) : idOf(object.charge);
  if (charge) return charge;
  return nonEmpty(object.id) ? object.id : null;
}

/** Wix: the order entity's ID (the event's `entityId` is the same order for order events). */
export function wixOrderKey(entity: Record<string, unknown>, entityId: string): string {
  return nonEmpty(entity.id) ? entity.id : entityId;
}

/** Stripe fields that reference another object are an ID, or the object when expanded. */
function idOf(value: unknown): string | null {
  if (nonEmpty(value)) return value;
  if (isRecord(value) && nonEmpty(value.id)) return value.id;
  return null;
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
