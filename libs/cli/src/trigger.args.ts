import { parseArgs } from 'node:util';
import { UsageError } from './cli-error';
import { lineKinds, type LineItem, type LineKind } from './order-facts';
import { stripeTriggerType, stripeTriggerTypes, type StripeTriggerType } from './stripe.payloads';
import { TRIGGER_USAGE } from './usage';
import { wixTriggerType, wixTriggerTypes, type WixTriggerType } from './wix.payloads';

interface TriggerCommon {
  orderId?: string;
  /** `--amount`, else what the items add up to, else 2000. */
  amountCents: number;
  currency: string;
  email: string;
  instanceId?: string;
  items: LineItem[] | null;
  eventId?: string;
  /** The webhook route itself, path included. */
  url: string;
  dataDir?: string;
  print: boolean;
}

export type TriggerArgs =
  | (TriggerCommon & { provider: 'stripe'; type: StripeTriggerType; secret?: string; paymentIntentId?: string; refundedCents?: number })
  | (TriggerCommon & { provider: 'wix'; type: WixTriggerType; key?: string });

export const DEFAULT_INGRESS_URL = 'http://127.0.0.1:3000';
export const DEFAULT_EMAIL = 'jenny.rosen@example.com';
export const DEFAULT_AMOUNT_CENTS = 2000;

const OPTIONS = {
  order: { type: 'string' },
  amount: { type: 'string' },
  currency: { type: 'string' },
  email: { type: 'string' },
  instance: { type: 'string' },
  items: { type: 'string' },
  'event-id': { type: 'string' },
  url: { type: 'string' },
  'data-dir': { type: 'string' },
  print: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  secret: { type: 'string' },
  'payment-intent': { type: 'string' },
  refunded: { type: 'string' },
  key: { type: 'string' },
} as const;

const usage = (message: string): never => {
  throw new UsageError(message, TRIGGER_USAGE);
};

function cents(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (/^\d+[.,]\d+$/.test(raw)) usage(`--${name} is in the currency's smallest unit: ${raw.replace(/[.,]/, '')} for ${raw}`);
  // Stripe's limit: eight digits.
  if (!/^\d{1,8}$/.test(raw) || Number(raw) === 0) usage(`--${name} must be a whole number from 1 to 99999999, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

function text(name: string, raw: string | undefined, pattern: RegExp, what: string): string | undefined {
  if (raw === undefined) return undefined;
  if (raw.length > 200 || !pattern.test(raw)) usage(`--${name} must be ${what}, got ${JSON.stringify(raw)}`);
  return raw;
}

/** `--items`: what the order service reads from `metadata.items`, checked field by field. */
export function parseItems(raw: string | undefined): LineItem[] | null {
  if (raw === undefined) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return usage('--items must be a JSON array, e.g. \'[{"productId":"gift-card","quantity":1,"unitAmountCents":1500}]\'');
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || parsed.length > 50) return usage('--items must be a JSON array of 1 to 50 lines');
  return parsed.map((item: unknown, i): LineItem => {
    const at = `--items[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return usage(`${at} must be an object`);
    const line = item as Record<string, unknown>;
    const unknown = Object.keys(line).filter((k) => !['productId', 'name', 'quantity', 'unitAmountCents', 'kind', 'capacityKey'].includes(k));
    if (unknown.length) usage(`${at} has unknown fields: ${unknown.join(', ')} (known: productId, name, quantity, unitAmountCents, kind, capacityKey)`);
    const { productId, name, quantity = 1, unitAmountCents, kind, capacityKey } = line;
    if (typeof productId !== 'string' || !productId) usage(`${at}.productId must be a non-empty string`);
    if (!Number.isInteger(quantity) || (quantity as number) < 1) usage(`${at}.quantity must be a whole number of at least 1`);
    if (!Number.isInteger(unitAmountCents) || (unitAmountCents as number) < 0) usage(`${at}.unitAmountCents must be a whole number of cents, 0 or more`);
    if (kind !== undefined && !lineKinds.includes(kind as LineKind)) usage(`${at}.kind must be one of ${lineKinds.join(', ')}`);
    if (name !== undefined && typeof name !== 'string') usage(`${at}.name must be a string`);
    if (capacityKey !== undefined && (typeof capacityKey !== 'string' || !capacityKey)) usage(`${at}.capacityKey must be a non-empty string`);
    return {
      productId: productId as string,
      ...(name === undefined ? {} : { name: name as string }),
      quantity: quantity as number,
      unitAmountCents: unitAmountCents as number,
      ...(kind === undefined ? {} : { kind: kind as LineKind }),
      ...(capacityKey === undefined ? {} : { capacityKey: capacityKey as string }),
    };
  });
}

/** The ingress route: `--url` as given when it has a path, else with the provider's webhook path. */
export function webhookUrl(raw: string, provider: 'stripe' | 'wix'): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return usage(`--url must be an absolute URL such as ${DEFAULT_INGRESS_URL}, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') usage('--url must be http or https');
  if (url.pathname === '/') url.pathname = `/api/webhooks/${provider}`;
  return url.toString();
}

/** `orderflow trigger …` arguments, or 'help'. Throws a UsageError naming what is wrong. */
export function parseTriggerArgs(argv: readonly string[]): TriggerArgs | 'help' {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    return usage((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const [provider, name, ...extra] = positionals;
  if (provider !== 'stripe' && provider !== 'wix') return usage(provider ? `unknown provider ${JSON.stringify(provider)}: stripe or wix` : 'which provider? stripe or wix');
  if (!name) return usage(`which ${provider} event? One of: ${(provider === 'stripe' ? stripeTriggerTypes : wixTriggerTypes).join(', ')}`);
  if (extra.length) usage(`unexpected arguments: ${extra.join(' ')}`);

  const items = parseItems(values.items);
  const itemsTotal = items?.reduce((sum, item) => sum + item.quantity * item.unitAmountCents, 0);
  if (itemsTotal === 0 && values.amount === undefined) usage('--items add up to 0: give the amount paid with --amount');
  const currency = text('currency', values.currency, /^[A-Za-z]{3}$/, 'a three-letter ISO 4217 code such as usd')?.toLowerCase() ?? 'usd';
  const common: TriggerCommon = {
    orderId: text('order', values.order, /^\S+$/, 'an order ID without spaces'),
    amountCents: cents('amount', values.amount) ?? itemsTotal ?? DEFAULT_AMOUNT_CENTS,
    currency,
    email: text('email', values.email, /^[^\s@]+@[^\s@]+$/, 'an email address') ?? DEFAULT_EMAIL,
    instanceId: text('instance', values.instance, /^[^\s,:]+$/, 'an instance ID without spaces, commas or colons'),
    items,
    eventId: text('event-id', values['event-id'], /^\S+$/, 'an event ID without spaces'),
    url: webhookUrl(values.url ?? DEFAULT_INGRESS_URL, provider),
    dataDir: values['data-dir'],
    print: values.print ?? false,
  };

  if (provider === 'wix') {
    const type = wixTriggerType(name);
    if (!type) return usage(`unknown Wix event ${JSON.stringify(name)}: one of ${wixTriggerTypes.map((t) => t.slice('wix.ecom.v1.'.length)).join(', ')}`);
    for (const stripeOnly of ['secret', 'payment-intent', 'refunded'] as const) {
      if (values[stripeOnly] !== undefined) usage(`--${stripeOnly} is for Stripe events${stripeOnly === 'secret' ? '; Wix webhooks are signed with --key' : ''}`);
    }
    return { provider, type, key: values.key, ...common };
  }
  const type = stripeTriggerType(name);
  if (!type) return usage(`unknown Stripe event ${JSON.stringify(name)}: one of ${stripeTriggerTypes.join(', ')}`);
  if (values.key !== undefined) usage('--key is for Wix events; Stripe webhooks are signed with --secret');
  const refundedCents = cents('refunded', values.refunded);
  if (refundedCents !== undefined && type !== 'charge.refunded') usage('--refunded is for charge.refunded');
  if (refundedCents !== undefined && refundedCents > common.amountCents) usage(`--refunded (${refundedCents}) cannot exceed the amount paid (${common.amountCents})`);
  return {
    provider,
    type,
    secret: values.secret,
    paymentIntentId: text('payment-intent', values['payment-intent'], /^pi_[A-Za-z0-9]+$/, 'a PaymentIntent ID (pi_...)'),
    refundedCents,
    ...common,
  };
}
