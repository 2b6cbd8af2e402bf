import { randomUUID } from 'node:crypto';
import { callApi } from '@orderflow/service-testing';
import { tempDir, waitFor } from '@orderflow/testing';
import Stripe from 'stripe';
import { startOneMachine, type OneMachine } from '../src';

describe('one machine: every service in one process on embedded defaults', () => {
  const dir = tempDir();
  const env = { DATA_DIR: dir.path, PORT: '0', KAFKA_PORT: '0', LOG_LEVEL: 'silent' };
  let machine: OneMachine | undefined;
  afterAll(async () => {
    await machine?.stop();
    dir.remove();
  });

  it('takes a signed Stripe payment to a FULFILLED order, and keeps it across a restart', async () => {
    machine = await startOneMachine(env);
    const secrets = JSON.parse(require('node:fs').readFileSync(machine.secretsFile, 'utf8')) as { ADMIN_TOKEN: string; STRIPE_WEBHOOK_SECRET: string };
    for (const url of Object.values(machine.urls)) expect((await fetch(`${url}/readyz`)).status).toBe(200);

    const orderId = `ord_${randomUUID()}`;
    const pi = {
      id: `pi_${randomUUID().replace(/-/g, '')}`,
      object: 'payment_intent',
      amount: 1_500,
      amount_received: 1_500,
      currency: 'eur',
      status: 'succeeded',
      receipt_email: 'ada@example.com',
      metadata: { orderId, instanceId: 'local', items: JSON.stringify([{ productId: 'gift-card', quantity: 1, unitAmountCents: 1_500, kind: 'external' }]) },
    };
    const event = { id: `evt_${randomUUID().replace(/-/g, '')}`, object: 'event', type: 'payment_intent.succeeded', created: Math.floor(Date.now() / 1000), livemode: false, data: { object: pi } };
    const body = JSON.stringify(event);
    const signature = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: secrets.STRIPE_WEBHOOK_SECRET });
    const accepted = await fetch(`${machine.urls.ingress}/api/webhooks/stripe`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': signature }, body });
    expect(accepted.status).toBe(200);

    const admin = (url: string, path: string) => callApi(url, path, { bearer: secrets.ADMIN_TOKEN });
    const fulfilled = await waitFor(
      async () => {
        const res = await admin(machine!.urls.order, `/admin/orders/${orderId}`);
        return res.body.status === 'FULFILLED' ? res.body : null;
      },
      { timeoutMs: 30_000, description: 'the order to be paid, approved and fulfilled' },
    );
    expect(fulfilled.history.map((h: { toStatus: string }) => h.toStatus)).toEqual(['PENDING', 'PAID', 'APPROVED', 'FULFILLED']);

    await machine.stop();
    machine = await startOneMachine(env);
    expect((await admin(machine.urls.order, `/admin/orders/${orderId}`)).body.status).toBe('FULFILLED');
    expect((await admin(machine.urls.ingress, '/admin/events?status=published')).body.items.map((e: { eventId: string }) => e.eventId)).toContain(event.id);
  });
});
