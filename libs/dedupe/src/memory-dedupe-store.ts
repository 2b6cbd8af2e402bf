import { assertTtl, type DedupeStore } from './dedupe-store';

export interface MemoryDedupeStoreOptions {
  /** Most keys kept; past it the oldest claims are evicted. Default 100,000 (~10 MB). */
  maxEntries?: number;
}

/** How many of the oldest entries one call checks for expiry, bounding its cost. */
const SWEEP_PER_CALL = 8;

/**
 * The single-process store for the one-machine mode and tests. A Map keeps insertion
 * order, so the oldest claims sit at the front: expired ones are swept from there a few at
 * a time, and when full the oldest is evicted (a later duplicate of it then falls through
 * to the database check, which is the truth anyway).
 */
export class MemoryDedupeStore implements DedupeStore {
  private readonly expiries = new Map<string, number>();
  private readonly maxEntries: number;

  constructor(options: MemoryDedupeStoreOptions = {}) {
    this.maxEntries = options.maxEntries ?? 100_000;
  }

  get size(): number {
    return this.expiries.size;
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    assertTtl(ttlMs);
    const now = Date.now();
    this.sweep(now);
    const expiresAt = this.expiries.get(key);
    if (expiresAt !== undefined && expiresAt > now) return false;
    // Re-inserting moves the key to the back, keeping the front the oldest.
    this.expiries.delete(key);
    this.expiries.set(key, now + ttlMs);
    while (this.expiries.size > this.maxEntries) {
      const oldest = this.expiries.keys().next().value as string;
      this.expiries.delete(oldest);
    }
    return true;
  }

  async release(key: string): Promise<void> {
    this.expiries.delete(key);
  }

  async has(key: string): Promise<boolean> {
    const expiresAt = this.expiries.get(key);
    if (expiresAt === undefined) return false;
    if (expiresAt > Date.now()) return true;
    this.expiries.delete(key);
    return false;
  }

  async close(): Promise<void> {
    this.expiries.clear();
  }

  private sweep(now: number): void {
    let checked = 0;
    for (const [key, expiresAt] of this.expiries) {
      if (checked++ >= SWEEP_PER_CALL || expiresAt > now) break;
      this.expiries.delete(key);
    }
  }
}
