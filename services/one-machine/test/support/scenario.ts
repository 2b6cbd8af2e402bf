import { randomBytes } from 'node:crypto';
import { callApi, type ApiAnswer } from '@orderflow/service-testing';
import { waitFor } from '@orderflow/testing';
import type { DiscordReceiver } from './discord-receiver';
import type { PartnerEndpoint } from './partner-endpoint';
import type { SmtpCapture } from '@orderflow/service-testing';
import { purchase, type ItemLine, type Purchase } from './stripe-webhooks';
import type { System } from './system';

/** The third parties, each a real server on loopback. */
export interface ThirdParties {
  smtp: SmtpCapture;
  discord: DiscordReceiver;
  partner: PartnerEndpoint;
}

export const SHOP_ADMIN_EMAIL = 'team@shop.example';

/** The partner's subscription: one order's events in the order they happened. */
export const PARTNER_EVENTS = ['order.paid', 'order.fulfilled', 'order.refunded'];

/** The colour of each Discord embed, as the shop's team knows them (services/notification/README.md). */
export const DISCORD_COLOURS = { 'order.pending': 0xeab308, 'order.paid': 0x22c55e, 'order.refunded': 0x9ca3af } as const;

/** How the system is configured to reach the third parties. */
export function thirdPartyEnv(parties: ThirdParties): Record<string, string> {
  return {
    SMTP_URL: parties.smtp.url,
    MAIL_FROM: 'E2E Shop <shop@shop.example>',
    SHOP_ADMIN_EMAIL,
    SHOP_NAME: 'E2E Shop',
    DISCORD_WEBHOOK_URL: parties.discord.webhookUrl,
    // The partner listens on loopback, which the SSRF policy refuses unless allowed.
    OUTBOUND_ALLOWED_HOSTS: '127.0.0.1',
    LOG_LEVEL: 'warn',
  };
}

/**
 * waitFor, with what the system said appended when the wait times out. Conditions that call the
 * system's APIs poll every 100 ms: in one-machine mode every service shares one event loop, and
 * each PGlite database one connection, so a test polling harder slows what it waits for.
 */
export async function until<T>(system: System, description: string, condition: () => T | Promise<T>, options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<NonNullable<T>> {
  try {
    return await waitFor(condition, { timeoutMs: options.timeoutMs ?? 30_000, intervalMs: options.intervalMs ?? 100, description });
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${system.diagnostics()}`);
  }
}

export const admin = (system: System, url: string, route: string, options: { method?: string; body?: unknown } = {}): Promise<ApiAnswer> =>
  callApi(url, route, { bearer: system.secrets.ADMIN_TOKEN, ...options });

export const asShop = (system: System, url: string, route: string, options: { method?: string; body?: unknown } = {}): Promise<ApiAnswer> =>
  callApi(url, route, { bearer: system.shop.apiKey, ...options });

/** Registers the partner for `PARTNER_EVENTS`, ordered, and hands it the signing secret. */
export async function subscribePartner(system: System, partner: PartnerEndpoint): Promise<void> {
  const res = await asShop(system, system.urls.dispatch, '/external/webhooks', {
    method: 'POST',
    body: { url: partner.url, eventTypes: PARTNER_EVENTS, ordered: true, description: 'end-to-end partner' },
  });
  if (res.status !== 201) throw new Error(`subscribing the partner answered ${res.status}: ${JSON.stringify(res.body)}`);
  if (!/^whsec_/.test(String(res.body.secret))) throw new Error('the subscription did not answer a whsec_ signing secret');
  partner.secret = res.body.secret;
}

/** Adds `count` license keys to a product's pool through fulfillment's admin API; returns them. */
export async function stockLicenses(system: System, productId: string, count: number): Promise<string[]> {
  const keys = Array.from({ length: count }, () => `EDPRO-${randomBytes(10).toString('hex').toUpperCase()}`);
  const res = await admin(system, system.urls.fulfillment, `/admin/license-pools/${productId}/keys`, { method: 'POST', body: { keys } });
  if (res.status !== 201 || res.body.added !== count) throw new Error(`stocking ${productId} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return keys;
}

/** A ticket and a license: what a conference attendee who also bought the editor pays for. */
export function ticketAndLicense(licenseProductId: string): ItemLine[] {
  return [
    { productId: 'conf-2027-pass', name: 'Conference pass 2027', quantity: 1, unitAmountCents: 4_900, kind: 'ticket', capacityKey: 'conf-2027' },
    { productId: licenseProductId, name: 'Editor Pro licence', quantity: 1, unitAmountCents: 2_900, kind: 'license' },
  ];
}

export function newPurchase(system: System, email: string, items: ItemLine[]): Purchase {
  return purchase({ instanceId: system.shop.instanceId, email, name: 'Ada Lovelace', items });
}

/** The order as the order service's admin API shows it, once `ready` says so. */
export function orderWhen(system: System, orderId: string, description: string, ready: (order: Record<string, any>) => boolean, timeoutMs?: number) {
  return until(
    system,
    `order ${orderId} ${description}`,
    async () => {
      const res = await admin(system, system.urls.order, `/admin/orders/${orderId}`);
      return res.status === 200 && ready(res.body) ? res.body : null;
    },
    { timeoutMs },
  );
}

/** Every order of `status`, through the admin API's pages. */
export async function orderIdsWithStatus(system: System, status: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | null = null;
  do {
    const res: ApiAnswer = await admin(system, system.urls.order, `/admin/orders?status=${status}&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (res.status !== 200) throw new Error(`listing ${status} orders answered ${res.status}`);
    for (const order of res.body.items as Array<{ orderId: string }>) ids.add(order.orderId);
    cursor = res.body.nextCursor ?? null;
  } while (cursor);
  return ids;
}
