import type { Tx } from '@orderflow/db';
import { mailAddressOf, type EventOf, type WixEventType } from '@orderflow/events';
import { NonRetriableError } from '@orderflow/kafka';
import { completeRecord, pendingRecordOf, upsertRecord, type TrackedOrder } from '../data/external-order-records';
import type { Cause, LoadedOrder, NewLine, OrderLookup } from '../domain/order';
import type { OrderChangeDeps } from './payments';

/**
 * What every Wix use case shares (seed 000): the order's ID is the Wix order ID; an event for an
 * order not seen yet (its order_created was lost, or it predates Orderflow) creates it from the
 * entity first, so nothing is dropped; and after the change the order's external order record is
 * brought up to date.
 */

export type WixEvent = EventOf<WixEventType>;
export type WixEntity = WixEvent['payload']['entity'] & Record<string, unknown>;

/** What one Wix event does to its order (found or created); returns the order as it leaves it. */
export type WixChange = (order: LoadedOrder, entity: WixEntity) => Promise<LoadedOrder>;

export const str = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : typeof value === 'number' ? String(value) : null);

/** Wix money is a decimal string ("10.50"); cents are whole numbers. */
export function cents(value: unknown): number {
  const amount = typeof value === 'object' && value !== null ? (value as { amount?: unknown }).amount : value;
  const parsed = typeof amount === 'string' ? Number.parseFloat(amount) : typeof amount === 'number' ? amount : Number.NaN;
  return Number.isFinite(parsed) ? Math.round(parsed * 100) : 0;
}

export function emailOf(entity: WixEntity): string | null {
  return mailAddressOf((entity.buyerInfo as { email?: unknown } | undefined)?.email);
}

/** What the event's order is looked up by, to be locked ahead with a run's. */
export function wixOrderLookup(event: WixEvent): OrderLookup {
  return [['wixOrderId', (event.payload.entity as WixEntity).id]];
}

/** The event's order, found or created from the entity, changed by `change`, then tracked. */
export async function onWixOrder(deps: OrderChangeDeps, tx: Tx, event: WixEvent, cause: Cause, change: WixChange): Promise<void> {
  const entity = event.payload.entity as WixEntity;
  const order = await ensureOrder(deps, tx, entity, event.instanceId, cause);
  await track(deps, tx, await change(order, entity), entity);
}

async function ensureOrder({ book }: OrderChangeDeps, tx: Tx, entity: WixEntity, instanceId: string | null, cause: Cause): Promise<LoadedOrder> {
  const existing = await book.lockBy(tx, { wixOrderId: entity.id });
  if (existing && existing.instanceId !== instanceId) {
    // Never let one instance's event touch another's order: dead-lettered with the reason.
    throw new NonRetriableError(`Wix order ${entity.id} belongs to another instance`);
  }
  if (existing) return existing;
  const priceSummary = entity.priceSummary as { total?: unknown } | undefined;
  return book.create(
    tx,
    {
      id: entity.id,
      instanceId,
      source: 'wix',
      currency: str(entity.currency) ?? 'usd',
      totalCents: priceSummary?.total !== undefined ? cents(priceSummary.total) : undefined,
      customerEmail: emailOf(entity),
      customerName: nameOf(entity),
      wixOrderId: entity.id,
      wixOrderNumber: str(entity.number),
      checkoutId: str(entity.checkoutId),
      cartId: str(entity.cartId),
      externalReference: externalReferenceOf(entity),
      lines: linesOf(entity),
    },
    cause,
  );
}

/** seed 000's ExternalOrderRecord: one per (instance, order), its status kept current. */
async function track({ book }: OrderChangeDeps, tx: Tx, order: LoadedOrder, entity: WixEntity): Promise<void> {
  if (!order.instanceId) return;
  const tracked: TrackedOrder = {
    instanceId: order.instanceId,
    orderId: order.id,
    cartId: order.cartId,
    checkoutId: order.checkoutId,
    orderNumber: order.wixOrderNumber ?? str(entity.number),
    externalReference: order.externalReference,
    status: order.status,
    updatedAt: new Date(),
  };
  // A checkout tracked before the order existed (trackExternalCheckout) is completed, not duplicated.
  const pending = order.checkoutId ? await pendingRecordOf(tx, order.instanceId, order.checkoutId) : null;
  if (!pending) return upsertRecord(tx, tracked);
  const externalReference = pending.externalReference ?? tracked.externalReference;
  await completeRecord(tx, pending.id, { ...tracked, cartId: tracked.cartId ?? pending.cartId, externalReference });
  // The shop's reference, given when it tracked the checkout, now names the order too.
  if (!order.externalReference && externalReference) await book.patch(tx, order, { externalReference });
}

function linesOf(entity: WixEntity): NewLine[] {
  const items = Array.isArray(entity.lineItems) ? (entity.lineItems as Array<Record<string, unknown>>) : [];
  return items.map((item, index) => {
    const catalog = item.catalogReference as { catalogItemId?: unknown } | undefined;
    const name = item.productName as { original?: unknown } | string | undefined;
    return {
      productId: str(catalog?.catalogItemId) ?? str(item.id) ?? `wix-line-${index}`,
      name: typeof name === 'string' ? name : str(name?.original),
      quantity: typeof item.quantity === 'number' && item.quantity > 0 ? Math.round(item.quantity) : 1,
      unitAmountCents: cents(item.price),
      kind: 'external',
      capacityKey: null,
    };
  });
}

function nameOf(entity: WixEntity): string | null {
  const contact = (entity.billingInfo as { contactDetails?: { firstName?: unknown; lastName?: unknown } } | undefined)?.contactDetails;
  const name = [str(contact?.firstName), str(contact?.lastName)].filter(Boolean).join(' ');
  return name || null;
}

/** Where a shop puts its own reference: the checkout's external reference or a custom field. */
function externalReferenceOf(entity: WixEntity): string | null {
  const ref = entity.externalReference as { id?: unknown } | string | undefined;
  return typeof ref === 'string' ? ref : str(ref?.id);
}
