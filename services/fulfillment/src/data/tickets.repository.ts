import type { PrismaClient, Ticket } from '../generated/prisma/client';

/** Tickets through Prisma, as the APIs read them (issued and voided in SQL: ticket-rows.ts). */

export function ticketById(prisma: PrismaClient, id: string): Promise<Ticket | null> {
  return prisma.ticket.findUnique({ where: { id } });
}

/** An order's tickets by line and seat. */
export function ticketsOfOrder(prisma: PrismaClient, orderId: string): Promise<Ticket[]> {
  return prisma.ticket.findMany({ where: { orderId }, orderBy: [{ lineId: 'asc' }, { seat: 'asc' }] });
}
