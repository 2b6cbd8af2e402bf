import { Topics } from '@orderflow/events';
import { ErrorCode, type RunningBroker } from '@orderflow/kafka-broker';
import { createTestDatabase, startTestBroker, waitFor } from '@orderflow/testing';
import { collect, countOf, metricValue, paymentIntent, postStripe, startIngress, stripeEvent, type Received, type Running } from './support';

describe('durable before 2xx', () => {
  let broker: RunningBroker;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let running: Running;
  let reader: { received: Received[]; stop(): Promise<void> };

  beforeAll(async () => {
    broker = await startTestBroker();
    db = await createTestDatabase('ingress_durable');
    running = await startIngress({
      KAFKA_BROKERS: broker.brokers.join(','),
      INGRESS_DATABASE_URL: db.url,
      REDIS_URL: 'redis://127.0.0.1:6379',
      PUBLISH_DEADLINE: '1000',
    });
    reader = await collect(broker, [Topics.stripeIngress]);
    // Warm the producer so the faults hit a produce, not the first connection.
    await postStripe(running.url, stripeEvent('payment_intent.succeeded', paymentIntent('warm-up')));
  });

  afterAll(async () => {
    broker?.faults.reset();
    await reader?.stop();
    await running?.close();
    await db?.drop();
    await broker?.stop();
  });

  it('answers 503 with Retry-After while the broker is silent, then publishes the retried webhook once', async () => {
    const event = stripeEvent('payment_intent.succeeded', paymentIntent('order-silent'));
    const resume = broker.faults.stopAnswering(60_000);
    const first = await postStripe(running.url, event);
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('5');
    expect(first.headers.get('content-type')).toContain('application/problem+json');
    // A retry during the outage is refused too: the first attempt is still pending.
    expect((await postStripe(running.url, event)).status).toBe(503);
    resume();

    const retried = await waitFor(async () => {
      const res = await postStripe(running.url, event);
      return res.status === 200 ? res : null;
    });
    expect(retried.status).toBe(200);
    const marker = stripeEvent('payment_intent.succeeded', paymentIntent('order-silent'));
    expect((await postStripe(running.url, marker)).status).toBe(200);
    await waitFor(() => countOf(reader.received, marker.id) === 1);
    expect(countOf(reader.received, event.id)).toBe(1);
    expect(await metricValue(running.ingress, 'ingress_publish_failures_total', { source: 'stripe', reason: 'deadline' })).toBeGreaterThanOrEqual(1);
  });

  it('answers 503 when the broker refuses the produce, records the event as failed, and publishes the retry once', async () => {
    const event = stripeEvent('charge.refunded', { id: 'ch_fail', object: 'charge', payment_intent: 'pi_fail', metadata: { orderId: 'order-fail' } });
    broker.faults.failNext('Produce', 1, ErrorCode.MESSAGE_TOO_LARGE);
    const first = await postStripe(running.url, event);
    expect(first.status).toBe(503);
    const rows = await fetch(`${running.url}/admin/events?status=failed`, { headers: { authorization: 'Bearer admin-token-for-tests-0123456789' } });
    const { items } = (await rows.json()) as { items: Array<{ eventId: string; error: string | null }> };
    expect(items.find((i) => i.eventId === event.id)?.error).toBeTruthy();

    const retry = await postStripe(running.url, event);
    expect(retry.status).toBe(200);
    expect(await retry.json()).toMatchObject({ outcome: 'published' });
    const again = await postStripe(running.url, event);
    expect(await again.json()).toMatchObject({ outcome: 'duplicate' });
    const marker = stripeEvent('charge.refunded', { id: 'ch_m', object: 'charge', payment_intent: 'pi_fail', metadata: { orderId: 'order-fail' } });
    await postStripe(running.url, marker);
    await waitFor(() => countOf(reader.received, marker.id) === 1);
    expect(countOf(reader.received, event.id)).toBe(1);
  });
});

describe('with Redis unreachable', () => {
  let broker: RunningBroker;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let running: Running;
  let reader: { received: Received[]; stop(): Promise<void> };

  beforeAll(async () => {
    broker = await startTestBroker();
    db = await createTestDatabase('ingress_noredis');
    // Port 1 on loopback: nothing listens, connections are refused.
    running = await startIngress({ KAFKA_BROKERS: broker.brokers.join(','), INGRESS_DATABASE_URL: db.url, REDIS_URL: 'redis://127.0.0.1:1' });
    reader = await collect(broker, [Topics.stripeIngress]);
  });

  afterAll(async () => {
    await reader?.stop();
    await running?.close();
    await db?.drop();
    await broker?.stop();
  });

  it('keeps publishing and catches duplicates, concurrent and sequential, through the database', async () => {
    const event = stripeEvent('payment_intent.succeeded', paymentIntent('order-no-redis'));
    const answers = await Promise.all(Array.from({ length: 10 }, () => postStripe(running.url, event)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(await (await postStripe(running.url, event)).json()).toMatchObject({ outcome: 'duplicate' });
    const marker = stripeEvent('payment_intent.succeeded', paymentIntent('order-no-redis'));
    expect((await postStripe(running.url, marker)).status).toBe(200);
    await waitFor(() => countOf(reader.received, marker.id) === 1);
    expect(countOf(reader.received, event.id)).toBe(1);
  });
});
