import type { Logger } from '@orderflow/logging';
import type { SqlExecutor } from '@orderflow/db';
import type { Claimed } from '../data/claim-rows';
import { failUnsent, holdClaimed, holdGone, logAttempt, postpone, recordFailedAttempt } from '../data/deliveries.repository';
import { promoteWaiting } from '../data/ordering-rows';
import { SuccessRecorder } from '../data/success-rows';
import { setFailingSince } from '../data/subscriptions.repository';
import type { Outcome } from '../domain/outcome';
import { afterFailure, breakerWaitMs, failingTooLong } from '../domain/retry-schedule';
import type { PrismaClient, Subscription } from '../generated/prisma/client';
import type { DispatchMetrics } from '../metrics';
import { disableSubscription } from './disable-subscription';
import type { EndpointSlots } from './endpoint-slots';

export interface DeliverOptions {
  prisma: PrismaClient;
  sql: SqlExecutor;
  /** The signed send through the endpoint's breaker. */
  endpoints: Pick<EndpointSlots, 'send'>;
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
 * One attempt of a claimed delivery (the dispatcher starts it in a free slot of its endpoint):
 * signed and sent through the endpoint's breaker, and what came of it recorded before the next
 * attempt: everything about a retry (attempts, next attempt time) is persisted, so a restart
 * forgets nothing. A delivered or failed-for-good delivery of an ordered subscription moves its
 * key's next delivery to the head; a subscription failing for `disableAfterMs` (or answered 410
 * Gone) is disabled (disable-subscription.ts).
 */
export class Deliver {
  private readonly successes: SuccessRecorder;

  constructor(private readonly options: DeliverOptions) {
    this.successes = new SuccessRecorder(options.sql, options.promoted);
  }

  /** Attempts `delivery`; `answered` is called once the partner answered, before the answer is recorded. */
  async attempt(delivery: Claimed, answered: () => void): Promise<void> {
    if (!delivery.subscription.active) return this.held(delivery);
    if (delivery.body === undefined) return this.bodyGone(delivery);
    const outcome = await this.options.endpoints.send(delivery.subscription, delivery, JSON.stringify(delivery.body));
    answered();
    await this.record(delivery.subscription, delivery, outcome);
  }

  /** A claimed delivery of a subscription disabled meanwhile: held until it is enabled again. */
  private async held(delivery: Claimed): Promise<void> {
    await holdClaimed(this.options.prisma, delivery.id);
  }

  /** A claimed delivery whose event is no longer stored: it can never be sent. */
  private async bodyGone(delivery: Claimed): Promise<void> {
    await failUnsent(this.options.prisma, delivery.id, 'the event is no longer stored');
    await this.finished(delivery.subscription, [delivery.id]);
  }

  private async record(subscription: Subscription, delivery: Claimed, outcome: Outcome): Promise<void> {
    const { prisma, metrics } = this.options;
    const now = new Date(this.options.clock());
    if (outcome.kind === 'breaker-open') {
      // Waiting on a breaker spends no attempt: the partner was never asked.
      await postpone(prisma, delivery.id, new Date(now.getTime() + breakerWaitMs(this.options.breakerResetMs)));
      return;
    }
    const result = 'result' in outcome ? outcome.result : undefined;
    const attempts = delivery.attempts + 1;
    if (outcome.kind === 'delivered') {
      metrics.deliveries.inc({ subscription: subscription.id, outcome: 'delivered' });
      await this.successes.record({ id: delivery.id, attempts, at: now, result: outcome.result, ordered: subscription.ordered });
      if (subscription.failingSince) await setFailingSince(prisma, subscription.id, null);
      return;
    }
    await logAttempt(prisma, {
      deliveryId: delivery.id,
      at: now,
      statusCode: result?.status ?? null,
      latencyMs: result?.latencyMs ?? 0,
      response: result?.excerpt ?? null,
      error: 'error' in outcome ? outcome.error : `partner answered ${result?.status}`,
    });
    if (outcome.kind === 'gone') {
      metrics.deliveries.inc({ subscription: subscription.id, outcome: 'gone' });
      await holdGone(prisma, delivery.id, attempts, 'the partner answered 410 Gone: subscription disabled');
      await disableSubscription(this.options, subscription, 'the endpoint answered 410 Gone');
      return;
    }
    const error = outcome.error;
    const { last, delayMs } = afterFailure(this.options, attempts, outcome);
    metrics.deliveries.inc({ subscription: subscription.id, outcome: last ? 'failed' : 'retry' });
    // As for a success (success-rows.ts): a resend or replay that came meanwhile stands.
    const count = await recordFailedAttempt(prisma, delivery.id, {
      status: last ? 'FAILED' : 'PENDING',
      attempts,
      lastStatus: result?.status ?? null,
      lastError: error,
      nextAttemptAt: new Date(now.getTime() + delayMs),
    });
    if (last && count === 1) await this.finished(subscription, [delivery.id]);
    const failingSince = subscription.failingSince ?? now;
    if (!subscription.failingSince) await setFailingSince(prisma, subscription.id, failingSince);
    if (failingTooLong(failingSince, now, this.options.disableAfterMs)) await disableSubscription(this.options, subscription, `every delivery failed for ${Math.round(this.options.disableAfterMs / 3_600_000)} h`);
  }

  /** An ordered subscription's deliveries ended (delivered, or failed for good): their keys' next go to the head. */
  private async finished(subscription: Subscription, ids: bigint[]): Promise<void> {
    if (subscription.ordered && (await promoteWaiting(this.options.sql, ids)) > 0) this.options.deliveriesDue();
  }
}
