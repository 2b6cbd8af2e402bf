import { StatementBatcher, type SqlExecutor } from '../src';
import { backendKinds, useOpenedBackend } from './support/backends';

interface Inserted {
  id: number;
  name: string;
}

/** Inserts widgets by name, as many as it is given in one statement, and counts its statements. */
function widgetInserter(sql: SqlExecutor) {
  const statements: number[] = [];
  const batcher = new StatementBatcher<string, Inserted | null>({
    maxBatch: 50,
    runBatch: async (names) => {
      statements.push(names.length);
      const values = names.map((_, i) => `($${i + 1})`).join(', ');
      const rows = await sql.query<{ id: number; name: string }>(
        `INSERT INTO widgets (name) VALUES ${values} ON CONFLICT (name) DO NOTHING RETURNING id, name`,
        names,
      );
      const byName = new Map(rows.map((row) => [row.name, { id: Number(row.id), name: row.name }]));
      return names.map((name) => byName.get(name) ?? null);
    },
  });
  return { batcher, statements };
}

describe.each(backendKinds)('StatementBatcher on %s', (kind) => {
  const opened = useOpenedBackend(kind);

  it('sends 120 concurrent calls as a few statements and gives each caller its own row', async () => {
    const { batcher, statements } = widgetInserter(opened.db.sql);
    const names = Array.from({ length: 120 }, (_, i) => `grouped-${i}`);

    const results = await Promise.all(names.map((name) => batcher.run(name)));

    expect(results.map((row) => row?.name)).toEqual(names);
    expect(new Set(results.map((row) => row?.id)).size).toBe(120);
    // Capped at 50 per statement: 120 calls made in one turn are three statements.
    expect(statements).toEqual([50, 50, 20]);
  });

  it('tells a caller whose row already existed, in the same batch as new rows', async () => {
    const { batcher } = widgetInserter(opened.db.sql);
    await batcher.run('existing');

    const [again, fresh] = await Promise.all([batcher.run('existing'), batcher.run('fresh')]);

    expect(again).toBeNull();
    expect(fresh?.name).toBe('fresh');
  });

  it('fails only the caller whose item the database refuses; the others are written', async () => {
    const { batcher, statements } = widgetInserter(opened.db.sql);
    const names = ['isolated-1', 'isolated-\u0000-nul', 'isolated-2', 'isolated-3'];

    const outcomes = await Promise.allSettled(names.map((name) => batcher.run(name)));

    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    // The failed batch of four, then each item alone.
    expect(statements).toEqual([4, 1, 1, 1, 1]);
    const stored = await opened.db.sql.query<{ name: string }>(`SELECT name FROM widgets WHERE name LIKE 'isolated-%' ORDER BY name`);
    expect(stored.map((row) => row.name)).toEqual(['isolated-1', 'isolated-2', 'isolated-3']);
  });
});

describe('StatementBatcher in flight', () => {
  it('keeps at most maxInFlight statements running and gathers the calls that arrive meanwhile', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const statements: string[][] = [];
    const batcher = new StatementBatcher<string, string>({
      maxInFlight: 1,
      runBatch: async (items) => {
        statements.push([...items]);
        if (statements.length === 1) await gate;
        return items.map((item) => item.toUpperCase());
      },
    });
    const turn = () => new Promise((resolve) => setImmediate(resolve));

    const first = batcher.run('a');
    await turn();
    const later: Promise<string>[] = [];
    for (const wave of ['b', 'c', 'd']) {
      later.push(batcher.run(wave), batcher.run(`${wave}2`));
      await turn();
    }
    expect(statements).toEqual([['a']]);
    open();

    expect(await Promise.all([first, ...later])).toEqual(['A', 'B', 'B2', 'C', 'C2', 'D', 'D2']);
    expect(statements).toEqual([['a'], ['b', 'b2', 'c', 'c2', 'd', 'd2']]);
  });
});
