import { randomUUID } from 'node:crypto';
import { deadLetterTopic, Topics } from '@orderflow/events';
import { readTopics, scrapeMetrics, type TopicReader } from '@orderflow/service-testing';
import { waitFor } from '@orderflow/testing';
import { api, fromStripe, METRICS_TOKEN, orderWhen, SHOP_A, useOrderStack, type ProviderEvent } from './support';

/**
 * Events that reach the consumer together go through in runs, one transaction per run
 * (orderBatchHandler). These tests publish many events at once so the consumer fetches them
 * together, and check that a run has exactly the effects the same events have one at a time.
 */
describe('runs of events in one transaction', () => {
  let deadLetters: TopicReader;
  // Declared before the stack, so it runs before the stack's teardown stops the broker: a reader
  // stopped after its broker waits out its consumer's retries (~30 s) first.
  afterAll(() => deadLetters?.stop());
  const stack = useOrderStack('order_batch');

  beforeAll(async () => {
    deadLetters = await readTopics(stack.broker.brokers, [deadLetterTopic(Topics.stripeIngress)]);
  });

  /** A PaymentIntent for an order Orderflow did not start, as Stripe sends it (metadata names the order). */
  function paymentIntent(orderId: string, extra: { customerName?: string } = {}) {
    return {
      id: `pi_${randomUUID().replace(/-/g, '')}`,
      object: 'payment_intent',
      amount: 1_500,
      amount_received: 1_500,
      currency: 'eur',
      status: 'succeeded',
      receipt_email: `${orderId}@example.com`,
      metadata: {
        orderId,
        instanceId: SHOP_A.instanceId,
        ...(extra.customerName === undefined ? {} : { customerName: extra.customerName }),
        items: JSON.stringify([{ productId: 'gift-card', quantity: 1, unitAmountCents: 1_500, kind: 'external' }]),
      },
    };
  }

  function sessionCompleted(orderId: string, paymentIntentId: string) {
    return stack.stripe.event('checkout.session.completed', {
      id: `cs_${randomUUID().replace(/-/g, '')}`,
      object: 'checkout.session',
      payment_intent: paymentIntentId,
      payment_status: 'paid',
      amount_total: 1_500,
      currency: 'eur',
      customer_details: { email: `${orderId}@example.com` },
      metadata: { orderId, instanceId: SHOP_A.instanceId },
    });
  }

  /** Publishes all of `events` at once, so they reach the consumer in as few fetches as the broker allows. */
  const publishTogether = (events: ProviderEvent[]) => Promise.all(events.map((event) => stack.publish(event)));

  /** Calls of the Stripe topic's handlers so far: a run counts once, however many events it held. */
  async function handlerCalls(): Promise<number> {
    const text = await scrapeMetrics(stack.running.url, METRICS_TOKEN);
    const line = text.split('\n').find((l) => l.startsWith('orderflow_consumer_handler_duration_seconds_count') && l.includes(`topic="${Topics.stripeIngress}"`));
    return line ? Number(line.split(' ').pop()) : 0;
  }

  it('applies a run once per event: repeats in the run and both reports of one Checkout payment have one effect', async () => {
    const callsBefore = await handlerCalls();
    const orders = Array.from({ length: 30 }, () => `batch-order-${randomUUID()}`);
    const events: ProviderEvent[] = [];
    orders.forEach((orderId, i) => {
      const pi = paymentIntent(orderId);
      const succeeded = fromStripe(stack.stripe.event('payment_intent.succeeded', pi), orderId);
      events.push(succeeded, succeeded);
      if (i % 3 === 0) events.push(fromStripe(sessionCompleted(orderId, pi.id), orderId));
    });

    await publishTogether(events);

    for (const orderId of orders) {
      const order = await orderWhen(stack.running.url, orderId, (o) => o.status === 'APPROVED');
      expect(order.history.map((h: { toStatus: string; applied: boolean }) => [h.toStatus, h.applied])).toEqual([
        ['PENDING', true],
        ['PAID', true],
        ['APPROVED', true],
      ]);
      expect(order.payments).toHaveLength(1);
      expect(order.customer.email).toBe(`${orderId}@example.com`);
    }
    for (const orderId of orders) {
      await waitFor(() => stack.orders.of(orderId, 'order.ready_to_fulfill').length === 1, { description: `${orderId} ready to fulfil` });
      expect(stack.orders.typesOf(orderId)).toEqual(['order.created', 'order.pending', 'order.paid', 'order.approved', 'order.ready_to_fulfill']);
    }
    // 70 events took far fewer handler calls than events: they went through in runs.
    expect((await handlerCalls()) - callsBefore).toBeLessThan(events.length / 2);
  });

  it('dead-letters only the event the database refuses; the rest of its run is applied', async () => {
    const orders = Array.from({ length: 12 }, () => `batch-order-${randomUUID()}`);
    // A NUL character is valid JSON but no Postgres text value: this event's insert always fails.
    const poisonOrder = orders[5]!;
    const events = orders.map((orderId) =>
      fromStripe(stack.stripe.event('payment_intent.succeeded', paymentIntent(orderId, orderId === poisonOrder ? { customerName: 'Mal\u0000lory' } : {})), orderId),
    );

    await publishTogether(events);

    for (const orderId of orders.filter((id) => id !== poisonOrder)) {
      const order = await orderWhen(stack.running.url, orderId, (o) => o.status === 'APPROVED');
      expect(order.payments).toHaveLength(1);
    }
    const dead = await waitFor(() => deadLetters.received.find((r) => r.key === poisonOrder), { timeoutMs: 30_000, description: 'the poison event dead-lettered' });
    expect(dead.event.eventId).toBe(events[5]!.eventId);
    expect(deadLetters.received.filter((r) => orders.includes(r.key ?? ''))).toHaveLength(1);
    expect((await api(stack.running.url, `/admin/orders/${poisonOrder}`, { admin: true })).status).toBe(404);
    expect(stack.orders.typesOf(poisonOrder)).toEqual([]);
  });
});
