import { joinRequest, newCoordinator } from '../../test/group-harness';
import type { BrokerContext } from '../broker-context';
import type { GroupCoordinator } from '../groups/group-coordinator';
import { ErrorCode } from '../protocol/error-codes';
import { Reader } from '../protocol/reader';
import { decode, encode } from '../protocol/schema';
import { Writer } from '../protocol/writer';
import type { AnyApi, RequestContext } from './api';
import { describeGroupsApi } from './describe-groups';
import { findCoordinatorApi } from './find-coordinator';
import { heartbeatApi } from './heartbeat';
import { joinGroupApi } from './join-group';
import { leaveGroupApi } from './leave-group';
import { listGroupsApi } from './list-groups';
import { offsetCommitApi } from './offset-commit';
import { offsetFetchApi } from './offset-fetch';
import { syncGroupApi } from './sync-group';

/**
 * Wire compatibility with kafkajs without a socket: kafkajs's own request
 * encoders produce the bytes our schemas decode, our handlers answer, and
 * kafkajs's response decoders and parsers read the result.
 */

interface KafkajsProtocol {
  request: { apiKey: number; apiVersion: number; encode(): Promise<{ buffer: Buffer }> };
  response: { decode(buf: Buffer): Promise<Record<string, unknown>>; parse(data: unknown): Promise<Record<string, unknown>> };
}

function kafkajs(name: string, version: number, args: object): KafkajsProtocol {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(`kafkajs/src/protocol/requests/${name}`) as { protocol(o: { version: number }): (args: object) => KafkajsProtocol };
  return mod.protocol({ version })(args);
}

function encodeResponse(api: AnyApi, body: unknown, version: number): Buffer {
  const w = new Writer();
  encode(api.response, w, body as object, version);
  return Buffer.concat(w.toChunks());
}

/** Sends one kafkajs request through our API and returns kafkajs's parsed view (or its thrown error). */
async function call(api: AnyApi, name: string, version: number, args: object, ctx: RequestContext): Promise<Record<string, unknown>> {
  const { request, response } = kafkajs(name, version, args);
  expect(request.apiKey).toBe(api.key);
  const r = new Reader((await request.encode()).buffer);
  const req = decode(api.request, r, version);
  expect(r.remaining).toBe(0);
  const body = await api.handle(req as never, version, ctx);
  return response.parse(await response.decode(encodeResponse(api, body, version)));
}

function contextFor(groups: GroupCoordinator): RequestContext {
  const broker = {
    settings: { nodeId: 0 },
    advertised: { host: '127.0.0.1', port: 19092 },
    groups,
    topics: { partition: (topic: string, partition: number) => (topic === 'known' && partition < 3 ? {} : undefined) },
  } as unknown as BrokerContext;
  return { broker, clientId: 'kafkajs', connectionId: 1, remoteAddress: '127.0.0.1:50000', closed: new Promise(() => {}) };
}

// One row per kafkajs version set, oldest to newest.
const versionSets = [
  { join: 0, sync: 0, heartbeat: 0, leave: 0, commit: 2, fetch: 1, describe: 0, list: 0, find: 0 },
  { join: 1, sync: 1, heartbeat: 1, leave: 1, commit: 3, fetch: 2, describe: 1, list: 1, find: 1 },
  { join: 2, sync: 2, heartbeat: 2, leave: 2, commit: 4, fetch: 3, describe: 2, list: 2, find: 2 },
  { join: 3, sync: 2, heartbeat: 2, leave: 2, commit: 4, fetch: 3, describe: 2, list: 2, find: 2 },
  { join: 4, sync: 3, heartbeat: 3, leave: 3, commit: 5, fetch: 4, describe: 2, list: 2, find: 2 },
  { join: 5, sync: 3, heartbeat: 3, leave: 3, commit: 5, fetch: 4, describe: 2, list: 2, find: 2 },
];

describe.each(versionSets)('group APIs with kafkajs encoders: JoinGroup v$join, SyncGroup v$sync, OffsetCommit v$commit, OffsetFetch v$fetch', (v) => {
  let groups: GroupCoordinator;
  let ctx: RequestContext;
  beforeEach(async () => {
    groups = (await newCoordinator()).coordinator;
    ctx = contextFor(groups);
  });
  afterEach(() => groups.close());

  it('runs a member through find, join, sync, heartbeat, commit, fetch, describe, list and leave', async () => {
    const found = await call(findCoordinatorApi, 'findCoordinator', v.find, { groupId: 'g' }, ctx);
    expect(found).toMatchObject({ errorCode: 0, coordinator: { nodeId: 0, host: '127.0.0.1', port: 19092 } });

    const joinArgs = {
      groupId: 'g',
      sessionTimeout: 10_000,
      rebalanceTimeout: 5_000,
      memberId: '',
      protocolType: 'consumer',
      groupProtocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.from('meta') }],
    };
    let memberId = '';
    if (v.join >= 4) {
      // kafkajs turns MEMBER_ID_REQUIRED into an error carrying the ID, then rejoins with it.
      const err = await call(joinGroupApi, 'joinGroup', v.join, joinArgs, ctx).catch((e: { name: string; memberId: string }) => e);
      expect(err).toMatchObject({ name: 'KafkaJSMemberIdRequired' });
      memberId = (err as { memberId: string }).memberId;
      expect(memberId).toMatch(/^kafkajs-/);
    }
    const joined = await call(joinGroupApi, 'joinGroup', v.join, { ...joinArgs, memberId }, ctx);
    memberId = joined.memberId as string;
    expect(joined).toMatchObject({ errorCode: 0, generationId: 1, groupProtocol: 'RoundRobinAssigner', leaderId: memberId });
    expect(joined.members).toEqual([expect.objectContaining({ memberId, memberMetadata: Buffer.from('meta') })]);

    const synced = await call(syncGroupApi, 'syncGroup', v.sync, {
      groupId: 'g',
      generationId: 1,
      memberId,
      groupAssignment: [{ memberId, memberAssignment: Buffer.from('assigned') }],
    }, ctx);
    expect(synced).toMatchObject({ errorCode: 0, memberAssignment: Buffer.from('assigned') });

    expect(await call(heartbeatApi, 'heartbeat', v.heartbeat, { groupId: 'g', groupGenerationId: 1, memberId }, ctx)).toMatchObject({ errorCode: 0 });
    const stale = await call(heartbeatApi, 'heartbeat', v.heartbeat, { groupId: 'g', groupGenerationId: 0, memberId }, ctx).catch((e: { type: string }) => e);
    expect(stale).toMatchObject({ type: 'ILLEGAL_GENERATION' });

    const committed = await call(offsetCommitApi, 'offsetCommit', v.commit, {
      groupId: 'g',
      groupGenerationId: 1,
      memberId,
      topics: [{ topic: 'known', partitions: [{ partition: 1, offset: '17' }] }],
    }, ctx);
    expect(committed).toMatchObject({ responses: [{ topic: 'known', partitions: [{ partition: 1, errorCode: 0 }] }] });
    const unknownTopic = await call(offsetCommitApi, 'offsetCommit', v.commit, {
      groupId: 'g',
      groupGenerationId: 1,
      memberId,
      topics: [{ topic: 'missing', partitions: [{ partition: 0, offset: '1' }] }],
    }, ctx).catch((e: { type: string }) => e);
    expect(unknownTopic).toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION' });

    const fetched = await call(offsetFetchApi, 'offsetFetch', v.fetch, { groupId: 'g', topics: [{ topic: 'known', partitions: [{ partition: 1 }, { partition: 2 }] }] }, ctx);
    expect(fetched).toMatchObject({
      responses: [{ topic: 'known', partitions: [{ partition: 1, offset: '17', errorCode: 0 }, { partition: 2, offset: '-1', errorCode: 0 }] }],
    });

    const described = await call(describeGroupsApi, 'describeGroups', v.describe, { groupIds: ['g', 'missing'] }, ctx);
    expect(described).toMatchObject({
      groups: [
        {
          errorCode: 0,
          groupId: 'g',
          state: 'Stable',
          protocolType: 'consumer',
          protocol: 'RoundRobinAssigner',
          members: [{ memberId, clientId: 'kafkajs', clientHost: '/127.0.0.1', memberMetadata: Buffer.from('meta'), memberAssignment: Buffer.from('assigned') }],
        },
        { errorCode: 0, groupId: 'missing', state: 'Dead', members: [] },
      ],
    });
    expect(await call(listGroupsApi, 'listGroups', v.list, {}, ctx)).toMatchObject({ errorCode: 0, groups: [{ groupId: 'g', protocolType: 'consumer' }] });

    expect(await call(leaveGroupApi, 'leaveGroup', v.leave, { groupId: 'g', memberId }, ctx)).toMatchObject({ errorCode: 0 });
    expect(groups.groupState('g')).toBe('Empty');
    const again = await call(leaveGroupApi, 'leaveGroup', v.leave, { groupId: 'g', memberId }, ctx).catch((e: { type: string }) => e);
    expect(again).toMatchObject({ type: 'UNKNOWN_MEMBER_ID' });
  });

  it('fails every part of each request with an injected error code', async () => {
    const cases: Array<[AnyApi, string, number, object]> = [
      [findCoordinatorApi, 'findCoordinator', v.find, { groupId: 'g' }],
      [joinGroupApi, 'joinGroup', v.join, { ...joinRequest('g'), sessionTimeout: 1, rebalanceTimeout: 1, groupProtocols: [] }],
      [syncGroupApi, 'syncGroup', v.sync, { groupId: 'g', generationId: 1, memberId: 'm', groupAssignment: [] }],
      [heartbeatApi, 'heartbeat', v.heartbeat, { groupId: 'g', groupGenerationId: 1, memberId: 'm' }],
      [leaveGroupApi, 'leaveGroup', v.leave, { groupId: 'g', memberId: 'm' }],
      [offsetCommitApi, 'offsetCommit', v.commit, { groupId: 'g', groupGenerationId: 1, memberId: 'm', topics: [{ topic: 'known', partitions: [{ partition: 0, offset: '1' }] }] }],
      [offsetFetchApi, 'offsetFetch', v.fetch, { groupId: 'g', topics: [{ topic: 'known', partitions: [{ partition: 0 }] }] }],
      [describeGroupsApi, 'describeGroups', v.describe, { groupIds: ['g'] }],
      [listGroupsApi, 'listGroups', v.list, {}],
    ];
    for (const [api, name, version, args] of cases) {
      const { request, response } = kafkajs(name, version, args);
      const req = decode(api.request, new Reader((await request.encode()).buffer), version);
      const body = api.errorResponse(req as never, version, ErrorCode.COORDINATOR_NOT_AVAILABLE);
      const err = await response.parse(await response.decode(encodeResponse(api, body, version))).catch((e: { type: string }) => e);
      expect([name, (err as { code?: number }).code]).toEqual([name, ErrorCode.COORDINATOR_NOT_AVAILABLE]);
    }
  });
});

describe('FindCoordinator', () => {
  it('answers transaction coordinator lookups with this broker and rejects unknown key types', async () => {
    const { coordinator } = await newCoordinator();
    const ctx = contextFor(coordinator);
    const txn = await call(findCoordinatorApi, 'findCoordinator', 1, { groupId: 'tx-1', coordinatorType: 1 }, ctx);
    expect(txn).toMatchObject({ errorCode: 0, coordinator: { nodeId: 0, port: 19092 } });
    const bad = await call(findCoordinatorApi, 'findCoordinator', 1, { groupId: 'x', coordinatorType: 7 }, ctx).catch((e: { type: string }) => e);
    expect(bad).toMatchObject({ type: 'INVALID_REQUEST' });
    await coordinator.close();
  });
});
