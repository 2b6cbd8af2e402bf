import { prepareOrder, type LoadedOrder, type NewLine, type NewOrder } from '../src/domain/order';

/** Lines of the kinds an order has, for unit tests. */
export const LINES = {
  concertTicket: { productId: 'concert', name: 'Concert', quantity: 2, unitAmountCents: 2_500, kind: 'ticket', capacityKey: 'concert-1' },
  openTicket: { productId: 'talk', name: 'Talk', quantity: 1, unitAmountCents: 0, kind: 'ticket', capacityKey: null },
  license: { productId: 'ebook', name: 'E-book', quantity: 1, unitAmountCents: 900, kind: 'license', capacityKey: null },
} satisfies Record<string, NewLine>;

/** An order as `prepareOrder` makes it (PENDING, version 0, nothing written), for unit tests without a database. */
export function preparedOrder(input: Partial<NewOrder> = {}): LoadedOrder {
  return prepareOrder({ instanceId: 'shop-a', source: 'stripe', currency: 'EUR', customerEmail: 'ada@example.com', customerName: 'Ada', lines: [LINES.license], ...input });
}
