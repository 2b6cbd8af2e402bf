import { randomUUID } from 'node:crypto';
import { Topics, type AnyEvent, type EventSource } from '@orderflow/events';
import { callApi, readTopics, serveOnLoopback, type ApiAnswer, type Served, type TopicReader } from '@orderflow/service-testing';
import { createBus, type BatchingProducer, type Bus } from '@orderflow/kafka';
import { createLogger } from '@orderflow/logging';
import { createTestDatabase, startFakeStripe, startTestBroker, waitFor, type FakeStripe, type RecordPosition, type TestBroker, type WaitForOptions } from '@orderflow/testing';
import { buildOrderService, loadOrderConfig, type OrderService } from '../src';

export const ADMIN_TOKEN = 'order-admin-token-0123456789';
export const METRICS_TOKEN = 'order-metrics-token-0123456789';
export const SHOP_A = { instanceId: 'shop-a', key: 'key-shop-a-0123456789abcdefghij' };
export const SHOP_B = { instanceId: 'shop-b', key: 'key-shop-b-0123456789abcdefghij' };

export type RunningOrderService = Served<OrderService>;

export async function startOrderService(env: Record<string, string | undefined>): Promise<RunningOrderService> {
  const config = loadOrderConfig({
    ADMIN_TOKEN,
    METRICS_TOKEN,
    API_KEYS: `${SHOP_A.instanceId}:${SHOP_A.key},${SHOP_B.instanceId}:${SHOP_B.key}`,
    LOG_LEVEL: 'silent',
    ...env,
  });
  return serveOnLoopback(buildOrderService(config, { logger: createLogger({ name: 'order-test', level: config.LOG_LEVEL }) }));
}

/** Everything published on the orders topic, keyed by order ID. */
export type OrdersReader = TopicReader;

export function readOrders(broker: { brokers: string[] }): Promise<OrdersReader> {
  return readTopics(broker.brokers, [Topics.orders]);
}

export interface OrderStack {
  readonly broker: TestBroker;
  readonly stripe: FakeStripe;
  readonly running: RunningOrderService;
  readonly orders: OrdersReader;
  readonly databaseUrl: string;
  /** Publishes a provider event to its ingress topic, as the ingress would. */
  publish(event: ProviderEvent): Promise<void>;
  /** Where the latest event this stack published on `orderKey` landed. */
  lastSent(orderKey: string): RecordPosition;
  /** Stops the service as SIGTERM would and starts it again on the same database, `env` on top. */
  restart(env?: Record<string, string>): Promise<void>;
}

export interface ProviderEvent {
  source: Extract<EventSource, 'stripe' | 'wix' | 'fulfillment'>;
  type: string;
  eventId: string;
  orderKey: string;
  instanceId?: string | null;
  payload: unknown;
}

/**
 * For the enclosing describe: a test broker (embedded or Apache Kafka), a fake Stripe API, a throwaway Postgres
 * database, the order service on all three, and a reader of the orders topic.
 */
export function useOrderStack(database: string, env: () => Record<string, string | undefined> = () => ({})): OrderStack {
  const stack = {} as {
    broker: TestBroker;
    stripe: FakeStripe;
    running: RunningOrderService;
    orders: OrdersReader;
    databaseUrl: string;
    db: { url: string; drop(): Promise<void> };
    env: Record<string, string | undefined>;
    bus: Bus;
    producer: BatchingProducer;
    sent: Map<string, RecordPosition>;
  };
  beforeAll(async () => {
    stack.broker = await startTestBroker();
    stack.stripe = await startFakeStripe();
    stack.db = await createTestDatabase(database);
    stack.databaseUrl = stack.db.url;
    stack.env = {
      KAFKA_BROKERS: stack.broker.brokers.join(','),
      ORDER_DATABASE_URL: stack.db.url,
      STRIPE_SECRET_KEY: 'sk_test_order_service',
      STRIPE_API_BASE: stack.stripe.url,
      ...env(),
    };
    stack.running = await startOrderService(stack.env);
    stack.orders = await readOrders(stack.broker);
    stack.bus = createBus({ brokers: stack.broker.brokers, clientId: 'ingress-double' });
    stack.producer = stack.bus.createProducer();
    stack.sent = new Map();
  });
  afterAll(async () => {
    stack.broker?.embedded?.faults.reset();
    await stack.bus?.close();
    await stack.orders?.stop();
    await stack.running?.close();
    await stack.db?.drop();
    await stack.stripe?.close();
    await stack.broker?.stop();
  });
  const methods: Pick<OrderStack, 'publish' | 'lastSent' | 'restart'> = {
    publish: async (event) => {
      stack.sent.set(event.orderKey, await stack.producer.sendEvent(envelopeOf(event)));
    },
    lastSent: (orderKey) => stack.sent.get(orderKey)!,
    restart: async (env = {}) => {
      await stack.running.close();
      stack.running = await startOrderService({ ...stack.env, ...env });
    },
  };
  // The record itself is the stack, as the ingress's is: what beforeAll and restart put in it is what tests read.
  return Object.assign(stack, methods);
}

/** The envelope the ingress (or the fulfillment service) would publish for `event`. */
export function envelopeOf(event: ProviderEvent): AnyEvent {
  const now = new Date().toISOString();
  return {
    eventId: event.eventId,
    type: event.type,
    version: 1,
    source: event.source,
    orderKey: event.orderKey,
    instanceId: event.instanceId ?? null,
    occurredAt: now,
    receivedAt: now,
    traceId: randomUUID(),
    payload: event.payload,
  } as AnyEvent;
}

/** A Wix order event as the ingress publishes it: its ID is the Wix event ID, its key the order ID. */
export function wixEvent(
  slug: 'created' | 'paid' | 'approved' | 'updated' | 'canceled' | 'fulfilled',
  instanceId: string,
  entity: { id: string } & Record<string, unknown>,
  eventId: string = randomUUID(),
): ProviderEvent {
  return {
    source: 'wix',
    type: `wix.ecom.v1.order_${slug}`,
    eventId,
    orderKey: entity.id,
    instanceId,
    payload: { id: eventId, entityFqdn: 'wix.ecom.v1.order', slug, entityId: entity.id, eventTime: new Date().toISOString(), entity },
  };
}

/** The record the order service keeps of a Wix order for the shop's own systems (the status answer's `tracked`), in `status`. */
export function trackedOrder(order: { id: string; number: string; checkoutId: string; cartId?: string; externalReference?: string }, instanceId: string, status: string) {
  return {
    instanceId,
    orderId: order.id,
    orderNumber: order.number,
    checkoutId: order.checkoutId,
    cartId: order.cartId,
    externalReference: order.externalReference,
    status,
    createdAt: expect.any(String),
  };
}

/** A Stripe event (from the fake's `event()`) as the ingress publishes it. */
export function fromStripe(event: { id: string; type: string; data: { object: unknown } }, orderKey: string): ProviderEvent {
  return { source: 'stripe', type: event.type, eventId: event.id, orderKey, payload: event };
}

export function api(url: string, path: string, options: { key?: string; admin?: boolean; method?: string; body?: unknown } = {}): Promise<ApiAnswer> {
  return callApi(url, path, { bearer: options.admin ? ADMIN_TOKEN : options.key, method: options.method, body: options.body });
}

/** Waits until the admin view of `orderId` satisfies `until`, and returns it. */
export async function orderWhen(url: string, orderId: string, until: (order: Record<string, any>) => boolean, options?: WaitForOptions) {
  return waitFor(async () => {
    const res = await api(url, `/admin/orders/${orderId}`, { admin: true });
    return res.status === 200 && until(res.body) ? res.body : null;
  }, options);
}

export function checkoutBody(cartId: string, items: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}) {
  return { cartId, currency: 'eur', customer: { email: 'ada@example.com', name: 'Ada' }, items, ...extra };
}

export const ticket = (capacityKey: string, quantity = 1, unitAmountCents = 2_500) => ({ productId: `ticket-${capacityKey}`, name: 'Ticket', quantity, unitAmountCents, kind: 'ticket', capacityKey });
