import { randomUUID } from 'node:crypto';
import { waitFor } from '@orderflow/testing';
import { deadLetterTopic, Topics } from '@orderflow/events';
import { createBus } from '@orderflow/kafka';
import { scrapeMetrics } from '@orderflow/service-testing';
import { api, METRICS_TOKEN, SHOP_A, SHOP_B, trackedOrder, useOrderStack, wixEvent } from './support';

/** The instance configured to approve paid orders at once. */
const AUTO_APPROVE = 'wix-auto';
const WIX_STORES_APP_ID = '215238eb-22a5-4c36-9e7b-e7c08025e04e';
/**
 * Each wait crosses Kafka twice (ingress topic, then the outbox to the orders topic). Two cores
 * shared with other test runs make the default 10 s tight, so waits allow 30 s.
 */
const PATIENCE = 30_000;

type WixOrder = ReturnType<typeof wixOrder<object>>;
interface HistoryEntry {
  fromStatus: string | null;
  toStatus: string;
  applied: boolean;
  cause: string;
  reason: string | null;
}

const money = (amount: string) => ({ amount, formattedAmount: `€${amount}` });
let orderNumber = 10_001;

/** A line of a Wix Stores product (its own catalog item), as an order entity lists it. */
function wixLineItem(name: string, quantity: number, price: string, total: string, preset: 'DIGITAL' | 'PHYSICAL') {
  return {
    id: randomUUID(),
    productName: { original: name, translated: name },
    catalogReference: { catalogItemId: randomUUID(), appId: WIX_STORES_APP_ID },
    quantity,
    price: money(price),
    totalPriceAfterTax: money(total),
    itemType: { preset },
  };
}

/**
 * A Wix eCom order as it arrives in an event's `entity`: 2 × 10.00 + 1 × 5.00 = 25.00 EUR,
 * not yet paid. `extra` adds or replaces top-level fields (cartId, externalReference...).
 */
function wixOrder<E extends object = object>(extra: E = {} as E) {
  const at = new Date().toISOString();
  return {
    id: randomUUID(),
    number: String(orderNumber++),
    createdDate: at,
    updatedDate: at,
    status: 'INITIALIZED',
    paymentStatus: 'NOT_PAID',
    fulfillmentStatus: 'NOT_FULFILLED',
    checkoutId: randomUUID(),
    buyerInfo: { contactId: randomUUID(), email: 'ada@example.com' },
    currency: 'EUR',
    taxIncludedInPrices: true,
    channelInfo: { type: 'WEB' },
    priceSummary: { subtotal: money('25.00'), shipping: money('0.00'), tax: money('0.00'), discount: money('0.00'), total: money('25.00') },
    lineItems: [wixLineItem('Concert ticket', 2, '10.00', '20.00', 'DIGITAL'), wixLineItem('Tour poster', 1, '5.00', '5.00', 'PHYSICAL')],
    billingInfo: { contactDetails: { firstName: 'Ada', lastName: 'Lovelace' }, address: { country: 'DE', city: 'Berlin' } },
    ...extra,
  };
}

/** The entity as Wix sends it with each event: the order after that change. */
const paid = (order: WixOrder) => ({ ...order, status: 'APPROVED', paymentStatus: 'PAID' });
const approved = (order: WixOrder) => ({ ...order, status: 'APPROVED' });
const canceled = (order: WixOrder) => ({ ...order, status: 'CANCELED' });
const fulfilled = (order: WixOrder) => ({ ...paid(order), fulfillmentStatus: 'FULFILLED' });

const appliedStatuses = (order: Record<string, any>) => (order.history as HistoryEntry[]).filter((h) => h.applied).map((h) => h.toStatus);

describe('the Wix path (seed 000)', () => {
  const stack = useOrderStack('order_wix', () => ({ AUTO_APPROVE_INSTANCES: AUTO_APPROVE }));

  /** The admin view of `orderId` once it satisfies `until`. */
  function orderWhen(orderId: string, until: (order: Record<string, any>) => boolean, description: string) {
    return waitFor(
      async () => {
        const res = await api(stack.running.url, `/admin/orders/${orderId}`, { admin: true });
        return res.status === 200 && until(res.body) ? res.body : null;
      },
      { timeoutMs: PATIENCE, description: `order ${orderId}: ${description}` },
    );
  }

  /** The first `type` event about `orderId` on the orders topic. */
  function published(orderId: string, type: string) {
    return waitFor(() => stack.orders.of(orderId).find((e) => e.type === type), { timeoutMs: PATIENCE, description: `${type} for ${orderId}` });
  }

  /** The external order record, as shop A's own systems see it. */
  async function tracked(orderId: string) {
    const res = await api(stack.running.url, `/external/order/status?orderId=${encodeURIComponent(orderId)}`, { key: SHOP_A.key });
    expect(res.status).toBe(200);
    return res.body.tracked as Record<string, unknown>;
  }

  it('creates a PENDING order from order_created with the lines, total and customer of the entity, announces it and tracks it', async () => {
    const order = wixOrder({ cartId: randomUUID(), externalReference: `INV-${randomUUID().slice(0, 8)}` });
    await stack.publish(wixEvent('created', SHOP_A.instanceId, order));

    const created = await orderWhen(order.id, (o) => o.status === 'PENDING', 'PENDING');
    expect(created).toMatchObject({
      orderId: order.id,
      instanceId: SHOP_A.instanceId,
      source: 'wix',
      currency: 'eur',
      totalCents: 2_500,
      customer: { email: 'ada@example.com', name: 'Ada Lovelace' },
      references: { wixOrderId: order.id, wixOrderNumber: order.number, checkoutId: order.checkoutId, cartId: order.cartId, externalReference: order.externalReference },
    });
    expect(created.lines).toEqual([
      expect.objectContaining({ productId: order.lineItems[0].catalogReference.catalogItemId, name: 'Concert ticket', quantity: 2, unitAmountCents: 1_000, kind: 'external', capacityKey: null }),
      expect.objectContaining({ productId: order.lineItems[1].catalogReference.catalogItemId, name: 'Tour poster', quantity: 1, unitAmountCents: 500, kind: 'external', capacityKey: null }),
    ]);
    expect(created.history).toEqual([expect.objectContaining({ fromStatus: null, toStatus: 'PENDING', applied: true, cause: 'wix.ecom.v1.order_created' })]);

    await published(order.id, 'order.pending');
    expect(stack.orders.typesOf(order.id)).toEqual(['order.created', 'order.pending']);
    expect(stack.orders.of(order.id)[0].payload).toMatchObject({ orderId: order.id, status: 'PENDING', previousStatus: null, totalCents: 2_500, instanceId: SHOP_A.instanceId });

    expect(await tracked(order.id)).toMatchObject(trackedOrder(order, SHOP_A.instanceId, 'PENDING'));
  });

  it('takes an order from PAID (not approved) to APPROVED, ready to fulfill, and FULFILLED as Wix reports each step', async () => {
    const order = wixOrder();
    await stack.publish(wixEvent('created', SHOP_A.instanceId, order));
    await stack.publish(wixEvent('paid', SHOP_A.instanceId, paid(order)));

    const paidOrder = await orderWhen(order.id, (o) => o.status === 'PAID', 'PAID');
    expect(appliedStatuses(paidOrder)).toEqual(['PENDING', 'PAID']);
    expect(paidOrder.payments).toEqual([expect.objectContaining({ provider: 'wix', status: 'SUCCEEDED', amountCents: 2_500, currency: 'eur' })]);
    expect((await published(order.id, 'order.paid')).payload).toMatchObject({ status: 'PAID', previousStatus: 'PENDING' });
    expect(await tracked(order.id)).toMatchObject({ status: 'PAID' });

    await stack.publish(wixEvent('approved', SHOP_A.instanceId, approved(paid(order))));
    const approvedOrder = await orderWhen(order.id, (o) => o.status === 'APPROVED', 'APPROVED');
    expect(approvedOrder.history.at(-1)).toMatchObject({ fromStatus: 'PAID', toStatus: 'APPROVED', applied: true, cause: 'wix.ecom.v1.order_approved' });
    const ready = await published(order.id, 'order.ready_to_fulfill');
    expect(ready.payload).toMatchObject({ orderId: order.id, status: 'APPROVED', previousStatus: 'PAID', totalCents: 2_500 });
    expect((ready.payload as { lines: unknown[] }).lines).toHaveLength(2);

    await stack.publish(wixEvent('fulfilled', SHOP_A.instanceId, fulfilled(order)));
    const done = await orderWhen(order.id, (o) => o.status === 'FULFILLED', 'FULFILLED');
    expect(appliedStatuses(done)).toEqual(['PENDING', 'PAID', 'APPROVED', 'FULFILLED']);
    await published(order.id, 'order.fulfilled');
    expect(stack.orders.typesOf(order.id)).toEqual(['order.created', 'order.pending', 'order.paid', 'order.approved', 'order.ready_to_fulfill', 'order.fulfilled']);
    expect(await tracked(order.id)).toMatchObject({ status: 'FULFILLED' });
  });

  it('approves a paid order at once on an auto-approve instance, and a later order_approved changes nothing', async () => {
    const order = wixOrder();
    await stack.publish(wixEvent('created', AUTO_APPROVE, order));
    await stack.publish(wixEvent('paid', AUTO_APPROVE, paid(order)));

    const autoApproved = await orderWhen(order.id, (o) => o.status === 'APPROVED', 'APPROVED');
    expect(autoApproved.instanceId).toBe(AUTO_APPROVE);
    expect(appliedStatuses(autoApproved)).toEqual(['PENDING', 'PAID', 'APPROVED']);
    expect(autoApproved.history.at(-1)).toMatchObject({ fromStatus: 'PAID', toStatus: 'APPROVED', cause: 'wix.ecom.v1.order_paid' });
    expect((await published(order.id, 'order.ready_to_fulfill')).payload).toMatchObject({ status: 'APPROVED', previousStatus: 'PAID' });

    // Wix still sends its own order_approved; the order_fulfilled after it shows it was handled.
    await stack.publish(wixEvent('approved', AUTO_APPROVE, approved(paid(order))));
    await stack.publish(wixEvent('fulfilled', AUTO_APPROVE, fulfilled(order)));
    const done = await orderWhen(order.id, (o) => o.status === 'FULFILLED', 'FULFILLED');
    expect(done.history.map((h: HistoryEntry) => h.toStatus)).toEqual(['PENDING', 'PAID', 'APPROVED', 'FULFILLED']);
    await published(order.id, 'order.fulfilled');
    expect(stack.orders.typesOf(order.id).filter((t) => t === 'order.approved')).toHaveLength(1);
  });

  it('cancels on order_canceled and refuses a later order_paid: recorded in the history, never applied', async () => {
    const order = wixOrder();
    await stack.publish(wixEvent('created', SHOP_A.instanceId, order));
    await stack.publish(wixEvent('canceled', SHOP_A.instanceId, canceled(order)));

    const cancelled = await orderWhen(order.id, (o) => o.status === 'CANCELLED', 'CANCELLED');
    expect(cancelled.reason).toBe('cancelled in Wix');
    expect((await published(order.id, 'order.cancelled')).payload).toMatchObject({ status: 'CANCELLED', previousStatus: 'PENDING' });

    await stack.publish(wixEvent('paid', SHOP_A.instanceId, { ...canceled(order), paymentStatus: 'PAID' }));
    const refused = await orderWhen(order.id, (o) => o.history.some((h: HistoryEntry) => !h.applied), 'a refused transition');
    expect(refused.status).toBe('CANCELLED');
    expect(appliedStatuses(refused)).toEqual(['PENDING', 'CANCELLED']);
    expect(refused.history.find((h: HistoryEntry) => !h.applied)).toMatchObject({
      fromStatus: 'CANCELLED',
      toStatus: 'PAID',
      cause: 'wix.ecom.v1.order_paid',
      reason: 'refused: CANCELLED → PAID is not allowed',
    });
    const metrics = await scrapeMetrics(stack.running.url, METRICS_TOKEN);
    expect(metrics).toMatch(/order_illegal_transitions_total\{from="CANCELLED",to="PAID",cause="wix.ecom.v1.order_paid"[^}]*\} 1/);
    expect(stack.orders.typesOf(order.id)).not.toContain('order.paid');
    expect(await tracked(order.id)).toMatchObject({ status: 'CANCELLED' });
  });

  it('creates the order from the entity of an order_paid that overtook its order_created, and the late order_created resets nothing', async () => {
    const order = wixOrder();
    const newEmail = 'ada.lovelace@example.com';
    await stack.publish(wixEvent('paid', SHOP_A.instanceId, paid(order)));
    await stack.publish(wixEvent('updated', SHOP_A.instanceId, { ...paid(order), buyerInfo: { ...order.buyerInfo, email: newEmail } }));
    await stack.publish(wixEvent('created', SHOP_A.instanceId, order));
    // Same order key, so handled after the late order_created: once it applied, all three were.
    await stack.publish(wixEvent('approved', SHOP_A.instanceId, approved(paid(order))));

    const current = await orderWhen(order.id, (o) => o.status === 'APPROVED', 'APPROVED');
    expect(current).toMatchObject({ totalCents: 2_500, customer: { email: newEmail, name: 'Ada Lovelace' }, references: { wixOrderNumber: order.number, checkoutId: order.checkoutId } });
    expect(current.lines).toHaveLength(2);
    expect(current.history).toEqual([
      expect.objectContaining({ fromStatus: null, toStatus: 'PENDING', applied: true, cause: 'wix.ecom.v1.order_paid' }),
      expect.objectContaining({ fromStatus: 'PENDING', toStatus: 'PAID', applied: true, cause: 'wix.ecom.v1.order_paid' }),
      expect.objectContaining({ fromStatus: 'PAID', toStatus: 'APPROVED', applied: true, cause: 'wix.ecom.v1.order_approved' }),
    ]);
    expect(current.payments).toHaveLength(1);

    await published(order.id, 'order.ready_to_fulfill');
    expect(stack.orders.typesOf(order.id)).toEqual(['order.created', 'order.pending', 'order.paid', 'order.approved', 'order.ready_to_fulfill']);
    expect(await tracked(order.id)).toMatchObject({ status: 'APPROVED', orderNumber: order.number });
  });

  it("never lets one instance's event touch another instance's order: it is dead-lettered with the reason", async () => {
    const order = wixOrder();
    await stack.publish(wixEvent('created', SHOP_A.instanceId, order));
    await orderWhen(order.id, (o) => o.status === 'PENDING', 'PENDING');
    const dead: Array<{ eventId: string; reason: string | undefined }> = [];
    const bus = createBus({ brokers: stack.broker.brokers, clientId: 'dlq-reader' });
    try {
      await bus.runConsumer({
        groupId: `dlq-reader-${randomUUID()}`,
        topics: [deadLetterTopic(Topics.wixIngress)],
        fromBeginning: true,
        handler: async (event, context) => void dead.push({ eventId: event.eventId, reason: context.headers['dlq-error'] }),
      });
      const intruder = wixEvent('paid', SHOP_B.instanceId, paid(order));
      await stack.publish(intruder);

      const found = await waitFor(() => dead.find((d) => d.eventId === intruder.eventId), { timeoutMs: PATIENCE, description: 'the intruding event dead-lettered' });
      expect(found.reason).toMatch(/belongs to another instance/);
      const untouched = await orderWhen(order.id, () => true, 'read');
      expect(untouched.status).toBe('PENDING');
      expect(untouched.instanceId).toBe(SHOP_A.instanceId);
    } finally {
      await bus.close();
    }
  });

  it('has one effect however often the same Wix event is delivered', async () => {
    const order = wixOrder();
    const created = wixEvent('created', SHOP_A.instanceId, order);
    const paidEvent = wixEvent('paid', SHOP_A.instanceId, paid(order));
    await stack.publish(created);
    await stack.publish(created);
    await stack.publish(paidEvent);
    await stack.publish(paidEvent);
    await stack.publish(paidEvent);
    // A distinct event after the duplicates, on the same partition: once it applied, they were handled.
    await stack.publish(wixEvent('approved', SHOP_A.instanceId, approved(paid(order))));

    const current = await orderWhen(order.id, (o) => o.status === 'APPROVED', 'APPROVED');
    expect(current.payments).toHaveLength(1);
    expect(current.history.map((h: HistoryEntry) => h.toStatus)).toEqual(['PENDING', 'PAID', 'APPROVED']);
    await published(order.id, 'order.ready_to_fulfill');
    expect(stack.orders.typesOf(order.id)).toEqual(['order.created', 'order.pending', 'order.paid', 'order.approved', 'order.ready_to_fulfill']);
  });
});
