import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

/**
 * Serves `GET /metrics` in the Prometheus text format. Takes plain `node:http` request and
 * response, so it mounts on express (`app.get('/metrics', metricsHandler(registry))`) or
 * on a bare server alike.
 */
export function metricsHandler(registry: Registry): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    let body: string;
    try {
      body = await registry.metrics();
    } catch {
      // A collect callback threw; the scrape fails visibly rather than serving partial data.
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics collection failed\n');
      return;
    }
    res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
