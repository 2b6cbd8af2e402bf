import type { Database } from '@orderflow/db';
import { encodeEvent, newEvent } from '@orderflow/events';
import type { BatchingProducer } from '@orderflow/kafka';
import { createLogger, type Logger } from '@orderflow/logging';
import { Kafka, logLevel } from 'kafkajs';
import * as path from 'node:path';
import type { ServiceConfig, ServicePrisma } from '../src';

export const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

/** The settings of a service on `brokers` with its PGlite under `dataDir`. */
export function serviceConfig(brokers: string[], dataDir: string): ServiceConfig {
  return { LOG_LEVEL: 'silent', METRICS_PUBLIC: true, TRUST_PROXY: false, DATA_DIR: dataDir, KAFKA_BROKERS: brokers, KAFKA_TOPIC_PARTITIONS: 3 };
}

/** A Prisma client as far as defineService uses one, over the database's own driver adapter. */
export function adapterClient(adapter: Database['adapter']): ServicePrisma {
  const connection = adapter.connect();
  return {
    $queryRawUnsafe: async (sql: string) => (await connection).queryRaw({ sql, args: [], argTypes: [] }),
    $disconnect: async () => (await connection).dispose(),
  };
}

/** A logger at debug whose lines a test reads: the stop ladder names each step it stops. */
export function capturedLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ name: 'test', level: 'debug', destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } });
  return { logger, lines };
}

/** The steps the stop ladder went through, in order. */
export function stoppedSteps(lines: ReadonlyArray<Record<string, unknown>>): unknown[] {
  return lines.filter((line) => line.msg === 'stopping').map((line) => line.step);
}

/** Publishes event `n` to `topic`; its trace ID is `n`, which the handler reads back. */
export async function publish(producer: BatchingProducer, topic: string, n: number): Promise<void> {
  const id = `evt-${n}`;
  const event = newEvent({ type: 'wix.ecom.v1.order_paid', eventId: id, orderKey: `order-${n % 5}`, instanceId: 'shop-a', traceId: String(n), payload: { id, entityId: 'w1', entity: { id: 'w1' } } });
  const { key, value, headers } = encodeEvent(event);
  await producer.send(topic, { key, value, headers });
}

/** `from` up to but not including `to`. */
export const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

/** Whether `groupId` committed up to the end of every partition of `topic`: all of it handled. */
export async function caughtUp(brokers: string[], groupId: string, topic: string): Promise<boolean> {
  const admin = new Kafka({ clientId: 'caught-up', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
    return ends.every((end) => Number(end.high) === 0 || committed.partitions.find((p) => p.partition === end.partition)?.offset === end.high);
  } finally {
    await admin.disconnect();
  }
}
