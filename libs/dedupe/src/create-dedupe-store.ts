import type { DedupeStore } from './dedupe-store';
import { MemoryDedupeStore } from './memory-dedupe-store';
import { RedisDedupeStore } from './redis-dedupe-store';

export interface DedupeStoreConfig {
  /** Redis when set (shared by every replica), memory when not (one process only). */
  redisUrl?: string;
  keyPrefix?: string;
  maxEntries?: number;
  onError?: (error: Error) => void;
}

export function createDedupeStore(config: DedupeStoreConfig = {}): DedupeStore {
  if (config.redisUrl) {
    return new RedisDedupeStore({ url: config.redisUrl, keyPrefix: config.keyPrefix, onError: config.onError });
  }
  return new MemoryDedupeStore({ maxEntries: config.maxEntries });
}
