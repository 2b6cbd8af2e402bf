import type { FulfillmentOutcome, SignatureFailures, SubscriptionDisabled, UnmatchedPayment } from '@orderflow/events';

/** An incoming-webhook message: `text` is what phones and the channel list show. */
export interface SlackMessage {
  text: string;
}

// Slack truncates past 40,000 characters; an error worth reading is far shorter.
const clip = (text: string, max = 500) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

export function fulfillmentFailedAlert(outcome: FulfillmentOutcome): SlackMessage {
  const retry = outcome.retriable ? 'Fix the cause, then `POST /admin/fulfillments/<order>/retry` on the fulfillment service.' : 'Not retriable: the order needs changing.';
  return { text: `:rotating_light: *Fulfillment failed* for order \`${outcome.orderId}\`\n>${clip(outcome.reason ?? 'no reason given')}\n${retry}` };
}

export function unmatchedPaymentAlert(payment: UnmatchedPayment): SlackMessage {
  const amount = `${(payment.amountCents / 100).toFixed(2)} ${payment.currency.toUpperCase()}`;
  return {
    text:
      `:moneybag: *Unmatched payment*: ${amount} from ${payment.provider} (\`${payment.providerPaymentRef}\`, ${payment.causeType}) matches no order.\n` +
      'It is kept: match it by hand from `GET /admin/payments/unmatched` on the order service.',
  };
}

export function signatureFailuresAlert(report: SignatureFailures): SlackMessage {
  const sources = Object.entries(report.bySource).map(([source, n]) => `${source}: ${n}`).join(', ');
  return {
    text:
      `:lock: *Webhook signatures refused*: ${report.total} between ${report.windowStart} and ${report.windowEnd} on ${report.replica} (${sources}).\n` +
      `>${clip(report.reasons.join('; '))}\n` +
      'A rotated secret missing from STRIPE_WEBHOOK_SECRET / WIX_PUBLIC_KEY, or someone forging requests.',
  };
}

export function subscriptionDisabledAlert(disabled: SubscriptionDisabled): SlackMessage {
  return {
    text:
      `:no_entry: *Partner subscription disabled*: \`${disabled.subscriptionId}\` of instance \`${disabled.instanceId}\` (${disabled.endpoint}): ${clip(disabled.reason)}.\n` +
      'Its deliveries are held, not dropped; re-enabling it (PATCH active: true) sends them.',
  };
}

export interface DeadLetterFacts {
  topic: string;
  eventId: string;
  eventType: string;
  orderKey: string;
  reason: string;
  error: string;
  group: string;
  attempts: string;
}

export function deadLetterAlert(facts: DeadLetterFacts): SlackMessage {
  return {
    text:
      `:skull: *Event dead-lettered* on \`${facts.topic}\` by \`${facts.group}\` (${facts.reason}, ${facts.attempts} attempts)\n` +
      `${facts.eventType} \`${facts.eventId}\`, order \`${facts.orderKey}\`\n>${clip(facts.error)}`,
  };
}

export function repeatedWebhookFailuresAlert(count: number, threshold: number, bySource: ReadonlyArray<{ source: string; count: number }>): SlackMessage {
  const sources = bySource.map((s) => `${s.source}: ${s.count}`).join(', ');
  return {
    text:
      `:warning: *Repeated webhook failures*: ${count} provider events dead-lettered in the last hour (more than ${threshold}). ${sources}.\n` +
      'The order service could not process them; see the ingress DLQ topics. Next alert at the earliest in an hour.',
  };
}
