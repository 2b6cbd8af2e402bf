export { type DedupeStore, DedupeUnavailableError } from './dedupe-store';
export { MemoryDedupeStore, type MemoryDedupeStoreOptions } from './memory-dedupe-store';
export { RedisDedupeStore, type RedisDedupeStoreOptions } from './redis-dedupe-store';
export { createDedupeStore, type DedupeStoreConfig } from './create-dedupe-store';
