import { fromCheckout } from './checkouts';
import type { Cause, LoadedOrder } from './order';
import { takesPlaces } from './places';

export interface PaymentRecord {
  provider: 'stripe' | 'wix' | 'manual';
  providerPaymentRef: string;
  status: 'SUCCEEDED' | 'FAILED' | 'REFUNDED' | 'PARTIALLY_REFUNDED' | 'DISPUTED';
  amountCents: number;
  currency: string;
  raw: unknown;
}

/** A payments row as it is written, alone or beside a new order. */
export interface PaymentRow {
  provider: string;
  providerPaymentRef: string;
  status: string;
  amountCents: number;
  currency: string;
  eventId: string;
  /** The provider's object, as JSON text. */
  raw: string;
}

/** The payments row of `payment`, as caused by `cause`. */
export function paymentRow(payment: Omit<PaymentRecord, 'status'> & { status: PaymentRecord['status'] | 'UNMATCHED' }, cause: Cause): PaymentRow {
  return {
    provider: payment.provider,
    providerPaymentRef: payment.providerPaymentRef,
    status: payment.status,
    amountCents: payment.amountCents,
    currency: payment.currency.toLowerCase(),
    eventId: cause.eventId ?? cause.kind,
    raw: JSON.stringify(payment.raw ?? {}),
  };
}

/**
 * Whether a paid order is approved in the same step: always where no separate approval exists
 * (Stripe and checkout orders); a Wix order only on an instance that auto-approves (`'*'`: all).
 */
export function approvesWhenPaid(order: Pick<LoadedOrder, 'source' | 'instanceId'>, autoApproveInstances: readonly string[]): boolean {
  if (order.source !== 'wix') return true;
  return autoApproveInstances.includes('*') || (order.instanceId !== null && autoApproveInstances.includes(order.instanceId));
}

/** PAID and APPROVED in one update: approved when paid, with no places to take and no checkout to complete in between. */
export function paidIsApproved(order: LoadedOrder, autoApproveInstances: readonly string[]): boolean {
  return approvesWhenPaid(order, autoApproveInstances) && !takesPlaces(order) && !fromCheckout(order);
}
