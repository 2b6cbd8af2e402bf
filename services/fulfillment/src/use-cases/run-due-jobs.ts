import type { OutboxRelay, RawClient } from '@orderflow/db';
import { WorkLoop } from '@orderflow/resilience';
import type { Logger } from '@orderflow/logging';
import { anyJobDue, claimDueJob, setLockTimeout, type ClaimedJob } from '../data/job-rows';
import type { FulfillmentMetrics } from '../metrics';
import type { PrismaClient } from '../generated/prisma/client';
import { attemptFailed } from './attempt-failed';
import { fulfillJob, type Fulfiller } from './fulfill-order';

export interface JobRunnerOptions {
  /** For recording failed attempts (attempt-failed.ts). */
  prisma: PrismaClient;
  /** Plain SQL (`rawClient`) for claiming and running jobs. */
  sql: RawClient;
  fulfiller: Fulfiller;
  relay: OutboxRelay;
  metrics: FulfillmentMetrics;
  logger: Logger;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  pollIntervalMs: number;
  lockTimeoutMs: number;
}

/**
 * What happens to a due job: the job runner runs the jobs the orders consumer left PENDING
 * (license lines, restarted rounds, whatever failed there) and retries, one transaction each:
 * claim the job as COMPLETED, fulfill the order (fulfill-order.ts) — or roll all of it back and
 * record the failed attempt (attempt-failed.ts).
 */
export class JobRunner {
  private readonly loop: WorkLoop;

  constructor(private readonly options: JobRunnerOptions) {
    this.loop = new WorkLoop({
      runOne: () => this.runOne(),
      idleMs: () => options.pollIntervalMs,
      onError: (err) => options.logger.warn({ err }, 'fulfillment run failed; trying again at the next poll'),
    });
  }

  start(): void {
    this.loop.start();
  }

  /** Looks for due jobs now, e.g. right after a consumer committed a new one. */
  notify(): void {
    this.loop.notify();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Runs the most overdue job; false when none was due (or every due one is another replica's). */
  private async runOne(): Promise<boolean> {
    const { sql, fulfiller, metrics, lockTimeoutMs } = this.options;
    if (!(await anyJobDue(sql))) return false;
    let job: ClaimedJob | undefined;
    try {
      await sql.$transaction(async (tx) => {
        await setLockTimeout(tx, lockTimeoutMs);
        job = await claimDueJob(tx);
        if (!job) return;
        await fulfillJob(tx, fulfiller, job);
      });
    } catch (err) {
      // Nothing claimed: the claim itself failed (the database is down); the loop polls again.
      if (!job) throw err;
      await attemptFailed(this.options, job.orderId, err);
      return true;
    }
    if (!job) return false;
    metrics.duration.observe({ outcome: 'completed' }, (Date.now() - job.createdAt.getTime()) / 1000);
    this.options.relay.notify();
    return true;
  }
}
