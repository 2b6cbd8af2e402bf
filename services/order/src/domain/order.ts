import { randomUUID } from 'node:crypto';
import type { LineKind, OrderSnapshot, OrderSource, OrderStatus } from '@orderflow/events';
import type { Order, Prisma } from '../generated/prisma/client';

/** An order as the service works with it: with its lines (by position) and registrations (oldest first). */
export const ORDER_INCLUDE = {
  lines: { orderBy: { position: 'asc' } },
  registrations: { orderBy: { createdAt: 'asc' } },
} as const satisfies Prisma.OrderInclude;

export type LoadedOrder = Prisma.OrderGetPayload<{ include: typeof ORDER_INCLUDE }>;

/** What caused a change: a provider event, a checkout step, a fulfillment report or an admin. */
export interface Cause {
  /** The event type or action, e.g. `payment_intent.succeeded`, `admin.complete`. */
  kind: string;
  /** The causing event's ID (idempotency key), or null for an action without one. */
  eventId: string | null;
  traceId: string;
}

export interface NewLine {
  productId: string;
  name: string | null;
  quantity: number;
  unitAmountCents: number;
  kind: LineKind;
  capacityKey: string | null;
}

export interface NewOrder {
  id?: string;
  instanceId: string | null;
  source: OrderSource;
  currency: string;
  totalCents?: number;
  customerEmail: string | null;
  customerName: string | null;
  providerCheckoutRef?: string | null;
  checkoutSessionId?: string | null;
  wixOrderId?: string | null;
  wixOrderNumber?: string | null;
  cartId?: string | null;
  checkoutId?: string | null;
  externalReference?: string | null;
  lines: NewLine[];
}

/** The unique references an order can be found and locked by. */
export type OrderReference = 'id' | 'providerCheckoutRef' | 'checkoutSessionId' | 'wixOrderId';

/** The references each order can be found by. */
export const ORDER_REFERENCES: readonly OrderReference[] = ['id', 'providerCheckoutRef', 'checkoutSessionId', 'wixOrderId'];

/** What an event's order is looked up by, in the order tried; a null value is skipped. */
export type OrderLookup = Array<[OrderReference, string | null]>;

/** The fields a change may set besides the status (a linked session, a refunded amount, …). */
export type OrderPatch = Partial<
  Pick<Order, 'refundedCents' | 'providerCheckoutRef' | 'checkoutSessionId' | 'wixOrderNumber' | 'externalReference' | 'fulfillmentFailure' | 'customerEmail' | 'customerName'>
>;

/** The order `input` describes, PENDING at version 0, as it is inserted (nothing is written). */
export function prepareOrder(input: NewOrder): LoadedOrder {
  const id = input.id ?? `ord_${randomUUID()}`;
  const total = input.totalCents ?? input.lines.reduce((sum, line) => sum + line.quantity * line.unitAmountCents, 0);
  const now = new Date();
  return {
    id,
    instanceId: input.instanceId,
    source: input.source,
    status: 'PENDING',
    currency: input.currency.toLowerCase(),
    totalCents: total,
    refundedCents: 0,
    customerEmail: input.customerEmail,
    customerName: input.customerName,
    providerCheckoutRef: input.providerCheckoutRef ?? null,
    checkoutSessionId: input.checkoutSessionId ?? null,
    wixOrderId: input.wixOrderId ?? null,
    wixOrderNumber: input.wixOrderNumber ?? null,
    cartId: input.cartId ?? null,
    checkoutId: input.checkoutId ?? null,
    externalReference: input.externalReference ?? null,
    reason: null,
    fulfillmentFailure: null,
    version: 0,
    createdAt: now,
    updatedAt: now,
    lines: input.lines.map((line, position) => ({ id: `line_${randomUUID()}`, orderId: id, position, ...line })),
    registrations: [],
  };
}

/** `path` as steps from the order's status: each from the status before it. */
export function stepsOf(order: Pick<Order, 'status'>, path: readonly OrderStatus[]): Array<{ from: OrderStatus; to: OrderStatus }> {
  return path.map((to, i) => ({ from: i === 0 ? (order.status as OrderStatus) : path[i - 1]!, to }));
}

/** The patch's fields that differ from the order's current values. */
export function changedFields(order: Order, patch: OrderPatch): OrderPatch {
  const changed: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(patch)) {
    if (value !== undefined && order[field as keyof Order] !== value) changed[field] = value;
  }
  return changed as OrderPatch;
}

/** `order`'s value of each reference it has. */
export function referencesOf(order: Order): Array<[OrderReference, string]> {
  return ORDER_REFERENCES.flatMap((reference) => {
    const value = order[reference];
    return typeof value === 'string' ? [[reference, value] as [OrderReference, string]] : [];
  });
}

/** The order as events and the APIs carry it. */
export function snapshotOf(order: LoadedOrder, previousStatus: OrderStatus | null, cause: Cause | null, reason?: string | null): OrderSnapshot {
  return {
    orderId: order.id,
    instanceId: order.instanceId,
    source: order.source as OrderSource,
    status: order.status as OrderStatus,
    previousStatus,
    currency: order.currency,
    totalCents: order.totalCents,
    refundedCents: order.refundedCents,
    customer: { email: order.customerEmail, name: order.customerName },
    lines: order.lines.map((line) => ({
      lineId: line.id,
      productId: line.productId,
      name: line.name,
      quantity: line.quantity,
      unitAmountCents: line.unitAmountCents,
      kind: line.kind as LineKind,
      capacityKey: line.capacityKey,
    })),
    registrations: order.registrations.map((r) => ({
      registrationId: r.id,
      lineId: r.lineId,
      capacityKey: r.capacityKey,
      status: r.status as OrderSnapshot['registrations'][number]['status'],
    })),
    references: {
      paymentIntentId: order.providerCheckoutRef,
      checkoutSessionId: order.checkoutSessionId,
      wixOrderId: order.wixOrderId,
      wixOrderNumber: order.wixOrderNumber,
      cartId: order.cartId,
      checkoutId: order.checkoutId,
      externalReference: order.externalReference,
    },
    reason: reason ?? order.reason,
    causedBy: cause?.eventId ?? cause?.kind ?? null,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}
