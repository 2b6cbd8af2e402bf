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

/**
 * This message can never be published as it is, whatever the cluster's state: retrying it only
 * repeats the refusal. Only the message is at fault, never its neighbours in a request, so a
 * caller such as the outbox relay sets it aside and goes on with the rest.
 */
export class UnpublishableMessageError extends NonRetriableError {
  override name = 'UnpublishableMessageError';
}

/**
 * The message, encoded as a record batch of its own, is over the per-message limit (the topic's
 * max.message.bytes): the broker would refuse it. Checked before producing, so it never reaches
 * the broker nor fails the request it would have travelled in.
 */
export class MessageTooLargeError extends UnpublishableMessageError {
  override name = 'MessageTooLargeError';

  constructor(
    readonly topic: string,
    /** The message's estimated size as a record batch of its own, in bytes. */
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`message for ${topic} is ${bytes} bytes as a record batch, over the limit of ${limit}`);
  }
}

/**
 * The message's key is over the key limit. Keys are partition keys (an order ID): a long one is
 * an error upstream, and each one is hashed on every produce attempt, so they are bounded.
 */
export class MessageKeyTooLargeError extends UnpublishableMessageError {
  override name = 'MessageKeyTooLargeError';

  constructor(
    readonly topic: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`message key for ${topic} is ${bytes} bytes, over the limit of ${limit}`);
  }
}

/** The broker refused this one message for good (`reason` is its error, e.g. INVALID_RECORD). */
export class MessageRefusedError extends UnpublishableMessageError {
  override name = 'MessageRefusedError';

  constructor(
    readonly topic: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`broker refused a message for ${topic}: ${reason}`, options);
  }
}

export function isUnpublishable(err: unknown): err is UnpublishableMessageError {
  return err instanceof UnpublishableMessageError;
}
