import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { deadLetterTopic, eventCatalog, eventSourceSchema, Topics, type EventSource, type TopicName } from '@orderflow/events';
import { FULFILLMENT_GROUP, FULFILLMENT_READS } from '@orderflow/fulfillment';
import { NOTIFICATION_GROUP, NOTIFICATION_READS } from '@orderflow/notification';
import { ORDER_GROUP, ORDER_READS } from '@orderflow/order';
import { DISPATCH_GROUP, DISPATCH_READS } from '@orderflow/outbound-dispatch';
import { repoPath } from './deployment-files';

/**
 * docs/ARCHITECTURE.md is the newcomer's map. Its topic table is compared with what the code
 * says (the event catalog's topics and sources, and each service's consumer declaration), and
 * its use-case lists and links with the source tree, so the map cannot drift from the code.
 */

const DOC = 'docs/ARCHITECTURE.md';
const doc = readFileSync(repoPath(DOC), 'utf8');

/** The service that publishes a catalog source's events: the ingress speaks for the providers. */
const PUBLISHER: Record<EventSource, string> = {
  stripe: 'ingress',
  wix: 'ingress',
  ingress: 'ingress',
  checkout: 'order',
  order: 'order',
  fulfillment: 'fulfillment',
  notification: 'notification',
  dispatch: 'outbound-dispatch',
};

const PIPELINE = ['ingress', 'order', 'fulfillment', 'notification', 'outbound-dispatch'] as const;

/** Each consumer as its service declares it to defineService (`reads`); the ingress reads nothing. */
const PIPELINE_CONSUMERS: ReadonlyArray<{ service: string; group: string; topics: readonly string[] }> = [
  { service: 'order', group: ORDER_GROUP, topics: ORDER_READS },
  { service: 'fulfillment', group: FULFILLMENT_GROUP, topics: FULFILLMENT_READS },
  { service: 'notification', group: NOTIFICATION_GROUP, topics: NOTIFICATION_READS },
  { service: 'outbound-dispatch', group: DISPATCH_GROUP, topics: DISPATCH_READS },
];

/** The doc's block between `<!-- name:begin … -->` and `<!-- name:end -->`. */
function block(name: string): string {
  const match = new RegExp(`<!-- ${name}:begin[^>]*-->\\n([\\s\\S]*?)<!-- ${name}:end -->`).exec(doc);
  if (!match) throw new Error(`${DOC} has no ${name} block`);
  return match[1]!;
}

/** The topic table as the code declares it: event types, who writes, who reads (by consumer group). */
function topicTable(): string {
  const readers = (topic: string): string[] =>
    PIPELINE_CONSUMERS.filter((consumer) => consumer.topics.includes(topic)).map((consumer) => `${consumer.service} (\`${consumer.group}\`)`);
  const rows = (Object.values(Topics) as TopicName[]).map((topic) => {
    const entries = Object.entries(eventCatalog).filter(([, entry]) => entry.topic === topic);
    const types = entries.map(([type]) => `\`${type}\``);
    const writers = [...new Set(entries.map(([, entry]) => PUBLISHER[entry.source]))];
    const dlqWriters = readers(topic).map((reader) => reader.replace(/ \(.*/, ''));
    return [
      `| \`${topic}\` | ${types.join(', ')} | ${writers.join(', ')} | ${readers(topic).join(', ')} |`,
      `| \`${deadLetterTopic(topic)}\` | what a reader of \`${topic}\` could not handle | ${dlqWriters.join(', ')} | ${readers(deadLetterTopic(topic)).join(', ')} |`,
    ];
  });
  return ['| topic | event types | written by | read by (consumer group) |', '| --- | --- | --- | --- |', ...rows.flat(), ''].join('\n');
}

describe(DOC, () => {
  it('names a publisher for every source in the catalog', () => {
    expect(Object.keys(PUBLISHER).sort()).toEqual([...eventSourceSchema.options].sort());
  });

  it('has no topic that nothing writes or nothing reads', () => {
    for (const topic of Object.values(Topics)) {
      expect({ topic, written: Object.values(eventCatalog).some((entry) => entry.topic === topic) }).toEqual({ topic, written: true });
      expect({ topic, read: PIPELINE_CONSUMERS.some((consumer) => consumer.topics.includes(topic)) }).toEqual({ topic, read: true });
    }
  });

  it('declares one consumer per pipeline service that reads a topic, in a group named after the service', () => {
    for (const consumer of PIPELINE_CONSUMERS) {
      expect(PIPELINE).toContain(consumer.service);
      expect(consumer.group).toBe(`${consumer.service}-service`);
    }
  });

  it('has the topic table the catalog and the consumer declarations give', () => {
    const expected = topicTable();
    // On a difference, the message is the table to paste between the markers.
    expect(block('topics')).toBe(expected);
  });

  it("lists every file in each service's use-cases/ and nothing else", () => {
    const listed = [...block('use-cases').matchAll(/\]\(\.\.\/(services\/[^)]+\/src\/use-cases\/[^)]+)\)/g)].map((m) => m[1]!);
    const onDisk = PIPELINE.flatMap((service) =>
      readdirSync(repoPath('services', service, 'src', 'use-cases'))
        .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
        .map((file) => `services/${service}/src/use-cases/${file}`),
    );
    expect([...new Set(listed)].sort()).toEqual(onDisk.sort());
  });

  it('links only to files that exist', () => {
    const links = [...doc.matchAll(/\]\((\.\.\/[^)#]+)\)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(20);
    const missing = links.filter((link) => !existsSync(path.resolve(repoPath('docs'), link)));
    expect(missing).toEqual([]);
  });

  it('gives every pipeline service the same top-level folders in src/, those of services/README.md', () => {
    const folders = (service: string) =>
      readdirSync(repoPath('services', service, 'src'), { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && entry.name !== 'generated')
        .map((entry) => entry.name)
        .sort();
    for (const service of PIPELINE) expect({ service, folders: folders(service) }).toEqual({ service, folders: ['adapters', 'api', 'consumers', 'data', 'domain', 'use-cases'] });
  });
});
