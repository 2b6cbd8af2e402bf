import type { PrismaClient } from '../generated/prisma/client';

/**
 * Deliveries and their attempt log through Prisma: what the deliver use case records of an
 * attempt other than a success (success-rows.ts records those, batched, in SQL), and a resend.
 * Every change that ends an attempt hands its lease back (`leasedUntil: null`).
 */

/** A claimed delivery of a subscription disabled meanwhile: held until it is enabled again. */
export async function holdClaimed(prisma: PrismaClient, id: bigint): Promise<void> {
  await prisma.delivery.update({ where: { id }, data: { status: 'HELD', leasedUntil: null } });
}

/** Failed for good without an attempt. */
export async function failUnsent(prisma: PrismaClient, id: bigint, lastError: string): Promise<void> {
  await prisma.delivery.update({ where: { id }, data: { status: 'FAILED', lastError, leasedUntil: null } });
}

/** Not attempted and due again at `nextAttemptAt`, its attempts as they were. */
export async function postpone(prisma: PrismaClient, id: bigint, nextAttemptAt: Date): Promise<void> {
  await prisma.delivery.update({ where: { id }, data: { leasedUntil: null, nextAttemptAt } });
}

export interface AttemptLogEntry {
  deliveryId: bigint;
  at: Date;
  statusCode: number | null;
  latencyMs: number;
  response: string | null;
  error: string;
}

export async function logAttempt(prisma: PrismaClient, data: AttemptLogEntry): Promise<void> {
  await prisma.deliveryAttempt.create({ data });
}

/** Held after its partner answered 410 Gone, with the attempt counted. */
export async function holdGone(prisma: PrismaClient, id: bigint, attempts: number, lastError: string): Promise<void> {
  await prisma.delivery.update({ where: { id }, data: { status: 'HELD', attempts, lastStatus: 410, lastError, leasedUntil: null } });
}

export interface FailedAttempt {
  /** PENDING: due again at `nextAttemptAt`; FAILED: given up. */
  status: 'PENDING' | 'FAILED';
  attempts: number;
  lastStatus: number | null;
  lastError: string;
  nextAttemptAt: Date;
}

/**
 * A failed attempt's result, only if the delivery is still out on it: a resend or replay that
 * came meanwhile handed the lease back (leasedUntil NULL) and stands. Returns 1 if recorded, else 0.
 */
export async function recordFailedAttempt(prisma: PrismaClient, id: bigint, attempt: FailedAttempt): Promise<number> {
  const { count } = await prisma.delivery.updateMany({ where: { id, leasedUntil: { not: null } }, data: { ...attempt, leasedUntil: null } });
  return count;
}

/** Due at `at` with a fresh attempt budget, whatever became of it, and no longer leased. */
export async function requeue(prisma: PrismaClient, id: bigint, at: Date): Promise<void> {
  await prisma.delivery.update({ where: { id }, data: { status: 'PENDING', attempts: 0, nextAttemptAt: at, leasedUntil: null } });
}
