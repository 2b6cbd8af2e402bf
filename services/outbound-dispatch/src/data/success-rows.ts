import { StatementBatcher, type SqlExecutor } from '@orderflow/db';
import type { SendResult } from '../domain/outcome';
import { promotionSql } from './ordering-rows';

/** A delivery the partner accepted, to be recorded. */
export interface Success {
  id: bigint;
  ordered: boolean;
  attempts: number;
  at: Date;
  result: SendResult;
}

/**
 * Successes wait up to this long to be recorded together. The partner already has the delivery
 * and its slot is free; what waits is the delivered mark (and, on an ordered subscription, the
 * key's next delivery). Recorded as they came, the batches were 13 successes a statement in the
 * bench, and each statement costs Postgres about 0.8 ms (parsing, planning) before its first row.
 */
const GATHER_MS = 10;

/**
 * Records successes (nearly every attempt) together: one statement marks a batch delivered, logs
 * their attempts and, for those of ordered subscriptions, moves each key's next delivery to the
 * head. `promoted` hears which subscriptions got deliveries to send that way.
 */
export class SuccessRecorder {
  private readonly batcher: StatementBatcher<Success, void>;
  /** The end of the current gathering window. */
  private gathered: Promise<void> | undefined;

  constructor(
    private readonly sql: SqlExecutor,
    private readonly promoted: (subscriptionIds: string[]) => void,
  ) {
    this.batcher = new StatementBatcher({ runBatch: (batch) => this.recordBatch(batch), maxBatch: 500 });
  }

  /** Resolves once `success` is recorded, with the others of its window. */
  async record(success: Success): Promise<void> {
    await this.gathering();
    await this.batcher.run(success);
  }

  /** Resolves when the current window ends, for every success of the window at once: one batch. */
  private gathering(): Promise<void> {
    this.gathered ??= new Promise((resolve) =>
      setTimeout(() => {
        this.gathered = undefined;
        resolve();
      }, GATHER_MS),
    );
    return this.gathered;
  }

  private async recordBatch(batch: readonly Success[]): Promise<void[]> {
    // Arrays, not a VALUES list: the statement's text stays the same whatever the batch size,
    // and parsing and planning it costs the same for 2 successes as for 200.
    const promoted = await this.sql.query<{ subscriptionId: string }>(
      `WITH v (id, attempts, at, status_code, latency_ms, response, ordered) AS (
           SELECT * FROM unnest($1::bigint[], $2::int[], $3::timestamptz[], $4::int[], $5::int[], $6::text[], $7::boolean[])),
         logged AS (INSERT INTO delivery_attempts (delivery_id, at, status_code, latency_ms, response) SELECT id, at, status_code, latency_ms, response FROM v),
         delivered AS (
           UPDATE deliveries d SET status = 'DELIVERED', attempts = v.attempts, delivered_at = v.at, last_status = v.status_code, last_error = NULL, leased_until = NULL
           -- Still out on this attempt: a resend or replay meanwhile handed the lease back
           -- (leased_until NULL) and made it due again; the attempt is logged, that stays.
           FROM v WHERE d.id = v.id AND d.leased_until IS NOT NULL RETURNING d.id, d.subscription_id, d.order_key, v.ordered),
         ${promotionSql({ keys: 'SELECT subscription_id, order_key FROM delivered WHERE ordered', ending: 'SELECT id FROM delivered' })}`,
      [
        batch.map((s) => String(s.id)),
        batch.map((s) => s.attempts),
        batch.map((s) => s.at),
        batch.map((s) => s.result.status),
        batch.map((s) => s.result.latencyMs),
        batch.map((s) => s.result.excerpt),
        batch.map((s) => s.ordered),
      ],
    );
    if (promoted.length > 0) this.promoted(promoted.map((row) => row.subscriptionId));
    return batch.map(() => undefined);
  }
}
