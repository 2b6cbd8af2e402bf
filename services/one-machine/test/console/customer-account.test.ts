import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { waitFor } from '@orderflow/testing';
import { launchBrowser, screenshot, startSystem, type System } from './support';

/**
 * Seed 003's customer order history, end to end: the confirmation mail the notification service
 * sends carries a signed, expiring link; opened in a browser, it shows that customer's orders
 * with their license keys, and nobody else's.
 */
describe('the customer order history, in a browser', () => {
  let system: System;
  let browser: Browser;
  beforeAll(async () => {
    [system, browser] = await Promise.all([startSystem('console_account'), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  });

  /** The account link in the order confirmation mailed to `email`. */
  const linkMailedTo = (email: string) =>
    waitFor(
      () => {
        const mail = system.mails.find((m) => m.to.includes(email) && /is confirmed/.test(m.subject));
        return mail && /(http:\/\/\S+\/account#v1\.[A-Za-z0-9_.-]+)/.exec(mail.text)?.[1];
      },
      { timeoutMs: 20_000, description: `the order confirmation to ${email}` },
    );

  let link: string;

  it('opens from the mailed link and shows that customer’s orders and license keys, and no one else’s', async () => {
    const ada = `ada-${randomUUID().slice(0, 8)}@example.com`;
    const bob = `bob-${randomUUID().slice(0, 8)}@example.com`;
    const [adaOrder, bobOrder] = await Promise.all([system.buyLicense(ada), system.buyLicense(bob)]);
    link = await linkMailedTo(ada);
    expect(link.startsWith(`${system.machine.url}/account#v1.`)).toBe(true);

    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(link);
    await page.getByRole('heading', { name: 'Your orders' }).waitFor();
    const card = page.getByRole('article', { name: `Order ${adaOrder.orderId}` });
    await card.waitFor();
    expect(await card.locator('.license-key').textContent()).toBe(adaOrder.key);
    expect(await card.getByText('Completed').count()).toBe(1);
    expect(await page.getByText('Loading your orders…').count()).toBe(0);
    const text = (await page.textContent('body')) ?? '';
    expect(text).toContain(ada);
    expect(text).not.toContain(bobOrder.orderId);
    expect(text).not.toContain(bobOrder.key);
    expect(text).not.toContain(bob);
    // The token leaves the address bar at once; a reload still works for this tab.
    expect(new URL(page.url()).hash).toBe('');
    await screenshot(page, 'account-orders-phone');
    await page.reload();
    await card.waitFor();
    expect(errors).toEqual([]);
    await page.close();
  });

  it('turns away a link whose claims were changed after signing', async () => {
    // Someone else's email under Ada's signature: the page must not open.
    const [base, token] = link.split('#');
    const [, , signature] = token.split('.');
    const claims = Buffer.from(JSON.stringify({ e: 'bob@example.com', i: 'local', x: Math.floor(Date.now() / 1000) + 3_600 })).toString('base64url');
    const page = await browser.newPage();
    await page.goto(`${base}#v1.${claims}.${signature}`);
    await page.getByRole('alert').filter({ hasText: 'This link is not valid' }).waitFor();
    expect(await page.locator('article').count()).toBe(0);
    await screenshot(page, 'account-link-refused');
    await page.close();
  });
});
