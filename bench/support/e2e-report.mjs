import { cpus, loadavg } from 'node:os';

/** e2e-orders.mjs's report: the load average, the number formats and the printed tables. */
export const loads = () => loadavg().map((l) => l.toFixed(2)).join(' ');
export const ms = (v) => (v === null || v === undefined ? '—' : String(v));
const col = (v, w) => String(v).padStart(w);

/** The run's tables and verdicts, as the bench prints them without --json. */
export function printReport(rows, context, options) {
  const { line, seconds, p99BoundMs, postgres } = options;
  console.log(`Orderflow one machine vs the seed-001 baseline: ${context.database}, one ${line} line per order, ${seconds} s per rate, ${process.version}, ${cpus().length} CPUs`);
  console.log(`load average ${context.loadBefore} before, ${loads()} after (other work on this machine counts against both sides)`);
  console.log('system p50/p99: ingress answered 2xx → partner got order.fulfilled; baseline p50/p99: request due → partner got it (≈ its answer)');
  console.log('\n  rate/s | system accepted/s delivered/s  p50   p99 | baseline ok/s delivered/s  p50   p99 | delivered/s ratio');
  for (const { rate, system: s, baseline: b } of rows) {
    const baseline = b ? `${col(b.acceptedPerSecond, 13)} ${col(b.deliveredPerSecond, 11)} ${col(ms(b.sentP50Ms), 4)} ${col(ms(b.sentP99Ms), 5)}` : col('not run (past its limit)', 35);
    const ratio = b && b.deliveredPerSecond > 0 ? `${(s.deliveredPerSecond / b.deliveredPerSecond).toFixed(2)}×` : '—';
    console.log(`${col(rate, 8)} | ${col(s.acceptedPerSecond, 17)} ${col(s.deliveredPerSecond, 11)} ${col(ms(s.e2eP50Ms), 4)} ${col(ms(s.e2eP99Ms), 5)} | ${baseline} | ${col(ratio, 17)}`);
  }
  console.log('\n  rate/s | system: accept p50/p99  sent→partner p50/p99/max  mails  errors  sustained | baseline: sent→partner max  mails  errors  sustained');
  for (const { rate, system: s, baseline: b } of rows) {
    const sys = `${col(`${s.acceptP50Ms}/${s.acceptP99Ms}`, 22)} ${col(`${ms(s.sentP50Ms)}/${ms(s.sentP99Ms)}/${ms(s.sentMaxMs)}`, 25)} ${col(`${s.mailed}/${s.offered}`, 6)} ${col(s.errors + s.offered - s.delivered, 7)} ${col(s.sustained ? 'yes' : 'no', 10)}`;
    const base = b ? `${col(ms(b.sentMaxMs), 26)} ${col(`${b.mailed}/${b.offered}`, 6)} ${col(b.errors + b.offered - b.delivered, 7)} ${col(b.sustained ? 'yes' : 'no', 10)}` : '';
    console.log(`${col(rate, 8)} | ${sys} | ${base}`);
  }
  const cpu = (x) => (x?.cpuMsPerOrder ? `${x.cpuMsPerOrder.process} + ${x.cpuMsPerOrder.postgres}, ≤ ${x.cpuBoundPerSecond}/s` : '—');
  console.log('\n  rate/s | CPU per order, ms (Linux /proc, from the first request to the end of the drain): process + Postgres, and the most orders/s');
  console.log(`         | ${cpus().length} cores could take at that cost with nothing else running (the load, partner and mail sink here run too)`);
  for (const { rate, system: s, baseline: b } of rows) console.log(`${col(rate, 8)} | system ${col(cpu(s), 22)} | baseline ${col(cpu(b), 22)}`);
  console.log('\n  rate/s | the system per order, by service: thread CPU ms, Postgres CPU ms, statements, Kafka requests');
  for (const { rate, system: s } of rows) {
    for (const [i, x] of (s.services ?? []).entries()) {
      const figures = x.service === 'rest' ? `${col(x.threadCpuMs, 6)}  (main thread: broker, console; V8's GC and compiler threads; libuv's pool)` : `${col(x.threadCpuMs, 6)} ${col(ms(x.postgresCpuMs), 6)} ${col(ms(x.statements), 6)} ${col(ms(x.kafkaRequests), 6)}`;
      console.log(`${col(i === 0 ? rate : '', 8)} | ${x.service.padEnd(12)} ${figures}`);
    }
  }
  if (rows.some((r) => r.system.services?.some((x) => x.statements === null && x.service !== 'rest')) && postgres) {
    console.log("         | statements: not counted (the server does not load pg_stat_statements: shared_preload_libraries = 'pg_stat_statements', then CREATE EXTENSION pg_stat_statements in the postgres database)");
  }
  console.log("\n  rate/s | where the system's time went, p50/p99 ms: sampled  accepted → PAID  PAID → FULFILLED  FULFILLED → partner");
  for (const { rate, system: s } of rows) {
    const st = s.stages;
    const pair = (x) => (x ? `${x.p50Ms}/${x.p99Ms}` : '—');
    console.log(`${col(rate, 8)} | ${col(st?.sampled ?? 0, 50)} ${col(pair(st?.acceptedToPaid), 15)} ${col(pair(st?.paidToFulfilled), 16)} ${col(pair(st?.fulfilledToPartner), 19)}`);
    const slowest = [...(s.handlers ?? [])].sort((a, b) => b.meanMs - a.meanMs).slice(0, 4);
    console.log(`${' '.repeat(8)} |   slowest consumer handlers, mean ms per call (calls): ${slowest.map((h) => `${h.handler} ${h.meanMs} (${h.calls})`).join(', ') || '—'}`);
  }
  const best = (side) => Math.max(0, ...rows.filter((r) => r[side]?.sustained).map((r) => r.rate));
  console.log(`\nhighest sustained rate (all delivered and mailed, delivered/s ≥ 95 % of offered, p99 sent→partner ≤ ${p99BoundMs} ms): system ${best('system') || 'none'}/s, baseline ${best('baseline') || 'none'}/s`);
  const at500 = rows.find((r) => r.rate === 500)?.system;
  if (at500) console.log(`target at 500/s, p99 accepted → partner < 250 ms: ${at500.e2eP99Ms !== null && at500.e2eP99Ms < 250 && at500.sustained ? 'met' : 'not met'} (${ms(at500.e2eP99Ms)} ms)`);
  console.log(`system log: ${context.problems.warn} warnings, ${context.problems.error} errors; partner signatures verified ${context.partner.verified}, refused ${context.partner.refused}`);
  for (const line of context.problems.last) console.log(`  ${line.slice(0, 400)}`);
  for (const note of context.notes) console.log(note);
}
