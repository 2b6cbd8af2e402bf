/** What a partner answered to one attempt. */
export interface SendResult {
  /** The partner's status code; the delivery succeeded on 2xx only (a 3xx is not followed). */
  status: number;
  latencyMs: number;
  /** The start of the answer, for the attempt log. */
  excerpt: string;
  /** From Retry-After on a 429 or 503, in ms. */
  retryAfterMs: number | null;
}

/** What came of one attempt, for the deliver use case to record. */
export type Outcome =
  | { kind: 'delivered'; result: SendResult }
  | { kind: 'gone'; result: SendResult }
  | { kind: 'retry'; error: string; result?: SendResult; notBeforeMs?: number | null }
  | { kind: 'fatal'; error: string }
  | { kind: 'breaker-open' };

/** An answer that counts against its endpoint's breaker: the partner itself failed. */
export function isPartnerFailure(result: SendResult): boolean {
  return result.status >= 500;
}

/**
 * What a partner's answer means: 2xx delivered, 410 Gone (the subscription is to be disabled),
 * anything else a retry no sooner than its Retry-After.
 */
export function outcomeOf(result: SendResult): Outcome {
  if (result.status >= 200 && result.status < 300) return { kind: 'delivered', result };
  if (result.status === 410) return { kind: 'gone', result };
  return { kind: 'retry', error: `partner answered ${result.status}`, result, notBeforeMs: result.retryAfterMs };
}
