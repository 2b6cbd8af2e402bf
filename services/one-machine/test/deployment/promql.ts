/**
 * The metric names a PromQL expression reads, found without a full parser: strings, label
 * matchers, ranges, grouping clauses and offsets are removed first, then every identifier not
 * followed by `(` (a function or aggregation) and not a keyword is a metric name.
 */
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'and', 'or', 'unless', 'inf', 'nan']);

export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\boffset\s+-?[0-9a-z$_]+/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const before = stripped[match.index - 1] ?? ' ';
    if (/[0-9.$]/.test(before)) continue; // 1e3, 0.5, $variable
    const after = stripped.slice(match.index + match[0].length).trimStart();
    if (after.startsWith('(')) continue;
    if (KEYWORDS.has(match[0].toLowerCase())) continue;
    names.add(match[0]);
  }
  return [...names];
}

/** A Grafana variable query (`label_values(metric{...}, label)`, `query_result(expr)`, or plain PromQL). */
export function variableQueryMetricNames(query: string): string[] {
  const labelValues = /^\s*label_values\(\s*(.*),\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*$/.exec(query);
  if (labelValues) return metricNames(labelValues[1]);
  const queryResult = /^\s*query_result\((.*)\)\s*$/.exec(query);
  return metricNames(queryResult ? queryResult[1] : query);
}

/** Names a Prometheus scrape adds to every target: no service exports them. */
export const SCRAPE_METRICS = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling', 'scrape_series_added']);

/**
 * The metric families a `/metrics` body declares (`# TYPE name type`), including those with no
 * sample yet: prom-client prints HELP and TYPE for every registered metric.
 */
export function exportedFamilies(body: string): Map<string, string> {
  const families = new Map<string, string>();
  for (const match of body.matchAll(/^# TYPE (\S+) (\S+)$/gm)) families.set(match[1], match[2]);
  return families;
}

/** Whether `name` is a series of one of `families`: a histogram's or summary's too. */
export function isExported(name: string, families: ReadonlyMap<string, string>): boolean {
  if (families.has(name)) return true;
  const suffixed = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (!suffixed) return false;
  const type = families.get(suffixed[1]);
  if (type === 'histogram') return true;
  return type === 'summary' && suffixed[2] !== 'bucket';
}
