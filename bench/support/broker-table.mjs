// The broker benchmark's report: one column group per broker, side by side, and when there are
// two, the first's figure divided by the second's (above 1: more messages per second, or more
// CPU per message, or a longer wait, than the second).

const fmt = (n, d = 0) => (n === null || n === undefined ? '-' : n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
const ratio = (a, b) => (a === null || b === null || a === undefined || b === undefined || b === 0 ? '-' : `${fmt(a / b, 2)}×`);

/** Left-aligns the first column and right-aligns the rest, each as wide as its widest cell. */
function printRows(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c] ?? '').length)));
  for (const row of rows) {
    const cells = row.map((cell, c) => (c === 0 ? String(cell).padEnd(widths[c]) : String(cell ?? '').padStart(widths[c])));
    console.log(`  ${cells.join('   ')}`.trimEnd());
  }
}

function throughputRows(title, names, pick, results) {
  const header = [title, ...names.flatMap((n) => [`${n} msgs/s`, 'MB/s', 'CPU µs/msg', 'CPU %'])];
  if (names.length === 2) header.push('msgs/s ratio', 'CPU/msg ratio');
  const rows = [header];
  for (const [label, key] of [
    ['produce acks=1', 'acks1'],
    ['produce acks=all', 'acksAll'],
    ['consume', 'consume'],
  ]) {
    const per = names.map((n) => pick(results[n])?.[key]);
    const row = [label, ...per.flatMap((r) => [fmt(r?.perSecond), fmt(r?.mbPerSecond, 1), fmt(r?.cpuUsPerMessage, 1), fmt(r?.brokerCorePercent)])];
    if (names.length === 2) row.push(ratio(per[0]?.perSecond, per[1]?.perSecond), ratio(per[0]?.cpuUsPerMessage, per[1]?.cpuUsPerMessage));
    rows.push(row);
  }
  printRows(rows);
}

function latencyRows(names, results) {
  const per = names.map((n) => results[n].kafkajs.latency);
  const header = ['acks=all, one message per send', ...names];
  if (names.length === 2) header.push('ratio');
  const rows = [header];
  for (const [label, key, digits] of [
    ['achieved msgs/s', 'achievedRate', 0],
    ['p50 ms', 'p50Ms', 2],
    ['p90 ms', 'p90Ms', 2],
    ['p99 ms', 'p99Ms', 2],
    ['max ms', 'maxMs', 2],
    ['broker CPU µs/msg', 'cpuUsPerMessage', 1],
    ['broker CPU %', 'brokerCorePercent', 0],
  ]) {
    const row = [label, ...per.map((r) => fmt(r[key], digits))];
    if (names.length === 2) row.push(key === 'achievedRate' ? '' : ratio(per[0][key], per[1][key]));
    rows.push(row);
  }
  printRows(rows);
}

/** Prints a run as tables (what `--json` prints as one object). */
export function printComparison(run) {
  const names = Object.keys(run.brokers);
  console.log(
    `broker benchmark: ${fmt(run.messageBytes)} B messages, batches of ${run.batchSize}, ${fmt(run.messages)} messages per throughput run, ` +
      `after a warm-up of ${fmt(run.warmup)} messages and ${fmt(run.warmupSeconds)} s of the latency load; client on Node ${run.node}`,
  );
  for (const n of names) console.log(`  ${n.padEnd(9)} ${run.brokers[n].label}`);
  console.log('CPU: the broker process alone (user + system, /proc), per message and as % of one core over the phase.');
  if (names.length === 2) console.log(`ratio: ${names[0]} ÷ ${names[1]}.`);
  console.log(`\nkafkajs 2.2, ${run.inFlight} sends in flight`);
  throughputRows('', names, (r) => r.kafkajs, run.brokers);
  console.log(`\nkafkajs latency at a steady ${fmt(run.latencyRate)} msgs/s`);
  latencyRows(names, run.brokers);
  if (run.librdkafka) {
    console.log(`\nlibrdkafka ${run.librdkafka} (kcat)`);
    throughputRows('', names, (r) => r.librdkafka, run.brokers);
  } else {
    console.log('\nlibrdkafka: kcat not installed, skipped');
  }
}
