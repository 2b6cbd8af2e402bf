import { spawn } from 'node:child_process';
import { tempDir } from '@orderflow/testing';
import { assertBuilt, MAIN_JS } from './support/one-machine-process';

/** The last line of the start banner. */
const READY = 'Ctrl-C stops; starting again keeps every order, event and key.';

/** A pretty line as a terminal shows it once its colours are taken out: `[12:04:31.207] INFO: ingress | ingress started {…}`. */
const PRETTY_LINE = /^\[\d\d:\d\d:\d\d\.\d{3}\] (INFO|WARN|ERROR|FATAL|DEBUG|TRACE): (\S+) \| (.*)$/;

/** A first start creates five databases: tens of seconds on a busy 2-core machine. */
const READY_TIMEOUT_MS = 110_000;

const shellQuote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

/**
 * `npm start` on a terminal: run under `script` (util-linux), which gives it a pseudo-terminal
 * as stdout. Resolves with the lines it printed up to its banner (colours taken out), then ends
 * it as closing the terminal would.
 */
async function startOnATerminal(dataDir: string, env: Record<string, string>): Promise<string[]> {
  const child = spawn('script', ['-q', '-e', '-c', `${shellQuote(process.execPath)} ${shellQuote(MAIN_JS)}`, '/dev/null'], {
    cwd: dataDir,
    env: { PATH: process.env.PATH ?? '', ...env, DATA_DIR: dataDir, PORT: '0', KAFKA_PORT: '0' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (err) => {
      spawnError = new Error(`\`script\` (util-linux) gives npm start its terminal here: ${err.message}`);
      resolve();
    });
  });
  let output = '';
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      // Within the test's own timeout, so that the process is ended below rather than left running.
      timer = setTimeout(() => reject(new Error(`one-machine printed no banner within ${READY_TIMEOUT_MS} ms:\n${output}`)), READY_TIMEOUT_MS);
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.includes(READY)) resolve();
      });
      void exited.then(() => reject(spawnError ?? new Error(`one-machine exited before it was ready:\n${output}`)));
    });
  } finally {
    clearTimeout(timer);
    child.kill('SIGTERM');
    await exited;
  }
  const plain = output.replace(/\u001b\[[0-9;]*m/g, '').replace(/\r/g, '');
  return plain.slice(0, plain.indexOf('Orderflow is running')).split('\n').filter(Boolean);
}

describe('one machine: its log on a terminal', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('prints readable lines from the main thread and every service’s thread; LOG_FORMAT=json prints JSON lines there too', async () => {
    assertBuilt();
    const pretty = await startOnATerminal(dir.path, {});
    expect(pretty.length).toBeGreaterThan(0);
    // Each entry one readable line (an error's stack, indented, may follow it); none is JSON.
    for (const line of pretty) expect(line).toMatch(/^\s/.test(line) ? /^\s/ : PRETTY_LINE);
    const speakers = new Set(pretty.map((line) => PRETTY_LINE.exec(line)?.[2]));
    // The main thread (on a first start, the generated secrets) and each service on its own thread.
    expect([...speakers].sort()).toEqual(expect.arrayContaining(['console', 'fulfillment', 'ingress', 'notification', 'order', 'orderflow', 'outbound-dispatch']));
    expect(pretty.join('\n')).toContain('orderflow | generated local secrets');

    const json = await startOnATerminal(dir.path, { LOG_FORMAT: 'json' });
    expect(json.length).toBeGreaterThan(0);
    const parsed = json.map((line) => JSON.parse(line) as { name: string; service?: string; msg: string });
    // The service threads write each line at once; the main thread's JSON lines (pino's buffered
    // stdout) may come after the banner, so they are not looked for here.
    expect(parsed.map((entry) => entry.service)).toEqual(expect.arrayContaining(['ingress', 'order', 'fulfillment', 'notification', 'outbound-dispatch']));
  }, 240_000);
});
