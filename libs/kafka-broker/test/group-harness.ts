import type { BrokerSettings } from '../src/broker-context';
import { silentLogger } from '../src/logger';
import { BrokerMetrics } from '../src/metrics';
import { ErrorCode } from '../src/protocol/error-codes';
import { GroupCoordinator, type JoinRequest } from '../src/groups/group-coordinator';
import { OffsetStore } from '../src/groups/offset-store';
import type { JoinResult } from '../src/groups/results';

/** Test-only helpers for driving a GroupCoordinator the way a client would. */

export const settings: BrokerSettings = {
  nodeId: 0,
  autoCreateTopics: true,
  defaultPartitions: 1,
  maxRequestBytes: 1 << 20,
  maxMessageBytes: 1 << 20,
  groupInitialRebalanceDelayMs: 0,
  groupMinSessionTimeoutMs: 10,
  groupMaxSessionTimeoutMs: 60_000,
};

export async function newCoordinator(overrides: Partial<BrokerSettings> = {}): Promise<{
  coordinator: GroupCoordinator;
  offsets: OffsetStore;
  metrics: BrokerMetrics;
}> {
  const offsets = await OffsetStore.open({ dir: null, fsync: false, logger: silentLogger });
  const metrics = new BrokerMetrics();
  const coordinator = new GroupCoordinator({ offsets, settings: { ...settings, ...overrides }, metrics, logger: silentLogger });
  return { coordinator, offsets, metrics };
}

export function joinRequest(groupId: string, overrides: Partial<JoinRequest> = {}): JoinRequest {
  return {
    groupId,
    memberId: '',
    groupInstanceId: null,
    requireKnownMemberId: true,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    rebalanceTimeoutMs: 5_000,
    sessionTimeoutMs: 10_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from('m') }],
    ...overrides,
  };
}

/** A JoinGroup v4+ client: the first attempt gets MEMBER_ID_REQUIRED and an ID, the second joins with it. */
export async function joinNew(c: GroupCoordinator, req: JoinRequest): Promise<JoinResult> {
  const first = await c.join(req);
  if (first.errorCode !== ErrorCode.MEMBER_ID_REQUIRED) return first;
  return c.join({ ...req, memberId: first.memberId });
}

/** Tracks whether a promise has settled, without awaiting it. */
export function track<T>(p: Promise<T>): { settled: () => boolean; value: () => T } {
  let done = false;
  let result: T;
  void p.then((v) => {
    done = true;
    result = v;
  });
  return { settled: () => done, value: () => result };
}

export function metricValue(metrics: BrokerMetrics, name: 'rebalances' | 'groupMembers', group: string): Promise<number> {
  return metrics[name].get().then((m) => m.values.find((v) => v.labels.group === group)?.value ?? 0);
}
