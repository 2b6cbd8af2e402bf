import * as path from 'node:path';
import { ConfigError, type Env } from '@orderflow/config';
import { startBroker, type RunningBroker } from '@orderflow/kafka-broker';
import type { Logger } from '@orderflow/logging';

/** Kafka's own port: the embedded broker takes it when it is free, so `kcat -b 127.0.0.1:9092` just works. */
export const DEFAULT_KAFKA_PORT = 9092;

export interface EmbeddedBroker {
  readonly broker: RunningBroker;
  /** How its port was chosen, for the start banner. */
  readonly note: string;
}

/**
 * The embedded broker on `KAFKA_PORT` when it is set (in use: start-up stops, naming it), else
 * on 9092, else — 9092 taken by a local Kafka or another checkout's `npm start` — on a free port.
 * The broker advertises the port it bound, and the services are given `broker.brokers`, so
 * everything in this process follows it wherever it lands.
 */
export async function startEmbeddedBroker(env: Env, dataDir: string, logger: Logger, defaultPort = DEFAULT_KAFKA_PORT): Promise<EmbeddedBroker> {
  const options = { dataDir: path.join(dataDir, 'kafka'), logger: brokerLogger(logger) };
  if (env.KAFKA_PORT !== undefined && env.KAFKA_PORT !== '') {
    const port = kafkaPort(env.KAFKA_PORT);
    try {
      return { broker: await startBroker({ ...options, port }), note: port === 0 ? 'KAFKA_PORT=0: a free port' : 'KAFKA_PORT' };
    } catch (err) {
      if (isInUse(err)) throw new ConfigError([{ variable: 'KAFKA_PORT', reason: `port ${port} is in use on 127.0.0.1; choose another, or unset KAFKA_PORT to take ${defaultPort} or a free port` }]);
      throw err;
    }
  }
  try {
    return { broker: await startBroker({ ...options, port: defaultPort }), note: 'KAFKA_PORT to choose another' };
  } catch (err) {
    if (!isInUse(err)) throw err;
  }
  const broker = await startBroker({ ...options, port: 0 });
  logger.warn({ port: broker.port }, `port ${defaultPort} is in use (a local Kafka, or another Orderflow?): the embedded broker listens on ${broker.port} instead`);
  return { broker, note: `${defaultPort} was in use; KAFKA_PORT to choose` };
}

function kafkaPort(raw: string): number {
  const port = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(port <= 65_535)) throw new ConfigError([{ variable: 'KAFKA_PORT', reason: 'must be a port number (0 to 65535; 0 for any free port)' }]);
  return port;
}

function isInUse(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
}

/** The broker's lines in this process's log, under `service: kafka`; its info lines (started, stopped) are the banner's business. */
function brokerLogger(logger: Logger): Logger {
  const child = logger.child({ service: 'kafka' });
  if (!child.isLevelEnabled('info')) return child;
  child.level = 'warn';
  return child;
}
