import { enqueue, type Tx } from '@orderflow/db';
import type { OrderSnapshot } from '@orderflow/events';
import { voidJob } from '../data/job-rows';
import { revokeLicenses } from '../data/license-key-rows';
import { voidTickets } from '../data/ticket-rows';
import { outcomeMessage, voiding } from '../domain/outcomes';
import type { FulfillmentMetrics } from '../metrics';

/**
 * `order.refunded` (in full) or `order.cancelled`: tickets voided, licenses revoked (their keys
 * never go back to the pool), the job ended, `fulfillment.voided` published. A void that arrives
 * before anything was issued leaves a VOIDED job behind, so a late or replayed ready_to_fulfill
 * issues nothing. An order voided already is left as it is.
 */
export async function voidOrder(tx: Tx, order: OrderSnapshot, traceId: string, metrics: FulfillmentMetrics): Promise<void> {
  const job = await voidJob(tx, order);
  if (!job) return;
  const tickets = await voidTickets(tx, order.orderId);
  const licenses = await revokeLicenses(tx, order.orderId);
  if (tickets.length) metrics.voids.inc({ kind: 'ticket' }, tickets.length);
  if (licenses.length) metrics.voids.inc({ kind: 'license' }, licenses.length);
  await enqueue(tx, outcomeMessage('fulfillment.voided', job, traceId, voiding(order, job.snapshot, tickets, licenses)));
}
