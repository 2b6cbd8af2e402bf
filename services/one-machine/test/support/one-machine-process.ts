import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readSecrets, shopOf, type BackendService, type System } from './system';

const PACKAGE_DIR = path.resolve(__dirname, '../..');
export const MAIN_JS = path.join(PACKAGE_DIR, 'dist/main.js');

/** Each service's own URL, in the line `npm start` prints once every service answers. */
const eachService = (name: BackendService) => new RegExp(`^\\s+Each service\\s+.*\\b${name} (http://[^,\\s]+)`, 'm');
const URL_LINES: Record<BackendService, RegExp> = {
  ingress: eachService('ingress'),
  order: eachService('order'),
  fulfillment: eachService('fulfillment'),
  notification: eachService('notification'),
  dispatch: eachService('dispatch'),
};

/** `npm start` as a child process: what users run, killable like any process. */
export interface OneMachineProcess extends System {
  readonly pid: number;
  /** SIGKILL: no handler runs, nothing is flushed or closed. Resolves once the process is gone. */
  kill(): Promise<void>;
}

/** The entry file of each workspace package the process loads: this one's and its dependencies'. */
function runtimePackages(dir: string, seen = new Map<string, string>()): Map<string, string> {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name: string; main?: string; dependencies?: Record<string, string> };
  if (seen.has(manifest.name)) return seen;
  seen.set(manifest.name, path.join(dir, manifest.main ?? 'index.js'));
  for (const name of Object.keys(manifest.dependencies ?? {}).filter((d) => d.startsWith('@orderflow/'))) {
    runtimePackages(fs.realpathSync(path.join(PACKAGE_DIR, '../../node_modules', name)), seen);
  }
  return seen;
}

/**
 * The process runs the packages' builds. Nx's `test` target builds first (`dependsOn: build`,
 * cached by content, so modification times say nothing); a bare `jest` run before any build gets
 * this message instead of a module-not-found from the child.
 */
export function assertBuilt(): void {
  const missing = [...runtimePackages(PACKAGE_DIR)].filter(([, entry]) => !fs.existsSync(entry)).map(([name]) => name);
  if (!fs.existsSync(MAIN_JS)) missing.unshift('@orderflow/one-machine (dist/main.js)');
  if (missing.length > 0) {
    throw new Error(`not built: ${missing.join(', ')}. Run the tests through nx (npx nx test one-machine), which builds first, or build (npx nx run one-machine:build)`);
  }
}

/**
 * Runs `node services/one-machine/dist/main.js` on `dataDir` with only `env` (and PATH): no
 * variable of the test runner leaks in. Every port is ephemeral (PORT=0, KAFKA_PORT=0); the URLs
 * are read from what the process prints once it is ready.
 */
export async function startOneMachineProcess(dataDir: string, env: Record<string, string>, options: { readyTimeoutMs?: number } = {}): Promise<OneMachineProcess> {
  const child = spawn(process.execPath, [MAIN_JS], {
    cwd: dataDir,
    env: { PATH: process.env.PATH ?? '', ...env, DATA_DIR: dataDir, PORT: '0', KAFKA_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    // Enough to explain a failure; a long run must not grow without bound.
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const tail = () => output.split('\n').slice(-40).join('\n');

  const urls = await new Promise<Record<BackendService, string>>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`one-machine did not print its URLs within ${options.readyTimeoutMs ?? 120_000} ms:\n${tail()}`));
    }, options.readyTimeoutMs ?? 120_000);
    const check = () => {
      const found = Object.entries(URL_LINES).map(([name, pattern]) => [name, pattern.exec(output)?.[1]] as const);
      if (found.every(([, url]) => url)) {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve(Object.fromEntries(found) as Record<BackendService, string>);
      }
    };
    child.stdout!.on('data', check);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`one-machine exited before it was ready (code ${code}, signal ${signal}):\n${tail()}`));
    });
  });

  const secrets = readSecrets(path.join(dataDir, 'secrets.json'));
  const waitExit = async (signal: NodeJS.Signals, graceMs: number) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  return {
    description: 'one-machine process (embedded broker, PGlite)',
    pid: child.pid!,
    urls,
    secrets,
    shop: shopOf(secrets),
    diagnostics: () => `one-machine output (last lines):\n${tail()}`,
    kill: () => waitExit('SIGKILL', 0),
    stop: () => waitExit('SIGTERM', 30_000),
  };
}

