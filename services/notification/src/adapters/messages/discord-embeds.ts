import type { OrderSnapshot } from '@orderflow/events';
import { customerLabel, itemsOf, money, orderNumber } from './order-view';

/** The order events the shop's Discord hears about, and how each looks (seed 003). */
export const DISCORD_STYLES = {
  'checkout.started': { title: '🛒 Checkout started', color: 0xf97316 },
  'order.pending': { title: '⏳ Order pending payment', color: 0xeab308 },
  'order.paid': { title: '🎉 Order completed', color: 0x22c55e },
  'order.payment_failed': { title: '❌ Payment failed', color: 0xef4444 },
  'order.refunded': { title: '💸 Order refunded', color: 0x9ca3af },
  'order.disputed': { title: '⚠️ Order disputed', color: 0xa855f7 },
} as const;

export type DiscordEventType = keyof typeof DISCORD_STYLES;

export function isDiscordEvent(type: string): type is DiscordEventType {
  return Object.prototype.hasOwnProperty.call(DISCORD_STYLES, type);
}

export interface DiscordMessage {
  embeds: Array<{
    title: string;
    color: number;
    timestamp: string;
    fields: Array<{ name: string; value: string; inline?: boolean }>;
    footer: { text: string };
  }>;
  /** Never ping @everyone because a customer is called that. */
  allowed_mentions: { parse: [] };
}

// Discord refuses the whole message when a field value exceeds 1,024 characters.
const FIELD_MAX = 1_024;

function clip(text: string, max = FIELD_MAX): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** One embed per order event: the order's number, customer, items and amount, colour-coded. */
export function discordEmbed(type: DiscordEventType, order: OrderSnapshot, occurredAt: string): DiscordMessage {
  const style = DISCORD_STYLES[type];
  const items = itemsOf(order).map((i) => `${i.quantity} × ${i.name} — ${i.amount}`);
  const fields: DiscordMessage['embeds'][number]['fields'] = [
    { name: 'Order', value: clip(orderNumber(order)), inline: true },
    { name: 'Customer', value: clip(customerLabel(order.customer)), inline: true },
    type === 'order.refunded'
      ? { name: 'Refunded', value: `${money(order.refundedCents, order.currency)} of ${money(order.totalCents, order.currency)}`, inline: true }
      : { name: 'Amount', value: money(order.totalCents, order.currency), inline: true },
    { name: 'Items', value: clip(items.join('\n') || '—') },
  ];
  if (type === 'order.pending' || type === 'checkout.started') fields.push({ name: 'Payment', value: order.source, inline: true });
  if (order.reason && (type === 'order.payment_failed' || type === 'order.refunded' || type === 'order.disputed')) {
    fields.push({ name: 'Reason', value: clip(order.reason) });
  }
  return {
    embeds: [{ title: style.title, color: style.color, timestamp: occurredAt, fields, footer: { text: `${order.status} · ${order.orderId}` } }],
    allowed_mentions: { parse: [] },
  };
}
