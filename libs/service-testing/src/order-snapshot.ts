import type { OrderSnapshot } from '@orderflow/events';

/**
 * An order snapshot as the order service publishes it on the orders topic: a paid checkout order
 * with no provider references, registrations, refund or reason, its total the sum of its lines,
 * and `fields` on top. Consumers' tests build their upstream events from it.
 */
export function orderSnapshot(fields: Pick<OrderSnapshot, 'orderId' | 'instanceId'> & Partial<OrderSnapshot>): OrderSnapshot {
  const { orderId, instanceId, ...rest } = fields;
  const now = new Date().toISOString();
  const lines = fields.lines ?? [];
  return {
    orderId,
    instanceId,
    source: 'checkout',
    status: 'PAID',
    previousStatus: 'PENDING',
    currency: 'eur',
    totalCents: lines.reduce((sum, l) => sum + l.quantity * l.unitAmountCents, 0),
    refundedCents: 0,
    customer: { email: 'ada@example.com', name: 'Ada' },
    lines,
    registrations: [],
    references: { paymentIntentId: null, checkoutSessionId: null, wixOrderId: null, wixOrderNumber: null, cartId: null, checkoutId: null, externalReference: null },
    reason: null,
    causedBy: null,
    createdAt: now,
    updatedAt: now,
    ...rest,
  };
}
