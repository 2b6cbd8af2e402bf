import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { Topics } from '@orderflow/events';
import { ErrorCode } from '@orderflow/kafka-broker';
import { refuseProduces } from '@orderflow/service-testing';
import { createTestDatabase, startFakeStripe, startTestBroker, waitFor, type FakeStripe, type TestBroker } from '@orderflow/testing';
import { ADMIN_TOKEN, api, checkoutBody, METRICS_TOKEN, readOrders, SHOP_A, startOrderService, type OrdersReader } from './support';

const MAIN = path.join(__dirname, '..', 'dist', 'main.js');

/** The order service as its own process (dist/main.js, built before the tests), so it can be killed -9. */
async function spawnOrderService(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; output(): string }> {
  const child = spawn(process.execPath, [MAIN], { env: { ...process.env, ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"url":"(http:\/\/[^"]+)".*order listening/.exec(output);
      if (match) resolve(match[1]);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`order service exited with ${code}:\n${output}`)));
  });
  return { child, url, output: () => output };
}

describe('killed between commit and publish', () => {
  let broker: TestBroker;
  let stripe: FakeStripe;
  let db: { url: string; drop(): Promise<void> };
  let orders: OrdersReader;
  /** Processes this file spawned, killed whatever happens: a live child would keep Jest from exiting. */
  const children = new Set<ChildProcess>();

  beforeAll(async () => {
    broker = await startTestBroker();
    stripe = await startFakeStripe();
    db = await createTestDatabase('order_crash');
    orders = await readOrders(broker);
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    broker.embedded?.faults.reset();
    await orders.stop();
    await db.drop();
    await stripe.close();
    await broker.stop();
  });

  it('publishes every change committed before a kill -9 once the service is back, each event once', async () => {
    const env = {
      KAFKA_BROKERS: broker.brokers.join(','),
      ORDER_DATABASE_URL: db.url,
      STRIPE_SECRET_KEY: 'sk_test_crash',
      STRIPE_API_BASE: stripe.url,
      ADMIN_TOKEN,
      METRICS_TOKEN,
      API_KEYS: `${SHOP_A.instanceId}:${SHOP_A.key}`,
      // The killed replica's partitions move to its successor after this long.
      KAFKA_SESSION_TIMEOUT: '6s',
    };
    const first = await spawnOrderService(env);
    children.add(first.child);
    const started = await api(first.url, '/api/checkout', {
      key: SHOP_A.key,
      method: 'POST',
      body: checkoutBody(`cart-${randomUUID()}`, [{ productId: 'ebook', name: null, quantity: 1, unitAmountCents: 1_900, kind: 'license', capacityKey: null }]),
    });
    expect(started.status).toBe(201);
    const orderId = started.body.orderId as string;
    await waitFor(() => orders.typesOf(orderId).includes('checkout.started'));

    // Kafka refuses every produce to the orders topic: the completion commits, but its events cannot
    // leave. Refused, not merely unanswered: a produce sent to a hung broker before the kill is
    // written once it answers again, and the successor's relay then publishes the events a second
    // time (measured on Apache Kafka with stopAnswering(): the four events twice).
    const accept = await refuseProduces(broker, Topics.orders, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const completed = await api(first.url, `/admin/orders/${orderId}/complete`, { admin: true, method: 'POST' });
    expect(completed.status).toBe(200);
    expect(completed.body.status).toBe('APPROVED');
    await waitFor(() => first.output().includes('outbox publish failed'), { timeoutMs: 30_000, description: 'the relay to try to publish and be refused' }).catch((err: Error) => {
      throw new Error(`${err.message}; the service said:\n${first.output().slice(-3_000)}`);
    });
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    expect(orders.typesOf(orderId)).not.toContain('order.paid');
    await accept();

    const second = await startOrderService(env);
    try {
      const expected = ['order.paid', 'order.approved', 'order.ready_to_fulfill', 'checkout.completed'];
      await waitFor(() => expected.every((type) => orders.typesOf(orderId).includes(type)));
      // A marker published after them: once it is here, any duplicate would be too.
      const marker = await api(second.url, '/api/checkout', {
        key: SHOP_A.key,
        method: 'POST',
        body: checkoutBody(`cart-${randomUUID()}`, [{ productId: 'marker', name: null, quantity: 1, unitAmountCents: 100, kind: 'external', capacityKey: null }]),
      });
      await waitFor(() => orders.typesOf(marker.body.orderId as string).includes('checkout.started'));

      const ids = orders.of(orderId).map((event) => event.eventId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(orders.typesOf(orderId).sort()).toEqual([...expected, 'order.created', 'order.pending', 'checkout.started'].sort());
    } finally {
      await second.close();
    }
  });
});
