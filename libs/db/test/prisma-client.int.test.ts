import { backendKinds, createBackend, prismaFor, type BackendFixture } from './support/backends';
import type { Database } from '../src';
import type { PrismaClient } from './generated/client/client';

describe.each(backendKinds)('a generated Prisma 7 client through the %s adapter', (kind) => {
  let backend: BackendFixture;
  let db: Database;
  let prisma: PrismaClient;

  beforeAll(async () => {
    backend = await createBackend(kind);
    db = await backend.open();
    prisma = prismaFor(db);
  });

  afterAll(async () => {
    await prisma?.$disconnect();
    await db?.close();
    await backend?.cleanup();
  });

  it('creates and reads rows in the tables the SQL migrations made', async () => {
    const created = await prisma.widget.create({ data: { name: 'sprocket', quantity: 3 } });
    expect(created).toMatchObject({ name: 'sprocket', quantity: 3 });
    expect(created.createdAt).toBeInstanceOf(Date);
    await expect(prisma.widget.findUnique({ where: { name: 'sprocket' } })).resolves.toMatchObject({ id: created.id });
  });

  it('commits an interactive transaction as a whole', async () => {
    await prisma.$transaction(async (tx) => {
      const w = await tx.widget.create({ data: { name: 'gear' } });
      await tx.widget.update({ where: { id: w.id }, data: { quantity: { increment: 5 } } });
    });
    await expect(prisma.widget.findUnique({ where: { name: 'gear' } })).resolves.toMatchObject({ quantity: 5 });
  });

  it('rolls an interactive transaction back when it throws', async () => {
    await expect(
      prisma.$transaction(async (tx) => {
        await tx.widget.create({ data: { name: 'cog' } });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    await expect(prisma.widget.count({ where: { name: 'cog' } })).resolves.toBe(0);
  });
});
