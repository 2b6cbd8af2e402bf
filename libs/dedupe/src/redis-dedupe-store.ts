import Redis from 'ioredis';
import { assertTtl, DedupeUnavailableError, type DedupeStore } from './dedupe-store';

export interface RedisDedupeStoreOptions {
  url: string;
  /** Namespaces keys so services (and tests) sharing a Redis do not collide. Default 'dedupe:'. */
  keyPrefix?: string;
  /** Default 1,000 ms. */
  connectTimeoutMs?: number;
  /** A command unanswered this long fails. Default 500 ms. */
  commandTimeoutMs?: number;
  /** Connection errors, for the caller's log; ioredis otherwise prints them to stderr. */
  onError?: (error: Error) => void;
}

/**
 * Redis `SET key 1 PX ttl NX`: atomic, so of N concurrent claims exactly one wins.
 *
 * Tuned to fail fast, because a caller waiting on Redis is a webhook not yet answered
 * (Wix wants a 200 within 1,250 ms) and the database can answer instead: no offline
 * queue (a command while disconnected rejects at once instead of waiting for a
 * reconnect), no per-command retries, and bounded connect and command times. The client
 * keeps reconnecting in the background, so the store comes back on its own.
 */
export class RedisDedupeStore implements DedupeStore {
  private readonly redis: Redis;
  private readonly connectTimeoutMs: number;
  private everReady = false;
  private connecting: Promise<void> | undefined;

  constructor(options: RedisDedupeStoreOptions) {
    this.connectTimeoutMs = options.connectTimeoutMs ?? 1_000;
    this.redis = new Redis(options.url, {
      keyPrefix: options.keyPrefix ?? 'dedupe:',
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: this.connectTimeoutMs,
      commandTimeout: options.commandTimeoutMs ?? 500,
      retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
      // On close ioredis arms a timer to destroy a socket that does not close; a refused
      // socket never reports closing again, so the default 2 s held process exit that long.
      disconnectTimeout: 300,
    });
    this.redis.on('error', (error: Error) => options.onError?.(error));
    this.redis.once('ready', () => {
      this.everReady = true;
    });
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    assertTtl(ttlMs);
    const reply = await this.run('claim', () => this.redis.set(key, '1', 'PX', ttlMs, 'NX'));
    return reply === 'OK';
  }

  async release(key: string): Promise<void> {
    await this.run('release', () => this.redis.del(key));
  }

  async has(key: string): Promise<boolean> {
    return (await this.run('has', () => this.redis.exists(key))) === 1;
  }

  async close(): Promise<void> {
    // quit() waits for a reply a dead server never sends; disconnect() does not.
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }

  private async run<T>(operation: string, command: () => Promise<T>): Promise<T> {
    await this.firstConnection();
    try {
      return await command();
    } catch (err) {
      throw new DedupeUnavailableError(operation, err);
    }
  }

  /**
   * Without an offline queue, a command sent before the first connection is up would fail
   * even against a healthy Redis, so the first commands wait for it (at most the connect
   * timeout). Once connected, a lost connection fails commands at once instead.
   */
  private firstConnection(): Promise<void> {
    const status = this.redis.status;
    if (this.everReady || (status !== 'wait' && status !== 'connecting' && status !== 'connect')) {
      return Promise.resolve();
    }
    // One shared wait, however many commands arrive during start-up.
    this.connecting ??= new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        for (const event of ['ready', 'error', 'close'] as const) this.redis.off(event, done);
        this.connecting = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.connectTimeoutMs);
      for (const event of ['ready', 'error', 'close'] as const) this.redis.once(event, done);
    });
    return this.connecting;
  }
}
