import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ServiceThreadInput, ServiceThreadMessage } from './service-thread';

/** The compiled entry of a service's thread, found from `src` (tests) and from `dist` alike. */
const ENTRY = path.join(__dirname, '..', 'dist', 'service-thread.js');

/** How long a thread's graceful stop may take before the thread is terminated. */
const STOP_TIMEOUT_MS = 60_000;

/**
 * A service on its own worker thread (service-thread.ts), seen from the one-machine mode: started
 * once it listens, stopped gracefully, and reported through `onExit` if it ever ends on its own
 * (an uncaught error in it), which the mode treats as fatal, as one process would have died.
 */
export class ServiceThread {
  private stopping = false;

  private constructor(
    readonly name: string,
    readonly url: string,
    private readonly worker: Worker,
  ) {}

  static start(input: ServiceThreadInput, onExit: (name: string, err: Error) => void): Promise<ServiceThread> {
    const worker = new Worker(ENTRY, { workerData: input });
    return new Promise<ServiceThread>((resolve, reject) => {
      let thread: ServiceThread | undefined;
      const ended = (err: Error) => {
        if (!thread) reject(err);
        else if (!thread.stopping) onExit(input.name, err);
      };
      worker.on('message', (message: ServiceThreadMessage) => {
        if (thread) return;
        if (message.kind === 'listening') {
          thread = new ServiceThread(input.name, message.url, worker);
          resolve(thread);
        } else if (message.kind === 'failed') {
          void worker.terminate();
          reject(Object.assign(new Error(message.message), { name: message.name, stack: message.stack }));
        }
      });
      worker.on('error', ended);
      worker.on('exit', (code) => ended(new Error(`the ${input.name} thread exited (code ${code})`)));
    });
  }

  /** Closes its HTTP server, stops the service, then ends the thread. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    let timer: NodeJS.Timeout | undefined;
    const outcome = new Promise<ServiceThreadMessage>((resolve) => {
      this.worker.on('message', (message: ServiceThreadMessage) => {
        if (message.kind === 'stopped' || message.kind === 'failed') resolve(message);
      });
      this.worker.once('exit', () => resolve({ kind: 'stopped' }));
      timer = setTimeout(() => resolve({ kind: 'failed', name: 'Error', message: `${this.name} did not stop within ${STOP_TIMEOUT_MS} ms` }), STOP_TIMEOUT_MS);
    });
    this.worker.postMessage({ kind: 'stop' });
    const result = await outcome;
    clearTimeout(timer);
    await this.worker.terminate();
    if (result.kind === 'failed') throw Object.assign(new Error(result.message), { name: result.name });
  }
}
