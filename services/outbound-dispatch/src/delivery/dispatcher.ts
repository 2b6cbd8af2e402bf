import type { Logger } from '@orderflow/logging';
import { BreakerOpenError, createBreaker, type Breaker, type BreakerState } from '@orderflow/resilience';
import type { Registry } from 'prom-client';
import { enqueue, type SqlExecutor } from '@orderflow/db';
import { encodeEvent, newEvent, type AnyEvent } from '@orderflow/events';
import type { PrismaClient, Subscription } from '../generated/prisma/client';
import type { DispatchMetrics } from '../dispatch.metrics';
import type { Sender, SendResult } from './sender';
import { signatureHeader } from './signer';
import { claimDue, type Claimed } from './claim';
import { Lookahead, POLL_MS } from './lookahead';
import { promoteWaiting } from './ordering';
import { SuccessRecorder } from './successes';
import { UnsafeDestinationError } from './url-safety';

export interface DispatcherOptions {
  prisma: PrismaClient;
  /** Plain SQL for the hot path (claim, load, record successes): below Prisma's per-statement cost. */
  sql: SqlExecutor;
  sender: Sender;
  metrics: DispatchMetrics;
  registry: Registry;
  logger: Logger;
  /** Delay before each attempt: [0] is the first (immediate), then one per retry. */
  scheduleMs: readonly number[];
  /** ± share of each retry delay, so retries of many deliveries spread out. */
  jitter: number;
  /** Deliveries in flight at once, over all endpoints (leases: twice as many). */
  concurrency: number;
  /** Deliveries in flight at once to one subscription: a slow partner holds only these. */
  endpointConcurrency: number;
  /** A subscription failing this long without one success is disabled. */
  disableAfterMs: number;
  /** How long a breaker stays open before a trial delivery. */
  breakerResetMs: number;
  requestTimeoutMs: number;
  /** Injectable for tests; milliseconds since the epoch. */
  clock?: () => number;
  /** After a commit that put events in the outbox. */
  published: () => void;
}

/** How often WAITING deliveries whose head ended unseen are promoted (see promoteWaiting). */
const SWEEP_INTERVAL_MS = 2_000;

/** A subscription holds up to this many rounds of its concurrency claimed and unanswered (see Lookahead). */
const LOOKAHEAD = 4;

/** A partner answer that counts against its endpoint's breaker (5xx). */
class PartnerFailure extends Error {
  constructor(readonly result: SendResult) {
    super(`partner answered ${result.status}`);
  }
}

type Outcome =
  | { kind: 'delivered'; result: SendResult }
  | { kind: 'gone'; result: SendResult }
  | { kind: 'retry'; error: string; result?: SendResult; notBeforeMs?: number | null }
  | { kind: 'fatal'; error: string }
  | { kind: 'breaker-open' };

/**
 * Sends due deliveries. Claims are leases in the database (`leased_until`), so replicas share the
 * work and a crashed sender's deliveries come back after the lease; everything about a retry
 * (attempts, next attempt time) is persisted before the next one, so a restart forgets nothing.
 *
 * - Ordered subscriptions: a delivery waits (WAITING) while an earlier delivery of the same
 *   (subscription, order key) is pending, and goes to the head when that one is delivered or
 *   fails for good, so one order's events arrive in the order they happened and a failing event
 *   holds back only its own order's later events.
 * - One breaker per subscription: while open, its deliveries wait without spending attempts.
 * - At most `endpointConcurrency` in flight per subscription: a slow partner never takes the
 *   slots other partners need.
 */
export class Dispatcher {
  /** Per subscription: deliveries being sent (waiting for the partner's answer). */
  private readonly inFlight = new Map<string, number>();
  /**
   * Per subscription, what is claimed here and not yet answered (queued or in flight), and when
   * to claim more. Deliveries whose answer is being recorded keep their lease but no longer
   * count: the claim tops up behind them.
   */
  private readonly lookahead: Lookahead;
  /** Per subscription: claimed deliveries waiting for one of its slots, in claim order. */
  private readonly queued = new Map<string, Claimed[]>();
  private leasedCount = 0;
  /** A claim was cut short by the lease bound: the next lease handed back claims again. */
  private leaseBound = false;
  private readonly breakers = new Map<string, Breaker<[() => Promise<SendResult>], SendResult>>();
  private readonly clock: () => number;
  private pumping: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly running = new Set<Promise<void>>();
  private readonly successes: SuccessRecorder;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly options: DispatcherOptions) {
    this.clock = options.clock ?? Date.now;
    this.lookahead = new Lookahead(LOOKAHEAD * options.endpointConcurrency);
    // An ordered key's next delivery: its subscription claims again if short, not a claim after
    // every batch recorded.
    this.successes = new SuccessRecorder(options.sql, (subscriptionIds) => {
      if (this.lookahead.wake(subscriptionIds)) this.pumpSoon();
    });
  }

  start(): void {
    this.notify();
    let sweeping = false;
    this.sweeper = setInterval(() => {
      if (sweeping) return;
      sweeping = true;
      promoteWaiting(this.options.sql)
        .then((promoted) => promoted > 0 && this.notify())
        .catch((err: unknown) => this.options.logger.warn({ err }, 'promoting waiting deliveries failed; trying again'))
        .finally(() => (sweeping = false));
    }, SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  /** Looks for due deliveries now: new ones were created, or became sendable. */
  notify(): void {
    this.lookahead.wakeAll();
    this.pumpSoon();
  }

  /** Claims next (or right after the claim running now). */
  private pumpSoon(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.pumping = this.pump()
      .catch((err: unknown) => this.options.logger.warn({ err }, 'dispatch pump failed; trying again shortly'))
      .finally(() => {
        this.pumping = undefined;
        if (this.again) {
          this.again = false;
          this.pumpSoon();
        } else {
          this.idle();
        }
      });
  }

  /**
   * The endpoint breaker's state in this replica ('closed' before its first delivery here):
   * breakers are per process, so another replica may see the same partner differently.
   */
  breakerState(subscriptionId: string): BreakerState {
    return this.breakers.get(subscriptionId)?.state ?? 'closed';
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    clearInterval(this.sweeper);
    await this.pumping;
    // Claimed but never started: hand the leases back, so another replica (or the next start) sends them now.
    const unsent = [...this.queued.values()].flat().map((d) => String(d.id));
    this.queued.clear();
    if (unsent.length > 0) {
      await this.options.sql.query(`UPDATE deliveries SET leased_until = NULL WHERE id = ANY($1::bigint[])`, [unsent]).catch((err: unknown) => this.options.logger.warn({ err }, 'leases not handed back; they expire'));
    }
    await Promise.all(this.running);
    for (const breaker of this.breakers.values()) breaker.shutdown();
  }

  /** Wakes for the next due delivery (or polls, for work other replicas created). */
  private idle(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.notify(), POLL_MS);
    this.timer.unref();
  }

  private async pump(): Promise<void> {
    const { sql, concurrency, endpointConcurrency, requestTimeoutMs } = this.options;
    // Claims run ahead of sending (up to twice the slots), so a freed slot starts the next
    // delivery at once instead of after a claim's round trip.
    const free = 2 * concurrency - this.leasedCount;
    this.leaseBound = free <= 0;
    if (this.leaseBound) return;
    const plan = this.lookahead.plan(this.breakerLimits());
    if (!plan) return;
    const now = new Date(this.clock());
    // A claimed delivery may wait in its queue for the rounds ahead of it (at most LOOKAHEAD
    // slots' worth, each bounded by the request timeout) before its own attempt.
    const leaseUntil = new Date(now.getTime() + LOOKAHEAD * requestTimeoutMs + 5_000);
    const claimed = await claimDue(sql, { now, leaseUntil, limit: free, room: plan.room, otherRoom: plan.otherRoom });
    this.options.metrics.throttled.set([...this.inFlight.values()].filter((n) => n >= endpointConcurrency).length);
    for (const delivery of claimed) this.lookahead.claimed(delivery.subscription.id);
    // Cut short by the lease bound: what it left is claimed as leases come back.
    this.leaseBound = claimed.length >= free;
    this.lookahead.settle(plan, claimed.map((delivery) => delivery.subscription.id), this.leaseBound);
    for (const delivery of claimed) this.track(delivery);
  }

  /**
   * Subscriptions whose breaker holds back claims: none while open (their deliveries would only
   * be handed back, each with a statement), one while half-open (the trial).
   */
  private breakerLimits(): Map<string, number> {
    const limits = new Map<string, number>();
    for (const [subscriptionId, breaker] of this.breakers) {
      if (breaker.state === 'open') limits.set(subscriptionId, 0);
      else if (breaker.state === 'half-open') limits.set(subscriptionId, 1 - this.lookahead.unansweredOf(subscriptionId));
    }
    return limits;
  }

  private track(delivery: Claimed): void {
    const subscriptionId = delivery.subscription.id;
    this.leasedCount += 1;
    const queue = this.queued.get(subscriptionId) ?? [];
    queue.push(delivery);
    this.queued.set(subscriptionId, queue);
    this.drain(subscriptionId);
  }

  /** Starts the subscription's queued deliveries while it has free slots. */
  private drain(subscriptionId: string): void {
    const queue = this.queued.get(subscriptionId);
    while (queue?.length && (this.inFlight.get(subscriptionId) ?? 0) < this.options.endpointConcurrency) {
      this.begin(queue.shift()!);
    }
    if (queue?.length === 0) this.queued.delete(subscriptionId);
  }

  private begin(delivery: Claimed): void {
    const subscriptionId = delivery.subscription.id;
    this.inFlight.set(subscriptionId, (this.inFlight.get(subscriptionId) ?? 0) + 1);
    this.options.metrics.inFlight.inc({ subscription: subscriptionId });
    // The endpoint's slot is free once the partner answered: recording the answer is ours.
    let answered = false;
    const release = () => {
      if (answered) return;
      answered = true;
      decrement(this.inFlight, subscriptionId);
      const short = this.lookahead.answered(subscriptionId);
      this.options.metrics.inFlight.dec({ subscription: subscriptionId });
      if (this.stopped) return;
      this.drain(subscriptionId);
      if (short) this.pumpSoon();
    };
    const run = this.attempt(delivery, release)
      .catch((err: unknown) => this.options.logger.error({ err, deliveryId: String(delivery.id) }, 'delivery attempt could not be recorded; its lease will expire and it runs again'))
      .finally(() => {
        release();
        this.leasedCount -= 1;
        this.running.delete(run);
        if (this.leaseBound) this.pumpSoon();
      });
    this.running.add(run);
  }

  private async attempt(delivery: Claimed, answered: () => void): Promise<void> {
    const { prisma } = this.options;
    if (!delivery.subscription.active) {
      await prisma.delivery.update({ where: { id: delivery.id }, data: { status: 'HELD', leasedUntil: null } });
      return;
    }
    if (delivery.body === undefined) {
      await prisma.delivery.update({ where: { id: delivery.id }, data: { status: 'FAILED', lastError: 'the event is no longer stored', leasedUntil: null } });
      await this.finished(delivery.subscription, [delivery.id]);
      return;
    }
    const outcome = await this.send(delivery.subscription, delivery, JSON.stringify(delivery.body));
    answered();
    await this.record(delivery.subscription, delivery, outcome);
  }

  private async send(subscription: Subscription, delivery: Claimed, body: string): Promise<Outcome> {
    const breaker = this.breakerOf(subscription.id);
    if (breaker.state === 'open') return { kind: 'breaker-open' };
    const nowMs = this.clock();
    const secrets = [subscription.secret];
    if (subscription.previousSecret && subscription.previousExpiresAt && subscription.previousExpiresAt.getTime() > nowMs) secrets.push(subscription.previousSecret);
    const timestamp = Math.floor(nowMs / 1000);
    const headers = {
      'webhook-id': delivery.eventId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader(secrets, delivery.eventId, timestamp, body),
    };
    const stop = this.options.metrics.attemptDuration.startTimer();
    try {
      const result = await breaker.fire(async () => {
        const answer = await this.options.sender.send(subscription.url, headers, body);
        if (answer.status >= 500) throw new PartnerFailure(answer);
        return answer;
      });
      stop({ outcome: String(result.status) });
      if (result.status >= 200 && result.status < 300) return { kind: 'delivered', result };
      if (result.status === 410) return { kind: 'gone', result };
      return { kind: 'retry', error: `partner answered ${result.status}`, result, notBeforeMs: result.retryAfterMs };
    } catch (err) {
      stop({ outcome: 'error' });
      if (err instanceof BreakerOpenError) return { kind: 'breaker-open' };
      if (err instanceof PartnerFailure) return { kind: 'retry', error: err.message, result: err.result, notBeforeMs: err.result.retryAfterMs };
      if (err instanceof UnsafeDestinationError) return { kind: 'fatal', error: `refused destination: ${err.message}` };
      return { kind: 'retry', error: err instanceof Error ? err.message : String(err) };
    }
  }

  private async record(subscription: Subscription, delivery: Claimed, outcome: Outcome): Promise<void> {
    const { prisma, metrics, scheduleMs } = this.options;
    const now = new Date(this.clock());
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
    if (subscription.ordered) await this.promote(ids);
  }

  private async promote(ids: bigint[]): Promise<void> {
    if ((await promoteWaiting(this.options.sql, ids)) > 0) this.notify();
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

  private breakerOf(subscriptionId: string): Breaker<[() => Promise<SendResult>], SendResult> {
    let breaker = this.breakers.get(subscriptionId);
    if (!breaker) {
      breaker = createBreaker(`partner:${subscriptionId}`, (call: () => Promise<SendResult>) => call(), {
        timeoutMs: false,
        resetTimeoutMs: this.options.breakerResetMs,
        volumeThreshold: 3,
        // Our own refusals (an unsafe URL) are not the partner's fault.
        isFailure: (err) => !(err instanceof UnsafeDestinationError),
      }, this.options.registry);
      // Half-open, then closed: its trial delivery, then its backlog, is claimed now, not at the next poll.
      breaker.onStateChange((state) => state !== 'open' && this.notify());
      this.breakers.set(subscriptionId, breaker);
    }
    return breaker;
  }

  private withJitter(ms: number): number {
    if (ms <= 0) return 0;
    const spread = ms * this.options.jitter;
    return Math.round(ms - spread + Math.random() * 2 * spread);
  }
}

/** One less of `key` in a count map, forgetting keys that reach zero. */
function decrement(counts: Map<string, number>, key: string): void {
  const left = (counts.get(key) ?? 1) - 1;
  if (left > 0) counts.set(key, left);
  else counts.delete(key);
}
