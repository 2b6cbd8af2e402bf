import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

type Labels = 'topic' | 'group';

/**
 * The consumer runner's Prometheus metrics. Several runners (one per consumer group) may share a
 * service's registry, so each metric is fetched from the registry when it already exists rather
 * than registered twice (prom-client throws on a duplicate name).
 */
export class ConsumerMetrics {
  readonly processed: Counter<Labels>;
  readonly failed: Counter<Labels>;
  readonly retried: Counter<Labels>;
  readonly deadLettered: Counter<Labels | 'reason'>;
  readonly handlerDuration: Histogram<Labels>;
  readonly lag: Gauge<Labels | 'partition'>;
  readonly pausedPartitions: Gauge<Labels>;
  readonly crashes: Counter<'group'>;

  constructor(registry: Registry) {
    const registers = [registry];
    const existing = <T>(name: string): T | undefined => registry.getSingleMetric(name) as T | undefined;
    this.processed =
      existing('orderflow_consumer_messages_processed_total') ??
      new Counter({ name: 'orderflow_consumer_messages_processed_total', help: 'Messages whose handler succeeded and whose offset was committed', labelNames: ['topic', 'group'], registers });
    this.failed =
      existing('orderflow_consumer_handler_failures_total') ??
      new Counter({ name: 'orderflow_consumer_handler_failures_total', help: 'Handler attempts that threw', labelNames: ['topic', 'group'], registers });
    this.retried =
      existing('orderflow_consumer_retries_total') ??
      new Counter({ name: 'orderflow_consumer_retries_total', help: 'Handler attempts repeated after a retriable failure', labelNames: ['topic', 'group'], registers });
    this.deadLettered =
      existing('orderflow_consumer_dead_lettered_total') ??
      new Counter({ name: 'orderflow_consumer_dead_lettered_total', help: 'Messages sent to the dead-letter topic, by reason', labelNames: ['topic', 'group', 'reason'], registers });
    this.handlerDuration =
      existing('orderflow_consumer_handler_duration_seconds') ??
      new Histogram({
        name: 'orderflow_consumer_handler_duration_seconds',
        help: 'Duration of one handler attempt: one event, or a run of events for a batch handler',
        labelNames: ['topic', 'group'],
        buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers,
      });
    this.lag =
      existing('orderflow_consumer_lag') ??
      new Gauge({ name: 'orderflow_consumer_lag', help: 'High watermark minus the next offset to process, per partition', labelNames: ['topic', 'partition', 'group'], registers });
    this.pausedPartitions =
      existing('orderflow_consumer_paused_partitions') ??
      new Gauge({ name: 'orderflow_consumer_paused_partitions', help: 'Partitions paused because a dependency is unavailable', labelNames: ['topic', 'group'], registers });
    this.crashes =
      existing('orderflow_consumer_crashes_total') ??
      new Counter({ name: 'orderflow_consumer_crashes_total', help: 'Times the Kafka client gave up on a consumer and the runner started it again', labelNames: ['group'], registers });
  }
}
