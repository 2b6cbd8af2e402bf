import { Counter, type Registry } from 'prom-client';

/** What kafkajs's producers, consumers and admins have in common: request instrumentation events. */
interface Instrumented {
  on(event: string, listener: (event: { payload: { apiName: string } }) => void): unknown;
  events: { REQUEST: string };
}

/**
 * Requests this process's Kafka clients send, by API, whatever broker answers them: how a service
 * loads the cluster (offset commits and fetches per message, produce requests per batch) on the
 * embedded broker and on Apache Kafka alike, where the broker's own counters are JMX.
 */
export class ClientMetrics {
  readonly requests: Counter<'api'>;

  constructor(registry: Registry) {
    this.requests =
      (registry.getSingleMetric('orderflow_kafka_client_requests_total') as Counter<'api'> | undefined) ??
      new Counter({ name: 'orderflow_kafka_client_requests_total', help: 'Requests sent to Kafka brokers by this process, by API', labelNames: ['api'], registers: [registry] });
  }

  /** Counts every request `client` sends from now on. */
  observe(client: Instrumented): void {
    client.on(client.events.REQUEST, (event) => this.requests.inc({ api: event.payload.apiName }));
  }
}
