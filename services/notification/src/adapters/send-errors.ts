/** The provider said "not now, in `retryAfterMs`": not a failure of the message or the provider. */
export class RateLimitedError extends Error {
  override name = 'RateLimitedError';

  constructor(
    readonly channel: string,
    readonly retryAfterMs: number,
  ) {
    super(`${channel} rate-limited the send; retry after ${retryAfterMs} ms`);
  }
}

/** The provider refused this message for good (a rejected recipient, a malformed payload). */
export class PermanentSendError extends Error {
  override name = 'PermanentSendError';
}

/** Whether a send error should count against the channel's breaker. */
export function countsAgainstChannel(err: unknown): boolean {
  return !(err instanceof RateLimitedError || err instanceof PermanentSendError);
}
