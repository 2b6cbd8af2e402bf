import type { AnyEvent } from '@orderflow/events';
import type { Consumer } from 'kafkajs';
import { backoffDelay, type BackoffOptions } from '@orderflow/resilience';
import { BatchProcessor } from './batch-processor';
import type { BatchingProducer } from './batching-producer';
import type { ConsumerMetrics } from './consumer-metrics';
import { RetriableError } from './errors';
import { mapKafkaError } from './kafkajs-errors';
import type { Logger } from './logger';
import { OffsetCommitter, type PartitionAssignment } from './offset-committer';

export interface EventContext {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  headers: Record<string, string>;
  /** 1 for the first delivery to this runner, then counts every attempt. */
  attempt: number;
}

/**
 * Handles one event. Resolve only once the effects are durable (committed to the database,
 * published and acknowledged): the offset is committed soon after, and a message whose offset is
 * committed is never delivered again. Throw a `NonRetriableError` for a message that can never
 * succeed, a `DependencyUnavailableError` when something the handler needs is down.
 */
export type EventHandler = (event: AnyEvent, context: EventContext) => Promise<void>;

/**
 * Handles a run of consecutive events of one partition, in offset order, as one unit: all of
 * their effects durable together, or none (one transaction). Its errors are not retried as a
 * run: the runner falls back to the `handler`, one event at a time, which gets the per-event
 * retries, dead-lettering and outage handling. So both must have the same effects.
 */
export type BatchEventHandler = (events: ReadonlyArray<{ event: AnyEvent; context: EventContext }>) => Promise<void>;

export interface ConsumerOptions {
  groupId: string;
  /**
   * The group's name before a rename. While `groupId` has no committed offsets, it starts where
   * this group committed, instead of at the beginning (see `carryOverFormerOffsets`).
   */
  formerGroupId?: string;
  topics: string[];
  handler: EventHandler;
  /**
   * Optional fast path for handlers whose cost is per call more than per event (a database round
   * trip each): the messages of a fetched batch go to it in runs of at most `maxBatchSize`.
   */
  batchHandler?: BatchEventHandler;
  /** Most events in one `batchHandler` call. Default 500. */
  maxBatchSize?: number;
  /** A new group starts at the earliest offset. Default true: a service deployed after events were published still sees them. */
  fromBeginning?: boolean;
  /** Partitions handled at the same time; within one partition strictly one message after another. Default 3. */
  partitionsConsumedConcurrently?: number;
  /** Attempts for a message failing with a retriable error before it is dead-lettered. Default 5. */
  maxAttempts?: number;
  /** Delays between those attempts. Default 100 ms doubling to at most 5 s. */
  backoff?: BackoffOptions;
  /** Delays between attempts while a dependency is down (unbounded attempts). Default 500 ms doubling to 30 s. */
  dependencyBackoff?: BackoffOptions;
  /** Kafka group session timeout. Default 30 s. */
  sessionTimeoutMs?: number;
  /**
   * Names the dependency a handler's error says is down (e.g. 'database' for a refused
   * connection), or null. Such errors are handled as a `DependencyUnavailableError`: the
   * partition pauses and the message waits, so handlers need not translate driver errors.
   */
  unavailable?: (err: unknown) => string | null;
  /**
   * Longest time handled offsets wait to be committed; a stop and a pause always commit. What
   * every partition handled in that time goes in one request. Default 100 ms: one commit per
   * message or batch (a broker round trip each) would cost more than most handlers; a quiet
   * topic's batches are one message each. A crash re-delivers at most this much, to idempotent
   * handlers.
   */
  commitIntervalMs?: number;
}

export interface ConsumerRunner {
  readonly groupId: string;
  /** Stops fetching every subscribed topic; the message in hand is finished and committed first. */
  pause(): void;
  resume(): void;
  isPaused(): boolean;
  /** Partitions assigned to this member, as of its last group join. */
  assignments(): PartitionAssignment[];
  /** Stops fetching, lets in-flight handlers finish and commit, leaves the group and disconnects. */
  stop(): Promise<void>;
}

export interface RunnerDeps {
  consumer: Consumer;
  deadLetters: BatchingProducer;
  metrics: ConsumerMetrics;
  logger: Logger;
}

/**
 * Runs a handler over a consumer group with Kafka's at-least-once contract made explicit. This is
 * the member's life: join, subscribe, pause and resume, stop; what happens to each fetched batch
 * (ordering, retries, outages, dead letters) is the `BatchProcessor`'s, and when handled offsets
 * are committed the `OffsetCommitter`'s.
 *
 * A consumer kafkajs will not restart (it crashed on an error it deems non-retriable, and has left
 * the group) is started again here, with backoff: it must never stop silently.
 */
export class KafkaConsumerRunner implements ConsumerRunner {
  private stopping: Promise<void> | null = null;
  private wake: () => void = () => undefined;
  private readonly stopped = new Promise<void>((resolve) => (this.wake = resolve));
  private paused = false;
  private readonly committer: OffsetCommitter;
  private readonly batches: BatchProcessor;
  private crashes = 0;
  private restartTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly options: ConsumerOptions,
    private readonly deps: RunnerDeps,
  ) {
    const { consumer } = deps;
    this.committer = new OffsetCommitter({
      groupId: options.groupId,
      intervalMs: options.commitIntervalMs ?? 100,
      logger: deps.logger,
      stopping: () => this.isStopping(),
    });
    this.batches = new BatchProcessor(options, deps, this.committer, {
      groupId: options.groupId,
      isStopping: () => this.isStopping(),
      isPaused: () => this.paused,
      stopped: this.stopped,
      progressed: () => (this.crashes = 0),
    });
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.committer.reassigned(Object.entries(e.payload.memberAssignment).map(([topic, partitions]) => ({ topic, partitions })));
    });
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart && !this.stopping) this.restartAfterCrash(e.payload.error);
    });
  }

  get groupId(): string {
    return this.options.groupId;
  }

  async start(): Promise<void> {
    const { consumer } = this.deps;
    await consumer.connect();
    await subscribeWhenReady(() => consumer.subscribe({ topics: this.options.topics, fromBeginning: this.options.fromBeginning ?? true }));
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 3,
      eachBatch: (payload) => this.batches.eachBatch(payload),
    });
  }

  pause(): void {
    this.paused = true;
    this.deps.consumer.pause(this.options.topics.map((topic) => ({ topic })));
  }

  resume(): void {
    this.paused = false;
    this.deps.consumer.resume(this.options.topics.map((topic) => ({ topic })));
  }

  isPaused(): boolean {
    return this.paused;
  }

  assignments(): PartitionAssignment[] {
    return this.committer.assignments();
  }

  /** True once `stop` was called. */
  isStopping(): boolean {
    return this.stopping !== null;
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.wake();
      this.committer.cancelFlush();
      if (this.restartTimer) clearTimeout(this.restartTimer);
      // While the consumer still runs: what earlier batches handled. The batches in flight
      // commit their own as they finish.
      await this.committer.flush().catch((err: unknown) => this.deps.logger.warn({ groupId: this.groupId, err }, 'offsets not committed before stopping; those messages are delivered again'));
      // kafkajs's stop waits for the batch in progress, which commits what it finished.
      await this.deps.consumer.stop();
      await this.deps.consumer.disconnect();
      this.deps.logger.info({ groupId: this.groupId }, 'consumer stopped');
    })();
    return this.stopping;
  }

  /**
   * kafkajs gave up on the consumer: it crashed on an error kafkajs deems non-retriable (a
   * dead-letter copy the broker refused, say), left the group, and stays down. The service would
   * go on answering its health checks while consuming nothing, so the consumer is started again,
   * after a backoff that grows while it keeps crashing before handling anything.
   */
  private restartAfterCrash(err: Error): void {
    this.crashes += 1;
    this.committer.forgetAll();
    this.deps.metrics.crashes.inc({ group: this.groupId });
    const delayMs = backoffDelay(this.crashes, { initialMs: 1_000, maxMs: 30_000 });
    this.deps.logger.error({ groupId: this.groupId, err, crashes: this.crashes, delayMs }, 'consumer crashed on an error kafkajs does not retry; starting it again');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopping) return;
      this.start().catch((startErr: Error) => {
        if (!this.stopping) this.restartAfterCrash(startErr);
      });
    }, delayMs);
  }
}

/**
 * Subscribes, retrying while the topics are being created. A consumer may be first to name a topic:
 * Apache Kafka creates it on that Metadata request but answers UNKNOWN_TOPIC_OR_PARTITION or
 * LEADER_NOT_AVAILABLE until its partitions have leaders (~100 ms on one node), and kafkajs's
 * subscribe does not retry that. Errors that are not transient fail at once.
 */
async function subscribeWhenReady(subscribe: () => Promise<void>, deadlineMs = 30_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await subscribe();
    } catch (err) {
      if (!(mapKafkaError(err, 'subscribing') instanceof RetriableError) || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt, { initialMs: 50, maxMs: 1_000 })));
    }
  }
}
