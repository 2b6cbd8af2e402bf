import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli, stripeTriggerTypes, wixTriggerTypes } from '@orderflow/cli';
import { createLogger } from '@orderflow/logging';
import { buildDispatchService, loadDispatchConfig } from '@orderflow/outbound-dispatch';
import { callApi, serveOnLoopback } from '@orderflow/service-testing';
import { createTestDatabase, tempDir, waitFor } from '@orderflow/testing';
import { startOneMachine, type LocalSecrets, type OneMachine } from '../src';

const CLI_DIR = path.resolve(__dirname, '../../../libs/cli');
const BIN = path.join(CLI_DIR, 'bin/orderflow.js');

/** The CLI runs as users run it, from its build; built here when the sources are newer. */
function ensureCliBuilt(): void {
  const built = path.join(CLI_DIR, 'dist/cli.js');
  const sources = fs.readdirSync(path.join(CLI_DIR, 'src')).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  const newest = Math.max(...sources.map((f) => fs.statSync(path.join(CLI_DIR, 'src', f)).mtimeMs));
  if (fs.existsSync(built) && fs.statSync(built).mtimeMs >= newest) return;
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(CLI_DIR, 'tsconfig.build.json')], { stdio: 'inherit' });
}

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

describe('the orderflow CLI against every service on one machine', () => {
  const dir = tempDir();
  let databases: Array<Awaited<ReturnType<typeof createTestDatabase>>> = [];
  let machine: OneMachine;
  let secrets: LocalSecrets;
  const children: ChildProcess[] = [];

  /** `orderflow <args>` as a child process; only PATH and DATA_DIR from here, no secrets. */
  function orderflow(args: string[]): Run {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir.path, env: { PATH: process.env.PATH, DATA_DIR: dir.path } });
    children.push(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, stdout: () => out, stderr: () => err, exited };
  }

  async function finished(args: string[]) {
    const run = orderflow(args);
    const code = await run.exited;
    return { code, stdout: run.stdout(), stderr: run.stderr() };
  }

  const admin = (url: string, route: string) => callApi(url, route, { bearer: secrets.ADMIN_TOKEN });
  const orderReaches = (orderId: string, status: string) =>
    waitFor(
      async () => {
        const res = await admin(machine.urls.order, `/admin/orders/${orderId}`);
        return res.body.status === status ? res.body : null;
      },
      { timeoutMs: 30_000, description: `order ${orderId} to be ${status}` },
    );

  beforeAll(async () => {
    ensureCliBuilt();
    // The embedded broker and generated secrets as `npm start` has them, but each service on a
    // throwaway Postgres database rather than PGlite: booting five PGlite databases took 40-67 s
    // on the shared 2-core machine (2026-11-23), Postgres a few seconds. one-machine.int.test.ts
    // covers PGlite.
    const names = ['INGRESS', 'ORDER', 'FULFILLMENT', 'NOTIFICATION', 'DISPATCH'];
    databases = await Promise.all(names.map(() => createTestDatabase('cli_e2e')));
    const urls = Object.fromEntries(names.map((name, i) => [`${name}_DATABASE_URL`, databases[i].url]));
    machine = await startOneMachine({ ...urls, DATA_DIR: dir.path, PORT: '0', KAFKA_PORT: '0', LOG_LEVEL: 'silent' });
    secrets = JSON.parse(fs.readFileSync(machine.secretsFile, 'utf8')) as LocalSecrets;
  }, 120_000);

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await machine?.stop();
    await Promise.all(databases.map((db) => db.drop()));
    dir.remove();
  });

  it('triggers a Checkout payment the order service takes to FULFILLED, then a partial refund and a dispute found by its PaymentIntent', async () => {
    const orderId = `ord_${randomUUID()}`;
    const paid = await finished(['trigger', 'stripe', 'checkout.session.completed', '--url', machine.urls.ingress, '--order', orderId, '--amount', '2500', '--email', 'ada@example.com']);
    expect(paid.stderr).toBe('');
    expect(paid.code).toBe(0);
    expect(paid.stdout).toContain(`checkout.session.completed evt_`);
    expect(paid.stdout).toContain(`order ${orderId}, 25.00 USD, ada@example.com, instance local`);
    expect(paid.stdout).toContain(`signed with STRIPE_WEBHOOK_SECRET in ${machine.secretsFile}`);
    expect(paid.stdout).toMatch(/200 OK \{"received":true,"eventId":"evt_\w+","outcome":"published"\}/);
    const fulfilled = await orderReaches(orderId, 'FULFILLED');
    expect(fulfilled).toMatchObject({ instanceId: 'local', totalCents: 2500, currency: 'usd', customer: { email: 'ada@example.com' } });
    expect(fulfilled.history.map((h: { toStatus: string }) => h.toStatus)).toEqual(['PENDING', 'PAID', 'APPROVED', 'FULFILLED']);

    const refund = await finished(['trigger', 'stripe', 'charge.refunded', '--url', machine.urls.ingress, '--order', orderId, '--amount', '2500', '--refunded', '500']);
    expect(refund.code).toBe(0);
    expect(await orderReaches(orderId, 'PARTIALLY_REFUNDED')).toMatchObject({ refundedCents: 500 });
    // A dispute carries no metadata: the order is found by the PaymentIntent the payment created.
    const dispute = await finished(['trigger', 'stripe', 'charge.dispute.created', '--url', machine.urls.ingress, '--order', orderId, '--amount', '2500']);
    expect(dispute.code).toBe(0);
    await orderReaches(orderId, 'DISPUTED');
  });

  it('triggers Wix order events the ingress verifies with the generated key pair, and the order is paid', async () => {
    const orderId = randomUUID();
    const created = await finished(['trigger', 'wix', 'order_created', '--url', machine.urls.ingress, '--order', orderId, '--amount', '4999', '--currency', 'eur']);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toContain(`signed (RS256) with WIX_PRIVATE_KEY in ${machine.secretsFile}`);
    expect(created.stdout).toContain('"outcome":"published"');
    const paid = await finished(['trigger', 'wix', 'order_paid', '--url', machine.urls.ingress, '--order', orderId, '--amount', '4999', '--currency', 'eur']);
    expect(paid.code).toBe(0);
    expect(await orderReaches(orderId, 'PAID')).toMatchObject({ source: 'wix', instanceId: 'local', totalCents: 4999, currency: 'eur' });
  });

  it('sends every supported Stripe and Wix event so that the ingress verifies and publishes it', async () => {
    const io = { out: () => undefined, env: { DATA_DIR: dir.path }, cwd: dir.path, stop: new AbortController().signal };
    for (const [provider, types] of [['stripe', stripeTriggerTypes], ['wix', wixTriggerTypes]] as const) {
      for (const type of types) {
        const out: string[] = [];
        const err: string[] = [];
        const code = await runCli(['trigger', provider, type, '--url', machine.urls.ingress], { ...io, out: (t) => void out.push(t), err: (t) => void err.push(t) });
        expect({ type, code, err }).toEqual({ type, code: 0, err: [] });
        expect(out.at(-1)).toMatch(/^200 OK .*"outcome":"published"/);
      }
    }
  });

  it('exits 1 with the ingress\'s 401 problem printed when signed with the wrong secret or key', async () => {
    const wrong = await finished(['trigger', 'stripe', 'payment_intent.succeeded', '--url', machine.urls.ingress, '--secret', 'whsec_not_the_one']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('401 Unauthorized');
    expect(wrong.stderr).toContain('"detail": "Invalid or missing signature"');
    expect(wrong.stderr).toMatch(/orderflow: the ingress did not accept the webhook \(401\)\. The signature was refused/);
    expect(wrong.stderr).not.toContain(secrets.STRIPE_WEBHOOK_SECRET);

    const keyFile = path.join(dir.path, 'other.pem');
    fs.writeFileSync(keyFile, require('node:crypto').generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const wrongKey = await finished(['trigger', 'wix', 'order_paid', '--url', machine.urls.ingress, '--key', keyFile]);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(/401 Unauthorized[\s\S]*The JWT was refused/);
  });

  it('listen --subscribe registers itself, prints verified deliveries of a triggered order, and removes its subscription on Ctrl-C', async () => {
    const listener = orderflow(['listen', '--subscribe', '--events', 'order.*', '--port', '0', '--dispatch-url', machine.urls.dispatch]);
    await waitFor(() => listener.stdout().includes('Listening on '), { description: `the listener to start (stderr: ${listener.stderr()})` });
    const subscriptionId = /Subscribed (sub_\S+) to order\.\*/.exec(listener.stdout())![1];
    expect(listener.stdout()).toMatch(/signing secret whsec_\S+/);

    const orderId = `ord_${randomUUID()}`;
    const paid = await finished(['trigger', 'stripe', 'payment_intent.succeeded', '--url', machine.urls.ingress, '--order', orderId]);
    expect(paid.code).toBe(0);
    const line = await waitFor(() => listener.stdout().split('\n').find((l) => l.includes(`order ${orderId}`) && l.includes('order.paid')), {
      timeoutMs: 30_000,
      description: 'the order.paid delivery',
    });
    expect(line).toMatch(new RegExp(`^\\S+Z  verified  +order\\.paid  order\\.paid:${orderId}\\S*  order ${orderId}$`));

    const keyOf = (apiKeys: string) => apiKeys.slice(apiKeys.indexOf(':') + 1);
    const subscriptions = () => callApi(machine.urls.dispatch, '/external/webhooks', { bearer: keyOf(secrets.API_KEYS) });
    expect((await subscriptions()).body.items.map((s: { id: string }) => s.id)).toContain(subscriptionId);
    listener.child.kill('SIGINT');
    expect(await listener.exited).toBe(0);
    expect(listener.stdout()).toContain(`Deleted subscription ${subscriptionId}`);
    expect((await subscriptions()).body.items.map((s: { id: string }) => s.id)).not.toContain(subscriptionId);
  });

  it('listen --subscribe exits 1 and says why when outbound-dispatch refuses the API key', async () => {
    const refused = await finished(['listen', '--subscribe', '--port', '0', '--api-key', 'not-a-key', '--dispatch-url', machine.urls.dispatch]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/outbound-dispatch refused to register the subscription: 401 Unauthorized[\s\S]*The API key \(--api-key\) was refused/);
  });

  // Last: this second dispatch joins the machine's consumer group on the same broker.
  it('listen --subscribe explains the SSRF policy when outbound-dispatch does not allow loopback', async () => {
    const database = await createTestDatabase('cli_e2e');
    databases.push(database);
    const config = loadDispatchConfig({ ADMIN_TOKEN: secrets.ADMIN_TOKEN, METRICS_TOKEN: secrets.METRICS_TOKEN, API_KEYS: secrets.API_KEYS, DISPATCH_DATABASE_URL: database.url, KAFKA_BROKERS: machine.brokers.join(','), LOG_LEVEL: 'silent' });
    const strict = await serveOnLoopback(buildDispatchService(config, { logger: createLogger({ name: 'strict-dispatch', level: 'silent' }) }));
    try {
      const refused = await finished(['listen', '--subscribe', '--port', '0', '--dispatch-url', strict.url]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/refused to register the subscription: 422 Unprocessable Entity[\s\S]*"detail": "partner URLs must use https"[\s\S]*start it with OUTBOUND_ALLOWED_HOSTS=127\.0\.0\.1/);
    } finally {
      await strict.close();
    }
  });

  it('without a build, the command says to build first', () => {
    const copy = path.join(dir.path, 'unbuilt', 'bin');
    fs.mkdirSync(copy, { recursive: true });
    fs.copyFileSync(BIN, path.join(copy, 'orderflow.js'));
    let failure: { status: number; stderr: Buffer } | undefined;
    try {
      execFileSync(process.execPath, [path.join(copy, 'orderflow.js'), '--help'], { stdio: 'pipe' });
    } catch (err) {
      failure = err as { status: number; stderr: Buffer };
    }
    expect(failure?.status).toBe(1);
    expect(failure?.stderr.toString()).toMatch(/the CLI is not built .* run npm run build first/);
  });
});
