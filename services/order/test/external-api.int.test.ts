import { randomUUID } from 'node:crypto';
import { waitFor } from '@orderflow/testing';
import { api, SHOP_A, SHOP_B, trackedOrder, useOrderStack, wixEvent } from './support';

const PROBLEM_JSON = /^application\/problem\+json/;
/** Orders reach the API through Kafka; two shared cores make the default 10 s tight. */
const PATIENCE = 30_000;

interface ShopOrder {
  id: string;
  instanceId: string;
  checkoutId: string;
  cartId: string;
  externalReference: string;
  number: string;
  paid: boolean;
}

let orderNumber = 20_001;

/** A shop's Wix order; `externalReference` defaults to one of its own. */
function shopOrder(instanceId: string, options: { paid?: boolean; externalReference?: string } = {}): ShopOrder {
  return {
    id: randomUUID(),
    instanceId,
    checkoutId: randomUUID(),
    cartId: randomUUID(),
    externalReference: options.externalReference ?? `INV-${randomUUID().slice(0, 8)}`,
    number: String(orderNumber++),
    paid: options.paid ?? false,
  };
}

/** The Wix order entity as Wix sends it: one line of 2 × 12.50 EUR. */
function entityOf(order: ShopOrder, paid: boolean) {
  return {
    id: order.id,
    number: order.number,
    createdDate: new Date().toISOString(),
    status: paid ? 'APPROVED' : 'INITIALIZED',
    paymentStatus: paid ? 'PAID' : 'NOT_PAID',
    checkoutId: order.checkoutId,
    cartId: order.cartId,
    externalReference: order.externalReference,
    buyerInfo: { contactId: randomUUID(), email: `buyer-${order.number}@example.com` },
    currency: 'EUR',
    priceSummary: { subtotal: { amount: '25.00', formattedAmount: '€25.00' }, total: { amount: '25.00', formattedAmount: '€25.00' } },
    lineItems: [
      {
        id: randomUUID(),
        productName: { original: 'Workshop seat' },
        quantity: 2,
        price: { amount: '12.50', formattedAmount: '€12.50' },
        catalogReference: { catalogItemId: randomUUID(), appId: '215238eb-22a5-4c36-9e7b-e7c08025e04e' },
      },
    ],
    billingInfo: { contactDetails: { firstName: 'Grace', lastName: 'Hopper' } },
  };
}

const sortedIds = (orders: ReadonlyArray<{ id: string }>) => orders.map((o) => o.id).sort();

describe('the external API (seed 000)', () => {
  const stack = useOrderStack('order_external');
  /** Shared by one order of each shop: a reference names an order only within its instance. */
  const sharedReference = `INV-shared-${randomUUID().slice(0, 8)}`;
  const shopA = [
    shopOrder(SHOP_A.instanceId, { paid: true }),
    shopOrder(SHOP_A.instanceId, { paid: true }),
    shopOrder(SHOP_A.instanceId),
    shopOrder(SHOP_A.instanceId),
    shopOrder(SHOP_A.instanceId, { externalReference: sharedReference }),
  ];
  const shopB = [shopOrder(SHOP_B.instanceId, { paid: true, externalReference: sharedReference }), shopOrder(SHOP_B.instanceId)];

  const publish = (slug: 'created' | 'paid', order: ShopOrder) => stack.publish(wixEvent(slug, order.instanceId, entityOf(order, slug === 'paid')));

  const get = (path: string, key?: string) => api(stack.running.url, path, { key });
  const status = (query: string, key: string) => get(`/external/order/status?${query}`, key);

  /** Every page of the caller's list, following `nextCursor` to the end. */
  async function allPages(key: string, query: string) {
    const pages: Array<Array<{ orderId: string; instanceId: string }>> = [];
    let cursor: string | null = null;
    do {
      const res = await get(`/external/orders?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, key);
      expect(res.status).toBe(200);
      pages.push(res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor && pages.length <= 20);
    return pages;
  }

  beforeAll(async () => {
    for (const order of [...shopA, ...shopB]) {
      await publish('created', order);
      if (order.paid) await publish('paid', order);
    }
    await waitFor(
      async () => {
        const res = await api(stack.running.url, '/admin/orders?limit=200', { admin: true });
        const seen = new Map((res.body?.items ?? []).map((o: { orderId: string; status: string }) => [o.orderId, o.status]));
        return [...shopA, ...shopB].every((o) => seen.get(o.id) === (o.paid ? 'PAID' : 'PENDING'));
      },
      { timeoutMs: PATIENCE, description: 'every order of both shops in its status' },
    );
  });

  it("answers the status of the caller's order by orderId, by checkoutId and by externalRef", async () => {
    const [order] = shopA;
    const byId = await status(`orderId=${order.id}`, SHOP_A.key);
    expect(byId.status).toBe(200);
    expect(byId.body).toMatchObject({
      orderId: order.id,
      status: 'PAID',
      order: { orderId: order.id, instanceId: SHOP_A.instanceId, source: 'wix', status: 'PAID', totalCents: 2_500, customer: { name: 'Grace Hopper' } },
      tracked: trackedOrder(order, SHOP_A.instanceId, 'PAID'),
    });
    expect(byId.body.order.lines).toEqual([expect.objectContaining({ name: 'Workshop seat', quantity: 2, unitAmountCents: 1_250 })]);

    const byCheckout = await status(`checkoutId=${order.checkoutId}`, SHOP_A.key);
    const byReference = await status(`externalRef=${encodeURIComponent(order.externalReference)}`, SHOP_A.key);
    expect(byCheckout.status).toBe(200);
    expect(byReference.status).toBe(200);
    expect(byCheckout.body).toEqual(byId.body);
    expect(byReference.body).toEqual(byId.body);
  });

  it("resolves an external reference within the caller's instance: the same reference names each shop's own order", async () => {
    const a = await status(`externalRef=${sharedReference}`, SHOP_A.key);
    const b = await status(`externalRef=${sharedReference}`, SHOP_B.key);
    expect(a.body).toMatchObject({ orderId: shopA[4].id, status: 'PENDING' });
    expect(b.body).toMatchObject({ orderId: shopB[0].id, status: 'PAID' });
  });

  it("answers 404 for another instance's order by every lookup, exactly as for an order that does not exist", async () => {
    const [order] = shopA;
    const missing = await status(`orderId=${randomUUID()}`, SHOP_B.key);
    expect(missing.status).toBe(404);
    const { type, title, detail } = missing.body;
    for (const query of [`orderId=${order.id}`, `checkoutId=${order.checkoutId}`, `externalRef=${encodeURIComponent(order.externalReference)}`]) {
      const res = await status(query, SHOP_B.key);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(PROBLEM_JSON);
      expect(res.body).toMatchObject({ type, title, detail, status: 404 });
      expect(res.body).not.toHaveProperty('order');
      expect(res.body).not.toHaveProperty('tracked');
    }
  });

  it("lists only the caller's orders, filtered by status when asked", async () => {
    const a = await get('/external/orders?limit=200', SHOP_A.key);
    const b = await get('/external/orders?limit=200', SHOP_B.key);
    expect(a.body.items.map((o: { orderId: string }) => o.orderId).sort()).toEqual(sortedIds(shopA));
    expect(b.body.items.map((o: { orderId: string }) => o.orderId).sort()).toEqual(sortedIds(shopB));
    expect(a.body.items.every((o: { instanceId: string }) => o.instanceId === SHOP_A.instanceId)).toBe(true);

    const paidA = await get('/external/orders?status=PAID', SHOP_A.key);
    expect(paidA.body.items.map((o: { orderId: string }) => o.orderId).sort()).toEqual(sortedIds(shopA.filter((o) => o.paid)));
    const pendingB = await get('/external/orders?status=PENDING', SHOP_B.key);
    expect(pendingB.body.items.map((o: { orderId: string }) => o.orderId)).toEqual([shopB[1].id]);
  });

  it('pages through /external/orders with limit and cursor, every order exactly once', async () => {
    const pages = await allPages(SHOP_A.key, 'limit=2');
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    const ids = pages.flat().map((o) => o.orderId);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(sortedIds(shopA));

    const paid = await allPages(SHOP_A.key, 'status=PAID&limit=1');
    expect(paid.map((p) => p.length)).toEqual([1, 1]);
    expect(paid.flat().map((o) => o.orderId).sort()).toEqual(sortedIds(shopA.filter((o) => o.paid)));
  });

  it('answers 401 as problem+json without a key or with a wrong one, and accepts the key as X-Api-Key too', async () => {
    const [order] = shopA;
    for (const path of [`/external/order/status?orderId=${order.id}`, '/external/orders']) {
      for (const key of [undefined, 'key-unknown-0123456789abcdefghij']) {
        const res = await get(path, key);
        expect(res.status).toBe(401);
        expect(res.headers.get('content-type')).toMatch(PROBLEM_JSON);
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
        expect(res.body).toMatchObject({ status: 401 });
        expect(res.body).not.toHaveProperty('items');
      }
    }
    const viaHeader = await fetch(`${stack.running.url}/external/order/status?orderId=${order.id}`, { headers: { 'x-api-key': SHOP_A.key } });
    expect(viaHeader.status).toBe(200);
    expect(await viaHeader.json()).toMatchObject({ orderId: order.id });
  });

  it('answers 400 as problem+json for no lookup, two lookups, an unknown status or a limit out of range', async () => {
    const [order] = shopA;
    const bad = [
      '/external/order/status',
      '/external/order/status?orderId=',
      `/external/order/status?orderId=${order.id}&checkoutId=${order.checkoutId}`,
      `/external/order/status?orderId=${order.id}&orderId=${shopA[1].id}`,
      '/external/orders?status=SHIPPED',
      '/external/orders?status=paid',
      '/external/orders?limit=0',
      '/external/orders?limit=201',
    ];
    for (const path of bad) {
      const res = await get(path, SHOP_A.key);
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(res.headers.get('content-type')).toMatch(PROBLEM_JSON);
      expect(res.body.detail).toEqual(expect.any(String));
    }
  });
});

describe('tracking a checkout before its order (seed 000 trackExternalCheckout)', () => {
  const stack = useOrderStack('order_external_tracking');
  const status = (query: string, key: string) => api(stack.running.url, `/external/order/status?${query}`, { key });

  it('tracks a checkout before Wix has an order for it, and completes that record when the order arrives', async () => {
    const order = { ...shopOrder(SHOP_A.instanceId), externalReference: '' };
    const reference = `INV-early-${randomUUID().slice(0, 8)}`;
    const tracked = await api(stack.running.url, '/external/checkouts', {
      key: SHOP_A.key,
      method: 'POST',
      body: { checkoutId: order.checkoutId, cartId: order.cartId, externalReference: reference },
    });
    expect(tracked.status).toBe(201);
    expect((await api(stack.running.url, '/external/checkouts', { key: SHOP_A.key, method: 'POST', body: { checkoutId: order.checkoutId } })).status).toBe(200);
    const early = await status(`externalRef=${reference}`, SHOP_A.key);
    expect(early.body).toMatchObject({ orderId: null, status: 'CHECKOUT_STARTED', tracked: { checkoutId: order.checkoutId, externalReference: reference } });
    expect((await status(`externalRef=${reference}`, SHOP_B.key)).status).toBe(404);

    // Wix's order knows nothing of the shop's reference; the tracked checkout links them.
    const { externalReference: _none, ...entity } = entityOf(order, false);
    await stack.publish(wixEvent('created', SHOP_A.instanceId, entity));
    const linked = await waitFor(
      async () => {
        const res = await status(`externalRef=${reference}`, SHOP_A.key);
        return res.body.orderId === order.id ? res.body : null;
      },
      { timeoutMs: PATIENCE },
    );
    expect(linked).toMatchObject({ status: 'PENDING', order: { references: { externalReference: reference } }, tracked: { orderId: order.id, externalReference: reference } });
    expect(linked.tracked.status).toBe('PENDING');
  });
});
