import { deliveredName, isKnownPattern, PARTNER_EVENT_ALIASES, PARTNER_EVENT_TYPES } from './partner-events';
import { isEventType } from './catalog';

describe('partner events and the seeds’ names for them', () => {
  it('offers partners the order, checkout, registration and fulfillment events, and nothing internal', () => {
    expect(PARTNER_EVENT_TYPES).toContain('order.paid');
    expect(PARTNER_EVENT_TYPES).toContain('checkout.started');
    expect(PARTNER_EVENT_TYPES).toContain('fulfillment.completed');
    expect(PARTNER_EVENT_TYPES).not.toContain('payment.unmatched');
    expect(PARTNER_EVENT_TYPES).not.toContain('checkout.session.completed');
    expect(PARTNER_EVENT_TYPES).not.toContain('ingress.signature_failures');
  });

  it('maps each seed name onto an event of ours that partners receive', () => {
    for (const [alias, type] of Object.entries(PARTNER_EVENT_ALIASES)) {
      expect(isEventType(alias)).toBe(false);
      expect(PARTNER_EVENT_TYPES).toContain(type);
    }
  });

  it('knows the patterns that can match, and refuses those that never would', () => {
    for (const pattern of ['*', 'order.*', 'order.paid', 'payment.completed', 'order.completed', 'payment.failed', 'checkout.*', 'order.disputed']) expect(isKnownPattern(pattern)).toBe(true);
    for (const pattern of ['settlement.confirmed', 'payout.created', 'payment.*x', 'orders.*', 'ingress.signature_failures', 'order.shipped']) expect(isKnownPattern(pattern)).toBe(false);
  });

  it('delivers under our name when the subscription names it, and under the seed’s name when only that is subscribed', () => {
    expect(deliveredName(['order.paid'], 'order.paid')).toBe('order.paid');
    expect(deliveredName(['payment.completed'], 'order.paid')).toBe('payment.completed');
    expect(deliveredName(['order.completed', 'order.*'], 'order.paid')).toBe('order.paid');
    expect(deliveredName(['payment.failed'], 'order.payment_failed')).toBe('payment.failed');
    expect(deliveredName(['payment.completed'], 'order.payment_failed')).toBeNull();
    expect(deliveredName(['*'], 'checkout.started')).toBe('checkout.started');
  });
});
