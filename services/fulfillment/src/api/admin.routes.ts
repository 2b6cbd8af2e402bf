import { adminAuth, HttpProblem, onceStarted, rawJson } from '@orderflow/http';
import type { Express } from 'express';
import { z } from 'zod';
import type { LicenseCipher } from '../adapters/license-cipher';
import type { TicketSigner } from '../adapters/ticket-signer';
import { jobOf, jobsIn } from '../data/jobs.repository';
import type { FulfillmentMetrics } from '../metrics';
import type { PrismaClient } from '../generated/prisma/client';
import { addLicenseKeys } from '../use-cases/add-license-keys';
import { poolCounts } from '../use-cases/license-pools';
import { retryFulfillment } from '../use-cases/retry-fulfillment';
import type { JobRunner } from '../use-cases/run-due-jobs';
import { fulfillmentView } from './fulfillment-view';

export const addKeysBody = z.object({ keys: z.array(z.string().trim().min(4).max(500)).min(1).max(10_000) });
export const fulfillmentsQuery = z.object({ status: z.enum(['PENDING', 'COMPLETED', 'FAILED', 'VOIDED']).default('FAILED'), limit: z.coerce.number().int().min(1).max(200).default(50) });
export const fulfillmentQuery = z.object({ reveal: z.literal('keys').optional() });

export interface AdminRouteDeps {
  token: string;
  prisma: () => PrismaClient | undefined;
  cipher: LicenseCipher;
  signer: TicketSigner;
  metrics: FulfillmentMetrics;
  runner: () => JobRunner | undefined;
}

/** Support's API (bearer ADMIN_TOKEN): license pools, failed fulfillments and their retry. */
export function adminRoutes(deps: AdminRouteDeps): (app: Express) => void {
  const prisma = onceStarted(deps.prisma);
  return (app) => {
    app.use('/admin', adminAuth(deps.token));

    /** Adds keys to a product's pool; a key already in it is skipped, never stored twice. */
    app.post('/admin/license-pools/:productId/keys', rawJson({ limit: '2mb' }), async (req, res) => {
      const productId = String(req.params.productId);
      const body = addKeysBody.safeParse(req.body);
      if (!body.success) throw new HttpProblem(400, { detail: z.prettifyError(body.error) });
      res.status(201).json(await addLicenseKeys(prisma(), deps, productId, body.data.keys));
    });

    app.get('/admin/license-pools', async (_req, res) => {
      res.json({ items: await poolCounts(prisma(), deps.metrics) });
    });

    app.get('/admin/fulfillments', async (req, res) => {
      const query = fulfillmentsQuery.safeParse(req.query);
      if (!query.success) throw new HttpProblem(400, { detail: z.prettifyError(query.error) });
      const jobs = await jobsIn(prisma(), query.data.status, query.data.limit);
      res.json({
        items: jobs.map((job) => ({
          orderId: job.orderId,
          instanceId: job.instanceId,
          status: job.status,
          attempts: job.attempts,
          round: job.round,
          lastError: job.lastError,
          retriable: job.retriable,
          nextAttemptAt: job.nextAttemptAt.toISOString(),
          updatedAt: job.updatedAt.toISOString(),
        })),
      });
    });

    /**
     * One order's fulfillment for support: the job, its tickets and licenses (also at
     * /admin/fulfillments/:orderId, where the one origin routes it: /admin/orders is the order
     * service's there). License keys are hints unless `reveal=keys` asks for them, and every
     * reveal is logged (without the keys).
     */
    app.get(['/admin/orders/:orderId/fulfillment', '/admin/fulfillments/:orderId'], async (req, res) => {
      const query = fulfillmentQuery.safeParse(req.query);
      if (!query.success) throw new HttpProblem(400, { detail: z.prettifyError(query.error) });
      const orderId = String(req.params.orderId);
      const job = await jobOf(prisma(), orderId);
      if (!job) throw new HttpProblem(404, { detail: `No fulfillment for ${orderId}` });
      const revealKeys = query.data.reveal === 'keys';
      if (revealKeys) req.log.info({ orderId }, 'license keys revealed through the admin API');
      res.json({
        ...(await fulfillmentView(prisma(), job, { signer: deps.signer, cipher: deps.cipher, revealKeys })),
        instanceId: job.instanceId,
        attempts: job.attempts,
        round: job.round,
        retriable: job.retriable,
        createdAt: job.createdAt.toISOString(),
        updatedAt: job.updatedAt.toISOString(),
        completedAt: job.completedAt?.toISOString() ?? null,
        voidedAt: job.voidedAt?.toISOString() ?? null,
      });
    });

    /** A failed fulfillment, started again from its last snapshot (e.g. after keys were added). */
    app.post('/admin/fulfillments/:orderId/retry', async (req, res) => {
      const orderId = String(req.params.orderId);
      const answer = await retryFulfillment(prisma(), orderId, () => deps.runner()?.notify());
      if (!answer.retried) {
        throw answer.status ? new HttpProblem(409, { detail: `The fulfillment is ${answer.status}; only a failed one can be retried` }) : new HttpProblem(404, { detail: `No fulfillment for ${orderId}` });
      }
      res.status(202).json({ orderId, status: 'PENDING' });
    });
  };
}
