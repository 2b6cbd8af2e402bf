import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { uniqueName, waitFor } from '@orderflow/testing';
import {
  DedupeUnavailableError,
  MemoryDedupeStore,
  RedisDedupeStore,
  createDedupeStore,
  type DedupeStore,
} from '../src/index';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const implementations: Array<[string, () => DedupeStore]> = [
  ['MemoryDedupeStore', () => new MemoryDedupeStore()],
  ['RedisDedupeStore', () => new RedisDedupeStore({ url: REDIS_URL, keyPrefix: `${uniqueName('dedupe-test')}:` })],
];

describe.each(implementations)('%s', (_name, create) => {
  let store: DedupeStore;
  beforeEach(() => {
    store = create();
  });
  afterEach(() => store.close());

  it('lets only the first claim of a key through', async () => {
    expect(await store.claim('evt_1', 60_000)).toBe(true);
    expect(await store.claim('evt_1', 60_000)).toBe(false);
    expect(await store.claim('evt_2', 60_000)).toBe(true);
    expect(await store.has('evt_1')).toBe(true);
    expect(await store.has('evt_3')).toBe(false);
  });

  it('lets exactly one of many concurrent claims win', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => store.claim('evt_concurrent', 60_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('forgets a released key', async () => {
    await store.claim('evt_retry', 60_000);
    await store.release('evt_retry');
    expect(await store.has('evt_retry')).toBe(false);
    expect(await store.claim('evt_retry', 60_000)).toBe(true);
  });

  it('forgets a key once its TTL has passed', async () => {
    expect(await store.claim('evt_short', 30)).toBe(true);
    await waitFor(async () => !(await store.has('evt_short')), { description: 'the claim to expire' });
    expect(await store.claim('evt_short', 60_000)).toBe(true);
  });

  it('refuses a TTL that is not a positive integer', async () => {
    await expect(store.claim('evt_bad', 0)).rejects.toThrow(RangeError);
    await expect(store.claim('evt_bad', 1.5)).rejects.toThrow(RangeError);
  });
});

describe('MemoryDedupeStore bounds', () => {
  it('evicts the oldest claims past maxEntries', async () => {
    const store = new MemoryDedupeStore({ maxEntries: 3 });
    for (const key of ['a', 'b', 'c', 'd']) await store.claim(key, 60_000);
    expect(store.size).toBe(3);
    expect(await store.has('a')).toBe(false);
    expect(await store.has('d')).toBe(true);
  });
});

describe('RedisDedupeStore', () => {
  it('namespaces keys with its prefix', async () => {
    const prefix = `${uniqueName('dedupe-prefix')}:`;
    const one = new RedisDedupeStore({ url: REDIS_URL, keyPrefix: prefix });
    const other = new RedisDedupeStore({ url: REDIS_URL, keyPrefix: `${uniqueName('dedupe-prefix')}:` });
    try {
      expect(await one.claim('evt_shared', 60_000)).toBe(true);
      expect(await other.claim('evt_shared', 60_000)).toBe(true);
    } finally {
      await one.close();
      await other.close();
    }
  });

  it('fails fast with a retriable error when Redis is unreachable', async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));

    const errors: Error[] = [];
    const store = new RedisDedupeStore({ url: `redis://127.0.0.1:${port}`, onError: (err) => errors.push(err) });
    try {
      for (const operation of [() => store.claim('evt_1', 60_000), () => store.has('evt_1'), () => store.release('evt_1')]) {
        const started = Date.now();
        const err = await operation().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(DedupeUnavailableError);
        expect((err as DedupeUnavailableError).retriable).toBe(true);
        expect(Date.now() - started).toBeLessThan(200);
      }
      await waitFor(() => errors.length > 0, { description: 'the connection error to be reported' });
    } finally {
      await store.close();
    }
  });
});

describe('createDedupeStore', () => {
  it('uses Redis when a URL is configured and memory otherwise', async () => {
    const memory = createDedupeStore({});
    const redis = createDedupeStore({ redisUrl: REDIS_URL, keyPrefix: `${uniqueName('dedupe-factory')}:` });
    try {
      expect(memory).toBeInstanceOf(MemoryDedupeStore);
      expect(redis).toBeInstanceOf(RedisDedupeStore);
    } finally {
      await memory.close();
      await redis.close();
    }
  });
});
