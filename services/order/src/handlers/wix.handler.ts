import type { Tx } from '@orderflow/db';
import { mailAddressOf, type EventOf, type WixEventType } from '@orderflow/events';
import { NonRetriableError } from '@orderflow/kafka';
import type { Cause, LoadedOrder, NewLine, OrderBook, OrderReference } from '../domain/order-book';
import type { Payments } from '../domain/payments';

type WixEvent = EventOf<WixEventType>;
type Entity = WixEvent['payload']['entity'] & Record<string, unknown>;

const str = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : typeof value === 'number' ? String(value) : null);

/** Wix money is a decimal string ("10.50"); cents are whole numbers. */
function cents(value: unknown): number {
  const amount = typeof value === 'object' && value !== null ? (value as { amount?: unknown }).amount : value;
  const parsed = typeof amount === 'string' ? Number.parseFloat(amount) : typeof amount === 'number' ? amount : Number.NaN;
  return Number.isFinite(parsed) ? Math.round(parsed * 100) : 0;
}

/**
 * Wix eCommerce order events into order changes and external order tracking (seed 000). The
 * order's ID is the Wix order ID; an event for an order not seen yet (its order_created was
 * lost, or it predates Orderflow) creates it from the entity first, so nothing is dropped.
 */
export class WixHandler {
  constructor(
    private readonly book: OrderBook,
    private readonly payments: Payments,
  ) {}

  /** What `handle` looks the event's order up by, to be locked ahead with a run's. */
  references(event: WixEvent): Array<[OrderReference, string | null]> {
    return [['wixOrderId', (event.payload.entity as Entity).id]];
  }

  async handle(tx: Tx, event: WixEvent, cause: Cause): Promise<void> {
    const entity = event.payload.entity as Entity;
    const order = await this.ensureOrder(tx, entity, event.instanceId, cause);
    let current = order;
    switch (event.type) {
      case 'wix.ecom.v1.order_created':
        // Wix does not deliver in order. The created entity is the order's oldest state: it fills
        // gaps but never overwrites what an earlier-handled update already set.
        current = await this.book.patch(tx, order, {
          wixOrderNumber: order.wixOrderNumber ?? str(entity.number),
          customerEmail: order.customerEmail ?? this.emailOf(entity),
        });
        break;
      case 'wix.ecom.v1.order_updated':
        current = await this.book.patch(tx, order, {
          wixOrderNumber: str(entity.number) ?? order.wixOrderNumber,
          customerEmail: this.emailOf(entity) ?? order.customerEmail,
        });
        break;
      case 'wix.ecom.v1.order_paid':
        await this.payments.record(
          tx,
          order.id,
          { provider: 'wix', providerPaymentRef: order.id, status: 'SUCCEEDED', amountCents: cents((entity.priceSummary as { total?: unknown } | undefined)?.total) || order.totalCents, currency: order.currency, raw: entity },
          cause,
        );
        current = await this.payments.paid(tx, order, cause);
        break;
      case 'wix.ecom.v1.order_approved':
        current = (await this.book.transition(tx, order, 'APPROVED', cause)).order;
        break;
      case 'wix.ecom.v1.order_canceled':
        current = await this.payments.ended(tx, order, 'CANCELLED', 'cancelled in Wix', cause);
        break;
      case 'wix.ecom.v1.order_fulfilled':
        current = (await this.book.transition(tx, order, 'FULFILLED', cause)).order;
        break;
    }
    await this.track(tx, current, entity);
  }

  private async ensureOrder(tx: Tx, entity: Entity, instanceId: string | null, cause: Cause): Promise<LoadedOrder> {
    const existing = await this.book.lockBy(tx, { wixOrderId: entity.id });
    if (existing && existing.instanceId !== instanceId) {
      // Never let one instance's event touch another's order: dead-lettered with the reason.
      throw new NonRetriableError(`Wix order ${entity.id} belongs to another instance`);
    }
    if (existing) return existing;
    const priceSummary = entity.priceSummary as { total?: unknown } | undefined;
    const lines = this.linesOf(entity);
    return this.book.create(
      tx,
      {
        id: entity.id,
        instanceId,
        source: 'wix',
        currency: str(entity.currency) ?? 'usd',
        totalCents: priceSummary?.total !== undefined ? cents(priceSummary.total) : undefined,
        customerEmail: this.emailOf(entity),
        customerName: this.nameOf(entity),
        wixOrderId: entity.id,
        wixOrderNumber: str(entity.number),
        checkoutId: str(entity.checkoutId),
        cartId: str(entity.cartId),
        externalReference: this.externalReferenceOf(entity),
        lines,
      },
      cause,
    );
  }

  /** seed 000's ExternalOrderRecord: one per (instance, order), its status kept current. */
  private async track(tx: Tx, order: LoadedOrder, entity: Entity): Promise<void> {
    if (!order.instanceId) return;
    const data = {
      cartId: order.cartId,
      checkoutId: order.checkoutId,
      orderNumber: order.wixOrderNumber ?? str(entity.number),
      externalReference: order.externalReference,
      status: order.status,
      updatedAt: new Date(),
    };
    // A checkout tracked before the order existed (trackExternalCheckout) is completed, not duplicated.
    const [pending] = order.checkoutId
      ? await tx.$queryRawUnsafe<Array<{ id: string; cartId: string | null; externalReference: string | null }>>(
          `SELECT id::text AS id, cart_id AS "cartId", external_reference AS "externalReference" FROM external_order_records
           WHERE instance_id = $1 AND checkout_id = $2 AND order_id IS NULL ORDER BY id LIMIT 1`,
          order.instanceId,
          order.checkoutId,
        )
      : [];
    if (pending) {
      const externalReference = pending.externalReference ?? data.externalReference;
      await tx.$executeRawUnsafe(
        `UPDATE external_order_records SET order_id = $2, cart_id = $3, checkout_id = $4, order_number = $5, external_reference = $6, status = $7,
           updated_at = $8::timestamptz
         WHERE id = $1::bigint`,
        pending.id,
        order.id,
        data.cartId ?? pending.cartId,
        data.checkoutId,
        data.orderNumber,
        externalReference,
        data.status,
        data.updatedAt.toISOString(),
      );
      // The shop's reference, given when it tracked the checkout, now names the order too.
      if (!order.externalReference && externalReference) await tx.$executeRawUnsafe('UPDATE orders SET external_reference = $2 WHERE id = $1', order.id, externalReference);
      return;
    }
    await tx.$executeRawUnsafe(
      `INSERT INTO external_order_records (instance_id, order_id, cart_id, checkout_id, order_number, external_reference, status, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::timestamptz)
       ON CONFLICT (instance_id, order_id) DO UPDATE SET cart_id = EXCLUDED.cart_id, checkout_id = EXCLUDED.checkout_id,
         order_number = EXCLUDED.order_number, external_reference = EXCLUDED.external_reference, status = EXCLUDED.status,
         updated_at = EXCLUDED.updated_at`,
      order.instanceId,
      order.id,
      data.cartId,
      data.checkoutId,
      data.orderNumber,
      data.externalReference,
      data.status,
      data.updatedAt.toISOString(),
    );
  }

  private linesOf(entity: Entity): NewLine[] {
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

  private emailOf(entity: Entity): string | null {
    return mailAddressOf((entity.buyerInfo as { email?: unknown } | undefined)?.email);
  }

  private nameOf(entity: Entity): string | null {
    const contact = (entity.billingInfo as { contactDetails?: { firstName?: unknown; lastName?: unknown } } | undefined)?.contactDetails;
    const name = [str(contact?.firstName), str(contact?.lastName)].filter(Boolean).join(' ');
    return name || null;
  }

  /** Where a shop puts its own reference: the checkout's external reference or a custom field. */
  private externalReferenceOf(entity: Entity): string | null {
    const ref = entity.externalReference as { id?: unknown } | string | undefined;
    return typeof ref === 'string' ? ref : str(ref?.id);
  }
}
