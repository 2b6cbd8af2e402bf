import type { Express } from 'express';
import type { PrismaClient } from '../generated/prisma/client';

export interface CheckoutHealthOptions {
  prisma: () => PrismaClient | undefined;
  /** A lock still in its first phases after this long is stuck (a crashed checkout). */
  stuckAfterMs: number;
  /** Expired locks the sweeper has not ended yet, above which something is wrong. */
  expiredWarnAt: number;
}

/** `GET /health/checkout` as seed 002 describes it: expired locks, stuck checkouts, the database. */
export function checkoutHealthRoutes(options: CheckoutHealthOptions): (app: Express) => void {
  return (app) => {
    app.get('/health/checkout', async (_req, res) => {
      const prisma = options.prisma();
      const timestamp = new Date().toISOString();
      try {
        if (!prisma) throw new Error('not started');
        const now = new Date();
        const [expired, stuck] = await Promise.all([
          prisma.checkoutLock.count({ where: { state: { in: ['LOCKED', 'AWAITING_PAYMENT'] }, expiresAt: { lt: now } } }),
          prisma.checkoutLock.count({ where: { state: 'LOCKED', lockedAt: { lt: new Date(now.getTime() - options.stuckAfterMs) } } }),
        ]);
        const expiredStatus = expired > options.expiredWarnAt ? 'warning' : 'ok';
        const stuckStatus = stuck > 0 ? 'warning' : 'ok';
        res.json({
          status: expiredStatus === 'ok' && stuckStatus === 'ok' ? 'healthy' : 'degraded',
          checks: {
            expired_locks: { status: expiredStatus, count: expired, message: expired === 0 ? 'No expired locks' : `${expired} expired lock(s) awaiting the sweeper` },
            stuck_checkouts: { status: stuckStatus, count: stuck, message: stuck === 0 ? 'No stuck checkouts' : `${stuck} checkout(s) stuck before payment` },
            database: { status: 'ok', message: 'Database connection healthy' },
          },
          timestamp,
        });
      } catch {
        res.status(503).json({ status: 'unhealthy', checks: { database: { status: 'error', message: 'Database unavailable' } }, timestamp });
      }
    });
  };
}
