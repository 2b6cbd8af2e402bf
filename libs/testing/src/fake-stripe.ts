import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FakeCharge, FakeCheckoutSession, FakePaymentIntent, FakeRefund } from './fake-stripe/objects';
import { Params, StripeFailure, parseForm, type FormParams, type StripeErrorBody } from './fake-stripe/params';
import { StripeStore, stripeId, unixNow, type StripeObject } from './fake-stripe/store';

export type { FakeCharge, FakeCheckoutSession, FakePaymentIntent, FakeRefund, Metadata } from './fake-stripe/objects';
export type { FormParams, FormValue } from './fake-stripe/params';

export interface FakeStripeOptions {
  /** Default 0: a free port. */
  port?: number;
  /** `api_version` of built events. Default: the version the repo's `stripe` SDK pins. */
  apiVersion?: string;
}

/** One request as the fake received it. */
export interface RecordedRequest {
  readonly method: string;
  /** Without the query string. */
  readonly path: string;
  readonly query: FormParams;
  /** The form body parsed into objects and arrays; leaves stay strings, as Stripe receives them. */
  readonly body: FormParams;
  readonly idempotencyKey: string | null;
  readonly receivedAt: Date;
  /** The status answered; undefined while the request is in flight (e.g. delayed). */
  readonly status?: number;
  /** Answered with the stored outcome of an earlier request with its idempotency key. */
  readonly replayed?: boolean;
}

/** Which requests a fault applies to; an absent field matches any. */
export interface RequestMatch {
  method?: string;
  /** A string matches as a prefix of the path. */
  path?: string | RegExp;
}

/** The error an injected failure answers with, in Stripe's shape. */
export interface InjectedError {
  status: number;
  type: string;
  code?: string;
  message?: string;
}

export interface StripeEvent<T> {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  data: { object: T };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

export interface FakeStripe {
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Every request received, oldest first; a live list. */
  readonly requests: readonly RecordedRequest[];
  /** Copies of the objects as they are now; lookups by ID throw for an unknown ID. */
  readonly paymentIntents: FakePaymentIntent[];
  readonly checkoutSessions: FakeCheckoutSession[];
  readonly refunds: FakeRefund[];
  paymentIntent(id: string): FakePaymentIntent;
  checkoutSession(id: string): FakeCheckoutSession;
  refund(id: string): FakeRefund;
  /** The charge behind a succeeded PaymentIntent, refunds included: the object of `charge.refunded`. */
  chargeFor(paymentIntentId: string): FakeCharge;
  /** Simulates the customer paying: the PaymentIntent succeeds with a charge, its Checkout Session completes. */
  succeed(paymentIntentId: string): FakePaymentIntent;
  /** Simulates a declined attempt: `last_payment_error` set, status back to `requires_payment_method`. */
  fail(paymentIntentId: string, message?: string): FakePaymentIntent;
  /** The next `count` matching requests are answered with `error` and change nothing. */
  failNext(match: RequestMatch, error: InjectedError, count?: number): void;
  /** The next `count` matching requests wait `ms` before being handled. */
  delayNext(match: RequestMatch, ms: number, count?: number): void;
  /** Forgets pending faults and the request log; objects and idempotency keys stay. */
  reset(): void;
  /** A Stripe event as a webhook would carry it, with a copy of `object` as it is now. */
  event<T extends { object: string }>(type: string, object: T): StripeEvent<T>;
  close(): Promise<void>;
}

/** The version stripe-node 23.1 pins; Stripe stamps events with the account's version. */
const DEFAULT_API_VERSION = '2026-10-28.endive';

/** A RecordedRequest while the fake fills in its outcome. */
type Received = { -readonly [K in keyof RecordedRequest]: RecordedRequest[K] };

interface Answer {
  status: number;
  body: unknown;
}

interface Fault<T> {
  match: RequestMatch;
  remaining: number;
  effect: T;
}

type Route = [method: string, path: RegExp, handle: (params: Params, id: string) => StripeObject];

/**
 * Starts a Stripe API double on 127.0.0.1 for the official SDK:
 * `new Stripe('sk_test_x', { host: '127.0.0.1', port: fake.port, protocol: 'http' })`.
 */
export async function startFakeStripe(options: FakeStripeOptions = {}): Promise<FakeStripe> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const store = new StripeStore(url);
  const requests: Received[] = [];
  const failures: Fault<InjectedError>[] = [];
  const delays: Fault<number>[] = [];
  // Answers by idempotency key. Route handling after the lookup is synchronous, so two requests
  // with one key cannot both perform: the later one always finds the earlier one's answer.
  const idempotent = new Map<string, { request: string; answer: Answer }>();
  const closing = new AbortController();

  const routes: Route[] = [
    ['POST', /^\/v1\/payment_intents$/, (p) => store.createPaymentIntent(p)],
    ['GET', /^\/v1\/payment_intents\/([^/]+)$/, (_, id) => store.paymentIntent(id)],
    ['POST', /^\/v1\/payment_intents\/([^/]+)\/cancel$/, (p, id) => store.cancelPaymentIntent(id, p)],
    ['POST', /^\/v1\/checkout\/sessions$/, (p) => store.createCheckoutSession(p)],
    ['GET', /^\/v1\/checkout\/sessions\/([^/]+)$/, (_, id) => store.checkoutSession(id)],
    ['POST', /^\/v1\/checkout\/sessions\/([^/]+)\/expire$/, (_, id) => store.expireCheckoutSession(id)],
    ['POST', /^\/v1\/refunds$/, (p) => store.createRefund(p)],
  ];

  function perform(request: RecordedRequest): Answer {
    for (const [method, pattern, handle] of routes) {
      const match = method === request.method ? pattern.exec(request.path) : null;
      if (!match) continue;
      // Stripe reads parameters from the query string and the body alike.
      const params = new Params({ ...request.query, ...request.body });
      const id = decodeURIComponent(match[1] ?? '');
      return { status: 200, body: store.expand(handle(params, id), params.strings('expand')) };
    }
    const message = `Unrecognized request URL (${request.method}: ${request.path}). Please see https://stripe.com/docs.`;
    throw new StripeFailure(404, { type: 'invalid_request_error', message });
  }

  function performOnce(request: Received): Answer {
    const key = request.idempotencyKey;
    // Stripe keys POSTs only; GETs are safe to repeat anyway.
    if (request.method !== 'POST' || key === null) return perform(request);
    const signature = JSON.stringify([request.method, request.path, canonical({ ...request.query, ...request.body })]);
    const seen = idempotent.get(key);
    if (seen && seen.request !== signature) {
      const message =
        'Keys for idempotent requests can only be used with the same parameters they were first used with. ' +
        `Try using a key other than '${key}' if you meant to execute a different request.`;
      throw new StripeFailure(400, { type: 'idempotency_error', message });
    }
    if (seen) {
      request.replayed = true;
      return seen.answer;
    }
    const answer = answerOf(() => perform(request));
    // Like Stripe, keep the outcome of a request that was performed or refused (2xx, 4xx), not a
    // server error: retrying that one with the same key must be allowed to go through.
    if (answer.status < 500) idempotent.set(key, { request: signature, answer });
    return answer;
  }

  async function respond(request: Received, authorization: string | null): Promise<Answer> {
    const auth = authenticate(authorization);
    if (auth) return auth;
    const delay = take(delays, request);
    if (delay !== undefined) await sleep(delay, undefined, { signal: closing.signal });
    // An injected failure stands for Stripe failing before it got to the request: answered ahead
    // of the idempotency store and kept out of it.
    const failure = take(failures, request);
    if (failure) {
      const { status, ...error } = failure;
      return errorAnswer(status, { ...error, message: error.message ?? `Injected failure (${status})` });
    }
    return answerOf(() => performOnce(request));
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    // Prefixed rather than resolved against a base, so a path such as `//x` stays a path.
    const url = new URL(`http://fake${req.url ?? '/'}`);
    const request: Received = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: parseForm(url.search),
      body: parseForm(Buffer.concat(chunks).toString('utf8')),
      idempotencyKey: header(req, 'idempotency-key'),
      receivedAt: new Date(),
    };
    requests.push(request);
    const answer = await respond(request, header(req, 'authorization'));
    request.status = answer.status;
    const headers: Record<string, string> = { 'content-type': 'application/json', 'request-id': stripeId('req', 14) };
    if (request.replayed) headers['idempotent-replayed'] = 'true';
    if (request.idempotencyKey) headers['idempotency-key'] = request.idempotencyKey;
    res.writeHead(answer.status, headers).end(JSON.stringify(answer.body));
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    onRequest(req, res).catch(() => {
      // Only a delay cut short by close() or a client gone mid-request end up here: nobody to answer.
      res.destroy();
    });
  });

  const copy = <T>(value: T): T => structuredClone(value);
  let closed: Promise<void> | undefined;
  return {
    port,
    url,
    requests,
    get paymentIntents() {
      return [...store.paymentIntents.values()].map(copy);
    },
    get checkoutSessions() {
      return [...store.checkoutSessions.values()].map(copy);
    },
    get refunds() {
      return [...store.refunds.values()].map(copy);
    },
    paymentIntent: (id) => copy(store.paymentIntent(id)),
    checkoutSession: (id) => copy(store.checkoutSession(id)),
    refund: (id) => copy(store.refund(id)),
    chargeFor: (id) => copy(store.chargeFor(id)),
    succeed: (id) => copy(store.succeed(id)),
    fail: (id, message = 'Your card was declined.') => copy(store.fail(id, message)),
    failNext(match, error, count = 1) {
      failures.push({ match, remaining: positive(count, 'count'), effect: error });
    },
    delayNext(match, ms, count = 1) {
      if (!(ms >= 0)) throw new Error(`ms must be a non-negative number, got ${ms}`);
      delays.push({ match, remaining: positive(count, 'count'), effect: ms });
    },
    reset() {
      failures.length = 0;
      delays.length = 0;
      requests.length = 0;
    },
    event: (type, object) => ({
      id: stripeId('evt'),
      object: 'event',
      api_version: options.apiVersion ?? DEFAULT_API_VERSION,
      created: unixNow(),
      data: { object: copy(object) },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    }),
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing.abort();
        server.close(() => resolve());
        // The SDK keeps connections alive; a test fake need not wait for them.
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

function authenticate(authorization: string | null): Answer | undefined {
  const key = /^Bearer (\S+)$/i.exec(authorization ?? '')?.[1];
  if (key?.startsWith('sk_')) return undefined;
  // Stripe answers 401 with type invalid_request_error; the SDK throws StripeAuthenticationError for any 401.
  const message = key
    ? `Invalid API Key provided: ${key.slice(0, 8)}****`
    : 'You did not provide an API key. You need to provide your API key in the Authorization header, ' +
      "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').";
  return errorAnswer(401, { type: 'invalid_request_error', message });
}

/** Runs `perform`, turning a StripeFailure into its answer and anything else into Stripe's 500. */
function answerOf(perform: () => Answer): Answer {
  try {
    return perform();
  } catch (err) {
    if (err instanceof StripeFailure) return errorAnswer(err.status, err.error);
    const message = `Fake Stripe failed: ${err instanceof Error ? err.message : String(err)}`;
    return errorAnswer(500, { type: 'api_error', message });
  }
}

function errorAnswer(status: number, error: StripeErrorBody): Answer {
  return { status, body: { error } };
}

/** Takes one use of the first fault matching `request`, dropping it once used up. */
function take<T>(faults: Fault<T>[], request: RecordedRequest): T | undefined {
  const index = faults.findIndex(({ match }) => matches(match, request));
  if (index < 0) return undefined;
  const fault = faults[index]!;
  if (--fault.remaining === 0) faults.splice(index, 1);
  return fault.effect;
}

function matches(match: RequestMatch, request: RecordedRequest): boolean {
  if (match.method && match.method.toUpperCase() !== request.method) return false;
  if (match.path === undefined) return true;
  // search() ignores lastIndex, so a RegExp with the g flag matches the same way every time.
  return typeof match.path === 'string' ? request.path.startsWith(match.path) : request.path.search(match.path) >= 0;
}

function header(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

/** JSON with object keys sorted: the same parameters sent in another order are the same request. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
}

function positive(count: number, name: string): number {
  if (!Number.isInteger(count) || count < 1) throw new Error(`${name} must be a positive integer, got ${count}`);
  return count;
}
