export interface AttemptLimiterOptions {
  /** Failures allowed per key within the window. */
  limit: number;
  windowMs: number;
  /** Keys remembered at most; the oldest are forgotten first, so a scan of addresses cannot fill memory. */
  maxKeys?: number;
  clock?: () => number;
}

/**
 * Counts failures (wrong admin tokens, forged customer links) per client address in a fixed
 * window; past the limit the address is refused until its window ends. In memory, like the
 * sessions: the console runs as one replica.
 */
export class AttemptLimiter {
  private readonly windows = new Map<string, { failures: number; resetAt: number }>();
  private readonly clock: () => number;

  constructor(private readonly options: AttemptLimiterOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /** Milliseconds until `key` may try again, or 0 when it may now. */
  blockedFor(key: string): number {
    const entry = this.windows.get(key);
    if (!entry) return 0;
    const now = this.clock();
    if (now >= entry.resetAt) {
      this.windows.delete(key);
      return 0;
    }
    return entry.failures >= this.options.limit ? entry.resetAt - now : 0;
  }

  fail(key: string): void {
    const now = this.clock();
    const entry = this.windows.get(key);
    if (entry && now < entry.resetAt) {
      entry.failures += 1;
      return;
    }
    const max = this.options.maxKeys ?? 10_000;
    if (this.windows.size >= max) this.windows.delete(this.windows.keys().next().value!);
    this.windows.set(key, { failures: 1, resetAt: now + this.options.windowMs });
  }

  succeed(key: string): void {
    this.windows.delete(key);
  }
}
