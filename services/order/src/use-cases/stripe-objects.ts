import type { Tx } from '@orderflow/db';
import { mailAddressOf, type LineKind } from '@orderflow/events';
import type { Cause, LoadedOrder, NewLine, NewOrder, OrderLookup } from '../domain/order';
import type { PaymentRecord } from '../domain/payments';
import type { OrderChangeDeps } from './payments';

/**
 * What the Stripe use cases read from the object a Stripe event carries (seed 001). Orders are
 * found by the PaymentIntent ID (`providerCheckoutRef`), else by the order ID our checkout put
 * in the metadata. A payment for an order Orderflow did not start is turned into an order when
 * its metadata names one, and kept as an unmatched payment when nothing identifies it.
 */

export type StripeObject = Record<string, unknown> & { id: string; metadata: Record<string, string> | null };

/** What happens on one type of Stripe event, and what its order is looked up by. */
export interface StripeUseCase {
  /**
   * What the object's order is looked up by, in order: its Checkout Session, its PaymentIntent,
   * then the order IDs it names. `handle` locks the first that finds one; a run's are locked
   * ahead together.
   */
  lookup(object: StripeObject): OrderLookup;
  handle(deps: OrderChangeDeps, tx: Tx, object: StripeObject, cause: Cause): Promise<void>;
}

/**
 * The use case that locks the order `lookup` finds (null when none does) and hands it to
 * `apply`: one list of references for the lock and for a run's lock ahead.
 */
export function stripeUseCase(
  lookup: (object: StripeObject) => OrderLookup,
  apply: (deps: OrderChangeDeps, tx: Tx, object: StripeObject, order: LoadedOrder | null, cause: Cause) => Promise<void>,
): StripeUseCase {
  return { lookup, handle: async (deps, tx, object, cause) => apply(deps, tx, object, await deps.book.lockFirst(tx, lookup(object)), cause) };
}

export const str = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : null);
export const int = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? Math.round(value) : 0);
const LINE_KINDS: readonly LineKind[] = ['ticket', 'license', 'external'];

/** A PaymentIntent's order. */
export const paymentIntentLookup = (pi: StripeObject): OrderLookup => lookups({ paymentIntentId: pi.id, metadata: pi.metadata });

/** The order of a charge or a dispute: its PaymentIntent's. */
export const chargeLookup = (charge: StripeObject): OrderLookup => lookups({ paymentIntentId: str(charge.payment_intent), metadata: charge.metadata });

/** A Checkout Session's order. */
export const sessionLookup = (session: StripeObject): OrderLookup =>
  lookups({ checkoutSessionId: session.id, paymentIntentId: str(session.payment_intent), metadata: session.metadata, reference: str(session.client_reference_id) });

function lookups(refs: { checkoutSessionId?: string; paymentIntentId: string | null; metadata: Record<string, string> | null; reference?: string | null }): OrderLookup {
  return [
    ['checkoutSessionId', refs.checkoutSessionId ?? null],
    ['providerCheckoutRef', refs.paymentIntentId],
    ['id', str(refs.metadata?.orderId)],
    ['id', refs.reference ?? null],
  ];
}

export function paymentOf(object: StripeObject, status: PaymentRecord['status'], amountCents: number, ref = object.id): PaymentRecord {
  return { provider: 'stripe', providerPaymentRef: ref, status, amountCents, currency: str(object.currency) ?? 'usd', raw: object };
}

export function emailOf(object: StripeObject): string | null {
  const details = object.customer_details as { email?: string } | null | undefined;
  return mailAddressOf(object.receipt_email) ?? mailAddressOf(details?.email) ?? mailAddressOf(object.customer_email);
}

/**
 * An order started outside Orderflow, from what its metadata says: `orderId`, optional
 * `instanceId`, `customerEmail`, `customerName`, and `items` as JSON
 * (`[{ productId, quantity, unitAmountCents, kind, capacityKey, name }]`). Without items the
 * order is one external line for the whole amount.
 */
export function orderFromMetadata(
  orderId: string,
  object: StripeObject,
  refs: { paymentIntentId: string | null; totalCents: number; currency: string; checkoutSessionId?: string },
): NewOrder {
  const metadata = object.metadata ?? {};
  const lines = parseItems(metadata.items) ?? [
    { productId: str(metadata.productId) ?? 'external', name: str(object.description), quantity: 1, unitAmountCents: refs.totalCents, kind: 'external' as const, capacityKey: null },
  ];
  return {
    id: orderId,
    instanceId: str(metadata.instanceId),
    source: 'stripe',
    currency: refs.currency,
    totalCents: refs.totalCents,
    customerEmail: mailAddressOf(metadata.customerEmail) ?? emailOf(object),
    customerName: str(metadata.customerName),
    providerCheckoutRef: refs.paymentIntentId,
    checkoutSessionId: refs.checkoutSessionId ?? null,
    lines,
  };
}

function parseItems(raw: string | undefined): NewLine[] | null {
  if (!raw) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length === 0) return null;
  const lines: NewLine[] = [];
  for (const item of parsed as Array<Record<string, unknown>>) {
    const productId = str(item?.productId);
    const quantity = int(item?.quantity) || 1;
    const kind = LINE_KINDS.includes(item?.kind as LineKind) ? (item.kind as LineKind) : 'external';
    if (!productId) return null;
    lines.push({ productId, name: str(item.name), quantity, unitAmountCents: int(item.unitAmountCents), kind, capacityKey: str(item.capacityKey) });
  }
  return lines;
}
