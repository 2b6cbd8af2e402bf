import { randomUUID } from 'node:crypto';
import { encodeEvent, type AnyEvent, type EventOf } from '@orderflow/events';
import { Kafka, logLevel } from 'kafkajs';
import type { Registry } from 'prom-client';
import type { BatchingProducer, ProducedRecord } from '../src';

/** A valid ingress event for `orderKey`; `n` makes its event ID unique and lets tests check order. */
export function paymentEvent(orderKey: string, n = 0, eventId = `evt_${randomUUID()}`): EventOf<'payment_intent.succeeded'> {
  const now = new Date().toISOString();
  return {
    eventId,
    type: 'payment_intent.succeeded',
    version: 1,
    source: 'stripe',
    orderKey,
    instanceId: null,
    occurredAt: now,
    receivedAt: now,
    traceId: `trace-${n}`,
    payload: {
      id: eventId,
      type: 'payment_intent.succeeded',
      created: Math.floor(Date.now() / 1000),
      data: { object: { id: `pi_${n}`, metadata: { orderId: orderKey, n: String(n) } } },
    },
  };
}

/** Requests of one API (`Produce`, `OffsetCommit`, …) the clients of buses on `registry` have sent so far. */
export function clientRequests(registry: Registry, api: string): Promise<number> {
  return metricValue(registry, 'orderflow_kafka_client_requests_total', { api });
}

export interface RawRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/**
 * Reads a topic with a plain kafkajs consumer, bypassing the bus: the way to see exactly what is
 * on a topic (dead-letter copies, bytes our runner would refuse to decode).
 */
export async function readTopic(broker: { brokers: string[] }, topic: string, into: RawRecord[]): Promise<() => Promise<void>> {
  const kafka = new Kafka({ clientId: 'test-reader', brokers: broker.brokers, logLevel: logLevel.NOTHING });
  // Created first (a no-op when it exists): Apache Kafka answers a subscription to a topic it is
  // still creating with UNKNOWN_TOPIC_OR_PARTITION, which a plain kafkajs subscribe does not retry.
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic }] });
  await admin.disconnect();
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = v.toString();
      into.push({ partition, offset: message.offset, key: message.key?.toString() ?? null, value: message.value?.toString() ?? null, headers });
    },
  });
  return () => consumer.disconnect();
}

/** Writes raw bytes to a topic, bypassing the catalog: how a poison message gets there. */
export async function produceRaw(broker: { brokers: string[] }, topic: string, key: string, value: string): Promise<void> {
  const kafka = new Kafka({ clientId: 'test-raw', brokers: broker.brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ key, value, headers: { origin: 'test' } }] });
  await producer.disconnect();
}

/** Sends a catalog event to a test's own topic (the catalog topic is shared by every test). */
export function sendEventTo(producer: BatchingProducer, topic: string, event: AnyEvent): Promise<ProducedRecord> {
  const encoded = encodeEvent(event);
  return producer.send(topic, { key: encoded.key, value: encoded.value, headers: encoded.headers });
}

/** The `n` a test event was made with (see `paymentEvent`). */
export function nOf(event: AnyEvent): number {
  return Number(event.traceId.replace('trace-', ''));
}

/** The current value of one labelled series of a counter or gauge. */
export async function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want))
    .filter((v) => !('metricName' in v) || v.metricName === undefined || !String(v.metricName).endsWith('_bucket'))
    .reduce((sum, v) => sum + v.value, 0);
}
