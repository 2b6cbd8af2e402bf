import type { Kafka, Message, Producer, RecordMetadata } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import { encodeEvent, type AnyEvent } from '@orderflow/events';
import type { ClientMetrics } from './client-metrics';
import { NonRetriableError } from './errors';
import { mapKafkaError } from './kafkajs-errors';
import type { Logger } from './logger';
import type { OutgoingMessage, ProducedRecord } from './message';

export interface ProducerOptions {
  /**
   * How long the first message of an idle producer waits for company. Default 2 ms: at the
   * ingress's rates it groups dozens of webhooks per request for ≤ 2 ms of added latency. Under
   * load the wait is not needed: messages queue behind the request in flight and go out together.
   */
  lingerMs?: number;
  /** Most messages in one request. Default 1,000. */
  maxBatchMessages?: number;
  /**
   * Most payload bytes (keys, values, headers) in one request. Default 900 KB: under the broker's
   * default 1 MiB record-batch limit even if every message lands on one partition.
   */
  maxBatchBytes?: number;
  /** kafkajs request timeout. Default 30 s (Kafka's). */
  requestTimeoutMs?: number;
}

interface Pending {
  topic: string;
  message: Message;
  bytes: number;
  resolve(record: ProducedRecord): void;
  reject(err: Error): void;
}

/** The public face: each `send` resolves once its own message is durable (acks=all). */
export interface BatchingProducer {
  send(topic: string, message: OutgoingMessage): Promise<ProducedRecord>;
  /** Validates the event against the catalog (throws `EventValidationError`) and sends it to its topic. */
  sendEvent(event: AnyEvent): Promise<ProducedRecord>;
  /** Resolves when everything sent so far has an outcome. */
  flush(): Promise<void>;
  /** Flushes, then disconnects. Later sends reject. */
  close(): Promise<void>;
}

function sizeOf(m: OutgoingMessage): number {
  let bytes = (m.value === null ? 0 : Buffer.byteLength(m.value)) + (m.key === null ? 0 : Buffer.byteLength(m.key));
  for (const [k, v] of Object.entries(m.headers ?? {})) bytes += k.length + Buffer.byteLength(v);
  return bytes;
}

/**
 * Groups concurrent sends into one Produce request (kafkajs has no linger: one awaited `send` per
 * message caps near 2k msgs/s on one connection).
 *
 * Invariants:
 * - At most one request in flight. kafkajs's idempotent producer assigns sequence numbers per
 *   request and rolls them back on failure; overlapping requests to one partition could reuse a
 *   sequence, and the broker would then drop a new batch as a "duplicate" while acknowledging it.
 *   One in flight also keeps per-key order equal to call order.
 * - acks=-1 and idempotence: a caller's promise resolves only after the broker has the message
 *   durably, and kafkajs's internal retries cannot write it twice.
 * - After a failed request the kafkajs producer is replaced (new producer ID): kafkajs's sequence
 *   state is unknowable then (the broker may have written a batch whose answer was lost), and
 *   reusing it risks the next batch being deduplicated away.
 */
export class KafkaBatchingProducer implements BatchingProducer {
  private readonly lingerMs: number;
  private readonly maxMessages: number;
  private readonly maxBytes: number;
  private queue: Pending[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private producer: Producer | null = null;
  private connecting: Promise<Producer> | null = null;
  private closed = false;
  private readonly idle = new Set<() => void>();
  /** Which partition kafkajs's partitioner chose for each message, to give every caller its offset. */
  private readonly partitionOf = new WeakMap<object, number>();

  constructor(
    private readonly kafka: Kafka,
    private readonly logger: Logger,
    private readonly options: ProducerOptions = {},
    private readonly metrics?: ClientMetrics,
  ) {
    this.lingerMs = options.lingerMs ?? 2;
    this.maxMessages = options.maxBatchMessages ?? 1000;
    this.maxBytes = options.maxBatchBytes ?? 900_000;
  }

  send(topic: string, message: OutgoingMessage): Promise<ProducedRecord> {
    if (this.closed) return Promise.reject(new NonRetriableError('producer is closed'));
    return new Promise<ProducedRecord>((resolve, reject) => {
      const bytes = sizeOf(message);
      this.queue.push({ topic, message: { key: message.key, value: message.value, headers: message.headers }, bytes, resolve, reject });
      this.queuedBytes += bytes;
      this.schedule();
    });
  }

  sendEvent(event: AnyEvent): Promise<ProducedRecord> {
    let encoded;
    try {
      encoded = encodeEvent(event);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.send(encoded.topic, { key: encoded.key, value: encoded.value, headers: encoded.headers });
  }

  async flush(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === null) return;
    await new Promise<void>((resolve) => {
      this.idle.add(resolve);
      this.schedule(true);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    const producer = this.producer;
    this.producer = null;
    await producer?.disconnect();
  }

  private schedule(now = false): void {
    if (this.inFlight !== null) return; // the request in flight starts the next one when it ends
    if (this.queue.length === 0) {
      this.notifyIdle();
      return;
    }
    const full = this.queue.length >= this.maxMessages || this.queuedBytes >= this.maxBytes;
    if (now || full || this.closed || this.lingerMs <= 0) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.inFlight = this.sendOneBatch().finally(() => {
        this.inFlight = null;
        this.schedule(this.queue.length > 0);
      });
    } else if (this.timer === null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.schedule(true);
      }, this.lingerMs);
    }
  }

  private notifyIdle(): void {
    for (const resolve of this.idle) resolve();
    this.idle.clear();
  }

  private takeBatch(): Pending[] {
    let count = 0;
    let bytes = 0;
    while (count < this.queue.length && count < this.maxMessages) {
      const next = this.queue[count] as Pending;
      if (count > 0 && bytes + next.bytes > this.maxBytes) break;
      bytes += next.bytes;
      count += 1;
    }
    this.queuedBytes -= bytes;
    return this.queue.splice(0, count);
  }

  private async sendOneBatch(): Promise<void> {
    const batch = this.takeBatch();
    const byTopic = new Map<string, Message[]>();
    for (const p of batch) {
      const list = byTopic.get(p.topic) ?? [];
      list.push(p.message);
      byTopic.set(p.topic, list);
    }
    let results: RecordMetadata[];
    try {
      const producer = await this.connect();
      results = await producer.sendBatch({
        acks: -1,
        timeout: this.options.requestTimeoutMs ?? 30_000,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
    } catch (err) {
      const mapped = mapKafkaError(err, 'produce failed');
      this.logger.warn({ err: mapped, messages: batch.length, retriable: mapped.retriable }, 'produce request failed; rejecting its sends');
      this.discardProducer();
      for (const p of batch) p.reject(mapped);
      return;
    }
    this.settle(batch, results);
  }

  /** Offsets within one partition of one request are consecutive from its base offset, in message order. */
  private settle(batch: Pending[], results: RecordMetadata[]): void {
    const base = new Map<string, bigint>();
    for (const r of results) if (r.baseOffset !== undefined) base.set(`${r.topicName}\0${r.partition}`, BigInt(r.baseOffset));
    const used = new Map<string, bigint>();
    for (const p of batch) {
      const partition = this.partitionOf.get(p.message);
      const id = `${p.topic}\0${partition}`;
      const start = base.get(id);
      if (partition === undefined || start === undefined) {
        p.reject(new NonRetriableError(`broker acknowledged the request without an offset for ${p.topic}/${partition}`));
        continue;
      }
      const index = used.get(id) ?? 0n;
      used.set(id, index + 1n);
      p.resolve({ topic: p.topic, partition, offset: (start + index).toString() });
    }
  }

  private connect(): Promise<Producer> {
    if (this.producer) return Promise.resolve(this.producer);
    this.connecting ??= (async () => {
      const defaultPartitioner = Partitioners.DefaultPartitioner();
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: true,
        createPartitioner: () => (args) => {
          const partition = defaultPartitioner(args);
          this.partitionOf.set(args.message, partition);
          return partition;
        },
      });
      this.metrics?.observe(producer);
      try {
        await producer.connect();
      } finally {
        this.connecting = null;
      }
      this.producer = producer;
      return producer;
    })();
    return this.connecting;
  }

  private discardProducer(): void {
    const producer = this.producer;
    this.producer = null;
    producer?.disconnect().catch((err: unknown) => this.logger.debug({ err }, 'disconnecting a failed producer'));
  }
}

/**
 * Sends records (an outbox relay's batch) through one producer and resolves once every one is
 * durable. They queue in call order, so records with one key keep their order.
 */
export async function sendAll(producer: BatchingProducer, records: ReadonlyArray<{ topic: string } & OutgoingMessage>): Promise<void> {
  await Promise.all(records.map(({ topic, ...message }) => producer.send(topic, message)));
}
