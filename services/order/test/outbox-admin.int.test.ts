import { randomUUID } from 'node:crypto';
import { encodeEvent, newEvent, type AnyEvent } from '@orderflow/events';
import { orderSnapshot } from '@orderflow/service-testing';
import { waitFor } from '@orderflow/testing';
import { Client } from 'pg';
import { api, useOrderStack } from './support';

/** An order event as the relay would have stored it, for a row set aside by the relay. */
function storedEvent(orderId: string, type: 'order.paid' | 'order.fulfilled') {
  const payload = orderSnapshot({ orderId, instanceId: 'shop-a', status: type === 'order.paid' ? 'PAID' : 'FULFILLED', previousStatus: null, totalCents: 1_000, customer: { email: null, name: null } });
  return encodeEvent(newEvent({ type, eventId: `${type}:${orderId}:${randomUUID()}`, orderKey: orderId, instanceId: 'shop-a', traceId: randomUUID(), payload }) as AnyEvent);
}

/**
 * The OutboxRowsSetAside runbook's levers over HTTP (issue 21): support lists what the relay set
 * aside and how much waits behind it, requeues a row (it goes out, then what it held back, in
 * order) or discards one (what it held goes out without it).
 */
describe('set-aside outbox rows, through the admin API', () => {
  const stack = useOrderStack('order_outbox_admin');
  const admin = (path: string, method = 'GET') => api(stack.running.url, path, { admin: true, method });

  async function setAside(orderId: string): Promise<{ aside: string; held: string }> {
    const sql = new Client({ connectionString: stack.databaseUrl });
    await sql.connect();
    try {
      const insert = async (encoded: ReturnType<typeof storedEvent>, asideNow: boolean) =>
        (
          await sql.query<{ id: string }>(
            `INSERT INTO outbox (topic, key, value, headers, set_aside_at, set_aside_reason, last_error)
             VALUES ($1, $2, $3, $4, ${asideNow ? "now(), 'unpublishable', 'refused by a test'" : 'NULL, NULL, NULL'}) RETURNING id::text AS id`,
            [encoded.topic, encoded.key, encoded.value, JSON.stringify(encoded.headers)],
          )
        ).rows[0]!.id;
      const rows = { aside: await insert(storedEvent(orderId, 'order.paid'), true), held: await insert(storedEvent(orderId, 'order.fulfilled'), false) };
      // Another order's row after them: once it is out, the relay has passed the held one by.
      const marker = `ord_${randomUUID()}`;
      await insert(storedEvent(marker, 'order.paid'), false);
      await waitFor(() => stack.orders.typesOf(marker).length === 1);
      return rows;
    } finally {
      await sql.end();
    }
  }

  it('lists a set-aside row with its reason and what it holds, and requeues it: it goes out, then the row it held', async () => {
    const orderId = `ord_${randomUUID()}`;
    const { aside } = await setAside(orderId);
    const listed = await admin('/admin/outbox/set-aside');
    expect(listed.status).toBe(200);
    expect(listed.body.items.find((r: { id: string }) => r.id === aside)).toMatchObject({ key: orderId, reason: 'unpublishable', error: 'refused by a test', held: 1 });
    // Held: the key's later row does not go out around the set-aside one.
    expect(stack.orders.typesOf(orderId)).toEqual([]);

    expect((await admin(`/admin/outbox/set-aside/${aside}/requeue`, 'POST')).body).toEqual({ id: aside, requeued: true });
    await waitFor(() => stack.orders.typesOf(orderId).length === 2);
    expect(stack.orders.typesOf(orderId)).toEqual(['order.paid', 'order.fulfilled']);
    expect((await admin(`/admin/outbox/set-aside/${aside}/requeue`, 'POST')).status).toBe(404);
  });

  it('discards a row that must never go out, releasing the row it held', async () => {
    const orderId = `ord_${randomUUID()}`;
    const { aside } = await setAside(orderId);
    expect((await admin(`/admin/outbox/set-aside/${aside}/discard`, 'POST')).body).toEqual({ id: aside, discarded: true });
    await waitFor(() => stack.orders.typesOf(orderId).length === 1);
    expect(stack.orders.typesOf(orderId)).toEqual(['order.fulfilled']);
  });

  it('keeps its levers behind the admin token, and refuses what is no row ID', async () => {
    expect((await api(stack.running.url, '/admin/outbox/set-aside')).status).toBe(401);
    expect((await admin('/admin/outbox/set-aside/abc/requeue', 'POST')).status).toBe(400);
  });
});
