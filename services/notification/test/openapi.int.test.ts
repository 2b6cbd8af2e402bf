import { documentedCalls, routeDrift, validateOpenApi } from '@orderflow/service-testing';
import { waitFor } from '@orderflow/testing';
import { NOTIFICATION_OPERATIONS } from '../src/api/openapi';
import { ADMIN_TOKEN, anOrder, api, fulfilled, useNotificationStack } from './support';

/**
 * The notification service's OpenAPI document against the service (issue 22): a valid 3.1
 * document, every admin route documented and routed, and what the routes answer — through one
 * order's kept confirmation mail and Discord embed — matching its schemas.
 */
describe('the notification service’s OpenAPI document', () => {
  const stack = useNotificationStack('notification_openapi', () => ({ SMTP_URL: '', DISCORD_WEBHOOK_URL: '', SLACK_WEBHOOK_URL: '', KEEP_UNSENT: 'true', MAIL_FROM: '' }));

  it('is served at /openapi.json and /openapi/notification.json, and is a valid OpenAPI 3.1 document', async () => {
    const document = (await (await fetch(`${stack.running.url}/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toHaveLength(NOTIFICATION_OPERATIONS.length);
    expect((await validateOpenApi(document)).output).toContain('"valid": true');
    expect(await (await fetch(`${stack.running.url}/openapi/notification.json`)).json()).toEqual(document);
  });

  it('documents every admin route, and nothing the service does not route', () => {
    expect(routeDrift(stack.running.service.app, NOTIFICATION_OPERATIONS, 'notification')).toEqual({ missing: [], undocumented: [] });
  });

  it('answers as documented, through one order’s kept mail and embed', async () => {
    const { call, drift } = documentedCalls(NOTIFICATION_OPERATIONS, (op, path) => api(stack.running.url, path, { bearer: ADMIN_TOKEN, method: op.method.toUpperCase() }));
    const order = anOrder([{ kind: 'ticket', name: 'Gala', quantity: 1 }]);
    await stack.publish('order.paid', order, { orderKey: order.orderId });
    await stack.publish('fulfillment.completed', fulfilled(order), { orderKey: order.orderId });
    const kept = await waitFor(async () => {
      const items = ((await call('listMailbox', '/admin/mailbox?limit=200')).body.items as Array<{ id: string; orderId: string; channel: string; kind: string }>).filter((n) => n.orderId === order.orderId);
      return items.some((n) => n.kind === 'order-confirmation') && items.some((n) => n.channel === 'discord') ? items : null;
    });
    const mail = kept.find((n) => n.kind === 'order-confirmation')!;
    await call('getKeptMessage', `/admin/mailbox/${mail.id}`);
    await call('getKeptMessage', `/admin/mailbox/${kept.find((n) => n.channel === 'discord')!.id}`);
    await call('getKeptMessage', '/admin/mailbox/999999999');
    const html = await fetch(`${stack.running.url}/admin/mailbox/${mail.id}/html`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect([html.status, html.headers.get('content-type')]).toEqual([200, expect.stringContaining('text/html')]);

    const listed = await call('listNotifications', `/admin/notifications?orderId=${order.orderId}`);
    const sent = (listed.body.items as Array<{ id: string }>)[0]!;
    expect((await call('getNotification', `/admin/notifications/${sent.id}`)).status).toBe(200);
    await waitFor(async () => (await api(stack.running.url, `/admin/notifications/${sent.id}`, { bearer: ADMIN_TOKEN })).body.status === 'SENT' || undefined);
    expect((await call('resendNotification', `/admin/notifications/${sent.id}/resend`)).status).toBe(202);
    const today = new Date().toISOString().slice(0, 10);
    expect((await call('getActivity', `/admin/activity?date=${today}`)).status).toBe(200);
    await call('requestSummary', `/admin/summary?date=${today}`);
    expect((await call('listNotifications', '/admin/notifications?limit=0')).status).toBe(400);
    expect(drift).toEqual([]);
  });
});
