import { decodeEvent, encodeEvent, EventHeaders } from './codec';
import type { AnyEvent, EventOf } from './catalog';
import { EventValidationError } from './event-validation.error';
import { Topics } from './topics';

function paymentSucceeded(overrides: Partial<EventOf<'payment_intent.succeeded'>> = {}): EventOf<'payment_intent.succeeded'> {
  return {
    eventId: 'evt_1',
    type: 'payment_intent.succeeded',
    version: 1,
    source: 'stripe',
    orderKey: 'order-42',
    instanceId: null,
    occurredAt: '2026-01-02T03:04:05.000Z',
    receivedAt: '2026-01-02T03:04:06.000Z',
    traceId: 'trace-1',
    payload: {
      id: 'evt_1',
      object: 'event',
      type: 'payment_intent.succeeded',
      created: 1767323045,
      data: { object: { id: 'pi_1', object: 'payment_intent', metadata: { orderId: 'order-42' }, amount: 1200 } },
    },
    ...overrides,
  };
}

function orderPaid(): EventOf<'wix.ecom.v1.order_paid'> {
  return {
    eventId: 'wix-evt-1',
    type: 'wix.ecom.v1.order_paid',
    version: 1,
    source: 'wix',
    orderKey: 'wix-order-1',
    instanceId: 'instance-1',
    occurredAt: '2026-01-02T03:04:05+01:00',
    receivedAt: '2026-01-02T02:04:06.000Z',
    traceId: 'trace-2',
    payload: { id: 'wix-evt-1', entityId: 'wix-order-1', slug: 'order_paid', entity: { id: 'wix-order-1', number: '10001' } },
  };
}

describe('encodeEvent', () => {
  it('routes by the catalog, keys by order and carries identifying headers', () => {
    const encoded = encodeEvent(paymentSucceeded());
    expect(encoded.topic).toBe(Topics.stripeIngress);
    expect(encoded.key).toBe('order-42');
    expect(encoded.headers[EventHeaders.eventId]).toBe('evt_1');
    expect(encoded.headers[EventHeaders.type]).toBe('payment_intent.succeeded');
    expect(encoded.headers[EventHeaders.version]).toBe('1');
    expect(encodeEvent(orderPaid()).topic).toBe(Topics.wixIngress);
  });

  it('keeps provider fields the schema does not name (loose validation)', () => {
    const encoded = encodeEvent(paymentSucceeded());
    const decoded = JSON.parse(encoded.value.toString());
    expect(decoded.payload.data.object.amount).toBe(1200);
  });

  it('refuses an invalid event with a non-retriable error listing zod issues', () => {
    const bad = paymentSucceeded({ orderKey: '' });
    let thrown: unknown;
    try {
      encodeEvent(bad);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(EventValidationError);
    const err = thrown as EventValidationError;
    expect(err.retriable).toBe(false);
    expect(err.issues.map((i) => i.path.join('.'))).toContain('orderKey');
  });

  it('refuses a payload whose Stripe type does not match the envelope type', () => {
    const event = paymentSucceeded();
    const mismatched = { ...event, payload: { ...event.payload, type: 'charge.refunded' } } as unknown as AnyEvent;
    expect(() => encodeEvent(mismatched)).toThrow(/invalid payload of "payment_intent.succeeded"/);
  });

  it('refuses a Stripe object without metadata, which downstream needs for the order key', () => {
    const event = paymentSucceeded();
    const noMetadata = { ...event, payload: { ...event.payload, data: { object: { id: 'pi_1' } } } } as unknown as AnyEvent;
    expect(() => encodeEvent(noMetadata)).toThrow(EventValidationError);
  });

  it('refuses an event type missing from the catalog and a version the catalog does not have', () => {
    expect(() => encodeEvent({ ...paymentSucceeded(), type: 'invoice.paid' } as unknown as AnyEvent)).toThrow(/unknown event type "invoice.paid"/);
    expect(() => encodeEvent(paymentSucceeded({ version: 2 }))).toThrow(/unsupported version 2/);
  });
});

describe('decodeEvent', () => {
  it('round-trips what encodeEvent produced', () => {
    for (const event of [paymentSucceeded(), orderPaid()] as AnyEvent[]) {
      const result = decodeEvent({ value: encodeEvent(event).value });
      expect(result).toEqual({ ok: true, event });
    }
  });

  it.each([
    ['a null value', null, /empty message value/],
    ['an empty value', Buffer.alloc(0), /empty message value/],
    ['bytes that are not JSON', Buffer.from('{"eventId": "evt_1", '), /value is not JSON/],
    ['JSON that is not an envelope', Buffer.from('[1,2,3]'), /invalid envelope/],
    ['an envelope without a trace ID', Buffer.from(JSON.stringify({ ...paymentSucceeded(), traceId: undefined })), /invalid envelope.*traceId/s],
    ['a bad timestamp', Buffer.from(JSON.stringify({ ...paymentSucceeded(), occurredAt: 'yesterday' })), /occurredAt/],
    ['an unknown type', Buffer.from(JSON.stringify({ ...paymentSucceeded(), type: 'nope' })), /unknown event type "nope"/],
    ['a payload missing the Wix order entity', Buffer.from(JSON.stringify({ ...orderPaid(), payload: { id: 'x', entityId: 'y' } })), /invalid payload.*entity/s],
  ])('reports %s as not ok, with the reason, without throwing', (_what, value, reason) => {
    const result = decodeEvent({ value });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
});
