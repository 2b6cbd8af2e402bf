#!/usr/bin/env node
// Outbound dispatch: deliveries per second to a loopback partner that verifies every signature
// with the standardwebhooks library, and the latency from an event's publication to its
// delivery. The broker (its CLI) and the dispatch service (its dist/main.js) each run alone;
// the partner and the publisher run here.
//
//   npm run build && DISPATCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/dispatch_bench \
//     node bench/dispatch-throughput.mjs [--events 10000] [--subscriptions 2]
//
// Without DISPATCH_DATABASE_URL the service uses PGlite under a temp dir.
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { createBus } from '@orderflow/kafka';
import { newEvent } from '@orderflow/events';
import { Webhook } from 'standardwebhooks';
import { startBrokerProcess, startServiceProcess, stopProcesses } from './support/processes.mjs';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '10000' },
    subscriptions: { type: 'string', default: '2' },
    orders: { type: 'string', default: '1000' },
  },
});
const EVENTS = Number(args.events);
const SUBSCRIPTIONS = Number(args.subscriptions);
const dataDir = mkdtempSync(join(tmpdir(), 'orderflow-dispatch-bench-'));
const API_KEY = `bench-key-${randomUUID()}`;

function startDispatch(brokers) {
  return startServiceProcess(
    'outbound-dispatch',
    'services/outbound-dispatch/dist/main.js',
    {
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      KAFKA_BROKERS: brokers.join(','),
      DATA_DIR: join(dataDir, 'dispatch'),
      ADMIN_TOKEN: randomUUID(),
      API_KEYS: `bench-shop:${API_KEY}`,
      OUTBOUND_ALLOWED_HOSTS: '127.0.0.1',
    },
    // e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof', to profile the service.
    'BENCH_DISPATCH_NODE_ARGS',
  );
}

/** The partner: verifies each delivery and notes when each event ID first arrived. */
function startPartner(secrets) {
  const firstSeen = new Map();
  let verified = 0;
  let refused = 0;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const secret = secrets.get(req.url);
      try {
        new Webhook(secret).verify(body, req.headers);
        verified++;
        const key = `${req.url} ${req.headers['webhook-id']}`;
        if (!firstSeen.has(key)) firstSeen.set(key, performance.now());
        res.writeHead(204).end();
      } catch {
        refused++;
        res.writeHead(401).end();
      }
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}`, firstSeen, counts: () => ({ verified, refused }) })),
  );
}

function snapshot(orderId) {
  const now = new Date().toISOString();
  return {
    orderId, instanceId: 'bench-shop', source: 'checkout', status: 'PAID', previousStatus: 'PENDING', currency: 'eur', totalCents: 4200, refundedCents: 0,
    customer: { email: 'ada@example.com', name: 'Ada' },
    lines: [{ lineId: 'line_1', productId: 'ebook', name: 'E-book', quantity: 1, unitAmountCents: 4200, kind: 'license', capacityKey: null }],
    registrations: [],
    references: { paymentIntentId: null, checkoutSessionId: null, wixOrderId: null, wixOrderNumber: null, cartId: null, checkoutId: null, externalReference: null },
    reason: null, causedBy: null, createdAt: now, updatedAt: now,
  };
}

/** Mean partner round trip and intake call from the service's own histograms. */
async function whereTheTimeWent(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const sum = (name) => [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([\\d.e+-]+)$`, 'gm'))].reduce((total, m) => total + Number(m[1]), 0);
  const mean = (name) => (1000 * sum(`${name}_sum`)) / Math.max(1, sum(`${name}_count`));
  return (
    `service: partner round trip mean ${mean('dispatch_attempt_duration_seconds').toFixed(1)} ms over ${sum('dispatch_attempt_duration_seconds_count')} attempts; ` +
    `intake ${sum('orderflow_consumer_messages_processed_total')} events in ${sum('orderflow_consumer_handler_duration_seconds_count')} calls, mean ${mean('orderflow_consumer_handler_duration_seconds').toFixed(1)} ms per call`
  );
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function main() {
  const broker = await startBrokerProcess(join(dataDir, 'kafka'));
  const dispatch = await startDispatch([broker.address]);
  const secrets = new Map();
  const partner = await startPartner(secrets);
  const bus = createBus({ brokers: [broker.address], clientId: 'bench-publisher' });
  try {
    for (let i = 0; i < SUBSCRIPTIONS; i++) {
      const path = `/partner-${i}`;
      const res = await fetch(`${dispatch.url}/external/webhooks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ url: `${partner.url}${path}`, eventTypes: ['order.*'], ordered: i % 2 === 1 }),
      });
      if (res.status !== 201) throw new Error(`subscription failed: ${res.status} ${await res.text()}`);
      secrets.set(path, (await res.json()).secret);
    }
    const producer = bus.createProducer();
    const publishedAt = new Map();
    const started = performance.now();
    const sends = [];
    for (let i = 0; i < EVENTS; i++) {
      const orderId = `ord_${i % Number(args.orders)}`;
      const eventId = `order.paid:${orderId}:${i}`;
      publishedAt.set(eventId, performance.now());
      sends.push(producer.sendEvent(newEvent({ type: 'order.paid', eventId, orderKey: orderId, instanceId: 'bench-shop', traceId: 'bench', payload: snapshot(orderId) })));
    }
    await Promise.all(sends);
    const published = performance.now();
    const expected = EVENTS * SUBSCRIPTIONS;
    while (partner.firstSeen.size < expected) {
      await new Promise((r) => setTimeout(r, 100));
      if (performance.now() - published > 300_000) throw new Error(`only ${partner.firstSeen.size} of ${expected} delivered after 5 minutes`);
    }
    const lastDelivered = Math.max(...partner.firstSeen.values());
    const latencies = [...partner.firstSeen.entries()].map(([key, at]) => at - publishedAt.get(key.split(' ')[1])).sort((a, b) => a - b);
    const seconds = (lastDelivered - started) / 1000;
    console.log(`outbound dispatch (${process.env.DISPATCH_DATABASE_URL ? 'Postgres' : 'PGlite'}, ${process.version}): ${EVENTS} events × ${SUBSCRIPTIONS} subscriptions (${Math.ceil(SUBSCRIPTIONS / 2)} unordered, ${Math.floor(SUBSCRIPTIONS / 2)} ordered), ${args.orders} order keys`);
    console.log(`published in ${((published - started) / 1000).toFixed(1)} s; ${expected} deliveries in ${seconds.toFixed(1)} s: ${Math.round(expected / seconds)} deliveries/s`);
    console.log(`publish → delivered: p50 ${Math.round(pct(latencies, 50))} ms, p99 ${Math.round(pct(latencies, 99))} ms, max ${Math.round(latencies[latencies.length - 1])} ms`);
    console.log(`signatures verified ${partner.counts().verified}, refused ${partner.counts().refused}`);
    console.log(await whereTheTimeWent(dispatch.url));
  } finally {
    await bus.close();
    partner.server.close();
    await stopProcesses([dispatch.child, broker.child]);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
