import { readlinkSync, writeFileSync, writeSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { Env } from '@orderflow/config';
import { startHttpServer, type HttpServer, type RunnableService } from '@orderflow/http';
import { createLogger, type LogFormat, type Logger } from '@orderflow/logging';
import { configOf, LOG_NAME, type BackendName } from './services';

/** The consumers' threads' nice value: CFS then gives the ingress's thread about 9 times their share. */
const CONSUMER_NICENESS = 10;

/** What the one-machine mode hands a service's thread. */
export interface ServiceThreadInput {
  name: BackendName;
  env: Env;
  port: number;
  host: string;
  logLevel: string;
  logFormat: LogFormat;
  /** Colours in pretty lines: the process's stdout is a terminal. */
  logColors: boolean;
}

/** What a service's thread tells the one-machine mode. */
export type ServiceThreadMessage = { kind: 'listening'; url: string } | { kind: 'failed'; name: string; message: string; stack?: string } | { kind: 'stopped' };

/**
 * One service on its own thread: its own event loop, so a service's synchronous work (PGlite
 * queries, JSON of a large batch) never delays another's, and the machine's cores are all used.
 * Started by `startOneMachine`; answers `stop` with a graceful stop (HTTP first, then the service).
 */
async function run(input: ServiceThreadInput): Promise<void> {
  const port = parentPort!;
  // Written straight to the process's stdout: a thread's own stdout reaches it through the main
  // thread, asynchronously, and the last lines of a stop were lost when the thread ended.
  const destination = { write: (line: string) => void writeSync(1, line) };
  const logger = createLogger({ name: 'orderflow', level: input.logLevel as 'info', destination, format: input.logFormat, colors: input.logColors }).child({
    service: LOG_NAME[input.name],
  });
  let service: RunnableService | undefined;
  let http: HttpServer | undefined;
  const stop = async () => {
    await http?.close();
    await service?.stop();
  };
  port.on('message', (message: { kind: 'stop' }) => {
    if (message.kind !== 'stop') return;
    stop().then(
      () => port.postMessage({ kind: 'stopped' } satisfies ServiceThreadMessage),
      (err: unknown) => port.postMessage(failure(err)),
    );
  });
  nameThisThread(input.name, logger);
  if (input.name !== 'ingress') yieldToTheIngress(logger);
  try {
    service = (await configOf(input.name, input.env)).build(logger);
    await service.start();
    http = await startHttpServer(service.app, { port: input.port, host: input.host });
    port.postMessage({ kind: 'listening', url: http.url } satisfies ServiceThreadMessage);
  } catch (err) {
    await stop().catch(() => undefined);
    port.postMessage(failure(err));
  }
}

/**
 * Names this thread after its service (`of-order`, …) where Linux shows it (`top -H`, `ps -L`,
 * the task comm files under /proc), so the CPU each service uses is visible; elsewhere a no-op.
 */
function nameThisThread(name: BackendName, logger: Logger): void {
  if (process.platform !== 'linux') return;
  try {
    writeFileSync('/proc/thread-self/comm', `of-${name}`.slice(0, 15));
  } catch (err) {
    logger.debug({ err }, 'thread name unchanged');
  }
}

/**
 * Lowers this thread's scheduling priority (nice 10) so that when the cores are short, the
 * ingress's thread runs first: webhooks are answered on time while the consumers fall behind and
 * drain afterwards. Linux schedules threads alone (a thread's ID is a `setpriority` target);
 * elsewhere the threads keep equal priority.
 */
function yieldToTheIngress(logger: Logger): void {
  if (process.platform !== 'linux') return;
  try {
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    setPriority(threadId, CONSUMER_NICENESS);
  } catch (err) {
    logger.debug({ err }, 'thread priority unchanged');
  }
}

function failure(err: unknown): ServiceThreadMessage {
  return err instanceof Error ? { kind: 'failed', name: err.name, message: err.message, stack: err.stack } : { kind: 'failed', name: 'Error', message: String(err) };
}

if (parentPort) void run(workerData as ServiceThreadInput);
