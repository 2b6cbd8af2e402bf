import { eventCatalog, type EventType } from './catalog';
import { Topics } from './topics';

/**
 * The events partners may subscribe to: an order's, its checkout's, registrations and
 * fulfillment, as the order and fulfillment services publish them (not the providers' own).
 */
export const PARTNER_EVENT_TYPES: readonly EventType[] = (Object.keys(eventCatalog) as EventType[]).filter(
  (type) => /^(order|checkout|registration|fulfillment)\./.test(type) && (eventCatalog[type].topic === Topics.orders || eventCatalog[type].topic === Topics.fulfillment),
);

export function isPartnerEvent(type: string): boolean {
  return (PARTNER_EVENT_TYPES as readonly string[]).includes(type);
}

/**
 * The names the shops' own integrations use for our events (seed 003: payment.completed,
 * order.completed, payment.failed; seed 004: payment.completed), subscribable under that name
 * and delivered under it, with the same data as the event they stand for. A "completed" order in
 * seed 003 is a paid one. Seed 003's other names (checkout.started, order.pending, order.refunded,
 * order.disputed) are ours already.
 */
export const PARTNER_EVENT_ALIASES = {
  'payment.completed': 'order.paid',
  'order.completed': 'order.paid',
  'payment.failed': 'order.payment_failed',
} as const satisfies Record<string, EventType>;

export type PartnerEventAlias = keyof typeof PARTNER_EVENT_ALIASES;

function aliasFor(name: string): EventType | undefined {
  return (PARTNER_EVENT_ALIASES as Record<string, EventType>)[name];
}

/**
 * Whether a subscription pattern can ever match: `*`, a family with events (`order.*`), one of
 * the partner events, or an alias. Anything else would subscribe to nothing, silently.
 */
export function isKnownPattern(pattern: string): boolean {
  if (pattern === '*' || isPartnerEvent(pattern) || aliasFor(pattern)) return true;
  return pattern.endsWith('.*') && PARTNER_EVENT_TYPES.some((type) => type.startsWith(pattern.slice(0, -1)));
}

function matchesDirectly(pattern: string, type: string): boolean {
  return pattern === '*' || pattern === type || (pattern.endsWith('.*') && type.startsWith(pattern.slice(0, -1)));
}

/**
 * The name a subscription with `patterns` receives `type` under: the event's own name when a
 * pattern names it (or its family, or `*`), else the first alias it subscribed to that stands for
 * it; null when it does not want the event at all.
 */
export function deliveredName(patterns: readonly string[], type: string): string | null {
  if (patterns.some((pattern) => matchesDirectly(pattern, type))) return type;
  return patterns.find((pattern) => aliasFor(pattern) === type) ?? null;
}
