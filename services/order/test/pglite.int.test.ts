import { randomUUID } from 'node:crypto';
import { createBus } from '@orderflow/kafka';
import { startFakeStripe, startTestBroker, tempDir, waitFor } from '@orderflow/testing';
import { api, checkoutBody, envelopeOf, fromStripe, orderWhen, SHOP_A, startOrderService } from './support';

describe('on PGlite (no database URL: the one-machine mode)', () => {
  it('runs a checkout to APPROVED and keeps the order across a restart on the same data directory', async () => {
    const broker = await startTestBroker();
    const stripe = await startFakeStripe();
    const dir = tempDir();
    const bus = createBus({ brokers: broker.brokers, clientId: 'ingress-double' });
    const env = { KAFKA_BROKERS: broker.brokers.join(','), DATA_DIR: dir.path, STRIPE_SECRET_KEY: 'sk_test_pglite', STRIPE_API_BASE: stripe.url };
    let running = await startOrderService(env);
    try {
      const started = await api(running.url, '/api/checkout', {
        key: SHOP_A.key,
        method: 'POST',
        body: checkoutBody(`cart-${randomUUID()}`, [{ productId: 'ebook', name: null, quantity: 1, unitAmountCents: 990, kind: 'license', capacityKey: null }]),
      });
      expect(started.status).toBe(201);
      const { orderId, paymentIntentId } = started.body as { orderId: string; paymentIntentId: string };
      stripe.succeed(paymentIntentId);
      const event = stripe.event('payment_intent.succeeded', stripe.paymentIntent(paymentIntentId));
      await bus.createProducer().sendEvent(envelopeOf(fromStripe(event, orderId)));
      await orderWhen(running.url, orderId, (o) => o.status === 'APPROVED', { timeoutMs: 30_000 });

      await running.close();
      running = await startOrderService(env);
      const again = await api(running.url, `/admin/orders/${orderId}`, { admin: true });
      expect(again.body).toMatchObject({ status: 'APPROVED', totalCents: 990 });
      expect(again.body.history).toHaveLength(3);
      await waitFor(async () => (await api(running.url, '/readyz')).status === 200);
    } finally {
      await running.close();
      await bus.close();
      await stripe.close();
      await broker.stop();
      dir.remove();
    }
  });
});
