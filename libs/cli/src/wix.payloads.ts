import { createHash, randomUUID } from 'node:crypto';
import { wixEventTypes, type WixEventType } from '@orderflow/events';
import { decimalAmount, type LineItem, type OrderFacts } from './order-facts';

/** The Wix eCommerce order events the ingress publishes and the order service handles: the catalog's, every one. */
export const wixTriggerTypes = wixEventTypes;
export type WixTriggerType = WixEventType;

/** `order_paid` or `wix.ecom.v1.order_paid`. */
export function wixTriggerType(name: string): WixTriggerType | null {
  const full = name.startsWith('wix.') ? name : `wix.ecom.v1.${name}`;
  return (wixTriggerTypes as readonly string[]).includes(full) ? (full as WixTriggerType) : null;
}

export interface WixEventInput extends OrderFacts {
  type: WixTriggerType;
  /** Wix always names the site's app instance. */
  instanceId: string;
  eventId?: string;
  now?: Date;
}

/**
 * A Wix webhook before signing, each level as Wix nests it: the JWT's `data` claim is the JSON
 * of `envelope`, whose `data` is the JSON of `event`, which holds the order (`order`) as JSON
 * again in `createdEvent.entityAsJson`, `updatedEvent.currentEntityAsJson` or
 * `actionEvent.bodyAsJson`.
 */
export interface WixWebhook {
  envelope: { data: string; instanceId: string; eventType: WixTriggerType; identity: string };
  event: Record<string, unknown> & { id: string; entityId: string };
  order: Record<string, unknown> & { id: string };
}

/** What each event says about the order's state (Wix sends the whole order every time). */
const STATES: Record<WixTriggerType, { slug: string; status: string; paymentStatus: string; fulfillmentStatus: string }> = {
  'wix.ecom.v1.order_created': { slug: 'created', status: 'INITIALIZED', paymentStatus: 'NOT_PAID', fulfillmentStatus: 'NOT_FULFILLED' },
  'wix.ecom.v1.order_updated': { slug: 'updated', status: 'INITIALIZED', paymentStatus: 'NOT_PAID', fulfillmentStatus: 'NOT_FULFILLED' },
  'wix.ecom.v1.order_paid': { slug: 'paid', status: 'INITIALIZED', paymentStatus: 'PAID', fulfillmentStatus: 'NOT_FULFILLED' },
  'wix.ecom.v1.order_approved': { slug: 'approved', status: 'APPROVED', paymentStatus: 'PAID', fulfillmentStatus: 'NOT_FULFILLED' },
  'wix.ecom.v1.order_canceled': { slug: 'canceled', status: 'CANCELED', paymentStatus: 'NOT_PAID', fulfillmentStatus: 'NOT_FULFILLED' },
  'wix.ecom.v1.order_fulfilled': { slug: 'fulfilled', status: 'APPROVED', paymentStatus: 'PAID', fulfillmentStatus: 'FULFILLED' },
};

/** A stable GUID from a seed: the same order keeps the same buyer, checkout and line IDs. */
function guid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function money(cents: number, currency: string) {
  const amount = decimalAmount(cents);
  return { amount, formattedAmount: new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() }).format(cents / 100) };
}

function lineItems(input: WixEventInput): Array<Record<string, unknown>> {
  const items: readonly LineItem[] = input.items ?? [{ productId: guid(`product:${input.orderId}`), name: 'Orderflow test item', quantity: 1, unitAmountCents: input.amountCents }];
  return items.map((item, index) => {
    const total = item.unitAmountCents * item.quantity;
    return {
      id: guid(`line:${input.orderId}:${index}`),
      productName: { original: item.name ?? item.productId, translated: item.name ?? item.productId },
      catalogReference: { catalogItemId: item.productId, appId: '215238eb-22a5-4c36-9e7b-e7c08025e04e' },
      quantity: item.quantity,
      totalDiscount: money(0, input.currency),
      descriptionLines: [],
      itemType: { preset: 'PHYSICAL' },
      price: money(item.unitAmountCents, input.currency),
      priceBeforeDiscounts: money(item.unitAmountCents, input.currency),
      totalPriceBeforeTax: money(total, input.currency),
      totalPriceAfterTax: money(total, input.currency),
      paymentOption: 'FULL_PAYMENT_ONLINE',
      taxDetails: { taxRate: '0.0', totalTax: money(0, input.currency) },
    };
  });
}

/** The eCommerce Order entity as Wix sends it in order webhooks (abridged). */
function orderEntity(input: WixEventInput, time: string): WixWebhook['order'] {
  const state = STATES[input.type];
  const total = money(input.amountCents, input.currency);
  const zero = money(0, input.currency);
  const paid = state.paymentStatus === 'PAID';
  return {
    id: input.orderId,
    number: String(10_000 + (parseInt(createHash('sha256').update(input.orderId).digest('hex').slice(0, 8), 16) % 90_000)),
    createdDate: time,
    updatedDate: time,
    lineItems: lineItems(input),
    buyerInfo: { contactId: guid(`contact:${input.email}`), email: input.email, visitorId: guid(`visitor:${input.email}`) },
    paymentStatus: state.paymentStatus,
    fulfillmentStatus: state.fulfillmentStatus,
    buyerLanguage: 'en',
    weightUnit: 'KG',
    currency: input.currency.toUpperCase(),
    taxIncludedInPrices: false,
    siteLanguage: 'en',
    priceSummary: { subtotal: total, shipping: zero, tax: zero, discount: zero, totalPrice: total, total, totalWithGiftCard: total, totalWithoutGiftCard: total, totalAdditionalFees: zero },
    billingInfo: { address: { country: 'US', postalCode: '94103' }, contactDetails: { firstName: 'Jenny', lastName: 'Rosen' } },
    status: state.status,
    archived: false,
    taxSummary: { totalTax: zero },
    appliedDiscounts: [],
    activities: [{ id: guid(`activity:${input.orderId}`), createdDate: time, type: 'ORDER_PLACED' }],
    attributionSource: 'UNSPECIFIED',
    channelInfo: { type: 'WEB' },
    checkoutId: guid(`checkout:${input.orderId}`),
    payNow: total,
    balanceSummary: { balance: paid ? zero : total, paid: paid ? total : zero },
  };
}

export function buildWixWebhook(input: WixEventInput): WixWebhook {
  const time = (input.now ?? new Date()).toISOString();
  const order = orderEntity(input, time);
  const { slug } = STATES[input.type];
  const body =
    input.type === 'wix.ecom.v1.order_created'
      ? { createdEvent: { entityAsJson: JSON.stringify(order) } }
      : input.type === 'wix.ecom.v1.order_updated'
        ? { updatedEvent: { currentEntityAsJson: JSON.stringify(order) } }
        : { actionEvent: { bodyAsJson: JSON.stringify(input.type === 'wix.ecom.v1.order_canceled' ? { order, sendOrderCanceledEmail: false, restockAllItems: false } : { order }) } };
  const event = { id: input.eventId ?? randomUUID(), entityFqdn: 'wix.ecom.v1.order', slug, entityId: input.orderId, ...body, eventTime: time, triggeredByAnonymizeRequest: false };
  // A buyer's visit causes the order's creation and payment; the shop's app the rest.
  const identity = slug === 'created' || slug === 'paid' ? { identityType: 'ANONYMOUS_VISITOR', anonymousVisitorId: (order.buyerInfo as { visitorId: string }).visitorId } : { identityType: 'APP', appId: guid(`app:${input.instanceId}`) };
  return {
    envelope: { data: JSON.stringify(event), instanceId: input.instanceId, eventType: input.type, identity: JSON.stringify(identity) },
    event,
    order,
  };
}
