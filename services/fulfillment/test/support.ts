import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { newEvent, Topics, type AnyEvent, type EventType, type OrderSnapshot } from '@orderflow/events';
import { callApi, orderSnapshot, readTopics, serveOnLoopback, type ApiAnswer, type Served, type TopicReader } from '@orderflow/service-testing';
import { createBus, type BatchingProducer, type Bus } from '@orderflow/kafka';
import { createLogger } from '@orderflow/logging';
import { createTestDatabase, startTestBroker, waitFor, type RecordPosition, type TestBroker, type WaitForOptions } from '@orderflow/testing';
import { buildFulfillmentService, loadFulfillmentConfig, type FulfillmentService } from '../src';

export const ADMIN_TOKEN = 'fulfillment-admin-token-0123';
export const METRICS_TOKEN = 'fulfillment-metrics-token-0123456789';
export const SHOP_A = { instanceId: 'shop-a', key: 'key-shop-a-0123456789abcdefghij' };
export const SHOP_B = { instanceId: 'shop-b', key: 'key-shop-b-0123456789abcdefghij' };
export const TICKET_SIGNING_KEY = 'ticket-signing-key-for-tests-0123456789';

export type RunningFulfillment = Served<FulfillmentService>;

export async function startFulfillment(env: Record<string, string | undefined>): Promise<RunningFulfillment> {
  const config = loadFulfillmentConfig({
    ADMIN_TOKEN,
    METRICS_TOKEN,
    API_KEYS: `${SHOP_A.instanceId}:${SHOP_A.key},${SHOP_B.instanceId}:${SHOP_B.key}`,
    TICKET_SIGNING_KEY,
    LICENSE_ENCRYPTION_KEY: '8f2c1d9e0a7b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d',
    LOG_LEVEL: 'silent',
    FULFILLMENT_POLL_INTERVAL: '100ms',
    ...env,
  });
  return serveOnLoopback(buildFulfillmentService(config, { logger: createLogger({ name: 'fulfillment-test', level: config.LOG_LEVEL }) }));
}

/** Everything on the fulfillment topic, keyed by order ID. */
export type OutcomeReader = TopicReader;

export function readOutcomes(broker: { brokers: string[] }): Promise<OutcomeReader> {
  return readTopics(broker.brokers, [Topics.fulfillment]);
}

export interface FulfillmentStack {
  readonly broker: TestBroker;
  readonly running: RunningFulfillment;
  readonly outcomes: OutcomeReader;
  readonly databaseUrl: string;
  readonly env: Record<string, string>;
  /** Publishes an order-service event about `order` to the orders topic. */
  publish(type: EventType, order: OrderSnapshot, options?: { eventId?: string; payload?: unknown }): Promise<string>;
  /**
   * Publishes events in one produce request under one partition key, whatever orders they are
   * about, so the service fetches them together: one run for its batch handler. Their event IDs.
   */
  publishRun(events: ReadonlyArray<{ type: EventType; order: OrderSnapshot; eventId?: string }>): Promise<string[]>;
  /** Where the latest event `publish` sent about `orderId` landed. */
  lastSent(orderId: string): RecordPosition;
  restart(): Promise<void>;
}

export function useFulfillmentStack(database: string, env: () => Record<string, string> = () => ({})): FulfillmentStack {
  const stack = {} as {
    broker: TestBroker;
    running: RunningFulfillment;
    outcomes: OutcomeReader;
    db: { url: string; drop(): Promise<void> };
    databaseUrl: string;
    env: Record<string, string>;
    bus: Bus;
    producer: BatchingProducer;
    sent: Map<string, RecordPosition>;
  };
  beforeAll(async () => {
    stack.broker = await startTestBroker();
    stack.db = await createTestDatabase(database);
    stack.databaseUrl = stack.db.url;
    stack.env = { KAFKA_BROKERS: stack.broker.brokers.join(','), FULFILLMENT_DATABASE_URL: stack.db.url, KAFKA_SESSION_TIMEOUT: '6s', ...env() };
    stack.running = await startFulfillment(stack.env);
    stack.outcomes = await readOutcomes(stack.broker);
    stack.bus = createBus({ brokers: stack.broker.brokers, clientId: 'order-double' });
    stack.producer = stack.bus.createProducer();
    stack.sent = new Map();
  });
  afterAll(async () => {
    await stack.bus?.close();
    await stack.outcomes?.stop();
    await stack.running?.close();
    await stack.db?.drop();
    await stack.broker?.stop();
  });
  const methods: Pick<FulfillmentStack, 'publish' | 'lastSent' | 'publishRun' | 'restart'> = {
    publish: async (type, order, options = {}) => {
      const eventId = options.eventId ?? `${type}:${order.orderId}:${randomUUID()}`;
      const event = newEvent({ type, eventId, orderKey: order.orderId, instanceId: order.instanceId, traceId: randomUUID(), payload: (options.payload ?? order) as never });
      stack.sent.set(order.orderId, await stack.producer.sendEvent(event as AnyEvent));
      return eventId;
    },
    lastSent: (orderId) => stack.sent.get(orderId)!,
    publishRun: async (events) => {
      const orderKey = `run-${randomUUID()}`;
      const built = events.map(({ type, order, eventId }) =>
        newEvent({ type, eventId: eventId ?? `${type}:${order.orderId}:${randomUUID()}`, orderKey, instanceId: order.instanceId, traceId: randomUUID(), payload: order as never }),
      );
      // Sent together: the producer puts concurrent sends in one request, one record batch.
      await Promise.all(built.map((event) => stack.producer.sendEvent(event as AnyEvent)));
      return built.map((event) => event.eventId);
    },
    restart: async () => {
      await stack.running.close();
      stack.running = await startFulfillment(stack.env);
    },
  };
  // The record itself is the stack, as the ingress's is: what beforeAll and restart put in it is what tests read.
  return Object.assign(stack, methods);
}

type Line = { kind: 'ticket' | 'license' | 'external'; productId?: string; quantity?: number; capacityKey?: string; waitlisted?: boolean };

/** An order snapshot as the order service publishes it, APPROVED, with the given lines. */
export function approvedOrder(lines: Line[], instanceId = SHOP_A.instanceId): OrderSnapshot {
  const built = lines.map((line, i) => ({
    lineId: `line_${randomUUID()}`,
    productId: line.productId ?? `${line.kind}-product`,
    name: null,
    quantity: line.quantity ?? 1,
    unitAmountCents: 1_000,
    kind: line.kind,
    capacityKey: line.kind === 'ticket' ? (line.capacityKey ?? `event-${i}`) : null,
  }));
  return orderSnapshot({
    orderId: `ord_${randomUUID()}`,
    instanceId,
    status: 'APPROVED',
    previousStatus: 'PAID',
    lines: built,
    registrations: built
      .filter((l) => l.kind === 'ticket')
      .map((l, i) => ({ registrationId: `reg_${randomUUID()}`, lineId: l.lineId, capacityKey: l.capacityKey!, status: lines.filter((x) => x.kind === 'ticket')[i].waitlisted ? 'WAITLISTED' : 'ACTIVE' })),
  });
}

/**
 * Runs `fn` while another session holds `table` exclusively: every statement of the service
 * that touches it meanwhile times out on its lock, a real transient failure.
 */
export async function whileTableLocked(databaseUrl: string, table: 'tickets' | 'license_keys', fn: () => Promise<void>): Promise<void> {
  const blocker = new Client({ connectionString: databaseUrl });
  await blocker.connect();
  try {
    await blocker.query('BEGIN');
    await blocker.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
    await fn();
  } finally {
    await blocker.query('ROLLBACK');
    await blocker.end();
  }
}

/** Rows of a query on the service's database, for what its APIs do not show (the outbox, processed events). */
export async function queryDatabase<T>(databaseUrl: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

export function api(url: string, path: string, options: { key?: string; admin?: boolean; method?: string; body?: unknown } = {}): Promise<ApiAnswer> {
  return callApi(url, path, { bearer: options.admin ? ADMIN_TOKEN : options.key, method: options.method, body: options.body });
}

export const addKeys = (url: string, productId: string, keys: string[]) => api(url, `/admin/license-pools/${productId}/keys`, { admin: true, method: 'POST', body: { keys } });

export const freshKeys = (n: number) => Array.from({ length: n }, () => `KEY-${randomUUID().slice(0, 8).toUpperCase()}-${randomUUID().slice(0, 8).toUpperCase()}`);

/** The first `type` outcome about `orderId`. */
export function outcome(stack: FulfillmentStack, orderId: string, type: string, options?: WaitForOptions) {
  return waitFor(() => stack.outcomes.of(orderId, type)[0], options);
}
