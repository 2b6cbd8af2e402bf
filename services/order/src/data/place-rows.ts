import type { Tx } from '@orderflow/db';
import { randomUUID } from 'node:crypto';
import { PAID_STATUSES } from '../domain/order-state';
import type { Registration } from '../generated/prisma/client';

/**
 * Registrations and capacities in SQL. Capacities without a row are unlimited. The conditional
 * UPDATE on `capacities` (`takePlaces`) is the whole concurrency story: two orders racing for the
 * last place cannot both get it.
 */

export type RegistrationStatus = 'PENDING' | 'ACTIVE' | 'CANCELLED' | 'WAITLISTED';

/** A registration's columns under the client's field names. */
const REGISTRATION = `r.id, r.order_id AS "orderId", r.line_id AS "lineId", r.capacity_key AS "capacityKey", r.quantity, r.status,
  r.created_at AS "createdAt", r.updated_at AS "updatedAt"`;

/** The paid statuses as an SQL list (constants of ours, not input). */
const PAID_LIST = PAID_STATUSES.map((status) => `'${status}'`).join(', ');

/** Takes `quantity` places if they are free (or the capacity is unlimited). */
export async function takePlaces(tx: Tx, capacityKey: string, quantity: number): Promise<boolean> {
  const taken = await tx.$executeRawUnsafe(
    'UPDATE capacities SET reserved = reserved + $2, updated_at = now() WHERE key = $1 AND reserved + $2 <= capacity',
    capacityKey,
    quantity,
  );
  if (taken === 1) return true;
  const limited = await tx.$queryRawUnsafe<unknown[]>('SELECT 1 FROM capacities WHERE key = $1', capacityKey);
  return limited.length === 0;
}

/** Gives `quantity` places of the capacity back. */
export async function givePlacesBack(tx: Tx, capacityKey: string, quantity: number): Promise<void> {
  await tx.$executeRawUnsafe('UPDATE capacities SET reserved = GREATEST(reserved - $2, 0), updated_at = now() WHERE key = $1', capacityKey, quantity);
}

export async function insertRegistration(
  tx: Tx,
  registration: { orderId: string; lineId: string; capacityKey: string; quantity: number; status: RegistrationStatus },
): Promise<void> {
  // clock_timestamp(): the waitlist is first come, first served, also among the orders of one transaction.
  await tx.$executeRawUnsafe(
    `INSERT INTO registrations (id, order_id, line_id, capacity_key, quantity, status, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, clock_timestamp(), clock_timestamp())`,
    `reg_${randomUUID()}`,
    registration.orderId,
    registration.lineId,
    registration.capacityKey,
    registration.quantity,
    registration.status,
  );
}

/** The order's PENDING registrations become ACTIVE. */
export async function activatePendingRegistrations(tx: Tx, orderId: string): Promise<void> {
  await tx.$executeRawUnsafe(`UPDATE registrations SET status = 'ACTIVE', updated_at = clock_timestamp() WHERE order_id = $1 AND status = 'PENDING'`, orderId);
}

export async function setRegistrationStatus(tx: Tx, id: string, status: RegistrationStatus): Promise<void> {
  await tx.$executeRawUnsafe('UPDATE registrations SET status = $2, updated_at = clock_timestamp() WHERE id = $1', id, status);
}

/** The order's waitlisted registrations, oldest first. */
export function waitlistedOf(tx: Tx, orderId: string): Promise<Registration[]> {
  return registrations(tx, `r.order_id = $1 AND r.status = 'WAITLISTED' ORDER BY r.created_at`, orderId);
}

/** The order's registrations that hold or wait for places, oldest first. */
export function heldBy(tx: Tx, orderId: string): Promise<Registration[]> {
  return registrations(tx, `r.order_id = $1 AND r.status IN ('PENDING', 'ACTIVE', 'WAITLISTED') ORDER BY r.created_at, r.id`, orderId);
}

/** The capacity's waitlisted registrations of paid orders, oldest first: the waitlist's order. */
export function waitlistedOfPaidOrders(tx: Tx, capacityKey: string): Promise<Registration[]> {
  return registrations(
    tx,
    `r.capacity_key = $1 AND r.status = 'WAITLISTED' AND EXISTS (SELECT 1 FROM orders o WHERE o.id = r.order_id AND o.status IN (${PAID_LIST}))
     ORDER BY r.created_at, r.id`,
    capacityKey,
  );
}

async function registrations(tx: Tx, where: string, ...values: unknown[]): Promise<Registration[]> {
  return tx.$queryRawUnsafe<Registration[]>(`SELECT ${REGISTRATION} FROM registrations r WHERE ${where}`, ...values);
}
