import type { Logger } from '@orderflow/logging';
import { BreakerOpenError, createBreaker, type Breaker, type BreakerState } from '@orderflow/resilience';
import type { Registry } from 'prom-client';
import { enqueue, StatementBatcher, type SqlExecutor } from '@orderflow/db';
import { encodeEvent, newEvent, type AnyEvent } from '@orderflow/events';
import type { PrismaClient, Subscription } from '../generated/prisma/client';
import type { DispatchMetrics } from '../dispatch.metrics';
import type { Sender, SendResult } from './sender';
import { signatureHeader } from './signer';
import { promoteWaiting } from './ordering';
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
  /** Deliveries in flight at once, over all endpoints. */
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

/** A partner answer that counts against its endpoint's breaker (5xx). */
class PartnerFailure extends Error {
  constructor(readonly result: SendResult) {
    super(`partner answered ${result.status}`);
  }
}

/** A leased delivery with what sending it needs, loaded for the whole claim at once. */
interface Claimed {
  id: bigint;
  eventId: string;
  attempts: number;
  subscription: Subscription;
  /** The stored body partners receive; undefined if the event is gone. */
  body: unknown;
}

const SUBSCRIPTION_COLUMNS = `s.id, s.instance_id AS "instanceId", s.url, s.description, s.event_types AS "eventTypes", s.ordered, s.active,
  s.disabled_reason AS "disabledReason", s.secret, s.previous_secret AS "previousSecret", s.previous_expires_at AS "previousExpiresAt",
  s.failing_since AS "failingSince", s.created_at AS "createdAt", s.updated_at AS "updatedAt"`;

interface Success {
  id: bigint;
  ordered: boolean;
  attempts: number;
  at: Date;
  result: SendResult;
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
   * Per subscription: claimed here and not yet answered (queued or in flight). Deliveries whose
   * answer is being recorded keep their lease but no longer count: the claim tops up behind them.
   */
  private readonly unanswered = new Map<string, number>();
  /** Per subscription: claimed deliveries waiting for one of its slots, in claim order. */
  private readonly queued = new Map<string, Claimed[]>();
  private leasedCount = 0;
  private readonly breakers = new Map<string, Breaker<[() => Promise<SendResult>], SendResult>>();
  private readonly clock: () => number;
  private pumping: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly running = new Set<Promise<void>>();
  /** Successes (nearly every attempt) are recorded together: one statement per batch. */
  private readonly successes: StatementBatcher<Success, void>;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly options: DispatcherOptions) {
    this.clock = options.clock ?? Date.now;
    this.successes = new StatementBatcher({ runBatch: (batch) => this.recordSuccesses(batch), maxBatch: 500 });
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

  /** Looks for due deliveries now (after new ones were created, or a slot freed up). */
  notify(): void {
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
          this.notify();
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
    this.timer = setTimeout(() => this.notify(), 250);
    this.timer.unref();
  }

  private async pump(): Promise<void> {
    const { sql, concurrency, endpointConcurrency } = this.options;
    // Claims run ahead of sending (up to twice the slots), so a freed slot starts the next
    // delivery at once instead of after a claim's round trip.
    const free = 2 * concurrency - this.leasedCount;
    if (free <= 0) return;
    const now = new Date(this.clock());
    const leaseUntil = new Date(now.getTime() + 2 * this.options.requestTimeoutMs + 5_000);
    // Claim and lease in one statement; SKIP LOCKED lets replicas claim side by side. Every
    // PENDING delivery may be sent (an ordered key's later ones are WAITING), so this reads
    // due deliveries in order and stops at its limit. Subscriptions at their concurrency are
    // passed over; of the others, each gets at most its free slots.
    const rows = await sql.query<Subscription & { deliveryId: string | number; eventId: string; attempts: number; body: unknown; stored: boolean }>(
      `WITH due AS (
         SELECT d.id, d.subscription_id, d.next_attempt_at FROM deliveries d
         WHERE d.status = 'PENDING' AND d.next_attempt_at <= $1 AND (d.leased_until IS NULL OR d.leased_until < $1)
           AND coalesce(($4::jsonb ->> d.subscription_id)::int, 0) < $5
         ORDER BY d.next_attempt_at, d.id LIMIT $2
         FOR UPDATE OF d SKIP LOCKED),
       ranked AS (
         SELECT id, subscription_id, row_number() OVER (PARTITION BY subscription_id ORDER BY next_attempt_at, id) AS n FROM due),
       claimed AS (
         UPDATE deliveries d SET leased_until = $3 FROM ranked
         WHERE d.id = ranked.id AND ranked.n <= $5 - coalesce(($4::jsonb ->> ranked.subscription_id)::int, 0)
         RETURNING d.id, d.subscription_id, d.event_id, d.attempts)
       SELECT c.id AS "deliveryId", c.event_id AS "eventId", c.attempts, e.body, e.id IS NOT NULL AS stored, ${SUBSCRIPTION_COLUMNS}
       FROM claimed c JOIN subscriptions s ON s.id = c.subscription_id LEFT JOIN events e ON e.id = c.event_id
       ORDER BY c.id`,
      [now, free, leaseUntil, JSON.stringify(Object.fromEntries(this.unanswered)), 2 * endpointConcurrency],
    );
    this.options.metrics.throttled.set([...this.inFlight.values()].filter((n) => n >= endpointConcurrency).length);
    for (const { deliveryId, eventId, attempts, body, stored, ...subscription } of rows) {
      this.track({ id: BigInt(deliveryId), eventId, attempts: Number(attempts), subscription, body: stored ? (typeof body === 'string' ? JSON.parse(body) : body) : undefined });
    }
  }

  private track(delivery: Claimed): void {
    const subscriptionId = delivery.subscription.id;
    this.leasedCount += 1;
    this.unanswered.set(subscriptionId, (this.unanswered.get(subscriptionId) ?? 0) + 1);
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
      decrement(this.unanswered, subscriptionId);
      this.options.metrics.inFlight.dec({ subscription: subscriptionId });
      if (!this.stopped) this.drain(subscriptionId);
      this.notify();
    };
    const run = this.attempt(delivery, release)
      .catch((err: unknown) => this.options.logger.error({ err, deliveryId: String(delivery.id) }, 'delivery attempt could not be recorded; its lease will expire and it runs again'))
      .finally(() => {
        release();
        this.leasedCount -= 1;
        this.running.delete(run);
        this.notify();
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
      await this.successes.run({ id: delivery.id, attempts, at: now, result: outcome.result, ordered: subscription.ordered });
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
    await prisma.delivery.update({
      where: { id: delivery.id },
      data: { status: last ? 'FAILED' : 'PENDING', attempts, lastStatus: result?.status ?? null, lastError: error, nextAttemptAt: new Date(now.getTime() + delay), leasedUntil: null },
    });
    if (last) await this.finished(subscription, [delivery.id]);
    const failingSince = subscription.failingSince ?? now;
    if (!subscription.failingSince) await prisma.subscription.update({ where: { id: subscription.id }, data: { failingSince } });
    if (now.getTime() - failingSince.getTime() >= this.options.disableAfterMs) await this.disable(subscription, `every delivery failed for ${Math.round(this.options.disableAfterMs / 3_600_000)} h`);
  }

  /** Marks delivered and logs the attempt of every success in `batch`, in one statement. */
  private async recordSuccesses(batch: readonly Success[]): Promise<void[]> {
    const width = 6;
    const values = batch.map((_, i) => `($${i * width + 1}::bigint, $${i * width + 2}::int, $${i * width + 3}::timestamptz, $${i * width + 4}::int, $${i * width + 5}::int, $${i * width + 6}::text)`);
    await this.options.sql.query(
      `WITH v (id, attempts, at, status_code, latency_ms, response) AS (VALUES ${values.join(', ')}),
         logged AS (INSERT INTO delivery_attempts (delivery_id, at, status_code, latency_ms, response) SELECT id, at, status_code, latency_ms, response FROM v)
       UPDATE deliveries d SET status = 'DELIVERED', attempts = v.attempts, delivered_at = v.at, last_status = v.status_code, last_error = NULL, leased_until = NULL
       FROM v WHERE d.id = v.id`,
      batch.flatMap((s) => [String(s.id), s.attempts, s.at, s.result.status, s.result.latencyMs, s.result.excerpt]),
    );
    const ordered = batch.filter((s) => s.ordered).map((s) => s.id);
    if (ordered.length > 0) await this.promote(ordered);
    return batch.map(() => undefined);
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
      await tx.delivery.updateMany({ where: { subscriptionId: subscription.id, status: 'PENDING' }, data: { status: 'HELD', leasedUntil: null } });
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
