/**
 * Every Kafka topic Orderflow uses, by name. Services refer to these constants, never to string
 * literals, so a rename is one edit and a typo is a compile error.
 */
export const Topics = {
  stripeIngress: 'ingress.stripe.events',
  wixIngress: 'ingress.wix.events',
  orders: 'orders.events',
  fulfillment: 'fulfillment.events',
  /** Operational signals for on-call (signature-failure bursts), not business events. */
  operations: 'operations.events',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];

const DLQ_SUFFIX = '.dlq';

/**
 * The dead-letter topic of `topic`: `<topic>.dlq`. One per source topic (not one global DLQ) so a
 * replay tool can put a message back where it came from and per-topic alerting stays simple.
 */
export function deadLetterTopic(topic: string): string {
  return `${topic}${DLQ_SUFFIX}`;
}

export function isDeadLetterTopic(topic: string): boolean {
  return topic.endsWith(DLQ_SUFFIX);
}
