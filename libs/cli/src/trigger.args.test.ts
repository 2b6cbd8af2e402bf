import { UsageError } from './cli-error';
import { parseTriggerArgs, type TriggerArgs } from './trigger.args';

function parsed(argv: string[]): TriggerArgs {
  const args = parseTriggerArgs(argv);
  if (args === 'help') throw new Error('expected arguments, got help');
  return args;
}

function usageError(argv: string[]): string {
  try {
    parseTriggerArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      expect(err.exitCode).toBe(2);
      expect(err.help).toContain('Usage: orderflow trigger');
      return err.message;
    }
    throw err;
  }
  throw new Error(`expected a usage error for ${argv.join(' ')}`);
}

describe('orderflow trigger arguments', () => {
  it('defaults to a new order of 20.00 USD sent to the local ingress', () => {
    expect(parsed(['stripe', 'payment_intent.succeeded'])).toEqual({
      provider: 'stripe',
      type: 'payment_intent.succeeded',
      amountCents: 2000,
      currency: 'usd',
      email: 'jenny.rosen@example.com',
      items: null,
      url: 'http://127.0.0.1:3000/api/webhooks/stripe',
      print: false,
    });
  });

  it('takes every option of a Stripe event', () => {
    const args = parsed([
      'stripe', 'charge.refunded', '--order', 'ord_1', '--amount', '1500', '--currency', 'EUR', '--email', 'ada@example.com',
      '--instance', 'shop-1', '--event-id', 'evt_fixed', '--url', 'http://localhost:3100', '--secret', 'whsec_x',
      '--payment-intent', 'pi_123', '--refunded', '500', '--data-dir', '/tmp/d', '--print',
    ]);
    expect(args).toEqual({
      provider: 'stripe',
      type: 'charge.refunded',
      orderId: 'ord_1',
      amountCents: 1500,
      currency: 'eur',
      email: 'ada@example.com',
      instanceId: 'shop-1',
      eventId: 'evt_fixed',
      url: 'http://localhost:3100/api/webhooks/stripe',
      secret: 'whsec_x',
      paymentIntentId: 'pi_123',
      refundedCents: 500,
      dataDir: '/tmp/d',
      print: true,
      items: null,
    });
  });

  it('names Wix events with or without their prefix, and keeps a --url that has a path', () => {
    const short = parsed(['wix', 'order_paid', '--key', 'wix.pem', '--url', 'https://tunnel.example.com/hooks/wix']);
    expect(short).toMatchObject({ provider: 'wix', type: 'wix.ecom.v1.order_paid', key: 'wix.pem', url: 'https://tunnel.example.com/hooks/wix' });
    expect(parsed(['wix', 'wix.ecom.v1.order_fulfilled'])).toMatchObject({ type: 'wix.ecom.v1.order_fulfilled', url: 'http://127.0.0.1:3000/api/webhooks/wix' });
  });

  it('reads --items, and the amount defaults to what they add up to', () => {
    const items = [
      { productId: 'concert', quantity: 2, unitAmountCents: 2500, kind: 'ticket', capacityKey: 'concert-2026' },
      { productId: 'gift-card', name: 'Gift card', unitAmountCents: 1000 },
    ];
    const args = parsed(['stripe', 'checkout.session.completed', '--items', JSON.stringify(items)]);
    expect(args.amountCents).toBe(6000);
    expect(args.items).toEqual([items[0], { ...items[1], quantity: 1 }]);
    expect(parsed(['stripe', 'checkout.session.completed', '--items', JSON.stringify(items), '--amount', '5000']).amountCents).toBe(5000);
  });

  it('says what is wrong with --items, field by field', () => {
    expect(usageError(['stripe', 'payment_intent.succeeded', '--items', '{'])).toMatch(/--items must be a JSON array/);
    expect(usageError(['stripe', 'payment_intent.succeeded', '--items', '[]'])).toMatch(/1 to 50 lines/);
    expect(usageError(['stripe', 'payment_intent.succeeded', '--items', '[{"productId":"p","unitAmount":5}]'])).toMatch(/--items\[0\] has unknown fields: unitAmount/);
    expect(usageError(['stripe', 'payment_intent.succeeded', '--items', '[{"productId":"p","unitAmountCents":1.5}]'])).toMatch(/--items\[0\]\.unitAmountCents/);
    expect(usageError(['stripe', 'payment_intent.succeeded', '--items', '[{"productId":"p","unitAmountCents":1,"kind":"seat"}]'])).toMatch(/kind must be one of ticket, license, external/);
    expect(usageError(['stripe', 'payment_intent.succeeded', '--items', '[{"productId":"p","unitAmountCents":0}]'])).toMatch(/add up to 0/);
  });

  it('refuses what cannot be sent, naming the option', () => {
    expect(usageError([])).toMatch(/which provider/);
    expect(usageError(['paypal', 'x'])).toMatch(/unknown provider "paypal"/);
    expect(usageError(['stripe'])).toMatch(/which stripe event\? One of: checkout.session.completed/);
    expect(usageError(['stripe', 'invoice.paid'])).toMatch(/unknown Stripe event "invoice.paid"/);
    expect(usageError(['wix', 'cart_created'])).toMatch(/unknown Wix event "cart_created": one of order_created, order_paid/);
    expect(usageError(['stripe', 'payment_intent.succeeded', '--amount', '15.00'])).toMatch(/smallest unit: 1500 for 15.00/);
    expect(usageError(['stripe', 'payment_intent.succeeded', '--amount', '0'])).toMatch(/--amount must be a whole number from 1/);
    expect(usageError(['stripe', 'payment_intent.succeeded', '--currency', 'euro'])).toMatch(/--currency must be a three-letter/);
    expect(usageError(['stripe', 'payment_intent.succeeded', '--email', 'nobody'])).toMatch(/--email must be an email address/);
    expect(usageError(['stripe', 'payment_intent.succeeded', '--url', 'localhost:3000'])).toMatch(/--url must be/);
    expect(usageError(['stripe', 'payment_intent.succeeded', '--url', 'ftp://x/'])).toMatch(/--url must be http or https/);
    expect(usageError(['stripe', 'payment_intent.succeeded', '--payment-intent', 'ch_1'])).toMatch(/PaymentIntent ID/);
    expect(usageError(['stripe', 'payment_intent.succeeded', '--refunded', '100'])).toMatch(/--refunded is for charge.refunded/);
    expect(usageError(['stripe', 'charge.refunded', '--amount', '100', '--refunded', '101'])).toMatch(/cannot exceed the amount paid \(100\)/);
    expect(usageError(['stripe', 'payment_intent.succeeded', '--key', 'k.pem'])).toMatch(/--key is for Wix/);
    expect(usageError(['wix', 'order_paid', '--secret', 'whsec_x'])).toMatch(/--secret is for Stripe events; Wix webhooks are signed with --key/);
    expect(usageError(['stripe', 'payment_intent.succeeded', '--colour', 'red'])).toMatch(/Unknown option '--colour'/);
    expect(usageError(['stripe', 'payment_intent.succeeded', 'extra'])).toMatch(/unexpected arguments: extra/);
  });

  it('answers help, whatever else is given', () => {
    expect(parseTriggerArgs(['--help'])).toBe('help');
    expect(parseTriggerArgs(['stripe', '-h'])).toBe('help');
  });
});
