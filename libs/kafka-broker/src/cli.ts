#!/usr/bin/env node
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { startBroker } from './broker';
import type { LogLevel } from './logger';

const USAGE = `orderflow-kafka: a single-node broker speaking the Kafka protocol (development, tests, one-machine mode)

  --host HOST              interface to listen on (default 127.0.0.1)
  --port PORT              port to listen on, 0 for any free one (default 9092)
  --advertised-host HOST   host clients are told to connect to (default: --host)
  --data-dir DIR           where logs, offsets and metadata live (default ./data/kafka)
  --in-memory              keep nothing on disk
  --partitions N           partitions of auto-created topics (default 3)
  --no-auto-create         do not create unknown topics on first use
  --metrics-port PORT      serve Prometheus metrics on http://HOST:PORT/metrics
  --log-level LEVEL        debug, info, warn, error or silent (default info)
  --help                   show this text

Production runs on real Kafka; see libs/kafka-broker/README.md.`;

function fail(message: string): never {
  process.stderr.write(`orderflow-kafka: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function integer(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min) fail(`--${name} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  return Number(value);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        'advertised-host': { type: 'string' },
        'data-dir': { type: 'string' },
        'in-memory': { type: 'boolean' },
        partitions: { type: 'string' },
        'no-auto-create': { type: 'boolean' },
        'metrics-port': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const logLevel = (values['log-level'] ?? 'info') as LogLevel;
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(logLevel)) fail(`unknown --log-level ${logLevel}`);
  if (values['in-memory'] && values['data-dir']) fail('--in-memory and --data-dir exclude each other');

  const host = values.host ?? '127.0.0.1';
  const metricsPort = values['metrics-port'] === undefined ? null : integer('metrics-port', values['metrics-port'], 0, 0);
  const broker = await startBroker({
    host,
    port: integer('port', values.port, 9092, 0),
    advertisedHost: values['advertised-host'],
    dataDir: values['in-memory'] ? null : (values['data-dir'] ?? './data/kafka'),
    defaultPartitions: integer('partitions', values.partitions, 3, 1),
    autoCreateTopics: !values['no-auto-create'],
    logLevel,
  });

  const metricsServer =
    metricsPort === null
      ? null
      : createServer((req, res) => {
          if (req.url !== '/metrics') {
            res.writeHead(404).end();
            return;
          }
          broker.metrics.registry.metrics().then(
            (text) => res.writeHead(200, { 'content-type': broker.metrics.registry.contentType }).end(text),
            (err: Error) => res.writeHead(500).end(err.message),
          );
        });
  if (metricsServer && metricsPort !== null) {
    const port = metricsPort;
    await new Promise<void>((resolve, reject) => metricsServer.once('error', reject).listen(port, host, resolve));
  }

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`orderflow-kafka: ${signal}, stopping\n`);
    metricsServer?.close();
    broker.stop().then(
      () => process.exit(0),
      (err: Error) => {
        process.stderr.write(`orderflow-kafka: stop failed: ${err.stack ?? err.message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  // The readiness line scripts wait for, printed whatever the log level.
  process.stdout.write(`orderflow-kafka listening on ${broker.host}:${broker.port}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`orderflow-kafka: ${err.message}\n`);
  process.exit(1);
});
