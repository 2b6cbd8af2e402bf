import { randomUUID } from 'node:crypto';
import { newEvent, type AnyEvent } from '@orderflow/events';
import type { BatchingProducer } from '@orderflow/kafka';
import type { Logger } from '@orderflow/logging';

const MAX_REASONS = 5;

/**
 * Turns signature failures into one `ingress.signature_failures` event per window (only when
 * there were any), so on-call is alerted about a burst — a rotated secret not yet configured, a
 * forger — while a flood of forged requests costs one event a minute, not one each.
 */
export class SignatureFailureReporter {
  private readonly replica = `ingress-${randomUUID().slice(0, 8)}`;
  private windowStart = new Date();
  private bySource: Record<string, number> = {};
  private reasons = new Set<string>();
  private total = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly producer: BatchingProducer,
    private readonly logger: Logger,
    windowMs: number,
  ) {
    this.timer = setInterval(() => void this.flush(), windowMs);
    this.timer.unref();
  }

  record(source: string, reason: string): void {
    this.total++;
    this.bySource[source] = (this.bySource[source] ?? 0) + 1;
    if (this.reasons.size < MAX_REASONS) this.reasons.add(reason.slice(0, 200));
  }

  /**
   * Publishes the window's count, if any, and starts the next window at once: failures recorded
   * while the publish is in flight belong to the next one (reset after the publish, they were
   * lost). A failed publish folds its counts back into the window under way.
   */
  async flush(): Promise<void> {
    const windowEnd = new Date();
    const window = { start: this.windowStart, total: this.total, bySource: this.bySource, reasons: this.reasons };
    this.windowStart = windowEnd;
    this.total = 0;
    this.bySource = {};
    this.reasons = new Set();
    if (window.total === 0) return;
    const payload = { replica: this.replica, windowStart: window.start.toISOString(), windowEnd: windowEnd.toISOString(), total: window.total, bySource: window.bySource, reasons: [...window.reasons] };
    const event = newEvent({ type: 'ingress.signature_failures', eventId: `ingress.signature_failures:${this.replica}:${payload.windowStart}`, orderKey: this.replica, instanceId: null, traceId: randomUUID(), payload });
    try {
      await this.producer.sendEvent(event as AnyEvent);
    } catch (err) {
      this.logger.warn({ err, total: window.total }, 'could not publish the signature-failure count; keeping it for the next window');
      this.windowStart = window.start;
      this.total += window.total;
      for (const [source, n] of Object.entries(window.bySource)) this.bySource[source] = (this.bySource[source] ?? 0) + n;
      for (const reason of window.reasons) if (this.reasons.size < MAX_REASONS) this.reasons.add(reason);
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
