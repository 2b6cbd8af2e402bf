import type { z } from 'zod';

/**
 * An event that does not match its catalog schema. Never retriable: sending or handling the same
 * bytes again gives the same answer, so a producer should fail the request and a consumer should
 * dead-letter the message. `retriable` is the flag `@orderflow/kafka` reads to decide that.
 */
export class EventValidationError extends Error {
  readonly retriable = false;
  override readonly name = 'EventValidationError';

  constructor(
    message: string,
    readonly issues: readonly z.core.$ZodIssue[] = [],
  ) {
    super(message);
  }
}
