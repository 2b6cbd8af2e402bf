import { backendKinds, useOpenedBackend } from './support/backends';

describe.each(backendKinds)('a generated Prisma 7 client through the %s adapter', (kind) => {
  const opened = useOpenedBackend(kind);

  it('creates and reads rows in the tables the SQL migrations made', async () => {
    const created = await opened.prisma.widget.create({ data: { name: 'sprocket', quantity: 3 } });
    expect(created).toMatchObject({ name: 'sprocket', quantity: 3 });
    expect(created.createdAt).toBeInstanceOf(Date);
    await expect(opened.prisma.widget.findUnique({ where: { name: 'sprocket' } })).resolves.toMatchObject({ id: created.id });
  });

  it('commits an interactive transaction as a whole', async () => {
    await opened.prisma.$transaction(async (tx) => {
      const w = await tx.widget.create({ data: { name: 'gear' } });
      await tx.widget.update({ where: { id: w.id }, data: { quantity: { increment: 5 } } });
    });
    await expect(opened.prisma.widget.findUnique({ where: { name: 'gear' } })).resolves.toMatchObject({ quantity: 5 });
  });

  it('rolls an interactive transaction back when it throws', async () => {
    await expect(
      opened.prisma.$transaction(async (tx) => {
        await tx.widget.create({ data: { name: 'cog' } });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    await expect(opened.prisma.widget.count({ where: { name: 'cog' } })).resolves.toBe(0);
  });
});
