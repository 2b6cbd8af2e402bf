#!/usr/bin/env node
// Signed Stripe webhooks at rising rates against the ingress, and in the same
// run against a bare node:http server that only verifies the signature and
// answers 200 (the ceiling). Every request carries a new event ID, so the
// ingress does its full work: verify, dedupe, log to its database, publish
// with acks=all and answer only once the event is durable.
//
//   npm run build && node bench/ingress-webhooks.mjs [--rates 250,500,1000,2000] [--seconds 10]
//
// Processes: the embedded broker (its CLI) and the ingress (its dist/main.js,
// PGlite under a temp dir, in-memory dedupe) each run alone; the ceiling server
// and autocannon run here.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import Stripe from 'stripe';

const { values: args } = parseArgs({
  options: {
    rates: { type: 'string', default: '250,500,1000,2000' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    json: { type: 'boolean', default: false },
  },
});
const RATES = args.rates.split(',').map(Number);
const SECONDS = Number(args.seconds);
const CONNECTIONS = Number(args.connections);
const SECRET = `whsec_${randomUUID().replaceAll('-', '')}`;
const stripe = new Stripe('sk_test_bench_not_used');
const root = fileURLToPath(new URL('..', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'orderflow-ingress-bench-'));

function waitForLine(child, pattern, what) {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (chunk) => {
      out += chunk;
      const m = pattern.exec(out);
      if (m) resolve(m);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code} before it was ready:\n${out}`)));
  });
}

async function startBroker() {
  const child = spawn(process.execPath, [join(root, 'libs/kafka-broker/dist/cli.js'), '--port', '0', '--data-dir', join(dataDir, 'kafka'), '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const m = await waitForLine(child, /listening on ([^:\s]+):(\d+)/, 'broker');
  return { child, address: `${m[1]}:${m[2]}` };
}

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
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      // The load comes from one address; the limiter would measure itself.
      RATE_LIMIT_ENABLED: 'false',
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

function startCeiling() {
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        stripe.webhooks.constructEvent(Buffer.concat(chunks), req.headers['stripe-signature'], SECRET, 300);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
      } catch {
        res.writeHead(401).end();
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, base: `http://127.0.0.1:${server.address().port}` })));
}

/** A payment_intent.succeeded event with a new ID, signed as Stripe signs it. */
function signedRequest() {
  const id = `evt_bench_${randomUUID().replaceAll('-', '')}`;
  const orderId = `order_${Math.floor(Math.random() * 10_000)}`;
  const payload = JSON.stringify({
    id,
    object: 'event',
    type: 'payment_intent.succeeded',
    api_version: '2025-01-27.acacia',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object: { id: `pi_${randomUUID().replaceAll('-', '')}`, object: 'payment_intent', amount: 4200, currency: 'eur', status: 'succeeded', metadata: { orderId } } },
  });
  const signature = stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET });
  return { method: 'POST', path: '/api/webhooks/stripe', headers: { 'content-type': 'application/json', 'stripe-signature': signature }, body: payload };
}

function run(base, rate) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: base,
        connections: CONNECTIONS,
        overallRate: rate,
        duration: SECONDS,
        requests: [{ setupRequest: (req) => ({ ...req, ...signedRequest() }) }],
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

function summary(result) {
  const ok = result['2xx'];
  return { sent: result.requests.sent, ok, non2xx: result.non2xx, errors: result.errors + result.timeouts, perSecond: ok / SECONDS, p50Ms: result.latency.p50, p99Ms: result.latency.p99 };
}

async function main() {
  const broker = await startBroker();
  const ingress = await startIngress(broker.address, 18080 + Math.floor(Math.random() * 1000));
  const ceiling = await startCeiling();
  const rows = [];
  try {
    for (const rate of RATES) {
      const target = summary(await run(ingress.base, rate));
      const bare = summary(await run(ceiling.base, rate));
      rows.push({ rate, ingress: target, ceiling: bare, ratio: target.perSecond / bare.perSecond });
    }
  } finally {
    ceiling.server.close();
    for (const p of [ingress.child, broker.child]) {
      p.kill('SIGTERM');
      await new Promise((r) => (p.exitCode !== null ? r() : p.once('exit', r)));
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
  if (args.json) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  console.log(`ingress vs signature-only ceiling (${process.version}, ${CONNECTIONS} connections, ${SECONDS} s per rate)`);
  console.log('offered/s | ingress ok/s   p50    p99  non-2xx | ceiling ok/s   p50    p99 | ratio');
  for (const r of rows) {
    const i = r.ingress;
    const c = r.ceiling;
    console.log(
      `${String(r.rate).padStart(9)} | ${i.perSecond.toFixed(0).padStart(12)} ${String(i.p50Ms).padStart(5)} ${String(i.p99Ms).padStart(6)} ${String(i.non2xx + i.errors).padStart(8)} | ${c.perSecond.toFixed(0).padStart(12)} ${String(c.p50Ms).padStart(5)} ${String(c.p99Ms).padStart(6)} | ${(100 * r.ratio).toFixed(0)}%`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
