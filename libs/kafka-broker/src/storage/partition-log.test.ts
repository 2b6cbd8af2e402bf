import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '@orderflow/testing';
import { silentLogger } from '../logger';
import { ErrorCode } from '../protocol/error-codes';
import { parseProducedBatches, readBatchHeader } from '../protocol/record-batch';
import { buildBatch, type BatchSpec } from '../../test/batches';
import { PartitionLog, OffsetOutOfRangeError, type LogConfig } from './partition-log';

const config: LogConfig = { segmentBytes: 64 * 1024 * 1024, retentionMs: -1, retentionBytes: -1 };

function append(log: PartitionLog, spec: BatchSpec) {
  const buf = buildBatch(spec);
  return log.append(buf, parseProducedBatches(buf));
}

function offsetsIn(buf: Buffer | null): number[] {
  const out: number[] = [];
  for (let pos = 0; buf && pos < buf.length; ) {
    const h = readBatchHeader(buf, pos);
    for (let i = 0; i <= h.lastOffsetDelta; i++) out.push(h.baseOffset + i);
    pos += h.size;
  }
  return out;
}

describe('PartitionLog', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => dir.remove());

  const open = (cfg = config, verifyCrc = true) => PartitionLog.open('t', 0, path.join(dir.path, 'p0'), cfg, { verifyCrc, logger: silentLogger });

  it('assigns contiguous offsets and reads whole batches from the one holding an offset', () => {
    const log = open();
    expect(append(log, { values: ['a', 'b', 'c'] })).toMatchObject({ ok: true, baseOffset: 0, appended: 3 });
    expect(append(log, { values: ['d'] })).toMatchObject({ ok: true, baseOffset: 3 });
    expect(log.logEndOffset).toBe(4);
    expect(offsetsIn(log.read(1, 1))).toEqual([0, 1, 2]); // first batch returned whole even past maxBytes
    expect(offsetsIn(log.read(0, 1_000_000))).toEqual([0, 1, 2, 3]);
    expect(log.read(4, 1000)).toBeNull();
    expect(() => log.read(5, 1000)).toThrow(OffsetOutOfRangeError);
    log.close();
  });

  it('recovers offsets and data after reopening', () => {
    const log = open();
    append(log, { values: ['a', 'b'] });
    append(log, { values: ['c'] });
    log.close();
    const again = open();
    expect(again.logEndOffset).toBe(3);
    expect(offsetsIn(again.read(0, 1_000_000))).toEqual([0, 1, 2]);
    expect(append(again, { values: ['d'] })).toMatchObject({ baseOffset: 3 });
    again.close();
  });

  it('cuts a torn batch at the end of the log (a write interrupted by a crash)', () => {
    const log = open();
    append(log, { values: ['a'] });
    append(log, { values: ['b', 'c'] });
    log.close();
    const file = path.join(dir.path, 'p0', '00000000000000000000.log');
    const size = fs.statSync(file).size;
    fs.truncateSync(file, size - 5);
    const again = open();
    expect(again.logEndOffset).toBe(1);
    expect(fs.statSync(file).size).toBeLessThan(size - 5);
    expect(append(again, { values: ['b2'] })).toMatchObject({ baseOffset: 1 });
    again.close();
  });

  it('cuts the log at a batch whose checksum does not match when verifying', () => {
    const log = open();
    append(log, { values: ['a'] });
    append(log, { values: ['b'] });
    log.close();
    const file = path.join(dir.path, 'p0', '00000000000000000000.log');
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 3] ^= 0xff; // flip a bit in the second batch's payload
    fs.writeFileSync(file, bytes);
    expect(open(config, true).logEndOffset).toBe(1);
  });

  it('rolls segments and deletes expired ones while keeping the active segment', () => {
    const log = open({ segmentBytes: 1024, retentionMs: 60_000, retentionBytes: -1 });
    const old = Date.now() - 120_000;
    for (let i = 0; i < 10; i++) append(log, { values: ['x'.repeat(300)], baseTimestamp: old });
    append(log, { values: ['fresh'] });
    const files = () => fs.readdirSync(path.join(dir.path, 'p0')).length;
    expect(files()).toBeGreaterThan(2);
    expect(log.enforceRetention(Date.now())).toBeGreaterThan(0);
    expect(log.logStartOffset).toBeGreaterThan(0);
    expect(() => log.read(0, 100)).toThrow(OffsetOutOfRangeError);
    expect(offsetsIn(log.read(log.logStartOffset, 1_000_000)).at(-1)).toBe(10);
    log.close();
    expect(open().logStartOffset).toBe(log.logStartOffset);
  });

  it('finds the first record at or after a timestamp, inside uncompressed and gzip batches', () => {
    const log = open();
    append(log, { values: ['a', 'b', 'c'], baseTimestamp: 1000, timestampDeltas: [0, 10, 20] });
    append(log, { values: ['d', 'e'], baseTimestamp: 2000, timestampDeltas: [0, 5], gzip: true });
    expect(log.offsetForTimestamp(0)).toEqual({ offset: 0, timestamp: 1000 });
    expect(log.offsetForTimestamp(1011)).toEqual({ offset: 2, timestamp: 1020 });
    expect(log.offsetForTimestamp(2001)).toEqual({ offset: 4, timestamp: 2005 });
    expect(log.offsetForTimestamp(3000)).toBeNull();
    log.close();
  });

  it('acknowledges an idempotent retry with its original offset instead of appending it twice', () => {
    const log = open();
    const first = { values: ['a', 'b'], producerId: 7, producerEpoch: 0, baseSequence: 0 };
    expect(append(log, first)).toMatchObject({ ok: true, baseOffset: 0, appended: 2 });
    expect(append(log, { values: ['c'], producerId: 7, producerEpoch: 0, baseSequence: 2 })).toMatchObject({ baseOffset: 2 });
    expect(append(log, first)).toMatchObject({ ok: true, baseOffset: 0, appended: 0 });
    expect(append(log, { values: ['z'], producerId: 7, producerEpoch: 0, baseSequence: 9 })).toMatchObject({
      ok: false,
      errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    });
    expect(log.logEndOffset).toBe(3);
    log.close();
    // Producer state is rebuilt from the log: the retry is still recognised after a restart.
    const again = open();
    expect(append(again, first)).toMatchObject({ ok: true, baseOffset: 0, appended: 0 });
    expect(append(again, { values: ['new'], producerId: 7, producerEpoch: 1, baseSequence: 0 })).toMatchObject({ ok: true, baseOffset: 3 });
    expect(append(again, { values: ['fenced'], producerId: 7, producerEpoch: 0, baseSequence: 3 })).toMatchObject({
      ok: false,
      errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
    });
    again.close();
  });

  it('keeps everything in memory when it has no directory', () => {
    const log = PartitionLog.open('t', 0, null, config, { verifyCrc: false, logger: silentLogger });
    append(log, { values: ['a'] });
    append(log, { values: ['b'] });
    expect(offsetsIn(log.read(0, 1_000_000))).toEqual([0, 1]);
    expect(fs.readdirSync(dir.path)).toEqual([]);
  });
});
