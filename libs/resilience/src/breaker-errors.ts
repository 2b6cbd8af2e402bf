/**
 * Raised instead of calling the dependency while its breaker is open. Retriable: the
 * dependency is expected back, so a consumer retries with backoff (or pauses) rather than
 * dead-lettering the message.
 */
export class BreakerOpenError extends Error {
  readonly retriable = true;
  constructor(readonly breaker: string) {
    super(`circuit breaker '${breaker}' is open`);
    this.name = 'BreakerOpenError';
  }
}

/** The call outlasted the breaker's timeout; it counts as a failure and is retriable. */
export class BreakerTimeoutError extends Error {
  readonly retriable = true;
  constructor(
    readonly breaker: string,
    readonly timeoutMs: number,
  ) {
    super(`circuit breaker '${breaker}' timed out after ${timeoutMs} ms`);
    this.name = 'BreakerTimeoutError';
  }
}
