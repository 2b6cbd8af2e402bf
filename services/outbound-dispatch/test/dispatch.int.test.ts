import { randomUUID } from 'node:crypto';
import { Topics } from '@orderflow/events';
import { readTopics, scrapeMetrics } from '@orderflow/service-testing';
import { afterSameKeyMarker, waitFor } from '@orderflow/testing';
import { Client } from 'pg';
import { METRICS_TOKEN, Partner, SHOP_B, useDispatchStack, usePartners } from './support';

const order = () => `ord_${randomUUID()}`;

describe('signed partner webhooks', () => {
  const stack = useDispatchStack('dispatch_main', () => ({ DISPATCH_TIMEOUT: '400ms' }));
  const partner = usePartners();

  /** The delivery of `eventId` to `subscriptionId`, once it satisfies `until`. */
  async function deliveryOf(subscriptionId: string, eventId: string, until: (d: Record<string, any>) => boolean = () => true) {
    return waitFor(async () => {
      const res = await stack.api(`/external/webhooks/${subscriptionId}/deliveries?limit=200`);
      const found = res.body.items?.find((d: { eventId: string }) => d.eventId === eventId);
      return found && until(found) ? found : null;
    });
  }

  it('fans out by wildcard filters, each delivery verifiable with the standardwebhooks library and keyed by the event ID', async () => {
    const [all, paid, fulfilled] = [await partner(), await partner(), await partner()];
    await stack.subscribe(all, ['order.*']);
    await stack.subscribe(paid, ['order.paid']);
    await stack.subscribe(fulfilled, ['fulfillment.*']);
    const id = order();

    const paidId = await stack.publish('order.paid', id);
    const createdId = await stack.publish('order.created', id);
    const fulfillmentId = await stack.publish('fulfillment.completed', id);

    await waitFor(() => all.of(id).length === 2 && paid.of(id).length === 1 && fulfilled.received.some((r) => r.id === fulfillmentId));
    expect(all.of(id).map((r) => r.id).sort()).toEqual([paidId, createdId].sort());
    expect(paid.of(id)[0]).toMatchObject({ id: paidId, type: 'order.paid', body: { type: 'order.paid', data: { orderId: id, status: 'PAID' } } });
    expect([all, paid, fulfilled].every((p) => p.unverified.length === 0)).toBe(true);
  });

  it('retries 500s on the schedule and records every attempt', async () => {
    const p = await partner();
    const sub = (await stack.subscribe(p, ['order.paid'])).body;
    p.replies = [{ status: 500, body: 'database down' }, { status: 500 }];
    const eventId = await stack.publish('order.paid', order());

    const delivered = await deliveryOf(sub.id, eventId, (d) => d.status === 'DELIVERED');
    expect(delivered.attempts).toBe(3);
    const detail = await stack.api(`/external/deliveries/${delivered.id}`);
    expect(detail.body.attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([500, 500, 200]);
    expect(detail.body.attempts[0].response).toBe('database down');
    const times = p.requests.filter((r) => r.id === eventId).map((r) => r.at);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(140);
    expect(times[2] - times[1]).toBeGreaterThanOrEqual(290);
  });

  it('waits out a 429 for as long as Retry-After says', async () => {
    const p = await partner();
    const sub = (await stack.subscribe(p, ['order.paid'])).body;
    p.replies = [{ status: 429, headers: { 'retry-after': '1' } }];
    const eventId = await stack.publish('order.paid', order());

    await deliveryOf(sub.id, eventId, (d) => d.status === 'DELIVERED');
    const times = p.requests.filter((r) => r.id === eventId).map((r) => r.at);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(990);
  });

  it('disables a subscription on 410, holds what arrives meanwhile, and delivers it once re-enabled', async () => {
    const p = await partner();
    const sub = (await stack.subscribe(p, ['order.*'])).body;
    p.replies = [{ status: 410 }];
    const id = order();
    const gone = await stack.publish('order.created', id);
    await waitFor(async () => (await stack.api(`/external/webhooks/${sub.id}`)).body.active === false);
    const meanwhile = await stack.publish('order.paid', id);
    await deliveryOf(sub.id, meanwhile, (d) => d.status === 'HELD');
    expect((await stack.api(`/external/webhooks/${sub.id}`)).body.disabledReason).toMatch(/410/);
    // The shop hears of it: subscription.disabled, with the endpoint's origin only.
    const operations = await readTopics(stack.broker.brokers, [Topics.operations]);
    try {
      const announced = await waitFor(() => operations.of(sub.id, 'subscription.disabled')[0]);
      expect(announced.payload).toMatchObject({ subscriptionId: sub.id, instanceId: 'shop-a', endpoint: new URL(p.url).origin, reason: 'the endpoint answered 410 Gone' });
    } finally {
      await operations.stop();
    }

    expect((await stack.api(`/external/webhooks/${sub.id}`, { method: 'PATCH', body: { active: true } })).status).toBe(200);
    await waitFor(() => p.of(id).length === 2);
    expect(p.of(id).map((r) => r.id).sort()).toEqual([gone, meanwhile].sort());
  });

  it('counts a partner that never answers as a failed attempt, and delivers on the retry', async () => {
    const p = await partner();
    const sub = (await stack.subscribe(p, ['order.paid'])).body;
    p.replies = ['hang'];
    const eventId = await stack.publish('order.paid', order());

    const delivered = await deliveryOf(sub.id, eventId, (d) => d.status === 'DELIVERED');
    const detail = await stack.api(`/external/deliveries/${delivered.id}`);
    expect(detail.body.attempts[0].error).toMatch(/no answer within 400 ms/);
  });

  it('opens the breaker of a dead endpoint without delaying another partner', async () => {
    const dead = await partner();
    const healthy = await partner();
    const deadSub = (await stack.subscribe(dead, ['order.paid'])).body;
    await stack.subscribe(healthy, ['order.paid']);
    dead.replies = Array.from({ length: 100 }, () => ({ status: 503 }));
    const ids = Array.from({ length: 8 }, order);
    for (const id of ids) await stack.publish('order.paid', id);

    await waitFor(() => ids.every((id) => healthy.of(id).length === 1));
    await waitFor(async () => {
      const metrics = await scrapeMetrics(stack.running.url, METRICS_TOKEN);
      return new RegExp(`breaker_state\\{[^}]*breaker="partner:${deadSub.id}"[^}]*\\} 2`).test(metrics);
    });
    // While open, deliveries wait without spending attempts: far fewer requests than deliveries × attempts.
    const pending = await stack.api(`/external/webhooks/${deadSub.id}/deliveries?status=PENDING&limit=200`);
    expect(pending.body.items.length).toBeGreaterThan(0);
    expect(dead.requests.length).toBeLessThan(ids.length * 4);
  });

  it('delivers one order’s events in order when the subscription asks, a failing event holding back only its own order', async () => {
    const p = await partner();
    await stack.subscribe(p, ['order.*'], { ordered: true });
    const slow = order();
    const other = order();
    const first = `order.created:${slow}`;
    p.failing.set(first, 2);
    await stack.publish('order.created', slow, undefined, first);
    const second = await stack.publish('order.paid', slow);
    const third = await stack.publish('order.approved', slow);
    const elsewhere = await stack.publish('order.created', other);

    await waitFor(() => p.of(other).length === 1);
    await waitFor(() => p.of(slow).length === 3);
    expect(p.of(slow).map((r) => r.id)).toEqual([first, second, third]);
    // The other order did not wait for the failing one.
    expect(p.of(other)[0].at).toBeLessThan(p.of(slow)[0].at);
    expect(elsewhere).toBe(p.of(other)[0].id);
  });

  it('sends an ordered order’s next event once the one before it has failed for good', async () => {
    const p = await partner();
    const sub = (await stack.subscribe(p, ['order.*'], { ordered: true })).body;
    const id = order();
    const doomed = `order.created:${id}`;
    p.failing.set(doomed, 100);
    await stack.publish('order.created', id, undefined, doomed);
    const paid = await stack.publish('order.paid', id);
    const approved = await stack.publish('order.approved', id);

    await waitFor(() => p.of(id).length === 2, { timeoutMs: 20_000, description: 'the later events, after the first failed for good' });
    expect(p.of(id).map((r) => r.id)).toEqual([paid, approved]);
    expect(await deliveryOf(sub.id, doomed)).toMatchObject({ status: 'FAILED', attempts: 4 });
  });

  it('finds a waiting delivery whose head ended unseen, and sends it', async () => {
    const p = await partner();
    const sub = (await stack.subscribe(p, ['order.*'], { ordered: true })).body;
    const id = order();
    const first = await stack.publish('order.created', id);
    await waitFor(() => p.of(id).length === 1);
    // What a statement that still saw the head in flight leaves behind: a WAITING delivery with nothing before it.
    const eventId = `order.paid:${id}:late`;
    const db = new Client({ connectionString: stack.databaseUrl });
    await db.connect();
    try {
      await db.query(`INSERT INTO events (id, type, instance_id, order_key, body, occurred_at) VALUES ($1, 'order.paid', $2, $3, $4, now())`, [
        eventId,
        sub.instanceId,
        id,
        JSON.stringify({ type: 'order.paid', timestamp: new Date().toISOString(), data: { orderId: id } }),
      ]);
      await db.query(`INSERT INTO deliveries (subscription_id, event_id, event_type, order_key, status, next_attempt_at) VALUES ($1, $2, 'order.paid', $3, 'WAITING', now())`, [sub.id, eventId, id]);
    } finally {
      await db.end();
    }
    await waitFor(() => p.of(id).length === 2, { description: 'the orphaned delivery to be promoted and sent' });
    expect(p.of(id).map((r) => r.id)).toEqual([first, eventId]);
  });

  it('takes in a burst a run at a time: each event one delivery per subscription, each order’s events in order', async () => {
    const p = await partner();
    await stack.subscribe(p, ['order.*'], { ordered: true });
    const orders = Array.from({ length: 10 }, order);
    const types = ['order.created', 'order.paid', 'order.approved', 'order.fulfilled'] as const;
    const sent: Promise<string>[] = [];
    for (const type of types) for (const id of orders) sent.push(stack.publish(type, id, undefined, `${type}:${id}`));
    // The same event again, as a producer retry would publish it: nothing new comes of it.
    sent.push(stack.publish('order.created', orders[0]!, undefined, `order.created:${orders[0]}`));
    await Promise.all(sent);

    // At least once: a send that timed out under load is sent again, under the same webhook-id.
    const firstArrivals = (id: string) => [...new Map(p.of(id).map((r) => [r.id, r.type])).values()];
    await waitFor(() => orders.every((id) => firstArrivals(id).length === types.length), { description: 'every event delivered' });
    for (const id of orders) expect(firstArrivals(id)).toEqual([...types]);
    // The duplicate event made no second delivery.
    expect(new Set(p.received.map((r) => r.id)).size).toBe(orders.length * types.length);

    // A run was taken in with one statement: fewer handler calls than events.
    const metrics = await scrapeMetrics(stack.running.url, METRICS_TOKEN);
    const total = (name: string) => [...metrics.matchAll(new RegExp(`^${name}\\{[^}]*group="outbound-dispatch-service"[^}]*\\} (\\d+)`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0);
    expect(total('orderflow_consumer_messages_processed_total')).toBeGreaterThanOrEqual(41);
    expect(total('orderflow_consumer_handler_duration_seconds_count')).toBeLessThan(total('orderflow_consumer_messages_processed_total'));
  });

  it('signs with both secrets during a rotation, so partners verify with either', async () => {
    const p = await partner();
    const sub = (await stack.subscribe(p, ['order.paid'])).body;
    const oldSecret = p.secrets[0];
    const rotated = await stack.api(`/external/webhooks/${sub.id}/rotate-secret`, { method: 'POST' });
    expect(rotated.body.secret).toMatch(/^whsec_/);

    p.secrets = [oldSecret];
    const id = order();
    await stack.publish('order.paid', id);
    await waitFor(() => p.of(id).length === 1);
    p.secrets = [rotated.body.secret];
    const next = order();
    await stack.publish('order.paid', next);
    await waitFor(() => p.of(next).length === 1);
    expect(p.of(next)[0].headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(p.unverified).toEqual([]);
  });

  it('refuses unsafe destinations: at registration, and at connect time after DNS', async () => {
    for (const url of ['http://example.com/hook', 'https://169.254.169.254/latest/meta-data', 'https://10.0.0.7/hook', 'https://[::1]/hook', 'https://user:pw@example.com/']) {
      const res = await stack.api('/external/webhooks', { method: 'POST', body: { url, eventTypes: ['order.paid'] } });
      expect([url, res.status]).toEqual([url, 422]);
    }
    // localhost is a name: it passes registration and is refused when it resolves to 127.0.0.1.
    const p = await partner();
    const port = new URL(p.url).port;
    const sub = (await stack.subscribe(p, ['order.paid'], { url: `https://localhost:${port}/webhooks` })).body;
    const eventId = await stack.publish('order.paid', order());
    const failed = await deliveryOf(sub.id, eventId, (d) => d.status === 'FAILED');
    expect(failed.lastError).toMatch(/refused destination: localhost resolves to (127\.0\.0\.1|::1)/);
    expect(p.requests).toHaveLength(0);
  });

  it('does not follow redirects', async () => {
    const p = await partner();
    const sub = (await stack.subscribe(p, ['order.paid'])).body;
    p.replies = [{ status: 302, headers: { location: 'http://169.254.169.254/' } }];
    const eventId = await stack.publish('order.paid', order());
    const delivered = await deliveryOf(sub.id, eventId, (d) => d.status === 'DELIVERED');
    expect((await stack.api(`/external/deliveries/${delivered.id}`)).body.attempts[0].statusCode).toBe(302);
  });

  it('keeps instances apart: subscriptions, their deliveries and events', async () => {
    const p = await partner();
    const sub = (await stack.subscribe(p, ['order.*'])).body;
    for (const [path, method] of [[`/external/webhooks/${sub.id}`, 'GET'], [`/external/webhooks/${sub.id}`, 'PATCH'], [`/external/webhooks/${sub.id}/test`, 'POST'], [`/external/webhooks/${sub.id}/deliveries`, 'GET']] as const) {
      expect((await stack.api(path, { key: SHOP_B.key, method, body: method === 'PATCH' ? { active: false } : undefined })).status).toBe(404);
    }
    expect((await stack.api('/external/webhooks', { key: SHOP_B.key })).body.items.map((s: { id: string }) => s.id)).not.toContain(sub.id);
    const key = order();
    const foreign = await stack.publish('order.paid', key, SHOP_B.instanceId);
    // Ours on the same key, behind it: once the partner has ours, the foreign one was handled too.
    const mine = await afterSameKeyMarker({
      after: stack.lastSent(key),
      send: async () => {
        const eventId = await stack.publish('order.paid', key);
        return { ...stack.lastSent(key), eventId };
      },
      handled: ({ eventId }) => waitFor(() => p.of(key).some((r) => r.id === eventId)),
    });
    expect(p.of(key).map((r) => r.id)).toEqual([mine.eventId]);
    expect(p.of(key).map((r) => r.id)).not.toContain(foreign);
  });

  it('replays an order’s events to an ordered subscription in the order they happened', async () => {
    const witness = await partner();
    await stack.subscribe(witness, ['order.*']);
    const id = order();
    const sent: string[] = [];
    for (const type of ['order.created', 'order.paid', 'order.approved', 'order.fulfilled'] as const) sent.push(await stack.publish(type, id));
    await waitFor(() => witness.of(id).length === 4);

    const late = await partner();
    const sub = (await stack.subscribe(late, ['order.*'], { ordered: true })).body;
    // The first one fails twice: the rest must wait for it, not overtake it.
    late.failing.set(sent[0]!, 2);
    const replay = await stack.api(`/external/webhooks/${sub.id}/replay`, { method: 'POST', body: {} });
    expect(replay.status).toBe(202);
    await waitFor(() => late.of(id).length === 4, { timeoutMs: 15_000 });
    expect(late.of(id).map((r) => r.id)).toEqual(sent);
  });

  it('replays to a new subscription what happened before it existed, with the original event IDs', async () => {
    const witness = await partner();
    await stack.subscribe(witness, ['order.refunded']);
    const id = order();
    const before = await stack.publish('order.refunded', id);
    await waitFor(() => witness.of(id).length === 1);

    const late = await partner();
    const sub = (await stack.subscribe(late, ['order.refunded'])).body;
    const replay = await stack.api(`/external/webhooks/${sub.id}/replay`, { method: 'POST', body: { eventType: 'order.refunded' } });

    expect(replay.status).toBe(202);
    expect(replay.body.replayed).toBeGreaterThanOrEqual(1);
    await waitFor(() => late.of(id).length === 1);
    expect(late.of(id)[0].id).toBe(before);
  });
});

describe('retries across a restart', () => {
  const stack = useDispatchStack('dispatch_restart', () => ({ DISPATCH_RETRY_SCHEDULE: '0,1500ms,1500ms' }));

  it('remembers a retry scheduled before the restart and delivers it after', async () => {
    const p = await Partner.start();
    try {
      const sub = (await stack.subscribe(p, ['order.paid'])).body;
      p.replies = [{ status: 500 }];
      const eventId = await stack.publish('order.paid', order());
      await waitFor(() => p.requests.length === 1);
      await stack.restart();

      await waitFor(() => p.received.some((r) => r.id === eventId), { timeoutMs: 20_000 });
      // Recorded just after the partner answered.
      const delivery = await waitFor(async () => {
        const item = (await stack.api(`/external/webhooks/${sub.id}/deliveries`)).body.items?.[0];
        return item?.status === 'DELIVERED' ? item : null;
      });
      expect(delivery).toMatchObject({ eventId, status: 'DELIVERED', attempts: 2 });
    } finally {
      await p.close();
    }
  });
});
