import { gzipSync } from 'node:zlib';
import { createMetricsRegistry } from '@orderflow/metrics';
import { waitFor } from '@orderflow/testing';
import { HttpProblem, createHttpApp, rawBody, rawJson } from '../src/index';
import { capturedLogger, listen } from './serve';

const METRICS_TOKEN = 'scrape-token-for-http-tests';

describe('createHttpApp', () => {
  const { logger, lines } = capturedLogger();
  const registry = createMetricsRegistry({ service: 'http-test', defaultMetrics: false });
  let unready: 'none' | 'broker' | 'hang' = 'none';
  let server: Awaited<ReturnType<typeof listen>>;

  beforeAll(async () => {
    const app = createHttpApp({
      logger,
      registry,
      metricsToken: METRICS_TOKEN,
      bodyLimit: '1kb',
      readinessTimeoutMs: 100,
      readiness: [
        { name: 'database', check: async () => undefined },
        {
          name: 'kafka',
          check: () =>
            unready === 'broker'
              ? Promise.reject(new Error('connect ECONNREFUSED 10.0.0.7:9092'))
              : unready === 'hang'
                ? new Promise<void>(() => undefined)
                : Promise.resolve(),
        },
      ],
      routes: (app) => {
        app.post('/webhooks/:source', rawJson(), (req, res) => {
          res.json({ source: req.params.source, raw: req.rawBody?.toString('utf8'), parsed: req.body as unknown });
        });
        app.post('/jwt', rawBody({ types: ['text/plain', 'application/jwt'] }), (req, res) => {
          res.json({ length: req.rawBody?.length });
        });
        app.post('/big', rawJson({ limit: '4kb' }), (_req, res) => {
          res.status(204).end();
        });
        app.get('/orders/:id', (req) => {
          throw new HttpProblem(409, { detail: `Order ${req.params.id} is closed`, extensions: { orderId: req.params.id } });
        });
        app.get('/busy', () => {
          throw new HttpProblem(429, { headers: { 'retry-after': '2' } });
        });
        app.get('/boom', async () => {
          throw new Error('db password=hunter2 rejected at /srv/app.js:12');
        });
      },
    });
    server = await listen(app);
  });
  afterAll(() => server.close());

  const post = (path: string, body: string, contentType = 'application/json') =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });

  async function problem(res: Response): Promise<Record<string, unknown>> {
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    return (await res.json()) as Record<string, unknown>;
  }

  describe('request IDs', () => {
    it('generates an ID when none is sent and echoes it', async () => {
      const res = await fetch(`${server.url}/healthz`);
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('keeps a sane incoming ID and replaces an insane one', async () => {
      const kept = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'lb-4f2a.9:1' } });
      expect(kept.headers.get('x-request-id')).toBe('lb-4f2a.9:1');
      for (const insane of ['x'.repeat(129), '<script>', 'a b']) {
        const res = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': insane } });
        expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      }
    });
  });

  describe('raw bodies', () => {
    it('keeps the exact bytes and parses JSON', async () => {
      const body = '{ "id" :"evt_1",\n "amount": 100 }';
      const res = await post('/webhooks/stripe', body);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ source: 'stripe', raw: body, parsed: { id: 'evt_1', amount: 100 } });
    });

    it('accepts a JSON content type with a charset', async () => {
      const res = await post('/webhooks/stripe', '{}', 'application/json; charset=utf-8');
      expect(res.status).toBe(200);
    });

    it('answers 415 to another content type', async () => {
      const res = await post('/webhooks/stripe', 'id=evt_1', 'application/x-www-form-urlencoded');
      expect(res.status).toBe(415);
      expect(await problem(res)).toMatchObject({ status: 415, title: 'Unsupported Media Type' });
    });

    it('answers 400 to malformed JSON', async () => {
      const res = await post('/webhooks/stripe', '{"id": ');
      expect(res.status).toBe(400);
      expect(await problem(res)).toMatchObject({ status: 400, title: 'Malformed JSON' });
    });

    it('answers 400 to JSON Postgres could not store (NUL, an unpaired surrogate, in a value or a key) or nested deeper than 64, before a route sees it', async () => {
      for (const body of ['{"note":"a\\u0000b"}', '{"note":"\\ud800"}', '{"\\udc00":1}', `${'['.repeat(65)}${']'.repeat(65)}`]) {
        const res = await post('/webhooks/stripe', body);
        expect(res.status).toBe(400);
        expect(((await problem(res)) as { detail: string }).detail).toMatch(/^The request body cannot be accepted: (the document|a key in the document) (contains|is nested deeper)/);
      }
      // An emoji (a surrogate pair) and 64 levels are fine.
      expect((await post('/webhooks/stripe', '{"note":"\\ud83c\\udf81"}')).status).toBe(200);
      expect((await post('/webhooks/stripe', `${'['.repeat(64)}${']'.repeat(64)}`)).status).toBe(200);
    });

    it('answers 413 past the app limit, and honours a per-route limit', async () => {
      const big = JSON.stringify({ pad: 'x'.repeat(2048) });
      const res = await post('/webhooks/stripe', big);
      expect(res.status).toBe(413);
      expect(await problem(res)).toMatchObject({ status: 413, title: 'Payload Too Large' });
      expect((await post('/big', big)).status).toBe(204);
      // Far over the limit: the client still gets the 413, not a reset connection.
      expect((await post('/webhooks/stripe', JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) }))).status).toBe(413);
    });

    it('reads a compressed body, and answers 400 to one that does not decode and 415 to an unknown encoding', async () => {
      const body = '{"id":"evt_gz"}';
      const send = (encoding: string, bytes: Uint8Array | string) =>
        fetch(`${server.url}/webhooks/stripe`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': encoding }, body: bytes });
      const gzipped = await send('gzip', gzipSync(body));
      expect(gzipped.status).toBe(200);
      expect(await gzipped.json()).toMatchObject({ raw: body });

      for (const encoding of ['gzip', 'deflate', 'br']) {
        const res = await send(encoding, 'not compressed at all');
        expect(res.status).toBe(400);
        expect(await problem(res)).toMatchObject({ status: 400, detail: 'The request body could not be decoded as its Content-Encoding says' });
      }
      const unknown = await send('zstd-ish', body);
      expect(unknown.status).toBe(415);
      expect(await problem(unknown)).toMatchObject({ status: 415, detail: 'Unsupported Content-Encoding' });
      // The compressed size is not the limit: what it inflates to is (a zip bomb gets 413).
      const bomb = await send('gzip', gzipSync(JSON.stringify({ pad: 'x'.repeat(64 * 1024) })));
      expect(bomb.status).toBe(413);
    });

    it('captures other media types for routes that ask for them', async () => {
      const res = await post('/jwt', 'eyJhbGciOiJSUzI1NiJ9.e30.sig', 'text/plain');
      expect(await res.json()).toEqual({ length: 28 });
    });
  });

  describe('problems', () => {
    it('renders an HttpProblem with its status, detail, extensions and request ID', async () => {
      const res = await fetch(`${server.url}/orders/o-9`, { headers: { 'x-request-id': 'req-409' } });
      expect(res.status).toBe(409);
      expect(await problem(res)).toEqual({
        type: 'about:blank',
        title: 'Conflict',
        status: 409,
        detail: 'Order o-9 is closed',
        instance: '/orders/o-9',
        orderId: 'o-9',
        requestId: 'req-409',
      });
    });

    it("sends a problem's headers", async () => {
      const res = await fetch(`${server.url}/busy`);
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('2');
    });

    it('answers an unknown error with a generic 500 and logs it with the request ID', async () => {
      const res = await fetch(`${server.url}/boom`, { headers: { 'x-request-id': 'req-500' } });
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({
        type: 'about:blank',
        title: 'Internal Server Error',
        status: 500,
        instance: '/boom',
        requestId: 'req-500',
      });
      expect(text).not.toMatch(/hunter2|app\.js|at /);
      const logged = await waitFor(() => lines.find((line) => line.requestId === 'req-500' && line.msg === 'unhandled error'));
      expect(logged).toMatchObject({ level: 50, err: { message: expect.stringContaining('rejected') } });
    });

    it('answers an unknown route with a 404 problem', async () => {
      const res = await fetch(`${server.url}/nope`);
      expect(res.status).toBe(404);
      expect(await problem(res)).toMatchObject({ status: 404, title: 'Not Found', instance: '/nope' });
    });
  });

  describe('paths and queries', () => {
    it('answers 400 to a path or query holding %00 or an encoded surrogate, and to a path that is not UTF-8, before any route runs', async () => {
      for (const path of ['/orders/a%00b', '/orders/%ED%A0%80', '/orders/%E0%A4%A', '/orders/x?note=a%00b', '/orders/x?a[b]=%00']) {
        const res = await fetch(`${server.url}${path}`);
        expect(res.status).toBe(400);
        expect(await problem(res)).toMatchObject({ status: 400 });
      }
      // The route itself answers what is fine.
      expect((await fetch(`${server.url}/orders/%E2%82%AC?note=%F0%9F%8E%81`)).status).toBe(409);
    });
  });

  describe('health', () => {
    afterEach(() => {
      unready = 'none';
    });

    it('/healthz answers while the process is alive', async () => {
      const res = await fetch(`${server.url}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
    });

    it('/readyz answers 200 when every check passes', async () => {
      const res = await fetch(`${server.url}/readyz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        status: 'ok',
        checks: [
          { name: 'database', status: 'ok' },
          { name: 'kafka', status: 'ok' },
        ],
      });
    });

    it('/readyz answers 503 naming the failed check, without its error message', async () => {
      unready = 'broker';
      const res = await fetch(`${server.url}/readyz`);
      expect(res.status).toBe(503);
      const body = await problem(res);
      expect(body).toMatchObject({ status: 503, detail: 'Failed: kafka (failed)' });
      expect(body.checks).toEqual([
        { name: 'database', status: 'ok' },
        { name: 'kafka', status: 'failed' },
      ]);
      expect(JSON.stringify(body)).not.toContain('10.0.0.7');
    });

    it('/readyz bounds a hung check by the timeout', async () => {
      unready = 'hang';
      const started = Date.now();
      const res = await fetch(`${server.url}/readyz`);
      expect(res.status).toBe(503);
      expect(await problem(res)).toMatchObject({ detail: 'Failed: kafka (timed out)' });
      expect(Date.now() - started).toBeLessThan(2_000);
    });
  });

  describe('metrics', () => {
    it('serves /metrics and records request durations by route pattern and status', async () => {
      await fetch(`${server.url}/orders/o-1`);
      await fetch(`${server.url}/orders/o-2`);
      await fetch(`${server.url}/random/${Date.now()}`);
      const text = await waitFor(async () => {
        const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
        const body = await res.text();
        return body.includes('route="/orders/:id"') ? body : null;
      });
      const count = /http_request_duration_seconds_count\{service="http-test",method="GET",route="\/orders\/:id",status="409"\} (\d+)/.exec(text);
      expect(Number(count?.[1])).toBeGreaterThanOrEqual(2);
      expect(text).toMatch(/route="unmatched",status="404"/);
      expect(text).not.toContain('/random/');
    });

    it('answers /metrics only with the scrape token: 401 problem without it or with another', async () => {
      for (const authorization of [undefined, 'Bearer wrong-token', `Basic ${METRICS_TOKEN}`, `Bearer ${METRICS_TOKEN}x`]) {
        const res = await fetch(`${server.url}/metrics`, { headers: authorization ? { authorization } : {} });
        expect({ authorization, status: res.status }).toEqual({ authorization, status: 401 });
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
        const body = await problem(res);
        expect(body).toMatchObject({ status: 401, detail: 'A valid metrics bearer token is required' });
        expect(JSON.stringify(body)).not.toContain('http_request_duration_seconds');
      }
      expect((await fetch(`${server.url}/metrics`, { headers: { authorization: `bearer ${METRICS_TOKEN}` } })).status).toBe(200);
    });

    it('keeps /healthz and /readyz open', async () => {
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    });

    it('serves /metrics without credentials only when told to, and refuses a registry with neither', async () => {
      const open = await listen(createHttpApp({ logger, registry: createMetricsRegistry({ service: 'http-open', defaultMetrics: false }), publicMetrics: true }));
      try {
        expect((await fetch(`${open.url}/metrics`)).status).toBe(200);
      } finally {
        await open.close();
      }
      expect(() => createHttpApp({ logger, registry: createMetricsRegistry({ service: 'http-undecided', defaultMetrics: false }) })).toThrow(/metricsToken, or publicMetrics/);
    });
  });
});
