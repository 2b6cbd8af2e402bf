import type { OrderSnapshot } from '@orderflow/events';
import { fulfilledOnArrival, issuePlan } from './order-lines';

type Kind = OrderSnapshot['lines'][number]['kind'];

function order(lines: Array<[lineId: string, kind: Kind, registration?: OrderSnapshot['registrations'][number]['status']]>): OrderSnapshot {
  return {
    orderId: 'ord_1',
    instanceId: 'shop-1',
    lines: lines.map(([lineId, kind]) => ({ lineId, kind, productId: `${kind}-product`, name: null, quantity: 1, unitAmountCents: 100, capacityKey: kind === 'ticket' ? 'event-1' : null })),
    registrations: lines.filter(([, , status]) => status).map(([lineId, , status]) => ({ registrationId: `reg_${lineId}`, lineId, capacityKey: 'event-1', status: status! })),
  } as OrderSnapshot;
}

describe('issuePlan', () => {
  it('says what each line gets, in the order of the lines', () => {
    const plan = issuePlan(order([['l1', 'license'], ['l2', 'ticket', 'ACTIVE'], ['l3', 'external'], ['l4', 'ticket', 'PENDING']]));
    expect(plan.map(({ line, issue }) => [line.lineId, issue])).toEqual([['l1', 'license'], ['l2', 'tickets'], ['l3', 'external'], ['l4', 'tickets']]);
  });

  it('holds back the tickets of a line whose registration is neither active nor pending', () => {
    const plan = issuePlan(order([['l1', 'ticket', 'WAITLISTED'], ['l2', 'ticket', 'CANCELLED'], ['l3', 'ticket']]));
    expect(plan.map(({ issue }) => issue)).toEqual(['waitlisted', 'waitlisted', 'tickets']);
  });
});

describe('fulfilledOnArrival', () => {
  it('is true for tickets and external lines only, false as soon as a line takes a license key', () => {
    expect(fulfilledOnArrival(order([['l1', 'ticket', 'ACTIVE'], ['l2', 'external']]))).toBe(true);
    expect(fulfilledOnArrival(order([['l1', 'ticket', 'ACTIVE'], ['l2', 'license']]))).toBe(false);
  });
});
