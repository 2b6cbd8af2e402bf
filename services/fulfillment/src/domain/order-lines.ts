import type { OrderSnapshot } from '@orderflow/events';

export type Line = OrderSnapshot['lines'][number];

/**
 * What a line of the order gets: `external` is recorded (the provider fulfills it, e.g. Wix's
 * `order_fulfilled`), `tickets` one per seat, `waitlisted` nothing yet (its tickets come with the
 * promotion), `license` one key per unit from the product's pool.
 */
export type LineIssue = 'external' | 'tickets' | 'waitlisted' | 'license';

/** Each line of the order with what it gets, in the order's line order. */
export function issuePlan(order: OrderSnapshot): Array<{ line: Line; issue: LineIssue }> {
  const waitlisted = new Set(order.registrations.filter((r) => r.status !== 'ACTIVE' && r.status !== 'PENDING').map((r) => r.lineId));
  return order.lines.map((line) => ({ line, issue: line.kind === 'external' ? 'external' : line.kind === 'ticket' ? (waitlisted.has(line.lineId) ? 'waitlisted' : 'tickets') : 'license' }));
}

/**
 * Whether the orders consumer fulfills the order as it arrives: tickets and external lines need
 * rows of this database only. License keys are left to the job runner: a pool can run dry, and
 * its failure and retry policy lives there.
 */
export function fulfilledOnArrival(order: OrderSnapshot): boolean {
  return order.lines.every((line) => line.kind !== 'license');
}
