import { backoffDelay, WorkLoop } from '@orderflow/resilience';
import type { Logger } from '@orderflow/logging';
import { BreakerOpenError, createBreaker, type Breaker, type BreakerState } from '@orderflow/resilience';
import type { Registry } from 'prom-client';
import type { Channel, ChannelName, Outgoing, SendReceipt } from '../adapters/channel';
import { countsAgainstChannel, PermanentSendError, RateLimitedError } from '../adapters/send-errors';
import type { Claimed, NotificationLog } from '../data/notification-log';
import { oneLine } from '../domain/notification';
import type { NotificationMetrics } from '../metrics';

export interface ChannelWorkerOptions {
  log: NotificationLog;
  metrics: NotificationMetrics;
  registry: Registry;
  logger: Logger;
  /** The channel's own timeout; the breaker's is a backstop a second later. */
  sendTimeoutMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  pollIntervalMs: number;
  breakerResetMs: number;
}

/**
 * The breaker opens when half of at least 5 sends within a minute failed. A minute, not
 * opossum's 10 s: retries back off from seconds upwards, so a 10 s window would rarely hold
 * five sends of a dead provider and the breaker would never open.
 */
const BREAKER_WINDOW_MS = 60_000;
const BACKSTOP_FACTOR = 3;
/** A claim holds this many rounds of a channel's sends at once (`Channel.inFlight` each). */
const CLAIM_ROUNDS = 4;

/**
 * Sends one channel's due notifications, oldest first, as many at once as the channel takes
 * (`Channel.inFlight`: the SMTP pool's connections, one for a chat webhook), one order's one at a
 * time. Each channel has its own worker and breaker, so a dead or slow provider holds up only
 * its own notifications.
 *
 * - Open breaker: nothing is claimed, so an outage costs the waiting notifications none of their
 *   attempts; when the breaker half-opens, the oldest is the trial.
 * - 429: the notification is due again after `retry_after` with its attempt given back, the whole
 *   channel waits as long (the limit is the webhook's, not the message's), and the breaker is not
 *   told: the provider is healthy, we were early.
 * - A permanent refusal fails the notification at once; anything else is retried with backoff
 *   (persisted, so a restart forgets nothing) until `maxAttempts`, then FAILED for a human.
 */
export class ChannelWorker {
  private readonly breaker: Breaker<[Outgoing], SendReceipt | void>;
  private blockedUntil = 0;
  private stopping = false;
  private readonly loop: WorkLoop;
  /**
   * Longer than a claim's rounds of sends can take (the breaker's backstop each), so a claim
   * lapses only when its process died: another replica then sends it again.
   */
  private readonly leaseMs: number;

  constructor(
    private readonly channel: Channel,
    private readonly options: ChannelWorkerOptions,
  ) {
    this.leaseMs = CLAIM_ROUNDS * (BACKSTOP_FACTOR + 1) * options.sendTimeoutMs + 30_000;
    this.breaker = createBreaker(channel.name, (notification: Outgoing) => channel.send(notification), {
      // A backstop only: each channel enforces its own timeout. SMTP's applies per phase
      // (connect, greeting, each command), so a slow relay may take a few times it and succeed.
      timeoutMs: BACKSTOP_FACTOR * options.sendTimeoutMs + 1_000,
      isFailure: countsAgainstChannel,
      resetTimeoutMs: options.breakerResetMs,
      rollingCountTimeoutMs: BREAKER_WINDOW_MS,
    }, options.registry);
    this.loop = new WorkLoop({
      runOne: () => this.sendDue(),
      idleMs: () => this.nextWakeMs(),
      onError: (err) => options.logger.warn({ channel: channel.name, err: oneLine(err) }, 'notification run failed; trying again at the next poll'),
    });
    this.breaker.onStateChange((state) => {
      options.logger[state === 'open' ? 'warn' : 'info']({ channel: channel.name, state }, `${channel.name} breaker ${state}`);
      if (state !== 'open') this.notify();
    });
  }

  get name(): ChannelName {
    return this.channel.name;
  }

  get state(): BreakerState {
    return this.breaker.state;
  }

  start(): void {
    this.loop.start();
  }

  /** Looks for due notifications now, e.g. right after a consumer committed new ones. */
  notify(): void {
    this.loop.notify();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop.stop();
    this.breaker.shutdown();
    await this.channel.close();
  }

  /** The next poll, or sooner when a rate limit ends before it. */
  private nextWakeMs(): number {
    const blocked = this.blockedUntil - Date.now();
    return blocked > 0 ? Math.min(blocked, this.options.pollIntervalMs) : this.options.pollIntervalMs;
  }

  /**
   * Sends the channel's due notifications in claims of a few rounds of `inFlight` sends, oldest
   * first, `inFlight` at a time; false once none is due or the channel must wait. Recording a
   * claim's sends and claiming the next are one statement, made only when the next can go at
   * once (breaker closed, no pause asked for, not stopping), so a claim is never left waiting in
   * memory. A half-open breaker claims one notification: the trial.
   */
  private async sendDue(): Promise<boolean> {
    const { log } = this.options;
    if (!this.mayClaim()) return false;
    let claimed = await log.claim(this.channel.name, this.leaseMs, this.claimSize());
    if (claimed.length === 0) return false;
    while (claimed.length > 0) {
      const { sent, unsent } = await this.sendAll(claimed);
      // Sent but not recorded (the database went away just now) throws out of the run: the claims
      // lapse and the messages go again. Recording them as failed sends would be wrong, and
      // there is no third option.
      if (unsent.length === 0 && this.mayClaim()) {
        claimed = await log.sentAndClaimNext(sent, this.channel.name, this.leaseMs, this.claimSize());
        continue;
      }
      await log.sent(sent);
      await log.retryLater(unsent, Math.max(0, this.blockedUntil - Date.now()), { giveBackAttempt: true });
      return false;
    }
    return false;
  }

  /** A few rounds of the channel's sends at once; one, the trial, while the breaker is half-open. */
  private claimSize(): number {
    return this.breaker.state === 'half-open' ? 1 : this.channel.inFlight * CLAIM_ROUNDS;
  }

  /**
   * Sends a claim, `inFlight` at a time, oldest first. Failures are recorded as they happen; what
   * was not yet sent when the channel had to stop sending (its breaker opened, a 429 asked it to
   * wait, the service is stopping) comes back `unsent`, to be given back.
   */
  private async sendAll(claimed: readonly Claimed[]): Promise<{ sent: string[]; unsent: string[] }> {
    const sent: string[] = [];
    const unsent: string[] = [];
    let next = 0;
    const lane = async () => {
      while (next < claimed.length) {
        const notification = claimed[next++];
        if (!this.mayClaim()) unsent.push(notification.id);
        else if (await this.send(notification)) sent.push(notification.id);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.channel.inFlight, claimed.length) }, lane));
    return { sent, unsent };
  }

  private mayClaim(): boolean {
    return !this.stopping && this.breaker.state !== 'open' && Date.now() >= this.blockedUntil;
  }

  /** Sends one claimed notification: true when it went (to be recorded), false when it failed (recorded). */
  private async send(claimed: Claimed): Promise<boolean> {
    const { metrics } = this.options;
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    const channel = this.channel.name;
    let receipt: SendReceipt | void;
    try {
      receipt = await this.breaker.fire({ id: claimed.id, recipient: claimed.recipient, message: claimed.message, resends: claimed.resends });
    } catch (err) {
      if (!(err instanceof BreakerOpenError)) metrics.sendDuration.observe({ channel, outcome: err instanceof RateLimitedError ? 'rate_limited' : 'error' }, seconds());
      await this.failed(claimed, err);
      return false;
    }
    metrics.sendDuration.observe({ channel, outcome: 'sent' }, seconds());
    metrics.notifications.inc({ channel, outcome: 'sent' });
    if (receipt?.pauseMs) this.blockedUntil = Date.now() + receipt.pauseMs;
    return true;
  }

  private async failed(claimed: Claimed, err: unknown): Promise<void> {
    const { log, metrics, logger, maxAttempts } = this.options;
    const channel = this.channel.name;
    const where = { notificationId: claimed.id, channel, kind: claimed.kind, attempts: claimed.attempts };
    if (err instanceof BreakerOpenError) {
      // Opened between the check and the send (another send's failure): this one never left.
      await log.retryLater([claimed.id], 0, { error: null, giveBackAttempt: true });
      return;
    }
    if (err instanceof RateLimitedError) {
      this.blockedUntil = Date.now() + err.retryAfterMs;
      await log.retryLater([claimed.id], err.retryAfterMs, { error: err.message, giveBackAttempt: true });
      metrics.retries.inc({ channel, reason: 'rate_limited' });
      logger.info({ ...where, retryAfterMs: err.retryAfterMs }, 'rate-limited; the channel waits');
      return;
    }
    const reason = oneLine(err);
    if (err instanceof PermanentSendError || claimed.attempts >= maxAttempts) {
      const finalReason = err instanceof PermanentSendError ? reason : `gave up after ${claimed.attempts} attempts: ${reason}`;
      await log.fail(claimed.id, finalReason);
      metrics.notifications.inc({ channel, outcome: 'failed' });
      logger.error({ ...where, reason: finalReason }, 'notification failed; it can be resent by hand');
      return;
    }
    const delayMs = backoffDelay(claimed.attempts, { initialMs: this.options.retryBaseMs, maxMs: this.options.retryMaxMs });
    await log.retryLater([claimed.id], delayMs, { error: reason });
    metrics.retries.inc({ channel, reason: 'error' });
    logger.warn({ ...where, delayMs, err: reason }, 'send failed; retrying later');
  }
}
