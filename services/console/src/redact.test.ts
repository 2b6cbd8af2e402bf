import { redactPayload, redactString, redactUrl, REDACTED } from './redact';

describe('redaction of what support sees', () => {
  it('masks secret-named fields at any depth in a Stripe event, keeping everything else', () => {
    const event = {
      id: 'evt_1',
      type: 'payment_intent.succeeded',
      data: {
        object: {
          id: 'pi_123',
          client_secret: 'pi_123_secret_abcdef',
          amount: 1_500,
          receipt_email: 'ada@example.com',
          metadata: { orderId: 'ord_1', api_key: 'k-123' },
          payment_method_details: { card: { brand: 'visa', last4: '4242', cvc: '123', number: '4242424242424242' } },
          charges: { data: [{ id: 'ch_1', billing_details: { name: 'Ada' } }] },
        },
      },
      request: { headers: { 'Stripe-Signature': 't=1,v1=abc', authorization: 'Bearer sk_live_x' } },
    };
    const shown = redactPayload(event) as typeof event;
    expect(shown.data.object.client_secret).toBe(REDACTED);
    expect(shown.data.object.metadata).toEqual({ orderId: 'ord_1', api_key: REDACTED });
    expect(shown.data.object.payment_method_details.card).toEqual({ brand: 'visa', last4: '4242', cvc: REDACTED, number: REDACTED });
    expect(shown.request.headers).toEqual({ 'Stripe-Signature': REDACTED, authorization: REDACTED });
    expect(shown.data.object.amount).toBe(1_500);
    expect(shown.data.object.charges.data[0]).toEqual({ id: 'ch_1', billing_details: { name: 'Ada' } });
    expect(event.data.object.client_secret).toBe('pi_123_secret_abcdef');
  });

  it('masks secrets recognisable by their shape inside any string', () => {
    const text = 'failed with sk_live_abcdefgh1234 and whsec_abcdefghijk, pi_9_secret_zzz; signature t=1,v1=' + 'a'.repeat(64);
    expect(redactString(text)).toBe(`failed with sk_live_${REDACTED} and whsec_${REDACTED}, pi_9_secret_${REDACTED}; signature t=1,v1=${REDACTED}`);
    expect(redactPayload({ note: 'key rk_test_abcdefgh99' })).toEqual({ note: `key rk_test_${REDACTED}` });
    // A card number passes Luhn; an order number or amount of digits does not look like one.
    expect(redactPayload({ pan: '4242 4242 4242 4242', number: '10042', id: '1234567890123' })).toEqual({ pan: REDACTED, number: '10042', id: '1234567890123' });
  });

  it('masks ticket QR payloads and license keys by name, and leaves null and empty values as they are', () => {
    expect(redactPayload({ qrPayload: 'OF1.x', licenseKey: 'KEY-1', secret: null, token: '' })).toEqual({ qrPayload: REDACTED, licenseKey: REDACTED, secret: null, token: '' });
  });

  it('shows a URL without its credentials or query values', () => {
    expect(redactUrl('https://user:pw@partner.example.com/hooks?token=abc&x=1')).toBe(`https://${REDACTED}@partner.example.com/hooks?token=${REDACTED}&x=${REDACTED}`);
    expect(redactUrl('https://partner.example.com/hooks')).toBe('https://partner.example.com/hooks');
    expect(redactUrl('not a url')).toBe(REDACTED);
  });

  it('cuts a pathologically deep document instead of walking it forever', () => {
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 100; i += 1) deep = { next: deep };
    expect(JSON.stringify(redactPayload(deep))).toContain('[truncated]');
  });
});
