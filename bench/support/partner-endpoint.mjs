// A partner on loopback for the benchmarks: one path per sender, each with its Standard Webhooks
// secret. Every delivery is verified with the standardwebhooks library (a refused one gets 401
// and is counted); each path notes when the first delivery for each key arrived (redeliveries
// keep the first time). The key is the order of a watched event type, or what `keyOf` says.
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

/**
 * @typedef {(event: any, headers: import('node:http').IncomingHttpHeaders) => string | null | undefined} KeyOf
 * @returns {Promise<{ url: string, watch: (path: string, secret: string, key: string | KeyOf) => { firstSeen: Map<string, number> }, counts: () => { verified: number, refused: number }, close: () => Promise<void> }>}
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
      const key = route.keyOf(event, req.headers);
      if (typeof key === 'string' && !route.firstSeen.has(key)) route.firstSeen.set(key, performance.now());
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
        /** `key`: an event type (its deliveries are keyed by order), or a function of the event and headers. */
        watch(path, secret, key) {
          const keyOf = typeof key === 'function' ? key : (event) => (event?.type === key ? event?.data?.orderId : null);
          const route = { webhook: new Webhook(secret), keyOf, firstSeen: new Map() };
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
