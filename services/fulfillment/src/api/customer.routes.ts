import { apiKeyAuth, apiKeyLookup, HttpProblem, instanceOf, rawJson } from '@orderflow/http';
import type { Express } from 'express';
import { z } from 'zod';
import type { LicenseCipher } from '../adapters/license-cipher';
import type { TicketSigner } from '../adapters/ticket-signer';
import { jobOf } from '../data/jobs.repository';
import type { PrismaClient } from '../generated/prisma/client';
import { verifyTicket } from '../use-cases/verify-ticket';
import { fulfillmentView } from './fulfillment-view';

export const verifyBody = z.object({ payload: z.string().min(1).max(2_000) });

/**
 * The shop's view (instance API key): an order's tickets and licenses, keys shown in full for the
 * customer's account page, and the door check of a scanned QR payload. Another instance's order
 * or ticket is a 404 / invalid, never a leak.
 */
export function customerRoutes(deps: { prisma: () => PrismaClient | undefined; signer: TicketSigner; cipher: LicenseCipher }): (app: Express) => void {
  const prisma = () => deps.prisma()!;
  return (app) => {
    const auth = apiKeyAuth(apiKeyLookup(deps.prisma));

    app.get('/api/orders/:orderId/fulfillment', auth, async (req, res) => {
      const orderId = String(req.params.orderId);
      const job = await jobOf(prisma(), orderId);
      if (!job || job.instanceId !== instanceOf(req)) throw new HttpProblem(404, { detail: 'No fulfillment for this order' });
      res.json(await fulfillmentView(prisma(), job, { signer: deps.signer, cipher: deps.cipher, revealKeys: true }));
    });

    /** The door: is this QR payload an authentic ticket of ours, and still valid? */
    app.post('/api/tickets/verify', auth, rawJson({ limit: '10kb' }), async (req, res) => {
      const body = verifyBody.safeParse(req.body);
      if (!body.success) throw new HttpProblem(400, { detail: z.prettifyError(body.error) });
      res.json(await verifyTicket(prisma(), deps.signer, body.data.payload, instanceOf(req)));
    });
  };
}
