import { takesPlaces } from './places';
import { LINES, preparedOrder } from '../../test/order-fixture';

describe('places without a database', () => {
  it('takes places for a ticket line with a capacity, not for one without or for other kinds', () => {
    expect(takesPlaces(preparedOrder({ lines: [LINES.concertTicket] }))).toBe(true);
    expect(takesPlaces(preparedOrder({ lines: [LINES.license, LINES.concertTicket] }))).toBe(true);
    expect(takesPlaces(preparedOrder({ lines: [LINES.openTicket] }))).toBe(false);
    expect(takesPlaces(preparedOrder({ lines: [LINES.license] }))).toBe(false);
  });

  it('takes places for an order holding registrations already (a waitlisted one included), whatever its lines say now', () => {
    const order = preparedOrder({ lines: [LINES.license] });
    const now = new Date();
    order.registrations.push({ id: 'reg_1', orderId: order.id, lineId: 'line_x', capacityKey: 'concert-1', quantity: 1, status: 'WAITLISTED', createdAt: now, updatedAt: now });
    expect(takesPlaces(order)).toBe(true);
  });
});
