import type { Express } from 'express';
import type { Registry } from 'prom-client';
import { createLogger, type LogFormat, type Logger } from '@orderflow/logging';
import { startHttpServer } from './http-server';

/** What a service's builder returns, as far as running it as a process goes. */
export interface RunnableService {
  readonly app: Express;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface ServiceProcessOptions<Config extends { PORT: number; HOST: string; LOG_LEVEL: string; LOG_FORMAT?: LogFormat }> {
  name: string;
  /** Reads the environment; a `ConfigError` ends the process with EX_CONFIG (78) and its message. */
  loadConfig: () => Config;
  build: (config: Config, logger: Logger) => RunnableService;
}

/**
 * A service's `main`: config, build, start, listen, and on SIGTERM/SIGINT a graceful stop (no
 * new connections, requests in flight answered, then the service's own stop).
 */
export async function runServiceProcess<Config extends { PORT: number; HOST: string; LOG_LEVEL: string; LOG_FORMAT?: LogFormat }>(options: ServiceProcessOptions<Config>): Promise<void> {
  let config: Config;
  try {
    config = options.loadConfig();
  } catch (err) {
    if (err instanceof Error && err.name === 'ConfigError') {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const logger = createLogger({ name: options.name, level: config.LOG_LEVEL as Parameters<typeof createLogger>[0]['level'], format: config.LOG_FORMAT });
  try {
    const service = options.build(config, logger);
    await service.start();
    const http = await startHttpServer(service.app, { port: config.PORT, host: config.HOST });
    logger.info({ url: http.url }, `${options.name} listening`);

    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stopping: no new connections, finishing requests in flight');
      await http.close();
      await service.stop();
      process.exit(0);
    };
    process.once('SIGTERM', () => void stop('SIGTERM'));
    process.once('SIGINT', () => void stop('SIGINT'));
  } catch (err) {
    process.stderr.write(`${options.name} failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  }
}

/** What every service's builder returns: runnable, with the registry its `/metrics` serves. */
export interface ServiceHandle extends RunnableService {
  readonly registry: Registry;
}
