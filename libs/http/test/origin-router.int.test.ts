import { createHash, randomBytes } from 'node:crypto';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { originRouter, startHttpServer, type HttpServer } from '../src/index';
import { capturedLogger } from './serve';

/** A service stand-in on loopback: answers what it received (method, URL, headers, body digest). */
async function echoService(): Promise<{ url: string; connections: () => number; close(): Promise<void> }> {
  let connections = 0;
  const server: Server = createServer((req, res) => {
    const hash = createHash('sha256');
    let length = 0;
    req.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      length += chunk.length;
    });
    req.on('end', () => {
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.writeHead(201, { 'content-type': 'application/json', 'x-from': 'echo' });
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, length, sha256: hash.digest('hex') }));
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A port nothing listens on any more. */
async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return url;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request through node:http (fetch would refuse hop-by-hop headers and hide set-cookie pairs). */
function send(base: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: Buffer } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method: init.method ?? 'GET', headers: init.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

describe('originRouter', () => {
  const { logger, lines } = capturedLogger();
  let ingress: Awaited<ReturnType<typeof echoService>>;
  let order: Awaited<ReturnType<typeof echoService>>;
  let resetting: Server;
  let origin: HttpServer;
  let trusting: HttpServer;

  beforeAll(async () => {
    ingress = await echoService();
    order = await echoService();
    // Takes the request, then drops the connection without an answer.
    resetting = createServer((req) => req.socket.destroy());
    await new Promise<void>((resolve) => resetting.listen(0, '127.0.0.1', resolve));
    const targets = {
      ingress: ingress.url,
      order: order.url,
      dispatch: await closedPort(),
      fulfillment: `http://127.0.0.1:${(resetting.address() as AddressInfo).port}`,
    };
    logger.level = 'debug';
    origin = await startHttpServer(originRouter({ targets: () => targets, logger }), { port: 0, host: '127.0.0.1' });
    trusting = await startHttpServer(originRouter({ targets: () => targets, logger, trustForwarded: true }), { port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await origin.close();
    await trusting.close();
    await ingress.close();
    await order.close();
    resetting.closeAllConnections();
    await new Promise<void>((resolve) => resetting.close(() => resolve()));
  });

  it("passes a webhook's body byte for byte, with its path, query and headers, and the service's answer as it was", async () => {
    const body = randomBytes(300_000);
    const answer = await send(origin.url, '/api/webhooks/stripe?attempt=2', { method: 'POST', body, headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=abc' } });
    expect(answer.status).toBe(201);
    expect(answer.headers['x-from']).toBe('echo');
    expect(answer.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    const seen = JSON.parse(answer.body) as { method: string; url: string; headers: IncomingHttpHeaders; length: number; sha256: string };
    expect(seen).toMatchObject({ method: 'POST', url: '/api/webhooks/stripe?attempt=2', length: body.length, sha256: createHash('sha256').update(body).digest('hex') });
    expect(seen.headers['stripe-signature']).toBe('t=1,v1=abc');
    expect(seen.headers['content-length']).toBe(String(body.length));
  });

  it('routes by the table: each path to its service', async () => {
    expect(JSON.parse((await send(origin.url, '/external/orders?limit=1')).body).url).toBe('/external/orders?limit=1');
    expect((await send(origin.url, '/external/orders')).status).toBe(201);
    expect(JSON.parse((await send(origin.url, '/api/webhooks/wix')).body).url).toBe('/api/webhooks/wix');
  });

  it('names the client in X-Forwarded-For: its own address, whatever it claims, unless told to trust the hop before', async () => {
    const claimed = { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https', host: 'shop.example' };
    const direct = JSON.parse((await send(origin.url, '/api/checkout', { headers: claimed })).body) as { headers: IncomingHttpHeaders };
    expect(direct.headers).toMatchObject({ 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'shop.example' });
    const behindBalancer = JSON.parse((await send(trusting.url, '/api/checkout', { headers: claimed })).body) as { headers: IncomingHttpHeaders };
    expect(behindBalancer.headers).toMatchObject({ 'x-forwarded-for': '203.0.113.9, 127.0.0.1', 'x-forwarded-proto': 'https' });
  });

  it('passes on no hop-by-hop header', async () => {
    const seen = JSON.parse((await send(origin.url, '/api/checkout', { headers: { connection: 'keep-alive, x-hop', 'x-hop': 'secret', te: 'trailers', 'x-kept': '1' } })).body) as { headers: IncomingHttpHeaders };
    expect(seen.headers['x-hop']).toBeUndefined();
    expect(seen.headers.te).toBeUndefined();
    expect(seen.headers['x-kept']).toBe('1');
  });

  it('keeps its connections to a service alive between requests', async () => {
    const before = order.connections();
    for (let i = 0; i < 5; i++) expect((await send(origin.url, '/admin/orders')).status).toBe(201);
    expect(order.connections() - before).toBeLessThanOrEqual(1);
  });

  it('answers a path no route names 404, a service not listening 503, a service not yet known 503, a service failing mid-way 502, each a problem', async () => {
    const cases: Array<[string, number]> = [
      ['/nope', 404],
      ['/external/orderz', 404],
      ['/external/webhooks', 503],
      ['/console/', 503],
      ['/api/tickets/verify', 502],
    ];
    for (const [path, status] of cases) {
      const answer = await send(origin.url, path, { method: 'POST', body: Buffer.from('{}') });
      expect([path, answer.status, answer.headers['content-type']]).toEqual([path, status, 'application/problem+json']);
      expect(JSON.parse(answer.body)).toMatchObject({ status });
    }
    expect((await send(origin.url, '/external/webhooks')).headers['retry-after']).toBe('1');
  });

  it('logs the method, the path without its query, the service and the status: never a header or a body', async () => {
    lines.length = 0;
    await send(origin.url, '/api/webhooks/stripe?token=query-secret', { method: 'POST', headers: { authorization: 'Bearer header-secret' }, body: Buffer.from('body-secret') });
    const routed = lines.filter((line) => line.msg === 'routed');
    expect(routed).toEqual([expect.objectContaining({ method: 'POST', path: '/api/webhooks/stripe', service: 'ingress', status: 201 })]);
    expect(JSON.stringify(lines)).not.toMatch(/secret/);
  });
});
