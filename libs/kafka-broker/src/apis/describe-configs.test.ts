import type { BrokerContext } from '../broker-context';
import { ErrorCode } from '../protocol/error-codes';
import { Reader } from '../protocol/reader';
import { decode, encode } from '../protocol/schema';
import { Writer } from '../protocol/writer';
import type { RequestContext } from './api';
import { describeConfigsApi } from './describe-configs';

/** kafkajs's own DescribeConfigs encoder and decoder: a second implementation of the wire format. */
interface KafkajsProtocol {
  request: { apiKey: number; encode(): Promise<{ buffer: Buffer }> };
  response: { decode(buf: Buffer): Promise<{ resources: Array<Record<string, unknown>> }> };
}

function kafkajs(version: number, args: object): KafkajsProtocol {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require('kafkajs/src/protocol/requests/describeConfigs') as { protocol(o: { version: number }): (args: object) => KafkajsProtocol };
  return mod.protocol({ version })(args);
}

const TOPIC = 2;
const BROKER = 4;

function contextWith(topics: Record<string, Record<string, string>>): RequestContext {
  const broker = {
    settings: { nodeId: 0, maxMessageBytes: 1024 * 1024 + 12 },
    topics: {
      get: (name: string) => (topics[name] ? { name, configs: topics[name] } : undefined),
      defaultLogConfig: { segmentBytes: 64 * 1024 * 1024, retentionMs: 7 * 24 * 3600 * 1000, retentionBytes: -1 },
    },
  } as unknown as BrokerContext;
  return { broker, clientId: 'kafkajs', connectionId: 1, remoteAddress: '127.0.0.1:50000', closed: new Promise(() => {}) };
}

async function call(version: number, args: object, ctx: RequestContext) {
  const { request, response } = kafkajs(version, args);
  expect(request.apiKey).toBe(describeConfigsApi.key);
  const r = new Reader((await request.encode()).buffer);
  const req = decode(describeConfigsApi.request, r, version);
  expect(r.remaining).toBe(0);
  const w = new Writer();
  encode(describeConfigsApi.response, w, await describeConfigsApi.handle(req as never, version, ctx), version);
  return (await response.decode(Buffer.concat(w.toChunks()))).resources;
}

describe.each([1, 2])('DescribeConfigs v%i through kafkajs', (version) => {
  const ctx = contextWith({ orders: { 'retention.ms': '3600000' } });

  it("describes a topic's configs: its override from the topic, this broker's own defaults, and Kafka's", async () => {
    const [resource] = await call(version, { resources: [{ type: TOPIC, name: 'orders' }], includeSynonyms: true }, ctx);
    expect(resource).toMatchObject({ errorCode: ErrorCode.NONE, resourceType: TOPIC, resourceName: 'orders' });
    const entries = new Map((resource!.configEntries as Array<{ configName: string }>).map((e) => [e.configName, e]));
    expect(entries.get('retention.ms')).toMatchObject({
      configValue: '3600000',
      isDefault: false,
      configSource: 1,
      configSynonyms: [
        { configName: 'retention.ms', configValue: '3600000', configSource: 1 },
        { configName: 'log.retention.ms', configValue: '604800000', configSource: 5 },
      ],
    });
    expect(entries.get('segment.bytes')).toMatchObject({ configValue: String(64 * 1024 * 1024), isDefault: false, configSource: 4 });
    expect(entries.get('cleanup.policy')).toMatchObject({ configValue: 'delete', isDefault: true, configSource: 5 });
    expect(entries.get('max.message.bytes')).toMatchObject({ configValue: '1048588', isDefault: true });
  });

  it('answers only the keys asked for, an unknown topic and a non-topic resource with their own errors', async () => {
    const resources = await call(
      version,
      {
        resources: [
          { type: TOPIC, name: 'orders', configNames: ['retention.ms'] },
          { type: TOPIC, name: 'missing' },
          { type: BROKER, name: '0' },
        ],
      },
      ctx,
    );
    expect(resources.map((r) => r.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.INVALID_REQUEST]);
    expect((resources[0]!.configEntries as Array<{ configName: string }>).map((e) => e.configName)).toEqual(['retention.ms']);
  });
});
