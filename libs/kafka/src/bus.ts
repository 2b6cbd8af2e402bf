import { deadLetterTopic } from '@orderflow/events';
import { Kafka } from 'kafkajs';
import { Registry } from 'prom-client';
import { KafkaBatchingProducer, type BatchingProducer, type ProducerOptions } from './batching-producer';
import { ConsumerMetrics } from './consumer-metrics';
import { KafkaConsumerRunner, type ConsumerOptions, type ConsumerRunner } from './consumer-runner';
import { kafkaLogLevel, kafkajsLogCreator, type BusLogLevel } from './kafkajs-logger';
import { mapKafkaError } from './kafkajs-errors';
import { silentLogger, type Logger } from './logger';
import { noDelaySocketFactory } from './no-delay-socket.factory';

export interface BusOptions {
  /** Bootstrap brokers, `host:port`. */
  brokers: string[];
  clientId: string;
  logger?: Logger;
  /** Where consumer metrics are registered; the service's registry, so `/metrics` shows them. */
  registry?: Registry;
  /** kafkajs's own log level (its lines go to `logger`). Default 'warn': kafkajs is chatty at info. */
  logLevel?: BusLogLevel;
  /** Default 3 s: on loopback or in one data centre a connect slower than that is a dead broker. */
  connectionTimeoutMs?: number;
  /** Default 30 s, Kafka's own request timeout. */
  requestTimeoutMs?: number;
}

export interface TopicSpec {
  topic: string;
  /** Default 3, the broker's default for auto-created topics. */
  partitions?: number;
}

/** Our Kafka client: the only thing services hold. kafkajs stays behind it. */
export interface Bus {
  /** A batching producer; each caller learns when its own message is durable. */
  createProducer(options?: ProducerOptions): BatchingProducer;
  /** Joins `groupId` and starts handling; resolves once the consumer runs. */
  runConsumer(options: ConsumerOptions): Promise<ConsumerRunner>;
  /** Creates missing topics (and their dead-letter topics when asked); existing ones are left alone. */
  ensureTopics(topics: TopicSpec[], options?: { withDeadLetters?: boolean }): Promise<void>;
  /** Stops every consumer, flushes and closes every producer this bus created. */
  close(): Promise<void>;
}

export function createBus(options: BusOptions): Bus {
  const logger = options.logger ?? silentLogger;
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    socketFactory: noDelaySocketFactory,
    logLevel: kafkaLogLevel[options.logLevel ?? 'warn'],
    logCreator: kafkajsLogCreator(logger),
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    // kafkajs's default (5 retries from 300 ms) gives up after ~10 s; these cover a broker restart
    // of a few seconds while still failing a produce fast enough for a webhook to answer 503.
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 2_000 },
  });
  const metrics = new ConsumerMetrics(options.registry ?? new Registry());
  const producers = new Set<BatchingProducer>();
  const runners = new Set<ConsumerRunner>();
  let deadLetters: BatchingProducer | null = null;

  const createProducer = (producerOptions?: ProducerOptions): BatchingProducer => {
    const producer = new KafkaBatchingProducer(kafka, logger, producerOptions);
    producers.add(producer);
    return producer;
  };

  return {
    createProducer,

    async runConsumer(consumerOptions) {
      deadLetters ??= createProducer();
      const consumer = kafka.consumer({
        groupId: consumerOptions.groupId,
        sessionTimeout: consumerOptions.sessionTimeoutMs ?? 30_000,
        // Kafka's fetch.max.wait.ms. kafkajs defaults to 5 s, and stopping waits for the fetch in
        // progress, so every graceful shutdown took ~5 s (measured); 500 ms costs two idle fetches a second.
        maxWaitTimeInMs: 500,
        allowAutoTopicCreation: true,
      });
      const runner = new KafkaConsumerRunner(consumerOptions, { consumer, deadLetters, metrics, logger });
      try {
        await runner.start();
      } catch (err) {
        await consumer.disconnect().catch(() => undefined);
        throw mapKafkaError(err, `starting consumer ${consumerOptions.groupId}`);
      }
      runners.add(runner);
      return runner;
    },

    async ensureTopics(topics, ensureOptions) {
      const admin = kafka.admin();
      try {
        await admin.connect();
        const existing = new Set(await admin.listTopics());
        const wanted = topics.flatMap((t) => (ensureOptions?.withDeadLetters ? [t, { ...t, topic: deadLetterTopic(t.topic) }] : [t]));
        const missing = wanted.filter((t) => !existing.has(t.topic));
        if (missing.length > 0) {
          await admin.createTopics({ waitForLeaders: true, topics: missing.map((t) => ({ topic: t.topic, numPartitions: t.partitions ?? 3 })) });
        }
      } catch (err) {
        throw mapKafkaError(err, 'ensuring topics');
      } finally {
        await admin.disconnect();
      }
    },

    async close() {
      await Promise.all([...runners].map((r) => r.stop()));
      await Promise.all([...producers].map((p) => p.close()));
      runners.clear();
      producers.clear();
    },
  };
}
