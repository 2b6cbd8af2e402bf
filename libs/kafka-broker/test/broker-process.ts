import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

export const CLI = path.join(__dirname, '..', 'dist', 'cli.js');

export interface BrokerProcess {
  readonly child: ChildProcess;
  readonly bootstrap: string;
  /** Everything the process printed to stdout so far. */
  output(): string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
}

/** Starts `orderflow-kafka` as its own process and resolves once it prints `listening on host:port`. */
export function startBrokerProcess(args: string[]): Promise<BrokerProcess> {
  const child = spawn(process.execPath, [CLI, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on ([^:\s"]+):(\d+)/.exec(out);
      if (m) resolve({ child, bootstrap: `${m[1]}:${m[2]}`, output: () => out, exited });
    });
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    void exited.then((code) => reject(new Error(`broker exited (${code}) before listening\n${out}\n${err}`)));
  });
}
