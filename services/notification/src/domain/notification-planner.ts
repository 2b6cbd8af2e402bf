import type { AnyEvent, EventOf, OrderSnapshot } from '@orderflow/events';
import type { ChannelName } from '../adapters/channel';
import { isDiscordEvent, discordEmbed } from '../adapters/messages/discord-embeds';
import type { EmailMessage } from '../adapters/messages/email-templates';
import { itemIdsOf, type OrderEmails } from '../adapters/messages/order-emails';
import { fulfillmentFailedAlert, signatureFailuresAlert, subscriptionDisabledAlert, unmatchedPaymentAlert } from '../adapters/messages/slack-alerts';
import type { NotificationDraft } from './notification';
import type { OrderFacts } from './order-facts';

/** Discord and Slack have one recipient each: the webhook's channel. */
export const WEBHOOK_RECIPIENT = 'webhook';

export interface PlannerOptions {
  emails: OrderEmails;
  /** Channels configured; nothing is planned for the others. */
  channels: ReadonlySet<ChannelName>;
  adminEmail?: string;
}

/** An address worth sending to, as the unique key compares it; null when there is none. */
export function mailbox(address: string | null | undefined): string | null {
  const trimmed = address?.trim().toLowerCase();
  return trimmed && /^[^\s@]+@[^\s@]+$/.test(trimmed) ? trimmed : null;
}

/**
 * Which notifications an order or fulfillment event calls for:
 *
 * | event | email | Discord | Slack |
 * | --- | --- | --- | --- |
 * | checkout.started, order.pending, order.disputed | | embed | |
 * | order.paid | new-order mail to the shop's admin | embed | |
 * | order.payment_failed | payment failed, to the customer | embed | |
 * | order.refunded | refund (full or partial), to the customer | embed | |
 * | fulfillment.completed | the confirmation, with tickets and licenses | | |
 * | fulfillment.failed | | | alert |
 * | payment.unmatched | | | alert |
 * | ingress.signature_failures | | | alert (one per ingress replica and minute with any) |
 * | subscription.disabled | | | alert |
 *
 * The confirmation goes on fulfillment.completed, not order.paid: only then are the ticket codes
 * known, and every approved order is fulfilled (external-only orders too, with nothing issued),
 * so every paid order gets one. It is keyed by order, not event: an admin's retry or a replay
 * publishes another fulfillment.completed, and a customer never gets two confirmations. A later
 * round that issued something new (a waitlisted line promoted) mails just the new items.
 */
export class NotificationPlanner {
  constructor(private readonly options: PlannerOptions) {}

  /** The orders whose stored facts planning `events` reads: those of fulfillments, when mail is on. */
  ordersToLookUp(events: readonly AnyEvent[]): string[] {
    if (!this.options.channels.has('email')) return [];
    return events.flatMap((event) => (event.type === 'fulfillment.completed' ? [event.payload.orderId] : []));
  }

  /** `facts` must hold the orders `ordersToLookUp` named, as of just before this event. */
  plan(event: AnyEvent, facts: OrderFacts): NotificationDraft[] {
    const drafts: Array<NotificationDraft | null> = [];
    switch (event.type) {
      case 'checkout.started':
        drafts.push(this.discord(event, event.payload.order));
        break;
      case 'order.pending':
      case 'order.disputed':
        drafts.push(this.discord(event, event.payload));
        break;
      case 'order.paid':
        drafts.push(this.discord(event, event.payload));
        drafts.push(this.email(event, 'admin-new-order', event.eventId, this.options.adminEmail, event.payload.orderId, () => this.options.emails.adminNewOrder(event.payload)));
        break;
      case 'order.payment_failed':
        drafts.push(this.discord(event, event.payload));
        drafts.push(this.email(event, 'payment-failed', event.eventId, event.payload.customer.email, event.payload.orderId, () => this.options.emails.paymentFailed(event.payload)));
        break;
      case 'order.refunded':
        drafts.push(this.discord(event, event.payload));
        drafts.push(this.email(event, 'refund', event.eventId, event.payload.customer.email, event.payload.orderId, () => this.options.emails.refund(event.payload)));
        break;
      case 'fulfillment.completed':
        drafts.push(this.fulfilled(event, facts));
        break;
      case 'fulfillment.failed':
        drafts.push(this.slack(event, event.payload.orderId, 'fulfillment-failed', fulfillmentFailedAlert(event.payload)));
        break;
      case 'payment.unmatched':
        drafts.push(this.slack(event, null, 'unmatched-payment', unmatchedPaymentAlert(event.payload)));
        break;
      case 'ingress.signature_failures':
        drafts.push(this.slack(event, null, 'signature-failures', signatureFailuresAlert(event.payload)));
        break;
      case 'subscription.disabled':
        drafts.push(this.slack(event, null, 'subscription-disabled', subscriptionDisabledAlert(event.payload)));
        break;
      default:
        break;
    }
    return drafts.filter((d): d is NotificationDraft => d !== null);
  }

  private fulfilled(event: EventOf<'fulfillment.completed'>, facts: OrderFacts): NotificationDraft | null {
    const outcome = event.payload;
    const order = facts.order(outcome.orderId);
    const to = mailbox(outcome.customer?.email ?? order?.customer.email);
    if (!to || !this.options.channels.has('email')) return null;
    const tickets = outcome.tickets ?? [];
    const licenses = outcome.licenses ?? [];
    const mailed = facts.mailedItems(outcome.orderId);
    if (!mailed) {
      return this.email(event, 'order-confirmation', `order-confirmation:${outcome.orderId}`, to, outcome.orderId, () => this.options.emails.confirmation(order, outcome), itemIdsOf(tickets, licenses));
    }
    const newTickets = tickets.filter((t) => !mailed.has(`ticket:${t.ticketId}`));
    const newLicenses = licenses.filter((l) => !mailed.has(`license:${l.licenseId}`));
    if (newTickets.length === 0 && newLicenses.length === 0) return null;
    return this.email(event, 'tickets-added', event.eventId, to, outcome.orderId, () => this.options.emails.ticketsAdded(order, outcome, newTickets, newLicenses), itemIdsOf(newTickets, newLicenses));
  }

  private discord(event: AnyEvent, order: OrderSnapshot): NotificationDraft | null {
    if (!this.options.channels.has('discord') || !isDiscordEvent(event.type)) return null;
    return { ...this.about(event, order.orderId), dedupeKey: event.eventId, channel: 'discord', recipient: WEBHOOK_RECIPIENT, kind: event.type, message: discordEmbed(event.type, order, event.occurredAt) };
  }

  private slack(event: AnyEvent, orderId: string | null, kind: string, message: unknown): NotificationDraft | null {
    if (!this.options.channels.has('slack')) return null;
    return { ...this.about(event, orderId), dedupeKey: event.eventId, channel: 'slack', recipient: WEBHOOK_RECIPIENT, kind, message };
  }

  /** Rendered only when it will be written: no address, or mail not configured, renders nothing. */
  private email(event: AnyEvent, kind: string, dedupeKey: string, address: string | null | undefined, orderId: string, render: () => EmailMessage, itemIds?: string[]): NotificationDraft | null {
    const to = mailbox(address);
    if (!to || !this.options.channels.has('email')) return null;
    return { ...this.about(event, orderId), dedupeKey, channel: 'email', recipient: to, kind, message: render(), itemIds };
  }

  private about(event: AnyEvent, orderId: string | null) {
    return { eventId: event.eventId, eventType: event.type, orderId };
  }
}
