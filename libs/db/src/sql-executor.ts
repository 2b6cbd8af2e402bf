/** Plain SQL below Prisma: what migrations, the outbox relay and tests need from either backend. */
export interface SqlExecutor {
  /** One parameterised statement (`$1`, `$2`, ...); returns its rows. */
  query<Row extends object = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]>;
  /** One parameterised statement; returns how many rows it inserted, updated or deleted. */
  execute(text: string, params?: readonly unknown[]): Promise<number>;
  /** A script of several statements without parameters, e.g. a migration file. */
  exec(script: string): Promise<void>;
}

/** An executor that can also run a function inside one transaction on one connection. */
export interface SqlSession extends SqlExecutor {
  /** Commits when `fn` resolves, rolls back (and rethrows) when it rejects. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
}
