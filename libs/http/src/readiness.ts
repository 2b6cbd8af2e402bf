import type { RequestHandler } from 'express';
import type { Logger } from '@orderflow/logging';
import { HttpProblem } from './http-problem';

export interface ReadinessCheck {
  /** Shown in `/readyz` answers: 'kafka', 'database', 'redis'. */
  name: string;
  /** Resolves when the dependency can serve; rejects (or outlasts the timeout) when not. */
  check(): Promise<void>;
}

export type CheckOutcome = { name: string; status: 'ok' } | { name: string; status: 'failed' | 'timed out' };

/**
 * Runs every check at once, each bounded by `timeoutMs`, so one hung dependency cannot
 * stall the probe past the orchestrator's own probe timeout.
 */
export async function runChecks(checks: readonly ReadinessCheck[], timeoutMs: number, logger: Logger): Promise<CheckOutcome[]> {
  return Promise.all(
    checks.map(async ({ name, check }): Promise<CheckOutcome> => {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timed out'>((resolve) => {
        timer = setTimeout(() => resolve('timed out'), timeoutMs);
      });
      try {
        const result = await Promise.race([check().then(() => 'ok' as const), timedOut]);
        if (result === 'timed out') logger.warn({ check: name, timeoutMs }, 'readiness check timed out');
        return { name, status: result };
      } catch (err) {
        logger.warn({ err, check: name }, 'readiness check failed');
        return { name, status: 'failed' };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}

/**
 * `/readyz`: 200 when every check passes, else a 503 problem listing each check's outcome.
 * Reasons stay in the log: this endpoint may be reachable from outside, and an error
 * message can name internal hosts.
 */
export function readinessHandler(checks: readonly ReadinessCheck[], timeoutMs: number): RequestHandler {
  return async (req, res) => {
    const outcomes = await runChecks(checks, timeoutMs, req.log);
    const failed = outcomes.filter((outcome) => outcome.status !== 'ok');
    if (failed.length === 0) {
      res.json({ status: 'ok', checks: outcomes });
      return;
    }
    throw new HttpProblem(503, {
      title: 'Not Ready',
      detail: `Failed: ${failed.map((outcome) => `${outcome.name} (${outcome.status})`).join(', ')}`,
      extensions: { checks: outcomes },
    });
  };
}

/** A database client as far as a readiness probe needs one: any Prisma client fits. */
export interface Pingable {
  $queryRawUnsafe(query: string): PromiseLike<unknown>;
}

/** `/readyz`'s database check: not ready before the service opened it, nor while it cannot answer. */
export function databaseReadiness(client: () => Pingable | undefined): ReadinessCheck {
  return {
    name: 'database',
    check: async () => {
      const db = client();
      if (!db) throw new Error('not started');
      await db.$queryRawUnsafe('SELECT 1');
    },
  };
}
