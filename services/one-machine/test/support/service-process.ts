import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { waitFor } from '@orderflow/testing';
import { REPO } from '../deployment/deployment-files';

/**
 * One service instance as its own OS process: `node services/<service>/dist/main.js`, what the
 * image's entrypoint runs, with only the given environment (and PATH). It can be killed like any
 * process and started again with the same environment, as an orchestrator restarts a container.
 */
export class ServiceProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private output = '';

  constructor(
    readonly service: string,
    /** Which instance of the service: 1, 2, … */
    readonly instance: number,
    readonly url: string,
    private readonly env: Record<string, string>,
  ) {}

  get name(): string {
    return `${this.service}#${this.instance}`;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Starts the process and resolves once its /readyz answers 200. */
  async start(timeoutMs = 90_000): Promise<void> {
    if (this.child) throw new Error(`${this.name} is already running`);
    const child = spawn(process.execPath, [path.join(REPO, 'services', this.service, 'dist', 'main.js')], {
      env: { PATH: process.env.PATH ?? '', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const collect = (chunk: Buffer) => {
      this.output += chunk.toString('utf8');
      // Enough to explain a failure; a long run must not grow without bound.
      if (this.output.length > 400_000) this.output = this.output.slice(-200_000);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    this.exited = new Promise<void>((resolve) =>
      child.once('exit', (code, signal) => {
        if (this.child === child) this.child = null;
        this.output += `\n[${this.name} exited: code ${code}, signal ${signal}]\n`;
        resolve();
      }),
    );
    await waitFor(
      async () => {
        if (!this.child) throw new Error(`${this.name} exited while starting:\n${this.tail()}`);
        const res = await fetch(`${this.url}/readyz`).catch(() => null);
        return res?.status === 200;
      },
      { timeoutMs, intervalMs: 100, description: `${this.name} to be ready at ${this.url}` },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${this.tail()}`);
    });
  }

  /** SIGKILL: no handler runs, nothing is flushed or closed. Resolves once the process is gone. */
  async kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, as an orchestrator stops a container; SIGKILL after `graceMs`. */
  async stop(graceMs = 30_000): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Lines it logged that match `pattern`. */
  linesMatching(pattern: RegExp): string[] {
    return this.output.split('\n').filter((line) => pattern.test(line));
  }

  /** The end of what it printed, to explain a failed wait. */
  tail(lines = 30): string {
    return `--- ${this.name} (last lines)\n${this.output.split('\n').slice(-lines).join('\n')}`;
  }
}
