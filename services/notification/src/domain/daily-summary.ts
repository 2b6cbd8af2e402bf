// Type aliases, not interfaces: a report is rendered as a template view, which needs them.
export type ActivityRow = {
  source: string;
  received: number;
  retried: number;
  failed: number;
};

export type ActivityReport = {
  date: string;
  sources: ActivityRow[];
  types: Array<ActivityRow & { type: string }>;
  totals: Omit<ActivityRow, 'source'>;
};

/**
 * The day whose summary is due at `now` with the summary at `hour` UTC: yesterday once today's
 * hour has come, the day before until then. Asking again and again is harmless (one summary per
 * date), and a service that was down at the hour sends it when it is back.
 */
export function dueSummaryDate(now: Date, hour: number): string {
  const shifted = new Date(now.getTime() - hour * 3_600_000);
  shifted.setUTCDate(shifted.getUTCDate() - 1);
  return shifted.toISOString().slice(0, 10);
}

/** A day's report from its activity rows (ordered by source, then type): totals per source and overall. */
export function activityReport(date: string, rows: ReadonlyArray<ActivityRow & { type: string }>): ActivityReport {
  const sources = new Map<string, ActivityRow>();
  const totals = { received: 0, retried: 0, failed: 0 };
  for (const row of rows) {
    const source = sources.get(row.source) ?? { source: row.source, received: 0, retried: 0, failed: 0 };
    for (const key of ['received', 'retried', 'failed'] as const) {
      source[key] += row[key];
      totals[key] += row[key];
    }
    sources.set(row.source, source);
  }
  return { date, sources: [...sources.values()], types: rows.map(({ source, type, received, retried, failed }) => ({ source, type, received, retried, failed })), totals };
}
