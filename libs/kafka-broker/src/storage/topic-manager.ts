import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../protocol/error-codes';
import type { Logger } from '../logger';
import { readJsonFile, writeFileAtomic } from './atomic-file';
import { PartitionLog, type LogConfig } from './partition-log';
import { resolveTopicConfig, TopicConfigError } from './topic-config';

export interface Topic {
  readonly name: string;
  readonly id: string;
  readonly partitions: readonly PartitionLog[];
  readonly configs: Readonly<Record<string, string>>;
}

interface StoredTopic {
  name: string;
  id: string;
  partitions: number;
  configs: Record<string, string>;
}

export class TopicError extends Error {
  override readonly name = 'TopicError';
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

export interface TopicManagerOptions {
  readonly dataDir: string | null;
  readonly defaultLogConfig: LogConfig;
  /** Check every batch's CRC while recovering (after an unclean shutdown). */
  readonly verifyCrc: boolean;
  readonly logger: Logger;
}

const LEGAL_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/**
 * The topics and their partition logs, with topic metadata kept in
 * `topics.json` under the data directory (rewritten atomically on every
 * create and delete) and each partition's segments in its own directory.
 */
export class TopicManager {
  private readonly topics = new Map<string, Topic>();
  private readonly waiters = new Map<PartitionLog, Set<() => void>>();

  private constructor(private readonly opts: TopicManagerOptions) {}

  static open(opts: TopicManagerOptions): TopicManager {
    const manager = new TopicManager(opts);
    if (opts.dataDir === null) return manager;
    fs.mkdirSync(path.join(opts.dataDir, 'topics'), { recursive: true });
    const stored = readJsonFile<{ topics: StoredTopic[] }>(manager.metaFile!)?.topics ?? [];
    for (const t of stored) manager.load(t);
    manager.removeOrphanDirectories();
    return manager;
  }

  private get metaFile(): string | null {
    return this.opts.dataDir === null ? null : path.join(this.opts.dataDir, 'topics.json');
  }

  private topicDir(t: { name: string; id: string }): string | null {
    return this.opts.dataDir === null ? null : path.join(this.opts.dataDir, 'topics', `${t.name}-${t.id.slice(0, 8)}`);
  }

  private load(t: StoredTopic): Topic {
    const dir = this.topicDir(t);
    const config = resolveTopicConfig(this.opts.defaultLogConfig, t.configs);
    const partitions = Array.from({ length: t.partitions }, (_, p) => {
      const log = PartitionLog.open(t.name, p, dir === null ? null : path.join(dir, String(p)), config, {
        verifyCrc: this.opts.verifyCrc,
        logger: this.opts.logger,
      });
      log.onAppend = () => this.notify(log);
      return log;
    });
    const topic: Topic = { name: t.name, id: t.id, partitions, configs: t.configs };
    this.topics.set(t.name, topic);
    return topic;
  }

  /** The log settings of a topic without overrides (the broker's segment and retention options). */
  get defaultLogConfig(): LogConfig {
    return this.opts.defaultLogConfig;
  }

  get(name: string): Topic | undefined {
    return this.topics.get(name);
  }

  partition(topic: string, partition: number): PartitionLog | undefined {
    return this.topics.get(topic)?.partitions[partition];
  }

  list(): Topic[] {
    return [...this.topics.values()];
  }

  static validateName(name: string): void {
    if (!LEGAL_NAME.test(name) || name === '.' || name === '..') {
      throw new TopicError(
        ErrorCode.INVALID_TOPIC_EXCEPTION,
        `topic name ${JSON.stringify(name)} is not legal: use 1-249 of [a-zA-Z0-9._-], not "." or ".."`,
      );
    }
  }

  /** Validates a creation without performing it (CreateTopics validateOnly). */
  check(name: string, partitions: number, configs: Record<string, string>): void {
    TopicManager.validateName(name);
    if (this.topics.has(name)) throw new TopicError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic ${name} already exists`);
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > 10_000) {
      throw new TopicError(ErrorCode.INVALID_PARTITIONS, `partition count must be 1-10000, got ${partitions}`);
    }
    try {
      resolveTopicConfig(this.opts.defaultLogConfig, configs);
    } catch (err) {
      if (err instanceof TopicConfigError) throw new TopicError(ErrorCode.INVALID_CONFIG, err.message);
      throw err;
    }
  }

  create(name: string, partitions: number, configs: Record<string, string> = {}): Topic {
    this.check(name, partitions, configs);
    const topic = this.load({ name, id: randomUUID(), partitions, configs });
    this.persist();
    this.opts.logger.info({ topic: name, partitions }, 'topic created');
    return topic;
  }

  delete(name: string): void {
    const topic = this.topics.get(name);
    if (!topic) throw new TopicError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${name} does not exist`);
    this.topics.delete(name);
    this.persist();
    for (const log of topic.partitions) {
      log.remove();
      this.notify(log); // wake long polls so they see the topic is gone
      this.waiters.delete(log);
    }
    const dir = this.topicDir(topic);
    if (dir !== null) fs.rmSync(dir, { recursive: true, force: true });
    this.opts.logger.info({ topic: name }, 'topic deleted');
  }

  /** Resolves on the next append to any of `logs`; the returned function cancels. */
  onNextAppend(logs: readonly PartitionLog[], callback: () => void): () => void {
    const once = (): void => {
      cancel();
      callback();
    };
    const cancel = (): void => {
      for (const log of logs) this.waiters.get(log)?.delete(once);
    };
    for (const log of logs) {
      let set = this.waiters.get(log);
      if (!set) this.waiters.set(log, (set = new Set()));
      set.add(once);
    }
    return cancel;
  }

  enforceRetention(now = Date.now()): number {
    let deleted = 0;
    for (const t of this.topics.values()) for (const log of t.partitions) deleted += log.enforceRetention(now);
    return deleted;
  }

  /** Waits for every partition's outstanding data to reach stable storage. */
  async syncAll(): Promise<void> {
    await Promise.all(this.list().flatMap((t) => t.partitions.map((p) => p.sync())));
  }

  close(): void {
    for (const t of this.topics.values()) for (const log of t.partitions) log.close();
  }

  private notify(log: PartitionLog): void {
    const set = this.waiters.get(log);
    if (!set) return;
    for (const fn of [...set]) fn();
  }

  private persist(): void {
    const file = this.metaFile;
    if (file === null) return;
    const topics: StoredTopic[] = this.list().map((t) => ({
      name: t.name,
      id: t.id,
      partitions: t.partitions.length,
      configs: { ...t.configs },
    }));
    writeFileAtomic(file, `${JSON.stringify({ topics }, null, 2)}\n`);
  }

  /** A delete interrupted by a crash can leave a directory that no topic owns. */
  private removeOrphanDirectories(): void {
    const root = path.join(this.opts.dataDir!, 'topics');
    const owned = new Set(this.list().map((t) => path.basename(this.topicDir(t)!)));
    for (const entry of fs.readdirSync(root)) {
      if (!owned.has(entry)) fs.rmSync(path.join(root, entry), { recursive: true, force: true });
    }
  }
}
