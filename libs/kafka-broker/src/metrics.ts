import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The broker's Prometheus metrics, on a registry of its own so that several
 * brokers (or a broker and a service) can live in one process. Names follow
 * Prometheus conventions with an `orderflow_kafka_` prefix.
 */
export class BrokerMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'api' | 'version'>;
  readonly requestErrors: Counter<'api'>;
  readonly requestDuration: Histogram<'api'>;
  readonly bytesIn: Counter;
  readonly bytesOut: Counter;
  readonly connections: Gauge;
  readonly connectionsRejected: Counter<'reason'>;
  readonly producedRecords: Counter<'topic'>;
  readonly partitionBytes: Gauge<'topic' | 'partition'>;
  readonly partitionEndOffset: Gauge<'topic' | 'partition'>;
  readonly rebalances: Counter<'group'>;
  readonly groupMembers: Gauge<'group'>;
  readonly fsyncDuration: Histogram;
  readonly fetchesWaiting: Gauge;
  /** Set by the broker: what the partition gauges report at scrape time. */
  partitions: () => Array<{ topic: string; partition: number; bytes: number; endOffset: number }> = () => [];

  constructor(registry = new Registry()) {
    this.registry = registry;
    const r = [registry];
    this.requests = new Counter({
      name: 'orderflow_kafka_requests_total',
      help: 'Kafka protocol requests handled, by API and version',
      labelNames: ['api', 'version'],
      registers: r,
    });
    this.requestErrors = new Counter({
      name: 'orderflow_kafka_request_errors_total',
      help: 'Requests whose handler failed or whose connection was closed for bad input',
      labelNames: ['api'],
      registers: r,
    });
    this.requestDuration = new Histogram({
      name: 'orderflow_kafka_request_duration_seconds',
      help: 'Time from a request being read to its response being written, long polls included',
      labelNames: ['api'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: r,
    });
    this.bytesIn = new Counter({ name: 'orderflow_kafka_bytes_in_total', help: 'Request bytes received', registers: r });
    this.bytesOut = new Counter({ name: 'orderflow_kafka_bytes_out_total', help: 'Response bytes sent', registers: r });
    this.connections = new Gauge({ name: 'orderflow_kafka_connections', help: 'Open client connections', registers: r });
    this.connectionsRejected = new Counter({
      name: 'orderflow_kafka_connections_closed_for_bad_input_total',
      help: 'Connections closed because a request was malformed, oversized or of an unknown API',
      labelNames: ['reason'],
      registers: r,
    });
    this.producedRecords = new Counter({
      name: 'orderflow_kafka_produced_records_total',
      help: 'Records appended to the log',
      labelNames: ['topic'],
      registers: r,
    });
    this.partitionBytes = new Gauge({
      name: 'orderflow_kafka_partition_size_bytes',
      help: 'Bytes in a partition log',
      labelNames: ['topic', 'partition'],
      registers: r,
      collect: () => {
        this.partitionBytes.reset();
        for (const p of this.partitions()) this.partitionBytes.set({ topic: p.topic, partition: String(p.partition) }, p.bytes);
      },
    });
    this.partitionEndOffset = new Gauge({
      name: 'orderflow_kafka_partition_end_offset',
      help: 'Log end offset (high watermark) of a partition',
      labelNames: ['topic', 'partition'],
      registers: r,
      collect: () => {
        this.partitionEndOffset.reset();
        for (const p of this.partitions()) this.partitionEndOffset.set({ topic: p.topic, partition: String(p.partition) }, p.endOffset);
      },
    });
    this.rebalances = new Counter({
      name: 'orderflow_kafka_group_rebalances_total',
      help: 'Consumer group rebalances completed (a new generation)',
      labelNames: ['group'],
      registers: r,
    });
    this.groupMembers = new Gauge({
      name: 'orderflow_kafka_group_members',
      help: 'Members of a consumer group',
      labelNames: ['group'],
      registers: r,
    });
    this.fetchesWaiting = new Gauge({
      name: 'orderflow_kafka_fetches_waiting',
      help: 'Fetch requests parked in a long poll, waiting for data or their max wait',
      registers: r,
    });
    this.fsyncDuration = new Histogram({
      name: 'orderflow_kafka_fsync_duration_seconds',
      help: 'Time of one fsync, which may cover many acks=all writes',
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
      registers: r,
    });
  }
}
