import { randomUUID } from 'node:crypto';
import { afterSameKeyMarker, committedPast, waitFor } from '@orderflow/testing';
import type { OrderSnapshot } from '@orderflow/events';
import { newEvent, type AnyEvent } from '@orderflow/events';
import { createBus } from '@orderflow/kafka';
import { scrapeMetrics } from '@orderflow/service-testing';
import { addKeys, api, approvedOrder, freshKeys, METRICS_TOKEN, outcome, readOutcomes, SHOP_A, SHOP_B, startFulfillment, useFulfillmentStack, whileTableLocked, type FulfillmentStack } from './support';
import { FULFILLMENT_GROUP } from '../src/fulfillment.service';

/** Every fulfillment attempt meanwhile times out on the license pool's lock. */
const whilePoolLocked = (databaseUrl: string, fn: () => Promise<void>) => whileTableLocked(databaseUrl, 'license_keys', fn);

/**
 * A license order of a fresh one-key product, published while the key pool is locked (each
 * attempt fails on the lock timeout, a transient failure); `whileLocked` runs before it is unlocked.
 */
async function licenseOrderWhilePoolLocked(stack: FulfillmentStack, whileLocked: (order: OrderSnapshot) => Promise<void>): Promise<OrderSnapshot> {
  const productId = `app-${randomUUID()}`;
  await addKeys(stack.running.url, productId, freshKeys(1));
  const order = approvedOrder([{ kind: 'license', productId }]);
  await whilePoolLocked(stack.databaseUrl, async () => {
    await stack.publish('order.ready_to_fulfill', order);
    await whileLocked(order);
  });
  return order;
}

/** Waits until `order`'s job is PENDING, its attempts as `attempts` wants. */
function pendingAfter(stack: FulfillmentStack, order: OrderSnapshot, attempts: (n: number) => boolean) {
  return waitFor(async () => {
    const res = await api(stack.running.url, '/admin/fulfillments?status=PENDING', { admin: true });
    return res.body.items.find((j: { orderId: string; attempts: number }) => j.orderId === order.orderId && attempts(j.attempts));
  });
}

describe('fulfillment (seeds 001, 003)', () => {
  const stack = useFulfillmentStack('fulfillment_main', () => ({ FULFILLMENT_RETRY_BASE: '200ms', FULFILLMENT_LOCK_TIMEOUT: '200ms', FULFILLMENT_MAX_ATTEMPTS: '10' }));

  /** Waits until the service handled the latest event about `order`: an `order.paid` (which it ignores) behind it on its key is committed. */
  const markerHandled = (order: OrderSnapshot) =>
    afterSameKeyMarker({
      after: stack.lastSent(order.orderId),
      send: async () => {
        await stack.publish('order.paid', order);
        return stack.lastSent(order.orderId);
      },
      handled: committedPast(stack.broker.brokers, FULFILLMENT_GROUP),
    });

  it('issues one ticket per seat and one license key per unit, announces them once, and shows them to the shop', async () => {
    const productId = `app-${randomUUID()}`;
    const keys = freshKeys(3);
    expect((await addKeys(stack.running.url, productId, keys)).body).toMatchObject({ added: 3, available: 3 });
    const order = approvedOrder([{ kind: 'ticket', quantity: 2 }, { kind: 'license', productId, quantity: 2 }, { kind: 'external' }]);

    await stack.publish('order.ready_to_fulfill', order);

    const completed = await outcome(stack, order.orderId, 'fulfillment.completed');
    const payload = completed.payload as { tickets: Array<{ code: string; qrPayload: string; seat: number }>; licenses: Array<{ keyHint: string }>; externalLineIds: string[] };
    expect(payload.tickets.map((t) => t.seat)).toEqual([0, 1]);
    expect(new Set(payload.tickets.map((t) => t.code)).size).toBe(2);
    expect(payload.licenses).toHaveLength(2);
    expect(payload.externalLineIds).toEqual([order.lines[2].lineId]);
    // The keys themselves never travel on Kafka.
    expect(JSON.stringify(completed)).not.toContain(keys[0]);

    const view = await api(stack.running.url, `/api/orders/${order.orderId}/fulfillment`, { key: SHOP_A.key });
    expect(view.body.status).toBe('COMPLETED');
    expect(view.body.licenses.map((l: { key: string }) => l.key)).toEqual(keys.slice(0, 2));
    expect((await api(stack.running.url, `/api/orders/${order.orderId}/fulfillment`, { key: SHOP_B.key })).status).toBe(404);
    const verified = await api(stack.running.url, '/api/tickets/verify', { key: SHOP_A.key, method: 'POST', body: { payload: payload.tickets[0].qrPayload } });
    expect(verified.body).toMatchObject({ valid: true, orderId: order.orderId, seat: 0 });
    expect((await api(stack.running.url, '/api/tickets/verify', { key: SHOP_B.key, method: 'POST', body: { payload: payload.tickets[0].qrPayload } })).body.valid).toBe(false);
    expect((await api(stack.running.url, '/admin/license-pools', { admin: true })).body.items).toContainEqual({ productId, available: 1, assigned: 2, revoked: 0 });
  });

  it('issues nothing twice when the event is redelivered, replayed or sent again', async () => {
    const productId = `app-${randomUUID()}`;
    await addKeys(stack.running.url, productId, freshKeys(4));
    const order = approvedOrder([{ kind: 'ticket', quantity: 3 }, { kind: 'license', productId }]);
    const eventId = await stack.publish('order.ready_to_fulfill', order);
    await outcome(stack, order.orderId, 'fulfillment.completed');

    await stack.publish('order.ready_to_fulfill', order, { eventId });
    await stack.publish('order.ready_to_fulfill', order);
    await waitFor(() => stack.outcomes.of(order.orderId, 'fulfillment.completed').length === 2);

    const view = await api(stack.running.url, `/api/orders/${order.orderId}/fulfillment`, { key: SHOP_A.key });
    expect(view.body.tickets).toHaveLength(3);
    expect(view.body.licenses).toHaveLength(1);
    const [first, second] = stack.outcomes.of(order.orderId, 'fulfillment.completed');
    expect((second.payload as { tickets: Array<{ code: string }> }).tickets.map((t) => t.code)).toEqual((first.payload as { tickets: Array<{ code: string }> }).tickets.map((t) => t.code));
    expect((await api(stack.running.url, '/admin/license-pools', { admin: true })).body.items).toContainEqual({ productId, available: 3, assigned: 1, revoked: 0 });
  });

  it('fails on an exhausted pool with the reason, and succeeds when support adds keys and retries', async () => {
    const productId = `app-${randomUUID()}`;
    await addKeys(stack.running.url, productId, freshKeys(1));
    const order = approvedOrder([{ kind: 'license', productId, quantity: 2 }]);
    await stack.publish('order.ready_to_fulfill', order);

    const failed = await outcome(stack, order.orderId, 'fulfillment.failed');
    expect(failed.payload).toMatchObject({ reason: `the license pool of product ${productId} is exhausted`, retriable: true });
    const listed = await api(stack.running.url, '/admin/fulfillments?status=FAILED', { admin: true });
    expect(listed.body.items.map((j: { orderId: string }) => j.orderId)).toContain(order.orderId);
    // All or nothing: the one key there was is still in the pool.
    expect((await api(stack.running.url, '/admin/license-pools', { admin: true })).body.items).toContainEqual({ productId, available: 1, assigned: 0, revoked: 0 });
    const metrics = await scrapeMetrics(stack.running.url, METRICS_TOKEN);
    expect(metrics).toMatch(new RegExp(`fulfillment_license_pool_remaining\\{product="${productId}"[^}]*\\} 1\\n`));

    await addKeys(stack.running.url, productId, freshKeys(1));
    expect((await api(stack.running.url, `/admin/fulfillments/${order.orderId}/retry`, { admin: true, method: 'POST' })).status).toBe(202);
    const completed = await outcome(stack, order.orderId, 'fulfillment.completed');
    expect((completed.payload as { licenses: unknown[] }).licenses).toHaveLength(2);
    expect((await api(stack.running.url, `/admin/fulfillments/${order.orderId}/retry`, { admin: true, method: 'POST' })).status).toBe(409);
  });

  it('retries a transient failure with backoff and then succeeds', async () => {
    const order = await licenseOrderWhilePoolLocked(stack, (locked) => pendingAfter(stack, locked, (n) => n >= 2));
    await outcome(stack, order.orderId, 'fulfillment.completed');
    const done = await api(stack.running.url, '/admin/fulfillments?status=COMPLETED', { admin: true });
    expect(done.body.items.find((j: { orderId: string }) => j.orderId === order.orderId).attempts).toBeGreaterThanOrEqual(2);
    expect(stack.outcomes.of(order.orderId, 'fulfillment.failed')).toHaveLength(0);
  });

  it('voids tickets and revokes licenses on a full refund, and the door refuses the voided ticket', async () => {
    const productId = `app-${randomUUID()}`;
    await addKeys(stack.running.url, productId, freshKeys(1));
    const order = approvedOrder([{ kind: 'ticket' }, { kind: 'license', productId }]);
    await stack.publish('order.ready_to_fulfill', order);
    const completed = await outcome(stack, order.orderId, 'fulfillment.completed');
    const qr = (completed.payload as { tickets: Array<{ qrPayload: string }> }).tickets[0].qrPayload;

    await stack.publish('order.refunded', { ...order, status: 'REFUNDED', previousStatus: 'APPROVED', refundedCents: order.totalCents });

    const voided = await outcome(stack, order.orderId, 'fulfillment.voided');
    expect(voided.payload).toMatchObject({ reason: 'refunded' });
    const [ticketLine, licenseLine] = order.lines;
    expect(voided.eventId).toBe(`fulfillment.voided:${order.orderId}:2`);
    expect(voided.payload).toMatchObject({
      tickets: [{ ticketId: expect.stringMatching(/^tkt_/), lineId: ticketLine.lineId, seat: 0, code: expect.any(String) }],
      licenses: [{ licenseId: expect.stringMatching(/^\d+$/), lineId: licenseLine.lineId, productId, unit: 0, keyHint: expect.any(String) }],
    });
    const view = await api(stack.running.url, `/api/orders/${order.orderId}/fulfillment`, { key: SHOP_A.key });
    expect(view.body.tickets[0].status).toBe('VOIDED');
    expect(view.body.licenses[0]).toMatchObject({ status: 'REVOKED', key: null });
    expect((await api(stack.running.url, '/api/tickets/verify', { key: SHOP_A.key, method: 'POST', body: { payload: qr } })).body).toMatchObject({ valid: false, reason: 'voided' });
  });

  it('keeps everything on a partial refund', async () => {
    const order = approvedOrder([{ kind: 'ticket' }]);
    await stack.publish('order.ready_to_fulfill', order);
    await outcome(stack, order.orderId, 'fulfillment.completed');
    await stack.publish('order.refunded', { ...order, status: 'PARTIALLY_REFUNDED', refundedCents: 100 });
    await markerHandled(order);
    expect((await api(stack.running.url, `/api/orders/${order.orderId}/fulfillment`, { key: SHOP_A.key })).body.tickets[0].status).toBe('ISSUED');
  });

  it('ends voided when the cancellation arrives before the fulfillment, issuing nothing', async () => {
    const order = approvedOrder([{ kind: 'ticket', quantity: 2 }]);
    await stack.publish('order.cancelled', { ...order, status: 'CANCELLED' });
    await outcome(stack, order.orderId, 'fulfillment.voided');
    await stack.publish('order.ready_to_fulfill', order);
    await markerHandled(order);

    const view = await api(stack.running.url, `/api/orders/${order.orderId}/fulfillment`, { key: SHOP_A.key });
    expect(view.body).toMatchObject({ status: 'VOIDED', tickets: [] });
    expect(stack.outcomes.of(order.orderId, 'fulfillment.completed')).toHaveLength(0);
  });

  it('issues a waitlisted line’s tickets only once its registration is promoted', async () => {
    const order = approvedOrder([{ kind: 'ticket' }, { kind: 'ticket', waitlisted: true }]);
    await stack.publish('order.ready_to_fulfill', order);
    const first = await outcome(stack, order.orderId, 'fulfillment.completed');
    expect((first.payload as { tickets: Array<{ lineId: string }> }).tickets.map((t) => t.lineId)).toEqual([order.lines[0].lineId]);

    const promoted = { ...order, registrations: order.registrations.map((r) => ({ ...r, status: 'ACTIVE' as const })) };
    await stack.publish('registration.promoted', promoted, {
      payload: { registrationId: order.registrations[1].registrationId, capacityKey: order.registrations[1].capacityKey, order: promoted, freedBy: 'ord_other' },
    });
    await waitFor(() => stack.outcomes.of(order.orderId, 'fulfillment.completed').length === 2);
    const view = await api(stack.running.url, `/api/orders/${order.orderId}/fulfillment`, { key: SHOP_A.key });
    expect(view.body.tickets.map((t: { lineId: string }) => t.lineId).sort()).toEqual(order.lines.map((l) => l.lineId).sort());
  });

  it('refuses forged ticket payloads and bad requests', async () => {
    expect((await api(stack.running.url, '/api/tickets/verify', { key: SHOP_A.key, method: 'POST', body: { payload: 'OF1.a.b.c.forged' } })).body).toEqual({ valid: false, reason: 'not an authentic ticket' });
    expect((await api(stack.running.url, '/api/tickets/verify', { key: SHOP_A.key, method: 'POST', body: {} })).status).toBe(400);
    expect((await api(stack.running.url, '/api/tickets/verify', { method: 'POST', body: { payload: 'x' } })).status).toBe(401);
    expect((await addKeys(stack.running.url, 'p', [])).status).toBe(400);
    expect((await api(stack.running.url, '/admin/fulfillments', { key: SHOP_A.key })).status).toBe(401);
  });
});

describe('fulfillment across a restart', () => {
  const stack = useFulfillmentStack('fulfillment_restart', () => ({ FULFILLMENT_RETRY_BASE: '1500ms', FULFILLMENT_LOCK_TIMEOUT: '200ms' }));

  it('remembers a retry scheduled before the restart and completes it after', async () => {
    const order = await licenseOrderWhilePoolLocked(stack, (locked) => pendingAfter(stack, locked, (n) => n === 1));
    await stack.restart();

    await outcome(stack, order.orderId, 'fulfillment.completed', { timeoutMs: 20_000 });
    const done = await api(stack.running.url, '/admin/fulfillments?status=COMPLETED', { admin: true });
    expect(done.body.items.find((j: { orderId: string }) => j.orderId === order.orderId)).toMatchObject({ attempts: 1 });
  });
});

describe('fulfillment that keeps failing', () => {
  const stack = useFulfillmentStack('fulfillment_gives_up', () => ({ FULFILLMENT_RETRY_BASE: '100ms', FULFILLMENT_LOCK_TIMEOUT: '100ms', FULFILLMENT_MAX_ATTEMPTS: '2' }));

  it('fails the job after the attempt limit, with the reason, for support to retry by hand', async () => {
    const order = await licenseOrderWhilePoolLocked(stack, async (locked) => {
      const failed = await outcome(stack, locked.orderId, 'fulfillment.failed');
      expect((failed.payload as { reason: string }).reason).toMatch(/^gave up after 2 attempts: .*lock timeout/);
    });
    const listed = await api(stack.running.url, '/admin/fulfillments?status=FAILED', { admin: true });
    expect(listed.body.items.find((j: { orderId: string }) => j.orderId === order.orderId)).toMatchObject({ attempts: 2, retriable: true });

    expect((await api(stack.running.url, `/admin/fulfillments/${order.orderId}/retry`, { admin: true, method: 'POST' })).status).toBe(202);
    await outcome(stack, order.orderId, 'fulfillment.completed');
  });
});

describe('fulfillment on PGlite (the one-machine mode)', () => {
  it('issues a ticket with no database URL', async () => {
    const { startTestBroker, tempDir } = await import('@orderflow/testing');
    const broker = await startTestBroker();
    const dir = tempDir();
    const running = await startFulfillment({ KAFKA_BROKERS: broker.brokers.join(','), DATA_DIR: dir.path });
    const outcomes = await readOutcomes(broker);
    const bus = createBus({ brokers: broker.brokers, clientId: 'order-double' });
    try {
      const order = approvedOrder([{ kind: 'ticket', quantity: 2 }]);
      await bus.createProducer().sendEvent(newEvent({ type: 'order.ready_to_fulfill', eventId: `ready:${order.orderId}`, orderKey: order.orderId, instanceId: order.instanceId, traceId: 't', payload: order }) as AnyEvent);
      const completed = await waitFor(() => outcomes.of(order.orderId, 'fulfillment.completed')[0], { timeoutMs: 20_000 });
      expect((completed.payload as { tickets: unknown[] }).tickets).toHaveLength(2);
    } finally {
      await bus.close();
      await outcomes.stop();
      await running.close();
      await broker.stop();
      dir.remove();
    }
  });
});
