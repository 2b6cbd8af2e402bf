#!/usr/bin/env node
// End to end in one-machine mode: orders per second, and the time from the ingress accepting a
// Stripe `payment_intent.succeeded` to the partner receiving `order.fulfilled`, at 100 and 500
// orders/s, then at rising rates (750, 1000, 1500, … up to --max-rate; 0: no climb) while the
// system keeps up. The same rates, in the same run, against the seed-001 baseline
// (bench/support/seed001-baseline.mjs): one express handler doing the transaction, the
// fulfilment, the mail and the partner call inside the webhook request.
//
//   npm run build && node bench/e2e-orders.mjs [--rates 100,500] [--max-rate 8000] [--seconds 10]
//     [--line external|ticket] [--postgres] [--json]
//   node bench/e2e-orders.mjs --rates 50,100 --seconds 5 --max-rate 0 --postgres   # a quick check
//
// Processes: Orderflow's one-machine mode (services/one-machine/dist/main.js: every service and
// the embedded broker in one process, a PGlite database per service under a temp DATA_DIR; with
// --postgres a new database per service on the local Postgres, `<SERVICE>_DATABASE_URL`,
// dropped afterwards) and the baseline (PGlite, or its own database with --postgres) each run
// alone. Here: the open-loop load (bench/support/paced-load.mjs; requests signed before each
// run), the partner (bench/support/partner-endpoint.mjs: verifies every delivery with the
// standardwebhooks library; subscribed to `order.fulfilled` through `POST /external/webhooks`
// with the API key from <DATA_DIR>/secrets.json) and the SMTP relay both sides mail to.
// PGlite start-up takes 40-70 s on a busy 2-core machine, Postgres a few seconds.
//
// Each order is a new order ID with one line, the same on both sides: `external` (default, a
// gift card: nothing to issue, a confirmation mail) or `ticket` (unlimited capacity: a signed
// ticket is issued and its QR code drawn as a PNG into the mail, ~10-30 ms of CPU per mail
// measured here, which then dominates both sides). The ingress runs with its rate limit on, as
// deployed: it counts only refused webhooks, so signed load from one address is never limited.
//
// Reported per rate and side:
//   accepted/s  2xx answers per second (the baseline answers only once everything is done)
//   delivered/s orders whose order.fulfilled reached the partner, over the span from the first
//               to the last such delivery (a side that falls behind shows the rate it drains at)
//   latency     system: ingress answered 2xx → partner received order.fulfilled (issue 9's
//               target: p99 < 250 ms at 500/s); both sides: request due → partner received
//               ("sent →"), like for like, as the baseline calls the partner inside its request
//   mails       confirmation mails the relay received for the run's orders
//   stages      the system's accepted → PAID → FULFILLED → partner (bench/support/order-stages.mjs)
//   by service  the system per order, each service apart: its thread's CPU, its database's CPU and
//               statements (pg_stat_statements, when the server loads it), its Kafka requests; and
//               the rest of the process (bench/support/per-service.mjs)
//   CPU/order   CPU time the side's process and (with --postgres) its databases' server processes
//               used from the first request to the end of the drain, over the orders accepted: on
//               a machine this small, what a side costs per order bounds the rate it can keep,
//               printed as "≤ N/s" (cores × 1,000 ms over the CPU ms per order)
// A rate is sustained when every order was accepted, delivered and mailed, delivered/s ≥ 95 % of
// the offered rate and the p99 sent → partner ≤ --p99-bound ms. The climb stops at the first
// rate the system does not sustain; while climbing the baseline is not run past the first rate
// it did not sustain. Each run waits for its deliveries and mails until all came, none came for
// --drain s, or --drain-max s passed (then the system is still busy and the run stops there).
// The ratio is the system's delivered/s over the baseline's. Numbers from a busy machine are
// noise: the load average is printed with them.
import { randomBytes, randomUUID } from 'node:crypto';
import { cpus, tmpdir } from 'node:os';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { createTestDatabase } from '@orderflow/testing';
import { pacedRun } from './support/paced-load.mjs';
import { root, stopProcesses, waitForLine } from './support/processes.mjs';
import { startOneMachineProcess } from './support/one-machine-process.mjs';
import { handlerTimes, orderStages } from './support/order-stages.mjs';
import { startPartnerEndpoint } from './support/partner-endpoint.mjs';
import { cpuOf, cpuSpent, postgresCpu } from './support/proc-cpu.mjs';
import { kafkaRequests, perOrder, statementCounts, threadCpu } from './support/per-service.mjs';
import { startSmtpSink } from './support/smtp-sink.mjs';
import { signedStripeWebhook } from './support/stripe-webhook.mjs';
import { loads, ms, printReport } from './support/e2e-report.mjs';

const { values: args } = parseArgs({
  options: {
    rates: { type: 'string', default: '100,500' },
    'max-rate': { type: 'string', default: '8000' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    'p99-bound': { type: 'string', default: '1000' },
    drain: { type: 'string', default: '20' },
    'drain-max': { type: 'string', default: '300' },
    line: { type: 'string', default: 'external' },
    postgres: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const RATES = args.rates.split(',').map(Number);
const CLIMB = [750, 1000, 1500, 2000, 3000, 4000, 6000, 8000].filter((r) => r > Math.max(...RATES) && r <= Number(args['max-rate']));
const SECONDS = Number(args.seconds);
const P99_BOUND_MS = Number(args['p99-bound']);
const DRAIN_MS = Number(args.drain) * 1000;
const DRAIN_MAX_MS = Number(args['drain-max']) * 1000;
const LINES = {
  ticket: { productId: 'bench-conference', name: 'Bench Conference 2026', quantity: 1, unitAmountCents: 4_900, kind: 'ticket', capacityKey: 'bench-conference-2026' },
  external: { productId: 'gift-card', name: 'Gift card', quantity: 1, unitAmountCents: 4_900, kind: 'external' },
};
const LINE = LINES[args.line];
if (!LINE) throw new Error(`--line: ticket or external, not "${args.line}"`);
if (RATES.some((r) => !(r > 0)) || !(SECONDS > 0)) throw new Error('--rates and --seconds must be positive numbers');
const MAIL_FROM = 'Orderflow bench <shop@bench.example>';
const SERVICES = ['INGRESS', 'ORDER', 'FULFILLMENT', 'NOTIFICATION', 'DISPATCH'];
/** The same services as the one-machine mode names their threads and URLs. */
const SERVICE_NAMES = ['ingress', 'order', 'fulfillment', 'notification', 'dispatch'];
const dataDir = mkdtempSync(join(tmpdir(), 'orderflow-e2e-bench-'));
const runId = randomBytes(3).toString('hex');

/** One new order, paid: a signed `payment_intent.succeeded` whose metadata describes it. */
function signedOrder(side, tag, i) {
  const orderId = `ord_${tag}_${i}_${runId}`;
  const email = `${orderId}@customers.bench.example`;
  const pi = {
    id: `pi_${randomUUID().replaceAll('-', '')}`,
    object: 'payment_intent',
    amount: LINE.unitAmountCents,
    amount_received: LINE.unitAmountCents,
    currency: 'eur',
    status: 'succeeded',
    receipt_email: email,
    metadata: { orderId, instanceId: side.instanceId, customerName: 'Ada Bench', items: JSON.stringify([LINE]) },
  };
  return { ...signedStripeWebhook(pi, side.stripeSecret), orderId, email };
}

const pct = (sorted, q) => (sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]) : null);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until every accepted order was delivered and mailed ('done'), nothing new came for
 * DRAIN_MS ('stalled'), or DRAIN_MAX_MS passed with work still arriving ('backlog': the side is
 * still busy, so nothing measured after it would be clean).
 */
async function drain(side, orders, sink) {
  const started = performance.now();
  let seen = -1;
  let progressAt = started;
  for (;;) {
    const delivered = orders.filter((o) => side.route.firstSeen.has(o.orderId)).length;
    const mailed = orders.filter((o) => sink.firstMail.has(o.email)).length;
    if (delivered === orders.length && mailed === orders.length) return 'done';
    if (delivered + mailed !== seen) {
      seen = delivered + mailed;
      progressAt = performance.now();
    } else if (performance.now() - progressAt > DRAIN_MS) return 'stalled';
    if (performance.now() - started > DRAIN_MAX_MS) return 'backlog';
    await sleep(100);
  }
}

let runs = 0;

/** One side at one rate: the paced load, then the drain, then what the partner and the relay saw. */
async function measure(side, rate, seconds, sink) {
  const tag = `${side.name[0]}${++runs}`;
  const batch = Array.from({ length: Math.round(rate * seconds) }, (_, i) => signedOrder(side, tag, i));
  const accepted = [];
  let next = 0;
  const handlersBefore = side.stages ? await handlerTimes(side.stages.urls, side.stages.metricsToken) : undefined;
  // CPU from the first request to the end of the drain: the side's process and its databases.
  const postgres = postgresCpu(side.databases);
  postgres.sample();
  const sampler = setInterval(postgres.sample, 500);
  const cpuBefore = { process: cpuOf(side.child.pid), postgres: postgres.total() };
  const servicesBefore = side.stages ? await serviceReadings(side, postgres) : undefined;
  const load = await pacedRun({
    base: side.url,
    rate,
    seconds,
    next: () => batch[next++],
    onAnswer: (order, answer) => {
      if (answer.status >= 200 && answer.status < 300) accepted.push({ orderId: order.orderId, email: order.email, ...answer });
    },
  });
  const drained = await drain(side, accepted, sink).finally(() => clearInterval(sampler));
  postgres.sample();
  const cpuAfter = { process: cpuOf(side.child.pid), postgres: postgres.total() };
  const servicesAfter = side.stages ? await serviceReadings(side, postgres) : undefined;
  const delivered = accepted.filter((o) => side.route.firstSeen.has(o.orderId)).map((o) => ({ ...o, at: side.route.firstSeen.get(o.orderId) }));
  const times = delivered.map((o) => o.at).sort((a, b) => a - b);
  const span = times.length > 1 ? (times[times.length - 1] - times[0]) / 1000 : seconds;
  const fromAccept = delivered.map((o) => o.at - o.answeredAt).sort((a, b) => a - b);
  const fromSent = delivered.map((o) => o.at - o.dueAt).sort((a, b) => a - b);
  const mailed = accepted.filter((o) => sink.firstMail.has(o.email)).length;
  const result = {
    offered: batch.length,
    accepted: accepted.length,
    acceptedPerSecond: Math.round(load.perSecond),
    acceptP50Ms: load.p50Ms,
    acceptP99Ms: load.p99Ms,
    delivered: delivered.length,
    deliveredPerSecond: Math.round(times.length > 1 ? (times.length - 1) / span : times.length / seconds),
    e2eP50Ms: pct(fromAccept, 0.5),
    e2eP99Ms: pct(fromAccept, 0.99),
    e2eMaxMs: pct(fromAccept, 1),
    sentP50Ms: pct(fromSent, 0.5),
    sentP99Ms: pct(fromSent, 0.99),
    sentMaxMs: pct(fromSent, 1),
    mailed,
    errors: load.non2xx + load.errors,
    cpuMsPerOrder: accepted.length
      ? { process: +(cpuSpent(cpuBefore.process, cpuAfter.process) / accepted.length).toFixed(2), postgres: +(cpuSpent(cpuBefore.postgres, cpuAfter.postgres) / accepted.length).toFixed(2) }
      : undefined,
    drained,
    services: servicesBefore && perService(servicesBefore, servicesAfter, accepted.length),
    stages: side.stages ? await orderStages({ orderUrl: side.stages.urls.order, adminToken: side.stages.adminToken, orders: delivered }) : undefined,
    handlers: side.stages ? (await handlerTimes(side.stages.urls, side.stages.metricsToken)).since(handlersBefore) : undefined,
  };
  result.cpuBoundPerSecond = cpuBound(result.cpuMsPerOrder);
  result.sustained =
    result.errors === 0 &&
    result.delivered === result.offered &&
    result.mailed === result.offered &&
    result.deliveredPerSecond >= 0.95 * rate &&
    result.sentP99Ms !== null &&
    result.sentP99Ms <= P99_BOUND_MS;
  return result;
}

/** The system's per-service counters (see bench/support/per-service.mjs), read together. */
async function serviceReadings(side, postgres) {
  const byService = (byDatabase) => byDatabase && new Map(SERVICE_NAMES.map((name, i) => [name, byDatabase.get(side.databases[i]) ?? 0]));
  return {
    thread: threadCpu(side.child.pid),
    postgres: byService(postgres.byDatabase()),
    statements: byService(await statementCounts(side.databases.filter(Boolean))),
    kafka: await kafkaRequests(side.stages.urls, side.stages.metricsToken),
  };
}

/** Per order, by service: its thread's CPU, its database's CPU and statements, its Kafka requests. */
function perService(before, after, orders) {
  const per = Object.fromEntries(Object.keys(before).map((what) => [what, perOrder(before[what], after[what], orders)]));
  return [...SERVICE_NAMES, 'rest'].map((name) => ({
    service: name,
    threadCpuMs: per.thread[name] ?? 0,
    postgresCpuMs: per.postgres[name] ?? null,
    statements: per.statements[name] ?? null,
    kafkaRequests: per.kafka[name] ?? null,
  }));
}

async function subscribe(system, partner) {
  const res = await fetch(`${system.urls.dispatch}/external/webhooks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${system.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url: `${partner.url}/system`, eventTypes: ['order.fulfilled'], description: 'bench/e2e-orders.mjs' }),
  });
  if (res.status !== 201) throw new Error(`subscription failed: ${res.status} ${await res.text()}`);
  return partner.watch('/system', (await res.json()).secret, 'order.fulfilled');
}

async function startBaseline({ sink, partner, database }) {
  const partnerSecret = `whsec_${randomBytes(32).toString('base64')}`;
  const stripeSecret = `whsec_${randomBytes(24).toString('base64url')}`;
  const child = spawn(process.execPath, [join(root, 'bench/support/seed001-baseline.mjs')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PORT: '0',
      STRIPE_WEBHOOK_SECRET: stripeSecret,
      SMTP_URL: sink.url,
      PARTNER_URL: `${partner.url}/baseline`,
      PARTNER_SECRET: partnerSecret,
      TICKET_SIGNING_KEY: randomBytes(32).toString('base64url'),
      ...(database ? { BASELINE_DATABASE_URL: database.url } : { BASELINE_DATA_DIR: join(dataDir, 'baseline') }),
    },
  });
  const m = await waitForLine(child, /baseline listening on ([^:\s]+):(\d+)/, 'baseline');
  child.stderr.on('data', (chunk) => process.stderr.write(chunk));
  return { name: 'baseline', child, url: `http://${m[1]}:${m[2]}`, stripeSecret, instanceId: 'local', route: partner.watch('/baseline', partnerSecret, 'order.fulfilled'), databases: [database?.name] };
}

/**
 * The rate the machine's cores could sustain if a side's CPU per order were all they did: an
 * upper bound, since the load generator, the partner and the mail sink share the cores.
 */
function cpuBound(perOrder) {
  if (!perOrder) return undefined;
  const ms = perOrder.process + perOrder.postgres;
  return ms > 0 ? Math.floor((cpus().length * 1000) / ms) : undefined;
}

async function main() {
  const loadBefore = loads();
  const databases = args.postgres ? await Promise.all([...SERVICES, 'BASELINE'].map(() => createTestDatabase('e2e_bench'))) : [];
  const sink = await startSmtpSink();
  const partner = await startPartnerEndpoint();
  const children = [];
  const rows = [];
  const notes = [];
  let system;
  try {
    mkdirSync(join(dataDir, 'baseline'), { recursive: true });
    const startedAt = performance.now();
    system = await startOneMachineProcess({
      dataDir: join(dataDir, 'system'),
      env: {
        SMTP_URL: sink.url,
        MAIL_FROM,
        // Like for like: the customer's confirmation is the one message either side sends. npm
        // start also mails the shop's admin about each paid order and keeps a Discord embed per
        // order event for the console; the baseline does neither.
        SHOP_ADMIN_EMAIL: '',
        KEEP_UNSENT: 'false',
        OUTBOUND_ALLOWED_HOSTS: '127.0.0.1',
        ...Object.fromEntries(databases.slice(0, SERVICES.length).map((db, i) => [`${SERVICES[i]}_DATABASE_URL`, db.url])),
      },
    });
    children.push(system.child);
    if (!args.json) console.error(`one machine ready in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
    const systemSide = {
      name: 'system',
      url: system.urls.ingress,
      stripeSecret: system.stripeWebhookSecret,
      instanceId: system.instanceId,
      route: await subscribe(system, partner),
      stages: { urls: system.urls, adminToken: system.adminToken, metricsToken: system.metricsToken },
      child: system.child,
      databases: databases.slice(0, SERVICES.length).map((db) => db.name),
    };
    const baseline = await startBaseline({ sink, partner, database: databases[SERVICES.length] });
    children.unshift(baseline.child);

    // Untimed: JIT, pools, topic metadata, prepared statements and caches warm up first.
    if (Number(args.warmup) > 0) for (const side of [baseline, systemSide]) await measure(side, Math.min(50, RATES[0]), Number(args.warmup), sink);

    let baselineLimit = Infinity;
    for (const rate of [...RATES, ...CLIMB]) {
      const climbing = !RATES.includes(rate);
      // The baseline first: its run ends with its last answer, while a system that fell behind
      // may still be working when its drain gives up, and would slow whatever ran next.
      const b = climbing && rate > baselineLimit ? null : await measure(baseline, rate, SECONDS, sink);
      if (b && !b.sustained) baselineLimit = Math.min(baselineLimit, rate);
      const s = await measure(systemSide, rate, SECONDS, sink);
      rows.push({ rate, system: s, baseline: b });
      if (!args.json) console.error(`${rate}/s: system delivered ${s.delivered}/${s.offered} p99 ${ms(s.e2eP99Ms)} ms${b ? `; baseline ${b.delivered}/${b.offered} p99 ${ms(b.sentP99Ms)} ms` : ''}`);
      if (s.drained === 'backlog') {
        notes.push(`stopped after ${rate}/s: the system was still delivering that run's orders after --drain-max ${args['drain-max']} s, so later rates could not be measured cleanly`);
        break;
      }
      // Every --rates rate runs; the climb goes on only from a rate the system sustained.
      if (!s.sustained && (climbing || rate === RATES[RATES.length - 1])) break;
    }
  } finally {
    await stopProcesses(children);
    await partner.close();
    await sink.close();
    for (const db of databases) await db.drop().catch((err) => console.error(`could not drop ${db.name}: ${err.message}`));
    rmSync(dataDir, { recursive: true, force: true });
  }
  const context = { database: args.postgres ? 'Postgres (a database per service)' : 'PGlite', loadBefore, problems: system.problems, partner: partner.counts(), notes };
  if (args.json) console.log(JSON.stringify({ context: { ...context, seconds: SECONDS, line: args.line, node: process.version, cpus: cpus().length, loadAfter: loads() }, rows }, null, 2));
  else printReport(rows, context, { line: args.line, seconds: SECONDS, p99BoundMs: P99_BOUND_MS, postgres: args.postgres });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
