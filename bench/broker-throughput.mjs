#!/usr/bin/env node
// Benchmarks the embedded Kafka-protocol broker with kafkajs, the client the
// services use. The broker runs in its own process (its built CLI) with a data
// directory on disk, as in the one-machine mode; the client runs here.
//
//   npm run bench:broker                    # full run (about a minute)
//   node bench/broker-throughput.mjs --messages 50000 --latency-seconds 5
//   node bench/broker-throughput.mjs --broker 127.0.0.1:9092   # against a broker already running
//
// Measures, with 1 KB messages:
//   produce throughput, batches of 100, acks=1 and acks=all
//   consume throughput (a consumer group reading everything from the start)
//   produce latency p50/p99 at acks=all and a steady 1,000 msgs/s
// twice where kcat is installed: with kafkajs, whose own encoding is the limit
// on a 2-core machine, and with librdkafka (kcat), which leaves the broker as
// the limit.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { connect } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '200000' },
    'batch-size': { type: 'string', default: '100' },
    'in-flight': { type: 'string', default: '8' },
    'latency-rate': { type: 'string', default: '1000' },
    'latency-seconds': { type: 'string', default: '10' },
    json: { type: 'boolean', default: false },
    broker: { type: 'string' },
  },
});
const MESSAGES = Number(args.messages);
const BATCH = Number(args['batch-size']);
const IN_FLIGHT = Number(args['in-flight']);
const RATE = Number(args['latency-rate']);
const LATENCY_SECONDS = Number(args['latency-seconds']);
const VALUE = Buffer.alloc(1024, 'x');

const cli = fileURLToPath(new URL('../libs/kafka-broker/dist/cli.js', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'orderflow-bench-'));

function startBrokerProcess() {
  const child = spawn(process.execPath, [cli, '--port', '0', '--data-dir', dataDir, '--partitions', '3', '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /listening on ([^:\s]+):(\d+)/.exec(out);
      if (m) resolve({ child, broker: `${m[1]}:${m[2]}` });
    });
    child.once('exit', (code) => reject(new Error(`broker exited with ${code} before listening`)));
  });
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function produceThroughput(kafka, topic, acks) {
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  const batch = Array.from({ length: BATCH }, (_, i) => ({ key: `order-${i}`, value: VALUE }));
  await producer.send({ topic, acks, messages: batch }); // creates the topic, warms the connection
  let sent = 0;
  const started = performance.now();
  const worker = async () => {
    while (sent < MESSAGES) {
      sent += BATCH;
      await producer.send({ topic, acks, messages: batch });
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const seconds = (performance.now() - started) / 1000;
  await producer.disconnect();
  return { messages: sent, seconds, perSecond: sent / seconds, mbPerSecond: (sent * VALUE.length) / seconds / 1e6 };
}

async function consumeThroughput(kafka, topic, expected) {
  const consumer = kafka.consumer({ groupId: `bench-${Date.now()}`, maxBytes: 10 * 1024 * 1024, maxBytesPerPartition: 4 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let count = 0;
  let started = 0;
  const done = new Promise((resolve) => {
    consumer.run({
      autoCommitInterval: 5000,
      eachBatch: async ({ batch }) => {
        if (started === 0) started = performance.now();
        count += batch.messages.length;
        if (count >= expected) resolve();
      },
    });
  });
  await done;
  const seconds = (performance.now() - started) / 1000;
  await consumer.disconnect();
  return { messages: count, seconds, perSecond: count / seconds, mbPerSecond: (count * VALUE.length) / seconds / 1e6 };
}

async function steadyLatency(kafka, topic) {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: [{ value: VALUE }] });
  const total = RATE * LATENCY_SECONDS;
  const latencies = [];
  const pending = [];
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    // Open-loop schedule: message i is due at i/RATE seconds whatever earlier sends took,
    // so a slow answer shows up as latency instead of silently lowering the rate.
    const due = started + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const t = performance.now();
    pending.push(producer.send({ topic, acks: -1, messages: [{ key: `order-${i % 50}`, value: VALUE }] }).then(() => latencies.push(performance.now() - t)));
  }
  await Promise.all(pending);
  const seconds = (performance.now() - started) / 1000;
  await producer.disconnect();
  latencies.sort((a, b) => a - b);
  return { messages: total, achievedRate: total / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: latencies.at(-1) };
}

// kafkajs leaves Nagle's algorithm on; with several requests in flight the tail
// of each one then waits for the previous one's ACK. Services set TCP_NODELAY too.
function noDelaySockets({ host, port, onConnect }) {
  const socket = connect({ host, port }, onConnect);
  socket.setNoDelay(true);
  socket.setKeepAlive(true, 60_000);
  return socket;
}

/** Runs kcat to completion and returns the seconds it took. */
function timedKcat(args, stdoutToDevNull = true) {
  const started = performance.now();
  const r = spawnSync('kcat', args, { stdio: ['ignore', stdoutToDevNull ? 'ignore' : 'pipe', 'pipe'], maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`kcat ${args.join(' ')} failed: ${r.stderr}`);
  return (performance.now() - started) / 1000;
}

function kcatAvailable() {
  return spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status === 0;
}

/** librdkafka through kcat: batches of 100 x 1 KB, from a file of MESSAGES lines. */
function librdkafkaRun(broker) {
  const file = join(dataDir, 'messages.txt');
  writeFileSync(file, `${'x'.repeat(VALUE.length - 1)}\n`.repeat(MESSAGES));
  const produce = (topic, acks) => {
    const seconds = timedKcat(['-b', broker, '-t', topic, '-P', '-l', file, '-X', `acks=${acks}`, '-X', `batch.num.messages=${BATCH}`, '-X', 'linger.ms=2', '-X', `queue.buffering.max.messages=${MESSAGES}`]);
    return { messages: MESSAGES, seconds, perSecond: MESSAGES / seconds, mbPerSecond: (MESSAGES * VALUE.length) / seconds / 1e6 };
  };
  const acks1 = produce('bench-kcat-acks1', 1);
  const acksAll = produce('bench-kcat-acksall', 'all');
  const seconds = timedKcat(['-b', broker, '-t', 'bench-kcat-acks1', '-C', '-e', '-q', '-o', 'beginning', '-f', '%o\n']);
  const consume = { messages: MESSAGES, seconds, perSecond: MESSAGES / seconds, mbPerSecond: (MESSAGES * VALUE.length) / seconds / 1e6 };
  return { acks1, acksAll, consume };
}

const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

async function main() {
  const { child, broker } = args.broker ? { child: null, broker: args.broker } : await startBrokerProcess();
  const kafka = new Kafka({ clientId: 'bench', brokers: [broker], logLevel: logLevel.NOTHING, socketFactory: noDelaySockets });
  try {
    const acks1 = await produceThroughput(kafka, 'bench-acks1', 1);
    const acksAll = await produceThroughput(kafka, 'bench-acksall', -1);
    const consume = await consumeThroughput(kafka, 'bench-acks1', acks1.messages + BATCH);
    const latency = await steadyLatency(kafka, 'bench-latency');
    const librdkafka = kcatAvailable() ? librdkafkaRun(broker) : null;
    const result = { node: process.version, messageBytes: VALUE.length, batchSize: BATCH, inFlight: IN_FLIGHT, kafkajs: { acks1, acksAll, consume, latency }, librdkafka };
    if (args.json) {
      console.log(JSON.stringify(result, null, 2));
    } else {
      const line = (name, r) => console.log(`  ${name.padEnd(17)}${fmt(r.perSecond).padStart(9)} msgs/s  (${fmt(r.mbPerSecond, 1)} MB/s, ${fmt(r.messages)} msgs)`);
      console.log(`broker benchmark (${process.version}, 1 KB messages, batches of ${BATCH})`);
      console.log(`kafkajs 2.2 (${IN_FLIGHT} sends in flight)`);
      line('produce acks=1', acks1);
      line('produce acks=all', acksAll);
      line('consume', consume);
      console.log(
        `  acks=all latency at ${fmt(latency.achievedRate)} msgs/s: p50 ${fmt(latency.p50Ms, 2)} ms, p99 ${fmt(latency.p99Ms, 2)} ms, max ${fmt(latency.maxMs, 2)} ms`,
      );
      if (librdkafka) {
        console.log('librdkafka (kcat)');
        line('produce acks=1', librdkafka.acks1);
        line('produce acks=all', librdkafka.acksAll);
        line('consume', librdkafka.consume);
      } else {
        console.log('librdkafka: kcat not installed, skipped');
      }
    }
  } finally {
    if (child) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
