import { waitFor } from '@orderflow/testing';
import { Client } from 'pg';
import { ADMIN_TOKEN, countOf, paymentIntent, postStripe, stripeEvent, useIngressStack } from './support';

interface Row {
  id: string;
  eventId: string;
  status: string;
  type: string;
  payload?: unknown;
}

describe('admin API', () => {
  const stack = useIngressStack('ingress_admin');
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const ids: string[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 5; i += 1) {
      const event = stripeEvent('payment_intent.succeeded', paymentIntent(`order-admin-${i}`));
      expect((await postStripe(stack.running.url, event)).status).toBe(200);
      ids.push(event.id);
    }
    await postStripe(stack.running.url, stripeEvent('invoice.paid', { id: 'in_1', object: 'invoice', metadata: {} }));
  });

  it('refuses requests without the bearer token or with a wrong one', async () => {
    expect((await fetch(`${stack.running.url}/admin/events`)).status).toBe(401);
    const wrong = await fetch(`${stack.running.url}/admin/events`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('lists with filters and pages through with a cursor', async () => {
    const seen: Row[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `status=published&source=stripe&type=payment_intent.succeeded&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await (await fetch(`${stack.running.url}/admin/events?${query}`, { headers: auth })).json()) as { items: Row[]; nextCursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.map((r) => r.eventId)).toEqual([...ids].reverse());
    expect(seen[0]).not.toHaveProperty('payload');
    const ignored = (await (await fetch(`${stack.running.url}/admin/events?status=ignored`, { headers: auth })).json()) as { items: Row[] };
    expect(ignored.items.map((r) => r.type)).toEqual(['invoice.paid']);
    const future = new Date(Date.now() + 60_000).toISOString();
    const none = (await (await fetch(`${stack.running.url}/admin/events?from=${encodeURIComponent(future)}`, { headers: auth })).json()) as { items: Row[] };
    expect(none.items).toEqual([]);
    expect((await fetch(`${stack.running.url}/admin/events?status=bogus`, { headers: auth })).status).toBe(400);
  });

  it('finds an order’s events by their order key, and one event by its provider event ID', async () => {
    const byOrder = (await (await fetch(`${stack.running.url}/admin/events?orderKey=order-admin-3`, { headers: auth })).json()) as { items: Row[] };
    expect(byOrder.items.map((r) => r.eventId)).toEqual([ids[3]]);
    const byEventId = (await (await fetch(`${stack.running.url}/admin/events?eventId=${ids[1]}`, { headers: auth })).json()) as { items: Row[] };
    expect(byEventId.items.map((r) => r.eventId)).toEqual([ids[1]]);
    const wrongSource = (await (await fetch(`${stack.running.url}/admin/events?eventId=${ids[1]}&source=wix`, { headers: auth })).json()) as { items: Row[] };
    expect(wrongSource.items).toEqual([]);
    expect((await fetch(`${stack.running.url}/admin/events?orderKey=${'k'.repeat(256)}`, { headers: auth })).status).toBe(400);
  });

  it('gets one event with its payload, 404 for an unknown id', async () => {
    const list = (await (await fetch(`${stack.running.url}/admin/events?limit=1&type=payment_intent.succeeded`, { headers: auth })).json()) as { items: Row[] };
    const row = (await (await fetch(`${stack.running.url}/admin/events/${list.items[0]?.id}`, { headers: auth })).json()) as Row;
    expect(row.eventId).toBe(ids[ids.length - 1]);
    expect(row.payload).toMatchObject({ id: row.eventId, type: 'payment_intent.succeeded' });
    expect((await fetch(`${stack.running.url}/admin/events/999999`, { headers: auth })).status).toBe(404);
  });

  it('replays an event with its original event ID', async () => {
    const target = ids[0] as string;
    await waitFor(() => countOf(stack.reader.received, target) === 1);
    const list = (await (await fetch(`${stack.running.url}/admin/events?limit=200`, { headers: auth })).json()) as { items: Row[] };
    const row = list.items.find((r) => r.eventId === target) as Row;
    const res = await fetch(`${stack.running.url}/admin/events/${row.id}/replay`, { method: 'POST', headers: auth });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ replayed: true, eventId: target });
    await waitFor(() => countOf(stack.reader.received, target) === 2);
    const copies = stack.reader.received.filter((r) => r.event.eventId === target);
    expect(copies[1]?.key).toBe(copies[0]?.key);
    expect(copies[1]?.event.payload).toEqual(copies[0]?.event.payload);
  });

  it('replays a quarantined event once today’s rules read its stored body as publishable, and refuses (409) one they still refuse', async () => {
    const invalid = stripeEvent('payment_intent.succeeded', { object: 'payment_intent', metadata: {} });
    expect(await (await postStripe(stack.running.url, invalid)).json()).toMatchObject({ outcome: 'quarantined' });
    const [refused] = ((await (await fetch(`${stack.running.url}/admin/events?status=quarantined`, { headers: auth })).json()) as { items: Row[] }).items;
    expect(refused?.eventId).toBe(invalid.id);
    const again = await fetch(`${stack.running.url}/admin/events/${refused?.id}/replay`, { method: 'POST', headers: auth });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ detail: 'Still cannot be published: not a valid payment_intent.succeeded event' });

    // Quarantined by an earlier version whose rules refused it; today's read it as publishable.
    const event = stripeEvent('payment_intent.succeeded', paymentIntent('order-requeued'));
    const sql = new Client({ connectionString: stack.running.config.INGRESS_DATABASE_URL });
    await sql.connect();
    let id: string;
    try {
      const inserted = await sql.query<{ id: string }>(
        `INSERT INTO webhook_events (source, event_id, type, status, payload, error, raw_body, trace_id, occurred_at)
         VALUES ('stripe', $1, $2, 'quarantined', 'null', 'refused by an older rule', $3, 'trace-old', now()) RETURNING id::text AS id`,
        [event.id, event.type, Buffer.from(JSON.stringify(event))],
      );
      id = inserted.rows[0]?.id as string;
    } finally {
      await sql.end();
    }
    const replayed = await fetch(`${stack.running.url}/admin/events/${id}/replay`, { method: 'POST', headers: auth });
    expect(replayed.status).toBe(200);
    const message = await waitFor(() => stack.reader.received.find((r) => r.event.eventId === event.id));
    expect(message.key).toBe('order-requeued');
    const row = (await (await fetch(`${stack.running.url}/admin/events/${id}`, { headers: auth })).json()) as Row & { orderKey: string; error: unknown };
    expect(row).toMatchObject({ status: 'published', orderKey: 'order-requeued', error: null, payload: { id: event.id } });
    expect(row).not.toHaveProperty('rawBody');
  });
});
