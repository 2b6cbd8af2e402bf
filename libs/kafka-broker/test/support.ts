import { Kafka, logLevel, type Consumer, type EachMessagePayload } from 'kafkajs';
import { waitFor } from '@orderflow/testing';
import { silentLogger, startBroker, type BrokerOptions, type RunningBroker } from '../src';

export function startTestBroker(options: BrokerOptions = {}): Promise<RunningBroker> {
  return startBroker({ host: '127.0.0.1', port: 0, logger: silentLogger, ...options });
}

export function kafkaFor(broker: { brokers: string[] }, clientId = 'conformance'): Kafka {
  return new Kafka({
    clientId,
    brokers: broker.brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 1000 },
  });
}

export interface Received {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  timestamp: number;
}

/** Runs `consumer` on `topic` and collects what it receives. */
export async function collect(consumer: Consumer, topic: string, fromBeginning = true): Promise<Received[]> {
  const received: Received[] = [];
  await consumer.subscribe({ topic, fromBeginning });
  await consumer.run({
    eachMessage: async ({ topic: t, partition, message }: EachMessagePayload) => {
      received.push({
        topic: t,
        partition,
        offset: Number(message.offset),
        key: message.key?.toString() ?? null,
        value: message.value?.toString() ?? null,
        timestamp: Number(message.timestamp),
      });
    },
  });
  return received;
}

/** Waits until `consumer` has joined its group and been assigned partitions. */
export async function waitForAssignment(consumer: Consumer): Promise<void> {
  let assigned = false;
  consumer.on(consumer.events.GROUP_JOIN, () => (assigned = true));
  await waitFor(() => assigned, { description: 'the consumer to join its group' });
}
