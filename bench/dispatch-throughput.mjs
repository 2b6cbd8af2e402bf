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
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { createBus } from '@orderflow/kafka';
import { newEvent } from '@orderflow/events';
import { startPartnerEndpoint } from './support/partner-endpoint.mjs';
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
  const partner = await startPartnerEndpoint();
  const routes = [];
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
      routes.push(partner.watch(path, (await res.json()).secret, (_event, headers) => headers['webhook-id']));
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
    const deliveredCount = () => routes.reduce((sum, route) => sum + route.firstSeen.size, 0);
    while (deliveredCount() < expected) {
      await new Promise((r) => setTimeout(r, 100));
      if (performance.now() - published > 300_000) throw new Error(`only ${deliveredCount()} of ${expected} delivered after 5 minutes`);
    }
    const arrivals = routes.flatMap((route) => [...route.firstSeen.entries()]);
    const lastDelivered = Math.max(...arrivals.map(([, at]) => at));
    const latencies = arrivals.map(([eventId, at]) => at - publishedAt.get(eventId)).sort((a, b) => a - b);
    const seconds = (lastDelivered - started) / 1000;
    console.log(`outbound dispatch (${process.env.DISPATCH_DATABASE_URL ? 'Postgres' : 'PGlite'}, ${process.version}): ${EVENTS} events × ${SUBSCRIPTIONS} subscriptions (${Math.ceil(SUBSCRIPTIONS / 2)} unordered, ${Math.floor(SUBSCRIPTIONS / 2)} ordered), ${args.orders} order keys`);
    console.log(`published in ${((published - started) / 1000).toFixed(1)} s; ${expected} deliveries in ${seconds.toFixed(1)} s: ${Math.round(expected / seconds)} deliveries/s`);
    console.log(`publish → delivered: p50 ${Math.round(pct(latencies, 50))} ms, p99 ${Math.round(pct(latencies, 99))} ms, max ${Math.round(latencies[latencies.length - 1])} ms`);
    console.log(`signatures verified ${partner.counts().verified}, refused ${partner.counts().refused}`);
    console.log(await whereTheTimeWent(dispatch.url));
  } finally {
    await bus.close();
    await partner.close();
    await stopProcesses([dispatch.child, broker.child]);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
