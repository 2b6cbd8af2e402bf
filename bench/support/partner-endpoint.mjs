// A partner on loopback for the benchmarks: one path per sender, each with its Standard Webhooks
// secret. Every delivery is verified with the standardwebhooks library (a refused one gets 401
// and is counted); for the event type a path watches, it notes when each order's first
// delivery arrived (redeliveries keep the first time).
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

/**
 * @returns {Promise<{ url: string, watch: (path: string, secret: string, eventType: string) => { firstSeen: Map<string, number> }, counts: () => { verified: number, refused: number }, close: () => Promise<void> }>}
 */
export function startPartnerEndpoint() {
  const routes = new Map();
  let verified = 0;
  let refused = 0;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const route = routes.get(req.url);
      if (!route) return res.writeHead(404).end();
      const body = Buffer.concat(chunks).toString('utf8');
      let event;
      try {
        event = route.webhook.verify(body, req.headers);
      } catch {
        refused++;
        return res.writeHead(401).end();
      }
      verified++;
      const orderId = event?.data?.orderId;
      if (event?.type === route.eventType && typeof orderId === 'string' && !route.firstSeen.has(orderId)) route.firstSeen.set(orderId, performance.now());
      res.writeHead(204).end();
    });
  });
  // Deliveries come over a few keep-alive connections; Node's default 5 s idle timeout would
  // only make senders reconnect between rates.
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        watch(path, secret, eventType) {
          const route = { webhook: new Webhook(secret), eventType, firstSeen: new Map() };
          routes.set(path, route);
          return route;
        },
        counts: () => ({ verified, refused }),
        close: () => {
          server.closeAllConnections();
          return new Promise((r) => server.close(r));
        },
      }),
    ),
  );
}
