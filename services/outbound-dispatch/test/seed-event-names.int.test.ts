import { randomUUID } from 'node:crypto';
import { waitFor } from '@orderflow/testing';
import { useDispatchStack, usePartners } from './support';

/**
 * Seeds 003 and 004 name our events their own way (payment.completed, order.completed,
 * payment.failed): a partner subscribes under those names and receives the events under them,
 * with the same data, IDs and signatures as under ours (issue 22).
 */
describe('the seeds’ event names', () => {
  const stack = useDispatchStack('dispatch_seed_names');
  const partner = usePartners();

  it('delivers order.paid as payment.completed and as order.completed, and order.payment_failed as payment.failed, to those who asked for those names', async () => {
    const [seed004, seed003, ours] = [await partner(), await partner(), await partner()];
    for (const [p, events] of [[seed004, ['payment.completed']], [seed003, ['order.completed', 'payment.failed', 'order.refunded']], [ours, ['order.paid', 'payment.completed']]] as const) {
      const created = await stack.api('/external/webhooks', { method: 'POST', body: { url: p.url, events } });
      expect(created.status).toBe(201);
      p.secrets = [created.body.secret];
    }
    const orderId = `ord_${randomUUID()}`;
    const paid = await stack.publish('order.paid', orderId);
    const failed = await stack.publish('order.payment_failed', orderId);
    await waitFor(() => seed004.of(orderId).length === 1 && seed003.of(orderId).length === 2 && ours.of(orderId).length === 1);

    expect(seed004.of(orderId)).toEqual([expect.objectContaining({ id: paid, type: 'payment.completed' })]);
    expect(seed004.of(orderId)[0]!.body.data).toMatchObject({ orderId, status: 'PAID' });
    expect(seed003.of(orderId).map((r) => [r.id, r.type])).toEqual([[paid, 'order.completed'], [failed, 'payment.failed']]);
    // A subscription naming both ours and an alias gets the event once, under our name.
    expect(ours.of(orderId).map((r) => r.type)).toEqual(['order.paid']);
  });

  it('replays under the name subscribed to', async () => {
    const p = await partner();
    const orderId = `ord_${randomUUID()}`;
    const since = new Date(Date.now() - 1_000).toISOString();
    const paid = await stack.publish('order.paid', orderId);
    const created = await stack.api('/external/webhooks', { method: 'POST', body: { url: p.url, events: ['payment.completed'] } });
    p.secrets = [created.body.secret];
    // Subscribed after the event: a replay of the range delivers it for the first time.
    await waitFor(async () => {
      const res = await stack.api(`/external/webhooks/${created.body.id}/replay`, { method: 'POST', body: { from: since } });
      if (res.status !== 202) throw new Error(`replay answered ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body.replayed >= 1;
    });
    await waitFor(() => p.of(orderId).length === 1);
    expect(p.of(orderId)[0]).toMatchObject({ id: paid, type: 'payment.completed' });
  });

  it('refuses (400) a name that would never match, naming what there is', async () => {
    for (const events of [['settlement.confirmed'], ['payout.created'], ['orders.*']]) {
      const res = await stack.api('/external/webhooks', { method: 'POST', body: { url: 'http://127.0.0.1:9/hook', events } });
      expect(res.status).toBe(400);
      expect(res.body.detail).toContain('not an event we send; one of order.created');
      expect(res.body.detail).toContain('payment.completed');
    }
  });
});
