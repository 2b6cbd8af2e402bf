/** Node socket errors and Postgres SQLSTATEs that mean "the database is not reachable right now". */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  // Postgres: connection exceptions, admin/crash shutdown, cannot connect now, too many connections.
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  // Prisma: cannot reach the server, pool timeout.
  'P1001',
  'P1017',
  'P2024',
]);

/**
 * Whether `err` (or any error in its `cause` chain, which is where driver adapters put the
 * driver's own error) says the database is unreachable rather than that the statement was wrong.
 * Consumers turn it into a `DependencyUnavailableError`: pause and wait, don't dead-letter.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (typeof current === 'object' && current !== null && !seen.has(current)) {
    seen.add(current);
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    if (typeof message === 'string' && /Connection terminated|connection .*(closed|refused)|Can't reach database server/i.test(message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** A consumer's `unavailable` option: 'database' when `err` says the database is unreachable. */
export function databaseOutage(err: unknown): string | null {
  return isDatabaseUnavailable(err) ? 'database' : null;
}
