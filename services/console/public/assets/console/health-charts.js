import { useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { MinuteChart } from '../lib/chart.js';
import { Empty, ErrorNote, usePolling } from '../lib/components.js';
import { html } from '../lib/html.js';

const sum = (values) => values.reduce((a, v) => a + (v ?? 0), 0);
const lastOf = (values) => [...values].reverse().find((v) => v !== null && v !== undefined) ?? null;
const percent = (v) => `${Math.round(v * 100)}%`;
const ms = (seconds) => `${seconds === 0 || seconds * 1000 >= 10 ? Math.round(seconds * 1000) : (seconds * 1000).toFixed(1)} ms`;

/**
 * The last hour from the services' own metrics, sampled by the console: webhooks by source,
 * the ingress p99, processing failures, partner delivery success and consumer lag, per minute.
 * Refreshes as often as the console samples (at most every second, at least every 15 s).
 */
export function HealthCharts() {
  const [series, setSeries] = useState(null);
  const [error, setError] = useState(null);
  const refreshMs = Math.min(Math.max(series?.intervalMs ?? 15_000, 1_000), 15_000);
  usePolling(async () => {
    try {
      setSeries(await api('/console/api/health/series'));
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, refreshMs);
  if (error) return html`<${ErrorNote} error=${error} />`;
  if (!series) return html`<p class="loading">Loading…</p>`;
  const { webhooks, ingressP99, processingFailures, deliveries, consumerLag } = series;
  const p99 = lastOf(ingressP99);
  const lagNow = consumerLag.map((c) => ({ ...c, now: lastOf(c.lag) ?? 0 }));
  return html`<div class="charts">
    ${webhooks.length === 0 ? html`<${Empty}>No webhooks in the last hour.<//>` : webhooks.map((w) => html`<${MinuteChart}
      key=${w.source}
      kind="bars"
      title=${`Webhooks from ${w.source} per minute`}
      summary=${`${w.received.at(-1)} received, ${w.accepted.at(-1)} accepted, ${w.rejected.at(-1)} rejected, ${w.failed.at(-1)} failed this minute; ${sum(w.received)} received, ${sum(w.rejected)} rejected, ${sum(w.failed)} failed in the hour`}
      series=${[
        { name: 'accepted', values: w.accepted, tone: 'series-ok' },
        { name: 'rejected', values: w.rejected, tone: 'series-warn' },
        { name: 'failed', values: w.failed, tone: 'series-bad' },
      ]} />`)}
    <${MinuteChart}
      title="Ingress p99"
      summary=${p99 === null ? 'no webhooks in the last hour' : `${ms(p99)} in the latest minute with webhooks`}
      series=${[{ name: 'p99', values: ingressP99 }]}
      format=${ms} />
    <${MinuteChart}
      kind="bars"
      title="Processing failures per minute"
      summary=${`${processingFailures.handlerFailures.at(-1)} handler failures and ${processingFailures.deadLettered.at(-1)} dead-lettered this minute; ${sum(processingFailures.handlerFailures)} and ${sum(processingFailures.deadLettered)} in the hour`}
      series=${[
        { name: 'handler failures', values: processingFailures.handlerFailures, tone: 'series-warn' },
        { name: 'dead-lettered', values: processingFailures.deadLettered, tone: 'series-bad' },
      ]} />
    ${deliveries.length === 0 ? html`<${Empty}>No partner deliveries in the last hour.<//>` : html`<${MinuteChart}
      title="Partner delivery success rate"
      summary=${deliveries.map((d) => `${d.subscription}: ${lastOf(d.successRate) === null ? 'no attempts' : `${percent(lastOf(d.successRate))} of ${lastOf(d.attempts.map((n) => n || null))} attempts`} in its latest minute`).join('; ')}
      series=${deliveries.map((d) => ({ name: d.subscription, values: d.successRate }))}
      format=${percent}
      max=${1} />`}
    ${consumerLag.length === 0 ? html`<${Empty}>No consumer lag sampled yet.<//>` : html`<${MinuteChart}
      title="Consumer lag (messages)"
      summary=${`${sum(lagNow.map((c) => c.now))} messages behind now${lagNow.some((c) => c.now > 0) ? `, most in ${lagNow.reduce((a, c) => (c.now > a.now ? c : a)).group} on ${lagNow.reduce((a, c) => (c.now > a.now ? c : a)).topic}` : ''}`}
      series=${consumerLag.map((c) => ({ name: `${c.group} · ${c.topic}`, values: c.lag }))} />`}
  </div>`;
}
