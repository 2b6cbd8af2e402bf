import { orderStatuses, type OrderStatus } from '@orderflow/events';
import { decide, eventsOnEntering } from './order-state';

describe('the order state machine', () => {
  it.each<[OrderStatus, OrderStatus]>([
    ['PENDING', 'PAID'],
    ['PAID', 'APPROVED'],
    ['APPROVED', 'FULFILLED'],
    ['PENDING', 'FAILED'],
    ['FAILED', 'PAID'],
    ['PAID', 'REFUNDED'],
    ['PAID', 'PARTIALLY_REFUNDED'],
    ['PARTIALLY_REFUNDED', 'REFUNDED'],
    ['FULFILLED', 'DISPUTED'],
  ])('applies %s → %s', (from, to) => {
    expect(decide(from, to)).toBe('apply');
  });

  it.each<[OrderStatus, OrderStatus]>([
    ['PAID', 'FAILED'],
    ['REFUNDED', 'PAID'],
    ['CANCELLED', 'PAID'],
    ['FULFILLED', 'PENDING'],
    ['APPROVED', 'PAID'],
    ['REFUNDED', 'PARTIALLY_REFUNDED'],
  ])('refuses %s → %s', (from, to) => {
    expect(decide(from, to)).toBe('illegal');
  });

  it('treats a move to the same status as unchanged, except a further partial refund', () => {
    for (const status of orderStatuses.filter((s) => s !== 'PARTIALLY_REFUNDED')) expect(decide(status, status)).toBe('unchanged');
    expect(decide('PARTIALLY_REFUNDED', 'PARTIALLY_REFUNDED')).toBe('apply');
  });

  it('never leaves a terminal status', () => {
    for (const to of orderStatuses) {
      expect(decide('REFUNDED', to)).not.toBe('apply');
      expect(decide('CANCELLED', to)).not.toBe('apply');
    }
  });

  it('announces approval as ready to fulfill', () => {
    expect(eventsOnEntering('APPROVED')).toEqual(['order.approved', 'order.ready_to_fulfill']);
    for (const status of orderStatuses) expect(eventsOnEntering(status).length).toBeGreaterThan(0);
  });
});
