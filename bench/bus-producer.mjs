#!/usr/bin/env node
// Measures @orderflow/kafka's batching producer: how many catalog events per second concurrent
// `sendEvent` callers get durable (acks=all, idempotent, fsynced by the broker), against the
// baseline the batching exists to beat — one awaited kafkajs send per message.
//
//   npx nx run-many -t build -p events kafka kafka-broker && node bench/bus-producer.mjs
//   node bench/bus-producer.mjs --messages 50000 --concurrency 1,64,512 --baseline 3000
//
// The broker runs in this process with a data directory on disk (so acks=all really fsyncs). It
// shares the CPU with the client, which makes the figures conservative.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, silentLogger } from '@orderflow/kafka-broker';
import { createBus } from '@orderflow/kafka';

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '50000' },
    concurrency: { type: 'string', default: '1,16,128,1024' },
    baseline: { type: 'string', default: '3000' },
    json: { type: 'boolean', default: false },
  },
});
const MESSAGES = Number(args.messages);

function stripeEvent(orderKey) {
  const id = `evt_${randomUUID()}`;
  const now = new Date().toISOString();
  return {
    eventId: id, type: 'payment_intent.succeeded', version: 1, source: 'stripe', orderKey, instanceId: null,
    occurredAt: now, receivedAt: now, traceId: randomUUID(),
    payload: { id, type: 'payment_intent.succeeded', created: Math.floor(Date.now() / 1000),
      data: { object: { id: `pi_${randomUUID()}`, object: 'payment_intent', amount: 1999, currency: 'eur', metadata: { orderId: orderKey } } } },
  };
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function baseline(brokers, count) {
  const kafka = new Kafka({ clientId: 'bench-baseline', brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const topic = `baseline-${randomUUID()}`;
  await producer.send({ topic, acks: -1, messages: [{ key: 'warm', value: 'up' }] });
  const value = Buffer.from(JSON.stringify(stripeEvent('order-0')));
  const started = performance.now();
  for (let i = 0; i < count; i += 1) await producer.send({ topic, acks: -1, messages: [{ key: `order-${i % 1000}`, value }] });
  const seconds = (performance.now() - started) / 1000;
  await producer.disconnect();
  return { name: 'kafkajs, one awaited send per message', messages: count, perSecond: Math.round(count / seconds) };
}

async function batched(bus, concurrency, count) {
  const producer = bus.createProducer();
  await producer.sendEvent(stripeEvent('warm-up'));
  const latencies = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const event = stripeEvent(`order-${i % 1000}`);
        const t = performance.now();
        await producer.sendEvent(event);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await producer.close();
  latencies.sort((a, b) => a - b);
  return {
    name: `bus sendEvent, ${concurrency} concurrent callers`,
    messages: count,
    perSecond: Math.round(count / seconds),
    p50Ms: Number(pct(latencies, 50).toFixed(2)),
    p99Ms: Number(pct(latencies, 99).toFixed(2)),
  };
}

const dataDir = mkdtempSync(join(tmpdir(), 'bench-bus-'));
const broker = await startBroker({ host: '127.0.0.1', port: 0, dataDir, logger: silentLogger });
const bus = createBus({ brokers: broker.brokers, clientId: 'bench' });
const results = [];
try {
  results.push(await baseline(broker.brokers, Number(args.baseline)));
  for (const c of args.concurrency.split(',').map(Number)) {
    results.push(await batched(bus, c, c === 1 ? Math.min(MESSAGES, Number(args.baseline)) : MESSAGES));
  }
  const produceRequests = (await broker.metrics.requests.get()).values.filter((v) => v.labels.api === 'Produce').reduce((s, v) => s + v.value, 0);
  if (args.json) console.log(JSON.stringify({ results, produceRequests }));
  else {
    for (const r of results) {
      const lat = r.p50Ms === undefined ? '' : `  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms`;
      console.log(`${r.name.padEnd(44)} ${String(r.perSecond).padStart(8)} msgs/s  (${r.messages} messages)${lat}`);
    }
    console.log(`Produce requests handled by the broker in total: ${produceRequests}`);
  }
} finally {
  await bus.close();
  await broker.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
