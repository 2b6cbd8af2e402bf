import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter } from 'prom-client';
import { createMetricsRegistry, metricsHandler, type Registry } from './index';

async function serve(registry: Registry): Promise<{ server: Server; url: string }> {
  const handler = metricsHandler(registry);
  const server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics` };
}

describe('createMetricsRegistry and metricsHandler', () => {
  let server: Server;
  let url: string;
  let registry: Registry;

  beforeAll(async () => {
    registry = createMetricsRegistry({ service: 'ingress' });
    new Counter({ name: 'webhooks_total', help: 'Webhooks received', registers: [registry] }).inc(3);
    ({ server, url } = await serve(registry));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('serves default and own metrics with the service label in the Prometheus format', async () => {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const body = await res.text();
    expect(body).toContain('webhooks_total{service="ingress"} 3');
    expect(body).toMatch(/^process_cpu_user_seconds_total\{service="ingress"\} /m);
    expect(body).toMatch(/^nodejs_eventloop_lag_seconds\{service="ingress"\} /m);
  });

  it('answers HEAD without a body and refuses other methods', async () => {
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await fetch(url, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('keeps registries of different services apart', async () => {
    const other = createMetricsRegistry({ service: 'order', defaultMetrics: false });
    new Counter({ name: 'orders_total', help: 'Orders', registers: [other] }).inc();
    const text = await other.metrics();
    expect(text).toContain('orders_total{service="order"} 1');
    expect(text).not.toContain('webhooks_total');
    expect(text).not.toContain('process_cpu');
  });
});
