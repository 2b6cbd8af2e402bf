import { callApi } from '@orderflow/service-testing';
import { tempDir, waitFor } from '@orderflow/testing';
import { startOneMachine, type OneMachine } from '../src';
import { deliver, paymentIntentSucceeded, purchase } from './support/stripe-webhooks';

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

    const p = purchase({ instanceId: 'local', email: 'ada@example.com', name: 'Ada', items: [{ productId: 'gift-card', name: 'Gift card', quantity: 1, unitAmountCents: 1_500, kind: 'external' }] });
    const { orderId } = p;
    const paid = paymentIntentSucceeded(p);
    expect(await deliver(machine.urls.ingress, secrets.STRIPE_WEBHOOK_SECRET, paid)).toBe(200);

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
    expect((await admin(machine.urls.ingress, '/admin/events?status=published')).body.items.map((e: { eventId: string }) => e.eventId)).toContain(paid.id);
  });
});
