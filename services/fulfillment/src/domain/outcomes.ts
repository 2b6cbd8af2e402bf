import type { OutboxMessage } from '@orderflow/db';
import { encodeEvent, newEvent, type AnyEvent, type FulfillmentEventType, type FulfillmentOutcome, type OrderSnapshot } from '@orderflow/events';

/** A job as its outcome events name it: one outcome per round. */
export interface JobRef {
  orderId: string;
  instanceId: string | null;
  round: number;
}

export type Issued = Required<Pick<FulfillmentOutcome, 'tickets' | 'licenses' | 'externalLineIds'>> & { waitlistedLineIds: string[] };

/** A fulfillment event as an outbox message. Its ID names the job's round: one outcome per round. */
export function outcomeMessage(type: FulfillmentEventType, job: JobRef, traceId: string, payload: FulfillmentOutcome): OutboxMessage {
  const event = newEvent({ type, eventId: `${type}:${job.orderId}:${job.round}`, orderKey: job.orderId, instanceId: job.instanceId, traceId, payload });
  return encodeEvent(event as AnyEvent);
}

/** A job the orders consumer creates: its first round. */
export function firstRound(order: OrderSnapshot): JobRef {
  return { orderId: order.orderId, instanceId: order.instanceId, round: 1 };
}

/** The payload of `fulfillment.completed` for a job whose items were just issued. */
export function completion(job: Pick<JobRef, 'orderId' | 'instanceId'>, order: OrderSnapshot, issued: Issued): FulfillmentOutcome {
  return { orderId: job.orderId, instanceId: job.instanceId, customer: order.customer, reason: null, ...issued };
}

/** The payload of `fulfillment.failed`: support can retry it (POST /admin/fulfillments/:orderId/retry). */
export function failure(job: Pick<JobRef, 'orderId' | 'instanceId'>, reason: string): FulfillmentOutcome {
  return { orderId: job.orderId, instanceId: job.instanceId, reason, retriable: true };
}

/**
 * The payload of `fulfillment.voided`: the refunded or cancelled `order`, told to the customer of
 * `issuedFor` (the snapshot the job's items were issued for), with the items voided and revoked.
 */
export function voiding(
  order: OrderSnapshot,
  issuedFor: OrderSnapshot,
  tickets: NonNullable<FulfillmentOutcome['tickets']>,
  licenses: NonNullable<FulfillmentOutcome['licenses']>,
): FulfillmentOutcome {
  return {
    orderId: order.orderId,
    instanceId: order.instanceId,
    customer: issuedFor.customer,
    reason: order.status === 'REFUNDED' ? 'refunded' : 'cancelled',
    tickets,
    licenses,
  };
}
