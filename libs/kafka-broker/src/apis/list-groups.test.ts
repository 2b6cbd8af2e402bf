import type { BrokerContext } from '../broker-context';
import type { RequestContext } from './api';
import { listGroupsApi } from './list-groups';

const ctx: RequestContext = {
  broker: {
    groups: {
      list: () => ({
        errorCode: 0,
        groups: [
          { groupId: 'billing', protocolType: 'consumer', groupState: 'Stable' },
          { groupId: 'offsets-only', protocolType: '', groupState: 'Empty' },
        ],
      }),
    },
  } as unknown as BrokerContext,
  clientId: 'tools',
  connectionId: 1,
  remoteAddress: '127.0.0.1:50000',
  closed: new Promise(() => {}),
};

const ids = async (statesFilter: string[], typesFilter: string[]) =>
  (await listGroupsApi.handle({ statesFilter, typesFilter }, 5, ctx)).groups.map((g) => g.groupId);

describe('ListGroups v4-v5 filters', () => {
  it('keeps every group for empty filters, and each one as a classic group with its state', async () => {
    expect(await ids([], [])).toEqual(['billing', 'offsets-only']);
    expect((await listGroupsApi.handle({ statesFilter: [], typesFilter: [] }, 5, ctx)).groups[0]).toMatchObject({ groupState: 'Stable', groupType: 'classic' });
  });

  it('filters by state and by type without regard to case, as Kafka does', async () => {
    expect(await ids(['stable'], [])).toEqual(['billing']);
    expect(await ids(['Empty', 'Dead'], [])).toEqual(['offsets-only']);
    expect(await ids([], ['Classic'])).toEqual(['billing', 'offsets-only']);
    expect(await ids([], ['consumer', 'share'])).toEqual([]);
  });
});
