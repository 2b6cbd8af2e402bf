// Orderflow's one-machine mode (`npm start`: every service, the embedded broker, PGlite or the
// given databases) as its own process, for the end-to-end benchmark.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, waitForLine } from './processes.mjs';

/**
 * The service URLs as services/one-machine/src/main.ts prints them once everything listens, each
 * on its own port in the banner's "Each service  ingress <url>, order <url>, …" line (the
 * benchmark measures the services, not the one origin in front of them): it prints no
 * machine-readable line, so a change to that text shows up here.
 */
const SERVICES = ['ingress', 'order', 'fulfillment', 'notification', 'dispatch'];
const READY = new RegExp(`^${SERVICES.map((name) => `(?=[\\s\\S]*Each service\\s+[^\\n]*\\b${name} (http://[^,\\s/]+))`).join('')}`);

/**
 * Starts `node services/one-machine/dist/main.js` with its data under `dataDir` and `env` on top
 * of this process's environment, every port free (`PORT=0`, `KAFKA_PORT=0`). Resolves once it
 * printed its URLs, with the secrets it generated into `<dataDir>/secrets.json`. Its warnings
 * and errors are counted, and the last few kept for the report.
 */
export async function startOneMachineProcess({ dataDir, env, readyTimeoutMs = 300_000 }) {
  const nodeArgs = (process.env.BENCH_ONE_MACHINE_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, join(root, 'services/one-machine/dist/main.js')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PORT: '0', KAFKA_PORT: '0', LOG_LEVEL: 'warn', LOG_FORMAT: 'json', ...env, DATA_DIR: dataDir },
  });
  const log = watchLog(child);
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`one-machine printed no service URLs within ${readyTimeoutMs / 1000} s (has the text of services/one-machine/src/main.ts changed?); its last output:\n${log.tail()}`));
    }, readyTimeoutMs);
  });
  const m = await Promise.race([waitForLine(child, READY, 'one-machine'), timeout]).finally(() => clearTimeout(timer));
  const secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8'));
  const [instanceId, apiKey] = String(secrets.API_KEYS).split(',')[0].split(':');
  return {
    child,
    urls: Object.fromEntries(SERVICES.map((name, i) => [name, m[i + 1]])),
    stripeWebhookSecret: String(secrets.STRIPE_WEBHOOK_SECRET).split(',')[0],
    adminToken: secrets.ADMIN_TOKEN,
    metricsToken: secrets.METRICS_TOKEN,
    instanceId,
    apiKey,
    problems: log.problems,
    tail: log.tail,
  };
}

/** Counts pino lines at warn (40) and above, keeping the last few; and the last 20 lines of any kind. */
function watchLog(child) {
  const problems = { warn: 0, error: 0, last: [] };
  const last = [];
  let partial = '';
  const keep = (list, line, n) => {
    list.push(line);
    if (list.length > n) list.shift();
  };
  const onData = (chunk) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop();
    for (const line of lines) {
      const level = Number(/"level":(\d+)/.exec(line)?.[1] ?? 0);
      if (level === 40) problems.warn++;
      if (level >= 50) problems.error++;
      if (level >= 40) keep(problems.last, line, 5);
      keep(last, line, 20);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return { problems, tail: () => [...last, partial].join('\n') };
}
