import type { Tx } from '@orderflow/db';
import type { OrderBook } from '../data/order-book';
import {
  activatePendingRegistrations,
  givePlacesBack,
  heldBy,
  insertRegistration,
  setRegistrationStatus,
  takePlaces,
  waitlistedOf,
  waitlistedOfPaidOrders,
} from '../data/place-rows';
import { snapshotOf, type Cause, type LoadedOrder } from '../domain/order';
import { takesPlaces } from '../domain/places';
import type { OrderMetrics } from '../metrics';

/**
 * Places at events and sessions: each ticket line of an order holds one registration, which
 * either reserved its places (PENDING, ACTIVE once paid) or waits for them (WAITLISTED). The
 * steps the payment use cases and the checkout share (see data/place-rows for the SQL).
 */
export class Places {
  constructor(
    private readonly book: OrderBook,
    private readonly metrics: OrderMetrics,
  ) {}

  /** Registrations for ticket lines that have none yet. Returns the IDs of the lines waitlisted. */
  async reserve(tx: Tx, order: LoadedOrder, status: 'PENDING' | 'ACTIVE' = 'PENDING'): Promise<string[]> {
    const waitlisted: string[] = [];
    const registered = new Set(order.registrations.map((r) => r.lineId));
    for (const line of order.lines) {
      if (line.kind !== 'ticket' || !line.capacityKey || registered.has(line.id)) continue;
      const taken = await takePlaces(tx, line.capacityKey, line.quantity);
      if (!taken) waitlisted.push(line.id);
      await insertRegistration(tx, { orderId: order.id, lineId: line.id, capacityKey: line.capacityKey, quantity: line.quantity, status: taken ? status : 'WAITLISTED' });
    }
    return waitlisted;
  }

  /**
   * Paid: reserved places become active, and a waitlisted line gets places if some freed up.
   * Returns false for an order without places (no ticket line, no registration): nothing
   * changed, and it cost no statement. The order was read under its lock, so its registrations
   * show every PENDING or WAITLISTED one there is (others' transactions only ever promote a
   * waitlisted one).
   */
  async activate(tx: Tx, order: LoadedOrder): Promise<boolean> {
    if (!takesPlaces(order)) return false;
    const waitlistedNow = await this.reserve(tx, order, 'ACTIVE');
    if (order.registrations.some((r) => r.status === 'PENDING')) await activatePendingRegistrations(tx, order.id);
    if (waitlistedNow.length === 0 && !order.registrations.some((r) => r.status === 'WAITLISTED')) return true;
    for (const registration of await waitlistedOf(tx, order.id)) {
      if (await takePlaces(tx, registration.capacityKey, registration.quantity)) await setRegistrationStatus(tx, registration.id, 'ACTIVE');
    }
    return true;
  }

  /**
   * Cancels the order's registrations and gives their places back, then promotes the oldest
   * waitlisted registrations of paid orders into the places freed.
   */
  async release(tx: Tx, order: LoadedOrder, cause: Cause): Promise<void> {
    const freedKeys = new Set<string>();
    for (const registration of await heldBy(tx, order.id)) {
      if (registration.status !== 'WAITLISTED') {
        await givePlacesBack(tx, registration.capacityKey, registration.quantity);
        freedKeys.add(registration.capacityKey);
      }
      await setRegistrationStatus(tx, registration.id, 'CANCELLED');
    }
    for (const key of freedKeys) await this.promote(tx, key, order.id, cause);
  }

  /** Strictly first come, first served: stops at the first waitlisted registration that does not fit. */
  private async promote(tx: Tx, capacityKey: string, freedBy: string, cause: Cause): Promise<void> {
    for (const registration of await waitlistedOfPaidOrders(tx, capacityKey)) {
      if (!(await takePlaces(tx, capacityKey, registration.quantity))) return;
      await setRegistrationStatus(tx, registration.id, 'ACTIVE');
      this.metrics.promotions.inc();
      const promoted = (await this.book.reload(tx, registration.orderId))!;
      await this.book.emit(tx, {
        type: 'registration.promoted',
        eventId: `registration.promoted:${registration.id}`,
        orderKey: promoted.id,
        instanceId: promoted.instanceId,
        traceId: cause.traceId,
        payload: { registrationId: registration.id, capacityKey, order: snapshotOf(promoted, null, cause), freedBy },
      });
    }
  }
}
