import { randomUUID } from 'node:crypto';
import { deadLetterTopic, Topics } from '@orderflow/events';
import { readTopics } from '@orderflow/service-testing';
import { waitFor } from '@orderflow/testing';
import { addKeys, api, approvedOrder, freshKeys, outcome, queryDatabase, SHOP_A, useFulfillmentStack, whileTableLocked } from './support';

describe('order events handled a run at a time', () => {
  const stack = useFulfillmentStack('fulfillment_runs', () => ({ FULFILLMENT_RETRY_BASE: '200ms', FULFILLMENT_LOCK_TIMEOUT: '200ms' }));

  /** The outcomes the service put in its outbox about `orderId`, by type: what it will ever publish. */
  const outboxTypes = async (orderId: string) =>
    (await queryDatabase<{ type: string }>(stack.databaseUrl, `SELECT headers->>'event-type' AS type FROM outbox WHERE key = $1 ORDER BY id`, [orderId])).map((r) => r.type);

  it('handles a run in one transaction: new orders fulfilled, redeliveries skipped, licenses and voids as alone', async () => {
    const productId = `app-${randomUUID()}`;
    await addKeys(stack.running.url, productId, freshKeys(1));
    const earlier = approvedOrder([{ kind: 'ticket' }]);
    const earlierEventId = await stack.publish('order.ready_to_fulfill', earlier);
    await outcome(stack, earlier.orderId, 'fulfillment.completed');

    const tickets = approvedOrder([{ kind: 'ticket', quantity: 2 }, { kind: 'external' }]);
    const external = approvedOrder([{ kind: 'external' }]);
    const license = approvedOrder([{ kind: 'license', productId }]);
    const cancelled = approvedOrder([{ kind: 'ticket' }]);
    const ticketsEventId = `order.ready_to_fulfill:${tickets.orderId}`;
    const ids = await stack.publishRun([
      { type: 'order.ready_to_fulfill', order: tickets, eventId: ticketsEventId },
      { type: 'order.ready_to_fulfill', order: earlier, eventId: earlierEventId },
      { type: 'order.approved', order: external },
      { type: 'order.ready_to_fulfill', order: external },
      { type: 'order.ready_to_fulfill', order: tickets, eventId: ticketsEventId },
      { type: 'order.ready_to_fulfill', order: license },
      { type: 'order.ready_to_fulfill', order: cancelled },
      { type: 'order.cancelled', order: { ...cancelled, status: 'CANCELLED' } },
    ]);

    const completed = await outcome(stack, tickets.orderId, 'fulfillment.completed');
    expect((completed.payload as { tickets: Array<{ seat: number }>; externalLineIds: string[] }).tickets.map((t) => t.seat)).toEqual([0, 1]);
    expect((completed.payload as { externalLineIds: string[] }).externalLineIds).toEqual([tickets.lines[1].lineId]);
    await outcome(stack, external.orderId, 'fulfillment.completed');
    await outcome(stack, cancelled.orderId, 'fulfillment.voided');
    // The license key comes from the job runner, after the run committed its PENDING job.
    await outcome(stack, license.orderId, 'fulfillment.completed');

    // One transaction: each event the service cares about, new to it, marked at the same instant.
    const handled = [ticketsEventId, ids[3], ids[5], ids[6], ids[7]];
    const marks = await queryDatabase<{ events: string; instants: string }>(
      stack.databaseUrl,
      `SELECT count(*) AS events, count(DISTINCT processed_at) AS instants FROM processed_events WHERE consumer = 'fulfillment' AND event_id = ANY($1)`,
      [handled],
    );
    expect(marks[0]).toEqual({ events: '5', instants: '1' });
    expect(await outboxTypes(earlier.orderId)).toEqual(['fulfillment.completed']);
    expect(await outboxTypes(tickets.orderId)).toEqual(['fulfillment.completed']);
    expect(await outboxTypes(external.orderId)).toEqual(['fulfillment.completed']);
    expect(await outboxTypes(license.orderId)).toEqual(['fulfillment.completed']);
    // Cancelled in the same run before anything was issued: nothing to void, nothing issued later.
    expect(await outboxTypes(cancelled.orderId)).toEqual(['fulfillment.voided']);
    const view = (orderId: string) => api(stack.running.url, `/api/orders/${orderId}/fulfillment`, { key: SHOP_A.key });
    expect((await view(tickets.orderId)).body).toMatchObject({ status: 'COMPLETED', tickets: [{ seat: 0, status: 'ISSUED' }, { seat: 1, status: 'ISSUED' }] });
    expect((await view(earlier.orderId)).body.tickets).toHaveLength(1);
    expect((await view(license.orderId)).body.licenses).toEqual([expect.objectContaining({ status: 'ASSIGNED' })]);
    expect((await view(cancelled.orderId)).body).toMatchObject({ status: 'VOIDED', tickets: [] });
  });

  it('dead-letters a poison event of a run and handles the others once, one at a time', async () => {
    const deadLetters = await readTopics(stack.broker.brokers, [deadLetterTopic(Topics.orders)]);
    try {
      const before = approvedOrder([{ kind: 'ticket' }]);
      // Postgres stores no NUL character: this snapshot can never be recorded, on any attempt.
      const poison = { ...approvedOrder([{ kind: 'ticket' }]), customer: { email: 'ada@example.com', name: 'Ada\u0000' } };
      const after = approvedOrder([{ kind: 'external' }]);
      const [, poisonEventId] = await stack.publishRun([
        { type: 'order.ready_to_fulfill', order: before },
        { type: 'order.ready_to_fulfill', order: poison },
        { type: 'order.ready_to_fulfill', order: after },
      ]);

      await outcome(stack, before.orderId, 'fulfillment.completed');
      await outcome(stack, after.orderId, 'fulfillment.completed');
      const dead = await waitFor(() => deadLetters.received.find((r) => r.event.eventId === poisonEventId), { timeoutMs: 20_000 });
      expect(dead.headers['dlq-reason']).toBe('retries-exhausted');
      expect(await outboxTypes(before.orderId)).toEqual(['fulfillment.completed']);
      expect(await outboxTypes(after.orderId)).toEqual(['fulfillment.completed']);
      expect((await api(stack.running.url, `/api/orders/${poison.orderId}/fulfillment`, { key: SHOP_A.key })).status).toBe(404);
    } finally {
      await deadLetters.stop();
    }
  });

  it('leaves an order it cannot fulfill in the consumer to the job runner, which retries it', async () => {
    const order = approvedOrder([{ kind: 'ticket', quantity: 2 }]);
    await whileTableLocked(stack.databaseUrl, 'tickets', async () => {
      await stack.publish('order.ready_to_fulfill', order);
      await waitFor(async () => {
        const res = await api(stack.running.url, '/admin/fulfillments?status=PENDING', { admin: true });
        return res.body.items.find((j: { orderId: string; attempts: number }) => j.orderId === order.orderId && j.attempts >= 1);
      });
    });

    const completed = await outcome(stack, order.orderId, 'fulfillment.completed');
    expect((completed.payload as { tickets: unknown[] }).tickets).toHaveLength(2);
    expect(await outboxTypes(order.orderId)).toEqual(['fulfillment.completed']);
  });
});
