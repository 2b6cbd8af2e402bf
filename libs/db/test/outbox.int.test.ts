import { waitFor } from '@orderflow/testing';
import { Registry } from 'prom-client';
import { enqueue, enqueueMany, startOutboxRelay, type Database, type OutboxRecord, type OutboxRelay, type PublishOutcome } from '../src';
import { backendKinds, silentLogger, useOpenedBackend } from './support/backends';

interface OutboxRow {
  id: string;
  published_at: Date | null;
  attempts: number;
  last_error: string | null;
}

const outboxRows = (db: Database) =>
  db.sql.query<OutboxRow>('SELECT id::text AS id, published_at, attempts, last_error FROM outbox ORDER BY id');

describe.each(backendKinds)('transactional outbox on %s', (kind) => {
  const opened = useOpenedBackend(kind);
  const relays: OutboxRelay[] = [];

  // Tests of this file share one database: each starts from an empty outbox.
  beforeEach(() => opened.db.sql.exec('TRUNCATE outbox'));
  afterEach(async () => {
    await Promise.all(relays.splice(0).map((relay) => relay.stop()));
  });

  const start = (
    publish: (messages: OutboxRecord[]) => Promise<void | readonly PublishOutcome[]>,
    batchSize = 10,
    keepPublishedMs?: number,
    more: { maxAttempts?: number; registry?: Registry } = {},
  ) => {
    // A long poll interval: only notify() makes these relays look promptly, so a test that
    // passes proves notify works rather than polling luck.
    const relay = startOutboxRelay({
      db: opened.db,
      publish,
      batchSize,
      pollIntervalMs: 60_000,
      backoff: { initialMs: 5, maxMs: 20 },
      keepPublishedMs,
      logger: silentLogger,
      ...more,
    });
    relays.push(relay);
    return relay;
  };

  it('publishes nothing a rolled-back transaction enqueued', async () => {
    const published: OutboxRecord[] = [];
    const relay = start(async (messages) => void published.push(...messages));

    await expect(
      opened.prisma.$transaction(async (tx) => {
        await tx.widget.create({ data: { name: 'never' } });
        await enqueue(tx, { topic: 'widgets', key: 'never', value: 'rolled back' });
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    await opened.prisma.$transaction((tx) => enqueue(tx, { topic: 'widgets', key: 'marker', value: 'committed' }));
    relay.notify();

    // The committed marker went out after the rolled-back row would have: it was never there.
    await waitFor(() => published.length === 1, { description: 'the committed marker' });
    expect(published.map((m) => m.value.toString())).toEqual(['committed']);
    expect(await outboxRows(opened.db)).toHaveLength(1);
  });

  it('publishes committed rows in id order with their topic, key, bytes and headers, then marks them', async () => {
    const published: OutboxRecord[] = [];
    const relay = start(async (messages) => void published.push(...messages), 4);

    for (let i = 0; i < 10; i++) {
      await opened.prisma.$transaction(async (tx) => {
        await enqueue(tx, { topic: 'orders', key: `order-${i % 3}`, value: `payload-${i}`, headers: { seq: String(i) } });
      });
    }
    const binary = Buffer.from([0, 255, 1, 254]);
    await opened.prisma.$transaction((tx) => enqueue(tx, { topic: 'raw', key: null, value: binary }));
    relay.notify();

    await waitFor(() => published.length === 11, { description: '11 published messages' });
    expect(published.map((m) => m.value.toString()).slice(0, 10)).toEqual(Array.from({ length: 10 }, (_, i) => `payload-${i}`));
    expect(published[3]).toMatchObject({ topic: 'orders', key: 'order-0', headers: { seq: '3' }, attempts: 0 });
    expect(published[10]).toMatchObject({ topic: 'raw', key: null, headers: {} });
    expect(published[10].value.equals(binary)).toBe(true);
    const ids = published.map((m) => BigInt(m.id));
    expect([...ids].sort((a, b) => (a < b ? -1 : 1))).toEqual(ids);
    await waitFor(async () => (await outboxRows(opened.db)).every((row) => row.published_at !== null), {
      description: 'every row marked published',
    });
  });

  it('enqueues many messages in one statement, published in the order given', async () => {
    const published: OutboxRecord[] = [];
    const relay = start(async (messages) => void published.push(...messages), 5);
    const binary = Buffer.from([0, 255, 1, 254]);

    await opened.prisma.$transaction(async (tx) => {
      await enqueue(tx, { topic: 'orders', key: 'a', value: 'before' });
      await enqueueMany(tx, [
        ...Array.from({ length: 12 }, (_, i) => ({ topic: 'orders', key: `order-${i % 2}`, value: `many-${i}`, headers: { seq: String(i) } })),
        { topic: 'raw', key: null, value: binary },
      ]);
      await enqueue(tx, { topic: 'orders', key: 'a', value: 'after' });
    });
    relay.notify();

    await waitFor(() => published.length === 15, { description: '15 published messages' });
    expect(published.map((m) => m.value.toString('latin1'))).toEqual(['before', ...Array.from({ length: 12 }, (_, i) => `many-${i}`), binary.toString('latin1'), 'after']);
    expect(published[4]).toMatchObject({ topic: 'orders', key: 'order-1', headers: { seq: '3' } });
    expect(published[13]).toMatchObject({ topic: 'raw', key: null, headers: {} });
    expect(published[13].value.equals(binary)).toBe(true);
  });

  it('deletes published rows older than keepPublishedMs, however many, and keeps recent and unpublished ones', async () => {
    await opened.db.sql.exec(`
      INSERT INTO outbox (topic, key, value, published_at)
      SELECT 'old', 'k-' || (i % 7), '\\x00'::bytea, now() - interval '2 days' FROM generate_series(1, 2500) AS i;
      INSERT INTO outbox (topic, key, value, published_at)
      SELECT 'recent', 'k-' || i, '\\x00'::bytea, now() - interval '1 hour' FROM generate_series(1, 3) AS i`);
    await opened.prisma.$transaction((tx) => enqueue(tx, { topic: 'orders', key: 'k-1', value: 'unpublished' }));
    const published: OutboxRecord[] = [];
    start(async (messages) => void published.push(...messages), 10, 24 * 3_600_000);

    // 2,500 rows take three deleting statements; the relay goes on to each next one without its idle poll.
    const count = async (topic: string) =>
      (await opened.db.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE topic = $1', [topic]))[0].n;
    await waitFor(async () => (await count('old')) === 0, { description: 'every published row older than a day deleted' });
    expect(await count('recent')).toBe(3);
    await waitFor(() => published.length === 1, { description: 'the unpublished row published' });
    expect(published[0].value.toString()).toBe('unpublished');
    expect(await count('orders')).toBe(1);
  });

  it('retries a failing publish with backoff and leaves rows unpublished until it succeeds', async () => {
    let brokerUp = false;
    let failedCalls = 0;
    const published: OutboxRecord[] = [];
    const relay = start(async (messages) => {
      if (!brokerUp) {
        failedCalls += 1;
        throw new Error('broker unavailable');
      }
      published.push(...messages);
    });

    await opened.prisma.$transaction((tx) => enqueue(tx, { topic: 'orders', key: 'k', value: 'first' }));
    await opened.prisma.$transaction((tx) => enqueue(tx, { topic: 'orders', key: 'k', value: 'second' }));
    relay.notify();

    // Retried on its own (the idle poll is a minute away), recorded on the rows, never marked published.
    const failing = await waitFor(
      async () => {
        const rows = await outboxRows(opened.db);
        return rows.every((r) => r.attempts >= 3) ? rows : null;
      },
      { description: 'three recorded failed attempts' },
    );
    expect(failedCalls).toBeGreaterThanOrEqual(3);
    expect(failing.every((r) => r.published_at === null && r.last_error === 'broker unavailable')).toBe(true);
    expect(published).toEqual([]);

    brokerUp = true;
    await waitFor(() => published.length === 2, { description: 'publication once the broker is back' });
    expect(published.map((m) => m.value.toString())).toEqual(['first', 'second']);
    const rows = await waitFor(async () => {
      const current = await outboxRows(opened.db);
      return current.every((r) => r.published_at !== null) ? current : null;
    });
    expect(rows.every((r) => r.attempts >= 3 && r.last_error === null)).toBe(true);
  });

  it('retries a row failing on its own while its neighbours go out, then sets it aside after maxAttempts; an outage does not count', async () => {
    let outage = true;
    let healedAfter = Infinity;
    const publishedIds: string[] = [];
    const registry = new Registry();
    const relay = start(
      async (messages) => {
        if (outage) throw new Error('broker unavailable');
        return messages.map((m): PublishOutcome => {
          if (m.value.toString() === 'stuck' && m.attempts < healedAfter) return { status: 'failed', error: new Error('not this one') };
          publishedIds.push(m.id);
          return { status: 'sent' };
        });
      },
      10,
      undefined,
      { maxAttempts: 3, registry },
    );
    await opened.prisma.$transaction((tx) =>
      enqueueMany(tx, [
        { topic: 'orders', key: 'a', value: 'stuck' },
        { topic: 'orders', key: 'b', value: 'fine' },
      ]),
    );
    relay.notify();

    // While nothing goes out, attempts grow past maxAttempts and nothing is set aside.
    await waitFor(async () => (await outboxRows(opened.db)).every((r) => r.attempts >= 4), { description: 'four failed attempts in the outage' });
    const asideInOutage = await opened.db.sql.query('SELECT id FROM outbox WHERE set_aside_at IS NOT NULL');
    expect(asideInOutage).toEqual([]);

    // Failures count only while other rows of the batch go out: a neighbour keeps coming.
    outage = false;
    let neighbours = 1;
    const aside = await waitFor(async () => {
      const [row] = await opened.db.sql.query<{ set_aside_reason: string | null; charged_failures: number; last_error: string }>(
        `SELECT set_aside_reason, charged_failures, last_error FROM outbox WHERE convert_from(value, 'UTF8') = 'stuck' AND set_aside_at IS NOT NULL`,
      );
      if (row) return row;
      neighbours += 1;
      await opened.prisma.$transaction((tx) => enqueue(tx, { topic: 'orders', key: `n-${neighbours}`, value: 'neighbour' }));
      relay.notify();
      return null;
    }, { description: 'the stuck row set aside' });
    expect(aside).toEqual({ set_aside_reason: 'attempts-exhausted', charged_failures: 3, last_error: 'not this one' });
    await waitFor(async () => (await outboxRows(opened.db)).filter((r) => r.published_at === null).length === 1, { description: 'every neighbour published' });
    expect(publishedIds).toHaveLength(neighbours);
    expect(new Set(publishedIds).size).toBe(neighbours);
    const { values } = await registry.getSingleMetric('orderflow_outbox_set_aside_total')!.get();
    expect(values).toEqual([expect.objectContaining({ labels: { reason: 'attempts-exhausted' }, value: 1 })]);
  });

  it('publishes once, and does not set aside, a row that failed on its own fewer than maxAttempts times', async () => {
    const published: string[] = [];
    const relay = start(
      async (messages) =>
        messages.map((m): PublishOutcome => {
          if (m.value.toString() === 'slow' && m.attempts < 2) return { status: 'failed', error: new Error('not yet') };
          published.push(m.value.toString());
          return { status: 'sent' };
        }),
      10,
      undefined,
      { maxAttempts: 3 },
    );
    await opened.prisma.$transaction((tx) =>
      enqueueMany(tx, [
        { topic: 'orders', key: 'a', value: 'slow' },
        { topic: 'orders', key: 'b', value: 'quick' },
        { topic: 'orders', key: 'c', value: 'keeps company' },
      ]),
    );
    relay.notify();
    await waitFor(async () => (await outboxRows(opened.db)).every((r) => r.published_at !== null), { description: 'every row published' });
    expect([...published].sort()).toEqual(['keeps company', 'quick', 'slow']);
    const rows = await opened.db.sql.query<{ value: string; attempts: number; set_aside: boolean }>(
      `SELECT convert_from(value, 'UTF8') AS value, attempts, set_aside_at IS NOT NULL AS set_aside FROM outbox o ORDER BY o.id`,
    );
    expect(rows).toEqual([
      { value: 'slow', attempts: 2, set_aside: false },
      { value: 'quick', attempts: 0, set_aside: false },
      { value: 'keeps company', attempts: 0, set_aside: false },
    ]);
  });

  it('stops gracefully: stop() resolves and nothing is published afterwards', async () => {
    const published: OutboxRecord[] = [];
    const relay = start(async (messages) => void published.push(...messages));
    await relay.stop();
    await opened.prisma.$transaction((tx) => enqueue(tx, { topic: 'orders', key: 'late', value: 'after stop' }));
    relay.notify();
    expect(published).toEqual([]);
    expect((await outboxRows(opened.db))[0].published_at).toBeNull();
  });

  if (kind === 'postgres') {
    it('shares the table between two relays without publishing a row twice or out of key order', async () => {
      const log: { relay: number; id: bigint; key: string }[] = [];
      const inFlight = new Set<string>();
      const doubles: string[] = [];
      const publisher = (relay: number) => async (messages: OutboxRecord[]) => {
        for (const m of messages) {
          if (inFlight.has(m.id)) doubles.push(m.id);
          inFlight.add(m.id);
          log.push({ relay, id: BigInt(m.id), key: m.key ?? '' });
        }
        // Simulated broker latency, so the two relays' batches overlap in time.
        await new Promise((resolve) => setImmediate(resolve));
        for (const m of messages) inFlight.delete(m.id);
      };
      const relayA = start(publisher(1), 7);
      const relayB = start(publisher(2), 7);

      const total = 300;
      for (let i = 0; i < total; i += 10) {
        await opened.prisma.$transaction(async (tx) => {
          for (let j = i; j < i + 10; j++) await enqueue(tx, { topic: 'orders', key: `order-${j % 5}`, value: String(j) });
        });
        relayA.notify();
        relayB.notify();
      }

      await waitFor(async () => (await outboxRows(opened.db)).every((r) => r.published_at !== null), {
        timeoutMs: 30_000,
        description: 'every row published',
      });
      expect(doubles).toEqual([]);
      expect(log).toHaveLength(total);
      expect(new Set(log.map((e) => e.id)).size).toBe(total);
      for (const key of new Set(log.map((e) => e.key))) {
        const ids = log.filter((e) => e.key === key).map((e) => e.id);
        expect([...ids].sort((a, b) => (a < b ? -1 : 1))).toEqual(ids);
      }
      expect(new Set(log.map((e) => e.relay))).toEqual(new Set([1, 2]));
    });
  }
});
