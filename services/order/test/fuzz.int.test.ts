import { anyValue, fuzzClient, hostileText, type FuzzRequest } from '@orderflow/service-testing';
import fc from 'fast-check';
import { checkoutBody, SHOP_A, SHOP_B, ticket, useOrderStack } from './support';

/** Requests per run; CI runs the default, `FUZZ_RUNS` runs longer by hand. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 400);

const KEYS = { a: SHOP_A, b: SHOP_B } as const;

/**
 * The shop-facing APIs of the order service under made-up requests (issue 21): checkouts (which
 * call the fake Stripe on loopback), checkout status, the external order lookups and tracked
 * checkouts, with either instance's key, a wrong one or none. Every answer must be below 500
 * (problem+json when refused), no request may reproducibly block the event loop for more than
 * STALL_MS, and each instance's order list holds only orders of its own checkouts.
 */
describe('fuzzing the shop APIs', () => {
  const stack = useOrderStack('order_fuzz');
  /** Order ID → the instance whose checkout created it. */
  const owners = new Map<string, string>();
  const client = fuzzClient('shop API', () => stack.running.url);
  afterAll(() => client.report());

  async function check(made: { request: FuzzRequest; instance: string | null }): Promise<void> {
    const { status, body } = await client.handled(made.request);
    if (status === 201 && made.request.path === '/api/checkout') owners.set((JSON.parse(body) as { orderId: string }).orderId, made.instance!);
  }

  it(`answers ${RUNS} made-up shop requests below 500`, async () => {
    await fc.assert(fc.asyncProperty(shopRequest(), check), { numRuns: RUNS });
  });

  it('lists to each instance only the orders of its own checkouts', async () => {
    expect(owners.size).toBeGreaterThan(0);
    for (const shop of [SHOP_A, SHOP_B]) {
      const res = await fetch(`${stack.running.url}/external/orders?limit=200`, { headers: { authorization: `Bearer ${shop.key}` } });
      const { items } = (await res.json()) as { items: Array<{ orderId: string }> };
      expect(items.filter((order) => owners.get(order.orderId) !== shop.instanceId)).toEqual([]);
    }
  });

  it('blocked the event loop no longer than 200 ms for any request it can be made to again', async () => {
    expect(await client.reproducedStalls()).toEqual([]);
  });
});

let serial = 0;

/** A checkout as a shop sends it (seed 002), then some fields replaced by anything or dropped. */
function checkoutRequestBody(): fc.Arbitrary<string> {
  const paths = ['cartId', 'currency', 'customer', 'items', 'mode', 'successUrl', 'cancelUrl', 'extra'] as const;
  const itemPaths = ['productId', 'name', 'quantity', 'unitAmountCents', 'kind', 'capacityKey'] as const;
  const change = fc.tuple(fc.constantFrom(...paths), anyValue());
  const itemChange = fc.tuple(fc.constantFrom(...itemPaths), anyValue());
  return fc
    .tuple(fc.oneof({ weight: 2, arbitrary: fc.constant([]) }, fc.array(change, { minLength: 1, maxLength: 3 })), fc.array(itemChange, { maxLength: 2 }), fc.nat({ max: 3 }))
    .map(([changes, itemChanges, quantity]) => {
      serial += 1;
      const item: Record<string, unknown> = { ...ticket(`fuzz-${serial % 5}`, quantity + 1) };
      for (const [key, value] of itemChanges) item[key] = value;
      const body: Record<string, unknown> = checkoutBody(`cart-fuzz-${serial}-${Date.now()}`, [item]);
      for (const [key, value] of changes) body[key] = value;
      return JSON.stringify(body);
    });
}

function shopRequest(): fc.Arbitrary<{ request: FuzzRequest; instance: string | null }> {
  const text = fc.oneof({ weight: 3, arbitrary: fc.string({ maxLength: 30 }) }, hostileText().map((value) => value.slice(0, 3_000)));
  const query = (names: string[]) =>
    fc.dictionary(fc.constantFrom(...names), text, { maxKeys: 3 }).map((params) => {
      const search = new URLSearchParams();
      for (const [name, value] of Object.entries(params)) search.append(name, value);
      return search.size ? `?${search.toString()}` : '';
    });
  const body = fc.oneof(
    { weight: 6, arbitrary: checkoutRequestBody() },
    fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value) ?? 'null'),
    fc.string({ unit: 'binary', maxLength: 100 }),
  );
  const tracked = fc.record({ checkoutId: text, cartId: fc.oneof(text, fc.constant(null), anyValue()), externalReference: fc.oneof(text, anyValue()) }, { requiredKeys: [] }).map((value) => JSON.stringify(value));
  const route = fc.oneof(
    { weight: 3, arbitrary: fc.tuple(fc.constant('POST'), fc.constant('/api/checkout'), body) },
    fc.tuple(fc.constant('GET'), query(['cartId']).map((q) => `/api/checkout/status${q}`), fc.constant(undefined)),
    fc.tuple(fc.constant('GET'), query(['orderId', 'checkoutId', 'externalRef']).map((q) => `/external/order/status${q}`), fc.constant(undefined)),
    fc.tuple(fc.constant('POST'), fc.constant('/external/checkouts'), tracked),
    fc.tuple(fc.constant('GET'), query(['status', 'cursor', 'limit']).map((q) => `/external/orders${q}`), fc.constant(undefined)),
  );
  const who = fc.oneof({ weight: 8, arbitrary: fc.constantFrom('a', 'b') }, fc.constantFrom('wrong', 'none'));
  const contentType = fc.oneof({ weight: 8, arbitrary: fc.constant('application/json') }, fc.constantFrom('text/plain', ''));
  return fc.tuple(route, who, contentType).map(([[method, path, payload], caller, type]) => {
    const headers: Record<string, string> = {};
    if (caller === 'a' || caller === 'b') headers.authorization = `Bearer ${KEYS[caller].key}`;
    if (caller === 'wrong') headers.authorization = `Bearer ${'k'.repeat(30)}`;
    if (payload !== undefined && type) headers['content-type'] = type;
    const instance = caller === 'a' || caller === 'b' ? KEYS[caller].instanceId : null;
    return { request: { method, path, headers, body: payload }, instance };
  });
}
