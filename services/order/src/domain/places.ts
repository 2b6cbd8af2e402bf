import type { Tx } from '@orderflow/db';
import { randomUUID } from 'node:crypto';
import type { OrderBook, Cause, LoadedOrder } from './order-book';
import { snapshotOf } from './order-book';
import { PAID_STATUSES } from './order-state';
import type { OrderMetrics } from '../order.metrics';
import type { Registration } from '../generated/prisma/client';

/** A registration's columns under the client's field names. */
const REGISTRATION = `r.id, r.order_id AS "orderId", r.line_id AS "lineId", r.capacity_key AS "capacityKey", r.quantity, r.status,
  r.created_at AS "createdAt", r.updated_at AS "updatedAt"`;

/** The paid statuses as an SQL list (constants of ours, not input). */
const PAID_LIST = PAID_STATUSES.map((status) => `'${status}'`).join(', ');

type RegistrationStatus = 'PENDING' | 'ACTIVE' | 'CANCELLED' | 'WAITLISTED';

/** Whether paying for the order takes places: a ticket line with a capacity, or registrations already made. */
export function takesPlaces(order: LoadedOrder): boolean {
  return order.lines.some((line) => line.kind === 'ticket' && line.capacityKey) || order.registrations.length > 0;
}

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
      // clock_timestamp(): the waitlist is first come, first served, also among the orders of one transaction.
      await tx.$executeRawUnsafe(
        `INSERT INTO registrations (id, order_id, line_id, capacity_key, quantity, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, clock_timestamp(), clock_timestamp())`,
        `reg_${randomUUID()}`,
        order.id,
        line.id,
        line.capacityKey,
        line.quantity,
        taken ? status : 'WAITLISTED',
      );
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
    if (order.registrations.some((r) => r.status === 'PENDING')) {
      await tx.$executeRawUnsafe(`UPDATE registrations SET status = 'ACTIVE', updated_at = clock_timestamp() WHERE order_id = $1 AND status = 'PENDING'`, order.id);
    }
    if (waitlistedNow.length === 0 && !order.registrations.some((r) => r.status === 'WAITLISTED')) return true;
    const waiting = await registrations(tx, `r.order_id = $1 AND r.status = 'WAITLISTED' ORDER BY r.created_at`, order.id);
    for (const registration of waiting) {
      if (await this.take(tx, registration.capacityKey, registration.quantity)) await setStatus(tx, registration.id, 'ACTIVE');
    }
    return true;
  }

  /**
   * Cancels the order's registrations and gives their places back, then promotes the oldest
   * waitlisted registrations of paid orders into the places freed.
   */
  async release(tx: Tx, order: LoadedOrder, cause: Cause): Promise<void> {
    const held = await registrations(tx, `r.order_id = $1 AND r.status IN ('PENDING', 'ACTIVE', 'WAITLISTED') ORDER BY r.created_at, r.id`, order.id);
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
      await setStatus(tx, registration.id, 'CANCELLED');
    }
    for (const key of freedKeys) await this.promote(tx, key, order.id, cause);
  }

  /** Strictly first come, first served: stops at the first waitlisted registration that does not fit. */
  private async promote(tx: Tx, capacityKey: string, freedBy: string, cause: Cause): Promise<void> {
    const waiting = await registrations(
      tx,
      `r.capacity_key = $1 AND r.status = 'WAITLISTED' AND EXISTS (SELECT 1 FROM orders o WHERE o.id = r.order_id AND o.status IN (${PAID_LIST}))
       ORDER BY r.created_at, r.id`,
      capacityKey,
    );
    for (const registration of waiting) {
      if (!(await this.take(tx, capacityKey, registration.quantity))) return;
      await setStatus(tx, registration.id, 'ACTIVE');
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
    const limited = await tx.$queryRawUnsafe<unknown[]>('SELECT 1 FROM capacities WHERE key = $1', capacityKey);
    return limited.length === 0;
  }
}

async function registrations(tx: Tx, where: string, ...values: unknown[]): Promise<Registration[]> {
  return tx.$queryRawUnsafe<Registration[]>(`SELECT ${REGISTRATION} FROM registrations r WHERE ${where}`, ...values);
}

async function setStatus(tx: Tx, id: string, status: RegistrationStatus): Promise<void> {
  await tx.$executeRawUnsafe('UPDATE registrations SET status = $2, updated_at = clock_timestamp() WHERE id = $1', id, status);
}
