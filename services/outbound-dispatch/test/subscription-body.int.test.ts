import { randomUUID } from 'node:crypto';
import { callApi } from '@orderflow/service-testing';
import { waitFor } from '@orderflow/testing';
import { ADMIN_TOKEN, useDispatchStack, usePartners } from './support';

/**
 * Seeds 000 and 004 register a partner webhook as `{"url": …, "events": [...], "active": true}`;
 * this API's own name for the list is `eventTypes`. Both are taken and both are answered.
 */
describe('a subscription registered with the seeds’ body', () => {
  const stack = useDispatchStack('dispatch_subscription_body');
  const partner = usePartners();

  it('takes `events`, answers it beside `eventTypes` everywhere, and delivers what it names', async () => {
    const p = await partner();
    const created = await stack.api('/external/webhooks', { method: 'POST', body: { url: p.url, events: ['order.paid'], active: true } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ url: p.url, events: ['order.paid'], eventTypes: ['order.paid'], active: true });
    expect(created.body.secret).toMatch(/^whsec_/);
    p.secrets = [created.body.secret];
    const id: string = created.body.id;

    const one = await stack.api(`/external/webhooks/${id}`);
    expect(one.body).toMatchObject({ events: ['order.paid'], eventTypes: ['order.paid'] });
    const listed = (await stack.api('/external/webhooks')).body.items.find((s: { id: string }) => s.id === id);
    expect(listed).toMatchObject({ events: ['order.paid'], eventTypes: ['order.paid'] });
    const support = (await callApi(stack.running.url, '/admin/subscriptions', { bearer: ADMIN_TOKEN })).body.items.find((s: { id: string }) => s.id === id);
    expect(support).toMatchObject({ events: ['order.paid'], eventTypes: ['order.paid'] });

    const changed = await stack.api(`/external/webhooks/${id}`, { method: 'PATCH', body: { events: ['order.*'] } });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ events: ['order.*'], eventTypes: ['order.*'] });

    const orderId = `ord_${randomUUID()}`;
    const eventId = await stack.publish('order.created', orderId);
    await waitFor(() => p.of(orderId).length === 1);
    expect(p.of(orderId)[0]).toMatchObject({ id: eventId, type: 'order.created' });
  });

  it('takes both names when they are the same list', async () => {
    const p = await partner();
    const created = await stack.api('/external/webhooks', { method: 'POST', body: { url: p.url, events: ['order.paid', 'order.refunded'], eventTypes: ['order.paid', 'order.refunded'] } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ events: ['order.paid', 'order.refunded'], eventTypes: ['order.paid', 'order.refunded'] });
  });

  it('registers it disabled when the body says `active: false`', async () => {
    const p = await partner();
    const created = await stack.api('/external/webhooks', { method: 'POST', body: { url: p.url, events: ['order.paid'], active: false } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ active: false, disabledReason: 'disabled by the instance' });
  });

  it('refuses two different lists, or none, with a problem naming `events`', async () => {
    const p = await partner();
    const bodies = [
      { url: p.url, events: ['order.paid'], eventTypes: ['order.created'] },
      { url: p.url },
      { url: p.url, events: [] },
    ];
    for (const body of bodies) {
      const res = await stack.api('/external/webhooks', { method: 'POST', body });
      expect({ body, status: res.status, type: res.headers.get('content-type') }).toEqual({ body, status: 400, type: expect.stringContaining('application/problem+json') });
      expect(res.body.detail).toContain('events');
    }
    const sub = (await stack.api('/external/webhooks', { method: 'POST', body: { url: p.url, events: ['order.paid'] } })).body;
    const patched = await stack.api(`/external/webhooks/${sub.id}`, { method: 'PATCH', body: { events: ['order.paid'], eventTypes: ['order.*'] } });
    expect(patched.status).toBe(400);
    expect(patched.body.detail).toContain('`events` and `eventTypes`');
    expect((await stack.api(`/external/webhooks/${sub.id}`)).body.eventTypes).toEqual(['order.paid']);
  });
});
