import { eventCatalog, isEventType, stripeEventTypes } from '@orderflow/events';
import Stripe from 'stripe';
import { isRecord, stripeOrderKey } from './order-key';
import { occurredAt, PayloadError, SignatureError, type VerifiedEvent } from './verified-event';

/** Stripe's default and recommended tolerance against replayed signatures. */
const TOLERANCE_SECONDS = 300;
const interesting = new Set<string>(stripeEventTypes);

/**
 * Verifies a Stripe webhook with the official SDK against each configured secret in turn, so a
 * secret can be rotated without dropping deliveries (Stripe signs with both during a roll).
 * Only then is the body parsed: nothing unauthenticated is ever interpreted.
 */
export function verifyStripe(rawBody: Buffer, signature: string | undefined, secrets: readonly string[]): VerifiedEvent {
  if (!signature) throw new SignatureError('missing Stripe-Signature header');
  // The SDK refuses only timestamps too far in the past; a signature dated ahead is refused
  // here just the same, so a captured delivery cannot be held back and replayed later.
  const signedAt = Number(/(?:^|,)\s*t=(\d+)/.exec(signature)?.[1]);
  if (signedAt > Date.now() / 1000 + TOLERANCE_SECONDS) throw new SignatureError('timestamp is too far in the future');
  let verified = false;
  let event: unknown;
  let lastReason = 'no secret configured';
  for (const secret of secrets) {
    try {
      event = Stripe.webhooks.constructEvent(rawBody, signature, secret, TOLERANCE_SECONDS);
      verified = true;
      break;
    } catch (err) {
      if (!(err instanceof Stripe.errors.StripeSignatureVerificationError)) {
        // constructEvent parses after verifying: a verified body that is not JSON.
        if (err instanceof SyntaxError) throw new PayloadError('verified body is not valid JSON');
        throw err;
      }
      lastReason = err.message;
    }
  }
  // Verified, whatever it parsed to (`null`, `0`): from here on a wrong body is a 400.
  if (!verified) throw new SignatureError(lastReason);
  return stripeEventOf(event);
}

/**
 * The event a verified Stripe body holds. One that is authentic but not what the catalog
 * expects comes back with its `problem`, to be quarantined; a body that is no event at all
 * (no ID or type to log it by) is a PayloadError.
 */
export function stripeEventOf(event: unknown): VerifiedEvent {
  if (!isRecord(event) || typeof event.id !== 'string' || typeof event.type !== 'string' || !event.id) {
    throw new PayloadError('not a Stripe event: id and type required');
  }
  const object = isRecord(event.data) && isRecord(event.data.object) ? event.data.object : null;
  const created = occurredAt(typeof event.created === 'number' ? event.created * 1000 : Number.NaN);
  const base = {
    source: 'stripe' as const,
    eventId: event.id,
    type: event.type,
    instanceId: null,
    occurredAt: created,
    payload: event,
  };
  if (!interesting.has(event.type) || !isEventType(event.type)) {
    return { ...base, publishable: false, orderKey: object ? stripeOrderKey(object) : null };
  }
  // The catalog schema is what consumers will hold us to; quarantine here rather than publish
  // something every consumer would dead-letter.
  const checked = eventCatalog[event.type].payload.safeParse(event);
  if (!checked.success || !object) {
    return { ...base, publishable: true, orderKey: object ? stripeOrderKey(object) : null, problem: { code: 'invalid_event', detail: `not a valid ${event.type} event` } };
  }
  const orderKey = stripeOrderKey(object);
  if (!orderKey) return { ...base, publishable: true, orderKey, problem: { code: 'no_order_key', detail: 'no order key in the event' } };
  return { ...base, publishable: true, orderKey };
}
