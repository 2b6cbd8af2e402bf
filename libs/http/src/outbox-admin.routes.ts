import { qualifiedPaths, type OriginService } from './origin-routes';
import type { Express } from 'express';
import { z } from 'zod';
import { HttpProblem } from './http-problem';
import { onceStarted } from './once-started';

/** A service's set-aside outbox rows (`@orderflow/db`'s functions on its own database). */
export interface SetAsideOutbox {
  list(limit: number): Promise<unknown[]>;
  requeue(ids: readonly string[]): Promise<number>;
  discard(ids: readonly string[]): Promise<number>;
}

const rowId = z.string().regex(/^\d{1,18}$/, { message: 'must be an outbox row ID' });
const listQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) });

/**
 * The OutboxRowsSetAside runbook's levers, under the service's `/admin` (its admin token guards
 * them): list the rows the relay set aside, with their reason and how many rows of their key wait
 * behind them; requeue one once its cause is fixed (it goes out first, then what it held back);
 * discard one that must never go out, releasing what it held.
 */
export function outboxAdminRoutes(deps: { outbox: () => SetAsideOutbox | undefined; notify: () => void; service: OriginService }): (app: Express) => void {
  const outbox = onceStarted(deps.outbox);
  const idOf = (raw: string): string => {
    const id = rowId.safeParse(raw);
    if (!id.success) throw new HttpProblem(400, { detail: z.prettifyError(id.error) });
    return id.data;
  };
  const at = (path: string): string[] => [`/admin${path}`, `${qualifiedPaths(deps.service).admin}${path}`];
  return (app) => {
    app.get(at('/outbox/set-aside'), async (req, res) => {
      const query = listQuery.safeParse(req.query);
      if (!query.success) throw new HttpProblem(400, { detail: z.prettifyError(query.error) });
      res.json({ items: await outbox().list(query.data.limit) });
    });

    for (const action of ['requeue', 'discard'] as const) {
      app.post(at(`/outbox/set-aside/:id/${action}`), async (req, res) => {
        const id = idOf(req.params.id as string);
        const done = await outbox()[action]([id]);
        if (done === 0) throw new HttpProblem(404, { detail: `No set-aside outbox row ${id}` });
        req.log.info({ outboxId: id, action }, `set-aside outbox row ${action === 'requeue' ? 'requeued' : 'discarded'}`);
        deps.notify();
        res.json({ id, [action === 'requeue' ? 'requeued' : 'discarded']: true });
      });
    }
  };
}
