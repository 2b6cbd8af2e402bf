import { backoffDelay } from '@orderflow/resilience';

/** A product's pool has no key left: the fulfillment fails until someone adds keys and retries. */
export class PoolExhaustedError extends Error {
  constructor(readonly productId: string) {
    super(`the license pool of product ${productId} is exhausted`);
    this.name = 'PoolExhaustedError';
  }
}

export interface RetryPolicy {
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
}

/** What a failed attempt leads to: the job due again after `delayMs`, or failed for support with `reason`. */
export type AfterFailure = { retry: true; attempts: number; delayMs: number } | { retry: false; attempts: number; reason: string };

/** Why an attempt failed, on one line: driver errors arrive with newlines, and this goes in events and the admin list. */
export function failureReason(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();
}

/**
 * The job had failed `previousAttempts` times before this one. An exhausted license pool fails it
 * at once (waiting would not refill it); anything else is transient, retried with exponential
 * backoff until `maxAttempts`.
 */
export function afterFailedAttempt(previousAttempts: number, failure: { exhausted: boolean; reason: string }, policy: RetryPolicy): AfterFailure {
  const attempts = previousAttempts + 1;
  if (!failure.exhausted && attempts < policy.maxAttempts) {
    return { retry: true, attempts, delayMs: backoffDelay(attempts, { initialMs: policy.retryBaseMs, maxMs: policy.retryMaxMs, jitter: 'none' }) };
  }
  return { retry: false, attempts, reason: failure.exhausted ? failure.reason : `gave up after ${attempts} attempts: ${failure.reason}` };
}
