import type { OrderSnapshot } from '@orderflow/events';

/**
 * Amounts are in the currency's minor unit (Stripe's convention): cents for EUR, yen for JPY.
 * Intl knows each currency's number of decimals, so 1234 is €12.34 but ¥1,234.
 */
export function money(minor: number, currency: string): string {
  const { format, digits } = formatOf(currency.toUpperCase());
  return format.format(minor / 10 ** digits);
}

/** A formatter per currency, made once: making one costs far more than formatting with it. */
const formats = new Map<string, { format: Intl.NumberFormat; digits: number }>();

function formatOf(currency: string): { format: Intl.NumberFormat; digits: number } {
  let known = formats.get(currency);
  if (!known) {
    const format = new Intl.NumberFormat('en', { style: 'currency', currency });
    known = { format, digits: format.resolvedOptions().maximumFractionDigits ?? 2 };
    // Currencies come from orders; a bounded map whatever they say.
    if (formats.size < 500) formats.set(currency, known);
  }
  return known;
}

/** What people call the order: Wix's number when there is one, else our ID. */
export function orderNumber(order: Pick<OrderSnapshot, 'orderId' | 'references'>): string {
  return order.references.wixOrderNumber ? `#${order.references.wixOrderNumber}` : order.orderId;
}

export function lineName(line: Pick<OrderSnapshot['lines'][number], 'name' | 'productId'>): string {
  return line.name ?? line.productId;
}

export function itemsOf(order: OrderSnapshot): Array<{ quantity: number; name: string; amount: string }> {
  return order.lines.map((line) => ({ quantity: line.quantity, name: lineName(line), amount: money(line.quantity * line.unitAmountCents, order.currency) }));
}

/** "Ada Lovelace <ada@example.com>", or whichever half is known. */
export function customerLabel(customer: OrderSnapshot['customer']): string {
  if (customer.name && customer.email) return `${customer.name} <${customer.email}>`;
  return customer.name ?? customer.email ?? 'unknown customer';
}

export function greetingName(customer: { name: string | null } | undefined): string {
  return customer?.name?.trim() || 'there';
}
