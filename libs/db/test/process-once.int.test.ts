import { claimEvents, claimEventsSql, processOnce } from '../src';
import { backendKinds, useOpenedBackend } from './support/backends';

describe.each(backendKinds)('processOnce on %s', (kind) => {
  const opened = useOpenedBackend(kind);

  const quantityOf = async (name: string) => (await opened.prisma.widget.findUniqueOrThrow({ where: { name } })).quantity;

  it('applies the effects of 20 concurrent deliveries of one event exactly once', async () => {
    await opened.prisma.widget.create({ data: { name: 'concurrent' } });
    const deliveries = Array.from({ length: 20 }, () =>
      processOnce(opened.prisma, { consumer: 'stock', eventId: 'evt-concurrent' }, async (tx) => {
        await tx.widget.update({ where: { name: 'concurrent' }, data: { quantity: { increment: 1 } } });
        return 'applied';
      }),
    );
    const results = await Promise.all(deliveries);

    expect(results.filter((r) => !r.duplicate)).toEqual([{ duplicate: false, result: 'applied' }]);
    expect(results.filter((r) => r.duplicate)).toHaveLength(19);
    expect(await quantityOf('concurrent')).toBe(1);
  });

  it('keeps consumers independent: the same event is new to a second consumer', async () => {
    await opened.prisma.widget.create({ data: { name: 'two-consumers' } });
    const bump = (consumer: string) =>
      processOnce(opened.prisma, { consumer, eventId: 'evt-shared' }, (tx) =>
        tx.widget.update({ where: { name: 'two-consumers' }, data: { quantity: { increment: 1 } } }),
      );
    expect((await bump('stock')).duplicate).toBe(false);
    expect((await bump('audit')).duplicate).toBe(false);
    expect((await bump('stock')).duplicate).toBe(true);
    expect(await quantityOf('two-consumers')).toBe(2);
  });

  it('forgets an event whose effects failed, so the redelivery runs them', async () => {
    await opened.prisma.widget.create({ data: { name: 'retried' } });
    let calls = 0;
    const handle = () =>
      processOnce(opened.prisma, { consumer: 'stock', eventId: 'evt-retried' }, async (tx) => {
        calls += 1;
        await tx.widget.update({ where: { name: 'retried' }, data: { quantity: { increment: 1 } } });
        if (calls === 1) throw new Error('downstream hiccup');
      });

    await expect(handle()).rejects.toThrow('downstream hiccup');
    expect(await quantityOf('retried')).toBe(0);
    await expect(handle()).resolves.toEqual({ duplicate: false, result: undefined });
    expect(await quantityOf('retried')).toBe(1);
  });

  it("joins the caller's transaction: a duplicate leaves it usable, a rollback undoes the marker", async () => {
    await opened.prisma.widget.create({ data: { name: 'joined' } });
    await processOnce(opened.prisma, { consumer: 'stock', eventId: 'evt-joined' }, async () => undefined);

    const outcome = await opened.prisma.$transaction(async (tx) => {
      const inner = await processOnce(tx, { consumer: 'stock', eventId: 'evt-joined' }, async () => 'ran');
      // ON CONFLICT DO NOTHING does not abort the transaction: later statements still work.
      await tx.widget.update({ where: { name: 'joined' }, data: { quantity: 7 } });
      return inner;
    });
    expect(outcome).toEqual({ duplicate: true });
    expect(await quantityOf('joined')).toBe(7);

    await expect(
      opened.prisma.$transaction(async (tx) => {
        await processOnce(tx, { consumer: 'stock', eventId: 'evt-rolled-back' }, async () => undefined);
        throw new Error('caller aborts');
      }),
    ).rejects.toThrow('caller aborts');
    const again = await processOnce(opened.prisma, { consumer: 'stock', eventId: 'evt-rolled-back' }, async () => 'ran');
    expect(again).toEqual({ duplicate: false, result: 'ran' });
  });

  it('claims a run of events in one statement: each new ID once, known ones and repeats left out', async () => {
    await processOnce(opened.prisma, { consumer: 'stock', eventId: 'evt-run-2' }, async () => undefined);

    const claimed = await opened.prisma.$transaction((tx) => claimEvents(tx, 'stock', ['evt-run-1', 'evt-run-2', 'evt-run-3', 'evt-run-1']));
    expect([...claimed].sort()).toEqual(['evt-run-1', 'evt-run-3']);
    // Another consumer is independent; the same consumer finds them all processed now.
    expect((await opened.prisma.$transaction((tx) => claimEvents(tx, 'audit', ['evt-run-1']))).size).toBe(1);
    expect((await opened.prisma.$transaction((tx) => claimEvents(tx, 'stock', ['evt-run-1', 'evt-run-3']))).size).toBe(0);
  });

  it("forgets a run's claims when the caller's transaction rolls back", async () => {
    await expect(
      opened.prisma.$transaction(async (tx) => {
        expect((await claimEvents(tx, 'stock', ['evt-run-rb-1', 'evt-run-rb-2'])).size).toBe(2);
        throw new Error('caller aborts');
      }),
    ).rejects.toThrow('caller aborts');
    const again = await opened.prisma.$transaction((tx) => claimEvents(tx, 'stock', ['evt-run-rb-2', 'evt-run-rb-1']));
    expect(again).toEqual(new Set(['evt-run-rb-1', 'evt-run-rb-2']));
  });

  it('claims inside the caller’s own statement: its writes join the IDs new to the consumer, in one round trip', async () => {
    const statement = `WITH input AS (SELECT id FROM jsonb_array_elements_text($1::jsonb) AS x (id)),
      fresh AS (${claimEventsSql('stock.sql', 'SELECT id FROM input')})
      SELECT coalesce(jsonb_agg(event_id ORDER BY event_id), '[]') AS fresh FROM fresh`;
    const run = async (ids: string[]) => (await opened.prisma.$queryRawUnsafe<Array<{ fresh: string[] }>>(statement, JSON.stringify(ids)))[0]!.fresh;
    expect(await run(['evt-sql-1', 'evt-sql-2'])).toEqual(['evt-sql-1', 'evt-sql-2']);
    expect(await run(['evt-sql-2', 'evt-sql-3'])).toEqual(['evt-sql-3']);
    expect((await opened.prisma.$transaction((tx) => claimEvents(tx, 'stock.sql', ['evt-sql-1', 'evt-sql-4']))).size).toBe(1);
  });

  it('refuses a consumer name that could not stand in a statement as it is', () => {
    expect(() => claimEventsSql("x'; DROP TABLE widget; --", 'SELECT 1')).toThrow(/consumer name/);
  });
});
