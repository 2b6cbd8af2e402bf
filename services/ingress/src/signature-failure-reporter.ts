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

  /** Publishes the window's count, if any; a failed publish keeps the counts for the next window. */
  async flush(): Promise<void> {
    if (this.total === 0) {
      this.windowStart = new Date();
      return;
    }
    const windowEnd = new Date();
    const payload = { replica: this.replica, windowStart: this.windowStart.toISOString(), windowEnd: windowEnd.toISOString(), total: this.total, bySource: this.bySource, reasons: [...this.reasons] };
    const event = newEvent({ type: 'ingress.signature_failures', eventId: `ingress.signature_failures:${this.replica}:${payload.windowStart}`, orderKey: this.replica, instanceId: null, traceId: randomUUID(), payload });
    try {
      await this.producer.sendEvent(event as AnyEvent);
      this.windowStart = windowEnd;
      this.bySource = {};
      this.reasons = new Set();
      this.total = 0;
    } catch (err) {
      this.logger.warn({ err, total: this.total }, 'could not publish the signature-failure count; keeping it for the next window');
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
