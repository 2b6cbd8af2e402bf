import type { Logger } from '@orderflow/logging';
import type { BreakerState } from '@orderflow/resilience';
import type { Registry } from 'prom-client';
import type { SqlExecutor } from '@orderflow/db';
import { claimDue, handBackLeases, type Claimed } from '../data/claim-rows';
import { promoteWaiting } from '../data/ordering-rows';
import { Lookahead, POLL_MS } from '../domain/lookahead';
import type { PrismaClient } from '../generated/prisma/client';
import type { DispatchMetrics } from '../metrics';
import type { Sender } from '../adapters/sender';
import { Deliver } from './deliver';
import { EndpointSlots } from './endpoint-slots';

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

/**
 * Sends due deliveries: claims them, starts each in a free slot of its endpoint, and runs its
 * attempt there (deliver.ts). Claims are leases in the database (`leased_until`), so replicas share the work and a
 * crashed sender's deliveries come back after the lease.
 *
 * - Ordered subscriptions: a delivery waits (WAITING) while an earlier delivery of the same
 *   (subscription, order key) is pending, and goes to the head when that one is delivered or
 *   fails for good, so one order's events arrive in the order they happened and a failing event
 *   holds back only its own order's later events.
 * - Endpoints (EndpointSlots): one breaker per subscription, at most `endpointConcurrency` in flight.
 * - Attempts (Deliver): each result persisted before the next attempt, so a restart forgets nothing.
 */
export class Dispatcher {
  /**
   * Per subscription, what is claimed here and not yet answered (queued or in flight), and when
   * to claim more. Deliveries whose answer is being recorded keep their lease but no longer
   * count: the claim tops up behind them.
   */
  private readonly lookahead: Lookahead;
  private readonly endpoints: EndpointSlots;
  private readonly deliver: Deliver;
  private leasedCount = 0;
  /** A claim was cut short by the lease bound: the next lease handed back claims again. */
  private leaseBound = false;
  private readonly clock: () => number;
  private pumping: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly running = new Set<Promise<void>>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly options: DispatcherOptions) {
    const clock = (this.clock = options.clock ?? Date.now);
    this.lookahead = new Lookahead(LOOKAHEAD * options.endpointConcurrency);
    // Half-open, then closed: its trial delivery, then its backlog, is claimed now, not at the next poll.
    this.endpoints = new EndpointSlots({ ...options, clock, breakerEased: () => this.notify() });
    this.deliver = new Deliver({
      ...options,
      clock,
      endpoints: this.endpoints,
      deliveriesDue: () => this.notify(),
      // An ordered key's next delivery: its subscription claims again if short, not a claim after
      // every batch recorded.
      promoted: (subscriptionIds) => {
        if (this.lookahead.wake(subscriptionIds)) this.pumpSoon();
      },
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
    return this.endpoints.breakerState(subscriptionId);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    clearInterval(this.sweeper);
    await this.pumping;
    // Claimed but never started: hand the leases back, so another replica (or the next start) sends them now.
    const unsent = this.endpoints.takeQueued().map((d) => d.id);
    if (unsent.length > 0) {
      await handBackLeases(this.options.sql, unsent).catch((err: unknown) => this.options.logger.warn({ err }, 'leases not handed back; they expire'));
    }
    await Promise.all(this.running);
    this.endpoints.shutdown();
  }

  /** Wakes for the next due delivery (or polls, for work other replicas created). */
  private idle(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.notify(), POLL_MS);
    this.timer.unref();
  }

  private async pump(): Promise<void> {
    const { sql, concurrency, requestTimeoutMs } = this.options;
    // Claims run ahead of sending (up to twice the slots), so a freed slot starts the next
    // delivery at once instead of after a claim's round trip.
    const free = 2 * concurrency - this.leasedCount;
    this.leaseBound = free <= 0;
    if (this.leaseBound) return;
    const plan = this.lookahead.plan(this.endpoints.breakerLimits((subscriptionId) => this.lookahead.unansweredOf(subscriptionId)));
    if (!plan) return;
    const now = new Date(this.clock());
    // A claimed delivery may wait in its queue for the rounds ahead of it (at most LOOKAHEAD
    // slots' worth, each bounded by the request timeout) before its own attempt.
    const leaseUntil = new Date(now.getTime() + LOOKAHEAD * requestTimeoutMs + 5_000);
    const claimed = await claimDue(sql, { now, leaseUntil, limit: free, room: plan.room, otherRoom: plan.otherRoom });
    this.options.metrics.throttled.set(this.endpoints.throttled());
    for (const delivery of claimed) this.lookahead.claimed(delivery.subscription.id);
    // Cut short by the lease bound: what it left is claimed as leases come back.
    this.leaseBound = claimed.length >= free;
    this.lookahead.settle(plan, claimed.map((delivery) => delivery.subscription.id), this.leaseBound);
    for (const delivery of claimed) this.track(delivery);
  }

  private track(delivery: Claimed): void {
    this.leasedCount += 1;
    this.endpoints.queue(delivery);
    this.drain(delivery.subscription.id);
  }

  /** Starts the subscription's queued deliveries while it has free slots. */
  private drain(subscriptionId: string): void {
    for (const delivery of this.endpoints.startable(subscriptionId)) this.begin(delivery);
  }

  private begin(delivery: Claimed): void {
    const subscriptionId = delivery.subscription.id;
    // The endpoint's slot is free once the partner answered: recording the answer is ours.
    let answered = false;
    const release = () => {
      if (answered) return;
      answered = true;
      this.endpoints.release(subscriptionId);
      const short = this.lookahead.answered(subscriptionId);
      if (this.stopped) return;
      this.drain(subscriptionId);
      if (short) this.pumpSoon();
    };
    const run = this.deliver.attempt(delivery, release)
      .catch((err: unknown) => this.options.logger.error({ err, deliveryId: String(delivery.id) }, 'delivery attempt could not be recorded; its lease will expire and it runs again'))
      .finally(() => {
        release();
        this.leasedCount -= 1;
        this.running.delete(run);
        if (this.leaseBound) this.pumpSoon();
      });
    this.running.add(run);
  }
}
