import type { Browser, Page } from 'playwright-core';
import { waitFor } from '@orderflow/testing';
import { launchBrowser, screenshot, startSystem, type System } from './support';

const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true });

/**
 * Issue 10 in a real browser (Debian's Chromium through playwright-core) against every service
 * in one process: support signs in, sees a Stripe webhook arrive and opens its payload, finds an
 * order and refunds it, and resends a failed partner delivery.
 */
describe('the admin console, in a browser', () => {
  let system: System;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    // No mail relay, as `npm start` runs: what would be mailed is kept for the Mail page.
    [system, browser] = await Promise.all([startSystem('console_admin', { SMTP_URL: undefined, MAIL_FROM: undefined, HEALTH_SAMPLE_INTERVAL: '250ms' }), launchBrowser()]);
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
  });
  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  });
  afterEach(() => {
    // Refused requests (the wrong token's 401) log a console error by design; nothing else may.
    expect(errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
  });

  it('refuses a wrong token, then signs in with the admin token', async () => {
    await page.goto(`${system.machine.urls.console}/console/`);
    await page.getByLabel('Admin token').fill('not-the-admin-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'That is not the admin token.' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Console' }).count()).toBe(0);
    await screenshot(page, 'console-sign-in-refused');

    await page.getByLabel('Admin token').fill(system.secrets.ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Webhook events' }).waitFor();
    const cookies = await page.context().cookies();
    expect(cookies.map((c) => ({ name: c.name, httpOnly: c.httpOnly, sameSite: c.sameSite }))).toEqual([{ name: 'orderflow_console_session', httpOnly: true, sameSite: 'Strict' }]);
    expect(cookies[0].value).not.toContain(system.secrets.ADMIN_TOKEN);
  });

  let order: { orderId: string; paymentIntentId: string; eventId: string; key: string };

  it('shows a Stripe webhook in the live list as it arrives, and opens its payload with secrets masked', async () => {
    // Registered before the payment, so the partner is called about it (and fails, see below).
    const subscribed = await fetch(`${system.machine.urls.dispatch}/external/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${system.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: system.partner.url, eventTypes: ['order.paid'] }),
    });
    expect(subscribed.status).toBe(201);

    order = await system.buyLicense(`ada-${Date.now()}@example.com`);
    const row = page.locator(`tr[data-event-id="${order.eventId}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toContain('payment_intent.succeeded');

    await row.getByRole('button', { name: `View payload of ${order.eventId}` }).click();
    const payload = page.getByLabel(`Payload of ${order.eventId}`, { exact: true });
    await payload.waitFor();
    const json = (await payload.textContent()) ?? '';
    expect(JSON.parse(json)).toMatchObject({ id: order.eventId, type: 'payment_intent.succeeded', data: { object: { id: order.paymentIntentId, client_secret: '[redacted]' } } });
    expect(json).not.toMatch(/_secret_(?!\[redacted\])/);
    await screenshot(page, 'console-webhook-payload');
  });

  it('finds the order by its customer’s email, refunds it, and shows the refund in its timeline', async () => {
    await system.orderWhen(order.orderId, (o) => o.status === 'FULFILLED');
    await nav(page, 'Orders').click();
    const customer = (await system.admin('order', `/admin/orders/${order.orderId}`)).body.customer.email as string;
    await page.getByLabel('Search by number, email or reference').fill(customer.toUpperCase());
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: order.orderId }).click();
    await page.getByRole('heading', { name: `Order ${order.orderId}` }).waitFor();
    const timeline = page.getByRole('list', { name: 'Timeline' });
    await timeline.getByText('APPROVED → FULFILLED').waitFor();
    await timeline.getByText(/License …\w{4} assigned/).waitFor();
    // Keys show as hints until asked for.
    const issued = page.getByRole('region', { name: /Tickets and licenses/ });
    expect(await issued.textContent()).not.toContain(order.key);
    await issued.getByRole('button', { name: 'Show license keys' }).click();
    await issued.getByText(order.key).waitFor();

    await page.getByRole('button', { name: 'Refund…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Refund this order?' });
    await dialog.getByLabel('Reason (optional)').fill('customer asked');
    await screenshot(page, 'console-refund-confirmation');
    await dialog.getByRole('button', { name: 'Refund', exact: true }).click();
    await page.getByRole('status').filter({ hasText: /Refund re_\w+ requested at Stripe/ }).waitFor();
    expect(system.stripe.refunds.filter((r) => r.payment_intent === order.paymentIntentId)).toHaveLength(1);

    // Stripe confirms with its own webhook; the open page picks the change up by itself.
    await system.sendStripe(system.stripe.event('charge.refunded', system.stripe.chargeFor(order.paymentIntentId)));
    await timeline.getByText('FULFILLED → REFUNDED').waitFor({ timeout: 15_000 });
    await timeline.getByText(/License …\w{4} revoked/).waitFor({ timeout: 15_000 });
    expect(await page.locator('.facts .badge').first().textContent()).toBe('REFUNDED');
    await screenshot(page, 'console-order-refunded');
  });

  it('resends a failed partner delivery, which turns green once the partner answers', async () => {
    await waitFor(() => system.partner.received.length > 0, { timeoutMs: 10_000, description: 'the partner to be called about order.paid' });
    await nav(page, 'Partners').click();
    await page.getByRole('heading', { name: 'Partners' }).waitFor();
    const row = page.locator('tr[data-delivery-id]').filter({ hasText: order.orderId });
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toContain('partner database is down');
    expect(await row.locator('.badge').first().textContent()).toBe('FAILED');
    await screenshot(page, 'console-partner-delivery-failed');

    system.partner.failing = false;
    await row.getByRole('button', { name: /^Resend delivery/ }).click();
    await row.locator('.badge.tone-ok', { hasText: 'DELIVERED' }).waitFor({ timeout: 10_000 });
    expect(system.partner.received.map((r) => r.status)).toEqual([500, 200]);
    await screenshot(page, 'console-partner-delivery-resent');
  });

  it('shows each service’s health, and the order page stays readable on a phone', async () => {
    await nav(page, 'Health').click();
    const services = page.getByRole('table', { name: 'Readiness of each service' }).locator('tbody tr');
    await services.first().waitFor();
    expect(await services.allTextContents()).toEqual(['ingress', 'order', 'fulfillment', 'notification', 'dispatch'].map((s) => expect.stringMatching(new RegExp(`^${s}ready`))));
    const lag = page.getByRole('table', { name: 'Consumer lag by group and topic' });
    expect(await lag.textContent()).toContain('orders.events');

    // The last hour's charts, from the services' metrics sampled every 250 ms: the paid order's
    // webhook is there; three with a forged signature join it as rejected.
    const stripe = page.getByRole('img', { name: /^Webhooks from stripe per minute: / });
    await stripe.waitFor();
    const hour = /; (\d+) received, (\d+) rejected, 0 failed in the hour$/;
    const [, received, rejected] = hour.exec((await stripe.getAttribute('aria-label')) ?? '')!.map(Number);
    expect(received).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) {
      const forged = await fetch(`${system.machine.urls.ingress}/api/webhooks/stripe`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=forged' }, body: '{"id":"evt_forged"}' });
      expect(forged.status).toBeGreaterThanOrEqual(400);
    }
    await stripe.and(page.locator(`[aria-label$="; ${received + 3} received, ${rejected + 3} rejected, 0 failed in the hour"]`)).waitFor({ timeout: 10_000 });
    expect(await page.getByRole('img', { name: /^Ingress p99: [\d.]+ ms in the latest minute with webhooks$/ }).count()).toBe(1);
    expect(await page.getByRole('img', { name: /^Partner delivery success rate: / }).count()).toBe(1);
    expect(await page.getByRole('img', { name: /^Consumer lag \(messages\): \d+ messages behind now/ }).count()).toBe(1);
    expect(await page.locator('.chart-bars rect').count()).toBeGreaterThan(0);
    await screenshot(page, 'console-health');

    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    await phone.context().addCookies(await page.context().cookies());
    await phone.goto(`${system.machine.urls.console}/console/#/orders/${encodeURIComponent(order.orderId)}`);
    await phone.getByRole('heading', { name: `Order ${order.orderId}` }).waitFor();
    // Nothing wider than the screen: the page scrolls down, not sideways.
    expect(await phone.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await screenshot(phone, 'console-order-phone');
    await phone.close();
  });

  it('reads the order’s confirmation mail and its Discord embed on the Mail page, the mail framed as a mail client shows it', async () => {
    await nav(page, 'Mail').click();
    await page.getByRole('heading', { name: 'Mail' }).waitFor();
    const subject = `Your order ${order.orderId} is confirmed`;
    await page.getByRole('link', { name: subject }).click();
    await page.getByRole('heading', { name: subject }).waitFor();
    const mail = page.frameLocator('iframe.mail-frame');
    await mail.getByRole('heading', { name: subject }).waitFor();
    expect(await mail.locator('body').textContent()).toContain('Console App');
    await page.locator('iframe.mail-frame').scrollIntoViewIfNeeded();
    await screenshot(page, 'console-mail');
    // The framed mail runs nothing and is shown nowhere but in the console.
    const framed = await fetch(`${system.machine.urls.console}${await page.locator('iframe.mail-frame').getAttribute('src')}`, { headers: { cookie: (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ') } });
    expect(framed.headers.get('content-security-policy')).toContain('sandbox');
    await page.getByRole('button', { name: 'Text' }).click();
    expect(await page.locator('pre.mail-text').textContent()).toContain(order.orderId);

    await page.getByLabel('Channel').selectOption('discord');
    await page.getByRole('link', { name: '🎉 Order completed' }).first().click();
    await page.getByLabel('The discord message').waitFor();
    expect(await page.getByLabel('The discord message').textContent()).toContain(order.orderId);
  });

  it('shows the API reference: each service’s OpenAPI document, operation by operation, with the events partners receive', async () => {
    await nav(page, 'API').click();
    await page.getByRole('heading', { name: 'API reference' }).waitFor();
    const partners = page.getByRole('region', { name: 'Partner webhooks (partners)' });
    const create = partners.locator('details[data-operation="createSubscription"]');
    await create.locator('summary').click();
    expect(await create.textContent()).toContain('/external/webhooks');
    await create.getByLabel('Example for createSubscription').waitFor();
    expect(await partners.locator('details[data-operation="receive-payment.completed"]').count()).toBe(1);
    await page.getByRole('region', { name: 'Checkout and orders (shops)' }).locator('details[data-operation="startCheckout"]').waitFor();
    await page.getByRole('region', { name: 'Provider webhooks (Stripe, Wix)' }).locator('details[data-operation="receiveStripeWebhook"]').waitFor();
    await screenshot(page, 'console-api-reference');
  });

  it('signs out: the browser drops the cookie, and the old session ID no longer opens the API', async () => {
    const [session] = await page.context().cookies();
    const api = (cookie: string) => fetch(`${system.machine.urls.console}/console/api/orders`, { headers: { cookie } });
    expect((await api(`${session.name}=${session.value}`)).status).toBe(200);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin token').waitFor();
    expect(await page.context().cookies()).toEqual([]);
    expect((await api(`${session.name}=${session.value}`)).status).toBe(401);
  });
});
