import { processOnce } from '@orderflow/db';
import type { AnyEvent, OrderSnapshot } from '@orderflow/events';
import type { EventHandler } from '@orderflow/kafka';
import type { Prisma, PrismaClient } from '../generated/prisma/client';
import type { FulfillmentMetrics } from '../fulfillment.metrics';
import type { Tx } from './fulfiller';
import { emit, snapshotOf } from './jobs';

export interface OrdersConsumerDeps {
  prisma: () => PrismaClient;
  metrics: FulfillmentMetrics;
  /** After a commit that made a job due. */
  jobsDue: () => void;
  /** After a commit that put events in the outbox. */
  published: () => void;
}

/**
 * The orders topic, as fulfillment cares about it. Each event is handled once (processOnce); the
 * handler only records intent — a job to run, or a void — and the job runner does the issuing,
 * so a slow or failing fulfillment never holds up the partition behind it.
 */
export function ordersHandler(deps: OrdersConsumerDeps): EventHandler {
  return async (event) => {
    const work = workFor(event);
    if (!work) return;
    const result = await processOnce(deps.prisma(), { consumer: 'fulfillment', eventId: event.eventId }, async (tx) => {
      if (work.kind === 'void') {
        await voidOrder(tx, work.order, event.traceId, deps.metrics);
        return 'void' as const;
      }
      return (await startJob(tx, work.order)) ? ('job' as const) : undefined;
    });
    const outcome = result.duplicate ? undefined : result.result;
    if (outcome === 'job') deps.jobsDue();
    if (outcome === 'void') deps.published();
  };
}

function workFor(event: AnyEvent): { kind: 'start' | 'void'; order: OrderSnapshot } | null {
  switch (event.type) {
    case 'order.ready_to_fulfill':
      return { kind: 'start', order: event.payload };
    case 'registration.promoted':
      // A waitlisted ticket line got its places: its tickets are due now.
      return { kind: 'start', order: event.payload.order };
    case 'order.refunded':
      // A partial refund keeps the order's tickets and licenses.
      return event.payload.status === 'REFUNDED' ? { kind: 'void', order: event.payload } : null;
    case 'order.cancelled':
      return { kind: 'void', order: event.payload };
    default:
      return null;
  }
}

/**
 * A job for the order, or the existing one started again (a new round: an admin retry, a
 * promotion) with the latest snapshot. A voided order stays voided, whatever arrives later.
 */
async function startJob(tx: Tx, order: OrderSnapshot): Promise<boolean> {
  const snapshot = order as unknown as Prisma.InputJsonValue;
  const existing = await tx.fulfillmentJob.findUnique({ where: { orderId: order.orderId } });
  if (!existing) {
    await tx.fulfillmentJob.create({ data: { orderId: order.orderId, instanceId: order.instanceId, status: 'PENDING', snapshot } });
    return true;
  }
  if (existing.status === 'VOIDED') return false;
  if (existing.status === 'PENDING') {
    await tx.fulfillmentJob.update({ where: { orderId: order.orderId }, data: { snapshot, updatedAt: new Date() } });
    return true;
  }
  await tx.fulfillmentJob.update({
    where: { orderId: order.orderId },
    data: { status: 'PENDING', snapshot, round: { increment: 1 }, attempts: 0, nextAttemptAt: new Date(), lastError: null, updatedAt: new Date() },
  });
  return true;
}

/**
 * Refunded or cancelled: tickets voided, licenses revoked (their keys never go back to the pool),
 * the job ended, `fulfillment.voided` published. A void that arrives before anything was issued
 * leaves a VOIDED job behind, so a late or replayed ready_to_fulfill issues nothing.
 */
export async function voidOrder(tx: Tx, order: OrderSnapshot, traceId: string, metrics: FulfillmentMetrics): Promise<void> {
  const now = new Date();
  const existing = await tx.fulfillmentJob.findUnique({ where: { orderId: order.orderId } });
  if (existing?.status === 'VOIDED') return;
  const job = existing
    ? await tx.fulfillmentJob.update({ where: { orderId: order.orderId }, data: { status: 'VOIDED', voidedAt: now, updatedAt: now, round: { increment: 1 } } })
    : await tx.fulfillmentJob.create({ data: { orderId: order.orderId, instanceId: order.instanceId, status: 'VOIDED', snapshot: order as unknown as Prisma.InputJsonValue, voidedAt: now } });
  const tickets = await tx.ticket.findMany({ where: { orderId: order.orderId, status: 'ISSUED' }, orderBy: [{ lineId: 'asc' }, { seat: 'asc' }] });
  const licenses = await tx.licenseKey.findMany({ where: { orderId: order.orderId, status: 'ASSIGNED' }, orderBy: { id: 'asc' } });
  await tx.ticket.updateMany({ where: { orderId: order.orderId, status: 'ISSUED' }, data: { status: 'VOIDED', voidedAt: now } });
  await tx.licenseKey.updateMany({ where: { orderId: order.orderId, status: 'ASSIGNED' }, data: { status: 'REVOKED', revokedAt: now } });
  if (tickets.length) metrics.voids.inc({ kind: 'ticket' }, tickets.length);
  if (licenses.length) metrics.voids.inc({ kind: 'license' }, licenses.length);
  await emit(tx, 'fulfillment.voided', job, traceId, {
    orderId: order.orderId,
    instanceId: order.instanceId,
    customer: snapshotOf(job).customer,
    reason: order.status === 'REFUNDED' ? 'refunded' : 'cancelled',
    tickets: tickets.map((t) => ({ ticketId: t.id, lineId: t.lineId, seat: t.seat, capacityKey: t.capacityKey, code: t.code })),
    licenses: licenses.map((k) => ({ licenseId: String(k.id), lineId: k.lineId ?? '', productId: k.productId, unit: k.unit ?? 0, keyHint: k.keyHint })),
  });
}
