import { claimEvents, processOnce, rawClient, type RawClient } from '../src';
import { backendKinds, useOpenedBackend } from './support/backends';

describe.each(backendKinds)('rawClient on %s', (kind) => {
  const opened = useOpenedBackend(kind);
  let sql: RawClient;
  beforeAll(() => {
    sql = rawClient(opened.db.sql);
  });

  const quantityOf = async (name: string) => (await opened.prisma.widget.findUniqueOrThrow({ where: { name } })).quantity;

  it('answers rows to $queryRawUnsafe and affected counts to $executeRawUnsafe, as Prisma does', async () => {
    await expect(sql.$executeRawUnsafe('INSERT INTO widgets (name, quantity) VALUES ($1, $2), ($3, $4)', 'a', 1, 'b', 2)).resolves.toBe(2);
    await expect(sql.$executeRawUnsafe('UPDATE widgets SET quantity = quantity + 1 WHERE name = ANY($1)', ['a', 'b', 'missing'])).resolves.toBe(2);
    const rows = await sql.$queryRawUnsafe<Array<{ name: string; quantity: number; createdAt: Date }>>(
      'SELECT name, quantity, created_at AS "createdAt" FROM widgets WHERE name IN ($1, $2) ORDER BY name',
      'a',
      'b',
    );
    expect(rows.map(({ name, quantity }) => ({ name, quantity }))).toEqual([
      { name: 'a', quantity: 2 },
      { name: 'b', quantity: 3 },
    ]);
    expect(rows[0]!.createdAt).toBeInstanceOf(Date);
    // What Prisma's raw methods give for the same statements.
    await expect(opened.prisma.$executeRawUnsafe('UPDATE widgets SET quantity = quantity WHERE name = $1', 'a')).resolves.toBe(1);
  });

  it('commits a transaction as a whole, and rolls it back when its function throws', async () => {
    await sql.$transaction(async (tx) => {
      await tx.$executeRawUnsafe('INSERT INTO widgets (name) VALUES ($1)', 'committed');
      await tx.$executeRawUnsafe('UPDATE widgets SET quantity = 5 WHERE name = $1', 'committed');
    });
    expect(await quantityOf('committed')).toBe(5);
    await expect(
      sql.$transaction(async (tx) => {
        await tx.$executeRawUnsafe('INSERT INTO widgets (name) VALUES ($1)', 'rolled-back');
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    await expect(opened.prisma.widget.count({ where: { name: 'rolled-back' } })).resolves.toBe(0);
  });

  it('serves processOnce and claimEvents: effects once per event, in one transaction with the mark', async () => {
    await sql.$executeRawUnsafe('INSERT INTO widgets (name) VALUES ($1)', 'once');
    const bump = () =>
      processOnce(sql, { consumer: 'raw', eventId: 'evt-once' }, async (tx) => tx.$executeRawUnsafe('UPDATE widgets SET quantity = quantity + 1 WHERE name = $1', 'once'));
    expect((await bump()).duplicate).toBe(false);
    expect((await bump()).duplicate).toBe(true);
    expect(await quantityOf('once')).toBe(1);

    const fresh = await sql.$transaction((tx) => claimEvents(tx, 'raw', ['evt-once', 'evt-new', 'evt-new']));
    expect([...fresh]).toEqual(['evt-new']);
  });
});
