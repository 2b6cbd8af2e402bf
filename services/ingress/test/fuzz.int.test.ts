import { gzipSync } from 'node:zlib';
import { Topics, stripeEventTypes, wixEventTypes } from '@orderflow/events';
import { waitFor } from '@orderflow/testing';
import { anyValue, fuzzClient, hostileText, STALL_MS, type FuzzRequest } from '@orderflow/service-testing';
import fc from 'fast-check';
import { ADMIN_TOKEN, collect, countOf, signStripe, useIngressStack, type Received } from './support';

type Jose = typeof import('jose', { with: { 'resolution-mode': 'import' } });
type SigningKey = Awaited<ReturnType<Jose['generateKeyPair']>>['privateKey'];

/** Requests per property; CI runs the default, `FUZZ_RUNS` runs longer by hand. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 600);

/**
 * Hostile and unlucky senders against a running ingress over HTTP (issue 21): fast-check makes
 * up Stripe and Wix deliveries — signed and forged, broken JSON, lone surrogates and NULs, deep
 * nesting, identifiers of every length, wrong types and encodings — and every answer must be
 * below 500 (problem+json when refused), nothing may stay half-processed in the event log, what
 * was answered `published` is on Kafka exactly once and nothing else is, and no request may
 * block the event loop for more than STALL_MS.
 */
describe('fuzzing the webhook routes', () => {
  let jose: Jose;
  let wixKey: SigningKey;
  const stack = useIngressStack('ingress_fuzz', {
    env: async () => {
      jose = await import('jose');
      const pair = await jose.generateKeyPair('RS256', { extractable: true });
      wixKey = pair.privateKey;
      return { REDIS_URL: 'redis://127.0.0.1:6379', WIX_PUBLIC_KEY: (await jose.exportSPKI(pair.publicKey)).replace(/\n/g, '\\n') };
    },
  });
  let wixReader: { received: Received[]; stop(): Promise<void> };
  beforeAll(async () => {
    wixReader = await collect(stack.broker, [Topics.wixIngress]);
  });
  afterAll(async () => {
    await wixReader?.stop();
  });

  /** Outcomes by event ID; an ID may be sent several times, with different bodies. */
  const answered = new Map<string, Set<string>>();
  const client = fuzzClient('ingress', () => stack.running.url, (request) => (request.path.endsWith('wix') ? 'wix' : 'stripe'));
  afterAll(() => client.report());

  /** Sends `request` under the fuzz rule, and remembers what each 200 said of its event. */
  async function send(request: FuzzRequest): Promise<void> {
    await client.handled(request, ({ status, body }) => {
      if (status !== 200) return '';
      const answer = JSON.parse(body) as { eventId: string; outcome: string };
      if (!answered.has(answer.eventId)) answered.set(answer.eventId, new Set());
      answered.get(answer.eventId)!.add(answer.outcome);
      return answer.outcome;
    });
  }

  it(`answers ${RUNS} made-up Stripe deliveries below 500, each once`, async () => {
    await fc.assert(fc.asyncProperty(stripeRequest(), send), { numRuns: RUNS });
  });

  it(`answers ${RUNS / 2} made-up Wix deliveries below 500, each once`, async () => {
    const tokens = wixRequest((claims) => new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256' }).setIssuedAt().sign(wixKey));
    await fc.assert(fc.asyncProperty(tokens, async (made) => send(await made)), { numRuns: RUNS / 2 });
  });

  it('left nothing half-processed: every published event on Kafka once, nothing else, no row in flight', async () => {
    const received = [...stack.reader.received, ...wixReader.received];
    const published = [...answered].filter(([, outcomes]) => outcomes.has('published')).map(([id]) => id);
    expect(published.length).toBeGreaterThan(RUNS / 10);
    await waitFor(() => published.every((id) => countOf(received, id) >= 1), { timeoutMs: 30_000 });
    for (const id of published) expect(countOf(received, id)).toBe(1);
    const neverPublished = [...answered].filter(([, outcomes]) => !outcomes.has('published')).map(([id]) => id);
    expect(neverPublished.filter((id) => countOf(received, id) > 0)).toEqual([]);
    for (const status of ['received', 'failed']) {
      const res = await fetch(`${stack.running.url}/admin/events?status=${status}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(((await res.json()) as { items: unknown[] }).items).toEqual([]);
    }
  });

  it(`blocked the event loop no longer than ${STALL_MS} ms for any request it can be made to again`, async () => {
    const reproduced = await client.reproducedStalls();
    expect(reproduced).toEqual([]);
  });
});

/** Where a Stripe event carries what the ingress reads. */
const STRIPE_PATHS = [
  ['id'],
  ['type'],
  ['created'],
  ['data'],
  ['data', 'object'],
  ['data', 'object', 'id'],
  ['data', 'object', 'object'],
  ['data', 'object', 'metadata'],
  ['data', 'object', 'metadata', 'orderId'],
  ['data', 'object', 'client_reference_id'],
  ['data', 'object', 'payment_intent'],
  ['data', 'object', 'amount'],
  ['data', 'object', 'extra'],
] as const;

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let at: unknown = target;
  for (const key of path.slice(0, -1)) {
    if (typeof at !== 'object' || at === null) return;
    at = (at as Record<string, unknown>)[key];
  }
  if (typeof at === 'object' && at !== null) (at as Record<string, unknown>)[path[path.length - 1] as string] = value;
}

let serial = 0;

/** A valid Stripe event of a random type, then up to four fields replaced by anything. */
function stripeEventBody(): fc.Arbitrary<string> {
  const types = fc.constantFrom(...stripeEventTypes, 'customer.created', 'invoice.paid');
  const change = fc.tuple(fc.constantFrom(...STRIPE_PATHS), anyValue());
  const mutations = fc.oneof({ weight: 2, arbitrary: fc.constant([]) }, fc.array(change, { minLength: 1, maxLength: 4 }));
  return fc.tuple(types, mutations, fc.boolean()).map(([type, changes, withOrder]) => {
    serial += 1;
    const object: Record<string, unknown> = { id: `pi_fuzz_${serial}`, object: 'payment_intent', amount: 2000, currency: 'eur', status: 'succeeded', metadata: withOrder ? { orderId: `order-fuzz-${serial}` } : {} };
    const event: Record<string, unknown> = { id: `evt_fuzz_${serial}_${Date.now()}`, object: 'event', created: Math.floor(Date.now() / 1000), livemode: false, type, data: { object } };
    for (const [path, value] of changes) setPath(event, path, value);
    return JSON.stringify(event);
  });
}

function stripeRequest(): fc.Arbitrary<FuzzRequest> {
  const body = fc.oneof(
    { weight: 8, arbitrary: stripeEventBody() },
    // Broken documents: cut short, not JSON, JSON of the wrong shape.
    stripeEventBody().chain((json) => fc.nat({ max: json.length }).map((cut) => json.slice(0, cut))),
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value) ?? 'null'),
  );
  const signature = fc.oneof(
    { weight: 8, arbitrary: fc.constant('valid') },
    fc.constantFrom('none', 'wrong-secret', 'garbage', 'future'),
  );
  const contentType = fc.oneof({ weight: 8, arbitrary: fc.constant('application/json') }, fc.constantFrom('text/plain', 'application/json; charset=utf-16', 'application/x-www-form-urlencoded', ''));
  const encoding = fc.oneof({ weight: 8, arbitrary: fc.constant('none') }, fc.constantFrom('gzip', 'gzip-broken', 'br-broken', 'x-unknown', 'identity'));
  return fc.record({ body, signature, contentType, encoding }).map(({ body, signature, contentType, encoding }) => {
    const headers: Record<string, string> = {};
    if (contentType) headers['content-type'] = contentType;
    if (signature === 'valid') headers['stripe-signature'] = signStripe(body);
    if (signature === 'wrong-secret') headers['stripe-signature'] = signStripe(body, 'whsec_not_ours');
    if (signature === 'garbage') headers['stripe-signature'] = 't=abc,v1=zz,v0=';
    if (signature === 'future') headers['stripe-signature'] = signStripe(body).replace(/t=\d+/, `t=${Math.floor(Date.now() / 1000) + 3_600}`);
    return { method: 'POST', path: '/api/webhooks/stripe', headers, body: encode(body, encoding, headers) };
  });
}

function encode(body: string, encoding: string, headers: Record<string, string>): Uint8Array | string {
  if (encoding === 'none') return body;
  headers['content-encoding'] = encoding.replace('-broken', '');
  if (encoding === 'gzip') return gzipSync(body);
  return body;
}

/** Wix's nesting (claims.data → envelope → data as a JSON string), each level made up or broken. */
function wixRequest(sign: (claims: Record<string, unknown>) => Promise<string>): fc.Arbitrary<Promise<FuzzRequest>> {
  const entity = fc.record({ id: fc.oneof({ weight: 3, arbitrary: fc.uuid() }, anyValue()), status: fc.constant('APPROVED'), paymentStatus: fc.constantFrom('PAID', 'NOT_PAID') });
  const inner = fc.record({
    id: fc.oneof({ weight: 4, arbitrary: fc.uuid() }, anyValue()),
    entityId: fc.oneof(fc.uuid(), anyValue()),
    eventTime: fc.oneof(fc.constant(new Date().toISOString()), hostileText()),
    createdEvent: fc.oneof(entity.map((order) => ({ entityAsJson: JSON.stringify(order) })), anyValue()),
  });
  const envelope = fc.record({
    eventType: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...wixEventTypes, 'wix.ecom.v1.cart_created') }, anyValue()),
    instanceId: fc.oneof(fc.constant('instance-fuzz'), anyValue()),
    data: fc.oneof({ weight: 4, arbitrary: inner.map((value) => JSON.stringify(value)) }, anyValue()),
  });
  const claims = fc.oneof({ weight: 6, arbitrary: envelope.map((value) => ({ data: JSON.stringify(value) })) }, fc.record({ data: anyValue() }));
  const forged = fc.oneof({ weight: 8, arbitrary: fc.constant(false) }, fc.constant(true));
  return fc.tuple(claims, forged).map(async ([made, isForged]) => {
    const token = await sign(made);
    const body = isForged ? `${token.slice(0, -4)}AAAA` : token;
    return { method: 'POST', path: '/api/webhooks/wix', headers: { 'content-type': 'text/plain' }, body };
  });
}
