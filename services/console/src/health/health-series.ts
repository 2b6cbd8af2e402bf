import type { ServiceName } from '../upstream/admin-client';
import type { Sample } from '../upstream/prometheus-text';

/** What one scrape of every service saw; a service that did not answer is absent. */
export interface Snapshot {
  at: number;
  scraped: Partial<Record<ServiceName, Sample[]>>;
}

/** The metrics the Health page's charts read from each service's /metrics. */
export const SERIES_METRICS: ReadonlySet<string> = new Set([
  'ingress_webhook_requests_total',
  'ingress_webhook_duration_seconds_bucket',
  'orderflow_consumer_handler_failures_total',
  'orderflow_consumer_dead_lettered_total',
  'orderflow_consumer_lag',
  'dispatch_deliveries_total',
]);

const MINUTE = 60_000;
/** The ingress's outcomes (services/ingress/src/metrics.ts), as the page groups them. */
const ACCEPTED = new Set(['published', 'duplicate', 'ignored', 'quarantined']);
const REJECTED = new Set(['invalid_signature', 'bad_request', 'rate_limited']);

export interface HealthSeries {
  /** The start of each minute charted, oldest first; the last is the minute now running. */
  minutes: number[];
  sampledAt: number | null;
  webhooks: Array<{ source: string; received: number[]; accepted: number[]; rejected: number[]; failed: number[] }>;
  /** Seconds; null in a minute without a webhook. */
  ingressP99: Array<number | null>;
  processingFailures: { handlerFailures: number[]; deadLettered: number[] };
  /** Delivered over attempted, 0..1; null in a minute without an attempt. */
  deliveries: Array<{ subscription: string; attempts: number[]; successRate: Array<number | null> }>;
  /** Messages behind, partitions summed, as last sampled in each minute; null before the first sample. */
  consumerLag: Array<{ service: string; group: string; topic: string; lag: Array<number | null> }>;
}

const keyOf = (s: Sample) => `${s.name}{${Object.entries(s.labels).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join(',')}}`;

/**
 * How much each counter sample grew between two scrapes of one service. A counter lower than
 * before means the service restarted (prom-client starts again from 0): all it counts now is
 * new. A series absent before was created by its first increment, so all of it is new too.
 */
function deltas(previous: Sample[], current: Sample[]): Array<Sample & { delta: number }> {
  const before = new Map(previous.map((s) => [keyOf(s), s.value]));
  return current.map((s) => {
    const was = before.get(keyOf(s)) ?? 0;
    return { ...s, delta: s.value >= was ? s.value - was : s.value };
  });
}

/** Prometheus's histogram_quantile: linear within the bucket the rank falls in. */
export function quantileOf(q: number, buckets: Map<number, number>): number | null {
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const total = buckets.get(Infinity) ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const bound of bounds) {
    const count = buckets.get(bound)!;
    if (count >= rank) {
      // Past the last finite bound nothing says how slow: answer that bound, as Prometheus does.
      if (bound === Infinity) return lowerBound;
      return lowerBound + (bound - lowerBound) * ((rank - lowerCount) / Math.max(count - lowerCount, Number.EPSILON));
    }
    lowerBound = bound;
    lowerCount = count;
  }
  return lowerBound;
}

const zeros = (n: number) => Array<number>(n).fill(0);

/**
 * Per-minute series over the `minutes` minutes up to `now`, from consecutive snapshots:
 * counters as what they grew by between two scrapes (counted in the minute of the later one),
 * gauges as last seen. A pair where a service did not answer on either side adds nothing for it.
 */
export function healthSeries(snapshots: readonly Snapshot[], now: number, minutes = 60): HealthSeries {
  const first = Math.floor(now / MINUTE) * MINUTE - (minutes - 1) * MINUTE;
  const slot = (at: number) => Math.floor((at - first) / MINUTE);
  const webhooks = new Map<string, HealthSeries['webhooks'][number]>();
  const buckets = Array.from({ length: minutes }, () => new Map<number, number>());
  const handlerFailures = zeros(minutes);
  const deadLettered = zeros(minutes);
  const deliveries = new Map<string, { subscription: string; attempts: number[]; delivered: number[] }>();
  const lag = new Map<string, HealthSeries['consumerLag'][number]>();

  for (let i = 0; i < snapshots.length; i++) {
    const current = snapshots[i];
    const m = slot(current.at);
    if (m < 0 || m >= minutes) continue;
    for (const [service, samples] of Object.entries(current.scraped) as Array<[ServiceName, Sample[]]>) {
      const seenLag = new Set<string>();
      for (const s of samples) {
        if (s.name !== 'orderflow_consumer_lag') continue;
        const key = `${service}\u0000${s.labels.group}\u0000${s.labels.topic}`;
        const row = lag.get(key) ?? { service, group: s.labels.group ?? '', topic: s.labels.topic ?? '', lag: Array<number | null>(minutes).fill(null) };
        // The last snapshot of a minute wins: start its sum afresh the first time it is seen.
        if (!seenLag.has(key)) row.lag[m] = 0;
        seenLag.add(key);
        row.lag[m] = (row.lag[m] ?? 0) + s.value;
        lag.set(key, row);
      }
      const previous = snapshots[i - 1]?.scraped[service];
      if (!previous) continue;
      for (const s of deltas(previous, samples)) {
        if (s.delta === 0) continue;
        if (s.name === 'ingress_webhook_requests_total') {
          const source = s.labels.source ?? '';
          const row = webhooks.get(source) ?? { source, received: zeros(minutes), accepted: zeros(minutes), rejected: zeros(minutes), failed: zeros(minutes) };
          const outcome = s.labels.outcome ?? '';
          row.received[m] += s.delta;
          (ACCEPTED.has(outcome) ? row.accepted : REJECTED.has(outcome) ? row.rejected : row.failed)[m] += s.delta;
          webhooks.set(source, row);
        } else if (s.name === 'ingress_webhook_duration_seconds_bucket') {
          const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
          buckets[m].set(le, (buckets[m].get(le) ?? 0) + s.delta);
        } else if (s.name === 'orderflow_consumer_handler_failures_total') handlerFailures[m] += s.delta;
        else if (s.name === 'orderflow_consumer_dead_lettered_total') deadLettered[m] += s.delta;
        else if (s.name === 'dispatch_deliveries_total') {
          const subscription = s.labels.subscription ?? '';
          const row = deliveries.get(subscription) ?? { subscription, attempts: zeros(minutes), delivered: zeros(minutes) };
          row.attempts[m] += s.delta;
          if (s.labels.outcome === 'delivered') row.delivered[m] += s.delta;
          deliveries.set(subscription, row);
        }
      }
    }
  }

  return {
    minutes: Array.from({ length: minutes }, (_, i) => first + i * MINUTE),
    sampledAt: snapshots.at(-1)?.at ?? null,
    webhooks: [...webhooks.values()].sort((a, b) => a.source.localeCompare(b.source)),
    ingressP99: buckets.map((b) => quantileOf(0.99, b)),
    processingFailures: { handlerFailures, deadLettered },
    deliveries: [...deliveries.values()]
      .sort((a, b) => a.subscription.localeCompare(b.subscription))
      .map(({ subscription, attempts, delivered }) => ({ subscription, attempts, successRate: attempts.map((n, i) => (n === 0 ? null : delivered[i] / n)) })),
    consumerLag: [...lag.values()].sort((a, b) => a.service.localeCompare(b.service) || a.group.localeCompare(b.group) || a.topic.localeCompare(b.topic)),
  };
}
