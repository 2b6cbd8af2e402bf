import { approvesWhenPaid, paidIsApproved, paymentRow } from './payments';
import { LINES, preparedOrder } from '../../test/order-fixture';

describe('payments without a database', () => {
  it('approves a paid Stripe or checkout order at once, a Wix order only on an auto-approving instance', () => {
    expect(approvesWhenPaid({ source: 'stripe', instanceId: null }, [])).toBe(true);
    expect(approvesWhenPaid({ source: 'checkout', instanceId: 'shop-a' }, [])).toBe(true);
    expect(approvesWhenPaid({ source: 'wix', instanceId: 'shop-a' }, ['shop-a'])).toBe(true);
    expect(approvesWhenPaid({ source: 'wix', instanceId: 'shop-b' }, ['shop-a'])).toBe(false);
    expect(approvesWhenPaid({ source: 'wix', instanceId: 'shop-b' }, ['*'])).toBe(true);
    expect(approvesWhenPaid({ source: 'wix', instanceId: null }, ['shop-a'])).toBe(false);
  });

  it('makes PAID and APPROVED one step only when nothing happens in between: no places to take, no checkout to complete', () => {
    expect(paidIsApproved(preparedOrder({ lines: [LINES.license] }), [])).toBe(true);
    expect(paidIsApproved(preparedOrder({ lines: [LINES.openTicket] }), [])).toBe(true);
    expect(paidIsApproved(preparedOrder({ lines: [LINES.license, LINES.concertTicket] }), [])).toBe(false);
    expect(paidIsApproved(preparedOrder({ source: 'checkout' }), [])).toBe(false);
    expect(paidIsApproved(preparedOrder({ source: 'wix' }), [])).toBe(false);
    expect(paidIsApproved(preparedOrder({ source: 'wix' }), ['shop-a'])).toBe(true);
  });

  it('records a payment in lower-case currency, caused by the event (or the action without one), its payload as JSON', () => {
    const payment = { provider: 'stripe' as const, providerPaymentRef: 'pi_1', status: 'SUCCEEDED' as const, amountCents: 900, currency: 'EUR', raw: { id: 'pi_1' } };
    expect(paymentRow(payment, { kind: 'payment_intent.succeeded', eventId: 'evt_1', traceId: 't' })).toEqual({
      provider: 'stripe',
      providerPaymentRef: 'pi_1',
      status: 'SUCCEEDED',
      amountCents: 900,
      currency: 'eur',
      eventId: 'evt_1',
      raw: '{"id":"pi_1"}',
    });
    expect(paymentRow({ ...payment, status: 'UNMATCHED', raw: undefined }, { kind: 'admin.complete', eventId: null, traceId: 't' })).toMatchObject({ status: 'UNMATCHED', eventId: 'admin.complete', raw: '{}' });
  });
});
