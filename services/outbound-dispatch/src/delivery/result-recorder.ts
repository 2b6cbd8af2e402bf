import type { Logger } from '@orderflow/logging';
import { enqueue, type SqlExecutor } from '@orderflow/db';
import { encodeEvent, newEvent, type AnyEvent } from '@orderflow/events';
import type { PrismaClient, Subscription } from '../generated/prisma/client';
import type { DispatchMetrics } from '../dispatch.metrics';
import type { Claimed } from './claim';
import type { Outcome } from './endpoint-slots';
import { promoteWaiting } from './ordering';
import { SuccessRecorder } from './successes';

export interface ResultRecorderOptions {
  prisma: PrismaClient;
  sql: SqlExecutor;
  metrics: DispatchMetrics;
  logger: Logger;
  /** Delay before each attempt: [0] is the first (immediate), then one per retry. */
  scheduleMs: readonly number[];
  /** ± share of each retry delay, so retries of many deliveries spread out. */
  jitter: number;
  /** A subscription failing this long without one success is disabled. */
  disableAfterMs: number;
  breakerResetMs: number;
  clock: () => number;
  /** After a commit that put events in the outbox. */
  published: () => void;
  /** Deliveries became sendable (a key's next went to the head): look for due ones now. */
  deliveriesDue: () => void;
  /** Subscriptions that got deliveries to send when successes were recorded. */
  promoted: (subscriptionIds: string[]) => void;
}

/**
 * Records what came of each attempt, before the next one: everything about a retry (attempts,
 * next attempt time) is persisted, so a restart forgets nothing. A delivered or failed-for-good
 * delivery of an ordered subscription moves its key's next delivery to the head; a subscription
 * failing for `disableAfterMs` (or answered 410 Gone) is disabled.
 */
export class ResultRecorder {
  private readonly successes: SuccessRecorder;

  constructor(private readonly options: ResultRecorderOptions) {
    this.successes = new SuccessRecorder(options.sql, options.promoted);
  }

  /** A claimed delivery of a subscription disabled meanwhile: held until it is enabled again. */
  async held(delivery: Claimed): Promise<void> {
    await this.options.prisma.delivery.update({ where: { id: delivery.id }, data: { status: 'HELD', leasedUntil: null } });
  }

  /** A claimed delivery whose event is no longer stored: it can never be sent. */
  async bodyGone(delivery: Claimed): Promise<void> {
    await this.options.prisma.delivery.update({ where: { id: delivery.id }, data: { status: 'FAILED', lastError: 'the event is no longer stored', leasedUntil: null } });
    await this.finished(delivery.subscription, [delivery.id]);
  }

  async record(subscription: Subscription, delivery: Claimed, outcome: Outcome): Promise<void> {
    const { prisma, metrics, scheduleMs } = this.options;
    const now = new Date(this.options.clock());
    if (outcome.kind === 'breaker-open') {
      // Waiting on a breaker spends no attempt: the partner was never asked.
      await prisma.delivery.update({ where: { id: delivery.id }, data: { leasedUntil: null, nextAttemptAt: new Date(now.getTime() + Math.min(this.options.breakerResetMs, 5_000)) } });
      return;
    }
    const result = 'result' in outcome ? outcome.result : undefined;
    const attempts = delivery.attempts + 1;
    if (outcome.kind === 'delivered') {
      metrics.deliveries.inc({ subscription: subscription.id, outcome: 'delivered' });
      await this.successes.record({ id: delivery.id, attempts, at: now, result: outcome.result, ordered: subscription.ordered });
      if (subscription.failingSince) await prisma.subscription.update({ where: { id: subscription.id }, data: { failingSince: null } });
      return;
    }
    await prisma.deliveryAttempt.create({
      data: {
        deliveryId: delivery.id,
        at: now,
        statusCode: result?.status ?? null,
        latencyMs: result?.latencyMs ?? 0,
        response: result?.excerpt ?? null,
        error: 'error' in outcome ? outcome.error : `partner answered ${result?.status}`,
      },
    });
    if (outcome.kind === 'gone') {
      metrics.deliveries.inc({ subscription: subscription.id, outcome: 'gone' });
      await prisma.delivery.update({ where: { id: delivery.id }, data: { status: 'HELD', attempts, lastStatus: 410, lastError: 'the partner answered 410 Gone: subscription disabled', leasedUntil: null } });
      await this.disable(subscription, 'the endpoint answered 410 Gone');
      return;
    }
    const error = outcome.error;
    const last = outcome.kind === 'fatal' || attempts >= scheduleMs.length;
    metrics.deliveries.inc({ subscription: subscription.id, outcome: last ? 'failed' : 'retry' });
    const delay = last ? 0 : Math.max(this.withJitter(scheduleMs[attempts]), outcome.kind === 'retry' ? (outcome.notBeforeMs ?? 0) : 0);
    // As for a success (successes.ts): a resend or replay that came meanwhile stands.
    const { count } = await prisma.delivery.updateMany({
      where: { id: delivery.id, leasedUntil: { not: null } },
      data: { status: last ? 'FAILED' : 'PENDING', attempts, lastStatus: result?.status ?? null, lastError: error, nextAttemptAt: new Date(now.getTime() + delay), leasedUntil: null },
    });
    if (last && count === 1) await this.finished(subscription, [delivery.id]);
    const failingSince = subscription.failingSince ?? now;
    if (!subscription.failingSince) await prisma.subscription.update({ where: { id: subscription.id }, data: { failingSince } });
    if (now.getTime() - failingSince.getTime() >= this.options.disableAfterMs) await this.disable(subscription, `every delivery failed for ${Math.round(this.options.disableAfterMs / 3_600_000)} h`);
  }

  /** An ordered subscription's deliveries ended (delivered, or failed for good): their keys' next go to the head. */
  private async finished(subscription: Subscription, ids: bigint[]): Promise<void> {
    if (subscription.ordered && (await promoteWaiting(this.options.sql, ids)) > 0) this.options.deliveriesDue();
  }

  /**
   * Disabled, not forgotten: its pending deliveries are held until it is enabled again, and
   * `subscription.disabled` goes out (through the outbox, with the change) so the shop hears of it.
   */
  private async disable(subscription: Subscription, reason: string): Promise<void> {
    const { prisma, logger, metrics } = this.options;
    await prisma.$transaction(async (tx) => {
      const changed = await tx.subscription.updateMany({ where: { id: subscription.id, active: true }, data: { active: false, disabledReason: reason, updatedAt: new Date() } });
      if (changed.count === 0) return;
      // Leases stay, as when support disables it: one out now is recorded as its answer says.
      await tx.delivery.updateMany({ where: { subscriptionId: subscription.id, status: 'PENDING' }, data: { status: 'HELD' } });
      const event = newEvent({
        type: 'subscription.disabled',
        eventId: `subscription.disabled:${subscription.id}:${Date.now()}`,
        orderKey: subscription.id,
        instanceId: subscription.instanceId,
        traceId: `dispatch-${subscription.id}`,
        payload: {
          subscriptionId: subscription.id,
          instanceId: subscription.instanceId,
          endpoint: new URL(subscription.url).origin,
          reason,
          failingSince: subscription.failingSince?.toISOString() ?? null,
        },
      });
      await enqueue(tx, encodeEvent(event as AnyEvent));
    });
    this.options.published();
    metrics.disabled.inc();
    logger.warn({ subscriptionId: subscription.id, instanceId: subscription.instanceId, reason }, 'subscription disabled');
  }

  private withJitter(ms: number): number {
    if (ms <= 0) return 0;
    const spread = ms * this.options.jitter;
    return Math.round(ms - spread + Math.random() * 2 * spread);
  }
}
