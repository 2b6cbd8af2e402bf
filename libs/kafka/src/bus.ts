import { deadLetterTopic } from '@orderflow/events';
import { Kafka, type RetryOptions } from 'kafkajs';
import { Registry } from 'prom-client';
import { KafkaBatchingProducer, type BatchingProducer, type ProducerOptions } from './batching-producer';
import { ClientMetrics } from './client-metrics';
import { ConsumerMetrics } from './consumer-metrics';
import { KafkaConsumerRunner, type ConsumerOptions, type ConsumerRunner } from './consumer-runner';
import { kafkaLogLevel, kafkajsLogCreator, type BusLogLevel } from './kafkajs-logger';
import { backoffDelay } from '@orderflow/resilience';
import { RetriableError } from './errors';
import { carryOverFormerOffsets } from './former-group';
import { mapKafkaError } from './kafkajs-errors';
import { silentLogger, type Logger } from './logger';
import { noDelaySocketFactory } from './no-delay-socket.factory';
import { patchRequestQueue } from './request-queue.patch';

patchRequestQueue();

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
  /** The shape of the topics `ensureTopics` creates. */
  topics?: TopicDefaults;
}

export interface TopicSpec {
  topic: string;
  /** Default: the bus's `topics.partitions`. */
  partitions?: number;
}

/** How the topics `ensureTopics` creates are shaped; existing topics are never changed. */
export interface TopicDefaults {
  /** Default 3, the embedded broker's default for auto-created topics. */
  partitions?: number;
  /** Default: the cluster's `default.replication.factor`. */
  replicationFactor?: number;
  /** Default: the cluster's `min.insync.replicas`. With acks=all, a write needs this many replicas. */
  minInsyncReplicas?: number;
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
  const client = (retry: RetryOptions) =>
    new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      socketFactory: noDelaySocketFactory,
      logLevel: kafkaLogLevel[options.logLevel ?? 'warn'],
      logCreator: kafkajsLogCreator(logger),
      connectionTimeout: options.connectionTimeoutMs ?? 3_000,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      retry,
    });
  // kafkajs's default (5 retries from 300 ms) gives up after ~10 s; these cover a broker restart
  // of a few seconds while still failing a produce fast enough for a webhook to answer 503.
  const kafka = client({ retries: 8, initialRetryTime: 100, maxRetryTime: 2_000 });
  // A consumer has no caller waiting on it, so it rides out a longer outage: a single Apache Kafka
  // node restarted after kill -9 took ~12 s to serve again on two loaded cores. With the ~10 s
  // above, kafkajs gave up, restarted the consumer as a new group member, and that member then
  // waited for the old one's session to expire: 30 s more without consuming (measured).
  const consumerKafka = client({ retries: 18, initialRetryTime: 100, maxRetryTime: 2_000 });
  const registry = options.registry ?? new Registry();
  const metrics = new ConsumerMetrics(registry);
  const clientMetrics = new ClientMetrics(registry);
  const producers = new Set<BatchingProducer>();
  const runners = new Set<ConsumerRunner>();
  let deadLetters: BatchingProducer | null = null;

  const createProducer = (producerOptions?: ProducerOptions): BatchingProducer => {
    const producer = new KafkaBatchingProducer(kafka, logger, producerOptions, clientMetrics);
    producers.add(producer);
    return producer;
  };

  return {
    createProducer,

    async runConsumer(consumerOptions) {
      deadLetters ??= createProducer();
      const { groupId, formerGroupId, topics } = consumerOptions;
      if (formerGroupId) await carryOverFormerOffsets(kafka, { groupId, formerGroupId, topics }, logger);
      let runner: KafkaConsumerRunner | undefined;
      const consumer = consumerKafka.consumer({
        groupId: consumerOptions.groupId,
        sessionTimeout: consumerOptions.sessionTimeoutMs ?? 30_000,
        // Kafka's fetch.max.wait.ms. kafkajs defaults to 5 s, and stopping waits for the fetch in
        // progress, so every graceful shutdown took ~5 s (measured); 500 ms costs two idle fetches a second.
        maxWaitTimeInMs: 500,
        allowAutoTopicCreation: true,
        // kafkajs restarts a consumer whose retries ran out (its broker away that long) even when
        // stop() came meanwhile: the crash handler waits for that stop, then sets the restart timer
        // the stop already cleared. Nobody stops that consumer: a runner stopped 3 s into a broker
        // outage saw stop() resolve, then its consumer reconnected every 2 s for good, kept the
        // process alive and would have rejoined the group once the broker was back (measured, on
        // both brokers). A stopping runner's consumer stays down.
        retry: { restartOnFailure: async () => !runner?.isStopping() },
      });
      clientMetrics.observe(consumer);
      runner = new KafkaConsumerRunner(consumerOptions, { consumer, deadLetters, metrics, logger });
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
      // Instances starting together (the one-machine mode's threads, a deployment's replicas)
      // create the same topics at once: Apache Kafka then answers the loser's wait for leaders
      // with UNKNOWN_TOPIC_OR_PARTITION for a moment (measured: start-up failed on it). Retriable
      // answers are tried again, a fresh look at what exists each time, for up to 30 s.
      const deadline = Date.now() + 30_000;
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await ensureOnce(topics, ensureOptions);
        } catch (err) {
          if (!(err instanceof RetriableError) || Date.now() > deadline) throw err;
          logger.warn({ err, attempt }, 'creating topics failed; trying again');
          await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt, { initialMs: 100, maxMs: 2_000 })));
        }
      }
    },

    async close() {
      await Promise.all([...runners].map((r) => r.stop()));
      await Promise.all([...producers].map((p) => p.close()));
      runners.clear();
      producers.clear();
    },
  };

  /** Creates what is missing of `topics`, once. */
  async function ensureOnce(topics: TopicSpec[], ensureOptions?: { withDeadLetters?: boolean }): Promise<void> {
    const admin = kafka.admin();
    clientMetrics.observe(admin);
    try {
      await admin.connect();
      const existing = new Set(await admin.listTopics());
      const wanted = topics.flatMap((t) => (ensureOptions?.withDeadLetters ? [t, { ...t, topic: deadLetterTopic(t.topic) }] : [t]));
      const missing = wanted.filter((t) => !existing.has(t.topic));
      if (missing.length > 0) {
        const { partitions = 3, replicationFactor, minInsyncReplicas } = options.topics ?? {};
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((t) => ({
            topic: t.topic,
            numPartitions: t.partitions ?? partitions,
            replicationFactor: replicationFactor ?? -1,
            configEntries: minInsyncReplicas === undefined ? [] : [{ name: 'min.insync.replicas', value: String(minInsyncReplicas) }],
          })),
        });
      }
    } catch (err) {
      throw mapKafkaError(err, 'ensuring topics');
    } finally {
      await admin.disconnect();
    }
  }
}
