import { LockedOrders } from './locked-orders';
import type { LoadedOrder } from '../domain/order';

function anOrder(id: string, refs: Partial<Pick<LoadedOrder, 'providerCheckoutRef' | 'checkoutSessionId' | 'wixOrderId'>> = {}): LoadedOrder {
  const now = new Date();
  return {
    id,
    instanceId: null,
    source: 'stripe',
    status: 'PENDING',
    providerCheckoutRef: null,
    checkoutSessionId: null,
    wixOrderId: null,
    wixOrderNumber: null,
    cartId: null,
    checkoutId: null,
    externalReference: null,
    currency: 'usd',
    totalCents: 100,
    refundedCents: 0,
    customerEmail: null,
    customerName: null,
    reason: null,
    fulfillmentFailure: null,
    version: 0,
    createdAt: now,
    updatedAt: now,
    lines: [],
    registrations: [],
    ...refs,
  };
}

describe('orders locked ahead of a run', () => {
  it('finds an order by any reference it has, the first reference that finds one winning', () => {
    const paid = anOrder('ord_1', { providerCheckoutRef: 'pi_1' });
    const other = anOrder('ord_2');
    const locked = new LockedOrders(
      [
        ['providerCheckoutRef', 'pi_1'],
        ['id', 'ord_2'],
      ],
      [paid, other],
    );
    expect(locked.lookup([['checkoutSessionId', null], ['providerCheckoutRef', 'pi_1'], ['id', 'ord_2']])).toBe(paid);
  });

  it('answers none only for references asked ahead and found nowhere, and leaves the rest to the database', () => {
    const locked = new LockedOrders([['providerCheckoutRef', 'pi_new'], ['id', 'ord_new']], []);
    expect(locked.lookup([['providerCheckoutRef', 'pi_new'], ['id', 'ord_new']])).toBeNull();
    expect(locked.lookup([['providerCheckoutRef', 'pi_new'], ['id', 'ord_never_asked']])).toBeUndefined();
  });

  it('hands an order out once: a second lookup of it reads the database, which sees what the first changed', () => {
    const order = anOrder('ord_1', { providerCheckoutRef: 'pi_1' });
    const locked = new LockedOrders([['id', 'ord_1']], [order]);
    expect(locked.lookup([['id', 'ord_1']])).toBe(order);
    expect(locked.lookup([['id', 'ord_1']])).toBeUndefined();
    expect(locked.lookup([['providerCheckoutRef', 'pi_1']])).toBeUndefined();
  });

  it('forgets "none" for the references of an order the transaction then wrote', () => {
    const locked = new LockedOrders(
      [
        ['providerCheckoutRef', 'pi_1'],
        ['checkoutSessionId', 'cs_1'],
        ['id', 'ord_1'],
      ],
      [],
    );
    // The payment created the order; the session's event in the same run must find it.
    locked.written(anOrder('ord_1', { providerCheckoutRef: 'pi_1' }));
    expect(locked.lookup([['checkoutSessionId', 'cs_1'], ['providerCheckoutRef', 'pi_1'], ['id', 'ord_1']])).toBeUndefined();
    expect(locked.lookup([['checkoutSessionId', 'cs_1']])).toBeNull();
  });

  it('forgets an order written before it was looked up: its row as locked is stale', () => {
    const order = anOrder('ord_1', { providerCheckoutRef: 'pi_1' });
    const locked = new LockedOrders([['id', 'ord_1']], [order]);
    locked.written({ ...order, version: 1 });
    expect(locked.lookup([['id', 'ord_1']])).toBeUndefined();
  });
});
