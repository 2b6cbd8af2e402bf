import { apiKeyAuth, apiKeyLookup, HttpProblem, instanceOf, rawJson } from '@orderflow/http';
import type { Express } from 'express';
import { z } from 'zod';
import type { LicenseCipher } from '../crypto/license-cipher';
import type { TicketSigner } from '../crypto/ticket-signer';
import type { PrismaClient } from '../generated/prisma/client';
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
      const job = await prisma().fulfillmentJob.findUnique({ where: { orderId } });
      if (!job || job.instanceId !== instanceOf(req)) throw new HttpProblem(404, { detail: 'No fulfillment for this order' });
      res.json(await fulfillmentView(prisma(), job, { signer: deps.signer, cipher: deps.cipher, revealKeys: true }));
    });

    /** The door: is this QR payload an authentic ticket of ours, and still valid? */
    app.post('/api/tickets/verify', auth, rawJson({ limit: '10kb' }), async (req, res) => {
      const body = verifyBody.safeParse(req.body);
      if (!body.success) throw new HttpProblem(400, { detail: z.prettifyError(body.error) });
      const claims = deps.signer.verify(body.data.payload);
      if (!claims) {
        res.json({ valid: false, reason: 'not an authentic ticket' });
        return;
      }
      const ticket = await prisma().ticket.findUnique({ where: { id: claims.ticketId } });
      if (!ticket || ticket.instanceId !== instanceOf(req)) {
        res.json({ valid: false, reason: 'not a ticket of this shop' });
        return;
      }
      if (ticket.status !== 'ISSUED') {
        res.json({ valid: false, reason: 'voided', ticketId: ticket.id, voidedAt: ticket.voidedAt?.toISOString() ?? null });
        return;
      }
      res.json({ valid: true, ticketId: ticket.id, orderId: ticket.orderId, capacityKey: ticket.capacityKey, seat: ticket.seat, code: ticket.code });
    });
  };
}
