import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { chromium, type Browser, type Page } from 'playwright-core';
import Stripe from 'stripe';
import { callApi, startSmtpCapture, type ApiAnswer, type CapturedMail } from '@orderflow/service-testing';
import { createTestDatabase, startFakeStripe, tempDir, waitFor, type FakeStripe } from '@orderflow/testing';
import { startOneMachine, type OneMachine } from '../../src';

/** Where the tests leave their screenshots for review (git-ignored). */
export const SCREENSHOTS = path.join(__dirname, '..', '..', '..', '..', 'reports', 'screenshots');

/** Debian's Chromium, as the issue asks: no browser download. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** A partner's endpoint on loopback: answers 500 while `failing`, then 200; records each call. */
export class PartnerEndpoint {
  failing = true;
  readonly received: Array<{ id: string; status: number }> = [];
  private constructor(private readonly server: Server) {}

  static async start(): Promise<PartnerEndpoint> {
    const server = createServer();
    const partner = new PartnerEndpoint(server);
    server.on('request', (req, res) => {
      req.resume();
      req.on('end', () => {
        const status = partner.failing ? 500 : 200;
        partner.received.push({ id: String(req.headers['webhook-id']), status });
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 500 ? 'partner database is down' : 'ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return partner;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/orderflow-hook`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

export interface System {
  machine: OneMachine;
  stripe: FakeStripe;
  mails: readonly CapturedMail[];
  partner: PartnerEndpoint;
  secrets: { ADMIN_TOKEN: string; STRIPE_WEBHOOK_SECRET: string; API_KEYS: string };
  /** The one local instance's API key. */
  apiKey: string;
  admin(service: keyof OneMachine['urls'], path: string, options?: { method?: string; body?: unknown }): Promise<ApiAnswer>;
  /** A checkout of one license (its key added to a fresh pool first), paid at Stripe, announced by Stripe's signed webhook. */
  buyLicense(email: string): Promise<{ orderId: string; paymentIntentId: string; eventId: string; key: string }>;
  /** A Stripe event through the ingress, signed as Stripe signs it. */
  sendStripe(event: { id: string }): Promise<void>;
  orderWhen(orderId: string, until: (order: Record<string, any>) => boolean): Promise<Record<string, any>>;
  stop(): Promise<void>;
}

/**
 * Every service in one process (startOneMachine, PORT=0) on throwaway Postgres databases (PGlite
 * works too, but five of them take ~30 s to start here, Postgres ~2 s), with the third parties
 * as real servers on loopback: a fake Stripe API for refunds, a mail relay, a partner endpoint.
 */
export async function startSystem(name: string, env: Record<string, string | undefined> = {}): Promise<System> {
  const dir = tempDir();
  const [stripe, mailbox, partner] = await Promise.all([startFakeStripe(), startSmtpCapture(), PartnerEndpoint.start()]);
  const databases = await Promise.all(['ingress', 'order', 'fulfillment', 'notification', 'dispatch'].map((s) => createTestDatabase(`${name}_${s}`)));
  const machine = await startOneMachine({
    DATA_DIR: dir.path,
    PORT: '0',
    KAFKA_PORT: '0',
    LOG_LEVEL: 'silent',
    INGRESS_DATABASE_URL: databases[0].url,
    ORDER_DATABASE_URL: databases[1].url,
    FULFILLMENT_DATABASE_URL: databases[2].url,
    NOTIFICATION_DATABASE_URL: databases[3].url,
    DISPATCH_DATABASE_URL: databases[4].url,
    STRIPE_SECRET_KEY: 'sk_test_console_browser',
    STRIPE_API_BASE: stripe.url,
    SMTP_URL: mailbox.url,
    MAIL_FROM: 'Console Test Shop <shop@example.com>',
    OUTBOUND_ALLOWED_HOSTS: '127.0.0.1',
    // One attempt: a partner's 500 fails the delivery at once, for support to resend.
    DISPATCH_RETRY_SCHEDULE: '0',
    ...env,
  });
  const secrets = JSON.parse(readFileSync(machine.secretsFile, 'utf8')) as System['secrets'];
  const apiKey = secrets.API_KEYS.split(':')[1];
  const admin: System['admin'] = (service, p, options = {}) => callApi(machine.urls[service], p, { bearer: secrets.ADMIN_TOKEN, ...options });
  const sendStripe = async (event: { id: string }) => {
    const body = JSON.stringify(event);
    const signature = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: secrets.STRIPE_WEBHOOK_SECRET });
    const res = await fetch(`${machine.urls.ingress}/api/webhooks/stripe`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': signature }, body });
    if (res.status !== 200) throw new Error(`the ingress answered ${res.status}: ${await res.text()}`);
  };
  const orderWhen: System['orderWhen'] = (orderId, until) =>
    waitFor(
      async () => {
        const res = await admin('order', `/admin/orders/${orderId}`);
        return res.status === 200 && until(res.body) ? res.body : null;
      },
      { timeoutMs: 20_000, description: `order ${orderId} to reach the expected state` },
    );

  return {
    machine,
    stripe,
    mails: mailbox.mails,
    partner,
    secrets,
    apiKey,
    admin,
    sendStripe,
    orderWhen,
    async buyLicense(email) {
      const productId = `console-app-${randomUUID().slice(0, 8)}`;
      const key = `KEY-${randomUUID().toUpperCase()}`;
      const pool = await admin('fulfillment', `/admin/license-pools/${productId}/keys`, { method: 'POST', body: { keys: [key] } });
      if (pool.status !== 201) throw new Error(`adding a license key answered ${pool.status}`);
      const checkout = await callApi(machine.urls.order, '/api/checkout', {
        bearer: apiKey,
        method: 'POST',
        body: { cartId: `cart-${randomUUID()}`, currency: 'eur', customer: { email, name: null }, items: [{ productId, name: 'Console App', quantity: 1, unitAmountCents: 1_500, kind: 'license', capacityKey: null }] },
      });
      if (checkout.status !== 201) throw new Error(`checkout answered ${checkout.status}`);
      const { orderId, paymentIntentId } = checkout.body as { orderId: string; paymentIntentId: string };
      stripe.succeed(paymentIntentId);
      const event = stripe.event('payment_intent.succeeded', stripe.paymentIntent(paymentIntentId));
      await sendStripe(event);
      return { orderId, paymentIntentId, eventId: event.id, key };
    },
    async stop() {
      await machine.stop();
      await Promise.all([stripe.close(), mailbox.close(), partner.close()]);
      await Promise.all(databases.map((d) => d.drop()));
      dir.remove();
    },
  };
}
