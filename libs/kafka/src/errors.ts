/**
 * Errors that know whether trying again can help. The consumer runner decides "retry with
 * backoff" or "dead-letter now" from `isRetriable` alone, and producers' callers (the ingress)
 * decide between 503 (provider retries) and 4xx the same way.
 */
export class RetriableError extends Error {
  readonly retriable = true;
  override name = 'RetriableError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class NonRetriableError extends Error {
  readonly retriable = false;
  override name = 'NonRetriableError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * A dependency the handler needs (database, partner API, Redis) is down. Retriable, and more: the
 * message is not at fault, so the consumer runner pauses the partition and keeps retrying this
 * message without spending its attempt budget, rather than dead-lettering a healthy message
 * because an outage outlasted the retries.
 */
export class DependencyUnavailableError extends RetriableError {
  override name = 'DependencyUnavailableError';

  constructor(
    readonly dependency: string,
    message = `${dependency} is unavailable`,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Whether retrying can help. Our own errors and anything else carrying a boolean `retriable`
 * (kafkajs errors, `EventValidationError` from @orderflow/events) answer for themselves. Errors
 * that do not say (a bug, a driver's unclassified error) count as retriable: the consumer's retry
 * budget is bounded, so a deterministic failure still ends in the dead-letter topic, while a
 * transient one is not dead-lettered on its first occurrence.
 */
export function isRetriable(err: unknown): boolean {
  if (typeof err === 'object' && err !== null && 'retriable' in err && typeof err.retriable === 'boolean') {
    return err.retriable;
  }
  return true;
}

export function isDependencyUnavailable(err: unknown): err is DependencyUnavailableError {
  return err instanceof DependencyUnavailableError;
}
