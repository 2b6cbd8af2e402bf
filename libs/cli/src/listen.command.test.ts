import { randomUUID } from 'node:crypto';
import { waitFor } from '@orderflow/testing';
import { Webhook } from 'standardwebhooks';
import type { CliIo } from './cli-io';
import { runCli } from './run-cli';

const SECRET = `whsec_${Buffer.from(randomUUID()).toString('base64')}`;

function capture(env: CliIo['env'] = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const controller = new AbortController();
  const io: CliIo = { out: (t) => void out.push(t), err: (t) => void err.push(t), env, cwd: process.cwd(), stop: controller.signal };
  return { io, out, err, stop: () => controller.abort() };
}

/** A delivery as outbound-dispatch sends one, signed with `secret` at `at`. */
function delivery(url: string, body: object, options: { secret?: string; id?: string; at?: Date } = {}) {
  const id = options.id ?? `order.paid:ord_${randomUUID()}:2`;
  const at = options.at ?? new Date();
  const text = JSON.stringify(body);
  const signature = new Webhook(options.secret ?? SECRET).sign(id, at, text);
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signature },
    body: text,
  });
}

describe('orderflow listen', () => {
  let session: ReturnType<typeof capture>;
  let running: Promise<number>;
  let url: string;

  beforeAll(async () => {
    session = capture();
    running = runCli(['listen', '--secret', SECRET, '--port', '0', '--verbose'], session.io);
    const ready = await waitFor(() => session.out.find((line) => line.startsWith('Listening on ')), { description: 'the listener to start' });
    url = /Listening on (\S+)/.exec(ready)![1];
  });

  afterAll(async () => {
    session.stop();
    await running;
  });

  it('answers a verified delivery 204 and prints when, verified, the type, the webhook-id and the order, then the body', async () => {
    const id = `order.paid:ord_listen-1:2`;
    const res = await delivery(url, { type: 'order.paid', timestamp: new Date().toISOString(), data: { orderId: 'ord_listen-1', status: 'PAID' } }, { id });
    expect(res.status).toBe(204);
    const line = await waitFor(() => session.out.find((l) => l.includes(id)));
    expect(line).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z  verified  +order\\.paid  ${id.replace(/\./g, '\\.')}  order ord_listen-1$`));
    const body = session.out[session.out.indexOf(line) + 1];
    expect(JSON.parse(body)).toMatchObject({ type: 'order.paid', data: { orderId: 'ord_listen-1' } });
    expect(body).toContain('\n  "type": "order.paid"');
  });

  it('marks a delivery whose webhook-id it has seen, as a retry or replay brings it again', async () => {
    const id = `fulfillment.completed:ord_listen-2:1`;
    const event = { type: 'fulfillment.completed', timestamp: new Date().toISOString(), data: { orderId: 'ord_listen-2', tickets: [] } };
    expect((await delivery(url, event, { id })).status).toBe(204);
    expect((await delivery(url, event, { id })).status).toBe(204);
    await waitFor(() => session.out.filter((l) => l.includes(id)).length === 2);
    expect(session.out.filter((l) => l.includes(id))[1]).toMatch(/\(seen before\)$/);
  });

  it('answers 401 with a problem document to a wrong signature, a stale timestamp or missing headers, and says why', async () => {
    const event = { type: 'order.paid', timestamp: new Date().toISOString(), data: { orderId: 'ord_forged' } };
    const forged = await delivery(url, event, { id: 'forged-1', secret: `whsec_${Buffer.from('another secret').toString('base64')}` });
    expect(forged.status).toBe(401);
    expect(forged.headers.get('content-type')).toBe('application/problem+json');
    expect(await forged.json()).toMatchObject({ status: 401, detail: 'The signature did not verify: No matching signature found' });
    expect(await waitFor(() => session.out.find((l) => l.includes('forged-1')))).toMatch(/UNVERIFIED  order\.paid  forged-1  order ord_forged  \(No matching signature found\)$/);

    const stale = await delivery(url, event, { id: 'stale-1', at: new Date(Date.now() - 10 * 60_000) });
    expect(stale.status).toBe(401);
    expect(await waitFor(() => session.out.find((l) => l.includes('stale-1')))).toMatch(/\(Message timestamp too old\)$/);

    const bare = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(bare.status).toBe(401);
    expect(await waitFor(() => session.out.find((l) => l.includes('(no webhook-id)')))).toMatch(/UNVERIFIED  \(no type\)  \(no webhook-id\)  \(Missing required headers\)$/);
  });

  it('answers 405 to anything but POST', async () => {
    const res = await fetch(url);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  it('stops on Ctrl-C with exit code 0 and no longer listens', async () => {
    const own = capture();
    const listening = runCli(['listen', '--secret', SECRET, '--port', '0'], own.io);
    const ready = await waitFor(() => own.out.find((line) => line.startsWith('Listening on ')));
    const ownUrl = /Listening on (\S+)/.exec(ready)![1];
    expect((await delivery(ownUrl, { type: 'order.created', data: {} })).status).toBe(204);
    own.stop();
    expect(await listening).toBe(0);
    await expect(fetch(ownUrl, { method: 'POST' })).rejects.toThrow();
  });

  it('exits 1 when the port is taken', async () => {
    const port = new URL(url).port;
    const other = capture();
    expect(await runCli(['listen', '--secret', SECRET, '--port', port], other.io)).toBe(1);
    expect(other.err.join('\n')).toBe(`orderflow: port ${port} on 127.0.0.1 is in use: choose another with --port`);
  });
});
