import { Topics } from '@orderflow/events';
import { startTestBroker, tempDir, waitFor } from '@orderflow/testing';
import { ADMIN_TOKEN, collect, countOf, paymentIntent, postStripe, startIngress, stripeEvent } from './support';

describe('without a database URL (PGlite under DATA_DIR) and without Redis', () => {
  it('publishes, deduplicates and keeps the log across a restart', async () => {
    const broker = await startTestBroker();
    const dir = tempDir();
    const reader = await collect(broker, [Topics.stripeIngress]);
    const event = stripeEvent('payment_intent.succeeded', paymentIntent('order-pglite'));
    try {
      let running = await startIngress({ KAFKA_BROKERS: broker.brokers.join(','), DATA_DIR: dir.path });
      expect((await postStripe(running.url, event)).status).toBe(200);
      expect((await (await fetch(`${running.url}/readyz`)).json())).toMatchObject({ status: 'ok' });
      await running.close();
      running = await startIngress({ KAFKA_BROKERS: broker.brokers.join(','), DATA_DIR: dir.path });
      expect(await (await postStripe(running.url, event)).json()).toMatchObject({ outcome: 'duplicate' });
      // A quarantined event's body is kept (bytea) on PGlite as on Postgres.
      const nul = stripeEvent('payment_intent.succeeded', { ...paymentIntent('order-pglite-nul'), description: 'a\u0000b' });
      expect(await (await postStripe(running.url, nul)).json()).toMatchObject({ outcome: 'quarantined' });
      const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
      const { items } = (await (await fetch(`${running.url}/admin/events?status=quarantined`, { headers: auth })).json()) as { items: Array<{ id: string }> };
      expect(await (await fetch(`${running.url}/admin/events/${items[0]?.id}`, { headers: auth })).json()).toMatchObject({ rawBody: JSON.stringify(nul) });
      await running.close();
      await waitFor(() => countOf(reader.received, event.id) === 1);
    } finally {
      await reader.stop();
      await broker.stop();
      dir.remove();
    }
  });
});
