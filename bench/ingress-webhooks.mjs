#!/usr/bin/env node
// Signed Stripe webhooks at rising rates against the ingress, and in the same
// run against a bare node:http server that only verifies the signature and
// answers 200 (the ceiling). Every request carries a new event ID, so the
// ingress does its full work: verify, dedupe, log to its database, publish
// with acks=all and answer only once the event is durable.
//
//   npm run build && node bench/ingress-webhooks.mjs [--rates 250,500,1000,2000] [--seconds 10]
//     [--system ingress|one-machine] [--loads steady,burst] [--connections 50]
//   node bench/ingress-webhooks.mjs --system one-machine --rates 200 --loads steady,burst   # issue 20
//
// Processes: `--system ingress` (default): the embedded broker (its CLI) and the ingress (its
// dist/main.js, PGlite under a temp dir unless INGRESS_DATABASE_URL is set, in-memory dedupe).
// `--system one-machine`: `npm start`'s process (services/one-machine/dist/main.js: every
// service, the embedded broker, a PGlite database each), so the whole pipeline works behind the
// ingress: every webhook is a payment for a new order, which is created, paid, fulfilled and
// announced while the load goes on. The pipeline may fall behind; the ingress must not. The
// ceiling server runs alone; autocannon runs here. Requests are signed before
// each run starts (signing is the load generator's cost, not the server's), so
// the generator does not starve the servers it measures.
//
// CPU per 2xx (from /proc, Linux): each side's processes over the run, divided by its 2xx answers.
// For `one-machine` the process's figure is split into the ingress's thread (`of-ingress`), the
// main thread with the rest (embedded broker, console, V8's GC and compiler threads) and the
// consumers' threads, which work through the backlog the run builds while it goes on.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { startOneMachineProcess } from './support/one-machine-process.mjs';
import { pacedRun } from './support/paced-load.mjs';
import { threadCpu } from './support/per-service.mjs';
import { cpuOf, cpuSpent } from './support/proc-cpu.mjs';
import { root, startBrokerProcess, stopProcesses, waitForLine } from './support/processes.mjs';
import { signedStripeWebhook } from './support/stripe-webhook.mjs';

const { values: args } = parseArgs({
  options: {
    rates: { type: 'string', default: '250,500,1000,2000' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '5' },
    loads: { type: 'string', default: 'steady,burst' },
    system: { type: 'string', default: 'ingress' },
    json: { type: 'boolean', default: false },
  },
});
if (!['ingress', 'one-machine'].includes(args.system)) throw new Error(`--system: ingress or one-machine, not "${args.system}"`);
const RATES = args.rates.split(',').map(Number);
const SECONDS = Number(args.seconds);
const CONNECTIONS = Number(args.connections);
let SECRET = `whsec_${randomUUID().replaceAll('-', '')}`;
const dataDir = mkdtempSync(join(tmpdir(), 'orderflow-ingress-bench-'));

async function startIngress(brokers, port) {
  // BENCH_INGRESS_NODE_ARGS, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof', to profile the ingress.
  const nodeArgs = (process.env.BENCH_INGRESS_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, join(root, 'services/ingress/dist/main.js')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PORT: String(port),
      KAFKA_BROKERS: brokers,
      DATA_DIR: join(dataDir, 'ingress'),
      STRIPE_WEBHOOK_SECRET: SECRET,
      ADMIN_TOKEN: randomUUID(),
      METRICS_TOKEN: randomUUID(),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    },
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`ingress exited with ${child.exitCode}`);
    const ready = await fetch(`${base}/readyz`).then((r) => r.ok, () => false);
    if (ready) return { child, base };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('ingress not ready after 30 s');
}

async function startCeiling() {
  const child = spawn(process.execPath, [join(root, 'bench/support/stripe-ceiling-server.mjs')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, STRIPE_WEBHOOK_SECRET: SECRET },
  });
  const m = await waitForLine(child, /listening on ([^:\s]+):(\d+)/, 'ceiling');
  return { child, base: `http://${m[1]}:${m[2]}` };
}

/** A payment_intent.succeeded event with a new ID, signed as Stripe signs it: a new order when the pipeline runs. */
function signedRequest() {
  const orderId = `order_${randomUUID()}`;
  const pi = { id: `pi_${randomUUID().replaceAll('-', '')}`, object: 'payment_intent', amount: 4200, currency: 'eur', status: 'succeeded', metadata: { orderId } };
  return signedStripeWebhook(pi, SECRET, { idPrefix: 'evt_bench_' });
}

/** Enough signed requests for a run at `rate`, with room for autocannon's bursts. */
function signedBatch(rate) {
  return Array.from({ length: Math.ceil(rate * SECONDS * 1.2) + CONNECTIONS }, signedRequest);
}

/** autocannon at an offered rate: throughput, and latency under its per-second bursts. */
function burstRun(base, rate) {
  const signed = signedBatch(rate);
  let next = 0;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: base,
        connections: CONNECTIONS,
        overallRate: rate,
        duration: SECONDS,
        requests: [{ setupRequest: (req) => ({ ...req, ...(signed[next++] ?? signedRequest()) }) }],
      },
      (err, result) => (err ? reject(err) : resolve(burstSummary(result))),
    );
  });
}

function burstSummary(result) {
  const ok = result['2xx'];
  return { sent: result.requests.sent, ok, non2xx: result.non2xx, errors: result.errors + result.timeouts, perSecond: ok / SECONDS, p50Ms: result.latency.p50, p99Ms: result.latency.p99 };
}

/** The same rate, paced evenly (bench/support/paced-load.mjs). */
function steadyRun(base, rate) {
  const signed = signedBatch(rate);
  let next = 0;
  return pacedRun({ base, rate, seconds: SECONDS, next: () => signed[next++] ?? signedRequest() });
}

const LOADS = Object.fromEntries(
  args.loads.split(',').map((name) => {
    const runAt = { steady: steadyRun, burst: burstRun }[name];
    if (!runAt) throw new Error(`--loads: unknown load "${name}" (steady, burst)`);
    return [name, runAt];
  }),
);

/** The system under test: the ingress alone on the embedded broker, or `npm start`'s whole process. */
async function startSystem() {
  if (args.system === 'one-machine') {
    const system = await startOneMachineProcess({ dataDir: join(dataDir, 'one-machine'), env: {} });
    SECRET = system.stripeWebhookSecret;
    return { base: system.urls.ingress, children: [system.child] };
  }
  const broker = await startBrokerProcess(join(dataDir, 'kafka'));
  const ingress = await startIngress(broker.address, 18080 + Math.floor(Math.random() * 1000));
  return { base: ingress.base, children: [ingress.child, broker.child] };
}

/** CPU ms so far: every process of a side, and for the one-machine process its threads by name. */
function cpuReading(children) {
  const total = children.reduce((sum, child) => sum + cpuSpent({ user: 0, system: 0 }, cpuOf(child.pid)), 0);
  return { total, threads: args.system === 'one-machine' ? threadCpu(children[0].pid) : new Map() };
}

/** `runAt` with the CPU its side spent meanwhile: per 2xx in total, and (one-machine) by thread. */
async function measured(runAt, base, rate, children) {
  const before = cpuReading(children);
  const result = await runAt(base, rate);
  const after = cpuReading(children);
  const perOk = (ms) => (result.ok > 0 ? ms / result.ok : NaN);
  const spent = (name) => (after.threads.get(name) ?? 0) - (before.threads.get(name) ?? 0);
  const consumers = ['order', 'fulfillment', 'notification', 'dispatch'].reduce((sum, name) => sum + spent(name), 0);
  const threads = after.threads.size > 0 ? { ingress: perOk(spent('ingress')), main: perOk(spent('rest')), consumers: perOk(consumers) } : undefined;
  return { ...result, cpuMsPerOk: perOk(after.total - before.total), threads };
}

async function main() {
  const ingress = await startSystem();
  const ceiling = await startCeiling();
  const rows = [];
  try {
    // Untimed: JIT, connection pools, topic metadata and the database's caches warm up first.
    const warmup = { rate: RATES[0], seconds: Number(args.warmup) };
    for (const base of [ingress.base, ceiling.base]) {
      if (warmup.seconds > 0) await pacedRun({ base, ...warmup, next: signedRequest });
    }
    for (const [load, runAt] of Object.entries(LOADS)) {
      for (const rate of RATES) {
        const target = await measured(runAt, ingress.base, rate, ingress.children);
        const bare = await measured(runAt, ceiling.base, rate, [ceiling.child]);
        rows.push({ load, rate, ingress: target, ceiling: bare, ratio: target.perSecond / bare.perSecond });
      }
    }
  } finally {
    await stopProcesses([ceiling.child, ...ingress.children]);
    rmSync(dataDir, { recursive: true, force: true });
  }
  if (args.json) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  const database = process.env.INGRESS_DATABASE_URL ? 'Postgres' : 'PGlite';
  const system = args.system === 'one-machine' ? 'npm start: every service and the broker in one process, PGlite' : `ingress alone, ${database}`;
  console.log(`ingress (${system}) vs signature-only ceiling (${process.version}, ${SECONDS} s per rate, load ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
  for (const load of Object.keys(LOADS)) {
    console.log(
      load === 'steady'
        ? '\nsteady: requests paced evenly, open loop, latency from when each was due'
        : `\nburst: autocannon overallRate, ${CONNECTIONS} connections (each sends its share of a second back to back)`,
    );
    console.log('offered/s | ingress ok/s   p50    p99  non-2xx  CPU/2xx | ceiling ok/s   p50    p99  CPU/2xx | ratio');
    const cpu = (ms) => `${ms.toFixed(3)} ms`.padStart(8);
    for (const r of rows.filter((row) => row.load === load)) {
      const i = r.ingress;
      const c = r.ceiling;
      console.log(
        `${String(r.rate).padStart(9)} | ${i.perSecond.toFixed(0).padStart(12)} ${String(i.p50Ms).padStart(5)} ${String(i.p99Ms).padStart(6)} ${String(i.non2xx + i.errors).padStart(8)} ${cpu(i.cpuMsPerOk)} | ${c.perSecond.toFixed(0).padStart(12)} ${String(c.p50Ms).padStart(5)} ${String(c.p99Ms).padStart(6)} ${cpu(c.cpuMsPerOk)} | ${(100 * r.ratio).toFixed(0)}%`,
      );
      if (i.threads) console.log(`${''.padStart(9)} | CPU per 2xx by thread: ingress ${i.threads.ingress.toFixed(3)} ms, main (broker, console, GC) ${i.threads.main.toFixed(3)} ms, consumers ${i.threads.consumers.toFixed(3)} ms`);
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
