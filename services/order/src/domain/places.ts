import { randomUUID } from 'node:crypto';
import type { OrderBook, Cause, LoadedOrder, Tx } from './order-book';
import { snapshotOf } from './order-book';
import { PAID_STATUSES } from './order-state';
import type { OrderMetrics } from '../order.metrics';

/**
 * Places at events and sessions: each ticket line of an order holds one registration, which
 * either reserved its places (PENDING, ACTIVE once paid) or waits for them (WAITLISTED).
 * Capacities without a row are unlimited. The conditional UPDATE on `capacities` is the whole
 * concurrency story: two orders racing for the last place cannot both get it.
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
      const taken = await this.take(tx, line.capacityKey, line.quantity);
      if (!taken) waitlisted.push(line.id);
      await tx.registration.create({
        data: { id: `reg_${randomUUID()}`, orderId: order.id, lineId: line.id, capacityKey: line.capacityKey, quantity: line.quantity, status: taken ? status : 'WAITLISTED' },
      });
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
    const hasPlaces = order.lines.some((line) => line.kind === 'ticket' && line.capacityKey) || order.registrations.length > 0;
    if (!hasPlaces) return false;
    const waitlistedNow = await this.reserve(tx, order, 'ACTIVE');
    if (order.registrations.some((r) => r.status === 'PENDING')) {
      await tx.registration.updateMany({ where: { orderId: order.id, status: 'PENDING' }, data: { status: 'ACTIVE', updatedAt: new Date() } });
    }
    if (waitlistedNow.length === 0 && !order.registrations.some((r) => r.status === 'WAITLISTED')) return true;
    const waiting = await tx.registration.findMany({ where: { orderId: order.id, status: 'WAITLISTED' }, orderBy: { createdAt: 'asc' } });
    for (const registration of waiting) {
      if (await this.take(tx, registration.capacityKey, registration.quantity)) {
        await tx.registration.update({ where: { id: registration.id }, data: { status: 'ACTIVE', updatedAt: new Date() } });
      }
    }
    return true;
  }

  /**
   * Cancels the order's registrations and gives their places back, then promotes the oldest
   * waitlisted registrations of paid orders into the places freed.
   */
  async release(tx: Tx, order: LoadedOrder, cause: Cause): Promise<void> {
    const held = await tx.registration.findMany({ where: { orderId: order.id, status: { in: ['PENDING', 'ACTIVE', 'WAITLISTED'] } } });
    const freedKeys = new Set<string>();
    for (const registration of held) {
      if (registration.status !== 'WAITLISTED') {
        await tx.$executeRawUnsafe(
          'UPDATE capacities SET reserved = GREATEST(reserved - $2, 0), updated_at = now() WHERE key = $1',
          registration.capacityKey,
          registration.quantity,
        );
        freedKeys.add(registration.capacityKey);
      }
      await tx.registration.update({ where: { id: registration.id }, data: { status: 'CANCELLED', updatedAt: new Date() } });
    }
    for (const key of freedKeys) await this.promote(tx, key, order.id, cause);
  }

  /** Strictly first come, first served: stops at the first waitlisted registration that does not fit. */
  private async promote(tx: Tx, capacityKey: string, freedBy: string, cause: Cause): Promise<void> {
    const waiting = await tx.registration.findMany({
      where: { capacityKey, status: 'WAITLISTED', order: { status: { in: [...PAID_STATUSES] } } },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    for (const registration of waiting) {
      if (!(await this.take(tx, capacityKey, registration.quantity))) return;
      await tx.registration.update({ where: { id: registration.id }, data: { status: 'ACTIVE', updatedAt: new Date() } });
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

  /** Takes `quantity` places if they are free (or the capacity is unlimited). */
  private async take(tx: Tx, capacityKey: string, quantity: number): Promise<boolean> {
    const taken = await tx.$executeRawUnsafe(
      'UPDATE capacities SET reserved = reserved + $2, updated_at = now() WHERE key = $1 AND reserved + $2 <= capacity',
      capacityKey,
      quantity,
    );
    if (taken === 1) return true;
    const limited = await tx.capacity.findUnique({ where: { key: capacityKey }, select: { key: true } });
    return limited === null;
  }
}
