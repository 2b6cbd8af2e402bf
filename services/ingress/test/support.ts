import { randomUUID } from 'node:crypto';
import { Topics, type AnyEvent } from '@orderflow/events';
import { createBus, type Bus } from '@orderflow/kafka';
import { startHttpServer, type HttpServer } from '@orderflow/http';
import { createLogger } from '@orderflow/logging';
import { createTestDatabase, startTestBroker, uniqueName, type TestBroker } from '@orderflow/testing';
import Stripe from 'stripe';
import { buildIngress, loadIngressConfig, type Ingress, type IngressConfig } from '../src';

export const STRIPE_SECRET = 'whsec_test_current_secret';
export const STRIPE_OLD_SECRET = 'whsec_test_previous_secret';
export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';
export const METRICS_TOKEN = 'ingress-metrics-token-0123456789';

export interface Running {
  ingress: Ingress;
  url: string;
  config: IngressConfig;
  http: HttpServer;
  /** As main.ts stops on SIGTERM: drain HTTP, then stop the service. */
  close(): Promise<void>;
}

/** Builds and starts an ingress on port 0 with the given environment on top of test defaults. */
export async function startIngress(env: Record<string, string | undefined>): Promise<Running> {
  const config = loadIngressConfig({
    STRIPE_WEBHOOK_SECRET: `${STRIPE_SECRET},${STRIPE_OLD_SECRET}`,
    ADMIN_TOKEN,
    METRICS_TOKEN,
    REDIS_KEY_PREFIX: `${uniqueName('ingress-test')}:`,
    LOG_LEVEL: 'silent',
    ...env,
  });
  const ingress = buildIngress(config, { logger: createLogger({ name: 'ingress-test', level: config.LOG_LEVEL }) });
  await ingress.start();
  const http = await startHttpServer(ingress.app, { port: 0, host: '127.0.0.1' });
  return {
    ingress,
    url: http.url,
    config,
    http,
    close: async () => {
      await http.close();
      await ingress.stop();
    },
  };
}

export interface Received {
  event: AnyEvent;
  key: string | null;
  topic: string;
}

/** Every event on `topics`, read with our own consumer runner (so envelopes are validated too). */
export async function collect(broker: { brokers: string[] }, topics: string[]): Promise<{ received: Received[]; stop(): Promise<void> }> {
  const bus: Bus = createBus({ brokers: broker.brokers, clientId: 'test-reader' });
  const received: Received[] = [];
  await bus.runConsumer({
    groupId: `reader-${randomUUID()}`,
    topics,
    fromBeginning: true,
    handler: async (event, context) => {
      received.push({ event, key: context.key?.toString() ?? null, topic: context.topic });
    },
  });
  return { received, stop: () => bus.close() };
}

export interface IngressStack {
  readonly broker: TestBroker;
  readonly running: Running;
  readonly reader: { received: Received[]; stop(): Promise<void> };
}

/**
 * Registers, for the enclosing describe, a test broker (embedded or Apache Kafka), a throwaway Postgres database, an
 * ingress on both and a reader of `topic`, torn down in reverse. `env` runs inside the
 * beforeAll, so keys it generates reach the ingress; it may override any variable.
 */
export function useIngressStack(
  database: string,
  options: { env?: () => Record<string, string | undefined> | Promise<Record<string, string | undefined>>; topic?: string } = {},
): IngressStack {
  const stack = {} as { broker: TestBroker; running: Running; reader: IngressStack['reader']; db: { url: string; drop(): Promise<void> } };
  beforeAll(async () => {
    stack.broker = await startTestBroker();
    stack.db = await createTestDatabase(database);
    stack.running = await startIngress({
      KAFKA_BROKERS: stack.broker.brokers.join(','),
      INGRESS_DATABASE_URL: stack.db.url,
      ...(await options.env?.()),
    });
    stack.reader = await collect(stack.broker, [options.topic ?? Topics.stripeIngress]);
  });
  afterAll(async () => {
    stack.broker?.embedded?.faults.reset();
    await stack.reader?.stop();
    await stack.running?.close();
    await stack.db?.drop();
    await stack.broker?.stop();
  });
  return stack;
}

export function countOf(received: Received[], eventId: string): number {
  return received.filter((r) => r.event.eventId === eventId).length;
}

/** A Stripe event object as Stripe sends it, signed with the real SDK. */
export function stripeEvent(type: string, object: Record<string, unknown>, id = `evt_${randomUUID().replace(/-/g, '')}`) {
  return {
    id,
    object: 'event',
    api_version: '2025-01-27.acacia',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
  };
}

export function paymentIntent(orderId?: string): Record<string, unknown> {
  return {
    id: `pi_${randomUUID().replace(/-/g, '').slice(0, 24)}`,
    object: 'payment_intent',
    amount: 2000,
    currency: 'eur',
    status: 'succeeded',
    metadata: orderId ? { orderId } : {},
  };
}

export function signStripe(payload: string, secret = STRIPE_SECRET): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret });
}

export async function postStripe(
  url: string,
  event: object,
  options: { secret?: string; signature?: string | null; contentType?: string; body?: string; headers?: Record<string, string> } = {},
) {
  const body = options.body ?? JSON.stringify(event);
  const headers: Record<string, string> = { 'content-type': options.contentType ?? 'application/json', ...options.headers };
  const signature = options.signature === undefined ? signStripe(body, options.secret) : options.signature;
  if (signature !== null) headers['stripe-signature'] = signature;
  return fetch(`${url}/api/webhooks/stripe`, { method: 'POST', headers, body });
}

export async function metricValue(ingress: Ingress, name: string, labels: Record<string, string>): Promise<number> {
  const metric = ingress.registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want))
    .filter((v) => !('metricName' in v) || !String(v.metricName ?? '').endsWith('_bucket'))
    .reduce((sum, v) => sum + v.value, 0);
}
