import type { OrderSnapshot } from '@orderflow/events';
import { completion, failure, firstRound, outcomeMessage, voiding } from './outcomes';

const order = { orderId: 'ord_1', instanceId: 'shop-1', status: 'REFUNDED', customer: { email: 'ada@example.com', name: 'Ada' } } as OrderSnapshot;

describe('outcomes', () => {
  it('names an outcome event after its type, order and round: one outcome per round', () => {
    const message = outcomeMessage('fulfillment.failed', { ...firstRound(order), round: 3 }, 'trace-1', failure(order, 'pool exhausted'));
    expect(message.key).toBe('ord_1');
    expect(JSON.parse(String(message.value))).toMatchObject({ type: 'fulfillment.failed', eventId: 'fulfillment.failed:ord_1:3', traceId: 'trace-1', payload: { reason: 'pool exhausted', retriable: true } });
  });

  it('tells the customer of the snapshot the items were issued for, and why they were voided', () => {
    const issuedFor = { ...order, customer: { email: 'before@example.com', name: null } } as OrderSnapshot;
    expect(voiding(order, issuedFor, [], [])).toMatchObject({ customer: issuedFor.customer, reason: 'refunded' });
    expect(voiding({ ...order, status: 'CANCELLED' }, issuedFor, [], []).reason).toBe('cancelled');
  });

  it('completes with what was issued', () => {
    const issued = { tickets: [], licenses: [], externalLineIds: ['l1'], waitlistedLineIds: ['l2'] };
    expect(completion(order, order, issued)).toEqual({ orderId: 'ord_1', instanceId: 'shop-1', customer: order.customer, reason: null, ...issued });
  });
});
