import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '@orderflow/testing';
import { silentLogger } from '../logger';
import { encodeRecord } from './offset-log-format';
import type { OffsetCommitEntry } from './offset-log-format';
import { OFFSETS_FILE, OffsetStore } from './offset-store';

function entry(topic: string, partition: number, offset: number, metadata: string | null = ''): OffsetCommitEntry {
  return { topic, partition, offset, leaderEpoch: -1, metadata, commitTimestamp: 1_700_000_000_000 };
}

describe('OffsetStore', () => {
  let dir: { path: string; remove(): void };
  beforeEach(() => (dir = tempDir('offset-store-')));
  afterEach(() => dir.remove());

  const open = (fsync = true): Promise<OffsetStore> => OffsetStore.open({ dir: dir.path, fsync, logger: silentLogger });
  const file = (): string => path.join(dir.path, OFFSETS_FILE);

  it('keeps offsets in memory when it has no directory', async () => {
    const store = await OffsetStore.open({ dir: null, fsync: true, logger: silentLogger });
    await store.commit('g', [entry('t', 0, 5, 'meta'), entry('t', 1, 7)]);
    expect(store.fetch('g', 't', 0)).toEqual({ offset: 5, leaderEpoch: -1, metadata: 'meta', commitTimestamp: 1_700_000_000_000 });
    expect(store.fetch('g', 't', 2)).toBeUndefined();
    expect(store.fetch('other', 't', 0)).toBeUndefined();
    expect(store.groupsWithOffsets()).toEqual(['g']);
    expect(store.fetchAll('g').map((e) => [e.topic, e.partition, e.offset])).toEqual([
      ['t', 0, 5],
      ['t', 1, 7],
    ]);
    await store.close();
    await expect(store.commit('g', [entry('t', 0, 6)])).rejects.toThrow(/closed/);
  });

  it('makes a commit visible only once it is written', async () => {
    const store = await open();
    const pending = store.commit('g', [entry('t', 0, 1)]);
    expect(store.fetch('g', 't', 0)).toBeUndefined();
    await pending;
    expect(store.fetch('g', 't', 0)?.offset).toBe(1);
    await store.close();
  });

  it('survives a restart, with later commits overriding earlier ones', async () => {
    const store = await open();
    await store.commit('g1', [entry('a', 0, 1), entry('a', 1, 10)]);
    await store.commit('g1', [entry('a', 0, 2, null)]);
    await store.commit('g2', [entry('b', 0, 3)]);
    await store.close();

    const reopened = await open();
    expect(reopened.fetch('g1', 'a', 0)).toMatchObject({ offset: 2, metadata: null });
    expect(reopened.fetch('g1', 'a', 1)?.offset).toBe(10);
    expect(reopened.fetch('g2', 'b', 0)?.offset).toBe(3);
    expect(reopened.groupsWithOffsets().sort()).toEqual(['g1', 'g2']);
    await reopened.close();
  });

  it('deletes a topic from every group and a whole group, durably', async () => {
    const store = await open();
    await store.commit('g1', [entry('gone', 0, 1), entry('kept', 0, 2)]);
    await store.commit('g2', [entry('gone', 0, 3)]);
    await store.commit('g3', [entry('kept', 0, 4)]);
    await store.deleteTopic('gone');
    await store.deleteGroup('g3');
    expect(store.fetch('g1', 'gone', 0)).toBeUndefined();
    expect(store.groupsWithOffsets()).toEqual(['g1']);
    await store.close();

    const reopened = await open();
    expect(reopened.fetch('g1', 'gone', 0)).toBeUndefined();
    expect(reopened.fetch('g1', 'kept', 0)?.offset).toBe(2);
    expect(reopened.groupsWithOffsets()).toEqual(['g1']);
    await reopened.close();
  });

  it('ignores a torn last record after a crash and keeps appending after it', async () => {
    const store = await open();
    await store.commit('g', [entry('t', 0, 1)]);
    await store.commit('g', [entry('t', 0, 2)]);
    await store.close();
    // A kill -9 in the middle of an append leaves part of a record behind.
    const torn = encodeRecord({ type: 'commit', group: 'g', offsets: [entry('t', 0, 3)] });
    fs.appendFileSync(file(), torn.subarray(0, torn.length - 5));

    const recovered = await open();
    expect(recovered.fetch('g', 't', 0)?.offset).toBe(2);
    await recovered.commit('g', [entry('t', 0, 4)]);
    await recovered.close();

    const again = await open();
    expect(again.fetch('g', 't', 0)?.offset).toBe(4);
    await again.close();
  });

  it('stops at a record whose checksum does not match', async () => {
    const good = encodeRecord({ type: 'commit', group: 'g', offsets: [entry('t', 0, 1)] });
    const bad = encodeRecord({ type: 'commit', group: 'g', offsets: [entry('t', 0, 2)] });
    bad[bad.length - 2] ^= 0xff;
    const after = encodeRecord({ type: 'commit', group: 'g', offsets: [entry('t', 1, 9)] });
    fs.writeFileSync(file(), Buffer.concat([good, bad, after]));
    const store = await open();
    expect(store.fetch('g', 't', 0)?.offset).toBe(1);
    expect(store.fetch('g', 't', 1)).toBeUndefined();
    await store.close();
  });

  it('compacts the log on open into a fresh file and leaves no temp file behind', async () => {
    const store = await open(false);
    for (let i = 0; i < 200; i++) await store.commit('g', [entry('t', i % 2, i)]);
    await store.close();
    const before = fs.statSync(file()).size;

    const reopened = await open();
    expect(fs.statSync(file()).size).toBeLessThan(before / 50);
    expect(fs.readdirSync(dir.path)).toEqual([OFFSETS_FILE]);
    expect(reopened.fetch('g', 't', 0)?.offset).toBe(198);
    expect(reopened.fetch('g', 't', 1)?.offset).toBe(199);
    await reopened.close();
  });

  it('covers concurrent commits with shared writes and fsyncs (group commit), in order', async () => {
    const store = await open();
    const handle = await fs.promises.open(path.join(dir.path, 'probe'), 'w');
    const proto = Object.getPrototypeOf(handle) as { sync: () => Promise<void> };
    await handle.close();
    const sync = jest.spyOn(proto, 'sync');
    try {
      await Promise.all(Array.from({ length: 100 }, (_, i) => store.commit(`g${i % 3}`, [entry('t', 0, i)])));
      expect(sync.mock.calls.length).toBeGreaterThanOrEqual(1);
      expect(sync.mock.calls.length).toBeLessThanOrEqual(2);
    } finally {
      sync.mockRestore();
    }
    // Within a group the last commit wins, as in log order.
    expect(store.fetch('g0', 't', 0)?.offset).toBe(99);
    expect(store.fetch('g1', 't', 0)?.offset).toBe(97);
    expect(store.fetch('g2', 't', 0)?.offset).toBe(98);
    await store.close();
    const reopened = await open();
    expect(reopened.fetch('g0', 't', 0)?.offset).toBe(99);
    await reopened.close();
  });
});
