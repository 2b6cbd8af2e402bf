import type { Express, RequestHandler } from 'express';
import { z } from 'zod';
import { type AdminClient, type ServiceName } from '../upstream/admin-client';
import type { HealthSampler } from '../health/health-sampler';
import { samplesOf } from '../upstream/prometheus-text';

const SERVICES: ServiceName[] = ['ingress', 'order', 'fulfillment', 'notification', 'dispatch'];
const CONSUMER_METRICS = new Set(['orderflow_consumer_lag', 'orderflow_consumer_dead_lettered_total', 'orderflow_consumer_paused_partitions']);
/** Counts above this read as "200+": the admin lists stop there, and past it the number matters less than the fact. */
const COUNT_CAP = 200;

export interface HealthRouteDeps {
  admin: AdminClient;
  guard: RequestHandler[];
  sampler: HealthSampler;
}

/**
 * One page for "is the system well?": each service's readiness, consumer lag and dead letters
 * (from its /metrics), checkout health (expired locks, stuck checkouts), and what waits for a
 * human (failed fulfillments, notifications and deliveries, unmatched payments). Every probe
 * runs at once; one that fails shows as such without hiding the others.
 */
export function healthRoutes(deps: HealthRouteDeps): (app: Express) => void {
  const readiness = async (service: ServiceName) => {
    try {
      const answer = await deps.admin.raw(service, '/readyz', { admin: false });
      const body = JSON.parse(answer.text) as { checks?: Array<{ name: string; status: string }> };
      return { service, ready: answer.status === 200, checks: body.checks ?? [] };
    } catch {
      return { service, ready: false, checks: [{ name: 'http', status: 'unreachable' }] };
    }
  };
  const consumers = async (service: ServiceName) => {
    try {
      const answer = await deps.admin.raw(service, '/metrics', { metrics: true });
      return answer.status === 200 ? samplesOf(answer.text, CONSUMER_METRICS).map((s) => ({ service, ...s })) : [];
    } catch {
      return [];
    }
  };
  const count = async (service: ServiceName, path: string): Promise<number | null> => {
    try {
      const answer = z.object({ items: z.array(z.unknown()) }).parse(await deps.admin.get(service, path));
      return answer.items.length;
    } catch {
      return null;
    }
  };

  return (app) => {
    app.get('/console/api/health/series', ...deps.guard, (_req, res) => {
      res.set('cache-control', 'no-store').json(deps.sampler.series());
    });
    app.get('/console/api/health', ...deps.guard, async (_req, res) => {
      const [services, samples, checkout, failedFulfillments, failedNotifications, failedDeliveries, unmatchedPayments] = await Promise.all([
        Promise.all(SERVICES.map(readiness)),
        Promise.all(SERVICES.map(consumers)).then((all) => all.flat()),
        deps.admin
          .raw('order', '/health/checkout', { admin: false })
          .then((answer) => ({ reachable: true, ...(JSON.parse(answer.text) as object) }))
          .catch(() => ({ reachable: false })),
        count('fulfillment', `/admin/fulfillments?status=FAILED&limit=${COUNT_CAP}`),
        count('notification', `/admin/notifications?status=FAILED&limit=${COUNT_CAP}`),
        count('dispatch', `/admin/deliveries?status=FAILED&limit=${COUNT_CAP}`),
        count('order', '/admin/payments/unmatched'),
      ]);

      // Lag per consumer group and topic: partitions summed.
      const lag = new Map<string, { service: string; group: string; topic: string; lag: number; pausedPartitions: number }>();
      const deadLetters: Array<{ service: string; group: string; topic: string; reason: string; count: number }> = [];
      for (const s of samples) {
        const key = `${s.service}\u0000${s.labels.group}\u0000${s.labels.topic}`;
        if (s.name === 'orderflow_consumer_dead_lettered_total') {
          if (s.value > 0) deadLetters.push({ service: s.service, group: s.labels.group ?? '', topic: s.labels.topic ?? '', reason: s.labels.reason ?? '', count: s.value });
          continue;
        }
        const row = lag.get(key) ?? { service: s.service, group: s.labels.group ?? '', topic: s.labels.topic ?? '', lag: 0, pausedPartitions: 0 };
        if (s.name === 'orderflow_consumer_lag') row.lag += s.value;
        else row.pausedPartitions += s.value;
        lag.set(key, row);
      }
      res.set('cache-control', 'no-store').json({
        services,
        consumers: [...lag.values()].sort((a, b) => a.service.localeCompare(b.service) || a.topic.localeCompare(b.topic)),
        deadLetters,
        checkout,
        backlog: { failedFulfillments, failedNotifications, failedDeliveries, unmatchedPayments, cap: COUNT_CAP },
        checkedAt: new Date().toISOString(),
      });
    });
  };
}
