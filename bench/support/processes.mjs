// Child processes for the benchmarks: the broker and the services each run alone, as they do
// in production, so the load generator never shares their thread.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Resolves with the first match of `pattern` in the child's output; rejects if it exits first.
 * Once matched it stops collecting (a long run's logs would be re-scanned on every chunk), and
 * the streams keep flowing, so a chatty child never blocks on a full pipe.
 */
export function waitForLine(child, pattern, what) {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (chunk) => {
      out += chunk;
      const m = pattern.exec(out);
      if (!m) return;
      child.stdout.off('data', onData);
      child.stderr.off('data', onData);
      child.stdout.resume();
      child.stderr.resume();
      resolve(m);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code} before it was ready:\n${out}`)));
  });
}

/** The embedded broker's CLI on a free port, its data under `dataDir`. */
export async function startBrokerProcess(dataDir) {
  const child = spawn(process.execPath, [join(root, 'libs/kafka-broker/dist/cli.js'), '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const m = await waitForLine(child, /listening on ([^:\s]+):(\d+)/, 'broker');
  return { child, address: `${m[1]}:${m[2]}` };
}

/**
 * A service's dist/main.js with `env`, resolved once it logs `<name> listening` (JSON lines, read
 * below, whatever LOG_FORMAT this shell has). Extra node
 * arguments come from `nodeArgsVar` (e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof' to profile it).
 */
export async function startServiceProcess(name, mainJs, env, nodeArgsVar) {
  const nodeArgs = (process.env[nodeArgsVar] ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, join(root, mainJs)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_FORMAT: 'json', ...env } });
  const m = await waitForLine(child, new RegExp(`"url":"(http://[^"]+)".*${name} listening`), name);
  return { child, url: m[1] };
}

/** SIGTERM to each in turn, waiting for it to exit: services first, the broker last. */
export async function stopProcesses(children) {
  for (const p of children) {
    p.kill('SIGTERM');
    await new Promise((r) => (p.exitCode !== null ? r() : p.once('exit', r)));
  }
}
