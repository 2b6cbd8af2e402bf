import type { FulfillmentOutcome, OrderSnapshot } from '@orderflow/events';
import type { AccountLinks } from './account-link';
import type { EmailMessage, EmailTemplates } from './email-templates';
import { customerLabel, greetingName, itemsOf, lineName, money, orderNumber } from './order-view';

type Tickets = NonNullable<FulfillmentOutcome['tickets']>;
type Licenses = NonNullable<FulfillmentOutcome['licenses']>;

/** Ticket and license IDs a mail carries: what a later fulfillment round need not mail again. */
export function itemIdsOf(tickets: Tickets, licenses: Licenses): string[] {
  return [...tickets.map((t) => `ticket:${t.ticketId}`), ...licenses.map((l) => `license:${l.licenseId}`)];
}

/**
 * Mails about orders, built from the order snapshot and, for fulfillments, what was issued. The
 * fulfillment event carries no lines or amounts, so the snapshot comes from the service's own
 * copy of orders.events; when that copy has not caught up (the topics are read independently),
 * the mail lists what was issued without the order's lines and total.
 */
export class OrderEmails {
  constructor(
    private readonly templates: EmailTemplates,
    private readonly shopName: string,
    /** Without them customer mails carry no link to the order history. */
    private readonly accountLinks?: AccountLinks,
  ) {}

  /**
   * The confirmation: tickets with their codes and signed QR payloads, licenses by their hint.
   * License keys never travel on Kafka, so the mail does not carry them: it shows the last
   * characters and points to the customer's account on the shop, where the fulfillment API
   * shows the key in full.
   */
  confirmation(order: OrderSnapshot | null, outcome: FulfillmentOutcome): EmailMessage {
    const waitlisted = new Set((outcome as { waitlistedLineIds?: unknown }).waitlistedLineIds as string[] | undefined);
    return withQr(outcome.tickets ?? [], this.templates.render('order-confirmation', {
      ...this.common(order, outcome),
      hasOrder: Boolean(order),
      items: order ? itemsOf(order) : [],
      total: order ? money(order.totalCents, order.currency) : null,
      waitlisted: order ? order.lines.filter((l) => waitlisted.has(l.lineId)).map((l) => ({ name: lineName(l) })) : [],
    }));
  }

  /** A later round of one order's fulfillment (a waitlisted line promoted): only what is new. */
  ticketsAdded(order: OrderSnapshot | null, outcome: FulfillmentOutcome, tickets: Tickets, licenses: Licenses): EmailMessage {
    return withQr(tickets, this.templates.render('tickets-added', this.common(order, { ...outcome, tickets, licenses })));
  }

  paymentFailed(order: OrderSnapshot): EmailMessage {
    return this.templates.render('payment-failed', { ...this.customerOrder(order), reason: order.reason });
  }

  /** `refundedCents` is what has been refunded so far, so a second partial refund reports the sum. */
  refund(order: OrderSnapshot): EmailMessage {
    return this.templates.render('refund', {
      ...this.customerOrder(order),
      refunded: money(order.refundedCents, order.currency),
      full: order.status === 'REFUNDED',
      reason: order.reason,
    });
  }

  adminNewOrder(order: OrderSnapshot): EmailMessage {
    return this.templates.render('admin-new-order', {
      shopName: this.shopName,
      orderNumber: orderNumber(order),
      orderId: order.orderId,
      customer: customerLabel(order.customer),
      source: order.source,
      instanceId: order.instanceId ?? '—',
      items: itemsOf(order),
      total: money(order.totalCents, order.currency),
    });
  }

  /** What a customer's mail about a known order shows around its own news: greeting, lines, total, sign-off. */
  private customerOrder(order: OrderSnapshot) {
    return {
      shopName: this.shopName,
      accountUrl: this.accountUrl(order.customer.email, order.instanceId),
      customerName: greetingName(order.customer),
      orderNumber: orderNumber(order),
      items: itemsOf(order),
      total: money(order.totalCents, order.currency),
    };
  }

  private common(order: OrderSnapshot | null, outcome: FulfillmentOutcome) {
    const lines = new Map((order?.lines ?? []).map((l) => [l.lineId, lineName(l)]));
    return {
      shopName: this.shopName,
      // The address the planner sends to: the fulfillment's customer first, as there.
      accountUrl: this.accountUrl(outcome.customer?.email ?? order?.customer.email ?? null, order?.instanceId ?? outcome.instanceId ?? null),
      customerName: greetingName(order?.customer ?? outcome.customer),
      orderNumber: order ? orderNumber(order) : outcome.orderId,
      tickets: (outcome.tickets ?? []).map((t) => ({
        name: lines.get(t.lineId) ?? t.capacityKey ?? 'Ticket',
        seat: t.seat + 1,
        code: t.code,
        qrPayload: t.qrPayload ?? null,
        qrCid: t.qrPayload ? qrCid(t.ticketId) : null,
      })),
      licenses: (outcome.licenses ?? []).map((l) => ({ name: lines.get(l.lineId) ?? l.productId, hint: l.keyHint })),
      /** "Show the code at the door" is for tickets; a licence-only order has no door. */
      hasTickets: (outcome.tickets ?? []).length > 0,
    };
  }

  /** The signed link to the customer's order history, for the address the mail goes to. */
  private accountUrl(email: string | null, instanceId: string | null): string | null {
    const address = email?.trim();
    return this.accountLinks && address ? this.accountLinks.for(address, instanceId) : null;
  }
}

/** The Content-ID of a ticket's QR image in its mail. */
export function qrCid(ticketId: string): string {
  return `qr-${ticketId}@orderflow`;
}

function withQr(tickets: Tickets, mail: EmailMessage): EmailMessage {
  const inlineQr = tickets.filter((t) => t.qrPayload).map((t) => ({ cid: qrCid(t.ticketId), payload: t.qrPayload! }));
  return inlineQr.length > 0 ? { ...mail, inlineQr } : mail;
}
