import type { TicketSigner } from '../adapters/ticket-signer';
import { ticketById } from '../data/tickets.repository';
import type { PrismaClient } from '../generated/prisma/client';

/**
 * A QR payload scanned at the door (POST /api/tickets/verify) for the shop `instanceId`: valid if
 * it is authentic (its signature), one of this shop's tickets and not voided. The signature needs
 * no database; voids are online knowledge, so the ticket's status is read after it. Another
 * shop's ticket is "not a ticket of this shop", never a leak of it.
 */
export async function verifyTicket(prisma: PrismaClient, signer: TicketSigner, payload: string, instanceId: string) {
  const claims = signer.verify(payload);
  if (!claims) return { valid: false, reason: 'not an authentic ticket' };
  const ticket = await ticketById(prisma, claims.ticketId);
  if (!ticket || ticket.instanceId !== instanceId) return { valid: false, reason: 'not a ticket of this shop' };
  if (ticket.status !== 'ISSUED') return { valid: false, reason: 'voided', ticketId: ticket.id, voidedAt: ticket.voidedAt?.toISOString() ?? null };
  return { valid: true, ticketId: ticket.id, orderId: ticket.orderId, capacityKey: ticket.capacityKey, seat: ticket.seat, code: ticket.code };
}
