import type { DedupeStore } from '@orderflow/dedupe';
import type { BatchingProducer } from '@orderflow/kafka';
import type { Logger } from '@orderflow/logging';
import type { EventLog } from '../data/event-log';
import type { WebhookEvent } from '../data/event-log.repository';
import type { Quarantine, VerifiedEvent } from '../domain/verified-event';
import type { IngressMetrics } from '../metrics';
import { envelopeOf } from './envelope';
import { answerDuplicate, type IntakeResult } from './intake-result';
import { quarantineEvent, recordQuarantined, unpublishable } from './quarantine-event';
import { DEADLINE_PASSED, withDeadline } from './with-deadline';

/** How an attempt finally ended, possibly after its client already had a 503. */
type Settlement = 'done' | 'failed';

export interface IntakeOptions {
  log: EventLog;
  producer: BatchingProducer;
  dedupe: DedupeStore;
  metrics: IngressMetrics;
  dedupeTtlMs: number;
}

/** This process's attempt at one event (step 1): what its steps share, and how it ends for the deliveries that follow it. */
interface Attempt {
  /** `source:eventId`, the key of `attempts` and of the Redis claim. */
  key: string;
  traceId: string;
  deadlineMs: number;
  logger: Logger;
  settle: (settlement: Settlement) => void;
}

/**
 * A verified webhook received (the routes verified it): deduplicated, appended to the event log,
 * published to its provider's topic and only then answered. The door's other way in, an event
 * that can never be published, is quarantine-event.ts.
 *
 * Exactly once into Kafka, durable before 2xx:
 *
 * 1. Deliveries of one event in this process share one attempt (`attempts` map): the others
 *    wait for it and answer 200 only once it is durable, never before.
 * 2. Redis `claim` is the fast path: a lost claim means "seen before", confirmed by the log row
 *    (a provider's 200 must never rest on a hint that may be stale).
 * 3. The log's unique (source, event_id) decides: a new row or a taken-over failed row
 *    publishes; a published or ignored row is a duplicate; a row being published elsewhere is a 503.
 * 4. Only Kafka's acks=all acknowledgement within the deadline answers 2xx. A late
 *    acknowledgement still marks the row published, so the provider's retry is a duplicate.
 * 5. Any failure releases the Redis claim, so the retry is not mistaken for a duplicate.
 * 6. The answer leaves once Kafka has the event: the row is marked published after it, in the
 *    log's next batch (the Kafka append is the durable truth). Until the mark lands, deliveries
 *    of the event follow this attempt (step 1), so they answer `duplicate`, never 503. A crash
 *    before it leaves the row `received`, as a crash between the acknowledgement and the mark
 *    always could: a redelivery takes the stale row over and publishes again, which downstream
 *    deduplicates by event ID.
 */
export class WebhookIntake {
  private readonly attempts = new Map<string, Promise<Settlement>>();
  /** Marks of acknowledged events not yet in the log (step 6), for `drain`. */
  private readonly marks = new Set<Promise<void>>();

  constructor(private readonly options: IntakeOptions) {}

  async accept(event: VerifiedEvent, traceId: string, deadlineMs: number, logger: Logger): Promise<IntakeResult> {
    const key = `${event.source}:${event.eventId}`;
    const running = this.attempts.get(key);
    if (running) return this.follow(event, running, deadlineMs);

    let settle!: (settlement: Settlement) => void;
    const settled = new Promise<Settlement>((resolve) => (settle = resolve));
    this.attempts.set(key, settled);
    void settled.then(() => this.attempts.delete(key));
    try {
      return await this.run(event, { key, traceId, deadlineMs, logger, settle });
    } catch (err) {
      settle('failed');
      await this.release(key, logger);
      throw err;
    }
  }

  /** An authentic event that can never be published: see quarantine-event.ts. */
  quarantine(event: VerifiedEvent, rawBody: Buffer, problem: Quarantine, traceId: string, logger: Logger): Promise<IntakeResult> {
    return quarantineEvent(this.options, event, rawBody, problem, traceId, logger);
  }

  /** How the follower of a running attempt answers: 200 once it is durable, else 503. */
  private async follow(event: VerifiedEvent, running: Promise<Settlement>, deadlineMs: number): Promise<IntakeResult> {
    const settlement = await withDeadline(running, deadlineMs);
    if (settlement !== 'done') return { outcome: 'unavailable', reason: 'the same event is still being published' };
    return answerDuplicate(this.options, event);
  }

  private async run(event: VerifiedEvent, attempt: Attempt): Promise<IntakeResult> {
    const { key, traceId, logger, settle } = attempt;
    const { log } = this.options;
    const claimed = await this.claim(key, logger);
    if (claimed === false) {
      const row = await log.find(event.source, event.eventId);
      if (row && (row.status === 'published' || row.status === 'ignored')) {
        settle('done');
        return answerDuplicate(this.options, event, row);
      }
      // Redis remembers an attempt the log does not show as settled: the log decides below.
    }

    const begun = await log.begin(event, traceId);
    if (begun.kind === 'settled') {
      settle('done');
      await this.keepClaim(key, claimed, logger);
      return answerDuplicate(this.options, event, begun.row);
    }
    if (begun.kind === 'busy') {
      settle('failed');
      if (claimed === true) await this.release(key, logger);
      return { outcome: 'unavailable', reason: 'the same event is being published by another request' };
    }
    if (begun.row.status === 'ignored') {
      settle('done');
      return { outcome: 'ignored', id: String(begun.row.id) };
    }
    return this.publish(begun.row, attempt);
  }

  private async publish(row: WebhookEvent, attempt: Attempt): Promise<IntakeResult> {
    const { key, traceId, deadlineMs, logger, settle } = attempt;
    const { log, producer, metrics } = this.options;
    // Never rejects: resolves true once Kafka has the event durably, or to the error.
    const sent: Promise<true | unknown> = producer.sendEvent(envelopeOf(row, traceId)).then(
      () => true as const,
      (err: unknown) => err,
    );
    const outcome = await withDeadline(sent, deadlineMs);
    if (outcome === true) {
      // Answered now; logged as published right after (step 6). Waiting for the mark cost a
      // burst 3-7 ms of its ~45 ms per webhook (bench/ingress-webhooks.mjs, issue 20).
      void this.markPublished(row, logger).finally(() => settle('done'));
      return { outcome: 'published', id: String(row.id) };
    }
    const refused = outcome === DEADLINE_PASSED ? null : unpublishable(outcome);
    if (refused) {
      // Refused however often these bytes come: settled, never a 503 loop.
      await log.markQuarantined(row.id, refused.detail);
      recordQuarantined(metrics, row, refused, logger);
      settle('done');
      await this.keepClaim(key, undefined, logger);
      return { outcome: 'quarantined', id: String(row.id), eventId: row.eventId, reason: refused.detail };
    }

    const reason = outcome === DEADLINE_PASSED ? `no acknowledgement from Kafka within ${deadlineMs} ms` : errorMessage(outcome);
    metrics.publishFailures.inc({ source: row.source, reason: outcome === DEADLINE_PASSED ? 'deadline' : 'error' });
    logger.warn({ eventId: row.eventId, source: row.source, reason }, 'event not published; answering 503');
    await log.markFailed(row.id, reason);
    await this.release(key, logger);
    if (outcome !== DEADLINE_PASSED) {
      settle('failed');
    } else {
      // The send is still pending and may yet succeed: keep deliveries of this event waiting on
      // it (step 1) until it settles, so a retry during the outage does not publish it twice.
      void sent.then(async (late) => {
        if (late === true) {
          logger.info({ eventId: row.eventId, source: row.source }, 'late acknowledgement: event published after its 503');
          await this.markPublished(row, logger);
          await this.keepClaim(key, undefined, logger);
          settle('done');
        } else {
          settle('failed');
        }
      });
    }
    return { outcome: 'unavailable', reason };
  }

  /** Resolves once every acknowledged event answered so far is marked published (or failed to be). */
  async drain(): Promise<void> {
    await Promise.all([...this.marks]);
  }

  /**
   * Logs an acknowledged event as published. Never rejects: a failed mark leaves the row
   * `received` (what a crash would), and the event is in Kafka whatever the log says.
   */
  private markPublished(row: WebhookEvent, logger: Logger): Promise<void> {
    const mark = this.options.log.markPublished(row.id).catch((err: unknown) => {
      logger.warn({ eventId: row.eventId, source: row.source, err: errorMessage(err) }, 'event published but not marked so in the log; it stays received');
    });
    this.marks.add(mark);
    void mark.finally(() => this.marks.delete(mark));
    return mark;
  }

  /** true: first claimer; false: seen before; undefined: Redis unavailable (the log decides alone). */
  private async claim(key: string, logger: Logger): Promise<boolean | undefined> {
    try {
      return await this.options.dedupe.claim(key, this.options.dedupeTtlMs);
    } catch (err) {
      logger.warn({ err: errorMessage(err) }, 'dedupe store unavailable; using the database alone');
      return undefined;
    }
  }

  /** A settled event whose claim was lost or never taken: claim it now so the fast path sees it. */
  private async keepClaim(key: string, claimed: boolean | undefined, logger: Logger): Promise<void> {
    if (claimed === true) return;
    await this.claim(key, logger);
  }

  private async release(key: string, logger: Logger): Promise<void> {
    try {
      await this.options.dedupe.release(key);
    } catch (err) {
      // The log still says `failed`, and a lost claim is re-checked against the log (step 2).
      logger.warn({ err: errorMessage(err) }, 'could not release the dedupe claim');
    }
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
