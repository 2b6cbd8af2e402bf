import type { LoadedOrder } from './order';

/** Whether paying for the order takes places: a ticket line with a capacity, or registrations already made. */
export function takesPlaces(order: LoadedOrder): boolean {
  return order.lines.some((line) => line.kind === 'ticket' && line.capacityKey) || order.registrations.length > 0;
}
