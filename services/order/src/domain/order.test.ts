import { changedFields, snapshotOf } from './order';
import { LINES, preparedOrder } from '../../test/order-fixture';

describe('orders without a database', () => {
  it('prepares a PENDING order at version 0, its total from its lines unless given, currency in lower case, lines in order', () => {
    const order = preparedOrder({ lines: [LINES.concertTicket, LINES.license] });
    expect(order).toMatchObject({ status: 'PENDING', version: 0, totalCents: 2 * 2_500 + 900, refundedCents: 0, currency: 'eur', reason: null });
    expect(order.id).toMatch(/^ord_/);
    expect(order.lines.map((line) => [line.productId, line.position, line.orderId])).toEqual([
      ['concert', 0, order.id],
      ['ebook', 1, order.id],
    ]);
    expect(preparedOrder({ totalCents: 100, lines: [LINES.concertTicket] }).totalCents).toBe(100);
    expect(preparedOrder({ id: 'ord_given' }).id).toBe('ord_given');
  });

  it('snapshots an order as events carry it: references, registrations, what caused the change and why', () => {
    const order = preparedOrder({ providerCheckoutRef: 'pi_1', cartId: 'cart-1', lines: [LINES.concertTicket] });
    const snapshot = snapshotOf({ ...order, status: 'PAID' }, 'PENDING', { kind: 'payment_intent.succeeded', eventId: 'evt_1', traceId: 't' });
    expect(snapshot).toMatchObject({
      orderId: order.id,
      status: 'PAID',
      previousStatus: 'PENDING',
      customer: { email: 'ada@example.com', name: 'Ada' },
      references: { paymentIntentId: 'pi_1', cartId: 'cart-1', checkoutSessionId: null },
      causedBy: 'evt_1',
      reason: null,
    });
    expect(snapshot.lines[0]).toEqual({ lineId: order.lines[0]!.id, productId: 'concert', name: 'Concert', quantity: 2, unitAmountCents: 2_500, kind: 'ticket', capacityKey: 'concert-1' });
    expect(snapshotOf(order, null, { kind: 'admin.cancel', eventId: null, traceId: 't' }, 'asked to').causedBy).toBe('admin.cancel');
    expect(snapshotOf(order, null, null, 'asked to').reason).toBe('asked to');
  });

  it('updates only the fields a patch changes', () => {
    const order = preparedOrder({ customerEmail: 'ada@example.com' });
    expect(changedFields(order, { customerEmail: 'ada@example.com', customerName: 'Ada L.', fulfillmentFailure: undefined })).toEqual({ customerName: 'Ada L.' });
    expect(changedFields(order, {})).toEqual({});
  });
});
