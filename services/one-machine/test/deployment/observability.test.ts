import * as fs from 'node:fs';
import { tempDir } from '@orderflow/testing';
import { startOneMachine, type OneMachine } from '../../src';
import { DEPLOYABLES, readCompose, readRepoFile, readYaml, repoPath } from './deployment-files';
import { SCRAPE_METRICS, exportedFamilies, isExported, metricNames, variableQueryMetricNames } from './promql';

/**
 * Prometheus and Grafana read only what the services export: every metric an alert or a panel
 * uses is one a service's /metrics declares, found by starting the whole system in this process
 * and scraping each service. Each alert carries its summary, description and a runbook that
 * exists in docs/OPERATIONS.md.
 */

interface Rule {
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface Panel {
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Array<{ expr: string; datasource?: { uid: string }; refId: string }>;
  fieldConfig?: { defaults?: { unit?: string } };
}

interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query: string | { query: string }; datasource?: { uid: string } }> };
}

const rules = readYaml<{ groups: Array<{ name: string; rules: Rule[] }> }>('deploy/prometheus/alerts.yml').groups.flatMap((group) => group.rules);
const alerts = rules.filter((rule): rule is Rule & { alert: string } => rule.alert !== undefined);
const DASHBOARD_FILES = ['webhook-health.json', 'pipeline.json', 'partners.json'];
const dashboards = DASHBOARD_FILES.map((file) => [file, JSON.parse(readRepoFile('deploy/grafana/dashboards', file)) as Dashboard] as const);
const datasources = readYaml<{ datasources: Array<{ uid: string; type: string; url: string }> }>('deploy/grafana/provisioning/datasources/prometheus.yml').datasources;

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const match of markdown.matchAll(/^#{1,6}\s+(.+?)\s*$/gm)) {
    anchors.add(match[1].toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-'));
  }
  return anchors;
}

describe('metric names in PromQL', () => {
  it('are found past functions, matchers, ranges, grouping and offsets', () => {
    expect(
      metricNames('sum by (source) (rate(a_total{outcome=~"error|x"}[$__rate_interval])) / ignoring(le) histogram_quantile(0.99, b_bucket) or c unless c offset 10m > 1e3'),
    ).toEqual(['a_total', 'b_bucket', 'c']);
    expect(variableQueryMetricNames('label_values(circuit_breaker_state{breaker=~"partner:.*"}, breaker)')).toEqual(['circuit_breaker_state']);
  });
});

describe('alerts and dashboards against what the services export', () => {
  const dir = tempDir();
  let machine: OneMachine | undefined;
  const families = new Map<string, string>();
  const exportedBy = new Map<string, Set<string>>();
  const withoutToken = new Map<string, number>();

  beforeAll(async () => {
    // Options that switch on the parts whose metrics are registered only when configured: the
    // Stripe breaker (order) and a notification channel breaker. Nothing is called at start.
    machine = await startOneMachine({
      DATA_DIR: dir.path,
      PORT: '0',
      KAFKA_PORT: '0',
      LOG_LEVEL: 'silent',
      STRIPE_SECRET_KEY: 'sk_test_deployment_metrics',
      STRIPE_API_BASE: 'http://127.0.0.1:9',
      DISCORD_WEBHOOK_URL: 'http://127.0.0.1:9/discord',
    });
    const { METRICS_TOKEN } = JSON.parse(fs.readFileSync(machine.secretsFile, 'utf8')) as { METRICS_TOKEN: string };
    for (const [service, url] of Object.entries(machine.urls)) {
      withoutToken.set(service, (await fetch(`${url}/metrics`)).status);
      const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(res.status).toBe(200);
      for (const [name, type] of exportedFamilies(await res.text())) {
        families.set(name, type);
        if (!exportedBy.has(name)) exportedBy.set(name, new Set());
        exportedBy.get(name)!.add(service);
      }
    }
  }, 120_000);

  afterAll(async () => {
    await machine?.stop();
    dir.remove();
  });

  const unknownIn = (exprs: string[]) => [...new Set(exprs.flatMap(metricNames))].filter((name) => !SCRAPE_METRICS.has(name) && !isExported(name, families)).sort();

  it('serves every /metrics only to the METRICS_TOKEN generated into the secrets file', () => {
    expect(Object.fromEntries(withoutToken)).toEqual(Object.fromEntries(Object.keys(machine!.urls).map((service) => [service, 401])));
  });

  it('scrapes the families the alerts need from the services', () => {
    for (const name of ['ingress_webhook_requests_total', 'orderflow_consumer_lag', 'circuit_breaker_state', 'fulfillment_items_total', 'dispatch_deliveries_total']) {
      expect(families.has(name)).toBe(true);
    }
    expect(families.get('ingress_webhook_duration_seconds')).toBe('histogram');
  });

  it('every metric an alert expression reads is exported by a service', () => {
    expect(alerts.length).toBeGreaterThanOrEqual(8);
    expect(unknownIn(alerts.map((alert) => alert.expr))).toEqual([]);
  });

  it.each(dashboards)('every metric a panel or variable of %s reads is exported by a service', (_file, dashboard) => {
    const exprs = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));
    expect(exprs.length).toBeGreaterThan(5);
    expect(unknownIn(exprs)).toEqual([]);
    const variables = dashboard.templating.list.filter((variable) => variable.type === 'query');
    const names = variables.flatMap((variable) => variableQueryMetricNames(typeof variable.query === 'string' ? variable.query : variable.query.query));
    expect(names.filter((name) => !isExported(name, families))).toEqual([]);
  });

  it('Prometheus (Compose) scrapes every service, at its port', () => {
    const config = readYaml<{ rule_files: string[]; scrape_configs: Array<{ job_name: string; static_configs?: Array<{ targets: string[] }> }> }>('deploy/prometheus/prometheus.yml');
    const targets = config.scrape_configs.find((job) => job.job_name === 'orderflow')!.static_configs!.flatMap((group) => group.targets);
    const compose = readCompose();
    for (const { name, port } of DEPLOYABLES) {
      expect(targets).toContain(`${name}:${port}`);
      expect(compose.services[name]).toBeDefined();
    }
    for (const file of config.rule_files) expect(fs.existsSync(repoPath('deploy/prometheus', file))).toBe(true);
  });
});

describe('alerts.yml', () => {
  const operations = readRepoFile('docs/OPERATIONS.md');
  const anchors = anchorsOf(operations);

  it('covers what the issue asks to be alerted on', () => {
    expect(alerts.map((alert) => alert.alert)).toEqual(
      expect.arrayContaining([
        'WebhookSignatureFailureBurst',
        'WebhookProcessingFailures',
        'EventsDeadLettered',
        'ConsumerLagGrowing',
        'FulfillmentFailed',
        'PartnerDeliveryFailureRate',
        'CircuitBreakerOpen',
        'UnmatchedPayment',
      ]),
    );
    expect(new Set(alerts.map((alert) => alert.alert)).size).toBe(alerts.length);
  });

  it('has a promtool unit test for every alert (deploy/prometheus/alerts.test.yml)', () => {
    const tests = readYaml<{ rule_files: string[]; tests: Array<{ alert_rule_test?: Array<{ alertname: string }> }> }>('deploy/prometheus/alerts.test.yml');
    expect(tests.rule_files).toEqual(['alerts.yml']);
    const tested = new Set(tests.tests.flatMap((test) => (test.alert_rule_test ?? []).map((check) => check.alertname)));
    expect(alerts.map((alert) => alert.alert).filter((name) => !tested.has(name))).toEqual([]);
  });

  it.each(alerts.map((alert) => [alert.alert, alert] as const))('%s has a severity, summary, description and a runbook in docs/OPERATIONS.md', (_name, alert) => {
    expect(['warning', 'critical']).toContain(alert.labels?.severity);
    expect(alert.annotations?.summary).toEqual(expect.any(String));
    expect(alert.annotations?.description).toEqual(expect.any(String));
    const runbook = alert.annotations?.runbook_url ?? '';
    const match = /^docs\/OPERATIONS\.md#([a-z0-9_-]+)$/.exec(runbook);
    expect(match).not.toBeNull();
    expect(anchors.has(match![1])).toBe(true);
  });
});

describe('Grafana', () => {
  it('provisions one Prometheus datasource, by the uid every panel names', () => {
    expect(datasources).toEqual([expect.objectContaining({ type: 'prometheus', uid: 'prometheus', url: 'http://prometheus:9090' })]);
    const provider = readYaml<{ providers: Array<{ options: { path: string } }> }>('deploy/grafana/provisioning/dashboards/orderflow.yml').providers[0];
    expect(readCompose().services.grafana.volumes).toContain(`./deploy/grafana/dashboards:${provider.options.path}:ro`);
  });

  it('has the three dashboards the issue names', () => {
    expect(dashboards.map(([, dashboard]) => dashboard.title).sort()).toEqual(['Partners', 'Pipeline', 'Webhook health']);
    expect(new Set(dashboards.map(([, dashboard]) => dashboard.uid)).size).toBe(3);
  });

  describe.each(dashboards)('%s', (_file, dashboard) => {
    it('is a current Grafana dashboard whose panels query the provisioned datasource', () => {
      expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
      for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
        expect({ panel: panel.title, uid: panel.datasource?.uid }).toEqual({ panel: panel.title, uid: datasources[0].uid });
        expect(panel.targets?.length).toBeGreaterThan(0);
        for (const target of panel.targets ?? []) expect(target.datasource?.uid).toBe(datasources[0].uid);
        if (panel.type === 'timeseries' || panel.type === 'stat') expect({ panel: panel.title, unit: typeof panel.fieldConfig?.defaults?.unit }).toEqual({ panel: panel.title, unit: 'string' });
      }
      for (const variable of dashboard.templating.list) expect(variable.datasource?.uid).toBe(datasources[0].uid);
    });

    it('lays its panels out on the 24-column grid without overlaps', () => {
      const cells = new Set<string>();
      for (const { gridPos, title } of dashboard.panels) {
        expect(gridPos.x + gridPos.w).toBeLessThanOrEqual(24);
        for (let x = gridPos.x; x < gridPos.x + gridPos.w; x++) {
          for (let y = gridPos.y; y < gridPos.y + gridPos.h; y++) {
            const cell = `${x},${y}`;
            expect({ title, overlaps: cells.has(cell) }).toEqual({ title, overlaps: false });
            cells.add(cell);
          }
        }
      }
    });
  });
});
