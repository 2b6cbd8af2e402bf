// The broker benchmark's measurements, one function each, run the same way against any broker:
// kafkajs (the client the services use) and librdkafka through kcat, 1 KB messages. Each result
// carries the broker process's CPU over the phase, read from /proc, when its PID is known.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { cpuOf, cpuSpent } from './proc-cpu.mjs';

export const VALUE = Buffer.alloc(1024, 'x');

// kafkajs leaves Nagle's algorithm on; with several requests in flight the tail
// of each one then waits for the previous one's ACK. Services set TCP_NODELAY too.
function noDelaySockets({ host, port, onConnect }) {
  const socket = connect({ host, port }, onConnect);
  socket.setNoDelay(true);
  socket.setKeepAlive(true, 60_000);
  return socket;
}

export function kafkajsClient(address) {
  return new Kafka({ clientId: 'bench', brokers: [address], logLevel: logLevel.NOTHING, socketFactory: noDelaySockets });
}

/** Runs `phase`, adding the broker's CPU over it: ms in all, µs per message, and % of one core. */
export async function withBrokerCpu(pid, phase) {
  const before = pid ? cpuOf(pid) : null;
  const started = performance.now();
  const result = await phase();
  const wallMs = performance.now() - started;
  if (!before) return { ...result, brokerCpuMs: null, cpuUsPerMessage: null, brokerCorePercent: null };
  const brokerCpuMs = cpuSpent(before, cpuOf(pid));
  return { ...result, brokerCpuMs, cpuUsPerMessage: (brokerCpuMs * 1000) / result.messages, brokerCorePercent: (100 * brokerCpuMs) / wallMs };
}

const rates = (messages, seconds) => ({ messages, seconds, perSecond: messages / seconds, mbPerSecond: (messages * VALUE.length) / seconds / 1e6 });

/** `messages` 1 KB messages in batches of `batch`, `inFlight` sends at a time, with `acks`. */
export async function produceThroughput(kafka, { topic, acks, messages, batch, inFlight }) {
  const producer = kafka.producer();
  await producer.connect();
  const records = Array.from({ length: batch }, (_, i) => ({ key: `order-${i}`, value: VALUE }));
  await producer.send({ topic, acks, messages: records }); // warms the connection
  let sent = 0;
  const started = performance.now();
  const worker = async () => {
    while (sent < messages) {
      sent += batch;
      await producer.send({ topic, acks, messages: records });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = (performance.now() - started) / 1000;
  await producer.disconnect();
  return rates(sent, seconds);
}

/** A new consumer group reading `topic` from the start until it has seen `expected` messages. */
export async function consumeThroughput(kafka, { topic, expected }) {
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
  return rates(count, seconds);
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** acks=all sends of one message at a steady `rate` for `seconds`, each timed to its answer. */
export async function steadyLatency(kafka, { topic, rate, seconds: duration }) {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: [{ value: VALUE }] });
  const total = rate * duration;
  const latencies = [];
  const pending = [];
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    // Open-loop schedule: message i is due at i/rate seconds whatever earlier sends took,
    // so a slow answer shows up as latency instead of silently lowering the rate.
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const t = performance.now();
    pending.push(producer.send({ topic, acks: -1, messages: [{ key: `order-${i % 50}`, value: VALUE }] }).then(() => latencies.push(performance.now() - t)));
  }
  await Promise.all(pending);
  const seconds = (performance.now() - started) / 1000;
  await producer.disconnect();
  latencies.sort((a, b) => a - b);
  return {
    messages: total,
    achievedRate: total / seconds,
    p50Ms: percentile(latencies, 50),
    p90Ms: percentile(latencies, 90),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.at(-1),
  };
}

/** Runs kcat to completion and returns the seconds it took. */
function timedKcat(args) {
  const started = performance.now();
  const r = spawnSync('kcat', args, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`kcat ${args.join(' ')} failed: ${r.stderr}`);
  return (performance.now() - started) / 1000;
}

export function kcatAvailable() {
  return spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status === 0;
}

/** The file of `messages` 1 KB lines kcat produces from, written once per run. */
export function kcatInput(dir, messages) {
  const file = join(dir, 'messages.txt');
  writeFileSync(file, `${'x'.repeat(VALUE.length - 1)}\n`.repeat(messages));
  return file;
}

/** librdkafka (kcat) producing the lines of `file` in batches of `batch`. */
export async function kcatProduce(address, { topic, acks, file, messages, batch }) {
  const args = ['-b', address, '-t', topic, '-P', '-l', file, '-X', `acks=${acks}`, '-X', `batch.num.messages=${batch}`, '-X', 'linger.ms=2'];
  return rates(messages, timedKcat([...args, '-X', `queue.buffering.max.messages=${messages}`]));
}

/** librdkafka (kcat) reading `topic` from the beginning to its end, no group. */
export async function kcatConsume(address, { topic, messages }) {
  return rates(messages, timedKcat(['-b', address, '-t', topic, '-C', '-e', '-q', '-o', 'beginning', '-f', '%o\n']));
}
