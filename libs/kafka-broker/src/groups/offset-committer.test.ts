import { waitFor } from '@orderflow/testing';
import { joinNew, joinRequest, newCoordinator, settings, track } from '../../test/group-harness';
import { silentLogger } from '../logger';
import { BrokerMetrics } from '../metrics';
import { ErrorCode } from '../protocol/error-codes';
import { GroupCoordinator } from './group-coordinator';
import type { OffsetCommitRequest } from './offset-committer';
import type { OffsetStore } from './offset-store';

function commitRequest(groupId: string, overrides: Partial<OffsetCommitRequest> = {}): OffsetCommitRequest {
  return {
    groupId,
    memberId: '',
    generationId: -1,
    groupInstanceId: null,
    offsets: [{ topic: 't', partition: 0, offset: 42, leaderEpoch: -1, metadata: null }],
    ...overrides,
  };
}

describe('GroupCoordinator offsets and listings', () => {
  let c: GroupCoordinator;
  let offsets: OffsetStore;
  beforeEach(async () => ({ coordinator: c, offsets } = await newCoordinator()));
  afterEach(() => c.close());

  async function stableMember(groupId: string): Promise<{ memberId: string; generationId: number }> {
    const r = await joinNew(c, joinRequest(groupId));
    await c.sync({ groupId, generationId: r.generationId, memberId: r.memberId, assignments: [{ memberId: r.memberId, assignment: Buffer.from('x') }] });
    return r;
  }

  it('accepts a simple commit (generation -1, no member) for a group without members, creating it', async () => {
    expect(await c.commitOffsets(commitRequest('simple'))).toEqual([ErrorCode.NONE]);
    expect(offsets.fetch('simple', 't', 0)).toMatchObject({ offset: 42, metadata: '' });
    expect(c.groupState('simple')).toBe('Empty');
    expect(c.list().groups).toContainEqual({ groupId: 'simple', protocolType: '', groupState: 'Empty' });
    // A stale generation for a group the coordinator does not know is refused.
    expect(await c.commitOffsets(commitRequest('unknown', { generationId: 3, memberId: 'm' }))).toEqual([ErrorCode.ILLEGAL_GENERATION]);
  });

  it('refuses simple commits while the group has members, and checks member and generation', async () => {
    const m = await stableMember('g');
    expect(await c.commitOffsets(commitRequest('g'))).toEqual([ErrorCode.UNKNOWN_MEMBER_ID]);
    expect(await c.commitOffsets(commitRequest('g', { memberId: 'ghost', generationId: m.generationId }))).toEqual([ErrorCode.UNKNOWN_MEMBER_ID]);
    expect(await c.commitOffsets(commitRequest('g', { memberId: m.memberId, generationId: 0 }))).toEqual([ErrorCode.ILLEGAL_GENERATION]);
    expect(await c.commitOffsets(commitRequest('g', { memberId: m.memberId, generationId: m.generationId }))).toEqual([ErrorCode.NONE]);
    expect(offsets.fetch('g', 't', 0)?.offset).toBe(42);
  });

  it('answers REBALANCE_IN_PROGRESS in CompletingRebalance but accepts commits during PreparingRebalance', async () => {
    const m = await joinNew(c, joinRequest('g'));
    expect(c.groupState('g')).toBe('CompletingRebalance');
    expect(await c.commitOffsets(commitRequest('g', { memberId: m.memberId, generationId: 1 }))).toEqual([ErrorCode.REBALANCE_IN_PROGRESS]);
    await c.sync({ groupId: 'g', generationId: 1, memberId: m.memberId, assignments: [] });

    const joining = track(joinNew(c, joinRequest('g')));
    await waitFor(() => c.groupState('g') === 'PreparingRebalance');
    // Revoking partitions before rejoining, a member commits what it processed.
    expect(await c.commitOffsets(commitRequest('g', { memberId: m.memberId, generationId: 1 }))).toEqual([ErrorCode.NONE]);
    await c.join(joinRequest('g', { memberId: m.memberId }));
    await waitFor(() => joining.settled());
  });

  it('rejects metadata longer than offset.metadata.max.bytes per partition', async () => {
    const result = await c.commitOffsets(
      commitRequest('g', {
        offsets: [
          { topic: 't', partition: 0, offset: 1, leaderEpoch: 3, metadata: 'x'.repeat(4097) },
          { topic: 't', partition: 1, offset: 2, leaderEpoch: 3, metadata: 'ok' },
        ],
      }),
    );
    expect(result).toEqual([ErrorCode.OFFSET_METADATA_TOO_LARGE, ErrorCode.NONE]);
    expect(offsets.fetch('g', 't', 0)).toBeUndefined();
    expect(offsets.fetch('g', 't', 1)).toMatchObject({ offset: 2, leaderEpoch: 3, metadata: 'ok' });
  });

  it('fetches -1 for uncommitted partitions and everything committed for null topics', async () => {
    await c.commitOffsets(
      commitRequest('g', {
        offsets: [
          { topic: 'b', partition: 1, offset: 10, leaderEpoch: 2, metadata: 'm' },
          { topic: 'a', partition: 0, offset: 5, leaderEpoch: -1, metadata: null },
        ],
      }),
    );
    expect(c.fetchOffsets('g', [{ name: 'b', partitionIndexes: [1, 2] }])).toEqual({
      errorCode: 0,
      topics: [
        {
          name: 'b',
          partitions: [
            { partitionIndex: 1, committedOffset: 10, committedLeaderEpoch: 2, metadata: 'm', errorCode: 0 },
            { partitionIndex: 2, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
          ],
        },
      ],
    });
    const all = c.fetchOffsets('g', null);
    expect(all.topics.map((t) => [t.name, t.partitions.map((p) => p.committedOffset)]).sort()).toEqual([
      ['a', [5]],
      ['b', [10]],
    ]);
    expect(c.fetchOffsets('nobody', null)).toEqual({ errorCode: 0, topics: [] });
  });

  it('describes groups with Kafka state names, and metadata and assignments only when Stable', async () => {
    expect(c.describe('missing')).toMatchObject({ errorCode: 0, groupState: 'Dead', members: [] });
    const m = await joinNew(c, joinRequest('g', { clientId: 'svc' }));
    expect(c.describe('g')).toMatchObject({
      groupState: 'CompletingRebalance',
      protocolType: 'consumer',
      protocolData: '',
      members: [{ memberId: m.memberId, clientId: 'svc', clientHost: '/127.0.0.1', memberMetadata: Buffer.alloc(0) }],
    });
    await c.sync({ groupId: 'g', generationId: 1, memberId: m.memberId, assignments: [{ memberId: m.memberId, assignment: Buffer.from('as') }] });
    expect(c.describe('g')).toMatchObject({
      groupState: 'Stable',
      protocolData: 'range',
      members: [{ memberId: m.memberId, memberMetadata: Buffer.from('m'), memberAssignment: Buffer.from('as') }],
    });
    expect(c.list()).toEqual({ errorCode: 0, groups: [{ groupId: 'g', protocolType: 'consumer', groupState: 'Stable' }] });
  });

  it('deletes only Empty groups, with their offsets', async () => {
    await stableMember('busy');
    await c.commitOffsets(commitRequest('idle'));
    expect(await c.deleteGroup('busy')).toBe(ErrorCode.NON_EMPTY_GROUP);
    expect(await c.deleteGroup('nope')).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    expect(await c.deleteGroup('idle')).toBe(ErrorCode.NONE);
    expect(offsets.fetch('idle', 't', 0)).toBeUndefined();
    expect(c.list().groups.map((g) => g.groupId)).toEqual(['busy']);
  });

  it('lists groups that only have committed offsets after a restart', async () => {
    await c.commitOffsets(commitRequest('remembered'));
    const again = new GroupCoordinator({ offsets, settings, metrics: new BrokerMetrics(), logger: silentLogger });
    expect(again.list().groups).toEqual([{ groupId: 'remembered', protocolType: '', groupState: 'Empty' }]);
    await again.close();
  });
});
