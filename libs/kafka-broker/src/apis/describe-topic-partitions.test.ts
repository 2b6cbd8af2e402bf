import type { BrokerContext } from '../broker-context';
import { ErrorCode } from '../protocol/error-codes';
import { Reader } from '../protocol/reader';
import { decode, encode } from '../protocol/schema';
import { Writer } from '../protocol/writer';
import type { RequestContext } from './api';
import { describeTopicPartitionsApi } from './describe-topic-partitions';

const TOPICS = [
  { name: 'b-orders', id: '0b4d7c0e-1111-4a4a-8b8b-000000000001', partitions: [{}, {}, {}] },
  { name: 'a-events', id: '0b4d7c0e-2222-4a4a-8b8b-000000000002', partitions: [{}, {}] },
];

const ctx: RequestContext = {
  broker: {
    settings: { nodeId: 0 },
    topics: { list: () => TOPICS, get: (name: string) => TOPICS.find((t) => t.name === name) },
  } as unknown as BrokerContext,
  clientId: 'tools',
  connectionId: 1,
  remoteAddress: '127.0.0.1:50000',
  closed: new Promise(() => {}),
};

interface Answer {
  topics: Array<{ errorCode: number; name: string; topicId: Buffer; partitions: Array<{ partitionIndex: number; eligibleLeaderReplicas: number[] | null }> }>;
  nextCursor: { topicName: string; partitionIndex: number } | null;
}

/** A request encoded and decoded as bytes, answered, and the answer encoded and decoded again. */
async function roundTrip(request: object): Promise<Answer> {
  const w = new Writer();
  encode(describeTopicPartitionsApi.request, w, request, 0);
  const r = new Reader(Buffer.concat(w.toChunks()));
  const decoded = decode(describeTopicPartitionsApi.request, r, 0);
  expect(r.remaining).toBe(0);
  const out = new Writer();
  encode(describeTopicPartitionsApi.response, out, await describeTopicPartitionsApi.handle(decoded as never, 0, ctx), 0);
  const answer = new Reader(Buffer.concat(out.toChunks()));
  const result = decode<Answer>(describeTopicPartitionsApi.response, answer, 0);
  expect(answer.remaining).toBe(0);
  return result;
}

const seen = (a: Answer) => a.topics.flatMap((t) => t.partitions.map((p) => `${t.name}:${p.partitionIndex}`));

describe('DescribeTopicPartitions v0', () => {
  it('describes every topic in name order with its ID and empty ELR lists when no topic is named', async () => {
    const answer = await roundTrip({ topics: [], responsePartitionLimit: 2000, cursor: null });
    expect(seen(answer)).toEqual(['a-events:0', 'a-events:1', 'b-orders:0', 'b-orders:1', 'b-orders:2']);
    expect(answer.topics[1]!.topicId.toString('hex')).toBe('0b4d7c0e11114a4a8b8b000000000001');
    expect(answer.topics[0]!.partitions[0]!.eligibleLeaderReplicas).toEqual([]);
    expect(answer.nextCursor).toBeNull();
  });

  it('pages by the partition limit and continues from the cursor it returned', async () => {
    const first = await roundTrip({ topics: [], responsePartitionLimit: 3, cursor: null });
    expect(seen(first)).toEqual(['a-events:0', 'a-events:1', 'b-orders:0']);
    expect(first.nextCursor).toEqual({ topicName: 'b-orders', partitionIndex: 1 });
    const rest = await roundTrip({ topics: [], responsePartitionLimit: 3, cursor: first.nextCursor });
    expect(seen(rest)).toEqual(['b-orders:1', 'b-orders:2']);
    expect(rest.nextCursor).toBeNull();
  });

  it('answers an unknown topic with UNKNOWN_TOPIC_OR_PARTITION and a cursor outside the named topics with INVALID_REQUEST', async () => {
    const unknown = await roundTrip({ topics: [{ name: 'missing' }, { name: 'a-events' }], responsePartitionLimit: 2000, cursor: null });
    expect(unknown.topics.map((t) => [t.name, t.errorCode])).toEqual([
      ['a-events', ErrorCode.NONE],
      ['missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
    const stray = await roundTrip({ topics: [{ name: 'a-events' }], responsePartitionLimit: 2000, cursor: { topicName: 'b-orders', partitionIndex: 0 } });
    expect(stray.topics.map((t) => t.errorCode)).toEqual([ErrorCode.INVALID_REQUEST]);
  });
});
