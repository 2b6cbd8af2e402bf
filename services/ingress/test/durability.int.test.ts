import { Topics } from '@orderflow/events';
import { Client } from 'pg';
import { createTestDatabase, startTestBroker, waitFor } from '@orderflow/testing';
import { refuseProduces } from '@orderflow/service-testing';
import { ADMIN_TOKEN, collect, countOf, metricValue, paymentIntent, postStripe, startIngress, stripeEvent, useIngressStack } from './support';

describe('durable before 2xx', () => {
  const stack = useIngressStack('ingress_durable', { env: () => ({ REDIS_URL: 'redis://127.0.0.1:6379', PUBLISH_DEADLINE: '1000' }) });

  beforeAll(async () => {
    // Warm the producer so the faults hit a produce, not the first connection.
    await postStripe(stack.running.url, stripeEvent('payment_intent.succeeded', paymentIntent('warm-up')));
  });

  it('answers 503 with Retry-After while the broker is silent, then publishes the retried webhook once', async () => {
    const event = stripeEvent('payment_intent.succeeded', paymentIntent('order-silent'));
    const resume = stack.broker.stopAnswering();
    const first = await postStripe(stack.running.url, event);
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('5');
    expect(first.headers.get('content-type')).toContain('application/problem+json');
    // A retry during the outage is refused too: the first attempt is still pending.
    expect((await postStripe(stack.running.url, event)).status).toBe(503);
    resume();

    const retried = await waitFor(async () => {
      const res = await postStripe(stack.running.url, event);
      return res.status === 200 ? res : null;
    });
    expect(retried.status).toBe(200);
    const marker = stripeEvent('payment_intent.succeeded', paymentIntent('order-silent'));
    expect((await postStripe(stack.running.url, marker)).status).toBe(200);
    await waitFor(() => countOf(stack.reader.received, marker.id) === 1);
    expect(countOf(stack.reader.received, event.id)).toBe(1);
    expect(await metricValue(stack.running.ingress, 'ingress_publish_failures_total', { source: 'stripe', reason: 'deadline' })).toBeGreaterThanOrEqual(1);
  });

  it('answers 503 when the broker refuses the produce, records the event as failed, and publishes the retry once', async () => {
    const event = stripeEvent('charge.refunded', { id: 'ch_fail', object: 'charge', payment_intent: 'pi_fail', metadata: { orderId: 'order-fail' } });
    const restore = await refuseProduces(stack.broker, Topics.stripeIngress);
    const first = await postStripe(stack.running.url, event);
    await restore();
    expect(first.status).toBe(503);
    const rows = await fetch(`${stack.running.url}/admin/events?status=failed`, { headers: { authorization: 'Bearer admin-token-for-tests-0123456789' } });
    const { items } = (await rows.json()) as { items: Array<{ eventId: string; error: string | null }> };
    expect(items.find((i) => i.eventId === event.id)?.error).toBeTruthy();
    expect(await metricValue(stack.running.ingress, 'ingress_publish_failures_total', { source: 'stripe', reason: 'error' })).toBeGreaterThanOrEqual(1);

    const retry = await postStripe(stack.running.url, event);
    expect(retry.status).toBe(200);
    expect(await retry.json()).toMatchObject({ outcome: 'published' });
    const again = await postStripe(stack.running.url, event);
    expect(await again.json()).toMatchObject({ outcome: 'duplicate' });
    const marker = stripeEvent('charge.refunded', { id: 'ch_m', object: 'charge', payment_intent: 'pi_fail', metadata: { orderId: 'order-fail' } });
    await postStripe(stack.running.url, marker);
    await waitFor(() => countOf(stack.reader.received, marker.id) === 1);
    expect(countOf(stack.reader.received, event.id)).toBe(1);
  });
});

describe('with Redis unreachable', () => {
  // Port 1 on loopback: nothing listens, connections are refused.
  const stack = useIngressStack('ingress_noredis', { env: () => ({ REDIS_URL: 'redis://127.0.0.1:1' }) });


  it('keeps publishing and catches duplicates, concurrent and sequential, through the database', async () => {
    const event = stripeEvent('payment_intent.succeeded', paymentIntent('order-no-redis'));
    const answers = await Promise.all(Array.from({ length: 10 }, () => postStripe(stack.running.url, event)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(await (await postStripe(stack.running.url, event)).json()).toMatchObject({ outcome: 'duplicate' });
    const marker = stripeEvent('payment_intent.succeeded', paymentIntent('order-no-redis'));
    expect((await postStripe(stack.running.url, marker)).status).toBe(200);
    await waitFor(() => countOf(stack.reader.received, marker.id) === 1);
    expect(countOf(stack.reader.received, event.id)).toBe(1);
  });
});

describe('graceful shutdown', () => {
  it('answers and publishes the webhooks in flight when it stops, and refuses new connections', async () => {
    const broker = await startTestBroker();
    const db = await createTestDatabase('ingress_shutdown');
    const reader = await collect(broker, [Topics.stripeIngress]);
    const running = await startIngress({ KAFKA_BROKERS: broker.brokers.join(','), INGRESS_DATABASE_URL: db.url });
    try {
      await postStripe(running.url, stripeEvent('payment_intent.succeeded', paymentIntent('warm-up')));
      const events = Array.from({ length: 5 }, (_, i) => stripeEvent('payment_intent.succeeded', paymentIntent(`order-stopping-${i}`)));
      // Kafka holds their acknowledgement, so they are in flight when the stop begins.
      const resume = broker.stopAnswering();
      const answers = events.map((event) => postStripe(running.url, event));
      await waitFor(async () => {
        const res = await fetch(`${running.url}/admin/events?status=received`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
        return ((await res.json()) as { items: unknown[] }).items.length === events.length;
      });

      const stopped = running.close();
      await expect(postStripe(running.url, stripeEvent('payment_intent.succeeded', paymentIntent('too-late')))).rejects.toThrow();
      resume();

      expect((await Promise.all(answers)).map((res) => res.status)).toEqual(events.map(() => 200));
      await stopped;
      await waitFor(() => events.every((event) => countOf(reader.received, event.id) === 1));
      // Answered once Kafka had them, marked published after: the stop waited for the marks.
      const sql = new Client({ connectionString: db.url });
      await sql.connect();
      try {
        const { rows } = await sql.query<{ status: string }>('SELECT status FROM webhook_events WHERE event_id = ANY($1)', [events.map((event) => event.id)]);
        expect(rows.map((row) => row.status)).toEqual(events.map(() => 'published'));
      } finally {
        await sql.end();
      }
    } finally {
      broker.embedded?.faults.reset();
      await running.close();
      await reader.stop();
      await db.drop();
      await broker.stop();
    }
  });
});
