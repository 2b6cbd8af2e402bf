import { runKafkaTool, type KafkaTool, type ToolResult } from '@orderflow/apache-kafka';

/** One broker the Java tools are pointed at: its bootstrap address and the node ID it leads with. */
export interface ToolTarget {
  readonly name: 'embedded' | 'apache';
  readonly bootstrap: string;
  readonly nodeId: number;
}

export type OnBoth = Record<ToolTarget['name'], ToolResult>;

/**
 * Runs the same tool invocation against each target at once (`--bootstrap-server` first, as an
 * operator types it), so the reference's answer sits beside the embedded broker's.
 */
export async function onBoth(targets: readonly ToolTarget[], tool: KafkaTool, args: string[], input?: string): Promise<OnBoth> {
  const results = await Promise.all(targets.map((t) => runKafkaTool(tool, ['--bootstrap-server', t.bootstrap, ...args], { input })));
  return Object.fromEntries(targets.map((t, i) => [t.name, results[i]!])) as OnBoth;
}

/** Fails with what the tool printed when it did not exit 0. */
export function succeeded(result: ToolResult): string {
  if (result.code !== 0) throw new Error(`tool exited with ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
  return result.stdout;
}

/**
 * The rows of a table `kafka-consumer-groups` prints: a header line starting with GROUP and one
 * line per row below it, columns separated by spaces (no value the tests use contains one).
 */
export function tableRows(stdout: string): Array<Record<string, string>> {
  const lines = stdout.split('\n').map((l) => l.trim());
  const header = lines.findIndex((l) => l.startsWith('GROUP '));
  if (header < 0) return [];
  const columns = lines[header]!.split(/\s+/);
  const rows: Array<Record<string, string>> = [];
  for (const line of lines.slice(header + 1)) {
    const cells = line.split(/\s+/);
    if (cells.length !== columns.length) break;
    rows.push(Object.fromEntries(columns.map((c, i) => [c, cells[i]!])));
  }
  return rows;
}

/** Offsets and lag per partition from `--describe --group` rows, in partition order. */
export function lagByPartition(stdout: string): Array<{ partition: number; current: number; logEnd: number; lag: number }> {
  return tableRows(stdout)
    .map((r) => ({ partition: Number(r.PARTITION), current: Number(r['CURRENT-OFFSET']), logEnd: Number(r['LOG-END-OFFSET']), lag: Number(r.LAG) }))
    .sort((a, b) => a.partition - b.partition);
}

export interface TopicDescription {
  /** The description with the node ID and topic ID replaced by placeholders and the configs cut off. */
  readonly shape: string;
  readonly topicId: string | null;
  readonly configs: Record<string, string>;
}

/**
 * `kafka-topics --describe` output made comparable across brokers: what differs by nature (the
 * node's ID, the topic's ID, the broker's own settings in `Configs:`) is taken out and returned
 * beside the rest.
 */
export function topicDescription(stdout: string, nodeId: number): TopicDescription {
  const topicId = /\tTopicId: (\S+)/.exec(stdout)?.[1] ?? null;
  const configList = /\tConfigs: ?(\S*)/.exec(stdout)?.[1] ?? '';
  const configs = Object.fromEntries(
    configList
      .split(',')
      .filter(Boolean)
      .map((c) => c.split('=') as [string, string]),
  );
  const shape = stdout
    .replace(/\tTopicId: \S+/, '\tTopicId: <id>')
    .replace(/\tConfigs: ?\S*/, '\tConfigs: <configs>')
    .replace(new RegExp(`\\t(Leader|Replicas|Isr): ${nodeId}(?=\\t)`, 'g'), '\t$1: <node>');
  return { shape, topicId, configs };
}
