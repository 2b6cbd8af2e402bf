import { BreakerOpenError, createBreaker, type Breaker, type BreakerState } from '@orderflow/resilience';
import type { Registry } from 'prom-client';
import type { Subscription } from '../generated/prisma/client';
import type { Claimed } from '../data/claim-rows';
import { isPartnerFailure, outcomeOf, type Outcome, type SendResult } from '../domain/outcome';
import type { DispatchMetrics } from '../metrics';
import type { Sender } from '../adapters/sender';
import { signatureHeader } from '../adapters/signer';
import { UnsafeDestinationError } from '../adapters/url-safety';

export interface EndpointSlotsOptions {
  sender: Sender;
  metrics: DispatchMetrics;
  registry: Registry;
  /** Deliveries in flight at once to one subscription: a slow partner holds only these. */
  endpointConcurrency: number;
  /** How long a breaker stays open before a trial delivery. */
  breakerResetMs: number;
  clock: () => number;
  /** A breaker went half-open or closed: its trial delivery, then its backlog, can be claimed now. */
  breakerEased: () => void;
}

/** A partner answer that counts against its endpoint's breaker (isPartnerFailure). */
class PartnerFailure extends Error {
  constructor(readonly result: SendResult) {
    super(`partner answered ${result.status}`);
  }
}

type EndpointBreaker = Breaker<[() => Promise<SendResult>], SendResult>;

/**
 * Each subscription's endpoint as this replica sees it: at most `endpointConcurrency` deliveries
 * in flight (a slow partner never takes the slots other partners need), the claimed ones waiting
 * for a slot in claim order, and one breaker (while open, its deliveries wait without spending
 * attempts). Breakers are per process, so another replica may see the same partner differently.
 */
export class EndpointSlots {
  /** Per subscription: deliveries being sent (waiting for the partner's answer). */
  private readonly inFlight = new Map<string, number>();
  /** Per subscription: claimed deliveries waiting for one of its slots, in claim order. */
  private readonly queued = new Map<string, Claimed[]>();
  private readonly breakers = new Map<string, EndpointBreaker>();

  constructor(private readonly options: EndpointSlotsOptions) {}

  queue(delivery: Claimed): void {
    const subscriptionId = delivery.subscription.id;
    const queue = this.queued.get(subscriptionId) ?? [];
    queue.push(delivery);
    this.queued.set(subscriptionId, queue);
  }

  /** The subscription's queued deliveries that fit its free slots, each now holding one. */
  *startable(subscriptionId: string): Generator<Claimed> {
    const queue = this.queued.get(subscriptionId);
    while (queue?.length && (this.inFlight.get(subscriptionId) ?? 0) < this.options.endpointConcurrency) {
      const delivery = queue.shift()!;
      this.inFlight.set(subscriptionId, (this.inFlight.get(subscriptionId) ?? 0) + 1);
      this.options.metrics.inFlight.inc({ subscription: subscriptionId });
      yield delivery;
    }
    if (queue?.length === 0) this.queued.delete(subscriptionId);
  }

  /** The partner answered: the slot is free (recording the answer is ours). */
  release(subscriptionId: string): void {
    decrement(this.inFlight, subscriptionId);
    this.options.metrics.inFlight.dec({ subscription: subscriptionId });
  }

  /** Subscriptions at their concurrency bound. */
  throttled(): number {
    return [...this.inFlight.values()].filter((n) => n >= this.options.endpointConcurrency).length;
  }

  /** Claimed here and never started (the dispatcher stops): handed back by the caller. */
  takeQueued(): Claimed[] {
    const unsent = [...this.queued.values()].flat();
    this.queued.clear();
    return unsent;
  }

  /** The endpoint breaker's state in this replica ('closed' before its first delivery here). */
  breakerState(subscriptionId: string): BreakerState {
    return this.breakers.get(subscriptionId)?.state ?? 'closed';
  }

  /**
   * Subscriptions whose breaker holds back claims: none while open (their deliveries would only
   * be handed back, each with a statement), one while half-open (the trial) less what is
   * `unanswered` of it already.
   */
  breakerLimits(unanswered: (subscriptionId: string) => number): Map<string, number> {
    const limits = new Map<string, number>();
    for (const [subscriptionId, breaker] of this.breakers) {
      if (breaker.state === 'open') limits.set(subscriptionId, 0);
      else if (breaker.state === 'half-open') limits.set(subscriptionId, 1 - unanswered(subscriptionId));
    }
    return limits;
  }

  /** Sends one signed attempt through the endpoint's breaker and says what came of it. */
  async send(subscription: Subscription, delivery: Claimed, body: string): Promise<Outcome> {
    const breaker = this.breakerOf(subscription.id);
    if (breaker.state === 'open') return { kind: 'breaker-open' };
    const nowMs = this.options.clock();
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
        if (isPartnerFailure(answer)) throw new PartnerFailure(answer);
        return answer;
      });
      stop({ outcome: String(result.status) });
      return outcomeOf(result);
    } catch (err) {
      stop({ outcome: 'error' });
      if (err instanceof BreakerOpenError) return { kind: 'breaker-open' };
      if (err instanceof PartnerFailure) return outcomeOf(err.result);
      if (err instanceof UnsafeDestinationError) return { kind: 'fatal', error: `refused destination: ${err.message}` };
      return { kind: 'retry', error: err instanceof Error ? err.message : String(err) };
    }
  }

  shutdown(): void {
    for (const breaker of this.breakers.values()) breaker.shutdown();
  }

  private breakerOf(subscriptionId: string): EndpointBreaker {
    let breaker = this.breakers.get(subscriptionId);
    if (!breaker) {
      breaker = createBreaker(`partner:${subscriptionId}`, (call: () => Promise<SendResult>) => call(), {
        timeoutMs: false,
        resetTimeoutMs: this.options.breakerResetMs,
        volumeThreshold: 3,
        // Our own refusals (an unsafe URL) are not the partner's fault.
        isFailure: (err) => !(err instanceof UnsafeDestinationError),
      }, this.options.registry);
      breaker.onStateChange((state) => state !== 'open' && this.options.breakerEased());
      this.breakers.set(subscriptionId, breaker);
    }
    return breaker;
  }
}

/** One less of `key` in a count map, forgetting keys that reach zero. */
function decrement(counts: Map<string, number>, key: string): void {
  const left = (counts.get(key) ?? 1) - 1;
  if (left > 0) counts.set(key, left);
  else counts.delete(key);
}
