import type { Logger } from '@orderflow/logging';
import { BreakerOpenError, createBreaker, type Breaker } from '@orderflow/resilience';
import type { Registry } from 'prom-client';
import { enqueue, StatementBatcher, type SqlExecutor } from '@orderflow/db';
import { encodeEvent, newEvent, type AnyEvent } from '@orderflow/events';
import type { PrismaClient, Subscription } from '../generated/prisma/client';
import type { DispatchMetrics } from '../dispatch.metrics';
import type { Sender, SendResult } from './sender';
import { signatureHeader } from './signer';
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

const SUBSCRIPTION_COLUMNS = `id, instance_id AS "instanceId", url, description, event_types AS "eventTypes", ordered, active,
  disabled_reason AS "disabledReason", secret, previous_secret AS "previousSecret", previous_expires_at AS "previousExpiresAt",
  failing_since AS "failingSince", created_at AS "createdAt", updated_at AS "updatedAt"`;

interface Success {
  id: bigint;
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
 * - Ordered subscriptions: a delivery is due only when no earlier delivery of the same
 *   (subscription, order key) is still pending, so one order's events arrive in the order they
 *   happened and a failing event holds back only its own order's later events.
 * - One breaker per subscription: while open, its deliveries wait without spending attempts.
 * - At most `endpointConcurrency` in flight per subscription: a slow partner never takes the
 *   slots other partners need.
 */
export class Dispatcher {
  private readonly inFlight = new Map<string, number>();
  private readonly leased = new Set<string>();
  private readonly breakers = new Map<string, Breaker<[() => Promise<SendResult>], SendResult>>();
  private readonly clock: () => number;
  private pumping: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly running = new Set<Promise<void>>();
  /** Successes (nearly every attempt) are recorded together: one statement per batch. */
  private readonly successes: StatementBatcher<Success, void>;

  constructor(private readonly options: DispatcherOptions) {
    this.clock = options.clock ?? Date.now;
    this.successes = new StatementBatcher({ runBatch: (batch) => this.recordSuccesses(batch), maxBatch: 500 });
  }

  start(): void {
    this.notify();
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

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.pumping;
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
    const free = concurrency - this.leased.size;
    if (free <= 0) return;
    const now = new Date(this.clock());
    const leaseUntil = new Date(now.getTime() + 2 * this.options.requestTimeoutMs + 5_000);
    // Claim and lease in one statement; SKIP LOCKED lets replicas claim side by side.
    const rows = await sql.query<{ id: string | number; subscription_id: string; event_id: string; attempts: number }>(
      `WITH due AS (
         SELECT d.id FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id
         WHERE d.status = 'PENDING' AND d.next_attempt_at <= $1 AND (d.leased_until IS NULL OR d.leased_until < $1) AND s.active
           AND (NOT s.ordered OR NOT EXISTS (
             SELECT 1 FROM deliveries e WHERE e.subscription_id = d.subscription_id AND e.order_key = d.order_key AND e.id < d.id AND e.status IN ('PENDING', 'HELD')))
         ORDER BY d.next_attempt_at, d.id LIMIT $2
         FOR UPDATE OF d SKIP LOCKED)
       UPDATE deliveries d SET leased_until = $3 FROM due WHERE d.id = due.id
       RETURNING d.id, d.subscription_id, d.event_id, d.attempts`,
      [now, free, leaseUntil],
    );
    if (rows.length === 0) {
      this.options.metrics.throttled.set(0);
      return;
    }
    // One slow partner must not take every slot: beyond its share, hand the lease back.
    const planned = new Map(this.inFlight);
    const keep: typeof rows = [];
    const giveBack: string[] = [];
    for (const row of rows.sort((x, y) => Number(x.id) - Number(y.id))) {
      const busy = planned.get(row.subscription_id) ?? 0;
      if (busy >= endpointConcurrency) {
        giveBack.push(String(row.id));
        continue;
      }
      planned.set(row.subscription_id, busy + 1);
      keep.push(row);
    }
    this.options.metrics.throttled.set(giveBack.length);
    if (giveBack.length > 0) {
      await sql.query(`UPDATE deliveries SET leased_until = NULL WHERE id = ANY($1::bigint[])`, [giveBack]);
    }
    const [subscriptions, events] = await Promise.all([
      sql.query<Subscription>(`SELECT ${SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = ANY($1::text[])`, [[...new Set(keep.map((r) => r.subscription_id))]]),
      sql.query<{ id: string; body: unknown }>(`SELECT id, body FROM events WHERE id = ANY($1::text[])`, [[...new Set(keep.map((r) => r.event_id))]]),
    ]);
    const subscriptionById = new Map(subscriptions.map((sub) => [sub.id, sub]));
    const bodyById = new Map(events.map((event) => [event.id, typeof event.body === 'string' ? JSON.parse(event.body) : event.body]));
    for (const row of keep) {
      const subscription = subscriptionById.get(row.subscription_id);
      if (!subscription) continue;
      this.track({ id: BigInt(row.id), eventId: row.event_id, attempts: Number(row.attempts), subscription, body: bodyById.get(row.event_id) });
    }
  }

  private track(delivery: Claimed): void {
    const key = String(delivery.id);
    const subscriptionId = delivery.subscription.id;
    this.leased.add(key);
    this.inFlight.set(subscriptionId, (this.inFlight.get(subscriptionId) ?? 0) + 1);
    const run = this.attempt(delivery)
      .catch((err: unknown) => this.options.logger.error({ err, deliveryId: key }, 'delivery attempt could not be recorded; its lease will expire and it runs again'))
      .finally(() => {
        this.leased.delete(key);
        this.inFlight.set(subscriptionId, (this.inFlight.get(subscriptionId) ?? 1) - 1);
        this.running.delete(run);
        this.notify();
      });
    this.running.add(run);
  }

  private async attempt(delivery: Claimed): Promise<void> {
    const { prisma } = this.options;
    if (!delivery.subscription.active) {
      await prisma.delivery.update({ where: { id: delivery.id }, data: { status: 'HELD', leasedUntil: null } });
      return;
    }
    if (delivery.body === undefined) {
      await prisma.delivery.update({ where: { id: delivery.id }, data: { status: 'FAILED', lastError: 'the event is no longer stored', leasedUntil: null } });
      return;
    }
    const outcome = await this.send(delivery.subscription, delivery, JSON.stringify(delivery.body));
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
      metrics.deliveries.inc({ outcome: 'delivered' });
      await this.successes.run({ id: delivery.id, attempts, at: now, result: outcome.result });
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
      metrics.deliveries.inc({ outcome: 'gone' });
      await prisma.delivery.update({ where: { id: delivery.id }, data: { status: 'HELD', attempts, lastStatus: 410, lastError: 'the partner answered 410 Gone: subscription disabled', leasedUntil: null } });
      await this.disable(subscription, 'the endpoint answered 410 Gone');
      return;
    }
    const error = outcome.error;
    const last = outcome.kind === 'fatal' || attempts >= scheduleMs.length;
    metrics.deliveries.inc({ outcome: last ? 'failed' : 'retry' });
    const delay = last ? 0 : Math.max(this.withJitter(scheduleMs[attempts]), outcome.kind === 'retry' ? (outcome.notBeforeMs ?? 0) : 0);
    await prisma.delivery.update({
      where: { id: delivery.id },
      data: { status: last ? 'FAILED' : 'PENDING', attempts, lastStatus: result?.status ?? null, lastError: error, nextAttemptAt: new Date(now.getTime() + delay), leasedUntil: null },
    });
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
    return batch.map(() => undefined);
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
