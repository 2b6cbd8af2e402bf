import { waitFor } from '@orderflow/testing';
import { joinNew, joinRequest, metricValue, newCoordinator, track } from '../../test/group-harness';
import { ErrorCode } from '../protocol/error-codes';
import type { GroupCoordinator } from './group-coordinator';

describe('GroupCoordinator rebalance protocol', () => {
  let c: GroupCoordinator;
  let metrics: Awaited<ReturnType<typeof newCoordinator>>['metrics'];
  beforeEach(async () => ({ coordinator: c, metrics } = await newCoordinator()));
  afterEach(() => c.close());

  it('asks a new v4+ member for a member ID first (KIP-394), then forms generation 1 with it as leader', async () => {
    const first = await c.join(joinRequest('g', { clientId: 'app' }));
    expect(first).toMatchObject({ errorCode: ErrorCode.MEMBER_ID_REQUIRED, generationId: -1 });
    expect(first.memberId).toMatch(/^app-[0-9a-f-]{36}$/);
    expect(c.groupState('g')).toBe('Empty');

    const joined = await c.join(joinRequest('g', { memberId: first.memberId }));
    expect(joined).toMatchObject({ errorCode: 0, generationId: 1, leader: first.memberId, memberId: first.memberId, protocolName: 'range' });
    expect(joined.members).toEqual([{ memberId: first.memberId, groupInstanceId: null, metadata: Buffer.from('m') }]);
    expect(c.groupState('g')).toBe('CompletingRebalance');
    expect(c.heartbeat('g', first.memberId, 1)).toBe(ErrorCode.NONE);

    const synced = await c.sync({ groupId: 'g', generationId: 1, memberId: first.memberId, assignments: [{ memberId: first.memberId, assignment: Buffer.from('a') }] });
    expect(synced).toMatchObject({ errorCode: 0, assignment: Buffer.from('a') });
    expect(c.groupState('g')).toBe('Stable');
    expect(await metricValue(metrics, 'rebalances', 'g')).toBe(1);
    expect(await metricValue(metrics, 'groupMembers', 'g')).toBe(1);
  });

  it('joins older clients (v0-v3) directly, without MEMBER_ID_REQUIRED', async () => {
    const r = await c.join(joinRequest('g', { requireKnownMemberId: false }));
    expect(r).toMatchObject({ errorCode: 0, generationId: 1 });
    expect(r.leader).toBe(r.memberId);
  });

  it('rebalances when a member joins: everyone rejoins, the leader gets all metadata, followers wait for its assignment', async () => {
    const a = await joinNew(c, joinRequest('g'));
    await c.sync({ groupId: 'g', generationId: 1, memberId: a.memberId, assignments: [] });

    const bJoin = track(joinNew(c, joinRequest('g', { protocols: [{ name: 'range', metadata: Buffer.from('b') }] })));
    await waitFor(() => c.groupState('g') === 'PreparingRebalance');
    // The old member learns of the rebalance from its heartbeat; the newcomer waits in JoinGroup.
    expect(c.heartbeat('g', a.memberId, 1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(bJoin.settled()).toBe(false);

    const aJoin = await c.join(joinRequest('g', { memberId: a.memberId }));
    await waitFor(() => bJoin.settled());
    const b = bJoin.value();
    expect(aJoin).toMatchObject({ errorCode: 0, generationId: 2, leader: a.memberId });
    expect(b).toMatchObject({ errorCode: 0, generationId: 2, leader: a.memberId, members: [] });
    expect(aJoin.members.map((m) => [m.memberId, m.metadata.toString()]).sort()).toEqual(
      [
        [a.memberId, 'm'],
        [b.memberId, 'b'],
      ].sort(),
    );
    // In CompletingRebalance heartbeats are fine and commits must wait for the assignment.
    expect(c.heartbeat('g', b.memberId, 2)).toBe(ErrorCode.NONE);
    expect(c.heartbeat('g', b.memberId, 1)).toBe(ErrorCode.ILLEGAL_GENERATION);

    const bSync = track(c.sync({ groupId: 'g', generationId: 2, memberId: b.memberId, assignments: [] }));
    await new Promise((r) => setImmediate(r));
    expect(bSync.settled()).toBe(false);
    const aSync = await c.sync({
      groupId: 'g',
      generationId: 2,
      memberId: a.memberId,
      assignments: [
        { memberId: a.memberId, assignment: Buffer.from('for-a') },
        { memberId: b.memberId, assignment: Buffer.from('for-b') },
      ],
    });
    expect(aSync.assignment.toString()).toBe('for-a');
    await waitFor(() => bSync.settled());
    expect(bSync.value()).toMatchObject({ errorCode: 0, protocolType: 'consumer', protocolName: 'range' });
    expect(bSync.value().assignment.toString()).toBe('for-b');
    expect(c.groupState('g')).toBe('Stable');
    expect(await metricValue(metrics, 'rebalances', 'g')).toBe(2);
    expect(await metricValue(metrics, 'groupMembers', 'g')).toBe(2);
  });

  it('answers a follower that rejoins with unchanged metadata in Stable without a rebalance, but rebalances for the leader', async () => {
    const [a, b] = await formGroup(c, 'g', 2);
    const again = await c.join(joinRequest('g', { memberId: b }));
    expect(again).toMatchObject({ errorCode: 0, generationId: 2, leader: a, members: [] });
    expect(c.groupState('g')).toBe('Stable');

    const leaderJoin = track(c.join(joinRequest('g', { memberId: a })));
    expect(c.groupState('g')).toBe('PreparingRebalance');
    await c.join(joinRequest('g', { memberId: b }));
    await waitFor(() => leaderJoin.settled());
    expect(leaderJoin.value()).toMatchObject({ generationId: 3, leader: a });
  });

  it('resends the generation to a member that rejoins in CompletingRebalance with the same metadata', async () => {
    const a = await joinNew(c, joinRequest('g'));
    const again = await c.join(joinRequest('g', { memberId: a.memberId }));
    expect(again).toMatchObject({ errorCode: 0, generationId: 1, leader: a.memberId });
    expect(again.members).toHaveLength(1);
    expect(c.groupState('g')).toBe('CompletingRebalance');
  });

  it('rejects an inconsistent protocol type or a member sharing no protocol with the group', async () => {
    await formGroup(c, 'g', 1);
    expect((await c.join(joinRequest('g', { protocolType: 'connect' }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const other = [{ name: 'roundrobin', metadata: Buffer.alloc(0) }];
    expect((await c.join(joinRequest('g', { protocols: other }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await c.join(joinRequest('fresh', { protocolType: '' }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await c.join(joinRequest('fresh', { protocols: [] }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });

  it('selects the protocol every member supports by preference vote', async () => {
    const p = (...names: string[]) => names.map((name) => ({ name, metadata: Buffer.from(name) }));
    const a = track(joinNew(c, joinRequest('g', { protocols: p('sticky', 'range', 'roundrobin') })));
    const b = track(joinNew(c, joinRequest('g', { protocols: p('roundrobin', 'range') })));
    const d = track(joinNew(c, joinRequest('g', { protocols: p('roundrobin', 'sticky', 'range') })));
    await waitFor(() => a.settled() && b.settled() && d.settled());
    // sticky is not supported by b; of range and roundrobin, two of three prefer roundrobin.
    for (const j of [a, b, d]) expect(j.value()).toMatchObject({ generationId: 1, protocolName: 'roundrobin' });
    const leader = [a, b, d].find((j) => j.value().members.length > 0)!.value();
    expect(leader.members.map((m) => m.metadata.toString()).sort()).toEqual(['roundrobin', 'roundrobin', 'roundrobin']);
  });

  it('validates session timeouts and group IDs', async () => {
    expect((await c.join(joinRequest('g', { sessionTimeoutMs: 5 }))).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await c.join(joinRequest('g', { sessionTimeoutMs: 60_001 }))).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await c.join(joinRequest(''))).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    expect(c.heartbeat('', 'm', 1)).toBe(ErrorCode.INVALID_GROUP_ID);
  });

  it('answers UNKNOWN_MEMBER_ID and ILLEGAL_GENERATION where Kafka does', async () => {
    expect((await c.join(joinRequest('nogroup', { memberId: 'ghost' }))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(c.heartbeat('nogroup', 'ghost', 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await c.sync({ groupId: 'nogroup', generationId: 1, memberId: 'ghost', assignments: [] })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const [a] = await formGroup(c, 'g', 1);
    expect((await c.join(joinRequest('g', { memberId: 'ghost' }))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(c.heartbeat('g', 'ghost', 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(c.heartbeat('g', a!, 0)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect((await c.sync({ groupId: 'g', generationId: 7, memberId: a!, assignments: [] })).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(c.leave('g', [{ memberId: 'ghost', groupInstanceId: null }]).members[0]!.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(c.leave('nogroup', [{ memberId: 'ghost', groupInstanceId: null }])).toEqual({
      errorCode: 0,
      members: [{ memberId: 'ghost', groupInstanceId: null, errorCode: ErrorCode.UNKNOWN_MEMBER_ID }],
    });
  });

  it('answers SyncGroup during PreparingRebalance with REBALANCE_IN_PROGRESS', async () => {
    const [a] = await formGroup(c, 'g', 1);
    const joining = track(joinNew(c, joinRequest('g')));
    await waitFor(() => c.groupState('g') === 'PreparingRebalance');
    expect((await c.sync({ groupId: 'g', generationId: 1, memberId: a!, assignments: [] })).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    await c.join(joinRequest('g', { memberId: a! }));
    await waitFor(() => joining.settled());
  });

  it('removes a member on LeaveGroup and rebalances; the last one leaving empties the group', async () => {
    const [a, b] = await formGroup(c, 'g', 2);
    expect(c.leave('g', [{ memberId: b!, groupInstanceId: null }])).toEqual({
      errorCode: 0,
      members: [{ memberId: b, groupInstanceId: null, errorCode: 0 }],
    });
    expect(c.groupState('g')).toBe('PreparingRebalance');
    expect(c.heartbeat('g', b!, 2)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const r = await c.join(joinRequest('g', { memberId: a! }));
    expect(r).toMatchObject({ generationId: 3, leader: a });
    expect(r.members).toHaveLength(1);
    await c.sync({ groupId: 'g', generationId: 3, memberId: a!, assignments: [] });
    c.leave('g', [{ memberId: a!, groupInstanceId: null }]);
    expect(c.groupState('g')).toBe('Empty');
    expect(c.hasActiveMembers('g')).toBe(false);
    expect(await metricValue(metrics, 'groupMembers', 'g')).toBe(0);
  });

  it('drops members that do not rejoin within the rebalance timeout and elects a new leader', async () => {
    const [a, b] = await formGroup(c, 'g', 2, { rebalanceTimeoutMs: 100 });
    // b rejoins (metadata change), the leader a never does.
    const bJoin = await c.join(joinRequest('g', { memberId: b!, rebalanceTimeoutMs: 100, protocols: [{ name: 'range', metadata: Buffer.from('new') }] }));
    expect(bJoin).toMatchObject({ errorCode: 0, generationId: 3, leader: b });
    expect(bJoin.members.map((m) => m.memberId)).toEqual([b]);
    expect(c.heartbeat('g', a!, 2)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('expires a member whose session times out and rebalances the rest', async () => {
    const [a, b] = await formGroup(c, 'g', 2, { sessionTimeoutMs: 100 });
    // Only a keeps heartbeating.
    const beat = setInterval(() => c.heartbeat('g', a!, 2), 20);
    try {
      await waitFor(() => c.groupState('g') === 'PreparingRebalance', { timeoutMs: 3000 });
      expect(c.heartbeat('g', b!, 2)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    } finally {
      clearInterval(beat);
    }
    const r = await c.join(joinRequest('g', { memberId: a!, sessionTimeoutMs: 100 }));
    expect(r).toMatchObject({ generationId: 3 });
    expect(r.members.map((m) => m.memberId)).toEqual([a]);
  });

  it('holds a join for a pending member ID until it rejoins or its session lapses', async () => {
    const [a] = await formGroup(c, 'g', 1, { sessionTimeoutMs: 150 });
    const pending = await c.join(joinRequest('g', { sessionTimeoutMs: 150 }));
    expect(pending.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    // The leader rejoins; the group waits for the member ID it handed out.
    const aJoin = track(c.join(joinRequest('g', { memberId: a!, sessionTimeoutMs: 150 })));
    await new Promise((r) => setImmediate(r));
    expect(aJoin.settled()).toBe(false);
    await waitFor(() => aJoin.settled(), { timeoutMs: 3000 });
    expect(aJoin.value().members.map((m) => m.memberId)).toEqual([a]);
    // The lapsed ID is no longer accepted.
    expect((await c.join(joinRequest('g', { memberId: pending.memberId }))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('lets a pending member leave, which unblocks the join', async () => {
    const [a] = await formGroup(c, 'g', 1);
    const pending = await c.join(joinRequest('g'));
    const aJoin = track(c.join(joinRequest('g', { memberId: a! })));
    expect(c.leave('g', [{ memberId: pending.memberId, groupInstanceId: null }]).members[0]!.errorCode).toBe(0);
    await waitFor(() => aJoin.settled());
    expect(aJoin.value().generationId).toBe(2);
  });

  it('removes members that never send SyncGroup within the rebalance timeout', async () => {
    const a = await joinNew(c, joinRequest('g', { rebalanceTimeoutMs: 100 }));
    const bJoin = track(joinNew(c, joinRequest('g', { rebalanceTimeoutMs: 100 })));
    await waitFor(() => c.groupState('g') === 'PreparingRebalance');
    await c.join(joinRequest('g', { memberId: a.memberId, rebalanceTimeoutMs: 100 }));
    await waitFor(() => bJoin.settled());
    // The leader syncs, b never does: b is removed and the group rebalances without it.
    await c.sync({ groupId: 'g', generationId: 2, memberId: a.memberId, assignments: [] });
    await waitFor(() => c.groupState('g') === 'PreparingRebalance', { timeoutMs: 3000 });
    expect(c.heartbeat('g', bJoin.value().memberId, 2)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('fails followers waiting in SyncGroup with REBALANCE_IN_PROGRESS when a rebalance starts first', async () => {
    const a = await joinNew(c, joinRequest('g'));
    const bJoin = track(joinNew(c, joinRequest('g')));
    await waitFor(() => c.groupState('g') === 'PreparingRebalance');
    await c.join(joinRequest('g', { memberId: a.memberId }));
    await waitFor(() => bJoin.settled());
    const bSync = track(c.sync({ groupId: 'g', generationId: 2, memberId: bJoin.value().memberId, assignments: [] }));
    c.leave('g', [{ memberId: a.memberId, groupInstanceId: null }]);
    await waitFor(() => bSync.settled());
    expect(bSync.value()).toMatchObject({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, assignment: Buffer.alloc(0) });
  });

  it('waits out the initial rebalance delay so members starting together share the first generation', async () => {
    await c.close();
    ({ coordinator: c } = await newCoordinator({ groupInitialRebalanceDelayMs: 100 }));
    const first = track(joinNew(c, joinRequest('g')));
    await waitFor(() => c.hasActiveMembers('g'));
    expect(first.settled()).toBe(false);
    const joins = [first, track(joinNew(c, joinRequest('g'))), track(joinNew(c, joinRequest('g')))];
    await waitFor(() => joins.every((j) => j.settled()), { timeoutMs: 3000 });
    expect(joins.map((j) => j.value().generationId)).toEqual([1, 1, 1]);
    const leader = joins.find((j) => j.value().members.length > 0)!.value();
    expect(leader.members).toHaveLength(3);
  });

  it('answers parked requests with NOT_COORDINATOR on close and refuses new ones', async () => {
    const [a] = await formGroup(c, 'g', 1);
    const joining = track(joinNew(c, joinRequest('g')));
    await waitFor(() => c.groupState('g') === 'PreparingRebalance');
    await c.close();
    await waitFor(() => joining.settled());
    expect(joining.value().errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(c.heartbeat('g', a!, 1)).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(c.list().errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  });
});

/** Forms a Stable group of `n` members; returns their IDs, leader first. */
async function formGroup(
  c: GroupCoordinator,
  groupId: string,
  n: number,
  overrides: { sessionTimeoutMs?: number; rebalanceTimeoutMs?: number } = {},
): Promise<string[]> {
  const first = await joinNew(c, joinRequest(groupId, overrides));
  const ids = [first.memberId];
  let generation = first.generationId;
  for (let i = 1; i < n; i++) {
    const joining = track(joinNew(c, joinRequest(groupId, overrides)));
    await waitFor(() => c.groupState(groupId) === 'PreparingRebalance');
    const rejoins = ids.map((memberId) => c.join(joinRequest(groupId, { ...overrides, memberId })));
    await Promise.all(rejoins);
    await waitFor(() => joining.settled());
    ids.push(joining.value().memberId);
    generation = joining.value().generationId;
  }
  const syncs = ids.map((memberId) => c.sync({ groupId, generationId: generation, memberId, assignments: [] }));
  await Promise.all(syncs);
  expect(c.groupState(groupId)).toBe('Stable');
  return ids;
}
