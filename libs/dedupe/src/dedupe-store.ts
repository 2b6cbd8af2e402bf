/**
 * A fast "seen before?" check for event IDs. It is a hint, not the truth: entries expire,
 * the memory store evicts, Redis may be down or flushed. Callers keep the database's
 * unique constraint as the authority and use this only to skip work early.
 */
export interface DedupeStore {
  /** Marks `key` as seen for `ttlMs`. Resolves true for the first claimer, false if already claimed. */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /** Forgets `key`, e.g. when the work it guarded failed and a retry must be let through. */
  release(key: string): Promise<void>;
  /** Whether `key` is currently claimed. */
  has(key: string): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * The store could not answer (Redis down, slow or refusing). Retriable: the caller falls
 * back to the database, and the next request may find the store back.
 */
export class DedupeUnavailableError extends Error {
  readonly retriable = true;
  constructor(operation: string, cause: unknown) {
    super(`dedupe store unavailable during ${operation}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'DedupeUnavailableError';
  }
}

export function assertTtl(ttlMs: number): void {
  if (!Number.isInteger(ttlMs) || ttlMs <= 0) throw new RangeError(`ttlMs must be a positive integer, got ${ttlMs}`);
}
