import { anyValue, fuzzClient, hostileText, type FuzzRequest } from '@orderflow/service-testing';
import fc from 'fast-check';
import { SHOP_A, SHOP_B, useDispatchStack } from './support';

/** Requests per run; CI runs the default, `FUZZ_RUNS` runs longer by hand. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 600);

const KEYS = { a: SHOP_A, b: SHOP_B } as const;

/**
 * The partner API under made-up requests (issue 21): random methods, paths, IDs, queries and
 * bodies, with either instance's key, another's IDs, a wrong key or none. Every answer must be
 * below 500 (problem+json when refused), no request may reproducibly block the event loop for
 * more than STALL_MS, and afterwards each instance lists exactly the subscriptions its own
 * requests created and did not delete: nothing half-created, nothing seen across instances.
 */
describe('fuzzing the partner API', () => {
  const stack = useDispatchStack('dispatch_fuzz');
  /** Subscription ID → the instance that created it, from the 201 answers; removed on a 204. */
  const owners = new Map<string, string>();
  const client = fuzzClient('partner API', () => stack.running.url, (request) => request.path.replace(/\?.*/, '').replace(/^(\/external\/(?:webhooks|deliveries))\/[^/]+/, '$1/:id'));
  afterAll(() => client.report());

  async function check(made: { request: FuzzRequest; instance: string | null }): Promise<void> {
    const { request, instance } = made;
    const { status, body } = await client.handled(request);
    if (status === 201 && request.method === 'POST' && request.path === '/external/webhooks') owners.set((JSON.parse(body) as { id: string }).id, instance!);
    if (status === 204 && request.method === 'DELETE') owners.delete(request.path.split('/')[3]!);
    if (status === 200 && request.method === 'GET' && /^\/external\/webhooks\/sub_/.test(request.path) && !request.path.includes('/deliveries')) {
      // A subscription is shown only to the instance that owns it.
      expect(owners.get((JSON.parse(body) as { id: string }).id)).toBe(instance);
    }
  }

  it(`answers ${RUNS} made-up partner requests below 500`, async () => {
    // Some subscriptions of each instance first, so made-up requests meet real IDs.
    for (const key of [SHOP_A.key, SHOP_B.key, SHOP_A.key]) {
      const res = await stack.api('/external/webhooks', { key, method: 'POST', body: { url: 'http://127.0.0.1:9/hook', eventTypes: ['order.*'] } });
      expect(res.status).toBe(201);
      owners.set(res.body.id, key === SHOP_A.key ? SHOP_A.instanceId : SHOP_B.instanceId);
    }
    await fc.assert(fc.asyncProperty(partnerRequest(() => [...owners.keys()]), check), { numRuns: RUNS });
  });

  it('answers 400 to what it found that once answered 500: an ID with %00 in it, a cursor past the largest row ID', async () => {
    const created = await stack.api('/external/webhooks', { method: 'POST', body: { url: 'http://127.0.0.1:9/hook', eventTypes: ['order.*'] } });
    const id = created.body.id as string;
    owners.set(id, SHOP_A.instanceId);
    for (const path of ['/external/webhooks/%00', `/external/webhooks/${id}/deliveries?cursor=99999999999999999999999`]) {
      const res = await stack.api(path);
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
  });

  it('left each instance exactly the subscriptions it created and did not delete', async () => {
    for (const shop of [SHOP_A, SHOP_B]) {
      const listed = await stack.api('/external/webhooks', { key: shop.key });
      const mine = [...owners].filter(([, instance]) => instance === shop.instanceId).map(([id]) => id);
      expect(listed.body.items.map((s: { id: string }) => s.id).sort()).toEqual(mine.sort());
    }
  });

  it('blocked the event loop no longer than 200 ms for any request it can be made to again', async () => {
    expect(await client.reproducedStalls()).toEqual([]);
  });
});

/** A subscription as partners send it, then some fields replaced by anything or dropped. */
function subscriptionBody(): fc.Arbitrary<string> {
  const url = fc.oneof(
    { weight: 3, arbitrary: fc.constant('http://127.0.0.1:9/hook') },
    fc.constantFrom('https://[::7f00:1]/x', 'http://169.254.169.254/latest', 'https://example.com/hook', 'ftp://127.0.0.1/', 'javascript:alert(1)', 'http://127.0.0.1:99999/'),
    hostileText(),
  );
  const eventTypes = fc.oneof(
    { weight: 3, arbitrary: fc.array(fc.constantFrom('order.*', 'order.paid', 'fulfillment.completed', '*'), { minLength: 1, maxLength: 3 }) },
    fc.array(hostileText(), { maxLength: 60 }),
    anyValue(),
  );
  const fields = fc.record(
    { url, eventTypes, events: eventTypes, description: fc.oneof(hostileText(), fc.constant(null), anyValue()), ordered: fc.oneof(fc.boolean(), anyValue()), active: fc.oneof(fc.boolean(), anyValue()) },
    { requiredKeys: [] },
  );
  return fc.oneof(
    { weight: 6, arbitrary: fields.map((value) => JSON.stringify(value)) },
    fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value) ?? 'null'),
    fc.string({ unit: 'binary', maxLength: 100 }),
    fc.constantFrom('{"from":"2026-01-01T00:00:00Z","to":"1970-01-01T00:00:00Z"}', '{"from":"+275760-09-13T00:00:00.000Z"}', '{"eventType":"\\u0000"}'),
  );
}

function partnerRequest(knownIds: () => string[]): fc.Arbitrary<{ request: FuzzRequest; instance: string | null }> {
  const id = fc.oneof(
    { weight: 4, arbitrary: fc.nat({ max: 1_000 }).map((n) => knownIds()[n % Math.max(1, knownIds().length)] ?? 'sub_none') },
    fc.constantFrom('sub_x', '..%2F..%2Fadmin', '%00', 'sub_%F0%9F%8E%81', 'x'.repeat(3_000)),
    fc.string({ maxLength: 20 }).map(encodeURIComponent),
  );
  const deliveryId = fc.oneof(fc.nat({ max: 50 }).map(String), fc.constantFrom('0', '-1', '999999999999999999', '9999999999999999999999', '1e3', 'abc'));
  const query = fc.oneof(
    fc.constant(''),
    fc.record(
      { status: fc.constantFrom('PENDING', 'FAILED', 'x'), cursor: fc.constantFrom('1', '0', '99999999999999999999999', '-1', 'abc'), limit: fc.constantFrom('1', '0', '500', 'NaN', '1e2'), from: fc.constantFrom('2026-01-01T00:00:00Z', '+275760-09-13T00:00:00.000Z', 'yesterday'), eventType: hostileText() },
      { requiredKeys: [] },
    ).map((params) => `?${new URLSearchParams(params as Record<string, string>).toString()}`),
  );
  const route = fc.oneof(
    fc.tuple(fc.constant('POST'), fc.constant('/external/webhooks'), subscriptionBody()),
    fc.tuple(fc.constant('GET'), query.map((q) => `/external/webhooks${q}`), fc.constant(undefined)),
    fc.tuple(fc.constantFrom('GET', 'DELETE', 'PUT'), id.map((x) => `/external/webhooks/${x}`), fc.constant(undefined)),
    fc.tuple(fc.constant('PATCH'), id.map((x) => `/external/webhooks/${x}`), subscriptionBody()),
    fc.tuple(fc.constantFrom('POST'), fc.tuple(id, fc.constantFrom('rotate-secret', 'test', 'replay')).map(([x, action]) => `/external/webhooks/${x}/${action}`), fc.option(subscriptionBody(), { nil: undefined })),
    fc.tuple(fc.constant('GET'), fc.tuple(id, query).map(([x, q]) => `/external/webhooks/${x}/deliveries${q}`), fc.constant(undefined)),
    fc.tuple(fc.constantFrom('GET', 'POST'), deliveryId.map((x) => `/external/deliveries/${x}`), fc.constant(undefined)),
    fc.tuple(fc.constant('POST'), deliveryId.map((x) => `/external/deliveries/${x}/resend`), fc.constant(undefined)),
  );
  const who = fc.oneof({ weight: 8, arbitrary: fc.constantFrom('a', 'b') }, fc.constantFrom('wrong', 'none', 'garbage'));
  const contentType = fc.oneof({ weight: 8, arbitrary: fc.constant('application/json') }, fc.constantFrom('text/plain', 'application/json; charset=latin1', ''));
  return fc.tuple(route, who, contentType).map(([[method, path, body], caller, type]) => {
    const headers: Record<string, string> = {};
    if (caller === 'a' || caller === 'b') headers.authorization = `Bearer ${KEYS[caller].key}`;
    if (caller === 'wrong') headers.authorization = `Bearer ${'k'.repeat(30)}`;
    if (caller === 'garbage') headers.authorization = 'Basic \u00ff\u00fe';
    if (body !== undefined && type) headers['content-type'] = type;
    const instance = caller === 'a' || caller === 'b' ? KEYS[caller].instanceId : null;
    return { request: { method, path, headers, body }, instance };
  });
}
