// What each service of the one-machine process costs, read from outside it, for the end-to-end
// benchmark's "per service" table:
//
//   thread CPU     the service's worker thread (named `of-<service>` by the one-machine mode, see
//                  services/one-machine/src/service-thread.ts); the rest of the process (the main
//                  thread with the embedded broker and the console, V8's GC and compiler threads,
//                  libuv's pool) is one line of its own
//   Postgres CPU   the server processes of the service's database
//   statements     pg_stat_statements calls in the service's database, when the server loads the
//                  extension (shared_preload_libraries; the bench says when it does not)
//   Kafka requests the service's `orderflow_kafka_client_requests_total`, from its /metrics
import { readdirSync, readFileSync } from 'node:fs';
import { TEST_POSTGRES_ADMIN_URL } from '@orderflow/testing';
import pg from 'pg';
import { cpuOf } from './proc-cpu.mjs';

/** The process's threads' CPU so far, ms, by thread name; unnamed threads count as `rest`. */
export function threadCpu(pid) {
  const byName = new Map();
  let tasks = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return byName;
  }
  for (const tid of tasks) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const { user, system } = cpuOf(`${pid}/task/${tid}`);
      const key = name.startsWith('of-') ? name.slice(3) : 'rest';
      byName.set(key, (byName.get(key) ?? 0) + user + system);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return byName;
}

/** Kafka requests each service has sent so far, by service, from each URL's /metrics (bearer `metricsToken`). */
export async function kafkaRequests(urls, metricsToken) {
  const byService = new Map();
  for (const [service, url] of Object.entries(urls)) {
    const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })).text();
    let total = 0;
    for (const line of text.split('\n')) {
      const m = /^orderflow_kafka_client_requests_total\{[^}]*\} (\d+)/.exec(line);
      if (m) total += Number(m[1]);
    }
    byService.set(service, total);
  }
  return byService;
}

/**
 * Statements run so far in each of `databases` (name → calls), or null when the server does not
 * track statements (pg_stat_statements not loaded or not created).
 */
export async function statementCounts(databases) {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    const { rows } = await client.query(
      'SELECT d.datname AS name, sum(s.calls)::bigint AS calls FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = ANY($1) GROUP BY d.datname',
      [databases],
    );
    return new Map(rows.map((row) => [row.name, Number(row.calls)]));
  } catch {
    return null;
  } finally {
    await client.end();
  }
}

/** The difference of two readings (Maps of name → count), over `orders`, rounded for a table. */
export function perOrder(before, after, orders) {
  const out = {};
  if (!before || !after || orders === 0) return out;
  for (const [name, value] of after) out[name] = +((value - (before.get(name) ?? 0)) / orders).toFixed(2);
  return out;
}
