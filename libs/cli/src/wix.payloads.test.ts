import { generateKeyPairSync } from 'node:crypto';
import { wixEventTypes, wixOrderEventSchema } from '@orderflow/events';
import { signWixWebhook, wixSigningKey } from './wix.jwt';
import { buildWixWebhook, wixTriggerType, wixTriggerTypes, type WixEventInput } from './wix.payloads';

const pair = () => generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
const keys = pair();
const input: Omit<WixEventInput, 'type'> = {
  orderId: '3f1c2d4e-0000-4000-8000-000000000001',
  amountCents: 4999,
  currency: 'eur',
  email: 'ada@example.com',
  instanceId: 'instance-1',
  items: null,
};

/** What the ingress does with a Wix webhook: verify the JWT (RS256 only), then unwrap each level. */
async function receive(token: string, publicKey = keys.publicKey) {
  const jose = await import('jose');
  const { payload, protectedHeader } = await jose.jwtVerify(token, await jose.importSPKI(publicKey, 'RS256'), { algorithms: ['RS256'] });
  const envelope = JSON.parse(payload.data as string) as { eventType: string; instanceId: string; data: string; identity: string };
  const data = JSON.parse(envelope.data) as Record<string, any>;
  const nested = data.createdEvent?.entityAsJson ?? data.updatedEvent?.currentEntityAsJson ?? JSON.parse(data.actionEvent.bodyAsJson).order;
  const entity = typeof nested === 'string' ? JSON.parse(nested) : nested;
  const { createdEvent: _c, updatedEvent: _u, actionEvent: _a, ...rest } = data;
  return { protectedHeader, envelope, data, entity, payload: { ...rest, entity } };
}

describe('Wix webhooks for orderflow trigger', () => {
  it('covers exactly the Wix events Orderflow handles, by full or short name', () => {
    expect([...wixTriggerTypes].sort()).toEqual([...wixEventTypes].sort());
    expect(wixTriggerType('order_paid')).toBe('wix.ecom.v1.order_paid');
    expect(wixTriggerType('wix.ecom.v1.order_canceled')).toBe('wix.ecom.v1.order_canceled');
    expect(wixTriggerType('cart_created')).toBeNull();
  });

  it.each(wixTriggerTypes)('signs %s as an RS256 JWT that verifies and unwraps to an order the catalog schema accepts', async (type) => {
    const webhook = buildWixWebhook({ ...input, type });
    const received = await receive(signWixWebhook(webhook, wixSigningKey(keys.privateKey)));
    expect(received.protectedHeader).toEqual({ alg: 'RS256', typ: 'JWT' });
    expect(received.envelope).toMatchObject({ eventType: type, instanceId: 'instance-1' });
    expect(received.data).toMatchObject({ id: webhook.event.id, entityFqdn: 'wix.ecom.v1.order', entityId: input.orderId });
    expect(wixOrderEventSchema.safeParse(received.payload).success).toBe(true);
    expect(received.entity).toMatchObject({ id: input.orderId, currency: 'EUR', buyerInfo: { email: 'ada@example.com' }, priceSummary: { total: { amount: '49.99', formattedAmount: '€49.99' } } });
  });

  it('puts the order where each kind of Wix event keeps it, with the state the event reports', async () => {
    const sign = async (type: WixEventInput['type']) => receive(signWixWebhook(buildWixWebhook({ ...input, type }), wixSigningKey(keys.privateKey)));
    expect((await sign('wix.ecom.v1.order_created')).data.createdEvent.entityAsJson).toEqual(expect.any(String));
    expect((await sign('wix.ecom.v1.order_updated')).data.updatedEvent.currentEntityAsJson).toEqual(expect.any(String));
    expect((await sign('wix.ecom.v1.order_paid')).entity).toMatchObject({ paymentStatus: 'PAID', status: 'INITIALIZED' });
    expect((await sign('wix.ecom.v1.order_approved')).entity).toMatchObject({ status: 'APPROVED' });
    expect((await sign('wix.ecom.v1.order_canceled')).entity).toMatchObject({ status: 'CANCELED' });
    expect((await sign('wix.ecom.v1.order_fulfilled')).entity).toMatchObject({ fulfillmentStatus: 'FULFILLED' });
  });

  it('writes --items as Wix line items with decimal prices, and one test item without them', () => {
    const items = [{ productId: 'poster', name: 'Poster', quantity: 3, unitAmountCents: 1250 }];
    const lines = buildWixWebhook({ ...input, type: 'wix.ecom.v1.order_created', items, amountCents: 3750 }).order.lineItems as Array<Record<string, any>>;
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ productName: { original: 'Poster' }, catalogReference: { catalogItemId: 'poster' }, quantity: 3, price: { amount: '12.50' }, totalPriceAfterTax: { amount: '37.50' } });
    const single = buildWixWebhook({ ...input, type: 'wix.ecom.v1.order_created' }).order.lineItems as Array<Record<string, any>>;
    expect(single).toMatchObject([{ quantity: 1, price: { amount: '49.99' } }]);
  });

  it('gives one order the same number and checkout in every event', () => {
    const a = buildWixWebhook({ ...input, type: 'wix.ecom.v1.order_created' }).order;
    const b = buildWixWebhook({ ...input, type: 'wix.ecom.v1.order_paid' }).order;
    expect(b.number).toBe(a.number);
    expect(b.checkoutId).toBe(a.checkoutId);
  });

  it('signs a JWT another key does not verify, and refuses keys that cannot sign RS256', async () => {
    const token = signWixWebhook(buildWixWebhook({ ...input, type: 'wix.ecom.v1.order_paid' }), wixSigningKey(keys.privateKey));
    await expect(receive(token, pair().publicKey)).rejects.toThrow(/signature verification failed/);
    expect(wixSigningKey(keys.privateKey.replace(/\n/g, '\\n')).asymmetricKeyType).toBe('rsa');
    expect(() => wixSigningKey('not a key')).toThrow(/not a PEM private key/);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    expect(() => wixSigningKey(ec.privateKey)).toThrow('the Wix key is an ec key, not RSA: Wix signs with RS256');
  });
});
