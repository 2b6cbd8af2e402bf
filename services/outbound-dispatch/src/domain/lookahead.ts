/**
 * How often a claim also looks at subscriptions this replica is not sending to: their retries
 * come due, and other replicas create work, without anything here hearing of it.
 */
export const POLL_MS = 250;

/** What the next claim may take: per subscription this replica knows, and for any other. */
export interface ClaimPlan {
  room: Map<string, number>;
  otherRoom: number;
  wider: boolean;
}

/**
 * Decides when to claim and how much, per subscription, from what this replica has claimed and
 * not yet had answered. A subscription holds up to `cap` (a few rounds of its concurrency);
 * once it is down to half of that, a claim runs and tops up every subscription, so the next
 * claim comes when the first of them runs short again. In the bench, claiming after every
 * answer instead made claims of 15 deliveries each (668 claims for 10,000 deliveries, more
 * than half of Postgres' time); this makes them about 30.
 *
 * A subscription whose claim came back short (nothing more due) is drained: its answers claim
 * nothing until new work is announced for it (`wake`) or for everyone (`wakeAll`), and once it
 * has nothing unanswered it is forgotten, like any subscription this replica is not sending to.
 */
export class Lookahead {
  private readonly unanswered = new Map<string, number>();
  private readonly drained = new Set<string>();
  private widerDue = true;
  private widenedAt = -Infinity;

  constructor(
    readonly cap: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** At or below this many unanswered, a subscription is topped up. */
  get refillAt(): number {
    return this.cap / 2;
  }

  unansweredOf(subscriptionId: string): number {
    return this.unanswered.get(subscriptionId) ?? 0;
  }

  /** One more delivery claimed for the subscription. */
  claimed(subscriptionId: string): void {
    this.unanswered.set(subscriptionId, this.unansweredOf(subscriptionId) + 1);
  }

  /** One of its deliveries was answered; true if a claim should run now. */
  answered(subscriptionId: string): boolean {
    const left = this.unansweredOf(subscriptionId) - 1;
    this.unanswered.set(subscriptionId, left);
    return !this.drained.has(subscriptionId) && left <= this.refillAt;
  }

  /** Work may be due anywhere (new deliveries, a resend, a poll): the next claim looks everywhere. */
  wakeAll(): void {
    this.widerDue = true;
    this.drained.clear();
  }

  /** These subscriptions have sendable deliveries again; true if a claim should run now. */
  wake(subscriptionIds: Iterable<string>): boolean {
    let short = false;
    for (const subscriptionId of subscriptionIds) {
      this.drained.delete(subscriptionId);
      const unanswered = this.unanswered.get(subscriptionId);
      if (unanswered === undefined) this.widerDue = true;
      short ||= unanswered === undefined || unanswered <= this.refillAt;
    }
    return short;
  }

  /**
   * The claim to run now, or undefined if none is needed. `limits` caps some subscriptions'
   * room whether or not this replica knows them (0 while a breaker is open).
   */
  plan(limits: ReadonlyMap<string, number> = new Map()): ClaimPlan | undefined {
    const wider = this.widerDue || this.now() - this.widenedAt >= POLL_MS;
    if (!wider && ![...this.unanswered.values()].some((n) => n <= this.refillAt)) return undefined;
    this.widerDue = false;
    if (wider) this.widenedAt = this.now();
    const room = new Map<string, number>();
    for (const [subscriptionId, unanswered] of this.unanswered) room.set(subscriptionId, this.cap - unanswered);
    for (const [subscriptionId, limit] of limits) room.set(subscriptionId, Math.max(0, Math.min(room.get(subscriptionId) ?? this.cap, limit)));
    return { room, otherRoom: wider ? this.cap : 0, wider };
  }

  /**
   * What the claim of `plan` brought, after `claimed` was counted for each. `cut`: the overall
   * bound stopped it, so it says nothing of what is due, and the next claim looks as widely.
   */
  settle(plan: ClaimPlan, subscriptionIds: readonly string[], cut: boolean): void {
    if (cut) {
      this.widerDue ||= plan.wider;
      return;
    }
    const counts = new Map<string, number>();
    for (const subscriptionId of subscriptionIds) counts.set(subscriptionId, (counts.get(subscriptionId) ?? 0) + 1);
    for (const [subscriptionId, room] of plan.room) if (room > 0 && !counts.has(subscriptionId)) this.drained.add(subscriptionId);
    for (const [subscriptionId, n] of counts) {
      if (n < (plan.room.get(subscriptionId) ?? plan.otherRoom)) this.drained.add(subscriptionId);
      else this.drained.delete(subscriptionId);
    }
    for (const subscriptionId of this.drained) {
      if (this.unansweredOf(subscriptionId) === 0) {
        this.unanswered.delete(subscriptionId);
        this.drained.delete(subscriptionId);
      }
    }
  }
}
