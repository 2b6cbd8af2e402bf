import type { RawQueryClient } from '@orderflow/db';
import type { ChannelName } from '../adapters/channel';

/** A notification claimed for sending: its attempt is counted, and its lease runs. */
export interface Claimed {
  id: string;
  channel: ChannelName;
  recipient: string;
  kind: string;
  message: unknown;
  attempts: number;
  resends: number;
}

type ClaimedRow = { id: bigint | number | string; recipient: string; kind: string; message: unknown; attempts: number; resends: number };

/** Records the notifications whose IDs are in the array parameter `param` as sent. */
const markSent = (param: string) => `UPDATE notifications SET status = 'SENT', sent_at = now(), updated_at = now(), last_error = NULL WHERE id = ANY(${param}::bigint[]) AND status = 'PENDING'`;

/**
 * The claim (see `claim`) of up to `$4` notifications of channel `$1` for `$2` ms, at most one per
 * order; those in `$3`, just sent, count as no longer pending. The candidates are locked once
 * (`ARRAY(…)`: a subquery under `IN` may be run again, and lock other rows the second time).
 */
const CLAIM = `
UPDATE notifications SET attempts = attempts + 1, next_attempt_at = now() + ($2::int * interval '1 millisecond'), updated_at = now()
WHERE id = ANY(ARRAY(
  SELECT n.id FROM notifications n
  WHERE n.channel = $1 AND n.status = 'PENDING' AND n.next_attempt_at <= now() AND n.id <> ALL($3::bigint[])
    AND (n.order_id IS NULL OR n.id = (SELECT min(first.id) FROM notifications first
                                       WHERE first.order_id = n.order_id AND first.channel = n.channel
                                         AND first.status = 'PENDING' AND first.id <> ALL($3::bigint[])))
  ORDER BY n.next_attempt_at, n.id LIMIT $4 FOR UPDATE SKIP LOCKED))`;
const CLAIMED = 'id, recipient, kind, message, attempts, resends';

/**
 * The sender's side of the log. Times are the database's (`now()`), never this process's, so
 * replicas with drifting clocks agree on what is due.
 */
export class NotificationLog {
  /** `sql`: raw statements on the service's database (`rawClient`: one pg query each, no Prisma client). */
  constructor(private readonly sql: () => RawQueryClient) {}

  /**
   * Claims up to `limit` of the channel's most overdue notifications: each one's next attempt
   * moves `leaseMs` ahead and its attempt is counted, in one statement, with SKIP LOCKED so
   * replicas claim different rows. A process that dies mid-send leaves the claims to expire, and
   * the rows are sent again (at least once: see the README on the one ambiguity there is).
   *
   * One order's notifications leave a channel in the order they were written: while an earlier
   * one is still pending (backing off, rate-limited, in flight) a later one waits, so the shop's
   * Discord never shows "refunded" above "paid" after an outage. So a claim holds at most one
   * notification of an order; other orders are not held up.
   */
  async claim(channel: ChannelName, leaseMs: number, limit: number): Promise<Claimed[]> {
    return this.sentAndClaimNext([], channel, leaseMs, limit);
  }

  /**
   * Records `sentIds` as sent and claims the next, in one statement: a channel with work waiting
   * costs one statement per claim of `limit`, not two per send. The rows sent no longer hold back
   * the next ones of their orders, although this statement still sees them pending.
   */
  async sentAndClaimNext(sentIds: readonly string[], channel: ChannelName, leaseMs: number, limit: number): Promise<Claimed[]> {
    const claim = `${CLAIM} RETURNING ${CLAIMED}`;
    const rows = await this.sql().$queryRawUnsafe<ClaimedRow[]>(sentIds.length > 0 ? `WITH sent AS (${markSent('$3')}) ${claim}` : claim, channel, Math.ceil(leaseMs), sentIds, limit);
    return rows.map((row) => this.claimed(channel, row)).sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  }

  async sent(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.sql().$executeRawUnsafe(markSent('$1'), ids);
  }

  /**
   * Due again in `delayMs`, still PENDING: a failed send backing off, a rate-limited one, or
   * claims given back unsent (the channel must wait, or is stopping). `giveBackAttempt` uncounts
   * the attempt the claim counted, for a send that never left or that the provider only
   * deferred; `error` replaces the last error (null clears it), and without it the last error
   * stays.
   */
  async retryLater(ids: readonly string[], delayMs: number, options: { error?: string | null; giveBackAttempt?: boolean } = {}): Promise<void> {
    if (ids.length === 0) return;
    await this.sql().$executeRawUnsafe(
      `UPDATE notifications SET next_attempt_at = now() + ($2::int * interval '1 millisecond'), updated_at = now(), attempts = attempts - $3::int,
              last_error = CASE WHEN $4::boolean THEN $5::text ELSE last_error END
       WHERE id = ANY($1::bigint[]) AND status = 'PENDING'`,
      ids,
      Math.ceil(delayMs),
      options.giveBackAttempt ? 1 : 0,
      options.error !== undefined,
      options.error ?? null,
    );
  }

  async fail(id: string, error: string): Promise<void> {
    await this.sql().$executeRawUnsafe(`UPDATE notifications SET status = 'FAILED', last_error = $2, updated_at = now() WHERE id = $1::bigint AND status = 'PENDING'`, id, error);
  }

  private claimed(channel: ChannelName, row: ClaimedRow): Claimed {
    return { ...row, id: String(row.id), channel, message: typeof row.message === 'string' ? JSON.parse(row.message) : row.message };
  }
}
