import { createHash, randomBytes, randomUUID } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function base62(bytes: Buffer, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += BASE62[bytes[i % bytes.length] % 62];
  return out;
}

/** A new ID shaped like Stripe's (`evt_1Q…`): the prefix and 24 base-62 characters. */
export function randomStripeId(prefix: string): string {
  return `${prefix}_${base62(randomBytes(24), 24)}`;
}

/**
 * The same ID every time for the same `seed`. The PaymentIntent, Charge and Checkout Session of
 * one order are derived from its order ID, so a later `charge.refunded` or
 * `charge.dispute.created` for that order points at the PaymentIntent its payment created, as
 * Stripe's would: the order service finds orders by that reference.
 */
export function derivedStripeId(prefix: string, seed: string): string {
  return `${prefix}_${base62(createHash('sha256').update(`${prefix}:${seed}`).digest(), 24)}`;
}

/** A new order ID in the form Orderflow gives its own orders. */
export function newOrderId(): string {
  return `ord_${randomUUID()}`;
}
