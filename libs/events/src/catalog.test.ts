import { eventCatalog, isEventType, topicOf } from './catalog';
import { stripeEventTypes } from './stripe-events.schema';
import { deadLetterTopic, isDeadLetterTopic, Topics } from './topics';
import { wixEventTypes } from './wix-events.schema';

describe('event catalog', () => {
  it('declares every ingress event the ingress publishes, on its provider topic', () => {
    for (const type of stripeEventTypes) expect(topicOf(type)).toBe(Topics.stripeIngress);
    for (const type of wixEventTypes) expect(topicOf(type)).toBe(Topics.wixIngress);
  });

  it('has a source and a positive integer version for each entry', () => {
    for (const entry of Object.values(eventCatalog)) {
      expect(Number.isInteger(entry.version) && entry.version > 0).toBe(true);
      expect(entry.source).toBeTruthy();
    }
  });

  it('does not treat inherited object keys as event types', () => {
    expect(isEventType('toString')).toBe(false);
    expect(isEventType('charge.refunded')).toBe(true);
  });

  it('names dead-letter topics <topic>.dlq', () => {
    expect(deadLetterTopic(Topics.orders)).toBe('orders.events.dlq');
    expect(isDeadLetterTopic('orders.events.dlq')).toBe(true);
    expect(isDeadLetterTopic(Topics.orders)).toBe(false);
  });
});
