import { samplesOf } from '../upstream/prometheus-text';
import { healthSeries, quantileOf, SERIES_METRICS, type Snapshot } from './health-series';

/** prom-client's exposition, as the ingress and dispatch serve it (other metrics trimmed). */
const ingressText = (published: number, invalid: number, fast: number, slow: number) => `# HELP ingress_webhook_requests_total Webhook deliveries by source, event type and outcome
# TYPE ingress_webhook_requests_total counter
ingress_webhook_requests_total{source="stripe",type="payment_intent.succeeded",outcome="published",service="ingress"} ${published}
ingress_webhook_requests_total{source="stripe",type="unknown",outcome="invalid_signature",service="ingress"} ${invalid}
# HELP ingress_webhook_duration_seconds Time from request to answer for webhook deliveries
# TYPE ingress_webhook_duration_seconds histogram
ingress_webhook_duration_seconds_bucket{le="0.01",source="stripe",outcome="published",service="ingress"} ${fast}
ingress_webhook_duration_seconds_bucket{le="0.025",source="stripe",outcome="published",service="ingress"} ${fast}
ingress_webhook_duration_seconds_bucket{le="0.05",source="stripe",outcome="published",service="ingress"} ${fast + slow}
ingress_webhook_duration_seconds_bucket{le="+Inf",source="stripe",outcome="published",service="ingress"} ${fast + slow}
ingress_webhook_duration_seconds_sum{source="stripe",outcome="published",service="ingress"} 0.5
ingress_webhook_duration_seconds_count{source="stripe",outcome="published",service="ingress"} ${fast + slow}
`;
const dispatchText = (delivered: number, retry: number, lag: number) => `# TYPE dispatch_deliveries_total counter
dispatch_deliveries_total{subscription="sub_1",outcome="delivered",service="dispatch"} ${delivered}
dispatch_deliveries_total{subscription="sub_1",outcome="retry",service="dispatch"} ${retry}
# TYPE orderflow_consumer_lag gauge
orderflow_consumer_lag{topic="orders.events",partition="0",group="dispatch",service="dispatch"} ${lag}
orderflow_consumer_lag{topic="orders.events",partition="1",group="dispatch",service="dispatch"} 1
orderflow_consumer_dead_lettered_total{topic="orders.events",group="dispatch",reason="invalid payload",service="dispatch"} ${Math.min(lag, 1)}
`;

const NOW = Date.UTC(2026, 11, 7, 12, 0, 30);
const MINUTE = 60_000;
const snapshot = (at: number, ingress?: string, dispatch?: string): Snapshot => ({
  at,
  scraped: { ...(ingress ? { ingress: samplesOf(ingress, SERIES_METRICS) } : {}), ...(dispatch ? { dispatch: samplesOf(dispatch, SERIES_METRICS) } : {}) },
});

describe('the Health page series', () => {
  it('counts webhooks per minute by source and outcome from what the counters grew by', () => {
    const series = healthSeries(
      [
        snapshot(NOW - 2 * MINUTE, ingressText(10, 1, 10, 0)),
        snapshot(NOW - MINUTE, ingressText(13, 1, 13, 0)),
        snapshot(NOW - 15_000, ingressText(15, 3, 15, 0)),
        snapshot(NOW, ingressText(16, 3, 16, 0)),
      ],
      NOW,
    );
    expect(series.minutes).toHaveLength(60);
    expect(series.minutes.at(-1)).toBe(Date.UTC(2026, 11, 7, 12, 0));
    expect(series.webhooks).toHaveLength(1);
    const stripe = series.webhooks[0];
    expect(stripe.source).toBe('stripe');
    // The first scrape is only a baseline; then 3 in the minute before, 2 + 1 (and 2 refused) in this one.
    expect(stripe.received.slice(-3)).toEqual([0, 3, 5]);
    expect(stripe.accepted.slice(-3)).toEqual([0, 3, 3]);
    expect(stripe.rejected.slice(-3)).toEqual([0, 0, 2]);
    expect(stripe.failed.every((n) => n === 0)).toBe(true);
  });

  it('takes what a counter shows after a restart as new, never a negative rate', () => {
    const series = healthSeries([snapshot(NOW - 30_000, ingressText(500, 7, 500, 0)), snapshot(NOW, ingressText(4, 0, 4, 0))], NOW);
    expect(series.webhooks[0].received.at(-1)).toBe(4);
    expect(series.webhooks[0].rejected.at(-1)).toBe(0);
  });

  it('adds nothing for a service that did not answer on one side of a pair', () => {
    const series = healthSeries([snapshot(NOW - 30_000, ingressText(5, 0, 5, 0)), snapshot(NOW - 15_000), snapshot(NOW, ingressText(9, 0, 9, 0))], NOW);
    expect(series.webhooks).toEqual([]);
  });

  it("computes the ingress p99 from the histogram buckets' growth in each minute", () => {
    // 99 answered under 10 ms and 1 between 25 and 50 ms in the last minute: the p99 is at most 10 ms.
    const series = healthSeries([snapshot(NOW - 30_000, ingressText(0, 0, 0, 0)), snapshot(NOW, ingressText(100, 0, 99, 1))], NOW);
    expect(series.ingressP99.at(-1)).toBeCloseTo(0.01, 5);
    expect(series.ingressP99.at(-2)).toBeNull();
    // 90 fast and 10 slow: the p99 falls inside the 25-50 ms bucket.
    const slower = healthSeries([snapshot(NOW - 30_000, ingressText(0, 0, 0, 0)), snapshot(NOW, ingressText(100, 0, 90, 10))], NOW);
    expect(slower.ingressP99.at(-1)).toBeCloseTo(0.025 + 0.025 * (9 / 10), 5);
  });

  it('gives the partner delivery success rate per subscription, the consumer lag as last seen, and dead letters', () => {
    const series = healthSeries(
      [snapshot(NOW - 45_000, undefined, dispatchText(0, 0, 0)), snapshot(NOW - 30_000, undefined, dispatchText(3, 1, 5)), snapshot(NOW, undefined, dispatchText(3, 1, 2))],
      NOW,
    );
    expect(series.deliveries).toEqual([{ subscription: 'sub_1', attempts: expect.any(Array), successRate: expect.any(Array) }]);
    expect(series.deliveries[0].attempts.at(-1)).toBe(4);
    expect(series.deliveries[0].successRate.at(-1)).toBe(0.75);
    expect(series.deliveries[0].successRate.at(-2)).toBeNull();
    expect(series.consumerLag).toEqual([{ service: 'dispatch', group: 'dispatch', topic: 'orders.events', lag: expect.any(Array) }]);
    expect(series.consumerLag[0].lag.at(-1)).toBe(3);
    expect(series.consumerLag[0].lag.at(-2)).toBe(1);
    expect(series.consumerLag[0].lag.at(-3)).toBeNull();
    expect(series.processingFailures.deadLettered.at(-1)).toBe(1);
  });

  it('leaves out what is older than the hour charted', () => {
    const series = healthSeries([snapshot(NOW - 70 * MINUTE, ingressText(0, 0, 0, 0)), snapshot(NOW - 65 * MINUTE, ingressText(50, 0, 50, 0))], NOW);
    expect(series.webhooks).toEqual([]);
  });
});

describe('quantileOf', () => {
  it('answers the last finite bound when the rank falls in +Inf, and null without observations', () => {
    expect(quantileOf(0.99, new Map([[0.1, 0], [1, 0], [Infinity, 5]]))).toBe(1);
    expect(quantileOf(0.99, new Map())).toBeNull();
  });
});
