import * as fs from 'node:fs';
import { createServer, type Server } from 'node:net';
import { callApi } from '@orderflow/service-testing';
import { tempDir, waitFor } from '@orderflow/testing';
import { Kafka, logLevel } from 'kafkajs';
import { startOneMachine, type OneMachine } from '../src';
import { deliver, paymentIntentSucceeded, purchase } from './support/stripe-webhooks';

/** Kafka's port, which the embedded broker takes when it is free. */
const DEFAULT_KAFKA_PORT = 9092;

/**
 * Holds `port` on 127.0.0.1 as a local Kafka or another checkout's `npm start` would. When it is
 * held already (by something else on this machine), it is taken just the same for what is tested.
 */
async function occupy(port: number): Promise<{ port: number; release(): Promise<void> }> {
  const server: Server = createServer((socket) => socket.destroy());
  const held = await new Promise<boolean>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(false) : reject(err)));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  return { port, release: () => (held ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve()) };
}

/** A signed `payment_intent.succeeded` for a new order of the local instance; resolves with its order ID once the ingress accepted it. */
async function payNewOrder(ingressUrl: string, webhookSecret: string): Promise<string> {
  const p = purchase({ instanceId: 'local', email: 'ada@example.com', name: 'Ada', items: [{ productId: 'gift-card', name: 'Gift card', quantity: 1, unitAmountCents: 1_500, kind: 'external' }] });
  expect(await deliver(ingressUrl, webhookSecret, paymentIntentSucceeded(p))).toBe(200);
  return p.orderId;
}

describe('one machine: the embedded broker’s port', () => {
  const dir = tempDir();
  const env = { DATA_DIR: dir.path, PORT: '0', LOG_LEVEL: 'silent' };
  let machine: OneMachine | undefined;
  let kafka: { port: number; release(): Promise<void> } | undefined;
  afterAll(async () => {
    await machine?.stop();
    await kafka?.release();
    dir.remove();
  });

  it('stops start-up naming KAFKA_PORT when the port it names is in use', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      await expect(startOneMachine({ ...env, KAFKA_PORT: String(port) })).rejects.toMatchObject({
        name: 'ConfigError',
        message: expect.stringContaining(`KAFKA_PORT: port ${port} is in use`),
      });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it(`takes a free port when ${DEFAULT_KAFKA_PORT} is in use, says so, and every service and client reaches it there`, async () => {
    kafka = await occupy(DEFAULT_KAFKA_PORT);
    machine = await startOneMachine(env);
    const [host, port] = machine.brokers[0].split(':');
    expect(Number(port)).not.toBe(DEFAULT_KAFKA_PORT);
    expect(machine.brokerNote).toContain(`${DEFAULT_KAFKA_PORT} was in use`);

    // A client bootstraps there and is told the same address (the broker advertises what it bound).
    const admin = new Kafka({ clientId: 'kafka-port-test', brokers: [...machine.brokers], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      expect((await admin.describeCluster()).brokers).toEqual([expect.objectContaining({ host, port: Number(port) })]);
    } finally {
      await admin.disconnect();
    }

    // The services reach it: a payment goes through the ingress, Kafka and the order service.
    const secrets = JSON.parse(fs.readFileSync(machine.secretsFile, 'utf8')) as { ADMIN_TOKEN: string; STRIPE_WEBHOOK_SECRET: string };
    const orderId = await payNewOrder(machine.urls.ingress, secrets.STRIPE_WEBHOOK_SECRET);
    await waitFor(
      async () => {
        const res = await callApi(machine!.urls.order, `/admin/orders/${orderId}`, { bearer: secrets.ADMIN_TOKEN });
        return res.body.status === 'FULFILLED' ? res.body : null;
      },
      { timeoutMs: 30_000, description: 'the order paid, approved and fulfilled over the broker on its chosen port' },
    );
  }, 120_000);
});
