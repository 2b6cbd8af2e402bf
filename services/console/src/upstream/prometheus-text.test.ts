import { samplesOf } from './prometheus-text';

const EXPOSITION = `# HELP orderflow_consumer_lag High watermark minus the next offset to process, per partition
# TYPE orderflow_consumer_lag gauge
orderflow_consumer_lag{topic="orders.events",partition="0",group="fulfillment",service="fulfillment"} 3
orderflow_consumer_lag{topic="orders.events",partition="1",group="fulfillment",service="fulfillment"} 0
orderflow_consumer_dead_lettered_total{topic="orders.events",group="fulfillment",reason="invalid \\"payload\\""} 2
orderflow_consumer_lag_other 7
http_request_duration_seconds_bucket{le="0.1"} 12
orderflow_consumer_lag{topic="x",partition="0",group="g"} NaN
`;

describe('Prometheus text', () => {
  it('reads the samples of the named metrics with their labels, and nothing else', () => {
    const samples = samplesOf(EXPOSITION, new Set(['orderflow_consumer_lag', 'orderflow_consumer_dead_lettered_total']));
    expect(samples).toEqual([
      { name: 'orderflow_consumer_lag', labels: { topic: 'orders.events', partition: '0', group: 'fulfillment', service: 'fulfillment' }, value: 3 },
      { name: 'orderflow_consumer_lag', labels: { topic: 'orders.events', partition: '1', group: 'fulfillment', service: 'fulfillment' }, value: 0 },
      { name: 'orderflow_consumer_dead_lettered_total', labels: { topic: 'orders.events', group: 'fulfillment', reason: 'invalid "payload"' }, value: 2 },
    ]);
  });
});
