import * as fs from 'node:fs';
import * as path from 'node:path';
import { allApis } from './apis';
import type { BrokerContext, BrokerSettings } from './broker-context';
import { Faults } from './faults';
import { GroupCoordinator } from './groups/group-coordinator';
import { OffsetStore } from './groups/offset-store';
import { jsonLogger, type Logger, type LogLevel } from './logger';
import { BrokerMetrics } from './metrics';
import { KafkaServer } from './server/server';
import { DataDirLock } from './storage/data-dir-lock';
import { ProducerIds } from './storage/producer-ids';
import { TopicManager } from './storage/topic-manager';

export interface BrokerOptions {
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** Port to listen on; 0 picks a free one. Default 9092. */
  port?: number;
  /** Host clients are told to connect to; defaults to `host` (or 127.0.0.1 when listening on all interfaces). */
  advertisedHost?: string;
  /** Directory for logs, offsets and metadata; null or absent keeps everything in memory. */
  dataDir?: string | null;
  autoCreateTopics?: boolean;
  defaultPartitions?: number;
  segmentBytes?: number;
  retentionMs?: number;
  retentionBytes?: number;
  retentionCheckIntervalMs?: number;
  maxRequestBytes?: number;
  maxMessageBytes?: number;
  groupInitialRebalanceDelayMs?: number;
  groupMinSessionTimeoutMs?: number;
  groupMaxSessionTimeoutMs?: number;
  logger?: Logger;
  logLevel?: LogLevel;
  metrics?: BrokerMetrics;
}

export interface RunningBroker {
  readonly host: string;
  readonly port: number;
  /** Bootstrap list for clients: `['host:port']`. */
  readonly brokers: string[];
  readonly clusterId: string;
  readonly dataDir: string | null;
  readonly faults: Faults;
  readonly metrics: BrokerMetrics;
  /** Topic names and partition counts, for tests and tooling. */
  topics(): Array<{ name: string; partitions: number }>;
  /** Stops accepting, closes connections, flushes logs and offsets to disk, releases the data directory. */
  stop(): Promise<void>;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const CLEAN_SHUTDOWN_MARKER = '.clean-shutdown';

/** Defaults follow Kafka's broker defaults except where a development broker is better served (noted). */
function settingsFrom(o: BrokerOptions): BrokerSettings {
  return {
    nodeId: 0,
    autoCreateTopics: o.autoCreateTopics ?? true,
    defaultPartitions: o.defaultPartitions ?? 3,
    maxRequestBytes: o.maxRequestBytes ?? 100 * 1024 * 1024,
    maxMessageBytes: o.maxMessageBytes ?? 1024 * 1024 + 12,
    // Kafka waits 3 s before a new group's first rebalance; a development broker answers at once.
    groupInitialRebalanceDelayMs: o.groupInitialRebalanceDelayMs ?? 0,
    groupMinSessionTimeoutMs: o.groupMinSessionTimeoutMs ?? 6000,
    groupMaxSessionTimeoutMs: o.groupMaxSessionTimeoutMs ?? 30 * 60 * 1000,
  };
}

/**
 * Starts a single-node broker that speaks the Kafka protocol. For development,
 * tests and Orderflow's one-machine mode; production runs on real Kafka.
 */
export async function startBroker(options: BrokerOptions = {}): Promise<RunningBroker> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? jsonLogger(options.logLevel ?? 'info');
  const metrics = options.metrics ?? new BrokerMetrics();
  const settings = settingsFrom(options);
  const dataDir = options.dataDir ? path.resolve(options.dataDir) : null;

  let lock: DataDirLock | null = null;
  let verifyCrc = false;
  if (dataDir !== null) {
    fs.mkdirSync(dataDir, { recursive: true });
    lock = await DataDirLock.acquire(dataDir);
    const marker = path.join(dataDir, CLEAN_SHUTDOWN_MARKER);
    verifyCrc = !fs.existsSync(marker) && fs.existsSync(path.join(dataDir, 'topics.json'));
    fs.rmSync(marker, { force: true });
  }

  const opened = performance.now();
  const topics = TopicManager.open({
    dataDir,
    verifyCrc,
    logger,
    defaultLogConfig: {
      segmentBytes: options.segmentBytes ?? 64 * 1024 * 1024,
      retentionMs: options.retentionMs ?? 7 * DAY_MS,
      retentionBytes: options.retentionBytes ?? -1,
    },
  });
  const producerIds = ProducerIds.open(dataDir);
  for (const t of topics.list()) for (const p of t.partitions) producerIds.skipPast(p.producers.maxProducerId());
  const offsets = await OffsetStore.open({ dir: dataDir === null ? null : path.join(dataDir, 'offsets'), fsync: true, logger });
  const groups = new GroupCoordinator({ offsets, settings, metrics, logger });
  metrics.partitions = () =>
    topics.list().flatMap((t) => t.partitions.map((p, partition) => ({ topic: t.name, partition, bytes: p.sizeBytes, endOffset: p.logEndOffset })));

  const apis = allApis();
  const apiKeyOf = (api: string | number): number => {
    const found = [...apis.values()].find((a) => a.key === api || a.name === api);
    if (!found) throw new Error(`unknown API ${api}`);
    return found.key;
  };
  let context!: BrokerContext;
  const server = new KafkaServer(() => context, apis);
  const faults = new Faults(apiKeyOf, () => server.closeAllConnections());

  let address;
  try {
    address = await server.listen(host, options.port ?? 9092);
  } catch (err) {
    await groups.close();
    await offsets.close();
    topics.close();
    lock?.release();
    throw err;
  }
  const advertisedHost = options.advertisedHost ?? (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
  context = {
    settings,
    clusterId: producerIds.clusterId,
    advertised: { host: advertisedHost, port: address.port },
    topics,
    groups,
    producerIds,
    faults,
    metrics,
    logger,
  };

  const retention = setInterval(() => {
    const deleted = topics.enforceRetention();
    if (deleted > 0) logger.info({ segments: deleted }, 'retention deleted log segments');
  }, options.retentionCheckIntervalMs ?? 5 * 60 * 1000);
  retention.unref();

  logger.info(
    {
      host,
      port: address.port,
      dataDir: dataDir ?? 'in-memory',
      topics: topics.list().length,
      recoveryMs: Math.round(performance.now() - opened),
      checkedCrc: verifyCrc,
    },
    'broker started',
  );

  let stopping: Promise<void> | null = null;
  const stop = async (): Promise<void> => {
    clearInterval(retention);
    faults.reset();
    await server.close();
    await groups.close();
    await topics.syncAll();
    await offsets.close();
    topics.close();
    if (dataDir !== null) fs.writeFileSync(path.join(dataDir, CLEAN_SHUTDOWN_MARKER), `${new Date().toISOString()}\n`);
    lock?.release();
    logger.info({ port: address.port }, 'broker stopped');
  };

  return {
    host: advertisedHost,
    port: address.port,
    brokers: [`${advertisedHost}:${address.port}`],
    clusterId: producerIds.clusterId,
    dataDir,
    faults,
    metrics,
    topics: () => topics.list().map((t) => ({ name: t.name, partitions: t.partitions.length })),
    stop: () => (stopping ??= stop()),
  };
}
