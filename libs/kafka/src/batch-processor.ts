import { backoffDelay } from '@orderflow/resilience';
import { decodeEvent, type AnyEvent } from '@orderflow/events';
import type { Batch, EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { ConsumerOptions, EventContext, RunnerDeps } from './consumer-runner';
import { deadLetterMessage, type DeadLetterReason } from './dead-letter';
import { isDependencyUnavailable, isRetriable, isUnpublishable } from './errors';
import type { OffsetCommitter } from './offset-committer';

/** What the batch processor reads of its runner. */
export interface RunnerState {
  readonly groupId: string;
  isStopping(): boolean;
  isPaused(): boolean;
  /** Resolves once the runner is stopping: a backoff in progress ends there. */
  readonly stopped: Promise<void>;
  /** A message was done with: the consumer works again (its crash backoff starts over). */
  progressed(): void;
}

const nextOffset = (offset: string): string => (BigInt(offset) + 1n).toString();

/**
 * What happens to one fetched batch of one partition. Its messages are handled one after another
 * (kafkajs hands each partition's batches to one worker at a time), so one order key's events are
 * handled in order; runs of them go to the `batchHandler` when there is one.
 *
 * - Retriable errors: retried in place with backoff up to `maxAttempts`, then dead-lettered.
 *   Retrying in place (not via a retry topic) keeps later events of the same order behind it.
 * - Non-retriable errors and undecodable messages: dead-lettered at once.
 * - `DependencyUnavailableError`: the partition is paused (no more fetching for it, the
 *   `paused_partitions` gauge goes up) and the same message is retried with a slower backoff,
 *   without limit and without spending its attempts, until it succeeds (partition resumed) or the
 *   runner stops (message left uncommitted). An outage must not turn healthy events into DLQ noise.
 * - A message's offset is handed to the committer only after its handler resolved or its
 *   dead-letter copy was acknowledged.
 */
export class BatchProcessor {
  constructor(
    private readonly options: ConsumerOptions,
    private readonly deps: RunnerDeps,
    private readonly committer: OffsetCommitter,
    private readonly runner: RunnerState,
  ) {}

  private get groupId(): string {
    return this.runner.groupId;
  }

  async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale, pause, commitOffsetsIfNecessary } = payload;
    const { topic, partition } = batch;
    const { committer, runner } = this;
    // A batch's commit throws on failure (kafkajs then rejoins or restarts the consumer, and what
    // was handled since the last commit is delivered again: at-least-once, handlers idempotent).
    committer.useCommit(commitOffsetsIfNecessary);
    const commit = () => committer.commitPartition(topic, partition);
    const done = async (message: KafkaMessage) => {
      runner.progressed();
      const handled = nextOffset(message.offset);
      committer.handled(topic, partition, handled);
      resolveOffset(message.offset);
      const lag = BigInt(batch.highWatermark) - BigInt(handled);
      this.deps.metrics.lag.set({ topic, partition: String(partition), group: this.groupId }, Number(lag > 0n ? lag : 0n));
      if (committer.due()) await commit();
      await heartbeat();
    };
    const messages = batch.messages;
    // After a run fails, its events go one at a time (each with its own retries), then runs resume.
    let singlyUntil = 0;
    for (let i = 0; i < messages.length; ) {
      // A stale batch's partition belongs to another member now: its commit would be refused.
      if (isStale()) return committer.forget(topic, partition);
      if (!isRunning() || runner.isStopping() || runner.isPaused()) return commit();
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
    if (committer.due() || runner.isStopping() || runner.isPaused()) await commit();
    else committer.scheduleFlush();
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
      run.push({ event: decoded.event, context: contextOf(topic, partition, message, 1) });
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
      const endTimer = metrics.handlerDuration.startTimer(labels);
      try {
        await this.options.handler(decoded.event, contextOf(topic, partition, message, attempt));
        endTimer();
        metrics.processed.inc(labels);
        if (resumePartition) {
          metrics.pausedPartitions.dec(labels);
          if (!this.runner.isPaused()) resumePartition();
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
    while (!this.runner.isStopping()) {
      const left = until - Date.now();
      if (left <= 0) return true;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.runner.stopped, new Promise((resolve) => (timer = setTimeout(resolve, Math.min(left, 1_000))))]);
      clearTimeout(timer);
      if (!this.runner.isStopping()) await heartbeat();
    }
    return false;
  }
}

function contextOf(topic: string, partition: number, message: KafkaMessage, attempt: number): EventContext {
  return { topic, partition, offset: message.offset, key: message.key, headers: headersOf(message), attempt };
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
