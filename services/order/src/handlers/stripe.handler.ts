import type { Tx } from '@orderflow/db';
import { mailAddressOf, type EventOf, type LineKind, type StripeEventType } from '@orderflow/events';
import type { Cause, LoadedOrder, NewLine, NewOrder, OrderBook, OrderReference } from '../domain/order-book';
import type { Payments, PaymentRecord } from '../domain/payments';

type StripeEvent = EventOf<StripeEventType>;
type StripeObject = Record<string, unknown> & { id: string; metadata: Record<string, string> | null };

const str = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : null);
const int = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? Math.round(value) : 0);
const LINE_KINDS: readonly LineKind[] = ['ticket', 'license', 'external'];

/**
 * Stripe events into order changes (seed 001). Orders are found by the PaymentIntent ID
 * (`providerCheckoutRef`), else by the order ID our checkout put in the metadata. A payment for
 * an order Orderflow did not start is turned into an order when its metadata names one, and
 * kept as an unmatched payment when nothing identifies it.
 *
 * Stripe reports every Checkout payment twice, as `checkout.session.completed` (paid) and as its
 * PaymentIntent's `payment_intent.succeeded`, in either order: both carry the PaymentIntent ID,
 * under which the first report records the payment. The second is the same money: it records
 * nothing and moves nothing, so a Checkout order has one payment and no refused transition.
 */
export class StripeHandler {
  constructor(
    private readonly book: OrderBook,
    private readonly payments: Payments,
  ) {}

  /**
   * What the event's order is looked up by, in order: its Checkout Session, its PaymentIntent,
   * then the order IDs its object names. `handle` locks the first that finds one; a run's are
   * locked ahead together.
   */
  references(event: StripeEvent): Array<[OrderReference, string | null]> {
    const object = event.payload.data.object as StripeObject;
    switch (event.type) {
      case 'payment_intent.succeeded':
      case 'payment_intent.payment_failed':
        return lookups({ paymentIntentId: object.id, metadata: object.metadata });
      case 'charge.refunded':
      case 'charge.dispute.created':
        return lookups({ paymentIntentId: str(object.payment_intent), metadata: object.metadata });
      case 'checkout.session.completed':
      case 'checkout.session.expired':
        return lookups({ checkoutSessionId: object.id, paymentIntentId: str(object.payment_intent), metadata: object.metadata, reference: str(object.client_reference_id) });
    }
  }

  async handle(tx: Tx, event: StripeEvent, cause: Cause): Promise<void> {
    const object = event.payload.data.object as StripeObject;
    const order = await this.book.lockFirst(tx, this.references(event));
    switch (event.type) {
      case 'payment_intent.succeeded':
        return this.paymentSucceeded(tx, object, order, cause);
      case 'payment_intent.payment_failed':
        return this.paymentFailed(tx, object, order, cause);
      case 'charge.refunded':
        return this.refunded(tx, object, order, cause);
      case 'charge.dispute.created':
        return this.disputed(tx, object, order, cause);
      case 'checkout.session.completed':
        return this.sessionCompleted(tx, object, order, cause);
      case 'checkout.session.expired':
        return this.sessionExpired(tx, order, cause);
    }
  }

  private async paymentSucceeded(tx: Tx, pi: StripeObject, found: LoadedOrder | null, cause: Cause): Promise<void> {
    const payment = this.paymentOf(pi, 'SUCCEEDED', int(pi.amount_received) || int(pi.amount));
    let order = found;
    const known = order !== null;
    if (!order) {
      const orderId = str(pi.metadata?.orderId);
      if (!orderId) return this.payments.unmatched(tx, payment, cause);
      // Created with its PaymentIntent and paid in one go: a new order has no payments yet.
      await this.payments.createPaid(tx, this.orderFromMetadata(orderId, pi, { paymentIntentId: pi.id, totalCents: int(pi.amount), currency: str(pi.currency) ?? 'usd' }), payment, cause);
      return;
    }
    if (!order.providerCheckoutRef) order = await this.book.patch(tx, order, { providerCheckoutRef: pi.id });
    // A known order may have the Session's payment already.
    if (known && (await this.payments.succeeded(tx, order.id, payment.providerPaymentRef))) return;
    await this.payments.record(tx, order.id, payment, cause);
    await this.payments.paid(tx, order, cause);
  }

  private async paymentFailed(tx: Tx, pi: StripeObject, order: LoadedOrder | null, cause: Cause): Promise<void> {
    if (!order) return; // no money moved: nothing to keep
    const error = pi.last_payment_error as { message?: string; code?: string } | null | undefined;
    const reason = error?.message ?? error?.code ?? 'payment failed';
    await this.payments.record(tx, order.id, this.paymentOf(pi, 'FAILED', int(pi.amount)), cause);
    // FAILED keeps the places: Stripe lets the customer retry the same PaymentIntent, and the
    // checkout's lock expiry gives them back if no retry succeeds.
    await this.book.transition(tx, order, 'FAILED', cause, { reason });
  }

  private async refunded(tx: Tx, charge: StripeObject, order: LoadedOrder | null, cause: Cause): Promise<void> {
    const refundedCents = int(charge.amount_refunded);
    const payment: PaymentRecord = {
      provider: 'stripe',
      providerPaymentRef: charge.id,
      status: charge.refunded === true ? 'REFUNDED' : 'PARTIALLY_REFUNDED',
      amountCents: refundedCents,
      currency: str(charge.currency) ?? 'usd',
      raw: charge,
    };
    if (!order) return this.payments.unmatched(tx, payment, cause);
    await this.payments.record(tx, order.id, payment, cause);
    // `refunded` is Stripe's own "fully refunded" flag; amounts decide when it is absent.
    const total = charge.refunded === true ? Math.max(refundedCents, order.totalCents) : refundedCents;
    await this.payments.refunded(tx, order, total, cause);
  }

  private async disputed(tx: Tx, dispute: StripeObject, order: LoadedOrder | null, cause: Cause): Promise<void> {
    const payment = this.paymentOf(dispute, 'DISPUTED', int(dispute.amount));
    if (!order) return this.payments.unmatched(tx, payment, cause);
    await this.payments.record(tx, order.id, payment, cause);
    await this.book.transition(tx, order, 'DISPUTED', cause, { reason: str(dispute.reason) ?? 'disputed' });
  }

  private async sessionCompleted(tx: Tx, session: StripeObject, found: LoadedOrder | null, cause: Cause): Promise<void> {
    const paymentIntentId = str(session.payment_intent);
    let order = found;
    const paid = session.payment_status === 'paid';
    const currency = str(session.currency) ?? 'usd';
    const payment = this.paymentOf(session, 'SUCCEEDED', int(session.amount_total), paymentIntentId ?? session.id);
    const known = order !== null;
    if (!order) {
      const orderId = str(session.metadata?.orderId) ?? str(session.client_reference_id);
      if (!orderId) return paid ? this.payments.unmatched(tx, payment, cause) : undefined;
      order = await this.book.create(tx, this.orderFromMetadata(orderId, session, { paymentIntentId, totalCents: int(session.amount_total), currency, checkoutSessionId: session.id }), cause);
    }
    order = await this.book.patch(tx, order, {
      checkoutSessionId: session.id,
      ...(order.providerCheckoutRef || !paymentIntentId ? {} : { providerCheckoutRef: paymentIntentId }),
      ...(order.customerEmail ? {} : { customerEmail: this.emailOf(session) }),
    });
    if (!paid) return;
    if (known && (await this.payments.succeeded(tx, order.id, payment.providerPaymentRef))) return; // the PaymentIntent reported it
    await this.payments.record(tx, order.id, payment, cause);
    await this.payments.paid(tx, order, cause);
  }

  private async sessionExpired(tx: Tx, order: LoadedOrder | null, cause: Cause): Promise<void> {
    if (!order) return;
    await this.payments.ended(tx, order, 'FAILED', 'checkout session expired', cause, { expired: true });
  }

  /**
   * An order started outside Orderflow, from what its metadata says: `orderId`, optional
   * `instanceId`, `customerEmail`, `customerName`, and `items` as JSON
   * (`[{ productId, quantity, unitAmountCents, kind, capacityKey, name }]`). Without items the
   * order is one external line for the whole amount.
   */
  private orderFromMetadata(
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
      customerEmail: mailAddressOf(metadata.customerEmail) ?? this.emailOf(object),
      customerName: str(metadata.customerName),
      providerCheckoutRef: refs.paymentIntentId,
      checkoutSessionId: refs.checkoutSessionId ?? null,
      lines,
    };
  }

  private emailOf(object: StripeObject): string | null {
    const details = object.customer_details as { email?: string } | null | undefined;
    return mailAddressOf(object.receipt_email) ?? mailAddressOf(details?.email) ?? mailAddressOf(object.customer_email);
  }

  private paymentOf(object: StripeObject, status: PaymentRecord['status'], amountCents: number, ref = object.id): PaymentRecord {
    return { provider: 'stripe', providerPaymentRef: ref, status, amountCents, currency: str(object.currency) ?? 'usd', raw: object };
  }
}

/** An object's order references, in the order they are tried (see `references`). */
function lookups(refs: {
  checkoutSessionId?: string;
  paymentIntentId: string | null;
  metadata: Record<string, string> | null;
  reference?: string | null;
}): Array<[OrderReference, string | null]> {
  return [
    ['checkoutSessionId', refs.checkoutSessionId ?? null],
    ['providerCheckoutRef', refs.paymentIntentId],
    ['id', str(refs.metadata?.orderId)],
    ['id', refs.reference ?? null],
  ];
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
