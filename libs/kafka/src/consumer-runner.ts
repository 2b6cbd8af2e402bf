import { decodeEvent, type AnyEvent } from '@orderflow/events';
import type { Batch, Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import { backoffDelay, type BackoffOptions } from './backoff';
import type { BatchingProducer } from './batching-producer';
import type { ConsumerMetrics } from './consumer-metrics';
import { deadLetterMessage, type DeadLetterReason } from './dead-letter';
import { isDependencyUnavailable, isRetriable, isUnpublishable, RetriableError } from './errors';
import { mapKafkaError } from './kafkajs-errors';
import type { Logger } from './logger';

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
  assignments(): Array<{ topic: string; partitions: number[] }>;
  /** Stops fetching, lets in-flight handlers finish and commit, leaves the group and disconnects. */
  stop(): Promise<void>;
}

export interface RunnerDeps {
  consumer: Consumer;
  deadLetters: BatchingProducer;
  metrics: ConsumerMetrics;
  logger: Logger;
}

const nextOffset = (offset: string): string => (BigInt(offset) + 1n).toString();
const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/**
 * Runs a handler over a consumer group with Kafka's at-least-once contract made explicit:
 *
 * - Ordering: kafkajs hands each partition's batches to one worker at a time, and this loop
 *   handles a batch's messages one after another, so one order key's events are handled in order.
 * - Commits: auto-commit is off. A message's offset is committed only after its handler
 *   resolved or its dead-letter copy was acknowledged, at most `commitIntervalMs` later: the
 *   handled offsets of all the group's partitions go in one request per interval, and a stop or
 *   a pause commits at once. A crash in between re-delivers them; handlers are idempotent on
 *   `eventId`. Every commit is one attempt in the member's current generation, for partitions it
 *   holds in that generation: a commit kafkajs retried across a rebalance would land in the new
 *   generation for a partition another member now owns, moving its committed offset backwards.
 * - A consumer kafkajs will not restart (it crashed on an error it deems non-retriable, and has
 *   left the group) is started again here, with backoff: it must never stop silently.
 * - Retriable errors: retried in place with backoff up to `maxAttempts`, then dead-lettered.
 *   Retrying in place (not via a retry topic) keeps later events of the same order behind it.
 * - Non-retriable errors and undecodable messages: dead-lettered at once.
 * - `DependencyUnavailableError`: the partition is paused (no more fetching for it, the
 *   `paused_partitions` gauge goes up) and the same message is retried with a slower backoff,
 *   without limit and without spending its attempts, until it succeeds (partition resumed) or the
 *   runner stops (message left uncommitted). An outage must not turn healthy events into DLQ noise.
 */
export class KafkaConsumerRunner implements ConsumerRunner {
  private stopping: Promise<void> | null = null;
  private wake: () => void = () => undefined;
  private readonly stopped = new Promise<void>((resolve) => (this.wake = resolve));
  private paused = false;
  private assigned: Array<{ topic: string; partitions: number[] }> = [];
  /** Offsets handled and not yet committed, by partition: the next offset to read. */
  private readonly uncommitted = new Map<string, { topic: string; partition: number; offset: string }>();
  private committing: Promise<void> = Promise.resolve();
  private committedAt = performance.now();
  private flushTimer: NodeJS.Timeout | null = null;
  /**
   * Commits explicit offsets once, in kafkajs's current generation (its latest batch's
   * `commitOffsetsIfNecessary`). Not `consumer.commitOffsets`: that retries for up to the
   * consumer's retry budget (~30 s), and an attempt made after a rebalance goes out in the new
   * generation with offsets of partitions that may be another member's now; the coordinator
   * accepts it and that member's progress is set back (measured: a partition left 322 behind
   * for good in the cluster end to end). kafkajs also makes it a silent no-op once `stop()` began.
   */
  private commitOnce: ((offsets: { topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }> }) => Promise<void>) | null = null;
  private crashes = 0;
  private restartTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly options: ConsumerOptions,
    private readonly deps: RunnerDeps,
  ) {
    const { consumer } = deps;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.assigned = Object.entries(e.payload.memberAssignment).map(([topic, partitions]) => ({ topic, partitions }));
      // Offsets handled for partitions another member has now are that member's to redo; kept,
      // they could later be committed over its progress if the partition came back.
      const kept = this.assignedKeys();
      for (const key of this.uncommitted.keys()) if (!kept.has(key)) this.uncommitted.delete(key);
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
      eachBatch: (payload) => this.eachBatch(payload),
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

  assignments(): Array<{ topic: string; partitions: number[] }> {
    return this.assigned;
  }

  /** True once `stop` was called. */
  isStopping(): boolean {
    return this.stopping !== null;
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.wake();
      if (this.flushTimer) clearTimeout(this.flushTimer);
      if (this.restartTimer) clearTimeout(this.restartTimer);
      this.flushTimer = null;
      // While the consumer still runs: what earlier batches handled. The batches in flight
      // commit their own as they finish.
      await this.flush().catch((err: unknown) => this.deps.logger.warn({ groupId: this.groupId, err }, 'offsets not committed before stopping; those messages are delivered again'));
      // kafkajs's stop waits for the batch in progress, which commits what it finished.
      await this.deps.consumer.stop();
      await this.deps.consumer.disconnect();
      this.deps.logger.info({ groupId: this.groupId }, 'consumer stopped');
    })();
    return this.stopping;
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale, pause, commitOffsetsIfNecessary } = payload;
    const { topic, partition } = batch;
    // A batch's commit throws on failure (kafkajs then rejoins or restarts the consumer, and what
    // was handled since the last commit is delivered again: at-least-once, handlers idempotent).
    this.commitOnce = commitOffsetsIfNecessary;
    const commit = () => this.commitNow(topic, partition);
    const done = async (message: KafkaMessage) => {
      this.crashes = 0;
      const handled = nextOffset(message.offset);
      this.uncommitted.set(partitionKey(topic, partition), { topic, partition, offset: handled });
      resolveOffset(message.offset);
      const lag = BigInt(batch.highWatermark) - BigInt(handled);
      this.deps.metrics.lag.set({ topic, partition: String(partition), group: this.groupId }, Number(lag > 0n ? lag : 0n));
      if (this.commitDue()) await commit();
      await heartbeat();
    };
    const messages = batch.messages;
    // After a run fails, its events go one at a time (each with its own retries), then runs resume.
    let singlyUntil = 0;
    for (let i = 0; i < messages.length; ) {
      // A stale batch's partition belongs to another member now: its commit would be refused.
      if (isStale()) return this.forget(topic, partition);
      if (!isRunning() || this.stopping || this.paused) return commit();
      if (this.options.batchHandler && i >= singlyUntil) {
        const run = await this.handleRun(batch, i);
        if (run.handled > 0) {
          i += run.handled;
          await done(messages[i - 1]!);
          continue;
        }
        singlyUntil = i + run.failed;
      }
      const finished = await this.handle(batch, messages[i]!, heartbeat, pause);
      if (!finished) return commit();
      await done(messages[i]!);
      i += 1;
    }
    // The batch's end: committed now if the interval is up, else with whatever else is handled by
    // then, every partition of the group in one request. A quiet partition's batches are one
    // message each; a commit each was most of what a message cost the broker and the client.
    if (this.commitDue() || this.stopping || this.paused) await commit();
    else this.scheduleFlush();
  }

  private get commitIntervalMs(): number {
    return this.options.commitIntervalMs ?? 100;
  }

  private commitDue(): boolean {
    return performance.now() - this.committedAt >= this.commitIntervalMs;
  }

  /**
   * Commits what is handled and not yet committed of one partition, after any commit under way
   * (so two commits of a partition never pass each other).
   */
  private commitNow(topic: string, partition: number): Promise<void> {
    const key = partitionKey(topic, partition);
    return this.serially(async () => {
      const pending = this.uncommitted.get(key);
      if (!pending) return;
      await this.commitOnce!({ topics: [{ topic, partitions: [{ partition, offset: pending.offset }] }] });
      if (this.uncommitted.get(key) === pending) this.uncommitted.delete(key);
    });
  }

  /** A partition another member owns now: what it handled here is that member's to redo. */
  private forget(topic: string, partition: number): void {
    this.uncommitted.delete(partitionKey(topic, partition));
  }

  /** Commits every partition's handled offsets in one request once the interval is up. */
  private scheduleFlush(): void {
    if (this.flushTimer) return;
    const wait = Math.max(0, this.commitIntervalMs - (performance.now() - this.committedAt));
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.flush().catch((err: unknown) => {
        this.deps.logger.warn({ groupId: this.groupId, err }, 'offset commit failed; trying again');
        if (!this.stopping) this.scheduleFlush();
      });
    }, wait);
  }

  /**
   * Commits the handled offsets of every partition still assigned, in one request. The consumer
   * must still be running: `stop` calls this before stopping it. A failure leaves them pending:
   * the next try sends those the member still holds then.
   */
  private flush(): Promise<void> {
    return this.serially(async () => {
      const assigned = this.assignedKeys();
      const pending = [...this.uncommitted.entries()].filter(([key]) => assigned.has(key));
      if (pending.length === 0 || !this.commitOnce) return;
      const topics = new Map<string, Array<{ partition: number; offset: string }>>();
      for (const [, { topic, partition, offset }] of pending) topics.set(topic, [...(topics.get(topic) ?? []), { partition, offset }]);
      await this.commitOnce({ topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })) });
      for (const [key, offset] of pending) if (this.uncommitted.get(key) === offset) this.uncommitted.delete(key);
    });
  }

  /**
   * kafkajs gave up on the consumer: it crashed on an error kafkajs deems non-retriable (a
   * dead-letter copy the broker refused, say), left the group, and stays down. The service would
   * go on answering its health checks while consuming nothing, so the consumer is started again,
   * after a backoff that grows while it keeps crashing before handling anything.
   */
  private restartAfterCrash(err: Error): void {
    this.crashes += 1;
    // Handled here, committed nowhere: whoever holds those partitions now handles them again.
    this.uncommitted.clear();
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

  private assignedKeys(): Set<string> {
    return new Set(this.assigned.flatMap(({ topic, partitions }) => partitions.map((p) => partitionKey(topic, p))));
  }

  /** Runs commits one after another, and marks when the last one went out. */
  private serially(commit: () => Promise<void>): Promise<void> {
    const next = this.committing.then(commit).finally(() => (this.committedAt = performance.now()));
    this.committing = next.catch(() => undefined);
    return next;
  }

  /**
   * Hands the decodable messages from `start` on (at most `maxBatchSize`) to the batch handler.
   * Returns how many it handled, or, when the run failed, how many it held: the caller handles
   * those one at a time, so a poison event costs one failed run, not one per event before it.
   * Nothing is handled when there are fewer than two to hand over: the caller goes on one message
   * at a time (an undecodable message is dead-lettered there).
   */
  private async handleRun(batch: Batch, start: number): Promise<{ handled: number; failed: number }> {
    const { topic, partition } = batch;
    const max = this.options.maxBatchSize ?? 500;
    const run: Array<{ event: AnyEvent; context: EventContext }> = [];
    for (const message of batch.messages.slice(start, start + max)) {
      const decoded = decodeEvent(message);
      if (!decoded.ok) break;
      run.push({ event: decoded.event, context: { topic, partition, offset: message.offset, key: message.key, headers: headersOf(message), attempt: 1 } });
    }
    if (run.length < 2) return { handled: 0, failed: 0 };
    const labels = { topic, group: this.groupId };
    const endTimer = this.deps.metrics.handlerDuration.startTimer(labels);
    try {
      await this.options.batchHandler!(run);
    } catch (err) {
      endTimer();
      this.deps.logger.warn({ topic, partition, groupId: this.groupId, from: run[0]!.context.offset, size: run.length, err }, 'batch failed; handling its events one at a time');
      return { handled: 0, failed: run.length };
    }
    endTimer();
    this.deps.metrics.processed.inc(labels, run.length);
    return { handled: run.length, failed: 0 };
  }

  /** Returns true when the message is done with (handled or dead-lettered), false when the runner stopped first. */
  private async handle(batch: Batch, message: KafkaMessage, heartbeat: () => Promise<void>, pause: () => () => void): Promise<boolean> {
    const { topic, partition } = batch;
    const labels = { topic, group: this.groupId };
    const { metrics, logger } = this.deps;
    const decoded = decodeEvent(message);
    if (!decoded.ok) {
      await this.deadLetter(batch, message, 'undecodable', decoded.reason, 0);
      return true;
    }
    const maxAttempts = this.options.maxAttempts ?? 5;
    let attempt = 0;
    let budgetUsed = 0;
    let outage = 0;
    let resumePartition: (() => void) | null = null;
    for (;;) {
      attempt += 1;
      const context: EventContext = { topic, partition, offset: message.offset, key: message.key, headers: headersOf(message), attempt };
      const endTimer = metrics.handlerDuration.startTimer(labels);
      try {
        await this.options.handler(decoded.event, context);
        endTimer();
        metrics.processed.inc(labels);
        if (resumePartition) {
          metrics.pausedPartitions.dec(labels);
          if (!this.paused) resumePartition();
          logger.info({ topic, partition, groupId: this.groupId }, 'dependency back; partition resumed');
        }
        return true;
      } catch (err) {
        endTimer();
        metrics.failed.inc(labels);
        const where = { topic, partition, offset: message.offset, groupId: this.groupId, eventId: decoded.event.eventId, attempt, err };
        if (!isRetriable(err)) {
          await this.deadLetter(batch, message, 'non-retriable', errorText(err), attempt);
          return true;
        }
        let delay: number;
        if (isDependencyUnavailable(err) || this.options.unavailable?.(err)) {
          outage += 1;
          if (!resumePartition) {
            resumePartition = pause();
            metrics.pausedPartitions.inc(labels);
            logger.warn(where, 'dependency unavailable; partition paused while the message is retried');
          }
          delay = backoffDelay(outage, { initialMs: 500, maxMs: 30_000, ...this.options.dependencyBackoff });
        } else {
          budgetUsed += 1;
          if (budgetUsed >= maxAttempts) {
            await this.deadLetter(batch, message, 'retries-exhausted', errorText(err), attempt);
            return true;
          }
          delay = backoffDelay(budgetUsed, { initialMs: 100, maxMs: 5_000, ...this.options.backoff });
          logger.warn({ ...where, delayMs: delay }, 'handler failed; retrying');
        }
        metrics.retried.inc(labels);
        if (!(await this.sleep(delay, heartbeat))) {
          if (resumePartition) metrics.pausedPartitions.dec(labels);
          return false;
        }
      }
    }
  }

  private async deadLetter(batch: Batch, message: KafkaMessage, reason: DeadLetterReason, error: string, attempts: number): Promise<void> {
    const { topic, partition } = batch;
    const source = { topic, partition, message };
    const failure = { reason, error, groupId: this.groupId, attempts };
    const dlq = deadLetterMessage(source, failure);
    // Awaited: the offset is committed only once the dead-letter copy is durable, or it would be lost.
    try {
      await this.deps.deadLetters.send(dlq.topic, dlq.message);
    } catch (err) {
      // A copy that can never be published (a value near the size limit, a key over its bound)
      // would fail here on every redelivery and stop the partition for good: a copy without
      // the key and value goes instead, saying where the original is.
      if (!isUnpublishable(err)) throw err;
      const stripped = deadLetterMessage(source, failure, errorText(err));
      await this.deps.deadLetters.send(stripped.topic, stripped.message);
    }
    this.deps.metrics.deadLettered.inc({ topic, group: this.groupId, reason });
    this.deps.logger.error({ topic, partition, offset: message.offset, groupId: this.groupId, reason, error, dlq: dlq.topic }, 'message dead-lettered');
  }

  /** Waits `ms`, heartbeating so a long backoff does not cost the group membership. False when stopping. */
  private async sleep(ms: number, heartbeat: () => Promise<void>): Promise<boolean> {
    const until = Date.now() + ms;
    while (!this.stopping) {
      const left = until - Date.now();
      if (left <= 0) return true;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.stopped, new Promise((resolve) => (timer = setTimeout(resolve, Math.min(left, 1_000))))]);
      clearTimeout(timer);
      if (!this.stopping) await heartbeat();
    }
    return false;
  }
}

function headersOf(message: KafkaMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    const one = Array.isArray(value) ? value[value.length - 1] : value;
    if (one !== undefined) out[name] = one.toString();
  }
  return out;
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
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
