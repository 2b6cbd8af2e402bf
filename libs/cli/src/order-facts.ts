export const lineKinds = ['ticket', 'license', 'external'] as const;
export type LineKind = (typeof lineKinds)[number];

/** One line of `--items`: what the order service reads from Stripe `metadata.items`. */
export interface LineItem {
  productId: string;
  name?: string;
  quantity: number;
  unitAmountCents: number;
  kind?: LineKind;
  capacityKey?: string;
}

/** What a triggered event says about its order, whichever provider sends it. */
export interface OrderFacts {
  orderId: string;
  /** In the currency's smallest unit, as Stripe counts. */
  amountCents: number;
  /** ISO 4217, lower case (Stripe's spelling; Wix gets it upper case). */
  currency: string;
  email: string;
  /** The shop (Orderflow instance) the order belongs to; partner deliveries are per instance. */
  instanceId: string | null;
  items: readonly LineItem[] | null;
}

/** `1500` in `eur` as `15.00`: the decimal string Wix prices are written in. */
export function decimalAmount(cents: number): string {
  return (cents / 100).toFixed(2);
}
