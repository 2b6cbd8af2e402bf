#!/usr/bin/env node
// Outbound dispatch: deliveries per second to a loopback partner that verifies every signature
// with the standardwebhooks library, and the latency from an event's publication to its
// delivery. The broker (its CLI) and the dispatch service (its dist/main.js) each run alone;
// the partner and the publisher run here.
//
//   npm run build && DISPATCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/dispatch_bench \
//     node bench/dispatch-throughput.mjs [--events 10000] [--subscriptions 2] [--rate 500]
//
// Every event is published at once (a burst: the throughput), or with --rate at that many events
// a second (the latency at a load the service keeps up with). Latencies are from each event's
// publication (its due time, with --rate) to its first arrival at the partner, and, on Postgres,
// from its consumption (the delivery's creation) to its delivery as the service recorded it.
// Without DISPATCH_DATABASE_URL the service uses PGlite under a temp dir. BENCH_DISPATCH_MAIN
// names another build's main.js (e.g. a copy of the previous dist), to compare two builds
// back to back under the same load.
//
// Times depend on whatever else the machine runs, so the bench also reports the CPU each
// process spent per delivery while the events were delivered (Linux: /proc): the service, the
// broker, this process (the partner, after publishing) and, on Postgres, the server processes
// serving the bench's database.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { createBus } from '@orderflow/kafka';
import { newEvent } from '@orderflow/events';
import pg from 'pg';
import { startPartnerEndpoint } from './support/partner-endpoint.mjs';
import { root, startBrokerProcess, startServiceProcess, stopProcesses } from './support/processes.mjs';
import { cpuOf, postgresCpu } from './support/proc-cpu.mjs';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '10000' },
    subscriptions: { type: 'string', default: '2' },
    orders: { type: 'string', default: '1000' },
    rate: { type: 'string' },
    'endpoint-concurrency': { type: 'string' },
  },
});
const EVENTS = Number(args.events);
const SUBSCRIPTIONS = Number(args.subscriptions);
const RATE = args.rate ? Number(args.rate) : undefined;
const dataDir = mkdtempSync(join(tmpdir(), 'orderflow-dispatch-bench-'));
const API_KEY = `bench-key-${randomUUID()}`;
const METRICS_TOKEN = `bench-metrics-${randomUUID()}`;

function startDispatch(brokers) {
  return startServiceProcess(
    'outbound-dispatch',
    process.env.BENCH_DISPATCH_MAIN ? relative(root, resolve(process.env.BENCH_DISPATCH_MAIN)) : 'services/outbound-dispatch/dist/main.js',
    {
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      KAFKA_BROKERS: brokers.join(','),
      DATA_DIR: join(dataDir, 'dispatch'),
      ADMIN_TOKEN: randomUUID(),
      METRICS_TOKEN,
      API_KEYS: `bench-shop:${API_KEY}`,
      OUTBOUND_ALLOWED_HOSTS: '127.0.0.1',
      ...(args['endpoint-concurrency'] ? { DISPATCH_ENDPOINT_CONCURRENCY: args['endpoint-concurrency'] } : {}),
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
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  const sum = (name) => [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([\\d.e+-]+)$`, 'gm'))].reduce((total, m) => total + Number(m[1]), 0);
  const mean = (name) => (1000 * sum(`${name}_sum`)) / Math.max(1, sum(`${name}_count`));
  return (
    `service: partner round trip mean ${mean('dispatch_attempt_duration_seconds').toFixed(1)} ms over ${sum('dispatch_attempt_duration_seconds_count')} attempts; ` +
    `intake ${sum('orderflow_consumer_messages_processed_total')} events in ${sum('orderflow_consumer_handler_duration_seconds_count')} calls, mean ${mean('orderflow_consumer_handler_duration_seconds').toFixed(1)} ms per call`
  );
}

/** What each process spent per delivery between `before` and now, in µs (of it in the kernel). */
function cpuPerDelivery(before, now, deliveries) {
  const perDelivery = (ms) => Math.round((ms * 1000) / deliveries);
  return Object.entries(now)
    .map(([name, cpu]) => `${name} ${perDelivery(cpu.user + cpu.system - before[name].user - before[name].system)} µs (system ${perDelivery(cpu.system - before[name].system)})`)
    .join(', ');
}

/** Consumed (the delivery created) → delivered (as recorded), from the service's database. */
async function consumedToDelivered(databaseUrl) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT percentile_disc(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY lag) AS p, max(lag) AS max
       FROM (SELECT extract(epoch FROM delivered_at - created_at) * 1000 AS lag FROM deliveries WHERE status = 'DELIVERED') d`,
    );
    const [p50, p99] = rows[0].p.map(Number);
    return `consumed → delivered: p50 ${Math.round(p50)} ms, p99 ${Math.round(p99)} ms, max ${Math.round(Number(rows[0].max))} ms`;
  } finally {
    await client.end();
  }
}

/** Publishes `count` events, all at once or `rate` a second; resolves with when each was due. */
async function publish(producer, count, rate) {
  const dueAt = new Map();
  const sends = [];
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const due = rate ? started + (i * 1000) / rate : performance.now();
    while (performance.now() < due) await new Promise((r) => setTimeout(r, 1));
    const orderId = `ord_${i % Number(args.orders)}`;
    const eventId = `order.paid:${orderId}:${i}`;
    dueAt.set(eventId, due);
    sends.push(producer.sendEvent(newEvent({ type: 'order.paid', eventId, orderKey: orderId, instanceId: 'bench-shop', traceId: 'bench', payload: snapshot(orderId) })));
  }
  await Promise.all(sends);
  return dueAt;
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
    const expected = EVENTS * SUBSCRIPTIONS;
    const deliveredCount = () => routes.reduce((sum, route) => sum + route.firstSeen.size, 0);
    const database = process.env.DISPATCH_DATABASE_URL ? new URL(process.env.DISPATCH_DATABASE_URL).pathname.slice(1) : undefined;
    const postgres = postgresCpu([database]);
    postgres.sample();
    const cpuNow = () => {
      const self = process.cpuUsage();
      return {
        dispatch: cpuOf(dispatch.child.pid),
        broker: cpuOf(broker.child.pid),
        'bench (partner, publisher)': { user: self.user / 1000, system: self.system / 1000 },
        ...(database ? { postgres: postgres.total() } : {}),
      };
    };
    const cpuBefore = cpuNow();
    const loadBefore = loadavg()[0];
    const started = performance.now();
    const publishedAt = await publish(producer, EVENTS, RATE);
    const published = performance.now();
    // From here this process is the partner alone: its own cost per delivery, and how busy it is.
    const partnerFrom = { cpu: process.cpuUsage(), loop: performance.eventLoopUtilization(), delivered: deliveredCount() };
    let sampledAt = 0;
    while (deliveredCount() < expected) {
      await new Promise((r) => setTimeout(r, 100));
      if (performance.now() - sampledAt > 500) {
        postgres.sample();
        sampledAt = performance.now();
      }
      if (performance.now() - published > 300_000) throw new Error(`only ${deliveredCount()} of ${expected} delivered after 5 minutes`);
    }
    postgres.sample();
    const cpuAfter = cpuNow();
    const partnerCpu = process.cpuUsage(partnerFrom.cpu);
    const partnerLoop = performance.eventLoopUtilization(partnerFrom.loop);
    const arrivals = routes.flatMap((route) => [...route.firstSeen.entries()]);
    const lastDelivered = Math.max(...arrivals.map(([, at]) => at));
    const latencies = arrivals.map(([eventId, at]) => at - publishedAt.get(eventId)).sort((a, b) => a - b);
    const seconds = (lastDelivered - started) / 1000;
    console.log(
      `outbound dispatch (${process.env.DISPATCH_DATABASE_URL ? 'Postgres' : 'PGlite'}, ${process.version}): ${EVENTS} events ${RATE ? `at ${RATE}/s` : 'at once'} × ${SUBSCRIPTIONS} subscriptions ` +
        `(${Math.ceil(SUBSCRIPTIONS / 2)} unordered, ${Math.floor(SUBSCRIPTIONS / 2)} ordered), ${args.orders} order keys; load average ${loadBefore.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end`,
    );
    console.log(`published in ${((published - started) / 1000).toFixed(1)} s; ${expected} deliveries in ${seconds.toFixed(1)} s: ${Math.round(expected / seconds)} deliveries/s`);
    console.log(`publish → delivered: p50 ${Math.round(pct(latencies, 50))} ms, p99 ${Math.round(pct(latencies, 99))} ms, max ${Math.round(latencies[latencies.length - 1])} ms`);
    if (process.env.DISPATCH_DATABASE_URL) console.log(await consumedToDelivered(process.env.DISPATCH_DATABASE_URL));
    console.log(`signatures verified ${partner.counts().verified}, refused ${partner.counts().refused}`);
    console.log(`CPU per delivery: ${cpuPerDelivery(cpuBefore, cpuAfter, expected)}`);
    const afterPublishing = expected - partnerFrom.delivered;
    if (afterPublishing > 0) {
      console.log(
        `partner alone (after publishing, ${afterPublishing} deliveries): ${Math.round((partnerCpu.user + partnerCpu.system) / afterPublishing)} µs CPU per delivery, ` +
          `its event loop busy ${Math.round(100 * partnerLoop.utilization)} % of the time`,
      );
    }
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
