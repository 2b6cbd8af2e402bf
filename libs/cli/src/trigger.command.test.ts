import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { tempDir } from '@orderflow/testing';
import Stripe from 'stripe';
import type { CliIo } from './cli-io';
import { runCli } from './run-cli';

const keys = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });

async function run(argv: string[], env: CliIo['env'] = {}, cwd = process.cwd()) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => void out.push(t), err: (t) => void err.push(t), env, cwd, stop: new AbortController().signal });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** The request `--print` wrote: request line, headers, body. */
function request(printed: string) {
  const [head, ...rest] = printed.split('\n\n');
  const [requestLine, ...headerLines] = head.split('\n');
  const headers = Object.fromEntries(headerLines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 2)]));
  return { requestLine, headers, body: rest.join('\n\n') };
}

const verifiedWith = (printed: string, secret: string) => {
  const { headers, body } = request(printed);
  return Stripe.webhooks.constructEvent(body, headers['stripe-signature'], secret) as unknown as { id: string; data: { object: Record<string, any> } };
};

describe('orderflow trigger', () => {
  const dir = tempDir();
  const dataDir = path.join(dir.path, 'data');
  beforeAll(() => {
    fs.mkdirSync(dataDir);
    const secrets = { STRIPE_WEBHOOK_SECRET: 'whsec_from_file', API_KEYS: 'shop-9:0123456789abcdefghijklmnop', WIX_PRIVATE_KEY: keys.privateKey };
    fs.writeFileSync(path.join(dataDir, 'secrets.json'), JSON.stringify(secrets));
  });
  afterAll(() => dir.remove());

  it('--print writes the signed request, signed with the secrets file of ./data, for the instance of its API key', async () => {
    const printed = await run(['trigger', 'stripe', 'payment_intent.succeeded', '--print', '--order', 'ord_p1', '--amount', '1234'], {}, dir.path);
    expect(printed.code).toBe(0);
    const { requestLine, headers, body } = request(printed.out);
    expect(requestLine).toBe('POST /api/webhooks/stripe HTTP/1.1');
    expect(headers).toMatchObject({ host: '127.0.0.1:3000', 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) });
    const event = verifiedWith(printed.out, 'whsec_from_file');
    expect(event.data.object).toMatchObject({ amount: 1234, metadata: { orderId: 'ord_p1', instanceId: 'shop-9' } });
  });

  it('prefers $STRIPE_WEBHOOK_SECRET (the first, during a rotation) to the file, and --secret to both', async () => {
    const env = { STRIPE_WEBHOOK_SECRET: 'whsec_env_new, whsec_env_old', DATA_DIR: dataDir };
    const fromEnv = await run(['trigger', 'stripe', 'charge.refunded', '--print'], env);
    expect(verifiedWith(fromEnv.out, 'whsec_env_new').data.object.object).toBe('charge');
    const fromFlag = await run(['trigger', 'stripe', 'charge.refunded', '--print', '--secret', 'whsec_flag'], env);
    expect(verifiedWith(fromFlag.out, 'whsec_flag').id).toMatch(/^evt_/);
  });

  it('signs Wix webhooks with the private key of the secrets file, or of --key', async () => {
    const jose = await import('jose');
    const publicKey = await jose.importSPKI(keys.publicKey, 'RS256');
    const fromFile = await run(['trigger', 'wix', 'order_paid', '--print', '--data-dir', dataDir]);
    expect(fromFile.code).toBe(0);
    const { requestLine, headers, body } = request(fromFile.out);
    expect(requestLine).toBe('POST /api/webhooks/wix HTTP/1.1');
    expect(headers['content-type']).toBe('text/plain; charset=utf-8');
    const { payload } = await jose.jwtVerify(body, publicKey, { algorithms: ['RS256'] });
    expect(JSON.parse(payload.data as string)).toMatchObject({ eventType: 'wix.ecom.v1.order_paid', instanceId: 'shop-9' });

    const keyFile = path.join(dir.path, 'wix.pem');
    fs.writeFileSync(keyFile, keys.privateKey);
    const fromFlag = await run(['trigger', 'wix', 'order_created', '--print', '--key', 'wix.pem', '--instance', 'site-7'], {}, dir.path);
    const claims = (await jose.jwtVerify(request(fromFlag.out).body, publicKey, { algorithms: ['RS256'] })).payload;
    expect(JSON.parse(claims.data as string)).toMatchObject({ instanceId: 'site-7' });
  });

  it('exits 2 naming where it looked when no secret or key is to be found', async () => {
    const empty = path.join(dir.path, 'empty');
    const stripe = await run(['trigger', 'stripe', 'payment_intent.succeeded', '--data-dir', empty]);
    expect(stripe.code).toBe(2);
    expect(stripe.err).toBe(`orderflow: no Stripe webhook secret: pass --secret whsec_..., set STRIPE_WEBHOOK_SECRET, or point --data-dir at the data directory of \`npm start\` (looked in ${path.join(empty, 'secrets.json')})`);
    const wix = await run(['trigger', 'wix', 'order_paid', '--data-dir', empty]);
    expect(wix.code).toBe(2);
    expect(wix.err).toMatch(/^orderflow: no Wix private key: pass --key/);
    const badKey = await run(['trigger', 'wix', 'order_paid', '--key', 'missing.pem'], {}, dir.path);
    expect(badKey).toMatchObject({ code: 1, err: `orderflow: cannot read the Wix key file ${path.join(dir.path, 'missing.pem')}: ENOENT` });
  });

  it('exits 1 when the secrets file is not JSON, without printing what it holds', async () => {
    const broken = path.join(dir.path, 'broken');
    fs.mkdirSync(broken);
    fs.writeFileSync(path.join(broken, 'secrets.json'), '{"STRIPE_WEBHOOK_SECRET": "whsec_leak"');
    const result = await run(['trigger', 'stripe', 'payment_intent.succeeded', '--data-dir', broken]);
    expect(result).toEqual({ code: 1, out: '', err: `orderflow: ${path.join(broken, 'secrets.json')} is not valid JSON` });
  });

  it('exits 1 when the ingress cannot be reached, and says so', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const result = await run(['trigger', 'stripe', 'payment_intent.succeeded', '--secret', 'whsec_x', '--url', `http://127.0.0.1:${port}`]);
    expect(result.code).toBe(1);
    expect(result.err).toBe(`orderflow: could not reach the ingress at http://127.0.0.1:${port}/api/webhooks/stripe: ECONNREFUSED. Is Orderflow running (npm start)? Another address: --url.`);
  });

  it('exits 2 with the help text for a usage error, and 0 with it for --help', async () => {
    const wrong = await run(['trigger', 'stripe', 'nope']);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toMatch(/^Usage: orderflow trigger stripe <event>[\s\S]*\n\norderflow: unknown Stripe event "nope"/);
    const help = await run(['trigger', '--help']);
    expect(help).toMatchObject({ code: 0, err: '' });
    expect(help.out).toContain('payment_intent.payment_failed');
    expect(await run(['launch'])).toMatchObject({ code: 2, err: expect.stringMatching(/orderflow: unknown command "launch": trigger or listen$/) });
    expect((await run(['--version'])).out).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
