import type { Kafka, Message, Producer, RecordMetadata } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import { encodeEvent, type AnyEvent } from '@orderflow/events';
import type { ClientMetrics } from './client-metrics';
import { MessageKeyTooLargeError, MessageRefusedError, MessageTooLargeError, NonRetriableError, type UnpublishableMessageError } from './errors';
import { mapKafkaError, messageRefusal } from './kafkajs-errors';
import type { Logger } from './logger';
import type { OutgoingMessage, ProducedRecord } from './message';
import { DEFAULT_MAX_KEY_BYTES, KAFKA_DEFAULT_MAX_MESSAGE_BYTES, keyBytes, payloadBytes, recordBatchBytes } from './message-size';

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
  /**
   * Largest message, as a record batch of its own (see `recordBatchBytes`), that `send` lets
   * through: the topics' max.message.bytes. A larger one is refused with `MessageTooLargeError`
   * before it is queued, alone. Default 1,048,588, Kafka's default.
   */
  maxMessageBytes?: number;
  /** Longest key `send` lets through; a longer one is refused with `MessageKeyTooLargeError`. Default 1,024 bytes. */
  maxKeyBytes?: number;
}

interface Pending {
  topic: string;
  message: Message;
  bytes: number;
  /**
   * Sent in a request of its own: its earlier request was refused for one message's sake
   * (MESSAGE_TOO_LARGE...), and alone the broker's answer names the message at fault.
   */
  alone?: boolean;
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
  /**
   * Why `send` would refuse `message` for good before producing it (too large, key too long),
   * or null. Lets a caller that must keep per-key order hold a key's later messages back.
   */
  refusal(topic: string, message: OutgoingMessage): UnpublishableMessageError | null;
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
  private readonly maxMessageBytes: number;
  private readonly maxKeyBytes: number;
  private queue: Pending[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private producer: Producer | null = null;
  private connecting: Promise<Producer> | null = null;
  private closed = false;
  private readonly idle = new Set<() => void>();
  /**
   * Which partition kafkajs's partitioner chose for each message (and among how many), to give
   * every caller its offset, and so that kafkajs's retries of a request do not hash the key again.
   */
  private readonly partitionOf = new WeakMap<object, { partition: number; of: number }>();

  constructor(
    private readonly kafka: Kafka,
    private readonly logger: Logger,
    private readonly options: ProducerOptions = {},
    private readonly metrics?: ClientMetrics,
  ) {
    this.lingerMs = options.lingerMs ?? 2;
    this.maxMessages = options.maxBatchMessages ?? 1000;
    this.maxBytes = options.maxBatchBytes ?? 900_000;
    this.maxMessageBytes = options.maxMessageBytes ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
    this.maxKeyBytes = options.maxKeyBytes ?? DEFAULT_MAX_KEY_BYTES;
  }

  refusal(topic: string, message: OutgoingMessage): UnpublishableMessageError | null {
    const key = keyBytes(message);
    if (key > this.maxKeyBytes) return new MessageKeyTooLargeError(topic, key, this.maxKeyBytes);
    const bytes = recordBatchBytes(message);
    if (bytes > this.maxMessageBytes) return new MessageTooLargeError(topic, bytes, this.maxMessageBytes);
    return null;
  }

  send(topic: string, message: OutgoingMessage): Promise<ProducedRecord> {
    if (this.closed) return Promise.reject(new NonRetriableError('producer is closed'));
    // Refused alone, before it is queued: the messages sent with it are not affected.
    const refused = this.refusal(topic, message);
    if (refused) return Promise.reject(refused);
    return new Promise<ProducedRecord>((resolve, reject) => {
      const bytes = payloadBytes(message);
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
      if (count > 0 && (next.alone || bytes + next.bytes > this.maxBytes)) break;
      if (next.alone) {
        bytes += next.bytes;
        count += 1;
        break;
      }
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
      const refused = messageRefusal(err);
      if (refused !== null && batch.length > 1) {
        // One message of the request is at fault, but the answer does not say which: each goes
        // again in a request of its own, first in line and in their order. Those the broker had
        // written on other partitions are written again (as after any failed request).
        this.logger.warn({ reason: refused, messages: batch.length }, 'produce request refused for one of its messages; sending each alone');
        this.discardProducer();
        for (const p of batch) p.alone = true;
        this.queue.unshift(...batch);
        this.queuedBytes += batch.reduce((sum, p) => sum + p.bytes, 0);
        return;
      }
      const mapped = refused !== null ? new MessageRefusedError(batch[0]?.topic ?? '', refused, { cause: err }) : mapKafkaError(err, 'produce failed');
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
      const partition = this.partitionOf.get(p.message)?.partition;
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
          const of = args.partitionMetadata.length;
          const known = this.partitionOf.get(args.message);
          if (known !== undefined && known.of === of) return known.partition;
          const partition = defaultPartitioner(args);
          this.partitionOf.set(args.message, { partition, of });
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

